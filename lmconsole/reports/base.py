"""What every report shares: the question (period, filters), the answer (rows, and the rules
and gaps behind them), the occupancy level a period is read from, and the time observed.

A report's figures are aggregated by SQL in the database; Python only arranges what comes
back (a row per feature, a histogram of a few dozen values) and the periods the database
has no rows for (gaps, which are few).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sqlalchemy import BigInteger, Select, case, cast, func, literal, or_, select, true, tuple_

from lmconsole.history import schema
from lmconsole.history.store import HistoryStore

MINUTE, HOUR, DAY = 60, 3600, 86_400
LEVELS = ((MINUTE, schema.occupancy_minute), (HOUR, schema.occupancy_hour),
          (DAY, schema.occupancy_day))
LEVEL_NAMES = {MINUTE: "minute", HOUR: "hour", DAY: "day"}


class ReportError(ValueError):
    """A question the history cannot answer as asked (the command line exits 2)."""


@dataclass(frozen=True, slots=True)
class Question:
    """What a report is asked: the period [start, end) in epoch seconds, and filters."""

    start: int
    end: int
    tz: tzinfo
    servers: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()  # directory groups: their members only, as of each time
    directory: str | None = None  # the directory the groups are of (default: any)


@dataclass
class Report:
    """A report's answer: rows with the columns named, and what a reader must know to trust
    them: the rules its figures follow, the level they were read from, the gaps in the
    period."""

    name: str
    title: str
    question: Question
    columns: tuple[tuple[str, str], ...]  # (key, table heading)
    rows: list[dict] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    level_s: int | None = None  # the occupancy level read, if any
    gaps: list[dict] = field(default_factory=list)
    times: frozenset[str] = frozenset()  # the keys holding epoch seconds


@dataclass(frozen=True, slots=True)
class Span:
    """One server's observed time in the period: where its history has data, less gaps."""

    server_id: int
    start: int
    end: int
    unobserved_s: int

    @property
    def observed_s(self) -> int:
        return max(0, self.end - self.start - self.unobserved_s)


async def server_ids(store: HistoryStore, question: Question) -> dict[int, str]:
    sv = schema.servers
    query = select(sv.c.id, sv.c.name).order_by(sv.c.name)
    if question.servers:
        query = query.where(sv.c.name.in_(question.servers))
    return {row.id: row.name for row in await store.rows(query)}


async def finest_level(store: HistoryStore, question: Question,
                       servers: Sequence[int]) -> int:
    """The finest occupancy level that reaches as far back into the period as the next
    coarser one does (within one of its periods): the retention deletes minutes first,
    then hours.
    Rows of nothing in use do not count: a roll-up writes them for every hour of a day it
    touched, where the minutes have rows only for the minutes something was held.
    A group's use is worked out from its members' sessions per hour (or per day, where the
    history keeps only days)."""
    level_s = await _finest_kept(store, question, servers)
    return max(level_s, HOUR) if question.groups else level_s


async def _finest_kept(store: HistoryStore, question: Question, servers: Sequence[int]) -> int:
    firsts = {}
    for seconds, table in LEVELS:
        found = [await _first_in_use(store, table, server_id) for server_id in servers]
        firsts[seconds] = min((at for at in found if at is not None), default=None)
    if all(first is None for first in firsts.values()):
        return MINUTE
    for (seconds, _), (coarser, _) in zip(LEVELS, LEVELS[1:]):
        if firsts[seconds] is None:
            continue
        if firsts[coarser] is None:  # nothing coarser reaches further back
            return seconds
        if firsts[seconds] < max(question.start, firsts[coarser]) + coarser:
            return seconds
    return DAY


async def _first_in_use(store: HistoryStore, table, server_id: int) -> int | None:
    """The first period of a level in which the server had something in use: read along
    its (server_id, at) index from the start, not a scan of the level."""
    rows = await store.rows(select(table.c.at)
                            .where(table.c.server_id == server_id, table.c.in_use_peak > 0)
                            .order_by(table.c.at).limit(1))
    return rows[0][0] if rows else None


def occupancy(level_s: int, question: Question | None = None):
    """The occupancy level's table; for a question about directory groups, their members'
    use at that level worked out from the sessions (a subquery with the table's columns)."""
    if question is not None and question.groups:
        from .membership import group_occupancy  # it builds on this module

        return group_occupancy(level_s, question)
    return dict(LEVELS)[level_s]


def in_period(query: Select, table, question: Question, level_s: int = 0) -> Select:
    """Rows of periods that begin in [start, end) (a level's row covers level_s from its
    `at`: the period is taken whole buckets at a time)."""
    return query.where(table.c.at >= question.start - question.start % max(level_s, 1),
                       table.c.at < question.end)


def of_servers(table, question: Question, servers: Collection[int]):
    """SQL: the row is of the report's servers. Always true when every server is asked and
    no feature named: the whole table is read then, and a scan of it is several times
    cheaper than its index on (server_id, time), which leads to each row by a lookup of
    its own."""
    if question.servers or question.features:
        return table.c.server_id.in_(servers)
    return true()


def of_sessions_servers(sessions, question: Question, servers: Collection[int]):
    """SQL: the session is of the report's servers. Always true unless servers are named:
    every session is of a server, and the sessions of a feature or a user are read along
    an index led by the feature or the user, which a condition on the server only slows."""
    return sessions.c.server_id.in_(servers) if question.servers else true()


def filtered(query: Select, table, question: Question) -> Select:
    if question.features:
        query = query.where(table.c.feature.in_(question.features))
    return query


async def spans(store: HistoryStore, question: Question, servers: dict[int, str],
                level_s: int) -> dict[int, Span]:
    """Per server: from its first to its last record in the period (an occupancy row at
    the level, which covers level_s, or a log event), less the gaps recorded in that time:
    the time before its history began, or after it was last seen, is not counted."""
    table = occupancy(level_s)
    found = {}
    period_start = question.start - question.start % level_s  # the level's first period
    for server_id in servers:
        occupied = await _first_and_last(store, table, server_id, period_start, question.end)
        logged = await _first_and_last(store, schema.events, server_id, question.start,
                                       question.end)
        firsts = [t for t in (occupied[0], logged[0]) if t is not None]
        lasts = [t for t in (None if occupied[1] is None else occupied[1] + level_s,
                             logged[1]) if t is not None]
        if not firsts:
            continue
        start, end = max(question.start, min(firsts)), min(question.end, max(lasts))
        found[server_id] = Span(server_id, start, end,
                                await unobserved_s(store, server_id, start, end))
    return found


async def _first_and_last(store: HistoryStore, table, server_id: int, start: int, end: int
                          ) -> tuple[int | None, int | None]:
    """The first and last `at` of a server's rows in [start, end): two queries, each a
    single min() or max() that SQLite answers from the (server_id, at) index alone."""
    where = (table.c.server_id == server_id, table.c.at >= start, table.c.at < end)
    first = (await store.rows(select(func.min(table.c.at)).where(*where)))[0][0]
    last = (await store.rows(select(func.max(table.c.at)).where(*where)))[0][0]
    return first, last


async def unobserved_s(store: HistoryStore, server_id: int, start: int, end: int) -> int:
    """The seconds of [start, end) covered by the server's gaps (overlaps counted once)."""
    return covered_s(await gap_intervals(store, server_id, start, end), start, end)


async def gap_intervals(store: HistoryStore, server_id: int, start: int, end: int
                        ) -> list[tuple[int, int | None]]:
    return [(g.start_at, g.end_at) for g in await gaps_in(store, server_id, start, end)]


def covered_s(intervals: Sequence[tuple[int, int | None]], start: int, end: int) -> int:
    """The seconds of [start, end) the intervals cover (overlaps counted once; an interval
    without an end runs on)."""
    intervals = sorted((max(start, first), min(end, last if last is not None else end))
                       for first, last in intervals)
    covered, reach = 0, start
    for gap_start, gap_end in intervals:
        gap_start = max(gap_start, reach)
        if gap_end > gap_start:
            covered += gap_end - gap_start
            reach = gap_end
    return covered


async def gaps_in(store: HistoryStore, server_id: int, start: int, end: int) -> list:
    g = schema.gaps
    return await store.rows(
        select(g.c.kind, g.c.start_at, g.c.end_at, g.c.reason)
        .where(g.c.server_id == server_id, g.c.start_at < end,
               or_(g.c.end_at.is_(None), g.c.end_at > start))
        .order_by(g.c.start_at))


async def gap_rows(store: HistoryStore, servers: dict[int, str], question: Question
                   ) -> list[dict]:
    """The gaps of the servers in the period, for a report's header."""
    rows = []
    for server_id, name in servers.items():
        for gap in await gaps_in(store, server_id, question.start, question.end):
            rows.append({"server": name, "kind": gap.kind, "start": gap.start_at,
                         "end": gap.end_at, "reason": gap.reason})
    return rows


def total(values):
    """SQL for the SUM of integers, as an integer (PostgreSQL sums bigints as numeric)."""
    return cast(func.sum(values), BigInteger)


def greatest(dialect: str, *values):
    """SQL for the largest of `values`: SQLite's max() of several arguments, else GREATEST."""
    return (func.max if dialect == "sqlite" else func.greatest)(*values, type_=BigInteger)


def least(dialect: str, *values):
    """SQL for the smallest of `values`: SQLite's min() of several arguments, else LEAST."""
    return (func.min if dialect == "sqlite" else func.least)(*values, type_=BigInteger)


@dataclass(frozen=True, slots=True)
class Reach:
    """How far a session still open is held: to its server's last record in the period,
    `servers`; or, for one whose vendor daemon's logs end before another daemon's, to
    there: `early`, per (server id, that end), those sessions, known by columns the
    reports' covering indexes hold (feature, user and start)."""

    servers: dict[int, int]
    early: dict[tuple[int, int], list[tuple[str, str, int]]] = field(default_factory=dict)


async def reaches(store: HistoryStore, question: Question, servers: dict[int, str]
                  ) -> Reach:
    """Per server, the last moment of the period its history saw (its last record in the
    period, as `spans` finds it); and the sessions still open of vendor daemons whose logs
    end before another's, with that end: a session still open is held no further."""
    level_s = await finest_level(store, question, list(servers))
    ends = {server_id: span.end
            for server_id, span in (await spans(store, question, servers, level_s)).items()}
    early: dict[tuple[int, int], list[tuple[str, str, int]]] = {}
    for server_id, end in ends.items():
        ended = await store.daemons_ended_early(server_id)
        if ended:
            for feature, user, start, daemon in await store.still_open_of(server_id, ended):
                held = min(end, max(ended[daemon], question.start))
                early.setdefault((server_id, held), []).append((feature, user, start))
    return Reach(ends, early)


def held_until(sessions, question: Question, reach: Reach):
    """SQL for when a session stopped being held: its end, or for one still open the last
    moment its server was seen in the period (the period's start if it was not seen), or
    where its vendor daemon's logs ended, before another's."""
    start = literal(question.start, BigInteger)
    seen_until = (case({server_id: literal(end, BigInteger)
                        for server_id, end in reach.servers.items()},
                       value=sessions.c.server_id, else_=start)
                  if reach.servers else start)
    if reach.early:
        c = sessions.c
        seen_until = case(*(((c.server_id == server_id)
                             & tuple_(c.feature, c.user_name, c.start_at).in_(held_open),
                             literal(held, BigInteger))
                            for (server_id, held), held_open in reach.early.items()),
                          else_=seen_until)
    return func.coalesce(sessions.c.end_at, seen_until)


def seconds_in_period(dialect: str, sessions, question: Question, reach: Reach):
    """SQL for the seconds of the period a session was held (0 if none): for one begun and
    ended in the period (most, over a long one) its length, without the functions that
    clip the others (a third of what users of ten million sessions cost on SQLite)."""
    c = sessions.c
    start = greatest(dialect, c.start_at, question.start)
    end = least(dialect, held_until(sessions, question, reach), question.end)
    inside = (c.start_at >= question.start) & (c.end_at <= question.end)
    return case((inside, c.end_at - c.start_at), else_=greatest(dialect, end - start, 0))


def sessions_in_period(query: Select, sessions, question: Question,
                       reach: Reach) -> Select:
    """The sessions held at some time in the period (or begun and ended at one moment in
    it)."""
    return query.where(sessions.c.start_at < question.end,
                       or_(sessions.c.start_at >= question.start,
                           held_until(sessions, question, reach) > question.start))


def local_seconds(column, tz: tzinfo, start: int, end: int):
    """SQL for `column` (epoch seconds) as seconds on the local clock of `tz` (its UTC
    offset added), right across the DST changes between start and end: a CASE over them."""
    changes = offset_changes(tz, start, end)
    if len(changes) == 1:
        return column + changes[0][1]
    return column + case(*[(column >= at, offset) for at, offset in reversed(changes[1:])],
                         else_=changes[0][1])


def offset_changes(tz: tzinfo, start: int, end: int) -> list[tuple[int, int]]:
    """[(from when, UTC offset in seconds)]: the offset at `start`, then each change up to
    `end` (found day by day, then to the second)."""
    def offset(epoch: int) -> int:
        return int(datetime.fromtimestamp(epoch, tz).utcoffset().total_seconds())

    changes = [(start, offset(start))]
    day = start
    while day < end:
        following = min(day + DAY, end)
        if offset(following) != changes[-1][1]:
            low, high = day, following  # the offset changes in (low, high]
            while high - low > 1:
                middle = (low + high) // 2
                if offset(middle) == changes[-1][1]:
                    low = middle
                else:
                    high = middle
            changes.append((high, offset(high)))
        day = following
    return changes


def tallied_days(question: Question, level_s: int) -> tuple[int, int] | None:
    """The whole UTC days [first, end) of the period that the hour level's tally answers
    for (the hours of the period's first and last part day are read themselves); None when
    the level is not the hour or the period holds no whole day."""
    if level_s != HOUR or question.groups:  # the tally is of everyone's use
        return None
    start = question.start - question.start % HOUR
    first, end = -(-start // DAY) * DAY, question.end - question.end % DAY
    return (first, end) if end > first else None


def untallied(query: Select, table, question: Question, level_s: int,
              days: tuple[int, int] | None) -> list[Select]:
    """`query` over the period's level periods outside the tallied days: a query for each
    part, each a range of the (server_id, at) index (an OR of the two would read the level
    whole)."""
    if days is None:
        return [filtered(in_period(query, table, question, level_s), table, question)]
    start = question.start - question.start % HOUR
    return [filtered(query.where(table.c.at >= first, table.c.at < end), table, question)
            for first, end in ((start, days[0]), (days[1], question.end)) if end > first]


def tallies(query: Select, question: Question, servers: Collection[int],
            days: tuple[int, int]) -> Select:
    t = schema.occupancy_hour_tally
    query = query.where(t.c.server_id.in_(servers), t.c.at >= days[0], t.c.at < days[1])
    return filtered(query, t, question)


async def peak_histograms(store: HistoryStore, question: Question, servers: Collection[int],
                          level_s: int) -> dict[tuple[int, str], dict[int, int]]:
    """How many level periods had each peak, per (server, feature): over a year of hours,
    the whole days from their tally."""
    table = occupancy(level_s, question)
    c = table.c
    days = tallied_days(question, level_s)
    query = (select(c.server_id, c.feature, c.in_use_peak, func.count().label("n"))
             .where(c.server_id.in_(servers))
             .group_by(c.server_id, c.feature, c.in_use_peak))
    queries = untallied(query, table, question, level_s, days)
    if days is not None:
        t = schema.occupancy_hour_tally
        queries.append(tallies(select(t.c.server_id, t.c.feature, t.c.in_use_peak,
                                      func.sum(t.c.hours).label("n"))
                               .group_by(t.c.server_id, t.c.feature, t.c.in_use_peak),
                               question, servers, days))
    histograms: dict[tuple[int, str], dict[int, int]] = {}
    for query in queries:
        for row in await store.rows(query):
            histogram = histograms.setdefault((row.server_id, row.feature), {})
            histogram[row.in_use_peak] = histogram.get(row.in_use_peak, 0) + int(row.n)
    return histograms


def percentile(histogram: dict[int, int], buckets: int, fraction: float) -> int | None:
    """The least value that `fraction` of the `buckets` periods stay at or under; the
    periods the histogram does not count had 0."""
    if buckets <= 0:
        return None
    wanted = fraction * buckets
    seen = buckets - sum(histogram.values())  # the periods with none in use
    if seen >= wanted:
        return 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= wanted:
            return value
    return max(histogram)
