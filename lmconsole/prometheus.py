"""Prometheus text exposition of a Snapshot, for `lmconsole snapshot --format prometheus`.

Metric and label names follow mjtrangoni/flexlm_exporter (collector/lmstat.go and
collector/lmstat_feature_exp.go) so that existing dashboards and alert rules keep working;
our additions (reserved, borrowed, queued, diagnostics) are named in the same style. Every
per-feature series also carries the `vendor` label (the exporter's expiry family has it):
two vendor daemons may serve features of the same name, and those must not be summed.
"""

from __future__ import annotations

import calendar
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter

from lmconsole.model import Checkout, Snapshot, Status

FEATURE = ("app", "name", "vendor")  # the labels of every per-feature family
_Seats = tuple[int, datetime | None]  # a user's seats of a feature, and their first start
_USER, _COUNT_START, _USER_START_COUNT = itemgetter(0), itemgetter(9, 8), itemgetter(0, 8, 9)
assert tuple(Checkout._fields[i] for i in (0, 8, 9)) == ("user", "start", "count")


class _Family:
    """One metric family: every series of it is printed together under one HELP/TYPE.
    A series is keyed by its labels as they are written (`k="v",...`, the label names in
    sorted order as the exporter prints them, each value escaped once), so series with
    equal labels (the same feature printed twice) are merged by `merge` (sum for counts,
    min for status) and never yield duplicate series."""

    def __init__(self, name: str, help: str, labels: tuple[str, ...] = (),
                 merge: Callable[[float, float], float] = min, kind: str = "gauge") -> None:
        self.name, self.help, self.merge, self.kind = name, help, merge, kind
        self.label_names = tuple(sorted(labels))
        self.series: dict[str, float] = {}

    def add(self, value: float, **labels: object) -> None:
        self.add_labelled(_labels_text(self.label_names, labels), value)

    def add_labelled(self, labels: str, value: float) -> None:
        """Add a series by its labels already written (`_labels_text`)."""
        old = self.series.get(labels)
        self.series[labels] = value if old is None else self.merge(old, value)

    def head(self) -> list[str]:
        return [f"# HELP {self.name} {_escape_help(self.help)}", f"# TYPE {self.name} {self.kind}"]

    def lines(self) -> list[str]:
        if not self.series:
            return []
        name = self.name
        if not self.label_names:
            return self.head() + [f"{name} {_number(value)}" for value in self.series.values()]
        return self.head() + [f"{name}{{{labels}}} {_number(value)}"
                              for labels, value in self.series.items()]

    def chunks(self) -> Iterator[str]:
        """Its lines as text, each ending in a newline, in pieces."""
        lines = self.lines()
        if lines:
            yield "\n".join(lines) + "\n"


class _UsedUsers(_Family):
    """flexlm_feature_used_users: one series per user of a feature, as the exporter writes
    them since its issue #218: the seats summed over all the user's checkouts, `since` the
    earliest start (epoch seconds). Tens of thousands of seats: a feature's users are kept
    together, its own labels (app, name; vendor) written once, before and after theirs
    (since, user); a feature printed again adds its new users after all that came before,
    as one list of series would have them."""

    def __init__(self, name: str, help: str) -> None:
        super().__init__(name, help, (*FEATURE, "user", "since"), _sum)
        assert self.label_names == ("app", "name", "since", "user", "vendor")
        # the feature's labels before and after the user's, and its users' seats
        self.groups: list[tuple[tuple[str, str], dict[str, _Seats]]] = []
        self.groups_of: dict[tuple[str, str], list[dict[str, _Seats]]] = {}
        self.users: set[str] = set()

    def add_seats(self, feature: Mapping[str, object], checkouts: Sequence[Checkout]) -> None:
        if not checkouts:
            return
        labels = (_labels_text(("app", "name"), feature) + ',since="',
                  f'",vendor="{_label_value(feature["vendor"])}"')
        seats = _seats_by_user(checkouts)
        self.users.update(seats)
        earlier = self.groups_of.setdefault(labels, [])
        new = seats if not earlier else _merged_into(earlier, seats)
        if new:
            earlier.append(new)
            self.groups.append((labels, new))

    def chunks(self) -> Iterator[str]:
        """A feature's users at a time: tens of thousands of lines are never all held (its
        series are these groups, not the `series` that `lines` writes)."""
        if not self.groups:
            return
        shown = {user: _escape_label(user) for user in self.users}
        yield "\n".join(self.head()) + "\n"
        for (before, after), seats in self.groups:
            head, tail = f"{self.name}{{{before}", f"{after}}} "
            yield "".join([f'{head}{_since(start)}",user="{shown[user]}{tail}'
                           f'{count if type(count) is int else _number(count)}\n'
                           for user, (count, start) in seats.items()])


def _merged_into(groups: list[dict[str, _Seats]],
                 seats: dict[str, _Seats]) -> dict[str, _Seats]:
    """Add the seats of a feature printed again to its users' series; those of the users it
    had none for."""
    new = {}
    for user, (count, start) in seats.items():
        group = next((group for group in groups if user in group), None)
        if group is None:
            new[user] = count, start
        else:
            group[user] = _merged(group[user], count, start)
    return new


def _seats_by_user(checkouts: Sequence[Checkout]) -> dict[str, _Seats]:
    """User -> (seats, earliest start) in the order of their first checkout."""
    seats = dict(zip(map(_USER, checkouts), map(_COUNT_START, checkouts)))
    if len(seats) == len(checkouts):
        return seats
    # the users holding several checkouts: all of theirs summed, the earliest start kept
    several = {user for user, n in Counter(map(_USER, checkouts)).items() if n > 1}
    merged: dict[str, _Seats] = {}
    for user, start, count in map(_USER_START_COUNT, checkouts):
        if user in several:
            merged[user] = _merged(merged.get(user), count, start)
    seats.update(merged)
    return seats


def _merged(old: _Seats | None, count: int, start: datetime | None) -> _Seats:
    if old is None:
        return count, start
    seats, earliest = old
    if start is not None and (earliest is None or start < earliest):
        earliest = start
    return seats + count, earliest


def _labels_text(names: Iterable[str], labels: Mapping[str, object]) -> str:
    return ",".join(f'{name}="{_label_value(labels[name])}"' for name in names)


def _sum(a: float, b: float) -> float:
    return a + b


def _label_value(value: object) -> str:
    if value is None:
        return ""
    if type(value) is bool:  # as the exporter's master label, never "True" or "1"
        return "true" if value else "false"
    return _escape_label(value if type(value) is str else str(value))


def _escape_label(value: str) -> str:
    if "\\" not in value and '"' not in value and "\n" not in value:
        return value
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if type(value) is int:
        return str(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def _epoch(d: date) -> int:
    """Midnight UTC of a date, as the exporter computes expiry (time.Parse gives UTC)."""
    return calendar.timegm(d.timetuple())


def render_prometheus(snapshot: Snapshot) -> str:
    """Prometheus text exposition format (0.0.4). The `app` label is the server's name, as
    the exporter's `app` is its configured licence name."""
    return "".join(prometheus_chunks(snapshot))


def prometheus_chunks(snapshot: Snapshot) -> Iterator[str]:
    """render_prometheus's text in pieces to write as they come (a family, a feature's
    users): a large output is never held whole, nor all its lines."""
    for family in _families(snapshot):
        yield from family.chunks()


def _families(snapshot: Snapshot) -> Iterable[_Family]:
    """Every family, with the snapshot's series, in the order they are written."""
    fam = {f.name: f for f in (
        # the families of flexlm_exporter (collector/lmstat.go, lmstat_feature_exp.go)
        _Family("flexlm_server_status",
                "Whether one lmgrd of a licence server is up (1) or not (0), by app, fqdn, "
                "master, port and version.", ("app", "fqdn", "master", "port", "version")),
        _Family("flexlm_vendor_status",
                "Whether a vendor daemon is up (1) or not (0), by app, name and version.",
                ("app", "name", "version")),
        _Family("flexlm_feature_issued",
                "Licences issued for a feature, by app, feature name and vendor (none for "
                "uncounted features).", FEATURE, _sum),
        _Family("flexlm_feature_used",
                "Licences of a feature in use as lmstat counts them (reservations "
                "included, queued requests not), by app, feature name and vendor.", FEATURE,
                _sum),
        _UsedUsers("flexlm_feature_used_users",
                   "Licences of a feature held by one user, by app, feature name, vendor, "
                   "user and since (the earliest start, epoch seconds)."),
        _Family("flexlm_feature_reserved_groups",
                "Licences of a feature reserved for a GROUP or HOST_GROUP, by app, feature "
                "name, vendor and group.", (*FEATURE, "group"), _sum),
        _Family("flexlm_feature_expiration_seconds",
                "Expiry date of a licence pool of a feature (midnight UTC, epoch seconds), "
                "by app, name, index, licenses, vendor and version.",
                (*FEATURE, "index", "licenses", "version")),
        # ours, in the same style
        _Family("flexlm_feature_reserved",
                "Licences of a feature reserved by a RESERVATION line (borrowed ones not), "
                "by app, feature name and vendor.", FEATURE, _sum),
        _Family("flexlm_feature_borrowed",
                "Licences of a feature borrowed, or held by checkouts lingering with time "
                "left, by app, feature name and vendor.", FEATURE, _sum),
        _Family("flexlm_feature_queued",
                "Licences of a feature requested by queued users, by app, feature name and "
                "vendor.", FEATURE, _sum),
        _Family("flexlm_feature_queued_users",
                "Licences of a feature one queued user waits for, by app, feature name, "
                "vendor and user.", (*FEATURE, "user"), _sum),
        _Family("lmconsole_feature_denied",
                "Requests for a feature refused, as the status output counts them (LM-X's "
                "-licstatxml), by app, feature name and vendor.", FEATURE, _sum),
        _Family("lmconsole_server_up",
                "Whether a licence source answered with its status (1) or is down or in "
                "error (0), by app, licence manager and source.", ("app", "manager", "source")),
        _Family("lmconsole_parse_diagnostics",
                "Lines of the status output the parser did not understand, by app.", ("app",),
                _sum),
        _Family("lmconsole_snapshot_timestamp_seconds",
                "When the snapshot was taken, in epoch seconds.", (), max),
    )}
    index = 0  # the exporter numbers expiry series through the output, from 1
    for s in snapshot.servers:
        app = s.name
        fam["lmconsole_server_up"].add(1 if s.status == Status.UP else 0, app=app,
                                       manager=s.manager, source=s.source)
        fam["lmconsole_parse_diagnostics"].add(0, app=app)
        for h in s.hosts:
            fam["flexlm_server_status"].add(
                1 if h.status == Status.UP else 0, app=app, fqdn=h.host,
                master="true" if h.master else "false", port=h.port, version=h.version)
        for v in s.vendors:
            fam["flexlm_vendor_status"].add(1 if v.status == Status.UP else 0, app=app,
                                            name=v.name, version=v.version)
        for f in s.features:
            if f.error is not None and f.in_use is None:
                continue
            labels = {"app": app, "name": f.name, "vendor": f.vendor}
            feature = _labels_text(FEATURE, labels)  # the labels of its per-feature series
            if not f.uncounted and f.issued is not None:
                fam["flexlm_feature_issued"].add_labelled(feature, f.issued)
            used = f.in_use if f.in_use is not None else f.seats_listed
            fam["flexlm_feature_used"].add_labelled(feature, used)
            fam["flexlm_feature_reserved"].add_labelled(feature, f.reserved)
            fam["flexlm_feature_borrowed"].add_labelled(feature, f.borrowed)
            fam["flexlm_feature_queued"].add_labelled(feature, f.queued_count)
            if f.denied is not None:
                fam["lmconsole_feature_denied"].add_labelled(feature, f.denied)
            fam["flexlm_feature_used_users"].add_seats(labels, f.checkouts)
            for q in f.queued:
                fam["flexlm_feature_queued_users"].add(q.count, **labels, user=q.user)
            for r in f.reservations:
                if r.kind in ("GROUP", "HOST_GROUP"):
                    fam["flexlm_feature_reserved_groups"].add(r.count, **labels, group=r.name)
            for p in f.pools:
                if p.expiry is None:
                    continue
                index += 1
                licenses = f.issued if len(f.pools) == 1 and not f.uncounted else None
                fam["flexlm_feature_expiration_seconds"].add(
                    _epoch(p.expiry), app=app, name=f.name, index=index, licenses=licenses,
                    vendor=p.vendor or f.vendor, version=p.version)
    for d in snapshot.diagnostics:
        fam["lmconsole_parse_diagnostics"].add(1, app=d.server)
    fam["lmconsole_snapshot_timestamp_seconds"].add(
        int(snapshot.taken_at.timestamp()))
    return fam.values()


@lru_cache(maxsize=65536)  # tens of thousands of seats share a few thousand start minutes
def _since(start: datetime | None) -> str:
    """The `since` label: a start in epoch seconds."""
    return "" if start is None else str(int(start.timestamp()))
