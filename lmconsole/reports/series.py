"""A feature's use over a period, in buckets of equal length, for a chart: per bucket the
peak and the time-weighted mean in use, the issued count, the idle reserved seats and the
denials. Several servers (a feature summed by name) are added up minute by minute first.
Aggregated by SQL; a bucket without a row had nothing in use."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from lmconsole.history import schema
from lmconsole.history.store import HistoryStore

from .base import Question, finest_level, occupancy, server_ids


@dataclass(frozen=True, slots=True)
class Bucket:
    start: int  # epoch seconds
    peak: int
    mean: float
    issued: int | None
    reserved_idle: int
    denials: int


@dataclass(frozen=True, slots=True)
class Series:
    feature: str
    servers: tuple[str, ...]
    start: int
    end: int
    level_s: int  # the occupancy level read
    bucket_s: int
    buckets: tuple[Bucket, ...]

    @property
    def peak(self) -> int:
        return max((b.peak for b in self.buckets), default=0)

    @property
    def issued(self) -> int | None:
        return max((b.issued for b in self.buckets if b.issued is not None), default=None)

    @property
    def denials(self) -> int:
        return sum(b.denials for b in self.buckets)


async def usage_series(store: HistoryStore, question: Question, feature: str,
                       points: int) -> Series:
    """`feature` over [question.start, question.end) in at most `points` buckets (each a
    whole number of the level's periods)."""
    servers = await server_ids(store, question)
    level_s = await finest_level(store, question, list(servers)) if servers else 60
    span = question.end - question.start
    bucket_s = max(level_s, -(-span // max(points, 1) // level_s) * level_s)
    count = -(-span // bucket_s)
    figures = await _figures(store, question, servers, feature, level_s, bucket_s)
    denied = await _denials(store, question, servers, feature, bucket_s)
    buckets = []
    for k in range(count):
        peak, mean_sum, issued, reserved = figures.get(k, (0, 0.0, None, 0))
        buckets.append(Bucket(question.start + k * bucket_s, peak,
                              round(mean_sum * level_s / bucket_s, 3), issued, reserved,
                              denied.get(k, 0)))
    return Series(feature, tuple(servers.values()), question.start, question.end, level_s,
                  bucket_s, tuple(buckets))


async def _figures(store, question, servers, feature, level_s, bucket_s) -> dict:
    table = occupancy(level_s)
    c = table.c
    per_period = (select(c.at, func.sum(c.in_use_peak).label("peak"),
                         func.sum(c.in_use_mean).label("mean"),
                         func.sum(c.issued).label("issued"),
                         func.sum(func.coalesce(c.reserved_idle, 0)).label("reserved"))
                  .where(c.server_id.in_(servers), c.feature == feature,
                         c.at >= question.start, c.at < question.end)
                  .group_by(c.at).subquery())
    k = ((per_period.c.at - question.start) // bucket_s).label("k")
    query = (select(k, func.max(per_period.c.peak), func.sum(per_period.c.mean),
                    func.max(per_period.c.issued), func.max(per_period.c.reserved))
             .group_by(k))
    return {row[0]: (int(row[1]), float(row[2]), row[3], int(row[4] or 0))
            for row in await store.rows(query)}


async def _denials(store, question, servers, feature, bucket_s) -> dict[int, int]:
    d = schema.denials
    k = ((d.c.at - question.start) // bucket_s).label("k")
    query = (select(k, func.count())
             .where(d.c.server_id.in_(servers), d.c.feature == feature,
                    d.c.at >= question.start, d.c.at < question.end)
             .group_by(k))
    return {row[0]: row[1] for row in await store.rows(query)}
