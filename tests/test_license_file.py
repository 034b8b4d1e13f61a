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


def test_triad_vendor_forms_packages_and_pools():
    lic = parse_license(TRIAD)
    assert [port_number(s.port) for s in lic.servers] == [27001, 27001, 27001]
    daemon, mlm = lic.vendors
    assert (daemon.path, options_path(daemon), port_number(daemon.port)) == (
        "/opt/ansyslmd", "/opt/ansys.opt", 1055)
    assert (mlm.path, options_path(mlm), port_number(mlm.port)) == (None, "/etc/MLM.opt", 27100)
    assert lic.packages[0].components == (("f1", "1.0", 2), ("f2", None, None))
    assert lic.ignored == ()  # line 8 is not USER_BASED: a pool of its own
    pools = lic.pools_of("f1")
    assert [(p.version, p.seats, p.user_based) for p in pools] == [
        ("1.0", 3, True), ("1.0", 9, False), ("2.0", 2, False)]
    assert pools[2].expiry == date(2026, 3, 1)
    assert pools[2].lines[0].attribute("HOSTID") == "id1 id2"
    assert pools[2].lines[0].entry.end_line == 11
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


# Jestzer/Options.File.Checker Untitled-1.lic: each line ends with a stray `\`, the second
# at the end of the file (no final newline).
DANGLING = ("INCREMENT MATLAB MLM 49 01-jan-2099 150 252446F5A5CB \\\n"
            "INCREMENT SIMULINK MLM 49 01-jan-2099 150 BA43E5DA5E64 \\")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_continuation_into_a_keyword_line_ends_the_entry_there(newline):
    text = DANGLING.replace("\n", newline)
    lic = parse_license(text)
    assert [(f.name, f.entry.line, f.entry.end_line, f.bare_words) for f in lic.features] == [
        ("MATLAB", 1, 1, ("252446F5A5CB",)), ("SIMULINK", 2, 2, ("BA43E5DA5E64",))]
    assert [(p.kind, p.line, p.column) for p in lic.problems] == [
        ("continued_into_entry", 1, 54), ("continued_at_end", 2, 56)]
    assert lic.summary()["seats_by_feature"] == {"MATLAB": 150, "SIMULINK": 150}
    assert format_license(lic) == text


def test_a_keyword_inside_a_continued_quoted_value_does_not_end_the_entry():
    # The case FlexLM's l_lfgets.c names (P6288): a quoted value continued onto a line that
    # starts with a keyword. Here the keyword is one of the licence file's.
    text = 'FEATURE f v 1.0 permanent 1 NOTICE="for the \\\n  PACKAGE team" SIGN=1\n'
    lic = parse_license(text)
    assert [(e.kind, e.line, e.end_line) for e in lic.entries] == [("FEATURE", 1, 2)]
    assert lic.features[0].attribute("NOTICE").split() == ["for", "the", "PACKAGE", "team"]
    assert lic.problems == ()


def test_feature_lines_of_another_version_or_hostid_are_pools_of_their_own():
    # dcyjukxm/FlexLM flexlm_v9.2/testsuite/pathtest.tem lines 14-15, and the first three
    # of the 25 node-locked lines of flexlm_v9.2/ulite/utils/license.dat.
    lic = parse_license("FEATURE p6215 demo 1.0 permanent 1 SIGN=0\n"
                        "FEATURE p6215 demo 2.0 permanent 1 SIGN=0\n"
                        "FEATURE f1 demo 1.0 permanent uncounted 9C9A82E2C3BC "
                        "HOSTID=ID_STRING=12345678\n"
                        "FEATURE f1 demo 1.0 permanent uncounted 195D83E6C3BC "
                        "HOSTID=ID_STRING=12345679\n"
                        "FEATURE f1 demo 1.0 permanent uncounted A49A7AE2C3BC "
                        "HOSTID=ID_STRING=12345670\n")
    assert lic.ignored == ()
    assert [(p.version, p.seats) for p in lic.pools_of("p6215")] == [("1.0", 1), ("2.0", 1)]
    assert [p.lines[0].attribute("HOSTID") for p in lic.pools_of("f1")] == [
        "ID_STRING=12345678", "ID_STRING=12345679", "ID_STRING=12345670"]
    assert (lic.summary()["pools"], lic.summary()["seats_by_feature"]["p6215"]) == (5, 2)


def test_a_later_feature_line_of_the_same_pool_is_ignored_and_an_increment_adds():
    # Felix0427d/FPGA license.dat repeats lines 35-37 at 62-64: the second is ignored.
    repeated = ("FEATURE LSC_IP_SC_HT_gp_timer lattice 2027.03 16-mar-2027 uncounted \\\n"
                "\t441C2E326B29 VENDOR_STRING=LSC_IP_SC_HT_gp_timer \\\n"
                "\tHOSTID=ec8e77ff44ee\n")
    lic = parse_license(repeated + repeated)
    assert [line.entry.line for line in lic.ignored] == [4]
    assert len(lic.pools) == 1
    lic = parse_license("INCREMENT f v 1.0 permanent 2 SIGN=1\n"
                        "FEATURE f v 1.0 permanent 3 SIGN=2\n"
                        "INCREMENT f v 1.0 permanent 4 SIGN=3\n")
    assert (lic.ignored, [p.seats for p in lic.pools]) == ((), [9])  # first FEATURE counts


def test_package_version_is_optional():
    # dcyjukxm/FlexLM flexlm_v9.2/testsuite/package.tem line 1 (a legacy start: date where a
    # version may stand) and line 3; borrow.tem line 1 (version, then an old-style key).
    lic = parse_license(
        'PACKAGE suite demo start:1-jan-94 SIGN=0 COMPONENTS="comp1 comp2" \\\n'
        "\t OPTIONS=SUITE SUPERSEDE ISSUED=1-jan-2000\n"
        "PACKAGE pkg demo 1.050 start:1-jan-94 SIGN=0 COMPONENTS=comp3:2.0:2\n"
        'PACKAGE pkg demo 1.0 0 COMPONENTS="comp1 comp2" \n')
    assert [(p.name, p.version) for p in lic.packages] == [
        ("suite", None), ("pkg", "1.050"), ("pkg", "1.0")]
    assert lic.packages[1].components == (("comp3", "2.0", 2),)
