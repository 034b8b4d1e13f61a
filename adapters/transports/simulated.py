"""The transport onto an in-process simulated server: its command lines run on it, and its
log is followed, like a real server's over the local or the SSH transport. Each simulator's
transport says how a command runs on its server and where its log's lines are."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from lmconsole.transport import CommandResult, FileStat, FollowItem, LogLine, LogOpened, LogPosition

from .local import LocalTransport


class SimulatedServerTransport:
    """Runs command lines on an in-process simulated server and follows its log (the
    simulator has one log, whatever path is asked for; read, stat and `tail -c` of the
    configured `log_path` give it too). The other files (licence, options, backups) are this
    machine's, through the local transport. Subclasses write `answer` and `log_lines`."""

    is_local = True
    simulated = True  # the console keeps the simulated server's clock (lmconsole.adapter)
    file_id_prefix = "sim"  # the followed log's identity: this and the server's id

    def __init__(self, server, *, follow_poll_s: float = 0.1, log_path: str | None = None
                 ) -> None:
        self.server = server
        self.follow_poll_s = follow_poll_s
        self.log_path = log_path
        self.files = LocalTransport()

    def answer(self, argv: list[str]) -> CommandResult:
        """What the simulated server answers to the command line `argv`."""
        raise NotImplementedError

    def log_lines(self) -> list[str]:
        """The simulated log, every line written so far (the server synced)."""
        raise NotImplementedError

    def opening_lines(self) -> list[str]:
        """Lines of no position a follow opens with (a log whose lines carry no date is
        dated by the line its server would write)."""
        return []

    async def run(self, argv: Sequence[str], *, timeout: float) -> CommandResult:
        if list(argv[1:2]) == ["-c"] and list(argv[3:]) == [self.log_path]:
            count = argv[2]
            if argv[0] == "tail":  # "+N": from byte N on; "N": the last N bytes
                log = self._log()
                part = log[int(count[1:]) - 1:] if count.startswith("+") else log[-int(count):]
                return CommandResult(0, part.decode(errors="replace"), "")
            if argv[0] == "head":  # the first N bytes
                return CommandResult(0, self._log()[:int(count)].decode(errors="replace"), "")
        return self.answer(list(argv))

    async def follow(self, path: str, start: LogPosition | None = None
                     ) -> AsyncIterator[FollowItem]:
        """The simulated log from its end (as `tail -F`) or from `start`; its offsets count
        lines."""
        self.server.sync()
        file_id = f"{self.file_id_prefix}-{id(self.server)}"
        lines = self.log_lines()
        resumed = start is not None and start.file_id == file_id and start.offset <= len(lines)
        seen = start.offset if resumed else len(lines)
        lost = None if start is None or resumed else "the simulated server was started again"
        yield LogOpened(LogPosition(file_id, seen), lost)
        for line in self.opening_lines():
            yield LogLine(line, LogPosition(file_id, seen))
        while True:
            self.server.sync()
            lines = self.log_lines()
            while seen < len(lines):  # lines written while the reader handles one count too
                seen += 1
                yield LogLine(lines[seen - 1], LogPosition(file_id, seen))
            await asyncio.sleep(self.follow_poll_s)

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
        lines = self.log_lines()
        return ("\n".join(lines) + "\n").encode() if lines else b""
