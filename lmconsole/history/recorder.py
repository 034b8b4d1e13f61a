"""Live recording: what the monitor sees, written into the history as it happens.

A HistoryRecorder is a monitor Listener (the console's and `lmconsole collect`'s). The
monitor's callbacks only queue; `run()` writes the queue every FLUSH_S seconds (sooner when
it grows past FLUSH_ROWS), one transaction per server and batch, holding the rows and how far
each of its logs has been read, so that a process killed at any moment resumes each log from
a position whose lines are all in the database. Replayed lines change nothing: a followed
line is known by its file (the transport's identity of it: inode and first line) and its byte
offset. A server may have several logs (one a daemon): each is a source of its own, read and
resumed on its own.

Sessions are opened by OUT, written at once as `still_open`, and closed by IN or a daemon's
restart (SessionTracker); a restarted recorder carries on with the sessions the database holds
open. A collector's polls end those the server no longer lists (MissedEnds). A period whose
log lines could not be read (rotated away, truncated while nobody read it) and a period in
which the server did not answer its polls are recorded as gaps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain

from lmconsole.history.audit_copy import AuditCopy
from lmconsole.history.missed_ends import MissedEnds
from lmconsole.history.occupancy import (
    Retention,
    apply_retention,
    count_from_sessions,
    poll_figures,
    poll_minutes,
    roll_up,
)
from lmconsole.history.poll_sessions import PollSessions
from lmconsole.history.schema import DENIAL_KINDS
from lmconsole.history.sessions import LMGRD, SessionTracker
from lmconsole.history.store import FOLLOWED, HistoryStore, KnownLine
from lmconsole.model import Event, ServerStatus, Status
from lmconsole.monitor import Listener, LogGap, ServerState
from lmconsole.transport import LogPosition

log = logging.getLogger(__name__)

FLUSH_S = 1.0  # the longest an event waits before it is written
OCCUPANCY_S = 60.0  # a collector counts the seats in use per minute this often
RETENTION_S = 86_400.0  # and deletes what is older than the retention this often
FLUSH_ROWS = 5_000  # or this many queued events of one server; and at most this many a batch
MAX_BACKLOG = 4 * FLUSH_ROWS  # queued events beyond which a follow waits for the writer
QUIET_S = 10.0  # a followed log from which no line came for this long is read to its end
GAP_LOG = "log"
GAP_POLL = "poll"


@dataclass(frozen=True, slots=True)
class Resume:
    """Where a log was last read, and the time of the last event read there."""

    position: LogPosition
    last_at: datetime | None
    read_at: datetime | None  # when that was (what a gap found on resuming starts at)
    imported: bool = False  # read by `lmconsole import`, not followed


@dataclass
class _Log:
    """One followed log of a recorded server."""

    path: str
    read: LogPosition | None = None  # how far the follow has read
    recorded: LogPosition | None = None  # how far the database says it has
    read_to: int | None = None  # the time of the latest event read from it
    event_read_at: float = field(default_factory=time.monotonic)  # when (time.monotonic)


@dataclass
class _Server:
    """One recorded server: its rows waiting to be written and how far its logs were read."""

    name: str
    id: int
    logs: dict[str, _Log]  # by path
    tracker: SessionTracker
    pending: list[tuple[Event, LogPosition, str]] = field(default_factory=list)  # ..., path
    sources: dict[tuple[str, str | None], int] = field(default_factory=dict)  # (path, file) -> id
    gaps: list[dict] = field(default_factory=list)
    poll_gap_since: int | None = None  # the start of the current poll gap, if any
    polled_at: int | None = None  # the last poll recorded
    poll_interval_s: float = 30.0
    minutes: list[dict] = field(default_factory=list)  # the polls' occupancy rows
    poll_sessions: PollSessions | None = None  # without a log: the sessions polls see
    session_rows: list[dict] = field(default_factory=list)  # ... opened and ended
    counted_to: int | None = None  # seats in use counted from the log's sessions up to
    earliest_at: int | None = None  # the earliest event written since they were counted
    seen_until: int | None = None  # the server's latest moment known: its log's, its polls'
    daemons: set[str] = field(default_factory=set)  # the names already written
    daemons_seen_to: int | None = None  # the seen_until last written of its daemons
    # daemons whose logs ended before the others' (retired, their log no longer written):
    # not moved on with the followed logs, unless these or the polls show them again
    ended_early: set[str] = field(default_factory=set)
    features: set[tuple[str, str]] = field(default_factory=set)  # (feature, daemon)
    unlocated: int = 0  # events whose line's position was not known: not recorded
    missed_ends: MissedEnds | None = None  # a collector's: polls end what the log left open
    polls: list[tuple[ServerStatus, int]] = field(default_factory=list)  # ... to compare


class HistoryRecorder(Listener):
    def __init__(self, store: HistoryStore, *, keeps_place: bool = True,
                 retention: Retention | None = None, audit: AuditCopy | None = None,
                 now: Callable[[], datetime] | None = None) -> None:
        """`keeps_place`: record how far each log was read, and the gaps (a collector);
        a console, which follows its logs from their end and does not resume them, records
        their events and sessions only. `audit`: the audit log copied as it grows."""
        self.store = store
        self.keeps_place = keeps_place
        self.retention = retention  # applied daily when given
        self.audit = audit
        self.now = now or (lambda: datetime.now(UTC))
        self.servers: dict[str, _Server] = {}
        self.wake = asyncio.Event()
        self.written = asyncio.Event()  # set after each batch
        self.events_written = 0
        self.stopping = False  # `run` ends after the batch it is writing

    async def add_server(self, name: str, *, manager: str, time_zone: str | None,
                         log_paths: tuple[str, ...], poll_interval_s: float = 30.0
                         ) -> dict[str, Resume]:
        """Record `name` from now on. Returns where each of its logs was last read (to
        follow it on from there); a log never read is not in it."""
        server_id = await self.store.server_id(name, manager=manager, time_zone=time_zone)
        tracker = SessionTracker()
        async for carried in self.store.still_open_sessions(server_id):
            tracker.carry(carried)
        logs = {path: _Log(path) for path in log_paths}
        server = _Server(name, server_id, logs, tracker, poll_interval_s=poll_interval_s,
                         ended_early=set(await self.store.daemons_ended_early(server_id)))
        self.servers[name] = server
        if self.keeps_place and logs:
            server.missed_ends = MissedEnds()
        if not logs and self.keeps_place:  # a collector: the sessions come from the polls
            server.poll_sessions = PollSessions(
                server_id, await self.store.poll_sessions_open(server_id))
        resumes = {}
        for log in logs.values():
            followed = await self.store.followed_source(server_id, log.path, FOLLOWED)
            if followed is None or not followed.bytes_read:
                # never followed, or by a console only (which keeps no place: it follows
                # from the end): the log is read as one never read (an import may have)
                continue
            file_id = followed.identity.removeprefix(FOLLOWED) or None
            server.sources[(log.path, file_id)] = followed.id
            position = LogPosition(file_id, followed.bytes_read)
            if self.keeps_place:
                log.read = log.recorded = position
            resumes[log.path] = Resume(position, _datetime(followed.last_at),
                                       _datetime(followed.read_at))
        return resumes

    async def has_imports(self, name: str) -> bool:
        """Whether `lmconsole import` read logs of `name` that no follow has read since."""
        return await self.store.imports(self.servers[name].id)

    async def imported_resume(self, name: str, heads: list[bytes]) -> Resume | None:
        """Where `lmconsole import` read a log of `name` to, whose first bytes are one of
        `heads`, if it did and no follow has read the log since: followed on from there,
        not read again from its start (the sessions the import left open are carried,
        and the INs read end them)."""
        server_id = self.servers[name].id
        for head in heads:
            source = await self.store.imported_source(server_id, head)
            if source is not None and source.bytes_read:
                return Resume(LogPosition(None, source.bytes_read),
                              _datetime(source.last_at), None, imported=True)
        return None

    # ---- what the monitor tells (queued; no I/O) ------------------------------------------------

    def log_event(self, event: Event, where: LogPosition | None, log: str) -> None:
        server = self.servers.get(event.server or "")
        if server is None or log not in server.logs:
            return
        if where is None:
            server.unlocated += 1
            return
        server.pending.append((event, where, log))
        server.logs[log].event_read_at = time.monotonic()
        if len(server.pending) >= FLUSH_ROWS:
            self.wake.set()

    def log_read(self, server: str, position: LogPosition, log: str) -> None:
        recorded = self.servers.get(server)
        if recorded is not None and self.keeps_place and log in recorded.logs:
            recorded.logs[log].read = position

    def log_gap(self, gap: LogGap) -> None:
        server = self.servers.get(gap.server)
        if server is not None and self.keeps_place:
            server.gaps.append({"kind": GAP_LOG, "start_at": int(gap.since.timestamp()),
                                "end_at": int(gap.until.timestamp()), "reason": gap.reason})

    def state_changed(self, state: ServerState) -> None:
        server = self.servers.get(state.name)
        if server is None or not self.keeps_place:
            return
        now = int(self.now().timestamp())
        if state.error is None and state.status is not None and state.polled_at is not None:
            self._polled(server, state)
        if state.error is not None and server.poll_gap_since is None:
            server.poll_gap_since = now
            server.gaps.append({"kind": GAP_POLL, "start_at": now, "end_at": None,
                                "reason": state.error})
        elif state.error is None and server.poll_gap_since is not None:
            server.gaps.append({"kind": GAP_POLL, "start_at": server.poll_gap_since,
                                "end_at": now, "reason": None})
            server.poll_gap_since = None

    def _polled(self, server: _Server, state: ServerState) -> None:
        # by the server's clock where lmstat printed it (a simulated server's is its own)
        at = int((state.status.reported_at or state.polled_at).timestamp())
        server.seen_until = max(server.seen_until or at, at)
        server.ended_early -= {d.name for d in state.status.vendors if d.status == Status.UP}
        if server.polled_at is not None and at <= server.polled_at:
            return  # the same poll told again (a retry's state)
        server.minutes += poll_minutes(server.id, at, server.polled_at, server.poll_interval_s,
                                       poll_figures(state.status))
        if server.poll_sessions is not None:
            server.session_rows += server.poll_sessions.seen(state.status, at)
        if server.missed_ends is not None:
            server.polls.append((state.status, at))
        server.polled_at = at

    # ---- writing ----------------------------------------------------------------------------

    async def keep_up(self) -> None:
        """The monitor calls this every few hundred lines: a follow reading a long log
        waits here while more than MAX_BACKLOG events wait to be written, so that memory
        does not grow with the log however fast it is read."""
        while sum(len(server.pending) for server in self.servers.values()) > MAX_BACKLOG:
            self.wake.set()
            self.written.clear()
            await self.written.wait()

    async def run(self) -> None:
        """Write what is queued until `stop()` (or cancel it), then `close()`; a collector
        also counts the seats in use every OCCUPANCY_S and applies the retention daily."""
        counted = kept = float("-inf")
        while not self.stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), FLUSH_S)
            self.wake.clear()
            if self.stopping:
                return
            await self.flush()
            if self.audit is not None:
                await self.audit.copy(self.store)
            if self.keeps_place and time.monotonic() - counted >= OCCUPANCY_S:
                await self.count_occupancy()
                counted = time.monotonic()
            if self.retention is not None and time.monotonic() - kept >= RETENTION_S:
                deleted = await apply_retention(self.store, self.retention,
                                                int(self.now().timestamp()))
                log.info("retention: deleted %s", deleted)
                kept = time.monotonic()

    async def count_occupancy(self) -> None:
        """The seats in use per minute from the sessions of the logs followed, since the
        last count (the last hour, at first), and the hours and days rolled up again."""
        for server in self.servers.values():
            until = server.seen_until  # open sessions are held up to there
            if until is None:
                continue
            since = server.counted_to - 60 if server.counted_to is not None else until - 3600
            if server.earliest_at is not None:  # a log read from further back
                since, server.earliest_at = min(since, server.earliest_at), None
            if server.logs:
                await count_from_sessions(self.store, server.id, since, until)
            await roll_up(self.store, since, until, server.id)
            server.counted_to = until

    def stop(self) -> None:
        """Let `run` end after the batch it is writing, if it is writing one: a task
        cancelled inside a write loses that batch, and SQLAlchemy closes the connection it
        was using in a task of its own, which waits forever if the writer is cancelled
        again meanwhile (asyncio.run's last cancel of every task at exit does that)."""
        self.stopping = True
        self.wake.set()

    async def close(self) -> None:
        """Write what is still queued (and count the seats in use it adds)."""
        await self.flush()
        if self.audit is not None:
            await self.audit.copy(self.store)
        if self.keeps_place:
            await self.count_occupancy()

    async def flush(self) -> None:
        for server in self.servers.values():
            while True:
                await self._flush(server)
                self.written.set()
                if not server.pending:
                    break

    async def _flush(self, server: _Server) -> None:
        """One batch of `server`: at most FLUSH_ROWS events, and how far each log has been
        read: to the end of what was read when every queued event of the log is in the
        batch, else to the start of its first event left for the next one."""
        pending, server.pending = server.pending[:FLUSH_ROWS], server.pending[FLUSH_ROWS:]
        gaps, server.gaps = server.gaps, []
        reads = self._reads(server)
        if not (pending or gaps or server.minutes or server.session_rows or server.polls
                or (server.missed_ends and server.missed_ends.waiting)) \
                and all(read == server.logs[path].recorded for path, read in reads.items()):
            return
        now = int(self.now().timestamp())
        for key, (event, where) in _first_events(server, pending, reads).items():
            server.sources[key] = await self._source(server, *key, now, event, where)
        for path, read in list(reads.items()):
            if (path, read.file_id) not in server.sources:  # no event read in it yet
                server.logs[path].recorded = read
                del reads[path]
        daemons, features, read_to = set(), set(), {}
        events, denials, sessions = self._rows(server, pending, daemons, features, read_to)
        server.ended_early -= daemons
        for path, at in read_to.items():
            log = server.logs[path]
            log.read_to = max(log.read_to or at, at)
        if events:
            times = [event["at"] for event in events]
            earliest, latest = min(times), max(times)
            server.earliest_at = min(server.earliest_at or earliest, earliest)
            server.seen_until = max(server.seen_until or latest, latest)
        sessions += self._ended_by_polls(server)
        minutes, server.minutes = server.minutes, []
        await self.store.upsert_poll_minutes(minutes)
        polled, server.session_rows = server.session_rows, []
        await self.store.upsert_poll_sessions(polled)
        await self.store.record(
            events, denials, sessions, gaps, server_id=server.id,
            reads=[(server.sources[(path, read.file_id)], read.offset, path)
                   for path, read in reads.items()], now=now)
        for path, read in reads.items():
            server.logs[path].recorded = read
        self.events_written += len(events)
        daemons -= server.daemons
        features -= server.features
        if daemons or features:
            await self.store.names(server.id, daemons, features)
            server.daemons |= daemons
            server.features |= features
        if server.logs and (server.seen_until or 0) > (server.daemons_seen_to or 0):
            # its logs are followed: their daemons' sessions still open are held to here
            await self.store.daemons_seen(server.id, server.seen_until,
                                          excluding=server.ended_early)
            server.daemons_seen_to = server.seen_until

    def _reads(self, server: _Server) -> dict[str, LogPosition]:
        """How far each log is read, as far as the database may have it: to the start of
        its first event still queued, else to where the follow is (a console: none)."""
        if not self.keeps_place:
            return {}
        first_queued: dict[str, LogPosition] = {}
        for _event, where, path in server.pending:
            first_queued.setdefault(path, where)
            if len(first_queued) == len(server.logs):
                break
        reads = {path: first_queued.get(path, log.read) for path, log in server.logs.items()}
        return {path: read for path, read in reads.items() if read is not None}

    def _ended_by_polls(self, server: _Server) -> list[dict]:
        """The sessions the logs left open that the polls since the last batch no longer
        list (after the logs' events up to now: the tracker is as the logs have it)."""
        if server.missed_ends is None:
            return []
        polls, server.polls = server.polls, []
        for status, at in polls:
            server.missed_ends.polled(server.tracker, status, at)
        read_to, quiet = _logs_read_to(server)
        ended = server.missed_ends.ended(server.tracker, read_to, quiet)
        return [session.row(server.id) for session in ended]

    async def _source(self, server: _Server, path: str, file_id: str | None, now: int,
                      first: Event, where: LogPosition) -> int:
        """The source of a followed log file, made when its first event is written; the one
        an import made of it, if that holds this event (then the file, read again here from
        that line, opens again the sessions the import left open from there)."""
        identity = FOLLOWED + (file_id or f"unknown:{path}")
        line = KnownLine(where.offset, int(first.at.timestamp()), first.kind.value,
                         first.daemon, first.feature, first.user)
        source = await self.store.source(server.id, identity, 0, path,
                                         lambda _size: identity, now, holding=line, claim=True)
        if source.identity != identity:
            server.tracker.forget_source(source.id, from_offset=where.offset)
        return source.id

    def _rows(self, server: _Server, pending: list[tuple[Event, LogPosition, str]],
              daemons: set[str], features: set[tuple[str, str]], read_to: dict[str, int]):
        """The rows of the queued events, and the sessions they open and end; the daemons
        and features they name are added to the sets, and the time of each log's latest
        event to `read_to`."""
        events: list[dict] = []
        denials: list[dict] = []
        sessions: list[dict] = []
        tracker, server_id = server.tracker, server.id
        for event, where, path in pending:
            source_id, offset = server.sources[(path, where.file_id)], where.offset
            at, kind, feature = int(event.at.timestamp()), event.kind.value, event.feature
            read_to[path] = max(read_to.get(path, at), at)
            events.append({
                "source_id": source_id, "byte_offset": offset, "server_id": server_id,
                "at": at, "kind": kind, "daemon": event.daemon, "feature": feature,
                "user_name": event.user, "host": event.host, "count": event.count,
                "reason": event.reason, "code": event.code, "extra": event.extra,
                "line": None})
            if event.daemon != LMGRD:
                daemons.add(event.daemon)
            if feature is not None:
                features.add((feature, event.daemon))
                if kind in DENIAL_KINDS:
                    denials.append({
                        "source_id": source_id, "byte_offset": offset, "server_id": server_id,
                        "at": at, "kind": kind, "daemon": event.daemon, "feature": feature,
                        "user_name": event.user, "host": event.host, "count": event.count,
                        "code": event.code, "reason": event.reason})
            ended = tracker.observe(kind, at, event.daemon, feature, event.user, event.host,
                                    event.count, event.reason, source_id, offset,
                                    event.extra)
            sessions.extend(session.row(server_id) for session in ended)
            if tracker.opened is not None:
                sessions.append(tracker.opened.row(server_id))
        return events, denials, sessions


def _first_events(server: _Server, batch: list[tuple[Event, LogPosition, str]],
                  reads: dict[str, LogPosition]
                  ) -> dict[tuple[str, str | None], tuple[Event, LogPosition]]:
    """Per log file of the batch or read, with no source yet, its first event queued (in
    the batch or after it); a file with none has no source until it has one."""
    files = {(path, where.file_id) for _event, where, path in batch}
    files |= {(path, read.file_id) for path, read in reads.items()}
    files -= server.sources.keys()
    first: dict[tuple[str, str | None], tuple[Event, LogPosition]] = {}
    if files:
        for event, where, path in chain(batch, server.pending):
            if (path, where.file_id) in files:
                first.setdefault((path, where.file_id), (event, where))
                if len(first) == len(files):
                    break
    return first


def _logs_read_to(server: _Server) -> tuple[int | None, bool]:
    """How far in time the server's logs have all been read, leaving out those quiet for
    QUIET_S (read to their end); and whether all of them are quiet, with nothing queued."""
    moment = time.monotonic()
    busy = [log for log in server.logs.values() if moment - log.event_read_at < QUIET_S]
    times = [log.read_to for log in busy or server.logs.values()]
    return (None if None in times else min(times)), not busy and not server.pending


def _datetime(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)
