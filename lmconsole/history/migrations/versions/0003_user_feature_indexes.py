"""Indexes on (feature, user, time) of sessions and denials: the denials report asks, for
each denial, whether the same user got the feature or was denied it just before or after.

Revision ID: 0003
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_feature_user_name_start_at"),
                              ["feature", "user_name", "start_at"], unique=False)
    with op.batch_alter_table("denials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_denials_feature_user_name_at"),
                              ["feature", "user_name", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("denials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_denials_feature_user_name_at"))
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_feature_user_name_start_at"))
