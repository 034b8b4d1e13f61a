"""A table for live data that renders only the rows on screen (Textual's line API).

Textual's DataTable takes seconds to load or re-sort tens of thousands of rows and keeps a
positional cursor. This table keeps its rows in a dict by key and an ordered list of keys:
a refresh is applied by diffing against the rows it has (only what changed is touched),
re-sorting is a timsort of an almost sorted list, and the cursor is a row key, so the
selection follows its row when rows move or vanish around it.

Cells hold values, not text: a column formats a value only when its row is drawn, so a
column of durations ("held for") can be relative to a clock without the rows changing.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterable
from itertools import compress, filterfalse
from operator import is_not
from typing import Any, ClassVar, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from lmconsole.gc_pause import collector_paused

EXACT_WIDTHS_UP_TO = 1000  # rows; beyond this, columns widen as wider values come into view
INCREMENTAL_UP_TO = 0.05  # share of rows changed up to which rows are moved, not re-sorted
SORTED_UP, SORTED_DOWN = "▲", "▼"
_MISSING = object()


class Column(NamedTuple):
    key: str
    label: str
    width: int = 0  # the least width; a column widens to fit what it shows
    align: str = "left"  # "left" or "right"
    format: Callable[[Any], str] = str  # value -> text; None is always shown empty
    flex: bool = False  # takes the width left over
    max_width: int = 40


class Row(NamedTuple):
    key: Hashable
    values: tuple  # one per column; also what the column sorts by (None sorts last)
    style: str = ""  # "", "new", "warn", "bad", "dim", "good": a row's emphasis
    taggable: bool = True


class LiveTable(ScrollView, can_focus=True):
    """Rows by key, sorted by one column, filtered by a text, a cursor that is a key, and a
    set of tagged keys. Feed it with apply (or upsert and remove), or with apply_sources;
    not with both.

    A value too wide for its column is cut with an ellipsis, and a column may lie past the
    right edge: `hidden_cells` gives the selected row's such values in full, and
    `CursorChanged` tells when they may have changed (the screen shows them in a line)."""

    class CursorChanged(Message):
        """The selected row, its values or the columns' widths may have changed."""

        def __init__(self, table: LiveTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> LiveTable:
            return self.table

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "live-table--header", "live-table--cursor", "live-table--tagged", "live-table--new",
        "live-table--warn", "live-table--bad", "live-table--dim", "live-table--good",
        "live-table--empty",
    }
    DEFAULT_CSS = """
    LiveTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        & > .live-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .live-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus > .live-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .live-table--tagged { color: $accent; text-style: bold; }
        & > .live-table--new { background: $warning 35%; text-style: bold; }
        & > .live-table--warn { color: $warning; }
        & > .live-table--bad { color: $error; }
        & > .live-table--good { color: $success; }
        & > .live-table--dim { color: $foreground-muted; }
        & > .live-table--empty { color: $foreground-muted; text-style: italic; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page-down"),
        Binding("home,g", "edge(0)", "First row", show=False, id="table.first"),
        Binding("end,G", "edge(1)", "Last row", show=False, id="table.last"),
    ]

    def __init__(self, columns: Iterable[Column], *, sort_column: int = 0,
                 reverse: bool = False, empty_text: str = "nothing to show",
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.columns: list[Column] = list(columns)
        self.sort_column = sort_column
        self.reverse = reverse
        self.empty_text = empty_text
        self.filter_text = ""
        self.rows: dict[Hashable, Row] = {}
        self._sources: dict[Hashable, Any] = {}  # what apply_sources built the rows from
        self.tagged: set[Hashable] = set()
        self._present: list[Hashable] = []  # keys with a value in the sort column, ascending
        self._missing: list[Hashable] = []  # keys without one, in arrival order
        self._order: list[Hashable] = []  # every key, in display order
        self._shown: list[Hashable] = []  # the keys passing the filter, in order
        self._sort_values: dict[Hashable, Any] = {}  # the sort column's value of each row
        self._haystack: dict[Hashable, str] | None = None  # built on the first filter
        self._widths = [max(c.width, cell_len(c.label) + 1) for c in self.columns]
        self._natural = list(self._widths)  # each column's width uncapped by max_width
        self._cursor = 0
        self._cursor_key: Hashable | None = None

    # ---- reading ---------------------------------------------------------------------------

    @property
    def cursor_key(self) -> Hashable | None:
        return self._cursor_key

    @property
    def cursor_row(self) -> Row | None:
        return None if self._cursor_key is None else self.rows.get(self._cursor_key)

    def cell(self, key: Hashable, column: str) -> Any:
        """The value of a row in the column named `column` (Column.key)."""
        index = next(i for i, c in enumerate(self.columns) if c.key == column)
        return self.rows[key].values[index]

    @property
    def sources(self) -> dict[Hashable, Any]:
        return self._sources

    @property
    def shown_keys(self) -> list[Hashable]:
        return self._shown

    @property
    def row_count(self) -> int:
        return len(self._shown)

    # ---- changing the rows -----------------------------------------------------------------

    def apply(self, rows: Iterable[Row]) -> bool:
        """Make the table hold exactly `rows`. Returns whether anything changed."""
        new = {row.key: row for row in rows}
        old = self.rows
        gone = [key for key in old if key not in new]
        changed = [row for key, row in new.items()
                   if (before := old.get(key)) is not row and before != row]
        if not gone and not changed:
            return False
        self.rows = new
        self._changed(changed, gone)
        return True

    def apply_sources(self, sources: dict[Hashable, Any],
                      make_row: Callable[[Hashable, Any], Row]) -> bool:
        """Make the table show one row per source object; a row is built only for a source
        that is new or no longer equal to the one before. The fast path for big tables:
        the sources (immutable domain records) are compared, not the rows made of them."""
        old = self._sources
        # Which sources are not the very objects of the last time, found by C-level loops
        # (a big table's seats mostly are): only those are compared and made into rows.
        not_same = map(is_not, map(old.get, sources), sources.values())
        with collector_paused():  # a first fill makes a row each: collections freed nothing
            changed = [make_row(key, source)
                       for key, source in compress(sources.items(), not_same)
                       if (before := old.get(key, _MISSING)) is _MISSING or before != source]
        gone = list(filterfalse(sources.__contains__, old)) if len(old) else []
        self._sources = sources
        if not changed and not gone:
            return False
        rows = self.rows
        for key in gone:
            del rows[key]
        for row in changed:
            rows[row.key] = row
        self._changed(changed, gone)
        return True

    def upsert(self, rows: Iterable[Row]) -> None:
        changed = [row for row in rows if self.rows.get(row.key) != row]
        for row in changed:
            self.rows[row.key] = row
        if changed:
            self._changed(changed, [])

    def remove(self, keys: Iterable[Hashable]) -> None:
        gone = [key for key in keys if self.rows.pop(key, None) is not None]
        if gone:
            self._changed([], gone)

    def _changed(self, changed: list[Row], gone: list[Hashable]) -> None:
        for key in gone:
            self.tagged.discard(key)
            if self._haystack is not None:
                self._haystack.pop(key, None)
        if self._haystack is not None:
            for row in changed:
                self._haystack[row.key] = self._text_of(row)
        if len(changed) + len(gone) > INCREMENTAL_UP_TO * max(1, len(self._sort_values)):
            self._resort(changed, gone)
        else:
            try:
                self._place(changed, gone)
            except TypeError:  # values of mixed types in one column
                self._resort(changed, gone)
        if len(self.rows) <= EXACT_WIDTHS_UP_TO:
            self._fit_widths()
        self._reshow()

    def _resort(self, changed: list[Row], gone: list[Hashable]) -> None:
        """Sort every row again: for a first fill or a refresh that changed many rows."""
        column, values = self.sort_column, self._sort_values
        for key in gone:
            del values[key]
        values.update((row.key, row.values[column]) for row in changed)
        present = [key for key, value in values.items() if value is not None]
        try:
            present.sort(key=values.__getitem__)
        except TypeError:  # values of mixed types in one column: compare them as text
            present.sort(key=lambda key: str(values[key]))
        self._present = present
        self._missing = [key for key, value in values.items() if value is None]
        self._arrange()

    def _place(self, changed: list[Row], gone: list[Hashable]) -> None:
        """Move only the rows that changed: each is taken out where its old value sorted
        and put in where its new value sorts (a binary search each), so a refresh that
        touches 1% of a big table costs about 1% of a full sort."""
        column, values = self.sort_column, self._sort_values
        moved = False
        for key in gone:
            self._take_out(key, values[key])
            del values[key]
            moved = True
        for row in changed:
            value = row.values[column]
            before = values.get(row.key, _MISSING)
            if before is not _MISSING and (before is value or before == value):
                continue
            if before is not _MISSING:
                self._take_out(row.key, before)
            values[row.key] = value
            if value is None:
                self._missing.append(row.key)
            else:
                # After its equals, so that rows with equal values keep their arrival order.
                self._present.insert(bisect_right(self._present, value,
                                                  key=values.__getitem__), row.key)
            moved = True
        if moved:
            self._arrange()

    def _take_out(self, key: Hashable, value: Any) -> None:
        if value is None:
            self._missing.remove(key)
            return
        present = self._present
        index = bisect_left(present, value, key=self._sort_values.__getitem__)
        while present[index] != key:  # past the rows with an equal value
            index += 1
        del present[index]

    def _arrange(self) -> None:
        """The display order: sorted rows (reversed on request), then rows with no value."""
        present = self._present[::-1] if self.reverse else self._present
        self._order = present + self._missing

    def sort_by(self, column: int, reverse: bool | None = None) -> None:
        self.sort_column = column % len(self.columns)
        if reverse is not None:
            self.reverse = reverse
        self._sort_values = {}
        self._resort(list(self.rows.values()), [])
        self._reshow(keep_offset=False)

    def set_filter(self, text: str) -> None:
        text = text.strip().lower()
        if text == self.filter_text:
            return
        self.filter_text = text
        if text and self._haystack is None:
            self._haystack = {key: self._text_of(row) for key, row in self.rows.items()}
        self._reshow(keep_offset=False)

    def toggle_tag(self) -> None:
        row = self.cursor_row
        if row is None or not row.taggable:
            return
        self.tagged ^= {row.key}
        self.move_cursor(1)
        self.refresh()

    def _text_of(self, row: Row) -> str:
        return "\t".join(self._cell_text(c, v) for c, v in zip(self.columns, row.values)).lower()

    @staticmethod
    def _cell_text(column: Column, value: Any) -> str:
        return "" if value is None else column.format(value)

    def _fit_widths(self) -> None:
        """Each column as wide as its widest value (a small table: every row is measured)."""
        natural = [max(c.width, cell_len(c.label) + 1) for c in self.columns]
        for row in self.rows.values():
            for i, (column, value) in enumerate(zip(self.columns, row.values)):
                size = cell_len(self._cell_text(column, value))
                if size > natural[i]:
                    natural[i] = size
        self._natural = natural
        self._widths = [min(size, max(column.max_width, column.width))
                        for column, size in zip(self.columns, natural)]

    @property
    def cuts_anything(self) -> bool:
        """Whether some value is cut or lies past the right edge (in some row)."""
        shown = self._layout_widths()
        if any(width < natural for width, natural in zip(shown, self._natural)):
            return True
        return sum(shown) + len(shown) > self.scrollable_content_region.width

    def hidden_cells(self) -> list[tuple[str, str]]:
        """(column label, value) of the selected row's values that are cut or not in view,
        for a line that shows them whole."""
        row = self.cursor_row
        if row is None:
            return []
        widths = self._layout_widths()
        left, right = int(self.scroll_x), int(self.scroll_x) + self.scrollable_content_region.width
        hidden, start = [], 1  # a row begins with its tag mark
        for column, value, width in zip(self.columns, row.values, widths):
            text = self._cell_text(column, value)
            end = start + width
            if text and (cell_len(text) > width or start < left or end > right):
                hidden.append((column.label, text))
            start = end + 1
        return hidden

    def _reshow(self, *, keep_offset: bool = True) -> None:
        """Recompute the shown keys and put the cursor back on its row (or where it was)."""
        before = self._cursor - int(self.scroll_y)
        hay = self._haystack or {}
        if self.filter_text:
            text = self.filter_text
            self._shown = [key for key in self._order if text in hay[key]]
        else:
            self._shown = self._order
        key = self._cursor_key
        if key is not None and key in self.rows and (not self.filter_text
                                                     or self.filter_text in hay[key]):
            self._cursor = self._shown.index(key)
        else:
            self._cursor = min(self._cursor, max(0, len(self._shown) - 1))
        self.virtual_size = self._virtual_size()
        self._set_cursor_key()
        if keep_offset and 0 <= before < self._body_height():
            self.scroll_to(y=max(0, self._cursor - before), animate=False, immediate=True)
        else:
            self._scroll_cursor_into_view()
        self.refresh()

    def _set_cursor_key(self) -> None:
        self._cursor_key = self._shown[self._cursor] if self._shown else None
        self.post_message(self.CursorChanged(self))

    # ---- the cursor ------------------------------------------------------------------------

    def move_cursor(self, delta: int) -> None:
        self.select_index(self._cursor + delta)

    def select_index(self, index: int) -> None:
        if not self._shown:
            return
        self._cursor = max(0, min(index, len(self._shown) - 1))
        self._set_cursor_key()
        self._scroll_cursor_into_view()
        self.refresh()

    def select_key(self, key: Hashable) -> bool:
        if key not in self.rows:
            return False
        try:
            self.select_index(self._shown.index(key))
        except ValueError:
            return False
        return True

    def _body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_cursor_into_view(self) -> None:
        top, height = int(self.scroll_y), self._body_height()
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + height:
            self.scroll_to(y=self._cursor - height + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(direction * self._body_height())

    def action_edge(self, end: int) -> None:
        self.select_index(len(self._shown) - 1 if end else 0)

    def on_click(self, event: Click) -> None:
        if event.y >= 1:
            self.select_index(int(self.scroll_y) + event.y - 1)

    def on_resize(self) -> None:
        self._scroll_cursor_into_view()
        self.post_message(self.CursorChanged(self))

    def watch_scroll_x(self, old: float, new: float) -> None:
        super().watch_scroll_x(old, new)
        self.post_message(self.CursorChanged(self))

    # ---- drawing ---------------------------------------------------------------------------

    def _layout_widths(self) -> list[int]:
        """The columns' widths on screen: the flex column takes the width left over, or
        gives up what it can (down to its least width) so that the columns after it stay
        in view."""
        widths = list(self._widths)
        spare = self.scrollable_content_region.width - (sum(widths) + len(widths))
        flex = self._flex_index()
        if flex is not None:
            widths[flex] += max(spare, -self._flex_slack(flex))
        return widths

    def _flex_index(self) -> int | None:
        return next((i for i, column in enumerate(self.columns) if column.flex), None)

    def _flex_slack(self, flex: int) -> int:
        column = self.columns[flex]
        return max(0, self._widths[flex] - max(column.width, cell_len(column.label) + 1))

    def _virtual_size(self) -> Size:
        """As wide as the columns with the flex column at its least width."""
        width = sum(self._widths) + len(self._widths)
        flex = self._flex_index()
        if flex is not None:
            width -= self._flex_slack(flex)
        return Size(width, len(self._shown) + 1)

    def _line(self, texts: Iterable[str], widths: list[int]) -> str:
        cells = []
        for column, text, width in zip(self.columns, texts, widths):
            if cell_len(text) > width:
                text = set_cell_size(text, width - 1) + "…"
            pad = " " * (width - cell_len(text))
            cells.append(pad + text if column.align == "right" else text + pad)
        return " " + " ".join(cells)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        widths = self._layout_widths()
        base = self.rich_style
        if y == 0:
            return self._strip(self._header_text(widths), base, "live-table--header",
                               scroll_x=scroll_x, width=width)
        index = scroll_y + y - 1
        if not self._shown:
            if y == 1:
                text = " " + (f"no rows match “{self.filter_text}”" if self.filter_text
                              and self.rows else self.empty_text)
                return self._strip(text, base, "live-table--empty", width=width)
            return Strip.blank(width, base)
        if index >= len(self._shown):
            return Strip.blank(width, base)
        key = self._shown[index]
        row = self.rows[key]
        texts = [self._cell_text(c, v) for c, v in zip(self.columns, row.values)]
        if len(self.rows) > EXACT_WIDTHS_UP_TO:
            self._widen_visible(texts)
        classes = [f"live-table--{row.style}"] if row.style else []
        if key in self.tagged:
            classes.append("live-table--tagged")
        if index == self._cursor:
            classes.append("live-table--cursor")
        mark = "•" if key in self.tagged else " "
        return self._strip(mark + self._line(texts, widths)[1:], base, *classes,
                           scroll_x=scroll_x, width=width)

    def _widen_visible(self, texts: list[str]) -> None:
        for i, (column, text) in enumerate(zip(self.columns, texts)):
            size = min(cell_len(text), max(column.max_width, column.width))
            self._natural[i] = max(self._natural[i], cell_len(text))
            if size > self._widths[i]:
                self._widths[i] = size
                self.virtual_size = self._virtual_size()
                self.refresh()

    def _header_text(self, widths: list[int]) -> str:
        labels = []
        for i, column in enumerate(self.columns):
            label = column.label
            if i == self.sort_column:
                label += SORTED_DOWN if self.reverse else SORTED_UP
            labels.append(label)
        return self._line(labels, widths)

    def _strip(self, text: str, base: Style, *classes: str, scroll_x: int = 0,
               width: int = 0) -> Strip:
        style = base
        for name in classes:
            style += self.get_component_rich_style(name)
        line = Strip([Segment(text, style)], cell_len(text))
        return line.crop_extend(scroll_x, scroll_x + width, style)
