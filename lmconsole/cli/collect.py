"""`lmconsole collect`: headless, for systemd; follows every configured server and writes the
history (lmconsole.history.recorder) until it is stopped (SIGTERM, SIGINT).

Each of a server's debug logs is followed on from where the history says it was last read
(the same file, or the file it was rotated to), so that a collector killed at any moment, or
a machine rebooted, loses nothing and counts nothing twice. A log never read before is read
from its start: the checkouts still open were made before the collector began. What it does
is said on standard error, one line each (systemd's journal keeps them). No Textual here.
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import signal
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lmconsole.inputs import InputError
from lmconsole.snapshot import EXIT_OK

from .common import PROG
from .database import configuration, database_option, open_store, run_on_store

if TYPE_CHECKING:
    import asyncio


def add_parser(commands) -> None:
    collect = commands.add_parser(
        "collect", parents=[database_option()],
        help="record the configured servers into the history, until stopped",
        description="Follow every configured server (its debug log and its status) and "
                    "write what happens into the history, until SIGTERM or Ctrl-C. Started "
                    "again, it goes on where it stopped, also across a rotated log. Meant to "
                    "run under systemd (see config/lmconsole-collect.service). Exit 0 when "
                    "stopped, 2 for a bad configuration, 3 when the database cannot be "
                    "reached.")
    collect.add_argument("--server", metavar="NAME", action="append",
                         help="a configured server (repeatable; default: all of them)")
    collect.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return run_on_store(collect, args)


async def collect(args: argparse.Namespace) -> int:
    import asyncio

    from lmconsole.audit import audit_path
    from lmconsole.history.audit_copy import AuditCopy
    from lmconsole.history.occupancy import Retention
    from lmconsole.history.recorder import HistoryRecorder
    from lmconsole.monitor import Fanout, Monitor, ServerMonitor, followed_logs
    from lmconsole.snapshot import close_transport

    from .servers import server_queries

    config = configuration(args)
    if not config.servers:
        raise InputError("no servers configured: `lmconsole config init` writes a commented "
                         "example; add your servers to it")
    queries = server_queries(config, args.server)
    store = await open_store(args, config)
    recorder = HistoryRecorder(store, retention=Retention(**dict(config.retention)),
                               audit=AuditCopy(audit_path(config)))
    said = Said()
    alerts = await alert_service(config, store, said)
    monitors, resumes = [], []
    for query in queries:
        server = query.config
        resumes.append(await recorder.add_server(server.name, manager=query.adapter.kind,
                                                 time_zone=server.timezone,
                                                 log_paths=followed_logs(server),
                                                 poll_interval_s=server.poll_interval_s))
        monitors.append(ServerMonitor(server, query.adapter, query.transport,
                                      Fanout(recorder, said, alerts.watcher)))
    # at once: a server that does not answer holds up the others no longer than itself
    unread = await asyncio.gather(*(resume_imported(monitor, recorder, server_resumes)
                                    for monitor, server_resumes in zip(monitors, resumes)))
    for monitor, server_resumes, heads_unread in zip(monitors, resumes, unread):
        resume_logs(monitor, server_resumes, said, heads_unread)
    monitor = Monitor(monitors)
    writer = asyncio.create_task(recorder.run(), name="recorder")
    monitor.start()
    alerts.start()
    try:
        await until_stopped(writer)
    finally:
        await monitor.stop()
        await alerts.stop()
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
        await recorder.close()
        await asyncio.gather(*(close_transport(query.transport) for query in queries))
        await store.close()
        said.stopped(recorder)
    return EXIT_OK


async def resume_imported(monitor, recorder, resumes: dict) -> set[str]:
    """Each log never followed that `lmconsole import` read (the same file: its first bytes
    are the same) added to `resumes`, at where the import read it to. Returns the paths of
    those whose first bytes could not be read, which cannot be told imported or not."""
    import asyncio

    from lmconsole.history.logfiles import IDENTITY_BYTES

    if not await recorder.has_imports(monitor.config.name):
        return set()  # nothing to look for: the server is not asked (it may be unreachable)
    paths = [path for path in monitor.logs if path not in resumes]
    heads = await asyncio.gather(*(monitor.log_head(path, IDENTITY_BYTES) for path in paths))
    unread = set()
    for path, candidates in zip(paths, heads):
        if not candidates:
            unread.add(path)
        elif resume := await recorder.imported_resume(monitor.config.name, candidates):
            resumes[path] = resume
    return unread


def resume_logs(monitor, resumes: dict, said: Said, heads_unread: set[str]) -> None:
    """Each log of the monitor's server followed on from where the history says it was last
    read (`resumes`, by path), or from its start (`heads_unread`: those whose first bytes
    could not be read to tell whether an import read them)."""
    from lmconsole.transport import LogPosition

    server = monitor.config
    for log in monitor.logs.values():
        resume = resumes.get(log.path)
        if resume is not None:
            log.position = resume.position
            log.lost_from = resume.read_at  # lines lost meanwhile: a gap since then
            if resume.last_at is not None:  # the date of its lines until one names it
                log.date = resume.last_at.astimezone(server.tz).date()
        else:  # never read: all of it, from its start (the file it is now)
            log.position = LogPosition(None, 0)
        said.starting(server.name, log.path, resume, head_unread=log.path in heads_unread)
    if not monitor.logs:
        said.starting(server.name, None, None)


async def alert_service(config, store, said: Said):
    """The configuration's alert rules on what the collector sees, going on from the alerts
    the history says fire: every change recorded in the history and said on standard
    error; the hook and e-mail told unless the configuration has the console deliver
    them."""
    from lmconsole.alerts.rules import rules_in_force
    from lmconsole.alerts.service import AlertService

    delivery = config.alerting
    alerts = AlertService(rules_in_force(config), lambda: datetime.now(UTC),
                          true_denial_window_s=config.true_denial_window_s,
                          delivery=delivery if delivery and delivery.delivered_by("collect")
                          else None,
                          said=lambda text: said.say("alerts", text),
                          listeners=[said.alert_changes])
    await alerts.resume_from(store)
    if firing := alerts.engine.firing:
        said.say("alerts", f"{len(firing)} alert(s) firing when last stopped: going on with "
                           "them, not told again as new")
    return alerts


async def until_stopped(writer: asyncio.Task) -> None:
    """Until SIGTERM or SIGINT; or until the writer fails (a database gone for good), which
    raises its error: exit non-zero, for systemd to start the collector again."""
    import asyncio

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1`: where each thread is, on stderr
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([stopping, writer], return_when=asyncio.FIRST_COMPLETED)
        if writer.done():
            writer.result()
    finally:
        stopping.cancel()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


class Said:
    """The collector's account of itself on standard error: one line a change, with the
    time (UTC), so that systemd's journal or a log file tells what happened when."""

    def __init__(self, out=sys.stderr) -> None:
        self.out = out
        self.failing: dict[str, str] = {}  # server -> the error last said

    def say(self, server: str, text: str) -> None:
        at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        print(f"{at} {PROG} collect: {server}: {text}", file=self.out, flush=True)

    def starting(self, server: str, log_path: str | None, resume, *,
                 head_unread: bool = False) -> None:
        if log_path is None:
            self.say(server, "polling its status (no debug_log configured)")
        elif resume is None and head_unread:
            self.say(server, f"following {log_path} from its start: its first bytes could "
                             f"not be read to tell whether `lmconsole import` read it (rows "
                             f"recorded already are not written again)")
        elif resume is None:
            self.say(server, f"following {log_path} from its start (never read before)")
        elif resume.imported:
            self.say(server, f"following {log_path} on from byte "
                             f"{resume.position.offset:,}, where `lmconsole import` read it to")
        else:
            self.say(server, f"following {log_path} on from byte "
                             f"{resume.position.offset:,}, where it was last read")

    def stopped(self, recorder) -> None:
        self.say("all servers", f"stopped; {recorder.events_written:,} events written")

    # ---- the monitor's Listener calls that are worth a line ---------------------------------

    def state_changed(self, state) -> None:
        if state.error is not None and self.failing.get(state.name) != state.error:
            self.say(state.name, f"status: {state.error}")
            self.failing[state.name] = state.error
        elif state.error is None and self.failing.pop(state.name, None) is not None:
            self.say(state.name, "status: answering again")

    def follow_failed(self, server: str, error: str) -> None:
        self.say(server, f"debug log: {error}; trying again")

    def follow_started(self, server: str) -> None:
        self.say(server, "debug log: read again, on from where it stopped")

    def log_gap(self, gap) -> None:
        self.say(gap.server, f"debug log: lines lost from {gap.since:%Y-%m-%d %H:%M:%S} to "
                             f"{gap.until:%Y-%m-%d %H:%M:%S}: {gap.reason}")

    def log_diagnostic(self, diagnostic) -> None:
        pass  # a line not understood: the history's import summary is where those are read

    def alert_changes(self, changes) -> None:
        for change in changes:
            alert = change.alert
            self.say(alert.labels.get("server", "alerts"),
                     f"alert {change.change} ({alert.severity}, {alert.rule}): {alert.message}")
