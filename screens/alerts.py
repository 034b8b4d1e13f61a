"""The alerts firing now, the most severe first (the rules: [[alerts]] in the
configuration). `a` acknowledges the selected alert (it is not told again; its clearing
still is), `z` snoozes it for an hour (each press an hour more). Every such change is
recorded in the history, as the alert's firing and clearing are."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.binding import Binding, BindingType

from lmconsole.alerts.engine import Alert

from .base import STATES, LiveScreen
from .format import event_time
from .live import LiveData
from .live_table import Column, Row

ALERTS = "alerts"  # what changed, as the app reports it
SEVERITY_ORDER = {"critical": 0, "warning": 1}


def alerts_now(data: LiveData):
    """The time the alerts are judged by: the first server's, as the app's engine does."""
    return data.now(data.servers[0] if data.servers else None)


def alert_columns(data: LiveData) -> list[Column]:
    tz = data.display_tz

    def when(moment) -> str:
        return event_time(moment, alerts_now(data), tz)

    return [
        Column("severity", "Severity", 8, format=lambda order: ("critical", "warning")[order]),
        Column("rule", "Rule", 8, max_width=30),
        Column("subject", "Subject", 10, max_width=40),
        Column("message", "What", 20, max_width=100, flex=True),
        Column("since", "Since", 11, format=when),
        Column("state", "Told", 10, max_width=30),
    ]


def told_text(alert: Alert, data: LiveData) -> str:
    if alert.acknowledged_by:
        return f"acknowledged by {alert.acknowledged_by}"
    if alert.snoozed(alerts_now(data)):
        local = alert.snoozed_until.astimezone(data.display_tz)
        return f"snoozed to {local:%H:%M}"
    return ""


def alert_row(alert: Alert, data: LiveData) -> Row:
    handled = alert.acknowledged_by is not None or alert.snoozed(alerts_now(data))
    style = "dim" if handled else "bad" if alert.severity == "critical" else "warn"
    values = (SEVERITY_ORDER.get(alert.severity, 2), alert.rule, alert.subject, alert.message,
              alert.since, told_text(alert, data))
    return Row(alert.key, values, style, taggable=False)


class AlertsScreen(LiveScreen):
    DEPENDS_ON = frozenset({ALERTS, STATES})
    SHOWS_EVENTS = False
    EMPTY_TEXT = "no alert fires ([[alerts]] in the configuration: the rules watched)"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "acknowledge", "Acknowledge", id="alerts.acknowledge",
                tooltip="Acknowledge the selected alert: it is not told again until it clears"),
        Binding("z", "snooze", "Snooze 1h", id="alerts.snooze",
                tooltip="Not told again for an hour (each press an hour more)"),
    ]

    def columns(self) -> list[Column]:
        return alert_columns(self.data)

    def rows(self) -> Iterable[Row]:
        return [alert_row(alert, self.data) for alert in self.data.alerts]

    def title_text(self) -> str:
        return "Alerts firing, the most severe first"

    def action_acknowledge(self) -> None:
        key = self.table.cursor_key
        if key is not None:
            self.app.acknowledge_alert(key)

    def action_snooze(self) -> None:
        key = self.table.cursor_key
        if key is not None:
            self.app.snooze_alert(key)
