"""Features of the same name served by two vendor daemons stay apart, from the parser to every
output that keys features: JSON, CSV, the table, Prometheus and the console's features view.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from lmconsole.adapters.flexlm.lmstat import parse_lmstat
from lmconsole.model import Checkout, Feature, Snapshot
from lmconsole.monitor import ServerState
from lmconsole.output import render_csv, render_json, render_prometheus, render_table
from lmconsole.screens.features import summed_feature_rows
from lmconsole.screens.live import LiveData
from lmconsole.screens.seats import SeatsScreen, seat_sources

from .test_output import parse_exposition, series

# ThomasWagnerJKU/check_flexlm tests/fixtures/two_vendors_a.txt, with one seat added to
# each "solver" (seat lines in the layout of the shared corpus)
TWO_VENDOR_BLOCKS = """lmutil - Copyright (c) 1989-2019 Flexera. All Rights Reserved.
Flexible License Manager status on Mon 9/28/2026 18:05

License server status: 27000@licsrv
    License file(s) on licsrv: /opt/flexlm/license.dat:

    licsrv: license server UP (MASTER) v11.16.2

Vendor daemon status (on licsrv):

       MLM: UP v11.16.2
Feature usage info:

Users of solver:  (Total of 4 licenses issued;  Total of 1 license in use)

    ann ws1 ws1 (v1.0) (licsrv/27000 101), start Mon 9/28 9:00

Vendor daemon status (on licsrv):

       cdslmd: UP v11.16.2
Feature usage info:

Users of solver:  (Total of 8 licenses issued;  Total of 2 licenses in use)

    ann ws1 ws1 (v2.0) (licsrv/27000 101), start Mon 9/28 9:30, 2 licenses

Users of layout:  (Total of 2 licenses issued;  Total of 0 licenses in use)
"""
TAKEN = datetime(2026, 9, 28, 18, 5, tzinfo=UTC)


def snapshot() -> Snapshot:
    report = parse_lmstat(TWO_VENDOR_BLOCKS, name="lic")
    assert report.diagnostics == ()
    return Snapshot(TAKEN, report.servers)


def test_prometheus_keeps_same_named_features_of_two_daemons_apart():
    fams = parse_exposition(render_prometheus(snapshot()))  # also checks the exposition
    assert series(fams, "flexlm_feature_issued", name="solver", vendor="MLM") == [4]
    assert series(fams, "flexlm_feature_issued", name="solver", vendor="cdslmd") == [8]
    assert series(fams, "flexlm_feature_used", name="solver") == [1, 2]
    assert sorted(series(fams, "flexlm_feature_used_users", user="ann")) == [1, 2]


def test_json_and_csv_name_each_feature_and_seat_with_its_vendor():
    features = json.loads(render_json(snapshot()))["servers"][0]["features"]
    assert [(f["name"], f["vendor"], f["issued"]) for f in features] == [
        ("solver", "MLM", 4), ("solver", "cdslmd", 8), ("layout", "cdslmd", 2)]
    rows = list(csv.DictReader(io.StringIO(render_csv(snapshot(), rows="seats"))))
    assert [(r["feature"], r["vendor"], r["count"]) for r in rows] == [
        ("solver", "MLM", "1"), ("solver", "cdslmd", "2")]


def test_table_names_the_vendor_of_a_name_two_daemons_serve():
    text = render_table(snapshot(), tz=UTC, seats=True)
    assert "  solver (MLM): 1 seat(s) held" in text
    assert "  solver (cdslmd): 2 seat(s) held" in text


def test_features_of_all_servers_are_summed_by_name_and_vendor():
    data = LiveData(["lic", "lic2"])
    for name in ("lic", "lic2"):
        (status,) = parse_lmstat(TWO_VENDOR_BLOCKS, name=name).servers
        data.set_state(ServerState(name, status, TAKEN))
    rows = {row.key: row.values for row in summed_feature_rows(data)}
    assert set(rows) == {(None, "solver", 1), (None, "solver", 2), (None, "layout", 1)}
    assert rows[(None, "solver", 1)][1:3] == (2, 8)  # MLM's in use, issued: both servers
    assert rows[(None, "solver", 2)][1:3] == (4, 16)  # cdslmd's


def test_seats_of_one_name_under_two_daemons_are_both_listed():
    # Both solvers' seats have handle 101: handles are per vendor daemon.
    data = LiveData(["lic"])
    (status,) = parse_lmstat(TWO_VENDOR_BLOCKS, name="lic").servers
    data.set_state(ServerState("lic", status, TAKEN))
    one_server = SeatsScreen(data, "lic", "solver").sources()
    assert sorted((s.version, s.count) for s in one_server.values()) == [("1.0", 1), ("2.0", 2)]
    every_server = SeatsScreen(data, None, "solver").sources()
    assert set(every_server) == {("lic", 101), ("lic", 1, 101)}


def test_seats_without_a_handle_are_keyed_by_their_place():
    # Managers other than FlexLM may print no handle; such seats still get one row each.
    seats = tuple(Checkout(f"u{n}", "h", None, "1", None, "lic", 27000, handle, TAKEN)
                  for n, handle in enumerate((7, None, 9, None)))
    sources: dict = {}
    seat_sources(Feature("solver", "MLM", 8, 4, checkouts=seats), sources)
    assert sources == {7: seats[0], ("seat", 1): seats[1], 9: seats[2], ("seat", 3): seats[3]}
    scoped: dict = {}
    seat_sources(Feature("solver", "MLM", 8, 2, checkouts=seats[:1]), scoped, ("lic",))
    assert scoped == {("lic", 7): seats[0]}
