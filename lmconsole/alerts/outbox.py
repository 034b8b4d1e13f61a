"""A queue of alert changes and the task that works it off: told from the monitor's
callbacks (synchronous), handled by a task of its own (a database, a mail server, a
script), so that nothing slow holds up the monitor. No Textual here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from .engine import AlertChange

BATCH = 200


class Outbox:
    """`tell` from anywhere in the event loop; `start` the task, `stop` it once all that was
    told is handled. Subclasses say how a batch is handled."""

    name = "alerts"

    def __init__(self) -> None:
        self.queue: asyncio.Queue[AlertChange | None] = asyncio.Queue()
        self.task: asyncio.Task | None = None

    def tell(self, changes: Sequence[AlertChange]) -> None:
        for change in changes:
            self.queue.put_nowait(change)

    def start(self) -> asyncio.Task:
        self.task = asyncio.create_task(self.run(), name=self.name)
        return self.task

    async def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.queue.put_nowait(None)
            await self.task

    async def run(self) -> None:
        """Until told None: each batch of what is waiting."""
        while True:
            batch, stopping = [await self.queue.get()], False
            while not self.queue.empty() and len(batch) < BATCH:
                batch.append(self.queue.get_nowait())
            if None in batch:
                batch, stopping = [c for c in batch if c is not None], True
            if batch:
                await self.handle(batch)
            if stopping and self.queue.empty():
                return

    async def handle(self, batch: list[AlertChange]) -> None:
        raise NotImplementedError
