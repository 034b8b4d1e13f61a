"""The domain model: what a licence server reports, independent of the licence manager.

Records are immutable. The hot record types (one per seat, tens of thousands per poll) are
NamedTuples because they are built several times faster than frozen dataclasses; the rest
are frozen dataclasses. Every datetime is timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple


class Status(StrEnum):
    UP = "up"
    DOWN = "down"
    ERROR = "error"


class Diagnostic(NamedTuple):
    """A line a parser did not understand (1-based line number, the line's text)."""

    line: int
    message: str
    text: str
    server: str | None = None  # the configured server whose output it came from


class Pool(NamedTuple):
    """One licence pool of a feature: the quoted detail block under a "Users of" header."""

    version: str | None
    expiry: date | None  # None: permanent, or not printed
    license_type: str  # "floating", "nodelocked", "uncounted", or the raw text
    vendor_string: str | None = None
    vendor: str | None = None
    locked_to: str | None = None  # the hostid a nodelocked pool is locked to


class Checkout(NamedTuple):
    """One seat (or several, see count) held by a user."""

    user: str
    host: str | None
    display: str | None
    version: str | None
    pool: int | None  # index into Feature.pools; None when no pool header preceded it
    server: str | None
    port: int | None
    handle: int | None
    start: datetime | None
    count: int = 1
    borrowed: bool = False  # borrowed, or lingering with time left
    linger_s: int | None = None  # seconds of the linger or borrow period remaining
    linger_total_s: int | None = None
    pid: int | None = None
    extra: str | None = None  # tokens lmstat printed between the display and "(v..."


BORROWED = "BORROWED"  # the Reservation kind of seats borrowed out to a host


class Reservation(NamedTuple):
    """Seats set aside: by the options file (RESERVE), for the user of a PACKAGE bundle
    (name "package, user:host"), or BORROWED: checked out to the host `name` for offline
    use."""

    count: int
    kind: str  # USER, GROUP, HOST, HOST_GROUP, DISPLAY, INTERNET, PROJECT, PACKAGE, BORROWED
    name: str
    pool: int | None
    server: str | None = None
    port: int | None = None


class Queued(NamedTuple):
    user: str
    host: str | None
    display: str | None
    count: int
    pool: int | None
    version: str | None = None
    server: str | None = None
    port: int | None = None
    handle: int | None = None


@dataclass(frozen=True, slots=True)
class Feature:
    """One "Users of FEATURE:" block."""

    name: str
    vendor: str | None
    issued: int | None  # None for uncounted features and for headers carrying an error
    in_use: int | None
    uncounted: bool = False
    error: str | None = None
    error_code: str | None = None  # FLEXlm "(-major,minor...)" code of the error, if printed
    pools: tuple[Pool, ...] = ()
    checkouts: tuple[Checkout, ...] = ()
    reservations: tuple[Reservation, ...] = ()
    queued: tuple[Queued, ...] = ()
    denied: int | None = None  # requests refused, as the status itself counts them (LM-X XML)

    @property
    def reserved(self) -> int:
        return sum(r.count for r in self.reservations if r.kind != BORROWED)

    @property
    def borrowed(self) -> int:
        return (sum(c.count for c in self.checkouts if c.borrowed)
                + sum(r.count for r in self.reservations if r.kind == BORROWED))

    @property
    def queued_count(self) -> int:
        return sum(q.count for q in self.queued)

    @property
    def earliest_expiry(self) -> date | None:
        """The first day on which seats of a pool stop working; None when all are permanent
        (or no pool was printed)."""
        dates = [pool.expiry for pool in self.pools if pool.expiry is not None]
        return min(dates) if dates else None

    @property
    def seats_listed(self) -> int:
        """Seats held according to the user lines (lmstat's own total may differ)."""
        return sum(c.count for c in self.checkouts)


@dataclass(frozen=True, slots=True)
class LicenseHost:
    """One lmgrd of a server (three for a triad)."""

    host: str
    port: int | None
    status: Status
    master: bool = False
    version: str | None = None
    error: str | None = None
    error_code: str | None = None  # FLEXlm "(-major,minor...)" code, e.g. "-15,570:111"


@dataclass(frozen=True, slots=True)
class VendorDaemon:
    name: str
    status: Status
    version: str | None = None
    error: str | None = None
    host: str | None = None  # the host named in "Vendor daemon status (on HOST):"


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """One licence source: a port@host, or a triad of them."""

    name: str
    source: str | None
    status: Status
    error: str | None = None
    error_code: str | None = None
    hosts: tuple[LicenseHost, ...] = ()
    vendors: tuple[VendorDaemon, ...] = ()
    features: tuple[Feature, ...] = ()
    license_files: tuple[str, ...] = ()
    reported_at: datetime | None = None  # the time lmstat printed, resolved in the server's zone
    manager: str | None = None  # the licence manager that reported it: "flexlm", "rlm" ...


@dataclass(frozen=True, slots=True)
class Snapshot:
    taken_at: datetime
    servers: tuple[ServerStatus, ...]
    diagnostics: tuple[Diagnostic, ...] = field(default=())


class EventKind(StrEnum):
    """What a vendor daemon's debug log reports, one line each."""

    OUT = "OUT"
    IN = "IN"
    DENIED = "DENIED"
    QUEUED = "QUEUED"
    DEQUEUED = "DEQUEUED"
    UNSUPPORTED = "UNSUPPORTED"
    EXPIRED = "EXPIRED"
    RESTARTED = "RESTARTED"  # lmgrd restarted a vendor daemon
    STARTED = "STARTED"  # lmgrd started a vendor daemon (its own start): no seat is held
    REREAD = "REREAD"  # a daemon re-read its licence and options files
    SHUTDOWN = "SHUTDOWN"


class Event(NamedTuple):
    """One debug-log event. `reason` is the text in parentheses after user@host (for a
    denial, FlexLM's own words); `code` its "(-major,minor)" error code, e.g. "-4,342";
    `extra` the vendor's own data on the line, as logged: the checkout data string
    ("[J3_7f0101_611_1]") and FlexNet's verbose "^^^ ver user ip pid handle ... ^^^"."""

    at: datetime
    kind: EventKind
    daemon: str
    feature: str | None = None
    user: str | None = None
    host: str | None = None
    count: int = 1
    reason: str | None = None
    code: str | None = None
    server: str | None = None  # the configured server whose log it came from
    line: int | None = None  # 1-based line in the log, where known
    extra: str | None = None
