"""Alembic's environment for the history database. lmconsole runs the migrations itself
(store.py, on the connection it opened: `connection` in the config's attributes); the
`alembic` command is only needed to write a new migration."""

from alembic import context

from lmconsole.history.schema import metadata

config = context.config
connection = config.attributes["connection"]
# Batch mode: on SQLite, which cannot alter a column, a table is rebuilt instead.
context.configure(
    connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True
)
with context.begin_transaction():
    context.run_migrations()
