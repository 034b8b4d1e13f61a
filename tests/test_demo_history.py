"""The demo has a history: its servers' past fast-forwarded into its own database before the
console records the live part on top. Manual clocks (the scenarios' own dates): nothing here
depends on today's date."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from lmconsole.app import demo_app
from lmconsole.demo import DEMO_SERVERS, demo_scenario, write_history_logs
from lmconsole.history import schema
from lmconsole.history.store import HistoryStore

from .pilot_wait import until


def test_the_past_is_each_servers_scenario_run_for_the_days_before_the_demo(tmp_path):
    logs = dict((demo.name, log) for demo, log in write_history_logs(tmp_path, None, days=2))
    assert sorted(logs) == sorted(demo.name for demo in DEMO_SERVERS
                                  if demo.name != "studio-dsls")  # DSLS's logs are not read
    office = logs["office"].read_text().splitlines()
    assert sum(" OUT: " in line for line in office) > 10  # two working days of checkouts
    assert office[0].endswith("(lmgrd) -----------------------------------------------")


def query(tmp_path, statement) -> list:
    """The rows of `statement` in the demo's history database under tmp_path."""
    async def read() -> list:
        store = await HistoryStore.open(f"sqlite:///{tmp_path / 'history.db'}")
        try:
            return await store.rows(statement)
        finally:
            await store.close()

    return asyncio.run(read())


def test_the_demo_opens_with_its_past_imported_and_records_the_present_on_top(tmp_path):
    app = demo_app(None, files=tmp_path, history_days=2, poll_interval_s=0.2)
    events = select(func.count()).select_from(schema.events)

    async def scenario() -> int:
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: app.recorder is not None, "the past imported",
                        timeout=60)
            (past,) = await app.recorder.store.rows(events)
            for server in app.servers.values():
                server.transport.server.advance(900)  # a quarter of an hour of work
            await until(pilot, lambda: app.recorder.events_written > 0, "live events written",
                        timeout=30)
            return past[0]

    past = asyncio.run(scenario())
    s, sv = schema.sessions, schema.servers
    per_server = query(tmp_path, select(sv.c.name, func.count(), func.min(s.c.start_at))
                       .join(sv, sv.c.id == s.c.server_id).group_by(sv.c.name)
                       .order_by(sv.c.name))
    assert [name for name, _count, _first in per_server] == [
        "engineering", "office", "studio-flexlm", "studio-lmx", "studio-rlm",
        "studio-rms"]  # RLM's, LM-X's and Sentinel RMS's from their own logs; none of DSLS
    # the LM-X and RMS scenarios open on a Monday: their two days back are a weekend's few
    # checkouts
    assert all(count > (0 if name in ("studio-lmx", "studio-rms") else 10)
               for name, count, _first in per_server), per_server
    first = datetime.fromtimestamp(min(first for *_rest, first in per_server), UTC)
    start = demo_scenario("architecture").start
    # two days back, moved to the same weekday (a scenario keeps its week's rhythm), with
    # lmgrd started the evening before
    assert start - timedelta(days=10) <= first < start - timedelta(days=1)
    assert query(tmp_path, events)[0][0] == past + app.recorder.events_written  # on top
    # the seats each feature issues, from the demo's licences (a log does not say them)
    m = schema.occupancy_minute
    issued = dict(query(tmp_path, select(m.c.feature, func.max(m.c.issued))
                        .join(sv, sv.c.id == m.c.server_id).where(sv.c.name == "office")
                        .group_by(m.c.feature)))
    assert issued == {"AutoCAD": 10, "Revit": 3, "3dsMax": 2}


def run_in_thread(coroutine, timeout: float):
    """asyncio.run(coroutine) in a thread of its own: what it returns, or a failure when it
    has not ended within `timeout` s (instead of the test hanging)."""
    outcome = []

    def run() -> None:
        try:
            outcome.append((asyncio.run(coroutine), None))
        except BaseException as error:  # noqa: BLE001 - raised again below
            outcome.append((None, error))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert outcome, f"asyncio.run did not end within {timeout:g} s"
    result, error = outcome[0]
    if error is not None:
        raise error
    return result


def test_the_console_ends_after_the_batch_its_history_is_writing(tmp_path):
    """The batch being written when the console is left, waiting for the database (another
    process holds its write lock), is written, and the console ends. It was cancelled
    inside that write (Textual cancels its workers first), the batch lost; cancelled
    again by asyncio.run's cancel of every task at exit, it left SQLAlchemy closing its
    aiosqlite connection in a task that waited forever (a test hung in select())."""
    app = demo_app(None, files=tmp_path, history_days=1, poll_interval_s=0.2,
                   alerts=[])  # the alerts' own writes would wait for the lock too
    other_process = sqlite3.connect(tmp_path / "history.db", isolation_level=None,
                                    check_same_thread=False)
    unlock = threading.Timer(3.0, other_process.execute, ["ROLLBACK"])
    events = select(func.count()).select_from(schema.events)

    async def work(pilot, minutes: int) -> None:
        shown = app.data.seq
        for server in app.servers.values():
            server.transport.server.advance(minutes * 60)
        await until(pilot, lambda: app.data.seq > shown, "live events shown")

    async def scenario() -> tuple[int, int]:
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: app.recorder is not None, "the past imported",
                        timeout=60)
            recorder = app.recorder
            pool = recorder.store.engine.pool  # the recorder's connections, alone
            (past,) = await recorder.store.rows(events)
            await work(pilot, 15)
            await until(pilot, lambda: recorder.events_written > 0 and pool.checkedout() == 0
                        and not any(server.pending for server in recorder.servers.values()),
                        "live events written")
            written_before = recorder.events_written
            other_process.execute("BEGIN IMMEDIATE")
            await work(pilot, 15)
            await until(pilot, lambda: pool.checkedout() > 0, "a batch taken to be written")
            assert recorder.events_written == written_before  # waiting for the lock
            unlock.start()  # while the console ends
        return past[0], written_before

    past, written_before = run_in_thread(scenario(), timeout=90)
    assert app.recorder.events_written > written_before  # that batch too
    assert query(tmp_path, events)[0][0] == past + app.recorder.events_written
