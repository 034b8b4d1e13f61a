"""A simulation kept in a directory, for the executable `lmutil` (and a real sshd) to use:

    license.lic      the licence file (its VENDOR lines point at the options files below)
    VENDOR.opt       one options file per vendor daemon: edit, then `lmreread`
    debug.log        the debug log, appended to (follow it with `tail -F`)
    state.json       the server's state, replaced atomically after every command
    state.lock       taken (flock) while a command runs
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from .clock import ScaledClock
from .licfile import parse_licence
from .scenario import Scenario, load_scenario
from .server import SimulatedServer, SimulationError

LICENCE_FILE = "license.lic"
STATE_FILE = "state.json"
LOG_FILE = "debug.log"
LOCK_FILE = "state.lock"


def create_state_dir(directory: Path | str, scenario: str = "architecture", *, seed: int = 0,
                     speed: float = 60.0, tz: str | None = None,
                     start: datetime | None = None) -> Path:
    """Copy a scenario's files into `directory`, start its server and save the state. The
    simulated clock starts at `start` (default: the scenario's own start, the same every
    time) and runs `speed` times real time (0 stops it; `advance_state_dir` then moves it)."""
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / STATE_FILE).exists():
        raise SimulationError(f"{directory} already holds a simulation ({STATE_FILE})")
    source = load_scenario(scenario)
    if start is not None:
        source = source.starting_at(start)
    copy_scenario_files(source, directory)
    clock = ScaledClock.at(source.start, speed)
    with locked(directory):
        server = SimulatedServer.from_scenario(source, seed=seed, clock=clock, tz=tz,
                                               licence_path=directory / LICENCE_FILE)
        _save(directory, server)
    return directory


def copy_scenario_files(source: Scenario, directory: Path) -> Path:
    """The scenario's licence file as `directory`/license.lic, its VENDOR lines pointing at
    copies of the options files beside it (VENDOR.opt), their dates moved with the scenario's
    start. Returns the licence file's path."""
    licence_text = source.licence_text()
    for vendor in parse_licence(licence_text).vendors:
        if vendor.options is None:
            continue
        target = directory / f"{vendor.name}.opt"
        target.write_text(source.file_text(vendor.options), encoding="utf-8")
        shown = f'"{target}"' if " " in str(target) else str(target)
        licence_text = licence_text.replace(f"options={vendor.options}", f"options={shown}")
    (directory / LICENCE_FILE).write_text(licence_text, encoding="utf-8")
    return directory / LICENCE_FILE


@contextmanager
def open_state_dir(directory: Path | str, *, requester: str | None = None
                   ) -> Iterator[SimulatedServer]:
    """The server of a state directory, caught up to now; saved (and its new debug-log
    lines appended) when the block ends without an exception."""
    with state_dir_server(directory, "simulation", "python -m lmconsole.adapters.flexlm.sim",
                          lambda data: SimulatedServer.from_dict(data, requester=requester),
                          _save) as server:
        yield server


@contextmanager
def state_dir_server(directory: Path | str, kind: str, init_command: str,
                     load: Callable[[dict], Any], save: Callable[[Path, Any], None]
                     ) -> Iterator[Any]:
    """The server of a simulator's state directory, with the directory locked: `load` made
    from its saved state and caught up to now; `save`d when the block ends without an
    exception. `kind` names the simulation in messages ("RLM simulation"), `init_command`
    what creates one."""
    directory = Path(directory).resolve()
    state = directory / STATE_FILE
    if not state.is_file():
        raise SimulationError(f"{directory} holds no {kind} ({STATE_FILE} is missing); "
                              f"create one with: {init_command} init {directory}")
    with locked(directory):
        try:
            server = load(json.loads(state.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            raise SimulationError(f"{state}: not a saved {kind} state ({exc})") from exc
        server.sync()
        yield server
        save(directory, server)


def advance_state_dir(directory: Path | str, seconds: float) -> None:
    """Move a state directory's simulated clock on (useful when its speed is 0)."""
    with open_state_dir(directory) as server:
        advance_clock(server, seconds)


def advance_clock(server, seconds: float) -> None:
    """Move a server's clock on by `seconds`, also a clock that runs with real time, and
    catch the server up."""
    clock = server.clock
    if isinstance(clock, ScaledClock):
        clock.sim_anchor += int(seconds)
    else:
        clock.advance(seconds)
    server.sync()


def _save(directory: Path, server: SimulatedServer) -> None:
    if server.log.lines:
        with open(directory / LOG_FILE, "a", encoding="utf-8") as log:
            log.write("\n".join(server.log.lines) + "\n")
        server.log.lines.clear()
    write_atomic(directory / STATE_FILE, json.dumps(server.to_dict()))


def write_atomic(path: Path, text: str) -> None:
    """`text` as the file at `path`, replaced at once (a reader sees the old or the new)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """The state directory to oneself while the block runs (its commands queue up)."""
    with open(directory / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
