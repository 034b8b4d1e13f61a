"""The options-file editor: a highlighted TextArea, diagnostics as you type, and a save that
follows the safety rules (diff shown first, backup, conflict check, audit), then lmreread.

The work itself (save, backup, reread, its confirmation from the debug log) is
lmconsole.edit's; this screen asks, shows and calls it in workers.
"""

from __future__ import annotations

import asyncio
import shlex
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Button, Footer, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from lmconsole.audit import AuditLog
from lmconsole.transport import FileStat, TransportError

from .dialogs import ConfirmScreen
from .live import LiveData, utc_now
from .options_highlight import Span, diagnostic_style, highlight_spans, span_styles

if TYPE_CHECKING:
    from lmconsole.adapters.flexlm.license import LicenseFile
    from lmconsole.adapters.flexlm.validate import Finding
    from lmconsole.edit import Backup, Draft

# The FlexLM options language and lmconsole.edit (which uses it) are imported where they are
# used: screens never import an adapter when they are loaded (test_ui_app checks this).


class OptionsArea(TextArea):
    """A TextArea that styles its lines with our options-file tokens and marks the tokens
    the validator complains about (TextArea's own highlighting needs a tree-sitter
    grammar, which options files do not have)."""

    def __init__(self, text: str = "", *, read_only: bool = False) -> None:
        super().__init__(text, soft_wrap=False, show_line_numbers=True, read_only=read_only,
                         tab_behavior="focus", id="options",
                         # its style would recolour the cursor line and hide our colours
                         highlight_cursor_line=False)
        self.spans: dict[int, list[Span]] = {}
        self.marks: dict[int, list[Finding]] = {}

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


class DiffConfirmScreen(ConfirmScreen):
    """ConfirmScreen with the diff coloured and scrollable, however long it is."""

    DEFAULT_CSS = """
    DiffConfirmScreen #diff { height: auto; max-height: 16; background: $panel; }
    DiffConfirmScreen #whatif { height: auto; max-height: 12; margin-bottom: 1; }
    """

    def __init__(self, question: str, details, commands, action: str, *,
                 impact: str | None = None) -> None:
        super().__init__(question, details, commands, action)
        self.impact = impact  # the what-if of a draft: who would be denied or admitted

    def compose(self) -> ComposeResult:
        from textual.containers import Horizontal, Vertical

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


class BackupsScreen(ModalScreen[int | None]):
    """The backups beside the options file, newest first, with their time and size: Enter
    picks one (its diff is shown next, before anything is done), Esc goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="backups.close"),
    ]
    DEFAULT_CSS = """
    BackupsScreen { align: center middle; }
    BackupsScreen > #dialog {
        width: 90%; max-width: 110; height: auto; max-height: 90%; padding: 1 2;
        border: round $primary; background: $surface;
    }
    BackupsScreen #question { text-style: bold; margin-bottom: 1; }
    BackupsScreen #backups { height: auto; max-height: 16; }
    """

    def __init__(self, path: str, backups: Iterable[tuple[Backup, int]]) -> None:
        super().__init__()
        self.path = path
        self.backups = list(backups)

    def compose(self) -> ComposeResult:
        from textual.containers import Vertical

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
    import posixpath

    text = Text(backup.taken.strftime("%Y-%m-%d %H:%M:%S UTC"), "bold")
    text.append(f"  {size:>8,} B  ")
    text.append(posixpath.basename(backup.path), "dim")
    return text


class EditorScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="editor.save",
                tooltip="Save: shows the diff first, keeps a backup beside the file"),
        Binding("ctrl+l", "reread", "lmreread", id="editor.reread",
                tooltip="Tell the server to re-read its options file (lmreread)"),
        Binding("f5", "restart", "Restart daemon", id="editor.restart",
                tooltip="Restart the vendor daemon: lmdown -vendor, then lmreread starts it"),
        Binding("ctrl+b", "rollback", "Backups", id="editor.rollback",
                tooltip="Roll the file back to one of its backups (diff shown first)"),
        Binding("f8", "next_problem", "Next problem", id="editor.next-problem",
                tooltip="Jump to the next diagnostic"),
        Binding("f9", "focus_problems", "Problems", id="editor.problems",
                tooltip="The list of diagnostics (Enter jumps to the line)"),
        Binding("escape", "close", "Close", id="editor.close"),
    ]
    DEFAULT_CSS = """
    EditorScreen {
        & > #title { height: 1; padding: 0 1; background: $panel; }
        & > #options { height: 1fr; }
        & > #problems { height: 7; border: none; border-top: solid $panel-lighten-2; }
        & > #status { height: auto; max-height: 6; padding: 0 1; color: $foreground-muted; }
    }
    """
    DEBOUNCE_S = 0.3

    def __init__(self, server, *, audit: AuditLog, read_only: bool = False,
                 known_names: Iterable[str] = (), now: Callable = utc_now,
                 data: LiveData | None = None) -> None:
        super().__init__()
        self.server = server  # a ConsoleServer: config, adapter, transport
        self.data = data  # the app's live seats and events: the what-if before a save
        self.path: str = server.config.options_file
        self.audit = audit
        self.read_only = read_only
        self.known_names = tuple(known_names)
        self.now = now
        self.draft: Draft | None = None
        self.license_file: LicenseFile | None = None
        self.findings: list[Finding] = []
        self._pending: Timer | None = None
        self._status: tuple[str, bool] = (f"opening {self.path} ...", False)
        self.disk_warning: str | None = None  # the file changed on disk since it was opened
        self._own_writes = 0  # saves and rollbacks under way: their changes are ours
        self._watch_stop: asyncio.Event | None = None

    # ---- building and loading ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        yield OptionsArea(read_only=True)  # writable once the file is loaded
        yield OptionList(id="problems")
        yield Static(f"opening {self.path} ...", id="status")
        yield Footer()

    @property
    def area(self) -> OptionsArea:
        return self.query_one(OptionsArea)

    def on_mount(self) -> None:
        self.update_title()
        self.load()

    @work(group="editor", exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        from lmconsole.edit import open_options

        transport = self.server.transport
        try:
            draft = await open_options(transport, self.path)
        except TransportError as error:
            self.set_status(f"cannot open {self.path}: {error}", error=True)
            return
        self.license_file = await self.load_license()
        self.draft = draft
        self.disk_warning = None
        if self._watch_stop is None and self.watchable():
            self._watch_stop = asyncio.Event()
            self.watch_file(self._watch_stop)
        area = self.area
        area.load_text(draft.text)
        area.read_only = self.read_only
        area.focus()
        self.analyse()
        self.set_status(f"opened {self.path} on {self.server.name}"
                        + (" (read-only mode)" if self.read_only else ""))

    async def load_license(self) -> LicenseFile | None:
        from lmconsole.adapters.flexlm.license import parse_license
        from lmconsole.edit import decode

        path = getattr(self.server.config, "license_file", None)
        if not path:
            return None
        try:
            data, _ = await self.server.transport.read(path)
        except TransportError:
            return None  # the checks that need it are skipped
        return parse_license(decode(data)[0])

    # ---- noticing a change on disk (local files) -------------------------------------------------

    DISK_WARNING = ("changed on disk since you opened it: saving will be refused; "
                    "reopen to see it")

    def watchable(self) -> bool:
        """Only files of the local transport are watched (watchfiles sees this machine)."""
        from lmconsole.adapters.transports.local import LocalTransport

        return isinstance(self.server.transport, LocalTransport)

    @work(group="editor-watch", exclusive=True, exit_on_error=False)
    async def watch_file(self, stop: asyncio.Event) -> None:
        """Watch the file's directory (an editor or a save replaces the file by a rename, which
        a watch on the file itself would lose) until the screen closes."""
        import os

        from watchfiles import awatch

        path = os.path.realpath(self.path)
        async for changes in awatch(os.path.dirname(path), stop_event=stop, recursive=False,
                                    debounce=200, step=50, rust_timeout=500,
                                    ignore_permission_denied=True):
            if any(os.path.realpath(changed) == path for _, changed in changes):
                await self.check_disk()

    async def check_disk(self) -> None:
        if self._own_writes or self.draft is None or self.disk_warning:
            return
        try:
            _, stat = await self.server.transport.read(self.path)
        except TransportError:
            stat = None
        if self._own_writes or self.draft is None or stat == self.draft.stat:
            return
        self.disk_warning = (f"{self.path} {self.DISK_WARNING}" if stat is not None else
                             f"{self.path} was removed on disk since you opened it")
        self.render_status()
        self.notify(self.disk_warning, title=self.server.name, severity="warning", timeout=10,
                    markup=False)

    @contextmanager
    def own_write(self):
        self._own_writes += 1
        try:
            yield
        finally:
            self._own_writes -= 1

    def on_unmount(self) -> None:
        if self._watch_stop is not None:
            self._watch_stop.set()

    # ---- diagnostics ---------------------------------------------------------------------------

    @on(TextArea.Changed)
    def text_changed(self) -> None:
        if self._pending is not None:
            self._pending.stop()
        self._pending = self.set_timer(self.DEBOUNCE_S, self.analyse)
        self.update_title()

    def analyse(self) -> None:
        from lmconsole.adapters.flexlm.options import parse_options
        from lmconsole.adapters.flexlm.validate import validate_options

        self._pending = None
        text = self.area.text
        options = parse_options(text)
        self.findings = validate_options(options, self.license_file, self.known_names)
        self.area.show_analysis(highlight_spans(text, options), self.findings)
        problems = self.query_one("#problems", OptionList)
        problems.clear_options()
        problems.add_options(Option(problem_text(f), id=str(i))
                             for i, f in enumerate(self.findings))
        self.update_title()

    @on(OptionList.OptionSelected, "#problems")
    def jump_to_problem(self, event: OptionList.OptionSelected) -> None:
        self.jump_to(self.findings[int(event.option.id)])

    def jump_to(self, finding: Finding) -> None:
        self.area.cursor_location = (finding.line - 1, max(finding.column - 1, 0))
        self.area.focus()

    def action_next_problem(self) -> None:
        row = self.area.cursor_location[0] + 1
        later = [f for f in self.findings if f.line > row]
        if later or self.findings:
            self.jump_to((later or self.findings)[0])

    def action_focus_problems(self) -> None:
        problems = self.query_one("#problems", OptionList)
        if problems.highlighted is None and problems.option_count:
            problems.highlighted = 0
        problems.focus()

    def update_title(self) -> None:
        counts = Counter(f.severity for f in self.findings)
        parts = [f"{self.server.name}: {self.path}"]
        if self.read_only:
            parts.append("read-only")
        if self.modified:
            parts.append("modified")
        parts.append(", ".join(f"{n} {s}{'s' if n > 1 else ''}" for s, n in counts.items())
                     or "no problems")
        self.query_one("#title", Static).update(Text(" · ".join(parts)))

    @property
    def modified(self) -> bool:
        return self.draft is not None and self.area.text != self.draft.text

    def set_status(self, message: str, *, error: bool = False) -> None:
        self._status = (message, error)
        self.render_status()

    def render_status(self) -> None:
        """The last message, under the warning of a change on disk while that holds."""
        message, error = self._status
        text = Text()
        if self.disk_warning:
            text.append(self.disk_warning + "\n", "bold yellow")
        text.append(message, "bold red" if error else "")
        self.query_one("#status", Static).update(text)

    # ---- saving --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only mode: hidden, and refused if called anyway.
        return not (action in ("save", "reread", "rollback", "restart") and self.read_only)

    def action_save(self) -> None:
        from lmconsole.edit import errors_in, unified_diff

        if self.read_only:
            self.notify("read-only mode: the options file is not saved", severity="warning")
            return
        if self.draft is None:
            return
        if self._pending is not None:
            self.analyse()  # the diagnostics of exactly what is saved
        text = self.area.text
        if text == self.draft.text:
            self.notify("nothing changed since the file was opened", timeout=3)
            return
        try:
            self.audit.check()
        except OSError as error:
            self.set_status(f"the audit log {self.audit.path} cannot be written "
                            f"({error.strerror}); nothing was saved", error=True)
            return
        errors = errors_in(self.findings)
        question = f"Save {self.path} on {self.server.name}?"
        if errors:
            first = errors[0]
            question = (f"{len(errors)} error(s), the first at line {first.line}: "
                        f"{first.message}. Save anyway?")
        diff = unified_diff(self.draft.text, text, self.path).splitlines()
        what = [f"The file as it is now is backed up beside it ({self.path}.<UTC time>.bak),",
                "then replaced atomically; refused if it changed since you opened it."]
        self.app.push_screen(
            DiffConfirmScreen(question, diff, what, "Save anyway" if errors else "Save",
                              impact=self.what_if(text)),
            callback=lambda yes: yes and self.save(text, bool(errors)))

    def live_inputs(self) -> tuple[list, list, dict[str, int | None]]:
        """The server's held seats (as (feature, checkout)), the debug-log events the app
        has recorded for it, and its features' issued seats, from the app's LiveData."""
        seats: list = []
        capacity: dict[str, int | None] = {}
        data = self.data
        if data is None:
            return seats, [], capacity
        name = self.server.name
        state = data.states.get(name)
        status = state.status if state is not None else None
        for feature in status.features if status is not None else ():
            seats += [(feature.name, c) for c in feature.checkouts]
            if not feature.uncounted and feature.issued is not None:
                capacity[feature.name] = capacity.get(feature.name, 0) + feature.issued
        # OUT and DENIED are the requests replayed; IN and daemon restarts free seats.
        events = [logged.event for logged in data.events if logged.event.server == name]
        return seats, events, capacity

    def what_if(self, text: str) -> str | None:
        """The what-if of saving `text` instead of the file as opened, against the live
        seats and events: None when it cannot be worked out (shown as nothing)."""
        from lmconsole.adapters.flexlm.options import parse_options
        from lmconsole.adapters.flexlm.whatif import what_if
        from lmconsole.whatif_cli import report_text

        if self.draft is None:
            return None
        seats, events, capacity = self.live_inputs()
        try:
            report = what_if(parse_options(self.draft.text), parse_options(text), seats=seats,
                             requests=events, license_file=self.license_file,
                             capacity=capacity)
        except Exception as error:  # a model gap must not stop a save  # noqa: BLE001
            return f"what-if unavailable: {type(error).__name__}: {error}"
        return report_text(report, {"draft": "your draft",
                                    "current": f"{self.path} as opened"}).rstrip()

    @work(group="editor-save", exclusive=True, exit_on_error=False)
    async def save(self, text: str, force: bool) -> None:
        with self.own_write():
            await self._save(text, force)

    async def _save(self, text: str, force: bool) -> None:
        from lmconsole.edit import Draft, ReadOnlyError, save_options

        draft = self.draft
        try:
            result = await save_options(
                self.server.transport, self.path, text, draft.stat, server=self.server.name,
                audit=self.audit, now=self.now(), license_file=self.license_file,
                known_names=self.known_names, force=force, read_only=self.read_only,
                encoding=draft.encoding)
        except (OSError, ReadOnlyError) as error:
            self.set_status(f"not saved: {error}", error=True)
            return
        self.set_status(result.message, error=not result.saved)
        if not result.saved:
            self.notify(result.message, title="not saved", severity="error", timeout=10,
                        markup=False)
            return
        self.draft = Draft(self.path, text, result.stat, draft.encoding)
        self.update_title()
        self.notify(f"saved; backup {result.backup}", title=self.server.name, markup=False)
        self.action_reread()

    # ---- rolling back -------------------------------------------------------------------------

    def action_rollback(self) -> None:
        if self.read_only:
            self.notify("read-only mode: the options file is not rolled back",
                        severity="warning")
            return
        if self.draft is None:
            return
        self.pick_backup()

    @work(group="editor-rollback", exclusive=True, exit_on_error=False)
    async def pick_backup(self) -> None:
        """The backups (read whole: their sizes, then the diff of the one picked; options
        files are small), newest first, and the file as it is now on the server."""
        from lmconsole.edit import decode, list_backups

        transport = self.server.transport
        try:
            backups = await list_backups(transport, self.path)
            found = [(backup, await transport.read(backup.path)) for backup in backups]
            current, stat = await transport.read(self.path)
        except TransportError as error:
            self.set_status(f"cannot list the backups of {self.path}: {error}", error=True)
            return
        if not found:
            self.notify(f"no backups beside {self.path} (a save leaves one)", timeout=5,
                        markup=False)
            return
        current_text = decode(current)[0]

        def picked(index: int | None) -> None:
            if index is not None:
                backup, (data, _) = found[index]
                self.confirm_rollback(backup, decode(data)[0], current_text, stat)

        self.app.push_screen(BackupsScreen(self.path, [(b, len(d)) for b, (d, _) in found]),
                             callback=picked)

    def confirm_rollback(self, backup: Backup, older: str, current_text: str,
                         stat: FileStat) -> None:
        import difflib

        when = backup.taken.strftime("%Y-%m-%d %H:%M:%S UTC")
        diff = list(difflib.unified_diff(current_text.splitlines(), older.splitlines(),
                                         f"{self.path} (on the server)",
                                         f"{backup.path} (backup of {when})", lineterm=""))
        what = ["The file as it is now is backed up beside it, then replaced atomically by "
                "this backup (not validated: it was the server's file once)."]
        if self.modified:
            what.append("Your unsaved edits in the editor are discarded.")
        if not diff:
            what.append("The backup is the same as the file on the server.")
        self.app.push_screen(
            DiffConfirmScreen(f"Roll {self.path} on {self.server.name} back to {when}?",
                              diff, what, "Roll back"),
            callback=lambda yes: yes and self.roll_back(backup, stat))

    @work(group="editor-rollback", exclusive=True, exit_on_error=False)
    async def roll_back(self, backup: Backup, previewed: FileStat) -> None:
        with self.own_write():
            await self._roll_back(backup, previewed)

    async def _roll_back(self, backup: Backup, previewed: FileStat) -> None:
        from lmconsole.edit import ReadOnlyError, rollback

        transport = self.server.transport
        try:
            _, stat = await transport.read(self.path)
        except TransportError as error:
            self.set_status(f"not rolled back: {error}", error=True)
            return
        if stat != previewed:
            self.set_status(f"not rolled back: {self.path} changed on the server since the "
                            "diff was shown; press ctrl+b again", error=True)
            return
        try:
            result = await rollback(transport, self.path, backup, server=self.server.name,
                                    audit=self.audit, now=self.now(), read_only=self.read_only)
        except (OSError, ReadOnlyError) as error:
            self.set_status(f"not rolled back: {error}", error=True)
            return
        self.set_status(result.message, error=not result.saved)
        if not result.saved:
            self.notify(result.message, title="not rolled back", severity="error", timeout=10,
                        markup=False)
            return
        self.notify(f"rolled back to {backup.path}; the replaced version is in "
                    f"{result.backup}", title=self.server.name, markup=False)
        draft = self.draft
        await self.load().wait()  # the editor shows the file as it now is
        if self.draft is not draft:
            self.set_status(f"{result.message}\nreloaded; re-read it (ctrl+l) for the daemon "
                            "to apply it")
        self.action_reread()

    # ---- lmreread ------------------------------------------------------------------------------

    def action_reread(self) -> None:
        if self.read_only:
            self.notify("read-only mode: lmreread is not run", severity="warning")
            return
        argv = self.server.adapter.reread_argv(self.server.config)
        self.app.push_screen(
            ConfirmScreen(f"Tell {self.server.name} to re-read its options file now?",
                          ["The vendor daemon re-reads its licence and options files; the new "
                           "rules apply to the next checkouts."],
                          [shlex.join(argv)], "Re-read"),
            callback=lambda yes: yes and self.run_reread())

    @work(group="editor-reread", exclusive=True, exit_on_error=False)
    async def run_reread(self) -> None:
        from lmconsole.edit import ReadOnlyError, await_reread, reread

        server = self.server
        try:
            result = await reread(server.transport, server.config, server.adapter,
                                  audit=self.audit, read_only=self.read_only)
        except (OSError, ReadOnlyError) as error:
            self.set_status(f"lmreread not run: {error}", error=True)
            return
        output = result.output or "(no output)"
        if not result.ok:
            self.set_status(f"lmreread failed (exit {result.exit_code}):\n{output}", error=True)
            return
        if result.log_offset is None:
            self.set_status(f"lmreread: {output}\nno debug log configured: the re-read "
                            "cannot be confirmed")
            return
        self.set_status(f"lmreread: {output}\nwaiting for the debug log ...")
        try:
            check = await await_reread(server.transport, server.config, server.adapter,
                                       result.log_offset)
        except TransportError as error:
            self.set_status(f"lmreread: {output}\ncannot read the debug log: {error}",
                            error=True)
            return
        self.set_status(f"lmreread: {output}\n{check.message}", error=not check.confirmed)

    # ---- restarting the vendor daemon --------------------------------------------------------

    def action_restart(self) -> None:
        if self.read_only:
            self.notify("read-only mode: the vendor daemon is not restarted", severity="warning")
            return
        adapter, config = self.server.adapter, self.server.config
        builder = getattr(adapter, "restart_argvs", None)
        if builder is None:
            self.notify(f"{self.server.name}: its licence manager cannot be restarted from here",
                        severity="warning")
            return
        try:
            commands = builder(config)
        except ValueError as error:
            self.notify(str(error), severity="warning", markup=False)
            return
        vendor = getattr(config, "vendor", None)
        self.app.push_screen(
            ConfirmScreen(f"Restart the vendor daemon {vendor} on {self.server.name}?",
                          ["Its seats are dropped: users' applications lose their licences "
                           "and check out again when the daemon is back (borrowed seats are "
                           "kept; lmdown refuses while seats are borrowed).",
                           "lmgrd stays up and starts the daemon again on the lmreread."],
                          [shlex.join(argv) for argv in commands], "Restart"),
            callback=lambda yes: yes and self.run_restart())

    @work(group="editor-reread", exclusive=True, exit_on_error=False)
    async def run_restart(self) -> None:
        from lmconsole.edit import ReadOnlyError, restart

        server = self.server
        try:
            results = await restart(server.transport, server.config, server.adapter,
                                    audit=self.audit, read_only=self.read_only)
        except (OSError, ReadOnlyError, ValueError) as error:
            self.set_status(f"restart not run: {error}", error=True)
            return
        lines = [f"$ {shlex.join(r.argv)}: "
                 + (f"{last_line(r.output) or 'ok'}" if r.ok else
                    f"failed (exit {r.exit_code}): {last_line(r.output) or 'no output'}")
                 for r in results]
        failed = not results or not results[-1].ok
        if failed and len(results) < 2:
            lines.append("the daemon was not restarted")
        elif failed:
            lines.append("the daemon is DOWN: lmreread did not start it again")
        else:
            lines.append("restarted; the next poll shows the daemon's state")
            monitors = getattr(getattr(self.app, "monitor", None), "monitors", {})
            if server.name in monitors:
                self.app.monitor.refresh(server.name)
        self.set_status("\n".join(lines), error=failed)

    # ---- leaving -------------------------------------------------------------------------------

    def action_close(self) -> None:
        if not self.modified:
            self.dismiss(None)
            return
        self.app.push_screen(
            ConfirmScreen("Close the editor and lose your changes?", [], [], "Discard"),
            callback=lambda yes: yes and self.dismiss(None))


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def problem_text(finding: Finding) -> Text:
    style = {"error": "bold red", "warning": "yellow"}.get(finding.severity, "")
    text = Text(f"{finding.line:>4}:{finding.column:<3} ")
    text.append(f"{finding.severity:<7} {finding.code}", style)
    text.append(f"  {finding.message}")
    return text
