"""The lossless options-file model: round trips, directive fields, never raising."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmconsole.adapters.flexlm.options import format_options, parse_options

from .corpus import CORPUS

OPTIONS_FILES = sorted((CORPUS / "flexlm" / "options").iterdir())


def raw(path) -> str:
    return path.read_bytes().decode("utf-8")  # read_text would fold the CRLF endings


@pytest.mark.parametrize("path", OPTIONS_FILES, ids=lambda p: p.name)
def test_corpus_round_trips_byte_for_byte(path):
    text = raw(path)
    assert format_options(parse_options(text)) == text


def test_corpus_template_has_crlf_and_known_directives():
    path = (CORPUS / "flexlm" / "options"
            / "options_file_checker_sample_MLM_installer_template_key_asset_info.opt.txt")
    options = parse_options(raw(path))
    assert "\r\n" in raw(path)
    assert all(d.kind == "directive" for d in options.directives)
    reserve = options.with_keyword("RESERVE")[0]
    assert (reserve.line, reserve.number, reserve.feature.name, reserve.type) == (
        31, 3, "MATLAB", "GROUP")
    assert [n.text for n in reserve.names] == ["MATLAB_power_users"]
    quoted = options.directives[-1]
    assert quoted.feature.quoted and (quoted.feature.key, quoted.feature.value) == (
        "asset_info", "36678")


def test_tokens_have_line_and_column():
    options = parse_options("# c\n\tMAX 4 MATLAB HOST server1\n")
    directive = options.directives[0]
    assert [(t.text, t.line, t.column) for t in directive.tokens] == [
        ("MAX", 2, 2), ("4", 2, 6), ("MATLAB", 2, 8), ("HOST", 2, 15), ("server1", 2, 20)]


def test_continuation_lines_join_into_one_directive():
    text = "GROUP big a b \\\r\n   c d\r\nINCLUDE f GROUP big"
    options = parse_options(text)
    group = options.directives[0]
    assert (group.line, group.end_line, group.group.text) == (1, 2, "big")
    assert [(n.text, n.line) for n in group.names] == [("a", 1), ("b", 1), ("c", 2), ("d", 2)]
    assert format_options(options) == text


@pytest.mark.parametrize("line, name, key, value", [
    ("RESERVE 1 hfss:EXPDATE=31-dec-2026 GROUP TeamA", "hfss", "EXPDATE", "31-dec-2026"),
    ('MAX_OVERDRAFT "SPACE FID=231abc" 1', "SPACE", "FID", "231abc"),
    ("INCLUDE f1:VERSION=2.0 USER bob", "f1", "VERSION", "2.0"),
    ("include f1 user bob", "f1", None, None),
])
def test_feature_qualifiers(line, name, key, value):
    directive = parse_options(line).directives[0]
    assert (directive.feature.name, directive.feature.key, directive.feature.value) == (
        name, key, value)


@pytest.mark.parametrize("line, name, key, value", [
    # Jestzer/Options.File.Checker sampleMLM.opt lines 32-34
    ('RESERVE 4 "MATLAB asset_info=112233" INTERNET 192.168.86.1', "MATLAB", "asset_info",
     "112233"),
    ("RESERVE 5 SIMULINK:key=445566 HOST sarah-computer", "SIMULINK", "key", "445566"),
    ('RESERVE 7 "SIMULINK:asset_info=778899" DISPLAY pauladisplay', "SIMULINK", "asset_info",
     "778899"),
    # the examples of parse_featspec in FlexLM 9.2's ls_get_opts.c
    ('INCLUDE f1:asset_info="this-one" USER bob', "f1", "asset_info", "this-one"),
    # no `=` after the colon: the daemon reads it all as the feature name
    ('INCLUDE "odd:name" USER bob', "odd:name", None, None),
    ("INCLUDE f1:VERSION USER bob", "f1:VERSION", None, None),
])
def test_feature_spec_splits_where_the_daemon_does(line, name, key, value):
    spec = parse_options(line).directives[0].feature
    assert (spec.name, spec.key, spec.value) == (name, key, value)


def test_keywords_in_any_case_and_alias():
    options = parse_options(
        "timeoutall 7200\nUSER_GROUP g a\nNOLOG denied\nREPORTLOG +\"C:\\a b\\r.rl\"")
    timeout, group, nolog, reportlog = options.directives
    assert (timeout.keyword, timeout.number) == ("TIMEOUTALL", 7200)
    assert (group.keyword, group.group.text) == ("GROUP", "g")
    assert nolog.value.text == "denied"
    assert reportlog.value.text == '+"C:\\a b\\r.rl"'


@pytest.mark.parametrize("line", [
    "INCLUDEALL USER a", "EXCLUDEALL HOST h", "INCLUDE_BORROW f USER a", "EXCLUDE_BORROW f USER a",
    "INCLUDE_ENTITLEMENT e1 USER a", "EXCLUDEALL_ENTITLEMENT USER a", "MAX_BORROW_HOURS f 72",
    "BORROW_LOWWATER f 3", "ACTIVATION_LOWWATER e1:FID=x 2", "ACTIVATION_EXPIRY_DAYS e1 30",
    "HOST_GROUP hg h1 h2", "GROUPCASEINSENSITIVE ON", "LINGER f 60", "TIMEOUT f 3600",
    "DEBUGLOG +/var/log/x.log", "FQDN_MATCHING lenient", "AUTOMATIC_REREAD OFF",
    "DAEMON_SELECT_TIMEOUT 5", "MAX_CONNECTIONS 100", "MAX_OVERDRAFT f 1",
    # not in the admin guide; FlexLM 9.2's ls_get_opts.c reads them
    "INCLUDEALL_BORROW HOST laptop1", "EXCLUDEALL_BORROW USER a",
])
def test_every_keyword_parses_without_problems(line):
    directive = parse_options(line).directives[0]
    assert directive.kind == "directive" and directive.problems == ()


def test_unknown_and_malformed_lines_are_kept():
    options = parse_options("FROB x\nRESERVE two f USER a\nMAX\n")
    unknown, reserve, bare_max = options.directives
    assert unknown.kind == "unknown"
    assert [p.kind for p in reserve.problems] == ["number"]
    assert [p.kind for p in bare_max.problems] == ["missing"]


@settings(max_examples=300)
@given(st.text())
def test_never_raises_and_round_trips_any_text(text):
    assert format_options(parse_options(text)) == text


@settings(max_examples=200)
@given(st.lists(st.sampled_from(["GROUP", "INCLUDE", "\\", "\r\n", "\n", '"', " ", "\t", "#",
                                 "f:K=v", "USER", "1", "MAX", "“"]), max_size=30))
def test_never_raises_on_option_like_text(parts):
    text = "".join(parts)
    assert format_options(parse_options(text)) == text
