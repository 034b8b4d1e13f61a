"""Parser for IBM License Use Management's `i4blt -s -lc` status (current licence use).

i4blt's status report is a list of `Key: Value` lines in blocks: the server, then per
product its vendor, name, version, licence type, licences and licences in use, then per
user holding one the user, node (host), group and check-out date, blocks set apart by
`====` and `----` lines. No verbatim public output of it was found (formats.md section 11),
so the parser reads the blocks by their keys, in any order and indentation, and says which
keys it does not know rather than guessing at them. LUM's own errors are `ADM-nnnnn:`
messages.

Mapped to the model: one Feature per (vendor, product), one Pool per version, one Checkout
per user block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import tzinfo

from lmconsole.adapter import StatusReport
from lmconsole.model import Checkout, Feature, LicenseHost, Pool, ServerStatus, Status

from ..status_text import Reading, lines_of, moment, says_failure
from . import ERROR

MANAGER = "lum"
_RULE = re.compile(r"[=\-*_ ]{3,}")
_FIRST_NUMBER = re.compile(r"\S+")

# normalised key -> what it is
_KEYS = {
    "server name": "server", "server": "server",
    "vendor name": "vendor", "vendor": "vendor",
    "product name": "product", "product": "product",
    "product version": "version", "version": "version",
    "license type": "type", "licence type": "type", "type": "type",
    "licenses": "issued", "total licenses": "issued", "number of licenses": "issued",
    "enrolled licenses": "issued", "licenses enrolled": "issued", "total": "issued",
    "concurrent licenses": "issued",
    "licenses in use": "in_use", "in use": "in_use", "licenses used": "in_use",
    "number of licenses in use": "in_use", "concurrent licenses in use": "in_use",
    "expiration date": "expiry", "exp. date": "expiry", "exp date": "expiry",
    "end date": "expiry",
    "user name": "user", "user": "user",
    "node name": "node", "node": "node", "host name": "node", "target id": "target",
    "group name": "group", "group": "group",
    "check-out date": "start", "checkout date": "start", "check out date": "start",
    "start time": "start",
}
# Keys known to carry nothing the model holds.
_QUIET = {"vendor id", "product id", "product annotation", "annotation", "server type",
          "start date", "soft stop policy", "timestamp", "license id", "server id",
          "hal cluster", "cluster name", "check-in period", "lease time", "license annotation"}


@dataclass(slots=True)
class _Product:
    vendor: str | None
    name: str
    versions: list[str | None] = field(default_factory=list)
    pools: list[Pool] = field(default_factory=list)
    issued: int | None = None
    counted: bool = False
    in_use: int | None = None
    checkouts: list[Checkout] = field(default_factory=list)


@dataclass(slots=True)
class _Seat:
    user: str
    line: tuple[int, str]  # (number, text) of its user line
    node: str | None = None
    group: str | None = None
    start: tuple[str, int, str] | None = None  # (value, number, text) of its date line


def parse_i4blt(text: str, *, name: str | None = None, tz: tzinfo) -> StatusReport:
    """Parse one `i4blt -s -lc` output, its dates in zone `tz`. Never raises on bad input."""
    return _Parser(name, tz).parse(text)


class _Parser:
    def __init__(self, name: str | None, tz: tzinfo) -> None:
        self.reading = Reading(name)
        self.name = name
        self.tz = tz
        self.server: str | None = None
        self.vendor: str | None = None
        self.products: dict[tuple[str | None, str], _Product] = {}
        self.product: _Product | None = None
        # the product block's fields read before its name: (what, value, text, number)
        self.pending: list[tuple[str, str, str, int]] = []
        self.seat: _Seat | None = None  # the user block being read
        self.errors: list[str] = []

    def parse(self, text: str) -> StatusReport:
        for number, line in lines_of(text):
            self.line(number, line.strip())
        self.end_seat()
        return self.reading.report((self.build(),))

    def line(self, number: int, stripped: str) -> None:
        key, colon, value = stripped.partition(":")
        key = " ".join(key.lower().split())
        value = value.strip()
        if ERROR.search(stripped):
            self.reading.recognised = True
            self.errors.append(stripped)
            self.reading.diagnose(number, "error reported by i4blt", stripped)
        elif _RULE.fullmatch(stripped):
            self.end_seat()
        elif colon and key in _KEYS:
            self.field(_KEYS[key], value, stripped, number)
        elif colon and key in _QUIET:
            pass
        elif "i4blt" in stripped or "License Use Management" in stripped:
            self.reading.recognised = True
        elif says_failure(stripped):
            self.errors.append(stripped)
            self.reading.diagnose(number, "error reported by i4blt", stripped)
        elif colon and key and len(key) <= 40:
            self.reading.diagnose(number, "unknown field", stripped)
        elif not stripped.lower().endswith(("report", "status", "licenses", "users")):
            self.reading.diagnose(number, "unrecognised line", stripped)

    def field(self, what: str, value: str, stripped: str, number: int) -> None:
        if what == "server":
            self.server = value.removeprefix("ip:") or None
        elif what == "vendor":
            self.end_seat()
            self.vendor, self.product = value or None, None
        elif what == "product":
            self.end_seat()
            self.start_product(value, stripped, number)
        elif what in ("user", "node", "group", "start", "target"):
            self.seat_field(what, value, stripped, number)
        elif self.product is None:
            self.pending.append((what, value, stripped, number))
        else:
            self.product_field(self.product, what, value, stripped, number)

    def start_product(self, name: str, stripped: str, number: int) -> None:
        if not name:
            self.reading.diagnose(number, "product without a name", stripped)
            self.product = None
            return
        self.reading.recognised = True
        key = (self.vendor, name)
        product = self.products.get(key)
        if product is None:
            product = self.products[key] = _Product(self.vendor, name)
        self.product = product
        pending, self.pending = self.pending, []
        for what, value, text, line in pending:
            self.product_field(product, what, value, text, line)

    def product_field(self, product: _Product, what: str, value: str, stripped: str,
                      number: int) -> None:
        if what == "version":
            product.versions.append(value or None)
            product.pools.append(Pool(value or None, None, "floating", vendor=product.vendor))
        elif what == "type":
            pool = _last_pool(product)
            product.pools[-1] = pool._replace(license_type=_licence_type(value))
        elif what == "expiry":
            when = moment(value, self.tz)
            if when is None and value.lower() not in ("", "none", "never", "permanent"):
                self.reading.diagnose(number, "unreadable expiry date", stripped)
            pool = _last_pool(product)
            product.pools[-1] = pool._replace(expiry=when.date() if when else None)
        elif what in ("issued", "in_use"):
            first = _FIRST_NUMBER.match(value)
            count = self.reading.number(first[0] if first else "", "licence count", stripped,
                                        number)
            if what == "issued":
                product.counted = True
                product.issued = None if count is None else (product.issued or 0) + count
            else:
                product.in_use = None if count is None else (product.in_use or 0) + count

    # ---- users -------------------------------------------------------------------------------

    def seat_field(self, what: str, value: str, stripped: str, number: int) -> None:
        seat = self.seat
        if what == "user":
            self.end_seat()
            self.seat = _Seat(value, (number, stripped))
        elif seat is None:
            self.reading.diagnose(number, "user field outside a user block", stripped)
        elif what == "node":
            seat.node = value or None
        elif what == "group":
            seat.group = value or None
        elif what == "start":
            seat.start = (value, number, stripped)

    def end_seat(self) -> None:
        seat, self.seat = self.seat, None
        if seat is None:
            return
        if self.product is None:
            number, text = seat.line
            self.reading.diagnose(number, "user block outside a product block", text)
            return
        start = None
        if seat.start is not None:
            value, number, text = seat.start
            start = moment(value, self.tz)
            if start is None:
                self.reading.diagnose(number, "unreadable check-out date", text)
        product = self.product
        pool = len(product.pools) - 1 if product.pools else None
        product.checkouts.append(Checkout(
            seat.user, seat.node, None, product.versions[-1] if product.versions else None,
            pool, self.server, None, None, start,
            extra=f"group {seat.group}" if seat.group else None))

    def build(self) -> ServerStatus:
        features = tuple(
            Feature(name=p.name, vendor=p.vendor, issued=p.issued if p.counted else None,
                    in_use=p.in_use if p.in_use is not None else sum(
                        c.count for c in p.checkouts),
                    pools=tuple(p.pools), checkouts=tuple(p.checkouts))
            for p in self.products.values())
        hosts = (LicenseHost(self.server, None, Status.UP),) if self.server else ()
        status, error = Status.UP, None
        if not features:
            status = Status.DOWN if self.errors else Status.ERROR
            error = "; ".join(self.errors) or "no product in i4blt output"
        return ServerStatus(name=self.name or self.server or "unknown", source=self.server,
                            status=status, error=error, hosts=hosts, features=features,
                            manager=MANAGER)


def _last_pool(product: _Product) -> Pool:
    """The pool of the product block's version line; one of no version when none came."""
    if not product.pools:
        product.versions.append(None)
        product.pools.append(Pool(None, None, "floating", vendor=product.vendor))
    return product.pools[-1]


def _licence_type(text: str) -> str:
    lowered = text.lower()
    if "nodelock" in lowered:
        return "nodelocked"
    if "concurrent" in lowered or "floating" in lowered:
        return "floating"
    return text or "floating"
