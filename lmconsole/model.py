"""The domain model: what a licence server reports, independent of the licence manager.

Records are immutable. The hot record types (one per seat, tens of thousands per poll) are
NamedTuples because they are built several times faster than frozen dataclasses; the rest
are Records (immutable, with slots). Every datetime is timezone-aware.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from operator import attrgetter
from typing import NamedTuple, Self


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


class Record:
    """An immutable record with slots: what @dataclass(frozen=True, slots=True) gives (the
    fields compared, hashed and shown by repr, no assignment), made without importing
    dataclasses, which with inspect was a tenth of a headless command's start-up. A
    subclass names its fields in __slots__, in order, and sets them by `_init` in its
    __init__. `_replace(**changes)` is dataclasses.replace, as the NamedTuples spell it."""

    __slots__ = ()
    _fields_of: Callable[[Record], tuple[object, ...]]  # every field's value, in order
    # The slots' own setters, which __setattr__ (refusing) does not stand in front of:
    # calling them costs half of object.__setattr__ by name (a parse makes thousands).
    _setters: tuple[Callable[[Record, object], None], ...]

    def __init_subclass__(cls) -> None:
        assert len(cls.__slots__) > 1, "attrgetter gives one field's value, not a tuple"
        cls._fields_of = attrgetter(*cls.__slots__)
        cls._setters = tuple(cls.__dict__[name].__set__ for name in cls.__slots__)
        cls.__match_args__ = cls.__slots__

    def _init(self, *values: object) -> None:
        for set_field, value in zip(self._setters, values, strict=True):
            set_field(self, value)

    def _replace(self, **changes: object) -> Self:
        unknown = changes.keys() - set(self.__slots__)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(sorted(unknown))}")
        return type(self)(*(changes[name] if name in changes else getattr(self, name)
                            for name in self.__slots__))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields_of(self) == other._fields_of(other)

    def __hash__(self) -> int:
        return hash(self._fields_of(self))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}"
                           for name, value in zip(self.__slots__, self._fields_of(self)))
        return f"{type(self).__qualname__}({fields})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: {type(self).__name__} is "
                             "immutable (_replace makes a changed copy)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: {type(self).__name__} is "
                             "immutable")

    def __getstate__(self) -> tuple[object, ...]:  # copy and pickle
        return self._fields_of(self)

    def __setstate__(self, state: tuple[object, ...]) -> None:
        self._init(*state)


class Feature(Record):
    """One "Users of FEATURE:" block."""

    __slots__ = ("name", "vendor", "issued", "in_use", "uncounted", "error", "error_code",
                 "pools", "checkouts", "reservations", "queued", "denied")
    name: str
    vendor: str | None
    issued: int | None  # None for uncounted features and for headers carrying an error
    in_use: int | None
    uncounted: bool
    error: str | None
    error_code: str | None  # FLEXlm "(-major,minor...)" code of the error, if printed
    pools: tuple[Pool, ...]
    checkouts: tuple[Checkout, ...]
    reservations: tuple[Reservation, ...]
    queued: tuple[Queued, ...]
    denied: int | None  # requests refused, as the status itself counts them (LM-X XML)

    def __init__(self, name: str, vendor: str | None, issued: int | None,
                 in_use: int | None, uncounted: bool = False, error: str | None = None,
                 error_code: str | None = None, pools: tuple[Pool, ...] = (),
                 checkouts: tuple[Checkout, ...] = (),
                 reservations: tuple[Reservation, ...] = (), queued: tuple[Queued, ...] = (),
                 denied: int | None = None) -> None:
        self._init(name, vendor, issued, in_use, uncounted, error, error_code, pools,
                   checkouts, reservations, queued, denied)

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


class LicenseHost(Record):
    """One lmgrd of a server (three for a triad)."""

    __slots__ = ("host", "port", "status", "master", "version", "error", "error_code")
    host: str
    port: int | None
    status: Status
    master: bool
    version: str | None
    error: str | None
    error_code: str | None  # FLEXlm "(-major,minor...)" code, e.g. "-15,570:111"

    def __init__(self, host: str, port: int | None, status: Status, master: bool = False,
                 version: str | None = None, error: str | None = None,
                 error_code: str | None = None) -> None:
        self._init(host, port, status, master, version, error, error_code)


class VendorDaemon(Record):
    __slots__ = ("name", "status", "version", "error", "host")
    name: str
    status: Status
    version: str | None
    error: str | None
    host: str | None  # the host named in "Vendor daemon status (on HOST):"

    def __init__(self, name: str, status: Status, version: str | None = None,
                 error: str | None = None, host: str | None = None) -> None:
        self._init(name, status, version, error, host)


class ServerStatus(Record):
    """One licence source: a port@host, or a triad of them."""

    __slots__ = ("name", "source", "status", "error", "error_code", "hosts", "vendors",
                 "features", "license_files", "reported_at", "manager")
    name: str
    source: str | None
    status: Status
    error: str | None
    error_code: str | None
    hosts: tuple[LicenseHost, ...]
    vendors: tuple[VendorDaemon, ...]
    features: tuple[Feature, ...]
    license_files: tuple[str, ...]
    reported_at: datetime | None  # the time lmstat printed, resolved in the server's zone
    manager: str | None  # the licence manager that reported it: "flexlm", "rlm" ...

    def __init__(self, name: str, source: str | None, status: Status,
                 error: str | None = None, error_code: str | None = None,
                 hosts: tuple[LicenseHost, ...] = (), vendors: tuple[VendorDaemon, ...] = (),
                 features: tuple[Feature, ...] = (), license_files: tuple[str, ...] = (),
                 reported_at: datetime | None = None, manager: str | None = None) -> None:
        self._init(name, source, status, error, error_code, hosts, vendors, features,
                   license_files, reported_at, manager)


class Snapshot(Record):
    __slots__ = ("taken_at", "servers", "diagnostics")
    taken_at: datetime
    servers: tuple[ServerStatus, ...]
    diagnostics: tuple[Diagnostic, ...]

    def __init__(self, taken_at: datetime, servers: tuple[ServerStatus, ...],
                 diagnostics: tuple[Diagnostic, ...] = ()) -> None:
        self._init(taken_at, servers, diagnostics)


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


_HANDLE = re.compile(r"0x[0-9A-Fa-f]+")
VERBOSE_AFTER_PROJECT = 5  # flex_version flex_revision date time is_dup_group


def verbose_project(extra: str) -> str | None:
    """The project (the client's LM_PROJECT) in FlexNet's verbose data on a usage line,
    `^^^ ver user ip pid handle in_use out_of project flex_version flex_revision date time
    is_dup_group ^^^`: the words between out_of (two after the hex handle) and the last
    five; None without them. The user may hold spaces: the handle is sought from the end."""
    start, end = extra.find("^^^"), extra.rfind("^^^")
    if start < 0 or end <= start:
        return None
    words = extra[start + 3:end].split()
    last = len(words) - VERBOSE_AFTER_PROJECT
    for handle in range(last - 3, 0, -1):
        if _HANDLE.fullmatch(words[handle]):
            return " ".join(words[handle + 3:last]) or None
    return None
