"""One minimal bad file per validator code, a clean file, and validation never raising."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmconsole.adapters.flexlm import validate
from lmconsole.adapters.flexlm import validate_license as license_checks
from lmconsole.adapters.flexlm.license import parse_license
from lmconsole.adapters.flexlm.options import parse_options
from lmconsole.adapters.flexlm.validate import validate_options
from lmconsole.adapters.flexlm.validate_license import validate_license
from lmconsole.adapters.flexlm.validate_vendor import unknown_vendor_note

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
    ("OPT030", "GROUP g alice \\\nINCLUDE MATLAB GROUP g", 2),
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
    ("OPT030", "GROUP g alice \\\n  INCLUDE bob\nGROUP h carol \\\nmax Max"),
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
    # Without recent users: with them, `INCLUDE Suite` locks MATLAB's out (next tests).
    assert validate_options(parse_options(text), parse_license(LICENSE), {"Natal"}) == []


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
    ("LIC016", "FEATURE f v 1.0 permanent 1 SIGN=1\nFEATURE f v 1.0 permanent 3 SIGN=2", 2),
    ("LIC017", "FEATURE f v 1.0 permanent uncounted SIGN=1", 1),
    ("LIC020", "FEATURE f v 1.0 permanent 1 SIGN=1 \\\nFEATURE g v 1.0 permanent 1 SIGN=2", 1),
    ("LIC021", "FEATURE f v 1.0 permanent 1 SIGN=1 \\", 1),
    ("LIC022", "FEATURE f v 1.0 permanent 1 HOSTID=ANY", 1),
])
def test_each_license_code(code, text, line):
    assert (code, line) in license_codes(text)


def test_clean_license_file():
    assert license_codes(LICENSE) == []


def test_expiry_is_judged_against_the_date_given_and_not_at_all_without_one():
    lic = parse_license("INCREMENT f v 1.0 31-dec-2026 1 SIGN=1\n")

    def codes(today):
        return [f.code for f in validate_license(lic, today)]

    assert codes(date(2026, 3, 2)) == []
    assert codes(date(2026, 12, 1)) == ["LIC009"]
    assert codes(date(2027, 1, 1)) == ["LIC008"]
    assert codes(None) == []


def test_the_licence_language_judges_expiry_by_the_servers_date():
    from lmconsole.adapter import LiveUse
    from lmconsole.adapters.flexlm.language import LicenseLanguage

    text = "INCREMENT f v 1.0 31-dec-2026 1 SIGN=1\n"

    def judged(live):
        return [f.code for f in LicenseLanguage().check(text, live)]

    assert judged(LiveUse(today=date(2026, 12, 21))) == ["LIC009"]
    assert judged(LiveUse(today=date(2027, 1, 1))) == ["LIC008"]
    assert judged(LiveUse()) == []  # the server's date unknown


TWO_DAEMONS = LICENSE + "VENDOR ansyslmd\nFEATURE ANSYS ansyslmd 1.0 permanent 2 SIGN=9\n"


@pytest.mark.parametrize("code, vendor, text, line", [
    ("OPT031", "MLM", "INCLUDE ANSYS USER bob", 1),
    ("OPT032", None, "INCLUDE ANSYS USER bob", 1),
])
def test_each_vendor_daemon_code(code, vendor, text, line):
    """The checks of an options file on a licence of several vendor daemons: OPT031 knowing
    whose file it is, OPT032 (check-options' note) not knowing."""
    licence = parse_license(TWO_DAEMONS)
    findings = validate_options(parse_options(text), licence, vendor=vendor) if vendor \
        else [unknown_vendor_note(licence)]
    assert (code, line) in [(f.code, f.line) for f in findings]


def test_every_documented_code_is_tested():
    documented = set(re.findall(r"\b((?:OPT|LIC)\d{3})\b",
                                validate.__doc__ + license_checks.__doc__))
    tested = {p[0] for p in test_each_options_code.pytestmark[0].args[1]} | {
        p[0] for p in test_each_license_code.pytestmark[0].args[1]} | {
        p[0] for p in test_each_vendor_daemon_code.pytestmark[0].args[1]}
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


def test_lockouts_are_judged_as_the_daemon_decides():
    """The what-if's model decides (validate_lockout): a package's INCLUDE applies to its
    components; USER lines keep their case under GROUPCASEINSENSITIVE; an EXCLUDE, not the
    INCLUDE, is what shuts out a user on both."""
    assert lockouts("INCLUDE Suite USER bob") == [
        (1, "the INCLUDE list of MATLAB admits only those on it: 3 of its 4 recent users "
            "would be denied (alice, carol, dave)")]
    assert lockouts("GROUPCASEINSENSITIVE ON\nINCLUDE MATLAB USER Bob")[0][1].endswith(
        "4 of its 4 recent users would be denied (alice, bob, carol, dave)")
    assert lockouts("EXCLUDE MATLAB USER dave\nGROUP all bob alice carol\n"
                    "INCLUDE MATLAB GROUP all") == []


def test_a_host_list_is_judged_for_users_seen_with_a_host():
    recent = {"MATLAB": {("bob", "ws1", None), ("carol", "ws2", None), "dave"}}
    findings = validate_options(parse_options("INCLUDE MATLAB HOST ws1"), None,
                                recent_users=recent)
    assert [(f.code, f.message) for f in findings] == [
        ("OPT029", "the INCLUDE list of MATLAB admits only those on it: 1 of its 3 recent "
                   "users would be denied (carol)")]  # dave's host is not known: not judged


# Jestzer/Options.File.Checker Example_Files/fake_license.lic: the NNU pool of MATLAB
# (USER_BASED, asset_info=123456) and the concurrent one (asset_info=1234567), both v51.
MLM_LICENSE = """\
INCREMENT MATLAB MLM 51 31-dec-2026 12 12345ABCDXYZ \\
\tVENDOR_STRING=vi=0:at=276:ae=1:lu=300:lo=NNU:ei=7654321:lr=1:ep=15: \\
\tHOSTID=ID=123456 USER_BASED=6 DUP_GROUP=UH asset_info=123456 \\
\tISSUED=02-Aug-2024 BORROW=720 NOTICE=product=MATLAB SN=123456 \\
\tSIGN="0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 \\
\t0000 0000 0000 0000"
INCREMENT MATLAB MLM 51 31-dec-2026 4 C2345ABCDXYZ \\
\tVENDOR_STRING=vi=0:at=276:ae=1:lu=300:lo=CN:ei=7654321:lr=1:ep=15: \\
\tHOSTID=ID=123456 asset_info=1234567 \\
\tISSUED=02-Aug-2024 BORROW=720 NOTICE=product="MATLAB Parallel Server" \\
\tSN=123456 SIGN="0000 0000 0000 0000 0000 0000 0000 0000 0000 \\
\t0000 0000 0000 0000 0000 0000"
"""


def mlm_findings(text: str) -> list[tuple[str, int, str]]:
    findings = validate_options(parse_options(text), parse_license(MLM_LICENSE))
    return [(f.code, f.line, f.message) for f in findings]


def test_a_quoted_spec_with_a_colon_names_the_feature_before_it():
    # Jestzer/Options.File.Checker sampleMLM.opt line 34 has this form for SIMULINK
    assert mlm_findings('RESERVE 1 "MATLAB:asset_info=1234567" USER bob') == []
    assert mlm_findings('RESERVE 1 "MATLAB:asset_info=7" USER bob') == [
        ("OPT023", 1, "no licence line of MATLAB has asset_info=7")]


def test_the_qualifier_hint_names_a_field_that_tells_the_pools_apart():
    # Jestzer/Options.File.Checker options.opt line 4
    assert mlm_findings("INCLUDE MATLAB GROUP ratcrab_users\nGROUP ratcrab_users a") == [
        ("OPT010", 1, "MATLAB has 2 pools, 1 of them USER_BASED: qualify it, e.g. "
                      "MATLAB:asset_info=123456 or MATLAB:asset_info=1234567")]


def test_a_qualifier_that_still_matches_both_pools_keeps_the_warning_and_seats_apart():
    findings = mlm_findings("INCLUDE MATLAB:VERSION=51 USER bob\n"
                            "RESERVE 13 MATLAB:VERSION=51 USER bob")
    assert findings == [
        ("OPT010", 1, "MATLAB:VERSION=51 matches 2 pools, 1 of them USER_BASED: narrow the "
                      "qualifier, e.g. MATLAB:asset_info=123456 or MATLAB:asset_info=1234567"),
        # 13 > the NNU pool's 12: the daemon reserves in each pool the spec matches
        ("OPT011", 2, "reservations for MATLAB reach 13, but its pool of line 1 has 12 seats; "
                      "only the first apply"),
        ("OPT010", 2, "MATLAB:VERSION=51 matches 2 pools, 1 of them USER_BASED: narrow the "
                      "qualifier, e.g. MATLAB:asset_info=123456 or MATLAB:asset_info=1234567")]
    assert mlm_findings("RESERVE 4 MATLAB:asset_info=1234567 USER bob\n"
                        "RESERVE 12 MATLAB:asset_info=123456 USER ann") == []
    assert [c for c, _, _ in mlm_findings("RESERVE 5 MATLAB:asset_info=1234567 USER bob")] == [
        "OPT011"]


def test_a_single_pool_needs_no_qualifier_unless_user_based():
    assert options_codes("INCLUDE NNU:VERSION=1.0 USER bob\nINCLUDE Viewer USER bob") == []
    findings = validate_options(parse_options("INCLUDE NNU USER bob"), parse_license(LICENSE))
    assert [f.message for f in findings] == ["NNU is USER_BASED: qualify it, e.g. "
                                             "NNU:VERSION=1.0"]


def test_a_later_feature_of_another_version_is_a_pool_options_can_name():
    # dcyjukxm/FlexLM flexlm_v9.2/testsuite/pathtest.tem lines 14-15
    lic = parse_license("FEATURE p6215 demo 1.0 permanent 1 SIGN=0\n"
                        "FEATURE p6215 demo 2.0 permanent 1 SIGN=0\n")
    assert validate_license(lic, TODAY) == []
    findings = validate_options(parse_options("RESERVE 1 p6215:VERSION=2.0 USER bob"), lic)
    assert findings == []
    findings = validate_options(parse_options("RESERVE 2 p6215:VERSION=2.0 USER bob"), lic)
    assert [f.code for f in findings] == ["OPT011"]


def test_the_ignored_feature_line_names_the_one_that_counts():
    # Felix0427d/FPGA license.dat lines 35-37, repeated at 62-64
    repeated = ("FEATURE LSC_IP_SC_HT_gp_timer lattice 2027.03 16-mar-2027 uncounted \\\n"
                "\t441C2E326B29 VENDOR_STRING=LSC_IP_SC_HT_gp_timer \\\n"
                "\tHOSTID=ec8e77ff44ee\n")
    findings = validate_license(parse_license(repeated + repeated), TODAY)
    assert [(f.code, f.line, f.message) for f in findings] == [
        ("LIC016", 4, "FEATURE LSC_IP_SC_HT_gp_timer is ignored: the FEATURE line 1 has the "
                      "same version and pool fields, and only the first counts (use "
                      "INCREMENT to add seats)")]


def test_a_stray_backslash_before_a_keyword_line_and_at_the_end_of_the_file():
    # Jestzer/Options.File.Checker Untitled-1.lic, whole
    text = ("INCREMENT MATLAB MLM 49 01-jan-2099 150 252446F5A5CB \\\n"
            "INCREMENT SIMULINK MLM 49 01-jan-2099 150 BA43E5DA5E64 \\")
    findings = validate_license(parse_license(text), TODAY)
    assert [(f.code, f.severity, f.line, f.column, f.message) for f in findings] == [
        ("LIC020", "error", 1, 54, "the `\\` at the end of line 1 runs into line 2, a new "
                                   "INCREMENT line; it is read as one here, but FlexLM may "
                                   "join the two and lose line 2 (remove the `\\`)"),
        ("LIC021", "warning", 2, 56, "line 2 ends with a `\\` continuation, but the file ends "
                                     "there (remove the `\\`)")]


def test_a_feature_line_without_sign_or_key():
    # Felix0427d/FPGA license.dat lines 44-46: no SIGN=, no key
    unsigned = ("FEATURE LSC_IP_SC_HT_mpmc_ddr3_cpnx lattice 2027.03 16-mar-2027 \\\n"
                "\tuncounted VENDOR_STRING=LSC_IP_SC_HT_mpmc_ddr3_cpnx \\\n"
                "\tHOSTID=ec8e77ff44ee\n")
    assert [(f.code, f.line, f.message) for f in validate_license(parse_license(unsigned),
                                                                  TODAY)] == [
        ("LIC022", 1, "LSC_IP_SC_HT_mpmc_ddr3_cpnx has neither SIGN= nor a licence key; the "
                      "vendor daemon rejects an unsigned line")]
    # The old form: a key after the count (dcyjukxm/FlexLM ulite/utils/license.dat line 1),
    # next to bare flags; and a metered line of flexlm_v9.2/testsuite/borrow.tem, whose
    # count is not in its field, is not judged.
    for signed in ("FEATURE f1 demo 1.0 permanent uncounted 9C9A82E2C3BC "
                   "HOSTID=ID_STRING=12345678",
                   "INCREMENT f v 1.0 permanent 3 FLOAT_OK 00AB12CD34EF",
                   "FEATURE f1 demo 1.0 permanent COUNT=METER:4 0 "):
        assert "LIC022" not in [f.code for f in validate_license(parse_license(signed),
                                                                 TODAY)]
    assert [f.code for f in validate_license(parse_license(
        "INCREMENT f v 1.0 permanent 3 USER_BASED"), TODAY)] == ["LIC022"]


def test_an_unrecognised_line_is_quoted_by_its_start_only():
    # suwanny/flexlm_license_parser licenses/bad.lic lines 39-44: a blank line cuts the
    # INCREMENT, and its SIGN= stands alone over three lines
    text = ("INCREMENT PROD_ESX_FULL VMWARELM 2005.05 permanent uncounted \\\n"
            "  VENDOR_STRING=licenseType=Host;capacityType=cpuPackage;gp=14;exclude=BACKUP;"
            "count=2 \\\n"
            "\n"
            '  SIGN="0D24 4FC5 1A99 B330 3642 6038 ED5A AA21 2049 0B92 2D84 \\\n'
            "  0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 \\\n"
            '  EAC1 0013 83D8 D9BE E494 7555 CED2"\n')
    findings = validate_license(parse_license(text), TODAY)
    assert [(f.code, f.line) for f in findings] == [("LIC017", 1), ("LIC022", 1),
                                                    ("LIC003", 3), ("LIC001", 4)]
    assert findings[-1].message == "unrecognised line starting 'SIGN=\"0D24 4FC5 1A9…'"


def test_host_group_members_are_not_told_to_use_the_internet_type():
    # Jestzer/Options.File.Checker options.opt line 2
    text = "HOST_GROUP wildcats 192.168.86.25 10.0.0.*\nINCLUDE MATLAB HOST 10.0.0.*"
    messages = [f.message for f in validate_options(parse_options(text)) if f.code == "OPT019"]
    assert messages == [
        "host '192.168.86.25' is a wildcard or IP address, which is unreliable (DHCP); use "
        "host names",
        "host '10.0.0.*' is a wildcard or IP address, which is unreliable (DHCP); use host "
        "names",
        "host '10.0.0.*' is a wildcard or IP address, which is unreliable (DHCP); use host "
        "names, or the INTERNET type"]


def test_the_all_borrow_lines_are_known_and_take_one_name():
    codes = options_codes("INCLUDEALL_BORROW HOST laptop1\nEXCLUDEALL_BORROW USER a b")
    assert codes == [("OPT004", 2)]
