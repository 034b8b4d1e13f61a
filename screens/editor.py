"""The editor of a server's options file or licence file: highlighting, diagnostics and
completion as you type, and a save that follows the safety rules (diff and what-if shown
first, backup, conflict check, audit), then lmreread.

What the file means (checks, refused changes, highlighting, completion, what-if) is the
adapter's FileLanguage; the work on the server is lmconsole.edit's; this screen asks, shows
and calls them in workers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, OptionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from lmconsole.adapter import FileLanguage, Finding, LiveUse, Span
from lmconsole.audit import AuditLog
from lmconsole.edit import (
    Backup,
    Draft,
    ReadOnlyError,
    decode,
    errors_in,
    list_backups,
    open_file,
    recent_events,
    rollback,
    save_file,
    unified_diff,
)
from lmconsole.transport import FileStat, TransportError

from .daemon_actions import DaemonActions
from .dialogs import ConfirmScreen
from .editor_dialogs import BackupsScreen, DiffConfirmScreen
from .file_area import CompletionMenu, FileArea
from .live import LiveData, utc_now

KINDS = ("options", "license")  # the files a server's configuration names for editing
# (text, licence text) -> (the text with its managed blocks regenerated or None, why not, notes)
Regenerate = Callable[[str, str | None], Awaitable[tuple[str | None, list[str], list[str]]]]


@dataclasses.dataclass(frozen=True)
class Analysis:
    """What the language makes of one text: its findings and its highlighting."""
    text: str
    refused: list[Finding]  # changes no save may make
    findings: list[Finding]  # the refusals and the checks' findings, in file order
    spans: dict[int, list[Span]]


class EditorScreen(DaemonActions, Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="editor.save",
                tooltip="Save: shows the diff first, keeps a backup beside the file"),
        Binding("ctrl+space,ctrl+@", "complete", "Complete", key_display="^space",
                id="editor.complete",
                tooltip="The words that fit at the cursor: keywords, features, names"),
        Binding("ctrl+l", "reread", "lmreread", id="editor.reread",
                tooltip="Tell the server to re-read its licence and options files (lmreread)"),
        Binding("f5", "restart", "Restart", id="editor.restart",
                tooltip="Restart the vendor daemon (lmdown -vendor, lmreread), or the licence "
                        "server with the configured start_command"),
        Binding("ctrl+b", "rollback", "Backups", id="editor.rollback",
                tooltip="Roll the file back to one of its backups (diff shown first)"),
        Binding("ctrl+g", "managed_blocks", "Managed blocks", id="editor.managed-blocks",
                tooltip="Regenerate the blocks lmconsole manages (directory groups, "
                        "allocation pools), then save them: diff and what-if shown first"),
        Binding("f8", "next_problem", "Next problem", id="editor.next-problem",
                tooltip="Jump to the next diagnostic"),
        Binding("f9", "focus_problems", "Problems", id="editor.problems",
                tooltip="The list of diagnostics (Enter jumps to the line)"),
        Binding("escape", "close", "Close", id="editor.close"),
    ]
    DEFAULT_CSS = """
    EditorScreen {
        & > #title { height: 1; padding: 0 1; background: $panel; }
        & > #file { height: 1fr; }
        & > #problems { height: 7; border: none; border-top: solid $panel-lighten-2; }
        & > #status { height: auto; max-height: 6; padding: 0 1; color: $foreground-muted; }
    }
    """
    DEBOUNCE_S = 0.3

    def __init__(self, server, *, kind: str = "options", audit: AuditLog,
                 read_only: bool = False, now: Callable = utc_now,
                 data: LiveData | None = None, daemon: str | None = None,
                 origin: str | None = None, regenerate: Regenerate | None = None) -> None:
        """`daemon`: named in the title (a server with several vendor daemons' options files);
        `origin`: where the file's path was learnt, said on opening it; `regenerate`: the
        text with the server's managed blocks regenerated (None: it has none)."""
        super().__init__()
        self.server = server  # a ConsoleServer: config, adapter, transport
        self.kind = kind
        self.daemon = daemon
        self.origin = origin
        self.regenerate = regenerate
        self.data = data  # the app's live seats, names and events
        self.path: str = getattr(server.config, f"{kind}_file")
        self.audit = audit
        self.read_only = read_only
        self.now = now
        self.language: FileLanguage | None = None  # known once the file is loaded
        self.draft: Draft | None = None
        self.findings: list[Finding] = []
        self.refused: list[Finding] = []  # changes no save may make
        self.analysed_text: str | None = None  # the text the findings are about
        self._pending: Timer | None = None
        self._status: tuple[str, bool] = (f"opening {self.path} ...", False)
        self.disk_warning: str | None = None  # the file changed on disk since it was opened
        self._own_writes = 0  # saves and rollbacks under way: their changes are ours
        self._watch_stop: asyncio.Event | None = None

    @property
    def label(self) -> str:
        return self.language.label if self.language else f"{self.kind} file"

    def live(self) -> LiveUse:
        use = self.data.live_use(self.server.name) if self.data is not None else LiveUse()
        return dataclasses.replace(use, today=self.server_today())

    def server_today(self) -> date:
        """The date at the server, by its clock (a simulator's runs fast) in its zone: what a
        licence file's expiry dates are judged against."""
        return self.server.clock().astimezone(self.server.config.tz).date()

    # ---- building and loading ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        yield FileArea(read_only=True, complete=self.complete_at)  # writable once loaded
        yield OptionList(id="problems")
        yield Static(f"opening {self.path} ...", id="status")
        yield CompletionMenu()
        yield Footer()

    @property
    def area(self) -> FileArea:
        return self.query_one(FileArea)

    def on_mount(self) -> None:
        self.update_title()
        self.load()

    @work(group="editor", exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        try:
            draft = await open_file(self.server.transport, self.path)
        except TransportError as error:
            self.set_status(f"cannot open {self.path}: {error}", error=True)
            return
        self.language = await self.load_language()
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
                        + (f" ({self.origin})" if self.origin else "")
                        + (" (read-only mode)" if self.read_only else "")
                        + ("; signed fields are dimmed: only the others may change"
                           if self.kind == "license" else ""))

    async def load_language(self) -> FileLanguage:
        adapter = self.server.adapter
        if self.kind == "license":
            return adapter.license_language()
        return adapter.options_language(await self.license_text(),
                                        getattr(self.server.config, "vendor", None))

    async def license_text(self) -> str | None:
        """The licence file, for the options file's checks and completion: None (and those
        checks skipped) when it is not configured or cannot be read."""
        path = getattr(self.server.config, "license_file", None)
        if not path:
            return None
        try:
            data, _ = await self.server.transport.read(path)
        except TransportError:
            return None
        return decode(data)[0]

    # ---- noticing a change on disk (local files) -------------------------------------------------

    DISK_WARNING = ("changed on disk since you opened it: saving will be refused; "
                    "reopen to see it")

    def watchable(self) -> bool:
        """Only files of this machine's transport are watched (watchfiles sees this machine)."""
        return getattr(self.server.transport, "is_local", False)

    @work(group="editor-watch", exclusive=True, exit_on_error=False)
    async def watch_file(self, stop: asyncio.Event) -> None:
        """Watch the file's directory (an editor or a save replaces the file by a rename, which
        a watch on the file itself would lose) until the screen closes. Each quiet half second
        also compares the file's stat, which catches a change made before the watch was up."""
        import os

        from watchfiles import awatch

        path = os.path.realpath(self.path)
        async for changes in awatch(os.path.dirname(path), stop_event=stop, recursive=False,
                                    debounce=200, step=50, rust_timeout=500,
                                    yield_on_timeout=True, ignore_permission_denied=True):
            if not changes or any(os.path.realpath(changed) == path for _, changed in changes):
                await self.check_disk()

    async def check_disk(self) -> None:
        if self._own_writes or self.draft is None or self.disk_warning:
            return
        try:
            stat = await self.server.transport.stat(self.path)
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
        self._pending = self.set_timer(self.DEBOUNCE_S, self.analyse_in_background)
        self.update_title()

    def analyse(self) -> None:
        """Analyse the text as it is now, at once (on opening and before a save)."""
        self._pending = None
        if self.language is not None and self.draft is not None:
            self.show(self.analysis(self.area.text, self.live()))

    def analyse_in_background(self) -> None:
        """After a pause in typing: in a thread, so a long file does not stall the keys."""
        self._pending = None
        if self.language is not None and self.draft is not None:
            self.analysis_worker(self.area.text, self.live())

    @work(thread=True, group="editor-analysis", exclusive=True, exit_on_error=False)
    def analysis_worker(self, text: str, live: LiveUse) -> Analysis:
        return self.analysis(text, live)

    @on(Worker.StateChanged)
    def analysis_done(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if (worker.group == "editor-analysis" and worker.state == WorkerState.SUCCESS
                and worker.result.text == self.area.text):  # else typing went on: more to come
            self.show(worker.result)

    def analysis(self, text: str, live: LiveUse) -> Analysis:
        refused = self.language.refusals(self.draft.text, text)
        findings = sorted(refused + self.language.check(text, live))
        return Analysis(text, refused, findings, self.language.highlight(text))

    def show(self, analysis: Analysis) -> None:
        self.analysed_text = analysis.text
        self.refused, self.findings = analysis.refused, analysis.findings
        self.area.show_analysis(analysis.spans, self.findings)
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
        where = f"{self.server.name} ({self.daemon})" if self.daemon else self.server.name
        parts = [f"{where}: {self.path}"]
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

    # ---- completion ----------------------------------------------------------------------------

    def complete_at(self, text: str, row: int, column: int):
        if self.language is None:
            return None
        return self.language.complete(text, row, column, self.live())

    def action_complete(self) -> None:
        area = self.area
        found = area.completions()
        if found is None:
            return
        if not found.items:
            self.notify("nothing to complete here", timeout=2)
        elif len(found.items) == 1:
            area.apply(found.start, found.items[0])
        else:
            self.query_one(CompletionMenu).open(found, area.cursor_screen_offset)

    @on(CompletionMenu.Chosen)
    def completion_chosen(self, event: CompletionMenu.Chosen) -> None:
        area = self.area
        area.focus()
        if event.completion is not None:
            area.apply(event.start, event.completion)

    # ---- saving --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only mode: hidden, and refused if called anyway.
        if action == "managed_blocks":
            return self.regenerate is not None and self.kind == "options" and not self.read_only
        return not (action in ("save", "reread", "rollback", "restart", "complete")
                    and self.read_only)

    @work(group="editor-save", exclusive=True, exit_on_error=False)
    async def action_managed_blocks(self) -> None:
        """The managed blocks regenerated into the text, then the save's diff and what-if."""
        if self.regenerate is None or self.draft is None or self.read_only:
            return
        self.set_status("regenerating the managed blocks ...")
        new, refused, notes = await self.regenerate(self.area.text, await self.license_text())
        if new is None:
            self.set_status("managed blocks not regenerated: " + "; ".join(refused), error=True)
            return
        said = "; ".join(notes)
        if new == self.area.text:
            self.set_status("the managed blocks are up to date" + (f" ({said})" if said else ""))
            return
        self.area.replace(new, (0, 0), self.area.document.end)
        self.set_status("managed blocks regenerated" + (f" ({said})" if said else ""))
        self.action_save()

    def action_save(self) -> None:
        if self.read_only:
            self.notify(f"read-only mode: the {self.label} is not saved", severity="warning")
            return
        if self.draft is None:
            return
        text = self.area.text
        if text != self.analysed_text:
            self.analyse()  # the diagnostics of exactly what is saved
        if text == self.draft.text:
            self.notify("nothing changed since the file was opened", timeout=3)
            return
        if self.refused:
            first = self.refused[0]
            self.set_status(f"cannot be saved: line {first.line}: {first.message} "
                            f"({first.code})", error=True)
            self.jump_to(first)
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
        self.confirm_save(DiffConfirmScreen(question, diff, what,
                                            "Save anyway" if errors else "Save"),
                          text, bool(errors))

    @work(group="editor-save", exclusive=True, exit_on_error=False)
    async def confirm_save(self, dialog: DiffConfirmScreen, text: str, force: bool) -> None:
        """The save dialog, with the what-if of the draft above the diff."""
        if self.kind == "options":
            self.set_status("replaying the debug log for the what-if ...")
            server = self.server
            events = await recent_events(server.transport, server.config, server.adapter)
            dialog.impact = self.what_if(text, events)
            self.set_status(f"{len(events):,} debug-log events replayed" if events else
                            "no debug log to replay: the what-if uses the live seats and "
                            "the events seen since the console started")
        self.app.push_screen(dialog, callback=lambda yes: yes and self.save(text, force))

    def what_if(self, text: str, log_events: list | None = None) -> str | None:
        """What saving `text` instead of the file as opened would change for the users: the
        live seats and the requests of the debug log's tail (else those the console
        recorded) replayed. None when there is nothing to say."""
        if self.draft is None or self.language is None:
            return None
        live = self.live()
        if log_events:
            live = dataclasses.replace(live, events=tuple(log_events))
        try:
            report = self.language.what_if(self.draft.text, text, live)
        except Exception as error:  # a model gap must not stop a save  # noqa: BLE001
            return f"what-if unavailable: {type(error).__name__}: {error}"
        return report.rstrip() if report else None

    @work(group="editor-save", exclusive=True, exit_on_error=False)
    async def save(self, text: str, force: bool) -> None:
        with self.own_write():
            await self._save(text, force)

    async def _save(self, text: str, force: bool) -> None:
        draft = self.draft
        try:
            result = await save_file(
                self.server.transport, self.path, text, draft.stat, server=self.server.name,
                audit=self.audit, now=self.now(), language=self.language, live=self.live(),
                force=force, read_only=self.read_only, encoding=draft.encoding)
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
        reasons = self.language.restart_reasons(draft.text, text) if self.language else []
        if reasons:
            self.set_status(f"{result.message}\n{'; '.join(reasons)}: lmreread does not apply "
                            f"that (ports and server lines are read when the daemons start); "
                            f"restart to apply it")
            self.ask_restart(force=False)
            return
        self.action_reread()

    # ---- rolling back -------------------------------------------------------------------------

    def action_rollback(self) -> None:
        if self.read_only:
            self.notify(f"read-only mode: the {self.label} is not rolled back",
                        severity="warning")
            return
        if self.draft is None:
            return
        self.pick_backup()

    @work(group="editor-rollback", exclusive=True, exit_on_error=False)
    async def pick_backup(self) -> None:
        """The backups (read whole: their sizes, then the diff of the one picked; options
        files are small), newest first, and the file as it is now on the server."""
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
        transport = self.server.transport
        try:
            stat = await transport.stat(self.path)
        except TransportError as error:
            self.set_status(f"not rolled back: {error}", error=True)
            return
        if stat != previewed:
            self.set_status(f"not rolled back: {self.path} changed on the server since the "
                            "diff was shown; press ctrl+b again", error=True)
            return
        try:
            result = await rollback(transport, self.path, backup, server=self.server.name,
                                    audit=self.audit, now=self.now(), read_only=self.read_only,
                                    kind=self.kind)
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

    # ---- leaving -------------------------------------------------------------------------------

    def action_close(self) -> None:
        if not self.modified:
            self.leave()
            return
        self.app.push_screen(
            ConfirmScreen("Close the editor and lose your changes?", [], [], "Discard"),
            callback=lambda yes: yes and self.leave())

    def leave(self) -> None:
        if self._pending is not None:
            self._pending.stop()  # no analysis of a screen on its way out
            self._pending = None
        self.dismiss(None)


def problem_text(finding: Finding) -> Text:
    style = {"error": "bold red", "warning": "yellow"}.get(finding.severity, "")
    text = Text(f"{finding.line:>4}:{finding.column:<3} ")
    text.append(f"{finding.severity:<7} {finding.code}", style)
    text.append(f"  {finding.message}")
    return text
