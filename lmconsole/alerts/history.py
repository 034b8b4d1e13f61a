"""Every change of an alert into the history database (table alert_changes), written in
batches by a task of its own (lmconsole.alerts.outbox). No Textual here.
"""

from __future__ import annotations

from sqlalchemy import select

from lmconsole.history import schema

from .engine import AlertChange
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
