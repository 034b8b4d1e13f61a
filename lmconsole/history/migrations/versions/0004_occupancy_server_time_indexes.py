"""Indexes on (server_id, at) of the occupancy levels: a report finds a server's first and
last period along them, where the primary key (server_id, feature, at) made it read every
row of the level (8-14 s over a year of 10 million sessions, bench/reports.py). And partial
indexes on the reserved and the borrowed sessions, which those reports found by reading
every session.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LEVELS = ("occupancy_minute", "occupancy_hour", "occupancy_day")
FLAGS = ("reserved", "borrowed")  # sessions' flags with an index of the few set


def upgrade() -> None:
    for table in LEVELS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_server_id_at"), ["server_id", "at"],
                                  unique=False)
    for flag in FLAGS:
        op.create_index(f"ix_sessions_{flag}_server_id_start_at", "sessions",
                        ["server_id", "start_at"], unique=False,
                        sqlite_where=sa.text(f"{flag} = 1"), postgresql_where=sa.text(flag))


def downgrade() -> None:
    for flag in FLAGS:
        op.drop_index(f"ix_sessions_{flag}_server_id_start_at", table_name="sessions")
    for table in LEVELS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_server_id_at"))
