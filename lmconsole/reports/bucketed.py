"""The hour level aggregated per (server, feature, bucket of the reader's clock) on SQLite
without sorting the hours.

SQLite groups rows by sorting them: over a year of hours (5.7 million rows for 2,000
features) the sort by local bucket costs more than the reading. Here the database is led
along the hours' key (server_id, feature, at) instead: for each feature of the period (from
the hours' tally, a row per feature and UTC day) and each bucket, the stretches of `at`
whose middle falls in the bucket on the reader's clock, read in that order, so that each
group is complete before the next begins and nothing is sorted. The stretches are worked
out here from the zone's UTC offsets, as base.local_seconds applies them in SQL: one
stretch per bucket and offset.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    and_,
    insert,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from lmconsole.history import schema
from lmconsole.history.store import HistoryStore

from .base import HOUR, Question, filtered, offset_changes

_temporary = MetaData()
# the features of the period, numbered in the order the hours' key has them
FEATURES = Table("report_features", _temporary,
                 Column("id", Integer, primary_key=True),
                 Column("server_id", Integer, nullable=False),
                 Column("feature", String, nullable=False),
                 prefixes=["TEMPORARY"])
# the stretches [first_at, end_at) of `at` of each bucket, in the buckets' order
STRETCHES = Table("report_stretches", _temporary,
                  Column("bucket", BigInteger, nullable=False),
                  Column("first_at", BigInteger, nullable=False),
                  Column("end_at", BigInteger, nullable=False),
                  PrimaryKeyConstraint("bucket", "first_at"),
                  sqlite_with_rowid=False, prefixes=["TEMPORARY"])


def applies(store: HistoryStore, question: Question, level_s: int) -> bool:
    """Whether the level is read this way: the hours on SQLite, of everyone (a group's
    use is worked out from sessions, not read from a table)."""
    return store.dialect == "sqlite" and level_s == HOUR and not question.groups


def stretches(question: Question, level_s: int, floor: Callable[[int], int],
              following: Callable[[int], float]) -> list[tuple[int, int, int]]:
    """(bucket, first_at, end_at): the level periods of the question's period (`at` from
    the level period holding its start to its end) whose middle falls in the bucket on the
    reader's clock. A bucket is known by `floor(local)`, the bucket of local-clock seconds,
    and runs to `following(bucket)`, where the next one begins."""
    half = level_s // 2
    first = question.start - question.start % level_s + half  # the middles, from
    end = question.end + half  # and to
    changes = offset_changes(question.tz, question.start - level_s, question.end)
    found = []
    for n, (since, offset) in enumerate(changes):
        start = first if n == 0 else max(first, since)  # the middles with this offset
        high = end if n + 1 == len(changes) else min(end, changes[n + 1][0])
        bucket = floor(start + offset)
        while start < high:
            beyond = following(bucket)
            stop = min(high, beyond - offset)
            found.append((bucket, start - half, int(stop) - half))
            start, bucket = stop, beyond
    return found


@asynccontextmanager
async def bucketed(store: HistoryStore, question: Question, servers: Collection[int],
                   found: list[tuple[int, int, int]]) -> AsyncIterator[AsyncConnection]:
    """A connection holding the temporary tables of the period's features and the buckets'
    stretches (`found`), dropped after."""
    t = schema.occupancy_hour_tally
    day_start = question.start - question.start % HOUR
    features = filtered(select(t.c.server_id, t.c.feature).distinct()
                        .where(t.c.server_id.in_(servers),
                               t.c.at >= day_start - day_start % 86_400, t.c.at < question.end)
                        .order_by(t.c.server_id, t.c.feature), t, question)
    async with store.engine.connect() as connection:
        await connection.run_sync(_temporary.create_all)
        try:
            await connection.execute(insert(FEATURES).from_select(["server_id", "feature"],
                                                                  features))
            if found:
                await connection.execute(insert(STRETCHES), [
                    {"bucket": bucket, "first_at": first_at, "end_at": end_at}
                    for bucket, first_at, end_at in found])
            yield connection
        finally:
            await connection.run_sync(_temporary.drop_all)


def per_bucket(*aggregates, where=(), bucket: str = "bucket"):
    """SQL: per feature of the period and bucket (the column named `bucket`), the
    aggregates of its hours (columns of schema.occupancy_hour) in the bucket; buckets
    without hours have no row."""
    h, f, s = schema.occupancy_hour.c, FEATURES.c, STRETCHES.c
    hours = and_(h.server_id == f.server_id, h.feature == f.feature,
                 h.at >= s.first_at, h.at < s.end_at)
    return (select(f.server_id, f.feature, s.bucket.label(bucket), *aggregates)
            .select_from(FEATURES.join(STRETCHES, true())
                         .join(schema.occupancy_hour, hours))
            .where(*where)
            .group_by(f.id, s.bucket))
