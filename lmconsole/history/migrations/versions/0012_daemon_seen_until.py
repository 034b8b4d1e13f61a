"""vendor_daemons.seen_until: the last moment a log carrying a vendor daemon's lines was
known to be current. A session of it still open is held no further (before, it was held
to its server's last record, which another daemon's log may carry months later). And an
index of the sessions still open, which the reports then look up.

Revision ID: 0012_daemon_seen_until
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_daemon_seen_until"
down_revision = "0011_sums"
branch_labels = None
depends_on = None

STILL_OPEN = "ix_sessions_still_open_server_id"
END_STILL_OPEN = "still_open"


def upgrade() -> None:
    # not known for the logs read before: NULL, held to the server's last record as then
    with op.batch_alter_table("vendor_daemons") as table:
        table.add_column(sa.Column("seen_until", sa.BigInteger(), nullable=True))
    op.create_index(STILL_OPEN, "sessions", ["server_id"], unique=False,
                    sqlite_where=sa.text(f"end_kind = '{END_STILL_OPEN}'"),
                    postgresql_where=sa.text(f"end_kind = '{END_STILL_OPEN}'"))


def downgrade() -> None:
    op.drop_index(STILL_OPEN, table_name="sessions")
    with op.batch_alter_table("vendor_daemons") as table:
        table.drop_column("seen_until")
