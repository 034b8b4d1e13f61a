"""Directories: their users, groups and membership, each row dated (valid_from, valid_to),
so that a group's members can be asked as of any past moment.

Revision ID: 0006_directory
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_directory"
down_revision = "0005_alerts"
branch_labels = None
depends_on = None

NAME = 200


def _directory_id() -> list:
    return [sa.Column("directory_id", sa.Integer(), nullable=False)]


def _validity() -> list:
    return [sa.Column("valid_from", sa.BigInteger(), nullable=False),
            sa.Column("valid_to", sa.BigInteger(), nullable=True)]


def _directory_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["directory_id"], ["directories.id"],
                                   name=op.f(f"fk_{table}_directory_id_directories"))


def upgrade() -> None:
    op.create_table(
        "directories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=NAME), nullable=False),
        sa.Column("synced_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directories")),
        sa.UniqueConstraint("name", name=op.f("uq_directories_name")),
    )
    op.create_table(
        "directory_users",
        sa.Column("id", sa.Integer(), nullable=False),
        *_directory_id(),
        sa.Column("login", sa.String(length=NAME), nullable=False),
        sa.Column("dn", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("mail", sa.Text(), nullable=True),
        *_validity(),
        _directory_key("directory_users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_users")),
        sa.UniqueConstraint("directory_id", "login", "valid_from",
                            name=op.f("uq_directory_users_directory_id_login_valid_from")),
    )
    op.create_table(
        "directory_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        *_directory_id(),
        sa.Column("name", sa.String(length=NAME), nullable=False),
        sa.Column("dn", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        *_validity(),
        _directory_key("directory_groups"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_groups")),
        sa.UniqueConstraint("directory_id", "name", "valid_from",
                            name=op.f("uq_directory_groups_directory_id_name_valid_from")),
    )
    op.create_table(
        "directory_members",
        sa.Column("id", sa.Integer(), nullable=False),
        *_directory_id(),
        sa.Column("group_name", sa.String(length=NAME), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("member", sa.String(length=NAME), nullable=False),
        *_validity(),
        _directory_key("directory_members"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_members")),
        sa.UniqueConstraint(
            "directory_id", "group_name", "kind", "member", "valid_from",
            name="uq_directory_members_dated"),
    )
    with op.batch_alter_table("directory_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directory_members_member_valid_from"),
                              ["member", "valid_from"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("directory_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_members_member_valid_from"))
    for table in ("directory_members", "directory_groups", "directory_users", "directories"):
        op.drop_table(table)
