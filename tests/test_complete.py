"""Completion in the options and licence files: what is offered where, and where it goes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmconsole.adapter import Completion, LiveUse
from lmconsole.adapters.flexlm.complete import complete_license, complete_options
from lmconsole.adapters.flexlm.language import LicenseLanguage, OptionsLanguage
from lmconsole.adapters.flexlm.license import parse_license
from lmconsole.adapters.flexlm.options import NOLOG_EVENTS, TYPES

from .corpus import CORPUS

LICENSE = """\
SERVER lic1 0011aabbccdd 27000
VENDOR MLM
FEATURE MATLAB MLM 39 permanent 10 SIGN=1
FEATURE Viewer MLM 1.0 permanent 1 SIGN=2
INCREMENT Multi MLM 1.0 permanent 2 SIGN=3
INCREMENT Multi MLM 2.0 permanent 3 SIGN=4
FEATURE Suite MLM 1.0 permanent 4 SIGN=5
PACKAGE Suite MLM 1.0 COMPONENTS="MATLAB Viewer" SIGN=6
PACKAGE Toolbox MLM 1.0 COMPONENTS="MATLAB" SIGN=7
FEATURE Free MLM 1.0 permanent uncounted HOSTID=ANY SIGN=8
"""
LIC = parse_license(LICENSE)
LIVE = LiveUse(users=frozenset({"bob", "Bob2", "alice"}), hosts=frozenset({"ws1", "ws2"}))
GROUPS = "GROUP eng alice\nUSER_GROUP ops bob\nHOST_GROUP lab ws1\n"
INCLUDES = ["INCLUDE", "INCLUDEALL", "INCLUDEALL_BORROW", "INCLUDEALL_ENTITLEMENT",
            "INCLUDE_BORROW", "INCLUDE_ENTITLEMENT"]


def at(marked: str) -> tuple[str, int, int]:
    """The text without its `|`, and the 0-based row and column of the `|`."""
    before, _, after = marked.partition("|")
    row = before.count("\n")
    return before + after, row, len(before) - (before.rfind("\n") + 1)


def offered(marked: str, license_file=LIC, live=LIVE, complete=None):
    """The completions at the `|`, checking that each fits the word being typed."""
    text, row, column = at(marked)
    if complete is None:
        result = complete_options(text, row, column, live, license_file)
    else:
        result = complete(text, row, column)
    line = text.split("\n")[row]
    assert 0 <= result.start <= column
    typed = line[result.start:column].casefold()
    assert all(c.text.casefold().startswith(typed) for c in result.items)
    return result


def texts(marked: str, **kw) -> list[str]:
    return [c.text for c in offered(marked, **kw).items]


def applied(marked: str, choice: str, **kw) -> str:
    """The line at the `|` once `choice` replaces the word being typed."""
    text, row, column = at(marked)
    result = offered(marked, **kw)
    assert choice in [c.text for c in result.items]
    line = text.split("\n")[row]
    return line[:result.start] + choice + line[column:]


# --- options file: keywords ---------------------------------------------------------------


def test_keyword_prefix_at_line_start():
    result = offered("INC|")
    assert result.start == 0
    assert [(c.text, c.kind) for c in result.items] == [(k, "keyword") for k in INCLUDES]


def test_lower_case_prefix_and_indentation():
    assert texts("inc|") == INCLUDES
    result = offered("GROUP g a\n  ma|")
    assert result.start == 2
    assert [c.text for c in result.items] == ["MAX", "MAX_BORROW_HOURS", "MAX_CONNECTIONS",
                                              "MAX_OVERDRAFT"]
    assert applied("  ma|", "MAX") == "  MAX"


def test_every_keyword_on_an_empty_line_and_complete_word_not_repeated():
    everything = texts("|")
    assert {"INCLUDE", "RESERVE", "USER_GROUP", "NOLOG", "TIMEOUTALL"} <= set(everything)
    assert everything == sorted(everything)
    assert texts("INCLUDE|") == INCLUDES[1:]
    assert texts("FROB|") == []


# --- options file: features and packages --------------------------------------------------


def test_features_from_the_licence_with_seats_and_packages():
    result = offered("INCLUDE |")
    assert result.start == 8
    assert list(result.items) == [
        Completion("Free", "feature", "uncounted"),
        Completion("MATLAB", "feature", "10 seats"),
        Completion("Multi", "feature", "5 seats, 2 pools: add :VERSION= to choose one"),
        Completion("Suite", "feature", "4 seats, package: applies to all its components"),
        Completion("Viewer", "feature", "1 seat"),
        Completion("Toolbox", "feature", "package"),
    ]
    assert texts("RESERVE 2 M|") == ["MATLAB", "Multi"]
    assert texts("MAX_BORROW_HOURS v|") == ["Viewer"]
    assert texts("INCLUDE mat|") == ["MATLAB"]


def test_version_qualifier_for_a_feature_with_several_pools():
    result = offered("INCLUDE Multi:| USER bob")
    assert list(result.items) == [Completion("Multi:VERSION=1.0", "feature", "2 seats"),
                                  Completion("Multi:VERSION=2.0", "feature", "3 seats")]
    assert applied("INCLUDE Multi:| USER bob", "Multi:VERSION=2.0") == (
        "INCLUDE Multi:VERSION=2.0 USER bob")
    assert texts("INCLUDE Multi:VERSION=2|") == ["Multi:VERSION=2.0"]
    assert texts("INCLUDE Nothing:|") == []


def test_the_qualifiers_offered_pick_one_pool_each():
    # Jestzer/Options.File.Checker Example_Files/fake_license.lic: two MATLAB pools of version
    # 51 (NNU and concurrent), told apart by asset_info
    licence = parse_license(
        "INCREMENT MATLAB MLM 51 31-dec-2026 12 12345ABCDXYZ \\\n"
        "\tVENDOR_STRING=vi=0:at=276:ae=1:lu=300:lo=NNU:ei=7654321:lr=1:ep=15: \\\n"
        "\tHOSTID=ID=123456 USER_BASED=6 DUP_GROUP=UH asset_info=123456\n"
        "INCREMENT MATLAB MLM 51 31-dec-2026 4 C2345ABCDXYZ \\\n"
        "\tVENDOR_STRING=vi=0:at=276:ae=1:lu=300:lo=CN:ei=7654321:lr=1:ep=15: \\\n"
        "\tHOSTID=ID=123456 asset_info=1234567\n")
    assert list(offered("RESERVE 2 MATLAB:| USER bob", license_file=licence).items) == [
        Completion("MATLAB:asset_info=123456", "feature", "12 seats"),
        Completion("MATLAB:asset_info=1234567", "feature", "4 seats")]


def test_no_features_without_a_licence_nor_where_a_number_goes():
    assert texts("INCLUDE |", license_file=None) == []
    assert texts("RESERVE |") == []
    assert texts("TIMEOUTALL |") == []


# --- options file: types and names --------------------------------------------------------


def test_types_after_the_feature():
    assert texts("INCLUDE MATLAB |") == list(TYPES)
    assert texts("RESERVE 1 MATLAB h|") == ["HOST", "HOST_GROUP"]
    assert texts("INCLUDEALL |") == list(TYPES)


def test_users_and_hosts_seen_on_the_server():
    result = offered("INCLUDE MATLAB USER |")
    assert [(c.text, c.kind, c.detail) for c in result.items] == [
        ("alice", "user", "seen on the server"), ("bob", "user", "seen on the server"),
        ("Bob2", "user", "seen on the server")]  # in alphabetical order, whatever the case
    assert texts("EXCLUDE MATLAB HOST |") == ["ws1", "ws2"]
    assert texts("INCLUDE MATLAB user a|") == ["alice"]
    assert texts("INCLUDE MATLAB USER |", live=LiveUse()) == []


def test_the_case_typed_sorts_first():
    assert texts("INCLUDE MATLAB USER B|") == ["Bob2", "bob"]
    assert texts("INCLUDE MATLAB USER b|") == ["bob", "Bob2"]


def test_groups_defined_in_the_file():
    assert texts(GROUPS + "INCLUDE MATLAB GROUP |") == ["eng", "ops"]
    assert texts(GROUPS + "INCLUDE MATLAB HOST_GROUP |") == ["lab"]
    result = offered(GROUPS + "RESERVE 1 MATLAB GROUP o|")
    assert list(result.items) == [Completion("ops", "group", "defined here")]
    assert texts("INCLUDE MATLAB GROUP |\n" + GROUPS) == ["eng", "ops"]  # defined below too
    assert texts(GROUPS + "GROUP |") == ["eng", "ops"]  # adding to a group
    assert texts(GROUPS + "HOST_GROUP |") == ["lab"]


def test_all_users_and_all_groups_only_for_max():
    assert texts(GROUPS + "MAX 2 MATLAB USER |") == ["ALL_USERS", "alice", "bob", "Bob2"]
    assert texts(GROUPS + "MAX 2 MATLAB GROUP |") == ["ALL_GROUPS", "eng", "ops"]
    assert texts(GROUPS + "MAX 2 MATLAB USER A|") == ["ALL_USERS", "alice"]
    for line in ("INCLUDE MATLAB USER |", "RESERVE 1 MATLAB USER |", "INCLUDEALL USER |",
                 "GROUP g |", "INCLUDE MATLAB GROUP |", "MAX 2 MATLAB HOST |"):
        assert not {"ALL_USERS", "ALL_GROUPS"} & set(texts(GROUPS + line)), line


def test_nothing_after_the_one_name():
    assert texts("INCLUDE MATLAB USER bob |") == []
    assert texts("INCLUDE MATLAB USER host |") == []
    assert texts("MAX 2 MATLAB USER ALL_USERS |") == []


def test_group_members_are_users_and_host_group_members_hosts():
    assert texts("GROUP eng |") == ["alice", "bob", "Bob2"]
    assert texts("GROUP eng alice |") == ["alice", "bob", "Bob2"]
    assert texts("USER_GROUP eng b|") == ["bob", "Bob2"]
    assert texts("HOST_GROUP lab |") == ["ws1", "ws2"]
    assert texts("HOST_GROUP lab ws1 w|") == ["ws1", "ws2"]


# --- options file: fixed values -----------------------------------------------------------


def test_switch_values():
    assert texts("GROUPCASEINSENSITIVE |") == ["ON", "OFF"]
    assert texts("groupcaseinsensitive o|") == ["ON", "OFF"]
    assert texts("GROUPCASEINSENSITIVE of|") == ["OFF"]
    assert texts("FQDN_MATCHING |") == ["EXACT", "LENIENT"]
    assert texts("GROUPCASEINSENSITIVE ON |") == []


def test_nolog_events():
    result = offered("NOLOG |")
    assert [(c.text, c.kind) for c in result.items] == [(e, "value") for e in NOLOG_EVENTS]
    assert texts("NOLOG d|") == ["DENIED", "DEQUEUED"]
    assert texts("NOLOG IN |") == []
    assert texts("REPORTLOG |") == []


# --- options file: where the cursor is ----------------------------------------------------


def test_continuation_lines():
    assert texts("INCLUDE \\\n  |") == [c.text for c in offered("INCLUDE |").items]
    assert texts("INCLUDE \\\n|") == [c.text for c in offered("INCLUDE |").items]
    assert texts("INCLUDE MATLAB \\\n\tUSER \\\n\tb|") == ["bob", "Bob2"]
    assert offered("INCLUDE MATLAB \\\n\tUSER \\\n\tb|").start == 1
    assert texts("GROUP eng alice \\\r\n   bob \\\r\n   |\r\nINCLUDE MATLAB GROUP eng") == [
        "alice", "bob", "Bob2"]
    assert texts(GROUPS + "INCLUDE MATLAB \\\n  GROUP \\\n  e|") == ["eng"]


def test_an_empty_last_line_is_a_line_start():
    assert texts("GROUP eng alice\n|") == texts("|")
    assert texts("GROUP eng alice\r\n|") == texts("|")


def test_nothing_inside_comments_or_open_quotes():
    assert texts("# INC|") == []
    assert texts("  # INCLUDE MATLAB USER |") == []
    assert texts('INCLUDE "MAT|') == []
    assert texts('INCLUDE "MATLAB asset_info=\\\n  |') == []
    assert texts('INCLUDE "MATLAB asset_info=1" |') == list(TYPES)


def test_a_comment_ending_in_a_backslash_does_not_continue():
    assert texts("# licences in C:\\flexlm\\\nINC|") == INCLUDES
    assert texts("# see \\\nINCLUDE MATLAB |") == list(TYPES)


def test_cursor_in_the_middle_of_a_line():
    marked = "GROUP eng alice\nINCLUDE | USER bob\nTIMEOUTALL 60"
    assert offered(marked).start == 8
    assert applied(marked, "MATLAB") == "INCLUDE MATLAB USER bob"
    marked = "INCLUDE Vi| USER bob"
    assert applied(marked, "Viewer") == "INCLUDE Viewer USER bob"
    marked = "RESERVE 2 MATLAB US| bob"
    assert texts(marked) == ["USER"]
    assert applied("INCLUDE MATLAB USER bo|b", "bob") == "INCLUDE MATLAB USER bobb"


@pytest.mark.parametrize("marked, choice, line", [
    ("INC|", "INCLUDE_BORROW", "INCLUDE_BORROW"),
    ("inc|lude MATLAB USER bob", "INCLUDE", "INCLUDElude MATLAB USER bob"),
    ("  MAX 2 mat|", "MATLAB", "  MAX 2 MATLAB"),
    ("MAX 2 MATLAB USER al|", "ALL_USERS", "MAX 2 MATLAB USER ALL_USERS"),
    ("INCLUDE\tMATLAB\tH|", "HOST", "INCLUDE\tMATLAB\tHOST"),
    ("NOLOG\tq|", "QUEUED", "NOLOG\tQUEUED"),
    ("INCLUDE Multi:|", "Multi:VERSION=1.0", "INCLUDE Multi:VERSION=1.0"),
    ("INCLUDE MATLAB \\\n    HOST w|", "ws2", "    HOST ws2"),
])
def test_the_choice_replaces_the_word_being_typed(marked, choice, line):
    assert applied(marked, choice) == line


# --- licence file -------------------------------------------------------------------------


def license_texts(marked: str) -> list[str]:
    return texts(marked, complete=complete_license)


def test_license_keywords():
    assert license_texts("|") == ["SERVER", "VENDOR", "USE_SERVER", "FEATURE", "INCREMENT",
                                  "UPGRADE", "PACKAGE"]
    assert license_texts("in|") == ["INCREMENT"]
    assert license_texts("D|") == []
    assert offered("SERVER a 00aa\n  u|", complete=complete_license).start == 2


def test_a_keyword_line_after_a_stray_backslash_starts_afresh():
    # Jestzer/Options.File.Checker Untitled-1.lic line 1 ends with a stray `\`
    line = "INCREMENT MATLAB MLM 49 01-jan-2099 150 252446F5A5CB \\\n"
    assert license_texts(line + "INCREMENT SIMULINK MLM 49 01-jan-2099 |") == []
    assert license_texts(line + "INCREMENT SIMULINK MLM 49 01-jan-2099 150 s|") == ["sort="]


def test_vendor_line_options_and_port():
    result = offered("VENDOR MLM |", complete=complete_license)
    assert list(result.items) == [
        Completion("OPTIONS=", "value", "the options file"),
        Completion("PORT=", "value", "the vendor daemon's TCP port")]
    assert license_texts("VENDOR MLM /opt/MLM o|") == ["OPTIONS="]
    assert license_texts("DAEMON MLM |") == ["OPTIONS=", "PORT="]
    assert license_texts("VENDOR |") == []
    assert license_texts("SERVER host 00aa |") == []


def test_feature_line_end_user_attributes_after_the_required_fields():
    attributes = ["asset_info=", "dist_info=", "user_info=", "vendor_info=", "sort="]
    assert license_texts("FEATURE f v 1.0 permanent 3 |") == attributes
    assert license_texts("INCREMENT f v 1.0 permanent 3 SIGN=AB |") == attributes
    assert license_texts("FEATURE f v 1.0 permanent 3 s|") == ["sort="]
    assert license_texts("FEATURE f v 1.0 permanent |") == []
    assert license_texts("PACKAGE p v 1.0 COMPONENTS=f |") == []
    assert license_texts('FEATURE f v 1.0 permanent 3 \\\n  SIGN="AB \\\n  CD" |') == attributes
    assert license_texts('FEATURE f v 1.0 permanent 3 SIGN="AB \\\n  |') == []
    assert license_texts("# FEATURE f v 1.0 permanent 3 |") == []


# --- the languages ------------------------------------------------------------------------


def test_languages_complete_with_the_licence():
    language = OptionsLanguage(LICENSE)
    text, row, column = at("INCLUDE |")
    assert language.complete(text, row, column, LIVE) == complete_options(
        text, row, column, LIVE, LIC)
    assert OptionsLanguage().complete(text, row, column, LIVE).items == ()
    text, row, column = at("VENDOR MLM |")
    assert LicenseLanguage().complete(text, row, column, LIVE) == complete_license(
        text, row, column)


def test_corpus_options_file_offers_its_groups():
    path = (CORPUS / "flexlm" / "options"
            / "options_file_checker_small_groups_host_group_wildcard.opt.txt")
    text = path.read_bytes().decode("utf-8")
    assert texts(text + "\nINCLUDE MATLAB GROUP |") == ["ratcrab_users"]
    assert texts(text + "\nINCLUDE MATLAB HOST_GROUP |") == ["wildcats"]
    assert texts("INCLUDE MATLAB GROUP r|\n" + text) == ["ratcrab_users"]


# --- never raising ------------------------------------------------------------------------

OPTION_FRAGMENTS = st.sampled_from([
    "INCLUDE ", "MAX ", "GROUP ", "HOST_GROUP ", "NOLOG ", "GROUPCASEINSENSITIVE ", "MATLAB",
    "Multi:", " USER ", " GROUP ", " 3", " b", "\n", "\\\n", "\r\n", '"', "#", "\t", " "])


@settings(max_examples=300)
@given(st.one_of(st.text(), st.lists(OPTION_FRAGMENTS, max_size=30).map("".join)),
       st.integers(0, 40), st.integers(0, 80))
def test_completion_never_raises(text, row, column):
    lines = text.split("\n")
    for complete in (lambda: complete_options(text, row, column, LIVE, LIC),
                     lambda: complete_license(text, row, column)):
        result = complete()
        line = lines[min(max(row, 0), len(lines) - 1)]
        assert 0 <= result.start <= column and result.start <= len(line)
        assert len({c.text for c in result.items}) == len(result.items)
