"""Highlighting spans of the options and licence files: bounds, kinds, signed fields."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmconsole.adapter import Span
from lmconsole.adapters.flexlm.highlight import license_spans, options_spans
from lmconsole.adapters.flexlm.language import LicenseLanguage, OptionsLanguage
from lmconsole.adapters.flexlm.options import line_content, physical_lines
from lmconsole.screens.file_styles import KINDS

from .corpus import CORPUS

LICENSE_FILES = sorted((CORPUS / "flexlm" / "license").iterdir())
RLM_FILES = sorted((CORPUS / "rlm" / "license").iterdir())
OPTIONS_FILES = sorted((CORPUS / "flexlm" / "options").iterdir())
VMWARE = CORPUS / "flexlm" / "license" / "flexlm_license_parser_vmware_esx_good.lic.txt"


def raw(path) -> str:
    return path.read_bytes().decode("utf-8")


def check(text: str, spans: dict[int, list[Span]]) -> None:
    """Each span on its own physical line, inside it, of a known kind, none overlapping."""
    lines = [line_content(line) for line in physical_lines(text)]
    for row, line_spans in spans.items():
        assert 0 <= row < len(lines)
        end = 0
        for span in sorted(line_spans):
            assert span.kind in KINDS
            assert end <= span.start < span.end <= len(lines[row]), (row, span, lines[row])
            end = span.end


def kinds(text: str, spans: dict[int, list[Span]]) -> list[list[tuple[str, str]]]:
    """Per line, the (text, kind) of each span, in order."""
    lines = [line_content(line) for line in physical_lines(text)]
    return [[(lines[row][s.start:s.end], s.kind) for s in sorted(spans.get(row, []))]
            for row in range(len(lines))]


@pytest.mark.parametrize("path", LICENSE_FILES + RLM_FILES, ids=lambda p: p.name)
def test_corpus_licence_spans_are_well_formed(path):
    text = raw(path)
    spans = license_spans(text)
    check(text, spans)
    assert spans


@pytest.mark.parametrize("path", OPTIONS_FILES, ids=lambda p: p.name)
def test_corpus_options_spans_are_well_formed(path):
    text = raw(path)
    spans = options_spans(text)
    check(text, spans)
    lines = [line_content(line) for line in physical_lines(text)]
    for row, line in enumerate(lines):  # each line starts with its keyword or a comment
        if line.strip():
            first = sorted(spans[row])[0]
            kind = "comment" if line.lstrip().startswith("#") else "keyword"
            assert (first.start, first.kind) == (len(line) - len(line.lstrip()), kind)


def test_vmware_licence_signed_and_editable_fields():
    text = raw(VMWARE)
    got = kinds(text, license_spans(text))
    assert got[0] == [("# Header from original license file", "comment")]
    assert got[1] == [("SERVER", "keyword"), ("this_host", "value"), ("ANY", "signed"),
                      ("27000", "value")]
    assert got[2] == [("VENDOR", "keyword"), ("VMWARELM", "signed"), ("port=27010", "value")]
    assert got[3] == [("USE_SERVER", "keyword")]
    assert got[6] == [("INCREMENT", "keyword"), ("PROD_ESX_FULL", "feature"),
                      ("VMWARELM", "signed"), ("2005.05", "signed"), ("permanent", "signed"),
                      ("32", "signed")]
    sign = got[8][-1]
    assert sign == ('SIGN="0778 0B1A \\', "signed")
    # the SIGN= value continued inside its quotes is signed on every line, indent left out
    assert got[9] == [("C0FB 12DE 519B C61B F3E6 4E65 9168 6780 89DB 74B1 096C 1264 \\",
                       "signed")]
    assert got[11] == [('EF5E 2A57 C6EE 641E"', "signed")]
    assert [k for row in got for _, k in row].count("value") == 3


SAMPLE = """\
SERVER lic1 0011aabbccdd 27000 PRIMARY_IS_MASTER
DAEMON ansyslmd /opt/ansyslmd /opt/ansys.opt 1055
FEATURE MATLAB MLM 39 permanent 10 asset_info="tag 1" Sort=2 SIGN=AB
PACKAGE Suite MLM 1.0 COMPONENTS="MATLAB Multi" SIGN=5678
HOST h 00aa
"""


def test_licence_kinds_by_field():
    got = kinds(SAMPLE, license_spans(SAMPLE))
    assert got[0] == [("SERVER", "keyword"), ("lic1", "value"), ("0011aabbccdd", "signed"),
                      ("27000", "value"), ("PRIMARY_IS_MASTER", "signed")]
    assert got[1] == [("DAEMON", "keyword"), ("ansyslmd", "signed"), ("/opt/ansyslmd", "value"),
                      ("/opt/ansys.opt", "value"), ("1055", "value")]
    assert got[2] == [("FEATURE", "keyword"), ("MATLAB", "feature"), ("MLM", "signed"),
                      ("39", "signed"), ("permanent", "signed"), ("10", "signed"),
                      ('asset_info="tag 1"', "value"), ("Sort=2", "signed"),
                      ("SIGN=AB", "signed")]
    assert got[3] == [("PACKAGE", "keyword"), ("Suite", "feature"), ("MLM", "signed"),
                      ("1.0", "signed"), ('COMPONENTS="MATLAB Multi"', "signed"),
                      ("SIGN=5678", "signed")]
    assert got[4] == [("HOST", "unknown")]
    assert LicenseLanguage().highlight(SAMPLE) == license_spans(SAMPLE)


def test_quoted_value_continued_over_lines():
    text = 'FEATURE f v 1 permanent 1 SIGN="AB \\  \r\n\t  CD \\\n EF" sort=1\n'
    got = kinds(text, license_spans(text))
    assert got == [
        [("FEATURE", "keyword"), ("f", "feature"), ("v", "signed"), ("1", "signed"),
         ("permanent", "signed"), ("1", "signed"), ('SIGN="AB \\', "signed")],
        [("CD \\", "signed")],
        [('EF"', "signed"), ("sort=1", "value")]]
    check(text, license_spans(text))


OPTIONS = """\
# who may use what
GROUPCASEINSENSITIVE ON
GROUP eng alice bob
HOST_GROUP lab ws1 10.0.0.*
RESERVE 2 MATLAB:VERSION=1.0 GROUP eng
MAX 3 "Viewer asset_info=1" GROUP 123
INCLUDE MATLAB USER 42
NOLOG DENIED
TIMEOUTALL 3600
FROB x y
GROUP big a \\
  b c
"""


def test_options_kinds():
    got = kinds(OPTIONS, options_spans(OPTIONS))
    assert got == [
        [("# who may use what", "comment")],
        [("GROUPCASEINSENSITIVE", "keyword"), ("ON", "value")],
        [("GROUP", "keyword"), ("eng", "group")],
        [("HOST_GROUP", "keyword"), ("lab", "group")],
        [("RESERVE", "keyword"), ("2", "number"), ("MATLAB:VERSION=1.0", "feature"),
         ("GROUP", "type"), ("eng", "group")],
        [("MAX", "keyword"), ("3", "number"), ('"Viewer asset_info=1"', "feature"),
         ("GROUP", "type"), ("123", "group")],
        [("INCLUDE", "keyword"), ("MATLAB", "feature"), ("USER", "type"), ("42", "number")],
        [("NOLOG", "keyword"), ("DENIED", "value")],
        [("TIMEOUTALL", "keyword"), ("3600", "number")],
        [("FROB", "unknown")],
        [("GROUP", "keyword"), ("big", "group")],
        [],
    ]
    check(OPTIONS, options_spans(OPTIONS))
    assert OptionsLanguage().highlight(OPTIONS) == options_spans(OPTIONS)


def test_empty_text_has_no_spans():
    assert not options_spans("")
    assert not license_spans("")
    assert not license_spans("\n\n  \n")


# --- never raising ------------------------------------------------------------------------

LICENSE_FRAGMENTS = st.sampled_from([
    "FEATURE", "INCREMENT", "SERVER", "VENDOR", "PACKAGE", " f", " 1.0", " permanent", " 3",
    ' SIGN="A', " B\"", " asset_info=x", " port=1", " \\", "\n", "\r\n", "\r", "\t", "#", " "])
OPTION_FRAGMENTS = st.sampled_from([
    "INCLUDE", "MAX", "GROUP", "HOST_GROUP", "NOLOG", " 3", " f", ":VERSION=1", " USER",
    " GROUP", " 12", ' "f a=1"', ' "x', " \\", "\n", "\r\n", "\r", "\t", "#", " "])


@settings(max_examples=300)
@given(st.one_of(st.text(), st.lists(LICENSE_FRAGMENTS, max_size=40).map("".join),
                 st.lists(OPTION_FRAGMENTS, max_size=40).map("".join)))
def test_never_raises_and_spans_within_bounds(text):
    check(text, license_spans(text))
    check(text, options_spans(text))


def test_a_keyword_line_after_a_stray_backslash_is_highlighted_as_a_new_line():
    # Jestzer/Options.File.Checker Untitled-1.lic
    text = ("INCREMENT MATLAB MLM 49 01-jan-2099 150 252446F5A5CB \\\n"
            "INCREMENT SIMULINK MLM 49 01-jan-2099 150 BA43E5DA5E64 \\")
    spans = license_spans(text)
    check(text, spans)
    assert [line[:2] for line in kinds(text, spans)] == [
        [("INCREMENT", "keyword"), ("MATLAB", "feature")],
        [("INCREMENT", "keyword"), ("SIMULINK", "feature")]]
