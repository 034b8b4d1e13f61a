"""The audit log's records copied into the history's `audit` table, where reports and a
shared PostgreSQL history see them.

The file stays the record of reference: an admin action is not run unless its record could
be written there first (lmconsole/audit.py). The copy follows the file as it grows; a record
is known by the SHA-256 of its line, so copying a file again, or by a console and a
collector at once, adds each record once. A line that is not a record is skipped and said.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from datetime import datetime
from pathlib import Path

from lmconsole.history.schema import NAME
from lmconsole.history.store import HistoryStore

log = logging.getLogger(__name__)

ACTION, OUTCOME = 40, 16  # the lengths of those columns


class AuditCopy:
    """Copies what `path` gained since the last `copy` (all of it, the first time, or once
    the file was replaced or truncated)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._inode: int | None = None
        self._offset = 0  # the end of the last whole line copied
        self.copied = 0
        self.skipped = 0
        self._unreadable: str | None = None  # why the file could not be read, once said

    async def copy(self, store: HistoryStore) -> int:
        """The records added to the table this time."""
        lines = self._new_lines()
        if not lines:
            return 0
        rows = [row for row in map(self._row, lines) if row is not None]
        added = await store.add_audit(rows)
        self.copied += added
        return added

    def _new_lines(self) -> list[bytes]:
        try:
            with open(self.path, "rb") as file:
                stat = os.fstat(file.fileno())
                if stat.st_ino != self._inode or stat.st_size < self._offset:
                    self._inode, self._offset = stat.st_ino, 0
                if stat.st_size == self._offset:
                    return []
                file.seek(self._offset)
                data = file.read(stat.st_size - self._offset)
        except FileNotFoundError:
            return []
        except OSError as error:  # another user's, say: the history goes on without it
            if str(error) != self._unreadable:
                self._unreadable = str(error)
                log.warning("the audit log is not copied into the history: %s", error)
            return []
        whole = data[:data.rfind(b"\n") + 1]  # a line still being written waits
        self._offset += len(whole)
        return whole.splitlines()

    def _row(self, line: bytes) -> dict | None:
        if not line.strip():
            return None
        try:
            row = audit_row(line)
        except (ValueError, KeyError, TypeError) as error:
            self.skipped += 1
            log.warning("%s: a line that is not an audit record, skipped (%s)", self.path,
                        error)
            return None
        return row


def audit_row(line: bytes) -> dict:
    """The `audit` table's row of one audit log line (ValueError, KeyError or TypeError when
    it is not a record)."""
    record = json.loads(line)
    at = datetime.fromisoformat(record["when"])
    if at.tzinfo is None:
        raise ValueError(f"a time without its zone: {record['when']!r}")
    subject = record.get("subject")
    return {
        "digest": hashlib.sha256(line.rstrip(b"\r\n")).hexdigest(),
        "at": int(at.timestamp()),
        "who": str(record["who"])[:NAME],
        "server": str(record["server"])[:NAME],
        "action": str(record.get("action") or "")[:ACTION],
        "command": json.dumps(list(record["command"]), ensure_ascii=False),
        "outcome": str(record["outcome"])[:OUTCOME],
        "exit_code": _exit_code(record.get("exit_code")),
        "output": record.get("output") or None,
        "diff": record.get("diff") or None,
        "subject": None if subject is None else json.dumps(subject, ensure_ascii=False),
    }


def _exit_code(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**31 - 1:
        raise ValueError(f"an exit code that is not one: {value!r}")
    return value
