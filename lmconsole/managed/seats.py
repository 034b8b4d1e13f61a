"""Seats of allocation pools set by their managers (`lmconsole pools set`), kept in the
history (schema.pool_seats) with who set them and when. A manager's seats for a feature hold
while the configuration still gives that feature the seats they were set over: when the
admin changes the configuration's, the configuration wins again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from sqlalchemy import select

from lmconsole.history import schema


async def record_seats(store, pool, seats: Mapping[str, int], *, by: str, at: int) -> None:
    """Note that `by` set `seats` (feature -> seats) of `pool` (a PoolConfig) at `at`."""
    configured = dict(pool.seats)
    async with store.engine.begin() as connection:
        await connection.execute(schema.pool_seats.insert(), [
            {"server": pool.server, "pool": pool.name, "feature": feature, "seats": count,
             "config_seats": configured[feature], "set_by": by, "set_at": at}
            for feature, count in seats.items()])


async def seat_changes(store, server: str, pool: str) -> list[tuple[str, int, int, str, int]]:
    """(feature, seats, config_seats, set_by, set_at) of a pool's changes, oldest first."""
    p = schema.pool_seats
    rows = await store.rows(select(p.c.feature, p.c.seats, p.c.config_seats, p.c.set_by,
                                   p.c.set_at)
                            .where(p.c.server == server, p.c.pool == pool)
                            .order_by(p.c.set_at, p.c.id))
    return [tuple(row) for row in rows]


async def with_managers_seats(store, pools: Sequence) -> list:
    """The pools (PoolConfig) with the seats their managers set, where those still hold."""
    found = []
    for pool in pools:
        latest = {feature: (seats, config_seats) for feature, seats, config_seats, _, _
                  in await seat_changes(store, pool.server, pool.name)}
        seats = tuple((feature, latest[feature][0]
                       if feature in latest and latest[feature][1] == count else count)
                      for feature, count in pool.seats)
        found.append(replace(pool, seats=seats))
    return found
