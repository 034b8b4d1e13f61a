"""The question `E` asks on a server with several vendor daemons: whose options file to edit.

One row per daemon: its number, its name, its options file, and where lmconsole learnt of
that file (the configuration, or the licence file's VENDOR line). A digit or Enter opens one;
Esc cancels. The buttons stay visible on an 80x24 terminal: the list scrolls instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from lmconsole.adapter import DaemonOptionsFile

from .dialogs import FitsTheScreen


class DaemonChoiceScreen(FitsTheScreen, ModalScreen[int | None]):
    """Dismissed with the index of the options file chosen, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="daemon-choice.cancel"),
    ]
    DEFAULT_CSS = """
    DaemonChoiceScreen { align: center middle; }
    DaemonChoiceScreen > #dialog {
        width: 90%; max-width: 100; height: auto; max-height: 100%; padding: 1 2;
        border: round $primary; background: $surface;
    }
    DaemonChoiceScreen #question { text-style: bold; margin-bottom: 1; }
    DaemonChoiceScreen #daemons { height: auto; border: none; }
    DaemonChoiceScreen #buttons { height: auto; align-horizontal: right; }
    DaemonChoiceScreen Button { margin-left: 2; }
    """

    def __init__(self, server: str, files: Sequence[DaemonOptionsFile]) -> None:
        super().__init__()
        self.server = server
        self.files = list(files)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(f"{self.server} runs {len(self.files)} vendor daemons: edit whose "
                              "options file?"), id="question")
            width = max(len(f.vendor or "") for f in self.files)
            yield OptionList(*(Option(daemon_row(n, f, width), id=str(n))
                               for n, f in enumerate(self.files)), id="daemons")
            with Horizontal(id="buttons"):
                yield Button("Cancel (Esc)", id="cancel")
                yield Button("Open (Enter)", id="open", variant="primary")

    def on_mount(self) -> None:
        daemons = self.query_one("#daemons", OptionList)
        daemons.highlighted = 0
        daemons.focus()

    def on_key(self, event: events.Key) -> None:
        """1-9 open that row's file at once."""
        if event.character and event.character in "123456789":
            index = int(event.character) - 1
            if index < len(self.files):
                event.stop()
                self.dismiss(index)

    @on(OptionList.OptionSelected, "#daemons")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id))

    @on(Button.Pressed, "#open")
    def open_highlighted(self) -> None:
        self.dismiss(self.query_one("#daemons", OptionList).highlighted or 0)

    @on(Button.Pressed, "#cancel")
    def cancelled(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def daemon_row(index: int, file: DaemonOptionsFile, width: int) -> Table:
    """`1  ugslmd  /path/ugslmd.opt` over the file's origin, the path wrapped if long."""
    row = Table.grid(padding=(0, 2))
    row.add_column(width=1)
    row.add_column(width=width, style="bold")
    row.add_column(overflow="fold")
    where = Text(file.path)
    where.append("\n" + file.origin, "dim")
    row.add_row(str(index + 1) if index < 9 else "", file.vendor or "", where)
    return row
