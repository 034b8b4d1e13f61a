"""A covering index of the sessions in the order of their users (then logged project,
feature and host): reports users, groups and projects of every feature group a user's
sessions (projects: per user and project) as the index has them, where SQLite sorted the
ten million sessions of a year by user or project first (all features over a generated
year of 10 million sessions, bench/reports.py, CPU: users 10.8 -> 5.7 s, groups 6.7 ->
4.2 s, projects 8.4 -> 2.6 s with the sums per user and project). Built on upgrade: 100 s
for 10 million sessions on the shared machine.

Revision ID: 0010_reports_fast2
"""

from alembic import op

revision = "0010_reports_fast2"
down_revision = "0009_reports_fast"
branch_labels = None
depends_on = None

USERS_CHECKOUTS = "ix_sessions_user_name_project_covering"
COVERED = ["user_name", "project", "feature", "host", "start_at", "end_at", "server_id",
           "reserved", "borrowed", "count"]


def upgrade() -> None:
    op.create_index(USERS_CHECKOUTS, "sessions", COVERED, unique=False)


def downgrade() -> None:
    op.drop_index(USERS_CHECKOUTS, table_name="sessions")
