"""A simulated licence server on a manual clock, told to an alert engine as the monitor
tells it: its status after each step, and the events of its debug log."""

from __future__ import annotations

from datetime import UTC, datetime

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.flexlm.sim import ManualClock, SimulatedServer, load_scenario
from lmconsole.alerts.engine import AlertChange, AlertEngine
from lmconsole.alerts.rules import parse_rules
from lmconsole.model import Status
from lmconsole.monitor import LogGap, ServerState


def rules(*tables: dict):
    problems: list[str] = []
    parsed = parse_rules(list(tables), lambda path, message: problems.append(message), UTC)
    assert not problems, problems
    return parsed


class Driven:
    """`name`: a simulated server without its own workload (seats are taken by the test),
    on a clock that moves only in `step`."""

    def __init__(self, scenario: str, rule_tables: list[dict], *, name: str = "lic",
                 workload: bool = False, seed: int = 1) -> None:
        spec = load_scenario(scenario)
        self.name = name
        self.sim = SimulatedServer.from_scenario(spec, seed=seed, workload=workload,
                                                 clock=ManualClock.at(spec.start))
        self.reader = ADAPTERS["flexlm"].event_reader(tz=self.sim.zone, server=name,
                                                      start_date=self.sim.now.date())
        self.lines_read = len(self.sim.log.lines)
        self.engine = AlertEngine(rules(*rule_tables))
        self.changes: list[AlertChange] = []
        self.hosts_down: set[str] = set()

    @property
    def now(self) -> datetime:
        return self.sim.now.astimezone(UTC)

    def step(self, seconds: float = 60, *, poll_fails: bool = False) -> list[AlertChange]:
        """Move the clock on, tell the engine the log's new events and a poll's result."""
        self.sim.advance(seconds)
        for line in self.sim.log.lines[self.lines_read:]:
            event = self.reader.feed(line)
            if event is not None:
                self.engine.observe_event(event)
        self.lines_read = len(self.sim.log.lines)
        event = self.reader.flush()
        if event is not None:
            self.engine.observe_event(event)
        self.engine.observe_state(self.state(poll_fails))
        changes = self.engine.evaluate(self.now)
        self.changes += changes
        return changes

    def state(self, poll_fails: bool) -> ServerState:
        status = self.sim.status(name=self.name)
        if self.hosts_down:
            status = status._replace(hosts=tuple(
                h._replace(status=Status.DOWN) if h.host in self.hosts_down else h
                for h in status.hosts))
        if poll_fails:
            return ServerState(self.name, status, self.now, error="lmutil lmstat exited 1: "
                               "Cannot connect to license server system (-15,570:111)",
                               stale=True)
        return ServerState(self.name, status, self.now)

    def gap(self, reason: str = "rotated") -> None:
        self.engine.observe_gap(LogGap(self.name, self.now, self.now, reason))

    def told(self, change: str | None = None) -> list[tuple[str, str, str]]:
        return [(c.change, c.alert.rule, c.alert.subject) for c in self.changes
                if change is None or c.change == change]

    def take(self, user: str, feature: str, host: str | None = None, **kwargs) -> int:
        outcome = self.sim.checkout(user, host or f"{user}-pc", feature, **kwargs)
        assert outcome.kind == "out", outcome
        return outcome.handle
