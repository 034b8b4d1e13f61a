"""A simulated LM-X server kept in a directory, for the executable lmxendutil (and a real
sshd) to use, as the FlexLM simulator's state directory is:

    NAME.lic         the scenario's licence file, for the reader (the server serves the
                     scenario's features)
    lmx-serv.log     the licence server's log, appended to (follow it with `tail -F`)
    state.json       the server's state, replaced atomically after every command
    state.lock       taken (flock) while a command runs
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from lmconsole.adapters.flexlm.sim.clock import ScaledClock
from lmconsole.adapters.flexlm.sim.server import SimulationError
from lmconsole.adapters.flexlm.sim.statedir import (
    STATE_FILE,
    advance_clock,
    locked,
    state_dir_server,
    write_atomic,
)

from .scenario import load_scenario
from .server import LmxServer
from .service import LmxSimulator

LOG_FILE = "lmx-serv.log"
INIT_COMMAND = "python -m lmconsole.adapters.lmx.sim"


def create_lmx_state_dir(directory: Path | str, scenario: str = "cae", *, seed: int = 0,
                         speed: float = 60.0, start: datetime | None = None) -> Path:
    """Start a scenario's LM-X server in `directory` and save its state and log. The
    simulated clock starts at `start` (default: the scenario's own start) and runs `speed`
    times real time (0 stops it)."""
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / STATE_FILE).exists():
        raise SimulationError(f"{directory} already holds a simulation ({STATE_FILE})")
    try:
        source = load_scenario(scenario)
    except ValueError as exc:
        raise SimulationError(str(exc)) from exc
    if start is not None:
        source = source.starting_at(start)
    LmxSimulator().copy_files(source, directory)
    with locked(directory):
        _save(directory, LmxServer(source, seed=seed, clock=ScaledClock.at(source.start, speed)))
    return directory


@contextmanager
def open_lmx_state_dir(directory: Path | str) -> Iterator[LmxServer]:
    """The LM-X server of a state directory, caught up to now; saved (and its new log lines
    appended) when the block ends without an exception."""
    with state_dir_server(directory, "LM-X simulation", INIT_COMMAND, LmxServer.from_dict,
                          _save) as server:
        yield server


def advance_lmx_state_dir(directory: Path | str, seconds: float) -> None:
    """Move a state directory's simulated clock on (useful when its speed is 0)."""
    with open_lmx_state_dir(directory) as server:
        advance_clock(server, seconds)


def _save(directory: Path, server: LmxServer) -> None:
    if server.log_lines:
        with open(directory / LOG_FILE, "a", encoding="utf-8") as log:
            log.write("\n".join(server.log_lines) + "\n")
        server.log_lines.clear()
    write_atomic(directory / STATE_FILE, json.dumps(server.to_dict()))
