"""Alerting put together for a long-running process (`collect`, the console): the engine,
the watcher that feeds it from the monitor, and where its changes go: the history, the hook
and e-mail (when this process is the one that delivers), and the process's own listeners
(the console's banner and Alerts view, collect's log lines). No Textual here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

from .delivery import Deliveries, DeliverySettings
from .engine import AlertChange, AlertEngine, Change
from .history import AlertHistory, firing_in_history, handled_since, latest_change_id
from .rules import AlertRule
from .watcher import EVALUATE_EVERY_S, AlertWatcher

MAX_UNRECORDED = 10_000  # changes kept for a history that is slow to open


class AlertService:
    def __init__(self, rules: Iterable[AlertRule], clock: Callable[[], datetime], *,
                 true_denial_window_s: int = 10, delivery: DeliverySettings | None = None,
                 said: Callable[[str], None] = lambda text: None,
                 listeners: Sequence[Callable[[list[AlertChange]], None]] = (),
                 history_to_come: bool = False) -> None:
        """`history_to_come`: a history will be opened (record_into): what changes before
        is kept for it."""
        self.engine = AlertEngine(rules, true_denial_window_s=true_denial_window_s)
        self.watcher = AlertWatcher(self.engine, clock, self.tell)
        self.listeners = list(listeners)
        self.history: AlertHistory | None = None
        self.unrecorded: list[AlertChange] | None = [] if history_to_come else None
        self.deliveries = Deliveries(delivery, said) \
            if delivery is not None and (delivery.hook or delivery.email) else None
        self.ticker: asyncio.Task | None = None
        self.syncing: asyncio.Task | None = None
        if history_to_come and self.active:
            self.watcher.hold()

    @property
    def active(self) -> bool:
        return bool(self.engine.rules)

    def tell(self, changes: list[AlertChange]) -> None:
        if self.history is None and self.unrecorded is not None:
            self.unrecorded.extend(changes[:MAX_UNRECORDED - len(self.unrecorded)])
        for outbox in (self.history, self.deliveries):
            if outbox is not None:
                outbox.tell(changes)
        for listener in self.listeners:
            listener(changes)

    def start(self, *, evaluate_every_s: float | None = EVALUATE_EVERY_S) -> None:
        """Start delivering, and (unless the caller evaluates on a timer of its own)
        evaluating every few seconds."""
        if self.deliveries is not None:
            self.deliveries.start()
        if evaluate_every_s is not None and self.active:
            self.ticker = asyncio.create_task(self.watcher.run(evaluate_every_s),
                                              name="alert evaluation")

    def record_into(self, store) -> None:
        """Record every change from now on into the history `store`."""
        self.history = AlertHistory(store)
        self.history.start()
        self.history.tell(self.unrecorded or [])
        self.unrecorded = None

    async def resume_from(self, store, *, sync_every_s: float = EVALUATE_EVERY_S) -> None:
        """Go on from the history `store`: the alerts it says fire are this process's (not
        told again as new), every change is recorded there from now on, and what other
        processes record there (the console's acknowledgements, for a collector that
        e-mails) is taken on every `sync_every_s`."""
        if self.active:
            self.engine.restore(await firing_in_history(store))
            for listener in self.listeners if self.engine.firing else ():
                listener([])  # nothing told, but what fires is known now
            self.syncing = asyncio.create_task(
                self._sync(store, await latest_change_id(store), sync_every_s),
                name="alert sync")
        self.record_into(store)
        self.watcher.release()

    async def _sync(self, store, after_id: int, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                rows = await handled_since(store, after_id)
            except Exception:  # noqa: BLE001 - a database away for a while: asked again
                continue
            taken = [change for row in rows if (change := self._take(row)) is not None]
            after_id = rows[-1].id if rows else after_id
            for listener in self.listeners if taken else ():
                listener(taken)

    def _take(self, row) -> AlertChange | None:
        """An acknowledgement or snooze another process recorded, taken on here."""
        key, at = (row.rule, row.subject), datetime.fromtimestamp(row.at, UTC)
        if row.change == Change.ACKNOWLEDGED:
            handled = self.engine.handled_elsewhere(key, acknowledged_by=row.who,
                                                    acknowledged_at=at)
        elif row.until_at is not None:
            handled = self.engine.handled_elsewhere(
                key, snoozed_until=datetime.fromtimestamp(row.until_at, UTC))
        else:
            handled = False
        return AlertChange(Change(row.change), at, self.engine.tracks[key].alert, row.who) \
            if handled else None

    async def stop(self) -> None:
        """Stop evaluating; what was told is delivered and written first."""
        for task in (self.ticker, self.syncing):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        for outbox in (self.deliveries, self.history):
            if outbox is not None:
                await outbox.stop()
