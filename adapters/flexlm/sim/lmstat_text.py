"""lmstat's text, laid out like lmutil v11.19.6 prints it (compare corpus/flexlm/lmstat)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from ..dates import format_expiry
from .daemon import Seat, Waiting
from .errors import CANT_CONNECT, VENDOR_DOWN
from .licfile import LicencePool
from .report import LMGRD_VERSION, FeatureBlock, PoolBlock, Report, linger

BANNER = "lmutil - Copyright (c) 1989-2024 Flexera. All Rights Reserved."
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def date_line(at: datetime) -> str:
    return (f"Flexible License Manager status on {_DAYS[at.weekday()]} "
            f"{at.month}/{at.day}/{at.year} {at.hour}:{at.minute:02}")


def start_text(t: int, zone: tzinfo) -> str:
    at = datetime.fromtimestamp(t, zone)
    return f"{_DAYS[at.weekday()]} {at.month}/{at.day} {at.hour}:{at.minute:02}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render_lmstat(report: Report, *, features: bool = True, only: str | None = None) -> str:
    ident = report.identity
    lines = [BANNER, date_line(report.at), "",
             f"License server status: {ident.spec}",
             f"    License file(s) on {ident.hosts[0][0]}: {ident.licence_path}:", ""]
    for host, _port in ident.hosts:
        master = " (MASTER)" if host == ident.master else ""
        lines.append(f"{host}: license server UP{master} {LMGRD_VERSION}")
    lines += ["", f"Vendor daemon status (on {ident.master}):", ""]
    for vendor in report.vendors:
        state = f"UP {vendor.version}" if vendor.up else VENDOR_DOWN.tail
        lines.append(f"{vendor.name:>10}: {state}")
    if features:
        lines += ["Feature usage info:", ""]
        for block in report.features:
            if only is None or block.name == only:
                lines += _feature_lines(block, report)
    return "\n".join(lines) + "\n"


def render_unreachable(at: datetime) -> str:
    return "\n".join([BANNER, date_line(at), "",
                      f"Error getting status: {CANT_CONNECT.tail}"]) + "\n"


def header_error(block: FeatureBlock) -> str | None:
    """What the header says instead of totals when the feature's vendor daemon is down."""
    if not block.vendor_down:
        return None
    return f"{block.issued or 0} licenses, unsupported by licensed server"


def feature_header(block: FeatureBlock) -> str:
    head = f"Users of {block.name}:  "
    if block.vendor_down:
        return head + f"(Error: {header_error(block)})"
    if block.issued is None:
        return head + "(Uncounted, node-locked)"
    return head + (f"(Total of {plural(block.issued, 'license')} issued;  "
                   f"Total of {plural(block.in_use, 'license')} in use)")


def _feature_lines(block: FeatureBlock, report: Report) -> list[str]:
    lines = [feature_header(block), ""]
    for pool_block in block.pools:
        lines += _pool_lines(pool_block, report)
    return lines


def _pool_lines(block: PoolBlock, report: Report) -> list[str]:
    pool = block.pool
    server = f"{report.identity.master}/{report.identity.master_port}"
    lines = [(f'  "{pool.feature}" v{pool.version}, vendor: {pool.vendor}, '
              f"expiry: {format_expiry(pool.expiry)}")]
    if pool.vendor_string is not None:
        lines.append(f"  vendor_string: {pool.vendor_string}")
    lines += [f"  {pool_type(pool)}", ""]
    for use in block.reservations:
        rule = use.rule
        count = plural(use.unused, "RESERVATION")
        lines.append(f"\t{count} for {rule.kind} {rule.name} ({server})")
    lines += [user_line(seat, server, report) for seat in block.seats]
    lines += [queued_line(waiting, server) for waiting in block.queued]
    return lines + [""]


def pool_type(pool: LicencePool) -> str:
    if pool.count is not None:
        return "floating license"
    hostid = pool.attrs.get("HOSTID", "ANY")
    if hostid.upper() == "ANY":
        return "uncounted nodelocked license locked to NOTHING (hostid=ANY)"
    return f'uncounted nodelocked license, locked to "{hostid}"'


def user_line(seat: Seat, server: str, report: Report) -> str:
    line = (f"    {seat.user} {seat.host} {seat.display} (v{seat.version}) "
            f"({server} {seat.handle}), start {start_text(seat.start, report.at.tzinfo)}")
    if seat.count > 1:
        line += f", {seat.count} licenses"
    borrowed = linger(seat, report.now_s)
    if borrowed is not None:
        line += f"  (linger: {borrowed[0]} / {borrowed[1]})"
    return line


def queued_line(waiting: Waiting, server: str) -> str:
    # Real output repeats the version as a bare token before "(v...)" on queued lines.
    return (f"    {waiting.user} {waiting.host} {waiting.display} {waiting.version} "
            f"(v{waiting.version}) ({server} {waiting.handle}) "
            f"queued for {plural(waiting.count, 'license')}")
