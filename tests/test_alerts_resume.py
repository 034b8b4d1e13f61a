"""A process that starts again goes on with the alerts the history says fire: not told again
as new, still acknowledged or snoozed, and told when they clear; and an acknowledgement made
in one process (the console) is taken on by another (the collector that e-mails)."""

from __future__ import annotations

import asyncio

from lmconsole.alerts.engine import AlertEngine
from lmconsole.alerts.history import AlertHistory, firing_in_history, recorded_changes
from lmconsole.alerts.service import AlertService
from lmconsole.history.store import HistoryStore

from .alerting import Driven
from .postgres import history_url_fixture, postgres_fixture  # noqa: F401 - fixtures

FULL = {"name": "full", "kind": "free_seats", "for": 0, "clear": 1, "clear_for": 0,
        "renotify": "1h", "features": ["3dsMax"]}


def full_office() -> tuple[Driven, list]:
    """An office whose 3dsMax pool is full: the alert fired, told again, acknowledged."""
    office = Driven("architecture", [FULL])
    seats = [office.take(user, "3dsMax") for user in ("a", "b")]
    office.step()
    office.step(3600)
    [alert] = office.engine.firing
    office.changes.append(office.engine.acknowledge(alert.key, office.now, "ops"))
    return office, seats


async def recorded(url: str, changes) -> list:
    store = await HistoryStore.open(url)
    try:
        history = AlertHistory(store)
        history.start()
        history.tell(changes)
        await history.stop()
        return await firing_in_history(store)
    finally:
        await store.close()


def test_an_alert_firing_when_the_process_stopped_goes_on_and_clears_once(url):
    office, seats = full_office()
    assert [c.change for c in office.changes] == ["fired", "renotified", "acknowledged"]
    [before] = office.engine.firing
    [restored] = asyncio.run(recorded(url, office.changes))
    assert (restored.key, restored.severity, restored.acknowledged_by, restored.labels) == \
        (before.key, before.severity, "ops", {"server": "lic", "feature": "3dsMax"})
    assert restored.fired_at == before.fired_at.replace(microsecond=0)
    assert restored.notified_at == before.notified_at.replace(microsecond=0)

    office.engine = AlertEngine(office.engine.rules)  # the process started again
    office.engine.restore([restored])
    assert office.step(7200) == []  # still full: not fired anew, acknowledged: not told
    office.sim.checkin(seats[0])
    [cleared] = office.step()
    assert (cleared.change, cleared.alert.fired_at) == ("cleared", restored.fired_at)


def test_a_cleared_alert_is_not_restored_and_one_fired_again_is(url):
    office, seats = full_office()
    office.sim.checkin(seats[0])
    office.step()
    seats[0] = office.take("c", "3dsMax")
    office.step(600)
    assert [c.change for c in office.changes] == ["fired", "renotified", "acknowledged",
                                                  "cleared", "fired"]
    [restored] = asyncio.run(recorded(url, office.changes))
    assert restored.acknowledged_by is None  # the acknowledgement was of the first firing
    assert restored.fired_at == office.changes[-1].at.replace(microsecond=0)


def test_an_alert_of_a_rule_no_longer_configured_is_left_alone(tmp_path):
    office, _ = full_office()
    [restored] = asyncio.run(recorded(f"sqlite:///{tmp_path / 'h.db'}", office.changes))
    engine = AlertEngine(Driven("architecture", [dict(FULL, name="other")]).engine.rules)
    engine.restore([restored])
    assert engine.firing == []


async def written(store, rows: int) -> None:
    """Until the history holds `rows` changes (an outbox writes within a moment)."""
    for _ in range(200):
        if len(await recorded_changes(store)) >= rows:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not {rows} changes recorded")


def test_an_acknowledgement_in_one_process_is_taken_on_by_another(tmp_path):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    office = Driven("architecture", [FULL])
    for user in ("a", "b"):
        office.take(user, "3dsMax")
    office.step()

    async def two_processes():
        store = await HistoryStore.open(url)
        told_collector, told_console = [], []
        collector = AlertService(office.engine.rules, lambda: office.now,
                                 listeners=[told_collector.extend], history_to_come=True)
        console = AlertService(office.engine.rules, lambda: office.now,
                               listeners=[told_console.extend], history_to_come=True)
        try:
            await collector.resume_from(store, sync_every_s=0.05)
            collector.engine.observe_state(office.state(False))
            [fired] = collector.watcher.evaluate()
            await written(store, 1)
            told_collector.clear()
            await console.resume_from(store, sync_every_s=0.05)
            [alert] = console.engine.firing  # the console knows it fires: not told as new
            assert (alert.key, alert.fired_at) == (fired.alert.key,
                                                   fired.at.replace(microsecond=0))
            console.watcher.acknowledge(alert.key, "ops")
            await written(store, 2)
            for _ in range(100):  # within a few sync periods
                if told_collector:
                    break
                await asyncio.sleep(0.05)
            [taken] = told_collector
            office.sim.advance(7200)
            collector.engine.observe_state(office.state(False))
            return fired, taken, collector.watcher.evaluate(), told_console
        finally:
            await collector.stop()
            await console.stop()
            await store.close()

    fired, taken, later, told_console = asyncio.run(two_processes())
    assert (taken.change, taken.by, taken.alert.acknowledged_by) == \
        ("acknowledged", "ops", "ops")
    assert later == []  # two hours on: acknowledged, so not told again by the collector
    assert [c.change for c in told_console] == ["acknowledged"]


def test_evaluation_waits_for_the_history_then_goes_on(tmp_path):
    office = Driven("architecture", [FULL])
    for user in ("a", "b"):
        office.take(user, "3dsMax")
    office.step()
    service = AlertService(office.engine.rules, lambda: office.now, history_to_come=True)
    service.engine.observe_state(office.state(False))
    assert service.watcher.evaluate() == []  # held: the history may say it fires already
    service.watcher.hold(at_most_s=0)
    assert [c.change for c in service.watcher.evaluate()] == ["fired"]  # not waited for
