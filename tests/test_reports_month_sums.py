"""The month sums of the checkouts (session_month_sums, migration 0011): kept exact by every
writer of sessions, written again or not, on SQLite and PostgreSQL; and reports users, groups
and projects answering from them exactly what they answer from the sessions alone, for
random sessions across month ends, open, reserved, borrowed, of several servers, users,
hosts and projects, and random questions."""

from __future__ import annotations

import asyncio
import calendar
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, update

from lmconsole.config import ProjectRule
from lmconsole.history import schema
from lmconsole.history.store import HistoryStore, _alembic_config
from lmconsole.reports import checkouts
from lmconsole.reports.base import Question
from lmconsole.reports.groups import groups
from lmconsole.reports.projects import projects
from lmconsole.reports.users import users

from .postgres import history_url_fixture, postgres_fixture  # noqa: F401 - fixtures
from .test_history_schema import downgrade_to
from .test_reports import lmconsole
from .test_reports_people import LOG as PEOPLE_LOG

DAY = 86_400
MONTHS = [int(datetime(2026, month, 1, tzinfo=UTC).timestamp()) for month in range(1, 7)]
SERVERS = ("arch", "cad")
FEATURES = ("AutoCAD", "Revit", "Maya")
USERS = ("anna", "ben", "carl")
HOSTS = (None, "", "ws1", "ws2")
PROJECTS = (None, "", "bridge", "tower")


def month_of(at: int) -> tuple[int, int]:
    day = datetime.fromtimestamp(at, UTC)
    return day.year, day.month


def month_bounds(at: int) -> tuple[int, int]:
    year, month = month_of(at)
    start = int(datetime(year, month, 1, tzinfo=UTC).timestamp())
    return start, start + calendar.monthrange(year, month)[1] * DAY


def expected_sums(sessions) -> dict:
    """The sums worked out here from the sessions, as the table should hold them."""
    sums: dict[tuple, list] = {}
    for s in sessions:
        month, following = month_bounds(s.start_at)
        if s.reserved or s.end_at is None or s.end_at > following:
            continue
        key = (s.feature, s.user_name, s.project or "", s.project is None, s.host or "",
               s.host is None, s.server_id, month)
        held = s.end_at - s.start_at
        figures = [1, held, s.count * held, int(not s.borrowed and held > 8 * 3600),
                   s.start_at, s.end_at]
        if key in sums:
            old = sums[key]
            sums[key] = [*(a + b for a, b in zip(old[:4], figures[:4])),
                         min(old[4], figures[4]), max(old[5], figures[5])]
        else:
            sums[key] = figures
    return {key: tuple(figures) for key, figures in sums.items()}


async def held_sums(store: HistoryStore) -> dict:
    m = schema.session_month_sums
    rows = await store.rows(select(m))
    return {(r.feature, r.user_name, r.project, bool(r.no_project), r.host, bool(r.no_host),
             r.server_id, r.month):
            (r.sessions, r.seconds, r.seat_seconds, r.long_sessions, r.first_start,
             r.last_end) for r in rows}


async def assert_sums_exact(store: HistoryStore) -> int:
    """The sums are those of the sessions; how many sessions they hold."""
    sessions = await store.rows(select(schema.sessions))
    held = await held_sums(store)
    assert held == expected_sums(sessions)
    return sum(figures[0] for figures in held.values())


def sums_are_exact(url: str) -> int:
    """`assert_sums_exact` of the database at `url`."""
    return with_store(url, assert_sums_exact)


# ---- random sessions ---------------------------------------------------------------------------

moments = st.one_of(
    st.integers(MONTHS[0], MONTHS[-1]),
    # near a month's end: before, on, after it
    st.builds(lambda month, offset: month + offset, st.sampled_from(MONTHS[1:-1]),
              st.integers(-3 * DAY, 3 * DAY)),
    st.sampled_from(MONTHS))
lengths = st.one_of(st.integers(0, 12 * 3600), st.integers(0, 40 * DAY),
                    st.sampled_from([8 * 3600, 8 * 3600 + 1]))

session_rows = st.fixed_dictionaries({
    "server": st.sampled_from(SERVERS), "feature": st.sampled_from(FEATURES),
    "user_name": st.sampled_from(USERS), "host": st.sampled_from(HOSTS),
    "project": st.sampled_from(PROJECTS), "count": st.integers(1, 3),
    "borrowed": st.booleans(), "reserved": st.booleans(), "start_at": moments,
    "length": st.one_of(st.none(), lengths)})


def poll_session(servers: dict[str, int], n: int, row: dict) -> dict:
    end = None if row["length"] is None else row["start_at"] + row["length"]
    return {"server_id": servers[row["server"]], "poll_key": f"k{n}",
            "feature": row["feature"], "user_name": row["user_name"], "host": row["host"],
            "display": None, "handle": None, "version": None, "count": row["count"],
            "borrowed": row["borrowed"], "reserved": row["reserved"],
            "project": row["project"], "start_at": row["start_at"], "end_at": end,
            "end_kind": "still_open" if end is None else "seen_by_poll"}


async def fresh(store: HistoryStore) -> dict[str, int]:
    """The store emptied of sessions and occupancy (the sums taken away by the trigger on
    delete); the servers' ids, each seen in the occupancy until a moment of its own."""
    async with store.engine.begin() as connection:
        await connection.execute(delete(schema.sessions))
        await connection.execute(delete(schema.occupancy_minute))
    servers = {name: await store.server_id(name, manager="flexlm", time_zone="UTC")
               for name in SERVERS}
    async with store.engine.begin() as connection:
        for n, server_id in enumerate(servers.values()):
            await connection.execute(insert(schema.occupancy_minute), [
                {"server_id": server_id, "feature": "AutoCAD", "at": at, "in_use_peak": 1,
                 "in_use_mean": 1.0, "polls": 1}
                for at in (MONTHS[0] + 60, MONTHS[-1] - (n + 1) * 7 * DAY)])
    return servers


def with_store(url: str, scenario):
    async def run():
        store = await HistoryStore.open(url)
        try:
            return await scenario(store)
        finally:
            await store.close()
    return asyncio.run(run())


# ---- the sums kept exact ------------------------------------------------------------------------

operations = st.lists(st.tuples(st.sampled_from(["end", "move", "delete", "reserve"]),
                                st.integers(0, 30), st.integers(-40 * DAY, 40 * DAY)),
                      max_size=8)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=st.lists(session_rows, max_size=30), changes=operations)
def test_the_sums_stay_those_of_the_sessions_whatever_is_written_again_or_changed(
        url, rows, changes):
    async def scenario(store: HistoryStore) -> None:
        servers = await fresh(store)
        written = [poll_session(servers, n, row) for n, row in enumerate(rows)]
        await store.upsert_poll_sessions(written)
        await store.upsert_poll_sessions(written)  # a batch written again after a crash
        await assert_sums_exact(store)
        s = schema.sessions
        for change, n, shift in changes:
            where = s.c.poll_key == f"k{n}"
            async with store.engine.begin() as connection:
                if change == "end":  # an end set later, as a poll or a restart does
                    await connection.execute(update(s).where(where, s.c.end_at.is_(None))
                                             .values(end_at=s.c.start_at + abs(shift)))
                elif change == "move":
                    await connection.execute(update(s).where(where, s.c.end_at.is_not(None))
                                             .values(end_at=s.c.end_at + abs(shift),
                                                     start_at=s.c.start_at + shift // 2))
                elif change == "delete":
                    await connection.execute(delete(s).where(where))
                else:
                    await connection.execute(update(s).where(where)
                                             .values(reserved=~s.c.reserved))
            await assert_sums_exact(store)
    with_store(url, scenario)


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=st.lists(session_rows, min_size=1, max_size=30))
def test_the_upgrade_to_0011_sums_the_sessions_there_are(url, rows):
    async def scenario(store: HistoryStore) -> None:
        servers = await fresh(store)
        await store.upsert_poll_sessions([poll_session(servers, n, row)
                                          for n, row in enumerate(rows)])
        async with store.engine.begin() as connection:
            await connection.run_sync(downgrade_to("0010_reports_fast2"))
            await connection.run_sync(upgrade_to("0011_sums"))
        await assert_sums_exact(store)
    with_store(url, scenario)


def upgrade_to(revision: str):
    def upgrade(connection) -> None:
        from alembic import command

        command.upgrade(_alembic_config(connection), revision)
    return upgrade


def test_sessions_ended_by_a_later_poll_are_summed_once(url):
    async def scenario(store: HistoryStore) -> dict:
        servers = await fresh(store)
        row = {"server": "arch", "feature": "Revit", "user_name": "ben", "host": "ws1",
               "project": None, "count": 2, "borrowed": False, "reserved": False,
               "start_at": MONTHS[1] + DAY, "length": None}
        await store.upsert_poll_sessions([poll_session(servers, 0, row)])
        open_sums = await held_sums(store)
        ended = poll_session(servers, 0, {**row, "length": 3600})
        await store.upsert_poll_sessions([ended])
        await store.upsert_poll_sessions([ended])  # and the same end seen again
        await assert_sums_exact(store)
        return open_sums, await held_sums(store)

    open_sums, ended_sums = with_store(url, scenario)
    assert open_sums == {}
    assert list(ended_sums.values()) == [(1, 3600, 7200, 0, MONTHS[1] + DAY,
                                          MONTHS[1] + DAY + 3600)]


def test_a_log_imported_again_and_grown_keeps_the_sums_exact(tmp_path, url):
    """`lmconsole import` (its bulk writer, its indexes deferred into an empty file) of a
    log, of the same log again (nothing new), and of the log grown by the IN of a session
    it had left open (its end set later)."""
    log = tmp_path / "adskflex.log"
    log.write_text(PEOPLE_LOG)

    def imported() -> dict:
        lmconsole(tmp_path, url, "import", str(log), "--server", "arch", "--server-tz", "UTC")

        async def sums(store: HistoryStore) -> dict:
            await assert_sums_exact(store)
            return await held_sums(store)
        return with_store(url, sums)

    first = imported()
    assert imported() == first
    log.write_text(PEOPLE_LOG + '13:30:00 (adskflex) IN: "AutoCAD" dora@ws4\n')
    grown = imported()
    assert {key: figures for key, figures in grown.items() if key[1] != "dora"} == first
    assert [figures[:3] for key, figures in grown.items() if key[1] == "dora"] == \
        [(1, 9000, 9000)]


async def a_source(store: HistoryStore, server_id: int) -> int:
    """A log of the server's, as a recorder's batch names it."""
    async with store.engine.begin() as connection:
        return (await connection.execute(insert(schema.sources).values(
            server_id=server_id, identity="x" * 64, prefix_bytes=64, path="a.log",
            bytes_read=0, lines_read=0, read_at=0).returning(schema.sources.c.id))).scalar()


def test_a_recorders_batch_written_twice_is_summed_once(url):
    """A live recorder's batch written again (the recorder restarted before it knew the
    first write committed), then the batch that ends its open session, twice too."""
    async def scenario(store: HistoryStore) -> dict:
        servers = await fresh(store)
        source = await a_source(store, servers["arch"])

        def session(offset: int, start: int, end: int | None) -> dict:
            return {"server_id": servers["arch"], "source_id": source, "byte_offset": offset,
                    "feature": "Maya", "daemon": "adskflex", "user_name": "anna",
                    "host": "ws1", "count": 1, "borrowed": False, "start_at": start,
                    "end_at": end, "end_kind": "still_open" if end is None else "in",
                    "end_reason": None, "project": "tower"}

        opened = [session(0, MONTHS[2], MONTHS[2] + 60), session(100, MONTHS[2] + 10, None)]
        ended = [session(100, MONTHS[2] + 10, MONTHS[2] + 70)]
        for batch in (opened, opened, ended, ended):
            await store.record([], [], batch, [], server_id=servers["arch"], reads=[],
                               now=MONTHS[2] + 100)
            await assert_sums_exact(store)
        return await held_sums(store)

    assert list(with_store(url, scenario).values()) == [
        (2, 120, 120, 0, MONTHS[2], MONTHS[2] + 70)]


def test_a_catching_up_recorders_big_batches_written_twice_are_summed_once(url):
    """The same with batches as large as a collector catching up with a long log writes
    (on PostgreSQL by COPY), one session in the first twice: still open, then ended."""
    from lmconsole.history.store import COPY_FROM_ROWS

    async def scenario(store: HistoryStore) -> dict:
        servers = await fresh(store)
        source = await a_source(store, servers["arch"])

        def session(offset: int, end: int | None) -> dict:
            return {"server_id": servers["arch"], "source_id": source, "byte_offset": offset,
                    "feature": "Maya", "daemon": "adskflex", "user_name": f"u{offset % 7}",
                    "host": "ws1", "count": 1, "borrowed": False, "start_at": MONTHS[2],
                    "end_at": end, "end_kind": "still_open" if end is None else "in",
                    "end_reason": None, "project": None}

        first = [session(offset, MONTHS[2] + 60) for offset in range(COPY_FROM_ROWS)]
        first += [session(COPY_FROM_ROWS, None), session(COPY_FROM_ROWS, MONTHS[2] + 30)]
        second = [session(offset, MONTHS[2] + 60)
                  for offset in range(COPY_FROM_ROWS + 1, 2 * COPY_FROM_ROWS + 1)]
        for batch in (first, first, second, second):
            await store.record([], [], batch, [], server_id=servers["arch"], reads=[],
                               now=MONTHS[2] + 100)
            await assert_sums_exact(store)
        ended = await store.rows(select(schema.sessions.c.end_kind).where(
            schema.sessions.c.byte_offset == COPY_FROM_ROWS))
        return {"ended": [tuple(row) for row in ended], "sums": await held_sums(store)}

    result = with_store(url, scenario)
    assert result["ended"] == [("in",)]
    assert sum(figures[0] for figures in result["sums"].values()) == 2 * COPY_FROM_ROWS + 1


# ---- the reports from the sums and from the sessions alone --------------------------------------

period_edges = st.one_of(st.sampled_from(MONTHS), moments)
questions = st.fixed_dictionaries({
    "edges": st.tuples(period_edges, period_edges).filter(lambda e: e[0] != e[1]),
    "servers": st.sampled_from([(), ("arch",), ("cad", "arch")]),
    "features": st.sampled_from([(), ("AutoCAD",), ("Revit", "Maya")]),
    "users": st.sampled_from([(), ("anna",), ("ben", "carl")])})


RULES = (ProjectRule("drafting", hosts=("ws1",), features=("Auto*",)),
         ProjectRule("animation", users=("ben",)), ProjectRule("rest", features=("*",)))


async def every_answer(store: HistoryStore, question: Question, long_s: int) -> list:
    answers = []
    for per in ("user", "host"):
        answers.append((await users(store, question, per=per, long_s=long_s)).rows)
    answers.append((await groups(store, question)).rows)
    answers.append((await projects(store, question)).rows)
    answers.append((await projects(store, question, rules=RULES)).rows)
    return answers


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=st.lists(session_rows, max_size=40), asked=questions,
       long_s=st.sampled_from([8 * 3600, 3600]))
def test_reports_from_the_sums_answer_as_from_the_sessions(url, monkeypatch, rows,
                                                             asked, long_s):
    start, end = sorted(asked["edges"])
    question = Question(start, end, UTC, servers=asked["servers"],
                        features=asked["features"], users=asked["users"])

    async def scenario(store: HistoryStore) -> tuple[list, list]:
        servers = await fresh(store)
        await store.upsert_poll_sessions([poll_session(servers, n, row)
                                          for n, row in enumerate(rows)])
        summed = await every_answer(store, question, long_s)
        with monkeypatch.context() as patched:  # the sessions alone: no whole month
            patched.setattr(checkouts, "whole_months", lambda question: [])
            alone = await every_answer(store, question, long_s)
        return summed, alone

    summed, alone = with_store(url, scenario)
    assert summed == alone


def test_whole_months_of_a_period():
    assert checkouts.whole_months(Question(MONTHS[0], MONTHS[3], UTC)) == MONTHS[:4]
    assert checkouts.whole_months(Question(MONTHS[0] + 1, MONTHS[3], UTC)) == MONTHS[1:4]
    assert checkouts.whole_months(Question(MONTHS[0], MONTHS[2] - 1, UTC)) == MONTHS[:2]
    assert checkouts.whole_months(Question(MONTHS[0] + 1, MONTHS[2] - 1, UTC)) == []


def test_a_report_of_a_feature_over_whole_months_reads_their_sums(url):
    """The sums are read, not only kept: a figure changed in the table behind the
    triggers' back shows in the report of a feature over its month, not in one of every
    feature (the sessions alone) nor of a part month."""
    async def scenario(store: HistoryStore) -> list[int]:
        servers = await fresh(store)
        row = {"server": "arch", "feature": "Revit", "user_name": "ben", "host": "ws1",
               "project": None, "count": 1, "borrowed": False, "reserved": False,
               "start_at": MONTHS[1] + DAY, "length": 3600}
        await store.upsert_poll_sessions([poll_session(servers, 0, row)])
        m = schema.session_month_sums
        async with store.engine.begin() as connection:
            await connection.execute(update(m).values(sessions=5))
        found = []
        for features, start in ((("Revit",), MONTHS[1]), ((), MONTHS[1]),
                                (("Revit",), MONTHS[1] + 1)):
            question = Question(start, MONTHS[2], UTC, features=features)
            found.append((await users(store, question)).rows[0]["sessions"])
        return found

    assert with_store(url, scenario) == [5, 1, 1]
