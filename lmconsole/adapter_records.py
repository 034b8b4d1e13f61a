"""Records of the adapter protocol (lmconsole.adapter) that the editors, the checks of
options and licence files and the managed blocks use, not the status parsers: dataclasses,
imported from lmconsole.adapter when first asked for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from lmconsole.model import Checkout, Event


@dataclass(frozen=True, slots=True)
class LiveUse:
    """What the console has seen on the server whose file is edited: the names the checks
    and completions know, the seats and requests a what-if replays, and the server's date."""

    users: frozenset[str] = frozenset()
    hosts: frozenset[str] = frozenset()
    seats: tuple[tuple[str, Checkout], ...] = ()  # (feature, seat) held now
    events: tuple[Event, ...] = ()  # the debug log's requests the console recorded
    capacity: Mapping[str, int | None] = field(default_factory=dict)  # issued per feature
    # feature -> the vendor daemons serving it now: an options file is checked against its
    # own daemon's features
    served_by: Mapping[str, frozenset[str]] = field(default_factory=dict)
    today: date | None = None  # at the server, by its clock; None: not known (expiry not judged)


@dataclass(frozen=True, slots=True)
class PoolAllocation:
    """Seats of features kept for a team, as one options file is to hold them."""

    name: str  # also the name of the group of its users in the options file
    users: frozenset[str]
    seats: Mapping[str, int]  # feature -> seats kept for the pool, and its most
    closes: frozenset[str] = frozenset()  # features only pools' users may use
    manager: str | None = None
