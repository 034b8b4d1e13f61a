"""What the console knows right now: the latest state of each server and the recent events.

The app feeds it from the monitor's messages; screens read it to build their rows. Plain
Python: no Textual, no I/O, so row building is tested without a terminal.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import NamedTuple

from lmconsole.adapter import LiveUse
from lmconsole.model import Diagnostic, Event, EventKind, ServerStatus
from lmconsole.monitor import LogGap, ServerState

EVENTS_KEPT = 50_000
DENIALS_KEPT = 10_000
LOG_DIAGNOSTICS_KEPT = 200  # per server: the newest debug-log notes
GAPS_KEPT = 100
DENIAL_WINDOW = timedelta(hours=1)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Logged(NamedTuple):
    """An event as the console received it: numbered in arrival order."""

    seq: int
    event: Event
    arrived: float  # the app's monotonic clock, to highlight what just came in


@dataclass(frozen=True, slots=True)
class PastView:
    """The servers as the history has them at a past moment, with the events of the hour
    before it: shown in place of the live data until the console returns to live."""

    at: datetime
    states: dict[str, ServerState]
    events: deque[Logged]
    denials: deque[Logged]


class LiveData:
    def __init__(self, servers: Iterable[str], *, clocks: Mapping[str, Clock] | None = None,
                 display_tz: tzinfo = UTC, events_kept: int = EVENTS_KEPT,
                 denials_kept: int = DENIALS_KEPT, several_logs: Iterable[str] = ()) -> None:
        self.servers: list[str] = list(servers)
        # the servers that follow several debug logs: one read says nothing of the others
        self.several_logs = frozenset(several_logs)
        self.clocks: dict[str, Clock] = dict(clocks or {})
        self.display_tz = display_tz
        self.live_states: dict[str, ServerState] = {n: ServerState(n, None, None)
                                                    for n in self.servers}
        self.live_events: deque[Logged] = deque(maxlen=events_kept)
        self.live_denials: deque[Logged] = deque(maxlen=denials_kept)
        self.past: PastView | None = None  # shown instead of the live data while set
        self.follow_errors: dict[str, str] = {}  # server -> why its debug log is not read
        self.follow_down_since: dict[str, datetime] = {}  # server -> since when (its time)
        self.gaps: deque[LogGap] = deque(maxlen=GAPS_KEPT)
        self.log_diagnostics: dict[str, deque[Diagnostic]] = {}
        self.alerts: list = []  # lmconsole.alerts.engine.Alert firing now, the worst first
        self.seq = 0
        # live_use per server, with the state and event count it was made from
        self._live_uses: dict[str, tuple[ServerState | None, int, LiveUse]] = {}

    # What the views show: the live data, or the past while one is shown. What arrives
    # meanwhile goes on being kept in the live data.

    @property
    def states(self) -> dict[str, ServerState]:
        return self.live_states if self.past is None else self.past.states

    @property
    def events(self) -> deque[Logged]:
        return self.live_events if self.past is None else self.past.events

    @property
    def denials(self) -> deque[Logged]:
        return self.live_denials if self.past is None else self.past.denials

    def now(self, server: str | None = None) -> datetime:
        """The time at a server: its own clock (a simulated one runs fast), else the wall's;
        the past moment shown, while one is."""
        if self.past is not None:
            return self.past.at
        return self.clocks.get(server or "", utc_now)()

    def live_now(self, server: str | None = None) -> datetime:
        return self.clocks.get(server or "", utc_now)()

    def age_s(self, state: ServerState) -> float | None:
        """How long ago the server's status was taken, in real seconds (not a simulated
        clock's)."""
        return state.age_s(self.now(state.name), time.monotonic())

    def set_state(self, state: ServerState) -> None:
        if state.name not in self.live_states:
            self.servers.append(state.name)
        self.live_states[state.name] = state

    def add_event(self, event: Event, arrived: float) -> Logged:
        self.seq += 1
        logged = Logged(self.seq, event, arrived)
        self.live_events.append(logged)
        if event.kind is EventKind.DENIED:
            self.live_denials.append(logged)
        if event.server and event.server not in self.several_logs:
            self.follow_resumed(event.server)  # its only log is read
        return logged

    def follow_failed(self, server: str, error: str) -> None:
        self.follow_errors[server] = error
        self.follow_down_since.setdefault(server, self.live_now(server))

    def not_read_word(self, server: str) -> str:
        """What a server whose logs are not all read is missing: its events, or some."""
        return "events missing" if server in self.several_logs else "no events"

    def follow_resumed(self, server: str) -> None:
        self.follow_errors.pop(server, None)
        self.follow_down_since.pop(server, None)

    def add_gap(self, gap: LogGap) -> None:
        self.gaps.append(gap)

    def events_incomplete(self, server: str | None, since: datetime) -> bool:
        """Whether events of `server` since `since` may be missing: its log was not read
        for a while in that time (a gap), or is not read now."""
        if server in self.follow_down_since:
            return True
        return any(gap.server == server and gap.until >= since for gap in self.gaps)

    def denials_incomplete(self, server: str | None) -> bool:
        """Whether the last hour's denial count of `server` may be short."""
        return self.events_incomplete(server, self.now(server) - DENIAL_WINDOW)

    def add_log_diagnostic(self, diagnostic: Diagnostic) -> None:
        kept = self.log_diagnostics.setdefault(diagnostic.server or "",
                                               deque(maxlen=LOG_DIAGNOSTICS_KEPT))
        kept.append(diagnostic)

    def note_count(self, server: str) -> int:
        state = self.states.get(server)
        return (len(state.diagnostics) if state is not None else 0) \
            + len(self.log_diagnostics.get(server, ())) \
            + sum(1 for gap in self.gaps if gap.server == server)

    def notes(self, server: str) -> list[tuple[str, str, Diagnostic]]:
        """(server, source, diagnostic): the last status output's, then the debug log's,
        then the periods whose debug-log lines were lost."""
        state = self.states.get(server)
        polled = state.diagnostics if state is not None else ()
        tz = self.display_tz
        gaps = [Diagnostic(0, f"events lost from {gap.since.astimezone(tz):%Y-%m-%d %H:%M:%S} "
                              f"to {gap.until.astimezone(tz):%H:%M:%S}: {gap.reason}; the "
                              f"denials and checkouts of that time are not shown", "", server)
                for gap in self.gaps if gap.server == server]
        return ([(server, "status", d) for d in polled]
                + [(server, "debug log", d) for d in self.log_diagnostics.get(server, ())]
                + [(server, "debug log", d) for d in gaps])

    def live_use(self, server: str) -> LiveUse:
        """What the console has seen on `server`: the users and hosts holding seats now, the
        seats, the debug-log events recorded, and each feature's issued seats (the editor's
        checks, completions and what-if). Made again only when the state or the events
        changed: the editor asks for it at every keystroke."""
        state = self.states.get(server)
        cached = self._live_uses.get(server)
        if cached is not None and cached[0] is state and cached[1] == self.seq:
            return cached[2]
        use = self._make_live_use(server, state.status if state is not None else None)
        self._live_uses[server] = (state, self.seq, use)
        return use

    def _make_live_use(self, server: str, status: ServerStatus | None) -> LiveUse:
        users: set[str] = set()
        hosts: set[str] = set()
        seats = []
        capacity: dict[str, int | None] = {}
        served_by: dict[str, frozenset[str]] = {}
        for feature in status.features if status is not None else ():
            if feature.vendor:
                served_by[feature.name] = served_by.get(feature.name, frozenset()) | {
                    feature.vendor}
            for seat in feature.checkouts:
                users.add(seat.user)
                if seat.host:
                    hosts.add(seat.host)
                seats.append((feature.name, seat))
            if not feature.uncounted and feature.issued is not None:
                capacity[feature.name] = capacity.get(feature.name, 0) + feature.issued
        events = tuple(logged.event for logged in self.events if logged.event.server == server)
        return LiveUse(frozenset(users) - {""}, frozenset(hosts), tuple(seats), events, capacity,
                       served_by=served_by)

    def recent_denials(self) -> list[Logged]:
        """The denials of the last hour, each judged by its own server's clock."""
        cutoffs: dict[str | None, datetime] = {}
        recent = []
        for logged in reversed(self.denials):
            server = logged.event.server
            if server not in cutoffs:
                cutoffs[server] = self.now(server) - DENIAL_WINDOW
            if logged.event.at >= cutoffs[server]:
                recent.append(logged)
        return recent

    def denials_last_hour(self) -> Counter[tuple[str | None, str | None]]:
        """Denials of the last hour by (server, feature)."""
        return Counter((d.event.server, d.event.feature) for d in self.recent_denials())
