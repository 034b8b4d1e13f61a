"""What every live view shares: the server header, a title line, one live table, the `/`
filter, keyboard sorting and the footer.

A screen builds its rows from the app's LiveData; the app tells the screen on show what
changed (`live_update`). While the app is paused the table keeps what it shows; the header
does not pause.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from .header import ServerHeader
from .live import LiveData
from .live_table import Column, LiveTable, Row
from .problems import problem_lines

STATES, EVENTS = "states", "events"  # what changed, as the app reports it


class LiveScreen(Screen):
    DEPENDS_ON: ClassVar[frozenset[str]] = frozenset({STATES, EVENTS})
    SORT_COLUMN: ClassVar[int] = 0
    SORT_REVERSE: ClassVar[bool] = False
    EMPTY_TEXT: ClassVar[str] = "nothing to show yet"
    SHOWS_EVENTS: ClassVar[bool] = True  # its problem lines name lost and unread events
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "start_filter", "Filter", key_display="/", id="view.filter",
                tooltip="Filter the rows as you type (Enter keeps it, Esc clears it)"),
        Binding("escape", "escape", "Back", show=False, id="view.back",
                tooltip="Clear the filter, else go back to the previous view"),
        Binding("greater_than_sign", "sort(1)", "Sort by next column", key_display=">",
                show=False, id="view.sort-next"),
        Binding("less_than_sign", "sort(-1)", "Sort by previous column", key_display="<",
                show=False, id="view.sort-previous"),
        Binding("I", "reverse_sort", "Reverse the order", key_display="I", show=False,
                id="view.sort-reverse"),
    ]
    DEFAULT_CSS = """
    LiveScreen {
        & > #title { height: 1; padding: 0 1; color: $foreground-muted; }
        & > #problems { height: auto; max-height: 6; padding: 0 1; color: $text-warning; }
        & > #problems.hidden { display: none; }
        & > #detail { height: auto; max-height: 3; padding: 0 1; background: $panel; }
        & > #detail.hidden { display: none; }
        & > #filter { dock: bottom; height: 1; border: none; padding: 0 1; margin-bottom: 1; }
        & > #filter.hidden { display: none; }
    }
    """

    def __init__(self, data: LiveData) -> None:
        super().__init__()
        self.data = data

    # ---- what a view defines ---------------------------------------------------------------

    def columns(self) -> list[Column]:
        raise NotImplementedError

    def rows(self) -> Iterable[Row]:
        raise NotImplementedError

    def title_text(self) -> str:
        raise NotImplementedError

    def problem_servers(self) -> list[str]:
        """The servers whose problems this view names: by default every server."""
        return self.data.servers

    # ---- building ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ServerHeader(self.data)
        yield Static(id="title")
        yield Static(id="problems", classes="hidden", markup=False)
        yield from self.body()
        yield Static(id="detail", classes="hidden", markup=False)
        yield Input(placeholder="filter rows (Enter keeps it, Esc clears it)", id="filter",
                    classes="hidden")
        yield Footer()

    def body(self) -> ComposeResult:
        yield self.make_table()

    def make_table(self) -> LiveTable:
        return LiveTable(self.columns(), sort_column=self.SORT_COLUMN, reverse=self.SORT_REVERSE,
                         empty_text=self.EMPTY_TEXT, id="table")

    @property
    def table(self) -> LiveTable:
        return self.query_one(LiveTable)

    def on_mount(self) -> None:
        self.table.focus()

    def on_screen_resume(self) -> None:
        """Shown again: catch up, unless paused (a view seen for the first time still fills)."""
        if not getattr(self.app, "paused", False) or not self.table.rows:
            self.reload()

    def live_update(self, changes: set[str]) -> None:
        if changes & self.DEPENDS_ON and not getattr(self.app, "paused", False):
            self.reload()

    def reload(self) -> None:
        self.table.apply(self.rows())
        self.update_title()
        self.update_problems()

    def update_problems(self) -> None:
        """The problem lines: kept up to date even while paused, like the header."""
        lines = problem_lines(self.data, self.problem_servers(), events=self.SHOWS_EVENTS)
        box = self.query_one("#problems", Static)
        box.set_class(not lines, "hidden")
        box.update("\n".join(f"⚠ {line}" for line in lines))

    def update_title(self) -> None:
        table = self.table
        parts = [self.title_text()]
        count = table.row_count
        if table.filter_text:
            parts.append(f"{count} of {len(table.rows)} rows match “{table.filter_text}”")
        else:
            parts.append(f"{count} row{'s' if count != 1 else ''}")
        if table.tagged:
            parts.append(f"{len(table.tagged)} tagged")
        if getattr(self.app, "paused", False):
            parts.append("paused: p resumes")
        self.query_one("#title", Static).update(" · ".join(parts))

    def on_live_table_cursor_changed(self, event: LiveTable.CursorChanged) -> None:
        """The selected row's cut or out-of-view values, whole, in the line under the table:
        there while the table cuts anything, so that moving the cursor does not move it."""
        table = event.table
        box = self.query_one("#detail", Static)
        box.set_class(not table.cuts_anything, "hidden")
        box.update("  ·  ".join(f"{label.rstrip()}: {text}"
                                for label, text in table.hidden_cells()))

    # ---- keys --------------------------------------------------------------------------------

    def action_start_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.remove_class("hidden")
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.table.set_filter(event.value)
            self.update_title()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            if not event.value.strip():
                event.input.add_class("hidden")
            self.table.focus()

    def action_escape(self) -> None:
        box = self.query_one("#filter", Input)
        if box.has_focus or self.table.filter_text:
            box.value = ""
            box.add_class("hidden")
            self.table.set_filter("")
            self.table.focus()
            self.update_title()
        elif len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_sort(self, step: int) -> None:
        table = self.table
        table.sort_by(table.sort_column + step)

    def action_reverse_sort(self) -> None:
        table = self.table
        table.sort_by(table.sort_column, reverse=not table.reverse)
