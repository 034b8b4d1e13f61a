"""What `lmstat` shows at one moment, gathered once and then both rendered as text
(lmstat_text.py) and mapped to the domain model (status.py), so the two always agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import NamedTuple

from .daemon import ReservationUse, Seat, VendorDaemons, Waiting
from .licfile import LicencePool

LMGRD_VERSION = "v11.19.6"


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the server is: its SERVER lines, the master and the licence file it reports."""

    hosts: tuple[tuple[str, int], ...]
    master: str
    licence_path: str

    @property
    def spec(self) -> str:
        return ",".join(f"{port}@{host}" for host, port in self.hosts)

    @property
    def master_port(self) -> int:
        return dict(self.hosts)[self.master]


class VendorRow(NamedTuple):
    name: str
    up: bool
    version: str


class PoolBlock(NamedTuple):
    pool: LicencePool
    reservations: list[ReservationUse]  # only those with unused seats
    seats: list[Seat]
    queued: list[Waiting]


class FeatureBlock(NamedTuple):
    name: str
    vendor: str
    issued: int | None  # None: uncounted
    in_use: int
    vendor_down: bool
    pools: list[PoolBlock]  # empty when lmstat prints no detail block


class Report(NamedTuple):
    identity: Identity
    at: datetime  # server-local time of the status line
    now_s: int
    vendors: list[VendorRow]
    features: list[FeatureBlock]


def build_report(identity: Identity, daemons: VendorDaemons, vendor_versions: dict[str, str],
                 now_s: int, zone: tzinfo) -> Report:
    vendors = [VendorRow(v.name, v.name not in daemons.down,
                         vendor_versions.get(v.name, LMGRD_VERSION))
               for v in daemons.licence.vendors]
    features = [_feature_block(daemons, name) for name in daemons.licence.features()]
    return Report(identity, datetime.fromtimestamp(now_s, zone), now_s, vendors, features)


def _feature_block(daemons: VendorDaemons, name: str) -> FeatureBlock:
    pools = daemons.pools(name)
    vendor = pools[0].vendor
    issued = daemons.issued(name)
    in_use = daemons.in_use(name)
    down = vendor in daemons.down
    # lmstat prints the pool blocks only when something is in use (or, for uncounted
    # features, somebody holds one).
    shown = not down and (in_use > 0 if issued is not None else bool(daemons.seats_of(name)))
    blocks = []
    if shown:
        for index, pool in enumerate(pools):
            blocks.append(PoolBlock(
                pool,
                [r for r in daemons.reservations(name, index) if r.unused > 0],
                daemons.seats_of(name, index),
                [w for w in daemons.queue if w.feature == name and w.pool == index]))
    return FeatureBlock(name, vendor, issued, in_use, down, blocks)


def linger(seat: Seat, now_s: int) -> tuple[int, int] | None:
    """(seconds remaining, seconds in all) for a borrowed seat."""
    if seat.borrow_until is None:
        return None
    return max(0, seat.borrow_until - now_s), seat.borrow_total
