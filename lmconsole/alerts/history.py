"""Every change of an alert into the history database (table alert_changes): told from the
monitor's callbacks, written by a task of its own in batches, so that a slow database never
holds up the monitor. No Textual here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import select

from lmconsole.history import schema

from .engine import AlertChange

BATCH = 200


def change_row(change: AlertChange) -> dict:
    alert = change.alert
    return {"at": int(change.at.timestamp()), "rule": alert.rule, "subject": alert.subject,
            "change": str(change.change), "kind": alert.kind, "severity": alert.severity,
            "server": alert.labels.get("server"), "feature": alert.labels.get("feature"),
            "message": alert.message, "who": change.by,
            "until_at": int(alert.snoozed_until.timestamp()) if alert.snoozed_until and
            change.change == "snoozed" else None}


class AlertHistory:
    """`tell` from anywhere in the event loop; `start` the writer, `stop` it once all that
    was told is written."""

    def __init__(self, store) -> None:
        self.store = store
        self.queue: asyncio.Queue[AlertChange | None] = asyncio.Queue()
        self.task: asyncio.Task | None = None
        self.written = 0

    def tell(self, changes: Sequence[AlertChange]) -> None:
        for change in changes:
            self.queue.put_nowait(change)

    def start(self) -> asyncio.Task:
        self.task = asyncio.create_task(self.run(), name="alert history")
        return self.task

    async def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.queue.put_nowait(None)
            await self.task

    async def run(self) -> None:
        """Until told None: each batch of what is waiting, in one transaction."""
        while True:
            batch, stopping = [await self.queue.get()], False
            while not self.queue.empty() and len(batch) < BATCH:
                batch.append(self.queue.get_nowait())
            if None in batch:
                batch, stopping = [c for c in batch if c is not None], True
            if batch:
                await self.store.add_alert_changes([change_row(c) for c in batch])
                self.written += len(batch)
            if stopping and self.queue.empty():
                return


async def recorded_changes(store, since_at: int = 0) -> list[dict]:
    """The changes recorded since `since_at` (epoch seconds), oldest first."""
    a = schema.alert_changes
    rows = await store.rows(select(a).where(a.c.at >= since_at).order_by(a.c.at, a.c.id))
    return [row._asdict() for row in rows]
