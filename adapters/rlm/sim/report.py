"""What `rlmstat -a` shows at one moment, gathered once, then rendered as text
(rlmstat_text.py) and mapped to the domain model (status.py), so the two always agree."""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING, NamedTuple

from lmconsole.adapters.flexlm.sim.daemon import Seat
from lmconsole.adapters.flexlm.sim.licfile import LicencePool

from .isv import RLM_VERSION

if TYPE_CHECKING:
    from .server import RlmServer


class PoolRow(NamedTuple):
    pool: LicencePool
    number: int  # the server's pool number, as `, pool: N` and the report log's OUT name it
    in_use: int
    reserved: int  # reserved seats nobody holds yet
    checkouts: int  # since the ISV started


class ProductRows(NamedTuple):
    name: str
    pools: tuple[PoolRow, ...]
    seats: tuple[Seat, ...]


class IsvRows(NamedTuple):
    name: str
    port: int
    report_log: str | None
    products: tuple[ProductRows, ...]
    denials: int
    removals: int


class RlmReport(NamedTuple):
    host: str
    port: int
    version: str
    started: datetime  # when the rlm server and its ISVs started, server-local
    today_from: datetime  # when today's statistics began: midnight, or the start if later
    at: datetime  # now, server-local, to the second
    isvs: tuple[IsvRows, ...]


def gather(server: RlmServer) -> RlmReport:
    at = server.local(server.now_s)
    started = server.local(server.started_s)
    midnight = datetime.combine(at.date(), time(), at.tzinfo)
    isvs = tuple(_isv(server, isv) for isv in server.daemons.licence.vendors)
    host, port = server.identity.hosts[0]
    return RlmReport(host, port, f"v{RLM_VERSION}", started, max(midnight, started), at, isvs)


def _isv(server: RlmServer, isv) -> IsvRows:
    daemons = server.daemons
    numbers = {id(pool): n for n, pool in enumerate(daemons.licence.pools, 1)}
    products = []
    for product in daemons.licence.features():
        pools = daemons.pools(product)
        if pools[0].vendor != isv.name:
            continue
        rows = tuple(PoolRow(pool, numbers[id(pool)], daemons.used(product, i),
                             sum(r.unused for r in daemons.reservations(product, i)),
                             daemons.checkouts[product, i])
                     for i, pool in enumerate(pools))
        products.append(ProductRows(product, rows, tuple(daemons.seats_of(product))))
    report_log = f"{isv.name}.rl" if server.log.isv == isv.name else None
    return IsvRows(isv.name, server.isv_port(isv), report_log, tuple(products),
                   daemons.denials[isv.name], daemons.removals[isv.name])
