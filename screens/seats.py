"""The seats of one feature: who holds them since when, plus idle reservations and the queue.

`x` frees the selected seat, or every tagged one (`space` tags), with `lmutil lmremove`
after a confirmation; hidden and refused in read-only mode.
"""

from __future__ import annotations

from collections.abc import Hashable
from operator import attrgetter
from typing import ClassVar, NamedTuple

from textual.binding import Binding, BindingType

from lmconsole.model import BORROWED, Checkout, Feature, Queued, Reservation

from .base import STATES, LiveScreen
from .format import day_time, duration
from .live import LiveData
from .live_table import Column, Row


class Seat(NamedTuple):
    """What freeing a seat needs to know about it."""

    server: str
    feature: str
    checkout: Checkout


def held_for_text(data: LiveData):
    """A held-for value is (minus the start as a timestamp, server): it sorts the shortest
    held first, and is shown as the time since the start by the server's clock."""
    def text(value: tuple[float, str]) -> str:
        minus_start, server = value
        return duration(data.now(server).timestamp() + minus_start)
    return text


def seat_columns(data: LiveData, all_servers: bool) -> list[Column]:
    tz = data.display_tz
    columns = [
        Column("user", "User", 8, max_width=24),
        Column("host", "Host", 8, max_width=28),
        Column("display", "Display", 7, max_width=20),
        Column("since", "Since", 11, format=lambda t: day_time(t, tz)),
        Column("held", "Held for", 8, "right", format=held_for_text(data)),
        Column("count", "Count", 5, "right"),
        Column("state", "State", 10, max_width=40, flex=True),
        Column("version", "Version", 7),
        Column("handle", "Handle", 6, "right"),
    ]
    if all_servers:
        columns.insert(0, Column("server", "Server", 8))
    return columns


def linger_text(seat: Checkout) -> str:
    if not seat.borrowed:
        return ""
    if seat.linger_s is None:
        return "borrowed"
    return f"borrowed, {duration(seat.linger_s)} left"


_handle_of = attrgetter("handle")


def seat_sources(feature: Feature, sources: dict[Hashable, object],
                 scope: tuple = ()) -> None:
    """Key each seat, idle reservation and queued request of a feature. A seat's key is
    its handle where lmstat printed one, so that it keeps its key (and the selection) across
    polls; keys are kept cheap to hash, as a refresh looks up every one of them. `scope`
    prefixes the keys: the server, in a view of several servers, and the feature's place
    when one server lists a name under several vendor daemons (their handles may repeat)."""
    keyed: dict[Hashable, object] = {} if scope else sources
    handles: list[Hashable] = list(map(_handle_of, feature.checkouts))  # a C-level loop
    if None in handles:
        handles = [("seat", n) if handle is None else handle for n, handle in enumerate(handles)]
    keyed.update(zip(handles, feature.checkouts))
    for n, reservation in enumerate(feature.reservations):
        keyed[("reservation", n)] = reservation
    for n, queued in enumerate(feature.queued):
        keyed[("queued", n)] = queued
    if scope:
        sources.update((scope + (key,), source) for key, source in keyed.items())


def seat_row(key: Hashable, source, server: str, all_servers: bool) -> Row:
    lead = (server,) if all_servers else ()
    if isinstance(source, Checkout):
        # One unpacking rather than nine attribute reads: a big site's view makes 50,000
        # such rows when it opens.
        user, host, display, version, _, _, _, handle, start, count, borrowed = source[:11]
        held = (-start.timestamp(), server) if start else None
        return Row(key, lead + (user, host, display, start, held, count,
                                linger_text(source) if borrowed else "", version, handle),
                   "warn" if borrowed else "")
    if isinstance(source, Reservation) and source.kind == BORROWED:
        return Row(key, lead + ("(borrowed)", source.name, None, None, None, source.count,
                                f"borrowed to {source.name}, off the network", None, None),
                   "warn", taggable=False)
    if isinstance(source, Reservation):
        return Row(key, lead + ("(reserved)", None, None, None, None, source.count,
                                f"reserved for {source.kind} {source.name}, idle",
                                None, None), "dim", taggable=False)
    queued: Queued = source
    return Row(key, lead + (queued.user, queued.host, queued.display, None, None,
                            queued.count, "queued", queued.version, queued.handle), "dim",
               taggable=False)


class SeatsScreen(LiveScreen):
    DEPENDS_ON = frozenset({STATES})
    SORT_COLUMN = 3  # since: the longest held first
    EMPTY_TEXT = "nobody holds this feature"
    SHOWS_EVENTS = False  # who holds seats: the poll's, not the debug log's
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "tag", "Tag", id="seats.tag",
                tooltip="Tag or untag the seat (x frees every tagged seat)"),
        Binding("x,delete", "free_seats", "Free seat", id="seats.free",
                tooltip="Free the selected or tagged seats with lmremove (asks first)"),
    ]

    def __init__(self, data: LiveData, server: str | None, feature: str) -> None:
        super().__init__(data)
        self.server = server
        self.feature = feature
        if server is None:
            self.SORT_COLUMN = 4  # after the server column

    def columns(self) -> list[Column]:
        return seat_columns(self.data, self.server is None)

    def sources(self) -> dict[Hashable, object]:
        sources: dict[Hashable, object] = {}
        names = [self.server] if self.server else self.data.servers
        for name in names:
            state = self.data.states.get(name)
            if state is None or state.status is None:
                continue
            server_scope = () if self.server else (name,)
            matching = [f for f in state.status.features if f.name == self.feature]
            for place, feature in enumerate(matching):
                seat_sources(feature, sources, server_scope + ((place,) if place else ()))
        return sources

    def make_row(self, key: Hashable, source) -> Row:
        if self.server is not None:
            return seat_row(key, source, self.server, False)
        return seat_row(key, source, key[0], True)

    def reload(self) -> None:
        self.table.apply_sources(self.sources(), self.make_row)
        self.update_title()

    def problem_servers(self) -> list[str]:
        return self.data.servers if self.server is None else [self.server]

    def title_text(self) -> str:
        where = self.server or "all servers"
        return f"Seats of {self.feature} on {where}"

    def tick(self) -> None:
        self.table.refresh()  # "held for" is relative to now

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # read-only mode, or the past shown: hidden, and refused (saying why) if pressed;
        # a licence manager with no command that frees a seat: not offered at all
        if action != "free_seats":
            return True
        servers = getattr(self.app, "servers", {})
        if not any(servers[name].adapter.frees_seats
                   for name in self.problem_servers() if name in servers):
            return False
        return not (getattr(self.app, "read_only", False) or self.data.past is not None)

    def action_tag(self) -> None:
        self.table.toggle_tag()
        self.update_title()

    def targets(self) -> list[Seat]:
        """The tagged seats, else the selected one."""
        keys = [k for k in self.table.shown_keys if k in self.table.tagged]
        if not keys and self.table.cursor_key is not None:
            keys = [self.table.cursor_key]
        sources = self.table.sources
        return [Seat(self.server or key[0], self.feature, sources[key]) for key in keys
                if isinstance(sources.get(key), Checkout)]

    def action_free_seats(self) -> None:
        seats = self.targets()
        if not seats:
            self.notify("Select a seat first (reservations and queued requests hold none).",
                        severity="warning")
            return
        self.app.request_lmremove(seats)
