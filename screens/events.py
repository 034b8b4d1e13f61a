"""The raw debug-log stream: OUT, IN, DENIED, QUEUED and the daemons' own events."""

from __future__ import annotations

from lmconsole.model import EventKind

from .live import LiveData, Logged
from .live_table import Column, Row
from .stream import StreamScreen, arrival, time_column, who

KIND_STYLES = {EventKind.DENIED: "bad", EventKind.UNSUPPORTED: "bad", EventKind.OUT: "good",
               EventKind.QUEUED: "warn", EventKind.EXPIRED: "warn", EventKind.SHUTDOWN: "bad",
               EventKind.RESTARTED: "warn"}


def event_columns(data: LiveData) -> list[Column]:
    return [
        time_column(data),
        Column("kind", "Event", 8),
        Column("feature", "Feature", 8, max_width=24),
        Column("who", "User@host", 10, max_width=30),
        Column("server", "Server", 6),
        Column("count", "Count", 5, "right"),
        Column("detail", "Detail", 10, max_width=80, flex=True),
        Column("daemon", "Daemon", 6),
    ]


class EventsScreen(StreamScreen):
    EMPTY_TEXT = "no events yet: they come from the servers' debug logs as they are written"

    def columns(self) -> list[Column]:
        return event_columns(self.data)

    def source(self):
        return self.data.events

    def row(self, logged: Logged, new: bool) -> Row:
        event = logged.event
        detail = " ".join(part for part in (event.reason, event.code and f"({event.code})",
                                            event.extra) if part)
        values = (arrival(logged), event.kind.value, event.feature, who(event), event.server,
                  event.count if event.count != 1 else None, detail, event.daemon)
        return Row(logged.seq, values, KIND_STYLES.get(event.kind, ""), taggable=False)

    def title_text(self) -> str:
        return "Debug-log events, newest first"
