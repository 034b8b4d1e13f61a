"""`lmconsole collect` evaluates the rules as it records: a change is said on standard error,
written to the history's alert_changes and told to the hook, once."""

from __future__ import annotations

import json
import sqlite3
import stat
import time

from .test_history_collect import Collector, Remote, local_server, sqlite, write_config

RULES = '''
[[alerts]]
name = "licence expiring"
kind = "expiry"
threshold = 400
features = ["AutoCAD"]

[alerting]
hook = ["{hook}"]
'''


def test_collect_tells_the_hook_and_records_the_change(tmp_path):
    told = tmp_path / "told.jsonl"
    hook = tmp_path / "hook"
    hook.write_text(f"#!/bin/sh\ncat >> {told}\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    remote = Remote(tmp_path)
    remote.advance(600)  # seats are held: lmstat prints AutoCAD's pool and its expiry
    database = sqlite(tmp_path)
    config = write_config(tmp_path, local_server(remote), RULES.format(hook=hook))
    collector = Collector(tmp_path, config, database).start()
    deadline = time.monotonic() + 60
    while not told.exists() and time.monotonic() < deadline:
        assert collector.process.poll() is None, collector.said
        time.sleep(0.2)
    time.sleep(2)  # a few more polls: the alert is not told again
    assert collector.stop() == 0
    [change] = [json.loads(line) for line in told.read_text().splitlines()]
    assert (change["change"], change["rule"], change["subject"]) == \
        ("fired", "licence expiring", "arch/AutoCAD")
    assert "arch: alert fired (warning, licence expiring): AutoCAD on arch: a licence " \
        in collector.said
    with sqlite3.connect(tmp_path / "history.db") as db:
        rows = db.execute("SELECT change, rule, subject, server, feature FROM alert_changes"
                          ).fetchall()
    assert rows == [("fired", "licence expiring", "arch/AutoCAD", "arch", "AutoCAD")]


def test_a_collector_started_again_does_not_tell_a_firing_alert_again(tmp_path):
    told = tmp_path / "told.jsonl"
    hook = tmp_path / "hook"
    hook.write_text(f"#!/bin/sh\ncat >> {told}\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    remote = Remote(tmp_path)
    remote.advance(600)
    database = sqlite(tmp_path)
    config = write_config(tmp_path, local_server(remote), RULES.format(hook=hook))
    collector = Collector(tmp_path, config, database).start()
    deadline = time.monotonic() + 60
    while not told.exists() and time.monotonic() < deadline:
        assert collector.process.poll() is None, collector.said
        time.sleep(0.2)
    assert collector.stop() == 0
    said_before = len(collector.said)
    again = Collector(tmp_path, config, database).start()
    deadline = time.monotonic() + 60
    while "where it was last read" not in again.said[said_before:] and \
            time.monotonic() < deadline:
        assert again.process.poll() is None, again.said
        time.sleep(0.2)
    time.sleep(4)  # four polls of the pool whose licence still expires
    assert again.stop() == 0
    assert [json.loads(line)["change"] for line in told.read_text().splitlines()] == ["fired"]
    assert "alert fired" not in again.said[said_before:]
    assert "1 alert(s) firing when last stopped: going on with them" in \
        again.said[said_before:]
