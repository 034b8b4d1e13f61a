"""Live monitoring: per server, poll the status on an interval and follow its debug logs.

Polls never overlap: the next one is scheduled when the current one finishes. A server that
stops answering, or answers with an error (lmgrd down: lmstat's -15), keeps its last good
status, marked stale with the time of that status and why; it is retried with a growing delay
(capped at the poll interval), and `refresh` tries again at once. The debug log is followed
at the same time, so an OUT/IN/DENIED event reaches the listener within a second of being
written, not at the next poll. The follow remembers where it stopped: made again after a
dropped link, it goes on from there, and what it could not read (a log rotated away or
truncated meanwhile) is reported as a LogGap. A server whose daemons each write a log
(config `debug_logs`) has a follow for each, each with its own place, failures and gaps; the
listener hears which log a line came from, and that the server's logs are all read again
only once every one of them is. The monitor only calls its listener; the UI turns the calls
into messages. No Textual here.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from lmconsole.adapter import EventReader, LicenceManagerAdapter, status_failure
from lmconsole.license_details import LicenceDetails
from lmconsole.model import Diagnostic, Event, ServerStatus, Status
from lmconsole.transport import (
    BinaryInputError,
    LogLine,
    LogMissingError,
    LogPosition,
    LogVanished,
    Transport,
    TransportError,
)

FIRST_RETRY_S = 1.0
MAX_FOLLOW_RETRY_S = 30.0
KEEP_UP_LINES = 256  # lines of a follow between two calls of its listener's keep_up
LINE_STARTS_KEPT = 8  # an event comes at most one line after its own
LOG_HEADER_BYTES = 4096  # the head of a log followed from past its start (read_header)
# A status output this long is parsed in a worker thread: the 50,000 seats of a big site
# take 100-200 ms to read, which on the event loop would hold up the screen and the other
# servers' polls. Shorter ones (nearly all) are read at once: a thread costs more than they.
PARSE_IN_THREAD_FROM = 256 * 1024  # characters
# A log gone this long is said to be (a rotation renames it and makes a new one at once)
VANISHED_GRACE_S = 2.0
QUIET_S = 0.25  # a followed log this long without a line lets go of a held-back event


@dataclass(frozen=True, slots=True)
class ServerState:
    """What is known of one configured server: an immutable snapshot the UI can keep."""

    name: str
    status: ServerStatus | None  # the last good status, None before the first one
    polled_at: datetime | None  # when that status was taken
    diagnostics: tuple[Diagnostic, ...] = ()
    error: str | None = None  # why the latest poll failed, None when it succeeded
    stale: bool = False  # the latest poll failed: `status` is older than it looks
    retry_at: float | None = None  # after a failure: when the next try starts (monotonic)
    # when that status was taken by this machine's monotonic clock: its age in real
    # seconds, also where the server's clock is a simulated one that runs fast
    polled_monotonic: float | None = None

    def age_s(self, now: datetime, monotonic_now: float | None = None) -> float | None:
        """Seconds since the status was taken: real ones when both monotonic times are
        known, else by the server's clock (`now`)."""
        if self.polled_monotonic is not None and monotonic_now is not None:
            return monotonic_now - self.polled_monotonic
        return None if self.polled_at is None else (now - self.polled_at).total_seconds()


@dataclass(frozen=True, slots=True)
class LogGap:
    """A period whose debug-log lines were not read and never will be: their events (and
    denials) are missing from what the console shows."""

    server: str
    since: datetime  # when the follow stopped (server time)
    until: datetime  # when it read again
    reason: str  # on a server with several logs, it names the log


def followed_logs(server: Any) -> tuple[str, ...]:
    """The logs of a server to follow: its debug_logs, else its debug_log, else none. Any
    object with those attributes will do (a ServerConfig, the demo's servers)."""
    several = getattr(server, "debug_logs", None)
    if several:
        return tuple(several)
    one = getattr(server, "debug_log", None)
    return (one,) if one else ()


class Listener:
    """What the monitor reports to. Subclass (or pass callables to CallbackListener)."""

    def state_changed(self, state: ServerState) -> None: ...

    def event(self, event: Event) -> None: ...

    def log_event(self, event: Event, where: LogPosition | None, log: str) -> None:
        """An event of the followed log `log` (its path), with where its line starts (the
        file's identity and byte offset, as the transport counts them): the key the
        history keeps it by."""
        self.event(event)

    def log_read(self, server: str, position: LogPosition, log: str) -> None:
        """The follow of `log` has read up to `position` (after each line, and where it
        starts)."""

    async def keep_up(self) -> None:
        """Called every KEEP_UP_LINES lines of a follow: a listener that cannot keep up
        (a history writing to a database) makes the follow wait here."""

    def follow_failed(self, server: str, error: str) -> None:
        """A debug log of `server` cannot be read; `error` names every log that cannot."""

    def follow_started(self, server: str) -> None:
        """The server's debug logs are all read again (after follow_failed)."""

    def log_gap(self, gap: LogGap) -> None: ...

    def log_diagnostic(self, diagnostic: Diagnostic) -> None:
        """A debug-log line the reader did not understand, or a condition it warns of."""


@dataclass
class CallbackListener(Listener):
    on_state: Callable[[ServerState], None] = lambda state: None
    on_event: Callable[[Event], None] = lambda event: None
    on_follow_failed: Callable[[str, str], None] = lambda server, error: None
    on_follow_started: Callable[[str], None] = lambda server: None
    on_log_gap: Callable[[LogGap], None] = lambda gap: None
    on_log_diagnostic: Callable[[Diagnostic], None] = lambda diagnostic: None

    def state_changed(self, state: ServerState) -> None:
        self.on_state(state)

    def event(self, event: Event) -> None:
        self.on_event(event)

    def follow_failed(self, server: str, error: str) -> None:
        self.on_follow_failed(server, error)

    def follow_started(self, server: str) -> None:
        self.on_follow_started(server)

    def log_gap(self, gap: LogGap) -> None:
        self.on_log_gap(gap)

    def log_diagnostic(self, diagnostic: Diagnostic) -> None:
        self.on_log_diagnostic(diagnostic)


class Fanout(Listener):
    """Tells several listeners, in order (the console's screen and the history's recorder).
    A listener may be any object: the calls it has no method for pass it by."""

    def __init__(self, *listeners: object) -> None:
        self.listeners = listeners

    def _tell(self, call: str, *args: object) -> None:
        for listener in self.listeners:
            method = getattr(listener, call, None)
            if method is not None:
                method(*args)

    def state_changed(self, state: ServerState) -> None:
        self._tell("state_changed", state)

    def event(self, event: Event) -> None:
        self._tell("event", event)

    def log_event(self, event: Event, where: LogPosition | None, log: str) -> None:
        self._tell("log_event", event, where, log)

    def log_read(self, server: str, position: LogPosition, log: str) -> None:
        self._tell("log_read", server, position, log)

    async def keep_up(self) -> None:
        for listener in self.listeners:
            keep_up = getattr(listener, "keep_up", None)
            if keep_up is not None:
                await keep_up()

    def follow_failed(self, server: str, error: str) -> None:
        self._tell("follow_failed", server, error)

    def follow_started(self, server: str) -> None:
        self._tell("follow_started", server)

    def log_gap(self, gap: LogGap) -> None:
        self._tell("log_gap", gap)

    def log_diagnostic(self, diagnostic: Diagnostic) -> None:
        self._tell("log_diagnostic", diagnostic)


@dataclass
class FollowedLog:
    """Where the follow of one debug log stands."""

    path: str
    position: LogPosition | None = None  # how far it has been read
    # the date of the line at `position`, when known (a follow resumed from a history):
    # the date of the lines read on until the log names one
    date: date | None = None
    lost_from: datetime | None = None  # lines may be lost from then (a link dropped)
    error: str | None = None  # why it is not read now
    lines_fed: int = 0  # to the event reader, which numbers events by them
    line_starts: dict[int, LogPosition] = field(default_factory=dict)  # the last few lines
    vanished: asyncio.TimerHandle | None = None  # its file went: saying so, unless one comes


class ServerMonitor:
    """One server: a poll loop and a follow loop for each of its debug logs."""

    def __init__(self, config, adapter: LicenceManagerAdapter, transport: Transport,
                 listener: Listener, *, interval_s: float | None = None,
                 timeout_s: float = 60.0, connect_timeout_s: float | None = None,
                 now: Callable[[], datetime] | None = None) -> None:
        self.config = config
        self.adapter = adapter
        self.transport = transport
        self.listener = listener
        self.interval_s = interval_s if interval_s is not None else config.poll_interval_s
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s  # None: the transport's own
        self.now = now or (lambda: datetime.now(UTC))
        self.state = ServerState(config.name, None, None)
        self.licence = LicenceDetails(config, adapter, transport)
        self.poll_now = asyncio.Event()
        self.follow_now = asyncio.Event()
        self.logs = {path: FollowedLog(path) for path in followed_logs(config)}
        add_link_listener = getattr(transport, "add_link_listener", None)
        if add_link_listener is not None:  # a connection (SSH): its loss is told at once
            add_link_listener(self.link_lost)

    async def run(self) -> None:
        await asyncio.gather(self.poll_loop(), *(self.follow_loop(path) for path in self.logs))

    def refresh(self) -> None:
        """Poll at once (after an admin action, or asked), without waiting for the interval
        or a connection's backoff; a follow waiting to start again starts now."""
        reconnect = getattr(self.transport, "reconnect_now", None)
        if reconnect is not None:
            reconnect()
        self.poll_now.set()
        self.follow_now.set()

    # ---- polling ----------------------------------------------------------------------------

    async def poll_loop(self) -> None:
        failures = 0
        while True:
            self.poll_now.clear()
            ok = await self.poll_once()
            failures = 0 if ok else failures + 1
            delay = self.interval_s if ok else self.retry_delay(failures)
            if not ok:
                self.publish(replace(self.state, retry_at=time.monotonic() + delay))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.poll_now.wait(), delay)

    def retry_delay(self, failures: int) -> float:
        """After a failed poll: the backoff, but not before the transport will try to
        connect again (an SSH connection's own backoff)."""
        delay = min(self.interval_s, FIRST_RETRY_S * 2 ** failures)
        retry_in = getattr(self.transport, "retry_in", None)
        return max(delay, retry_in() if retry_in is not None else 0.0)

    async def poll_once(self) -> bool:
        """One poll; the listener hears the new state either way. True when it succeeded."""
        moment = self.now()
        argv = self.adapter.status_argv(self.config)
        connect = getattr(self.transport, "connect", None)  # connections (SSH) have one
        try:
            if connect is not None:
                # Not reconnecting inside run(), whose timeout is the command's (long): an
                # unreachable server is reported stale within the connect timeout.
                await connect(self.connect_timeout_s)
            result = await self.transport.run(argv, timeout=self.timeout_s)
        except (TransportError, BinaryInputError) as error:
            return self.failed(str(error))
        report = await self.parse(result.stdout, moment)
        failure = status_failure(report, argv, result.exit_code, result.stdout, result.stderr,
                                 getattr(self.adapter, "output_name", "lmstat"))
        if failure is not None:
            return self.failed(failure)
        status = await self.licence.fill(self.merged(report.servers))
        if status.status is Status.UP:
            self.publish(ServerState(self.config.name, status, moment, report.diagnostics,
                                     polled_monotonic=time.monotonic()))
            return True
        if self.state.status is not None and self.state.status.status is Status.UP:
            return self.failed(status_problem(status))  # keep the last good data, stale
        self.publish(ServerState(self.config.name, status, moment, report.diagnostics,
                                 error=status_problem(status), polled_monotonic=time.monotonic()))
        return False

    async def parse(self, text: str, moment: datetime):
        parse = functools.partial(self.adapter.parse_status, text, name=self.config.name,
                                  tz=self.config.tz, now=moment)
        return await asyncio.to_thread(parse) if len(text) >= PARSE_IN_THREAD_FROM else parse()

    def merged(self, servers: tuple[ServerStatus, ...]) -> ServerStatus:
        """One status per configured server, even when lmstat reported several sources."""
        if len(servers) == 1:
            return servers[0]
        first = servers[0]
        return first._replace(name=self.config.name,
                              hosts=tuple(h for s in servers for h in s.hosts),
                              vendors=tuple(v for s in servers for v in s.vendors),
                              features=tuple(f for s in servers for f in s.features))

    def link_lost(self, reason: str) -> None:
        """The connection dropped (a frozen link's keepalives unanswered): shown stale at
        once, and polled again, which reconnects."""
        for log in self.logs.values():
            log.lost_from = log.lost_from or self.now()
        self.failed(f"connection lost ({reason}); reconnecting")
        self.poll_now.set()

    def failed(self, error: str) -> bool:
        previous = self.state
        good = previous.status is not None and previous.status.status is Status.UP
        self.publish(replace(previous, error=error, stale=good))
        return False

    def publish(self, state: ServerState) -> None:
        self.state = state
        self.listener.state_changed(state)

    # ---- the debug log ----------------------------------------------------------------------

    async def follow_loop(self, path: str) -> None:
        """Follow the debug log at `path` for good: after a failure, again from where it
        stopped, with a growing delay (`refresh` cuts it short)."""
        log = self.logs.setdefault(path, FollowedLog(path))
        delay = FIRST_RETRY_S
        reader = self.adapter.event_reader(tz=self.config.tz, server=self.config.name,
                                           start_date=log.date)
        await self.read_header(reader, log)
        stopped_at: datetime | None = None  # when the last follow failed
        while True:
            flusher = QuietFlusher(reader, functools.partial(self.emit, log))
            told = len(reader.diagnostics)  # the diagnostics the listener has heard of
            try:
                async for item in self.transport.follow(path, log.position):
                    if isinstance(item, LogLine):
                        self.line_fed(log, item)
                        flusher.lines_fed += 1
                        self.emit(log, reader.feed(item.text))
                        self.listener.log_read(self.config.name, item.end, path)
                        if log.lines_fed % KEEP_UP_LINES == 0:
                            await self.listener.keep_up()
                        if len(reader.diagnostics) > told:
                            told = self.tell_diagnostics(reader, told)
                        continue
                    if isinstance(item, LogVanished):
                        self.vanished(log)
                        continue
                    self.stop_waiting(log)
                    log.position = item.at
                    self.listener.log_read(self.config.name, item.at, path)
                    if item.lost:
                        since = stopped_at or log.lost_from or self.now()
                        self.listener.log_gap(LogGap(self.config.name, since, self.now(),
                                                     self.about(log, item.lost)))
                    if log.error is not None:
                        self.read_again(log)
                    delay, stopped_at, log.lost_from = FIRST_RETRY_S, None, None
            except (TransportError, OSError) as error:
                if stopped_at is None:
                    stopped_at = self.now()
                if isinstance(error, LogMissingError) and log.position is None:
                    log.position = LogPosition(None, 0)  # when it appears: all of it
                self.not_read(log, f"{path}: {error}")
            finally:
                self.stop_waiting(log)
                flusher.stop()
                self.emit(log, reader.flush())
            self.follow_now.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.follow_now.wait(), delay)
            delay = min(MAX_FOLLOW_RETRY_S, delay * 2)

    async def read_header(self, reader: EventReader, log: FollowedLog) -> None:
        """A log followed from past its start: its first lines, to a reader that learns from
        them what its records do not repeat (`read_header`: RLM's report log names its ISV
        only there). Left unread when they cannot be had: the reader's default stands."""
        read_header = getattr(reader, "read_header", None)
        if read_header is None or (log.position is not None and log.position.offset == 0):
            return
        text = await self._head(log.path, LOG_HEADER_BYTES)
        if text is not None:
            read_header(text.splitlines())

    async def log_head(self, path: str, size: int) -> list[bytes]:
        """The first `size` bytes of the log at `path` as they may be on disk: the command's
        output comes as text, so one for each encoding it may have been read in (one for
        ASCII); none when they cannot be had."""
        connect = getattr(self.transport, "connect", None)
        try:
            if connect is not None:  # an unreachable server: given up within its timeout
                await connect(self.connect_timeout_s)
        except (TransportError, OSError):
            return []
        text = await self._head(path, size)
        if text is None:
            return []
        heads = []
        for encoding in ("utf-8", "latin-1"):
            with contextlib.suppress(UnicodeEncodeError):
                heads.append(text.encode(encoding))
        return list(dict.fromkeys(heads))

    async def _head(self, path: str, size: int) -> str | None:
        """The first `size` bytes of the file at `path`, as text; None if not to be had."""
        try:
            result = await self.transport.run(["head", "-c", str(size), path],
                                              timeout=self.timeout_s)
        except (TransportError, BinaryInputError, OSError):
            return None
        return result.stdout if result.exit_code == 0 else None

    def vanished(self, log: FollowedLog) -> None:
        """The log's file went while followed: said unless a new one appears within
        VANISHED_GRACE_S; read again (read_again) when one does."""
        if log.vanished is None:
            log.vanished = asyncio.get_running_loop().call_later(
                VANISHED_GRACE_S, self.not_read, log,
                f"{log.path}: gone (deleted or moved away); waiting for it to appear again")

    def stop_waiting(self, log: FollowedLog) -> None:
        if log.vanished is not None:
            log.vanished.cancel()
            log.vanished = None

    def about(self, log: FollowedLog, text: str) -> str:
        """`text` naming its log where the server has several."""
        return f"{log.path}: {text}" if len(self.logs) > 1 else text

    def not_read(self, log: FollowedLog, error: str) -> None:
        log.error = error
        self.listener.follow_failed(self.config.name, self.follow_errors())

    def read_again(self, log: FollowedLog) -> None:
        """`log` is read again: the server's logs are all read, or the others still fail."""
        log.error = None
        errors = self.follow_errors()
        if errors:
            self.listener.follow_failed(self.config.name, errors)
        else:
            self.listener.follow_started(self.config.name)

    def follow_errors(self) -> str:
        """Why the logs not read now are not (each error names its log)."""
        return "; ".join(log.error for log in self.logs.values() if log.error is not None)

    def tell_diagnostics(self, reader: EventReader, told: int) -> int:
        for diagnostic in reader.diagnostics[told:]:
            self.listener.log_diagnostic(diagnostic)
        return len(reader.diagnostics)

    def line_fed(self, log: FollowedLog, line: LogLine) -> None:
        """Note where `line` starts before the reader reads it: the position after the line
        before, or counted back from its end where the file changed between them."""
        before, end = log.position, line.end
        if before is None or before.file_id != end.file_id or before.offset > end.offset:
            before = LogPosition(end.file_id, max(0, end.offset - len(line.text.encode()) - 1))
        log.lines_fed += 1
        log.line_starts[log.lines_fed] = before
        log.line_starts.pop(log.lines_fed - LINE_STARTS_KEPT, None)
        log.position = end

    def emit(self, log: FollowedLog, event: Event | None) -> None:
        if event is not None:
            self.listener.log_event(event, log.line_starts.get(event.line), log.path)


def status_problem(status: ServerStatus) -> str:
    """Why a status that lmstat printed is not up, in its own words."""
    text = status.error or next((h.error for h in status.hosts if h.error), None) \
        or next((v.error for v in status.vendors if v.error), None)
    if text is None:
        return f"the licence server is {status.status.value}"
    return f"{text} ({status.error_code})" if status.error_code and status.error_code \
        not in text else text


class QuietFlusher:
    """Lets go of an event the reader holds back for a continuation line (an old FLEXlm
    DENIED whose reason may follow) once the log has been quiet for QUIET_S. A task of its
    own, so that following a busy log costs nothing more per line."""

    def __init__(self, reader: EventReader, emit: Callable[[Event | None], None]) -> None:
        self.reader, self.emit = reader, emit
        self.lines_fed = 0
        self.task = asyncio.create_task(self.run())

    async def run(self) -> None:
        while True:
            await asyncio.sleep(QUIET_S)
            if self.lines_fed == 0:
                self.emit(self.reader.flush())
            self.lines_fed = 0

    def stop(self) -> None:
        self.task.cancel()


class Monitor:
    """All configured servers, each in its own task."""

    def __init__(self, monitors: list[ServerMonitor]) -> None:
        self.monitors = {monitor.config.name: monitor for monitor in monitors}
        self.tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self.tasks = [asyncio.create_task(m.run(), name=f"monitor:{name}")
                      for name, m in self.monitors.items()]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []

    def refresh(self, name: str) -> None:
        self.monitors[name].refresh()
