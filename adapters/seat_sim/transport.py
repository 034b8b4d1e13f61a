"""The transport onto an in-process simulated server (a SeatServer, or the LM-X one): its command
lines run on it, and its log is followed, like a real server's over the local or the SSH
transport."""

from __future__ import annotations

from lmconsole.adapters.transports.simulated import SimulatedServerTransport
from lmconsole.transport import CommandResult


class SeatSimulatorTransport(SimulatedServerTransport):
    """Runs the server's commands (its `command(argv)`: (exit, stdout, stderr), or None for
    a program it does not know) and follows its log, `log_lines`, whose every line carries
    its full date: a follow needs no date line first."""

    file_id_prefix = "seat-sim"

    def answer(self, argv: list[str]) -> CommandResult:
        answer = self.server.command(argv) if argv else None
        if answer is None:
            return CommandResult(127, "", f"{argv[0] if argv else ''}: command not found\n")
        return CommandResult(*answer)

    def log_lines(self) -> list[str]:
        return self.server.log_lines
