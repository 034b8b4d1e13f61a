"""The domain model of a report: exactly what a correct parser reads from its text.

Times are the server-local wall times lmstat prints (minute resolution), placed in the
zone the caller names, as a parser given that zone would place them.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from lmconsole.model import (
    Checkout,
    Feature,
    LicenseHost,
    Pool,
    Queued,
    Reservation,
    ServerStatus,
    Status,
    VendorDaemon,
)

from .errors import CANT_CONNECT, VENDOR_DOWN
from .lmstat_text import header_error
from .report import LMGRD_VERSION, FeatureBlock, PoolBlock, Report, linger


def report_status(report: Report, tz: tzinfo, name: str | None = None) -> ServerStatus:
    ident = report.identity
    hosts = tuple(LicenseHost(host, port, Status.UP, host == ident.master, LMGRD_VERSION)
                  for host, port in ident.hosts)
    vendors = tuple(VendorDaemon(v.name, Status.UP if v.up else Status.DOWN,
                                 v.version if v.up else None,
                                 None if v.up else VENDOR_DOWN.tail, ident.master)
                    for v in report.vendors)
    only_vendor = report.vendors[0].name if len(report.vendors) == 1 else None
    features = tuple(_feature(block, report, tz, only_vendor) for block in report.features)
    return ServerStatus(name or ident.spec, ident.spec, Status.UP, hosts=hosts,
                        vendors=vendors, features=features,
                        license_files=(ident.licence_path,),
                        reported_at=_wall(report.at, tz), manager="flexlm")


def unreachable_status(at: datetime, tz: tzinfo, name: str) -> ServerStatus:
    """`Error getting status: ...` names no server, host or daemon: an error, not a
    report of a server that is down."""
    return ServerStatus(name, None, Status.ERROR, error=CANT_CONNECT.text,
                        error_code=f"{CANT_CONNECT.code},{CANT_CONNECT.minor}{CANT_CONNECT.detail}",
                        reported_at=_wall(at, tz), manager="flexlm")


def _feature(block: FeatureBlock, report: Report, tz: tzinfo,
             only_vendor: str | None) -> Feature:
    vendor = block.pools[0].pool.vendor if block.pools else only_vendor
    if block.vendor_down:
        return Feature(block.name, vendor, None, None, error=header_error(block))
    checkouts, reservations, queued = [], [], []
    for index, pool_block in enumerate(block.pools):
        checkouts += _checkouts(pool_block, index, report, tz)
        reservations += [Reservation(r.unused, r.rule.kind, r.rule.name, index,
                                     report.identity.master, report.identity.master_port)
                         for r in pool_block.reservations]
        queued += [Queued(w.user, w.host, w.display, w.count, index, w.version,
                          report.identity.master, report.identity.master_port, w.handle)
                   for w in pool_block.queued]
    pools = tuple(_pool(b) for b in block.pools)
    uncounted = block.issued is None
    return Feature(block.name, vendor, block.issued, None if uncounted else block.in_use,
                   uncounted=uncounted, pools=pools, checkouts=tuple(checkouts),
                   reservations=tuple(reservations), queued=tuple(queued))


def _pool(block: PoolBlock) -> Pool:
    pool = block.pool
    if pool.count is not None:
        return Pool(pool.version, pool.expiry, "floating", pool.vendor_string, pool.vendor)
    return Pool(pool.version, pool.expiry, "uncounted", pool.vendor_string, pool.vendor,
                pool.attrs.get("HOSTID", "ANY"))


def _checkouts(block: PoolBlock, index: int, report: Report, tz: tzinfo) -> list[Checkout]:
    ident = report.identity
    result = []
    for seat in block.seats:
        borrowed = linger(seat, report.now_s)
        start = datetime.fromtimestamp(seat.start, report.at.tzinfo)
        result.append(Checkout(
            seat.user, seat.host, seat.display, seat.version, index, ident.master,
            ident.master_port, seat.handle, _wall(start, tz), seat.count,
            borrowed is not None, borrowed[0] if borrowed else None,
            borrowed[1] if borrowed else None))
    return result


def _wall(local: datetime, tz: tzinfo) -> datetime:
    """The printed wall time (to the minute), read in `tz`."""
    return datetime(local.year, local.month, local.day, local.hour, local.minute, tzinfo=tz)
