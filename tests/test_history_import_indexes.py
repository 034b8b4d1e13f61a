"""A large import into SQLite writes its rows without the secondary indexes of the tables it
fills and builds them again afterwards; whatever stops it, the database ends up with the
schema's indexes (built by the next open if the import was killed)."""

from __future__ import annotations

import asyncio
import fcntl
import sqlite3

from lmconsole.history.store import HistoryStore

from .postgres import postgres_fixture  # noqa: F401 - registers `postgres`
from .test_history_import import database, imported, info, lmconsole, log
from .test_history_schema import migrated_differences

COVERING = "ix_sessions_feature_user_name_start_at_covering"


def busy_log(path, users: int):
    lines = [" 8:00:00 (lmgrd) TIMESTAMP 3/2/2026"]
    for i in range(users):
        lines.append(f' 9:{i // 60 % 60:02}:{i % 60:02} (MLM) OUT: "MATLAB" u{i}@h  ')
        lines.append(f'10:{i // 60 % 60:02}:{i % 60:02} (MLM) IN: "MATLAB" u{i}@h  ')
    return log(path, *lines)


def refuse_events_without(connection, index: str, after_line: int = 0) -> None:
    """The database refuses an event row past `after_line` while `index` is missing."""
    connection.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.line > "
                       f"{after_line} AND NOT EXISTS (SELECT 1 FROM sqlite_master WHERE "
                       f"name = '{index}') BEGIN SELECT RAISE(ABORT, 'no index'); END")


def indexes(tmp_path) -> list[tuple[str, str]]:
    """The indexes of the database in tmp_path (created empty if there is none), as SQLite
    holds them: the statements that made them."""
    if not (tmp_path / "history.db").exists():
        assert lmconsole(tmp_path, "history", "info", "--database",
                         database(tmp_path)).returncode == 0
    with sqlite3.connect(tmp_path / "history.db") as connection:
        return connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                  "ORDER BY name").fetchall()


def test_an_import_into_an_empty_database_defers_the_indexes_and_builds_them_even_if_it_fails(
        tmp_path):
    path = busy_log(tmp_path / "long.log", 12_500)  # two batches of events
    assert lmconsole(tmp_path, "history", "info", "--database",
                     database(tmp_path)).returncode == 0  # created, empty
    with sqlite3.connect(tmp_path / "history.db") as connection:
        refuse_events_without(connection, COVERING, after_line=20_001)
    failed = lmconsole(tmp_path, "import", str(path), "--server", "upm", "--server-tz",
                       "Europe/Madrid", "--database", database(tmp_path))
    assert failed.returncode == 3 and "no index" in failed.stderr
    assert info(tmp_path)["rows"]["events"] == 20_000  # the first batch, whole
    assert asyncio.run(migrated_differences(database(tmp_path)))[1] == []
    with sqlite3.connect(tmp_path / "history.db") as connection:
        connection.execute("DROP TRIGGER refuse")
    again = imported(tmp_path, path)
    assert again["events"] == "25,000 (5,000 new)"
    assert indexes(tmp_path) == indexes(tmp_path / "empty")  # as the migrations made them
    assert imported(tmp_path, path)["events"] == "25,000 (0 new)"
    whole = imported(tmp_path / "fresh", path)
    assert info(tmp_path)["rows"] == info(tmp_path / "fresh")["rows"]
    assert whole["in use"] == again["in use"]


def test_an_import_smaller_than_the_history_keeps_the_indexes(tmp_path):
    imported(tmp_path, busy_log(tmp_path / "first.log", 500))  # 1,000 events
    with sqlite3.connect(tmp_path / "history.db") as connection:
        refuse_events_without(connection, COVERING)
    # 201 lines of about 40 bytes: far fewer than the events there already
    smaller = imported(tmp_path, busy_log(tmp_path / "second.log", 100), server="other")
    assert smaller["events"] == "200 (200 new)"


def test_the_indexes_of_an_import_killed_midway_are_built_by_the_next_open(tmp_path):
    url = database(tmp_path)

    async def killed_midway() -> None:
        store = await HistoryStore.open(url)
        await store.defer_indexes()
        await store.close()  # as if killed: nothing built them again

    asyncio.run(killed_midway())
    with sqlite3.connect(tmp_path / "history.db") as connection:
        names = {name for name, in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert COVERING not in names and "ix_events_server_id_at" not in names
    assert "sqlite_autoindex_events_1" in names  # the natural keys are never dropped
    assert asyncio.run(migrated_differences(url))[1] == []


def test_an_open_during_an_import_leaves_the_deferred_indexes_to_it(tmp_path):
    url, lock_path = database(tmp_path), tmp_path / "history.db.indexes"

    async def reopened() -> None:
        store = await HistoryStore.open(url)
        await store.close()

    async def deferred() -> None:
        store = await HistoryStore.open(url)
        await store.defer_indexes()
        await store.close()

    asyncio.run(deferred())
    with open(lock_path, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_SH)  # as an import holds it
        asyncio.run(reopened())
        assert COVERING not in dict(indexes(tmp_path))
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    asyncio.run(reopened())
    assert indexes(tmp_path) == indexes(tmp_path / "empty")


def test_only_sqlite_defers_and_only_for_as_many_lines_as_events_it_holds(tmp_path,
                                                                          postgres):
    async def defers(url: str, lines: int) -> bool:
        store = await HistoryStore.open(url)
        try:
            return await store.defers_indexes_for(lines)
        finally:
            await store.close()

    assert asyncio.run(defers(database(tmp_path), 0))  # empty
    imported(tmp_path, busy_log(tmp_path / "first.log", 100))  # 200 events
    assert not asyncio.run(defers(database(tmp_path), 199))
    assert asyncio.run(defers(database(tmp_path), 200))
    assert not asyncio.run(defers(postgres.new_database(), 10**9))
