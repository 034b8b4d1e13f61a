"""`lmconsole import`: old debug logs of one server into the history.

The files may come in any order: each is first read up to its first date line and its first
event (lmgrd's TIMESTAMP, its start-up line, an SLOG date), which dates it; then they are read
in the order of those dates, one line at a time (memory does not grow with a file), through
the server's adapter. Every event, denial and session is written in batches; rows are known
by their file's identity and byte offset, so importing a file again changes nothing, and a
session left open by one file is closed by the next (by its IN, or its daemon's restart).
The seats in use per minute are counted as the events are read (occupancy.ReadingCount) and
written with them; the days other logs' sessions share are counted again from the store.
A log that names no date at all is dated by counting back from its modification time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

from lmconsole.adapter import LicenceManagerAdapter
from lmconsole.gc_pause import collector_paused
from lmconsole.history.bulk_writer import IN_FLIGHT, BulkWriterError
from lmconsole.history.logfiles import LogFile, LogFileError
from lmconsole.history.occupancy import DAY, ReadingCount, count_read
from lmconsole.history.schema import DENIAL_KINDS
from lmconsole.history.sessions import LMGRD, SessionTracker
from lmconsole.history.store import (
    FOLLOWED,
    HistoryStore,
    KnownLine,
    SourceRow,
    StoreError,
    shown_url,
)
from lmconsole.model import Diagnostic, EventKind
from lmconsole.transport import LINE_BYTES_MAX

BATCH_EVENTS = 20_000  # rows written per transaction
PROGRESS_LINES = 65_536  # lines between two progress reports
YIELD_LINES = 4_096  # lines between two turns given to the event loop (a power of two)
BYTES_PER_LINE = 64  # a busy debug log's, about (a gzipped file's lines are undercounted)
PROBE_DATE = date(2000, 1, 3)  # assumed while a file is read ahead to its first date line
KIND_TEXT = {kind: kind.value for kind in EventKind}  # a dict is quicker than `.value`


@dataclass
class ImportSummary:
    files: int = 0
    lines: int = 0
    events: int = 0
    new_events: int | None = None  # of them, not in the history before (None: not known)
    sessions: int = 0  # sessions ended or left open, as read in these files
    still_open: int = 0
    denials: int = 0
    unmatched_ins: int = 0  # INs whose OUT no imported file holds
    minutes: int = 0  # feature-minutes with seats in use, counted from the sessions
    first_at: datetime | None = None  # the first and last event
    last_at: datetime | None = None
    written_to: datetime | None = None  # the last line with a time (a TIMESTAMP, an event)
    diagnostics: list[tuple[str, Diagnostic]] = field(default_factory=list)  # (file, ...)
    refused: list[str] = field(default_factory=list)  # files not imported, and why


@dataclass(frozen=True, slots=True)
class LogPlan:
    """A file, read ahead: the date of its first line and the time of its first event."""

    file: LogFile
    start_date: date
    first_at: datetime | None
    dated: bool  # False: the log names no date; start_date counts back from its mtime
    first_line: KnownLine | None = None  # its first event, which a followed log may hold


Progress = Callable[[int], None]  # bytes of the files on disk read since the last call


class Importer:
    def __init__(self, store: HistoryStore, adapter: LicenceManagerAdapter, *, server: str,
                 tz: tzinfo, time_zone: str | None, now: datetime,
                 progress: Progress | None = None) -> None:
        self.store = store
        self.adapter = adapter
        self.server = server
        self.tz = tz
        self.time_zone = time_zone
        self.now = int(now.timestamp())
        self.progress = progress or (lambda _bytes: None)
        self.summary = ImportSummary()
        self.followed: set[int] = set()  # the ids of the sources a collector follows
        # by byte offset, the first lines of the logs followed, not these files' sources
        self.joinable: dict[int, list[tuple[int, KnownLine]]] = {}
        self.joined: dict[int, int] = {}  # of those, the ids written into: their events before

    async def run(self, paths: Sequence[str | Path]) -> ImportSummary:
        plans = self.plans(paths)
        if not plans:  # every file refused: a mistyped path or name adds no server
            return self.summary
        server_id = await self.store.server_id(self.server, manager=self.adapter.kind,
                                               time_zone=self.time_zone)
        sources = [await self._source(server_id, plan) for plan in plans]
        # followed by a collector: known where it follows them, not where they were imported
        self.followed = {source.id for source in sources if source.identity.startswith(FOLLOWED)}
        source_ids = [source.id for source in sources]
        # logs a console followed from some line on: the rows of that line and the next
        self.joinable = await self.store.followed_first_lines(server_id, excluding=source_ids)
        events_before = await self.store.event_count(source_ids)
        tracker = SessionTracker()
        count = ReadingCount(server_id)
        if any(source.bytes_read for source in sources):
            # read before: its sessions in the store may end where later files ended them
            count.spoiled = True
        async for carried in self.store.still_open_sessions(server_id,
                                                            except_sources=source_ids):
            tracker.carry(carried)
        lines = sum(plan.file.size_on_disk for plan in plans) // BYTES_PER_LINE
        deferred = await self.store.defers_indexes_for(lines)
        async with self.store.indexes_deferred() if deferred else contextlib.nullcontext():
            still_open = await self._write(plans, source_ids, server_id, tracker, count,
                                            indexes_deferred=deferred)
        summary = self.summary
        # counted, not taken from the driver: asyncpg's executemany does not say how many
        # rows an INSERT ... ON CONFLICT DO NOTHING added
        summary.new_events = (await self.store.event_count([*source_ids, *self.joined])
                              - events_before - sum(self.joined.values()))
        summary.still_open = still_open
        summary.unmatched_ins = tracker.unmatched_ins
        if summary.first_at is not None:  # the seats in use per minute, hour and day
            since, until = _epoch(summary.first_at), _epoch(summary.written_to) + 1
            summary.minutes = await count_read(self.store, server_id, count, source_ids,
                                               since, until)
        return summary

    async def _write(self, plans: list[LogPlan], source_ids: list[int], server_id: int,
                     tracker: SessionTracker, count: ReadingCount, *,
                     indexes_deferred: bool) -> int:
        """Reads the files and writes their rows and the minutes counted, then builds the
        indexes deferred (before the occupancy is checked, whose queries read the
        sessions); the sessions left open."""
        writer = _RowWriter(self.store, server_id, tracker, count, set(source_ids),
                            indexes_deferred=indexes_deferred)
        daemons: set[str] = set()
        seen_until: dict[str, int] = {}  # per daemon, the last moment of a file with its lines
        try:
            await writer.start()
            for plan, source_id in zip(plans, source_ids):
                last_at = await self._read(plan, source_id, writer)
                if last_at is not None:
                    for daemon in writer.daemons:
                        seen_until[daemon] = max(seen_until.get(daemon, last_at), last_at)
                daemons |= writer.daemons
                writer.daemons = set()
            if self.summary.written_to is not None:
                until = _epoch(self.summary.written_to) + 1
                _recount_where_logs_ended(count, tracker, seen_until, writer.source_ids, until)
                count.finish(until)
            still_open = await self._write_still_open(tracker, writer)
            if indexes_deferred:
                await writer.build_indexes()
        finally:
            await writer.close()
        await self.store.names(server_id, daemons, writer.features, seen_until)
        self.summary.sessions = writer.session_count
        self.summary.denials = writer.denial_count
        return still_open

    async def _write_still_open(self, tracker: SessionTracker, writer: _RowWriter) -> int:
        """The sessions left open, written a batch at a time; how many."""
        server_id, count = writer.server_id, 0
        for session in tracker.drain_still_open():
            writer.sessions.append(session.as_tuple(server_id))
            count += 1
            if len(writer.sessions) >= BATCH_EVENTS:
                await writer.flush(wait=False)
        await writer.flush()
        return count

    # ---- reading ahead ---------------------------------------------------------------------

    def plans(self, paths: Sequence[str | Path]) -> list[LogPlan]:
        """The readable files, in the order of their own dates (then names)."""
        plans = []
        for path in paths:
            try:
                plan = self._plan(LogFile(path))
            except LogFileError as error:
                self.summary.refused.append(str(error))
                continue
            if plan is not None:
                plans.append(plan)
        far = datetime.max.replace(tzinfo=UTC)
        return sorted(plans, key=lambda p: (p.first_at or far, p.start_date, str(p.file.path)))

    def _plan(self, file: LogFile) -> LogPlan | None:
        reader = self.adapter.event_reader(tz=self.tz, server=self.server,
                                           start_date=PROBE_DATE)
        first = last = None
        first_undated = False
        first_offset = previous_offset = 0
        with file.open() as stream:
            for line_no, (offset, text) in enumerate(file.lines(stream), 1):
                event = reader.feed(text)
                if event is not None:
                    if first is None:
                        first, first_undated = event, reader.log_start_date is None
                        first_offset = offset if event.line == line_no else previous_offset
                    last = event
                previous_offset = offset
                if first is not None and reader.log_start_date is not None:
                    break
            else:
                last = reader.flush() or last
                first = first or last
        start = reader.log_start_date
        if start is None and first is None:
            self.summary.refused.append(f"{file.path}: nothing in it reads as a debug log "
                                        f"(no event and no date line)")
            return None
        dated = start is not None
        if not dated:
            start = self._counted_back_from_mtime(file, last.at.date())
        shift = timedelta(days=(start - PROBE_DATE).days)
        first_at = first.at + shift if first is not None and (first_undated or not dated) \
            else (first.at if first is not None else None)
        first_line = None if first is None else KnownLine(
            first_offset, _epoch(first_at), KIND_TEXT[first.kind], first.daemon,
            first.feature, first.user)
        return LogPlan(file, start, first_at, dated, first_line)

    def _counted_back_from_mtime(self, file: LogFile, last_probe_date: date) -> date:
        """The start date of a log that names none: its last event was written on the day
        of its modification time, and its lines spanned the midnights counted."""
        modified = datetime.fromtimestamp(file.path.stat().st_mtime, self.tz).date()
        start = modified - (last_probe_date - PROBE_DATE)
        self.summary.diagnostics.append((str(file.path), Diagnostic(
            1, f"the log names no date (no TIMESTAMP, start-up or SLOG date line): its dates "
               f"are counted back from its modification time, {modified.isoformat()}, to "
               f"{start.isoformat()}", "", self.server)))
        return start

    async def _source(self, server_id: int, plan: LogPlan) -> SourceRow:
        """The file's source; one a collector follows (or followed), if it holds the file's
        first event: then the file's lines are the rows it wrote, not written again."""
        file = plan.file
        return await self.store.source(server_id, file.identity.digest,
                                       file.identity.prefix_bytes, str(file.path),
                                       file.digest_of_first, self.now,
                                       holding=plan.first_line)

    # ---- reading ---------------------------------------------------------------------------

    async def _read(self, plan: LogPlan, source_id: int, writer: _RowWriter) -> int | None:
        """Reads a file into `writer` (whose `daemons` it adds to); its last moment."""
        file, summary = plan.file, self.summary
        reader = self.adapter.event_reader(tz=self.tz, server=self.server,
                                           start_date=plan.start_date)
        feed, add, joinable = reader.feed, writer.add, self.joinable
        line_no = offset = previous_offset = 0
        first_at = last_at = None
        reported = 0
        try:
            with file.open() as stream, collector_paused():
                for offset, text in file.lines(stream):
                    line_no += 1
                    event = feed(text)
                    if event is not None:
                        event_offset = offset if event.line == line_no else previous_offset
                        if joinable and event_offset in joinable:
                            source_id = await self._joined(event, event_offset, source_id,
                                                           writer)
                        add(event, source_id, event_offset)
                        first_at = first_at or event.at
                        last_at = event.at
                        if len(writer.events) >= BATCH_EVENTS:
                            await writer.flush(wait=False)
                    previous_offset = offset
                    if line_no & (YIELD_LINES - 1) == 0:
                        # let the event loop run: the demo imports while its console runs
                        await asyncio.sleep(0)
                        if line_no & (PROGRESS_LINES - 1) == 0:
                            position = file.position_on_disk(stream)
                            self.progress(position - reported)
                            reported = position
                held = reader.flush()
                if held is not None:
                    add(held, source_id, offset)
                    last_at = held.at
                    first_at = first_at or held.at
                size = stream.tell() - file.unended  # a collector goes on from there
        except LogFileError as error:
            summary.refused.append(str(error))
            size = offset
        written_to = _later(last_at, reader.latest_at)  # a TIMESTAMP after the last event
        self.progress(file.size_on_disk - reported)
        await writer.flush()
        summary.files += 1
        summary.lines += line_no
        summary.events = writer.event_count
        summary.diagnostics.extend((str(file.path), d) for d in reader.diagnostics)
        if file.unended:
            summary.diagnostics.append((str(file.path), Diagnostic(
                line_no + 1, f"its last line, at byte {size:,}, has no line end (being "
                             f"written, or cut off): not read; importing the file again, or "
                             f"collect, reads it once complete", "", self.server)))
        if file.nul_lines:
            summary.diagnostics.append((str(file.path), Diagnostic(
                1, f"{file.nul_lines} line(s) held NUL bytes (a crash's leftovers, or a "
                   f"copytruncate rotation's hole): read without them", "", self.server)))
        if file.lines_cut:
            summary.diagnostics.append((str(file.path), Diagnostic(
                1, f"{file.lines_cut} line(s) longer than {LINE_BYTES_MAX:,} bytes (the first "
                   f"at byte {file.first_cut_at:,}): read to there, the rest skipped", "",
                self.server)))
        if first_at is not None:
            summary.first_at = min(summary.first_at or first_at, first_at)
            summary.last_at = max(summary.last_at or last_at, last_at)
            summary.written_to = _later(summary.written_to, written_to)
        await self.store.source_read(
            source_id, path=None if source_id in self.followed else str(file.path),
            bytes_read=size, lines_read=line_no, first_at=_epoch(first_at),
            last_at=_epoch(last_at), now=self.now)
        return _epoch(written_to) if first_at is not None else None

    async def _joined(self, event, byte_offset: int, source_id: int,
                      writer: _RowWriter) -> int:
        """The source of this event's line and the next: a followed log's, if its first
        line is this one (a console followed the file from here on, and what it recorded is
        not written again), else `source_id`."""
        line = KnownLine(byte_offset, _epoch(event.at), KIND_TEXT[event.kind], event.daemon,
                         event.feature, event.user)
        for followed_id, first in self.joinable[byte_offset]:
            if first == line:
                if followed_id not in self.joined:
                    self.joined[followed_id] = await self.store.event_count([followed_id])
                writer.source_ids.add(followed_id)
                # its sessions are read again from here; count_read counts their days
                # again from the sessions, as another log's
                writer.tracker.forget_source(followed_id, from_offset=byte_offset)
                return followed_id
        return source_id


class _RowWriter:
    """The rows of one import, written a batch at a time: the events, denials and sessions
    (`tracker` follows them) and the minutes `occupancy` counts of the sessions read from
    `source_ids` (those carried from earlier imports are not its)."""

    def __init__(self, store: HistoryStore, server_id: int, tracker: SessionTracker,
                 occupancy: ReadingCount, source_ids: set[int], *,
                 indexes_deferred: bool = False) -> None:
        self.store = store
        self.server_id = server_id
        self.tracker = tracker
        self.occupancy = occupancy
        self.source_ids = source_ids
        self.events: list[tuple] = []
        self.denials: list[tuple] = []
        self.sessions: list[tuple] = []
        self.daemons: set[str] = set()  # of the file being read
        self.features: set[tuple[str, str]] = set()
        self.event_count = 0
        self.session_count = 0
        self.denial_count = 0
        self._at: datetime | None = None
        self._epoch = 0
        self._writing: deque[asyncio.Future] = deque()  # the batches being written
        # SQLite: a process of its own writes the rows
        self._bulk = store.bulk_writer(indexes_deferred=indexes_deferred)
        self._in_flight = 1 if self._bulk is None else IN_FLIGHT

    async def start(self) -> None:
        if self._bulk is None:
            return
        try:
            await self._bulk.start()
        except (OSError, BulkWriterError):  # no process to be had: written from here
            await self._bulk.close()
            self._bulk, self._in_flight = None, 1

    async def close(self) -> None:
        """Waits for the batch being written, if any, and ends the writer process."""
        try:
            await self._written(0)
        finally:
            if self._bulk is not None:
                await self._bulk.close()

    def add(self, event, source_id: int, byte_offset: int) -> None:
        at, kind, daemon, feature, user, host, count, reason, code, _server, line, extra = \
            event
        if at is not self._at:  # the reader hands out one datetime per second
            self._at, self._epoch = at, int(at.timestamp())
            if self._epoch >= self.occupancy.cleared_to:
                self.occupancy.reached(self._epoch)
        epoch = self._epoch
        kind = KIND_TEXT[kind]
        server_id = self.server_id
        # in the order of the store's EVENT_COLUMNS and DENIAL_COLUMNS
        self.events.append((source_id, byte_offset, server_id, epoch, kind, daemon, feature,
                            user, host, count, reason, code, extra, line))
        if feature is not None:
            self.features.add((feature, daemon))
            if kind in DENIAL_KINDS:
                self.denials.append((source_id, byte_offset, server_id, epoch, kind, daemon,
                                     feature, user, host, count, code, reason))
        if daemon != LMGRD:  # lmgrd serves no feature: not a vendor daemon
            self.daemons.add(daemon)
        tracker = self.tracker
        ended = tracker.observe(kind, epoch, daemon, feature, user, host, count, reason,
                                source_id, byte_offset, extra)
        if ended:
            sessions, change, ours = self.sessions, self.occupancy.change, self.source_ids
            for session in ended:
                sessions.append(session.as_tuple(server_id))
                if session.source_id in ours:
                    seats = session.count
                    change(session.feature, session.end_at, -seats,
                           -seats if session.borrowed else 0)
        elif kind == "OUT" and (opened := tracker.opened_seats) is not None:
            self.occupancy.change(opened[0], epoch, opened[1], opened[2])

    async def flush(self, *, wait: bool = True) -> None:
        """Write the rows gathered so far. wait=False: the batch is written while the next
        ones are read (the database works in its own thread or process), at most
        `_in_flight` behind: the batch before is waited for first, so that batches land
        in order."""
        events, denials, sessions = self.events, self.denials, self.sessions
        self.events, self.denials, self.sessions = [], [], []
        cleared, minutes = self.occupancy.taken()
        self.event_count += len(events)
        self.denial_count += len(denials)
        self.session_count += len(sessions)
        await self._written(self._in_flight - 1)
        if events or denials or sessions or cleared or minutes:
            self._writing.append(asyncio.ensure_future(
                self._write(events, denials, sessions, cleared, minutes)))
        if wait:
            await self._written(0)

    async def _written(self, left: int) -> None:
        """Waits until at most `left` batches are being written."""
        while len(self._writing) > left:
            await self._writing.popleft()

    async def build_indexes(self) -> None:
        """The indexes deferred, built once every row is written: by the writer process
        (the importer's memory holds what it read), else here."""
        if self._bulk is None:
            await self.store.build_indexes()
        else:
            await self._bulk_write(self.store.bulk_index_statements())

    async def _write(self, events: list[tuple], denials: list[tuple], sessions: list[tuple],
                     cleared: list[tuple], minutes: list[tuple]) -> None:
        if self._bulk is None:
            await self.store.write_tuples(events, denials, sessions, cleared, minutes)
        else:
            await self._bulk_write(self.store.bulk_statements(events, denials, sessions,
                                                              cleared, minutes))

    async def _bulk_write(self, statements) -> None:
        try:
            await self._bulk.write(statements)
        except BulkWriterError as error:
            raise StoreError(f"{shown_url(self.store.url)}: cannot write the history: "
                             f"{error}") from None


def _recount_where_logs_ended(count: ReadingCount, tracker: SessionTracker,
                              seen_until: dict[str, int], source_ids: set[int],
                              until: int) -> None:
    """A session left open is held until its vendor daemon's logs end, not to the end of
    the import (another daemon's log may go on for months): where that is earlier, the
    days from there on are counted again from the sessions (`count_from_sessions`), which
    knows where each daemon's logs ended."""
    for session in tracker.still_open():
        seen = seen_until.get(session.daemon)
        if session.source_id in source_ids and seen is not None and seen + 1 < until:
            count.recount_days.update(range(seen - seen % DAY, until, DAY))


def _later(first: datetime | None, second: datetime | None) -> datetime | None:
    return first if second is None else second if first is None else max(first, second)


def _epoch(at: datetime | None) -> int | None:
    return None if at is None else int(at.timestamp())
