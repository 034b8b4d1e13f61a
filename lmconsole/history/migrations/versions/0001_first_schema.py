"""The first history schema: servers, daemons, features, pools, log sources, events,
sessions, denials, occupancy per minute/hour/day, gaps and the audit log.

Revision ID: 0001 (written by `alembic revision --autogenerate` from schema.py)
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("who", sa.String(length=200), nullable=False),
        sa.Column("server", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("diff", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit")),
        sa.UniqueConstraint("digest", name=op.f("uq_audit_digest")),
    )
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_at"), ["at"], unique=False)

    op.create_table(
        "servers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("manager", sa.String(length=40), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servers")),
        sa.UniqueConstraint("name", name=op.f("uq_servers_name")),
    )
    op.create_table(
        "features",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name=op.f("fk_features_server_id_servers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_features")),
        sa.UniqueConstraint("server_id", "name", name=op.f("uq_features_server_id_name")),
    )
    op.create_table(
        "gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("start_at", sa.BigInteger(), nullable=False),
        sa.Column("end_at", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name=op.f("fk_gaps_server_id_servers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gaps")),
        sa.UniqueConstraint(
            "server_id", "kind", "start_at", name=op.f("uq_gaps_server_id_kind_start_at")
        ),
    )
    op.create_table(
        "occupancy_day",
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("feature", sa.String(length=200), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("in_use_peak", sa.Integer(), nullable=False),
        sa.Column("in_use_mean", sa.Float(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=True),
        sa.Column("reserved_idle", sa.Integer(), nullable=True),
        sa.Column("borrowed", sa.Integer(), nullable=True),
        sa.Column("queued", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name=op.f("fk_occupancy_day_server_id_servers")
        ),
        sa.PrimaryKeyConstraint("server_id", "feature", "at", name=op.f("pk_occupancy_day")),
    )
    op.create_table(
        "occupancy_hour",
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("feature", sa.String(length=200), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("in_use_peak", sa.Integer(), nullable=False),
        sa.Column("in_use_mean", sa.Float(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=True),
        sa.Column("reserved_idle", sa.Integer(), nullable=True),
        sa.Column("borrowed", sa.Integer(), nullable=True),
        sa.Column("queued", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name=op.f("fk_occupancy_hour_server_id_servers")
        ),
        sa.PrimaryKeyConstraint("server_id", "feature", "at", name=op.f("pk_occupancy_hour")),
    )
    op.create_table(
        "occupancy_minute",
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("feature", sa.String(length=200), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("in_use_peak", sa.Integer(), nullable=False),
        sa.Column("in_use_mean", sa.Float(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=True),
        sa.Column("reserved_idle", sa.Integer(), nullable=True),
        sa.Column("borrowed", sa.Integer(), nullable=True),
        sa.Column("queued", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name=op.f("fk_occupancy_minute_server_id_servers")
        ),
        sa.PrimaryKeyConstraint("server_id", "feature", "at", name=op.f("pk_occupancy_minute")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=64), nullable=False),
        sa.Column("prefix_bytes", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("bytes_read", sa.BigInteger(), nullable=False),
        sa.Column("lines_read", sa.BigInteger(), nullable=False),
        sa.Column("first_at", sa.BigInteger(), nullable=True),
        sa.Column("last_at", sa.BigInteger(), nullable=True),
        sa.Column("read_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name=op.f("fk_sources_server_id_servers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("server_id", "identity", name=op.f("uq_sources_server_id_identity")),
    )
    op.create_table(
        "vendor_daemons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name=op.f("fk_vendor_daemons_server_id_servers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendor_daemons")),
        sa.UniqueConstraint("server_id", "name", name=op.f("uq_vendor_daemons_server_id_name")),
    )
    op.create_table(
        "denials",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("byte_offset", sa.BigInteger(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("daemon", sa.String(length=200), nullable=False),
        sa.Column("feature", sa.String(length=200), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=True),
        sa.Column("host", sa.String(length=200), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name=op.f("fk_denials_server_id_servers")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_denials_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("source_id", "byte_offset", name=op.f("pk_denials")),
    )
    with op.batch_alter_table("denials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_denials_server_id_at"), ["server_id", "at"], unique=False
        )

    op.create_table(
        "events",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("byte_offset", sa.BigInteger(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("daemon", sa.String(length=200), nullable=False),
        sa.Column("feature", sa.String(length=200), nullable=True),
        sa.Column("user_name", sa.String(length=200), nullable=True),
        sa.Column("host", sa.String(length=200), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.Column("line", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name=op.f("fk_events_server_id_servers")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_events_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("source_id", "byte_offset", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_server_id_at"), ["server_id", "at"], unique=False
        )

    op.create_table(
        "pools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("expiry", sa.String(length=16), nullable=False),
        sa.Column("vendor_string", sa.Text(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("license_type", sa.String(length=40), nullable=True),
        sa.Column("first_seen_at", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feature_id"], ["features.id"], name=op.f("fk_pools_feature_id_features")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pools")),
        sa.UniqueConstraint(
            "feature_id",
            "version",
            "expiry",
            "vendor_string",
            "issued",
            name=op.f("uq_pools_feature_id_version_expiry_vendor_string_issued"),
        ),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("byte_offset", sa.BigInteger(), nullable=True),
        sa.Column("feature", sa.String(length=200), nullable=False),
        sa.Column("daemon", sa.String(length=200), nullable=True),
        sa.Column("version", sa.String(length=200), nullable=True),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=True),
        sa.Column("display", sa.String(length=200), nullable=True),
        sa.Column("handle", sa.BigInteger(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(length=200), nullable=True),
        sa.Column("borrowed", sa.Boolean(), nullable=False),
        sa.Column("start_at", sa.BigInteger(), nullable=False),
        sa.Column("end_at", sa.BigInteger(), nullable=True),
        sa.Column("end_kind", sa.String(length=16), nullable=False),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name=op.f("fk_sessions_server_id_servers")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_sessions_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint(
            "source_id", "byte_offset", name=op.f("uq_sessions_source_id_byte_offset")
        ),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sessions_server_id_start_at"), ["server_id", "start_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_server_id_start_at"))

    op.drop_table("sessions")
    op.drop_table("pools")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_server_id_at"))

    op.drop_table("events")
    with op.batch_alter_table("denials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_denials_server_id_at"))

    op.drop_table("denials")
    op.drop_table("vendor_daemons")
    op.drop_table("sources")
    op.drop_table("occupancy_minute")
    op.drop_table("occupancy_hour")
    op.drop_table("occupancy_day")
    op.drop_table("gaps")
    op.drop_table("features")
    op.drop_table("servers")
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_at"))

    op.drop_table("audit")
