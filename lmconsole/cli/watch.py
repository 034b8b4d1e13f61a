"""`lmconsole watch`: the alerts of the configured servers, for cron, Nagios/Icinga and
Zabbix.

`--once` polls every server once and evaluates the rules on what it saw (a condition seen
counts as having lasted its `for`: the monitoring system repeats the check). It prints one
status line first (what Nagios shows), then each firing alert as a JSON line, and exits with
Nagios's codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a server not read that no rule speaks
for, or a bad configuration). Without `--once` it follows the servers as the console does
and prints every change of an alert as a JSON line as it happens, until stopped (SIGTERM,
Ctrl-C); then the status line and the exit code of the alerts firing. No Textual here.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from lmconsole.inputs import InputError

from .common import PROG, load_config


def add_parser(commands) -> None:
    from .database import database_option

    watch = commands.add_parser(
        "watch", parents=[database_option()],
        help="print the alerts of the configured servers as JSON lines",
        description="Evaluate the [[alerts]] rules of the configuration (without any: the "
                    "default rules) on the configured servers. --once: one look, a status "
                    "line then the firing alerts as JSON lines; denials and unread logs are "
                    "taken from the history `collect` keeps, when there is one. Without: "
                    "every change as a JSON line, until stopped. Exit codes as Nagios reads "
                    "them: 0 OK, 1 warning, 2 critical, 3 unknown.")
    watch.add_argument("--once", action="store_true",
                       help="poll every server once, print and exit (for cron and Nagios)")
    source = watch.add_mutually_exclusive_group()
    source.add_argument("--demo", action="store_true",
                        help="the built-in simulated servers, with the demo's rules")
    source.add_argument("--server", metavar="NAME", action="append",
                        help="a configured server (repeatable; default: all of them)")
    watch.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import asyncio  # here: every other command would pay for it at start-up

    from lmconsole.alerts.nagios import UNKNOWN

    try:
        return asyncio.run(watch_once(args) if args.once else watch(args))
    except InputError as error:  # Nagios reads 2 as CRITICAL: a bad set-up is UNKNOWN
        print(f"LMCONSOLE UNKNOWN - {error}".splitlines()[0])
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return UNKNOWN


class Watched(NamedTuple):
    rules: tuple
    queries: list
    true_denial_window_s: int
    config: object | None  # None for the demo


def watched(args: argparse.Namespace, *, speed: float | None = None) -> Watched:
    from lmconsole.alerts.rules import rules_in_force

    if args.demo:
        from lmconsole.demo import demo_queries, demo_rules

        # one look: each server on its own busy morning, as `snapshot --demo` shows them
        return Watched(demo_rules(), demo_queries(speed=speed, now=None if speed is None else
                                                  datetime.now(UTC)), 10, None)
    from .servers import server_queries

    config = load_config(args)
    return Watched(rules_in_force(config), server_queries(config, args.server),
                   config.true_denial_window_s, config)


async def watch_once(args: argparse.Namespace) -> int:
    from lmconsole.alerts.engine import severity_rank
    from lmconsole.alerts.nagios import exit_code, status_line, unknown_servers
    from lmconsole.model import Status
    from lmconsole.snapshot import snapshot_of

    what = watched(args)
    store = await history_of(args, what)
    alerts, servers = [], []
    try:
        for query in what.queries:  # each at its own time: the demo's live on different days
            now = server_now(query)
            snapshot = await snapshot_of([query], now)
            past = await from_history(store, what.rules, query.config.name, now)
            alerts += one_look(what, snapshot.servers, now, past)
            servers += snapshot.servers
    finally:
        if store is not None:
            await store.close()
    alerts.sort(key=lambda a: -severity_rank(a.severity))  # the most severe first, stably
    unknown = unknown_servers(alerts, [s.name for s in servers if s.status is not Status.UP])
    print(status_line(alerts, unknown, len(servers)))
    for alert in alerts:
        print(json.dumps(alert.to_json(), ensure_ascii=False))
    return exit_code(alerts, unknown)


def server_now(query) -> datetime:
    """A simulated server's own time; else this machine's."""
    server = getattr(query.transport, "server", None)
    return server.now.astimezone(UTC) if server is not None else datetime.now(UTC)


async def history_of(args: argparse.Namespace, what: Watched):
    """The history `collect` keeps, when a rule needs it (denials, unread logs) and there
    is one; never created here."""
    from lmconsole.alerts.rules import Kind
    from lmconsole.history.store import HistoryStore, StoreError

    from .database import chosen_database_url

    if what.config is None or not {Kind.DENIALS, Kind.LOG_GAP} & {r.kind for r in what.rules}:
        return None
    try:
        url = chosen_database_url(args, what.config)
        if url.get_backend_name() == "sqlite" and not (url.database and
                                                       Path(url.database).exists()):
            return None
        return await HistoryStore.open(url)
    except StoreError as error:
        print(f"{PROG}: warning: denials and log gaps not evaluated: {error}", file=sys.stderr)
        return None


async def from_history(store, rules, server: str, now: datetime):
    """The events and log gaps of the longest period the rules look back over."""
    from lmconsole.alerts.recent import recent_events, recent_gaps

    if store is None:
        return [], []
    since = now - timedelta(seconds=max((r.period_s or 0) for r in rules))
    return await recent_events(store, [server], since), await recent_gaps(store, [server], since)


def one_look(what: Watched, statuses, now: datetime, past=([], [])):
    """The alerts that fire on one look at `statuses`, and at the events and gaps of the
    history (`past`)."""
    from lmconsole.alerts.engine import AlertEngine
    from lmconsole.model import Status
    from lmconsole.monitor import LogGap, ServerState

    engine = AlertEngine(what.rules, true_denial_window_s=what.true_denial_window_s,
                         at_once=True)
    events, gaps = past
    for status in statuses:
        error = None if status.status is Status.UP else (status.error or status.status.value)
        engine.observe_state(ServerState(status.name, status, now, error=error))
    for event in events:
        engine.observe_event(event)
    for gap in gaps:
        if gap.until is None:
            since = f"{gap.since:%Y-%m-%d %H:%M}"
            engine.observe_follow(gap.server, False, f"not read since {since}: {gap.reason}")
        else:
            engine.observe_gap(LogGap(gap.server, gap.since, gap.until, gap.reason))
    engine.evaluate(now)
    return engine.firing


async def watch(args: argparse.Namespace) -> int:
    import asyncio

    from lmconsole.alerts.engine import AlertEngine
    from lmconsole.alerts.nagios import exit_code, status_line, unknown_servers
    from lmconsole.alerts.watcher import AlertWatcher
    from lmconsole.monitor import Monitor, ServerMonitor
    from lmconsole.snapshot import close_transport

    from .collect import until_stopped

    rules, queries, window_s, _config = watched(args, speed=60.0)
    clock = demo_clock(queries) if args.demo else (lambda: datetime.now(UTC))

    def printed(changes) -> None:
        for change in changes:
            print(json.dumps(change.to_json(), ensure_ascii=False), flush=True)

    watcher = AlertWatcher(AlertEngine(rules, true_denial_window_s=window_s), clock, printed)
    monitor = Monitor([ServerMonitor(query.config, query.adapter, query.transport, watcher,
                                     now=clock) for query in queries])
    ticker = asyncio.create_task(watcher.run(), name="alerts")
    monitor.start()
    try:
        await until_stopped(ticker)
    finally:
        await monitor.stop()
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
        await asyncio.gather(*(close_transport(query.transport) for query in queries))
    alerts = watcher.engine.firing
    unknown = unknown_servers(alerts, [name for name, seen in watcher.engine.seen.servers.items()
                                       if not seen.fresh])
    print(status_line(alerts, unknown, len(queries)), flush=True)
    return exit_code(alerts, unknown)


def demo_clock(queries):
    """The demo servers' own time (they run faster than real time)."""
    return lambda: max(query.transport.server.now for query in queries).astimezone(UTC)
