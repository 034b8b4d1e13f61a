"""Parser for what Sentinel LDK/HASP's licence manager serves on port 1947 to its Admin
Control Center: `/_int_/tab_feat.html` (features) and `/_int_/tab_sessions.html` (sessions).

Each answer is JavaScript-ish data, not a JSON document: `/* ... */` comments around a run
of objects separated by commas, one per feature or session, and an object of the page's
filter state (`fhaspid`, `fprod`, `ffea` ...). Every value is a string. Feature objects have
the feature id `fid`, its name `fn`, its vendor `ven`, the licence terms `lic` ("Perpetual",
"Expiration Date<br><nobr>&nbsp;Fri Jun 5, 2026 19:55</nobr>": HTML as the page shows it),
the logins in use `logc` and their limit `logl` (-1: no limit); session objects
the feature's `fid`/`fn`, the user `usr`, the machine `mch`, the client address `cli` and
the login time `lt`. The status command asks for both through curl, which writes
`/*lmconsole-hasp HTTP_CODE URL*/` after each answer, so a refused connection (code 000)
or an HTTP error is told as such.

Mapped to the model: one Feature per (vendor, feature id), one Pool per key (`haspid`) that
holds it, issued and in use summed; one Checkout per session.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import date, tzinfo

from lmconsole.adapter import StatusReport
from lmconsole.model import Checkout, Feature, LicenseHost, Pool, ServerStatus, Status
from lmconsole.numbers import COUNT_MAX, is_ascii_number, read_int

from ..status_text import Reading, moment
from . import MARK

MANAGER = "hasp"
_FILTER_KEYS = {"fhaspid", "fprod", "ffea", "fvendor", "ffrom", "fto", "cnt", "filterfrom",
                "filterto", "total"}
_UNLIMITED = {"unlimited", "no limit", "nolimit", "-", "-1", "n/a"}
_MARKUP = re.compile(r"<[^<>]{0,200}>")
_EXPIRY = re.compile(r"expir\w*(?:\s+date)?\s*:?\s*(?P<when>.*)", re.IGNORECASE)
_DECODER = json.JSONDecoder()
# Unreadable objects read past before the rest of an answer is given up: each failed decode
# costs time in proportion to the text before it (json's error counts its lines).
_UNREADABLE_MAX = 50


@dataclass(slots=True)
class _Feature:
    vendor: str | None
    name: str
    pools: list[Pool] = field(default_factory=list)
    limits: list[int | None] = field(default_factory=list)  # None: unlimited or unreadable
    unlimited: bool = False
    in_use: int | None = 0
    checkouts: list[Checkout] = field(default_factory=list)

    def build(self) -> Feature:
        issued = None if self.unlimited or None in self.limits else sum(self.limits)
        in_use = self.in_use if self.pools else len(self.checkouts)
        return Feature(name=self.name, vendor=self.vendor, issued=issued, in_use=in_use,
                       uncounted=self.unlimited, pools=tuple(self.pools),
                       checkouts=tuple(self.checkouts))


def parse_acc(text: str, *, name: str | None = None, tz: tzinfo) -> StatusReport:
    """Parse the features and sessions answers (in either order, with or without curl's
    marks), their times in zone `tz`. Never raises on bad input."""
    return _Parser(name, tz).parse(text)


class _Parser:
    def __init__(self, name: str | None, tz: tzinfo) -> None:
        self.reading = Reading(name)
        self.name = name
        self.tz = tz
        self.features: dict[tuple[str | None, str], _Feature] = {}
        self.sessions: list[tuple[int, dict]] = []
        self.answers: list[tuple[str, str]] = []  # (HTTP code, URL) of each curl mark
        self.errors: list[str] = []

    def parse(self, text: str) -> StatusReport:
        body, comments = _without_comments(text)
        for line, comment in comments:
            self.comment(line, comment)
        if comments and comments[-1][1] is None:
            self.reading.diagnose(comments[-1][0], "comment without its end", "/*")
        self.objects(body)
        for line, item in self.sessions:
            self.session(line, item)
        return self.reading.report((self.build(),))

    def comment(self, line: int, comment: str | None) -> None:
        words = (comment or "").split()
        if words[:1] != [MARK]:
            return  # the answer's own comments: /*JSON:features*/, /*admin_status*/ ...
        self.reading.recognised = True
        code, url = (words + ["", ""])[1:3]
        self.answers.append((code, url))
        if code == "000":
            self.errors.append(f"no answer from {url or 'the licence manager'}")
        elif not (code.startswith("2") and len(code) == 3):
            self.errors.append(f"HTTP {code} from {url}")

    # ---- the objects -------------------------------------------------------------------------

    def objects(self, body: str) -> None:
        position, end = 0, len(body)
        line, counted = 1, 0  # the line of `counted`, counted on as the objects are read
        unreadable = 0
        while position < end and unreadable < _UNREADABLE_MAX:
            char = body[position]
            if char in " \t\r\n,;":
                position += 1
                continue
            line, counted = line + body.count("\n", counted, position), position
            if char in "{[":
                try:
                    value, position = _DECODER.raw_decode(body, position)
                except (ValueError, RecursionError):
                    self.reading.diagnose(line, "unreadable object", body[position:position + 80])
                    position = _next_object(body, position + 1)
                    unreadable += 1
                    continue
                for item in value if isinstance(value, list) else [value]:
                    self.item(line, item)
            else:
                stop = _next_object(body, position)
                words = body[position:stop].strip()
                if "<html" in words.lower():
                    self.errors.append("an HTML page, not the licence manager's data (does "
                                       "the Admin Control Center ask for a password?)")
                self.reading.diagnose(line, "unrecognised text", words[:80])
                position = stop
        if unreadable == _UNREADABLE_MAX and position < end:
            self.reading.diagnose(line, "too many unreadable objects: the rest is not read",
                                  body[position:position + 80])

    def item(self, line: int, item: object) -> None:
        if not isinstance(item, dict):
            self.reading.diagnose(line, "unrecognised value", repr(item)[:80])
            return
        values = {str(key): str(value) for key, value in item.items()}
        if "usr" in values or "sid" in values:
            self.reading.recognised = True
            self.sessions.append((line, values))
        elif "logl" in values or "logc" in values:
            self.reading.recognised = True
            self.feature(line, values)
        elif not values.keys() & _FILTER_KEYS:
            self.reading.diagnose(line, "object neither a feature nor a session",
                                  json.dumps(item)[:80])

    def feature_of(self, values: dict) -> _Feature:
        fid = values.get("fid", "")
        name = values.get("fn") or (f"feature {fid}" if fid else "unnamed feature")
        vendor = values.get("vendorid") or values.get("ven") or values.get("vendor") or None
        key = (vendor, fid or name)
        known = self.features.get(key)
        if known is None:
            known = self.features[key] = _Feature(vendor, name)
        return known

    def feature(self, line: int, values: dict) -> None:
        feature = self.feature_of(values)
        terms = _plain(values.get("lic", ""))
        haspid = values.get("haspid")
        feature.pools.append(Pool(None, self.expiry(terms, line), _licence_type(terms),
                                  f"key {haspid}" if haspid else None, feature.vendor))
        limit_text = values.get("logl", "")
        if limit_text.strip().lower() in _UNLIMITED:
            feature.unlimited = True
            feature.limits.append(None)
        else:
            feature.limits.append(self.count(limit_text, "login limit", line, values))
        in_use = self.count(values.get("logc", "0"), "logins in use", line, values)
        feature.in_use = None if in_use is None or feature.in_use is None else (
            feature.in_use + in_use)

    def count(self, text: str, what: str, line: int, values: dict) -> int | None:
        value = read_int(text.strip(), COUNT_MAX)
        if value is None:
            detail = "out of range" if is_ascii_number(text.strip()) else "not a number"
            self.reading.diagnose(line, f"{what} {detail}", json.dumps(values)[:80])
        return value

    def expiry(self, terms: str, line: int) -> date | None:
        """The date of `Expiration Date Fri Jun 5, 2026 19:55` (or `Expiration date: ...`);
        None for other terms."""
        at = terms.lower().find("expir")
        found = _EXPIRY.match(terms, at) if at >= 0 else None  # one place: linear
        if found is None:
            return None
        when = moment(found["when"], self.tz)
        if when is None:
            self.reading.diagnose(line, "unreadable expiry date", terms[:80])
            return None
        return when.date()

    def session(self, line: int, values: dict) -> None:
        feature = self.feature_of(values)
        start = None
        if values.get("lt"):
            start = moment(values["lt"], self.tz)
            if start is None:
                self.reading.diagnose(line, "unreadable login time", values["lt"][:80])
        machine, address = values.get("mch") or None, values.get("cli") or None
        feature.checkouts.append(Checkout(
            values.get("usr", ""), machine or address, None, None,
            len(feature.pools) - 1 if feature.pools else None, None, None, None, start,
            extra=f"address {address}" if machine and address else None))

    def build(self) -> ServerStatus:
        features = tuple(feature.build() for feature in self.features.values())
        host, port = _host_port(self.answers[0][1]) if self.answers else (None, None)
        source = f"{port}@{host}" if host and port is not None else host
        status, error = Status.UP, None
        if self.errors or not features and not self.answers:
            status = Status.DOWN if self.errors else Status.ERROR
            error = "; ".join(self.errors) or "no features in the licence manager's answer"
        hosts = (LicenseHost(host, port, status),) if host else ()
        return ServerStatus(name=self.name or source or "unknown", source=source, status=status,
                            error=error, hosts=hosts, features=features, manager=MANAGER)


def _without_comments(text: str) -> tuple[str, list[tuple[int, str | None]]]:
    """`text` with its /* */ comments blanked out (lines kept), and each comment's line and
    text (None: it never ends). Linear: str.find, no regular expression."""
    parts, comments, position, line = [], [], 0, 1
    while (start := text.find("/*", position)) >= 0:
        end = text.find("*/", start + 2)
        line += text.count("\n", position, start)
        parts.append(text[position:start])
        if end < 0:
            comments.append((line, None))
            position = len(text)
            break
        comments.append((line, text[start + 2:end]))
        newlines = text.count("\n", start, end)
        parts.append("\n" * newlines)
        line += newlines
        position = end + 2
    parts.append(text[position:])
    return "".join(parts), comments


def _next_object(body: str, position: int) -> int:
    found = [at for char in "{[" if (at := body.find(char, position)) >= 0]
    return min(found) if found else len(body)


def _host_port(url: str) -> tuple[str | None, int | None]:
    authority = url.partition("://")[2].partition("/")[0]
    host, _, port = authority.rpartition(":")
    if not host:
        return authority or None, None
    return host.strip("[]"), read_int(port, 65535)


def _plain(terms: str) -> str:
    """The licence terms as the page shows them: without HTML tags and entities."""
    text = html.unescape(_MARKUP.sub(" ", terms)) if "<" in terms or "&" in terms else terms
    return " ".join(text.split())


def _licence_type(terms: str) -> str:
    lowered = terms.lower()
    if "perpetual" in lowered or "expir" in lowered or not lowered:
        return "floating"
    return terms[:40]
