"""`lmconsole-sim-lmutil`: the simulator as an executable lmutil.

    LMCONSOLE_SIM_DIR=DIR lmconsole-sim-lmutil lmstat -a -c 27000@arch-lic01
    lmconsole-sim-lmutil --sim-dir DIR lmreread

Each run loads the state directory, moves the simulated clock to now, runs the command,
appends the new debug-log lines and saves the state. Installed or linked under the name of
an lmutil command (lmstat, lmreread, lmremove, lmdown), it runs that command.
"""

from __future__ import annotations

import getpass
import os
import socket
import sys
from pathlib import Path

from .server import SimulationError
from .statedir import open_state_dir

_COMMAND_NAMES = ("lmstat", "lmreread", "lmremove", "lmdown")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    program = Path(sys.argv[0]).name
    if argv is None and program in _COMMAND_NAMES:
        args.insert(0, program)
    sim_dir, args = sim_dir_of(args)
    if not sim_dir:
        print("lmconsole-sim-lmutil: no simulation given: set LMCONSOLE_SIM_DIR or pass "
              "--sim-dir DIR before the command (create one with: python -m "
              "lmconsole.adapters.flexlm.sim init DIR)", file=sys.stderr)
        return 1
    answer = ""
    if args[:1] == ["lmdown"] and "-q" not in args:
        answer = sys.stdin.readline()  # lmdown asks "Are you sure (y/n)?" without -q
    try:
        with open_state_dir(sim_dir, requester=requester()) as server:
            code, out, err = server.lmutil(args, stdin=answer)
    except SimulationError as exc:
        print(f"lmconsole-sim-lmutil: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(out)
    sys.stderr.write(err)
    return code


def sim_dir_of(args: list[str]) -> tuple[str | None, list[str]]:
    """The state directory (`--sim-dir DIR` first, else $LMCONSOLE_SIM_DIR) and the command."""
    if args[:1] == ["--sim-dir"] and len(args) > 1:
        return args[1], args[2:]
    if args and args[0].startswith("--sim-dir="):
        return args[0].split("=", 1)[1], args[1:]
    return os.environ.get("LMCONSOLE_SIM_DIR"), args


def requester() -> str:
    """Who runs the command, as the licence server sees them (user@host)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


if __name__ == "__main__":
    sys.exit(main())
