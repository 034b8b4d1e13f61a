"""An import's rows written into an SQLite file by a process of its own.

Reading a log (parsing, sessions) and writing its rows into SQLite each take about half of
an import's time, and both hold Python's GIL most of it: in one process they take turns,
in two they run at once on two cores. The importer (`BulkWriter`, the parent) sends each
batch pickled through the child's stdin; the child (this file run by Python, `main`)
writes it in one transaction, exactly as `HistoryStore.write_tuples` does (the same
statements, which the parent hands it, and the same pragmas, with SQLITE_BULK_PRAGMAS
after them), and answers one byte once it is committed. A batch is known to be in the
database only then: a crash or a failed write leaves the batches before it, each
whole, and importing the files again adds the rest (rows are keyed by their line).

The child is this file run as a script: it imports nothing but the standard library, so
that it starts in milliseconds; SQLAlchemy stays in the parent.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import os
import pickle
import sqlite3
import struct
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

HEADER = struct.Struct("<Q")  # the length of the pickled message that follows
COMMITTED = b"+"  # the child's answer to a batch written


class BulkWriterError(Exception):
    """The child could not write (its own words), or it ended."""


# (SQL, its parameter tuples for executemany), or (SQL, None): a statement run once (DDL)
Statements = list[tuple[str, list[tuple] | None]]


class BulkWriter:
    """The parent's side: a child process writing batches into `database` (a file path).
    `pragmas` are run on the child's connection."""

    def __init__(self, database: str, pragmas: Sequence[str], busy_timeout_s: float) -> None:
        self.setup = (database, list(pragmas), busy_timeout_s)
        self._process: subprocess.Popen | None = None
        self._one_at_a_time = asyncio.Lock()

    async def start(self) -> None:
        """Starts the child (OSError when it cannot be) and has it open the database."""
        # this file run as a script, isolated (-I): nothing from the working directory or
        # the environment is imported in place of the standard library it uses
        self._process = subprocess.Popen(
            [sys.executable, "-I", str(Path(__file__).resolve())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        await self._exchange(self.setup)

    async def write(self, statements: Statements) -> None:
        """One batch, in one transaction; returns once it is committed. The parameters come
        ready for the statements (the rows of a many-row INSERT in one tuple): the parent
        has time to spare while the child writes, and one long tuple is pickled and
        unpickled quicker than the rows it holds."""
        await self._exchange(statements)

    async def close(self) -> None:
        """Ends the child: at once when idle; a batch being written is finished first."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError):  # BrokenPipeError: it had ended
            process.stdin.close()
        try:
            await asyncio.to_thread(process.wait)
        except asyncio.CancelledError:  # a transaction cut short is rolled back by SQLite
            process.kill()
            raise
        finally:
            process.stdout.close()
            process.stderr.close()

    async def _exchange(self, message) -> None:
        """Sends a message and waits for its answer. The message is written at once, from
        this thread: the child is idle, waiting for it (a message goes only once the one
        before is answered), and reads a batch of megabytes in milliseconds. Through
        asyncio's pipe it went 64 KiB at a time, one piece each time the importer let the
        event loop run; handed to a thread, it waited for that thread to wake and take the
        GIL from the busy importer, about 100 ms a batch, while the child sat idle. The
        answer is awaited on the event loop."""
        async with self._one_at_a_time:
            process = self._process
            answer = await _answered(process, _pickled(message))
            if answer != COMMITTED:
                reason = (await asyncio.to_thread(process.stderr.read)).decode(
                    errors="replace").strip()
                await self.close()
                raise BulkWriterError(reason or f"the writer process ended "
                                                f"(exit status {process.returncode})")


async def _answered(process: subprocess.Popen, data: bytes) -> bytes:
    """Writes one message to the child; its answer (empty: it ended)."""
    try:
        process.stdin.write(HEADER.pack(len(data)))
        process.stdin.write(data)
        process.stdin.flush()
    except (BrokenPipeError, ConnectionResetError):
        return b""
    loop = asyncio.get_running_loop()
    answers = process.stdout.fileno()
    answer = loop.create_future()

    def readable() -> None:
        if not answer.done():
            answer.set_result(os.read(answers, 1))

    loop.add_reader(answers, readable)
    try:
        return await answer
    finally:
        loop.remove_reader(answers)


def _pickled(message) -> bytes:
    """Rows pickled without the memo (the pickler's `fast` mode, which Python documents
    as deprecated and still has): a third of the time, and rows are tuples of numbers and
    strings, which never refer back to themselves."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(message)
    return buffer.getvalue()


# ---- the child ------------------------------------------------------------------------------

def main(source: BinaryIO, answers: BinaryIO) -> int:
    gc.disable()  # the rows unpickled make no cycles (see lmconsole/gc_pause.py)
    setup = _receive(source)
    if setup is None:
        return 0
    database, pragmas, busy_timeout_s = setup
    connection = sqlite3.connect(database, timeout=busy_timeout_s, isolation_level=None)
    try:
        for pragma in pragmas:
            connection.execute(f"PRAGMA {pragma}")
        _answer(answers)
        while (batch := _receive(source)) is not None:
            _write(connection, batch)
            _answer(answers)
    except sqlite3.Error as error:
        print(f"{database}: {error}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    return 0


def _write(connection: sqlite3.Connection, statements: Statements) -> None:
    connection.execute("BEGIN")
    try:
        for sql, parameters in statements:
            if parameters is None:
                connection.execute(sql)
            else:
                connection.executemany(sql, parameters)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _receive(source: BinaryIO):
    head = source.read(HEADER.size)
    if len(head) < HEADER.size:
        return None  # the parent closed the pipe: done
    size, = HEADER.unpack(head)
    data = source.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


def _answer(answers: BinaryIO) -> None:
    answers.write(COMMITTED)
    answers.flush()


if __name__ == "__main__":
    sys.exit(main(sys.stdin.buffer, sys.stdout.buffer))
