"""The layers of DESIGN.md hold, read from the source (ast), not by importing it.

The core (lmconsole/), the screens and the themes know a licence manager only through the
adapter protocol (lmconsole.adapter) and the registry (lmconsole.adapters): never through
an adapter's own modules, so that RLM or LM-X plug in without touching them. The generic
transports (lmconsole.adapters.transports) are for everyone. The adapters never reach up
into the console: no screens, themes, app, CLI or Textual.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Each top-level folder and the package it is installed as (pyproject.toml's package-dir).
INSTALLED_AS = {"lmconsole": "lmconsole", "screens": "lmconsole.screens",
                "themes": "lmconsole.themes", "adapters": "lmconsole.adapters"}
SHARED_ADAPTER_MODULES = {"transports", "ldap"}  # not licence managers
ABOVE_THE_ADAPTERS = ("lmconsole.screens", "lmconsole.themes", "lmconsole.app",
                      "lmconsole.cli", "textual")


def module_name(path: Path) -> str:
    folder, *rest = path.relative_to(ROOT).with_suffix("").parts
    if rest and rest[-1] == "__init__":
        rest.pop()
    return ".".join([INSTALLED_AS[folder], *rest])


def imported_names(source: str, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of everything `source` imports, relative imports resolved; for
    `from X import a` both X and X.a (a may be a module of X)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            yield node.lineno, origin
            for alias in node.names:
                yield node.lineno, f"{origin}.{alias.name}"
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(
                node.func, "id", None)) in ("import_module", "__import__") and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.lineno, node.args[0].value


def adapter_modules() -> set[str]:
    """The packages and modules of adapters/ that belong to one licence manager."""
    found = {p.name for p in (ROOT / "adapters").iterdir() if (p / "__init__.py").exists()}
    found |= {p.stem for p in (ROOT / "adapters").glob("*.py") if p.stem != "__init__"}
    return found - SHARED_ADAPTER_MODULES


def specific_adapter(name: str, specific: set[str]) -> bool:
    parts = name.split(".")
    return parts[:2] == ["lmconsole", "adapters"] and len(parts) > 2 and parts[2] in specific


def above_the_adapters(name: str) -> bool:
    return any(name == top or name.startswith(top + ".") for top in ABOVE_THE_ADAPTERS)


def violations(folder: str, forbidden) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        module = module_name(path)
        lines = imported_names(path.read_text(encoding="utf-8"), module,
                               path.name == "__init__.py")
        reported: set[tuple[int, str]] = set()
        for line, name in lines:
            # `from X import a`: X.a is said only when X itself is not at fault
            if forbidden(name) and (line, name.rpartition(".")[0]) not in reported:
                reported.add((line, name))
                found.append(f"{module} ({path.relative_to(ROOT)}:{line}) imports {name}")
    return found


@pytest.mark.parametrize("folder", ["lmconsole", "screens", "themes"])
def test_the_core_screens_and_themes_import_no_specific_adapter(folder):
    specific = adapter_modules()
    assert "flexlm" in specific
    found = violations(folder, lambda name: specific_adapter(name, specific))
    assert not found, ("reach a licence manager through lmconsole.adapter's protocol and "
                       "the registry lmconsole.adapters, not its modules:\n" + "\n".join(found))


def test_the_adapters_import_nothing_of_the_console_above_them():
    found = violations("adapters", above_the_adapters)
    assert not found, "the adapters depend on the core only:\n" + "\n".join(found)


# ---- the reading of imports itself ------------------------------------------------------------

def test_relative_and_from_imports_are_resolved_to_the_installed_names():
    source = ("from ..adapters.flexlm import lmstat\n"
              "from ..adapters import flexlm, ADAPTERS\n"
              "from lmconsole.adapters.transports.ssh import SshTransport\n"
              "import lmconsole.adapters.flexlm.sim\n"
              "from . import live\n"
              "def later():\n"
              "    importlib.import_module('lmconsole.adapters.flexlm.whatif')\n")
    names = list(imported_names(source, "lmconsole.screens.seats", is_package=False))
    specific = {(line, name) for line, name in names if specific_adapter(name, {"flexlm"})}
    assert specific == {(1, "lmconsole.adapters.flexlm"), (1, "lmconsole.adapters.flexlm.lmstat"),
                        (2, "lmconsole.adapters.flexlm"), (4, "lmconsole.adapters.flexlm.sim"),
                        (7, "lmconsole.adapters.flexlm.whatif")}
    assert (5, "lmconsole.screens.live") in names
    assert (2, "lmconsole.adapters.ADAPTERS") in names


def test_an_adapter_reaching_up_is_named():
    source = "from ....screens.denials import plain_reason\nimport textual.app\n"
    names = list(imported_names(source, "lmconsole.adapters.flexlm.sim", is_package=True))
    assert [(line, name) for line, name in names if above_the_adapters(name)] == [
        (1, "lmconsole.screens.denials"), (1, "lmconsole.screens.denials.plain_reason"),
        (2, "textual.app")]


def test_module_names_are_those_the_wheel_installs():
    assert module_name(ROOT / "screens" / "denials.py") == "lmconsole.screens.denials"
    assert module_name(ROOT / "adapters" / "flexlm" / "__init__.py") == "lmconsole.adapters.flexlm"
    assert module_name(ROOT / "lmconsole" / "cli" / "__init__.py") == "lmconsole.cli"


# ---- the command line: one module per command ---------------------------------------------------

def test_every_command_module_is_in_the_parser_and_runs_its_own_command():
    from lmconsole import cli

    with_a_parser = {p.stem for p in (ROOT / "lmconsole" / "cli").glob("*.py")
                     if "\ndef add_parser(" in p.read_text(encoding="utf-8")}
    assert with_a_parser == {module.__name__.rpartition(".")[2] for module in cli.COMMANDS}
    parser = cli.build_parser()
    for argv, module in ((["snapshot"], cli.snapshot), (["config", "show"], cli.config),
                         (["check-options", "MLM.opt"], cli.check_options),
                         (["check-license", "license.dat"], cli.check_license),
                         (["what-if", "draft.opt", "--current", "MLM.opt"], cli.what_if),
                         (["demo"], cli.demo), ([], cli.console)):
        assert parser.parse_args(argv).run is module.run, argv
