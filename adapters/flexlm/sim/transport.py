"""The transport onto an in-process simulated server: lmutil command lines run on it, and
its debug log is followed, like a real server's over the local or the SSH transport."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from lmconsole.adapters.transports.local import LocalTransport
from lmconsole.transport import CommandResult, FileStat, FollowItem, LogLine, LogOpened, LogPosition

from .debuglog import date_text
from .server import SimulatedServer


class SimulatorTransport:
    """Runs lmutil command lines on an in-process simulated server and follows its debug
    log (the simulator has one log, whatever path is asked for; read, stat and `tail -c` of
    the configured `log_path` give it too). The other files (licence, options, backups) are
    this machine's, through the local transport."""

    is_local = True
    simulated = True  # the console keeps the simulated server's clock (lmconsole.adapter)

    def __init__(self, server: SimulatedServer, *, follow_poll_s: float = 0.1,
                 log_path: str | None = None) -> None:
        self.server = server
        self.follow_poll_s = follow_poll_s
        self.log_path = log_path
        self.files = LocalTransport()

    async def run(self, argv: Sequence[str], *, timeout: float) -> CommandResult:
        if list(argv[:2]) == ["tail", "-c"] and list(argv[3:]) == [self.log_path]:
            count = argv[2]  # "+N": from byte N on; "N": the last N bytes
            log = self._log()
            tail = log[int(count[1:]) - 1:] if count.startswith("+") else log[-int(count):]
            return CommandResult(0, tail.decode(errors="replace"), "")
        return CommandResult(*self.server.lmutil(list(argv[1:])))

    async def follow(self, path: str, start: LogPosition | None = None
                     ) -> AsyncIterator[FollowItem]:
        """The simulated log from its end (as `tail -F`) or from `start`; its offsets count
        lines. A reader dates lines by today's date until the log names one; a simulated
        server lives on another day, so the follow opens with the TIMESTAMP line lmgrd
        would write (a line of no position)."""
        self.server.sync()
        file_id = f"sim-{id(self.server)}"
        lines = self.server.log.lines
        resumed = start is not None and start.file_id == file_id and start.offset <= len(lines)
        seen = start.offset if resumed else len(lines)
        lost = None if start is None or resumed else "the simulated server was started again"
        yield LogOpened(LogPosition(file_id, seen), lost)
        yield LogLine(self.dating_line(), LogPosition(file_id, seen))
        while True:
            self.server.sync()
            lines = self.server.log.lines
            while seen < len(lines):  # lines written while the reader handles one count too
                seen += 1
                yield LogLine(lines[seen - 1], LogPosition(file_id, seen))
            await asyncio.sleep(self.follow_poll_s)

    def dating_line(self) -> str:
        """The line that tells a reader of the log today's date on the server."""
        return timestamp_line(self.server.log.local(self.server.now_s))

    async def read(self, path: str) -> tuple[bytes, FileStat]:
        if path == self.log_path:
            data = self._log()
            return data, FileStat(len(data), 0, 0o644)
        return await self.files.read(path)

    async def stat(self, path: str) -> FileStat:
        if path == self.log_path:
            return FileStat(len(self._log()), 0, 0o644)
        return await self.files.stat(path)

    async def write_atomic(self, path: str, data: bytes, expected: FileStat | None, *,
                           like: str | None = None) -> FileStat:
        return await self.files.write_atomic(path, data, expected, like=like)

    async def list_dir(self, path: str) -> list[str]:
        return await self.files.list_dir(path)

    def _log(self) -> bytes:
        self.server.sync()
        lines = self.server.log.lines
        return ("\n".join(lines) + "\n").encode() if lines else b""


def timestamp_line(at: datetime) -> str:
    return f"{at.hour:>2}:{at.minute:02}:{at.second:02} (lmgrd) TIMESTAMP {date_text(at)}"
