"""The `lmconsole snapshot` renderers: JSON contract, table, CSV and Prometheus text."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lmconsole.model import (
    Checkout,
    Diagnostic,
    Feature,
    LicenseHost,
    Pool,
    Queued,
    Reservation,
    ServerStatus,
    Snapshot,
    Status,
    VendorDaemon,
)
from lmconsole.output import (
    FORMATS,
    render_csv,
    render_json,
    render_prometheus,
    render_table,
)

from .corpus import LMSTAT, read_corpus

UTC = UTC
TAKEN = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
NASTY_USER = 'John "JD" Doe\\x'  # spaces, double quotes and a backslash, as lmstat prints
LONG_NAME = "RoadRunner_HD_Scene_Builder_With_A_Very_Long_Name"


def make_snapshot() -> Snapshot:
    matlab = Feature(
        "MATLAB", "MLM", 10, 4,
        pools=(
            Pool("39", date(2024, 12, 31), "floating", vendor_string="vi=0:at=200", vendor="MLM"),
            Pool("40", date(2026, 6, 30), "nodelocked", vendor="MLM", locked_to="ID=123"),
        ),
        checkouts=(
            Checkout("jdoe", "host1", "/dev/tty", "39", 0, "lic-b", 27000, 101,
                     datetime(2026, 3, 4, 9, 12, tzinfo=UTC)),
            Checkout(NASTY_USER, "host 2", 'di"sp', "39", 0, "lic-b", 27000, 102,
                     datetime(2026, 11, 22, 8, 0, tzinfo=UTC), count=2, borrowed=True,
                     linger_s=885098, linger_total_s=1340160, pid=4242, extra="feature=x"),
            Checkout("jdoe", "host3", ":0.0", "40", 1, "lic-b", 27000, 103,
                     datetime(2026, 11, 21, 9, 0, tzinfo=UTC)),
        ),
        reservations=(Reservation(1, "USER", "rachel", 0, "lic-b", 27000),
                      Reservation(2, "GROUP", "engineers", 0)),
        queued=(Queued("bob", "h3", "h3", 1, 0, "39", "lic-b", 27000, 104),),
    )
    viewer = Feature("Viewer", "MLM", 5, 0, pools=(Pool("1.0", None, "floating"),))
    uncounted = Feature(LONG_NAME, "MLM", None, None, uncounted=True,
                        pools=(Pool("1", None, "uncounted", locked_to="ANY"),),
                        checkouts=(Checkout("amy", "ws1", "ws1", "1", 0, None, None, None,
                                            None),))
    broken = Feature("PrimeTime", "snpslmd", None, None,
                     error="2 licenses, unsupported by licensed server")
    triad = ServerStatus(
        "lic1", "27000@lic-a,27000@lic-b,27000@lic-c", Status.UP,
        hosts=(
            LicenseHost("lic-a", 27000, Status.UP, version="v11.16.2"),
            LicenseHost("lic-b", 27000, Status.UP, master=True, version="v11.16.2"),
            LicenseHost("lic-c", 27000, Status.DOWN,
                        error="License server machine is down or not responding.",
                        error_code="-96,7:2"),
        ),
        vendors=(VendorDaemon("MLM", Status.UP, "v11.16.2", host="lic-b"),),
        features=(matlab, viewer, uncounted, broken),
        license_files=("/opt/flexlm/license.dat",),
        reported_at=TAKEN - timedelta(minutes=1),
    )
    down = ServerStatus("lic2", "27001@lic-d", Status.ERROR,
                        error="Cannot connect to license server", error_code="-15,570:111")
    return Snapshot(TAKEN, (triad, down),
                    (Diagnostic(57, "unrecognised line", "  ??? garbage", "lic1"),))


# ---------------------------------------------------------------------------------- JSON

CONTRACT = {
    "snapshot": ["taken_at", "servers", "diagnostics"],
    "server": ["name", "source", "status", "error", "hosts", "vendors", "features"],
    "host": ["host", "port", "status", "master", "version", "error"],
    "vendor": ["name", "status", "version", "error"],
    "feature": ["name", "vendor", "issued", "in_use", "uncounted", "error", "pools",
                "checkouts", "reservations", "queued"],
    "pool": ["version", "expiry", "license_type", "vendor_string"],
    "checkout": ["user", "host", "display", "version", "pool", "server", "port", "handle",
                 "start", "count", "borrowed", "linger_s"],
    "reservation": ["count", "kind", "name", "pool"],
    "queued": ["user", "host", "display", "count", "pool"],
    "diagnostic": ["line", "message", "text"],
}


def assert_contract(obj: dict, kind: str) -> None:
    """The contract's keys come first, in the contract's order; added keys follow."""
    keys = list(obj)
    want = CONTRACT[kind]
    assert keys[: len(want)] == want, (kind, keys)


def is_utc_iso(value: str) -> bool:
    return value.endswith("+00:00") and datetime.fromisoformat(value).utcoffset() == timedelta(0)


def test_json_has_the_contract_keys_in_order_and_typed_values():
    data = json.loads(render_json(make_snapshot()))
    assert_contract(data, "snapshot")
    assert data["taken_at"] == "2026-11-22T10:00:00+00:00"
    for server in data["servers"]:
        assert_contract(server, "server")
        assert server["status"] in {"up", "down", "error"}
        for host in server["hosts"]:
            assert_contract(host, "host")
            assert isinstance(host["port"], int) and isinstance(host["master"], bool)
        for vendor in server["vendors"]:
            assert_contract(vendor, "vendor")
        for feature in server["features"]:
            assert_contract(feature, "feature")
            assert feature["issued"] is None or isinstance(feature["issued"], int)
            assert isinstance(feature["uncounted"], bool)
            for pool in feature["pools"]:
                assert_contract(pool, "pool")
                assert pool["expiry"] is None or re.fullmatch(r"\d{4}-\d\d-\d\d", pool["expiry"])
            for c in feature["checkouts"]:
                assert_contract(c, "checkout")
                assert c["start"] is None or is_utc_iso(c["start"])
                assert isinstance(c["count"], int) and isinstance(c["borrowed"], bool)
            for r in feature["reservations"]:
                assert_contract(r, "reservation")
            for q in feature["queued"]:
                assert_contract(q, "queued")
    for d in data["diagnostics"]:
        assert_contract(d, "diagnostic")


# The example of DESIGN.md, "Contracts others rely on", verbatim.
DESIGN_EXAMPLE = """
{"taken_at": "2026-11-22T10:00:00+00:00",
 "servers": [{"name": "lic1", "source": "27000@lic-srv", "status": "up", "error": null,
              "hosts": [{"host": "lic-srv", "port": 27000, "status": "up", "master": true,
                         "version": "v11.16.2", "error": null}],
              "vendors": [{"name": "MLM", "status": "up", "version": "v11.16.2", "error": null}],
              "features": [{"name": "MATLAB", "vendor": "MLM", "issued": 10, "in_use": 2,
                            "uncounted": false, "error": null,
                            "pools": [{"version": "39", "expiry": "2024-12-31", "license_type": "floating",
                                       "vendor_string": null}],
                            "checkouts": [{"user": "jdoe", "host": "host1", "display": "/dev/tty",
                                           "version": "39", "pool": 0, "server": "lic-srv", "port": 27000,
                                           "handle": 101, "start": "2026-03-04T09:12:00+00:00",
                                           "count": 1, "borrowed": false, "linger_s": null}],
                            "reservations": [{"count": 1, "kind": "USER", "name": "rachel", "pool": 0}],
                            "queued": [{"user": "bob", "host": "h3", "display": "h3", "count": 1, "pool": 0}]}]}],
 "diagnostics": [{"line": 57, "message": "unrecognised line", "text": "..."}]}
"""


def contract_only(value, example):
    """`value` with the keys the example does not have removed (added keys are allowed)."""
    if isinstance(example, dict):
        return {k: contract_only(value[k], example[k]) for k in example}
    if isinstance(example, list):
        return [contract_only(v, e) for v, e in zip(value, example)] + value[len(example):]
    return value


def test_json_reproduces_the_design_example():
    feature = Feature(
        "MATLAB", "MLM", 10, 2, pools=(Pool("39", date(2024, 12, 31), "floating"),),
        checkouts=(Checkout("jdoe", "host1", "/dev/tty", "39", 0, "lic-srv", 27000, 101,
                            datetime(2026, 3, 4, 9, 12, tzinfo=UTC)),),
        reservations=(Reservation(1, "USER", "rachel", 0),),
        queued=(Queued("bob", "h3", "h3", 1, 0),))
    server = ServerStatus("lic1", "27000@lic-srv", Status.UP,
                          hosts=(LicenseHost("lic-srv", 27000, Status.UP, True, "v11.16.2"),),
                          vendors=(VendorDaemon("MLM", Status.UP, "v11.16.2"),),
                          features=(feature,))
    snap = Snapshot(TAKEN, (server,), (Diagnostic(57, "unrecognised line", "..."),))
    example = json.loads(DESIGN_EXAMPLE)
    assert contract_only(json.loads(render_json(snap)), example) == example


def test_json_values():
    data = json.loads(render_json(make_snapshot()))
    lic1, lic2 = data["servers"]
    assert [h["status"] for h in lic1["hosts"]] == ["up", "up", "down"]
    assert [h["master"] for h in lic1["hosts"]] == [False, True, False]
    assert lic1["hosts"][2]["error_code"] == "-96,7:2"
    assert lic1["reported_at"] == "2026-11-22T09:59:00+00:00"
    assert lic1["license_files"] == ["/opt/flexlm/license.dat"]
    matlab, viewer, uncounted, broken = lic1["features"]
    assert (matlab["issued"], matlab["in_use"]) == (10, 4)
    assert [p["expiry"] for p in matlab["pools"]] == ["2024-12-31", "2026-06-30"]
    assert matlab["pools"][1]["locked_to"] == "ID=123"
    nasty = matlab["checkouts"][1]
    assert nasty["user"] == NASTY_USER and nasty["display"] == 'di"sp'
    assert nasty["start"] == "2026-11-22T08:00:00+00:00"
    assert (nasty["borrowed"], nasty["linger_s"], nasty["linger_total_s"]) == (True, 885098,
                                                                               1340160)
    assert matlab["reservations"][0] == {"count": 1, "kind": "USER", "name": "rachel",
                                         "pool": 0, "server": "lic-b", "port": 27000}
    assert matlab["queued"][0]["user"] == "bob"
    assert viewer["pools"][0]["expiry"] is None  # permanent
    assert uncounted["issued"] is None and uncounted["uncounted"] is True
    assert broken["error"].startswith("2 licenses")
    assert (lic2["status"], lic2["error_code"]) == ("error", "-15,570:111")
    assert data["diagnostics"] == [{"line": 57, "message": "unrecognised line",
                                    "text": "  ??? garbage", "server": "lic1"}]


def test_json_converts_times_to_utc_and_keeps_non_ascii():
    berlin = ZoneInfo("Europe/Berlin")
    feature = Feature("Fjällström", "v", 1, 1, checkouts=(
        Checkout("José", "h", "d", "1", None, None, None, None,
                 datetime(2026, 7, 1, 12, 0, tzinfo=berlin)),))
    snap = Snapshot(datetime(2026, 7, 1, 12, 30, tzinfo=berlin),
                    (ServerStatus("s", None, Status.UP, features=(feature,)),))
    text = render_json(snap)
    assert "José" in text and "Fjällström" in text
    data = json.loads(text)
    assert data["taken_at"] == "2026-07-01T10:30:00+00:00"
    assert data["servers"][0]["features"][0]["checkouts"][0]["start"] == \
        "2026-07-01T10:00:00+00:00"


def test_json_compact_is_one_line_with_the_same_data():
    snap = make_snapshot()
    compact = render_json(snap, compact=True)
    assert compact.count("\n") == 1 and compact.endswith("\n")
    assert json.loads(compact) == json.loads(render_json(snap))
    assert render_json(snap) == render_json(snap)  # deterministic


# --------------------------------------------------------------------------------- table


@pytest.mark.parametrize("width", [80, 60, 40, 132])
def test_table_fits_the_width_but_never_cuts_a_name(width):
    text = render_table(make_snapshot(), width=width, tz=UTC, seats=True)
    for line in text.splitlines():
        assert len(line) <= width or line.strip().rstrip(":") == LONG_NAME, line
    assert any(line.startswith(LONG_NAME) for line in text.splitlines())
    assert NASTY_USER in text
    if width >= 80:  # narrower, the columns after the names are cut
        assert "…" not in text


def test_a_name_too_long_for_its_column_has_a_line_of_its_own_above_its_row():
    lines = render_table(make_snapshot(), width=80, tz=UTC).splitlines()
    at = lines.index(LONG_NAME)
    assert lines[at + 1].startswith(" ") and "uncounted" in lines[at + 1]


def test_without_a_width_nothing_is_cut_or_wrapped():
    text = render_table(make_snapshot(), width=None, tz=UTC, seats=True)
    long_row = next(line for line in text.splitlines() if line.startswith("RoadRunner"))
    assert long_row.startswith(LONG_NAME + " ") and "uncounted" in long_row
    assert "…" not in text


def test_table_content():
    text = render_table(make_snapshot(), tz=UTC)
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("FEATURE"))
    for column in ("VENDOR", "IN USE/ISSUED", "%", "RESERVED", "BORROWED", "QUEUED", "EXPIRY"):
        assert column in header
    matlab = next(line for line in lines if line.startswith("MATLAB"))
    assert re.search(r"\b4/10 +40% +3 +2 +1 2024-12-31$", matlab), matlab
    viewer = next(line for line in lines if line.startswith("Viewer"))
    assert "0/5" in viewer and "0%" in viewer and "permanent" in viewer
    assert LONG_NAME in lines  # in full, on its own line: too wide for 80 columns
    assert "error: 2 licenses, unsupported" in text
    hosts = next(line for line in lines if "hosts:" in line)
    assert "lic-b:27000 MASTER" in hosts and "lic-c:27000 DOWN" in text
    assert "vendors: MLM UP v11.16.2" in text
    assert "*** ERROR: Cannot connect to license server [-15,570:111]" in text
    assert "1 line(s) of the status output were not understood" in text
    assert "jdoe" not in text  # no seat list unless asked


def test_feature_error_code_in_every_format():
    broken = Feature("Catia_GCO", "theorem", None, None, error="No such feature exists.",
                     error_code="-5,222")
    snap = Snapshot(TAKEN, (ServerStatus("s", None, Status.UP, features=(broken,)),))
    (feature,) = json.loads(render_json(snap))["servers"][0]["features"]
    assert (feature["error"], feature["error_code"]) == ("No such feature exists.", "-5,222")
    assert "error: No such feature exists. [-5,222]" in render_table(snap, tz=UTC)
    (row,) = csv.DictReader(io.StringIO(render_csv(snap)))
    assert (row["error"], row["error_code"]) == ("No such feature exists.", "-5,222")
    parse_exposition(render_prometheus(snap))


def test_table_numbers_are_right_aligned():
    lines = render_table(make_snapshot(), tz=UTC).splitlines()
    header = next(line for line in lines if line.startswith("FEATURE"))
    end = header.index("RESERVED") + len("RESERVED")
    for name in ("MATLAB", "Viewer"):
        row = next(line for line in lines if line.startswith(name))
        assert row[end - 1].isdigit() and row[end] == " "


def test_table_seats_in_the_viewers_zone():
    berlin = ZoneInfo("Europe/Berlin")
    text = render_table(make_snapshot(), tz=berlin, seats=True)
    assert "MATLAB: 4 seat(s) held, 1 queued" in text
    jdoe = next(line for line in text.splitlines() if "host1" in line)
    assert "2026-03-04 10:12" in jdoe  # 09:12 UTC is 10:12 CET
    nasty = next(line for line in text.splitlines() if "host 2" in line)
    assert NASTY_USER in nasty and "linger 10d 5h" in nasty
    bob = next(line for line in text.splitlines() if line.strip().startswith("bob"))
    assert "queued" in bob
    assert "reserved: 1 USER rachel, 2 GROUP engineers" in text
    assert "amy" in text  # users of an uncounted feature are listed too


def test_table_escapes_control_characters():
    feature = Feature("F", "v", 2, 1, checkouts=(
        Checkout("evil\x1b[2Juser", "h\tx", "d", "1", None, None, None, None, None),))
    snap = Snapshot(TAKEN, (ServerStatus("s", None, Status.UP, features=(feature,)),))
    text = render_table(snap, tz=UTC, seats=True)
    assert "\x1b" not in text and "\t" not in text
    assert "evil\\x1b[2Juser" in text


def test_table_of_an_empty_snapshot():
    assert render_table(Snapshot(TAKEN, ()), tz=UTC).startswith("lmconsole snapshot")


# ----------------------------------------------------------------------------------- CSV


def test_csv_features():
    rows = list(csv.reader(io.StringIO(render_csv(make_snapshot()))))
    assert rows == [
        ["server", "feature", "vendor", "issued", "in_use", "reserved", "borrowed", "queued",
         "uncounted", "expiry", "error", "error_code", "manager"],
        ["lic1", "MATLAB", "MLM", "10", "4", "3", "2", "1", "false", "2024-12-31", "", "", ""],
        ["lic1", "Viewer", "MLM", "5", "0", "0", "0", "0", "false", "", "", "", ""],
        ["lic1", LONG_NAME, "MLM", "", "", "0", "0", "0", "true", "", "", "", ""],
        ["lic1", "PrimeTime", "snpslmd", "", "", "0", "0", "0", "false", "",
         "2 licenses, unsupported by licensed server", "", ""],
    ]


def test_csv_seats():
    rows = list(csv.reader(io.StringIO(render_csv(make_snapshot(), rows="seats"))))
    assert rows[0] == ["server", "feature", "user", "host", "display", "version",
                       "server_host", "port", "handle", "start", "count", "borrowed",
                       "linger_s", "vendor", "manager"]
    assert rows[1] == ["lic1", "MATLAB", "jdoe", "host1", "/dev/tty", "39", "lic-b", "27000",
                       "101", "2026-03-04T09:12:00+00:00", "1", "false", "", "MLM", ""]
    assert rows[2] == ["lic1", "MATLAB", NASTY_USER, "host 2", 'di"sp', "39", "lic-b", "27000",
                       "102", "2026-11-22T08:00:00+00:00", "2", "true", "885098", "MLM", ""]
    assert rows[4] == ["lic1", LONG_NAME, "amy", "ws1", "ws1", "1", "", "", "", "", "1",
                       "false", "", "MLM", ""]
    assert len(rows) == 5


def test_csv_rejects_an_unknown_row_kind():
    with pytest.raises(ValueError):
        render_csv(make_snapshot(), rows="users")


# ---------------------------------------------------------------------------- Prometheus

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
_VALUE_STR = r'"((?:[^"\\\n]|\\[\\"n])*)"'
_PAIR = re.compile(rf"({_LABEL})={_VALUE_STR}")
_FLOAT = r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Inf)|NaN"
_SAMPLE = re.compile(rf"^({_NAME})(?:\{{(.*)\}})? ({_FLOAT})(?: (-?\d+))?$")
_HELP = re.compile(rf"^# HELP ({_NAME}) (.*)$")
_TYPE = re.compile(rf"^# TYPE ({_NAME}) (counter|gauge|histogram|summary|untyped)$")


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def parse_exposition(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """A strict checker of the text exposition format; returns family -> [(labels, value)]."""
    assert text.endswith("\n")
    families: dict[str, list[tuple[dict[str, str], float]]] = {}
    helped: set[str] = set()
    typed: set[str] = set()
    closed: set[str] = set()
    current = None
    seen: set[tuple[str, frozenset]] = set()
    for n, line in enumerate(text.splitlines(), 1):
        where = f"line {n}: {line!r}"
        if line.startswith("#"):
            m = _HELP.match(line) or _TYPE.match(line)
            assert m, where
            name = m.group(1)
            kind = "help" if line.startswith("# HELP") else "type"
            assert name not in (helped if kind == "help" else typed), f"second {kind}: {where}"
            assert name not in families, f"{kind} after samples: {where}"
            (helped if kind == "help" else typed).add(name)
            if current != name:
                assert name not in closed, f"family split: {where}"
                if current is not None:
                    closed.add(current)
                current = name
            continue
        assert line.strip(), f"blank line: {where}"
        m = _SAMPLE.match(line)
        assert m, where
        name, inner, value = m.group(1), m.group(2), m.group(3)
        assert name == current and name in typed and name in helped, f"no HELP/TYPE: {where}"
        labels: dict[str, str] = {}
        if inner:
            pos = 0
            while pos < len(inner):
                pm = _PAIR.match(inner, pos)
                assert pm, f"bad labels: {where}"
                assert pm.group(1) not in labels, f"repeated label: {where}"
                labels[pm.group(1)] = _unescape(pm.group(2))
                pos = pm.end()
                if pos < len(inner):
                    assert inner[pos] == ",", f"bad labels: {where}"
                    pos += 1
        key = (name, frozenset(labels.items()))
        assert key not in seen, f"duplicate series: {where}"
        seen.add(key)
        families.setdefault(name, []).append((labels, float(value)))
    return families


def series(families, family, **labels):
    return [v for got, v in families.get(family, []) if all(got.get(k) == w
                                                              for k, w in labels.items())]


def test_prometheus_is_valid_exposition_text():
    parse_exposition(render_prometheus(make_snapshot()))


def test_prometheus_exporter_compatible_families():
    fams = parse_exposition(render_prometheus(make_snapshot()))
    status = {lb["fqdn"]: (lb, v) for lb, v in fams["flexlm_server_status"]}
    assert set(status["lic-b"][0]) == {"app", "fqdn", "master", "port", "version"}
    assert status["lic-b"] == ({"app": "lic1", "fqdn": "lic-b", "master": "true",
                                "port": "27000", "version": "v11.16.2"}, 1.0)
    assert status["lic-c"][1] == 0.0 and status["lic-c"][0]["master"] == "false"
    assert fams["flexlm_vendor_status"] == [({"app": "lic1", "name": "MLM",
                                              "version": "v11.16.2"}, 1.0)]
    assert series(fams, "flexlm_feature_issued", name="MATLAB") == [10]
    assert series(fams, "flexlm_feature_used", name="MATLAB") == [4]
    assert series(fams, "flexlm_feature_issued", name=LONG_NAME) == []  # uncounted
    assert series(fams, "flexlm_feature_used", name=LONG_NAME) == [1]
    assert series(fams, "flexlm_feature_issued", name="PrimeTime") == []  # error
    users = {lb["user"]: (lb, v) for lb, v in fams["flexlm_feature_used_users"]}
    assert set(users) == {"jdoe", NASTY_USER, "amy"}  # the escaped name decodes back
    assert users["jdoe"][1] == 2  # two checkouts, one series
    assert users["jdoe"][0]["since"] == str(int(datetime(2026, 3, 4, 9, 12,
                                                         tzinfo=UTC).timestamp()))
    assert set(users["jdoe"][0]) == {"app", "name", "vendor", "user", "since"}
    assert fams["flexlm_feature_reserved_groups"] == [
        ({"app": "lic1", "name": "MATLAB", "vendor": "MLM", "group": "engineers"}, 2.0)]
    exp = fams["flexlm_feature_expiration_seconds"]
    assert [v for _, v in exp] == [datetime(2024, 12, 31, tzinfo=UTC).timestamp(),
                                   datetime(2026, 6, 30, tzinfo=UTC).timestamp()]
    assert {"app", "name", "index", "licenses", "vendor", "version"} == set(exp[0][0])
    assert all(lb["name"] == "MATLAB" for lb, _ in exp)  # none for permanent pools


def test_prometheus_our_families():
    fams = parse_exposition(render_prometheus(make_snapshot()))
    assert series(fams, "flexlm_feature_reserved", name="MATLAB") == [3]
    assert series(fams, "flexlm_feature_borrowed", name="MATLAB") == [2]
    assert series(fams, "flexlm_feature_queued", name="MATLAB") == [1]
    assert series(fams, "flexlm_feature_queued_users", user="bob") == [1]
    assert series(fams, "lmconsole_parse_diagnostics", app="lic1") == [1]
    assert series(fams, "lmconsole_parse_diagnostics", app="lic2") == [0]
    assert series(fams, "lmconsole_server_up", app="lic2") == [0]
    assert series(fams, "lmconsole_snapshot_timestamp_seconds") == [TAKEN.timestamp()]


def test_prometheus_escapes_newlines_and_merges_duplicate_features():
    odd = 'line1\nline2 "q" \\'
    twice = (Feature("feature42", "V", 3, 1, checkouts=(
                 Checkout(odd, None, None, None, None, None, None, None, None),)),
             Feature("feature42", "V", 2, 2, checkouts=(
                 Checkout(odd, None, None, None, None, None, None, None, None, count=2),)))
    snap = Snapshot(TAKEN, (ServerStatus("a\"pp", None, Status.UP, features=twice),))
    text = render_prometheus(snap)
    assert "\\n" in text
    fams = parse_exposition(text)
    assert series(fams, "flexlm_feature_issued", name="feature42") == [5]
    assert series(fams, "flexlm_feature_used_users", user=odd, app='a"pp') == [3]


def test_prometheus_sums_a_users_checkouts_from_their_earliest_start():
    def seat(user, start, count=1):
        return Checkout(user, "h", None, None, None, None, None, None, start, count=count)

    early, late = datetime(2026, 11, 22, 8, 0, tzinfo=UTC), datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    first = Feature("f", "V", 9, 6, checkouts=(seat("ann", late), seat("bob", None),
                                               seat("ann", None, 2), seat("ann", early)))
    other = Feature("g", "V", 1, 1, checkouts=(seat("dan", late),))
    again = Feature("f", "V", 9, 3, checkouts=(seat("cy", early, 3), seat("bob", late)))
    fams = parse_exposition(render_prometheus(Snapshot(TAKEN, (ServerStatus(
        "s", None, Status.UP, features=(first, other, again)),))))
    # in the order of their first checkout, as the exporter lists them
    assert [(labels["name"], labels["user"], labels["since"], value)
            for labels, value in fams["flexlm_feature_used_users"]] == [
        ("f", "ann", str(int(early.timestamp())), 4), ("f", "bob", str(int(late.timestamp())), 2),
        ("g", "dan", str(int(late.timestamp())), 1), ("f", "cy", str(int(early.timestamp())), 3)]


def test_prometheus_label_values_true_and_1_are_different_series():
    """True == 1 in Python: as keys of one dict they would be one series, written once."""
    from lmconsole.prometheus import _Family

    family = _Family("x", "help", ("a",), merge=lambda old, new: old + new)
    for value, seats in ((True, 1), (1, 2), (False, 4), (0, 8), (True, 16)):
        family.add(seats, a=value)
    assert family.lines()[2:] == ['x{a="true"} 17', 'x{a="1"} 2', 'x{a="false"} 4',
                                  'x{a="0"} 8']


def test_prometheus_values_parse_as_floats():
    for line in render_prometheus(make_snapshot()).splitlines():
        if not line.startswith("#"):
            assert not math.isnan(float(line.rsplit(" ", 1)[1]))


# ------------------------------------------------------------------------------ registry


def test_formats_registry_and_empty_snapshot():
    assert set(FORMATS) == {"json", "table", "csv", "prometheus"}
    empty = Snapshot(TAKEN, ())
    for render in FORMATS.values():
        assert render(empty).endswith("\n")
    assert json.loads(FORMATS["json"](empty)) == {"taken_at": "2026-11-22T10:00:00+00:00",
                                                  "servers": [], "diagnostics": []}


def test_output_does_not_import_textual():
    code = ("import sys, lmconsole.output; "
            "sys.exit(1 if any(m == 'textual' or m.startswith('textual.') "
            "for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("bad", [
    "x 1\n",  # no HELP/TYPE
    "# HELP x h\n# TYPE x gauge\nx 1\nx 2\n",  # duplicate series
    '# HELP x h\n# TYPE x gauge\nx{a="1"} 1\n# HELP y h\n# TYPE y gauge\ny 1\nx{a="2"} 1\n',
    '# HELP x h\n# TYPE x gauge\nx{a="q"q"} 1\n',  # unescaped quote
    '# HELP x h\n# TYPE x gauge\nx{a="\\t"} 1\n',  # unknown escape
    "# HELP 1x h\n# TYPE 1x gauge\n1x 1\n",  # bad name
    "# HELP x h\n# TYPE x gauge\nx one\n",  # bad value
    "# HELP x h\n# TYPE x gauge\nx 1",  # no final newline
])
def test_the_exposition_checker_rejects(bad):
    with pytest.raises(AssertionError):
        parse_exposition(bad)


@pytest.mark.parametrize("name", sorted(p.name for p in LMSTAT.iterdir()))
def test_json_is_the_same_text_with_or_without_orjson(name, monkeypatch):
    """orjson (fast on a large site) and json (on a small one, and without orjson) write the
    very same text for every corpus output, indented and compact."""
    from lmconsole import output
    from lmconsole.adapters.flexlm.lmstat import parse_lmstat

    assert output.orjson is not None  # a declared dependency
    monkeypatch.setattr(output, "ORJSON_FROM_SEATS", 0)  # orjson for every snapshot
    report = parse_lmstat(read_corpus("flexlm", "lmstat", name), name=None, tz=UTC,
                          now=datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    snap = Snapshot(datetime(2026, 3, 2, 9, 30, tzinfo=UTC), report.servers,
                    report.diagnostics)
    fast = render_json(snap), render_json(snap, compact=True)
    monkeypatch.setattr(output, "orjson", None)
    assert (render_json(snap), render_json(snap, compact=True)) == fast


@pytest.mark.parametrize("orjson_from_seats", [0, 1_000_000])
def test_json_keeps_a_lone_surrogate_escaped(orjson_from_seats, monkeypatch):
    """orjson refuses a lone surrogate, which no output stream could encode either: it is
    written escaped (\\udcff), and the output stays valid JSON that any stream can carry."""
    from lmconsole import output

    monkeypatch.setattr(output, "ORJSON_FROM_SEATS", orjson_from_seats)
    seat = Checkout("u\udcff", None, None, None, None, None, None, None, None)
    feature = Feature("f", "v", 1, 1, checkouts=(seat,))
    snap = Snapshot(datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
                    (ServerStatus("s", None, Status.UP, features=(feature,)),))
    for text in render_json(snap), render_json(snap, compact=True):
        (written,) = json.loads(text)["servers"][0]["features"]
        assert "\\udcff" in text and written["checkouts"][0]["user"] == "u\udcff"
        text.encode("utf-8")  # raises on a lone surrogate left as such


def test_json_writes_an_int_beyond_64_bits(monkeypatch):
    """orjson refuses it: json writes the piece that holds it."""
    from lmconsole import output

    monkeypatch.setattr(output, "ORJSON_FROM_SEATS", 0)
    seat = Checkout("ann", None, None, None, None, None, None, 2**70, None)
    snap = Snapshot(TAKEN, (ServerStatus("s", None, Status.UP, features=(
        Feature("f", "v", 1, 1, checkouts=(seat,)), Feature("g", "v", 1, 0))),))
    for text in render_json(snap), render_json(snap, compact=True):
        features = json.loads(text)["servers"][0]["features"]
        assert [f["name"] for f in features] == ["f", "g"]
        assert features[0]["checkouts"][0]["handle"] == 2**70
