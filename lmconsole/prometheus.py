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
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from itertools import chain
from operator import itemgetter

from lmconsole.model import Checkout, Feature, Snapshot, Status

FEATURE = ("app", "name", "vendor")  # the labels of every per-feature family


class _Family:
    """One metric family: every series of it is printed together under one HELP/TYPE.
    Series with equal labels are merged by `merge` (sum for counts, min for status), so
    duplicate names in the input (the same feature printed twice) never yield duplicate
    series. A family's label names are fixed, printed in sorted order as the exporter does:
    a series is keyed by its values alone, and its line made from one template."""

    def __init__(self, name: str, help: str, labels: tuple[str, ...] = (),
                 merge: Callable[[float, float], float] = min, kind: str = "gauge") -> None:
        self.name, self.help, self.merge, self.kind = name, help, merge, kind
        self.label_names = tuple(sorted(labels))
        self.series: dict[tuple[object, ...], float] = {}

    def add(self, value: float, **labels: object) -> None:
        key = tuple(labels[name] for name in self.label_names)
        old = self.series.get(key)
        self.series[key] = value if old is None else self.merge(old, value)

    def lines(self) -> list[str]:
        if not self.series:
            return []
        out = [f"# HELP {self.name} {_escape_help(self.help)}", f"# TYPE {self.name} {self.kind}"]
        if not self.label_names:
            out.extend(f"{self.name} {_number(value)}" for value in self.series.values())
            return out
        template = self.name + "{" + ",".join(f'{k}="%s"' for k in self.label_names) + "} %s"
        values = set(chain.from_iterable(self.series))
        if self._written_as_they_are(values):
            out.extend(template % (*labels, number) for labels, number in self.series.items())
            return out
        # Each distinct value escaped once: the series of a family share most of their values.
        labelled = {value: _label_value(value) for value in values}.__getitem__
        for labels, number in self.series.items():
            shown = number if type(number) is int else _number(number)
            out.append(template % (*map(labelled, labels), shown))
        return out

    def _written_as_they_are(self, values: set[object]) -> bool:
        """Whether "%s" writes the family's label values and numbers as they must be: the
        numbers all int, the values all int or str needing no escape (no None, no bool)."""
        if set(map(type, self.series.values())) != {int}:
            return False
        if not set(map(type, chain.from_iterable(self.series))) <= {str, int}:
            return False  # (each label, not each distinct value: True == 1 in a set)
        text = "".join(value for value in values if type(value) is str)
        return "\\" not in text and '"' not in text and "\n" not in text


def _sum(a: float, b: float) -> float:
    return a + b


def _label_value(value: object) -> str:
    return "" if value is None else _escape_label(value if type(value) is str else str(value))


def _escape_label(value: str) -> str:
    if "\\" not in value and '"' not in value and "\n" not in value:
        return value
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
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
        _Family("flexlm_feature_used_users",
                "Licences of a feature held by one user, by app, feature name, vendor, user "
                "and since (the earliest start, epoch seconds).", (*FEATURE, "user", "since"),
                _sum),
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
    # One used_users series per user, as the exporter does since its issue #218: the seats
    # summed over all their checkouts, `since` the earliest start (epoch seconds).
    users: dict[tuple[str, str, str | None, str], list[int | None]] = {}
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
            feature = {"app": app, "name": f.name, "vendor": f.vendor}
            if not f.uncounted and f.issued is not None:
                fam["flexlm_feature_issued"].add(f.issued, **feature)
            used = f.in_use if f.in_use is not None else f.seats_listed
            fam["flexlm_feature_used"].add(used, **feature)
            fam["flexlm_feature_reserved"].add(f.reserved, **feature)
            fam["flexlm_feature_borrowed"].add(f.borrowed, **feature)
            fam["flexlm_feature_queued"].add(f.queued_count, **feature)
            if f.denied is not None:
                fam["lmconsole_feature_denied"].add(f.denied, **feature)
            _add_users(users, app, f)
            for q in f.queued:
                fam["flexlm_feature_queued_users"].add(q.count, **feature, user=q.user)
            for r in f.reservations:
                if r.kind in ("GROUP", "HOST_GROUP"):
                    fam["flexlm_feature_reserved_groups"].add(r.count, **feature, group=r.name)
            for p in f.pools:
                if p.expiry is None:
                    continue
                index += 1
                licenses = f.issued if len(f.pools) == 1 and not f.uncounted else None
                fam["flexlm_feature_expiration_seconds"].add(
                    _epoch(p.expiry), app=app, name=f.name, index=index, licenses=licenses,
                    vendor=p.vendor or f.vendor, version=p.version)
    used_users = fam["flexlm_feature_used_users"]
    assert used_users.label_names == ("app", "name", "since", "user", "vendor")
    for (app, name, vendor, user), (count, since) in users.items():  # one series each already
        used_users.series[app, name, since, user, vendor] = count
    for d in snapshot.diagnostics:
        fam["lmconsole_parse_diagnostics"].add(1, app=d.server)
    fam["lmconsole_snapshot_timestamp_seconds"].add(
        int(snapshot.taken_at.timestamp()))
    lines = [line for family in fam.values() for line in family.lines()]
    return "\n".join(lines) + "\n" if lines else ""


def _add_users(users: dict[tuple[str, str, str | None, str], list[int | None]], app: str,
               f: Feature) -> None:
    """Accumulate seats per (app, feature, vendor, user): [seats, earliest start in epoch
    seconds]."""
    name, vendor = f.name, f.vendor
    for user, start, count in map(_USER_START_COUNT, f.checkouts):
        since = None if start is None else _epoch_seconds(start)
        entry = users.get(key := (app, name, vendor, user))
        if entry is None:
            users[key] = [count, since]
            continue
        entry[0] += count
        if since is not None and (entry[1] is None or since < entry[1]):
            entry[1] = since


_USER_START_COUNT = itemgetter(0, 8, 9)
assert tuple(Checkout._fields[i] for i in (0, 8, 9)) == ("user", "start", "count")


@lru_cache(maxsize=65536)  # tens of thousands of seats share a few thousand start minutes
def _epoch_seconds(moment: datetime) -> int:
    return int(moment.timestamp())


