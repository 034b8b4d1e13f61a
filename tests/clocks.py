"""Frozen clocks: nothing a test asserts or renders may depend on today's date (the suite
also runs with the date a year ahead: `python3 dev.py test --year-ahead`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from lmconsole.adapters.flexlm.sim import load_scenario


def frozen(moment: datetime) -> Callable[[], datetime]:
    """A console server's clock that always reads `moment`."""
    moment = moment.astimezone(UTC)
    return lambda: moment


def at_scenario_start(name: str = "architecture") -> Callable[[], datetime]:
    """The clock of a stopped simulator made from scenario `name` (create_state_dir(...,
    speed=0)): its start, the moment its licence file's dates are written for."""
    return frozen(load_scenario(name).start)
