"""The licence file as the simulated server reads it.

The text is read by the product's parser (`..license.parse_license`); this module keeps
only what a licence server needs in order to serve seats: SERVER, VENDOR/DAEMON and
USE_SERVER lines, and the FEATURE/INCREMENT lines folded into licence pools. A line the
daemon could not use (missing fields, an unreadable date or count) is left out and listed
in `problems`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..license import POOLING_KEYS, FeatureLine, options_path, parse_license, port_number

DEFAULT_PORT = 27000


@dataclass(frozen=True, slots=True)
class ServerLine:
    host: str
    hostid: str
    port: int


@dataclass(frozen=True, slots=True)
class VendorLine:
    name: str
    path: str | None
    options: str | None  # the options file as written on the line (None: not named)
    port: int | None


@dataclass(slots=True)
class LicencePool:
    """Seats of one feature that FlexLM treats as interchangeable."""

    feature: str
    vendor: str
    version: str
    expiry: date | None  # None: permanent
    expiry_text: str
    count: int | None  # None: uncounted
    attrs: dict[str, str] = field(default_factory=dict)  # KEY (upper case) -> value

    @property
    def vendor_string(self) -> str | None:
        return self.attrs.get("VENDOR_STRING")

    @property
    def borrowable(self) -> bool:
        return "BORROW" in self.attrs

    def pool_key(self) -> tuple:
        return (self.feature, self.vendor, self.version, self.count is None,
                *(self.attrs.get(k) for k in POOLING_KEYS))


@dataclass(slots=True)
class LicenceFile:
    servers: list[ServerLine] = field(default_factory=list)
    vendors: list[VendorLine] = field(default_factory=list)
    pools: list[LicencePool] = field(default_factory=list)
    use_server: bool = False
    problems: list[str] = field(default_factory=list)  # "line N: what was wrong"

    def features(self) -> list[str]:
        """Feature names in the order the file first names them."""
        return list(dict.fromkeys(p.feature for p in self.pools))

    def pools_of(self, feature: str) -> list[LicencePool]:
        return [p for p in self.pools if p.feature == feature]

    def vendor(self, name: str) -> VendorLine | None:
        return next((v for v in self.vendors if v.name == name), None)


def parse_licence(text: str) -> LicenceFile:
    parsed = parse_license(text.lstrip("\ufeff"))
    lic = LicenceFile(use_server=parsed.use_server)
    problems: list[tuple[int, str]] = []
    for server in parsed.servers:
        if server.hostid is None:
            problems.append((server.entry.line, "cannot read SERVER line (no hostid)"))
            continue
        port = port_number(server.port)
        lic.servers.append(ServerLine(server.host, server.hostid,
                                      DEFAULT_PORT if port is None else port))
    for vendor in parsed.vendors:
        port = port_number(vendor.port)  # a positional word that is no number: no port
        bad_port = port is None and vendor.port is not None and "=" in vendor.port.text
        if not vendor.name or bad_port:
            problems.append((vendor.entry.line, "cannot read VENDOR line (no name, or "
                                                "port= is not a number)"))
            continue
        lic.vendors.append(VendorLine(vendor.name, vendor.path, options_path(vendor) or None,
                                      port))
    # A FEATURE line of a pool that an earlier FEATURE line began is ignored, as the licence
    # model decides; INCREMENT lines add seats.
    ignored = {id(line) for line in parsed.ignored}
    by_key: dict[tuple, LicencePool] = {}
    for line in parsed.features:
        if line.keyword == "UPGRADE" or id(line) in ignored:
            continue
        wrong = _unusable(line)
        if wrong:
            problems.append((line.entry.line, f"cannot read {line.keyword} line ({wrong})"))
            continue
        pool = _pool(line)
        same = by_key.get(pool.pool_key())
        if same is None:
            by_key[pool.pool_key()] = pool
            lic.pools.append(pool)
        elif same.count is not None and pool.count is not None:
            same.count += pool.count
    lic.problems = [f"line {n}: {message}" for n, message in sorted(problems)]
    return lic


def _unusable(line: FeatureLine) -> str | None:
    if line.count_text is None:
        return "too few fields"
    if not line.expiry_ok:
        return f"not a FlexLM date: {line.expiry_text!r}"
    if line.seats is None and not line.uncounted:
        return f"not a licence count: {line.count_text!r}"
    return None


def _pool(line: FeatureLine) -> LicencePool:
    attrs = {attr.key.upper(): attr.value or "" for attr in line.attributes}  # the last wins
    for word in line.bare_words:
        attrs.setdefault(word.upper(), "")
    return LicencePool(line.name, line.vendor or "", line.version or "", line.expiry,
                       line.expiry_text or "", None if line.uncounted else line.seats, attrs)
