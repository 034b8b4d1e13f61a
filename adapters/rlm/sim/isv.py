"""The simulated ISV servers: the FlexLM simulator's daemons (seats, queues, reservations,
MAX, INCLUDE/EXCLUDE, timeouts), writing RLM's report log instead of a FlexLM debug log,
and counting what rlmstat prints (total checkouts, denials, removals).

The report log is the one ISV whose options file names a REPORTLOG (RLM writes one per
ISV, and only when asked to). Its records are the manual's "std" format (see
adapters/rlm/reportlog.py, which reads them):

    OUT product version pool# user host "isv_def" count cur_use cur_resuse server_handle
        share_handle process_id "project" "requested product" "requested version" mm/dd hh:mm:ss
    IN why product version user host "isv_def" count cur_use cur_resuse server_handle mm/dd hh:mm:ss
    DENY product version user host "isv_def" count why last_attempt mm/dd hh:mm:ss
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, tzinfo

from lmconsole.adapters.flexlm.sim import errors
from lmconsole.adapters.flexlm.sim.daemon import Outcome, Seat, VendorDaemons
from lmconsole.adapters.flexlm.sim.debuglog import hash_text
from lmconsole.adapters.flexlm.sim.licfile import LicenceFile
from lmconsole.adapters.flexlm.sim.options import Client, Options

RLM_VERSION = "15.2"
RLM_BUILD = "BL1"
# A check-in's `why` (the manual's codes): by the application, by rlmremove, by timeout.
WHY_CHECKIN, WHY_REMOVED, WHY_TIMEOUT = 1, 3, 4
# A denial's RLM status: -22 (every licence in use, as in the manual's example) for a full
# pool, a MAX or others' reservations; -24 for a client the options file shuts out; -1 for
# a product the ISV does not serve.
_DENIAL_STATUS = {errors.MAXUSERS.code: -22, errors.RESERVED_FOR_OTHERS.code: -22,
                  errors.MAX_EXCEEDED.code: -22, errors.EXCLUDED.code: -24,
                  errors.NOT_INCLUDED.code: -24, errors.NOFEATURE.code: -1}


class ReportLog:
    """One ISV's report log: the lines written so far (the FlexLM simulator's log protocol:
    `lines`, `local`, `timestamp`)."""

    def __init__(self, zone: tzinfo, isv: str | None = None) -> None:
        self.zone = zone
        self.isv = isv  # None: no ISV asked for one, and nothing is written
        self.lines: list[str] = []

    def local(self, t: int) -> datetime:
        return datetime.fromtimestamp(t, self.zone)

    def start(self, t: int, host: str) -> None:
        if self.isv is None:
            return
        self.lines += [f"RLM Report Log Format 0, version {RLM_VERSION}, authenticated",
                       f"ISV: {self.isv}, RLM version {RLM_VERSION} {RLM_BUILD}",
                       f"START {host} {_full_date(self.local(t))}"]

    def timestamp(self, t: int, daemon: str) -> None:
        if daemon == self.isv:
            self.lines.append(f"TIMESTAMP {_full_date(self.local(t))}")

    def record(self, t: int, isv: str, words: list[str]) -> None:
        if isv == self.isv:
            at = self.local(t)
            self.lines.append(" ".join(words) + f" {at:%m/%d %H:%M:%S}")

    def denial_lines(self) -> list[str]:
        return [line for line in self.lines if line.startswith("DENY ")]


class IsvServers(VendorDaemons):
    def __init__(self, licence: LicenceFile, options: dict[str, Options], log: ReportLog,
                 *, fallback_hosts: frozenset[str] = frozenset()) -> None:
        super().__init__(licence, options, log)
        self.fallback_hosts = fallback_hosts  # clients whose licence path names another server
        self.checkouts: Counter[tuple[str, int]] = Counter()  # (product, pool) -> since start
        self.denials: Counter[str] = Counter()  # isv -> denials since start
        self.removals: Counter[str] = Counter()

    def to_dict(self) -> dict:
        return {**super().to_dict(),
                "checkouts": [[product, pool, n] for (product, pool), n in self.checkouts.items()],
                "denials": dict(self.denials), "removals": dict(self.removals)}

    def restore(self, data: dict) -> None:
        super().restore(data)
        self.checkouts = Counter({(product, pool): n for product, pool, n in data["checkouts"]})
        self.denials, self.removals = Counter(data["denials"]), Counter(data["removals"])

    def request(self, t: int, client: Client, feature: str, **kwargs) -> Outcome:
        outcome = super().request(t, client, feature, **kwargs)
        if outcome.kind == "out":
            self._out(t, self.seat(outcome.handle))
        elif outcome.kind in ("denied", "unsupported"):
            isv = self.pools(feature)[0].vendor if self.pools(feature) else None
            isv = isv or kwargs.get("vendor") or self.licence.vendors[0].name
            self._deny(t, isv, client, feature, kwargs.get("count", 1), outcome)
        return outcome

    def checkin(self, t: int, handle: int, reason: str | None = None) -> list[Seat]:
        seat = self.seat(handle)
        if seat is None:
            return []
        why = {"REMOVED": WHY_REMOVED, "INACTIVE": WHY_TIMEOUT}.get(reason, WHY_CHECKIN)
        if why == WHY_REMOVED:
            self.removals[seat.vendor] += 1
        in_use = self.used(seat.feature, seat.pool) - seat.count
        self.log.record(t, seat.vendor, [
            "IN", str(why), seat.feature, seat.version, seat.user, seat.host, '""',
            str(seat.count), str(in_use), "0", format(seat.handle, "x")])
        return super().checkin(t, handle, reason)

    def serve_queue(self, t: int, feature: str) -> list[Seat]:
        granted = super().serve_queue(t, feature)
        for seat in granted:
            self._out(t, seat)
        return granted

    def _out(self, t: int, seat: Seat) -> None:
        self.checkouts[seat.feature, seat.pool] += 1
        process = 1000 + hash_text(f"{seat.user}/{seat.host}/{seat.start}") % 60000
        self.log.record(t, seat.vendor, [
            "OUT", seat.feature, seat.version, str(self.pool_number(seat)), seat.user, seat.host,
            '""',
            str(seat.count), str(self.used(seat.feature, seat.pool)), "0",
            format(seat.handle, "x"), "0", format(process, "x"), '""', '""', '""'])

    def pool_number(self, seat: Seat) -> int:
        """The server's number of the seat's pool (rlmstat's `, pool: N`): its LICENSE line's
        place among the licence file's."""
        pool = self.pools(seat.feature)[seat.pool]
        return next(n for n, p in enumerate(self.licence.pools, 1) if p is pool)

    def _deny(self, t: int, isv: str, client: Client, feature: str, count: int,
              outcome: Outcome) -> None:
        """A client whose licence path names another server tries that one next: its
        denial here is no last attempt (rlmstat counts it all the same)."""
        self.denials[isv] += 1
        pools = self.pools(feature)
        version = pools[0].version if pools else "1.0"
        status = _DENIAL_STATUS.get(outcome.error.code if outcome.error else None, -22)
        last_attempt = "0" if client.host in self.fallback_hosts else "1"
        self.log.record(t, isv, ["DENY", feature, version, client.user, client.host, '""',
                                 str(count), str(status), last_attempt])

    def _log(self, t: int, vendor: str, event: str, line: str) -> None:
        """The FlexLM debug log's lines: RLM writes report records instead (above)."""


def _full_date(moment: datetime) -> str:
    return f"{moment:%m/%d/%Y %H:%M}"
