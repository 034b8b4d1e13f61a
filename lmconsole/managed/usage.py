"""How much each allocation pool uses: the seats its users hold now (a server's status) and,
from the history, their seat-hours and denials over a past period."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, select

from lmconsole.history import schema


@dataclass(frozen=True, slots=True)
class PoolUse:
    feature: str
    allocated: int
    in_use: int | None  # seats its users hold now; None: the server did not answer
    seat_hours: float | None = None  # over the period; None: no history
    denials: int | None = None


def held_now(status, feature: str, users: Collection[str]) -> int:
    """Seats of `feature` the users hold in `status` (a ServerStatus)."""
    return sum(seat.count for f in status.features if f.name == feature
               for seat in f.checkouts if seat.user in users)


async def history_use(store, server: str, features: Iterable[str], users: Collection[str],
                      start: int, end: int) -> dict[str, tuple[float, int]]:
    """feature -> (seat-hours, denials) of `users` on `server` in [start, end)."""
    features = list(features)
    if not users or not features:
        return {feature: (0.0, 0) for feature in features}
    s, d, servers = schema.sessions, schema.denials, schema.servers
    server_id = select(servers.c.id).where(servers.c.name == server).scalar_subquery()
    until = func.coalesce(s.c.end_at, end)
    overlap = (case((until < end, until), else_=end)
               - case((s.c.start_at > start, s.c.start_at), else_=start))
    seats = await store.rows(
        select(s.c.feature, func.sum(overlap * s.c.count))
        .where(s.c.server_id == server_id, s.c.feature.in_(features),
               s.c.user_name.in_(list(users)), s.c.start_at < end,
               func.coalesce(s.c.end_at, end) > start)
        .group_by(s.c.feature))
    refused = await store.rows(
        select(d.c.feature, func.count())
        .where(d.c.server_id == server_id, d.c.feature.in_(features),
               d.c.user_name.in_(list(users)), d.c.at >= start, d.c.at < end)
        .group_by(d.c.feature))
    seconds = {feature: total or 0 for feature, total in seats}
    denials = dict(refused)
    return {feature: (seconds.get(feature, 0) / 3600, denials.get(feature, 0))
            for feature in features}
