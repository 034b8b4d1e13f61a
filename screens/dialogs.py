"""Modal screens: the confirmation of an admin action, the question on an unknown SSH host
key, the `?` help, the `!` notes and the `:` command line."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import Horizontal, ScrollableContainer, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.scroll_view import ScrollView
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from lmconsole.model import Diagnostic


class FitsTheScreen:
    """For a ModalScreen whose #dialog holds a question, scrolling parts and buttons: the
    scrolling parts share the rows the rest leaves, so that however long a diff or a list
    is, and however small the terminal (80x24), the buttons and keys stay in view."""

    SMALLEST_SCROLL = 3  # rows a scrolling part keeps, even on a tiny terminal

    def on_resize(self) -> None:
        self.call_after_refresh(self.fit_to_screen)

    def fit_to_screen(self) -> None:
        dialog = self.query_one("#dialog")
        parts = list(dialog.children)
        scrolling = [w for w in parts if isinstance(w, (ScrollableContainer, ScrollView))]
        fixed = sum(_rows(w) for w in parts if w not in scrolling)
        spare = self.size.height - fixed - dialog.styles.gutter.height \
            - dialog.styles.margin.height - sum(w.styles.margin.height for w in scrolling)
        for widget, rows in zip(scrolling, share_rows([_wanted(w) for w in scrolling], spare,
                                                      self.SMALLEST_SCROLL)):
            widget.styles.max_height = rows


def _rows(widget: Widget) -> int:
    return widget.outer_size.height + widget.styles.margin.height


def _wanted(widget: Widget) -> int:
    """The rows a scrolling part would fill if nothing limited it."""
    return widget.virtual_size.height + widget.styles.gutter.height


def share_rows(wanted: Sequence[int], spare: int, least: int) -> list[int]:
    """Rows for each part: all it wants when everything fits; else the small parts whole
    and the rest shared evenly among the larger (never under `least`)."""
    given = [0] * len(wanted)
    left, open_parts = spare, sorted(range(len(wanted)), key=wanted.__getitem__)
    while open_parts:
        share = max(least, left // len(open_parts))
        index = open_parts.pop(0)
        given[index] = min(wanted[index], share) if open_parts else max(least, min(
            wanted[index], left))
        left -= given[index]
    return given


class ConfirmScreen(FitsTheScreen, ModalScreen[bool]):
    """Shows exactly what will run; `y` runs it, `n` or Esc does not. Enter presses the
    focused button, which is Cancel to begin with."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes, run it", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, details: Sequence[str], commands: Sequence[str],
                 action: str) -> None:
        super().__init__()
        self.question = question
        self.details = list(details)
        self.commands = list(commands)
        self.action_label = action

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question, id="question")
            with VerticalScroll(id="details-scroll"):
                yield Static(Text("\n".join(self.details)), id="details")
            yield Static(Text("\n".join(f"$ {c}" for c in self.commands)), id="commands")
            with Horizontal(id="buttons"):
                yield Button("Cancel (n)", id="cancel")
                yield Button(f"{self.action_label} (y)", id="confirm", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class UnknownHostScreen(FitsTheScreen, ModalScreen[bool]):
    """First contact with an SSH server whose host key is not in known_hosts: Accept adds it
    there and connects; Refuse (focused to begin with, and Esc) does not connect."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer(False)", "Refuse", id="host-key.refuse"),
    ]

    def __init__(self, host: str, key_type: str, fingerprint: str) -> None:
        super().__init__()
        self.host = host
        self.key_type = key_type
        self.fingerprint = fingerprint

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(f"{self.host}: unknown host key"), id="question")
            yield Static(Text(f"Key type     {self.key_type}\nFingerprint  {self.fingerprint}"),
                         id="details")
            yield Static("This server is not in your known_hosts. Compare the fingerprint with "
                         "the one its administrator reads on the server (ssh-keygen -lf "
                         "/etc/ssh/ssh_host_*_key.pub). Accept adds the key to known_hosts; "
                         "Refuse leaves the server unconnected.", id="commands")
            with Horizontal(id="buttons"):
                yield Button("Refuse (Esc)", id="refuse")
                yield Button("Accept", id="accept", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#refuse", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "accept")

    def action_answer(self, accept: bool) -> None:
        self.dismiss(accept)


class HelpScreen(ModalScreen[None]):
    """The keys active on the screen underneath, and the `:` commands."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close"),
    ]

    def __init__(self, keys: Iterable[tuple[str, str]], commands: Iterable[tuple[str, str]],
                 title: str = "Keys") -> None:
        super().__init__()
        self.keys = list(keys)
        self.commands = list(commands)
        self.title_text = title

    def compose(self) -> ComposeResult:
        keys = Table(title=self.title_text, title_justify="left", box=None, expand=True,
                     show_header=False)
        keys.add_column(style="bold", no_wrap=True)
        keys.add_column(ratio=1)
        for key, description in self.keys:
            keys.add_row(key, description)
        commands = Table(title=": commands (Tab completes)", title_justify="left", box=None,
                         expand=True, show_header=False)
        commands.add_column(style="bold", no_wrap=True)
        commands.add_column(ratio=1)
        for text, description in self.commands:
            commands.add_row(f":{text}", description)
        with VerticalScroll(id="help"):
            yield Static(keys)
            yield Static("")
            yield Static(commands)
            yield Static("\nEsc, ? or q closes this help.")

    def action_close(self) -> None:
        self.dismiss(None)


class NotesScreen(ModalScreen[None]):
    """What the parsers did not understand or warn of, per server: the lines of the last
    status output and of the debug log (the header counts them as ⚠N)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,exclamation_mark,q", "close", "Close", id="notes.close"),
    ]

    def __init__(self, notes: Sequence[tuple[str, str, Diagnostic]]) -> None:
        super().__init__()
        self.notes = list(notes)  # (server, "status" or "debug log", diagnostic)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="notes"):
            if not self.notes:
                yield Static("No notes: the parsers understood every line they read.")
            else:
                yield Static(notes_table(self.notes))
            yield Static("\nEsc, ! or q closes this list.")

    def action_close(self) -> None:
        self.dismiss(None)


def notes_table(notes: Iterable[tuple[str, str, Diagnostic]]) -> Table:
    table = Table(title="Notes: lines not understood, conditions to look at",
                  title_justify="left", box=None, expand=True)
    table.add_column("Server", no_wrap=True)
    table.add_column("From", no_wrap=True)
    table.add_column("Line", justify="right")
    table.add_column("Note", ratio=1)
    for server, source, diagnostic in notes:
        note = Text(diagnostic.message)
        if diagnostic.text:
            note.append(f"\n{diagnostic.text.strip()}", style="dim")
        table.add_row(server, source, str(diagnostic.line or ""), note)
    return table


def key_help(bindings: dict[str, ActiveBinding], key_display) -> list[tuple[str, str]]:
    """(keys, description) for each enabled binding, keys of one action joined: the view's
    own keys first, then the console's, then moving around in the table."""
    from textual.app import App
    from textual.screen import Screen

    def rank(active: ActiveBinding) -> tuple[bool, int]:
        node = active.node
        where = 0 if isinstance(node, Screen) else 1 if isinstance(node, App) else 2
        return active.binding.id is None, where  # Textual's own keys (no id) come last

    by_action: dict[tuple[tuple[bool, int], int, str], tuple[list[str], str]] = {}
    for active in bindings.values():
        if not active.enabled:
            continue
        binding = active.binding
        slot = (rank(active), id(active.node), binding.action)
        text = binding.tooltip or binding.description or binding.action
        keys, _ = by_action.setdefault(slot, ([], text))
        shown = key_display(binding)
        if shown not in keys:
            keys.append(shown)
    ordered = sorted(by_action.items(), key=lambda item: item[0][0])  # stable within a rank
    return [(" ".join(keys), description) for _, (keys, description) in ordered]


def completed(text: str, suggestions: Sequence[str]) -> str:
    """`text` completed as far as every suggestion it begins agrees (case-insensitive)."""
    typed = text.lstrip(":").casefold()
    matching = [s for s in suggestions if s.casefold().startswith(typed)]
    if not matching:
        return text
    common = os.path.commonprefix([s.casefold() for s in matching])
    return matching[0][:len(common)] if len(common) > len(typed) else text


class CommandLine(ModalScreen[str | None]):
    """`:` then a view or a server, with completion; Enter goes there, Esc does not."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="command-line.cancel"),
        Binding("tab", "complete", "Complete", id="command-line.complete"),
    ]

    def __init__(self, suggestions: Sequence[str]) -> None:
        super().__init__()
        self.suggestions = list(suggestions)

    def compose(self) -> ComposeResult:
        yield Input(placeholder=":overview, :features SERVER, :seats FEATURE, :denials, "
                                ":events, or a server or feature name",
                    suggester=SuggestFromList(self.suggestions, case_sensitive=False),
                    id="command")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip().lstrip(":") or None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_complete(self) -> None:
        """Like a shell: the text all the commands it begins have in common ("se" ->
        "seats "), the whole command when only one is left."""
        box = self.query_one(Input)
        box.value = completed(box.value, self.suggestions)
        box.cursor_position = len(box.value)
