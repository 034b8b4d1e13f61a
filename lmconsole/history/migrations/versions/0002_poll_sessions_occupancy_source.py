"""Sessions seen by polls (poll_key, unique per server) and idle reservations (reserved);
occupancy rows say whether their seats in use were counted from a log (from_log), and a
minute how many polls its figures are the mean of (polls).

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OCCUPANCY = ("occupancy_minute", "occupancy_hour", "occupancy_day")


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("poll_key", sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column("reserved", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_unique_constraint(batch_op.f("uq_sessions_server_id_poll_key"),
                                          ["server_id", "poll_key"])
    for table in OCCUPANCY:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("from_log", sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    with op.batch_alter_table("occupancy_minute", schema=None) as batch_op:
        batch_op.add_column(sa.Column("polls", sa.Integer(), nullable=False,
                                      server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("occupancy_minute", schema=None) as batch_op:
        batch_op.drop_column("polls")
    for table in OCCUPANCY:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("from_log")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_sessions_server_id_poll_key"), type_="unique")
        batch_op.drop_column("reserved")
        batch_op.drop_column("poll_key")
