"""What-if for a draft options file: who would newly be denied or admitted, which
reservations would sit idle, before the draft is saved.

Two parts, both pure (no I/O, no simulator):

- `Policy`: the options decision of a vendor daemon, built from an options file (and,
  optionally, the licence file for its pools). `Policy.decide(user, host, display, feature,
  count=..., in_use_by_pool=...)` answers one checkout request given the seats already held,
  in FlexNet's order of precedence (licence-admin reference §1.5): EXCLUDE/EXCLUDEALL first
  (-38); then RESERVE (a client with an unused reservation gets it at once); then MAX (-87:
  per user, per group as a whole, `USER ALL_USERS` per user, `GROUP ALL_GROUPS` per group);
  then INCLUDE/INCLUDEALL (an INCLUDE list shuts out everyone not on it, -39); then the free
  seats, where reserved-but-unused seats of others are not free (-101 "reserved for others",
  else -4 "pool full"). Repeated GROUP/HOST_GROUP lines merge; GROUPCASEINSENSITIVE ON folds
  case for GROUP and HOST_GROUP members (not for USER/HOST lines); HOST and HOST_GROUP names
  may hold `*` wildcards; a package name on a line applies to its components.

- `what_if(current, draft, seats=..., requests=...)`: replays the held seats (lmstat) and
  the debug log's requests through the current and the draft policy and reports the
  differences.

Simplifications (what the model does not know or does not do):

- The model is compared with itself: "now" is the current options file as modelled, not the
  logged outcome. A request is newly denied when the model of the current file allows it and
  the model of the draft refuses it. How often the model of the current file agrees with what
  the log says happened is reported (`counts["model_agrees"]`) as a check on the model.
- Seat counts are replayed per request, in time order: each OUT and DENIED event of the log
  is decided against the seats held at that moment according to the log itself (OUT adds a
  seat, IN frees the oldest matching one, a daemon's RESTARTED/SHUTDOWN frees its seats).
  What the draft would have changed is not fed back: a request the draft denies still holds
  its seat for the later requests, as it did in reality. The log is assumed to start with no
  seats held (an IN without a matching OUT is ignored), and the current options file is
  assumed to have been in force through the whole log (REREADs are not tracked). QUEUED,
  DEQUEUED and UNSUPPORTED lines are not replayed as requests.
- Held seats (lmstat) are each decided as if requested now, with all the other held seats
  of the feature in place. A newly denied held seat is kept until it is checked in (the
  daemon does not revoke checkouts on lmreread); it is the next checkout that is refused.
- Pools: with a licence file, the feature's pools as the daemon forms them; a request goes
  to the first pool that accepts it (the least restrictive refusal is reported when none
  does), seats are placed in pools the same way under the current policy (neither the log
  nor the placement in lmstat is trusted to name the pool), and a feature qualifier selects
  the pools whose lines match it. Without a licence file, one pool per feature whose size is
  `capacity[feature]` (the "licenses issued" of lmstat) or unknown; a qualified line then
  applies to the whole feature. With an unknown size only EXCLUDE, INCLUDE and MAX are
  modelled: no pool-full or reserved-for-others denials. Uncounted pools obey EXCLUDE and
  INCLUDE only, as in the daemon.
- A RESERVE line takes its seats from the first pool it applies to; reservations beyond that
  pool's size (in file order) do not apply.
- Clients carry user and host only: the debug log names no display, so DISPLAY rules match
  only seats read from lmstat; PROJECT never matches; INTERNET matches only a host written as
  an IP address. FQDN_MATCHING, borrowing (INCLUDE_BORROW ...), linger, TIMEOUT, overdraft
  and the *_ENTITLEMENT lines are not modelled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import NamedTuple

from lmconsole.model import Checkout, Event, EventKind
from lmconsole.numbers import is_ascii_number

from .denial_words import denial_reason_words
from .license import FeatureLine, LicenseFile
from .options import Directive, FeatureSpec, OptionsFile
from .validate_pools import line_matches

ALLOW = ""
EXCLUDED, NOT_INCLUDED, OVER_MAX = "-38", "-39", "-87"
POOL_FULL, RESERVED_FOR_OTHERS = "-4", "-101"
# When every pool refuses, the least restrictive reason is reported (as the daemon does).
_RANK = {POOL_FULL: 0, RESERVED_FOR_OTHERS: 0, OVER_MAX: 1, NOT_INCLUDED: 2, EXCLUDED: 3}


class Holder(NamedTuple):
    """Who holds seats of a pool: one checkout of `count` licences."""

    user: str
    host: str | None = None
    display: str | None = None
    count: int = 1


class Decision(NamedTuple):
    allowed: bool
    reason_code: str | None  # FLEXlm major code of the refusal, e.g. "-38"; None if allowed
    words: str  # "allowed", "on EXCLUDE list", "over MAX" ...
    pool: int | None = None  # the pool granted (or the one whose refusal is reported)
    rule: Rule | None = None  # the options line behind it, where there is one


class PoolInfo(NamedTuple):
    feature: str
    seats: int | None  # None: uncounted, or the size is not known
    counted: bool  # False: an uncounted pool (EXCLUDE and INCLUDE only)
    version: str | None = None
    lines: tuple[FeatureLine, ...] = ()  # for feature qualifiers; () when not known


@dataclass(frozen=True, slots=True)
class Rule:
    keyword: str  # EXCLUDE, INCLUDE, RESERVE or MAX (EXCLUDEALL/INCLUDEALL: feature None)
    feature: FeatureSpec | None
    kind: str  # USER, HOST, DISPLAY, GROUP, HOST_GROUP, INTERNET, PROJECT
    name: str
    count: int = 0
    line: int = 0
    text: str = ""  # the line as written (continuations joined)


@dataclass(slots=True)
class Policy:
    rules: list[Rule] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)
    host_groups: dict[str, list[str]] = field(default_factory=dict)
    case_insensitive: bool = False
    license_file: LicenseFile | None = None
    capacity: dict[str, int | None] = field(default_factory=dict)
    packages: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def from_options(cls, options_file: OptionsFile, license_file: LicenseFile | None = None,
                     *, case_insensitive: bool | None = None,
                     capacity: Mapping[str, int | None] | None = None) -> Policy:
        """`case_insensitive` None: as GROUPCASEINSENSITIVE in the file says (default OFF).
        `capacity`: seats per feature, used when no licence file is given."""
        policy = cls(license_file=license_file, capacity=dict(capacity or {}))
        folding = False
        for d in options_file.with_keyword("GROUP", "HOST_GROUP", "GROUPCASEINSENSITIVE",
                                           "INCLUDE", "EXCLUDE", "INCLUDEALL", "EXCLUDEALL",
                                           "RESERVE", "MAX"):
            if d.keyword in ("GROUP", "HOST_GROUP"):
                if d.group is not None:
                    target = policy.groups if d.keyword == "GROUP" else policy.host_groups
                    target.setdefault(d.group.text, []).extend(t.text for t in d.names)
            elif d.keyword == "GROUPCASEINSENSITIVE":
                folding = d.value is not None and d.value.text.upper() == "ON"
            else:
                rule = _rule(d)
                if rule is not None:
                    policy.rules.append(rule)
        policy.case_insensitive = folding if case_insensitive is None else case_insensitive
        if license_file is not None:
            for package in license_file.packages:
                policy.packages.setdefault(package.name, set()).update(
                    name for name, _, _ in package.components)
        return policy

    # -- pools ------------------------------------------------------------------------
    def pools(self, feature: str) -> list[PoolInfo]:
        if self.license_file is not None:
            found = [PoolInfo(feature, p.seats, p.seats is not None, p.version, p.lines)
                     for p in self.license_file.pools_of(feature)]
            if found:
                return found
        return [PoolInfo(feature, self.capacity.get(feature), True)]

    def applies(self, rule: Rule, feature: str, pool: PoolInfo | None) -> bool:
        spec = rule.feature
        if spec is None:
            return True
        if spec.name != feature and feature not in self.packages.get(spec.name, ()):
            return False
        if not spec.qualified or pool is None or not pool.lines or spec.name != feature:
            return True
        return any(line_matches(line, spec) for line in pool.lines)

    # -- who is who -------------------------------------------------------------------
    def matches(self, kind: str, name: str, user: str, host: str | None,
                display: str | None) -> bool:
        if kind == "USER":
            return user == name
        if kind == "HOST":
            return host is not None and _host_match(name, host)
        if kind == "DISPLAY":
            return display is not None and display == name
        if kind == "GROUP":
            return any(self._same(m, user) for m in self.groups.get(name, ()))
        if kind == "HOST_GROUP":
            return host is not None and any(_host_match(m, host, self.case_insensitive)
                                            for m in self.host_groups.get(name, ()))
        if kind == "INTERNET":
            return host is not None and _is_ip(host) and fnmatchcase(host, name)
        return False  # PROJECT: clients here carry none

    def groups_of(self, user: str) -> list[str]:
        return [g for g, members in self.groups.items() if any(self._same(m, user)
                                                                for m in members)]

    def _same(self, member: str, user: str) -> bool:
        return member.lower() == user.lower() if self.case_insensitive else member == user

    def _member(self, rule: Rule, h: Holder) -> bool:
        return self.matches(rule.kind, rule.name, h.user, h.host, h.display)

    # -- reservations -----------------------------------------------------------------
    def reservations(self, feature: str, pool: int) -> list[tuple[Rule, int]]:
        """The RESERVE lines that take seats from this pool, each with the seats it sets
        aside (capped, in file order, by the pool's size when that is known)."""
        pools = self.pools(feature)
        target = pools[pool]
        if not target.counted:
            return []
        found = []
        left = target.seats
        for rule in self.rules:
            if rule.keyword != "RESERVE":
                continue
            first = next((i for i, p in enumerate(pools) if self.applies(rule, feature, p)),
                         None)
            if first != pool:
                continue
            count = rule.count if left is None else min(rule.count, left)
            if left is not None:
                left -= count
            found.append((rule, count))
        return found

    # -- the decision -----------------------------------------------------------------
    def decide(self, user: str, host: str | None, display: str | None, feature: str, *,
               count: int = 1,
               in_use_by_pool: Mapping[int, Sequence[Holder]] | None = None) -> Decision:
        """May this client check out `count` seats of `feature`, with `in_use_by_pool`
        (pool index into `pools(feature)` -> the seats held there) already held?"""
        held = in_use_by_pool or {}
        client = Holder(user, host, display, count)
        refusals = []
        for index in range(len(self.pools(feature))):
            decision = self._decide_pool(client, feature, index, held)
            if decision.allowed:
                return decision
            refusals.append((_RANK[decision.reason_code], index, decision))
        return min(refusals, key=lambda r: (r[0], r[1]))[2]

    def _decide_pool(self, client: Holder, feature: str, index: int,
                     held: Mapping[int, Sequence[Holder]]) -> Decision:
        pools = self.pools(feature)
        pool = pools[index]
        for rule in self.rules:
            if rule.keyword == "EXCLUDE" and self.applies(rule, feature, pool) \
                    and self._member(rule, client):
                return _refuse(EXCLUDED, index, rule)
        if not pool.counted:
            return self._include(client, feature, index, pool)
        here = held.get(index, ())
        used = sum(h.count for h in here)
        unused = []
        for rule, count in self.reservations(feature, index):
            for h in here:
                if count and self._member(rule, h):
                    count -= min(count, h.count)
            unused.append((rule, count))
        if pool.seats is not None:  # never more reserved than there are seats left
            room = max(pool.seats - used, 0)
            capped = []
            for rule, count in unused:
                capped.append((rule, min(count, room)))
                room -= capped[-1][1]
            unused = capped
        own = sum(c for rule, c in unused if self._member(rule, client))
        if own and own >= client.count:  # a request for 0 seats holds no reserved one
            rule = next(rule for rule, c in unused if c and self._member(rule, client))
            return Decision(True, None, "allowed (reserved seat)", index, rule)
        over = self._over_max(client, feature, held)
        if over is not None:
            return _refuse(OVER_MAX, index, over)
        included = self._include(client, feature, index, pool)
        if not included.allowed or pool.seats is None:
            return included
        free = pool.seats - used
        others = sum(c for _, c in unused) - own
        if free - others >= client.count:
            return Decision(True, None, "allowed", index)
        if free >= client.count:
            rule = next((rule for rule, c in unused if c and not self._member(rule, client)),
                        None)
            return _refuse(RESERVED_FOR_OTHERS, index, rule)
        return _refuse(POOL_FULL, index)

    def _include(self, client: Holder, feature: str, index: int, pool: PoolInfo) -> Decision:
        includes = [r for r in self.rules
                    if r.keyword == "INCLUDE" and self.applies(r, feature, pool)]
        if includes and not any(self._member(r, client) for r in includes):
            return _refuse(NOT_INCLUDED, index, includes[0])
        return Decision(True, None, "allowed", index)

    def _over_max(self, client: Holder, feature: str,
                  held: Mapping[int, Sequence[Holder]]) -> Rule | None:
        pools = self.pools(feature)
        for rule in self.rules:
            if rule.keyword != "MAX" or not self.applies(rule, feature, None):
                continue
            if rule.kind == "USER" and rule.name == "ALL_USERS":
                capped = [("USER", client.user)]
            elif rule.kind == "GROUP" and rule.name == "ALL_GROUPS":
                capped = [("GROUP", g) for g in self.groups_of(client.user)]
            elif self._member(rule, client):
                capped = [(rule.kind, rule.name)]
            else:
                continue
            scope = [h for i, seats in held.items()
                     if i < len(pools) and self.applies(rule, feature, pools[i]) for h in seats]
            for kind, name in capped:
                taken = sum(h.count for h in scope
                            if self.matches(kind, name, h.user, h.host, h.display))
                if taken + client.count > rule.count:
                    return rule
        return None


def _refuse(code: str, pool: int, rule: Rule | None = None) -> Decision:
    return Decision(False, code, denial_reason_words(code, None), pool, rule)


def _rule(d: Directive) -> Rule | None:
    if d.problems or d.type is None or not d.names:
        return None  # a line the daemon would reject; the validator reports it
    kind = "GROUP" if d.type == "USER_GROUP" else d.type
    keyword = d.keyword[:-3] if d.keyword in ("INCLUDEALL", "EXCLUDEALL") else d.keyword
    return Rule(keyword, d.feature, kind, d.names[0].text, d.number or 0, d.line,
                " ".join(d.logical_text.split()))


def _host_match(pattern: str, host: str, fold: bool = False) -> bool:
    if fold:
        pattern, host = pattern.lower(), host.lower()
    return fnmatchcase(host, pattern) if "*" in pattern else host == pattern


def _is_ip(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 4 and all(is_ascii_number(p) for p in parts)


# --- the what-if replay -------------------------------------------------------------------


class Seat(NamedTuple):
    """A held seat: lmstat's checkout and the feature it is of."""

    feature: str
    checkout: Checkout


class Finding(NamedTuple):
    source: str  # "request" (a debug-log OUT/DENIED line) or "seat" (held, from lmstat)
    feature: str
    user: str
    host: str | None
    count: int
    at: str | None  # ISO time of the request; the seat's start for a held seat
    line: int | None  # the debug-log line
    logged: str | None  # what the log says happened: "OUT" or "DENIED (-4,342)"
    now: Decision  # under the current options file
    draft: Decision  # under the draft


class IdleReservation(NamedTuple):
    line: int  # in the draft
    text: str
    feature: str
    kind: str
    name: str
    seats: int | None  # seats it keeps idle (None: the pool's size is not known)
    applies: bool  # False: beyond the pool's size, the daemon ignores it
    new: bool  # not in the current options file


@dataclass(frozen=True, slots=True)
class WhatIfReport:
    newly_denied: tuple[Finding, ...]
    newly_admitted: tuple[Finding, ...]
    idle_reservations: tuple[IdleReservation, ...]
    counts: dict

    @property
    def changes_access(self) -> bool:
        return bool(self.newly_denied or self.newly_admitted)


class _Held(NamedTuple):
    holder: Holder
    daemon: str | None
    pool: int


_REQUESTS = (EventKind.OUT, EventKind.DENIED)
# A daemon's start, restart or shutdown: the seats of that daemon (every daemon, when it
# is lmgrd's) are no longer held.
_SEATS_DROPPED = (EventKind.STARTED, EventKind.RESTARTED, EventKind.SHUTDOWN)


def what_if(current: OptionsFile | Policy, draft: OptionsFile | Policy, *,
            seats: Iterable[Seat | tuple[str, Checkout]] = (), requests: Iterable[Event] = (),
            license_file: LicenseFile | None = None,
            capacity: Mapping[str, int | None] | None = None) -> WhatIfReport:
    """Replay `requests` (debug-log events: OUT and DENIED are decided, IN, RESTARTED and
    SHUTDOWN free seats) and the held `seats` through both policies. `capacity`: seats per
    feature when there is no licence file (lmstat's "licenses issued")."""
    now_policy = _policy(current, license_file, capacity)
    draft_policy = _policy(draft, license_file, capacity)
    denied: list[Finding] = []
    admitted: list[Finding] = []
    users: dict[str, set[tuple[str, str | None, str | None]]] = {}  # feature -> holders seen
    counts = {"requests": 0, "requests_denied_in_log": 0, "seats": 0, "model_agrees": 0}

    def compare(finding: Finding) -> None:
        if finding.now.allowed and not finding.draft.allowed:
            denied.append(finding)
        elif finding.draft.allowed and not finding.now.allowed:
            admitted.append(finding)

    # The debug log, in time order.
    occupancy: dict[str, list[_Held]] = {}
    events = sorted((e for e in requests if e.feature or e.kind in _SEATS_DROPPED),
                    key=lambda e: (e.at, e.line or 0))
    for event in events:
        if event.kind in _SEATS_DROPPED:
            for feature, held in occupancy.items():
                occupancy[feature] = [h for h in held if event.daemon not in ("lmgrd", h.daemon)]
            continue
        if event.user is None or event.feature is None:
            continue
        feature = event.feature
        held = occupancy.setdefault(feature, [])
        if event.kind == EventKind.IN:
            match = next((h for h in held if (h.holder.user, h.holder.host, h.holder.count)
                          == (event.user, event.host, event.count)), None)
            if match is None:
                match = next((h for h in held if (h.holder.user, h.holder.host)
                              == (event.user, event.host)), None)
            if match is not None:
                held.remove(match)
            continue
        if event.kind not in _REQUESTS:
            continue
        by_pool = _by_pool(held)
        now = now_policy.decide(event.user, event.host, None, feature, count=event.count,
                                in_use_by_pool=by_pool)
        new = draft_policy.decide(event.user, event.host, None, feature, count=event.count,
                                  in_use_by_pool=by_pool)
        counts["requests"] += 1
        out = event.kind == EventKind.OUT
        counts["requests_denied_in_log"] += not out
        counts["model_agrees"] += now.allowed == out
        logged = "OUT" if out else f"DENIED ({event.code})" if event.code else "DENIED"
        compare(Finding("request", feature, event.user, event.host, event.count,
                        event.at.isoformat(), event.line, logged, now, new))
        if out:
            holder = Holder(event.user, event.host, None, event.count)
            pool = now.pool if now.allowed and now.pool is not None else 0
            held.append(_Held(holder, event.daemon, pool))
            users.setdefault(feature, set()).add((event.user, event.host, None))

    # The held seats, each as if requested now with the others in place.
    placed: dict[str, list[_Held]] = {}
    seat_list = [Seat(*s) for s in seats]
    for seat in seat_list:  # place them as the current policy would have
        c = seat.checkout
        holder = Holder(c.user, c.host, c.display, c.count)
        held = placed.setdefault(seat.feature, [])
        decision = now_policy.decide(c.user, c.host, c.display, seat.feature, count=c.count,
                                     in_use_by_pool=_by_pool(held))
        held.append(_Held(holder, None, decision.pool or 0))
        users.setdefault(seat.feature, set()).add((c.user, c.host, c.display))
    for feature, held in placed.items():
        for own in held:
            others = _by_pool([h for h in held if h is not own])
            h = own.holder
            now = now_policy.decide(h.user, h.host, h.display, feature, count=h.count,
                                    in_use_by_pool=others)
            new = draft_policy.decide(h.user, h.host, h.display, feature, count=h.count,
                                      in_use_by_pool=others)
            counts["seats"] += 1
            counts["model_agrees"] += now.allowed
            start = next((s.checkout.start for s in seat_list
                          if s.feature == feature and s.checkout.user == h.user
                          and s.checkout.host == h.host), None)
            compare(Finding("seat", feature, h.user, h.host, h.count,
                            start.isoformat() if start else None, None, "held", now, new))

    idle = _idle_reservations(draft_policy, now_policy, users)
    counts.update({
        "newly_denied": len(denied), "newly_admitted": len(admitted),
        "idle_reservations": len(idle),
        "idle_reserved_seats": sum(r.seats or 0 for r in idle if r.applies),
        "users_newly_denied": len({f.user for f in denied}),
        "users_newly_admitted": len({f.user for f in admitted}),
    })
    return WhatIfReport(tuple(denied), tuple(admitted), tuple(idle), counts)


def _policy(options: OptionsFile | Policy, license_file: LicenseFile | None,
            capacity: Mapping[str, int | None] | None) -> Policy:
    if isinstance(options, Policy):
        return options
    return Policy.from_options(options, license_file, capacity=capacity)


def _by_pool(held: Iterable[_Held]) -> dict[int, list[Holder]]:
    by_pool: dict[int, list[Holder]] = {}
    for h in held:
        by_pool.setdefault(h.pool, []).append(h.holder)
    return by_pool


def _idle_reservations(draft: Policy, current: Policy,
                       users: Mapping[str, set[tuple[str, str | None, str | None]]]):
    """The draft's RESERVE lines none of whose members held a seat of the feature."""
    current_lines = {r.text for r in current.rules if r.keyword == "RESERVE"}
    found: list[IdleReservation] = []
    for rule in draft.rules:
        if rule.keyword != "RESERVE" or rule.feature is None:
            continue
        features = {rule.feature.name} | draft.packages.get(rule.feature.name, set())
        for feature in sorted(features):
            pools = draft.pools(feature)
            first = next((i for i, p in enumerate(pools) if draft.applies(rule, feature, p)),
                         None)
            if first is None or not pools[first].counted:
                continue
            if any(draft.matches(rule.kind, rule.name, *who) for who in users.get(feature, ())):
                continue
            seats = next(c for r, c in draft.reservations(feature, first) if r is rule)
            known = pools[first].seats is not None
            found.append(IdleReservation(rule.line, rule.text, feature, rule.kind, rule.name,
                                         seats if known else None, seats > 0,
                                         rule.text not in current_lines))
    return found
