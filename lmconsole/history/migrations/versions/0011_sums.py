"""session_month_sums: the checkouts begun and ended in one UTC month summed per feature,
user, logged project, host, server and month, kept by triggers on sessions; filled here
from the sessions there are. Reports users, groups and projects read a year from these
sums and from the sessions only those the sums do not hold (lmconsole.reports.checkouts).

Triggers, as for occupancy_hour_tally (0007), so that every writer of sessions keeps the
sums exact (the importer and its bulk writer, the recorder, the polls' sessions, the ends
found missed, a test's INSERT), and so that what does not change a session changes no
sum: a row written again is no new row, a batch replayed after a crash writes nothing
twice. A session added, or given its end, is added to its row; one changed or deleted is
taken away, and its row's earliest start and latest end found again from the sessions
when it held them.

Revision ID: 0011_sums
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_sums"
down_revision = "0010_reports_fast2"
branch_labels = None
depends_on = None

TABLE = "session_month_sums"
KEY = ("feature", "user_name", "project", "no_project", "host", "no_host", "server_id",
       "month")
FIGURES = ("sessions", "seconds", "seat_seconds", "long_sessions", "first_start", "last_end")
LONG_S = 8 * 3600  # schema.MONTH_SUMS_LONG_S
# what a change of a session must touch the sums for
SUMMED = ("feature", "user_name", "project", "host", "server_id", "reserved", "borrowed",
          "count", "start_at", "end_at")


class Dialect:
    """The SQL that differs between SQLite and PostgreSQL."""

    def __init__(self, name: str) -> None:
        self.sqlite = name == "sqlite"
        self.same = "IS" if self.sqlite else "IS NOT DISTINCT FROM"
        self.least = "min" if self.sqlite else "least"
        self.greatest = "max" if self.sqlite else "greatest"

    def month(self, at: str, months: int = 0) -> str:
        """The first second of the UTC month of `at` (epoch seconds), `months` on."""
        if self.sqlite:
            return (f"CAST(strftime('%s', {at}, 'unixepoch', 'start of month', "
                    f"'+{months} months') AS INTEGER)")
        return (f"CAST(extract(epoch FROM date_trunc('month', to_timestamp({at}) AT TIME ZONE "
                f"'UTC') + interval '{months} months') AS BIGINT)")

    def summed(self, row: str) -> str:
        """The session `row` (NEW, OLD or a table's) is in the sums: a checkout that ended
        in the month it began in."""
        return (f"NOT {row}.reserved AND {row}.end_at IS NOT NULL "
                f"AND {row}.end_at <= {self.month(f'{row}.start_at', 1)}")

    def key(self, row: str) -> tuple[str, ...]:
        return (f"{row}.feature", f"{row}.user_name", f"coalesce({row}.project, '')",
                f"({row}.project IS NULL)", f"coalesce({row}.host, '')", f"({row}.host IS NULL)",
                f"{row}.server_id", self.month(f"{row}.start_at"))

    def figures(self, row: str) -> tuple[str, ...]:
        held = f"{row}.end_at - {row}.start_at"
        return ("1", held, f"{row}.count * ({held})",
                f"CASE WHEN NOT {row}.borrowed AND {held} > {LONG_S} THEN 1 ELSE 0 END",
                f"{row}.start_at", f"{row}.end_at")

    def add(self, row: str) -> str:
        excluded = "excluded" if self.sqlite else "EXCLUDED"
        sums = ", ".join(f"{f} = {TABLE}.{f} + {excluded}.{f}" for f in FIGURES[:4])
        return (f"INSERT INTO {TABLE} ({', '.join(KEY + FIGURES)}) "
                f"VALUES ({', '.join(self.key(row) + self.figures(row))}) "
                f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {sums}, "
                f"first_start = {self.least}({TABLE}.first_start, {excluded}.first_start), "
                f"last_end = {self.greatest}({TABLE}.last_end, {excluded}.last_end);")

    def take_away(self, row: str) -> str:
        """The row's figures taken away; its earliest start and latest end, if they were
        the row's, found again among the sessions it still sums (this runs after the change,
        which they no longer see as it was)."""
        where = " AND ".join(f"{column} = {value}" for column, value in zip(KEY, self.key(row)))
        s = "s"
        same_key = " AND ".join((
            f"s.feature = {row}.feature", f"s.user_name = {row}.user_name",
            f"s.project {self.same} {row}.project", f"s.host {self.same} {row}.host",
            f"s.server_id = {row}.server_id",
            f"s.start_at >= {self.month(f'{row}.start_at')}",
            f"s.start_at < {self.month(f'{row}.start_at', 1)}", self.summed(s)))
        sums = ", ".join(f"{f} = {f} - ({v})" for f, v in zip(FIGURES[:4], self.figures(row)))
        return (f"UPDATE {TABLE} SET {sums}, "
                f"first_start = CASE WHEN first_start < {row}.start_at THEN first_start ELSE "
                f"coalesce((SELECT min(s.start_at) FROM sessions s WHERE {same_key}), 0) END, "
                f"last_end = CASE WHEN last_end > {row}.end_at THEN last_end ELSE "
                f"coalesce((SELECT max(s.end_at) FROM sessions s WHERE {same_key}), 0) END "
                f"WHERE {where}; "
                f"DELETE FROM {TABLE} WHERE {where} AND sessions <= 0;")

    def fill(self) -> str:
        key = self.key("sessions")
        held = "sessions.end_at - sessions.start_at"
        return (f"INSERT INTO {TABLE} ({', '.join(KEY + FIGURES)}) "
                f"SELECT {', '.join(key)}, count(*), sum({held}), "
                f"sum(sessions.count * ({held})), "
                f"sum(CASE WHEN NOT sessions.borrowed AND {held} > {LONG_S} THEN 1 ELSE 0 END), "
                f"min(sessions.start_at), max(sessions.end_at) "
                f"FROM sessions WHERE {self.summed('sessions')} "
                f"GROUP BY {', '.join(key)}")


def sqlite_triggers(d: Dialect) -> tuple[str, ...]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in SUMMED)
    return (
        f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON sessions "
        f"WHEN {d.summed('NEW')} BEGIN {d.add('NEW')} END",
        f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON sessions "
        f"WHEN {d.summed('OLD')} BEGIN {d.take_away('OLD')} END",
        f"CREATE TRIGGER {TABLE}_update_old AFTER UPDATE ON sessions "
        f"WHEN ({changed}) AND {d.summed('OLD')} BEGIN {d.take_away('OLD')} END",
        f"CREATE TRIGGER {TABLE}_update_new AFTER UPDATE ON sessions "
        f"WHEN ({changed}) AND {d.summed('NEW')} BEGIN {d.add('NEW')} END",
    )


def postgresql_function(d: Dialect) -> str:
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in SUMMED)
    return f"""
CREATE FUNCTION {TABLE}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NOT ({changed}) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND {d.summed('OLD')} THEN
        {d.take_away('OLD')}
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND {d.summed('NEW')} THEN
        {d.add('NEW')}
    END IF;
    RETURN NULL;
END $$"""


POSTGRESQL_TRIGGER = (f"CREATE TRIGGER {TABLE} AFTER INSERT OR DELETE OR UPDATE ON sessions "
                      f"FOR EACH ROW EXECUTE FUNCTION {TABLE}()")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("feature", sa.String(length=200), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("no_project", sa.Boolean(), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("no_host", sa.Boolean(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.BigInteger(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.BigInteger(), nullable=False),
        sa.Column("seat_seconds", sa.BigInteger(), nullable=False),
        sa.Column("long_sessions", sa.Integer(), nullable=False),
        sa.Column("first_start", sa.BigInteger(), nullable=False),
        sa.Column("last_end", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, name=op.f(f"pk_{TABLE}")),
        sqlite_with_rowid=False,
    )
    d = Dialect(op.get_bind().dialect.name)
    op.execute(d.fill())
    if d.sqlite:
        for trigger in sqlite_triggers(d):
            op.execute(trigger)
    else:
        op.execute(postgresql_function(d))
        op.execute(POSTGRESQL_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update_old", "update_new"):
            op.execute(f"DROP TRIGGER {TABLE}_{name}")
    else:
        op.execute(f"DROP TRIGGER {TABLE} ON sessions")
        op.execute(f"DROP FUNCTION {TABLE}()")
    op.drop_table(TABLE)
