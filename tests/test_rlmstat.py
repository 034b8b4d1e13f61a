"""The rlmstat parser: every real RLM output of the shared corpus, with the figures a person
reading the file gives (read off the files by hand), then the layouts the RLM manual and
formats.md describe that the corpus lacks (v9's layout, v14's `, pool: N`, the old usage
line, roaming, first.last and spaced user names, a stopped ISV, two rlm servers)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.rlm.rlmstat import parse_rlmstat
from lmconsole.model import BORROWED, Checkout, Status

from .corpus import CORPUS, read_corpus

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
RLM = ADAPTERS["rlm"]


def corpus(file_name: str, **kwargs):
    return parse_rlmstat(read_corpus("rlm", "rlmstat", file_name), **{"tz": UTC, "now": NOW,
                                                                 **kwargs})


def counts(server) -> dict[str, tuple]:
    """feature -> (vendor, issued, in_use, versions, expiries, seats listed)"""
    return {f.name: (f.vendor, f.issued, f.in_use, [p.version for p in f.pools],
                     {p.expiry for p in f.pools}, f.seats_listed) for f in server.features}


def test_every_corpus_rlmstat_file_is_covered():
    names = {p.name for p in (CORPUS / "rlm" / "rlmstat").glob("*.txt")}
    assert names == {"license_manager_rlmstat_a_csci_full.txt",
                     "license_manager_rlmstat_multi_isv_pool_and_usage.txt",
                     "license_manager_rlmutil_error_connecting.txt"}


def test_the_full_csci_status():
    report = corpus("license_manager_rlmstat_a_csci_full.txt", tz=BERLIN)
    assert report.recognised and report.diagnostics == () and report.truncated_at is None
    # Recent Statistics (00:16:08) from 12:32:30, Todays (13:48:32) from 23:00:06 the day
    # before: both end at 12:48:38, the moment of the status.
    assert report.reported_at == datetime(2021, 11, 3, 12, 48, 38, tzinfo=BERLIN)
    (server,) = report.servers
    assert (server.name, server.source, server.status, server.manager) == (
        "35015@licserv.com", "35015@licserv.com", Status.UP, "rlm")
    (host,) = server.hosts
    assert (host.host, host.port, host.status, host.version) == (
        "licserv.com", 35015, Status.UP, "v12.2")
    (isv,) = server.vendors
    assert (isv.name, isv.status, isv.version, isv.host) == (
        "csci", Status.UP, "v12.2", "licserv.server.com")
    expiry = {date(2022, 1, 31)}
    assert counts(server) == {
        "converge": ("csci", 1, 0, ["3.0"], expiry, 0),
        "converge_gui": ("csci", 45, 0, ["1.0"], expiry, 0),
        "converge_gui_polygonica": ("csci", 1, 0, ["1.0"], expiry, 0),
        "converge_super": ("csci", 1000, 93, ["3.0"], expiry, 93),
        "converge_tecplot": ("csci", 45, 0, ["1.0"], expiry, 0),
    }
    super_ = server.features[3]
    assert super_.reservations == () and super_.borrowed == 0
    # the same handle twice (15a) is two usage lines of asdj13: 29 + 37 seats
    assert [(c.user, c.host, c.count, c.handle, c.start, c.server, c.port, c.pool)
            for c in super_.checkouts] == [
        ("asdj13", "myserver.example.com", 29, 0x15A, datetime(2021, 11, 1, 9, 1, tzinfo=BERLIN),
         "licser.server.com", 63133, 0),
        ("cddcp2", "myserver.example.com", 27, 0x128, datetime(2021, 11, 3, 10, 38, tzinfo=BERLIN),
         "licser.server.com", 63133, 0),
        ("asdj13", "myserver.example.com", 37, 0x15A, datetime(2021, 11, 1, 9, 1, tzinfo=BERLIN),
         "licser.server.com", 63133, 0),
    ]


def test_a_capture_that_starts_in_the_middle_of_the_pool_list():
    report = corpus("license_manager_rlmstat_multi_isv_pool_and_usage.txt")
    assert report.recognised and report.diagnostics == () and report.truncated_at is None
    assert report.reported_at is None  # no statistics: checkout dates resolved against now
    (server,) = report.servers
    assert (server.source, server.status) == ("1234@licserv0001.com", Status.UP)
    assert [v.name for v in server.vendors] == ["tainc", "exacorp"]
    found = counts(server)
    assert len(found) == 22
    # The 17 pools above the first heading are exacorp's: its usage section names them.
    exacorp = {name for name, row in found.items() if row[0] == "exacorp"}
    tainc = {name for name, row in found.items() if row[0] == "tainc"}
    assert len(exacorp) == 17 and tainc == {"powertherm", "powertherm-mp",
                                            "powertherm-multigrid", "powertherm-sc",
                                            "powertherm-solver"}
    assert {row[4] == {date(2023, 12, 31)} for row in found.values()} == {True}
    assert found["powercase"][1:3] == (5, 3) and found["powerdelta"][1:3] == (1, 1)
    assert found["powerdelta-translate2"][1] == 1_000_000
    assert found["powerflow-sim"][1] == 7000
    assert found["powertherm-mp"][1:4] == (3, 0, ["2023.1"])
    assert sum(row[1] for row in found.values()) == 5 + 5 + 3000 + 3000 + 5 + 5 + 2 + 7 + 6 \
        + 1 + 1 + 1 + 1 + 1_000_000 + 7000 + 1 + 1 + 1 + 3 + 1 + 1 + 1
    assert sum(row[2] for row in found.values()) == 4
    powercase = next(f for f in server.features if f.name == "powercase")
    assert [(c.user, c.host, c.count, c.handle, c.start) for c in powercase.checkouts] == [
        ("dfsdgv", "server1", 1, 0x182, datetime(2026, 8, 15, 9, 34, tzinfo=UTC)),
        ("addvbh", "server2", 1, 0xC4, datetime(2026, 8, 16, 9, 36, tzinfo=UTC)),
        ("wrtgb3", "server3", 1, 0x11C, datetime(2026, 8, 21, 14, 53, tzinfo=UTC)),
    ]
    powerdelta = next(f for f in server.features if f.name == "powerdelta")
    assert [(c.user, c.host, c.handle) for c in powerdelta.checkouts] == [
        ("ghnds2", "server4", 0xA2)]


def test_a_server_that_cannot_be_reached():
    report = corpus("license_manager_rlmutil_error_connecting.txt", name="design")
    assert report.recognised and report.diagnostics == ()
    (server,) = report.servers
    assert (server.name, server.status, server.features, server.manager) == (
        "design", Status.DOWN, (), "rlm")
    assert server.error.startswith('Error connecting to "rlm" server')
    assert 'Connection attempted to host: "" on port 5053' in server.error


# ---- layouts beyond the corpus -------------------------------------------------------------

MANUAL = """\
% rlmutil rlmstat -a
rlmstat v9.1
Copyright (C) 2006-2011, Reprise Software, Inc. All rights reserved.

\trlm status on bigserver (port 5053), up 00:03:51
\trlm software version v9.1 (build:3)
\trlm comm version: v1.1
\tStartup time: Wed Jul  6 13:27:42 2011
\tTodays Statistics (00:03:50), init time: Wed Jul  6 13:27:43 2011
\tRecent Statistics (00:03:50), init time: Wed Jul  6 13:27:43 2011

\t             Recent Stats    Todays Stats    Total Stats
\t               00:03:50        00:03:50        00:03:51
\tMessages:    9 (0/sec)       9 (0/sec)       9 (0/sec)
\tConnections: 7 (0/sec)       7 (0/sec)       7 (0/sec)

\t--------- ISV servers ----------
\t   Name           Port Running Restarts
\treprise          62503   Yes      0
\tbrokenisv        62504    No      3

\t------------------------

\treprise ISV server status on bigserver (port 62503), up 00:03:49
\treprise software version v9.1 (build: 3)
\treprise comm version: v1.1
\treprise Debug log filename: <stdout>
\treprise Report log filename: <stdout>
\tStartup time: Wed Jul  6 13:27:44 2011

\t------------------------

\treprise license pool status on bigserver (port 62503)

\ttest1 v1.0
\t\tcount: 5, # reservations: 2, inuse: 2, exp: 31-dec-2011
\t\tobsolete: 0, min_remove: 120, total checkouts: 2
\ttest2 v1.0
\t\tUNCOUNTED, inuse: 0, exp: permanent
\t\tobsolete: 0, min_remove: 120, total checkouts: 0
\ttest3 v2.0, pool: 4
\t\tcount: 3, # reservations: 0, inuse: 1, exp: 1-jan-0
\t\tobsolete: 0, min_remove: 120, total checkouts: 1
\ttest3 v1.0, pool: 5
\t\tcount: 2, # reservations: 0, inuse: 1, exp: 30-jun-2011
\t\tobsolete: 0, min_remove: 120, total checkouts: 1

\t------------------------

\treprise license usage status on bigserver (port 62503)

\ttest1 v1.0: anna.berg@ws-07.corp.example 1/0 at 07/06 13:29  (handle: 41)
\ttest1 v1.0: Jean Dupont@PC 12 1/0 at 07/06 13:30  (handle: 42) (roaming)
\ttest3 v2.0: tom@sun1(v2.0) (809f418) 1/0 at 02/06 09:59
\ttest3 v1.0: eve@lab 1/0 at 07/06 08:00  (handle: 43) [I: project=x]
"""


def test_the_manuals_layout_with_v14_pools_and_every_kind_of_usage_line():
    report = parse_rlmstat(MANUAL, name="bigserver", tz=UTC, now=NOW)
    assert report.diagnostics == () and report.truncated_at is None
    assert report.reported_at == datetime(2011, 7, 6, 13, 31, 33, tzinfo=UTC)
    (server,) = report.servers
    assert [(v.name, v.status, v.version) for v in server.vendors] == [
        ("reprise", Status.UP, "v9.1"), ("brokenisv", Status.DOWN, None)]
    assert server.vendors[1].error == "ISV server not running (3 restarts)"
    test1, test2, test3 = server.features
    assert (test1.issued, test1.in_use, test1.reserved, test1.borrowed) == (5, 2, 2, 1)
    assert (test2.issued, test2.in_use, test2.uncounted) == (None, 0, True)
    assert test2.pools[0].expiry is None and test2.pools[0].license_type == "uncounted"
    # two pools of one product: one feature, its counts summed, each seat in its own pool
    assert (test3.issued, test3.in_use) == (5, 2)
    assert [(p.version, p.expiry) for p in test3.pools] == [("2.0", None),
                                                           ("1.0", date(2011, 6, 30))]
    assert [(c.user, c.host, c.pool) for c in test3.checkouts] == [("tom", "sun1", 0),
                                                                 ("eve", "lab", 1)]
    assert test3.checkouts[0].handle == 0x809F418
    assert test3.checkouts[0].start == datetime(2011, 2, 6, 9, 59, tzinfo=UTC)
    assert test3.checkouts[1].extra == "[I: project=x]"
    anna, jean = test1.checkouts
    assert (anna.user, anna.host, anna.borrowed) == ("anna.berg", "ws-07.corp.example", False)
    assert (jean.user, jean.host, jean.borrowed) == ("Jean Dupont", "PC 12", True)


def test_two_rlm_servers_in_one_output_are_two_servers():
    block = ("rlm status on lic{n} (port 5053)\nrlm software version v15.2 (build:1)\n"
             "------------------------\n"
             "demo license pool status on lic{n} (port 4{n}000)\n\n"
             "cad v1.0\n    count: {n}, # reservations: 0, inuse: 0, exp: permanent\n")
    report = parse_rlmstat(block.format(n=1) + block.format(n=2), name="site", tz=UTC, now=NOW)
    assert [(s.name, s.source, [f.issued for f in s.features]) for s in report.servers] == [
        ("5053@lic1", "5053@lic1", [1]), ("5053@lic2", "5053@lic2", [2])]


def test_roaming_seats_no_usage_line_shows_are_borrowed():
    text = ("demo license pool status on lic (port 40000)\n"
            "cad v1.0\n    count: 4, # reservations: 0, inuse: 3, exp: permanent\n"
            "    obsolete: 0, min_remove: 120, total checkouts: 9, roaming: 2\n")
    (feature,) = parse_rlmstat(text, tz=UTC, now=NOW).servers[0].features
    assert feature.borrowed == 2
    assert feature.reservations[-1].kind == BORROWED


def test_unknown_lines_and_fields_are_diagnosed_and_the_rest_still_read():
    text = ("rlmutil v15.0\n"
            "demo license pool status on lic (port 40000)\n"
            "cad v1.0\n    count: 4, # reservations: 0, inuse: 1, exp: permanent, colour: red\n"
            "what is this\n"
            "cam v2.0\n"
            "------------------------\n")
    report = parse_rlmstat(text, tz=UTC, now=NOW)
    assert [(d.line, d.message) for d in report.diagnostics] == [
        (4, "unknown pool field(s): colour: red"), (5, "unrecognised line"),
        (6, "licence pool without its count line")]
    cad, cam = report.servers[0].features
    assert (cad.issued, cad.in_use, cam.issued) == (4, 1, None)


def test_a_capture_cut_after_a_pool_line_is_truncated():
    text = ("demo license pool status on lic (port 40000)\n"
            "cad v1.0\n    count: 4, # reservations: 0, inuse: 1, exp: permanent\ncam v2.0\n")
    assert parse_rlmstat(text, tz=UTC, now=NOW).truncated_at == 4


def test_text_of_another_manager_is_not_recognised():
    lmstat = read_corpus("flexlm", "lmstat", "exporter_app2_three_server_triad.txt")
    report = parse_rlmstat(lmstat, tz=UTC, now=NOW)
    assert not report.recognised


# ---- the adapter's commands ----------------------------------------------------------------

class Query:
    name = "design"
    lmutil = "lmutil"  # the configuration's default, FlexLM's
    license = "5053@lic1"
    vendor = None


def test_status_and_reread_run_rlmutil():
    assert RLM.status_argv(Query()) == ["rlmutil", "rlmstat", "-a", "-c", "5053@lic1"]
    query = Query()
    query.lmutil, query.vendor = "/opt/rlm/rlmutil", "reprise"
    assert RLM.reread_argv(query) == ["/opt/rlm/rlmutil", "rlmreread", "-c", "5053@lic1",
                                      "reprise"]


def test_rlmremove_names_the_seats_host_port_isv_and_hex_handle():
    (server,) = parse_rlmstat(MANUAL, name="bigserver", tz=UTC, now=NOW).servers
    query = Query()
    query.lmutil = "/opt/rlm/rlmutil"
    seat = server.features[0].checkouts[0]
    assert RLM.remove_argv(query, server, "test1", seat) == [
        "/opt/rlm/rlmremove", "-q", "bigserver", "62503", "reprise", "41"]
    no_handle = Checkout("bob", "pc", None, "1.0", 0, None, None, None, None)
    with pytest.raises(ValueError, match="rlmremove needs"):
        RLM.remove_argv(query, server, "test1", no_handle)


def test_restarting_needs_the_configured_commands():
    with pytest.raises(ValueError, match="stop_command and start_command"):
        RLM.restart_argvs(Query())


def test_the_rlm_adapter_has_every_member_of_the_protocol():
    from lmconsole import adapter as protocol

    from .test_adapter_protocol import members

    assert sorted(name for name in members(protocol.LicenceManagerAdapter)
                  if not hasattr(RLM, name)) == []


def test_an_unreachable_server_then_one_that_answers_are_two_servers():
    text = ('rlmutil v15.0\nError connecting to "rlm" server\n'
            'Connection attempted to host: "lic1" on port 5053\nConnection refused\n\n'
            "rlm status on lic2 (port 5053), up 1d 00:00:01\n"
            "--------- ISV servers ----------\n"
            "   Name           Port Running Restarts Extra\n"
            "demo           40000   Yes      0    x\n")
    down, up = parse_rlmstat(text, name="site", tz=UTC, now=NOW).servers
    assert (down.source, down.status, down.features) == ("5053@lic1", Status.DOWN, ())
    assert down.error.endswith("Connection refused")
    assert (up.source, up.status, [v.name for v in up.vendors]) == ("5053@lic2", Status.UP,
                                                                     ["demo"])
