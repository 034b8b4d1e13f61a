"""A view of an append-only stream of events (the debug log), newest first.

Rows are added as events arrive and dropped as the bounded buffer forgets them; the table
is never rebuilt from scratch, so a long stream costs no more per event than a short one.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar, NamedTuple

from textual.binding import Binding, BindingType

from lmconsole.model import Event

from .base import EVENTS, LiveScreen
from .format import event_time
from .live import LiveData, Logged
from .live_table import Column, Row


class Arrival(NamedTuple):
    """Sorts by the event's time, then by arrival; shown as the event's time."""

    at: datetime
    seq: int
    server: str | None


def arrival(logged: Logged) -> Arrival:
    return Arrival(logged.event.at, logged.seq, logged.event.server)


def time_column(data: LiveData) -> Column:
    tz = data.display_tz
    return Column("time", "Time", 11,
                  format=lambda a: event_time(a.at, data.now(a.server), tz))


def who(event: Event) -> str:
    if event.user and event.host:
        return f"{event.user}@{event.host}"
    return event.user or event.host or ""


class StreamScreen(LiveScreen):
    DEPENDS_ON = frozenset({EVENTS})
    SORT_REVERSE = True  # newest first
    HIGHLIGHT_NEW: ClassVar[bool] = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Seats", id="stream.open",
                tooltip="Who holds the feature of the selected event"),
    ]

    def __init__(self, data: LiveData) -> None:
        super().__init__(data)
        self.last_seq = 0
        self.highlighted: set[int] = set()
        self.shown: dict[int, Event] = {}  # seq -> event, for what the table holds

    def source(self) -> deque[Logged]:
        raise NotImplementedError

    def row(self, logged: Logged, new: bool) -> Row:
        raise NotImplementedError

    def rows(self) -> Iterable[Row]:
        raise NotImplementedError  # never rebuilt; see reload

    def reload(self) -> None:
        source = self.source()
        fresh = []
        for logged in reversed(source):
            if logged.seq <= self.last_seq:
                break
            fresh.append(logged)
        if fresh:
            self.last_seq = fresh[0].seq
        oldest = source[0].seq if source else self.last_seq + 1
        forgotten = []
        for key in self.table.rows:  # in arrival order: the forgotten ones come first
            if key >= oldest:
                break
            forgotten.append(key)
        if forgotten:
            self.table.remove(forgotten)
            for seq in forgotten:
                del self.shown[seq]
        new = self.HIGHLIGHT_NEW and not getattr(self.app, "paused", False)
        now = time.monotonic()
        rows = []
        for logged in reversed(fresh):
            is_new = new and now - logged.arrived < self.highlight_s()
            if is_new:
                self.highlighted.add(logged.seq)
            rows.append(self.row(logged, is_new))
            self.shown[logged.seq] = logged.event
        if rows:
            following = self.table.row_count == 0 or self.table.shown_keys[0] == \
                self.table.cursor_key
            self.table.upsert(rows)
            if following:  # at the top, the view follows the newest, like tail -f
                self.table.select_index(0)
        self.update_title()
        self.update_problems()

    def action_open(self) -> None:
        """The seats of the event's feature on its server: who holds what was denied."""
        event = self.shown.get(self.table.cursor_key)
        if event is not None and event.feature:
            self.app.open_seats(event.server, event.feature)

    def highlight_s(self) -> float:
        return getattr(self.app, "highlight_s", 5.0)

    def tick(self) -> None:
        """Every second: what is no longer new loses its highlight."""
        if not self.highlighted:
            return
        now, limit = time.monotonic(), self.highlight_s()
        by_seq = {logged.seq: logged for logged in self.source()
                  if logged.seq in self.highlighted}
        done = [seq for seq in self.highlighted
                if seq not in by_seq or now - by_seq[seq].arrived >= limit]
        self.highlighted.difference_update(done)
        self.table.upsert(self.row(by_seq[seq], False) for seq in done if seq in by_seq)
