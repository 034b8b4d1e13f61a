"""The FlexLM licence file: entries, typed lines, pools and a summary.

`parse_license(text)` groups physical lines into entries (a line and its `\\` continuations,
a comment, a blank line), each keeping its exact source text and line span, so
`format_license(parse_license(text)) == text`. Typed views (servers, vendors, feature lines,
packages) are read from the entries, and feature lines are folded into pools the way the
vendor daemon does (licence-admin reference §1.7). Nothing here raises on bad input; shape
problems are recorded on the entries for the validator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import NamedTuple

from lmconsole.numbers import COUNT_MAX, PORT_MAX, read_int

from .dates import BadDate, parse_expiry
from .options import (
    LogicalLine,
    Problem,
    Token,
    continues,
    line_content,
    physical_lines,
    unquote,
)

KEYWORDS = ("SERVER", "VENDOR", "DAEMON", "USE_SERVER", "FEATURE", "INCREMENT", "UPGRADE",
            "PACKAGE")
# Lines that differ in one of these are separate pools (besides name and version).
POOLING_KEYS = ("HOSTID", "VENDOR_STRING", "USER_BASED", "HOST_BASED", "PLATFORMS",
                "DUP_GROUP", "FLOAT_OK")
# A version is a decimal number of at most 10 characters (yyyy.mmdd included); a PACKAGE
# line's version is optional, and the word in its place may be a key or a `start:` date.
_VERSION = re.compile(r"(?=.{1,10}$)[0-9]+(?:\.[0-9]+)?")
_REQUIRED = {"FEATURE": ("name", "vendor", "version", "expiry date", "licence count"),
             "INCREMENT": ("name", "vendor", "version", "expiry date", "licence count"),
             "UPGRADE": ("name", "vendor", "from-version", "to-version", "expiry date",
                         "licence count"),
             "PACKAGE": ("name", "vendor"), "SERVER": ("host", "hostid"),
             "VENDOR": ("vendor name",)}


class Attribute(NamedTuple):
    key: str  # as written
    value: str | None  # None for a bare keyword such as USER_BASED; quotes removed
    token: Token


@dataclass(frozen=True, slots=True)
class Entry:
    kind: str  # a keyword of KEYWORDS (DAEMON read as VENDOR), "comment", "blank", "unknown"
    text: str
    line: int
    end_line: int
    tokens: tuple[Token, ...] = ()
    problems: tuple[Problem, ...] = ()

    def positional(self) -> tuple[Token, ...]:
        """The tokens after the keyword that are not key=value attributes."""
        return tuple(t for t in self.tokens[1:] if not _is_attribute(t.text))

    def attributes(self) -> tuple[Attribute, ...]:
        return tuple(_attribute(t) for t in self.tokens[1:] if _is_attribute(t.text))


class ServerLine(NamedTuple):
    host: str
    hostid: str | None
    port: Token | None  # as written; validate with port_number()
    entry: Entry


class VendorLine(NamedTuple):
    name: str
    path: str | None
    options: Token | None
    port: Token | None
    entry: Entry


@dataclass(frozen=True, slots=True)
class FeatureLine:
    """A FEATURE, INCREMENT or UPGRADE line."""

    keyword: str
    name: str
    vendor: str | None
    version: str | None
    expiry_text: str | None
    expiry: date | None  # None: never expires, or unreadable (see expiry_ok)
    expiry_ok: bool
    count_text: str | None
    seats: int | None  # None for uncounted (or unreadable) counts
    attributes: tuple[Attribute, ...]
    bare_words: tuple[str, ...]  # positional extras: an old-style licence key, flags
    entry: Entry

    @property
    def uncounted(self) -> bool:
        return (self.count_text or "").lower() in ("uncounted", "0")

    def attribute(self, key: str) -> str | None:
        key = key.upper()
        for attr in self.attributes:
            if attr.key.upper() == key:
                return attr.value if attr.value is not None else ""
        return "" if key in (w.upper() for w in self.bare_words) else None

    def pool_key(self) -> tuple:
        return (self.name, self.version) + tuple(self.attribute(k) for k in POOLING_KEYS)


class PackageLine(NamedTuple):
    name: str
    vendor: str | None
    version: str | None
    components: tuple[tuple[str, str | None, int | None], ...]  # name, version, count
    entry: Entry


@dataclass(frozen=True, slots=True)
class Pool:
    name: str
    vendor: str | None
    version: str | None
    lines: tuple[FeatureLine, ...]  # the first FEATURE and the INCREMENT lines adding to it

    @property
    def seats(self) -> int | None:
        if any(line.uncounted or line.seats is None for line in self.lines):
            return None
        return sum(line.seats or 0 for line in self.lines)

    @property
    def user_based(self) -> bool:
        return self.lines[0].attribute("USER_BASED") is not None

    @property
    def host_based(self) -> bool:
        return self.lines[0].attribute("HOST_BASED") is not None

    @property
    def expiry(self) -> date | None:
        """The earliest expiry of its lines; None when every line is permanent."""
        dates = [line.expiry for line in self.lines if line.expiry is not None]
        return min(dates) if dates else None


@dataclass(frozen=True, slots=True)
class LicenseFile:
    entries: tuple[Entry, ...]
    servers: tuple[ServerLine, ...] = ()
    vendors: tuple[VendorLine, ...] = ()
    use_server: bool = False
    features: tuple[FeatureLine, ...] = ()  # every FEATURE/INCREMENT/UPGRADE line
    packages: tuple[PackageLine, ...] = ()
    pools: tuple[Pool, ...] = ()
    ignored: tuple[FeatureLine, ...] = ()  # FEATURE lines of a pool an earlier FEATURE began
    problems: tuple[Problem, ...] = field(default=())

    @property
    def feature_names(self) -> set[str]:
        return {f.name for f in self.features}

    @property
    def package_names(self) -> set[str]:
        return {p.name for p in self.packages}

    def pools_of(self, name: str) -> list[Pool]:
        return [pool for pool in self.pools if pool.name == name]

    def of_vendor(self, vendor: str) -> LicenseFile:
        """What one vendor daemon serves: its FEATURE, INCREMENT, UPGRADE and PACKAGE lines
        and their pools (the entries, SERVER and VENDOR lines stay whole)."""
        return replace(self, features=tuple(f for f in self.features if f.vendor == vendor),
                       packages=tuple(p for p in self.packages if p.vendor == vendor),
                       pools=tuple(p for p in self.pools if p.vendor == vendor),
                       ignored=tuple(f for f in self.ignored if f.vendor == vendor))

    def vendors_serving(self) -> dict[str, set[str]]:
        """The vendor daemons of each feature, package and package component name."""
        serving: dict[str, set[str]] = {}
        for feature in self.features:
            serving.setdefault(feature.name, set()).add(feature.vendor or "")
        for package in self.packages:
            for name in (package.name, *(c for c, _, _ in package.components)):
                serving.setdefault(name, set()).add(package.vendor or "")
        return {name: vendors - {""} for name, vendors in serving.items()}

    def summary(self) -> dict:
        counted = [p.seats for p in self.pools if p.seats is not None]
        expiries = [p.expiry for p in self.pools if p.expiry is not None]
        return {
            "servers": len(self.servers),
            "vendors": [v.name for v in self.vendors],
            "features": len({p.name for p in self.pools}),
            "pools": len(self.pools),
            "seats": sum(counted),
            "uncounted_pools": len(self.pools) - len(counted),
            "packages": len(self.packages),
            "permanent_pools": sum(1 for p in self.pools if p.expiry is None),
            "earliest_expiry": min(expiries).isoformat() if expiries else None,
            "seats_by_feature": _seats_by_feature(self.pools),
        }


def format_license(license_file: LicenseFile) -> str:
    return "".join(entry.text for entry in license_file.entries)


def parse_license(text: str) -> LicenseFile:
    entries = _entries(physical_lines(text))
    servers, vendors, features, packages = [], [], [], []
    use_server = False
    for entry in entries:
        if entry.kind == "SERVER":
            servers.append(_server(entry))
        elif entry.kind == "VENDOR":
            vendors.append(_vendor(entry))
        elif entry.kind == "USE_SERVER":
            use_server = True
        elif entry.kind in ("FEATURE", "INCREMENT", "UPGRADE"):
            features.append(_feature(entry))
        elif entry.kind == "PACKAGE":
            packages.append(_package(entry))
    pools, ignored = _pools(features)
    problems = tuple(p for e in entries for p in e.problems)
    return LicenseFile(tuple(entries), tuple(servers), tuple(vendors), use_server,
                       tuple(features), tuple(packages), pools, ignored, problems)


def port_number(token: Token | None) -> int | None:
    if token is None:
        return None
    text = unquote(token.text.partition("=")[2] if "=" in token.text else token.text)
    return read_int(text, PORT_MAX)


# --- entries ------------------------------------------------------------------------------


def _entries(lines: list[str]) -> list[Entry]:
    entries: list[Entry] = []
    group: list[int] = []  # indexes of the physical lines of the entry being read
    problems: list[Problem] = []

    def close() -> None:
        if group:
            entries.append(_entry(lines, group, problems))
            group.clear()
            problems.clear()

    for index, line in enumerate(lines):
        content = line_content(line)
        stripped = content.strip()
        open_continuation = bool(group) and continues(line_content(lines[group[-1]]))
        if not stripped or stripped.startswith("#"):
            if open_continuation:
                problems.append(Problem("broken_continuation", index + 1, 1,
                                        "the entry continued with `\\` ends at a "
                                        + ("blank" if not stripped else "comment") + " line"))
            close()
            entries.append(Entry("blank" if not stripped else "comment", line, index + 1,
                                 index + 1))
        elif open_continuation and _first_word(stripped) in KEYWORDS \
                and not _inside_quotes(lines, group):
            # FlexLM's own reader (l_lfgets.c) starts a new entry at a keyword that begins
            # a line, unless the `\` before it is read as a continuation (in a CRLF file,
            # or a licence passed as a string): then the line is swallowed. Read it as a
            # new entry here, and report the `\`.
            problems.append(_continued_into(lines, group[-1], _first_word(stripped)))
            close()
            group.append(index)
        elif open_continuation:
            group.append(index)
        elif group and content[:1] in (" ", "\t") and _first_word(stripped) not in KEYWORDS:
            problems.append(Problem("missing_backslash", index + 1, 1,
                                    f"line {index + 1} is indented like a continuation but "
                                    f"line {index} does not end with `\\`"))
            group.append(index)
        else:
            close()
            group.append(index)
    if group and continues(line_content(lines[group[-1]])):
        problems.append(_continued_at_end(lines, group[-1]))
    close()
    return entries


def _inside_quotes(lines: list[str], group: list[int]) -> bool:
    """Whether the entry read so far leaves a quoted value open (a SIGN= running on)."""
    return sum(line_content(lines[i]).count('"') for i in group) % 2 == 1


def _backslash_column(line: str) -> int:
    return len(line_content(line).rstrip(" \t"))


def _continued_into(lines: list[str], index: int, keyword: str) -> Problem:
    line = index + 1
    return Problem("continued_into_entry", line, _backslash_column(lines[index]),
                   f"the `\\` at the end of line {line} runs into line {line + 1}, a new "
                   f"{keyword} line; it is read as one here, but FlexLM may join the two and "
                   f"lose line {line + 1} (remove the `\\`)")


def _continued_at_end(lines: list[str], index: int) -> Problem:
    return Problem("continued_at_end", index + 1, _backslash_column(lines[index]),
                   f"line {index + 1} ends with a `\\` continuation, but the file ends there "
                   f"(remove the `\\`)")


def _entry(lines: list[str], group: list[int], problems: list[Problem]) -> Entry:
    first = group[0] + 1
    logical = LogicalLine(first, [line_content(lines[i]) for i in group])
    tokens = logical.tokens()
    text = "".join(lines[i] for i in group)
    found = list(problems)
    if tokens and tokens[-1].text.count('"') % 2:
        found.append(Problem("unterminated_quote", tokens[-1].line, tokens[-1].column,
                             "a quoted value is never closed"))
    keyword = tokens[0].text.upper() if tokens else ""
    kind = "VENDOR" if keyword == "DAEMON" else keyword if keyword in KEYWORDS else "unknown"
    entry = Entry(kind, text, first, group[-1] + 1, tokens, tuple(found))
    missing = _missing_fields(entry)
    if missing:
        anchor = tokens[-1]
        found.append(Problem("missing_fields", anchor.line, anchor.column,
                             f"{tokens[0].text} line lacks {', '.join(missing)}"))
        entry = Entry(kind, text, first, group[-1] + 1, tokens, tuple(found))
    return entry


def _missing_fields(entry: Entry) -> tuple[str, ...]:
    required = _REQUIRED.get(entry.kind, ())
    if entry.kind == "SERVER":  # a hostid may be written ID=123 or HOSTNAME=h
        have = len(entry.tokens) - 1
    else:
        have = len(entry.positional())
    return required[have:]


# --- typed lines --------------------------------------------------------------------------


def _server(entry: Entry) -> ServerLine:
    tokens = entry.tokens
    host = tokens[1].text if len(tokens) > 1 else ""
    hostid = unquote(tokens[2].text) if len(tokens) > 2 else None
    port = None
    if len(tokens) > 3 and "=" not in tokens[3].text \
            and tokens[3].text.upper() != "PRIMARY_IS_MASTER":
        port = tokens[3]
    return ServerLine(host, hostid, port, entry)


def _vendor(entry: Entry) -> VendorLine:
    name = entry.tokens[1].text if len(entry.tokens) > 1 else ""
    slots: dict[str, Token | None] = {"path": None, "options": None, "port": None}
    positional = list(entry.positional()[1:])
    for attr in entry.attributes():
        if attr.key.upper() in ("OPTIONS", "PORT"):
            slots[attr.key.lower()] = attr.token
    for slot in ("path", "options", "port"):
        if positional and slots[slot] is None:
            slots[slot] = positional.pop(0)
    path = slots["path"]
    return VendorLine(name, unquote(path.text) if path else None, slots["options"],
                      slots["port"], entry)


def options_path(vendor: VendorLine) -> str | None:
    token = vendor.options
    if token is None:
        return None
    text = token.text.split("=", 1)[1] if token.text.upper().startswith("OPTIONS=") \
        else token.text
    return unquote(text)


def _feature(entry: Entry) -> FeatureLine:
    fields = [t.text for t in entry.positional()]
    count_at = 5 if entry.kind == "UPGRADE" else 4

    def get(i: int) -> str | None:
        return fields[i] if len(fields) > i else None

    expiry_text = get(count_at - 1)
    expiry, expiry_ok = None, expiry_text is not None
    if expiry_text is not None:
        try:
            expiry = parse_expiry(expiry_text)
        except BadDate:
            expiry_ok = False
    count_text = get(count_at)
    seats = read_int(count_text, COUNT_MAX)
    return FeatureLine(entry.kind, get(0) or "", get(1), get(2 if entry.kind != "UPGRADE" else 3),
                       expiry_text, expiry, expiry_ok, count_text, seats, entry.attributes(),
                       tuple(fields[count_at + 1:]), entry)


def _package(entry: Entry) -> PackageLine:
    fields = [t.text for t in entry.positional()]
    components: list[tuple[str, str | None, int | None]] = []
    for attr in entry.attributes():
        if attr.key.upper() == "COMPONENTS":
            for item in (attr.value or "").split():
                name, version, count = (item.split(":") + [None, None])[:3]
                components.append((name, version or None,
                                   read_int(count, COUNT_MAX)))
    version = fields[2] if len(fields) > 2 and _VERSION.fullmatch(fields[2]) else None
    return PackageLine(fields[0] if fields else "", fields[1] if len(fields) > 1 else None,
                       version, tuple(components), entry)


def _pools(features: list[FeatureLine]) -> tuple[tuple[Pool, ...], tuple[FeatureLine, ...]]:
    """Lines of one pool key (§1.7: name, version, HOSTID, VENDOR_STRING ...) form a pool.
    Within it only the first FEATURE line counts, and INCREMENT lines add seats; a FEATURE
    line of another version or HOSTID starts a pool of its own."""
    by_key: dict[tuple, list[FeatureLine]] = {}
    featured: set[tuple] = set()  # the pool keys a FEATURE line has begun
    ignored: list[FeatureLine] = []
    for line in features:
        if line.keyword == "UPGRADE":
            continue
        key = line.pool_key()
        if line.keyword == "FEATURE":
            if key in featured:
                ignored.append(line)
                continue
            featured.add(key)
        by_key.setdefault(key, []).append(line)
    pools = tuple(Pool(lines[0].name, lines[0].vendor, lines[0].version, tuple(lines))
                  for lines in by_key.values())
    return pools, tuple(ignored)


def _seats_by_feature(pools: tuple[Pool, ...]) -> dict[str, int | None]:
    """Counted seats per feature; None when every pool of the feature is uncounted."""
    seats: dict[str, int | None] = {}
    for pool in pools:
        seats.setdefault(pool.name, None)
        if pool.seats is not None:
            seats[pool.name] = (seats[pool.name] or 0) + pool.seats
    return seats


def _is_attribute(text: str) -> bool:
    key, sep, _ = text.partition("=")
    return bool(sep) and bool(key) and '"' not in key


def _attribute(token: Token) -> Attribute:
    key, _, value = token.text.partition("=")
    return Attribute(key, unquote(value), token)


def _first_word(text: str) -> str:
    return text.split(None, 1)[0].upper() if text.split() else ""
