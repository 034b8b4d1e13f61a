"""Parser for the output of Sentinel RMS's `lsmon HOST` (shared/reference/formats.md
section 9).

The banner (`Sentinel RMS Development Kit 9.1.0.0104 Application Monitor`, SentinelLM's
before it), ` [Contacting ... server on host "HOST"]`, then blocks headed `|- Feature
Information`, `|- License Information` (several per feature, active or not), `|- Client
Information` and `|- Queued Client Information`, whose fields are `|- LABEL  : VALUE`. The
nesting shows in the indent, but the headings say it just as well and are what is read.

Mapped to the model: one Feature per feature block (name and version), its issued seats the
feature's `Maximum concurrent user(s)` (`Unlimited` and RMS's unlimited sentinels 2,097,150
and 4,294,967,294 make it uncounted), in use its unreserved plus reserved tokens; one Pool
per active licence (the feature's own fields when it lists none); one Checkout per client
(its tokens, `Running since` its start; a commuter token or a held licence is borrowed); one
Queued per queued client. lsmon prints many descriptive fields (locking, sharing, vendor
information): those are read past; lines that are no field of a block are diagnosed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo

from lmconsole.adapter import StatusReport
from lmconsole.model import (
    Checkout,
    Diagnostic,
    Feature,
    LicenseHost,
    Pool,
    Queued,
    ServerStatus,
    Status,
)
from lmconsole.numbers import COUNT_MAX, read_int, shortened

from ..rlm.dates import BadDate, parse_ctime

MANAGER = "rms"
# What RMS prints for "no limit" where a count could stand (its licence generator's
# VLS_NO_LIMIT, and the unsigned -2 of newer servers).
UNLIMITED_SENTINELS = frozenset({2_097_150, 4_294_967_294})
UNLIMITED_WORDS = frozenset({"unlimited", "infinite", "infinite."})
_COUNT_READ_MAX = 2**32 - 1  # read up to the sentinels, then judged

_CONTACTING = re.compile(r'\[Contacting (?P<what>.*) server on host "(?P<host>[^"]*)"\]')
_HEADINGS = {"Feature Information": "feature", "License Information": "license",
             "Client Information": "client", "Queued Client Information": "queued",
             "Queued Client Information:": "queued"}
_UNREACHABLE = ("Unable to contact any servers", "Server name not set, or monitor cannot talk",
                "monitor cannot talk to the server")
_NO_FEATURES = ("There is no license in the server", "No licensed features")
_QUIET = ("Copyright", "Press Enter to continue", "Try setting the LSHOST",
          "Use lsmon <hostname>", "The Distribution Criteria is", "Server Name/Address",
          "Allocation", "Units", "Users:")


def parse_lsmon(text: str, *, name: str | None = None, tz: tzinfo = UTC,
                now: datetime | None = None) -> StatusReport:
    """Parse one `lsmon` output. `name` names the server (else its host); `tz` is the
    licence server's zone."""
    return _Parser(name, tz).parse(text)


# ---- builders --------------------------------------------------------------------------------

@dataclass(slots=True)
class _Licence:
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Feature:
    line: int
    fields: dict[str, str] = field(default_factory=dict)
    licences: list[_Licence] = field(default_factory=list)
    clients: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    queued: list[tuple[int, dict[str, str]]] = field(default_factory=list)


@dataclass(slots=True)
class _Server:
    host: str | None
    line: int
    features: list[_Feature] = field(default_factory=list)
    error: str | None = None
    empty: bool = False  # it said it has no licence at all


# ---- the parser ------------------------------------------------------------------------------

class _Parser:
    def __init__(self, name: str | None, tz: tzinfo) -> None:
        self.name = name
        self.tz = tz
        self.diagnostics: list[Diagnostic] = []
        self.servers: list[_Server] = []
        self.recognised = False
        self.block: str | None = None  # feature | license | client | queued
        self.current: dict[str, str] | None = None  # the fields of the block being read

    def parse(self, text: str) -> StatusReport:
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip().lstrip("\ufeff")
            if line:
                self.read(number, line)
        if not self.recognised:
            return StatusReport((), tuple(self.diagnostics), None, recognised=False)
        return StatusReport(tuple(self.build(server) for server in self.servers),
                            tuple(self.diagnostics), None)

    def read(self, number: int, line: str) -> None:
        if line.startswith("|-"):
            self.read_field(number, line[2:].strip(), line)
        elif line.startswith("[Contacting ") and (match := _CONTACTING.match(line)) is not None:
            self.recognised = True
            self.servers.append(_Server(match["host"] or None, number))
            self.block = self.current = None
        elif "Sentinel" in line and "Application Monitor" in line:
            self.recognised = True
        elif any(sign in line for sign in _UNREACHABLE):
            self.recognised = True
            self.server(number).error = line
        elif any(sign in line for sign in _NO_FEATURES):
            self.server(number).empty = True
        elif line.startswith(_QUIET) or line.rstrip(":") in _HEADINGS:
            self.open_block(number, _HEADINGS.get(line.rstrip(":")), line)
        else:
            self.diagnose(number, "unrecognised line", line)

    def read_field(self, number: int, text: str, line: str) -> None:
        label, colon, value = text.partition(":")
        label = label.strip()
        if not colon or (not value.strip() and label in _HEADINGS):
            self.open_block(number, _HEADINGS.get(label), line)
            return
        if self.current is None:
            self.diagnose(number, "field outside a feature block", line)
            return
        key = label.lower()
        if key == "user name" and (self.block not in ("client", "queued") or key in self.current):
            # a client listed without its heading (older lsmon), or the next one
            self.open_block(number, "queued" if self.block == "queued" else "client", line)
        self.current.setdefault(key, value.strip())

    def open_block(self, number: int, block: str | None, line: str) -> None:
        if block is None:
            if line.startswith("|-"):
                self.diagnose(number, "unknown block heading", line)
            return
        self.recognised = True
        if block == "feature":
            feature = _Feature(number)
            self.server(number).features.append(feature)
            self.block, self.current = block, feature.fields
            return
        features = self.server(number).features
        if not features:
            self.diagnose(number, "block outside a feature", line)
            self.block = self.current = None
            return
        feature, fields = features[-1], {}
        if block == "license":
            feature.licences.append(_Licence(fields))
        elif block == "client":
            feature.clients.append((number, fields))
        else:
            feature.queued.append((number, fields))
        self.block, self.current = block, fields

    def server(self, number: int) -> _Server:
        if not self.servers:
            self.servers.append(_Server(None, number))
        return self.servers[-1]

    # ---- the model ---------------------------------------------------------------------------

    def build(self, server: _Server) -> ServerStatus:
        name = self.name or server.host or "lsmon"
        hosts = ()
        if server.host:
            hosts = (LicenseHost(server.host, None, Status.DOWN if server.error else Status.UP,
                                 error=server.error),)
        if server.error:
            status = Status.DOWN if server.host or self.servers else Status.ERROR
        elif server.features or server.empty or server.host:
            status = Status.UP
        else:
            status = Status.ERROR
        features = tuple(self.build_feature(server, f) for f in server.features)
        return ServerStatus(name=name, source=server.host, status=status, error=server.error,
                            hosts=hosts, features=features, manager=MANAGER)

    def build_feature(self, server: _Server, block: _Feature) -> Feature:
        fields, number = block.fields, block.line
        name = _unquoted(fields.get("feature name", ""))
        if not name:
            self.diagnose(number, "feature block without a feature name", "|- Feature Information")
            name = "?"
        version = _unquoted(fields.get("feature version", "")) or None
        issued, unlimited = self.read_limit(fields.get("maximum concurrent user(s)"), number,
                                            name)
        in_use = self.read_in_use(fields, number, name)
        pools = self.pools(block, version, unlimited)
        checkouts = tuple(c for n, f in block.clients
                          if (c := self.checkout(f, n, version, server)) is not None)
        queued = tuple(q for n, f in block.queued
                       if (q := self.queued_client(f, n, version, server)) is not None)
        return Feature(name, None, None if unlimited else issued, in_use, uncounted=unlimited,
                       pools=pools, checkouts=checkouts, queued=queued)

    def pools(self, block: _Feature, version: str | None, unlimited: bool) -> tuple[Pool, ...]:
        licences = [licence.fields for licence in block.licences
                    if licence.fields.get("license status", "active").lower() != "inactive"]
        if not block.licences:
            licences = [block.fields]
        pools = []
        for fields in licences:
            kind = "unlimited" if unlimited else (_unquoted(fields.get("license type", ""))
                                                  or "floating")
            expiry = self.read_expiry(fields.get("expiration date"), block.line)
            pools.append(Pool(version, expiry, kind,
                              locked_to=_locking_code(fields.get("server #1 locking code"))))
        return tuple(pools)

    def checkout(self, fields: dict[str, str], number: int, version: str | None,
                 server: _Server) -> Checkout | None:
        user = fields.get("user name", "").strip()
        if not user:
            self.diagnose(number, "client without a user name", "|- Client Information")
            return None
        count = self.read_tokens(fields.get("number of tokens used"), number)
        if count is None:
            return None
        status = fields.get("status", "")
        start = None
        if status.lower().startswith("running since"):
            start = self.read_time(status[len("running since"):], number)
        held = "being held" in status.lower()
        commuter = fields.get("is commuter token", "").upper().startswith("YES")
        extra = "commuter token" if commuter else ("held" if held else None)
        return Checkout(user, fields.get("host name") or None,
                        fields.get("x display name") or None, version, 0, server.host, None,
                        None, start, count=count, borrowed=commuter or held, extra=extra)

    def queued_client(self, fields: dict[str, str], number: int, version: str | None,
                      server: _Server) -> Queued | None:
        user = fields.get("user name", "").strip()
        count = self.read_tokens(fields.get("no of tokens requested"), number)
        if not user or count is None:
            self.diagnose(number, "queued client without a user or a token count",
                          "|- Queued Client Information")
            return None
        return Queued(user, fields.get("host name") or None, fields.get("x display name") or None,
                      count, 0, version, server.host)

    # ---- values ------------------------------------------------------------------------------

    def read_limit(self, text: str | None, number: int, feature: str) -> tuple[int | None, bool]:
        """(count, unlimited) of a `Maximum concurrent user(s)` value."""
        if text is None:
            self.diagnose(number, f"feature {feature} has no maximum concurrent users",
                          "|- Feature Information")
            return None, False
        if text.strip().lower() in UNLIMITED_WORDS:
            return None, True
        if read_int(text.strip(), _COUNT_READ_MAX) in UNLIMITED_SENTINELS:
            return None, True
        return self.read_count(text, number, "maximum concurrent users"), False

    def read_in_use(self, fields: dict[str, str], number: int, feature: str) -> int | None:
        texts = [fields.get(label) for label in ("unreserved tokens in use",
                                                 "reserved tokens in use")]
        if texts[0] is None:
            self.diagnose(number, f"feature {feature} has no tokens in use",
                          "|- Feature Information")
            return None
        values = [self.read_count(text, number, "tokens in use") for text in texts if text]
        return None if None in values else min(sum(values), COUNT_MAX)

    def read_tokens(self, text: str | None, number: int) -> int | None:
        return 1 if text is None else self.read_count(text, number, "token count")

    def read_count(self, text: str, number: int, what: str) -> int | None:
        text = text.strip()
        value = read_int(text, COUNT_MAX)
        if value is None:
            if text.isascii() and text.isdigit():
                self.diagnose(number, f"{what} out of range (more than {COUNT_MAX:,})", text)
            else:
                self.diagnose(number, f"{what} is not a number: {shortened(text)}", text)
        return value

    def read_expiry(self, text: str | None, number: int) -> date | None:
        if not text or "no expiration" in text.lower():
            return None
        stamp = self.read_time(text, number)
        return stamp.date() if stamp is not None else None

    def read_time(self, text: str, number: int) -> datetime | None:
        try:
            return parse_ctime(text.strip(), self.tz)
        except BadDate:
            self.diagnose(number, "unreadable date", text)
            return None

    def diagnose(self, number: int, message: str, line: str) -> None:
        self.diagnostics.append(Diagnostic(number, message, line, self.name))


def _unquoted(value: str) -> str:
    return value.strip().strip('"').strip()


def _locking_code(value: str | None) -> str | None:
    """`Primary   = 2014-*16THL3AVVU6W4MC` -> the code."""
    if not value:
        return None
    return value.rpartition("=")[2].strip() or None
