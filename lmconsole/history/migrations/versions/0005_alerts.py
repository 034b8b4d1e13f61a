"""alert_changes: every change of an alert (fired, renotified, severity, acknowledged,
snoozed, cleared), so that the history says what was told when.

Revision ID: 0005_alerts
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_alerts"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=1000), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("server", sa.String(length=200), nullable=True),
        sa.Column("feature", sa.String(length=200), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("who", sa.String(length=200), nullable=True),
        sa.Column("until_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_changes")),
        sa.UniqueConstraint("rule", "subject", "change", "at",
                            name=op.f("uq_alert_changes_rule_subject_change_at")),
    )
    op.create_index(op.f("ix_alert_changes_at"), "alert_changes", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_changes_at"), table_name="alert_changes")
    op.drop_table("alert_changes")
