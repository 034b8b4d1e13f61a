"""The vendor daemons: who may check out what, the seats they hold, the queue.

A request is checked, per licence pool, in FlexNet's order of precedence: EXCLUDE, then
RESERVE (a client with an unused reservation gets it at once), then MAX, then INCLUDE
(an INCLUDE list shuts out everyone not on it), then the free seats. Reserved-but-unused
seats are kept free for their holders and count as in use, as lmstat counts them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple

from . import errors
from .debuglog import DebugLog, denied_line, hash_text, unsupported_line, usage_line
from .errors import FlexError
from .licfile import LicenceFile, LicencePool
from .options import Client, Options, Rule

MIN_TIMEOUT_S = 900  # ls_minimum_user_timeout: the vendor daemon never times out sooner
# Denial reasons, least restrictive first: the one reported when every pool refuses.
_REASON_RANK = {errors.MAXUSERS.code: 0, errors.RESERVED_FOR_OTHERS.code: 0,
                errors.MAX_EXCEEDED.code: 1, errors.NOT_INCLUDED.code: 2,
                errors.EXCLUDED.code: 3}


@dataclass(slots=True)
class Seat:
    """One checkout (of `count` licences)."""

    handle: int
    vendor: str
    feature: str
    pool: int  # index into the feature's pools
    user: str
    host: str
    display: str
    version: str
    count: int
    start: int
    borrow_until: int | None = None
    borrow_total: int | None = None
    idle_since: int | None = None
    owner: str | None = None  # the workload actor holding it; None when checked out by hand

    @property
    def client(self) -> Client:
        return Client(self.user, self.host, self.display)


@dataclass(slots=True)
class Waiting:
    """A queued request: it gets its seat, with this handle, when one frees."""

    handle: int
    vendor: str
    feature: str
    pool: int
    user: str
    host: str
    display: str
    version: str
    count: int
    since: int
    owner: str | None = None


class Outcome(NamedTuple):
    kind: str  # "out", "queued", "denied", "unsupported", "down"
    handle: int | None = None
    error: FlexError | None = None


class ReservationUse(NamedTuple):
    rule: Rule
    unused: int


class VendorDaemons:
    def __init__(self, licence: LicenceFile, options: dict[str, Options], log: DebugLog) -> None:
        self.licence = licence
        self.options = options
        self.log = log
        self.seats: list[Seat] = []
        self.queue: list[Waiting] = []
        self.next_handle = 101
        self.down: set[str] = set()  # vendor daemons that are not running

    # -- state ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"seats": [asdict(s) for s in self.seats],
                "queue": [asdict(w) for w in self.queue],
                "next_handle": self.next_handle, "down": sorted(self.down)}

    def restore(self, data: dict) -> None:
        self.seats = [Seat(**s) for s in data["seats"]]
        self.queue = [Waiting(**w) for w in data["queue"]]
        self.next_handle = data["next_handle"]
        self.down = set(data["down"])

    def reload(self, licence: LicenceFile, options: dict[str, Options]) -> list[Waiting]:
        """After lmreread: seats keep their pool when it still exists. Returns the queued
        requests dropped because their feature is gone."""
        old_keys = {(s.feature, s.pool): self.pools(s.feature)[s.pool].pool_key()
                    for s in self.seats if s.pool < len(self.pools(s.feature))}
        self.licence, self.options = licence, options
        kept = []
        for seat in self.seats:
            keys = [p.pool_key() for p in self.pools(seat.feature)]
            if not keys:
                continue  # the feature left the licence file: its seats go with it
            old = old_keys.get((seat.feature, seat.pool))
            seat.pool = keys.index(old) if old in keys else 0
            kept.append(seat)
        self.seats = kept
        dropped = [w for w in self.queue if not self.pools(w.feature)]
        self.queue = [w for w in self.queue if w not in dropped]
        return dropped

    # -- questions --------------------------------------------------------------------
    def pools(self, feature: str) -> list[LicencePool]:
        return self.licence.pools_of(feature)

    def seats_of(self, feature: str, pool: int | None = None) -> list[Seat]:
        return [s for s in self.seats if s.feature == feature and (pool is None or s.pool == pool)]

    def reservations(self, feature: str, pool: int) -> list[ReservationUse]:
        """The RESERVE lines on this pool, each with the seats still unused."""
        pools = self.pools(feature)
        target = pools[pool]
        if target.count is None:
            return []
        opts = self.options.get(target.vendor, Options())
        # A RESERVE line takes its seats from the first pool it can apply to.
        rules = [r for r in opts.rules_for("RESERVE", feature, None)
                 if next(i for i, p in enumerate(pools) if r.applies_to(feature, p)) == pool]
        left = target.count  # reservations beyond the licensed count are ignored
        unused = []
        for rule in rules:
            unused.append(min(rule.count, left))
            left -= unused[-1]
        for seat in self.seats_of(feature, pool):
            need = seat.count
            for i, rule in enumerate(rules):
                if need and unused[i] and opts.matches(rule.kind, rule.name, seat.client):
                    taken = min(need, unused[i])
                    unused[i] -= taken
                    need -= taken
        # Never report more reserved seats than there are seats left.
        room = target.count - self.used(feature, pool)
        uses = []
        for rule, count in zip(rules, unused):
            count = max(0, min(count, room))
            room -= count
            uses.append(ReservationUse(rule, count))
        return uses

    def used(self, feature: str, pool: int) -> int:
        return sum(s.count for s in self.seats_of(feature, pool))

    def in_use(self, feature: str) -> int:
        """What lmstat prints as "Total of N licenses in use": seats plus idle reservations."""
        return sum(self.used(feature, i) + sum(r.unused for r in self.reservations(feature, i))
                   for i in range(len(self.pools(feature))))

    def issued(self, feature: str) -> int | None:
        counts = [p.count for p in self.pools(feature)]
        return None if any(c is None for c in counts) else sum(counts)

    def timeout_s(self, seat: Seat) -> int | None:
        opts = self.options.get(seat.vendor)
        secs = opts.timeout_for(seat.feature) if opts else None
        return None if secs is None else max(secs, MIN_TIMEOUT_S)

    def next_deadline(self) -> int | None:
        """When the next idle seat times out or the next borrow ends."""
        deadlines = [d for s in self.seats if (d := self._deadline(s)) is not None]
        return min(deadlines, default=None)

    def _deadline(self, seat: Seat) -> int | None:
        if seat.vendor in self.down:
            return None  # a stopped daemon times nobody out
        if seat.borrow_until is not None:
            return seat.borrow_until
        timeout = self.timeout_s(seat) if seat.idle_since is not None else None
        return None if timeout is None else seat.idle_since + timeout

    # -- requests ---------------------------------------------------------------------
    def request(self, t: int, client: Client, feature: str, *, version: str | None = None,
                count: int = 1, borrow_s: int | None = None, queue: bool = False,
                owner: str | None = None, vendor: str | None = None) -> Outcome:
        """`vendor` names the daemon the client asks when the feature is unknown."""
        pools = self.pools(feature)
        vendor = pools[0].vendor if pools else vendor or self.licence.vendors[0].name
        if vendor in self.down:
            return Outcome("down", error=errors.VENDOR_DOWN)
        if not pools:
            self._log(t, vendor, "UNSUPPORTED", unsupported_line(feature, client.user,
                                                                 client.host))
            return Outcome("unsupported", error=errors.NOFEATURE)
        refusals = []
        for index in range(len(pools)):
            error = self._refusal(client, feature, index, count)
            if error is None:
                seat = Seat(self._new_handle(), vendor, feature, index, *client,
                            version or pools[index].version, count, t, owner=owner)
                if borrow_s:
                    seat.borrow_until, seat.borrow_total = t + borrow_s, borrow_s
                self.seats.append(seat)
                self._log(t, vendor, "OUT", usage_line("OUT", feature, client.user,
                                                       client.host, count))
                return Outcome("out", seat.handle)
            refusals.append((_REASON_RANK[error.code], index, error))
        _, index, error = min(refusals)
        if queue and _REASON_RANK[error.code] == 0:
            waiting = Waiting(self._new_handle(), vendor, feature, index, *client,
                              version or pools[index].version, count, t, owner)
            self.queue.append(waiting)
            self._log(t, vendor, "QUEUED", usage_line("QUEUED", feature, client.user,
                                                      client.host, count))
            return Outcome("queued", waiting.handle, error)
        self._log(t, vendor, "DENIED", denied_line(feature, client.user, client.host, error))
        return Outcome("denied", error=error)

    def _refusal(self, client: Client, feature: str, index: int, count: int) -> FlexError | None:
        pool = self.pools(feature)[index]
        opts = self.options.get(pool.vendor, Options())
        if opts.excluded(client, feature, pool):
            return errors.EXCLUDED
        if pool.count is None:
            return None if opts.included(client, feature, pool) else errors.NOT_INCLUDED
        reservations = self.reservations(feature, index)
        own = sum(r.unused for r in reservations if opts.matches(r.rule.kind, r.rule.name, client))
        if own >= count:
            return None
        if self._over_max(opts, client, feature, count):
            return errors.MAX_EXCEEDED
        if not opts.included(client, feature, pool):
            return errors.NOT_INCLUDED
        free = pool.count - self.used(feature, index)
        if free - (sum(r.unused for r in reservations) - own) >= count:
            return None
        return errors.RESERVED_FOR_OTHERS if free >= count else errors.MAXUSERS

    def _over_max(self, opts: Options, client: Client, feature: str, count: int) -> bool:
        pools = self.pools(feature)
        for rule in opts.rules_for("MAX", feature, None):
            # Whose seats the cap counts: the client's own (ALL_USERS), each of the
            # client's groups (ALL_GROUPS), or everyone the line names, as a whole.
            if rule.kind == "USER" and rule.name == "ALL_USERS":
                capped = [("USER", client.user)]
            elif rule.kind == "GROUP" and rule.name == "ALL_GROUPS":
                capped = [("GROUP", group) for group in opts.groups_of(client.user)]
            elif opts.matches(rule.kind, rule.name, client):
                capped = [(rule.kind, rule.name)]
            else:
                continue
            scope = [s for s in self.seats_of(feature) if rule.applies_to(feature, pools[s.pool])]
            for kind, name in capped:
                held = sum(s.count for s in scope if opts.matches(kind, name, s.client))
                if held + count > rule.count:
                    return True
        return False

    # -- seats coming back ------------------------------------------------------------
    def checkin(self, t: int, handle: int, reason: str | None = None) -> list[Seat]:
        """Free a seat; returns the seats then granted to queued requests."""
        seat = self.seat(handle)
        if seat is None:
            return []
        self.seats.remove(seat)
        self._log(t, seat.vendor, "IN", usage_line("IN", seat.feature, seat.user, seat.host,
                                                   seat.count, reason))
        return self.serve_queue(t, seat.feature)

    def seat(self, handle: int) -> Seat | None:
        return next((s for s in self.seats if s.handle == handle), None)

    def serve_queue(self, t: int, feature: str) -> list[Seat]:
        granted = []
        for waiting in [w for w in self.queue if w.feature == feature]:
            client = Client(waiting.user, waiting.host, waiting.display)
            if self._refusal(client, feature, waiting.pool, waiting.count) is not None:
                continue
            self.queue.remove(waiting)
            seat = Seat(waiting.handle, waiting.vendor, feature, waiting.pool, *client,
                        waiting.version, waiting.count, t, owner=waiting.owner)
            self.seats.append(seat)
            for kind in ("DEQUEUED", "OUT"):
                self._log(t, seat.vendor, kind, usage_line(kind, feature, seat.user, seat.host,
                                                           seat.count))
            granted.append(seat)
        return granted

    def leave_queue(self, t: int, handle: int) -> bool:
        waiting = next((w for w in self.queue if w.handle == handle), None)
        if waiting is None:
            return False
        self.queue.remove(waiting)
        self._log(t, waiting.vendor, "DEQUEUED", usage_line("DEQUEUED", waiting.feature,
                                                            waiting.user, waiting.host,
                                                            waiting.count))
        return True

    def sweep(self, t: int) -> list[Seat]:
        """Check in idle seats past their TIMEOUT and ended borrows; returns seats granted
        to queued requests as a result."""
        granted = []
        for seat in [s for s in self.seats if (d := self._deadline(s)) is not None and d <= t]:
            reason = None if seat.borrow_until is not None else "INACTIVE"
            granted += self.checkin(t, seat.handle, reason)
        return granted

    def shut_down(self, vendors: set[str]) -> list[Waiting]:
        """lmdown: the daemons forget every seat except borrowed ones, which clients keep,
        and their queues (returned)."""
        self.seats = [s for s in self.seats if s.vendor not in vendors or s.borrow_until]
        dropped = [w for w in self.queue if w.vendor in vendors]
        self.queue = [w for w in self.queue if w.vendor not in vendors]
        self.down |= vendors
        return dropped

    def _new_handle(self) -> int:
        handle = self.next_handle
        self.next_handle += 1 + hash_text(str(handle)) % 97  # real handles jump about
        return handle

    def _log(self, t: int, vendor: str, event: str, line: str) -> None:
        opts = self.options.get(vendor)
        if opts is None or event not in opts.nolog:
            self.log.write(t, vendor, line)
