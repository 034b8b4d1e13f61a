"""The simulator's own licence-file and options-file readers."""

from __future__ import annotations

from datetime import date

import pytest

from lmconsole.adapters.flexlm.license import parse_license
from lmconsole.adapters.flexlm.options import parse_options as read_options
from lmconsole.adapters.flexlm.sim.licfile import parse_licence
from lmconsole.adapters.flexlm.sim.options import Client, FeatureSpec, parse_options
from lmconsole.adapters.flexlm.sim.scenario import load_scenario, scenario_names
from lmconsole.adapters.flexlm.whatif import Policy

from .corpus import read_corpus


def test_reads_the_corpus_licence_file_into_pools():
    lic = parse_licence(read_corpus("flexlm", "license",
                                    "flexlm_license_parser_vmware_esx_good.lic.txt"))
    assert [(s.host, s.hostid, s.port) for s in lic.servers] == [("this_host", "ANY", 27000)]
    assert [(v.name, v.port) for v in lic.vendors] == [("VMWARELM", 27010)]
    assert lic.use_server and not lic.problems
    # Two identical counted INCREMENTs add up; the uncounted lines are a pool of their own.
    pools = [(p.feature, p.count, p.vendor_string.split(";")[0]) for p in lic.pools]
    assert pools == [("PROD_ESX_FULL", 64, "licenseType=Server"),
                     ("VC_ESXHOST", 32, "licenseType=Server"),
                     ("PROD_ESX_FULL", None, "licenseType=Host"),
                     ("ESX_FULL_BACKUP", None, "licenseType=Host")]
    assert lic.pools[0].expiry is None  # permanent
    assert lic.pools[0].attrs["SIGN"].startswith("0778 0B1A")  # quoted across continuations


def test_licence_pools_split_on_version_and_vendor_string_and_first_feature_wins():
    lic = parse_licence(
        "SERVER h1 ANY\n"
        "SERVER h2 ANY 27001\n"
        "DAEMON demo /opt/demo /opt/demo.opt\n"
        "VENDOR other options= port=2000\n"
        "# a comment\n"
        "FEATURE f1 demo 1.0 31-dec-2026 2 SIGN=X\n"
        "FEATURE f1 demo 1.0 31-dec-2026 9 SIGN=Y\n"  # a second FEATURE line is ignored
        "INCREMENT f1 demo 1.0 31-dec-2026 3 SIGN=Z\n"
        "INCREMENT f1 demo 2.0 1-jan-0 4 SIGN=Z\n"
        'INCREMENT f1 demo 1.0 31-dec-2026 5 VENDOR_STRING="site b" SIGN=Z\n'
        "INCREMENT f2 demo 1.0 01-Jan-2027 uncounted HOSTID=ANY SIGN=Z\n"
        "INCREMENT broken demo 1.0 32-dec-2026 1\n")
    assert [s.port for s in lic.servers] == [27000, 27001]
    assert [(v.name, v.path, v.options, v.port) for v in lic.vendors] == [
        ("demo", "/opt/demo", "/opt/demo.opt", None), ("other", None, None, 2000)]
    assert [(p.version, p.count, p.vendor_string, p.expiry) for p in lic.pools_of("f1")] == [
        ("1.0", 5, None, date(2026, 12, 31)), ("2.0", 4, None, None),
        ("1.0", 5, "site b", date(2026, 12, 31))]
    assert lic.pools_of("f2")[0].count is None and lic.pools_of("f2")[0].expiry == date(2027, 1, 1)
    assert lic.features() == ["f1", "f2"]
    assert len(lic.problems) == 1 and lic.problems[0].startswith("line 12:")


def test_feature_lines_of_another_version_serve_their_own_pool():
    # dcyjukxm/FlexLM flexlm_v9.2/testsuite/pathtest.tem lines 14-15
    lic = parse_licence("SERVER h1 ANY\nVENDOR demo\n"
                        "FEATURE p6215 demo 1.0 permanent 1 SIGN=0\n"
                        "FEATURE p6215 demo 2.0 permanent 1 SIGN=0\n")
    assert [(p.version, p.count) for p in lic.pools_of("p6215")] == [("1.0", 1), ("2.0", 1)]


def test_a_quoted_feature_spec_with_a_colon_qualifies_the_feature():
    # Jestzer/Options.File.Checker sampleMLM.opt line 34
    opts = parse_options('RESERVE 7 "SIMULINK:asset_info=778899" DISPLAY pauladisplay\n')
    assert [(r.feature, r.kind, r.name, r.count) for r in opts.rules] == [
        (FeatureSpec("SIMULINK", "ASSET_INFO", "778899"), "DISPLAY", "pauladisplay", 7)]


def test_options_groups_merge_and_rules_keep_their_qualifiers():
    opts = parse_options(
        "GROUP eng alice bob \\\n  carol\r\n"
        "GROUP eng dave\r\n"
        "HOST_GROUP lab 10.0.0.* ws1\r\n"
        '# INCLUDE f1 USER nobody\r\n'
        'INCLUDE "f1 VERSION=2.0" GROUP eng\r\n'
        "EXCLUDE f1:VENDOR_STRING=x HOST_GROUP lab\r\n"
        "EXCLUDEALL USER mallory\r\n"
        "RESERVE 2 f1 USER_GROUP eng\r\n"
        "MAX 1 f2 USER ALL_USERS\r\n"
        "timeout f1 600\r\n"
        "TIMEOUTALL 7200\r\n"
        "NOLOG DENIED\r\n"
        "REPORTLOG +/var/log/report.rl\r\n"
        "BOGUS line\r\n"
        "MAX many f1 USER x")
    assert opts.groups == {"eng": ["alice", "bob", "carol", "dave"]}
    assert opts.host_groups == {"lab": ["10.0.0.*", "ws1"]}
    assert [(r.keyword, r.feature, r.kind, r.name, r.count) for r in opts.rules] == [
        ("INCLUDE", FeatureSpec("f1", "VERSION", "2.0"), "GROUP", "eng", 0),
        ("EXCLUDE", FeatureSpec("f1", "VENDOR_STRING", "x"), "HOST_GROUP", "lab", 0),
        ("EXCLUDE", None, "USER", "mallory", 0),
        ("RESERVE", FeatureSpec("f1"), "GROUP", "eng", 2),
        ("MAX", FeatureSpec("f2"), "USER", "ALL_USERS", 1)]
    assert opts.timeout_for("f1") == 600 and opts.timeout_for("f9") == 7200
    assert opts.nolog == {"DENIED"}
    assert [p.split(":")[0] for p in opts.problems] == ["line 15", "line 16"]
    assert opts.matches("HOST_GROUP", "lab", Client("x", "10.0.0.7", "d"))
    assert not opts.matches("GROUP", "eng", Client("Alice", "h", "d"))


def test_groupcaseinsensitive_applies_to_group_members():
    opts = parse_options("GROUPCASEINSENSITIVE ON\nGROUP eng Alice\nHOST_GROUP lab WS1")
    assert opts.matches("GROUP", "eng", Client("alice", "h", "d"))
    assert opts.matches("HOST_GROUP", "lab", Client("u", "ws1", "d"))
    assert not opts.matches("USER", "Alice", Client("alice", "h", "d"))  # USER stays exact


@pytest.mark.parametrize("name", scenario_names())
def test_the_simulator_reads_its_scenarios_as_the_product_models_do(name):
    """One grammar: the simulator's pools and rules are those of the licence-file model and
    of the what-if policy built from the options-file model."""
    scenario = load_scenario(name)
    text = scenario.licence_path.read_text(encoding="utf-8")
    lic, model = parse_licence(text), parse_license(text)
    assert [(p.feature, p.version, p.count) for p in lic.pools] == [
        (p.name, p.version, p.seats) for p in model.pools]
    for vendor in lic.vendors:
        options_text = (scenario.directory / vendor.options).read_text(encoding="utf-8")
        opts, policy = parse_options(options_text), Policy.from_options(
            read_options(options_text))
        assert [(r.keyword, r.feature and r.feature.name, r.kind, r.name, r.count, r.line)
                for r in opts.rules] == [
            (r.keyword, r.feature and r.feature.name, r.kind, r.name, r.count, r.line)
            for r in policy.rules]
        assert (opts.groups, opts.host_groups, opts.case_insensitive) == (
            policy.groups, policy.host_groups, policy.case_insensitive)
        assert opts.problems == []


def test_options_lines_the_grammar_knows_are_accepted_and_nothing_raises():
    opts = parse_options("\ufeffinclude_entitlement e1 USER a\n\\\n\nUSER_GROUP eng a\n"
                         "TIMEOUT f -60\n")
    assert opts.groups == {"eng": ["a"]} and opts.timeouts == []
    assert [p.split(":")[0] for p in opts.problems] == ["line 5"]
