"""`T`: the console as it was at a past minute, from the history (the demo's past imported
into a real SQLite file), and back to live. Manual clocks (the scenarios' own dates)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, or_, select

from lmconsole.app import demo_app
from lmconsole.history import schema
from lmconsole.screens.header import ServerHeader
from lmconsole.screens.past import parse_moment

from .pilot_wait import until
from .test_ui_data import BERLIN

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=BERLIN)


@pytest.mark.parametrize("text, moment", [
    ("2026-03-01 14:05", datetime(2026, 3, 1, 14, 5, tzinfo=BERLIN)),
    ("2026-03-01T14:05:59", datetime(2026, 3, 1, 14, 5, tzinfo=BERLIN)),
    ("08:15", datetime(2026, 3, 2, 8, 15, tzinfo=BERLIN)),
    ("-2h", NOW - timedelta(hours=2)),
    ("- 30 min", NOW - timedelta(minutes=30)),
    ("-1d", NOW - timedelta(days=1)),
    ("2026-03-01 13:05+00:00", datetime(2026, 3, 1, 14, 5, tzinfo=BERLIN)),
    ("live", None), ("NOW", None), ("", None),
])
def test_a_moment_is_read_on_the_readers_clock(text, moment):
    assert parse_moment(text, NOW, BERLIN) == moment


@pytest.mark.parametrize("text", ["tomorrow", "10:00", "-2x", "2026-13-01 10:00"])
def test_what_is_not_a_past_moment_is_refused(text):
    with pytest.raises(ValueError):
        parse_moment(text, NOW, BERLIN)


def test_t_shows_every_view_as_it_was_and_live_again(tmp_path):
    app = demo_app(None, files=tmp_path, history_days=2)

    async def scenario() -> None:
        async with app.run_test(size=(160, 40)) as pilot:
            await until(pilot, lambda: app.recorder is not None, "the past imported",
                        timeout=60)
            # the demo's servers run on clocks of their own: a moment is read on the first's
            server = app.data.servers[0]
            await until(pilot, lambda: app.data.live_states[server].status is not None,
                        "a live poll")
            live = app.data.live_states[server]
            wanted = await a_busy_minute(app, server)
            typed = f"{wanted.astimezone(app.data.display_tz):%Y-%m-%d %H:%M}"
            await pilot.press("T")
            await pilot.press(*typed.replace(" ", "T"), "enter")
            await until(pilot, lambda: app.data.past is not None, "the past shown")
            at = app.data.past.at
            assert at == wanted
            assert "AS OF" in str(app.screen.query_one(ServerHeader).render())
            status = app.data.states[server].status
            held = {(f.name, c.user) for f in status.features for c in f.checkouts}
            assert held == await sessions_open(app, server, int(at.timestamp()))
            assert held  # the day before, at this time, seats were held
            denied = [d.event for d in app.data.denials]
            assert all(at - timedelta(hours=1) < d.at <= at for d in denied)

            await pilot.press("right_square_bracket")  # a minute on
            await until(pilot, lambda: app.data.past.at == at + timedelta(minutes=1),
                        "a minute on")
            await pilot.press("left_curly_bracket")  # an hour back
            await until(pilot, lambda: app.data.past.at == at - timedelta(minutes=59),
                        "an hour back")
            await pilot.press("right_curly_bracket", "left_square_bracket")
            await until(pilot, lambda: app.data.past.at == at, "back at the moment asked")

            feature, user = sorted(held)[0]
            app.open_seats(server, feature)
            await pilot.pause()
            assert user in {row.values[0] for row in app.screen.table.rows.values()}
            await pilot.press("x")  # lmremove, on a seat of the past
            await pilot.pause()
            assert any("showing the past" in str(n.message) for n in app._notifications)

            await pilot.press("escape", "T", *"live", "enter")
            await until(pilot, lambda: app.data.past is None, "live again")
            assert app.data.states[server] is app.data.live_states[server]
            assert app.data.states[server].polled_at >= live.polled_at
            assert "AS OF" not in str(app.screen.query_one(ServerHeader).render())

    asyncio.run(scenario())


async def a_busy_minute(app, server: str) -> datetime:
    """A minute of the imported past at which seats were held: the minute after the last
    checkout that began more than an hour before the live clock."""
    s, sv = schema.sessions, schema.servers
    before = int((app.data.live_now(server) - timedelta(hours=1)).timestamp())
    ((start,),) = await app.recorder.store.rows(
        select(func.max(s.c.start_at)).join(sv, sv.c.id == s.c.server_id)
        .where(sv.c.name == server, s.c.start_at < before))
    return datetime.fromtimestamp(start - start % 60 + 60, UTC)


async def sessions_open(app, server: str, at: int) -> set[tuple[str, str]]:
    """What the history says was held at `at`, asked directly."""
    s, sv = schema.sessions, schema.servers
    rows = await app.recorder.store.rows(
        select(s.c.feature, s.c.user_name).join(sv, sv.c.id == s.c.server_id)
        .where(sv.c.name == server, ~s.c.reserved, s.c.start_at <= at,
               or_(s.c.end_at.is_(None), s.c.end_at > at)))
    return {(feature, user) for feature, user in rows}
