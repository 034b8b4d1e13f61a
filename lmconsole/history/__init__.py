"""The history: every checkout, denial and debug-log event lmconsole has seen or imported.

schema.py   the tables (SQLAlchemy Core), shared by SQLite and PostgreSQL
store.py    the async store: opening a database (migrating it to the current schema),
            idempotent batched writes, and the queries the history commands run
migrations/ Alembic's upgrade path from one schema version to the next
logfiles.py reading log files for import: plain or gzip, byte offsets, their identity
sessions.py turning OUT/IN/restart events into checkout sessions (no I/O)
importer.py `lmconsole import`: old debug logs into the store, in the order of their dates
recorder.py live recording: what the monitor sees (console and `lmconsole collect`)
occupancy.py seats in use per minute (from sessions, and from polls), hours, days, retention
(the commands are lmconsole/cli/import_logs.py and history.py)

Times are stored as whole seconds since the epoch (UTC), so that durations and per-minute
buckets are the same integer arithmetic in SQL on every engine. Natural keys make every
write idempotent: a debug-log line is known by its file's identity and its byte offset.
No Textual here, and no licence-manager adapter: the caller passes the adapter in.
"""
