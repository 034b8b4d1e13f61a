"""The history store: an SQLAlchemy async engine on SQLite (the default, a file in the
user's data directory) or PostgreSQL (a history shared by several machines).

`HistoryStore.open(url)` creates the database if need be and migrates it to the current
schema (Alembic, migrations/). Writes are batched, one transaction each, and idempotent:
rows read from a log are known by (source_id, byte_offset) and inserted with
"ON CONFLICT DO NOTHING"; a session's end is only ever written over `still_open`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Index, case, event, func, inspect, or_, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.schema import CreateIndex, DropIndex

from lmconsole.history import schema
from lmconsole.history.bulk_writer import BulkWriter
from lmconsole.history.logfiles import identity_digest
from lmconsole.history.schema import END_STILL_OPEN
from lmconsole.history.sessions import Session

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration's revision: a database at it is opened without loading Alembic and
# its scripts (a fifth of a second, at every start of a command that opens the history).
SCHEMA_REVISION = "0012_daemon_seen_until"
VERSION_TABLE = "alembic_version"  # Alembic's: the revision a database is at
_SQLITE = sqlite.dialect()
DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
SQLITE_BUSY_TIMEOUT_S = 30  # a console and a collector may write one SQLite file
SQLITE_CACHE_KIB = 16_384  # page cache per connection
# helper threads of an index build's sort, whose parts they sort and merge at once: the
# importer is done reading by then (the 5M-line benchmark's builds: 10.8 -> 8.2 s on 2 cores)
SQLITE_SORT_THREADS = min(4, os.cpu_count() or 1)
SQLITE_INDEX_BUILD_CACHE_KIB = 4_096  # and while an import's indexes are deferred or built
MIGRATION_LOCK = 4_726_137  # PostgreSQL advisory lock: one process migrates at a time
STREAM_ROWS = 5_000  # rows read at a time where there may be very many
# The indexes of the tables an import fills that no write of it reads: not the unique ones,
# which make its writes idempotent. A large import into SQLite drops them and builds them
# again once its rows are in (see `indexes_deferred`).
DEFERRABLE_INDEXES = tuple(index for table in (schema.events, schema.sessions, schema.denials)
                           for index in sorted(table.indexes, key=lambda i: i.name)
                           if not index.unique)


class StoreError(Exception):
    """The database cannot be opened or used; the message says which and why."""


def default_database_path(env=os.environ) -> Path:
    """$XDG_DATA_HOME/lmconsole/history.db (~/.local/share/lmconsole/history.db)."""
    data = env.get("XDG_DATA_HOME", "")
    base = Path(data) if data and Path(data).is_absolute() else (
        Path(env.get("HOME") or Path.home()) / ".local" / "share")
    return base / "lmconsole" / "history.db"


def database_url(configured: str | None, env=os.environ, *,
                 named_by: str = "database_url") -> URL:
    """The URL to open: the configured one with its async driver (a plain
    `postgresql://` or `sqlite://` gets asyncpg or aiosqlite); a path (no "://" in it), the
    SQLite file there; else the default file. `named_by`: where the value was given, as
    an error names it."""
    if not configured:
        return make_url(f"sqlite+aiosqlite:///{default_database_path(env)}")
    if "://" not in configured:
        return make_url(f"sqlite+aiosqlite:///{Path(configured).expanduser().absolute()}")
    try:
        url = make_url(configured)
    except (ArgumentError, ValueError) as error:  # ValueError: a port that is no number
        raise StoreError(f"{named_by} {configured!r}: not a URL SQLAlchemy reads "
                         f"({error})") from None
    backend = url.get_backend_name()
    if backend not in DRIVERS:
        raise StoreError(f"{named_by} {configured!r}: {backend} is not supported "
                         f"(use SQLite or PostgreSQL)")
    if url.drivername == backend:
        url = url.set(drivername=DRIVERS[backend])
    return url


def shown_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _gaps_upsert(insert, dialect: str):
    """A gap's row, merged with one of the same server, kind and start: an open gap takes its
    end; two logs of one server that stopped being read in the same second (a link lost)
    share a row that names both and ends with the later. Writing a gap again changes
    nothing."""
    upsert = insert(schema.gaps)
    row, new = schema.gaps.c, upsert.excluded
    position = func.instr if dialect == "sqlite" else func.strpos  # 0: not in it
    named_already = new.reason.is_(None) | (
        position("; " + row.reason + "; ", "; " + new.reason + "; ") > 0)
    return upsert.on_conflict_do_update(
        index_elements=["server_id", "kind", "start_at"],
        set_={"end_at": case((row.end_at.is_(None) | (new.end_at > row.end_at), new.end_at),
                             else_=row.end_at),
              "reason": case((named_already, row.reason),
                             (row.reason.is_(None), new.reason),
                             else_=row.reason + "; " + new.reason)})

FOLLOWED = "follow:"  # the identity of a followed log's source: this and the file's identity


@dataclass(frozen=True, slots=True)
class SourceRow:
    id: int
    bytes_read: int
    identity: str = ""
    last_at: int | None = None  # its last event
    read_at: int | None = None  # when it was last read


class KnownLine(NamedTuple):
    """An event line of a log file as the history keeps it: where it lies in the file, and
    what it says. The same line at the same place is the same file, however it was read
    (imported, or followed by a collector)."""

    byte_offset: int
    at: int
    kind: str
    daemon: str
    feature: str | None
    user: str | None


class HistoryStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.url = engine.url
        self.dialect = engine.dialect.name
        insert = _insert_function(self.dialect)
        self._insert = insert
        line_key = ["source_id", "byte_offset"]
        self._insert_events = insert(schema.events).on_conflict_do_nothing(
            index_elements=line_key)
        self._insert_denials = insert(schema.denials).on_conflict_do_nothing(
            index_elements=line_key)
        upsert = insert(schema.sessions)
        self._upsert_sessions = upsert.on_conflict_do_update(
            index_elements=line_key,
            set_={"end_at": upsert.excluded.end_at, "end_kind": upsert.excluded.end_kind,
                  "end_reason": upsert.excluded.end_reason},
            where=schema.sessions.c.end_kind == END_STILL_OPEN)
        self._upsert_gaps = _gaps_upsert(insert, self.dialect)

    # ---- opening ---------------------------------------------------------------------------

    @classmethod
    async def open(cls, url: URL | str | None = None) -> HistoryStore:
        """The store at `url` (a configured URL, or None for the default SQLite file),
        created and migrated to the current schema. StoreError when it cannot be."""
        url = database_url(url) if url is None or isinstance(url, str) else url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = _engine(url)
        store = cls(engine)
        try:
            async with _sqlite_file_lock(url), engine.begin() as connection:
                await _migrate(connection, store.dialect)
                if store.dialect == "sqlite":
                    with _deferral_lock(url, fcntl.LOCK_EX | fcntl.LOCK_NB) as no_import:
                        if no_import:  # else an import deferred them, and builds them
                            await _build_deferred_indexes(connection)
        except (OSError, DBAPIError, TypeError) as error:  # TypeError: an unknown URL option
            await engine.dispose()
            raise StoreError(f"{shown_url(url)}: cannot open the history database: "
                             f"{_reason(error)}") from None
        except _NewerSchema as error:
            await engine.dispose()
            raise StoreError(f"{shown_url(url)}: the history database was upgraded by a newer "
                             f"lmconsole than this one, which cannot use it: upgrade "
                             f"lmconsole ({error})") from None
        return store

    async def close(self) -> None:
        await self.engine.dispose()

    # ---- an import's indexes ---------------------------------------------------------------

    async def defers_indexes_for(self, lines: int) -> bool:
        """Whether an import of about `lines` lines is better written without the
        DEFERRABLE_INDEXES: on SQLite, when it holds at least as many rows as the events
        table already does. Each row added to an index goes to its place in the B-tree,
        and the covering index of sessions, by feature and user, puts them all over it;
        built afresh, an index is one sort (a 5 M-line log into an empty file: the
        writer's CPU 75 -> 41 s, the builds included). Beyond that size, building the
        rows already there again costs more than it saves."""
        if self.dialect != "sqlite":
            return False
        async with self.engine.connect() as connection:
            # the events table's largest rowid, read from the B-tree's edge: the rows it
            # holds, or more where some were deleted
            rows = (await connection.exec_driver_sql(
                "SELECT max(rowid) FROM events")).scalar_one()
        return lines >= (rows or 0)

    @contextlib.asynccontextmanager
    async def indexes_deferred(self) -> AsyncIterator[None]:
        """The DEFERRABLE_INDEXES dropped for the block (an import's rows are written
        without them; `build_indexes` builds them again, within it or, at the latest, as
        it ends). Meanwhile the import holds a shared flock on `<file>.indexes`, and an
        `open` of the database elsewhere leaves the indexes to it (building them would
        hold SQLite's write lock longer than the import's writer waits for it). If the
        import is cut short (killed, the machine down), the lock goes with its process
        and the next `open` builds them: until then, what reads the history is slower,
        never wrong."""
        with _deferral_lock(self.url, fcntl.LOCK_SH):
            await self.defer_indexes()
            try:
                yield
            finally:
                await self.build_indexes()

    async def defer_indexes(self) -> None:
        """Drops the DEFERRABLE_INDEXES (see `indexes_deferred`)."""
        async with self.engine.begin() as connection:
            for index in DEFERRABLE_INDEXES:
                await connection.execute(DropIndex(index, if_exists=True))

    async def build_indexes(self) -> None:
        """The DEFERRABLE_INDEXES that are missing, built."""
        async with self.engine.begin() as connection:
            await _build_deferred_indexes(connection)

    async def schema_version(self) -> str | None:
        async with self.engine.connect() as connection:
            return await connection.run_sync(_current_revision)

    # ---- the things rows refer to ------------------------------------------------------------

    async def server_id(self, name: str, *, manager: str, time_zone: str | None) -> int:
        async with self.engine.begin() as connection:
            await connection.execute(
                self._insert(schema.servers).on_conflict_do_nothing(index_elements=["name"]),
                {"name": name, "manager": manager, "time_zone": time_zone})
            if time_zone is not None:
                await connection.execute(update(schema.servers)
                                         .where(schema.servers.c.name == name)
                                         .values(time_zone=time_zone))
            return await connection.scalar(
                select(schema.servers.c.id).where(schema.servers.c.name == name))

    async def server_time_zone(self, name: str) -> str | None:
        """The zone a server's times were last read in (an import's or a collector's)."""
        servers = schema.servers
        rows = await self.rows(select(servers.c.time_zone).where(servers.c.name == name))
        return rows[0][0] if rows else None

    async def source(self, server_id: int, digest: str, prefix_bytes: int, path: str,
                     digest_of_first, now: int, *, holding: KnownLine | None = None,
                     claim: bool = False) -> SourceRow:
        """The log file of `server_id` with this identity, added if it is new. A file known
        from when it was shorter than the identity's length (`digest_of_first(n)` is this
        file's digest of its first n bytes) is the same file: its identity is lengthened.
        So is the file that holds the line `holding` (this file's), read another way; with
        `claim` it is known by this identity from now on."""
        sources = schema.sources
        async with self.engine.begin() as connection:
            row = (await connection.execute(
                select(sources.c.id, sources.c.bytes_read)
                .where(sources.c.server_id == server_id, sources.c.identity == digest))).first()
            if row is not None:
                return SourceRow(row.id, row.bytes_read, digest)
            shorter = (await connection.execute(
                select(sources.c.id, sources.c.identity, sources.c.prefix_bytes,
                       sources.c.bytes_read)
                .where(sources.c.server_id == server_id,
                       sources.c.prefix_bytes < prefix_bytes))).all()
            for known in shorter:
                if digest_of_first(known.prefix_bytes) == known.identity:
                    await connection.execute(
                        update(sources).where(sources.c.id == known.id)
                        .values(identity=digest, prefix_bytes=prefix_bytes))
                    return SourceRow(known.id, known.bytes_read, digest)
            if holding is not None:
                held = await self._source_holding(connection, server_id, holding)
                if held is not None:
                    if claim:
                        await connection.execute(update(sources).where(sources.c.id == held.id)
                                                 .values(identity=digest, path=path))
                    return held
            await connection.execute(
                self._insert(sources).on_conflict_do_nothing(
                    index_elements=["server_id", "identity"]),
                {"server_id": server_id, "identity": digest, "prefix_bytes": prefix_bytes,
                 "path": path, "bytes_read": 0, "lines_read": 0, "read_at": now})
            row = (await connection.execute(
                select(sources.c.id, sources.c.bytes_read)
                .where(sources.c.server_id == server_id, sources.c.identity == digest))).one()
            return SourceRow(row.id, row.bytes_read, digest)

    @staticmethod
    async def _source_holding(connection, server_id: int, line: KnownLine) -> SourceRow | None:
        e, s = schema.events, schema.sources
        row = (await connection.execute(
            select(s.c.id, s.c.bytes_read, s.c.identity).join(e, e.c.source_id == s.c.id)
            .where(e.c.server_id == server_id, e.c.at == line.at,
                   e.c.byte_offset == line.byte_offset, e.c.kind == line.kind,
                   e.c.daemon == line.daemon, e.c.feature.is_not_distinct_from(line.feature),
                   e.c.user_name.is_not_distinct_from(line.user))
            .order_by(s.c.id).limit(1))).first()
        return None if row is None else SourceRow(row.id, row.bytes_read, row.identity)

    async def followed_first_lines(self, server_id: int, excluding: Iterable[int] = ()
                                   ) -> dict[int, list[tuple[int, KnownLine]]]:
        """The first event line of each log of `server_id` a console or collector followed
        (but those `excluding`), by byte offset: (source id, line). A console follows a log
        from its end, so its first line may lie anywhere in the file."""
        s, e, earlier = schema.sources, schema.events, schema.events.alias("earlier")
        first = select(func.min(earlier.c.byte_offset)) \
            .where(earlier.c.source_id == s.c.id).scalar_subquery()
        query = (select(s.c.id, e.c.byte_offset, e.c.at, e.c.kind, e.c.daemon, e.c.feature,
                        e.c.user_name)
                 .select_from(s)
                 .join(e, (e.c.source_id == s.c.id) & (e.c.byte_offset == first))
                 .where(s.c.server_id == server_id,
                        s.c.identity.startswith(FOLLOWED, autoescape=True),
                        s.c.id.not_in(list(excluding))))
        lines: dict[int, list[tuple[int, KnownLine]]] = {}
        async with self.engine.connect() as connection:
            for source_id, *line in await connection.execute(query):
                lines.setdefault(line[0], []).append((source_id, KnownLine(*line)))
        return lines

    async def source_read(self, source_id: int, *, path: str | None, bytes_read: int,
                          lines_read: int, first_at: int | None, last_at: int | None,
                          now: int) -> None:
        """How far a source has been read (never less than before), and its time span;
        where it was read (None: where it was before)."""
        sources = schema.sources
        values = {"read_at": now,
                  "bytes_read": _larger(self.dialect, sources.c.bytes_read, bytes_read),
                  "lines_read": _larger(self.dialect, sources.c.lines_read, lines_read)}
        if path is not None:
            values["path"] = path
        if first_at is not None:
            values["first_at"] = func.coalesce(_smaller(self.dialect, sources.c.first_at,
                                                        first_at), first_at)
            values["last_at"] = func.coalesce(_larger(self.dialect, sources.c.last_at,
                                                      last_at), last_at)
        async with self.engine.begin() as connection:
            await connection.execute(update(sources).where(sources.c.id == source_id)
                                     .values(**values))

    async def names(self, server_id: int, daemons: Iterable[str],
                    features: Iterable[tuple[str, str]],
                    seen_until: Mapping[str, int] | None = None) -> None:
        """The vendor daemons and (feature, vendor) pairs a server's log named; and
        `seen_until`, per daemon, the last moment a log carrying its lines was read to (the
        later of it and what was known)."""
        daemon_rows = [{"server_id": server_id, "name": name} for name in sorted(daemons)]
        feature_rows = [{"server_id": server_id, "name": name, "vendor": vendor}
                        for name, vendor in sorted(features)]
        async with self.engine.begin() as connection:
            if daemon_rows:
                await connection.execute(self._insert(schema.vendor_daemons)
                                         .on_conflict_do_nothing(), daemon_rows)
            if feature_rows:
                await connection.execute(self._insert(schema.features)
                                         .on_conflict_do_nothing(), feature_rows)
            for name, until in sorted((seen_until or {}).items()):
                await self._daemons_seen(connection, server_id, until,
                                         schema.vendor_daemons.c.name == name)

    async def daemons_seen(self, server_id: int, until: int, *,
                           excluding: Iterable[str] = ()) -> None:
        """The vendor daemons of a server whose logs are followed, `excluding` some, seen
        until `until`."""
        d = schema.vendor_daemons
        async with self.engine.begin() as connection:
            await self._daemons_seen(connection, server_id, until,
                                     d.c.name.not_in(list(excluding)))

    async def _daemons_seen(self, connection, server_id: int, until: int,
                            which=None) -> None:
        d = schema.vendor_daemons
        query = update(d).where(d.c.server_id == server_id).values(
            seen_until=func.coalesce(_larger(self.dialect, d.c.seen_until, until), until))
        if which is not None:
            query = query.where(which)
        await connection.execute(query)

    async def still_open_of(self, server_id: int, daemons: Iterable[str]
                            ) -> list[tuple[str, str, int, str]]:
        """(feature, user, start, daemon) of the sessions of `daemons` a log left open."""
        s = schema.sessions
        return [tuple(row) for row in await self.rows(
            select(s.c.feature, s.c.user_name, s.c.start_at, s.c.daemon).where(
                s.c.server_id == server_id, s.c.end_kind == END_STILL_OPEN,
                s.c.source_id.is_not(None), s.c.daemon.in_(list(daemons))))]

    async def daemons_ended_early(self, server_id: int) -> dict[str, int]:
        """The vendor daemons of a server whose logs were last seen before another's, with
        that moment: a session of one still open is held no further (the server's last
        record is another log's). Where all its logs end together, none."""
        d = schema.vendor_daemons
        seen = dict(await self.rows(select(d.c.name, d.c.seen_until).where(
            d.c.server_id == server_id, d.c.seen_until.is_not(None))))
        latest = max(seen.values(), default=None)
        return {daemon: until for daemon, until in seen.items() if until < latest}

    # ---- the audit log's copy ------------------------------------------------------------

    async def add_audit(self, rows: Sequence[dict]) -> int:
        """Add the audit records not already there (known by their digest); how many."""
        audit = schema.audit
        unique = list({row["digest"]: row for row in rows}.values())
        added = 0
        async with self.engine.begin() as connection:
            for chunk in _chunks(unique, 500):
                known = set((await connection.execute(
                    select(audit.c.digest).where(audit.c.digest.in_(
                        [row["digest"] for row in chunk])))).scalars())
                new = [row for row in chunk if row["digest"] not in known]
                if new:
                    await connection.execute(
                        self._insert(audit).on_conflict_do_nothing(index_elements=["digest"]),
                        new)
                    added += len(new)
        return added

    # ---- alerts -----------------------------------------------------------------------------

    async def add_alert_changes(self, rows: Sequence[dict]) -> None:
        """Record changes of alerts; one already there (the same rule, subject, change and
        second: a collector and a console both recording it) is left as it is."""
        if rows:
            async with self.engine.begin() as connection:
                await connection.execute(
                    self._insert(schema.alert_changes).on_conflict_do_nothing(), rows)

    # ---- log rows ---------------------------------------------------------------------------

    async def write(self, events: Sequence[dict], denials: Sequence[dict],
                    sessions: Sequence[dict]) -> None:
        """One batch, in one transaction. Rows already there are left as they are; a
        session's end replaces only a `still_open` one."""
        async with self.engine.begin() as connection:
            await self._write_rows(connection, events, denials, sessions)

    async def _write_rows(self, connection, events: Sequence[dict], denials: Sequence[dict],
                          sessions: Sequence[dict]) -> None:
        if events:
            await connection.execute(self._insert_events, events)
        if denials:
            await connection.execute(self._insert_denials, denials)
        if sessions:
            await connection.execute(self._upsert_sessions, sessions)

    async def write_tuples(self, events: Sequence[tuple], denials: Sequence[tuple],
                           sessions: Sequence[tuple], cleared: Sequence[tuple] = (),
                           minutes: Sequence[tuple] = ()) -> None:
        """`write` for rows given as tuples in the order of EVENT_COLUMNS, DENIAL_COLUMNS
        and SESSION_COLUMNS: an import's bulk path. On SQLite the driver's executemany
        takes them as they are (SQLAlchemy's per-row parameter handling was most of an
        import's time); PostgreSQL's COPY too (`_copy_rows`). Then the minutes counted from
        a log in the spans `cleared` (server_id, from, to) are emptied, and `minutes`
        (COUNTED_MINUTE_COLUMNS) written, as `clear_counted_minutes` and
        `upsert_counted_minutes` do."""
        if self.dialect == "sqlite":
            async with self.engine.begin() as connection:
                await _run_bulk(connection, self.bulk_statements(events, denials, sessions,
                                                                 cleared, minutes))
            return
        async with self.engine.begin() as connection:
            await _copy_rows(connection, events, denials, sessions)
        for server_id, since, until in cleared:
            await self.clear_counted_minutes(server_id, since, until)
        await self.upsert_counted_minutes(minutes)

    def bulk_writer(self, *, indexes_deferred: bool = False) -> BulkWriter | None:
        """For an SQLite file: a process of its own that writes what `write_tuples` takes
        (see bulk_writer.py and `bulk_statements`), started by the caller; None for other
        databases. `indexes_deferred`: the rows go without DEFERRABLE_INDEXES, each at
        the end of its table and its unique index, which a small page cache holds."""
        path = sqlite_path(self.url)
        if path is None:
            return None
        pragmas = SQLITE_PRAGMAS + SQLITE_BULK_PRAGMAS
        if indexes_deferred:
            pragmas += (f"cache_size=-{SQLITE_INDEX_BUILD_CACHE_KIB}",)
        return BulkWriter(str(path), pragmas, SQLITE_BUSY_TIMEOUT_S)

    @staticmethod
    def bulk_index_statements() -> list[tuple[str, None]]:
        """The statements a bulk writer runs to build the DEFERRABLE_INDEXES: its
        temporary files on disk again, where the sorts of the builds go (in memory, they
        would take as much as the indexes)."""
        return [("PRAGMA temp_store=FILE", None), (f"PRAGMA threads={SQLITE_SORT_THREADS}", None),
                *((str(_create_if_missing(index).compile(dialect=_SQLITE)), None)
                  for index in DEFERRABLE_INDEXES)]

    @staticmethod
    def bulk_statements(events: Sequence[tuple], denials: Sequence[tuple],
                        sessions: Sequence[tuple], cleared: Sequence[tuple] = (),
                        minutes: Sequence[tuple] = ()) -> list[tuple[str, list[tuple]]]:
        """The statements and parameters a bulk writer runs to write what `write_tuples`
        takes (on SQLite, `write_tuples` runs them too)."""
        statements = [pair for statement, rows in ((_SQLITE_EVENTS, events),
                                                   (_SQLITE_DENIALS, denials),
                                                   (_SQLITE_SESSIONS, sessions))
                      for pair in statement.parameters(rows)]
        if cleared:
            statements.append((_SQLITE_CLEAR_COUNTED_MINUTES, list(cleared)))
        statements += _SQLITE_COUNTED_MINUTES.parameters(minutes)
        return statements

    async def record(self, events: Sequence[dict], denials: Sequence[dict],
                     sessions: Sequence[dict], gaps: Sequence[dict], *, server_id: int,
                     reads: Sequence[tuple[int, int, str]], now: int) -> None:
        """A live recorder's batch, in one transaction with how far its logs were read
        (`reads`: source id, byte offset and path of each), so that what a resumed follow
        reads again is what this batch did not write. Gaps already recorded are
        completed, not repeated: a gap's end replaces an open one. The rows are dicts of
        every column of EVENT_COLUMNS, DENIAL_COLUMNS and SESSION_COLUMNS (on SQLite,
        and on PostgreSQL from COPY_FROM_ROWS rows on, written as an import writes them)."""
        async with self.engine.begin() as connection:
            if self.dialect == "sqlite":  # as an import writes them (see write_tuples)
                await _run_bulk(connection, self.bulk_statements(
                    _tuples(events, EVENT_COLUMNS), _tuples(denials, DENIAL_COLUMNS),
                    _tuples(sessions, SESSION_COLUMNS)))
            elif len(events) + len(sessions) >= COPY_FROM_ROWS:  # catching up
                await _copy_rows(connection, _tuples(events, EVENT_COLUMNS),
                                 _tuples(denials, DENIAL_COLUMNS),
                                 _tuples(sessions, SESSION_COLUMNS))
            else:  # a live batch: one round trip a table
                await self._write_rows(connection, events, denials, sessions)
            if gaps:
                await connection.execute(self._upsert_gaps,
                                         [{"server_id": server_id, **gap} for gap in gaps])
            for source_id, offset, path in reads:
                values = {"path": path, "bytes_read": offset, "read_at": now}
                last = max((e["at"] for e in events if e["source_id"] == source_id),
                           default=None)
                if last is not None:
                    values["last_at"] = func.coalesce(
                        _larger(self.dialect, schema.sources.c.last_at, last), last)
                await connection.execute(
                    update(schema.sources).where(schema.sources.c.id == source_id)
                    .values(**values))

    async def followed_source(self, server_id: int, path: str,
                              prefix: str) -> SourceRow | None:
        """The followed log of `server_id` at `path` read last (its identity starts with
        `prefix`), to follow it on from where it stopped."""
        sources = schema.sources
        query = (select(sources.c.id, sources.c.bytes_read, sources.c.identity,
                        sources.c.last_at, sources.c.read_at)
                 .where(sources.c.server_id == server_id, sources.c.path == path,
                        sources.c.identity.startswith(prefix, autoescape=True))
                 .order_by(sources.c.read_at.desc(), sources.c.id.desc()).limit(1))
        rows = await self.rows(query)
        if not rows:
            return None
        row = rows[0]
        return SourceRow(row.id, row.bytes_read, row.identity, row.last_at, row.read_at)

    async def imports(self, server_id: int) -> bool:
        """Whether `lmconsole import` read a log of `server_id` that no follow has read since."""
        sources = schema.sources
        query = select(sources.c.id).where(
            sources.c.server_id == server_id, sources.c.bytes_read > 0,
            ~sources.c.identity.startswith(FOLLOWED, autoescape=True)).limit(1)
        return bool(await self.rows(query))

    async def imported_source(self, server_id: int, head: bytes) -> SourceRow | None:
        """The log of `server_id` last imported whose first bytes were `head`'s (a file's
        first IDENTITY_BYTES, or all of a shorter one): where `head` comes from is that
        file, grown since or not. None if no import read it, or a follow has since."""
        sources = schema.sources
        query = (select(sources.c.id, sources.c.bytes_read, sources.c.identity,
                        sources.c.prefix_bytes, sources.c.last_at, sources.c.read_at)
                 .where(sources.c.server_id == server_id,
                        (sources.c.identity == identity_digest(head))
                        | (sources.c.prefix_bytes < len(head)))
                 .order_by(sources.c.read_at.desc(), sources.c.id.desc()))
        for row in await self.rows(query):
            if identity_digest(head[:row.prefix_bytes]) == row.identity:
                return SourceRow(row.id, row.bytes_read, row.identity, row.last_at, row.read_at)
        return None

    async def event_count(self, source_ids: Sequence[int]) -> int:
        """The events read from these log files: a range of the events' key each, however
        large the rest of the history."""
        query = select(func.count()).select_from(schema.events).where(
            schema.events.c.source_id.in_(list(source_ids)))
        async with self.engine.connect() as connection:
            return (await connection.execute(query)).scalar_one()

    async def still_open_sessions(self, server_id: int, except_sources: Iterable[int] = (),
                                  ) -> AsyncIterator[list[Session]]:
        """The sessions of `server_id` no log has ended yet, except those read from
        `except_sources` (an import that reads them again makes them again): latest start
        first, STREAM_ROWS at a time (a long log may have left hundreds of thousands)."""
        s = schema.sessions
        query = select(s.c.source_id, s.c.byte_offset, s.c.daemon, s.c.feature,
                       s.c.user_name, s.c.host, s.c.count, s.c.borrowed, s.c.start_at,
                       s.c.project).where(
            s.c.server_id == server_id, s.c.end_kind == END_STILL_OPEN,
            s.c.source_id.is_not(None), s.c.source_id.not_in(list(except_sources))
        ).order_by(s.c.start_at.desc())
        async for rows in self.stream_chunks(query, STREAM_ROWS):
            yield [Session(r.source_id, r.byte_offset, r.daemon or "", r.feature,
                           r.user_name, r.host, r.count, r.borrowed, r.start_at,
                           project=r.project) for r in rows]

    async def poll_sessions_open(self, server_id: int) -> list[dict]:
        """The sessions polls saw open and no poll has ended yet."""
        s = schema.sessions
        query = select(s.c.poll_key, s.c.feature, s.c.user_name, s.c.host, s.c.display,
                       s.c.handle, s.c.version, s.c.count, s.c.borrowed, s.c.reserved,
                       s.c.start_at).where(s.c.server_id == server_id,
                                           s.c.end_kind == END_STILL_OPEN,
                                           s.c.poll_key.is_not(None))
        return [{"server_id": server_id, **row._asdict(), "end_at": None,
                 "end_kind": END_STILL_OPEN} for row in await self.rows(query)]

    async def upsert_poll_sessions(self, rows: Sequence[dict]) -> None:
        """Sessions polls opened (inserted once) and ended (their end written over
        `still_open` only)."""
        if not rows:
            return
        insert = self._insert(schema.sessions)
        statement = insert.on_conflict_do_update(
            index_elements=["server_id", "poll_key"],
            set_={"end_at": insert.excluded.end_at, "end_kind": insert.excluded.end_kind},
            where=schema.sessions.c.end_kind == END_STILL_OPEN)
        async with self.engine.begin() as connection:
            await connection.execute(statement, list(rows))

    # ---- occupancy --------------------------------------------------------------------------

    async def upsert_counted_minutes(self, rows: Sequence[tuple]) -> None:
        """Minutes counted from a log's sessions, tuples in the order of
        COUNTED_MINUTE_COLUMNS: their seats in use replace what polls sampled; the issued,
        reserved and queued counts polls gave stay."""
        if not rows:
            return
        if self.dialect == "sqlite":  # many to a statement (see write_tuples)
            async with self.engine.begin() as connection:
                for sql, parameters in _SQLITE_COUNTED_MINUTES.parameters(rows):
                    await connection.exec_driver_sql(sql, parameters)
            return
        async with self.engine.begin() as connection:
            await _copy_into(connection, "occupancy_minute", COUNTED_MINUTE_COLUMNS, rows,
                             key=(0, 1, 2))

    async def clear_counted_minutes(self, server_id: int, since: int, until: int) -> None:
        """The minutes of [since, until) counted from a log emptied (nothing in use), before
        they are counted again: one counted before and not now had nothing in use."""
        m = schema.occupancy_minute
        await self.execute(update(m).where(m.c.server_id == server_id, m.c.from_log.is_(True),
                                           m.c.at >= since, m.c.at < until)
                           .values(in_use_peak=0, in_use_mean=0.0, borrowed=0))

    async def other_sessions_span(self, server_id: int, source_ids: Sequence[int],
                                  since: int, until: int,
                                  held_until: int) -> tuple[int, int] | None:
        """From the first start to the last end (`held_until` for one still open) of the
        sessions of [since, until) read from logs other than `source_ids`; None if there
        are none."""
        s = schema.sessions
        query = select(func.min(s.c.start_at), func.max(func.coalesce(s.c.end_at,
                                                                      held_until))).where(
            s.c.server_id == server_id, s.c.reserved.is_(False), s.c.source_id.is_not(None),
            s.c.source_id.not_in(list(source_ids)), s.c.start_at < until,
            or_(s.c.end_at.is_(None), s.c.end_at > since))
        first, last = (await self.rows(query))[0]
        return None if first is None else (first, last)

    async def write_poll_minutes(self, server_id: int, rows: Iterable[Mapping]) -> None:
        """The live recorder's polls: a row per feature per poll, {feature, at (the first
        second of the poll's minute), in_use, issued, reserved_idle, borrowed, queued}.
        Polls of one minute combine as `upsert_poll_minutes` says."""
        await self.upsert_poll_minutes([
            {"server_id": server_id, "feature": row["feature"],
             "at": row["at"] - row["at"] % 60, "in_use_peak": row["in_use"],
             "in_use_mean": float(row["in_use"]), "issued": row["issued"],
             "reserved_idle": row["reserved_idle"], "borrowed": row["borrowed"],
             "queued": row["queued"], "from_log": False, "polls": 1} for row in rows])

    async def upsert_poll_minutes(self, rows: Sequence[dict]) -> None:
        """Minutes sampled by polls. The polls of one minute combine: the peak in use is
        the most seen, the mean the mean of the polls, issued, reserved-idle, borrowed and
        queued the most seen (as an hour's are its minutes' most). Where a log's sessions
        counted the minute (`from_log`), its seats in use and borrowed stay: the log is
        exact, the polls add what it cannot tell (issued, idle reservations, the queue)."""
        if not rows:
            return
        table = schema.occupancy_minute
        insert = self._insert(table)
        new, c = insert.excluded, table.c

        def larger(name: str):
            return func.coalesce(_larger(self.dialect, c[name], new[name]), new[name])

        def unless_counted(name: str, sampled):
            return case((c.from_log, c[name]), else_=sampled)

        statement = insert.on_conflict_do_update(
            index_elements=["server_id", "feature", "at"],
            set_={"in_use_peak": unless_counted("in_use_peak", _larger(
                      self.dialect, c.in_use_peak, new.in_use_peak)),
                  "in_use_mean": unless_counted("in_use_mean", (
                      c.in_use_mean * c.polls + new.in_use_mean) / (c.polls + 1)),
                  "borrowed": unless_counted("borrowed", larger("borrowed")),
                  "polls": c.polls + 1,
                  **{name: larger(name) for name in ("issued", "reserved_idle", "queued")}})
        async with self.engine.begin() as connection:
            await connection.execute(statement, rows)

    async def upsert_select(self, target, query) -> None:
        """INSERT INTO target SELECT ..., replacing the rows of the same key (roll-ups)."""
        names = ["server_id", "feature", "at", "in_use_peak", "in_use_mean", "issued",
                 "reserved_idle", "borrowed", "queued", "from_log"]
        insert = self._insert(target).from_select(names, query)
        statement = insert.on_conflict_do_update(
            index_elements=["server_id", "feature", "at"],
            set_={name: insert.excluded[name] for name in names[3:]})
        async with self.engine.begin() as connection:
            await connection.execute(statement)

    async def execute(self, statement) -> int:
        """One statement in a transaction of its own; the rows it changed."""
        async with self.engine.begin() as connection:
            return (await connection.execute(statement)).rowcount

    # ---- reading --------------------------------------------------------------------------

    async def stream(self, query) -> AsyncIterator:
        async with self.engine.connect() as connection:
            result = await connection.stream(query)
            async for row in result:
                yield row

    async def stream_chunks(self, query, size: int) -> AsyncIterator[list]:
        """The rows of `query`, `size` at a time (one await a chunk, not one a row)."""
        async with self.engine.connect() as connection:
            result = await connection.stream(query)
            async for chunk in result.partitions(size):
                yield chunk

    async def rows(self, query) -> list:
        async with self.engine.connect() as connection:
            return list((await connection.execute(query)).all())

    async def size_bytes(self) -> int | None:
        """The database's size on disk: the SQLite file with its WAL, or PostgreSQL's
        pg_database_size; None for an in-memory database."""
        if self.dialect == "postgresql":
            rows = await self.rows(select(func.pg_database_size(func.current_database())))
            return int(rows[0][0])
        database = self.url.database
        if not database or database == ":memory:":
            return None
        path = Path(database).expanduser()
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


@contextlib.asynccontextmanager
async def _sqlite_file_lock(url: URL) -> AsyncIterator[None]:
    """On an SQLite file, one process migrates at a time (a collector and a console started
    together on a new file would both create the tables): an flock on `<file>.lock`.
    PostgreSQL has its advisory lock instead."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        yield
        return
    lock_path = Path(f"{Path(url.database).expanduser()}.lock")
    with open(lock_path, "a+b") as lock:
        await asyncio.to_thread(fcntl.flock, lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)



def sqlite_path(url: URL) -> Path | None:
    """The file of an SQLite database on disk named by its path; None for a database in
    memory, a `file:` URI, or another database."""
    database = url.database
    if url.get_backend_name() != "sqlite" or database in (None, "", ":memory:") \
            or database.startswith("file:"):
        return None
    return Path(database).expanduser()

@contextlib.contextmanager
def _deferral_lock(url: URL, operation: int) -> Iterator[bool]:
    """An flock on `<file>.indexes` of an SQLite file (see `indexes_deferred`): whether it
    was had (a blocking one always is; a file in memory has no other users: True)."""
    path = sqlite_path(url)
    if path is None:
        yield True
        return
    with open(f"{path}.indexes", "a+b") as lock:
        try:
            fcntl.flock(lock.fileno(), operation)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


EVENT_COLUMNS = ("source_id", "byte_offset", "server_id", "at", "kind", "daemon", "feature",
                 "user_name", "host", "count", "reason", "code", "extra", "line")
DENIAL_COLUMNS = ("source_id", "byte_offset", "server_id", "at", "kind", "daemon", "feature",
                  "user_name", "host", "count", "code", "reason")
SESSION_COLUMNS = ("server_id", "source_id", "byte_offset", "feature", "daemon", "user_name",
                   "host", "count", "borrowed", "start_at", "end_at", "end_kind", "end_reason",
                   "project")


# The rows from which a recorder's batch goes to PostgreSQL by COPY (`_copy_rows`): four
# round trips a table, each cheap, where a few rows take one.
COPY_FROM_ROWS = 200
# What a bulk path's rows do when their row is there already, on SQLite (many rows a
# statement) and PostgreSQL (COPY) alike, as `write`'s statements do: a line is written
# once; a session's end replaces only a still-open one; a minute counted from a log
# replaces the seats in use polls sampled.
CONFLICTS = {
    "events": "DO NOTHING",
    "denials": "DO NOTHING",
    "sessions": "(source_id, byte_offset) DO UPDATE SET end_at = excluded.end_at, "
                "end_kind = excluded.end_kind, end_reason = excluded.end_reason WHERE "
                f"sessions.end_kind = '{END_STILL_OPEN}'",
    "occupancy_minute": "(server_id, feature, at) DO UPDATE SET in_use_peak = "
                        "excluded.in_use_peak, in_use_mean = excluded.in_use_mean, "
                        "borrowed = excluded.borrowed, from_log = excluded.from_log"}


async def _copy_rows(connection, events: Sequence[tuple], denials: Sequence[tuple],
                     sessions: Sequence[tuple]) -> None:
    """A bulk batch's rows written on PostgreSQL (see `_copy_into`)."""
    await _copy_into(connection, "events", EVENT_COLUMNS, events)
    await _copy_into(connection, "denials", DENIAL_COLUMNS, denials)
    await _copy_into(connection, "sessions", SESSION_COLUMNS, sessions,
                     key=(1, 2))  # source, offset


async def _copy_into(connection, table: str, columns: Sequence[str], rows: Sequence[tuple],
                     *, key: Sequence[int] = ()) -> None:
    """`rows` (tuples of `columns`) written into `table` on PostgreSQL: by COPY into a
    temporary table of the connection's, emptied at each commit, then INSERT ... SELECT
    from it, ON CONFLICT as CONFLICTS says. SQLAlchemy's executemany sent a statement a
    row, each with its parameter handling: an import's own CPU time was twice this, its
    run half as long again (bench/history_import.py --postgresql).
    A DO UPDATE may touch a row once a statement: rows of the same `key` (their indexes
    in the tuples) go in turns, each in the order given, as row by row they would."""
    if not rows:
        return
    limits = schema.bounds(schema.metadata.tables[table], columns)  # as SQLAlchemy cuts them
    rows = [schema.bounded_row(row, limits) for row in rows]
    stage, names = f"lmconsole_{table}_stage", ", ".join(columns)
    # through SQLAlchemy, which begins the transaction the COPY then runs in
    await connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
        f"SELECT {names} FROM {table} WITH NO DATA")
    driver = (await connection.get_raw_connection()).driver_connection
    for turn in _turns(rows, key) if key else [rows]:
        await connection.exec_driver_sql(f"TRUNCATE {stage}")  # of any turn before
        await driver.copy_records_to_table(stage, records=turn, columns=columns)
        await connection.exec_driver_sql(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} "
            f"ON CONFLICT {CONFLICTS[table]}")


def _turns(rows: Sequence[tuple], key: Sequence[int]) -> list[list[tuple]]:
    """The rows in turns: the first of each key's in the first, its second in the next..."""
    turns: list[list[tuple]] = []
    seen: dict[tuple, int] = {}
    for row in rows:
        value = tuple(row[index] for index in key)
        turn = seen.get(value, 0)
        seen[value] = turn + 1
        if turn == len(turns):
            turns.append([])
        turns[turn].append(row)
    return turns


async def _run_bulk(connection, statements: list[tuple[str, list[tuple]]]) -> None:
    """`bulk_statements`' statements, run on an SQLite connection as they are."""
    for sql, parameters in statements:
        await connection.exec_driver_sql(sql, parameters)


def _tuples(rows: Sequence[Mapping], columns: Sequence[str]) -> list[tuple]:
    """The rows as tuples of `columns` (the bulk statements' order)."""
    return [tuple(row[column] for column in columns) for row in rows]


ROWS_PER_INSERT = 64  # rows one SQLite INSERT takes (14 columns: 896 of its 32,766 "?")


class _SqliteBulkInsert:
    """An INSERT of many rows at a time, for SQLite. Python's sqlite3 binds each value
    with the GIL held and lets it go for each statement it runs; with a row per statement
    an import's two threads took turns row by row, and binding each row on its own cost
    a third more. Whole groups of ROWS_PER_INSERT rows go as one statement, the rest one
    by one."""

    def __init__(self, table: str, columns: Sequence[str], conflict: str) -> None:
        row = f"({', '.join('?' * len(columns))})"
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        self.one = f"{head}{row} ON CONFLICT {conflict}"
        self.many = f"{head}{', '.join([row] * ROWS_PER_INSERT)} ON CONFLICT {conflict}"

    def parameters(self, rows: Sequence[tuple]) -> Iterator[tuple[str, list[tuple]]]:
        """(statement, its parameter tuples) for executemany, to write `rows`."""
        whole = len(rows) - len(rows) % ROWS_PER_INSERT
        if whole:
            yield self.many, [tuple(chain.from_iterable(rows[i:i + ROWS_PER_INSERT]))
                              for i in range(0, whole, ROWS_PER_INSERT)]
        if whole < len(rows):
            yield self.one, list(rows[whole:])


def _sqlite_insert(table: str, columns: Sequence[str], conflict: str) -> _SqliteBulkInsert:
    return _SqliteBulkInsert(table, columns, conflict)


COUNTED_MINUTE_COLUMNS = ("server_id", "feature", "at", "in_use_peak", "in_use_mean",
                          "borrowed", "from_log", "polls")
_SQLITE_EVENTS = _sqlite_insert("events", EVENT_COLUMNS, CONFLICTS["events"])
_SQLITE_DENIALS = _sqlite_insert("denials", DENIAL_COLUMNS, CONFLICTS["denials"])
_SQLITE_SESSIONS = _sqlite_insert("sessions", SESSION_COLUMNS, CONFLICTS["sessions"])
_SQLITE_CLEAR_COUNTED_MINUTES = (
    "UPDATE occupancy_minute SET in_use_peak = 0, in_use_mean = 0.0, borrowed = 0 "
    "WHERE server_id = ? AND from_log = 1 AND at >= ? AND at < ?")
_SQLITE_COUNTED_MINUTES = _sqlite_insert("occupancy_minute", COUNTED_MINUTE_COLUMNS,
                                         CONFLICTS["occupancy_minute"])


SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                  f"cache_size=-{SQLITE_CACHE_KIB}")
# The import's writer process, after those. A many-row INSERT that may abort keeps the
# pages it changes in a statement journal, a temporary file: in memory it is a few MB at
# most, and on disk it was 1.6 million pwrite calls for a 500,000-line log (a quarter of the
# writer's time, in the kernel). Foreign keys are not checked: the importer took the server
# and source ids it writes from this database, and two lookups a row were a tenth of it.
SQLITE_BULK_PRAGMAS = ("temp_store=MEMORY", "foreign_keys=OFF")


def _engine(url: URL) -> AsyncEngine:
    if url.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(connection, _record) -> None:
        cursor = connection.cursor()
        # WAL: readers (the console, `history`) do not block the writer, nor it them.
        # synchronous=NORMAL is durable across a crash of lmconsole, and in WAL mode the
        # database stays consistent through a power cut (the last commits may be lost,
        # and an import or a collector replays them: writes are idempotent).
        # The page cache is per connection and the pool holds several: 16 MiB each (the
        # file is in the OS's cache too; rows are added at the end of their indexes, and
        # an import went no slower than with 64). Temporary B-trees (the sort of a big
        # ORDER BY) go to a temporary file past the cache, not into memory without bound.
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    return engine


def _alembic_config(connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def _build_deferred_indexes(connection) -> None:
    """The DEFERRABLE_INDEXES that are missing, built (an import that dropped them may
    have been cut short); one that is there costs a look-up. The sort of a build holds
    as much memory as the page cache, then spills to temporary files (SQLite's default
    temp_store): the cache is made small meanwhile."""
    await connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_INDEX_BUILD_CACHE_KIB}")
    await connection.exec_driver_sql(f"PRAGMA threads={SQLITE_SORT_THREADS}")
    try:
        for index in DEFERRABLE_INDEXES:
            await connection.execute(_create_if_missing(index))
    finally:
        await connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        await connection.exec_driver_sql("PRAGMA threads=0")


def _create_if_missing(index: Index) -> CreateIndex:
    return CreateIndex(index, if_not_exists=True)


class _NewerSchema(Exception):
    """The database is at a revision this lmconsole does not know: a newer one's."""


async def _migrate(connection, dialect: str) -> None:
    """The database brought to SCHEMA_REVISION, by one process at a time; one at it is
    only looked at."""
    if await connection.run_sync(_current_revision) == SCHEMA_REVISION:
        return
    if dialect == "postgresql":
        await connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        await connection.run_sync(_upgrade)
    else:
        await connection.run_sync(_upgrade_in_one_transaction)


def _upgrade(connection) -> None:
    from alembic import command
    from alembic.util.exc import CommandError

    try:
        command.upgrade(_alembic_config(connection), "head")
    except CommandError as error:
        if "Can't locate revision" not in str(error):
            raise
        raise _NewerSchema(str(error)) from None


def _upgrade_in_one_transaction(connection) -> None:
    """_upgrade on SQLite, all of it or nothing. pysqlite commits each DDL statement by
    itself (it begins its transactions before DML only), so a process killed between two
    migrations left a database half upgraded, which no later upgrade could finish. Here
    the driver is told to begin nothing, and one BEGIN IMMEDIATE holds every migration;
    the engine.begin() around it commits or rolls back."""
    driver = connection.connection.dbapi_connection
    legacy = driver.isolation_level
    driver.isolation_level = None
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        _upgrade(connection)
    finally:
        driver.isolation_level = legacy


def _current_revision(connection) -> str | None:
    """The revision Alembic's table says the database is at; None in a new database (or
    one at two revisions at once, which Alembic would have to sort out)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    revisions = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    return revisions[0][0] if len(revisions) == 1 else None


def _insert_function(dialect: str):
    """The dialect's INSERT, which has ON CONFLICT DO NOTHING / DO UPDATE."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise StoreError(f"{dialect} databases are not supported (use SQLite or PostgreSQL)")
    return insert


def _larger(dialect: str, column, value):
    return (func.max if dialect == "sqlite" else func.greatest)(column, value)


def _smaller(dialect: str, column, value):
    return (func.min if dialect == "sqlite" else func.least)(column, value)


def _reason(error: BaseException) -> str:
    if isinstance(error, OperationalError | DBAPIError) and error.orig is not None:
        return str(error.orig).strip().splitlines()[0]
    return str(error)


def _chunks(rows: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]
