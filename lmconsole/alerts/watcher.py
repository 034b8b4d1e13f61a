"""The alert engine as a listener of the monitor: every state, event and gap the monitor
tells is observed, the rules evaluated, and what changed handed to `tell` (the deliveries,
the history, the console). `run` evaluates again every few seconds, for what time alone
changes: a `for` that has lasted, a denial aged out of its period, a re-notification due.
No Textual here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime

from lmconsole.model import Event
from lmconsole.monitor import Listener, LogGap, ServerState
from lmconsole.transport import LogPosition

from .conditions import DENIAL_KINDS
from .engine import AlertChange, AlertEngine, Key

EVALUATE_EVERY_S = 5.0
# A denial is evaluated at once, but not more often than this: a log read from far back
# (a collector catching up) brings thousands a second, and the ticker catches the rest.
DENIALS_EVALUATED_EVERY_S = 0.5
# How long evaluation waits for the history to say which alerts already fire (see hold):
# a database that does not answer by then is not waited for.
HOLD_AT_MOST_S = 60.0


class AlertWatcher(Listener):
    def __init__(self, engine: AlertEngine, clock: Callable[[], datetime],
                 tell: Callable[[list[AlertChange]], None]) -> None:
        self.engine = engine
        self.clock = clock
        self.tell = tell
        self.denial_evaluated_at = -DENIALS_EVALUATED_EVERY_S  # monotonic
        self.held_until: float | None = None  # monotonic

    def hold(self, at_most_s: float = HOLD_AT_MOST_S) -> None:
        """Observe, but evaluate nothing until `release` (or `at_most_s`): until the history
        has said which alerts fire already, an alert still firing would be told as new."""
        self.held_until = time.monotonic() + at_most_s

    def release(self) -> None:
        self.held_until = None

    def evaluate(self) -> list[AlertChange]:
        if self.held_until is not None:
            if time.monotonic() < self.held_until:
                return []
            self.held_until = None
        changes = self.engine.evaluate(self.clock())
        if changes:
            self.tell(changes)
        return changes

    async def run(self, every_s: float = EVALUATE_EVERY_S) -> None:
        while True:
            await asyncio.sleep(every_s)
            self.evaluate()

    # ---- the monitor's Listener calls -------------------------------------------------------

    def state_changed(self, state: ServerState) -> None:
        self.engine.observe_state(state)
        self.evaluate()

    def event(self, event: Event) -> None:
        self.engine.observe_event(event)
        if event.kind in DENIAL_KINDS and self.engine.counts_denials:
            moment = time.monotonic()
            if moment - self.denial_evaluated_at >= DENIALS_EVALUATED_EVERY_S:
                self.denial_evaluated_at = moment
                self.evaluate()

    def log_event(self, event: Event, where: LogPosition | None, log: str) -> None:
        self.event(event)

    def follow_failed(self, server: str, error: str) -> None:
        self.engine.observe_follow(server, False, error)
        self.evaluate()

    def follow_started(self, server: str) -> None:
        self.engine.observe_follow(server, True)
        self.evaluate()

    def log_gap(self, gap: LogGap) -> None:
        self.engine.observe_gap(gap)
        self.evaluate()

    # ---- what people do ---------------------------------------------------------------------

    def acknowledge(self, key: Key, by: str) -> AlertChange | None:
        change = self.engine.acknowledge(key, self.clock(), by)
        if change is not None:
            self.tell([change])
        return change

    def snooze(self, key: Key, until: datetime, by: str) -> AlertChange | None:
        change = self.engine.snooze(key, until, self.clock(), by)
        if change is not None:
            self.tell([change])
        return change
