"""The console's alerts: the banner in the header, the Alerts view (A), acknowledging (a)
and snoozing (z), and alerts clearing; the rules fed by the same messages as the views."""

from __future__ import annotations

import asyncio
import getpass
from dataclasses import replace

from lmconsole.app import StateArrived
from lmconsole.model import Status
from lmconsole.screens.alerts import AlertsScreen
from lmconsole.screens.header import ServerHeader

from .alerting import rules
from .test_ui_data import fill, seeded_app, state_of
from .test_ui_snapshots import snapshots_in_the_repository  # noqa: F401 - stored in snapshots/

RULES = rules(
    {"name": "AutoCAD full", "kind": "free_seats", "features": ["AutoCAD"], "for": 0},
    {"name": "FEM full", "kind": "free_seats", "features": ["ANSYS_Mechanical"], "for": 0,
     "severity": "critical"},
    {"name": "office down", "kind": "server_down", "servers": ["office"], "for": 0,
     "clear_for": 0},
)


def header_text(app) -> str:
    return str(app.screen.query_one(ServerHeader).render())


def alerts_app(tmp_path):
    return seeded_app(tmp_path, alerts=RULES)


def test_firing_alerts_show_in_the_banner_and_the_alerts_view(tmp_path):
    async def scenario():
        app = alerts_app(tmp_path)
        async with app.run_test(size=(120, 30)) as pilot:
            await fill(app, pilot)
            assert "⚑ 1 critical" in header_text(app) and "⚑ 1 warning" in header_text(app)
            await pilot.press("A")
            assert isinstance(app.screen, AlertsScreen)
            table = app.screen.table
            assert table.shown_keys == [("FEM full", "engineering/ANSYS_Mechanical"),
                                        ("AutoCAD full", "office/AutoCAD")]
            assert table.rows[table.shown_keys[0]].style == "bad"
            assert table.cell(("AutoCAD full", "office/AutoCAD"), "message") == \
                "AutoCAD on office: 0 of 10 seats free (threshold 0)"

    asyncio.run(scenario())


def test_acknowledged_it_leaves_the_banner_and_snoozed_it_says_until_when(tmp_path):
    async def scenario():
        app = alerts_app(tmp_path)
        async with app.run_test(size=(120, 30)) as pilot:
            await fill(app, pilot)
            await pilot.press("A")
            await pilot.press("a")  # the first row: the critical one
            await pilot.pause()
            key = ("FEM full", "engineering/ANSYS_Mechanical")
            table = app.screen.table
            assert table.cell(key, "state") == "acknowledged by tester"
            assert table.rows[key].style == "dim"
            assert "critical" not in header_text(app) and "⚑ 1 warning" in header_text(app)
            await pilot.press("down", "z", "z")  # two hours
            await pilot.pause()
            office = ("AutoCAD full", "office/AutoCAD")
            [snoozed] = [a for a in app.data.alerts if a.key == office]
            assert (snoozed.snoozed_until - app.alerting.watcher.clock()).total_seconds() == \
                2 * 3600
            assert table.cell(office, "state").startswith("snoozed to ")

    asyncio.run(scenario())


def test_a_server_going_down_fires_and_coming_back_clears(tmp_path):
    async def scenario():
        app = alerts_app(tmp_path)
        async with app.run_test(size=(120, 30)) as pilot:
            await fill(app, pilot)
            office = state_of(app.servers["office"])
            app.post_message(StateArrived(replace(office, error="lmgrd is not running",
                                                  stale=True)))
            await pilot.pause()
            assert ("office down", "office") in [a.key for a in app.data.alerts]
            assert "⚑ 2 critical" in header_text(app)
            app.post_message(StateArrived(office))
            await pilot.pause()
            assert ("office down", "office") not in [a.key for a in app.data.alerts]
            titles = [n.title for n in app._notifications]
            assert "alert fired: office down" in titles and "alert cleared: office down" in titles

    asyncio.run(scenario())


def test_without_rules_there_is_no_banner(tmp_path):
    async def scenario():
        app = seeded_app(tmp_path)
        async with app.run_test(size=(120, 30)) as pilot:
            await fill(app, pilot)
            assert "⚑" not in header_text(app) and app.data.alerts == []
            assert all(s.status.status is Status.UP for s in app.data.states.values())

    asyncio.run(scenario())


def test_snapshot_of_the_alerts_view(snap_compare, tmp_path):
    app = alerts_app(tmp_path)

    async def run_before(pilot) -> None:
        await fill(app, pilot)
        await pilot.press("A", "down", "a")  # the warning acknowledged, the critical not
        app.clear_notifications()  # the pop-ups of the firing (tested above) cover the view
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 24), run_before=run_before)


def test_the_demo_raises_alerts_within_a_minute(tmp_path):
    """`lmconsole demo` as it starts: sixty times real time, its own rules."""
    from datetime import UTC, datetime

    from lmconsole.app import demo_app

    async def scenario() -> set[str]:
        app = demo_app(60.0, files=tmp_path, now=datetime(2026, 3, 9, 10, tzinfo=UTC),
                       poll_interval_s=1.0)
        async with app.run_test(size=(120, 30)) as pilot:
            for _ in range(600):  # at most a minute of real time
                rules_fired = {a.rule for a in app.data.alerts}
                if {"licence expiring", "AutoCAD full"} <= rules_fired:
                    break
                await pilot.pause(0.1)
            assert "⚑" in header_text(app)
            return rules_fired

    assert {"licence expiring", "AutoCAD full"} <= asyncio.run(scenario())


def test_the_console_records_each_change_in_the_history(tmp_path):
    """The demo on manual clocks, its monitor running and recording: the alerts its first
    polls raise, and an acknowledgement, end up in alert_changes."""
    import sqlite3

    from lmconsole.app import demo_app

    async def scenario() -> None:
        app = demo_app(None, files=tmp_path, poll_interval_s=0.2)
        async with app.run_test(size=(120, 30)) as pilot:
            for _ in range(300):  # bounded: the first polls and the history opening
                if app.data.alerts and app.alerting.history is not None:
                    break
                await pilot.pause(0.05)
            await pilot.press("A", "a")
            await pilot.pause()

    asyncio.run(scenario())
    with sqlite3.connect(tmp_path / "history.db") as db:
        rows = db.execute("SELECT change, rule, who FROM alert_changes ORDER BY id").fetchall()
    assert ("fired", "licence expiring", None) in rows  # held until the history opened
    [acknowledged] = [r for r in rows if r[0] == "acknowledged"]
    assert acknowledged[2] == getpass.getuser()
    assert ("fired", acknowledged[1], None) in rows


def test_the_console_started_again_shows_the_alerts_still_firing_as_they_were(tmp_path):
    """The demo's console twice on one history: the alert acknowledged in the first is
    still acknowledged in the second, not fired anew."""
    from lmconsole.app import demo_app

    async def run_console(acknowledge: bool):
        app = demo_app(None, files=tmp_path, poll_interval_s=0.2)
        async with app.run_test(size=(120, 30)) as pilot:
            for _ in range(300):  # bounded: the first polls and the history opening
                if app.data.alerts and app.alerting.history is not None:
                    break
                await pilot.pause(0.05)
            if acknowledge:
                await pilot.press("A", "a")
                await pilot.pause()
            return {a.key: a for a in app.data.alerts}

    first = asyncio.run(run_console(acknowledge=True))
    [handled] = [a for a in first.values() if a.acknowledged_by]
    again = asyncio.run(run_console(acknowledge=False))
    assert again[handled.key].acknowledged_by == getpass.getuser()
    assert again[handled.key].fired_at == handled.fired_at.replace(microsecond=0)
