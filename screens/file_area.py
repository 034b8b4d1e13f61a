"""The editor's text area: highlighting and diagnostics from the file's language, completion
of the word being typed (ghost text that → accepts, and a menu on ctrl+space)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.geometry import Offset
from textual.message import Message
from textual.strip import Strip
from textual.widgets import OptionList, TextArea
from textual.widgets.option_list import Option

from lmconsole.adapter import Completion, Completions, Finding, Span

from .file_styles import diagnostic_style, span_styles

Complete = Callable[[str, int, int], Completions]  # (text, row, column) -> completions
GUTTER_MARK = {"error": "●", "warning": "▲", "info": "·"}


class FileArea(TextArea):
    """A TextArea that styles its lines with the language's spans and marks the tokens the
    validator complains about (TextArea's own highlighting needs a tree-sitter grammar,
    which these files do not have); while a word is typed, the completion that fits it is
    shown after the cursor."""

    def __init__(self, text: str = "", *, read_only: bool = False,
                 complete: Complete | None = None) -> None:
        super().__init__(text, soft_wrap=False, show_line_numbers=True, read_only=read_only,
                         tab_behavior="focus", id="file",
                         # its style would recolour the cursor line and hide our colours
                         highlight_cursor_line=False)
        self.complete = complete
        self.spans: dict[int, list[Span]] = {}
        self.marks: dict[int, list[Finding]] = {}
        self._suggested_at: tuple[int, int] | None = None

    def show_analysis(self, spans: dict[int, list[Span]], findings: Iterable[Finding]) -> None:
        marks: dict[int, list[Finding]] = defaultdict(list)
        for finding in findings:
            marks[finding.line - 1].append(finding)
        self.spans, self.marks = spans, dict(marks)
        self.notify_style_update()  # drops the rendered lines cached with the old styles
        self.refresh()

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        theme = self.app.current_theme
        styles = span_styles(theme)
        for span in self.spans.get(line_index, ()):
            line.stylize(styles[span.kind], span.start, span.end)
        plain = line.plain
        for finding in self.marks.get(line_index, ()):
            start = min(finding.column - 1, max(len(plain) - 1, 0))
            end = next((i for i in range(start, len(plain)) if plain[i].isspace()), len(plain))
            line.stylize(diagnostic_style(theme, finding.severity), start, max(end, start + 1))
        return line

    def render_line(self, y: int) -> Strip:
        """The line, with a mark in the gutter (after its number) when it has findings."""
        strip = super().render_line(y)
        line = y + self.scroll_offset.y  # soft_wrap is off: one row per line
        findings = self.marks.get(line)
        if not findings or not self.show_line_numbers or self.scroll_offset.x:
            return strip
        severity = next((s for s in ("error", "warning") if any(
            f.severity == s for f in findings)), "info")
        at = self.gutter_width - 2  # the first of the gutter's two blank cells
        before, cell, after = strip.divide([at, at + 1, strip.cell_length])
        gutter = next(iter(cell), Segment(" ")).style or Style()
        style = gutter + diagnostic_style(self.app.current_theme, severity) + Style(
            underline=False)
        return Strip.join([before, Strip([Segment(GUTTER_MARK[severity], style)]), after])

    # ---- completion ----------------------------------------------------------------------------

    def completions(self) -> Completions | None:
        if self.complete is None or self.read_only or not self.selection.is_empty:
            return None
        row, column = self.cursor_location
        return self.complete(self.text, row, column)

    def update_suggestion(self) -> None:
        """After each edit: at the end of a word, the rest of its first completion."""
        self.suggestion = ""
        row, column = self.cursor_location
        line = self.document.get_line(row)
        at_word_end = column > 0 and not line[column - 1].isspace() and (
            column == len(line) or line[column].isspace())
        if not at_word_end or (found := self.completions()) is None:
            return
        word = line[found.start:column]
        first = next((c for c in found.items if c.text.startswith(word)), None)
        if first is not None:
            self.suggestion = first.text[len(word):]
            self._suggested_at = self.cursor_location

    @on(TextArea.SelectionChanged)
    def drop_stale_suggestion(self) -> None:
        if self.suggestion and self.cursor_location != self._suggested_at:
            self.suggestion = ""

    def apply(self, start: int, completion: Completion) -> None:
        """Replace the word from column `start` to the cursor with the completion."""
        row, column = self.cursor_location
        self.replace(completion.text, (row, start), (row, column))
        self.suggestion = ""


class CompletionMenu(OptionList):
    """The completions at the cursor, over the text: Enter or Tab takes one, Esc closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="completion.close"),
        Binding("tab", "take", "Complete", show=False, id="completion.take"),
    ]
    DEFAULT_CSS = """
    CompletionMenu {
        display: none; position: absolute; overlay: screen; constrain: inside inside;
        width: auto; min-width: 24; max-width: 70; height: auto; max-height: 10;
        border: round $primary; background: $surface; padding: 0;
    }
    """

    class Chosen(Message):
        def __init__(self, start: int, completion: Completion | None) -> None:
            super().__init__()
            self.start = start
            self.completion = completion  # None: closed without taking one

    def __init__(self) -> None:
        super().__init__(id="completions")
        self.start = 0
        self.items: tuple[Completion, ...] = ()

    def open(self, completions: Completions, at: Offset) -> None:
        self.start, self.items = completions.start, completions.items
        self.clear_options()
        self.add_options(Option(completion_text(c), id=str(i)) for i, c in enumerate(self.items))
        self.highlighted = 0
        self.styles.offset = (at.x, at.y + 1)
        self.display = True
        self.focus()

    def close(self, completion: Completion | None) -> None:
        self.display = False
        self.post_message(self.Chosen(self.start, completion))

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.close(self.items[int(event.option.id)])

    def action_take(self) -> None:
        if self.highlighted is not None:
            self.close(self.items[self.highlighted])

    def action_close(self) -> None:
        self.close(None)

    def on_blur(self) -> None:
        if self.display:
            self.close(None)


def completion_text(completion: Completion) -> Text:
    text = Text(completion.text, "bold")
    if completion.detail or completion.kind:
        text.append(f"  {completion.detail or completion.kind}", "dim")
    return text
