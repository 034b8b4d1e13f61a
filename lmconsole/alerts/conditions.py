"""What each kind of rule measures: from what the monitor told (server states, debug-log
events, gaps), one Reading per subject (a server, a feature of it, a user's seats), saying
whether the condition is past the fire threshold, back past the clear one, or between.

Pure: the observations and the clock come in, readings go out. No Textual here.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from lmconsole.model import Event, EventKind, Feature, ServerStatus, Status

from .rules import CLEAR, CRITICAL, FIRE, WARNING, AlertRule, Kind

DENIAL_KINDS = (EventKind.DENIED, EventKind.UNSUPPORTED)
TRUE_DENIAL_WINDOW_S = 10  # the configuration's true_denial.window_s by default


class Reading(NamedTuple):
    subject: str  # "server", "server/feature", "server/feature/user": with the rule, the key
    level: str  # FIRE, HOLD or CLEAR
    message: str
    labels: dict[str, str]
    severity: str | None = None  # None: the rule's; a quorum's depends on hosts down


@dataclass
class ServerSeen:
    """The last of one server: its last good status and whether the latest poll got one."""

    status: ServerStatus | None = None
    polled_at: datetime | None = None  # when that status was taken, by the server's clock
    fresh: bool = False
    error: str | None = None
    following: bool = True  # its debug log is being read
    gap_until: datetime | None = None  # the end of the last lines lost
    gap_text: str | None = None
    # (feature) -> [(at, reserved seats idle)] over the longest period asked
    reserved_idle: dict[str, deque[tuple[datetime, int]]] = field(
        default_factory=lambda: defaultdict(deque))


@dataclass
class Observations:
    servers: dict[str, ServerSeen] = field(default_factory=dict)
    denials: deque[Event] = field(default_factory=deque)
    # (feature, user) -> when they checked it out lately, on any server: a denial followed by
    # one within the window was retried, not a true denial
    checkouts: dict[tuple[str, str], deque[datetime]] = field(
        default_factory=lambda: defaultdict(deque))
    true_denial_window_s: int = TRUE_DENIAL_WINDOW_S

    def server(self, name: str) -> ServerSeen:
        return self.servers.setdefault(name, ServerSeen())

    def forget_before(self, moment: datetime) -> None:
        while self.denials and self.denials[0].at < moment:
            self.denials.popleft()
        for key, times in list(self.checkouts.items()):
            while times and times[0] < moment:
                times.popleft()
            if not times:
                del self.checkouts[key]
        for seen in self.servers.values():
            for samples in seen.reserved_idle.values():
                while len(samples) > 1 and samples[1][0] < moment:
                    samples.popleft()


def readings(rule: AlertRule, seen: Observations, now: datetime) -> Iterator[Reading]:
    return MEASURES[rule.kind](rule, seen, now)


def _servers(rule: AlertRule, seen: Observations) -> Iterator[tuple[str, ServerSeen]]:
    for name, server in seen.servers.items():
        if rule.watches(name):
            yield name, server


def _features(rule: AlertRule, seen: Observations
              ) -> Iterator[tuple[str, ServerStatus, Feature]]:
    """The features of every watched server whose status is fresh and up."""
    for name, server in _servers(rule, seen):
        if server.fresh and server.status is not None and server.status.status is Status.UP:
            for feature in server.status.features:
                if rule.watches(name, feature.name):
                    yield name, server.status, feature


def _labels(server: str, feature: str | None = None, **more: str) -> dict[str, str]:
    return {"server": server, **({"feature": feature} if feature else {}), **more}


def _utilisation(rule: AlertRule, seen: Observations, now: datetime) -> Iterator[Reading]:
    for server, _status, feature in _features(rule, seen):
        if feature.uncounted or not feature.issued or feature.in_use is None:
            continue
        percent = 100.0 * feature.in_use / feature.issued
        yield Reading(f"{server}/{feature.name}", rule.level(percent),
                      f"{feature.name} on {server}: {feature.in_use} of {feature.issued} "
                      f"seats in use ({percent:.0f}%, threshold {rule.threshold:g}%)",
                      _labels(server, feature.name))


def _free_seats(rule: AlertRule, seen: Observations, now: datetime) -> Iterator[Reading]:
    for server, _status, feature in _features(rule, seen):
        if feature.uncounted or feature.issued is None or feature.in_use is None:
            continue
        free = max(0, feature.issued - feature.in_use)
        yield Reading(f"{server}/{feature.name}", rule.level(free),
                      f"{feature.name} on {server}: {free} of {feature.issued} seats free "
                      f"(threshold {rule.threshold:g})", _labels(server, feature.name))


def _denials(rule: AlertRule, seen: Observations, now: datetime) -> Iterator[Reading]:
    period = timedelta(seconds=rule.period_s or 3600)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    users: dict[tuple[str, str], set[str]] = defaultdict(set)
    previous: dict[tuple[str, str], datetime] = {}  # (feature, user) -> their last denial
    for event in seen.denials:
        server, feature = event.server or "", event.feature or ""
        if not rule.watches(server, feature):
            continue
        if rule.true_only:
            key = (feature, event.user or "")
            repeated = key in previous and \
                (event.at - previous[key]).total_seconds() <= seen.true_denial_window_s
            previous[key] = event.at
            if repeated or not _true_denial(event, seen, now):
                continue
        if event.at >= now - period:
            counts[(server, feature)] += 1
            users[(server, feature)].add(event.user or "?")
    for (server, feature), count in counts.items():  # the others clear: not measured
        what = "true denials" if rule.true_only else "denials"
        names = ", ".join(sorted(users.get((server, feature), ())))
        yield Reading(f"{server}/{feature}", rule.level(count),
                      f"{feature} on {server}: {count} {what} in the last "
                      f"{_span(period)}" + (f" ({names})" if names else ""),
                      _labels(server, feature))


def _true_denial(event: Event, seen: Observations, now: datetime) -> bool:
    """The window after the denial is over, and the user did not get the feature within it
    on any server (as `report denials` counts them: lmconsole.reports.denials)."""
    window = timedelta(seconds=seen.true_denial_window_s)
    if now < event.at + window:
        return False  # not known yet
    times = seen.checkouts.get((event.feature or "", event.user or ""), ())
    return not any(event.at <= t <= event.at + window for t in times)


def _server_down(rule: AlertRule, seen: Observations, now: datetime) -> Iterator[Reading]:
    for server, state in _servers(rule, seen):
        down = state.error is not None or state.status is None or \
            state.status.status is not Status.UP
        problem = state.error or "no status"
        yield Reading(server, FIRE if down else CLEAR,
                      f"{server}: {problem}" if down else f"{server}: answering",
                      _labels(server))


def _vendor_down(rule: AlertRule, seen: Observations, now: datetime) -> Iterator[Reading]:
    for server, state in _servers(rule, seen):
        if not state.fresh or state.status is None:
            continue
        for vendor in state.status.vendors:
            if vendor.status is Status.UP:
                level, text = CLEAR, "up"
            else:
                level, text = FIRE, vendor.error or vendor.status.value
            yield Reading(f"{server}/{vendor.name}", level,
                          f"vendor daemon {vendor.name} on {server}: {text}",
                          _labels(server, vendor=vendor.name))


def _quorum(rule: AlertRule, seen: Observations, now: datetime) -> Iterator[Reading]:
    for server, state in _servers(rule, seen):
        if not state.fresh or state.status is None or len(state.status.hosts) < 3:
            continue
        down = [h.host for h in state.status.hosts if h.status is not Status.UP]
        severity = CRITICAL if len(down) >= 2 else WARNING
        text = (f"triad {server}: {len(down)} of {len(state.status.hosts)} servers down "
                f"({', '.join(down)})" + ("; quorum lost" if len(down) >= 2 else "")
                if down else f"triad {server}: all servers up")
        yield Reading(server, FIRE if down else CLEAR, text, _labels(server), severity)


def _taken_at(seen: Observations, server: str, now: datetime) -> datetime:
    """When the server's status was taken, by its own clock: what a seat's age and a
    licence's days left are counted from (a simulated server's clock is not ours)."""
    return seen.servers[server].polled_at or now


def _expiry(rule: AlertRule, seen: Observations, now: datetime) -> Iterator[Reading]:
    for server, status, feature in _features(rule, seen):
        expiry = feature.earliest_expiry
        if expiry is None:
            continue
        taken = _taken_at(seen, server, now)
        today = taken.astimezone(status.reported_at.tzinfo if status.reported_at else None).date()
        days = (expiry - today).days
        text = "expired" if days < 0 else f"expires in {days} days" if days else \
            "expires today"
        yield Reading(f"{server}/{feature.name}", rule.level(days),
                      f"{feature.name} on {server}: a licence {text} ({expiry:%Y-%m-%d})",
                      _labels(server, feature.name))


def _seat_held(rule: AlertRule, seen: Observations, now: datetime) -> Iterator[Reading]:
    for server, _status, feature in _features(rule, seen):
        for seat in feature.checkouts:
            if seat.start is None or seat.borrowed:  # a borrowed seat is meant to be held
                continue
            held = (_taken_at(seen, server, now) - seat.start).total_seconds()
            yield Reading(f"{server}/{feature.name}/{seat.user}@{seat.host}/{seat.handle}",
                          rule.level(held),
                          f"{seat.user}@{seat.host} has held {feature.name} on {server} for "
                          f"{_span(timedelta(seconds=held))} (since {seat.start:%Y-%m-%d %H:%M})",
                          _labels(server, feature.name, user=seat.user, host=seat.host or ""))


def _multi_host(rule: AlertRule, seen: Observations, now: datetime) -> Iterator[Reading]:
    for server, _status, feature in _features(rule, seen):
        hosts: dict[str, set[str]] = defaultdict(set)
        for seat in feature.checkouts:
            hosts[seat.user].add(seat.host or "?")
        for user, held_on in hosts.items():
            yield Reading(f"{server}/{feature.name}/{user}", rule.level(len(held_on)),
                          f"{user} holds {feature.name} on {server} from {len(held_on)} hosts "
                          f"({', '.join(sorted(held_on))})",
                          _labels(server, feature.name, user=user))


def _borrow_and_float(rule: AlertRule, seen: Observations, now: datetime
                      ) -> Iterator[Reading]:
    for server, _status, feature in _features(rule, seen):
        kinds: dict[str, set[bool]] = defaultdict(set)
        for seat in feature.checkouts:
            kinds[seat.user].add(seat.borrowed)
        for user, borrowed in kinds.items():
            both = borrowed == {True, False}
            yield Reading(f"{server}/{feature.name}/{user}", FIRE if both else CLEAR,
                          f"{user} holds a borrowed and a floating seat of {feature.name} on "
                          f"{server}" if both else f"{user}: one kind of seat",
                          _labels(server, feature.name, user=user))


def _reservation_idle(rule: AlertRule, seen: Observations, now: datetime
                      ) -> Iterator[Reading]:
    period = timedelta(seconds=rule.period_s or 86_400)
    for server, state in _servers(rule, seen):
        for feature, samples in state.reserved_idle.items():
            if not rule.watches(server, feature) or not samples:
                continue
            idle = _idle_seconds(samples, now - period, now)
            percent = 100.0 * idle / period.total_seconds()
            yield Reading(f"{server}/{feature}", rule.level(percent),
                          f"{feature} on {server}: reserved seats idle {percent:.0f}% of the "
                          f"last {_span(period)} (threshold {rule.threshold:g}%)",
                          _labels(server, feature))


def _idle_seconds(samples: deque[tuple[datetime, int]], start: datetime, end: datetime
                  ) -> float:
    """Seconds within [start, end) in which some reserved seat stood idle, each sample
    holding until the next."""
    total = 0.0
    items = list(samples)
    for (at, idle), (until, _) in zip(items, [*items[1:], (end, 0)], strict=True):
        if idle:
            total += max(0.0, (min(until, end) - max(at, start)).total_seconds())
    return total


def _log_gap(rule: AlertRule, seen: Observations, now: datetime) -> Iterator[Reading]:
    for server, state in _servers(rule, seen):
        if not state.following:
            yield Reading(server, FIRE, f"{server}: the debug log is not being read "
                                        f"({state.gap_text})", _labels(server))
        elif state.gap_until is not None and now - state.gap_until < timedelta(
                seconds=rule.period_s or 0):
            yield Reading(server, FIRE, f"{server}: debug log lines lost ({state.gap_text})",
                          _labels(server))
        else:
            yield Reading(server, CLEAR, f"{server}: the debug log is read", _labels(server))


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes % 60 == 0 or minutes >= 48 * 60:
        return f"{minutes // 60} h" if minutes < 48 * 60 else f"{minutes // 1440} days"
    return f"{minutes // 60} h {minutes % 60} min"


MEASURES = {
    Kind.UTILISATION: _utilisation, Kind.FREE_SEATS: _free_seats, Kind.DENIALS: _denials,
    Kind.SERVER_DOWN: _server_down, Kind.VENDOR_DOWN: _vendor_down, Kind.QUORUM: _quorum,
    Kind.EXPIRY: _expiry, Kind.SEAT_HELD: _seat_held, Kind.MULTI_HOST: _multi_host,
    Kind.BORROW_AND_FLOAT: _borrow_and_float, Kind.RESERVATION_IDLE: _reservation_idle,
    Kind.LOG_GAP: _log_gap,
}
