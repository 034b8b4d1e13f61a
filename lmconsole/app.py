"""The live console: the Textual App, and the wiring of monitor -> messages -> screens.

Each configured server gets two workers in the app's event loop: the monitor's poll loop
and, when the server has a debug log, its follow loop. They are separate workers so that a
failing log (unreadable, or no reader for it yet) never stops the polling. The monitor calls
a Listener; the listener posts typed messages carrying the immutable ServerState or Event;
the app keeps them in LiveData and tells the screen on show what changed, once per batch
of messages. Admin actions (lmremove) run in workers too, confirmed, audited and refused in
read-only mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.actions import ActionParseResult
from textual.app import App
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.message import Message
from textual.worker import Worker, WorkerState

from lmconsole.adapter import DaemonOptionsFile, LicenceManagerAdapter
from lmconsole.alerts.delivery import DeliverySettings
from lmconsole.alerts.engine import AlertChange, Change, Key
from lmconsole.alerts.rules import CRITICAL, AlertRule
from lmconsole.alerts.service import AlertService
from lmconsole.audit import AuditLog, audit_path
from lmconsole.edit import configured_options_files, options_files
from lmconsole.model import Diagnostic, Event, EventKind
from lmconsole.monitor import (
    Fanout,
    Listener,
    LogGap,
    Monitor,
    ServerMonitor,
    ServerState,
    followed_logs,
)
from lmconsole.screens.alerts import ALERTS, AlertsScreen
from lmconsole.screens.base import EVENTS, STATES, LiveScreen
from lmconsole.screens.commands import ConsoleCommand, ConsoleProvider, console_commands, resolve
from lmconsole.screens.daemon_choice import DaemonChoiceScreen
from lmconsole.screens.denials import DenialsScreen, ReasonWords, plain_reason
from lmconsole.screens.dialogs import (
    CommandLine,
    ConfirmScreen,
    HelpScreen,
    NotesScreen,
    UnknownHostScreen,
    key_help,
)
from lmconsole.screens.directory import DirectoryGroups, DirectoryScreen
from lmconsole.screens.events import EventsScreen
from lmconsole.screens.features import FeaturesScreen
from lmconsole.screens.format import day_time, duration
from lmconsole.screens.header import ServerHeader
from lmconsole.screens.history import HistoryScreen
from lmconsole.screens.live import Clock, LiveData, Logged, PastView, utc_now
from lmconsole.screens.overview import OverviewScreen
from lmconsole.screens.past import PastDialog, parse_moment
from lmconsole.screens.pools import PoolsScreen, PoolView
from lmconsole.screens.reports import ReportsScreen
from lmconsole.screens.seats import Seat, SeatsScreen
from lmconsole.themes.builtin import DEFAULT_THEME, THEMES
from lmconsole.transport import Transport, TransportError, reconnect_now

if TYPE_CHECKING:
    from lmconsole.history.recorder import HistoryRecorder
    from lmconsole.history.store import HistoryStore

COMMAND_TIMEOUT_S = 60.0
ALERTS_EVALUATED_EVERY_S = 5  # ticks (seconds) between evaluations of the rules on time alone
SNOOZE_S = 3600  # what one press of z snoozes an alert for
# The actions read-only mode refuses (their keys are hidden), and what a key of one says.
REFUSED_WHEN_READ_ONLY = {
    "free_seats": "seats cannot be freed",
    "save": "files are not saved",
    "reread": "lmreread is not run",
    "restart": "the licence server is not restarted",
    "rollback": "no backup is restored",
}


# ---- messages -------------------------------------------------------------------------------

class StateArrived(Message):
    def __init__(self, state: ServerState) -> None:
        super().__init__()
        self.state = state


class EventArrived(Message):
    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class LogDiagnosed(Message):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__()
        self.diagnostic = diagnostic


class FollowFailed(Message):
    def __init__(self, server: str, error: str) -> None:
        super().__init__()
        self.server = server
        self.error = error


class FollowStarted(Message):
    def __init__(self, server: str) -> None:
        super().__init__()
        self.server = server


class GapFound(Message):
    def __init__(self, gap: LogGap) -> None:
        super().__init__()
        self.gap = gap


class MessageListener(Listener):
    """The monitor's listener: every call becomes a message to the app."""

    def __init__(self, app: App) -> None:
        self.app = app

    def state_changed(self, state: ServerState) -> None:
        self.app.post_message(StateArrived(state))

    def event(self, event: Event) -> None:
        self.app.post_message(EventArrived(event))

    def follow_failed(self, server: str, error: str) -> None:
        self.app.post_message(FollowFailed(server, error))

    def follow_started(self, server: str) -> None:
        self.app.post_message(FollowStarted(server))

    def log_gap(self, gap: LogGap) -> None:
        self.app.post_message(GapFound(gap))

    def log_diagnostic(self, diagnostic: Diagnostic) -> None:
        self.app.post_message(LogDiagnosed(diagnostic))


class UnknownHostQuestion:
    """The `ask_unknown_host` of the console's SSH transports. They are made before the app,
    so the app that runs them binds itself here; until then (and headless) nothing is
    accepted."""

    def __init__(self) -> None:
        self.app: LMConsoleApp | None = None

    async def __call__(self, host: str, key_type: str, fingerprint: str) -> bool:
        if self.app is None:
            return False
        return await self.app.ask_unknown_host(host, key_type, fingerprint)


@dataclass(frozen=True)
class ConsoleServer:
    """A server as the console needs it: its configuration, how to read it, how to reach it,
    and its clock (a simulated server's runs faster than the wall's)."""

    config: Any  # ServerConfig or demo.DemoServer
    adapter: LicenceManagerAdapter
    transport: Transport
    clock: Clock = field(default=utc_now)

    @property
    def name(self) -> str:
        return self.config.name


# ---- the app --------------------------------------------------------------------------------

class LMConsoleApp(App):
    TITLE = "lmconsole"
    CSS_PATH = str(resources.files("lmconsole.themes").joinpath("console.tcss"))
    COMMANDS = App.COMMANDS | {ConsoleProvider}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        Binding("exclamation_mark", "notes", "Notes", key_display="!", show=False,
                id="app.notes", tooltip="Notes: the status and debug-log lines the parsers did "
                                        "not understand, and conditions they warn of (⚠N)"),
        Binding("colon", "command_line", "Jump", key_display=":", id="app.command-line",
                tooltip="Go to a view, a server or a feature (Tab completes)"),
        Binding("p", "pause", "Pause", id="app.pause",
                tooltip="Pause or resume the tables (polling and the header go on)"),
        Binding("o", "mode('overview')", "Overview", show=False, id="app.overview",
                tooltip="Every server at a glance"),
        Binding("f", "open_features(None)", "Features", show=False, id="app.features",
                tooltip="The features of all servers, summed by name"),
        Binding("d", "mode('denials')", "Denials", show=False, id="app.denials",
                tooltip="Denials as they happen, newest first"),
        Binding("e", "mode('events')", "Events", show=False, id="app.events",
                tooltip="The debug-log stream: OUT, IN, DENIED, QUEUED..."),
        Binding("A", "mode('alerts')", "Alerts", key_display="A", show=False, id="app.alerts",
                tooltip="The alerts firing: acknowledge (a) or snooze (z) them"),
        Binding("E", "edit_options(None)", "Edit options file", key_display="E", show=False,
                id="app.edit-options",
                tooltip="Edit the options file of the selected server (or the only one)"),
        Binding("L", "edit_license(None)", "Edit licence file", key_display="L", show=False,
                id="app.edit-license",
                tooltip="Edit the licence file of the selected server: host names, ports, "
                        "paths (signed fields stay as issued)"),
        Binding("ctrl+r", "refresh_servers", "Poll every server now", show=False,
                id="app.refresh"),
        Binding("ctrl+t", "next_theme", "Next theme", show=False, id="app.theme"),
        Binding("R", "reports", "Reports", key_display="R", show=False, id="app.reports",
                tooltip="The reports on the history: utilisation, denials, reservations ..."),
        Binding("D", "directory", "Directory groups", key_display="D", show=False,
                id="app.directory",
                tooltip="The directory's groups, their members and the seats they hold now"),
        Binding("P", "pools", "Allocation pools", key_display="P", show=False, id="app.pools",
                tooltip="The seats allocated to teams, and how many their users hold now"),
        Binding("T", "past", "As of a past time", key_display="T", show=False, id="app.past",
                tooltip="Show every view as it was at a past minute, from the history"),
        Binding("left_square_bracket", "step_past(-60)", "A minute back", key_display="[",
                show=False, id="app.past-minute-back"),
        Binding("right_square_bracket", "step_past(60)", "A minute on", key_display="]",
                show=False, id="app.past-minute-on"),
        Binding("left_curly_bracket", "step_past(-3600)", "An hour back", key_display="{",
                show=False, id="app.past-hour-back"),
        Binding("right_curly_bracket", "step_past(3600)", "An hour on", key_display="}",
                show=False, id="app.past-hour-on"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, servers: Sequence[ConsoleServer] = (), *, read_only: bool = False,
                 audit: AuditLog | None = None, display_tz: tzinfo | None = None,
                 monitor: bool = True, poll_interval_s: float | None = None,
                 keymap: Mapping[str, str] | None = None, theme: str = DEFAULT_THEME,
                 highlight_s: float = 5.0,
                 history: Callable[[], Awaitable[HistoryStore]] | None = None,
                 fill_history: Callable[[HistoryStore], Awaitable[str]] | None = None,
                 alerts: Sequence[AlertRule] = (), alerting: DeliverySettings | None = None,
                 true_denial_window_s: int = 10, managed_groups: Sequence = (),
                 pools: Sequence = (), project_rules: Sequence = ()) -> None:
        """`history` opens the history database the console records into (None: it
        records nothing); `fill_history` fills it first (the demo's past), saying what it
        did. `alerts`: the rules evaluated on what the monitor tells; `alerting`: the hook
        and e-mail, told when the configuration has the console deliver them.
        `managed_groups`, `pools`: the managed blocks of the servers' options files
        (lmconsole.managed.config), regenerated in the editor."""
        super().__init__()
        self.managed_groups = tuple(managed_groups)
        self.pools = tuple(pools)
        self.open_history = history
        self.fill_history = fill_history
        self.recorder: HistoryRecorder | None = None
        self.history_task: asyncio.Task | None = None  # record_history
        self._chart_store: HistoryStore | None = None  # read for charts while not recording
        self.servers = {server.name: server for server in servers}
        self.read_only = read_only
        self.audit = audit or AuditLog(audit_path(None))
        self.highlight_s = highlight_s
        self.paused = False
        self.data = LiveData(self.servers, clocks={n: s.clock for n, s in self.servers.items()},
                             display_tz=display_tz or UTC,
                             several_logs=[n for n, s in self.servers.items()
                                           if len(followed_logs(s.config)) > 1])
        self.monitor = Monitor([
            ServerMonitor(s.config, s.adapter, s.transport, MessageListener(self),
                          interval_s=poll_interval_s, now=s.clock)
            for s in servers])
        self.start_monitor = monitor
        self.refused_host_keys: set[tuple[str, str]] = set()
        for server in servers:
            question = getattr(server.transport, "ask_unknown_host", None)
            if isinstance(question, UnknownHostQuestion):
                question.app = self
        self._keymap_wanted = dict(keymap or {})
        self._pending: set[str] = set()
        for definition in THEMES:
            self.register_theme(definition)
        self.theme = theme
        self.add_mode("overview", lambda: OverviewScreen(self.data,
                                                         denial_words(self.servers.values())))
        self.add_mode("features", lambda: FeaturesScreen(self.data, None))
        self.add_mode("denials",
                      lambda: DenialsScreen(self.data, denial_words(self.servers.values())))
        self.add_mode("events", lambda: EventsScreen(self.data))
        self.add_mode("alerts", lambda: AlertsScreen(self.data))
        console_delivers = alerting is not None and alerting.delivered_by("console")
        self.alerting = AlertService(
            alerts, lambda: self.data.live_now(self.data.servers[0] if self.data.servers
                                               else None),
            true_denial_window_s=true_denial_window_s,
            delivery=alerting if console_delivers else None,
            said=lambda text: self.notify(text, title="alert not delivered",
                                          severity="warning", timeout=15, markup=False),
            listeners=[self.alerts_told], history_to_come=history is not None and monitor)
        self._ticks = 0
        self.project_rules = tuple(project_rules)  # [[projects]], for the projects report

    # ---- start-up ------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self._keymap_wanted:
            self.set_keymap(self._keymap_wanted)
        self.switch_mode("overview")
        self.set_interval(1.0, self.tick)
        self.alerting.start(evaluate_every_s=None)  # evaluated on the app's own tick
        if self.start_monitor:
            self.start_monitoring()
            if self.open_history is not None:
                # A task, not a worker: Textual cancels its workers before on_unmount.
                # Cancelled inside a write, and again by asyncio.run's cancel of every
                # task at exit, the recorder left SQLAlchemy closing its aiosqlite
                # connection in a task that waited forever; on_unmount stops it instead.
                self.history_task = asyncio.create_task(self.record_history(),
                                                        name="history")

    async def on_unmount(self) -> None:
        """The console ends: what the history has queued is written, and the connections
        (SSH) its transports hold are closed."""
        from lmconsole.snapshot import close_transport

        await self.alerting.stop()
        await self.stop_recording()
        if self.recorder is not None:
            with contextlib.suppress(Exception):  # said when it started failing
                await self.recorder.close()
            await self.recorder.store.close()
        if self._chart_store is not None:
            await self._chart_store.close()
        await asyncio.gather(*(close_transport(s.transport) for s in self.servers.values()),
                             return_exceptions=True)

    async def stop_recording(self) -> None:
        """End the history task and wait for it, before its store is closed: the recorder
        after the batch it is writing (see HistoryRecorder.stop); the task cancelled while
        it still opens or fills the history."""
        if self.history_task is None:
            return
        if self.recorder is not None:
            self.recorder.stop()
        else:
            self.history_task.cancel()
        await asyncio.wait([self.history_task])

    async def record_history(self) -> None:
        """Record what the monitors see into the history (a task): its events, sessions
        and denials; a collector, where one runs, keeps the gaps and where logs stopped.
        The console goes on without it when it cannot, and says so."""
        try:
            await self._record_history()
        except Exception as error:  # noqa: BLE001 - a database gone, a disk full
            self.alerting.watcher.release()  # the alerts evaluated without it
            self.notify(f"the history is not recorded: {error}", severity="warning",
                        timeout=10)

    async def _record_history(self) -> None:
        from lmconsole.history.audit_copy import AuditCopy
        from lmconsole.history.recorder import HistoryRecorder as Recorder

        store = await self.open_history()
        if self.fill_history is not None:
            self.notify("Filling the history with the demo's past: reports and charts will "
                        "have data in a few seconds", timeout=5)
            self.notify(await self.fill_history(store), timeout=8)
        if self.alerting.active:
            await self.alerting.resume_from(store)
        recorder = Recorder(store, keeps_place=False, audit=AuditCopy(self.audit.path))
        for server in self.servers.values():
            await recorder.add_server(server.name, manager=server.adapter.kind,
                                      time_zone=getattr(server.config.tz, "key", None),
                                      log_paths=followed_logs(server.config))
        self.recorder = recorder
        for monitor in self.monitor.monitors.values():
            monitor.listener = Fanout(monitor.listener, recorder)
        await recorder.run()

    def start_monitoring(self) -> None:
        for name, monitor in self.monitor.monitors.items():
            self.run_worker(monitor.poll_loop(), name=f"poll:{name}", group="monitor",
                            exit_on_error=False)
            for log in monitor.logs:
                self.run_worker(monitor.follow_loop(log), name=f"follow:{name}",
                                group="monitor", exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker error ends here: a monitor loop that died is shown in the header."""
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        kind, _, server = worker.name.partition(":")
        error = f"{type(worker.error).__name__}: {worker.error}"
        if kind == "follow":
            self.data.follow_errors[server] = f"events unavailable ({error})"
            self.update_headers()
        elif kind == "poll" and server in self.data.states:
            state = self.data.states[server]
            self.post_message(StateArrived(replace(state, error=f"monitor stopped: {error}",
                                                   stale=state.status is not None)))
        else:
            self.notify(error, title=worker.name, severity="error", timeout=10)

    # ---- monitor messages ----------------------------------------------------------------

    def on_state_arrived(self, message: StateArrived) -> None:
        state = message.state
        previous = self.data.live_states.get(state.name)
        self.data.set_state(state)
        if self.alerting.active:
            self.alerting.watcher.state_changed(state)
        if state.error and (previous is None or previous.error is None):
            # Once when a server starts failing: the header has no room for why (a changed
            # host key, a refused login); retries with their changing texts stay quiet.
            self.notify(state.error, title=f"{state.name}: poll failed", severity="error",
                        timeout=30, markup=False)
        self.changed(STATES)

    def on_event_arrived(self, message: EventArrived) -> None:
        self.data.add_event(message.event, time.monotonic())
        if self.alerting.active:
            self.alerting.watcher.event(message.event)
        self.changed(EVENTS)

    def on_log_diagnosed(self, message: LogDiagnosed) -> None:
        self.data.add_log_diagnostic(message.diagnostic)
        self.update_headers()

    def on_follow_failed(self, message: FollowFailed) -> None:
        self.data.follow_failed(message.server, message.error)
        if self.alerting.active:
            self.alerting.watcher.follow_failed(message.server, message.error)
        self.changed(EVENTS)

    def on_follow_started(self, message: FollowStarted) -> None:
        self.data.follow_resumed(message.server)
        if self.alerting.active:
            self.alerting.watcher.follow_started(message.server)
        self.changed(EVENTS)

    def on_gap_found(self, message: GapFound) -> None:
        self.data.add_gap(message.gap)
        if self.alerting.active:
            self.alerting.watcher.log_gap(message.gap)
        self.changed(EVENTS)

    def changed(self, what: str) -> None:
        """Collect what changed; screens hear of it once the queued messages are handled."""
        if not self._pending:
            self.call_later(self.flush)
        self._pending.add(what)

    def flush(self) -> None:
        changes, self._pending = self._pending, set()
        if not self.is_running:
            return  # shutting down: the screens' widgets are being removed
        self.update_headers()
        update = getattr(self.screen, "live_update", None)
        if update is not None and self.screen.is_mounted:  # else it fills itself when shown
            update(changes)

    def tick(self) -> None:
        if not self.is_running:
            return  # the timer runs in its own task and can fire mid-shutdown
        self._ticks += 1
        if self.alerting.active and self._ticks % ALERTS_EVALUATED_EVERY_S == 0:
            self.alerting.watcher.evaluate()  # what time alone changes: a `for` has lasted
        self.update_headers()
        if not self.screen.is_mounted:
            return  # just pushed: its widgets are not there yet
        if hasattr(self.screen, "update_problems"):
            self.screen.update_problems()
        if not self.paused and hasattr(self.screen, "tick"):
            self.screen.tick()

    def update_headers(self) -> None:
        for header in self.screen.query(ServerHeader):
            header.update_state()

    async def run_action(self, action: str | ActionParseResult,
                         default_namespace: DOMNode | None = None,
                         namespaces: Mapping[str, DOMNode] | None = None) -> bool:
        """As Textual's; a key of an action refused in read-only mode says so instead of
        doing nothing."""
        if await super().run_action(action, default_namespace, namespaces):
            return True
        name = action.split("(", 1)[0].rsplit(".", 1)[-1] if isinstance(action, str) else ""
        if name not in REFUSED_WHEN_READ_ONLY:
            return False
        if self.read_only:
            self.notify(f"read-only mode: {REFUSED_WHEN_READ_ONLY[name]}", severity="warning")
            return True
        if self.data.past is not None:
            self.notify(f"showing the past: {REFUSED_WHEN_READ_ONLY[name]} (T, then live, "
                        "to act)", severity="warning")
            return True
        return False

    # ---- alerts ----------------------------------------------------------------------------

    def alerts_told(self, changes: list[AlertChange]) -> None:
        """The engine's changes: the banner and the Alerts view follow; a firing, a change
        of severity and a clearing pop up as well."""
        self.data.alerts = self.alerting.engine.firing
        for change in changes:
            if change.change in (Change.FIRED, Change.SEVERITY, Change.CLEARED):
                alert = change.alert
                severity = "information" if change.change is Change.CLEARED else \
                    "error" if alert.severity == CRITICAL else "warning"
                self.notify(alert.message, title=f"alert {change.change}: {alert.rule}",
                            severity=severity, timeout=10, markup=False)
        self.changed(ALERTS)

    def acknowledge_alert(self, key: Key) -> None:
        self.alerting.watcher.acknowledge(key, self.audit.user())

    def snooze_alert(self, key: Key) -> None:
        alert = next((a for a in self.alerting.engine.firing if a.key == key), None)
        if alert is None:
            return
        now = self.alerting.watcher.clock()
        start = max(now, alert.snoozed_until) if alert.snoozed_until else now
        self.alerting.watcher.snooze(key, start + timedelta(seconds=SNOOZE_S),
                                     self.audit.user())

    # ---- views -----------------------------------------------------------------------------

    def action_mode(self, mode: str) -> None:
        self.show_mode(mode)

    def show_mode(self, mode: str) -> None:
        """The view itself (`o` the overview, not the drill-down last opened from it): the
        live views pushed on it are closed, an editor or a dialog is not."""
        self.switch_mode(mode)
        while len(self.screen_stack) > 1 and isinstance(self.screen, LiveScreen):
            self.pop_screen()

    def action_open_features(self, server: str | None) -> None:
        self.open_features(server)

    def open_features(self, server: str | None) -> None:
        """All servers: the features view; one server: drill down from where we are."""
        if server is None:
            self.show_mode("features")
        elif server not in self.data.states:
            self.notify(f"no server named {server!r}", severity="warning")
        else:
            self.push_screen(FeaturesScreen(self.data, server))

    def action_open_seats(self, server: str | None, feature: str) -> None:
        self.open_seats(server, feature)

    def open_seats(self, server: str | None, feature: str) -> None:
        self.push_screen(SeatsScreen(self.data, server, feature))

    # ---- reports ---------------------------------------------------------------------------

    def action_reports(self) -> None:
        if self.open_history is None:
            self.notify("no history to report on: this console records none "
                        "(record_history = false)", severity="warning")
            return
        first = self.data.servers[0] if self.data.servers else None
        self.push_screen(ReportsScreen(self.history_report, export_report,
                                       self.data.display_tz, lambda: self.data.now(first)))

    def action_directory(self) -> None:
        if self.open_history is None:
            self.notify("no history to read the directory from: this console records none "
                        "(record_history = false)", severity="warning")
            return
        self.push_screen(DirectoryScreen(self.directory_groups,
                                         lambda: self.data.states.values()))

    def action_pools(self) -> None:
        if not self.pools:
            self.notify("no allocation pools configured: add [[pools]] to the configuration",
                        severity="warning")
            return
        if self.open_history is None:
            self.notify("no history to read the pools' groups from: this console records "
                        "none (record_history = false)", severity="warning")
            return
        self.push_screen(PoolsScreen(self.pool_views, lambda: self.data.states.values()))

    async def pool_views(self) -> list[PoolView]:
        """The pools with their users and seats as of now at each server."""
        from lmconsole.managed.plan import pool_allocations

        store = await self.history_store()
        views = []
        for server in sorted({pool.server for pool in self.pools}):
            pools = [pool for pool in self.pools if pool.server == server]
            at = int(self.data.live_now(server).timestamp())
            allocations, _ = await pool_allocations(store, pools, at)
            views += [PoolView(server, a.name, pool.team, a.users, a.seats, a.manager)
                      for pool, a in zip(pools, allocations, strict=True)]
        return views

    async def directory_groups(self) -> DirectoryGroups:
        """The groups as the history has them at the moment shown (now, or the past)."""
        from lmconsole.directory.model import MEMBER_GROUP
        from lmconsole.history.directory import members_as_of, users_as_of

        store = await self.history_store()
        at = int(self.data.now().timestamp())
        members = await members_as_of(store, at)
        nesting = await members_as_of(store, at, kinds=(MEMBER_GROUP,))
        users = await users_as_of(store, at)
        groups = set(members) | set(nesting)
        return DirectoryGroups(
            members={group: frozenset(members.get(group, ())) for group in groups},
            within={child: parent for parent, children in sorted(nesting.items())
                    for child in children},
            names={login: user.display_name or "" for login, user in users.items()})

    async def history_report(self, name: str, start: int, end: int, *,
                             servers: tuple[str, ...] = (), features: tuple[str, ...] = (),
                             **options):
        """Report `name` on the history (lmconsole.reports) for the period and filters."""
        from lmconsole.reports import REPORTS
        from lmconsole.reports.base import Question

        store = await self.history_store()
        question = Question(start, end, self.data.display_tz, servers, features)
        if name == "projects":
            options.setdefault("rules", self.project_rules)
        return await REPORTS[name](store, question, **options)

    async def feature_report(self, name: str, server: str | None, feature: str, start: int,
                             end: int, **options):
        return await self.history_report(name, start, end, features=(feature,),
                                         servers=(server,) if server else (), **options)

    # ---- the past ------------------------------------------------------------------------

    def action_past(self) -> None:
        if self.open_history is None:
            self.notify("no history to show the past from: this console records none "
                        "(record_history = false)", severity="warning")
            return
        shown = self.data.now(self.data.servers[0] if self.data.servers else None)
        self.push_screen(PastDialog(f"{shown.astimezone(self.data.display_tz):%Y-%m-%d %H:%M}"),
                         self.go_to_moment)

    def action_step_past(self, seconds: int) -> None:
        """The past shown a minute or an hour earlier or later; live again past now."""
        if self.data.past is None:
            self.notify("T first: these keys step through the past it shows",
                        severity="warning")
            return
        moment = self.data.past.at + timedelta(seconds=seconds)
        first = self.data.servers[0] if self.data.servers else None
        if moment >= self.data.live_now(first):
            self.show_live()
        else:
            self.run_worker(self.show_past(moment), name="past", group="past", exclusive=True)

    def go_to_moment(self, answer: str | None) -> None:
        if answer is None:
            return
        first = self.data.servers[0] if self.data.servers else None
        try:
            moment = parse_moment(answer, self.data.live_now(first), self.data.display_tz)
        except ValueError as error:
            self.notify(str(error), severity="warning")
            return
        if moment is None:
            self.show_live()
        else:
            self.run_worker(self.show_past(moment), name="past", group="past", exclusive=True)

    async def show_past(self, moment: datetime) -> None:
        """Every view as the history has the servers at `moment`."""
        from lmconsole.history.past import server_at

        store = await self.history_store()
        at = int(moment.timestamp())
        states, events = {}, []
        for name in self.data.servers:
            past = await server_at(store, name, at)
            states[name] = ServerState(name, past.status if past else None, moment,
                                       error=None if past else "no history of this server")
            events += past.events if past else []
        events.sort(key=lambda event: event.at)
        logged = deque(Logged(n, event, 0.0) for n, event in enumerate(events))
        denials = deque(entry for entry in logged if entry.event.kind is EventKind.DENIED)
        self.data.past = PastView(moment, states, logged, denials)
        self.changed(STATES)
        self.changed(EVENTS)
        self.screen.refresh_bindings()
        self.notify(f"as of {moment.astimezone(self.data.display_tz):%Y-%m-%d %H:%M}: "
                    f"T then live to return", timeout=5)

    def show_live(self) -> None:
        if self.data.past is None:
            return
        self.data.past = None
        self.changed(STATES)
        self.changed(EVENTS)
        self.screen.refresh_bindings()

    async def history_store(self) -> HistoryStore:
        """The store the console records into, else one opened to read."""
        if self.recorder is not None:
            return self.recorder.store
        if self._chart_store is None:
            self._chart_store = await self.open_history()
        return self._chart_store

    def open_history_chart(self, server: str | None, feature: str) -> None:
        """A feature's use over time (of one server, or summed over all of them)."""
        if self.open_history is None:
            self.notify("no history to chart: this console records none "
                        "(record_history = false)", severity="warning")
            return
        clock = self.servers[server].clock if server in self.servers else utc_now
        self.push_screen(HistoryScreen(self.history_series, server, feature,
                                       self.data.display_tz, clock, self.feature_report))

    async def history_series(self, server: str | None, feature: str, start: int, end: int,
                             points: int):
        from lmconsole.reports.base import Question
        from lmconsole.reports.series import usage_series

        store = await self.history_store()
        question = Question(start, end, self.data.display_tz, (server,) if server else ())
        return await usage_series(store, question, feature, points)

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.update_headers()
        if not self.paused:
            self._pending |= {STATES, EVENTS}
            self.flush()
        elif hasattr(self.screen, "update_title"):
            self.screen.update_title()

    def action_refresh_servers(self) -> None:
        for name in self.monitor.monitors:
            self.monitor.refresh(name)
        self.notify("polling every server now", timeout=2)

    def action_next_theme(self) -> None:
        names = [t.name for t in THEMES]
        self.theme = names[(names.index(self.theme) + 1) % len(names)] \
            if self.theme in names else names[0]

    def action_set_theme(self, name: str) -> None:
        if name in self.available_themes:
            self.theme = name
        else:
            self.notify(f"no theme named {name!r}", severity="warning")

    # ---- the editor of options and licence files -----------------------------------------------

    def action_edit_options(self, server: str | None) -> None:
        self.edit_file(server, "options")

    def action_edit_license(self, server: str | None) -> None:
        self.edit_file(server, "license")

    def edit_file(self, name: str | None, kind: str = "options",
                  vendor: str | None = None) -> None:
        """Open the editor on a server's options (or licence) file: the named server, else the
        one the view shows or has selected, else the only server with such a file. Options
        files: that of `vendor`, else of the daemon the selected feature belongs to; asked
        when the server has several vendor daemons' files and neither tells which."""
        name = name or self.selected_server(kind)
        server = self.servers.get(name) if name else None
        if server is None:
            self.notify("select a server first (its row in the overview)", severity="warning")
            return
        if not hasattr(server.transport, "write_atomic"):
            self.notify(f"{server.name}: its files cannot be reached through its transport",
                        severity="warning")
            return
        if kind == "license":
            if not getattr(server.config, "license_file", None):
                self.notify(f"{server.name}: no license_file in its configuration",
                            severity="warning")
                return
            self.open_editor(server, kind)
            return
        vendor = vendor or self.selected_vendor(server.name)
        configured = configured_options_files(server.config)
        if configured or not getattr(server.config, "license_file", None):
            self.choose_options_file(server, configured, vendor, from_licence=False)
        else:
            self.find_options_files(server, vendor)

    @work(group="edit-options", exclusive=True, exit_on_error=False)
    async def find_options_files(self, server: ConsoleServer, vendor: str | None) -> None:
        """The options files the VENDOR lines of the server's licence file name."""
        try:
            found = await options_files(server.transport, server.config, server.adapter)
        except TransportError as error:
            self.notify(f"{server.name}: no options_file in its configuration, and its licence "
                        f"file cannot be read for the VENDOR lines' options files: {error}",
                        severity="warning", markup=False)
            return
        self.choose_options_file(server, found, vendor, from_licence=True)

    def choose_options_file(self, server: ConsoleServer, files: list[DaemonOptionsFile],
                            vendor: str | None, *, from_licence: bool) -> None:
        """Open the file of `vendor`, or the only one, else ask. `from_licence`: the
        VENDOR lines named the files (the editor then says which line)."""
        if not files:
            where = (" and its licence file's VENDOR lines name none"
                     if getattr(server.config, "license_file", None) else "")
            self.notify(f"{server.name}: no options_file or options_files in its "
                        f"configuration{where}", severity="warning", markup=False)
            return
        if len(files) == 1:
            self.open_options_file(server, files[0], daemon=None,
                                   origin=files[0].origin if from_licence else None)
            return
        wanted = [f for f in files if vendor and f.vendor == vendor]
        if wanted:
            self.open_options_file(server, wanted[0], daemon=vendor, origin=wanted[0].origin)
            return
        if vendor:
            self.notify(f"{server.name}: no options file known for the vendor daemon {vendor}",
                        severity="warning", markup=False)

        def chosen(index: int | None) -> None:
            if index is not None:
                file = files[index]
                self.open_options_file(server, file, daemon=file.vendor, origin=file.origin)

        self.push_screen(DaemonChoiceScreen(server.name, files), callback=chosen)

    def open_options_file(self, server: ConsoleServer, file: DaemonOptionsFile,
                          **shown) -> None:
        """The editor on one daemon's options file; its lmreread, restart and checks are that
        daemon's (the server's configuration narrowed to it). `shown`: the daemon for the
        title and the origin of the path for the status, as EditorScreen takes them."""
        config = replace(server.config, options_file=file.path,
                         vendor=file.vendor or getattr(server.config, "vendor", None))
        self.open_editor(replace(server, config=config), "options", **shown)

    def open_editor(self, server: ConsoleServer, kind: str, **options) -> None:
        from lmconsole.screens.editor import EditorScreen

        self.push_screen(EditorScreen(server, kind=kind, audit=self.audit,
                                      read_only=self.read_only, data=self.data,
                                      regenerate=self.regenerate_for(server), **options))

    def regenerate_for(self, server: ConsoleServer):
        """What regenerates the managed blocks of the server's options file; None when it
        has none, or there is no history to read the directory's groups from."""
        managed = [m for m in self.managed_groups if m.server == server.name]
        pools = [p for p in self.pools if p.server == server.name]
        if not (managed or pools) or self.open_history is None:
            return None

        async def regenerate(text: str, license_text: str | None):
            from lmconsole.managed.plan import regenerate as regenerated

            try:
                blocks = server.adapter.options_blocks()
            except NotImplementedError as error:
                return None, [str(error)], []
            return await regenerated(blocks, text, license_text,
                                     store=await self.history_store(),
                                     at=int(self.data.live_now(server.name).timestamp()),
                                     managed=managed, pools=pools)

        return regenerate

    def selected_server(self, kind: str = "options") -> str | None:
        screen = self.screen
        named = getattr(screen, "server", None)
        if isinstance(named, str):
            return named
        if isinstance(screen, OverviewScreen) and isinstance(screen.table.cursor_key, str):
            return screen.table.cursor_key
        editable = [n for n, s in self.servers.items() if has_file(s.config, kind)]
        return editable[0] if len(editable) == 1 else None

    def selected_vendor(self, server: str) -> str | None:
        """The vendor daemon of the feature the view shows or has selected on `server`."""
        screen = self.screen
        feature, place = getattr(screen, "feature", None), None
        key = screen.table.cursor_key if isinstance(screen, FeaturesScreen) else None
        if isinstance(key, tuple) and len(key) == 3:
            _, feature, place = key  # the place-th feature of that name (one per daemon)
        state = self.data.states.get(server)
        if not isinstance(feature, str) or state is None or state.status is None:
            return None
        named = [f for f in state.status.features if f.name == feature]
        if place is not None and place <= len(named):
            named = [named[place - 1]]
        vendors = {f.vendor for f in named if f.vendor}
        return vendors.pop() if len(vendors) == 1 else None

    # ---- help, command line, palette -------------------------------------------------------

    def console_commands(self) -> list[ConsoleCommand]:
        return console_commands(self.data, [t.name for t in THEMES])

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        keys = key_help(self.screen.active_bindings, self.get_key_display)
        commands = [(c.text, c.help) for c in self.console_commands() if c.main]
        commands += [("SERVER", "the features of that server"),
                     ("seats FEATURE", "who holds a feature (Tab completes names)")]
        title = f"Keys on this screen ({type(self.screen).__name__.removesuffix('Screen')})"
        self.push_screen(HelpScreen(keys, commands, title))

    def action_notes(self) -> None:
        if not isinstance(self.screen, NotesScreen):
            self.push_screen(NotesScreen([note for server in self.data.servers
                                          for note in self.data.notes(server)]))

    def action_command_line(self) -> None:
        texts = [c.text for c in self.console_commands()]
        self.push_screen(CommandLine(texts), callback=self.run_command_line)

    def run_command_line(self, text: str | None) -> None:
        if not text:
            return
        command = resolve(text, self.console_commands())
        if command is None:
            self.notify(f"unknown command :{text} (? lists the commands)", severity="warning")
            return
        self.call_next(self.run_action, command.action)

    # ---- SSH first contact ----------------------------------------------------------------

    async def ask_unknown_host(self, host: str, key_type: str, fingerprint: str) -> bool:
        """Ask the person whether to trust a host key seen for the first time. A refused key
        is not asked about again in this session (the monitor retries on its own)."""
        if (host, fingerprint) in self.refused_host_keys:
            return False
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def answered(accepted: bool | None) -> None:
            if not answer.done():
                answer.set_result(accepted is True)

        self.push_screen(UnknownHostScreen(host, key_type, fingerprint), callback=answered)
        if not await answer:
            self.refused_host_keys.add((host, fingerprint))
            return False
        return True

    # ---- freeing seats (lmremove) ----------------------------------------------------------

    def request_lmremove(self, seats: Sequence[Seat]) -> None:
        """Ask, showing the exact commands; then run them, audit them and poll again."""
        if self.read_only:
            self.notify("read-only mode: seats cannot be freed", severity="warning")
            return
        plan = []
        for seat in seats:
            server = self.servers.get(seat.server)
            if server is None:
                continue
            status = self.data.states[seat.server].status
            try:
                argv = server.adapter.remove_argv(server.config, status, seat.feature,
                                                  seat.checkout)
            except ValueError as error:  # the status lacks what the command needs
                self.notify(str(error), title="cannot free this seat", severity="warning",
                            markup=False)
                continue
            plan.append((seat, argv))
        if not plan:
            return
        try:
            self.audit.check()
        except OSError as error:
            self.notify(f"the audit log {self.audit.path} cannot be written ({error.strerror}); "
                        "nothing was changed", title="lmremove refused", severity="error",
                        timeout=10)
            return
        details = [seat_description(seat, self.data) for seat, _ in plan]
        count = len(plan)
        question = (f"Free {count} seats? Each user's application loses its licence at once."
                    if count > 1 else
                    "Free this seat? The user's application loses its licence at once.")
        self.push_screen(
            ConfirmScreen(question, details, [shell_text(argv) for _, argv in plan],
                          "Free seats" if count > 1 else "Free seat"),
            callback=lambda yes: yes and self.run_lmremove(plan))

    @work(group="admin", exit_on_error=False)
    async def run_lmremove(self, plan: list[tuple[Seat, list[str]]]) -> list[dict]:
        records = []
        for seat, argv in plan:
            transport = self.servers[seat.server].transport
            reconnect_now(transport)
            try:
                result = await transport.run(argv, timeout=COMMAND_TIMEOUT_S)
            except TransportError as error:
                code, output, outcome = None, str(error), "failed"
            else:
                code = result.exit_code
                output = (result.stdout + result.stderr).strip()
                outcome = "ok" if code == 0 else "failed"
            records.append(self.audit.record(server=seat.server, command=argv, outcome=outcome,
                                             exit_code=code, output=output, action="lmremove",
                                             subject=seat_subject(seat)))
            self.show_result(seat, outcome, output)
        for server in {seat.server for seat, _ in plan}:
            if server in self.monitor.monitors:
                self.monitor.refresh(server)
        return records

    def show_result(self, seat: Seat, outcome: str, output: str) -> None:
        who = f"{seat.checkout.user}@{seat.checkout.host}"
        if outcome == "ok":
            self.notify(f"freed {seat.feature} held by {who} on {seat.server}",
                        title="lmremove done")
        else:
            reason = last_line(output) or "no output"
            self.notify(f"{seat.feature} held by {who} on {seat.server}: {reason}",
                        title="lmremove failed", severity="error", timeout=10)


def has_file(config, kind: str) -> bool:
    """Whether a server's configuration names a file of `kind` to edit (an options file:
    also through its licence file's VENDOR lines)."""
    if kind == "license":
        return bool(getattr(config, "license_file", None))
    return bool(configured_options_files(config) or getattr(config, "license_file", None))


def console_server(config, adapter: LicenceManagerAdapter,
                   transport: Transport | None = None) -> ConsoleServer:
    """A configured server for the console; a simulated one (transport = "sim") keeps the
    simulator's own clock and date. Without a transport, an SSH server gets one that asks
    the person about an unknown host key (see ssh_transport)."""
    if transport is None:
        transport = ssh_transport(config)
    if not getattr(transport, "simulated", False):
        return ConsoleServer(config, adapter, transport)
    return ConsoleServer(config, adapter, transport, clock=sim_clock(transport.server))


def ssh_transport(config) -> Transport:
    """The console's SSH transport for a configured server: kept alive, and asking (in a
    dialog, through UnknownHostQuestion) about a host key seen for the first time."""
    from lmconsole.adapters.transports.ssh import SshTransport
    from lmconsole.config import ssh_keepalive

    if config.transport != "ssh":
        raise ValueError(f"server {config.name}: transport {config.transport!r} is not ssh")
    return SshTransport(config.ssh_host, user=config.ssh_user, port=config.ssh_port,
                        config_paths=[config.ssh_config] if config.ssh_config else None,
                        known_hosts=config.known_hosts, ask_unknown_host=UnknownHostQuestion(),
                        **ssh_keepalive(config))


def demo_servers(speed: float | None = 60.0, files: Path | None = None,
                 now: datetime | None = None) -> list[ConsoleServer]:
    """The built-in simulated servers (lmconsole.demo), each on its own clock: reading `now`
    at first (None: each scenario's own busy morning, the same every run), then running
    `speed` times real time, or a manual clock (speed None) that tests move on. Their
    licence and options files are copied under `files` (default: a directory removed at
    exit), where the editor changes them and lmreread reads them."""
    from lmconsole.adapters import ADAPTERS
    from lmconsole.demo import (
        DEMO_SERVERS,
        demo_directory,
        demo_files,
        demo_scenario,
        simulator_of,
        start_simulator,
    )

    files = files or demo_directory()
    servers = []
    for demo in DEMO_SERVERS:
        scenario = demo_scenario(demo.scenario, now, manager=demo.manager)
        demo = demo_files(demo, files, scenario)
        simulator = start_simulator(scenario, demo.seed, speed=speed,
                                    licence_path=Path(demo.sim_licence), manager=demo.manager)
        transport = simulator_of(demo.manager).transport(simulator, log_path=demo.debug_log)
        servers.append(console_server(demo, ADAPTERS[demo.manager], transport))
    return servers


def demo_app(speed: float | None = 60.0, *, files: Path | None = None,
             now: datetime | None = None, history_days: int = 0, **options) -> LMConsoleApp:
    """The console on the demo servers (`options` as for LMConsoleApp). Everything the demo
    writes, its servers' files and their backups, its audit log and its history database,
    stays under `files` (default: a directory removed at exit), never in the user's own
    state."""
    from lmconsole.demo import demo_directory
    from lmconsole.history.store import HistoryStore

    files = files or demo_directory()
    database = f"sqlite+aiosqlite:///{files / 'history.db'}"
    options.setdefault("history", lambda: HistoryStore.open(database))
    if history_days:
        options["fill_history"] = partial(demo_past, files=files, now=now, days=history_days)
    from lmconsole.demo import demo_rules

    options.setdefault("alerts", demo_rules())
    return LMConsoleApp(demo_servers(speed, files, now=now),
                        audit=AuditLog(files / "audit.log"), **options)


async def demo_past(store: HistoryStore, *, files: Path, now: datetime | None,
                    days: int) -> str:
    """The demo's history filled with `days` days of its servers' past; what was done."""
    from lmconsole.demo import fill_history

    started = time.monotonic()
    sessions = await fill_history(store, files, now, days)
    return (f"History: {days} days of the demo servers' past, {sessions:,} checkout "
            f"sessions, imported in {time.monotonic() - started:.0f} s")


def denial_words(servers: Iterable[ConsoleServer]) -> ReasonWords:
    """How the denials screen words a reason: as the servers' licence manager does; as the
    log wrote it when they run different ones (the screen does not say whose it is)."""
    adapters = {server.adapter.kind: server.adapter for server in servers}
    return next(iter(adapters.values())).denial_words if len(adapters) == 1 else plain_reason


def export_report(report) -> str:
    """A report's rows as CSV in the working directory; the file's path."""
    from lmconsole.reports.output import write_csv

    day = datetime.fromtimestamp(report.question.end, UTC).date()
    path = Path.cwd() / f"lmconsole-{report.name}-{day.isoformat()}.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        write_csv(out, report)
    return str(path)


def sim_clock(simulator) -> Clock:
    return lambda: datetime.fromtimestamp(simulator.clock.now(), UTC)


def seat_subject(seat: Seat) -> dict:
    """Whose seat it was, for the audit record of freeing it."""
    checkout = seat.checkout
    return {"feature": seat.feature, "user": checkout.user, "host": checkout.host,
            "display": checkout.display, "handle": checkout.handle,
            "start": checkout.start.isoformat() if checkout.start else None,
            "borrowed": checkout.borrowed}


def seat_description(seat: Seat, data: LiveData) -> str:
    checkout = seat.checkout
    since = ""
    if checkout.start is not None:
        held = (data.now(seat.server) - checkout.start).total_seconds()
        since = f" since {day_time(checkout.start, data.display_tz)} ({duration(held)})"
    return (f"{seat.feature} on {seat.server}: {checkout.user}@{checkout.host} "
            f"display {checkout.display}{since}, handle {checkout.handle}")


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def shell_text(argv: Sequence[str]) -> str:
    return shlex.join(argv)
