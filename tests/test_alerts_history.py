"""Every change of an alert is recorded in the history database, once, on SQLite and on
PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from lmconsole.alerts.history import AlertHistory, recorded_changes
from lmconsole.history.store import HistoryStore

from .alerting import Driven
from .postgres import history_url_fixture, postgres_fixture  # noqa: F401 - fixtures


def test_every_change_is_recorded_once(url):
    office = Driven("architecture", [{"name": "full", "kind": "free_seats", "for": 0,
                                      "clear": 1, "clear_for": 0, "renotify": "1h",
                                      "features": ["3dsMax"]}])
    seats = [office.take(user, "3dsMax") for user in ("a", "b")]
    office.step()
    for _ in range(7):
        office.step(600)
    [alert] = office.engine.firing
    office.changes.append(office.engine.snooze(alert.key, office.now + timedelta(hours=2),
                                               office.now, "ops"))
    office.changes.append(office.engine.acknowledge(alert.key, office.now, "ops"))
    office.sim.checkin(seats[0])
    office.step()
    assert [c.change for c in office.changes] == ["fired", "renotified", "snoozed",
                                                  "acknowledged", "cleared"]

    async def record() -> list[dict]:
        store = await HistoryStore.open(url)
        try:
            history = AlertHistory(store)
            history.start()
            history.tell(office.changes)
            history.tell(office.changes[:1])  # told twice (a console and a collector)
            await history.stop()
            return await recorded_changes(store)
        finally:
            await store.close()

    rows = asyncio.run(record())
    assert [(r["change"], r["rule"], r["subject"], r["server"], r["feature"], r["who"])
            for r in rows] == [
        ("fired", "full", "lic/3dsMax", "lic", "3dsMax", None),
        ("renotified", "full", "lic/3dsMax", "lic", "3dsMax", None),
        ("snoozed", "full", "lic/3dsMax", "lic", "3dsMax", "ops"),
        ("acknowledged", "full", "lic/3dsMax", "lic", "3dsMax", "ops"),
        ("cleared", "full", "lic/3dsMax", "lic", "3dsMax", None),
    ]
    assert rows[0]["at"] == int(office.changes[0].at.timestamp())
    assert rows[2]["until_at"] == rows[2]["at"] + 2 * 3600
    assert rows[0]["message"] == "3dsMax on lic: 0 of 2 seats free (threshold 0)"
