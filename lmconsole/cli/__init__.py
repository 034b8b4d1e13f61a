"""The `lmconsole` command line: one module per command, put together here. Headless
commands import nothing of Textual.

Each command module has `add_parser(commands)`, which adds its subparser and sets its
`run(args) -> int` as the parser's default `run`; a new command is a new module and one
line in COMMANDS. `lmconsole` without a command runs the console (.console).

Exit codes (DESIGN.md): 0 ok, 1 findings, 2 usage or input error, 3 server unreachable.
DESIGN.md has no code for partial results: a saved lmstat output that stops mid-block is
printed as far as it goes, with a warning, and exits 2 because the input is at fault.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from lmconsole.gc_pause import collector_paused, finish
from lmconsole.inputs import InputError
from lmconsole.snapshot import EXIT_INPUT, EXIT_OK

from . import console
from .common import PROG

COMMAND_OF_NAME = {  # each command, as its module's add_parser names it: --help's order
    "snapshot": "snapshot", "config": "config", "check-options": "check_options",
    "check-license": "check_license", "what-if": "what_if", "import": "import_logs",
    "collect": "collect", "history": "history", "report": "report", "watch": "watch",
    "directory": "directory", "pools": "pools", "demo": "demo",
}


def command_module(name: str) -> ModuleType:
    """The module of a command, imported when it is needed (importing all thirteen cost a
    snapshot about 4 ms of CPU at start-up)."""
    return importlib.import_module(f"{__name__}.{COMMAND_OF_NAME[name]}")


def __getattr__(attribute: str) -> object:
    """`cli.COMMANDS` (every command's module) and `cli.snapshot` and the like, imported
    when asked for."""
    if attribute == "COMMANDS":
        return [command_module(name) for name in COMMAND_OF_NAME]
    if attribute in COMMAND_OF_NAME.values():
        return importlib.import_module(f"{__name__}.{attribute}")
    raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser. Given the arguments, only the command they name gets its
    subparser: adding all thirteen cost a one-shot command a quarter of its start-up."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A terminal console for floating-licence servers (FlexLM/FlexNet).",
    )
    parser.add_argument("--version", action=VersionAction, nargs=0,
                        help="show the program's version number and exit")
    parser.add_argument("--config", metavar="PATH",
                        help="configuration file (default: $LMCONSOLE_CONFIG, then "
                             "$XDG_CONFIG_HOME/lmconsole/config.toml)")
    parser.add_argument("--read-only", action="store_true",
                        help="the console: refuse every action that changes a server")
    parser.set_defaults(run=console.run)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    named = None if argv is None else command_named(argv)
    for name in COMMAND_OF_NAME:
        if named is None or name == named:
            command_module(name).add_parser(commands)
    return parser


def command_named(argv: Sequence[str]) -> str | None:
    """The command `argv` certainly names: its first word after the main options, when
    those are spelled out in full (`--read-only`, `--config PATH`, `--config=PATH`); None
    for anything else (no command, --help, an abbreviated option), which gets every one."""
    words = iter(argv)
    for word in words:
        if word == "--read-only" or word.startswith("--config="):
            continue
        if word == "--config":
            next(words, None)
            continue
        return word if word in COMMAND_OF_NAME else None
    return None


class VersionAction(argparse.Action):
    """argparse's "version" action, asking the installed metadata only when --version is
    given: importlib.metadata costs every command a tenth of its start-up."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"{parser.prog} {version()}")
        parser.exit()


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("lmconsole")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


# One-shot commands that read one large text and print: what they build has no reference
# cycles, and the cycle collector's passes over it cost a tenth to a fifth of their time.
UNCOLLECTED_COMMANDS = frozenset({"snapshot", "check-options", "check-license", "what-if"})


def main(argv: Sequence[str] | None = None, *, process_ends: bool = False) -> int:
    """The command line's command run; `process_ends`: this process exits after it (the
    console script, `python -m lmconsole`)."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    try:
        if args.command in UNCOLLECTED_COMMANDS:
            with collector_paused(process_ends=process_ends):
                return args.run(args)
        return args.run(args)
    except InputError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


def console_main() -> None:
    finish(main(process_ends=True))
