"""occupancy_hour_tally: the hour level tallied per UTC day (per peak, issued and idle
reserved count, the hours and their means summed), kept by triggers on occupancy_hour.
Utilisation and efficiency over a year read its rows for the whole days of the period
instead of every hour (19 and 17 s -> under a second for 2,000 features over a year of
10 million sessions, bench/reports.py). Triggers, not code in the roll-ups, so that every
writer of the hours keeps it exact: roll-ups, set_issued, retention, a re-import; counts
and sums are added and taken away, so a row costs the same whatever the day holds.
Existing hours are tallied here.

And the index of a user's checkouts of a feature made covering (end, server, flags, count,
host): borrowing's search for the floating seats a user held while borrowing, and users of
one feature, read each session from the index instead of looking it up in the table.

Revision ID: 0007_reports_speed
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_reports_speed"
down_revision = "0006_directory"
branch_labels = None
depends_on = None

TALLY_KEY = ("server_id", "feature", "in_use_peak", "at", "issued", "reserved_idle")


def _key(row: str) -> tuple[str, ...]:
    """The tally key of an occupancy_hour row (NEW or OLD) as SQL expressions."""
    return (f"{row}.server_id", f"{row}.feature", f"{row}.in_use_peak",
            f"{row}.at - {row}.at % 86400", f"coalesce({row}.issued, -1)",
            f"coalesce({row}.reserved_idle, 0)")


def _add(row: str, excluded: str) -> str:
    return (f"INSERT INTO occupancy_hour_tally ({', '.join(TALLY_KEY)}, hours, mean_sum) "
            f"VALUES ({', '.join(_key(row))}, 1, {row}.in_use_mean) "
            f"ON CONFLICT ({', '.join(TALLY_KEY)}) DO UPDATE SET "
            f"hours = occupancy_hour_tally.hours + 1, "
            f"mean_sum = occupancy_hour_tally.mean_sum + {excluded}.mean_sum;")


def _take_away(row: str) -> str:
    where = " AND ".join(f"{column} = {value}" for column, value in zip(TALLY_KEY, _key(row)))
    return (f"UPDATE occupancy_hour_tally SET hours = hours - 1, "
            f"mean_sum = mean_sum - {row}.in_use_mean WHERE {where}; "
            f"DELETE FROM occupancy_hour_tally WHERE {where} AND hours <= 0;")


CHANGED = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in (
    "server_id", "feature", "at", "in_use_peak", "in_use_mean", "issued", "reserved_idle"))

SQLITE_TRIGGERS = (
    f"CREATE TRIGGER occupancy_hour_tally_insert AFTER INSERT ON occupancy_hour "
    f"BEGIN {_add('NEW', 'excluded')} END",
    f"CREATE TRIGGER occupancy_hour_tally_delete AFTER DELETE ON occupancy_hour "
    f"BEGIN {_take_away('OLD')} END",
    f"CREATE TRIGGER occupancy_hour_tally_update AFTER UPDATE ON occupancy_hour "
    f"WHEN {CHANGED} BEGIN {_take_away('OLD')} {_add('NEW', 'excluded')} END",
)

POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION occupancy_hour_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {_take_away('OLD')}
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        {_add('NEW', 'EXCLUDED')}
    END IF;
    RETURN NULL;
END $$"""
POSTGRESQL_TRIGGER = (
    "CREATE TRIGGER occupancy_hour_tally AFTER INSERT OR DELETE OR UPDATE ON occupancy_hour "
    "FOR EACH ROW EXECUTE FUNCTION occupancy_hour_tally()")

TALLY_EXISTING = (
    f"INSERT INTO occupancy_hour_tally ({', '.join(TALLY_KEY)}, hours, mean_sum) "
    "SELECT server_id, feature, in_use_peak, at - at % 86400, coalesce(issued, -1), "
    "coalesce(reserved_idle, 0), count(*), sum(in_use_mean) FROM occupancy_hour "
    "GROUP BY server_id, feature, in_use_peak, at - at % 86400, coalesce(issued, -1), "
    "coalesce(reserved_idle, 0)")


CHECKOUTS = "ix_sessions_feature_user_name_start_at"
COVERING_CHECKOUTS = "ix_sessions_feature_user_name_start_at_covering"


def upgrade() -> None:
    op.drop_index(CHECKOUTS, table_name="sessions")
    op.create_index(COVERING_CHECKOUTS, "sessions",
                    ["feature", "user_name", "start_at", "end_at", "server_id", "borrowed",
                     "reserved", "count", "host"], unique=False)
    op.create_table(
        "occupancy_hour_tally",
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("feature", sa.String(length=200), nullable=False),
        sa.Column("in_use_peak", sa.Integer(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("reserved_idle", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("mean_sum", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(*TALLY_KEY, name=op.f("pk_occupancy_hour_tally")),
        sqlite_with_rowid=False,
    )
    op.execute(TALLY_EXISTING)
    if op.get_bind().dialect.name == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    else:
        op.execute(POSTGRESQL_FUNCTION)
        op.execute(POSTGRESQL_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER occupancy_hour_tally_{name}")
    else:
        op.execute("DROP TRIGGER occupancy_hour_tally ON occupancy_hour")
        op.execute("DROP FUNCTION occupancy_hour_tally()")
    op.drop_table("occupancy_hour_tally")
    op.drop_index(COVERING_CHECKOUTS, table_name="sessions")
    op.create_index(CHECKOUTS, "sessions", ["feature", "user_name", "start_at"], unique=False)
