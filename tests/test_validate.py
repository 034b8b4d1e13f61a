"""One minimal bad file per validator code, a clean file, and validation never raising."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmconsole.adapters.flexlm import validate
from lmconsole.adapters.flexlm.license import parse_license
from lmconsole.adapters.flexlm.options import parse_options
from lmconsole.adapters.flexlm.validate import validate_license, validate_options

LICENSE = """\
SERVER lic1 0011aabbccdd 27000
VENDOR MLM /opt/MLM options=/etc/MLM.opt port=27100
FEATURE MATLAB MLM 39 permanent 10 SIGN=1
FEATURE Viewer MLM 1.0 permanent 5 SIGN=2
FEATURE NNU MLM 1.0 permanent 2 USER_BASED SIGN=3
INCREMENT Multi MLM 1.0 permanent 2 SIGN=4
INCREMENT Multi MLM 2.0 permanent 3 SIGN=5
PACKAGE Suite MLM 1.0 COMPONENTS="MATLAB Viewer" SIGN=6
"""
TODAY = date(2026, 1, 15)


RECENT = {"MATLAB": {"bob", "alice", "carol", "dave"}, "SIMULINK": {"erin"}}


def options_codes(text, known=()):
    findings = validate_options(parse_options(text), parse_license(LICENSE), known, RECENT)
    return [(f.code, f.line) for f in findings]


def license_codes(text):
    return [(f.code, f.line) for f in validate_license(parse_license(text), TODAY)]


@pytest.mark.parametrize("code, text, line", [
    ("OPT001", "FROBNICATE x", 1),
    ("OPT002", "INCLUDE MATLAB USERS bob", 1),
    ("OPT003", "RESERVE two MATLAB USER bob", 1),
    ("OPT004", "INCLUDE MATLAB USER bob alice", 1),
    ("OPT005", "INCLUDE MATLAB GROUP nobody", 1),
    ("OPT006", "GROUP empty\nINCLUDE MATLAB GROUP empty", 1),
    ("OPT007", "GROUP g a\nGROUP g b\nINCLUDE MATLAB GROUP g", 2),
    ("OPT008", "HOST_GROUP labs h1\nINCLUDE MATLAB GROUP labs", 2),
    ("OPT009", "INCLUDE MATLB USER bob", 1),
    ("OPT010", "INCLUDE NNU USER bob", 1),
    ("OPT011", "GROUP g a\nRESERVE 3 Viewer GROUP g\nRESERVE 3 Viewer USER b", 3),
    ("OPT012", "MAX 11 MATLAB USER bob", 1),
    ("OPT013", "GROUP g a b c d e f\nINCLUDE Viewer GROUP g", 2),
    ("OPT014", "MAX 2 MATLAB USER ALL_USERS\nMAX 5 MATLAB USER bob", 2),
    ("OPT015", "GROUP g bob\nINCLUDE MATLAB GROUP g\nEXCLUDE MATLAB USER bob", 2),
    ("OPT016", "TIMEOUT MATLAB 300", 1),
    ("OPT017", "GROUP big " + " ".join(["user"] * 900), 1),
    ("OPT018", "INCLUDE \u201cMATLAB key=1\u201d USER bob", 1),
    ("OPT019", "INCLUDE MATLAB HOST 10.0.0.*", 1),
    ("OPT020", "NOLOG DENIED", 1),
    ("OPT021", "INCLUDE MATLAB USER Bob", 1),
    ("OPT022", "INCLUDE MATLAB USER bob\nINCLUDE_ENTITLEMENT e1 USER bob", 2),
    ("OPT023", "INCLUDE MATLAB:VERSION=40 USER bob", 1),
    ("OPT024", "INCLUDE MATLAB USER bob # temp", 1),
    ("OPT025", "INCLUDE MATLAB USER ALL_USERS", 1),
    ("OPT026", "INCLUDE MATLAB USER bob\nGROUPCASEINSENSITIVE ON", 2),
    ("OPT027", "INCLUDE MATLAB HOST ws1", 1),
    ("OPT028", "FQDN_MATCHING lenient\nFQDN_MATCHING exact", 1),
    ("OPT029", "INCLUDE MATLAB USER bob", 1),
])
def test_each_options_code(code, text, line):
    assert (code, line) in options_codes(text, known={"bob", "ws1.example.com"})


@pytest.mark.parametrize("code, text", [
    ("OPT024", "# temp\nINCLUDE MATLAB USER bob"),
    ("OPT025", "MAX 2 MATLAB USER ALL_USERS\nMAX 2 MATLAB GROUP ALL_GROUPS"),
    ("OPT026", "# case\n\nGROUPCASEINSENSITIVE ON\nINCLUDE MATLAB USER bob"),
    ("OPT027", "INCLUDE MATLAB HOST ws1.example.com\nHOST_GROUP h lab.example.com ws2"),
    ("OPT027", "FQDN_MATCHING lenient\nINCLUDE MATLAB HOST ws1"),
    ("OPT028", "FQDN_MATCHING lenient"),
])
def test_good_variant_has_no_finding(code, text):
    codes = options_codes(text, known={"bob", "ws1.example.com", "lab.example.com", "ws2"})
    assert code not in [c for c, _ in codes]


def test_inline_comment_is_one_finding_not_several():
    text = ("INCLUDE MATLAB USER bob # temp\nGROUP g a b #old team\nTIMEOUTALL 3600 # 1 h\n"
            "INCLUDE MATLAB USER Bob \u201cx\u201d # Bob")
    findings = validate_options(parse_options(text), parse_license(LICENSE), {"bob"})
    assert [(f.code, f.line, f.column) for f in findings] == [
        ("OPT024", 1, 25), ("OPT024", 2, 13), ("OPT024", 3, 17), ("OPT021", 4, 21),
        ("OPT004", 4, 25), ("OPT018", 4, 25), ("OPT024", 4, 29)]
    assert findings[0].message.startswith("`#` starts a comment only at the beginning of a "
                                          "line; the daemon reads `# temp` as names")


def test_all_users_and_all_groups_outside_max():
    text = ("RESERVE 1 MATLAB GROUP ALL_GROUPS\nMAX 2 MATLAB USER ALL_GROUPS\n"
            "MAX 2 MATLAB GROUP ALL_USERS\nGROUP g ALL_USERS")
    assert options_codes(text) == [("OPT025", 1), ("OPT025", 2), ("OPT025", 3), ("OPT025", 4)]


def test_fqdn_short_name_known_only_as_short_host():
    text = "INCLUDE MATLAB HOST ws1.example.com\nFQDN_MATCHING exact\nINCLUDE MATLAB HOST ws2"
    findings = validate_options(parse_options(text), parse_license(LICENSE),
                                {"ws1", "ws2.example.com", "ws2.other.org"})
    assert [(f.code, f.line, f.column) for f in findings] == [("OPT027", 1, 21),
                                                              ("OPT027", 3, 21)]
    assert "'ws2.example.com' or 'ws2.other.org'" in findings[1].message


PACKAGE_LICENSE = """\
SERVER lic1 0011aabbccdd 27000
VENDOR v
FEATURE pkg v 1.0 permanent 3 SIGN=1
PACKAGE pkg v 1.0 COMPONENTS="f1:1.0:2 f2:1.0:4" SIGN=2
FEATURE suite v 1.0 permanent 3 SIGN=3
PACKAGE suite v 1.0 COMPONENTS="f3:1.0:2" OPTIONS=SUITE SIGN=4
"""


@pytest.mark.parametrize("text, codes", [
    ("RESERVE 6 pkg USER bob", []),
    ("RESERVE 7 pkg USER bob", [("OPT011", 1)]),
    ("MAX 7 pkg USER bob", [("OPT012", 1)]),
    ("RESERVE 3 suite USER bob", []),
    ("RESERVE 4 suite USER bob", [("OPT011", 1)]),
    ("INCLUDE f1 USER bob\nRESERVE 1 f3 USER bob", []),
])
def test_package_seats_are_feature_count_times_component_count(text, codes):
    findings = validate_options(parse_options(text), parse_license(PACKAGE_LICENSE))
    assert [(f.code, f.line) for f in findings] == codes


def test_did_you_mean_and_qualifier_example():
    findings = validate_options(parse_options("INCLUDE MATLB USER bob\nINCLUDE Multi USER bob"),
                                parse_license(LICENSE))
    assert "did you mean MATLAB?" in findings[0].message
    assert (findings[1].code, findings[1].column) == ("OPT010", 9)
    assert "Multi:VERSION=1.0" in findings[1].message


def test_clean_options_file_and_qualified_and_package_names():
    text = ("GROUPCASEINSENSITIVE ON\nGROUP engineers natal efrat rachel\n"
            "RESERVE 2 Viewer GROUP engineers\nINCLUDE NNU:VERSION=1.0 USER bob\n"
            "INCLUDE Multi:VERSION=2.0 USER bob\nINCLUDE Suite USER bob\n"
            "MAX 3 MATLAB USER bob\nMAX 2 MATLAB USER ALL_USERS\nTIMEOUTALL 3600\n")
    assert options_codes(text, known={"Natal"}) == []


def test_license_checks_need_the_license():
    findings = validate_options(parse_options("INCLUDE MATLB USER bob"))
    assert findings == []


@pytest.mark.parametrize("code, text, line", [
    ("LIC001", "this is free text", 1),
    ("LIC002", "FEATURE f v 1.0 permanent 1 SIGN=\"AB\n  CD\"", 2),
    ("LIC003", "FEATURE f v 1.0 permanent 1 \\\n\n", 2),
    ("LIC004", "FEATURE f v 1.0 permanent 1 SIGN=\"AB", 1),
    ("LIC005", "FEATURE f v 1.0", 1),
    ("LIC006", "FEATURE f v 1.0 permanent lots SIGN=1", 1),
    ("LIC007", "FEATURE f v 1.0 31-foo-2026 1 SIGN=1", 1),
    ("LIC008", "FEATURE f v 1.0 1-jan-2026 1 SIGN=1", 1),
    ("LIC009", "INCREMENT f v 1.0 1-feb-2026 1 SIGN=1", 1),
    ("LIC010", "SERVER a 00aa 27001\nSERVER b 00aa 27001\nSERVER c 00ab 27001", 2),
    ("LIC011", "SERVER a 00aa 99999", 1),
    ("LIC012", "SERVER a 00aa 27001\nSERVER b 00ab\nSERVER c 00ac 27001", 2),
    ("LIC013", "SERVER a 00aa 27001\nSERVER b 00ab 27001", 1),
    ("LIC014", 'VENDOR v /opt/v OPTIONS="/etc/my options.opt"', 1),
    ("LIC015", "VENDOR v /opt/v /etc/v.txt", 1),
    ("LIC016", "FEATURE f v 1.0 permanent 1 SIGN=1\nFEATURE f v 2.0 permanent 3 SIGN=2", 2),
    ("LIC017", "FEATURE f v 1.0 permanent uncounted SIGN=1", 1),
])
def test_each_license_code(code, text, line):
    assert (code, line) in license_codes(text)


def test_clean_license_file():
    assert license_codes(LICENSE) == []


def test_every_documented_code_is_tested():
    documented = set(re.findall(r"\b((?:OPT|LIC)\d{3})\b", validate.__doc__))
    tested = {p[0] for p in test_each_options_code.pytestmark[0].args[1]} | {
        p[0] for p in test_each_license_code.pytestmark[0].args[1]}
    assert documented == tested


@settings(max_examples=200)
@given(st.text(), st.text())
def test_validation_never_raises(options_text, license_text):
    validate_options(parse_options(options_text), parse_license(license_text), {"a", "B"})
    validate_license(parse_license(license_text), TODAY)


@settings(max_examples=300)
@given(st.lists(st.sampled_from(["INCLUDE ", "RESERVE ", "MAX ", "GROUP ", "HOST_GROUP ",
                                 "TIMEOUT ", "NOLOG ", "MATLAB", ":VERSION=1.0", "Multi",
                                 " USER ", " GROUP ", " HOST_GROUP ", " g", " 3", " ALL_USERS",
                                 "\n", "\\\n", '"', " 10.0.0.*"]), max_size=30))
def test_validation_never_raises_on_option_like_text(parts):
    validate_options(parse_options("".join(parts)), parse_license(LICENSE), {"g"})


def lockouts(text: str) -> list:
    findings = validate_options(parse_options(text), parse_license(LICENSE),
                                recent_users=RECENT)
    return [(f.line, f.message) for f in findings if f.code == "OPT029"]


def test_an_include_list_that_locks_out_recent_users_says_how_many():
    text = "GROUP team bob Alice\nINCLUDE MATLAB GROUP team\nINCLUDE MATLAB USER carol"
    ((line, message),) = lockouts(text)
    assert line == 2
    assert message == ("the INCLUDE list of MATLAB admits only those on it: 2 of its 4 "
                       "recent users would be denied (alice, dave)")
    assert lockouts("GROUPCASEINSENSITIVE ON\n" + text)[0][1].endswith(
        "1 of its 4 recent users would be denied (dave)")  # Alice is alice then
    assert lockouts("INCLUDEALL USER bob") == [
        (1, "the INCLUDE list of MATLAB admits only those on it: 3 of its 4 recent users "
            "would be denied (alice, carol, dave)"),
        (1, "the INCLUDE list of SIMULINK admits only those on it: 1 of its 1 recent users "
            "would be denied (erin)")]


def test_no_lockout_finding_when_every_recent_user_is_listed_or_it_cannot_be_judged():
    assert lockouts("GROUP all bob alice carol dave\nINCLUDE MATLAB GROUP all") == []
    assert lockouts("INCLUDE MATLAB HOST ws1\nINCLUDE MATLAB USER bob") == []  # by host
    assert lockouts("INCLUDE Viewer USER bob") == []  # nobody used it lately
    findings = validate_options(parse_options("INCLUDE MATLAB USER bob"), None)
    assert [f.code for f in findings] == []  # no usage known: nothing to say
