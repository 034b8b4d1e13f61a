"""The history's tables, the same on SQLite and PostgreSQL.

Every `*_at` column holds whole seconds since the epoch, UTC. Natural keys (unique
constraints) make every write idempotent; their columns are NOT NULL, because both engines
treat NULLs as distinct in a unique constraint. The schema's version is Alembic's
(`alembic_version`); migrations/ holds the steps, and tests/test_history_schema.py checks
that they build exactly these tables, on both engines.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)

# Named constraints, so that a later migration can name what it alters (Alembic needs the
# names on SQLite, whose batch mode rebuilds a table).
metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

NAME = 200  # user, host, feature and daemon names: FlexLM's limits are far below this


class Bounded(TypeDecorator):
    """A VARCHAR(length) whose values are cut to `length` as they are written: a log's or
    lmstat's words are whatever a line held (a garbled or hostile one too), and PostgreSQL
    refuses a longer value (the whole batch with it), where SQLite keeps it. The rows
    PostgreSQL's COPY takes are cut by `bounded_row`; SQLite's bulk statements, which
    bypass SQLAlchemy too, keep them whole (it refuses none)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if isinstance(value, str) and len(value) > self.impl.length:
            return value[:self.impl.length]
        return value


def bounds(table: Table, columns: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """(index, length) of each Bounded column among `columns` of `table`."""
    return tuple((index, table.c[name].type.impl.length) for index, name in enumerate(columns)
                 if isinstance(table.c[name].type, Bounded))


def bounded_row(row: tuple, bounds: tuple[tuple[int, int], ...]) -> tuple:
    """`row` with its values at `bounds` cut to their lengths (as Bounded cuts them)."""
    if all(not isinstance(row[index], str) or len(row[index]) <= length
           for index, length in bounds):
        return row
    values = list(row)
    for index, length in bounds:
        if isinstance(values[index], str):
            values[index] = values[index][:length]
    return tuple(values)


COVERING_CHECKOUTS = "ix_sessions_feature_user_name_start_at_covering"
USERS_CHECKOUTS = "ix_sessions_user_name_project_covering"


def _server_id() -> Column:
    return Column("server_id", Integer, ForeignKey("servers.id"), nullable=False)


servers = Table(
    "servers", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Bounded(NAME), nullable=False, unique=True),
    Column("manager", Bounded(40), nullable=False),  # "flexlm", later "rlm" ...
    Column("time_zone", Bounded(64)),  # the IANA zone its logs were last read in
)

# `seen_until`: the last moment a log carrying the daemon's lines was known to be current
# (an imported file's last line; a followed log's last read): a session of it still open is
# held no further. NULL: not known (held to the server's last record).
vendor_daemons = Table(
    "vendor_daemons", metadata,
    Column("id", Integer, primary_key=True),
    _server_id(),
    Column("name", Bounded(NAME), nullable=False),
    Column("seen_until", BigInteger),
    UniqueConstraint("server_id", "name"),
)

features = Table(
    "features", metadata,
    Column("id", Integer, primary_key=True),
    _server_id(),
    Column("name", Bounded(NAME), nullable=False),
    Column("vendor", Bounded(NAME)),
    UniqueConstraint("server_id", "name"),
)

# A feature's pool as polls saw it: a new row when its issued count changes.
# "" stands for an unknown version, expiry (permanent: "permanent") or vendor string.
pools = Table(
    "pools", metadata,
    Column("id", Integer, primary_key=True),
    Column("feature_id", Integer, ForeignKey("features.id"), nullable=False),
    Column("version", Bounded(NAME), nullable=False),
    Column("expiry", Bounded(16), nullable=False),  # ISO date, "permanent" or ""
    Column("vendor_string", Text, nullable=False),
    Column("issued", Integer, nullable=False),  # -1: uncounted
    Column("license_type", Bounded(40)),
    Column("first_seen_at", BigInteger, nullable=False),
    Column("last_seen_at", BigInteger, nullable=False),
    UniqueConstraint("feature_id", "version", "expiry", "vendor_string", "issued"),
)

# A log file, known by the SHA-256 of its first bytes (IDENTITY_BYTES, or all of a shorter
# file), whatever its name: renamed by rotation, gzipped, copied, it is the same file.
sources = Table(
    "sources", metadata,
    Column("id", Integer, primary_key=True),
    _server_id(),
    Column("identity", Bounded(64), nullable=False),
    Column("prefix_bytes", Integer, nullable=False),  # how many bytes the identity covers
    Column("path", Text, nullable=False),  # where it was last read
    Column("bytes_read", BigInteger, nullable=False),  # decompressed bytes read so far
    Column("lines_read", BigInteger, nullable=False),
    Column("first_at", BigInteger),  # its first and last event
    Column("last_at", BigInteger),
    Column("read_at", BigInteger, nullable=False),  # when it was last read
    UniqueConstraint("server_id", "identity"),
)


def _line_key() -> list:
    """The natural key of a row read from a log line: its file and byte offset."""
    return [Column("source_id", Integer, ForeignKey("sources.id"), nullable=False),
            Column("byte_offset", BigInteger, nullable=False)]


# Every line of a debug log that reports something: OUT, IN, DENIED, QUEUED, DEQUEUED,
# UNSUPPORTED, EXPIRED, and the daemons' starts, restarts, re-reads and shutdowns.
events = Table(
    "events", metadata,
    *_line_key(),
    _server_id(),
    Column("at", BigInteger, nullable=False),
    Column("kind", Bounded(16), nullable=False),
    Column("daemon", Bounded(NAME), nullable=False),
    Column("feature", Bounded(NAME)),
    Column("user_name", Bounded(NAME)),
    Column("host", Bounded(NAME)),
    Column("count", Integer, nullable=False),
    Column("reason", Text),  # the log's words in parentheses
    Column("code", Bounded(40)),  # FlexLM's "-4,342"
    Column("extra", Text),  # the vendor's own data on the line
    Column("line", BigInteger),  # 1-based line number in the file
    PrimaryKeyConstraint("source_id", "byte_offset"),
    Index(None, "server_id", "at"),
)

# The events that are denials (a row in `denials` too).
DENIAL_KINDS = frozenset({"DENIED", "UNSUPPORTED"})

# How a session's end was known.
END_IN = "in"  # the log's IN line
END_REMOVED = "removed"  # IN (REMOVED): lmremove, or the options file's rules on a reread
END_SERVER_RESTART = "server_restart"  # its daemon stopped, restarted or started afresh
END_GAP = "gap"  # the log stopped being read while it was open
END_STILL_OPEN = "still_open"  # no end known yet: open when the log was last read
END_SEEN_BY_POLL = "seen_by_poll"  # a poll no longer showed the seat
END_KINDS = (END_IN, END_REMOVED, END_SERVER_RESTART, END_GAP, END_STILL_OPEN,
             END_SEEN_BY_POLL)

# A checkout from its start to its end. A session read from a log is known by its OUT
# line (source_id, byte_offset); one seen only by polls by `poll_key` (its feature, user,
# host, display, handle and start as lmstat printed them). `reserved`: not a checkout but
# seats a RESERVE line held idle (user_name "GROUP engineers"), seen by polls: OpenLM's
# FLEXlm_Reserved_<type>_<name> sessions.
sessions = Table(
    "sessions", metadata,
    Column("id", Integer, primary_key=True),
    _server_id(),
    Column("source_id", Integer, ForeignKey("sources.id")),
    Column("byte_offset", BigInteger),
    Column("poll_key", Bounded(2 * NAME)),
    Column("reserved", Boolean, nullable=False, server_default=false()),
    Column("feature", Bounded(NAME), nullable=False),
    Column("daemon", Bounded(NAME)),
    Column("version", Bounded(NAME)),
    Column("user_name", Bounded(NAME), nullable=False),
    Column("host", Bounded(NAME)),
    Column("display", Bounded(NAME)),
    Column("handle", BigInteger),
    Column("count", Integer, nullable=False),
    Column("project", Bounded(NAME)),
    Column("borrowed", Boolean, nullable=False),
    Column("start_at", BigInteger, nullable=False),
    Column("end_at", BigInteger),  # None while still open
    Column("end_kind", Bounded(16), nullable=False),  # one of END_KINDS
    Column("end_reason", Text),  # the IN line's words: INACTIVE, REMOVED ...
    UniqueConstraint("source_id", "byte_offset"),
    UniqueConstraint("server_id", "poll_key"),
    Index(None, "server_id", "start_at"),
    # a user's checkouts of a feature, with what the reports read of each (borrowing's
    # floating seats; users, groups and projects of one feature): read from the index alone
    Index(COVERING_CHECKOUTS, "feature", "user_name", "start_at", "end_at", "server_id",
          "borrowed", "reserved", "count", "host", "project"),
    # every user's checkouts in the order of their users and projects, with what the
    # reports read of each: users, groups and projects of every feature group them without
    # a sort
    Index(USERS_CHECKOUTS, "user_name", "project", "feature", "host", "start_at", "end_at",
          "server_id", "reserved", "borrowed", "count"),
    # the few reserved (idle reservation) and borrowed sessions among millions, for the
    # reservations and borrowing reports (the queries' own terms, as each engine writes them)
    Index("ix_sessions_reserved_server_id_start_at", "server_id", "start_at",
          sqlite_where=text("reserved = 1"), postgresql_where=text("reserved")),
    Index("ix_sessions_borrowed_server_id_start_at", "server_id", "start_at",
          sqlite_where=text("borrowed = 1"), postgresql_where=text("borrowed")),
    # the few still open among millions: those a log's end leaves, carried by the next
    Index("ix_sessions_still_open_server_id", "server_id",
          sqlite_where=text("end_kind = 'still_open'"),
          postgresql_where=text("end_kind = 'still_open'")),
)

# The checkouts (sessions not reserved) that began and ended in one UTC month, summed per
# feature, user, logged project, host, server and month: reports users, groups and projects
# read a year of them from here, and from the sessions only those of the period's part
# months, those still open and those across a month's end (lmconsole.reports.checkouts).
# Kept by triggers on sessions (migration 0011), so that every writer keeps it exact: a row
# written again changes nothing, a session's end set later adds it. The key's columns are
# NOT NULL: a NULL host or project is '' with its `no_` flag set. `long_sessions`: those
# not borrowed held longer than MONTH_SUMS_LONG_S; first_start and last_end: the earliest
# start and latest end summed.
MONTH_SUMS_LONG_S = 8 * 3600
session_month_sums = Table(
    "session_month_sums", metadata,
    Column("feature", Bounded(NAME), nullable=False),
    Column("user_name", Bounded(NAME), nullable=False),
    Column("project", Bounded(NAME), nullable=False),
    Column("no_project", Boolean, nullable=False),
    Column("host", Bounded(NAME), nullable=False),
    Column("no_host", Boolean, nullable=False),
    Column("server_id", Integer, nullable=False),
    Column("month", BigInteger, nullable=False),
    Column("sessions", Integer, nullable=False),
    Column("seconds", BigInteger, nullable=False),
    Column("seat_seconds", BigInteger, nullable=False),
    Column("long_sessions", Integer, nullable=False),
    Column("first_start", BigInteger, nullable=False),
    Column("last_end", BigInteger, nullable=False),
    PrimaryKeyConstraint("feature", "user_name", "project", "no_project", "host", "no_host",
                         "server_id", "month"),
    sqlite_with_rowid=False,
)

denials = Table(
    "denials", metadata,
    *_line_key(),
    _server_id(),
    Column("at", BigInteger, nullable=False),
    Column("kind", Bounded(16), nullable=False),  # DENIED, UNSUPPORTED
    Column("daemon", Bounded(NAME), nullable=False),
    Column("feature", Bounded(NAME), nullable=False),
    Column("user_name", Bounded(NAME)),
    Column("host", Bounded(NAME)),
    Column("count", Integer, nullable=False),
    Column("code", Bounded(40)),  # FlexLM's "-4,342": the reason's code
    Column("reason", Text),  # and its words
    PrimaryKeyConstraint("source_id", "byte_offset"),
    Index(None, "server_id", "at"),
    Index(None, "feature", "user_name", "at"),  # a user's denials of a feature
)


def _occupancy(name: str, *extra: Column) -> Table:
    """Per feature and period (its first second in `at`): the peak and mean seats checked
    out (idle reservations apart, though lmstat counts them in use), and the issued,
    reserved-but-idle, borrowed and queued counts (the most seen in the period).
    `from_log`: the seats in use were counted from sessions read in a log (exact), not
    sampled by polls. A period with no row had nothing in use, unless a gap covers it."""
    return Table(
        name, metadata,
        _server_id(),
        Column("feature", Bounded(NAME), nullable=False),
        Column("at", BigInteger, nullable=False),
        Column("in_use_peak", Integer, nullable=False),
        Column("in_use_mean", Float, nullable=False),
        Column("issued", Integer),
        Column("reserved_idle", Integer),
        Column("borrowed", Integer),
        Column("queued", Integer),
        Column("from_log", Boolean, nullable=False, server_default=false()),
        *extra,
        PrimaryKeyConstraint("server_id", "feature", "at"),
        Index(None, "server_id", "at"),  # a server's first and last period, its time span
    )


# `polls`: how many polls the minute's figures are the mean of (0: counted from a log)
occupancy_minute = _occupancy("occupancy_minute", Column("polls", Integer, nullable=False,
                                                         server_default="0"))
occupancy_hour = _occupancy("occupancy_hour")
occupancy_day = _occupancy("occupancy_day")

# The hour level tallied per UTC day, for the reports over long periods: per server,
# feature, day (its first second in `at`) and the figures an hour had (its peak, its issued
# count, -1 for none, and its idle reserved seats, 0 for none), how many hours of the day had
# them and their means summed. Kept by triggers on occupancy_hour (migration 0005), so that
# every writer (roll-ups, set_issued, retention, a test's INSERT) keeps it exact; ordered so
# that a feature's tallies, and each peak's, are read in one pass.
NO_ISSUED = -1
occupancy_hour_tally = Table(
    "occupancy_hour_tally", metadata,
    Column("server_id", Integer, nullable=False),
    Column("feature", Bounded(NAME), nullable=False),
    Column("in_use_peak", Integer, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("issued", Integer, nullable=False),
    Column("reserved_idle", Integer, nullable=False),
    Column("hours", Integer, nullable=False),
    Column("mean_sum", Float, nullable=False),
    PrimaryKeyConstraint("server_id", "feature", "in_use_peak", "at", "issued",
                         "reserved_idle"),
    sqlite_with_rowid=False,
)

# A period in which a server's log (kind "log") or its status (kind "poll") was not seen.
gaps = Table(
    "gaps", metadata,
    Column("id", Integer, primary_key=True),
    _server_id(),
    Column("kind", Bounded(16), nullable=False),
    Column("start_at", BigInteger, nullable=False),
    Column("end_at", BigInteger),  # None: not seen since
    Column("reason", Text),
    UniqueConstraint("server_id", "kind", "start_at"),
)

# The admin actions (lmconsole/audit.py's records), known by the SHA-256 of the record.
audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True),
    Column("digest", Bounded(64), nullable=False, unique=True),
    Column("at", BigInteger, nullable=False),
    Column("who", Bounded(NAME), nullable=False),
    Column("server", Bounded(NAME), nullable=False),
    Column("action", Bounded(40), nullable=False),
    Column("command", Text, nullable=False),  # JSON list, passwords already redacted
    Column("outcome", Bounded(16), nullable=False),
    Column("exit_code", Integer),
    Column("output", Text),
    Column("diff", Text),
    Column("subject", Text),  # JSON object
    Index(None, "at"),
)

# Every change of an alert (lmconsole.alerts): fired, renotified, severity, acknowledged,
# snoozed, cleared; one alert is its rule and subject ("server/feature/user").
alert_changes = Table(
    "alert_changes", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", BigInteger, nullable=False),
    Column("rule", Bounded(NAME), nullable=False),
    Column("subject", Bounded(1000), nullable=False),
    Column("change", Bounded(16), nullable=False),
    Column("kind", Bounded(40), nullable=False),
    Column("severity", Bounded(16), nullable=False),
    Column("server", Bounded(NAME)),
    Column("feature", Bounded(NAME)),
    Column("message", Text, nullable=False),
    Column("who", Bounded(NAME)),  # who acknowledged or snoozed it
    Column("until_at", BigInteger),  # snoozed until
    UniqueConstraint("rule", "subject", "change", "at"),
    Index(None, "at"),
)

# ---- directories (lmconsole.history.directory): users, groups and membership, dated ------
# Each row holds from `valid_from` (the sync that first saw it) to `valid_to` (the sync that
# no longer saw it, or saw it changed); NULL: valid still. So a group's members can be asked
# as of any past moment: valid_from <= t < valid_to.

directories = Table(
    "directories", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Bounded(NAME), nullable=False, unique=True),
    Column("synced_at", BigInteger),  # the last sync that completed
)


def _directory_id() -> Column:
    return Column("directory_id", Integer, ForeignKey("directories.id"), nullable=False)


def _validity() -> list[Column]:
    return [Column("valid_from", BigInteger, nullable=False), Column("valid_to", BigInteger)]


directory_users = Table(
    "directory_users", metadata,
    Column("id", Integer, primary_key=True),
    _directory_id(),
    Column("login", Bounded(NAME), nullable=False),  # as licence servers log it
    Column("dn", Text, nullable=False),
    Column("display_name", Text),
    Column("mail", Text),
    *_validity(),
    UniqueConstraint("directory_id", "login", "valid_from"),
)

directory_groups = Table(
    "directory_groups", metadata,
    Column("id", Integer, primary_key=True),
    _directory_id(),
    Column("name", Bounded(NAME), nullable=False),
    Column("dn", Text, nullable=False),  # an attribute group's: its filter
    Column("source", Bounded(16), nullable=False),  # "ldap" or "attribute"
    *_validity(),
    UniqueConstraint("directory_id", "name", "valid_from"),
)

# kind "user": a user named in the group; "group": a group named in it; "nested": a user in
# it only through its groups (lmconsole.directory.model).
directory_members = Table(
    "directory_members", metadata,
    Column("id", Integer, primary_key=True),
    _directory_id(),
    Column("group_name", Bounded(NAME), nullable=False),
    Column("kind", Bounded(16), nullable=False),
    Column("member", Bounded(NAME), nullable=False),
    *_validity(),
    UniqueConstraint("directory_id", "group_name", "kind", "member", "valid_from",
                     name="uq_directory_members_dated"),  # the convention's: > 63 characters
    Index(None, "member", "valid_from"),  # a user's groups
)

# Seats a pool's manager set ([[pools]] manager, `lmconsole pools set`), one row a change. The
# latest row of a pool's feature holds while the configuration still gives that feature the
# seats it was set over (`config_seats`): a change of the configuration's own wins.
pool_seats = Table(
    "pool_seats", metadata,
    Column("id", Integer, primary_key=True),
    Column("server", Bounded(NAME), nullable=False),
    Column("pool", Bounded(NAME), nullable=False),
    Column("feature", Bounded(NAME), nullable=False),
    Column("seats", Integer, nullable=False),
    Column("config_seats", Integer, nullable=False),
    Column("set_by", Bounded(NAME), nullable=False),
    Column("set_at", BigInteger, nullable=False),
    Index(None, "server", "pool", "feature", "set_at"),
)
