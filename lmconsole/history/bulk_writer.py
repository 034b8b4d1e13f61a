"""An import's rows written into an SQLite file by a process of its own.

Reading a log (parsing, sessions) and writing its rows into SQLite each take about half of
an import's time, and both hold Python's GIL most of it: in one process they take turns,
in two they run at once on two cores. The importer (`BulkWriter`, the parent) sends each
batch pickled through the child's stdin; the child (this file run by Python, `main`)
writes it in one transaction, exactly as `HistoryStore.write_tuples` does (the same
statements, which the parent hands it, and the same pragmas, with SQLITE_BULK_PRAGMAS
after them), and answers one byte once it is committed; it receives the next batch
while it writes one (IN_FLIGHT). A batch is known to be in the database only then: a crash
or a failed write leaves the batches before it, each whole, and importing the files again
adds the rest (rows are keyed by their line).

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
import queue
import sqlite3
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

IN_FLIGHT = 2  # batches sent and not yet committed: the child receives one as it writes one
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
        self._room = asyncio.Semaphore(IN_FLIGHT)
        self._answers: deque[asyncio.Future] = deque()  # of the batches sent, in order
        self._failure: asyncio.Future | None = None  # why the child could not go on

    async def start(self) -> None:
        """Starts the child (OSError when it cannot be) and has it open the database."""
        # this file run as a script, isolated (-I): nothing from the working directory or
        # the environment is imported in place of the standard library it uses
        self._process = subprocess.Popen(
            [sys.executable, "-I", str(Path(__file__).resolve())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        await self.write(self.setup)

    async def write(self, statements: Statements) -> None:
        """One batch, in one transaction; returns once it is committed. Up to IN_FLIGHT
        calls may wait at once: their batches are written in the order of the calls. The
        parameters come ready for the statements (the rows of a many-row INSERT in one
        tuple): the parent has time to spare while the child writes, and one long tuple is
        pickled and unpickled quicker than the rows it holds.

        The batch is written to the pipe at once, from this thread: with at most IN_FLIGHT
        sent, the child's receiving thread is waiting for it and reads megabytes in
        milliseconds. Through asyncio's pipe it went 64 KiB at a time, one piece each time
        the importer let the event loop run; handed to a thread, it waited about 100 ms for
        that thread to wake and take the GIL from the busy importer, while the child sat
        idle. The answers are read on the event loop."""
        async with self._room:
            answer = await self._sent(_pickled(statements))
        if answer != COMMITTED:
            if self._failure is None:
                self._failure = asyncio.ensure_future(self._why_it_failed())
            raise BulkWriterError(await asyncio.shield(self._failure))

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
            self._answered_all(process, b"")
            process.stdout.close()
            process.stderr.close()

    def _sent(self, data: bytes) -> asyncio.Future:
        """Writes one message to the child; the future of its answer (empty: it ended)."""
        process, answer = self._process, asyncio.get_running_loop().create_future()
        try:
            if process is None:
                raise BrokenPipeError
            process.stdin.write(HEADER.pack(len(data)))
            process.stdin.write(data)
            process.stdin.flush()
        except (BrokenPipeError, ConnectionResetError):
            answer.set_result(b"")
            return answer
        if not self._answers:
            asyncio.get_running_loop().add_reader(process.stdout.fileno(), self._readable)
        self._answers.append(answer)
        return answer

    def _readable(self) -> None:
        """The child's answers, one byte each, to the batches sent, in their order."""
        answers = os.read(self._process.stdout.fileno(), IN_FLIGHT)
        if not answers:  # it ended
            self._answered_all(self._process, b"")
            return
        for answer in answers:
            future = self._answers.popleft()
            if not future.done():  # else its writer was cancelled
                future.set_result(bytes((answer,)))
        if not self._answers:
            asyncio.get_running_loop().remove_reader(self._process.stdout.fileno())

    def _answered_all(self, process: subprocess.Popen, answer: bytes) -> None:
        """Every batch not answered yet given `answer` (empty: the child ended)."""
        if self._answers:
            asyncio.get_running_loop().remove_reader(process.stdout.fileno())
        while self._answers:
            future = self._answers.popleft()
            if not future.done():
                future.set_result(answer)

    async def _why_it_failed(self) -> str:
        """The child's own words, once it has ended (it ends on the first failure)."""
        process = self._process
        if process is None:
            return "the writer process was closed"
        reason = (await asyncio.to_thread(process.stderr.read)).decode(errors="replace")
        await self.close()
        return reason.strip() or f"the writer process ended (exit status {process.returncode})"


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
        # the next batch is received and unpickled while one is written (sqlite3 lets the
        # GIL go as SQLite works)
        batches: queue.Queue = queue.Queue(maxsize=1)
        threading.Thread(target=_receive_all, args=(source, batches), daemon=True).start()
        while (batch := batches.get()) is not None:
            if isinstance(batch, Exception):
                print(f"{database}: a batch could not be read: {batch!r}", file=sys.stderr)
                return 1
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


def _receive_all(source: BinaryIO, batches: queue.Queue) -> None:
    """Every message of the parent, put in `batches`; then None once it closed the pipe,
    or what kept a message from being read (the writer then ends, and says it)."""
    while True:
        try:
            batch = _receive(source)
        except Exception as error:  # noqa: BLE001  (handed to the main thread)
            batch = error
        batches.put(batch)
        if batch is None or isinstance(batch, Exception):
            return


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
    status = main(sys.stdin.buffer, sys.stdout.buffer)
    sys.stderr.flush()
    # no finalization: after a failure the receiving thread may be blocked reading stdin,
    # whose closing would then abort the interpreter
    os._exit(status)
