"""The history's migrations build exactly the tables schema.py declares, on SQLite and on
PostgreSQL, from an empty database and from one left at an older revision with data in it."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, select, text

from lmconsole.history import schema
from lmconsole.history.store import SCHEMA_REVISION, HistoryStore, StoreError, _alembic_config

from .postgres import postgres_fixture  # noqa: F401 - registers `postgres`


def differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_server_default": False})
    return compare_metadata(context, schema.metadata)


async def migrated_differences(url: str) -> tuple[str | None, list]:
    store = await HistoryStore.open(url)
    try:
        async with store.engine.connect() as connection:
            return await store.schema_version(), await connection.run_sync(differences)
    finally:
        await store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    return request.getfixturevalue("postgres").new_database()


def test_the_migrations_build_the_declared_schema(database):
    version, found = asyncio.run(migrated_differences(database))
    assert version == "0012_daemon_seen_until"
    assert found == []


def test_the_revision_a_database_needs_no_upgrade_at_is_the_newest_migrations():
    """A database at SCHEMA_REVISION is opened without running the migrations: it must be
    the head of migrations/, or a new migration would never run."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(None))
    assert script.get_current_head() == SCHEMA_REVISION


def test_a_database_at_the_first_revision_is_upgraded_with_its_rows(database):
    async def scenario() -> list:
        store = await HistoryStore.open(database)
        async with store.engine.begin() as connection:  # back to 0001, with a session in it
            await connection.run_sync(downgrade_to_first)
            await connection.execute(insert(schema.servers).values(
                id=1, name="office", manager="flexlm"))
            await connection.execute(text(
                "INSERT INTO sessions (server_id, feature, user_name, count, borrowed, "
                "start_at, end_kind) VALUES (1, 'AutoCAD', 'bob', 1, false, 100, 'in')"))
        await store.close()
        store = await HistoryStore.open(database)  # upgraded on opening
        try:
            s = schema.sessions
            return await store.rows(select(s.c.user_name, s.c.reserved, s.c.poll_key))
        finally:
            await store.close()

    assert asyncio.run(scenario()) == [("bob", False, None)]
    assert asyncio.run(migrated_differences(database)) == ("0012_daemon_seen_until", [])


def downgrade_to_first(connection) -> None:
    downgrade_to("0001")(connection)


def test_an_upgrade_that_fails_half_way_changes_nothing(database):
    """The migrations run as one transaction, on SQLite too (where pysqlite commits each DDL
    statement by itself): a collector killed, or an upgrade failing, between two migrations
    leaves the database as it was, never half upgraded (seen: a kill during the first
    migration of a new file, then "table audit already exists" on every later open)."""
    from lmconsole.history.store import StoreError

    async def prepare() -> None:
        store = await HistoryStore.open(database)
        async with store.engine.begin() as connection:
            await connection.run_sync(downgrade_to(FAILING_FROM))
            # A table of a later migration already there: that migration fails, after the
            # ones before it ran.
            await connection.execute(text("CREATE TABLE directories (id INTEGER)"))
        await store.close()

    asyncio.run(prepare())
    with pytest.raises(StoreError, match="directories"):
        asyncio.run(HistoryStore.open(database))
    assert asyncio.run(version_and_tables(database)) == (FAILING_FROM, False)


FAILING_FROM = "0004"  # 0005_alerts creates alert_changes, then 0006_directory fails


def downgrade_to(revision: str):
    def downgrade(connection) -> None:
        from alembic import command

        command.downgrade(_alembic_config(connection), revision)
    return downgrade


async def version_and_tables(url: str) -> tuple[str | None, bool]:
    """The revision the database records, and whether alert_changes exists."""
    from sqlalchemy import inspect
    from sqlalchemy.ext.asyncio import create_async_engine

    from lmconsole.history.store import database_url

    engine = create_async_engine(database_url(url))
    try:
        async with engine.connect() as connection:
            version = (await connection.execute(
                text("SELECT version_num FROM alembic_version"))).scalar()
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        return version, "alert_changes" in tables
    finally:
        await engine.dispose()


def test_gaps_of_one_start_are_one_row_naming_each_and_writing_again_changes_nothing(database):
    # two logs of a server lost in the same second (the link went): one row names both
    async def scenario():
        store = await HistoryStore.open(database)
        try:
            server = await store.server_id("rlm1", manager="rlm", time_zone=None)

            async def gaps(*rows):
                await store.record([], [], [], list(rows), server_id=server, reads=[], now=0)
                return [tuple(row) for row in await store.rows(
                    select(schema.gaps.c.kind, schema.gaps.c.start_at, schema.gaps.c.end_at,
                           schema.gaps.c.reason).order_by(schema.gaps.c.kind))]

            foundry = {"kind": "log", "start_at": 100, "end_at": 160, "reason": "foundry.rl"}
            simio = {"kind": "log", "start_at": 100, "end_at": 190, "reason": "simio.rl"}
            assert await gaps(foundry) == [("log", 100, 160, "foundry.rl")]
            merged = [("log", 100, 190, "foundry.rl; simio.rl")]
            assert await gaps(simio) == merged
            assert await gaps(foundry, simio) == merged  # a batch written again
            # a poll gap opens, then closes: the end is taken, the reason kept
            assert await gaps({"kind": "poll", "start_at": 100, "end_at": None,
                               "reason": "lmstat exited 1"}) == merged + [
                ("poll", 100, None, "lmstat exited 1")]
            closed = [("poll", 100, 130, "lmstat exited 1")]
            assert await gaps({"kind": "poll", "start_at": 100, "end_at": 130,
                               "reason": None}) == merged + closed
            assert await gaps({"kind": "poll", "start_at": 100, "end_at": None,
                               "reason": "lmstat exited 1"}) == merged + closed
        finally:
            await store.close()

    asyncio.run(scenario())


def test_a_database_a_newer_lmconsole_upgraded_is_refused_in_words(database):
    async def scenario() -> str:
        store = await HistoryStore.open(database)
        async with store.engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = "
                                          "'0099_from_the_future'"))
        await store.close()
        with pytest.raises(StoreError) as refused:
            await HistoryStore.open(database)
        return str(refused.value)

    words = asyncio.run(scenario())
    assert "upgraded by a newer lmconsole than this one" in words
    assert "0099_from_the_future" in words


def test_a_bulk_batch_with_a_row_twice_ends_as_written_row_by_row(database):
    """An import's batch may name a session, or a counted minute, twice (still open, then
    ended): each engine's bulk path ends where rows written one by one would."""
    from lmconsole.history.store import SESSION_COLUMNS

    async def scenario():
        store = await HistoryStore.open(database)
        try:
            server = await store.server_id("lab", manager="flexlm", time_zone="UTC")
            source = (await store.source(server, "x" * 64, 1, "/logs/lab.log",
                                         lambda size: "x" * 64, 0)).id
            session = dict.fromkeys(SESSION_COLUMNS) | {
                "server_id": server, "source_id": source, "byte_offset": 40,
                "feature": "CATIA", "daemon": "dassault", "user_name": "ann", "count": 1,
                "borrowed": False, "start_at": 1000, "end_kind": "still_open"}
            ended = session | {"end_at": 1600, "end_kind": "in"}
            other = session | {"byte_offset": 80, "user_name": "bob"}
            rows = [tuple(row[column] for column in SESSION_COLUMNS)
                    for row in (session, other, ended, session)]  # ended, then open again
            minutes = [(server, "CATIA", 960, 1, 0.5, 0, True, 0),
                       (server, "CATIA", 960, 2, 1.0, 0, True, 0)]
            await store.write_tuples([], [], rows, minutes=minutes)
            await store.write_tuples([], [], rows, minutes=minutes)  # and the batch again
            sessions = await store.rows(select(
                schema.sessions.c.user_name, schema.sessions.c.end_at,
                schema.sessions.c.end_kind).order_by(schema.sessions.c.user_name))
            counted = await store.rows(select(schema.occupancy_minute.c.in_use_peak))
            return [tuple(row) for row in sessions], [tuple(row) for row in counted]
        finally:
            await store.close()

    assert asyncio.run(scenario()) == ([("ann", 1600, "in"), ("bob", None, "still_open")],
                                       [(2,)])
