"""A small reader for FlexLM options files, private to the simulator, plus the questions
the vendor daemon asks of it (is this client excluded, included, reserved for, capped).

The editor-grade options model lives elsewhere; this one only needs to enforce.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import NamedTuple

from ..dates import BadDate, parse_expiry
from .licfile import LicencePool, logical_lines

TYPES = ("USER", "HOST", "DISPLAY", "GROUP", "HOST_GROUP", "INTERNET", "PROJECT")
NOLOG_EVENTS = ("IN", "OUT", "DENIED", "QUEUED", "UNSUPPORTED", "UPGRADE", "DEQUEUED")
# Keywords a real options file may carry that the simulator accepts without acting on.
_ACCEPTED = {"DEBUGLOG", "REPORTLOG", "LINGER", "BORROW_LOWWATER", "MAX_BORROW_HOURS",
             "FQDN_MATCHING", "MAX_OVERDRAFT", "INCLUDE_BORROW", "EXCLUDE_BORROW",
             "EXCLUDEALL_BORROW", "INCLUDEALL_BORROW", "AUTOMATIC_REREAD",
             "DAEMON_SELECT_TIMEOUT", "MAX_CONNECTIONS", "ACTIVATION_LOWWATER"}
_TOKEN = re.compile(r'"[^"]*"|\S+')


class Client(NamedTuple):
    user: str
    host: str
    display: str


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """`feature`, `feature:KEY=value` or `"feature KEY=value"`: a feature or one pool of it."""

    name: str
    key: str | None = None  # upper case
    value: str | None = None

    @classmethod
    def parse(cls, token: str) -> FeatureSpec:
        if token.startswith('"'):
            name, _, qualifier = token.strip('"').strip().partition(" ")
        else:
            name, _, qualifier = token.partition(":")
        key, eq, value = qualifier.strip().partition("=")
        return cls(name, key.upper(), value) if eq else cls(name)

    def matches(self, feature: str, pool: LicencePool | None) -> bool:
        if feature != self.name:
            return False
        if self.key is None or pool is None:
            return True
        if self.key == "VERSION":
            return pool.version == self.value
        if self.key == "EXPDATE":
            try:
                return parse_expiry(self.value) == pool.expiry
            except BadDate:
                return False
        return any(k.upper() == self.key and v == self.value for k, v in pool.attrs.items())


@dataclass(frozen=True, slots=True)
class Rule:
    keyword: str  # INCLUDE, EXCLUDE, RESERVE or MAX
    feature: FeatureSpec | None  # None: every feature (INCLUDEALL, EXCLUDEALL)
    kind: str
    name: str
    count: int = 0
    line: int = 0

    def applies_to(self, feature: str, pool: LicencePool | None) -> bool:
        return self.feature is None or self.feature.matches(feature, pool)


@dataclass(slots=True)
class Options:
    groups: dict[str, list[str]] = field(default_factory=dict)
    host_groups: dict[str, list[str]] = field(default_factory=dict)
    case_insensitive: bool = False
    rules: list[Rule] = field(default_factory=list)
    timeouts: list[tuple[FeatureSpec, int]] = field(default_factory=list)
    timeout_all: int | None = None
    nolog: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    # -- who is who -------------------------------------------------------------------
    def matches(self, kind: str, name: str, client: Client) -> bool:
        if kind == "USER":
            return client.user == name
        if kind == "HOST":
            return _host_match(name, client.host)
        if kind == "DISPLAY":
            return client.display == name
        if kind == "GROUP":
            return any(self._same(m, client.user) for m in self.groups.get(name, ()))
        if kind == "HOST_GROUP":
            return any(_host_match(m, client.host, self.case_insensitive)
                       for m in self.host_groups.get(name, ()))
        return False  # INTERNET and PROJECT: the simulated clients carry neither

    def groups_of(self, user: str) -> list[str]:
        return [g for g, members in self.groups.items()
                if any(self._same(m, user) for m in members)]

    def _same(self, member: str, user: str) -> bool:
        return member.lower() == user.lower() if self.case_insensitive else member == user

    # -- the daemon's questions -------------------------------------------------------
    def rules_for(self, keyword: str, feature: str, pool: LicencePool | None) -> list[Rule]:
        return [r for r in self.rules if r.keyword == keyword and r.applies_to(feature, pool)]

    def excluded(self, client: Client, feature: str, pool: LicencePool | None) -> bool:
        return any(self.matches(r.kind, r.name, client)
                   for r in self.rules_for("EXCLUDE", feature, pool))

    def included(self, client: Client, feature: str, pool: LicencePool | None) -> bool:
        """True when no INCLUDE list covers the feature, or the client is on it."""
        includes = self.rules_for("INCLUDE", feature, pool)
        return not includes or any(self.matches(r.kind, r.name, client) for r in includes)

    def timeout_for(self, feature: str) -> int | None:
        named = [secs for spec, secs in self.timeouts if spec.name == feature]
        return named[-1] if named else self.timeout_all


def parse_options(text: str) -> Options:
    opts = Options()
    for lineno, line in logical_lines(text):
        tokens = _TOKEN.findall(line)
        keyword = tokens[0].upper()
        args = tokens[1:]
        try:
            _apply(opts, keyword, args, lineno)
        except (IndexError, ValueError) as exc:
            opts.problems.append(f"line {lineno}: cannot read {keyword} line ({exc})")
    return opts


def _apply(opts: Options, keyword: str, args: list[str], lineno: int) -> None:
    if keyword in ("GROUP", "USER_GROUP"):
        opts.groups.setdefault(args[0], []).extend(args[1:])  # repeated lines merge
    elif keyword == "HOST_GROUP":
        opts.host_groups.setdefault(args[0], []).extend(args[1:])
    elif keyword == "GROUPCASEINSENSITIVE":
        opts.case_insensitive = args[0].upper() == "ON"
    elif keyword in ("INCLUDE", "EXCLUDE"):
        opts.rules.append(Rule(keyword, FeatureSpec.parse(args[0]), _kind(args[1]), args[2],
                               line=lineno))
    elif keyword in ("INCLUDEALL", "EXCLUDEALL"):
        opts.rules.append(Rule(keyword[:-3], None, _kind(args[0]), args[1], line=lineno))
    elif keyword in ("RESERVE", "MAX"):
        opts.rules.append(Rule(keyword, FeatureSpec.parse(args[1]), _kind(args[2]), args[3],
                               int(args[0]), lineno))
    elif keyword == "TIMEOUT":
        opts.timeouts.append((FeatureSpec.parse(args[0]), int(args[1])))
    elif keyword == "TIMEOUTALL":
        opts.timeout_all = int(args[0])
    elif keyword == "NOLOG":
        event = args[0].upper()
        if event not in NOLOG_EVENTS:
            raise ValueError(f"unknown NOLOG event {args[0]!r}")
        opts.nolog.add(event)
    elif keyword not in _ACCEPTED:
        opts.problems.append(f"line {lineno}: unknown keyword {keyword}")


def _kind(word: str) -> str:
    kind = word.upper()
    kind = "GROUP" if kind == "USER_GROUP" else kind
    if kind not in TYPES:
        raise ValueError(f"unknown type {word!r}")
    return kind


def _host_match(pattern: str, host: str, fold: bool = False) -> bool:
    if fold:
        pattern, host = pattern.lower(), host.lower()
    return fnmatchcase(host, pattern) if "*" in pattern else host == pattern
