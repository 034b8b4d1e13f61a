"""A small reader for FlexLM licence files, private to the simulator.

It reads what a licence server needs in order to serve seats: SERVER, VENDOR/DAEMON,
USE_SERVER and FEATURE/INCREMENT lines, folded into licence pools. It is deliberately
lossy (comments, SIGN and PACKAGE lines are dropped); the full lossless licence-file model
lives elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ..dates import parse_expiry

DEFAULT_PORT = 27000
# A key=value pair whose value is quoted, a quoted string, or a bare word.
_TOKEN = re.compile(r'[^\s"=]+="[^"]*"|"[^"]*"|\S+')
# Attributes that split seats into separate pools when they differ (VENDOR_STRING is
# taken as a pooling field, as most vendors configure it).
_POOLING_KEYS = ("VENDOR_STRING", "HOSTID", "DUP_GROUP", "FLOAT_OK", "HOST_BASED",
                 "USER_BASED", "PLATFORMS")


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
                *(self.attrs.get(k) for k in _POOLING_KEYS))


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
    lic = LicenceFile()
    first_feature: set[tuple[str, str]] = set()
    by_key: dict[tuple, LicencePool] = {}
    for lineno, line in logical_lines(text):
        tokens = [_unquote(t) for t in _TOKEN.findall(line)]
        keyword = tokens[0].upper()
        try:
            if keyword == "SERVER":
                port = int(tokens[3]) if len(tokens) > 3 and tokens[3].isdigit() else DEFAULT_PORT
                lic.servers.append(ServerLine(tokens[1], tokens[2], port))
            elif keyword in ("VENDOR", "DAEMON"):
                lic.vendors.append(_vendor_line(tokens))
            elif keyword == "USE_SERVER":
                lic.use_server = True
            elif keyword in ("FEATURE", "INCREMENT"):
                pool = _feature_line(tokens)
                if keyword == "FEATURE":
                    # Only the first FEATURE line of a name counts; INCREMENTs add seats.
                    if (pool.feature, pool.vendor) in first_feature:
                        continue
                    first_feature.add((pool.feature, pool.vendor))
                same = by_key.get(pool.pool_key())
                if same is None:
                    by_key[pool.pool_key()] = pool
                    lic.pools.append(pool)
                elif same.count is not None and pool.count is not None:
                    same.count += pool.count
        except (IndexError, ValueError) as exc:  # BadDate is a ValueError
            lic.problems.append(f"line {lineno}: cannot read {keyword} line ({exc})")
    return lic


def _vendor_line(tokens: list[str]) -> VendorLine:
    name, positional, options, port = tokens[1], [], None, None
    for token in tokens[2:]:
        key, eq, value = token.partition("=")
        if eq and key.lower() == "options":
            options = value or None
        elif eq and key.lower() == "port":
            port = int(value)
        else:
            positional.append(token)
    # VENDOR name [path] [options_path] [port], the positional form of older files.
    path = positional[0] if positional else None
    if options is None and len(positional) > 1:
        options = positional[1]
    if port is None and len(positional) > 2 and positional[2].isdigit():
        port = int(positional[2])
    return VendorLine(name, path, options, port)


def _feature_line(tokens: list[str]) -> LicencePool:
    feature, vendor, version, expiry_text, count_text = tokens[1:6]
    attrs: dict[str, str] = {}
    for token in tokens[6:]:
        key, eq, value = token.partition("=")
        attrs[key.upper()] = value if eq else ""
    count = None if count_text.lower() == "uncounted" or count_text == "0" else int(count_text)
    return LicencePool(feature, vendor, version, parse_expiry(expiry_text), expiry_text,
                       count, attrs)


def logical_lines(text: str):
    """(first line number, joined text) per entry: `\\` continues, `#` comments (the
    options file's reader uses it too)."""
    pending: list[str] = []
    start = 0
    for lineno, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a commented-out continuation line inside an entry
        if not pending:
            start = lineno
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        yield start, " ".join(pending)
        pending = []
    if pending:
        yield start, " ".join(pending)


def _unquote(token: str) -> str:
    key, eq, value = token.partition("=")
    if eq and value.startswith('"') and value.endswith('"') and len(value) >= 2:
        return f"{key}={value[1:-1]}"
    if token.startswith('"') and token.endswith('"') and len(token) >= 2:
        return token[1:-1]
    return token
