"""What `lmxendutil -licstat` and `-licstatxml` report, as read, and its mapping to the model.

Both parsers fill the same records: one `ServerBlock` per licence server the output names
(one, or the three of a HAL triad), its features, and their seats. The mapping:

- one ServerStatus for the whole output; a LicenseHost per server block; the vendors named
  by the features as VendorDaemons (LM-X has one server process serving every vendor);
- one Feature per (vendor, feature, version, start, expiry): a HAL triad's servers each list
  the same features and seats, which count once, from the first server that lists them;
- its key type (EXCLUSIVE, ADDITIVE, TOKEN ...) is its pool's licence type, its licence
  sharing the pool's vendor string (`sharing: HOST USER VIRTUAL`);
- the feature's `N of M license(s) used` is its in-use and issued count; M = 2147483647
  (a C int's largest value) is LM-X's unlimited, an uncounted feature;
- one Checkout per `used by` entry: the client's IP is its display (the only thing that tells
  two sessions of one user on one host apart), its sharing in `extra`. Sessions sharing one
  seat (License sharing HOST, USER, VIRTUAL or CUSTOM: the same user, host or string) hold
  that seat once: when the feature's own count is less than the sessions add up to, the
  later sessions of a sharing group hold 0 seats, so that the seats add up as LM-X counts
  them;
- a borrowed seat (a borrow expiry time instead of login and checkout times) is borrowed,
  with the seconds left of its borrow period;
- the XML's live denied count is kept per feature (`denied`) for the monitor to show.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from lmconsole.model import Checkout, Feature, LicenseHost, Pool, ServerStatus, Status, VendorDaemon

MANAGER = "lmx"
UNLIMITED = 2**31 - 1  # what LM-X prints as the total of a feature without a limit


@dataclass(slots=True)
class Seat:
    user: str
    host: str | None
    ip: str | None
    count: int
    line: int
    login: datetime | None = None
    checkout: datetime | None = None
    borrow_expiry: datetime | None = None
    sharing: str | None = None  # "username: bob, hostname: pc", "custom string: ..."


@dataclass(slots=True)
class FeatureBlock:
    name: str
    version: str | None
    vendor: str | None
    line: int
    start: date | None = None
    expiry: date | None = None
    key_type: str | None = None
    sharing: str | None = None  # "HOST USER VIRTUAL", "CUSTOM VIRTUAL"
    in_use: int | None = None
    issued: int | None = None
    counted: bool = False  # its `N of M license(s) used` was read
    denied: int | None = None
    seats: list[Seat] = field(default_factory=list)

    def key(self) -> tuple:
        return (self.vendor, self.name, self.version, self.start, self.expiry)


@dataclass(slots=True)
class ServerBlock:
    host: str | None
    port: int | None
    line: int
    version: str | None = None
    uptime: str | None = None
    error: str | None = None
    features: list[FeatureBlock] = field(default_factory=list)

    @property
    def spec(self) -> str | None:
        if self.host and self.port is not None:
            return f"{self.port}@{self.host}"
        return self.host


def build_server(blocks: list[ServerBlock], *, name: str | None, now: datetime,
                 error: str | None = None) -> ServerStatus:
    """The ServerStatus of an output's server blocks (at least one), or of none with
    `error`: the output's own error when it names no server (`There are no license
    server(s) available.`). An output of neither is its banner alone: no server at all."""
    specs = [block.spec for block in blocks if block.spec]
    source = ",".join(specs) or None
    features, vendors = _features(blocks, now)
    hosts = tuple(LicenseHost(block.host or "unknown", block.port,
                              Status.DOWN if block.error else Status.UP, version=block.version,
                              error=block.error) for block in blocks)
    errors = [f"{block.spec or 'server'}: {block.error}" if len(blocks) > 1 else block.error
              for block in blocks if block.error]
    if error:
        status, message = Status.DOWN, error
    elif all(block.error for block in blocks):
        status, message = Status.DOWN, "; ".join(errors)
    else:
        status, message = Status.UP, None
    return ServerStatus(
        name=name or source or "unknown", source=source, status=status, error=message,
        hosts=hosts, vendors=tuple(VendorDaemon(vendor, Status.UP, host=host)
                                   for vendor, host in vendors.items()),
        features=tuple(features), manager=MANAGER,
    )


def _features(blocks: list[ServerBlock], now: datetime
              ) -> tuple[list[Feature], dict[str, str | None]]:
    seen: set[tuple] = set()
    features: list[Feature] = []
    vendors: dict[str, str | None] = {}
    for block in blocks:
        for feature in block.features:
            if feature.key() in seen:
                continue  # a HAL peer's copy of a feature already listed
            seen.add(feature.key())
            if feature.vendor:
                vendors.setdefault(feature.vendor, block.host)
            features.append(_feature(feature, block, now))
    return features, vendors


def _feature(feature: FeatureBlock, block: ServerBlock, now: datetime) -> Feature:
    unlimited = feature.issued == UNLIMITED
    counts = _seat_counts(feature)
    checkouts = tuple(_checkout(seat, count, feature, block, now)
                      for seat, count in zip(feature.seats, counts))
    in_use = feature.in_use if feature.counted else sum(counts)
    license_type = (feature.key_type or "network").lower()
    sharing = f"sharing: {feature.sharing}" if feature.sharing else None
    pool = Pool(feature.version, feature.expiry, license_type, sharing, feature.vendor)
    return Feature(name=feature.name, vendor=feature.vendor,
                   issued=None if unlimited else feature.issued, in_use=in_use,
                   uncounted=unlimited, pools=(pool,), checkouts=checkouts,
                   denied=feature.denied)


def _seat_counts(feature: FeatureBlock) -> list[int]:
    """The seats each session holds: as printed, unless the feature's count says sessions
    share seats; then a sharing group's later sessions hold none of their own."""
    printed = [seat.count for seat in feature.seats]
    if feature.in_use is None or sum(printed) <= feature.in_use:
        return printed
    groups: dict[str, list[int]] = defaultdict(list)
    for index, seat in enumerate(feature.seats):
        if seat.sharing:
            groups[seat.sharing].append(index)
    counts = list(printed)
    for members in groups.values():
        largest = max(members, key=lambda i: printed[i])
        for index in members:
            if index != largest:
                counts[index] = 0
    return counts


def _checkout(seat: Seat, count: int, feature: FeatureBlock, block: ServerBlock,
              now: datetime) -> Checkout:
    borrowed = seat.borrow_expiry is not None
    left = None
    if borrowed:
        left = max(0, int((seat.borrow_expiry - now).total_seconds()))
    notes = []
    if seat.sharing:
        notes.append(f"shared on {seat.sharing}")
    if seat.login is not None and seat.checkout is not None and seat.login != seat.checkout:
        notes.append(f"login {seat.login:%Y-%m-%d %H:%M}")
    return Checkout(seat.user, seat.host, seat.ip, feature.version, 0, block.host, block.port,
                    None, seat.checkout or seat.login, count, borrowed=borrowed, linger_s=left,
                    extra="; ".join(notes) or None)
