"""Every change of an alert into the history database (table alert_changes), written in
batches by a task of its own (lmconsole.alerts.outbox). No Textual here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import and_, func, select

from lmconsole.history import schema

from .engine import Alert, AlertChange, Change, Key
from .outbox import Outbox


def change_row(change: AlertChange) -> dict:
    alert = change.alert
    return {"at": int(change.at.timestamp()), "rule": alert.rule, "subject": alert.subject,
            "change": str(change.change), "kind": alert.kind, "severity": alert.severity,
            "server": alert.labels.get("server"), "feature": alert.labels.get("feature"),
            "message": alert.message, "who": change.by,
            "until_at": int(alert.snoozed_until.timestamp()) if alert.snoozed_until and
            change.change == "snoozed" else None}


class AlertHistory(Outbox):
    name = "alert history"

    def __init__(self, store) -> None:
        super().__init__()
        self.store = store
        self.written = 0

    async def handle(self, batch: list[AlertChange]) -> None:
        """A batch in one transaction."""
        await self.store.add_alert_changes([change_row(c) for c in batch])
        self.written += len(batch)


async def recorded_changes(store, since_at: int = 0) -> list[dict]:
    """The changes recorded since `since_at` (epoch seconds), oldest first."""
    a = schema.alert_changes
    rows = await store.rows(select(a).where(a.c.at >= since_at).order_by(a.c.at, a.c.id))
    return [row._asdict() for row in rows]


async def firing_in_history(store) -> list[Alert]:
    """The alerts the history says fire: of each rule and subject, the changes since its
    latest clearing, folded into the alert as it was last told, acknowledged or snoozed."""
    a = schema.alert_changes
    cleared = (select(a.c.rule, a.c.subject, func.max(a.c.id).label("last_id"))
               .where(a.c.change == str(Change.CLEARED))
               .group_by(a.c.rule, a.c.subject).subquery())
    rows = await store.rows(
        select(a).outerjoin(cleared, and_(cleared.c.rule == a.c.rule,
                                          cleared.c.subject == a.c.subject))
        .where(a.c.id > func.coalesce(cleared.c.last_id, 0)).order_by(a.c.at, a.c.id))
    alerts: dict[Key, Alert] = {}
    for row in rows:
        key = (row.rule, row.subject)
        if (alert := _changed(alerts.get(key), row)) is not None:
            alerts[key] = alert
    return list(alerts.values())


def _changed(alert: Alert | None, row) -> Alert | None:
    at = _time(row.at)
    if alert is None:  # begun before the history kept it, or by a process that told less
        labels = {k: v for k in ("server", "feature") if (v := getattr(row, k))}
        alert = Alert(row.rule, row.kind, row.subject, row.severity, row.message, labels,
                      since=at, fired_at=at, notified_at=at)
    match row.change:
        case Change.SEVERITY:
            return replace(alert, severity=row.severity, message=row.message, notified_at=at)
        case Change.RENOTIFIED:
            return replace(alert, message=row.message, notified_at=at)
        case Change.ACKNOWLEDGED:
            return replace(alert, acknowledged_by=row.who, acknowledged_at=at)
        case Change.SNOOZED if row.until_at is not None:
            return replace(alert, snoozed_until=_time(row.until_at))
    return alert


async def handled_since(store, after_id: int) -> list:
    """The acknowledgements and snoozes recorded after row `after_id`, by any process."""
    a = schema.alert_changes
    return await store.rows(
        select(a.c.id, a.c.rule, a.c.subject, a.c.change, a.c.at, a.c.who, a.c.until_at)
        .where(a.c.id > after_id,
               a.c.change.in_([str(Change.ACKNOWLEDGED), str(Change.SNOOZED)]))
        .order_by(a.c.id))


async def latest_change_id(store) -> int:
    a = schema.alert_changes
    rows = await store.rows(select(func.max(a.c.id)))
    return rows[0][0] or 0


def _time(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
