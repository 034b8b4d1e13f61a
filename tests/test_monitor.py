"""The monitor with real subprocesses (a scripted lmutil) and the in-process simulator."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.transports.local import LocalTransport
from lmconsole.model import Status
from lmconsole.monitor import (
    PARSE_IN_THREAD_FROM,
    VANISHED_GRACE_S,
    CallbackListener,
    Listener,
    Monitor,
    ServerMonitor,
)
from lmconsole.transport import LogPosition

from .corpus import LMSTAT

SAMPLE = LMSTAT / "exporter_app2_three_server_triad.txt"


@dataclass(frozen=True)
class Server:
    name: str
    lmutil: str
    license: str | None = "28000@host1"
    debug_log: str | None = None
    poll_interval_s: float = 0.05
    tz = UTC


def scripted_lmutil(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "lmutil"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return script


def run_monitor(monitor: ServerMonitor, seconds: float) -> None:
    async def main():
        group = Monitor([monitor])
        group.start()
        await asyncio.sleep(seconds)
        await group.stop()

    asyncio.run(main())


def test_a_poll_publishes_the_parsed_status(tmp_path):
    lmutil = scripted_lmutil(tmp_path, f"cat '{SAMPLE}'\n")
    states = []
    monitor = ServerMonitor(Server("app2", str(lmutil)), ADAPTERS["flexlm"], LocalTransport(),
                            CallbackListener(on_state=states.append))
    assert asyncio.run(monitor.poll_once())
    (state,) = states
    assert state.name == "app2" and not state.stale and state.error is None
    assert state.status.status is Status.UP
    assert [h.host for h in state.status.hosts] == ["host1", "host2", "host3"]
    assert len(state.status.features) == 10


def test_a_server_that_stops_answering_keeps_its_last_status_marked_stale(tmp_path):
    flag = tmp_path / "up"
    flag.touch()
    lmutil = scripted_lmutil(tmp_path, f"[ -e '{flag}' ] || exit 241\ncat '{SAMPLE}'\n")
    states = []
    monitor = ServerMonitor(Server("app2", str(lmutil)), ADAPTERS["flexlm"], LocalTransport(),
                            CallbackListener(on_state=states.append))

    async def scenario():
        assert await monitor.poll_once()
        flag.unlink()
        assert not await monitor.poll_once()
        flag.touch()
        assert await monitor.poll_once()

    asyncio.run(scenario())
    good, stale, again = states
    assert stale.stale and stale.status is good.status and stale.polled_at == good.polled_at
    assert "exited 241" in stale.error
    assert not again.stale and again.error is None and again.polled_at > good.polled_at


def test_polls_never_overlap(tmp_path):
    trace = tmp_path / "trace"
    lmutil = scripted_lmutil(
        tmp_path, f"echo start >> '{trace}'\nsleep 0.2\ncat '{SAMPLE}'\necho end >> '{trace}'\n")
    monitor = ServerMonitor(Server("app2", str(lmutil), poll_interval_s=0.0),
                            ADAPTERS["flexlm"], LocalTransport(), CallbackListener())
    run_monitor(monitor, 1.0)
    marks = trace.read_text().split()
    assert len(marks) >= 6
    complete = marks[: len(marks) // 2 * 2]
    assert complete == ["start", "end"] * (len(complete) // 2)


def test_refresh_polls_at_once(tmp_path):
    calls = tmp_path / "calls"
    lmutil = scripted_lmutil(tmp_path, f"echo x >> '{calls}'\ncat '{SAMPLE}'\n")
    monitor = ServerMonitor(Server("app2", str(lmutil), poll_interval_s=3600),
                            ADAPTERS["flexlm"], LocalTransport(), CallbackListener())

    async def scenario():
        group = Monitor([monitor])
        group.start()
        await asyncio.sleep(0.3)
        group.refresh("app2")
        await asyncio.sleep(0.3)
        await group.stop()

    asyncio.run(scenario())
    assert calls.read_text().split() == ["x", "x"]


def test_failed_polls_back_off_but_never_beyond_the_interval(tmp_path):
    calls = tmp_path / "calls"
    lmutil = scripted_lmutil(tmp_path, f"echo x >> '{calls}'\nexit 241\n")
    monitor = ServerMonitor(Server("gone", str(lmutil), poll_interval_s=0.4),
                            ADAPTERS["flexlm"], LocalTransport(), CallbackListener())
    run_monitor(monitor, 1.5)
    # 1 s, then 2 s capped at 0.4 s: attempts at about 0, 0.4, 0.8, 1.2 s.
    assert 3 <= len(calls.read_text().split()) <= 5


def test_now_is_injectable_for_a_frozen_clock(tmp_path):
    lmutil = scripted_lmutil(tmp_path, f"cat '{SAMPLE}'\n")
    frozen = datetime(2017, 10, 20, 15, 2, tzinfo=UTC)
    states = []
    monitor = ServerMonitor(Server("app2", str(lmutil)), ADAPTERS["flexlm"], LocalTransport(),
                            CallbackListener(on_state=states.append), now=lambda: frozen)
    asyncio.run(monitor.poll_once())
    assert states[0].polled_at == frozen
    assert states[0].age_s(frozen) == 0


class Unreachable(LocalTransport):
    """A connection-based transport (it has connect) whose server does not answer."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[float | None] = []
        self.commands = 0

    async def connect(self, timeout: float | None = None) -> None:
        from lmconsole.transport import TransportError

        self.timeouts.append(timeout)
        raise TransportError("lic1: cannot connect: Connection refused")

    async def run(self, argv, *, timeout):
        self.commands += 1
        return await super().run(argv, timeout=timeout)


def test_a_connection_is_made_within_the_connect_timeout_before_the_command_runs(tmp_path):
    transport = Unreachable()
    states = []
    monitor = ServerMonitor(Server("app2", "lmutil"), ADAPTERS["flexlm"], transport,
                            CallbackListener(on_state=states.append), connect_timeout_s=3.0)
    assert not asyncio.run(monitor.poll_once())
    assert transport.timeouts == [3.0] and transport.commands == 0
    assert states[-1].error == "lic1: cannot connect: Connection refused"


def test_an_old_flexlm_denial_held_for_its_reason_line_arrives_when_the_log_goes_quiet(
        tmp_path):
    # An old FLEXlm logs the reason of an unquoted DENIED on the line after it; the reader
    # waits for that line, and the monitor lets go of the event once the log is quiet.
    log = tmp_path / "telelogic.log"
    log.write_text("14:46:30 (telelogic) Server started on flexhost\n")
    events, notes = [], []
    monitor = ServerMonitor(Server("old", "/bin/false", poll_interval_s=3600,
                                   debug_log=str(log)),
                            ADAPTERS["flexlm"], LocalTransport(),
                            CallbackListener(on_event=events.append,
                                             on_log_diagnostic=notes.append))

    async def main():
        group = Monitor([monitor])
        group.start()
        try:
            await asyncio.sleep(0.3)
            with log.open("a") as file:
                file.write("14:46:39 (telelogic) DENIED: DOORS indkach@indkach  [telelogic] \n"
                           "\t(Licensed number of users already reached. (-4,342:10054 ))\n"
                           "14:47:02 (telelogic) DENIED: DOORS jdoe@ws7  [telelogic] \n"
                           '14:47:05 (lmgrd) MULTIPLE "telelogic" license server systems '
                           "running\n")
            for _ in range(100):  # the second DENIED has no reason line after it
                if len(events) == 2:
                    break
                await asyncio.sleep(0.05)
        finally:
            await group.stop()

    asyncio.run(main())
    assert [(e.kind.value, e.user, e.code) for e in events] == [
        ("DENIED", "indkach", "-4,342:10054"), ("DENIED", "jdoe", None)]
    # and what the reader warns of reaches the listener (the console shows it under `!`)
    assert [(d.server, d.message.split(",")[0]) for d in notes] == [
        ("old", "a second telelogic is serving (another lmgrd")]


REFUSED = LMSTAT / "license_manager_error_getting_status_connection_refused.txt"


def test_a_server_that_answers_with_an_error_keeps_its_last_data_stale_and_says_why(tmp_path):
    flag = tmp_path / "up"
    flag.touch()
    lmutil = scripted_lmutil(tmp_path, f"[ -e '{flag}' ] && exec cat '{SAMPLE}'\n"
                                       f"cat '{REFUSED}'; exit 1\n")
    states = []
    monitor = ServerMonitor(Server("app2", str(lmutil)), ADAPTERS["flexlm"], LocalTransport(),
                            CallbackListener(on_state=states.append))

    async def scenario():
        assert await monitor.poll_once()
        flag.unlink()
        assert not await monitor.poll_once()

    asyncio.run(scenario())
    good, down = states
    assert down.stale and down.status is good.status  # not 0/0
    assert down.error == 'Cannot connect to license server (-15,570:111 "Connection refused")'


def test_a_server_in_error_from_the_first_poll_says_why(tmp_path):
    lmutil = scripted_lmutil(tmp_path, f"cat '{REFUSED}'; exit 1\n")
    states = []
    monitor = ServerMonitor(Server("app2", str(lmutil)), ADAPTERS["flexlm"], LocalTransport(),
                            CallbackListener(on_state=states.append))
    assert not asyncio.run(monitor.poll_once())
    (state,) = states
    assert state.status.status is Status.ERROR and not state.stale
    assert state.error.startswith("Cannot connect to license server (-15,570:111")


def test_a_server_that_prints_only_its_banner_is_in_error_and_says_so(tmp_path):
    # read, but naming no server: before, the poll failed on an empty list of servers
    lmutil = scripted_lmutil(tmp_path, "echo 'lmutil - Copyright (c) 1989-2024 Flexera.'\n"
                                       "echo 'Flexible License Manager status on Wed 11/20/2024 "
                                       "10:00'\n")
    states = []
    monitor = ServerMonitor(Server("app2", str(lmutil)), ADAPTERS["flexlm"], LocalTransport(),
                            CallbackListener(on_state=states.append))
    assert not asyncio.run(monitor.poll_once())
    (state,) = states
    assert state.error == (f"{lmutil} lmstat -a -c 28000@host1 exited 0: this lmstat output "
                           "holds only its banner: no licence server, vendor daemon or feature")

def test_a_failed_poll_says_when_it_is_tried_again(tmp_path):
    lmutil = scripted_lmutil(tmp_path, "exit 241\n")
    states = []
    monitor = ServerMonitor(Server("gone", str(lmutil), poll_interval_s=30),
                            ADAPTERS["flexlm"], LocalTransport(),
                            CallbackListener(on_state=states.append))

    async def main():
        task = asyncio.create_task(monitor.poll_loop())
        while not any(s.retry_at for s in states):
            await asyncio.sleep(0.01)
        started = time.monotonic()
        task.cancel()
        return started

    started = asyncio.run(main())
    retry_at = next(s.retry_at for s in states if s.retry_at)
    assert 1.5 < retry_at - started <= 2.0  # the first retry: 2 s after the failure


def follow_monitor(log: Path, gaps: list, failures: list, events: list) -> ServerMonitor:
    return ServerMonitor(Server("office", "/bin/false", poll_interval_s=3600, debug_log=str(log)),
                         ADAPTERS["flexlm"], LocalTransport(),
                         CallbackListener(on_event=events.append, on_log_gap=gaps.append,
                                          on_follow_failed=lambda s, e: failures.append(e)))


def denial(user: str) -> str:
    return f'10:00:00 (adskflex) DENIED: "AutoCAD" {user}@ws1  (Licensed number of users ' \
           f"already reached. (-4,342))\n"


async def until(condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        await asyncio.sleep(0.02)


def test_a_missing_debug_log_is_reported_at_once_and_read_whole_when_it_appears(tmp_path):
    log = tmp_path / "debug.log"
    gaps, failures, events = [], [], []
    monitor = follow_monitor(log, gaps, failures, events)

    async def main():
        task = asyncio.create_task(monitor.follow_loop(str(log)))
        try:
            await until(lambda: failures, "report of the missing log", 2)
            log.write_text(denial("ann"))  # before the follow retries: read all the same
            monitor.refresh()
            await until(lambda: events, "denial")
        finally:
            task.cancel()

    asyncio.run(main())
    assert "debug.log: No such file or directory" in failures[0]
    assert [e.user for e in events] == ["ann"] and gaps == []


def test_a_log_gone_for_longer_than_a_rotation_takes_is_said_until_it_is_back(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("")
    gaps, failures, events = [], [], []
    monitor = follow_monitor(log, gaps, failures, events)
    started = []
    monitor.listener.on_follow_started = started.append

    async def main():
        task = asyncio.create_task(monitor.follow_loop(str(log)))
        try:
            await asyncio.sleep(0.3)
            log.rename(tmp_path / "debug.log.1")
            await asyncio.sleep(0.5)  # well within VANISHED_GRACE_S
            log.write_text(denial("ann"))
            await until(lambda: events, "the rotated log's denial")
            log.unlink()
            await until(lambda: failures, "word that the log is gone", VANISHED_GRACE_S + 2)
            assert not started
            log.write_text(denial("bob"))
            await until(lambda: started, "the log read again")
            await until(lambda: len(events) == 2, "the new log's denial")
        finally:
            task.cancel()

    asyncio.run(main())
    assert failures == [f"{log}: gone (deleted or moved away); waiting for it to appear again"]
    assert [e.user for e in events] == ["ann", "bob"] and gaps == []


class FlakyFollow(LocalTransport):
    """A local transport whose follows fail after `lines` lines (a dropped link)."""

    def __init__(self, lines: int) -> None:
        super().__init__()
        self.lines = lines
        self.starts: list = []

    async def follow(self, path, start=None):
        from lmconsole.transport import LogLine, TransportError

        self.starts.append(start)
        count = 0
        async for item in super().follow(path, start):
            yield item
            count += isinstance(item, LogLine)
            if count == self.lines:
                raise TransportError("link lost")


def test_a_follow_that_fails_goes_on_from_where_it_stopped_or_reports_the_gap(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("")
    gaps, failures, events, started = [], [], [], []
    transport = FlakyFollow(lines=2)
    monitor = ServerMonitor(
        Server("office", "/bin/false", poll_interval_s=3600, debug_log=str(log)),
        ADAPTERS["flexlm"], transport,
        CallbackListener(on_event=events.append, on_log_gap=gaps.append,
                         on_follow_started=started.append,
                         on_follow_failed=lambda s, e: failures.append(e)))

    async def main():
        task = asyncio.create_task(monitor.follow_loop(str(log)))
        try:
            await until(lambda: transport.starts, "follow")
            await asyncio.sleep(0.2)
            with log.open("a") as file:
                file.write(denial("ann") + denial("bob") + denial("cid"))
            await until(lambda: len(failures) == 1, "failure")
            with log.open("a") as file:  # written while the follow waits to start again
                file.write(denial("dan"))
            monitor.refresh()
            await until(lambda: len(events) == 4, "four denials")
            # rotated away while the follow waits again: the gap is reported
            await until(lambda: len(failures) == 2, "second failure")
            (tmp_path / "archive").mkdir()
            log.rename(tmp_path / "archive" / "debug.log")  # not beside the log any more
            log.write_text(denial("eve"))
            monitor.refresh()
            await until(lambda: gaps, "gap")
            await until(lambda: len(events) == 5, "five denials")
        finally:
            task.cancel()

    asyncio.run(main())
    assert [e.user for e in events] == ["ann", "bob", "cid", "dan", "eve"]
    assert started == ["office", "office"]
    (gap,) = gaps
    assert gap.server == "office" and gap.since <= gap.until
    assert gap.reason in ("the log was rotated and its old file is gone", "the log was truncated")


@dataclass(frozen=True)
class ServerWithLogs(Server):
    debug_logs: tuple[str, ...] = ()


class Heard(Listener):
    """What the monitor told, by log."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []  # (log, user)
        self.read: dict[str, LogPosition] = {}
        self.failures: list[str] = []
        self.started: list[str] = []
        self.gaps: list = []

    def log_event(self, event, where, log) -> None:
        self.events.append((log, event.user))

    def log_read(self, server, position, log) -> None:
        self.read[log] = position

    def follow_failed(self, server, error) -> None:
        self.failures.append(error)

    def follow_started(self, server) -> None:
        self.started.append(server)

    def log_gap(self, gap) -> None:
        self.gaps.append(gap)


def logs_monitor(logs: list[Path], transport=None) -> tuple[ServerMonitor, Heard]:
    heard = Heard()
    server = ServerWithLogs("studio", "/bin/false", poll_interval_s=3600,
                            debug_logs=tuple(map(str, logs)))
    return ServerMonitor(server, ADAPTERS["flexlm"], transport or LocalTransport(), heard), heard


def following(monitor: ServerMonitor, scenario) -> None:
    async def main():
        tasks = [asyncio.create_task(monitor.follow_loop(path)) for path in monitor.logs]
        try:
            await scenario()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


def test_every_log_of_a_server_is_followed_and_each_event_names_its_log(tmp_path):
    logs = [tmp_path / "adskflex.log", tmp_path / "ugslmd.log"]
    for log in logs:
        log.write_text(denial("before"))  # followed from their end: not read
    monitor, heard = logs_monitor(logs)
    assert list(monitor.logs) == [str(log) for log in logs]

    async def scenario():
        await until(lambda: len(heard.read) == 2, "both follows started")
        with logs[0].open("a") as file:
            file.write(denial("ann"))
        with logs[1].open("a") as file:
            file.write(denial("bob") + denial("cid"))
        await until(lambda: len(heard.events) == 3, "three denials", timeout=5)

    following(monitor, scenario)
    assert sorted(heard.events) == [(str(logs[0]), "ann"), (str(logs[1]), "bob"),
                                    (str(logs[1]), "cid")]
    assert {log: position.offset for log, position in heard.read.items()} == {
        str(logs[0]): logs[0].stat().st_size, str(logs[1]): logs[1].stat().st_size}
    assert heard.failures == [] and heard.gaps == []


def test_a_log_that_cannot_be_read_is_named_and_the_others_are_read_meanwhile(tmp_path):
    logs = [tmp_path / "adskflex.log", tmp_path / "ugslmd.log", tmp_path / "mathlm.log"]
    logs[0].write_text("")
    monitor, heard = logs_monitor(logs)

    async def scenario():
        await until(lambda: len(heard.failures) == 2, "both missing logs said", 3)
        with logs[0].open("a") as file:
            file.write(denial("ann"))
        await until(lambda: heard.events, "the readable log's denial")
        logs[1].write_text(denial("bob"))  # appears: read whole
        monitor.refresh()
        await until(lambda: len(heard.events) == 2, "the second log's denial")
        assert heard.started == []  # the third is still missing
        logs[2].write_text(denial("cid"))
        monitor.refresh()
        await until(lambda: len(heard.events) == 3, "the third log's denial")
        await until(lambda: heard.started, "every log read")

    following(monitor, scenario)
    first, both = heard.failures[:2]
    assert str(logs[1]) in first or str(logs[2]) in first
    assert f"{logs[1]}: No such file or directory" in both
    assert f"{logs[2]}: No such file or directory" in both
    assert str(logs[0]) not in both
    # the second log read again: the failure left is the third's alone
    assert f"{logs[2]}: No such file" in heard.failures[-1]
    assert str(logs[1]) not in heard.failures[-1]
    assert heard.started == ["studio"]
    assert heard.events == [(str(log), user) for log, user in
                            zip(logs, ["ann", "bob", "cid"], strict=True)]


class FlakyFollowOf(FlakyFollow):
    """Follows of `path` fail after `lines` lines; the others' never."""

    def __init__(self, path: Path, lines: int) -> None:
        super().__init__(lines)
        self.path = str(path)

    async def follow(self, path, start=None):
        follow = super().follow(path, start) if path == self.path \
            else LocalTransport.follow(self, path, start)
        async for item in follow:
            yield item


def test_a_log_rotated_away_while_its_follow_waits_is_a_gap_naming_it(tmp_path):
    logs = [tmp_path / "adskflex.log", tmp_path / "ugslmd.log"]
    for log in logs:
        log.write_text("")
    monitor, heard = logs_monitor(logs, FlakyFollowOf(logs[1], lines=1))

    async def scenario():
        await until(lambda: len(heard.read) == 2, "both follows started")
        with logs[1].open("a") as file:
            file.write(denial("ann"))
        await until(lambda: heard.failures, "the second log's follow failed")
        (tmp_path / "archive").mkdir()
        logs[1].rename(tmp_path / "archive" / "ugslmd.log")
        logs[1].write_text(denial("bob"))
        with logs[0].open("a") as file:
            file.write(denial("cid"))
        monitor.refresh()
        await until(lambda: heard.gaps, "the gap")
        await until(lambda: len(heard.events) == 3, "three denials")

    following(monitor, scenario)
    (gap,) = heard.gaps
    assert gap.reason.startswith(f"{logs[1]}: ")
    assert sorted(heard.events) == [(str(logs[0]), "cid"), (str(logs[1]), "ann"),
                                    (str(logs[1]), "bob")]


class ThreadNoted:
    """The FlexLM adapter, noting the thread each status is parsed in."""

    def __init__(self) -> None:
        self.adapter = ADAPTERS["flexlm"]
        self.threads: list[int] = []

    def __getattr__(self, name):
        return getattr(self.adapter, name)

    def parse_status(self, text, **kwargs):
        self.threads.append(threading.get_ident())
        return self.adapter.parse_status(text, **kwargs)


def big_status(seats: int) -> str:
    """The triad sample with a feature of `seats` seats added to its first server."""
    lines = [f"    user{n} ws{n} ws{n} (v2025.0) (host1/28000 {1000 + n}), "
             f"start Mon 3/2 9:{n % 60:02d}" for n in range(seats)]
    block = (f"Users of BIG:  (Total of {seats} licenses issued;  Total of {seats} licenses "
             f"in use)\n\n  \"BIG\" v2025.0, vendor: ansyslmd, expiry: permanent\n  floating "
             "license\n\n" + "\n".join(lines) + "\n\n")
    text = SAMPLE.read_text()
    at = text.index("Users of ")
    return text[:at] + block + text[at:]


def test_a_long_status_is_parsed_off_the_event_loop_a_short_one_on_it(tmp_path):
    """A big site's 100-200 ms of parsing would hold up the screen: done in a thread."""
    big = tmp_path / "big.txt"
    big.write_text(big_status(5000))
    assert big.stat().st_size >= PARSE_IN_THREAD_FROM
    adapter = ThreadNoted()
    states = []
    for sample in (SAMPLE, big):
        lmutil = scripted_lmutil(tmp_path, f"cat '{sample}'\n")
        monitor = ServerMonitor(Server("app2", str(lmutil)), adapter, LocalTransport(),
                                CallbackListener(on_state=states.append))
        assert asyncio.run(monitor.poll_once())
    loop_thread = threading.get_ident()  # asyncio.run runs the loop in this thread
    assert adapter.threads[0] == loop_thread != adapter.threads[1]
    [feature] = [f for f in states[1].status.features if f.name == "BIG"]
    assert len(feature.checkouts) == 5000 and feature.checkouts[-1].user == "user4999"
