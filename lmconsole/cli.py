"""The `lmconsole` command line. Headless commands import nothing of Textual.

Exit codes (DESIGN.md): 0 ok, 1 findings, 2 usage or input error, 3 server unreachable.
DESIGN.md has no code for partial results: a saved lmstat output that stops mid-block is
printed as far as it goes, with a warning, and exits 2 because the input is at fault.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lmconsole.inputs import InputError
from lmconsole.snapshot import EXIT_INPUT, EXIT_OK

PROG = "lmconsole"
FORMAT_NAMES = ("table", "json", "csv", "prometheus")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A terminal console for floating-licence servers (FlexLM/FlexNet).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    parser.add_argument("--config", metavar="PATH",
                        help="configuration file (default: $LMCONSOLE_CONFIG, then "
                             "$XDG_CONFIG_HOME/lmconsole/config.toml)")
    parser.add_argument("--read-only", action="store_true",
                        help="the console: refuse every action that changes a server")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    snapshot = commands.add_parser(
        "snapshot", help="print the current usage of licence servers once",
        description="Print the servers, vendor daemons, features and seats once, for "
                    "scripts. Exit 0 when every server answered, 3 when one did not, "
                    "2 on bad input (a truncated saved output is printed as far as it "
                    "goes, with a warning).")
    source = snapshot.add_mutually_exclusive_group()
    source.add_argument("--demo", action="store_true", help="the built-in simulated servers")
    source.add_argument("--from-file", metavar="PATH",
                        help="a saved `lmutil lmstat -a` output (- for standard input)")
    source.add_argument("--server", metavar="NAME", action="append",
                        help="a configured server (repeatable; default: all of them)")
    snapshot.add_argument("--format", choices=FORMAT_NAMES, default="table")
    snapshot.add_argument("--seats", action="store_true",
                          help="table: list every seat; csv: one row per seat")
    snapshot.add_argument("--server-tz", metavar="ZONE",
                          help="--from-file: the licence server's time zone (default: local)")
    snapshot.add_argument("--tz", metavar="ZONE", help="show times in this zone (table)")

    config = commands.add_parser("config", help="create, show or check the configuration")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION",
                                            required=True)
    init = config_commands.add_parser("init", help="write a commented example configuration")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    config_commands.add_parser("show", help="print the effective configuration")
    config_commands.add_parser("validate", help="check the configuration (exit 2 on errors)")

    check_options = commands.add_parser(
        "check-options", help="validate a FlexLM options file",
        description="Print findings as path:line:col: severity: message [code]. Exit 0 when "
                    "clean, 1 on findings, 2 when a file cannot be read.")
    check_options.add_argument("options", metavar="OPTIONS")
    check_options.add_argument("--license", metavar="LICENSE",
                               help="cross-check features, pools and seat counts against it")
    check_options.add_argument("--lmstat", metavar="FILE",
                               help="an lmstat -a output: its users' names are checked for "
                                    "case, and an INCLUDE that would lock them out is said")
    check_options.add_argument("--debug-log", metavar="FILE",
                               help="the vendor daemon's debug log: the same, for everyone "
                                    "who checked out or was denied in it")
    check_options.add_argument("--vendor", metavar="NAME",
                               help="the vendor daemon whose options file this is (default: "
                                    "the one whose VENDOR line names it): features other "
                                    "daemons serve are errors")
    check_options.add_argument("--format", choices=("text", "json"), default="text")
    check_license = commands.add_parser(
        "check-license", help="validate a FlexLM licence file",
        description="Print findings as path:line:col: severity: message [code]. Exit 0 when "
                    "clean, 1 on findings, 2 when the file cannot be read.")
    check_license.add_argument("license", metavar="LICENSE")
    check_license.add_argument("--format", choices=("text", "json"), default="text")

    what_if = commands.add_parser(
        "what-if", help="who a draft options file would newly deny or admit",
        description="Replay the current seats (an lmstat output) and the checkouts and "
                    "denials of a debug log through the current and the draft options file "
                    "(at least one of --lmstat and --debug-log is needed). Exit 0 when the "
                    "draft changes nobody's access, 1 when it does, 2 on missing, empty or "
                    "unreadable input.")
    what_if.add_argument("draft", metavar="DRAFT")
    what_if.add_argument("--current", metavar="OPTIONS", required=True,
                         help="the options file in force now")
    what_if.add_argument("--license", metavar="LICENSE", help="pools and seat counts")
    what_if.add_argument("--lmstat", metavar="FILE", help="a saved `lmutil lmstat -a` output")
    what_if.add_argument("--debug-log", metavar="FILE", help="the vendor daemon's debug log")
    what_if.add_argument("--server-tz", metavar="ZONE",
                         help="the zone the licence server writes its times in")
    what_if.add_argument("--format", choices=("text", "json"), default="text")

    demo = commands.add_parser("demo", help="watch the built-in simulated licence servers")
    demo.add_argument("--speed", type=positive_number, default=60.0,
                      help="simulated seconds per real second (default 60)")
    demo.add_argument("--duration", type=float, default=None,
                      help="--text: stop after this many real seconds (default: until Ctrl-C)")
    demo.add_argument("--text", action="store_true",
                      help="redraw a plain usage table instead of the full-screen console "
                           "(the default when standard output is not a terminal)")
    demo.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS,
                      help="refuse every action that changes a server")
    return parser


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("lmconsole")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {None: run_plain, "snapshot": run_snapshot, "config": run_config,
                "demo": run_demo, "check-options": run_check_options,
                "check-license": run_check_license, "what-if": run_what_if}
    try:
        return handlers[args.command](args)
    except InputError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


def zone(name: str | None, option: str) -> tzinfo | None:
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"{option}: unknown time zone {name!r} (use an IANA name such as "
                         "Europe/Berlin or UTC)") from None


def local_zone() -> tzinfo:
    return datetime.now().astimezone().tzinfo


def load_config(args: argparse.Namespace):
    from lmconsole.config import ConfigError
    from lmconsole.config import load_config as load

    try:
        return load(args.config)
    except ConfigError as error:
        raise InputError(str(error)) from None


# ---- snapshot ----------------------------------------------------------------------------------

def run_snapshot(args: argparse.Namespace) -> int:
    from lmconsole.adapters import ADAPTERS
    from lmconsole.output import FORMATS
    from lmconsole.snapshot import exit_code_of, read_input, snapshot_from_text, snapshot_of

    display_tz = zone(args.tz, "--tz")
    now = datetime.now(UTC)
    truncated = None
    if args.from_file is not None:
        text, label = read_input(args.from_file)
        server_tz = zone(args.server_tz, "--server-tz") or local_zone()
        snapshot, truncated = snapshot_from_text(text, label, ADAPTERS["flexlm"], name=None,
                                                 tz=server_tz, now=now)
    elif args.demo:
        from lmconsole.demo import demo_snapshot

        snapshot = demo_snapshot(now)
    else:
        queries = server_queries(load_config(args), args.server)
        snapshot = asyncio.run(snapshot_of(queries, now))
    sys.stdout.write(render(FORMATS[args.format], snapshot, args, display_tz))
    warn_about_diagnostics(snapshot)
    if truncated is not None:
        print(f"{PROG}: warning: {truncated}", file=sys.stderr)
        return EXIT_INPUT
    return exit_code_of(snapshot)


def render(renderer, snapshot, args: argparse.Namespace, display_tz: tzinfo | None) -> str:
    if args.format == "table":
        return renderer(snapshot, seats=args.seats, tz=display_tz)
    if args.format == "csv":
        return renderer(snapshot, rows="seats" if args.seats else "features")
    if args.format == "json":
        # Indented for a person at a terminal; compact for scripts, and four times faster.
        return renderer(snapshot, compact=not sys.stdout.isatty())
    return renderer(snapshot)


def warn_about_diagnostics(snapshot) -> None:
    for diagnostic in snapshot.diagnostics[:20]:
        where = f"{diagnostic.server}: " if diagnostic.server else ""
        print(f"{PROG}: warning: {where}line {diagnostic.line}: {diagnostic.message}: "
              f"{diagnostic.text.strip()[:120]}", file=sys.stderr)
    if len(snapshot.diagnostics) > 20:
        print(f"{PROG}: warning: {len(snapshot.diagnostics) - 20} more lines not understood",
              file=sys.stderr)


def server_queries(config, names: list[str] | None):
    from lmconsole.adapters import ADAPTERS
    from lmconsole.snapshot import ServerQuery

    servers = list(config.servers)
    if not servers:
        raise InputError("no servers configured: run `lmconsole config init` and edit it, or "
                         "use --from-file or --demo")
    if names:
        known = {server.name: server for server in servers}
        missing = [name for name in names if name not in known]
        if missing:
            raise InputError(f"no server named {', '.join(missing)} in the configuration "
                             f"(configured: {', '.join(known)})")
        servers = [known[name] for name in names]
    return [ServerQuery(server, ADAPTERS[server.manager], transport_for(server))
            for server in servers]


def transport_for(server):
    if server.transport == "local":
        from lmconsole.adapters.transports.local import LocalTransport

        return LocalTransport()
    if server.transport == "sim":
        from lmconsole.demo import simulator_transport

        return simulator_transport(server, now=datetime.now(UTC))
    if server.transport == "ssh":
        from lmconsole.adapters.transports.ssh import SshTransport
        from lmconsole.config import ssh_keepalive

        # Headless: an unknown host key fails with a message saying how to add it, unless
        # the server's entry accepts new keys (a changed key is refused either way).
        accept_new = (lambda host, key_type, fingerprint: True) \
            if server.ssh_accept_new_host_key else None
        return SshTransport(server.ssh_host, user=server.ssh_user, port=server.ssh_port,
                            config_paths=[server.ssh_config] if server.ssh_config else None,
                            known_hosts=server.known_hosts, ask_unknown_host=accept_new,
                            **ssh_keepalive(server))
    raise InputError(f"server {server.name}: unknown transport {server.transport!r}")


# ---- config ------------------------------------------------------------------------------------

def run_config(args: argparse.Namespace) -> int:
    from lmconsole import config as configuration

    if args.config_command == "init":
        path, _ = configuration.resolve_config_path(args.config)
        try:
            written = configuration.write_example_config(path, force=args.force)
        except (configuration.ConfigError, OSError) as error:
            raise InputError(str(error)) from None
        print(f"wrote {written}; edit it, then check it with `{PROG} config validate`")
        return EXIT_OK
    path, _ = configuration.resolve_config_path(args.config)
    loaded = load_config(args)
    if args.config_command == "show":
        sys.stdout.write(configuration.render_config(loaded))
    else:
        if loaded.source is None:
            raise InputError(f"{path}: no such file, so nothing to validate; create it with "
                             f"`{PROG} config init`, or name another with --config")
        count = len(loaded.servers)
        print(f"{path}: ok, {count} server{'s' if count != 1 else ''}")
    return EXIT_OK


# ---- checks ------------------------------------------------------------------------------------

def run_check_options(args: argparse.Namespace) -> int:
    from lmconsole.checks import check_options_main

    return check_options_main(args.options, args.license, args.format,
                              lmstat_path=args.lmstat, debuglog_path=args.debug_log,
                              vendor=args.vendor)


def run_check_license(args: argparse.Namespace) -> int:
    from lmconsole.checks import check_license_main

    return check_license_main(args.license, args.format)


def run_what_if(args: argparse.Namespace) -> int:
    from lmconsole.whatif_cli import what_if_main

    return what_if_main(args.draft, current_path=args.current, license_path=args.license,
                        lmstat_path=args.lmstat, debuglog_path=args.debug_log,
                        tz=args.server_tz, fmt=args.format)


# ---- demo --------------------------------------------------------------------------------------

def run_demo(args: argparse.Namespace) -> int:
    """The console on the simulated servers; the plain text demo with --text, or when
    standard output is not a terminal (a pipe, a test)."""
    if args.text or not sys.stdout.isatty():
        from lmconsole.demo import run_text_demo

        return run_text_demo(speed=args.speed, duration=args.duration, now=datetime.now(UTC))
    from lmconsole.app import demo_app

    demo_app(args.speed, now=datetime.now(UTC), read_only=args.read_only,
             display_tz=local_zone(), poll_interval_s=2.0).run()
    return EXIT_OK


TRY_THE_DEMO = f"to try the console on simulated servers: `{PROG} demo`"


def run_plain(args: argparse.Namespace) -> int:
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
    from lmconsole.app import LMConsoleApp, console_server

    # SSH servers get the console's own transport (None), which asks about unknown hosts.
    servers = [console_server(query.config, query.adapter,
                              None if query.config.transport == "ssh" else query.transport)
               for query in server_queries(config, None)]
    app = LMConsoleApp(servers, read_only=args.read_only or config.read_only,
                       audit=audit_log_for(config), display_tz=config.display_tz,
                       keymap=config.keys)
    app.run()
    return EXIT_OK


def audit_log_for(config):
    from lmconsole.audit import AuditLog, audit_path

    return AuditLog(audit_path(config))


def console_main() -> None:
    sys.exit(main())
