"""A simulated RLM server kept in a directory, for the executable rlmutil (and a real sshd)
to use, as the FlexLM simulator's state directory is:

    license.lic      the licence file (its ISV lines point at the options files below)
    ISV.opt          one options file per ISV that has one: edit, then `rlmreread`
    ISV.rl           the report log of the ISV whose options file asks for one (REPORTLOG
                     names it), appended to (follow it with `tail -F`)
    state.json       the server's state, replaced atomically after every command
    state.lock       taken (flock) while a command runs
"""

from __future__ import annotations

import json
import re
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

from .licence import report_log_path
from .server import RlmServer, load_rlm_scenario
from .service import RlmSimulator

_REPORTLOG = re.compile(r"^(\s*REPORTLOG\s+\+?)(\"[^\"]*\"|\S+)", re.IGNORECASE | re.MULTILINE)
INIT_COMMAND = "python -m lmconsole.adapters.rlm.sim"


def create_rlm_state_dir(directory: Path | str, scenario: str = "studio", *, seed: int = 0,
                         speed: float = 60.0, start: datetime | None = None) -> Path:
    """Copy a scenario's files into `directory` (its REPORTLOG moved into it too), start its
    rlm server and save the state. The simulated clock starts at `start` (default: the
    scenario's own start) and runs `speed` times real time (0 stops it)."""
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / STATE_FILE).exists():
        raise SimulationError(f"{directory} already holds a simulation ({STATE_FILE})")
    source = load_rlm_scenario(scenario)
    if start is not None:
        source = source.starting_at(start)
    licence = RlmSimulator().copy_files(source, directory)
    for options in directory.glob("*.opt"):
        text = options.read_text(encoding="utf-8")
        options.write_text(_report_log_at(text, directory / f"{options.stem}.rl"),
                           encoding="utf-8")
    with locked(directory):
        server = RlmServer.from_scenario(source, seed=seed, licence_path=licence,
                                         clock=ScaledClock.at(source.start, speed))
        _save(directory, server)
    return directory


@contextmanager
def open_rlm_state_dir(directory: Path | str, *, requester: str | None = None
                       ) -> Iterator[RlmServer]:
    """The rlm server of a state directory, caught up to now; saved (and its new report-log
    records appended) when the block ends without an exception."""
    with state_dir_server(directory, "RLM simulation", INIT_COMMAND,
                          lambda data: RlmServer.from_dict(data, requester=requester),
                          _save) as server:
        yield server


def advance_rlm_state_dir(directory: Path | str, seconds: float) -> None:
    """Move a state directory's simulated clock on (useful when its speed is 0)."""
    with open_rlm_state_dir(directory) as server:
        advance_clock(server, seconds)


def report_log_of(server: RlmServer, directory: Path) -> Path | None:
    """The report log the reporting ISV's options file names (relative to `directory`)."""
    if server.log.isv is None:
        return None
    named = report_log_path(server.texts["options"].get(server.log.isv, ""))
    return directory / named.strip('"') if named else None


def _report_log_at(options_text: str, path: Path) -> str:
    """The options file with its REPORTLOG line naming `path`."""
    return _REPORTLOG.sub(lambda match: f"{match[1]}{path}", options_text)


def _save(directory: Path, server: RlmServer) -> None:
    log = report_log_of(server, directory)
    if server.log.lines and log is not None:
        with open(log, "a", encoding="utf-8") as out:
            out.write("\n".join(server.log.lines) + "\n")
    server.log.lines.clear()
    write_atomic(directory / STATE_FILE, json.dumps(server.to_dict()))
