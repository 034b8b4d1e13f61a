"""`lmconsole config init|show|validate`: create, show or check the configuration."""

from __future__ import annotations

import argparse
import sys

from lmconsole.inputs import InputError
from lmconsole.snapshot import EXIT_OK

from .common import PROG, load_config


def add_parser(commands) -> None:
    config = commands.add_parser("config", help="create, show or check the configuration")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION",
                                            required=True)
    init = config_commands.add_parser("init", help="write a commented example configuration")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    config_commands.add_parser("show", help="print the effective configuration")
    config_commands.add_parser("validate", help="check the configuration (exit 2 on errors)")
    config.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
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
