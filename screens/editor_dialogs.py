"""The editor's dialogs: a save or rollback confirmed with its diff (and the what-if), and the
list of backups to roll back to."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from .dialogs import ConfirmScreen, FitsTheScreen

if TYPE_CHECKING:
    from lmconsole.edit import Backup


class DiffConfirmScreen(ConfirmScreen):
    """ConfirmScreen with the diff coloured and scrollable, however long it is."""

    DEFAULT_CSS = """
    DiffConfirmScreen #diff { height: auto; background: $panel; }
    DiffConfirmScreen #whatif { height: auto; margin-bottom: 1; }
    """

    def __init__(self, question: str, details, commands, action: str, *,
                 impact: str | None = None) -> None:
        super().__init__(question, details, commands, action)
        self.impact = impact  # the what-if of a draft: who would be denied or admitted

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question, id="question")
            if self.impact:
                with VerticalScroll(id="whatif"):
                    yield Static(whatif_text(self.impact), id="impact")
            with VerticalScroll(id="diff"):
                yield Static(diff_text(self.details), id="details")
            yield Static(Text("\n".join(self.commands)), id="commands")
            with Horizontal(id="buttons"):
                yield Button("Cancel (n)", id="cancel")
                yield Button(f"{self.action_label} (y)", id="confirm", variant="error")


def whatif_text(report: str) -> Text:
    text = Text()
    for line in report.splitlines():
        style = ("bold red" if line.startswith("newly denied") else
                 "bold green" if line.startswith("newly admitted") else
                 "yellow" if line.startswith("idle reservations") else
                 "dim" if line.startswith(("what-if", "replayed", "the model")) else "")
        text.append(line + "\n", style)
    text.rstrip()
    return text


def diff_text(lines: Iterable[str]) -> Text:
    text = Text()
    for line in lines:
        style = ("green" if line.startswith("+") and not line.startswith("+++") else
                 "red" if line.startswith("-") and not line.startswith("---") else
                 "cyan" if line.startswith("@@") else "")
        text.append(line + "\n", style)
    text.rstrip()
    return text


class BackupsScreen(FitsTheScreen, ModalScreen[int | None]):
    """The backups beside the options file, newest first, with their time and size: Enter
    picks one (its diff is shown next, before anything is done), Esc goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="backups.close"),
    ]
    DEFAULT_CSS = """
    BackupsScreen { align: center middle; }
    BackupsScreen > #dialog {
        width: 90%; max-width: 110; height: auto; max-height: 100%; padding: 1 2;
        border: round $primary; background: $surface;
    }
    BackupsScreen #question { text-style: bold; margin-bottom: 1; }
    BackupsScreen #backups { height: auto; }
    """

    def __init__(self, path: str, backups: Iterable[tuple[Backup, int]]) -> None:
        super().__init__()
        self.path = path
        self.backups = list(backups)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(f"Roll {self.path} back to which backup? (Enter: see its diff; "
                              "Esc: back)"), id="question")
            yield OptionList(*(Option(backup_text(b, size), id=str(i))
                               for i, (b, size) in enumerate(self.backups)), id="backups")

    def on_mount(self) -> None:
        backups = self.query_one("#backups", OptionList)
        backups.highlighted = 0
        backups.focus()

    @on(OptionList.OptionSelected, "#backups")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id))

    def action_close(self) -> None:
        self.dismiss(None)


def backup_text(backup: Backup, size: int) -> Text:
    text = Text(backup.taken.strftime("%Y-%m-%d %H:%M:%S UTC"), "bold")
    text.append(f"  {size:>8,} B  ")
    text.append(posixpath.basename(backup.path), "dim")
    return text
