"""The signed licence lines: what an administrator may change (LIC018/LIC019 refusals)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmconsole.adapters.flexlm.language import LicenseLanguage
from lmconsole.adapters.flexlm.license import parse_license
from lmconsole.adapters.flexlm.license_edit import (
    editable_tokens,
    signed_changes,
    signed_lines,
)
from lmconsole.adapters.flexlm.options import Token, line_content, physical_lines

from .corpus import CORPUS

LICENSE_FILES = sorted((CORPUS / "flexlm" / "license").iterdir())

# Every kind of line: a triad, DAEMON and VENDOR with paths, a SIGN= continued inside its
# quotes, a FEATURE the first one shadows, a package, an upgrade, CRLF on one line.
SAMPLE = """\
# issued by the vendor
SERVER lic1 0011aabbccdd 27000
SERVER lic2 0011aabbccde 27000\r
SERVER lic3 0011aabbccdf 27000
DAEMON ansyslmd /opt/ansyslmd /opt/ansys.opt 1055
VENDOR MLM /opt/MLM options=/etc/MLM.opt port=27100
FEATURE MATLAB MLM 39 01-jan-2030 10 VENDOR_STRING=abc SIGN="AAAA BBBB \\
  CCCC DDDD"
FEATURE MATLAB MLM 40 01-jan-2031 5 VENDOR_STRING=xyz SIGN=EEEE
INCREMENT Multi MLM 1.0 permanent 2 HOSTID=0011aabbccdd asset_info=tag1 VENDOR_STRING=m \\
\tSIGN=1234
PACKAGE Suite MLM 1.0 COMPONENTS="MATLAB Multi" SIGN=5678
UPGRADE Multi MLM 1.0 2.0 permanent 1 SIGN=9ABC
"""


def raw(path) -> str:
    return path.read_bytes().decode("utf-8")


CASES = [pytest.param(raw(p), id=p.name) for p in LICENSE_FILES] + [
    pytest.param(SAMPLE, id="sample")]


# --- editing helpers ----------------------------------------------------------------------


def replace_tokens(text: str, changes: list[tuple[Token, str]]) -> str:
    """`text` with each (single-line) token replaced, in place."""
    lines = physical_lines(text)
    for token, new in sorted(changes, key=lambda c: (c[0].line, c[0].column), reverse=True):
        row, col = token.line - 1, token.column - 1
        assert lines[row][col:col + len(token.text)] == token.text
        lines[row] = lines[row][:col] + new + lines[row][col + len(token.text):]
    return "".join(lines)


def append_to_entries(text: str, kinds: tuple[str, ...], words: str) -> str:
    """`words` added at the end of each entry of `kinds` (on its last physical line)."""
    lines = physical_lines(text)
    for entry in parse_license(text).entries:
        if entry.kind in kinds:
            row = entry.end_line - 1
            content = line_content(lines[row])
            lines[row] = content + " " + words + lines[row][len(content):]
    return "".join(lines)


def keyed(text: str, new: str) -> str:
    """`new` keeping the `key=` of `text` when it has one."""
    key, sep, _ = text.partition("=")
    return f"{key}={new}" if sep else new


def rename_servers(text: str) -> str:
    changes = []
    for server in parse_license(text).servers:
        changes.append((server.entry.tokens[1], "newhost"))
        if server.port is not None:
            changes.append((server.port, "28000"))
    return replace_tokens(text, changes)


def move_vendor_files(text: str) -> str:
    """Every VENDOR line's daemon path, options path and port changed, or added."""
    changes = []
    for vendor in parse_license(text).vendors:
        tokens = vendor.entry.tokens
        if vendor.path is not None:
            changes.append((tokens[2], "/new/daemon"))
        for token in (vendor.options, vendor.port):
            if token is not None:
                new = "/new/opts.opt" if token is vendor.options else "28100"
                changes.append((token, keyed(token.text, new)))
    text = replace_tokens(text, changes)
    lines = physical_lines(text)
    for vendor in parse_license(text).vendors:
        extra = [word for token, word in ((vendor.options, "options=/new/opts.opt"),
                                          (vendor.port, "port=28100")) if token is None]
        row = vendor.entry.end_line - 1
        content = line_content(lines[row])
        lines[row] = " ".join([content, *extra]) + lines[row][len(content):]
    return "".join(lines)


def add_comments_and_use_server(text: str) -> str:
    entries = parse_license(text).entries
    last_vendor = max((i for i, e in enumerate(entries) if e.kind == "VENDOR"), default=-1)
    parts = ["# a note\n" + e.text for e in entries]
    parts.insert(last_vendor + 1, "USE_SERVER\n")
    out = "".join(parts)
    return out if out.endswith(("\n", "\r")) else out + "\n# the end\n"


def add_asset_info(text: str) -> str:
    return append_to_entries(text, ("FEATURE", "INCREMENT"), "asset_info=x")


def add_sort_before_signature(text: str) -> str:
    lic = parse_license(text)
    return replace_tokens(text, [(f.entry.positional()[4], f.count_text + " sort=50")
                                 for f in lic.features if f.keyword != "UPGRADE"])


def rewrap(text: str, every: int) -> str:
    """Each signed entry on one line, then broken with `\\` at every `every`-th space (inside
    quoted values too); every=0 leaves it on one line."""
    out = []
    for entry in parse_license(text).entries:
        if entry.kind not in ("FEATURE", "INCREMENT", "UPGRADE", "PACKAGE"):
            out.append(entry.text)
            continue
        one = " ".join(" ".join(t.text.split()) for t in entry.tokens)
        if every:
            words = one.split(" ")
            one = "".join(w + (" \\\n\t" if i % every == every - 1 else " ")
                          for i, w in enumerate(words[:-1])) + words[-1]
        out.append(one + "\n")
    return "".join(out)


def to_crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


ALLOWED = {
    "servers": rename_servers,
    "vendor_files": move_vendor_files,
    "comments_use_server": add_comments_and_use_server,
    "asset_info": add_asset_info,
    "sort_mid_line": add_sort_before_signature,
    "one_line": lambda t: rewrap(t, 0),
    "wrap_3": lambda t: rewrap(t, 3),
    "wrap_1": lambda t: rewrap(t, 1),
    "crlf": to_crlf,
}


# --- (a), (b): no change to a signed field ------------------------------------------------


@pytest.mark.parametrize("text", CASES)
def test_unchanged_file_has_no_findings(text):
    assert signed_changes(text, text) == []
    assert len(signed_lines(parse_license(text))) >= 3


@pytest.mark.parametrize("edit", ALLOWED.values(), ids=ALLOWED.keys())
@pytest.mark.parametrize("text", CASES)
def test_administrator_edits_are_allowed(text, edit):
    draft = edit(text)
    assert draft != text
    assert signed_changes(text, draft) == []


@pytest.mark.parametrize("text", CASES)
def test_all_administrator_edits_at_once_are_allowed(text):
    draft = text
    for edit in ALLOWED.values():
        draft = edit(draft)
    assert signed_changes(text, draft) == []
    assert signed_changes(draft, text) == []


def test_allowed_edits_did_what_they_say_on_the_sample():
    lic = parse_license(rename_servers(SAMPLE))
    assert [(s.host, s.port.text) for s in lic.servers] == [("newhost", "28000")] * 3
    lic = parse_license(move_vendor_files(SAMPLE))
    assert [(v.path, v.options.text, v.port.text) for v in lic.vendors] == [
        ("/new/daemon", "/new/opts.opt", "28100"),
        ("/new/daemon", "options=/new/opts.opt", "port=28100")]
    assert parse_license(add_comments_and_use_server(SAMPLE)).use_server
    lic = parse_license(add_asset_info(SAMPLE))
    assert [f.attribute("asset_info") for f in lic.features] == ["x", "x", "tag1", None]
    assert [a.key for a in lic.features[2].attributes] == [
        "HOSTID", "asset_info", "VENDOR_STRING", "SIGN", "asset_info"]
    wrapped = parse_license(rewrap(SAMPLE, 1)).features[0].entry
    assert wrapped.end_line - wrapped.line == 10  # a `\` after each of its 11 words


def test_allowed_edits_did_what_they_say_on_the_corpus():
    text = raw(LICENSE_FILES[0])
    vendor = parse_license(move_vendor_files(text)).vendors[0]
    assert (vendor.options.text, vendor.port.text) == ("options=/new/opts.opt", "port=28100")
    one_line = parse_license(rewrap(text, 0))
    assert all(f.entry.line == f.entry.end_line for f in one_line.features)
    assert [f.attribute("SIGN") for f in one_line.features][0] == (
        "0778 0B1A C0FB 12DE 519B C61B F3E6 4E65 9168 6780 89DB 74B1 096C 1264 "
        + "0000 " * 13 + "EF5E 2A57 C6EE 641E")


# --- (c): one signed field changed --------------------------------------------------------


def flip(text: str, token: Token, offset: int) -> str:
    """One character of `token` changed, `offset` characters into it (on its first line)."""
    row, col = token.line - 1, token.column - 1 + offset
    lines = physical_lines(text)
    old = lines[row][col]
    assert old not in ' "\\\t\r\n'
    lines[row] = lines[row][:col] + ("1" if old != "1" else "2") + lines[row][col + 1:]
    return "".join(lines)


def value_offset(token: Token) -> int:
    key, _, value = token.text.partition("=")
    return len(key) + 1 + value.startswith('"')


def attribute_tokens(text: str, key: str) -> list[Token]:
    return [a.token for f in parse_license(text).features for a in f.attributes
            if a.key == key]


def fields(text: str, name: str) -> list[tuple[Token, int]]:
    """The tokens holding the field `name` on every line of `text`, and where to change it."""
    lic = parse_license(text)
    if name in ("SIGN", "VENDOR_STRING"):
        return [(t, value_offset(t)) for t in attribute_tokens(text, name)]
    if name == "hostid":
        return [(s.entry.tokens[2], 0) for s in lic.servers]
    if name == "vendor name":
        return [(v.entry.tokens[1], len(v.name) - 1) for v in lic.vendors]
    index = {"version": 2, "expiry date": 3, "licence count": 4}[name]
    return [(f.entry.positional()[index], 0) for f in lic.features if f.keyword != "UPGRADE"]


@pytest.mark.parametrize("name, named", [
    ("SIGN", "SIGN="), ("licence count", "licence count"), ("expiry date", "expiry date"),
    ("version", "version"), ("hostid", "hostid"), ("vendor name", "vendor name"),
    ("VENDOR_STRING", "VENDOR_STRING="),
])
@pytest.mark.parametrize("text", CASES)
def test_one_changed_signed_field_is_one_lic018_at_it(text, name, named):
    places = fields(text, name)
    assert places
    for token, offset in places:
        draft = flip(text, token, offset)
        findings = signed_changes(text, draft)
        assert [(f.code, f.severity, f.line, f.column) for f in findings] == [
            ("LIC018", "error", token.line, token.column)], (name, token)
        assert named in findings[0].message
        if "\n" not in token.text and '"' not in token.text:
            assert f"(was {token.text!r})" in findings[0].message
        assert signed_changes(draft, text)[0].code == "LIC018"


@pytest.mark.parametrize("text", CASES)
def test_change_on_a_continuation_line_of_sign_is_reported_at_sign(text):
    lic = parse_license(text)
    multi = [(a.token, f.entry) for f in lic.features for a in f.attributes
             if a.key == "SIGN" and f.entry.end_line > a.token.line]
    assert multi
    lines = physical_lines(text)
    for token, entry in multi:
        row = entry.end_line - 1  # the SIGN value's last line: change its last hex digit
        content = line_content(lines[row])
        col = content.rindex('"') - 1
        digit = "1" if content[col] != "1" else "2"
        draft = "".join(lines[:row]) + content[:col] + digit + lines[row][col + 1:] + "".join(
            lines[row + 1:])
        findings = signed_changes(text, draft)
        assert [(f.code, f.line, f.column) for f in findings] == [
            ("LIC018", token.line, token.column)]


def test_sample_messages():
    draft = SAMPLE.replace("SIGN=EEEE", "SIGN=EEEF").replace("lic1 0011aabbccdd",
                                                             "lic1 0011aabbccdx")
    findings = signed_changes(SAMPLE, draft)
    assert [(f.code, f.line, f.column) for f in findings] == [("LIC018", 2, 13),
                                                              ("LIC018", 9, 55)]
    assert findings[0].message.startswith(
        "SERVER 0011aabbccdx: signed hostid '0011aabbccdx' changed (was '0011aabbccdd'); "
        "the vendor daemon would reject the line")
    assert findings[1].message.startswith(
        "FEATURE MATLAB: signed field 'SIGN=EEEF' changed (was 'SIGN=EEEE')")


@pytest.mark.parametrize("before, after, message, column", [
    ("FEATURE f v 1.0 permanent 3 SIGN=1", "FEATURE f v 1.0 permanent 3 FLOAT_OK SIGN=1",
     "signed field 'FLOAT_OK'", 29),
    ("FEATURE f v 1.0 permanent 3 SIGN=1", "FEATURE f v 1.0 permanent 3 SIGN=1 ISSUER=me",
     "signed field 'ISSUER=me' added", 36),
    ("FEATURE f v 1.0 permanent 3 SIGN=1", "FEATURE f v 1.0 permanent 3",
     "signed field 'SIGN=1' removed", 27),  # at the line's last token
    ("FEATURE f v 1.0 permanent 3 SIGN=1", "FEATURE g v 1.0 permanent 3 SIGN=1",
     "signed feature name 'g' changed (was 'f')", 9),
    ("FEATURE f v 1.0 permanent 3 SIGN=1", "FEATURE f v 1.0 permanent 3 Sort=1 SIGN=1",
     "signed field 'Sort=1'", 29),
    ("SERVER h 00aa 27000", "SERVER h 00aa 27000 SERVER_TIMEOUT=30",
     "signed field 'SERVER_TIMEOUT=30' added", 21),
])
def test_signed_field_edits(before, after, message, column):
    findings = signed_changes(before, after)
    assert [f.code for f in findings] == ["LIC018"]
    assert findings[0].column == column
    assert message in findings[0].message


def test_two_changed_lines_of_one_feature_are_each_compared_with_their_own():
    draft = SAMPLE.replace("39 01-jan-2030 10", "39 01-jan-2030 11").replace(
        "40 01-jan-2031 5 VENDOR_STRING=xyz", "40 01-jan-2031 5 VENDOR_STRING=xyw")
    findings = signed_changes(SAMPLE, draft)
    assert [(f.line, f.column) for f in findings] == [(7, 35), (9, 37)]
    assert "licence count '11' changed (was '10')" in findings[0].message
    assert "'VENDOR_STRING=xyw' changed (was 'VENDOR_STRING=xyz')" in findings[1].message


# --- (d): signed lines removed, added, reordered ------------------------------------------


def without(text: str, index: int) -> str:
    entries = parse_license(text).entries
    return "".join(e.text for i, e in enumerate(entries) if i != index)


@pytest.mark.parametrize("text", CASES)
def test_deleting_a_feature_line_is_lic019(text):
    entries = parse_license(text).entries
    deleted = [i for i, e in enumerate(entries) if e.kind in ("FEATURE", "INCREMENT")]
    assert deleted
    for index in deleted:
        findings = signed_changes(text, without(text, index))
        assert [f.code for f in findings] == ["LIC019"]
        name = entries[index].tokens[1].text
        assert f"the signed line {entries[index].kind} {name} (line " in findings[0].message
        assert "was removed" in findings[0].message


@pytest.mark.parametrize("text", CASES)
def test_deleting_server_or_vendor_is_lic019(text):
    entries = parse_license(text).entries
    for index in (i for i, e in enumerate(entries) if e.kind in ("SERVER", "VENDOR")):
        assert [f.code for f in signed_changes(text, without(text, index))] == ["LIC019"]


def test_deleted_line_is_named_and_anchored_after_its_predecessor():
    entries = parse_license(SAMPLE).entries
    index = next(i for i, e in enumerate(entries) if e.kind == "PACKAGE")
    findings = signed_changes(SAMPLE, without(SAMPLE, index))
    assert [(f.code, f.line, f.column) for f in findings] == [("LIC019", 10, 1)]
    assert "PACKAGE Suite (line 12 as opened) was removed" in findings[0].message
    first = signed_changes(SAMPLE, without(SAMPLE, 1))  # the first SERVER line
    assert [(f.code, f.line) for f in first] == [("LIC019", 1)]


@pytest.mark.parametrize("text", CASES)
def test_a_copied_feature_line_is_a_new_signed_line(text):
    entries = parse_license(text).entries
    copies = [i for i, e in enumerate(entries) if e.kind in ("FEATURE", "INCREMENT")]
    for index in copies:
        copy = entries[index].text if entries[index].text.endswith("\n") else \
            entries[index].text + "\n"
        draft = "".join(e.text for e in entries[:index + 1]) + copy + "".join(
            e.text for e in entries[index + 1:])
        findings = signed_changes(text, draft)
        assert [(f.code, f.column) for f in findings] == [("LIC018", 1)]
        assert "a new signed line" in findings[0].message
        assert findings[0].line in (entries[index].line, entries[index].end_line + 1)


def test_a_copied_line_at_the_end_is_reported_there():
    draft = SAMPLE + "FEATURE MATLAB MLM 40 01-jan-2031 5 VENDOR_STRING=xyz SIGN=EEEE\n"
    findings = signed_changes(SAMPLE, draft)
    assert [(f.code, f.line, f.column) for f in findings] == [("LIC018", 14, 1)]
    assert findings[0].message.startswith("FEATURE MATLAB: a new signed line")


def test_swapping_two_feature_lines_is_refused():
    entries = list(parse_license(SAMPLE).entries)
    first, second = [i for i, e in enumerate(entries) if e.kind == "FEATURE"]
    entries[first], entries[second] = entries[second], entries[first]
    findings = signed_changes(SAMPLE, "".join(e.text for e in entries))
    assert findings
    assert {f.code for f in findings} <= {"LIC018", "LIC019"}


@pytest.mark.parametrize("text", CASES)
def test_swapping_any_two_different_signed_lines_is_refused(text):
    entries = list(parse_license(text).entries)
    signed = [i for i, e in enumerate(entries) if e.kind in ("FEATURE", "INCREMENT")]
    for a, b in zip(signed, signed[1:]):
        if " ".join(entries[a].text.split()) == " ".join(entries[b].text.split()):
            continue
        swapped = list(entries)
        swapped[a], swapped[b] = swapped[b], swapped[a]
        assert signed_changes(text, "".join(e.text for e in swapped))


def test_a_line_turned_into_a_comment_is_removed():
    draft = SAMPLE.replace("UPGRADE Multi", "# UPGRADE Multi")
    assert [f.code for f in signed_changes(SAMPLE, draft)] == ["LIC019"]


def test_removing_a_stray_backslash_is_no_signed_change():
    # Jestzer/Options.File.Checker Untitled-1.lic: the two lines are read as two signed
    # lines (LIC020), so taking the `\` away changes none.
    original = ("INCREMENT MATLAB MLM 49 01-jan-2099 150 252446F5A5CB \\\n"
                "INCREMENT SIMULINK MLM 49 01-jan-2099 150 BA43E5DA5E64 \\")
    assert [line.key[:2] for line in signed_lines(parse_license(original))] == [
        ("INCREMENT", "MATLAB"), ("INCREMENT", "SIMULINK")]
    assert signed_changes(original, original.replace(" \\", "")) == []


# --- editable tokens and the language -----------------------------------------------------


@pytest.mark.parametrize("line, editable", [
    ("SERVER host 00aa 27000 PRIMARY_IS_MASTER", ["host", "27000"]),
    ("SERVER host 00aa", ["host"]),
    ("SERVER host ID=12 SERVER_TIMEOUT=30", ["host"]),
    ("SERVER", []),
    ("VENDOR MLM /opt/MLM options=/etc/m.opt 27100", ["/opt/MLM", "options=/etc/m.opt",
                                                       "27100"]),
    ("USE_SERVER", []),
    ('FEATURE f v 1.0 permanent 3 asset_info="a b" Sort=1 sort=2 SIGN=x vendor_info=y',
     ['asset_info="a b"', "sort=2", "vendor_info=y"]),
    ("PACKAGE p v 1.0 COMPONENTS=f user_info=u SIGN=x", ["user_info=u"]),
    ("UPGRADE f v 1.0 2.0 permanent 1 dist_info=d SIGN=x", ["dist_info=d"]),
    ("HOST h 00aa", []),
])
def test_editable_tokens(line, editable):
    entry = parse_license(line).entries[0]
    keyword = entry.kind if entry.kind != "unknown" else entry.tokens[0].text
    assert [t.text for t in editable_tokens(keyword, entry.tokens[1:])] == editable


def test_license_language_refuses_exactly_the_signed_changes():
    language = LicenseLanguage()
    draft = SAMPLE.replace("SIGN=5678", "SIGN=5679")
    assert language.refusals(SAMPLE, draft) == signed_changes(SAMPLE, draft)
    assert [f.code for f in language.refusals(SAMPLE, draft)] == ["LIC018"]
    assert language.refusals(SAMPLE, rename_servers(SAMPLE)) == []


# --- never raising ------------------------------------------------------------------------

FRAGMENTS = st.sampled_from([
    "FEATURE", "INCREMENT", "SERVER", "VENDOR", "DAEMON", "PACKAGE", "UPGRADE", "USE_SERVER",
    " f", " g", " v", " 1.0", " permanent", " 3", " uncounted", ' SIGN="A', " B\"", " SIGN=1",
    " asset_info=x", " Sort=1", " 27000", " port=1", " options=/o", " \\", "\n", "\r\n", "\t",
    "#", " HOSTID=ANY"])
LICENSE_LIKE = st.lists(FRAGMENTS, max_size=40).map("".join)


@settings(max_examples=300)
@given(st.text(), st.text())
def test_never_raises_on_any_text(original, draft):
    for finding in signed_changes(original, draft):
        assert finding.code in ("LIC018", "LIC019")
    assert signed_changes(original, original) == []


@settings(max_examples=500)
@given(LICENSE_LIKE, LICENSE_LIKE)
def test_findings_exactly_when_the_signed_lines_differ(original, draft):
    findings = signed_changes(original, draft)
    keys = [[s.key for s in signed_lines(parse_license(t))] for t in (original, draft)]
    assert bool(findings) == (keys[0] != keys[1])
    assert signed_changes(draft, draft) == []
    lines = len(physical_lines(draft)) or 1
    assert all(1 <= f.line <= lines and f.column >= 1 for f in findings)


def test_a_port_or_server_change_needs_a_restart_not_a_reread():
    from lmconsole.adapters.flexlm.license_edit import restart_reasons

    original = ("SERVER lic1 0050569a1b2c 27000\nVENDOR adskflex port=2080\n"
                "INCREMENT AutoCAD adskflex 1.0 permanent 10 SIGN=\"AB CD\" asset_info=x\n")
    assert restart_reasons(original, original.replace("port=2080", "port=2090")) == [
        "a VENDOR line changed"]
    assert restart_reasons(original, original.replace("27000", "27001")) == [
        "a SERVER line changed"]
    assert restart_reasons(original, original.replace("asset_info=x", "asset_info=y")) == []
    assert restart_reasons(original, original.replace("VENDOR adskflex", "VENDOR  adskflex")) == []
