"""`lmconsole` without a command: the full-screen console on the configured servers."""

from __future__ import annotations

import argparse
import sys

from lmconsole.inputs import InputError
from lmconsole.snapshot import EXIT_OK

from .common import PROG, load_config
from .servers import server_queries

TRY_THE_DEMO = f"to try the console on simulated servers: `{PROG} demo`"


def run(args: argparse.Namespace) -> int:
    """`lmconsole` alone: the console, once there is a configuration with servers and a
    terminal to show it on; otherwise what is missing, and exit 2 (the console never starts
    without both)."""
    config = console_config(args)
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        raise InputError(f"the console needs a terminal (standard input and output are not "
                         f"one); in scripts use `{PROG} snapshot`, see `{PROG} --help`")
    return run_console(args, config)


def console_config(args: argparse.Namespace):
    """The configuration the console runs on; InputError when it is missing, unreadable or
    names no server."""
    from lmconsole.config import resolve_config_path

    path, _ = resolve_config_path(args.config)
    try:
        config = load_config(args)
    except InputError as error:
        # A missing file's message already says `config init`; a broken one's cannot.
        example = "" if not path.exists() else (
            f"a commented example to compare with: `{PROG} --config example.toml config init`\n")
        raise InputError(f"{error}\n{example}{TRY_THE_DEMO}") from None
    if config.source is None:
        raise InputError(f"no configuration: {path} does not exist; create it with "
                         f"`{PROG} config init` and add your servers\n{TRY_THE_DEMO}")
    if not config.servers:
        raise InputError(f"{config.source}: no servers configured; add a [[servers]] entry "
                         f"(`{PROG} config init` writes a commented example)\n{TRY_THE_DEMO}")
    return config


def run_console(args: argparse.Namespace, config=None) -> int:
    """The full-screen console on the configured servers."""
    config = config or console_config(args)
    from lmconsole.alerts.rules import rules_in_force
    from lmconsole.app import LMConsoleApp, console_server

    # SSH servers get the console's own transport (None), which asks about unknown hosts.
    servers = [console_server(query.config, query.adapter,
                              None if query.config.transport == "ssh" else query.transport)
               for query in server_queries(config, None)]
    app = LMConsoleApp(servers, read_only=args.read_only or config.read_only,
                       audit=audit_log_for(config), display_tz=config.display_tz,
                       keymap=config.keys, history=history_for(config),
                       alerts=rules_in_force(config), alerting=config.alerting,
                       true_denial_window_s=config.true_denial_window_s,
                       managed_groups=config.managed_groups, pools=config.pools)
    app.run()
    return EXIT_OK


def history_for(config):
    """What opens the history the console records into; None when it records nothing."""
    if not config.record_history:
        return None
    from lmconsole.history.store import HistoryStore, StoreError, database_url

    try:
        url = database_url(config.database_url)
    except StoreError as error:
        raise InputError(str(error)) from None
    return lambda: HistoryStore.open(url)


def audit_log_for(config):
    from lmconsole.audit import AuditLog, audit_path

    return AuditLog(audit_path(config))
