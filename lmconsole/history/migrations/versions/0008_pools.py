"""pool_seats: the seats of allocation pools their managers set (`lmconsole pools set`), one
row a change, with who and when.

Revision ID: 0008_pools
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_pools"
down_revision = "0007_reports_speed"
branch_labels = None
depends_on = None

NAME = 200


def upgrade() -> None:
    op.create_table(
        "pool_seats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server", sa.String(length=NAME), nullable=False),
        sa.Column("pool", sa.String(length=NAME), nullable=False),
        sa.Column("feature", sa.String(length=NAME), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("config_seats", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=NAME), nullable=False),
        sa.Column("set_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_seats")),
    )
    op.create_index(op.f("ix_pool_seats_server_pool_feature_set_at"), "pool_seats",
                    ["server", "pool", "feature", "set_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pool_seats_server_pool_feature_set_at"), table_name="pool_seats")
    op.drop_table("pool_seats")
