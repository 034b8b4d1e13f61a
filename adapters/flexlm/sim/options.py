"""The options file as the simulated vendor daemon enforces it: the product's parser
(`..options.parse_options`) reads the text; this module keeps the rules the daemon acts on
(groups, host groups, EXCLUDE/INCLUDE/RESERVE/MAX, TIMEOUT, NOLOG) and answers its
questions (is this client excluded, included, reserved for, capped). Every other keyword
of the grammar (borrowing, LINGER, log files ...) is accepted without being acted on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import NamedTuple

from ..dates import BadDate, parse_expiry
from ..options import ALIASES, TYPES, Directive
from ..options import FeatureSpec as ParsedSpec
from ..options import parse_options as read_options
from .licfile import LicencePool

_RULES = ("INCLUDE", "EXCLUDE", "INCLUDEALL", "EXCLUDEALL", "RESERVE", "MAX")
_ACTED_ON = {*_RULES, "GROUP", "HOST_GROUP", "GROUPCASEINSENSITIVE", "TIMEOUT", "TIMEOUTALL",
             "NOLOG"}


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
    def of(cls, spec: ParsedSpec) -> FeatureSpec:
        """From the parsed spec; a qualifier without `=` is ignored."""
        if spec.key is None or "=" not in spec.token.text:
            return cls(spec.name)
        return cls(spec.name, spec.key.upper(), spec.value)

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
    for d in read_options(text.lstrip("\ufeff")).directives:
        if d.kind == "unknown":
            if d.tokens:  # (a lone backslash joined to a blank line has none)
                opts.problems.append(f"line {d.line}: unknown keyword {d.tokens[0].text.upper()}")
        elif d.keyword in _ACTED_ON:
            wrong = _unreadable(d)
            if wrong:
                opts.problems.append(f"line {d.line}: cannot read {d.keyword} line ({wrong})")
            else:
                _apply(opts, d)
        # Every other keyword of the grammar is accepted without being acted on.
    return opts


def _unreadable(d: Directive) -> str | None:
    for problem in d.problems:  # extra words after a complete line are ignored
        if problem.kind in ("missing", "number") or (problem.kind == "value"
                                                     and d.keyword == "NOLOG"):
            return problem.message
    if d.type is not None and ALIASES.get(d.type, d.type) not in TYPES:
        return f"unknown type {d.type_token.text!r}"
    return None


def _apply(opts: Options, d: Directive) -> None:
    keyword = d.keyword
    if keyword in ("GROUP", "HOST_GROUP"):  # repeated lines merge
        target = opts.groups if keyword == "GROUP" else opts.host_groups
        target.setdefault(d.group.text, []).extend(t.text for t in d.names)
    elif keyword == "GROUPCASEINSENSITIVE":
        opts.case_insensitive = d.value.text.upper() == "ON"
    elif keyword in _RULES:
        feature = FeatureSpec.of(d.feature) if d.feature else None  # None: the *ALL lines
        opts.rules.append(Rule(keyword.removesuffix("ALL"), feature,
                               ALIASES.get(d.type, d.type), d.names[0].text, d.number or 0,
                               d.line))
    elif keyword == "TIMEOUT":
        opts.timeouts.append((FeatureSpec.of(d.feature), d.number))
    elif keyword == "TIMEOUTALL":
        opts.timeout_all = d.number
    elif keyword == "NOLOG":
        opts.nolog.add(d.value.text.upper())


def _host_match(pattern: str, host: str, fold: bool = False) -> bool:
    if fold:
        pattern, host = pattern.lower(), host.lower()
    return fnmatchcase(host, pattern) if "*" in pattern else host == pattern
