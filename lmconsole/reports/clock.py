"""The reader's calendar: hours, days, weeks (from Monday) and months on the clock of the
report's zone, as Python lists them (with their real length: 23 or 25 hours on the day of
a DST change) and as SQL finds them from an occupancy row.

A bucket is known by its key: its first second on the local clock (epoch seconds with the
zone's UTC offset added, as base.local_seconds computes them), the same in both. An
occupancy row counts in the bucket its middle falls in: a level period that straddles two
buckets (a UTC day in any other zone) goes where most of it lies.
"""

from __future__ import annotations

import bisect
import calendar
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import case

from lmconsole.history.store import HistoryStore

from .base import (
    DAY,
    HOUR,
    Question,
    Span,
    covered_s,
    gap_intervals,
    local_seconds,
)

PERS = ("hour", "day", "week", "month")
WEEK = 7 * DAY
MONDAY = 4 * DAY  # 1970-01-05, the first Monday after the epoch
SHORTEST_S = {"hour": HOUR, "day": DAY, "week": WEEK, "month": 28 * DAY}
LABELS = {"hour": "%Y-%m-%d %H:00", "day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%Y-%m"}


@dataclass(frozen=True, slots=True)
class Bucket:
    key: int  # its first second on the local clock
    start: int  # epoch seconds: [start, end) is the real time it spans
    end: int
    label: str  # its start on the local clock: 2026-03-29, 2026-03-29 14:00, 2026-03

    @property
    def seconds(self) -> int:
        return self.end - self.start


def buckets(per: str, tz: tzinfo, start: int, end: int) -> list[Bucket]:
    """The buckets that overlap [start, end), in order; an hour the clock skips (DST) has
    none."""
    local = _truncated(datetime.fromtimestamp(start, tz).replace(tzinfo=None), per)
    found = []
    while (opens := _epoch(local, tz)) < end:
        following = _following(local, per)
        closes = _epoch(following, tz)
        if closes > opens:
            found.append(Bucket(calendar.timegm(local.timetuple()), opens, closes,
                                local.strftime(LABELS[per])))
        local = following
    return found


def _truncated(moment: datetime, per: str) -> datetime:
    if per == "hour":
        return datetime(moment.year, moment.month, moment.day, moment.hour)
    day = datetime(moment.year, moment.month, moment.day)
    if per == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if per == "month" else day


def _following(local: datetime, per: str) -> datetime:
    if per == "month":
        return local.replace(year=local.year + local.month // 12, month=local.month % 12 + 1)
    return local + {"hour": timedelta(hours=1), "day": timedelta(days=1),
                    "week": timedelta(weeks=1)}[per]


def _epoch(local: datetime, tz: tzinfo) -> int:
    """The first real second the local clock reads `local` or later (fold 0: the earlier of
    a repeated hour; a skipped time is the moment the clock jumps)."""
    return int(local.replace(tzinfo=tz).timestamp())


def local_middle(table, level_s: int, question: Question):
    """SQL: the middle of an occupancy row's period on the local clock."""
    return local_seconds(table.c.at + level_s // 2, question.tz, question.start - level_s,
                         question.end)


def bucket_key(local, per: str, listed: Sequence[Bucket]):
    """SQL: the key of the bucket holding `local` (local-clock seconds)."""
    if per == "hour":
        return local // HOUR * HOUR
    if per == "day":
        return local // DAY * DAY
    if per == "week":
        return (local - MONDAY) // WEEK * WEEK + MONDAY
    keys = [bucket.key for bucket in listed]
    return case(*[(local >= key, key) for key in reversed(keys[1:])], else_=keys[0])


def bucket_bounds(per: str, listed: Sequence[Bucket]
                  ) -> tuple[Callable[[int], int], Callable[[int], float]]:
    """The key of the bucket holding local-clock seconds, as bucket_key has it, and the
    local second where the bucket of a key ends (infinity: it runs on)."""
    if per != "month":
        length = {"hour": HOUR, "day": DAY, "week": WEEK}[per]
        start = MONDAY if per == "week" else 0
        return (lambda local: (local - start) // length * length + start,
                lambda key: key + length)
    keys = [bucket.key for bucket in listed]
    following = dict(zip(keys, keys[1:]))
    return (lambda local: keys[max(0, bisect.bisect_right(keys, local) - 1)],
            lambda key: following.get(key, math.inf))


def weekday(local):
    """Monday 0 to Sunday 6, of local-clock seconds (SQL or int): 1970-01-01 was a
    Thursday."""
    return (local // DAY + 3) % 7


def hour_of_day(local):
    return local % DAY // HOUR


async def observed_s(store: HistoryStore, spans: dict[int, Span],
                     listed: Sequence[Bucket]) -> dict[int, dict[int, int]]:
    """Per server and bucket key: the seconds of the bucket inside the server's span and
    outside its gaps (the buckets with none left out)."""
    found: dict[int, dict[int, int]] = {}
    for server_id, span in spans.items():
        gaps = await gap_intervals(store, server_id, span.start, span.end)
        seen = found.setdefault(server_id, {})
        for bucket in listed:
            start, end = max(bucket.start, span.start), min(bucket.end, span.end)
            if end > start and (seconds := end - start - covered_s(gaps, start, end)):
                seen[bucket.key] = seconds
    return found

