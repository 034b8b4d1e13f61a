"""Denials as they happen: newest first, the reason in words, counts per feature and user.

A denial is highlighted for a few seconds after it arrives, so on-call staff watching the
screen see it come in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from rich.table import Table
from textual.app import ComposeResult
from textual.containers import Container
from textual.widgets import Static

from .live import LiveData, Logged
from .live_table import Column, Row
from .stream import StreamScreen, arrival, time_column, who

TOP_COUNTS = 8
NARROW_TOP_COUNTS = 5

ReasonWords = Callable[[str | None, str | None], str]


def plain_reason(code: str | None, reason: str | None) -> str:
    """The licence manager's own words, when no adapter gives shorter ones."""
    return (reason or "").strip().rstrip(".") or "denied"


def denial_columns(data: LiveData) -> list[Column]:
    return [
        time_column(data),
        Column("feature", "Feature", 8, max_width=24),
        Column("who", "User@host", 10, max_width=30),
        Column("reason", "Reason", 14, max_width=50, flex=True),
        Column("server", "Server", 6),
        Column("code", "Code", 6),
    ]


def counts_table(title: str, counts: Counter[str], top: int) -> Table:
    table = Table(title=title, title_justify="left", box=None, show_header=False,
                  padding=(0, 1, 0, 0), expand=True)
    table.add_column(overflow="ellipsis", no_wrap=True, ratio=1)
    table.add_column(justify="right", no_wrap=True)
    for name, count in counts.most_common(top):
        table.add_row(name, str(count))
    if not counts:
        table.add_row("none", "")
    return table


def side_by_side(by_feature: Counter[str], by_user: Counter[str], period: str) -> Table:
    """The two counts as two columns, for a narrow terminal."""
    grid = Table.grid(expand=True, padding=(0, 4, 0, 0))
    grid.add_column(ratio=1)
    grid.add_column(ratio=1)
    grid.add_row(counts_table(f"{period}, by feature", by_feature, NARROW_TOP_COUNTS),
                 counts_table(f"{period}, by user", by_user, NARROW_TOP_COUNTS))
    return grid


class DenialsScreen(StreamScreen):
    HIGHLIGHT_NEW = True
    EMPTY_TEXT = "no denials seen since the console started"
    WIDE = 100  # columns from which the counts stand beside the table, not under it
    DEFAULT_CSS = """
    DenialsScreen {
        & #denials-body { layout: horizontal; }
        & #counts { width: 28; height: 1fr; padding: 0 1; background: $panel; }
        &.narrow #denials-body { layout: vertical; }
        &.narrow #counts { width: 100%; height: 6; }
    }
    """

    def __init__(self, data: LiveData, reason_words: ReasonWords = plain_reason) -> None:
        super().__init__(data)
        self.words = reason_words

    def body(self) -> ComposeResult:
        with Container(id="denials-body"):
            yield self.make_table()
            yield Static(id="counts")

    def on_resize(self) -> None:
        narrow = self.size.width < self.WIDE
        if narrow != self.has_class("narrow"):
            self.set_class(narrow, "narrow")
            self.show_counts()

    def columns(self) -> list[Column]:
        return denial_columns(self.data)

    def source(self):
        return self.data.denials

    def row(self, logged: Logged, new: bool) -> Row:
        event = logged.event
        values = (arrival(logged), event.feature, who(event),
                  self.words(event.code, event.reason), event.server, event.code)
        return Row(logged.seq, values, "new" if new else "", taggable=False)

    def title_text(self) -> str:
        return "Denials, newest first"

    def reload(self) -> None:
        super().reload()
        self.show_counts()

    def show_counts(self) -> None:
        recent = self.data.recent_denials()
        by_feature = Counter(d.event.feature or "?" for d in recent)
        by_user = Counter(d.event.user or "?" for d in recent)
        incomplete = any(self.data.denials_incomplete(s) for s in self.data.servers)
        period = "Last hour (incomplete)" if incomplete else "Last hour"
        if self.has_class("narrow"):
            panel = side_by_side(by_feature, by_user, period)
        else:
            panel = Table.grid(expand=True)
            panel.add_row(counts_table(f"{period}, by feature", by_feature, TOP_COUNTS))
            panel.add_row("")
            panel.add_row(counts_table(f"{period}, by user", by_user, TOP_COUNTS))
        self.query_one("#counts", Static).update(panel)
