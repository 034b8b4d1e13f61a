"""`lmconsole collect` as systemd runs it: a real subprocess following real files (the
simulator's debug log, or logs written here line by line) into real SQLite files and a real
PostgreSQL server, stopped with SIGTERM, killed with SIGKILL, its log rotated while it runs
and while it is stopped, its SSH link cut by killing a real sshd. Every time the history must
end up holding each line of the log exactly once: the figures are counted in the log itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from lmconsole.history.missed_ends import MISSES

from .postgres import postgres_fixture  # noqa: F401 - registers `postgres`
from .sshd import SshServer, sshd_fixture  # noqa: F401 - registers `sshd`
from .test_history_import import rows_in
from .test_reports_month_sums import sums_are_exact
from .test_ui_ssh_e2e import LICENSE, ZONE, Remote

WAIT_S = 60  # the longest a collector may take to catch up with its log


RUNNING: list[subprocess.Popen] = []  # killed when the test ends, whatever happened


@pytest.fixture(autouse=True)
def no_collector_left():
    yield
    while RUNNING:
        process = RUNNING.pop()
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


class Collector:
    """`lmconsole collect` running in the background on a configuration file."""

    def __init__(self, tmp_path: Path, config: Path, database: str,
                 env: dict[str, str] | None = None) -> None:
        self.tmp_path, self.config, self.database = tmp_path, config, database
        self.stderr_path = tmp_path / "collect.err"
        self.process: subprocess.Popen | None = None
        self.env = env or {}  # over this process's environment

    def start(self) -> Collector:
        env = {**os.environ, "XDG_DATA_HOME": str(self.tmp_path / "data"), **self.env}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lmconsole", "--config", str(self.config), "collect",
             "--database", self.database],
            stdout=subprocess.DEVNULL, stderr=self.stderr_path.open("a"), env=env)
        RUNNING.append(self.process)
        return self

    def stop(self) -> int:
        """SIGTERM, as systemd stops it; its exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)

    @property
    def said(self) -> str:
        return self.stderr_path.read_text()


def history_info(database: str, tmp_path: Path) -> dict:
    """What `lmconsole history info` says (any engine)."""
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-m", "lmconsole", "history", "info", "--format",
                             "json", "--database", database], capture_output=True, text=True,
                            timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def history_rows(database: str, tmp_path: Path) -> dict[str, int]:
    return history_info(database, tmp_path)["rows"]


# The tables a followed log fills. The occupancy levels grow from the polls too, whenever
# the collector rolls their minutes up: not to be compared after it ran on a while.
LOG_TABLES = ("sources", "events", "sessions", "denials")


def logged_rows(rows: dict[str, int]) -> dict[str, int]:
    return {table: rows[table] for table in LOG_TABLES}


def listed(database: str, what: str, tmp_path: Path) -> list[dict]:
    """What `lmconsole history WHAT` lists; nothing while a collector has yet to make the
    SQLite file (listing a file that does not exist is an error)."""
    if database.startswith("sqlite:///") and not Path(database[10:]).exists():
        return []
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-m", "lmconsole", "history", what, "--format",
                             "json", "--database", database], capture_output=True, text=True,
                            timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def counted_in(*logs: Path) -> dict[str, int]:
    """What the logs hold, counted with plain string tests (as grep -c would)."""
    text = "".join(log.read_text() for log in logs if log.exists())
    lines = text.splitlines()
    return {"OUT": sum(" OUT: " in line for line in lines),
            "IN": sum(" IN: " in line for line in lines),
            "DENIED": sum(" DENIED: " in line for line in lines)}


def expected_rows(counts: dict[str, int]) -> dict[str, int]:
    return {"sessions": counts["OUT"], "denials": counts["DENIED"]}


def caught_up(database: str, tmp_path: Path, expected: dict[str, int],
              collector: Collector) -> dict[str, int]:
    """Waits (bounded) until the history holds the expected sessions and denials."""
    deadline = time.monotonic() + WAIT_S
    while True:
        rows = history_rows(database, tmp_path)
        got = {key: rows[key] for key in expected}
        if got == expected or time.monotonic() > deadline:
            assert got == expected, collector.said
            return rows
        assert collector.process.poll() is None, collector.said
        time.sleep(0.3)


def sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'history.db'}"


# The logs here are dated by the simulator's scenarios (March 2026): the default retention
# would delete their rows as soon as the clock is far enough on (the year-ahead run).
KEEP_ALL = ('[retention]\nevents = "forever"\nminutes = "forever"\nhours = "forever"\n'
            '\n')


def write_config(tmp_path: Path, *servers: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(KEEP_ALL + "".join(servers))
    return path


def local_server(remote: Remote, name: str = "arch", log: Path | None = None,
                 logs: tuple[Path, ...] = ()) -> str:
    """A server on this machine: its debug_log, or with `logs` its debug_logs."""
    quoted = ", ".join(f'"{path}"' for path in logs)
    followed = f"debug_logs = [{quoted}]" if logs else f'debug_log = "{log or remote.debug_log}"'
    return (f'[[servers]]\nname = "{name}"\ntransport = "local"\nlmutil = "{remote.lmutil}"\n'
            f'license = "{LICENSE}"\n{followed}\ntimezone = "{ZONE}"\npoll_interval_s = 1\n')


def status_of(remote: Remote):
    """What the simulator's lmstat lists now."""
    from lmconsole.adapters import ADAPTERS

    (status,) = ADAPTERS["flexlm"].parse_status(
        remote.lmstat(), name="arch", tz=ZoneInfo(ZONE),
        now=datetime(2026, 3, 2, tzinfo=UTC)).servers
    return status


def usage(kind: str, user: str, clock: str = "10:00:00", daemon: str = "adskflex",
          feature: str = "AutoCAD") -> str:
    tail = "  (Licensed number of users already reached. (-4,342))" if kind == "DENIED" else ""
    return f'{clock} ({daemon}) {kind}: "{feature}" {user}@ws1{tail}\n'


def append(log: Path, *lines: str) -> None:
    with log.open("a", encoding="utf-8") as file:
        file.writelines(lines)


LOG_HEADER = "9:59:00 (lmgrd) TIMESTAMP 3/2/2026\n"


# ---- the simulator's log, across stops and kills ---------------------------------------------

def test_stopped_and_started_again_it_records_each_line_once(tmp_path):
    remote = Remote(tmp_path)
    database = sqlite(tmp_path)
    collector = Collector(tmp_path, write_config(tmp_path, local_server(remote)), database)
    collector.start()
    remote.advance(2 * 3600)
    caught_up(database, tmp_path, expected_rows(counted_in(remote.debug_log)), collector)
    assert collector.stop() == 0
    assert "from its start (never read before)" in collector.said
    assert "stopped;" in collector.said

    remote.advance(4 * 3600)  # while it is stopped
    collector.start()
    rows = caught_up(database, tmp_path, expected_rows(counted_in(remote.debug_log)), collector)
    assert collector.stop() == 0
    assert "on from byte" in collector.said
    counts = counted_in(remote.debug_log)
    closed = [s for s in listed(database, "sessions", tmp_path) if s["end_kind"] == "in"]
    assert len(closed) == counts["IN"] and rows["sources"] == 1


def busy_log(log: Path, sessions: int, first: int = 0, *daemon_feature: str) -> None:
    """A busy server's hour: each user checks out, another is denied, the first checks in
    (of `daemon_feature`, default adskflex's AutoCAD)."""
    lines = []
    for n in range(first, first + sessions):
        clock = f"{8 + n // 3600}:{n // 60 % 60:02}:{n % 60:02}"
        lines += [usage("OUT", f"u{n}", clock, *daemon_feature),
                  usage("DENIED", f"d{n}", clock, *daemon_feature),
                  usage("IN", f"u{n}", clock, *daemon_feature)]
    append(log, *lines)


def denials_written(database: str) -> int:
    """The denials in an SQLite history, read directly: a `history info` each time would be
    too slow to catch the collector between two batches."""
    return rows_in(Path(database.removeprefix("sqlite:///")), "denials")


def denials_written_beyond(database: str, count: int, timeout_s: float = 120.0) -> None:
    for _ in range(int(timeout_s / 0.02)):
        if denials_written(database) > count:
            return
        time.sleep(0.02)
    raise TimeoutError(f"no more than {count} denials written in {timeout_s} s")


def test_killed_with_sigkill_again_and_again_it_ends_with_each_line_once(tmp_path):
    remote = Remote(tmp_path)
    log = tmp_path / "adskflex.log"
    log.write_text(LOG_HEADER)
    busy_log(log, 20_000)  # 60,000 lines: a dozen batches to be killed in
    database = sqlite(tmp_path)
    collector = Collector(tmp_path, write_config(tmp_path, local_server(remote, log=log)),
                          database)
    part_written = []
    for round in range(6):
        collector.start()
        if round == 0:
            time.sleep(0.3)  # killed while it starts
        else:  # killed as soon as a batch of this run is in, however loaded the machine
            denials_written_beyond(database, part_written[-1] if part_written else 0)
        collector.kill()
        written = denials_written(database)
        assert written < counted_in(log)["DENIED"]  # killed before its last batch
        part_written.append(written)
        busy_log(log, 100, first=20_000 + 100 * round)
    assert part_written[1] > 0 and part_written == sorted(part_written)
    collector.start()
    rows = caught_up(database, tmp_path, {"sessions": 20_600, "denials": 20_600}, collector)
    assert collector.stop() == 0
    assert rows["events"] == 3 * 20_600
    sessions = listed(database, "sessions", tmp_path)
    assert all(s["end_kind"] == "in" for s in sessions)
    assert len({s["user"] for s in sessions}) == 20_600


def test_two_logs_of_one_server_killed_again_and_again_end_with_each_line_once(tmp_path):
    """Two vendor daemons' logs, each read and resumed on its own: every kill finds them read
    to different places."""
    remote = Remote(tmp_path)
    logs = (tmp_path / "adskflex.log", tmp_path / "ugslmd.log")
    daemons = (("adskflex", "AutoCAD"), ("ugslmd", "NX"))
    for log in logs:
        log.write_text(LOG_HEADER)
    busy_log(logs[0], 8_000, 0, *daemons[0])
    busy_log(logs[1], 6_000, 0, *daemons[1])
    database = sqlite(tmp_path)
    collector = Collector(tmp_path, write_config(tmp_path, local_server(remote, logs=logs)),
                          database)
    part_written = []
    for round in range(5):
        collector.start()
        if round == 0:
            time.sleep(0.3)  # killed while it starts
        else:
            denials_written_beyond(database, part_written[-1] if part_written else 0)
        collector.kill()
        written = denials_written(database)
        assert written < counted_in(*logs)["DENIED"]  # killed before its last batch
        part_written.append(written)
        busy_log(logs[0], 100, 8_000 + 100 * round, *daemons[0])
        busy_log(logs[1], 50, 6_000 + 50 * round, *daemons[1])
    assert part_written[1] > 0 and part_written == sorted(part_written)
    collector.start()
    total = 8_500 + 6_250
    rows = caught_up(database, tmp_path, {"sessions": total, "denials": total}, collector)
    assert collector.stop() == 0
    assert rows["events"] == 3 * total and rows["sources"] == 2
    for log in logs:
        assert f"following {log} on from byte" in collector.said
    sessions = listed(database, "sessions", tmp_path)
    assert all(s["end_kind"] == "in" for s in sessions)
    assert {(s["feature"], s["user"]) for s in sessions} == {
        *(("AutoCAD", f"u{n}") for n in range(8_500)), *(("NX", f"u{n}") for n in range(6_250))}


# ---- rotation -----------------------------------------------------------------------------

def test_a_log_rotated_while_running_and_while_stopped_loses_and_repeats_nothing(tmp_path):
    remote = Remote(tmp_path)
    log = tmp_path / "logs" / "adskflex.log"
    log.parent.mkdir()
    log.write_text(LOG_HEADER)
    database = sqlite(tmp_path)
    collector = Collector(tmp_path, write_config(tmp_path, local_server(remote, log=log)),
                          database).start()
    append(log, *(usage("OUT", f"a{n}") for n in range(5)), usage("DENIED", "d0"))
    caught_up(database, tmp_path, {"sessions": 5, "denials": 1}, collector)

    # rotated while running: the last lines of the old file come after the rename
    append(log, usage("IN", "a0", "10:01:00"))
    log.rename(log.with_name("adskflex.log.1"))
    append(log.with_name("adskflex.log.1"), usage("DENIED", "d1", "10:01:30"))
    log.write_text(LOG_HEADER.replace("9:59:00", "10:02:00"))
    append(log, usage("IN", "a1", "10:03:00"), usage("DENIED", "d2", "10:03:00"))
    caught_up(database, tmp_path, {"sessions": 5, "denials": 3}, collector)
    assert collector.stop() == 0

    # rotated while stopped: the rest of the old file is read, then the new one
    append(log, usage("IN", "a2", "10:04:00"), usage("DENIED", "d3", "10:04:00"))
    log.rename(log.with_name("adskflex.log.2"))
    log.write_text(LOG_HEADER.replace("9:59:00", "10:05:00"))
    append(log, usage("OUT", "b0", "10:06:00"), usage("DENIED", "d4", "10:06:00"))
    collector.start()
    caught_up(database, tmp_path, {"sessions": 6, "denials": 5}, collector)
    assert collector.stop() == 0
    denials = listed(database, "denials", tmp_path)
    assert sorted(d["user"] for d in denials) == ["d0", "d1", "d2", "d3", "d4"]
    sessions = {s["user"]: s for s in listed(database, "sessions", tmp_path)}
    assert [sessions[u]["end_kind"] for u in ("a0", "a1", "a2", "a3", "b0")] == [
        "in", "in", "in", "still_open", "still_open"]
    assert sessions["a1"]["end"] == "2026-03-02T09:03:00+00:00"  # 10:03 in Berlin (CET)
    assert history_rows(database, tmp_path)["gaps"] == 0


def test_a_log_gone_while_stopped_is_recorded_as_a_gap(tmp_path):
    remote = Remote(tmp_path)
    log = tmp_path / "adskflex.log"
    log.write_text(LOG_HEADER)
    database = sqlite(tmp_path)
    collector = Collector(tmp_path, write_config(tmp_path, local_server(remote, log=log)),
                          database).start()
    append(log, usage("DENIED", "d0"))
    caught_up(database, tmp_path, {"denials": 1}, collector)
    assert collector.stop() == 0
    append(log, usage("DENIED", "lost"))
    log.unlink()  # rotated away and deleted: its last line can never be read
    log.write_text(LOG_HEADER.replace("9:59:00", "11:00:00"))
    append(log, usage("DENIED", "d1", "11:00:01"))
    collector.start()
    caught_up(database, tmp_path, {"denials": 2}, collector)
    assert collector.stop() == 0
    assert "lines lost" in collector.said
    (gap,) = [gap for gap in history_info(database, tmp_path)["gaps"] if gap["kind"] == "log"]
    assert gap["server"] == "arch" and gap["start"] < gap["end"]
    assert gap["reason"] in ("the log was truncated", "the log was rotated and its old file "
                             "is gone")  # as the new file did or did not get the old inode


# ---- several collectors, one PostgreSQL ------------------------------------------------------

def test_two_sites_collect_into_one_postgresql_history(tmp_path, postgres):
    database = postgres.new_database()
    remote = Remote(tmp_path)
    collectors = []
    for site in ("north", "south"):
        directory = tmp_path / site
        directory.mkdir()
        log = directory / "adskflex.log"
        log.write_text(LOG_HEADER)
        config = write_config(directory, local_server(remote, name=site, log=log))
        collectors.append((log, Collector(directory, config, database)))
    for _log, collector in collectors:  # started together: both create the schema
        collector.start()
    for n in range(40):
        for log, _collector in collectors:
            append(log, usage("OUT", f"u{n}"), usage("DENIED", f"d{n}"))
    for log, _collector in collectors:
        append(log, *(usage("IN", f"u{n}", "10:30:00") for n in range(0, 40, 2)))
    caught_up(database, tmp_path, {"sessions": 80, "denials": 80}, collectors[0][1])
    for _log, collector in collectors:
        assert collector.stop() == 0
    sessions = listed(database, "sessions", tmp_path)
    assert {s["server"] for s in sessions} == {"north", "south"}
    assert sum(s["end_kind"] == "in" for s in sessions) == 40


# ---- over SSH: the link cut while it runs ------------------------------------------------------

def test_over_ssh_a_cut_link_loses_no_denial_and_repeats_none(tmp_path, sshd: SshServer):
    remote = Remote(tmp_path)
    remote.write_log(LOG_HEADER.rstrip("\n"))
    server = (f'[[servers]]\nname = "office"\ntransport = "ssh"\nssh_host = "{sshd.alias}"\n'
              f'ssh_config = "{sshd.config_path}"\nknown_hosts = ["{sshd.known_hosts}"]\n'
              f'lmutil = "{remote.lmutil}"\nlicense = "{LICENSE}"\n'
              f'debug_log = "{remote.debug_log}"\ntimezone = "{ZONE}"\npoll_interval_s = 1\n')
    database = sqlite(tmp_path)
    # imported first: the collector goes on from where the import ended, the log's first
    # bytes read over SSH telling it is the same file
    import_logs(tmp_path, database, remote.debug_log, server="office")
    collector = Collector(tmp_path, write_config(tmp_path, server), database).start()
    expected = counted_in(remote.debug_log)["DENIED"]
    caught_up(database, tmp_path, {"denials": expected}, collector)
    sshd.stop()  # sshd and its sessions killed: the follow's link drops
    append(remote.debug_log, *(usage("DENIED", f"u{n:03}") for n in range(50)))
    sshd.start()
    append(remote.debug_log, *(usage("DENIED", f"u{n:03}") for n in range(50, 100)))
    caught_up(database, tmp_path, {"denials": expected + 100}, collector)
    time.sleep(1.5)  # anything read twice would be written by now
    assert history_rows(database, tmp_path)["denials"] == expected + 100
    assert collector.stop() == 0
    assert "where `lmconsole import` read it to" in collector.said, collector.said
    users = [d["user"] for d in listed(database, "denials", tmp_path)
             if re.fullmatch(r"u\d{3}", d["user"])]
    assert sorted(users) == [f"u{n:03}" for n in range(100)]


@pytest.mark.parametrize("problem, said", [
    ("", "no servers configured"),
    ('[[servers]]\nname = "x"\ntransport = "local"\n[[servers]]\nname = "x"\n', "x"),
])
def test_a_bad_configuration_exits_2_and_says_why(tmp_path, problem, said):
    config = tmp_path / "config.toml"
    config.write_text(problem)
    result = subprocess.run([sys.executable, "-m", "lmconsole", "--config", str(config),
                             "collect", "--database", sqlite(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and said in result.stderr


def test_an_unreachable_database_exits_3(tmp_path):
    remote = Remote(tmp_path)
    config = write_config(tmp_path, local_server(remote))
    result = subprocess.run([sys.executable, "-m", "lmconsole", "--config", str(config),
                             "collect", "--database",
                             "postgresql://nobody@127.0.0.1:1/none"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, result.stderr
    assert "cannot open the history database" in result.stderr


# ---- the console records too ---------------------------------------------------------------

async def counted_again(database: str, server: str, since: int, until: int) -> int:
    """The seats in use per minute, hour and day counted again from the sessions over the
    span an import read, which must leave them as the import wrote them; the minutes."""
    from lmconsole.history.occupancy import count_imported
    from lmconsole.history.store import HistoryStore

    from .test_history_occupancy_reading import levels

    store = await HistoryStore.open(database)
    try:
        written = await levels(store)
        server_id = await store.server_id(server, manager="flexlm", time_zone=ZONE)
        minutes = await count_imported(store, server_id, since, until)
        assert await levels(store) == written
    finally:
        await store.close()
    return minutes


def console_app(tmp_path: Path, log: Path, database: str):
    """The console on the server `arch` whose debug log is `log`, recording into `database`."""
    from lmconsole.adapters import ADAPTERS
    from lmconsole.adapters.transports.local import LocalTransport
    from lmconsole.app import LMConsoleApp, console_server
    from lmconsole.audit import AuditLog
    from lmconsole.config import parse_config
    from lmconsole.history.store import HistoryStore

    config = write_config(tmp_path, local_server(Remote(tmp_path), log=log))
    (server,) = parse_config(config.read_text(), str(config)).servers
    return LMConsoleApp([console_server(server, ADAPTERS["flexlm"], LocalTransport())],
                        audit=AuditLog(tmp_path / "audit.log", user=lambda: "tester"),
                        display_tz=ZoneInfo(ZONE), history=lambda: HistoryStore.open(database))


async def console_follows(pilot, app) -> None:
    """Once the console records and follows its log from the log's end."""
    from tests.pilot_wait import until

    await until(pilot, lambda: app.recorder is not None, "recording started")
    await until(pilot, lambda: app.data.states["arch"].status is not None, "a poll")
    await pilot.pause(0.5)  # the follow has started at the log's end


def test_the_console_records_what_it_shows_and_a_collector_adds_nothing_twice(tmp_path):
    from tests.pilot_wait import until

    log = tmp_path / "adskflex.log"
    log.write_text(LOG_HEADER)
    database = sqlite(tmp_path)
    app = console_app(tmp_path, log, database)
    config = tmp_path / "config.toml"

    async def scenario():
        async with app.run_test(size=(120, 30)) as pilot:
            await console_follows(pilot, app)
            append(log, usage("OUT", "a0"), usage("DENIED", "d0"), usage("IN", "a0"))
            await until(pilot, lambda: app.recorder.events_written == 3, "3 events written",
                        timeout=30)
            app.audit.record(server="arch", command=["lmutil", "lmreread"], outcome="ok",
                             action="reread")  # as the console's own actions do
            await until(pilot, lambda: app.recorder.audit.copied == 1, "the audit copied")

    asyncio.run(scenario())
    rows = history_rows(database, tmp_path)
    assert (rows["events"], rows["sessions"], rows["denials"], rows["gaps"]) == (3, 1, 1, 0)
    assert [r["action"] for r in listed(database, "audit", tmp_path)] == ["reread"]
    (session,) = listed(database, "sessions", tmp_path)
    assert (session["user"], session["end_kind"]) == ("a0", "in")

    # a collector, started afterwards, reads the log from its start: the same lines are
    # the same rows (one file identity, one byte offset each)
    append(log, usage("DENIED", "d1", "10:00:01"))
    collector = Collector(tmp_path, config, database).start()
    caught_up(database, tmp_path, {"events": 4, "sessions": 1, "denials": 2}, collector)
    assert collector.stop() == 0


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_log_part_of_which_the_console_recorded_is_imported_without_its_rows_twice(
        tmp_path, engine, request):
    from tests.pilot_wait import until

    # A console dates the lines it follows from the log's end by its clock: the lines are
    # written as a licence server writes them, in the last minutes, after a TIMESTAMP. At
    # 30 s past a minute, a0's IN and a1's OUT fall in the minutes after t0's (on a whole
    # minute, a0's IN would end the minute before the gap, leaving it empty).
    now = datetime.now(ZoneInfo(ZONE)).replace(second=30, microsecond=0)
    t0, t1, t2 = (now - timedelta(seconds=s) for s in (180, 120, 60))
    log = tmp_path / "adskflex.log"
    log.write_text(f"{t0:%H:%M:%S} (lmgrd) TIMESTAMP {t0.month}/{t0.day}/{t0.year}\n"
                   + usage("OUT", "a0", f"{t0:%H:%M:%S}"))
    database = sqlite(tmp_path) if engine == "sqlite" else \
        request.getfixturevalue("postgres").new_database()
    app = console_app(tmp_path, log, database)

    async def scenario():  # the console records from the log's end: not a0's OUT
        async with app.run_test(size=(120, 30)) as pilot:
            await console_follows(pilot, app)
            append(log, usage("DENIED", "d0", f"{t1:%H:%M:%S}"),
                   usage("IN", "a0", f"{t1:%H:%M:%S}"), usage("OUT", "a1", f"{t2:%H:%M:%S}"))
            await until(pilot, lambda: app.recorder.events_written == 3, "3 events written",
                        timeout=30)

    asyncio.run(scenario())
    log.rename(tmp_path / "adskflex.log.1")  # rotated, then imported whole
    summary = import_logs(tmp_path, database, tmp_path / "adskflex.log.1")
    assert (summary["events"], summary["sessions"]) == ("4 (1 new)", "2 (1 still open)")
    rows = history_rows(database, tmp_path)
    assert (rows["events"], rows["sessions"], rows["denials"]) == (4, 2, 1)
    assert {s["user"]: s["end_kind"] for s in listed(database, "sessions", tmp_path)} == {
        "a0": "in", "a1": "still_open"}
    # the minutes the import counted are the sweep's: a0's two, a1's from its start to the
    # log's last line
    since, to = int(t0.timestamp()), int(t2.timestamp()) + 1
    assert asyncio.run(counted_again(database, "arch", since, to)) == \
        len(range(since - since % 60, to, 60))
    assert import_logs(tmp_path, database, tmp_path / "adskflex.log.1")["events"] == \
        "4 (0 new)"
    assert history_rows(database, tmp_path) == rows
    assert sums_are_exact(database) == 1


def test_a_log_imported_then_recorded_by_the_console_is_collected_without_a_line_twice(
        tmp_path):
    from tests.pilot_wait import until

    now = datetime.now(ZoneInfo(ZONE))  # the console dates what it follows by its clock
    clock = f"{now:%H:%M:%S}"
    log = tmp_path / "adskflex.log"
    log.write_text(f"{clock} (lmgrd) TIMESTAMP {now.month}/{now.day}/{now.year}\n"
                   + usage("OUT", "a0", clock))
    database = sqlite(tmp_path)
    assert import_logs(tmp_path, database, log)["events"] == "1 (1 new)"
    app = console_app(tmp_path, log, database)

    async def scenario():
        async with app.run_test(size=(120, 30)) as pilot:
            await console_follows(pilot, app)
            append(log, usage("DENIED", "d0", clock), usage("IN", "a0", clock))
            await until(pilot, lambda: app.recorder.events_written == 2, "2 events written",
                        timeout=30)

    asyncio.run(scenario())
    append(log, usage("OUT", "a1", clock))
    collector = Collector(tmp_path, tmp_path / "config.toml", database).start()
    rows = caught_up(database, tmp_path, {"events": 4, "sessions": 2, "denials": 1}, collector)
    time.sleep(1.5)  # a line written twice would be by now
    assert collector.stop() == 0
    assert "where `lmconsole import` read it to" in collector.said, collector.said
    assert history_rows(database, tmp_path) == rows
    assert {s["user"]: s["end_kind"] for s in listed(database, "sessions", tmp_path)} == {
        "a0": "in", "a1": "still_open"}


def test_collect_counts_the_seats_in_use_per_minute_from_the_log_and_the_polls(tmp_path):
    remote = Remote(tmp_path)
    log = tmp_path / "adskflex.log"
    log.write_text(LOG_HEADER)
    append(log, usage("OUT", "a0", "10:00:00"), usage("OUT", "a1", "10:00:30"),
           usage("IN", "a0", "10:01:00"), usage("IN", "a1", "10:01:15"))
    database = sqlite(tmp_path)
    collector = Collector(tmp_path, write_config(tmp_path, local_server(remote, log=log)),
                          database).start()
    caught_up(database, tmp_path, {"sessions": 2}, collector)
    time.sleep(2)  # a poll or two of the simulator's lmstat
    assert collector.stop() == 0
    with sqlite3.connect(tmp_path / "history.db") as db:
        from_log = db.execute("SELECT feature, at % 86400, in_use_peak, in_use_mean FROM "
                              "occupancy_minute WHERE from_log ORDER BY at").fetchall()
        polled = db.execute("SELECT count(*), min(issued) FROM occupancy_minute "
                            "WHERE polls > 0 AND feature = 'AutoCAD'").fetchone()
        hours = db.execute("SELECT in_use_peak, in_use_mean FROM occupancy_hour "
                           "WHERE feature = 'AutoCAD' AND from_log").fetchall()
    # 10:00 in Berlin is 09:00 UTC: a0 all minute, a1 its second half; a1 15 s of 10:01
    assert from_log == [("AutoCAD", 9 * 3600, 2, 1.5), ("AutoCAD", 9 * 3600 + 60, 1, 0.25)]
    assert polled[0] >= 1 and polled[1] > 0  # the simulator's AutoCAD pool, as lmstat said
    assert hours == [(2, pytest.approx(1.75 / 60))]


def import_logs(tmp_path: Path, database: str, *logs: Path, server: str = "arch"
                ) -> dict[str, str]:
    """`lmconsole import` of the server's logs: its summary."""
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "-m", "lmconsole", "import", *map(str, logs), "--server", server,
         "--server-tz", ZONE, "--database", database],
        capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    return {line[:12].strip(): line[13:] for line in result.stdout.splitlines()}


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_log_imported_and_collected_is_recorded_once_whichever_came_first(tmp_path, engine,
                                                                            request):
    log = tmp_path / "adskflex.log"
    log.write_text(LOG_HEADER + usage("OUT", "a0") + usage("DENIED", "d0", "10:00:01")
                   + usage("OUT", "a1", "10:00:02"))
    database = sqlite(tmp_path) if engine == "sqlite" else \
        request.getfixturevalue("postgres").new_database()
    # imported first, the log a collector then follows: what the import wrote is not
    # written again, and a1's seat, left open, is ended by the IN the collector reads
    assert import_logs(tmp_path, database, log)["events"] == "3 (3 new)"
    config = write_config(tmp_path, local_server(Remote(tmp_path), log=log))
    append(log, usage("IN", "a1", "10:00:03"))
    collector = Collector(tmp_path, config, database).start()
    rows = caught_up(database, tmp_path, {"events": 4, "sessions": 2, "denials": 1}, collector)
    time.sleep(2)  # followed on from where the import ended: nothing more written
    assert collector.stop() == 0
    assert logged_rows(history_rows(database, tmp_path)) == logged_rows(rows)
    assert rows["sources"] == 2
    # followed first: the log rotated while the collector ran, then imported with its
    # older sibling: only the lines no collector read are new
    collector.start()
    append(log, usage("OUT", "a2", "10:00:04"))
    caught_up(database, tmp_path, {"events": 5, "sessions": 3}, collector)
    log.rename(tmp_path / "adskflex.log.1")
    log.write_text(LOG_HEADER + usage("IN", "a2", "10:00:05"))
    caught_up(database, tmp_path, {"events": 6, "sessions": 3}, collector)
    assert collector.stop() == 0
    older = tmp_path / "adskflex.log.2"
    older.write_text("9:00:00 (lmgrd) TIMESTAMP 3/2/2026\n" + usage("OUT", "z0", "9:00:01"))
    summary = import_logs(tmp_path, database, older, tmp_path / "adskflex.log.1")
    assert summary["events"] == "6 (1 new)"
    assert {s["user"]: s["end_kind"] for s in listed(database, "sessions", tmp_path)} == {
        "a0": "still_open", "a1": "in", "a2": "in", "z0": "still_open"}
    assert history_rows(database, tmp_path)["events"] == 7
    assert sums_are_exact(database) == 2


def test_collect_goes_on_from_where_an_import_of_the_log_it_follows_ended(tmp_path):
    log = tmp_path / "adskflex.log"
    being_written = usage("OUT", "a1", "10:00:02")
    log.write_text(LOG_HEADER + usage("OUT", "a0") + usage("DENIED", "d0", "10:00:01")
                   + being_written[:-4])
    read_to = len(LOG_HEADER + usage("OUT", "a0") + usage("DENIED", "d0", "10:00:01"))
    database = sqlite(tmp_path)
    summary = import_logs(tmp_path, database, log)  # to its last complete line
    assert (summary["events"], summary["diagnostics"]) == ("2 (2 new)", "1")
    append(log, being_written[-4:], usage("IN", "a0", "10:00:03"))
    config = write_config(tmp_path, local_server(Remote(tmp_path), log=log))
    collector = Collector(tmp_path, config, database).start()
    caught_up(database, tmp_path, {"events": 4, "sessions": 2, "denials": 1}, collector)
    assert collector.stop() == 0
    assert f"following {log} on from byte {read_to:,}, where `lmconsole import` read it to" \
        in collector.said
    assert {s["user"]: (s["host"], s["end_kind"])
            for s in listed(database, "sessions", tmp_path)} == {
        "a0": ("ws1", "in"), "a1": ("ws1", "still_open")}
    # the file imported again (rotated): nothing new
    log.rename(tmp_path / "adskflex.log.1")
    assert import_logs(tmp_path, database, tmp_path / "adskflex.log.1")["events"] == \
        "4 (0 new)"
    assert history_rows(database, tmp_path)["events"] == 4
    assert sums_are_exact(database) == 1


def test_an_imported_log_whose_first_bytes_cannot_be_read_is_read_again_from_its_start(
        tmp_path):
    log = tmp_path / "adskflex.log"
    log.write_text(LOG_HEADER + usage("OUT", "a0") + usage("OUT", "a1", "10:00:01"))
    database = sqlite(tmp_path)
    assert import_logs(tmp_path, database, log)["events"] == "2 (2 new)"
    append(log, usage("IN", "a1", "10:00:02"))
    config = write_config(tmp_path, local_server(Remote(tmp_path), log=log))
    (tmp_path / "bin").mkdir()  # no `head` to be run: the file cannot be told imported
    collector = Collector(tmp_path, config, database, env={"PATH": str(tmp_path / "bin")})
    collector.start()
    rows = caught_up(database, tmp_path, {"events": 3, "sessions": 2}, collector)
    time.sleep(1.5)  # a session opened twice, or a line written twice, would be by now
    assert collector.stop() == 0
    assert ("from its start: its first bytes could not be read to tell whether "
            "`lmconsole import` read it") in collector.said
    assert logged_rows(history_rows(database, tmp_path)) == logged_rows(rows)
    assert rows["sources"] == 1
    assert {s["user"]: s["end_kind"] for s in listed(database, "sessions", tmp_path)} == {
        "a0": "still_open", "a1": "in"}


def test_a_retired_daemons_seats_are_not_held_on_by_the_logs_collect_follows(tmp_path):
    # imported: MLM's log, which ends at 11:00 with carol's seat out (the daemon retired),
    # and adskflex's, which goes on to 12:00; then collect follows adskflex's new log
    mlm, adskflex, live = (tmp_path / name for name in ("mlm.log", "adskflex.log", "live.log"))
    mlm.write_text(LOG_HEADER + usage("OUT", "carol", "10:30:00", "MLM", "MATLAB")
                   + usage("OUT", "dave", "10:40:00", "MLM", "MATLAB")
                   + usage("IN", "dave", "11:00:00", "MLM", "MATLAB"))
    adskflex.write_text(LOG_HEADER + usage("OUT", "a0", "11:00:00")
                        + usage("IN", "a0", "12:00:00"))
    database = sqlite(tmp_path)
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    imported = subprocess.run(
        [sys.executable, "-m", "lmconsole", "import", str(mlm), str(adskflex), "--server",
         "arch", "--server-tz", ZONE, "--database", database],
        capture_output=True, text=True, timeout=60, env=env)
    assert imported.returncode == 0, imported.stderr
    live.write_text(LOG_HEADER + usage("OUT", "a1", "13:00:00") + usage("IN", "a1", "14:00:00"))
    collector = Collector(tmp_path, write_config(tmp_path, local_server(Remote(tmp_path),
                                                                        log=live)),
                          database).start()
    caught_up(database, tmp_path, {"sessions": 4}, collector)
    time.sleep(2)  # a poll or two: the simulator's lmstat lists adskflex only
    assert collector.stop() == 0
    berlin = ZoneInfo(ZONE)
    with sqlite3.connect(tmp_path / "history.db") as db:
        seen = dict(db.execute("SELECT name, seen_until FROM vendor_daemons"))
    assert seen["MLM"] == datetime(2026, 3, 2, 11, tzinfo=berlin).timestamp()
    assert seen["adskflex"] >= datetime(2026, 3, 2, 14, tzinfo=berlin).timestamp()
    result = subprocess.run(
        [sys.executable, "-m", "lmconsole", "report", "users", "--feature", "MATLAB", "--from",
         "2026-03-01", "--to", "2026-03-04", "--format", "json", "--database", database],
        capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    hours = {row["user"]: row["hours"] for row in json.loads(result.stdout)["rows"]}
    assert hours == {"carol": 0.5, "dave": pytest.approx(1 / 3, abs=0.01)}


def test_without_a_debug_log_the_polls_make_the_sessions(tmp_path):

    remote = Remote(tmp_path)
    server = local_server(remote).replace(f'debug_log = "{remote.debug_log}"\n', "")
    database = sqlite(tmp_path)
    collector = Collector(tmp_path, write_config(tmp_path, server), database)

    def listed_now() -> tuple[set, int]:
        """The checkouts lmstat lists now (user, feature), and its idle reservations."""
        status = status_of(remote)
        seats = {(c.user, f.name) for f in status.features for c in f.checkouts}
        reservations = sum(r.kind != "BORROWED" for f in status.features
                           for r in f.reservations)
        return seats, reservations

    def still_open() -> tuple[set, int]:
        sessions = [s for s in listed(database, "sessions", tmp_path)
                    if s["end_kind"] == "still_open"]
        return ({(s["user"], s["feature"]) for s in sessions if not s["reserved"]},
                sum(s["reserved"] for s in sessions))

    def until_matches(what) -> None:
        deadline = time.monotonic() + WAIT_S
        while still_open() != what:
            assert time.monotonic() < deadline and collector.process.poll() is None, \
                collector.said
            time.sleep(0.5)

    collector.start()
    first = listed_now()
    assert first[0]  # the scenario's morning: seats are held
    until_matches(first)
    remote.advance(3 * 3600)  # some go home, others come
    later = listed_now()
    assert later[0] != first[0]
    until_matches(later)
    assert collector.stop() == 0
    ended = [s for s in listed(database, "sessions", tmp_path) if s["end_kind"] == "seen_by_poll"]
    assert {(s["user"], s["feature"]) for s in ended if not s["reserved"]} >= \
        first[0] - later[0]
    collector.start()  # started again: what is still open is carried on, not opened twice
    time.sleep(3)
    assert collector.stop() == 0
    assert still_open() == later
    keys = [s for s in listed(database, "sessions", tmp_path)]
    assert len(keys) == len({(s["user"], s["feature"], s["start"]) for s in keys})
    assert sums_are_exact(database) >= len(first[0] - later[0])  # the seats given back


def test_the_polls_end_a_session_whose_in_the_log_lost(tmp_path):
    remote = Remote(tmp_path)
    log = tmp_path / "adskflex.log"
    log.write_text("7:00:00 (lmgrd) TIMESTAMP 3/2/2026\n")
    # cwolf holds the seat the simulator's lmstat lists (since 7:44); a0's IN never came
    append(log, '7:44:00 (adskflex) OUT: "AutoCAD" cwolf@ARCH-PC03\n',
           usage("OUT", "a0", "9:00:00"))
    database = sqlite(tmp_path)
    collector = Collector(tmp_path, write_config(tmp_path, local_server(remote, log=log)),
                          database).start()
    caught_up(database, tmp_path, {"sessions": 2}, collector)

    def ends() -> dict[str, tuple[str, str | None]]:
        return {s["user"]: (s["end_kind"], s["end"])
                for s in listed(database, "sessions", tmp_path)}

    for _ in range(MISSES):  # the simulator's clock a minute on each time: polls that count
        time.sleep(2.5)
        remote.advance(60)
    deadline = time.monotonic() + WAIT_S
    while ends()["a0"][0] != "seen_by_poll" and time.monotonic() < deadline:
        assert collector.process.poll() is None, collector.said
        time.sleep(0.5)
    assert collector.stop() == 0
    assert ("cwolf", "AutoCAD") in {(c.user, f.name) for f in status_of(remote).features
                                    for c in f.checkouts}
    assert ends() == {"a0": ("seen_by_poll", "2026-03-02T08:30:00+00:00"),  # 9:30 in Berlin
                      "cwolf": ("still_open", None)}
    assert sums_are_exact(database) == 1  # a0's


def test_collect_copies_the_audit_log_into_the_history_as_it_grows(tmp_path):
    from lmconsole.audit import AuditLog

    remote = Remote(tmp_path)
    audit = AuditLog(tmp_path / "audit.log", user=lambda: "root")
    audit.record(server="arch", command=["lmutil", "lmreread"], outcome="ok", action="reread")
    config = tmp_path / "config.toml"
    config.write_text(f'audit_log = "{audit.path}"\n' + KEEP_ALL + local_server(remote))
    database = sqlite(tmp_path)
    collector = Collector(tmp_path, config, database).start()

    def audited(count: int) -> None:
        deadline = time.monotonic() + WAIT_S
        while history_rows(database, tmp_path)["audit"] != count:
            assert time.monotonic() < deadline and collector.process.poll() is None, \
                collector.said
            time.sleep(0.3)

    audited(1)
    audit.record(server="arch", command=["lmutil", "lmdown"], outcome="refused",
                 action="restart")
    audited(2)
    assert collector.stop() == 0
    assert [r["outcome"] for r in listed(database, "audit", tmp_path)] == ["ok", "refused"]
