"""The import's SQLite writer process (lmconsole/history/bulk_writer.py), on real files."""

from __future__ import annotations

import asyncio
import pickle
import sqlite3
import subprocess
import sys

import pytest

from lmconsole.history import bulk_writer
from lmconsole.history.bulk_writer import COMMITTED, HEADER, BulkWriter, BulkWriterError

CREATE = "CREATE TABLE rows (n INTEGER PRIMARY KEY, batch INTEGER)"
INSERT = "INSERT INTO rows VALUES (?, ?)"


def batch(number: int, size: int = 50_000) -> list:
    """A batch big enough not to fit a pipe's buffer (a megabyte pickled)."""
    return [(INSERT, [(number * size + n, number) for n in range(size)])]


def rows(path) -> list[tuple[int, int]]:
    """(batch, rows of it) written."""
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT batch, count(*) FROM rows GROUP BY batch ORDER BY batch").fetchall()


async def started(path) -> BulkWriter:
    writer = BulkWriter(str(path), ["journal_mode=WAL"], busy_timeout_s=1.0)
    await writer.start()
    await writer.write([(CREATE, None)])
    return writer


def test_batches_written_at_once_land_whole_and_in_order(tmp_path):
    async def write_three() -> None:
        writer = await started(tmp_path / "h.db")
        try:
            await asyncio.wait_for(
                asyncio.gather(*(writer.write(batch(n)) for n in range(3))), timeout=60)
        finally:
            await writer.close()

    asyncio.run(write_three())
    assert rows(tmp_path / "h.db") == [(0, 50_000), (1, 50_000), (2, 50_000)]


def test_a_writer_killed_is_an_error_not_a_wait(tmp_path):
    async def write_after_kill() -> None:
        writer = await started(tmp_path / "h.db")
        await writer.write(batch(0))
        writer._process.kill()
        writer._process.wait()
        with pytest.raises(BulkWriterError, match="ended"):
            await asyncio.wait_for(writer.write(batch(1)), timeout=30)

    asyncio.run(write_after_kill())
    assert rows(tmp_path / "h.db") == [(0, 50_000)]


def test_the_event_loop_runs_while_a_batch_is_written(tmp_path):
    # the demo's console runs while it imports: the loop must not wait for the database
    async def ticks_during_write() -> int:
        writer = await started(tmp_path / "h.db")
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        ticking = asyncio.ensure_future(tick())
        try:
            await writer.write(batch(0, size=400_000))
        finally:
            ticking.cancel()
            await writer.close()
        return ticks

    assert asyncio.run(ticks_during_write()) > 10


def test_a_batch_refused_fails_it_and_those_sent_after_it_with_the_databases_words(tmp_path):
    async def write_three_second_refused() -> list:
        writer = await started(tmp_path / "h.db")
        refused = [(INSERT, [(-1, 1), ("not a number", 1)])]  # a type the key refuses
        try:
            return await asyncio.wait_for(asyncio.gather(
                writer.write(batch(0)), writer.write(refused), writer.write(batch(2)),
                return_exceptions=True), timeout=60)
        finally:
            await writer.close()

    first, second, third = asyncio.run(write_three_second_refused())
    assert first is None
    assert isinstance(second, BulkWriterError)
    assert str(second).endswith("h.db: datatype mismatch")
    assert isinstance(third, BulkWriterError) and str(third) == str(second)
    assert rows(tmp_path / "h.db") == [(0, 50_000)]  # nothing of the refused batch


def test_a_garbled_message_ends_the_writer_with_words_not_a_hang(tmp_path):
    setup = pickle.dumps((str(tmp_path / "h.db"), [], 1.0))
    garbled = b"not a pickle"
    child = subprocess.run(
        [sys.executable, "-I", bulk_writer.__file__],
        input=HEADER.pack(len(setup)) + setup + HEADER.pack(len(garbled)) + garbled,
        capture_output=True, timeout=60)
    assert child.returncode == 1
    assert child.stdout == COMMITTED  # the setup, answered
    assert "h.db: a batch could not be read: UnpicklingError" in child.stderr.decode()
