"""The alert life cycle: fed what the monitor tells (server states, debug-log events, gaps)
and a clock, it says what changed: an alert fired, was told again, changed severity, was
acknowledged or snoozed, or cleared.

One alert per rule and subject (a server, a feature of it, a user's seats): a condition
seen again while its alert fires is the same alert, not a new one. An alert fires when its
condition has lasted the rule's `for`, and clears when the condition has been past the
clear threshold for the rule's `clear_for`; between the two thresholds it keeps its state.
A firing alert is told again every `renotify`, unless acknowledged, or snoozed until a time
(then again from that time). Within a maintenance window nothing fires and nothing is told
again. A server whose latest poll failed keeps the alerts its last good status raised: a
failed poll is not a cleared condition.

Pure: no I/O, no clock of its own; every method takes `now`. No Textual here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from lmconsole.model import Event, EventKind, Status
from lmconsole.monitor import LogGap, ServerState

from .conditions import (
    DENIAL_KINDS,
    TRUE_DENIAL_WINDOW_S,
    Observations,
    Reading,
    readings,
)
from .rules import CLEAR, FIRE, SEVERITIES, SNAPSHOT_KINDS, AlertRule, Kind

Key = tuple[str, str]  # (rule name, subject)


class Change(StrEnum):
    FIRED = "fired"
    RENOTIFIED = "renotified"
    SEVERITY = "severity"  # a firing alert became more (or less) severe: a triad's quorum
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    CLEARED = "cleared"


TOLD = frozenset({Change.FIRED, Change.RENOTIFIED, Change.SEVERITY, Change.CLEARED})


@dataclass(frozen=True, slots=True)
class Alert:
    rule: str
    kind: str
    subject: str
    severity: str
    message: str
    labels: dict[str, str] = field(hash=False, compare=False)
    since: datetime  # when the condition began
    fired_at: datetime
    notified_at: datetime
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    snoozed_until: datetime | None = None
    cleared_at: datetime | None = None

    @property
    def key(self) -> Key:
        return (self.rule, self.subject)

    def snoozed(self, now: datetime) -> bool:
        return self.snoozed_until is not None and now < self.snoozed_until

    def to_json(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {"rule": self.rule, "kind": self.kind, "subject": self.subject,
                "severity": self.severity, "state": "cleared" if self.cleared_at else "firing",
                "message": self.message, **self.labels, "since": iso(self.since),
                "fired_at": iso(self.fired_at), "acknowledged_by": self.acknowledged_by,
                "acknowledged_at": iso(self.acknowledged_at),
                "snoozed_until": iso(self.snoozed_until), "cleared_at": iso(self.cleared_at)}


@dataclass(frozen=True, slots=True)
class AlertChange:
    change: Change
    at: datetime
    alert: Alert
    by: str | None = None  # who acknowledged or snoozed

    @property
    def told(self) -> bool:
        """A change the delivery channels tell (an acknowledgement is only recorded)."""
        return self.change in TOLD

    def to_json(self) -> dict[str, Any]:
        return {"change": str(self.change), "at": self.at.isoformat(), **self.alert.to_json(),
                **({"by": self.by} if self.by else {})}


@dataclass
class _Track:
    """One rule and subject: its condition's timing, and its alert once fired."""

    server: str
    pending_since: datetime | None = None
    clear_since: datetime | None = None
    alert: Alert | None = None


def severity_rank(severity: str | None) -> int:
    return SEVERITIES.index(severity) + 1 if severity in SEVERITIES else 0


class AlertEngine:
    def __init__(self, rules: Iterable[AlertRule], *,
                 true_denial_window_s: int = TRUE_DENIAL_WINDOW_S, at_once: bool = False
                 ) -> None:
        """`at_once`: a condition counts as having lasted its rule's `for` when first seen
        (one look, `watch --once`: the monitoring system that runs it repeats it)."""
        self.rules = tuple(rules)
        self.at_once = at_once
        self.seen = Observations(true_denial_window_s=true_denial_window_s)
        self.tracks: dict[Key, _Track] = {}
        # what is kept of the events: as far back as a rule looks (reserved seats' samples
        # and denials), and the checkouts only where a rule tells true denials from false
        self.kept_s = max([r.period_s or 0 for r in self.rules] + [3600]) + \
            true_denial_window_s
        self.counts_denials = any(r.kind is Kind.DENIALS for r in self.rules)
        self.tells_true = any(r.true_only for r in self.rules)

    # ---- what the monitor tells -------------------------------------------------------------

    def observe_state(self, state: ServerState) -> None:
        seen = self.seen.server(state.name)
        seen.error = state.error
        # fresh: what the status says of features and seats is known now (a server that is
        # down says nothing of them: the alerts their last good status raised stay)
        seen.fresh = state.error is None and state.status is not None and \
            state.status.status is Status.UP
        if state.status is not None:
            seen.status, seen.polled_at = state.status, state.polled_at
        if seen.fresh and state.polled_at is not None:
            for feature in state.status.features:
                idle = feature.reserved  # lmstat lists the reservations not in use
                if idle or feature.name in seen.reserved_idle:
                    seen.reserved_idle[feature.name].append((state.polled_at, idle))

    def observe_event(self, event: Event) -> None:
        if event.kind in DENIAL_KINDS and self.counts_denials:
            self.seen.denials.append(event)
        elif event.kind is EventKind.OUT and self.tells_true and event.feature and event.user:
            self.seen.checkouts[(event.feature, event.user)].append(event.at)

    def observe_gap(self, gap: LogGap) -> None:
        seen = self.seen.server(gap.server)
        seen.gap_until, seen.gap_text = gap.until, \
            f"{gap.since:%Y-%m-%d %H:%M} to {gap.until:%H:%M}: {gap.reason}"

    def observe_follow(self, server: str, following: bool, reason: str | None = None) -> None:
        seen = self.seen.server(server)
        seen.following = following
        if not following:
            seen.gap_text = reason

    # ---- the life cycle ---------------------------------------------------------------------

    def evaluate(self, now: datetime) -> list[AlertChange]:
        changes: list[AlertChange] = []
        for rule in self.rules:
            quiet = rule.in_maintenance(now)
            measured: set[str] = set()
            for reading in readings(rule, self.seen, now):
                measured.add(reading.subject)
                changes += self._step(rule, reading, now, quiet)
            for (name, subject), track in list(self.tracks.items()):
                if name == rule.name and subject not in measured and \
                        self._gone(rule, track.server):
                    gone = Reading(subject, CLEAR, "", {"server": track.server})
                    changes += self._step(rule, gone, now, quiet)
        self.seen.forget_before(now - timedelta(seconds=self.kept_s))
        return changes

    def _gone(self, rule: AlertRule, server: str) -> bool:
        """A subject not measured is gone (a seat returned), unless its server's latest
        poll failed: then nothing is known of it."""
        if rule.kind not in SNAPSHOT_KINDS:
            return True
        seen = self.seen.servers.get(server)
        return seen is not None and seen.fresh

    def _step(self, rule: AlertRule, reading: Reading, now: datetime, quiet: bool
              ) -> list[AlertChange]:
        key = (rule.name, reading.subject)
        track = self.tracks.get(key)
        if track is None:
            if reading.level != FIRE:
                return []
            track = self.tracks[key] = _Track(reading.labels.get("server", ""))
        if reading.level == FIRE:
            return self._firing(rule, track, reading, now, quiet)
        track.pending_since = None
        if track.alert is None:
            del self.tracks[key]
            return []
        if reading.level != CLEAR:
            track.clear_since = None
            return []
        track.clear_since = track.clear_since or now
        if (now - track.clear_since).total_seconds() < rule.clear_for_s:
            return []
        del self.tracks[key]
        return [AlertChange(Change.CLEARED, now, replace(track.alert, cleared_at=now))]

    def _firing(self, rule: AlertRule, track: _Track, reading: Reading, now: datetime,
                quiet: bool) -> list[AlertChange]:
        track.clear_since = None
        track.pending_since = track.pending_since or now
        severity = reading.severity or rule.severity
        alert = track.alert
        if alert is None:
            lasted = (now - track.pending_since).total_seconds()
            if quiet or not self.at_once and lasted < rule.for_s:
                return []
            track.alert = Alert(rule.name, str(rule.kind), reading.subject, severity,
                                reading.message, reading.labels, track.pending_since, now, now)
            return [AlertChange(Change.FIRED, now, track.alert)]
        if severity != alert.severity:
            track.alert = replace(alert, severity=severity, message=reading.message,
                                  notified_at=now)
            return [AlertChange(Change.SEVERITY, now, track.alert)]
        track.alert = alert = replace(alert, message=reading.message)
        due = rule.renotify_s and (now - alert.notified_at).total_seconds() >= rule.renotify_s
        if due and not quiet and alert.acknowledged_by is None and not alert.snoozed(now):
            track.alert = replace(alert, notified_at=now)
            return [AlertChange(Change.RENOTIFIED, now, track.alert)]
        return []

    # ---- what people do ---------------------------------------------------------------------

    def acknowledge(self, key: Key, now: datetime, by: str) -> AlertChange | None:
        """No more re-notifications of a firing alert; its clearing is still told."""
        track = self.tracks.get(key)
        if track is None or track.alert is None:
            return None
        track.alert = replace(track.alert, acknowledged_by=by, acknowledged_at=now)
        return AlertChange(Change.ACKNOWLEDGED, now, track.alert, by)

    def snooze(self, key: Key, until: datetime, now: datetime, by: str) -> AlertChange | None:
        """Not told again before `until` (then at once, if it still fires)."""
        track = self.tracks.get(key)
        if track is None or track.alert is None:
            return None
        track.alert = replace(track.alert, snoozed_until=until)
        return AlertChange(Change.SNOOZED, now, track.alert, by)

    # ---- what was before (another process, this one before a restart) ----------------------

    def restore(self, alerts: Iterable[Alert]) -> None:
        """Alerts that were firing when this process last stopped (from the history): the
        same alerts go on, not told again as new; of a rule no longer configured, none."""
        names = {rule.name for rule in self.rules}
        for alert in alerts:
            if alert.rule in names and alert.key not in self.tracks:
                self.tracks[alert.key] = _Track(alert.labels.get("server", ""),
                                                pending_since=alert.since, alert=alert)

    def handled_elsewhere(self, key: Key, *, acknowledged_by: str | None = None,
                          acknowledged_at: datetime | None = None,
                          snoozed_until: datetime | None = None) -> bool:
        """An acknowledgement or snooze made by another process (the console, for the
        collector that e-mails), taken on without being told or recorded again. False:
        no such alert fires here, or it was handled so already."""
        track = self.tracks.get(key)
        if track is None or track.alert is None:
            return False
        alert = track.alert
        if acknowledged_by is not None and alert.acknowledged_by is None:
            track.alert = replace(alert, acknowledged_by=acknowledged_by,
                                  acknowledged_at=acknowledged_at)
        elif snoozed_until is not None and (alert.snoozed_until is None or
                                            snoozed_until > alert.snoozed_until):
            track.alert = replace(alert, snoozed_until=snoozed_until)
        return track.alert is not alert

    @property
    def firing(self) -> list[Alert]:
        """The alerts firing now, the most severe first, then the oldest."""
        alerts = [t.alert for t in self.tracks.values() if t.alert is not None]
        return sorted(alerts, key=lambda a: (-severity_rank(a.severity), a.fired_at, a.key))
