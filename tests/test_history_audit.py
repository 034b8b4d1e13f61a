"""The audit log copied into the history (AuditCopy) and listed by `lmconsole history audit`:
real audit files written by AuditLog, real SQLite files and a real PostgreSQL server. Each
record lands once, whatever is copied again; a line being written waits for its end; a line
that is not a record is skipped; a replaced file is copied from its start."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lmconsole.audit import AuditLog
from lmconsole.history.audit_copy import AuditCopy
from lmconsole.history.store import HistoryStore

from .postgres import history_url_fixture, postgres_fixture  # noqa: F401 - fixtures

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Actions:
    """An audit log written by the console's own AuditLog, a minute per record."""

    def __init__(self, path: Path) -> None:
        self.clock = T0
        self.log = AuditLog(path, user=lambda: "root", now=lambda: self.clock)

    def reread(self, server: str = "arch", outcome: str = "ok") -> dict:
        self.clock += timedelta(minutes=1)
        return self.log.record(server=server, command=["lmutil", "lmreread", "-c", "27000@lic"],
                               outcome=outcome, exit_code=0, action="reread")

    def remove(self, user: str) -> dict:
        self.clock += timedelta(minutes=1)
        return self.log.record(server="arch", command=["lmutil", "lmremove", "AutoCAD", user],
                               outcome="ok", exit_code=0, action="remove",
                               subject={"feature": "AutoCAD", "user": user})


def copied(url: str, copy: AuditCopy) -> int:
    async def run() -> int:
        store = await HistoryStore.open(url)
        try:
            return await copy.copy(store)
        finally:
            await store.close()
    return asyncio.run(run())


def listed(url: str, tmp_path: Path, *options: str, format: str = "json"):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-m", "lmconsole", "history", "audit", "--format",
                             format, "--database", url, *options], capture_output=True,
                            text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if format == "json" else result.stdout


def test_each_record_is_copied_once_however_often_it_is_copied(tmp_path, url):
    actions = Actions(tmp_path / "audit.log")
    actions.reread()
    actions.remove("anna")
    assert copied(url, AuditCopy(actions.log.path)) == 2
    assert copied(url, AuditCopy(actions.log.path)) == 0  # another process, from the start
    copy = AuditCopy(actions.log.path)
    assert copied(url, copy) == 0
    actions.reread(outcome="failed")
    assert copied(url, copy) == 1
    assert copied(url, copy) == 0
    rows = listed(url, tmp_path)
    assert [(r["at"], r["action"], r["outcome"]) for r in rows] == [
        ("2026-03-02T09:01:00+00:00", "reread", "ok"),
        ("2026-03-02T09:02:00+00:00", "remove", "ok"),
        ("2026-03-02T09:03:00+00:00", "reread", "failed")]
    removal = rows[1]
    assert removal["command"] == ["lmutil", "lmremove", "AutoCAD", "anna"]
    assert removal["subject"] == {"feature": "AutoCAD", "user": "anna"}
    assert (removal["user"], removal["server"], removal["exit_code"]) == ("root", "arch", 0)


def test_a_line_being_written_waits_and_a_foreign_line_is_skipped(tmp_path, url):
    actions = Actions(tmp_path / "audit.log")
    actions.reread()
    line = json.dumps(actions.remove("anna")) + "\n"
    text = actions.log.path.read_text()
    actions.log.path.write_text(text[:-len(line)] + "not a record\n" + line[:20])
    copy = AuditCopy(actions.log.path)
    assert copied(url, copy) == 1
    assert copy.skipped == 1
    with actions.log.path.open("a") as file:
        file.write(line[20:])
    assert copied(url, copy) == 1
    assert [r["action"] for r in listed(url, tmp_path)] == ["reread", "remove"]


def test_a_rotated_audit_log_is_copied_from_its_start(tmp_path, url):
    actions = Actions(tmp_path / "audit.log")
    actions.reread()
    copy = AuditCopy(actions.log.path)
    assert copied(url, copy) == 1
    actions.log.path.rename(tmp_path / "audit.log.1")
    actions.remove("anna")  # a new file, shorter than what was read of the old one or not
    assert copied(url, copy) == 1
    assert len(listed(url, tmp_path)) == 2


def test_history_audit_filters_and_writes_a_table_and_csv(tmp_path):
    url = f"sqlite:///{tmp_path / 'history.db'}"
    actions = Actions(tmp_path / "audit.log")
    actions.reread()
    actions.remove("o'brien")
    actions.reread(server="cad")
    assert copied(url, AuditCopy(actions.log.path)) == 3
    assert [r["server"] for r in listed(url, tmp_path, "--server", "cad")] == ["cad"]
    assert len(listed(url, tmp_path, "--from", "2026-03-02T09:02:00", "--tz", "UTC")) == 2
    assert listed(url, tmp_path, "--user", "nobody") == []
    table = listed(url, tmp_path, "--tz", "UTC", format="table").splitlines()
    assert table[0].split() == ["SERVER", "TIME", "WHO", "ACTION", "OUTCOME", "EXIT", "COMMAND"]
    assert table[2].endswith("lmutil lmremove AutoCAD 'o'\"'\"'brien'")
    (_, removal, _) = csv.DictReader(io.StringIO(listed(url, tmp_path, format="csv")))
    assert removal["command"] == "lmutil lmremove AutoCAD 'o'\"'\"'brien'"
    assert json.loads(removal["subject"]) == {"feature": "AutoCAD", "user": "o'brien"}


def test_audit_records_have_no_feature_to_filter_by(tmp_path):
    result = subprocess.run([sys.executable, "-m", "lmconsole", "history", "audit",
                             "--feature", "AutoCAD", "--database",
                             f"sqlite:///{tmp_path / 'h.db'}"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--feature" in result.stderr
