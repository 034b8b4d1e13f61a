"""The licence-file model: round trips, typed lines, pools, expiry and the summary."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmconsole.adapters.flexlm.license import (
    format_license,
    options_path,
    parse_license,
    port_number,
)

from .corpus import CORPUS

LICENSE_FILES = sorted((CORPUS / "flexlm" / "license").iterdir())
RLM_FILES = sorted((CORPUS / "rlm" / "license").iterdir())
VMWARE = CORPUS / "flexlm" / "license" / "flexlm_license_parser_vmware_esx_good.lic.txt"


def raw(path) -> str:
    return path.read_bytes().decode("utf-8")


@pytest.mark.parametrize("path", LICENSE_FILES + RLM_FILES, ids=lambda p: p.name)
def test_corpus_round_trips_byte_for_byte(path):
    text = raw(path)
    assert format_license(parse_license(text)) == text


def test_vmware_file_lines_pools_and_summary():
    lic = parse_license(raw(VMWARE))
    assert [(s.host, s.hostid, port_number(s.port)) for s in lic.servers] == [
        ("this_host", "ANY", 27000)]
    assert [(v.name, port_number(v.port)) for v in lic.vendors] == [("VMWARELM", 27010)]
    assert lic.use_server
    first = lic.features[0]
    assert (first.entry.line, first.entry.end_line, first.seats, first.expiry) == (7, 12, 32, None)
    assert first.attribute("SIGN").startswith("0778 0B1A")
    assert first.attribute("VENDOR_STRING") == (
        "licenseType=Server;capacityType=cpuPackage;gp=14;exclude=BACKUP")
    # PROD_ESX_FULL: two counted INCREMENTs of one pool add up; the uncounted ones differ
    # in VENDOR_STRING and HOSTID, so they are a second pool.
    prod = lic.pools_of("PROD_ESX_FULL")
    assert [(p.seats, [line.entry.line for line in p.lines]) for p in prod] == [
        (64, [7, 27]), (None, [21, 34])]
    summary = lic.summary()
    assert (summary["features"], summary["pools"], summary["seats"],
            summary["uncounted_pools"], summary["earliest_expiry"]) == (3, 4, 96, 2, None)
    assert summary["seats_by_feature"] == {"PROD_ESX_FULL": 64, "VC_ESXHOST": 32,
                                           "ESX_FULL_BACKUP": None}


def test_rlm_file_does_not_crash_and_is_all_unknown():
    lic = parse_license(raw(RLM_FILES[0]))
    assert {e.kind for e in lic.entries} <= {"unknown", "comment"}
    assert lic.features == ()


TRIAD = """\
SERVER a 0011aabbccdd 27001
SERVER b 0011aabbccde 27001
SERVER c 0011aabbccdf 27001
DAEMON ansyslmd /opt/ansyslmd /opt/ansys.opt 1055
VENDOR MLM options=/etc/MLM.opt port=27100
PACKAGE suite ansyslmd 1.0 COMPONENTS="f1:1.0:2 f2" OPTIONS=SUITE SIGN=AB
FEATURE f1 ansyslmd 1.0 1-jan-0 3 USER_BASED SIGN=1
FEATURE f1 ansyslmd 1.0 31-dec-2030 9 SIGN=2
INCREMENT f1 ansyslmd 2.0 01-Mar-2026 2 HOSTID="id1 id2" \\
\tSIGN="AA \\
\tBB"
UPGRADE f1 ansyslmd 1.0 2.0 permanent 1 SIGN=3
"""


def test_triad_vendor_forms_packages_and_first_feature_rule():
    lic = parse_license(TRIAD)
    assert [port_number(s.port) for s in lic.servers] == [27001, 27001, 27001]
    daemon, mlm = lic.vendors
    assert (daemon.path, options_path(daemon), port_number(daemon.port)) == (
        "/opt/ansyslmd", "/opt/ansys.opt", 1055)
    assert (mlm.path, options_path(mlm), port_number(mlm.port)) == (None, "/etc/MLM.opt", 27100)
    assert lic.packages[0].components == (("f1", "1.0", 2), ("f2", None, None))
    assert [line.entry.line for line in lic.ignored] == [8]
    pools = lic.pools_of("f1")
    assert [(p.version, p.seats, p.user_based) for p in pools] == [("1.0", 3, True),
                                                                   ("2.0", 2, False)]
    assert pools[1].expiry == date(2026, 3, 1)
    assert pools[1].lines[0].attribute("HOSTID") == "id1 id2"
    assert pools[1].lines[0].entry.end_line == 11
    upgrade = lic.features[-1]
    assert (upgrade.keyword, upgrade.version, upgrade.seats) == ("UPGRADE", "2.0", 1)
    assert format_license(lic) == TRIAD


def test_malformed_entries_are_recorded_with_lines():
    text = ("FEATURE f v 1.0 permanent 1 SIGN=\"AB\n  CD\"\n"
            "FEATURE g v 1.0 permanent 1 \\\n\nhello world\n# FEATURE h v \\\n#\tSIGN=x")
    lic = parse_license(text)
    assert [(p.kind, p.line) for p in lic.problems] == [
        ("missing_backslash", 2), ("broken_continuation", 4)]
    assert [e.kind for e in lic.entries] == ["FEATURE", "FEATURE", "blank", "unknown",
                                             "comment", "comment"]
    assert format_license(lic) == text


@settings(max_examples=300)
@given(st.text())
def test_never_raises_and_round_trips_any_text(text):
    lic = parse_license(text)
    assert format_license(lic) == text
    lic.summary()


@settings(max_examples=300)
@given(st.lists(st.sampled_from(["FEATURE", "INCREMENT", "SERVER", "VENDOR", "PACKAGE",
                                 "UPGRADE", " f", " v", " 1.0", " 1-jan-0", " 31-feb-2020",
                                 " 3", " uncounted", ' SIGN="A', ' B"', " \\", "\n", "\r\n",
                                 "\t", "#", " port=", " options=", " x=", " USER_BASED"]),
                max_size=40))
def test_never_raises_on_license_like_text(parts):
    text = "".join(parts)
    lic = parse_license(text)
    assert format_license(lic) == text
    lic.summary()
