"""The domain model of an rlmstat report: exactly what a correct parser reads from its text.

Times are the server-local wall times rlmstat prints (checkouts to the minute, the status
time to the second), placed in the zone the caller names, as a parser given it would."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from lmconsole.adapters.rlm.rlmstat import MANAGER, RESERVE
from lmconsole.model import (
    Checkout,
    Feature,
    LicenseHost,
    Pool,
    Reservation,
    ServerStatus,
    Status,
    VendorDaemon,
)

from .report import IsvRows, ProductRows, RlmReport, gather

if TYPE_CHECKING:
    from .server import RlmServer


def rlm_status(server: RlmServer, tz: tzinfo, name: str | None) -> ServerStatus:
    source = f"{server.identity.master_port}@{server.identity.master}"
    if not server.lmgrd_up:
        return ServerStatus(name or source, source, Status.DOWN,
                            error='Error connecting to "rlm" server', manager=MANAGER)
    report = gather(server)
    hosts = (LicenseHost(report.host, report.port, Status.UP, version=report.version),)
    vendors = tuple(VendorDaemon(isv.name, Status.UP, report.version, None, report.host)
                    for isv in report.isvs)
    features = tuple(_feature(report, isv, product, tz)
                     for isv in report.isvs for product in isv.products)
    at = report.at
    reported_at = datetime(at.year, at.month, at.day, at.hour, at.minute, at.second, tzinfo=tz)
    return ServerStatus(name or source, source, Status.UP, hosts=hosts, vendors=vendors,
                        features=features, reported_at=reported_at, manager=MANAGER)


def _feature(report: RlmReport, isv: IsvRows, product: ProductRows, tz: tzinfo) -> Feature:
    pools = tuple(Pool(row.pool.version, row.pool.expiry,
                       "uncounted" if row.pool.count is None else "floating", vendor=isv.name)
                  for row in product.pools)
    uncounted = all(row.pool.count is None for row in product.pools)
    issued = None if uncounted else sum(row.pool.count or 0 for row in product.pools)
    checkouts = tuple(
        Checkout(seat.user, seat.host, None, seat.version, seat.pool, report.host, isv.port,
                 seat.handle, _minute(datetime.fromtimestamp(seat.start, report.at.tzinfo), tz),
                 seat.count, borrowed=seat.borrow_until is not None)
        for seat in product.seats)
    reservations = tuple(Reservation(row.reserved, RESERVE, "", index)
                         for index, row in enumerate(product.pools) if row.reserved)
    return Feature(product.name, isv.name, issued, sum(row.in_use for row in product.pools),
                   uncounted=uncounted, pools=pools, checkouts=checkouts,
                   reservations=reservations)


def _minute(local: datetime, tz: tzinfo) -> datetime:
    return datetime(local.year, local.month, local.day, local.hour, local.minute, tzinfo=tz)
