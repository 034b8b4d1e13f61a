"""The command line's parser is built for the command the arguments name only (start-up), and
reads those arguments exactly as the parser of every command does."""

from __future__ import annotations

import argparse

import pytest

from lmconsole import cli


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return {name: subparser for action in parser._actions
            if isinstance(action, argparse._SubParsersAction)
            for name, subparser in action.choices.items()}


def modules_run(parser: argparse.ArgumentParser) -> set[str]:
    """The modules of the `run` functions a parser and its own subcommands set."""
    runs = {parser.get_default("run")} - {None}
    return {run.__module__ for run in runs}.union(
        *(modules_run(sub) for sub in subcommands(parser).values()))


def test_each_name_is_the_command_its_module_adds():
    every = subcommands(cli.build_parser())
    assert list(every) == list(cli.COMMAND_OF_NAME)
    for name in cli.COMMAND_OF_NAME:
        assert modules_run(every[name]) == {cli.command_module(name).__name__}, name


@pytest.mark.parametrize("argv, named", [
    (["snapshot", "--format", "json"], "snapshot"),
    (["--read-only", "--config", "snapshot", "report", "usage"], "report"),
    (["--config=c.toml", "check-options", "MLM.opt"], "check-options"),
    (["import", "debug.log"], "import"),
    ([], None),
    (["--help"], None),
    (["-h", "snapshot"], None),
    (["--conf", "c.toml", "snapshot"], None),  # abbreviated: argparse's to read
    (["--config"], None),
    (["no-such-command"], None),
    (["--", "snapshot"], None),
])
def test_the_command_named_is_told_only_when_certain(argv, named):
    assert cli.command_named(argv) == named


@pytest.mark.parametrize("argv", [
    ["snapshot", "--from-file", "-", "--format", "prometheus", "--server-tz", "UTC"],
    ["--read-only", "--config", "c.toml", "check-options", "MLM.opt", "--format", "json"],
    ["config", "show"],
    ["what-if", "draft.opt", "--current", "MLM.opt"],
    ["demo"],
    [],
])
def test_the_parser_of_one_command_reads_as_the_parser_of_all(argv):
    assert cli.build_parser(argv).parse_args(argv) == cli.build_parser().parse_args(argv)


def test_help_and_a_wrong_command_still_name_every_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    listed = capsys.readouterr().out
    assert all(name in listed for name in cli.COMMAND_OF_NAME)
    with pytest.raises(SystemExit):
        cli.main(["snapshots"])
    assert "invalid choice: 'snapshots'" in capsys.readouterr().err


def test_a_command_imports_no_other_commands_module():
    import subprocess
    import sys

    code = ("import sys; from lmconsole.cli import build_parser; "
            "build_parser(['snapshot', '--format', 'json']); "
            "print(' '.join(m for m in sys.modules if m.startswith('lmconsole.cli.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    commands = {f"lmconsole.cli.{module}" for module in cli.COMMAND_OF_NAME.values()}
    assert commands.intersection(done.stdout.split()) == {"lmconsole.cli.snapshot"}
