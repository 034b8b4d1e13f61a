"""Occupancy: seats in use per feature per minute, rolled up per hour and per day.

Two sources fill the minutes. Sessions read from a log give exact figures: a sweep over the
sessions of a span, in the order they start, yields each minute's peak and time-weighted
mean (`from_log`), streamed and written in batches (memory holds the sessions open at one
moment, not the minutes); an import counts the same minutes as it reads the events
(`ReadingCount`), and the sweep only where the store holds more than it read. Polls
sample: a poll's figures stand for the minutes since the poll before it (sample and hold,
at most HOLD_POLLS intervals back: beyond that the server was not watched, a gap), and
several polls in one minute are averaged (`polls` counts them). Where a log counted a
minute, its seats in use and borrowed stand, whichever came first; polls add only what a
log cannot know: issued, idle reservations and the queue. A minute with no row had nothing
in use (unless a gap covers it).

Roll-ups are SQL (INSERT ... SELECT ... ON CONFLICT DO UPDATE), idempotent: a span rolled up
again gives the same rows. Retention deletes events and the minute and hour levels older
than configured; sessions, denials and days are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from heapq import heappop, heappush

from sqlalchemy import Integer, and_, cast, delete, func, or_, select, update

from lmconsole.history import schema
from lmconsole.history.store import HistoryStore
from lmconsole.model import ServerStatus

MINUTE, HOUR, DAY = 60, 3600, 86400
BATCH_ROWS = 10_000
HOLD_POLLS = 3  # a poll stands for the minutes since the one before, if that was this close


@dataclass(frozen=True, slots=True)
class Retention:
    """How long each level is kept, in seconds; None: for ever."""

    events: int | None = 365 * DAY
    minutes: int | None = 90 * DAY
    hours: int | None = 3 * 365 * DAY
    days: int | None = None


@dataclass(frozen=True, slots=True)
class PollFigures:
    """One feature in one poll."""

    feature: str
    in_use: int  # seats checked out (lmstat's count less its idle reservations)
    issued: int | None
    reserved_idle: int
    borrowed: int
    queued: int


# ---- from sessions ----------------------------------------------------------------------------

Minute = tuple[int, int, float, int]  # (minute, peak, mean, borrowed peak)


class _Sweep:
    """Seats in use over time, from spans given in the order they start; the minutes in
    which any was in use. Time moves on a day at a time while seats are held, and the
    minutes it finished are taken after each step: memory holds the spans open at once,
    never the minutes of the span."""

    __slots__ = ("ends", "ending", "t", "level", "borrowed", "minute", "peak",
                 "borrowed_peak", "seat_seconds", "rows")

    def __init__(self) -> None:
        # the moments spans end, a heap, and the seats (all, borrowed) ending at each: spans
        # ending together are one entry (a log's sessions still open all end at its last
        # moment, and were a heap of hundreds of thousands)
        self.ends: list[int] = []
        self.ending: dict[int, list[int]] = {}
        self.t = 0
        self.level = self.borrowed = 0
        self.minute: int | None = None  # the minute being counted, and its figures so far
        self.peak = self.borrowed_peak = self.seat_seconds = 0
        self.rows: list[Minute] = []

    def minutes_to(self, target: int) -> Iterator[Minute]:
        """The minutes finished on the way to `target` (a span's start)."""
        while self.t < target:
            self._run_to(target if not self.ends else min(target, self.t + DAY))
            yield from self.taken()

    def add(self, start: int, end: int, seats: int, borrowed: bool) -> None:
        """A span starting now (after `minutes_to(start)`)."""
        self._run_to(start)
        if end > start:
            held = seats if borrowed else 0
            ending = self.ending.get(end)
            if ending is None:
                heappush(self.ends, end)
                self.ending[end] = [seats, held]
            else:
                ending[0] += seats
                ending[1] += held
            self._change(seats, held)

    def finish(self) -> Iterator[Minute]:
        while self.ends:
            yield from self.minutes_to(self.ends[0])
            self._run_to(self.t)  # the spans ending now
        self._close()
        yield from self.taken()

    def taken(self) -> list[Minute]:
        """The minutes finished so far, handed out once."""
        rows, self.rows = self.rows, []
        return rows

    def _run_to(self, target: int) -> None:
        """Time moves on to `target`; the spans ending by then end on the way."""
        ends = self.ends
        while ends and ends[0] <= target:
            end = heappop(ends)
            seats, borrowed = self.ending.pop(end)
            self._hold_to(end)
            self._change(-seats, -borrowed)
        self._hold_to(target)

    # The two below run for every span and every minute held: the peaks kept with
    # comparisons, not max(), and the time in a local make the sweep a third quicker.

    def _hold_to(self, target: int) -> None:
        """The level holds from self.t to `target`."""
        t, level = self.t, self.level
        if level == 0:
            if self.minute is not None and target >= self.minute + MINUTE:
                self._close()
            if target > t:
                self.t = target
            return
        borrowed = self.borrowed
        while t < target:
            minute = t - t % MINUTE
            if minute != self.minute:  # count in this minute (the one before is done)
                self._close()
                self.minute = minute
            if level > self.peak:
                self.peak = level
            if borrowed > self.borrowed_peak:
                self.borrowed_peak = borrowed
            minute_end = minute + MINUTE
            step_end = target if target < minute_end else minute_end
            self.seat_seconds += level * (step_end - t)
            t = step_end
            if step_end == minute_end:
                self._close()
        self.t = t

    def _change(self, seats: int, borrowed: int) -> None:
        """Seats taken (or given back, negative) now. The minute they change in counts
        from now on; its peak is what is held in it, not what ended where it starts."""
        minute = self.t - self.t % MINUTE
        if minute != self.minute:
            self._close()
            self.minute = minute
        level = self.level = self.level + seats
        held = self.borrowed = self.borrowed + borrowed
        if level > self.peak:
            self.peak = level
        if held > self.borrowed_peak:
            self.borrowed_peak = held

    def _close(self) -> None:
        if self.minute is not None and self.peak > 0:
            self.rows.append((self.minute, self.peak, self.seat_seconds / MINUTE,
                              self.borrowed_peak))
        self.minute = None
        self.peak = self.borrowed_peak = self.seat_seconds = 0


def minutes_in_use(spans: Iterable[tuple[int, int, int, bool]]) -> Iterator[Minute]:
    """(minute, peak, mean, borrowed peak) for every minute with a seat in use, from spans
    (start, end, seats, borrowed) in the order they start; lazily, as they are finished."""
    sweep = _Sweep()
    for start, end, seats, borrowed in spans:
        yield from sweep.minutes_to(start)
        sweep.add(start, end, seats, borrowed)
    yield from sweep.finish()


async def count_from_sessions(store: HistoryStore, server_id: int, since: int, until: int,
                              *, held_until: int | None = None) -> int:
    """The minutes of [since, until) (widened to whole minutes) counted again from the
    server's sessions: what a log told, exactly. An open session counts up to `held_until`
    (the last moment the server was seen; unless said, the end of the minute of `until`),
    or to where its vendor daemon's logs end, if before another's.
    Sessions are read and minutes written BATCH_ROWS at a time: memory holds the sessions
    open at one moment, not the span. Returns the minutes written."""
    since, until = since - since % MINUTE, -(-until // MINUTE) * MINUTE
    held_until = until if held_until is None else held_until
    daemons_held_until = {daemon: min(seen, held_until) for daemon, seen in
                          (await store.daemons_ended_early(server_id)).items()}
    s = schema.sessions
    query = (select(s.c.feature, s.c.start_at, s.c.end_at, s.c.count, s.c.borrowed,
                    s.c.daemon)
             .where(s.c.server_id == server_id, s.c.reserved.is_(False),
                    s.c.source_id.is_not(None), s.c.start_at < until,
                    or_(s.c.end_at.is_(None), s.c.end_at > since))
             .order_by(s.c.feature, s.c.start_at))
    await store.clear_counted_minutes(server_id, since, until)
    writer = _CountedMinutes(store, server_id)
    feature, sweep = None, _Sweep()
    async for rows in store.stream_chunks(query, BATCH_ROWS):
        for name, start, end, count, borrowed, daemon in rows:
            if name != feature:
                await writer.add(feature, sweep.finish())
                feature, sweep = name, _Sweep()
            if start < since:
                start = since
            # the minutes finished on the way to a start less than a day ahead are few:
            # kept in the sweep until there are a batch of them (a step and a coroutine
            # a session were a sixth of an import's counting)
            if start - sweep.t > DAY:
                await writer.add(feature, sweep.minutes_to(start))
            if end is None:
                end = daemons_held_until.get(daemon, held_until)
            sweep.add(start, end if end < until else until, count, borrowed)
            if len(sweep.rows) >= BATCH_ROWS:
                await writer.add(feature, sweep.taken())
    await writer.add(feature, sweep.finish())
    await writer.flush()
    return writer.written


async def count_imported(store: HistoryStore, server_id: int, since: int, until: int) -> int:
    """What an import read, from `since` to its last moment `until`: the whole UTC days it
    touched counted again from the server's sessions, and rolled up. An hour or a day is
    then rolled up from all its minutes, also where the retention has deleted those an
    earlier import of an old log had counted. Returns the minutes written."""
    first_day, end_of_days = since - since % DAY, -(-until // DAY) * DAY
    written = await count_from_sessions(store, server_id, first_day, end_of_days,
                                        held_until=until)
    await roll_up(store, first_day, end_of_days, server_id)
    return written


class ReadingCount:
    """The minutes `count_imported` counts, counted instead as an import reads its events,
    in time order: a feature's seats change when a session read starts (`change`, +) and
    when it ends (-), the changes of one second together (ends and starts of one moment make
    one level, as in the sweep, and a session of no length none), and what is open at the
    end is held to the import's last moment (`finish`). Memory holds a level per feature.

    The minutes are handed out as they are finished (`rows`, in the order of the store's
    COUNTED_MINUTE_COLUMNS), after the span their day opens (`cleared`: from the first
    day read, a day at a time as the events reach it), whose counted minutes are emptied
    first: the minutes of the UTC days read are counted again, as the sweep counts them.
    A change earlier than the one before it (files that overlap in time, a clock set back,
    the hour a daylight-saving zone repeats) is counted as made then, and the days between
    the two are counted again by the sweep (`recount_days`); `spoiled`: all of them."""

    def __init__(self, server_id: int) -> None:
        self.server_id = server_id
        self.rows: list[tuple] = []
        self.cleared: list[tuple[int, int, int]] = []  # (server_id, from, to)
        self.cleared_to = -1  # the end of the last day cleared; -1: none yet
        self.per_day: dict[int, int] = {}  # the minutes counted in each UTC day
        self.spoiled = False
        self.recount_days: set[int] = set()  # the first second of each
        self._features: dict[str, _Held] = {}

    def reached(self, at: int) -> None:
        """The events read have reached `at`, at or after `cleared_to`: the days up to its
        own are cleared."""
        start = at - at % DAY if self.cleared_to < 0 else self.cleared_to
        self.cleared_to = at - at % DAY + DAY
        self.cleared.append((self.server_id, start, self.cleared_to))

    def change(self, feature: str, at: int, seats: int, borrowed: int) -> None:
        """`seats` taken (negative: given back) at `at`, of them `borrowed` borrowed."""
        held = self._features.get(feature)
        if held is None:
            held = self._features[feature] = _Held(at)
        elif at > held.at:
            self._apply(feature, held)
            held.at, held.seats, held.borrowed_seats = at, seats, borrowed
            return
        elif at < held.at:
            self.recount_days.update(range(at - at % DAY, held.at + 1, DAY))
        held.seats += seats
        held.borrowed_seats += borrowed

    def finish(self, until: int) -> None:
        """The end of the import: the seats still held are given back at `until`."""
        for feature, held in self._features.items():
            if held.at >= until:  # a line out of order last: its day is counted again
                self.recount_days.update(range(until - until % DAY, held.at + 1, DAY))
            self._apply(feature, held)
            held._run_to(until)
            held._change(-held.level, -held.borrowed)
            held._close()
            self._take(feature, held)
        self._features.clear()

    def taken(self) -> tuple[list[tuple[int, int, int]], list[tuple]]:
        """The spans cleared and the minutes counted since the last call."""
        cleared, rows = self.cleared, self.rows
        self.cleared, self.rows = [], []
        return cleared, rows

    def _apply(self, feature: str, held: _Held) -> None:
        """The changes of the second `held.at`, as the sweep makes them: `_run_to` and
        `_change`, written out for a change in the minute being counted (most are)."""
        at, seats, borrowed = held.at, held.seats, held.borrowed_seats
        minute = held.minute
        if minute is not None and at < minute + MINUTE:
            held.seat_seconds += held.level * (at - held.t)
            held.t = at
            if seats:
                level = held.level = held.level + seats
                if level > held.peak:
                    held.peak = level
            if borrowed:
                level = held.borrowed = held.borrowed + borrowed
                if level > held.borrowed_peak:
                    held.borrowed_peak = level
            return
        held._run_to(at)
        if seats or borrowed:
            held._change(seats, borrowed)
        if held.rows:
            self._take(feature, held)

    def _take(self, feature: str, sweep: _Sweep) -> None:
        server_id, rows, per_day = self.server_id, self.rows, self.per_day
        for minute, peak, mean, borrowed in sweep.taken():
            rows.append((server_id, feature, minute, peak, mean, borrowed, True, 0))
            day = minute - minute % DAY
            per_day[day] = per_day.get(day, 0) + 1


class _Held(_Sweep):
    """A feature's sweep as an import reads, and the change of the second being read."""

    __slots__ = ("at", "seats", "borrowed_seats")

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at, self.seats, self.borrowed_seats = at, 0, 0


async def count_read(store: HistoryStore, server_id: int, count: ReadingCount,
                     source_ids: Sequence[int], since: int, until: int) -> int:
    """What an import read from `source_ids`, from `since` to its last moment `until`, now
    that `count` has written its minutes: the days where sessions of other logs (imported
    before, or carried open into this import) were in use too counted again from the
    sessions (`count_imported` counts all of them, when `count` is spoiled), then the
    hours and days rolled up. The minutes in the end as `count_imported` counts them;
    returns how many were written."""
    if count.spoiled:
        return await count_imported(store, server_id, since, until)
    first_day, end_of_days = since - since % DAY, -(-until // DAY) * DAY
    days = set(count.recount_days)  # outside the span too: what lines out of order left
    others = await store.other_sessions_span(server_id, source_ids, first_day, end_of_days,
                                             until)
    if others is not None:
        first, last = others
        days.update(range(max(first_day, first - first % DAY), min(last, end_of_days), DAY))
    written = sum(n for day, n in count.per_day.items() if day not in days)
    for start, end in _spans(sorted(days)):
        written += await count_from_sessions(store, server_id, start, end,
                                             held_until=min(until, end))
    await roll_up(store, first_day, end_of_days, server_id)
    return written


def _spans(days: list[int]) -> Iterator[tuple[int, int]]:
    """The days (their first seconds, in order) as spans of days one after another."""
    start = None
    for day, after in zip(days, [*days[1:], None]):
        start = day if start is None else start
        if after != day + DAY:
            yield start, day + DAY
            start = None


class _CountedMinutes:
    """Minutes counted from sessions, written BATCH_ROWS at a time."""

    def __init__(self, store: HistoryStore, server_id: int) -> None:
        self.store = store
        self.server_id = server_id
        self.rows: list[tuple] = []  # in the order of the store's COUNTED_MINUTE_COLUMNS
        self.written = 0

    async def add(self, feature: str | None, minutes: Iterable[Minute]) -> None:
        server_id, rows = self.server_id, self.rows
        for minute, peak, mean, borrowed in minutes:
            rows.append((server_id, feature, minute, peak, mean, borrowed, True, 0))
            if len(rows) >= BATCH_ROWS:
                await self.flush()
                rows = self.rows

    async def flush(self) -> None:
        await self.store.upsert_counted_minutes(self.rows)
        self.written += len(self.rows)
        self.rows = []


# ---- from polls -------------------------------------------------------------------------------

def poll_figures(status: ServerStatus) -> list[PollFigures]:
    """Each feature's figures in one status (features listed twice, by two sources of a
    server, are added up). lmstat counts idle reservations in use: they are taken out."""
    figures: dict[str, PollFigures] = {}
    for feature in status.features:
        if feature.issued is None and feature.in_use is None:
            continue  # an error line, or uncounted
        reserved = feature.reserved
        found = PollFigures(feature.name, max(0, (feature.in_use or 0) - reserved),
                            feature.issued, reserved, feature.borrowed, feature.queued_count)
        known = figures.get(feature.name)
        figures[feature.name] = found if known is None else PollFigures(
            feature.name, known.in_use + found.in_use,
            None if known.issued is None or found.issued is None
            else known.issued + found.issued,
            known.reserved_idle + found.reserved_idle, known.borrowed + found.borrowed,
            known.queued + found.queued)
    return list(figures.values())


def poll_minutes(server_id: int, at: int, previous_at: int | None, interval_s: float,
                 figures: Sequence[PollFigures]) -> list[dict]:
    """The minute rows one poll at `at` stands for: its own minute, and those since the
    previous poll when that was at most HOLD_POLLS intervals before."""
    minute = at - at % MINUTE
    first = minute
    if previous_at is not None and 0 < at - previous_at <= HOLD_POLLS * max(interval_s, 60):
        first = min(previous_at - previous_at % MINUTE + MINUTE, minute)
    return [{"server_id": server_id, "feature": f.feature, "at": m, "in_use_peak": f.in_use,
             "in_use_mean": float(f.in_use), "issued": f.issued,
             "reserved_idle": f.reserved_idle, "borrowed": f.borrowed, "queued": f.queued,
             "from_log": False, "polls": 1}
            for m in range(first, minute + MINUTE, MINUTE) for f in figures]


async def set_issued(store: HistoryStore, server_id: int, issued: Mapping[str, int]) -> None:
    """Each feature's issued count where the occupancy has none (counted from a log, which
    does not say it): a licence's own counts, for a history imported without polls."""
    for table in (schema.occupancy_minute, schema.occupancy_hour, schema.occupancy_day):
        for feature, seats in issued.items():
            await store.execute(update(table).where(
                table.c.server_id == server_id, table.c.feature == feature,
                table.c.issued.is_(None)).values(issued=seats))


# ---- roll-ups and retention -------------------------------------------------------------------

LEVELS = ((schema.occupancy_minute, schema.occupancy_hour, HOUR),
          (schema.occupancy_hour, schema.occupancy_day, DAY))


async def roll_up(store: HistoryStore, since: int, until: int,
                  server_id: int | None = None) -> None:
    """The hours and days touching [since, until) computed again from the level below.
    A period's mean counts the sub-periods with no row as nothing in use."""
    for source, target, period in LEVELS:
        start, end = since - since % period, -(-until // period) * period
        size = period // (HOUR if period == DAY else MINUTE)
        bucket = source.c.at - source.c.at % period
        condition = and_(source.c.at >= start, source.c.at < end,
                         *([source.c.server_id == server_id] if server_id else []))
        query = (select(source.c.server_id, source.c.feature, bucket.label("at"),
                        func.max(source.c.in_use_peak), func.sum(source.c.in_use_mean) / size,
                        func.max(source.c.issued), func.max(source.c.reserved_idle),
                        func.max(source.c.borrowed), func.max(source.c.queued),
                        func.max(cast(source.c.from_log, Integer)) > 0)
                 .where(condition).group_by(source.c.server_id, source.c.feature, bucket))
        await store.upsert_select(target, query)


async def apply_retention(store: HistoryStore, retention: Retention, now: int) -> dict[str,
                                                                                     int]:
    """Deletes what is older than the retention of its level; the rows deleted per table."""
    deleted = {}
    for table, keep in ((schema.events, retention.events),
                        (schema.occupancy_minute, retention.minutes),
                        (schema.occupancy_hour, retention.hours),
                        (schema.occupancy_day, retention.days)):
        if keep is not None:
            deleted[table.name] = await store.execute(delete(table).where(table.c.at <
                                                                          now - keep))
    return deleted

