"""The transport onto an in-process simulated FlexLM server: lmutil command lines run on it,
and its debug log is followed, like a real server's over the local or the SSH transport."""

from __future__ import annotations

from datetime import datetime

from lmconsole.adapters.transports.simulated import SimulatedServerTransport
from lmconsole.transport import CommandResult

from .debuglog import date_text


class SimulatorTransport(SimulatedServerTransport):
    """Runs lmutil command lines on an in-process simulated server and follows its debug
    log. A reader dates lines by today's date until the log names one; a simulated server
    lives on another day, so a follow opens with the TIMESTAMP line lmgrd would write."""

    def answer(self, argv: list[str]) -> CommandResult:
        return CommandResult(*self.server.lmutil(argv[1:]))

    def log_lines(self) -> list[str]:
        return self.server.log.lines

    def opening_lines(self) -> list[str]:
        return [self.dating_line()]

    def dating_line(self) -> str:
        """The line that tells a reader of the log today's date on the server."""
        return timestamp_line(self.server.log.local(self.server.now_s))


def timestamp_line(at: datetime) -> str:
    return f"{at.hour:>2}:{at.minute:02}:{at.second:02} (lmgrd) TIMESTAMP {date_text(at)}"
