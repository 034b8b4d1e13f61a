"""Alert rules: what `[[alerts]]` in the configuration says, checked and typed.

A rule names a kind of condition (KINDS), the threshold at which it fires and a clear
threshold apart from it (between the two the alert keeps the state it has: no flapping), how
long the condition must last before it fires (`for`) and how long it must be gone before the
alert clears (`clear_for`), its severity, how often a firing alert is told again
(`renotify`), the servers and features it watches (shell patterns), and maintenance windows
in which it never fires. Problems are reported through the configuration's own `error`
callable (file:line: key: message), every one of them, never raised. No Textual here.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any

WARNING, CRITICAL = "warning", "critical"
SEVERITIES = (WARNING, CRITICAL)


class Kind(StrEnum):
    UTILISATION = "utilisation"  # in use / issued, in %, at or above the threshold
    FREE_SEATS = "free_seats"  # issued - in use at or below the threshold
    DENIALS = "denials"  # at least `threshold` denials (or true ones) within `period`
    SERVER_DOWN = "server_down"  # the status cannot be had, or lmgrd is not up
    VENDOR_DOWN = "vendor_down"  # a vendor daemon is down
    QUORUM = "quorum"  # a triad with one lmgrd down (warning) or two (critical)
    EXPIRY = "expiry"  # a licence pool expires within `threshold` days
    SEAT_HELD = "seat_held"  # one checkout held longer than `threshold` seconds
    MULTI_HOST = "multi_host"  # one user holds a feature on `threshold` hosts or more
    BORROW_AND_FLOAT = "borrow_and_float"  # one user holds a borrowed and a floating seat
    RESERVATION_IDLE = "reservation_idle"  # reserved seats idle `threshold`% of `period`
    LOG_GAP = "log_gap"  # the debug log is not followed, or lines of it were lost


@dataclass(frozen=True, slots=True)
class KindDefaults:
    threshold: float | None  # None: the kind has no threshold
    clear: Callable[[float], float] | None  # the clear threshold, from the fire threshold
    higher_fires: bool = True  # the condition is "value >= threshold" (else "<=")
    severity: str = WARNING
    for_s: int = 0
    clear_for_s: int = 0
    period_s: int | None = None


# Defaults chosen so that a server whose lmstat fails one poll in three raises at most one
# alert an hour: a failed poll is retried within seconds, far inside `for`, and an alert
# that did fire must see the condition gone for ten minutes before it clears.
DEFAULTS: dict[Kind, KindDefaults] = {
    Kind.UTILISATION: KindDefaults(90, lambda t: t - 10, for_s=300, clear_for_s=300),
    Kind.FREE_SEATS: KindDefaults(0, lambda t: t + 2, higher_fires=False, for_s=300,
                                  clear_for_s=300),
    Kind.DENIALS: KindDefaults(1, lambda t: 0, period_s=3600),
    Kind.SERVER_DOWN: KindDefaults(None, None, severity=CRITICAL, for_s=120, clear_for_s=600),
    Kind.VENDOR_DOWN: KindDefaults(None, None, severity=CRITICAL, for_s=120, clear_for_s=600),
    Kind.QUORUM: KindDefaults(None, None, for_s=120, clear_for_s=600),
    Kind.EXPIRY: KindDefaults(30, lambda t: t, higher_fires=False),
    Kind.SEAT_HELD: KindDefaults(12 * 3600, lambda t: t),
    Kind.MULTI_HOST: KindDefaults(2, lambda t: t - 1, for_s=300),
    Kind.BORROW_AND_FLOAT: KindDefaults(None, None, for_s=300),
    Kind.RESERVATION_IDLE: KindDefaults(50, lambda t: t - 10, period_s=86_400),
    Kind.LOG_GAP: KindDefaults(None, None, for_s=120, period_s=3600),
}
SNAPSHOT_KINDS = frozenset({Kind.UTILISATION, Kind.FREE_SEATS, Kind.VENDOR_DOWN, Kind.QUORUM,
                            Kind.EXPIRY, Kind.SEAT_HELD, Kind.MULTI_HOST,
                            Kind.BORROW_AND_FLOAT, Kind.RESERVATION_IDLE})
DEFAULT_RENOTIFY_S = 4 * 3600


@dataclass(frozen=True, slots=True)
class Window:
    """A maintenance window: every week on `days` (0 Monday .. 6 Sunday) from `start` for
    `length`, in `zone`; or once, from `once_start` to `once_end`."""

    text: str
    days: frozenset[int] = frozenset(range(7))
    start: time = time(0)
    length: timedelta = timedelta(0)
    zone: tzinfo | None = None
    once_start: datetime | None = None
    once_end: datetime | None = None

    def covers(self, moment: datetime) -> bool:
        if self.once_start is not None and self.once_end is not None:
            return self.once_start <= moment < self.once_end
        local = moment.astimezone(self.zone)
        for back in (0, 1, 2, 3, 4, 5, 6, 7):  # a window may begin on an earlier day
            day = local.date() - timedelta(days=back)
            if day.weekday() not in self.days:
                continue
            begin = datetime.combine(day, self.start, local.tzinfo)
            if begin <= local < begin + self.length:
                return True
        return False


@dataclass(frozen=True, slots=True)
class AlertRule:
    name: str
    kind: Kind
    severity: str = WARNING
    threshold: float | None = None
    clear: float | None = None
    for_s: int = 0
    clear_for_s: int = 0
    period_s: int | None = None
    renotify_s: int = DEFAULT_RENOTIFY_S  # 0: never told again
    true_only: bool = False  # denials: only the true ones (lmconsole.reports.denials)
    servers: tuple[str, ...] = ()  # shell patterns; () every server
    features: tuple[str, ...] = ()
    maintenance: tuple[Window, ...] = field(default=(), hash=False)

    @property
    def higher_fires(self) -> bool:
        return DEFAULTS[self.kind].higher_fires

    def watches(self, server: str, feature: str | None = None) -> bool:
        if self.servers and not any(fnmatch.fnmatchcase(server, p) for p in self.servers):
            return False
        return feature is None or not self.features or \
            any(fnmatch.fnmatchcase(feature, p) for p in self.features)

    def in_maintenance(self, moment: datetime) -> bool:
        return any(window.covers(moment) for window in self.maintenance)

    def level(self, value: float) -> str:
        """FIRE, CLEAR or HOLD (between the two thresholds) for a measured value: a rule
        fires at its threshold or past it, and clears at its clear threshold or past it."""
        assert self.threshold is not None and self.clear is not None
        if self.higher_fires:
            return FIRE if value >= self.threshold else CLEAR if value <= self.clear else HOLD
        return FIRE if value <= self.threshold else CLEAR if value >= self.clear else HOLD


FIRE, HOLD, CLEAR = "fire", "hold", "clear"

# The rules in force when the configuration has no [[alerts]]: what no site wants to miss.
DEFAULT_RULES = (
    AlertRule("server down", Kind.SERVER_DOWN, CRITICAL, for_s=DEFAULTS[Kind.SERVER_DOWN].for_s,
              clear_for_s=DEFAULTS[Kind.SERVER_DOWN].clear_for_s),
    AlertRule("vendor daemon down", Kind.VENDOR_DOWN, CRITICAL,
              for_s=DEFAULTS[Kind.VENDOR_DOWN].for_s,
              clear_for_s=DEFAULTS[Kind.VENDOR_DOWN].clear_for_s),
    AlertRule("triad quorum", Kind.QUORUM, WARNING, for_s=DEFAULTS[Kind.QUORUM].for_s,
              clear_for_s=DEFAULTS[Kind.QUORUM].clear_for_s),
    AlertRule("licence expiring", Kind.EXPIRY, WARNING, threshold=14, clear=14),
)

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKLY = re.compile(r"(?:(?P<days>[a-z]{3}(?:\s*-\s*[a-z]{3})?(?:\s*,\s*[a-z]{3})*)\s+)?"
                     r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})", re.I)


class Invalid(Exception):
    """A value's problem; the message says what was expected."""


def seconds(value: Any) -> int:
    """A duration: a number of seconds, or "90s", "10m", "4h", "2d", "1w"."""
    if isinstance(value, bool):
        raise Invalid('expected a duration such as "10m", "4h" or a number of seconds')
    if isinstance(value, int | float) and value >= 0:
        return int(value)
    match = _DURATION.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise Invalid('expected a duration such as "10m", "4h" or a number of seconds')
    return int(float(match.group(1)) * _UNITS[match.group(2) or "s"])


def duration_text(total: int) -> str:
    for unit in ("w", "d", "h", "m"):
        if total and total % _UNITS[unit] == 0:
            return f"{total // _UNITS[unit]}{unit}"
    return f"{total}s"


def window(value: Any, zone: tzinfo) -> Window:
    """ "Sun 02:00-06:00", "Mon-Fri 12:00-13:00", "Sat,Sun 00:00-24:00", "22:00-06:00"
    (every day, into the next), or once: "2026-12-24T00:00/2026-12-27T00:00"."""
    if not isinstance(value, str):
        raise Invalid('expected a window such as "Sun 02:00-06:00" or '
                      '"2026-12-24T00:00/2026-12-27T00:00"')
    if "/" in value:
        try:
            start, end = (datetime.fromisoformat(part.strip()) for part in value.split("/", 1))
        except ValueError:
            raise Invalid(f'"{value}": expected two ISO times, "START/END"') from None
        start, end = (t if t.tzinfo else t.replace(tzinfo=zone) for t in (start, end))
        if end <= start:
            raise Invalid(f'"{value}": the window ends before it starts')
        return Window(value, once_start=start, once_end=end)
    match = _WEEKLY.fullmatch(value.strip())
    if match is None:
        raise Invalid(f'"{value}": expected a window such as "Sun 02:00-06:00", '
                      '"Mon-Fri 12:00-13:00" or "22:00-06:00"')
    begin, finish = (_clock(match.group(k), value) for k in ("start", "end"))
    length = finish - begin if finish > begin else finish + timedelta(days=1) - begin
    days = _weekdays(match.group("days"), value) if match.group("days") else frozenset(range(7))
    start = (datetime.min + begin).time()
    return Window(value, days=days, start=start, length=length, zone=zone)


def _clock(text: str, whole: str) -> timedelta:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours > 24 or minutes > 59 or hours == 24 and minutes:
        raise Invalid(f'"{whole}": {text} is not a time of day')
    return timedelta(hours=hours, minutes=minutes)


def _weekdays(text: str, whole: str) -> frozenset[int]:
    days: set[int] = set()
    for part in text.lower().split(","):
        ends = [p.strip() for p in part.split("-")]
        if any(end not in _DAYS for end in ends):
            raise Invalid(f'"{whole}": days are written Mon, Tue, ... Sun')
        first, last = _DAYS.index(ends[0]), _DAYS.index(ends[-1])
        days.update(range(first, last + 1) if first <= last else
                    [*range(first, 7), *range(0, last + 1)])
    return frozenset(days)


def _patterns(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or \
            not all(isinstance(v, str) and v.strip() for v in value):
        raise Invalid('expected a list of names or shell patterns, such as ["MATLAB*"]')
    return tuple(value)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise Invalid("expected a number, 0 or more")
    return float(value)


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("expected a non-empty string")
    return value.strip()


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("expected true or false")
    return value


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise Invalid(f"expected one of {', '.join(repr(str(c)) for c in choices)}")
        return value
    return check


THRESHOLD_IN_SECONDS = frozenset({Kind.SEAT_HELD})
KEYS: dict[str, Callable[[Any], Any]] = {
    "name": _name, "kind": _one_of(tuple(Kind)), "severity": _one_of(SEVERITIES),
    "threshold": _number, "clear": _number, "for": seconds, "clear_for": seconds,
    "period": seconds, "renotify": seconds, "true_only": _boolean, "servers": _patterns,
    "features": _patterns, "maintenance": lambda v: v,
}

Error = Callable[[tuple, str], None]


def parse_rules(raw: Any, error: Error, zone: tzinfo) -> tuple[AlertRule, ...]:
    """`[[alerts]]`: every valid rule; every problem told to `error(path, message)`."""
    if not isinstance(raw, list):
        error(("alerts",), "expected an array of tables: write each rule as [[alerts]]")
        return ()
    rules, names = [], set()
    for n, table in enumerate(raw):
        rule = _rule(table, ("alerts", n), error, zone)
        if rule is None:
            continue
        if rule.name in names:
            error(("alerts", n, "name"), f'two rules are named "{rule.name}"')
            continue
        names.add(rule.name)
        rules.append(rule)
    return tuple(rules)


def _rule(table: Any, path: tuple, error: Error, zone: tzinfo) -> AlertRule | None:
    if not isinstance(table, dict):
        error(path, "expected a table")
        return None
    valid: dict[str, Any] = {}
    for key, value in table.items():
        check = KEYS.get(key)
        if check is None:
            error(path + (key,), f"unknown key; known keys here: {', '.join(KEYS)}")
            continue
        if key in ("threshold", "clear") and table.get("kind") in THRESHOLD_IN_SECONDS:
            check = seconds
        try:
            valid[key] = check(value)
        except Invalid as exc:
            error(path + (key,), str(exc))
    if "kind" not in valid:
        if "kind" not in table:
            error(path, f"a rule needs kind = one of {', '.join(Kind)}")
        return None
    kind = Kind(valid["kind"])
    windows = _windows(table.get("maintenance", []), path + ("maintenance",), error, zone)
    return _built(kind, valid, windows, path, error)


def _windows(raw: Any, path: tuple, error: Error, zone: tzinfo) -> tuple[Window, ...]:
    if not isinstance(raw, list):
        raw = [raw]
    windows = []
    for n, item in enumerate(raw):
        try:
            windows.append(window(item, zone))
        except Invalid as exc:
            error(path + (n,), str(exc))
    return tuple(windows)


def _built(kind: Kind, valid: dict[str, Any], windows: tuple[Window, ...], path: tuple,
           error: Error) -> AlertRule | None:
    defaults = DEFAULTS[kind]
    threshold = valid.get("threshold", defaults.threshold)
    clear = valid.get("clear")
    if defaults.threshold is None:
        for key in ("threshold", "clear"):
            if key in valid:
                error(path + (key,), f"a {kind} rule has no {key}")
        threshold = clear = None
    elif clear is None:
        clear = defaults.clear(threshold)
    elif defaults.higher_fires and clear > threshold or \
            not defaults.higher_fires and clear < threshold:
        side = "at or below" if defaults.higher_fires else "at or above"
        error(path + ("clear",), f"the clear threshold must be {side} the threshold "
                                 f"({threshold:g}), or the alert would flap")
        return None
    if "true_only" in valid and kind != Kind.DENIALS:
        error(path + ("true_only",), "only a denials rule counts true denials")
    name = valid.get("name") or f"{kind}{path[-1] + 1}"
    return AlertRule(
        name=name, kind=kind, severity=valid.get("severity", defaults.severity),
        threshold=threshold, clear=clear, for_s=valid.get("for", defaults.for_s),
        clear_for_s=valid.get("clear_for", defaults.clear_for_s),
        period_s=valid.get("period", defaults.period_s),
        renotify_s=valid.get("renotify", DEFAULT_RENOTIFY_S),
        true_only=valid.get("true_only", False), servers=valid.get("servers", ()),
        features=valid.get("features", ()), maintenance=windows)


def rules_in_force(config) -> tuple[AlertRule, ...]:
    """The configuration's [[alerts]], or the default rules when it has none."""
    return DEFAULT_RULES if config.alerts is None else config.alerts


def rule_settings(rule: AlertRule) -> dict[str, Any]:
    """A rule as the configuration writes it (for `config show`)."""
    data: dict[str, Any] = {"name": rule.name, "kind": str(rule.kind),
                            "severity": rule.severity}
    if rule.threshold is not None:
        seconds_kind = rule.kind in THRESHOLD_IN_SECONDS
        data["threshold"] = duration_text(int(rule.threshold)) if seconds_kind else rule.threshold
        data["clear"] = duration_text(int(rule.clear or 0)) if seconds_kind else rule.clear
    data["for"] = duration_text(rule.for_s)
    data["clear_for"] = duration_text(rule.clear_for_s)
    if rule.period_s is not None:
        data["period"] = duration_text(rule.period_s)
    data["renotify"] = duration_text(rule.renotify_s)
    if rule.kind == Kind.DENIALS:
        data["true_only"] = rule.true_only
    if rule.servers:
        data["servers"] = list(rule.servers)
    if rule.features:
        data["features"] = list(rule.features)
    if rule.maintenance:
        data["maintenance"] = [w.text for w in rule.maintenance]
    return data
