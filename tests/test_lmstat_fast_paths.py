"""The parser's fast paths for seat lines (_CANONICAL_USER, _CANONICAL_SEAT_OTHER_WORDS, the
runs of seat lines read together and the start-time cache) read every line exactly as the
careful way (_Parser.classify, which tries _Parser.user_line first) does: the same seat, the
same diagnostics, in a line alone and in whole outputs."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from lmconsole.adapter import StatusReport
from lmconsole.adapters.flexlm.lmstat import (
    _CANONICAL_USER,
    _CANONICAL_USER_SPACED,
    _SPACES,
    SeatLines,
    _canonical_user_of,
    _FeatureBuilder,
    _Parser,
    parse_lmstat,
)

from .corpus import REPO, read_corpus

SAMPLES = REPO / "tests" / "samples" / "flexlm"

NOW = datetime(2026, 11, 22, 10, 5, tzinfo=UTC)
HEADER = "Users of f:  (Total of 40 licenses issued;  Total of 1 license in use)"


def read_fast(line: str):
    report = parse_lmstat(f"{HEADER}\n{line}\n", tz=UTC, now=NOW)
    return report.servers[0].features[0].checkouts, report.diagnostics


def read_carefully(line: str):
    parser = _Parser(None, UTC, NOW)
    parser.feature = _FeatureBuilder("f", 40, 1, False, None, None, None, 1)
    parser.classify(line, 2)  # a seat line, else whatever else the line is
    parser.settle_tentative_identities()
    return tuple(parser.feature.checkouts), tuple(parser.diagnostics)


words = st.one_of(
    st.text(alphabet="abXY019._-/:$()=\"'", min_size=1, max_size=8),
    st.sampled_from(["/dev/pts/3", "/dev/tty", ":0.0", "ws1:1", "2025.1", "v1.0", "1.0",
                     "key=value", "PKG:COMP", "A", "7", "ws1", "WS1", "ws1.example.com",
                     "(v1.0)", "(a/27000"]),
)
whos = st.lists(words, min_size=1, max_size=5).map(" ".join)
versions = st.sampled_from(["1.0", "2025.1", "", "0.0", "v2", "a/b", "1.0)", "x) (y"])
servers = st.sampled_from(["lic-a", "lic-b.example.com", "a:b", "s/t", "v1.0", "(s"])
ports = st.sampled_from(["27000", "1", "59999", "60000", "65535", "65536", "99999", "007"])
handles = st.sampled_from(["1", "101", "999999999", "4294967295", "4294967296", "0"])
starts = st.tuples(st.integers(0, 13), st.integers(0, 32), st.integers(0, 25),
                   st.integers(0, 60)).map(lambda t: f"{t[0]}/{t[1]} {t[2]}:{t[3]:02d}")
tails = st.lists(st.sampled_from([", 3 licenses", ", 1 license", ", PID: 4242",
                                  ", PID: 99999999999", "  (linger: 5 / 86400)",
                                  " (linger: 0 / 60)", " (linger: 86400)", " "]),
                 max_size=3).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["", "  ", "    "]), whos, versions, servers, ports, handles, starts,
       tails)
def test_a_seat_line_is_read_as_the_careful_way_reads_it(indent, who, version, server, port,
                                                         handle, start, tail):
    line = f"{indent}{who} (v{version}) ({server}/{port} {handle}), start Mon {start}{tail}"
    assert read_fast(line) == read_carefully(line)


def test_the_other_word_counts_are_split_as_split_identity_splits_them():
    lines = {
        "    u1 ws1 (v1.0) (a/27000 1), start Sun 11/22 9:00": ("u1", "ws1", None, None),
        "    u1 /dev/pts/1 (v1.0) (a/27000 1), start Sun 11/22 9:00": ("u1", None, "/dev/pts/1",
                                                                       None),
        "    u1 ws1 ws1 2025.1 (v1.0) (a/27000 1), start Sun 11/22 9:00": ("u1", "ws1", "ws1",
                                                                           "2025.1"),
        "    John Smith ws1 /dev/pts/9 (v1.0) (a/27000 1), start Sun 11/22 9:00, 2 licenses":
            ("John Smith", "ws1", "/dev/pts/9", None),
    }
    for line, identity in lines.items():
        (seat,), diagnostics = read_fast(line)
        assert (seat.user, seat.host, seat.display, seat.extra) == identity
        assert diagnostics == ()
        assert read_fast(line) == read_carefully(line)


def test_a_split_left_uncertain_is_settled_by_a_host_of_another_seat_line():
    text = (f"{HEADER}\n"
            "    u1 hostA xyz disp (v1.0) (a/27000 1), start Sun 11/22 9:00\n"
            "    u2 hostA hostA (v1.0) (a/27000 2), start Sun 11/22 9:00\n")
    first, second = parse_lmstat(text, tz=UTC, now=NOW).servers[0].features[0].checkouts
    assert (first.user, first.host, first.display) == ("u1", "hostA", "xyz disp")
    assert (second.user, second.host, second.display) == ("u2", "hostA", "hostA")


def test_seats_share_the_version_and_server_they_repeat():
    text = (f"{HEADER}\n"
            "    u1 ws1 /dev/tty (v2025.1) (lic-a.example.com/27000 101), start Sun 11/22 9:00\n"
            "    u2 ws2 ws2 2025.1 (v2025.1) (lic-a.example.com/27000 102), start Sun 11/22 9:05\n"
            "    u3 ws3 :0 (v2024.0) (lic-b/1717 103), start Sun 11/22 9:10, 2 licenses\n")
    report = parse_lmstat(text, tz=UTC, now=NOW)
    first, second, third = report.servers[0].features[0].checkouts
    assert [(s.version, s.server, s.port, s.handle) for s in (first, second, third)] == [
        ("2025.1", "lic-a.example.com", 27000, 101), ("2025.1", "lic-a.example.com", 27000, 102),
        ("2024.0", "lic-b", 1717, 103)]
    assert first.version is second.version and first.server is second.server
    assert report.diagnostics == ()


def test_the_spaces_named_in_the_canonical_pattern_are_those_of_backslash_s():
    named = re.compile(f"[{_SPACES}]")
    assert [c for c in map(chr, range(sys.maxunicode + 1))
            if (named.fullmatch(c) is None) != (re.fullmatch(r"\s", c) is None)] == []


# ---- whole outputs: runs of seat lines, line numbers, line endings, polls -------------------

BASES = [read_corpus("flexlm", "lmstat", name) for name in (
    "exporter_app1_reservations_host_group_linger_queued_garbled_display.txt",
    "exporter_app3_two_vendor_daemons_large_user_list.txt",
    "flexlm_stat_json_two_servers_dashed_separator_linger_numeric_user.txt",
    "license_manager_fragment_feature_eq_display.txt",
)] + [(SAMPLES / name).read_text(encoding="utf-8") for name in (
    "flexlm_exporter_lmstat_app4.txt", "license_manager_fragment_package_component_seats.txt")]
LINE_BREAKS = ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028",
               "\u2029"]
SNIPPETS = ["", " ", "\t", "(", ")", "/", "x", "9999999999", "٣", "99999", "0", "ws1 ",
            "2025.1 ", " (v1.0)", ", start Mon 2/30 9:00", ", start Mon 11/22 24:00", "\ufeff",
            *LINE_BREAKS]
STARTS = ["11/22 9:00", "11/22 23:59", "2/29 0:00", "2/30 9:00", "13/1 9:00", "11/22 24:00",
          "11/22 9:60", "0/1 9:00", "11/22 09:05"]
START = re.compile(r"[0-9]{1,2}/[0-9]{1,2} [0-9]{1,2}:[0-9][0-9]")


def edited(text: str, edits: list[tuple[int, int, int, int]]) -> str:
    """The text with each edit (what, which line, where in it, which snippet) made."""
    lines = text.splitlines(keepends=True)
    for what, which, where, snippet in edits:
        if not lines:
            break
        index = which % len(lines)
        line = lines[index]
        at = where % (len(line) + 1)
        if what == 0:  # a snippet in the line, in place of one character
            lines[index] = line[:at] + SNIPPETS[snippet % len(SNIPPETS)] + line[at + 1:]
        elif what == 1:  # another line ending
            body = line.rstrip("".join(LINE_BREAKS))
            lines[index] = body + LINE_BREAKS[snippet % len(LINE_BREAKS)]
        elif what == 2:
            lines.insert(index, lines[snippet % len(lines)])
        elif what == 3:
            del lines[index]
        elif what == 4:
            lines[index] = START.sub(STARTS[snippet % len(STARTS)], line)
        else:  # the output cut there
            return "".join(lines[:index]) + line[:at]
    return "".join(lines)


def parse_carefully(text: str) -> StatusReport:
    """What parse_lmstat gives with every line read the careful way (_Parser.classify)."""
    parser = _Parser(None, UTC, NOW)
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if line and not line.isspace():
            parser.classify(line, number)
    truncated_at = parser.truncation(lines, text)
    parser.settle_tentative_identities()
    return StatusReport(parser.build_servers(), tuple(parser.diagnostics), parser.reported_at,
                        parser.recognised, truncated_at)


edit_lists = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 10**4), st.integers(0, 300),
                                st.integers(0, 100)), max_size=8)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(BASES), edit_lists, edit_lists)
def test_a_whole_output_is_read_as_the_careful_way_reads_it(base, edits, next_edits):
    text = edited(base, edits)
    assert parse_lmstat(text, tz=UTC, now=NOW) == parse_carefully(text)
    polled = SeatLines()  # and polled again: seat lines seen before are not read again
    parse_lmstat(text, tz=UTC, now=NOW, seats_before=polled)
    again = edited(text, next_edits)
    assert parse_lmstat(again, tz=UTC, now=NOW, seats_before=polled) == parse_carefully(again)


def test_a_start_time_is_read_as_a_datetime_of_the_zone_and_an_impossible_one_is_said():
    new_york = ZoneInfo("America/New_York")
    text = HEADER + "".join(
        f"\n    u{n} ws{n} ws{n} (v1.0) (a/27000 {n}), start Sun {start}"
        for n, start in enumerate(["11/22 9:05", "2/29 0:00", "3/8 2:30", "11/22 24:00",
                                   "11/22 9:60", "2/30 9:00", "11/22 24:00"], 1)) + "\n"
    report = parse_lmstat(text, tz=new_york, now=NOW)
    assert [seat.start for seat in report.servers[0].features[0].checkouts] == [
        datetime(2026, 11, 22, 9, 5, tzinfo=new_york), datetime(2024, 2, 29, tzinfo=new_york),
        datetime(2026, 3, 8, 2, 30, tzinfo=new_york),  # a time the change to DST skips
        None, None, None, None]
    assert [(d.line, d.message) for d in report.diagnostics] == [
        (5, "impossible start time"), (6, "impossible start time"),
        (7, "impossible start time")]  # said once for a text, not again on line 8


# ---- the canonical pattern for a text of spaces only --------------------------------------

spaced_lines = st.lists(st.one_of(
    st.sampled_from(["u1 ws1 ws1", "u1 ws1", "John Doe ws1 /dev/tty", "u1 ws1 ws1 2025.1"]),
    st.text(alphabet="ab1 \t\x1f\xa0/():.", max_size=12),
), min_size=1, max_size=3).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["", "    ", "\t", "\t\t", " \t", "\t "]), spaced_lines,
       st.sampled_from(["Mon", "M\tn", "Mon\t", "M\xa0n"]), tails)
def test_a_line_with_tabs_or_other_white_space_is_read_as_the_careful_way_reads_it(
        indent, words, weekday, tail):
    line = f"{indent}{words} (v1.0) (lic-a/27000 7), start {weekday} 11/22 9:00{tail}"
    assert read_fast(line) == read_carefully(line)


spaced_words = st.lists(st.one_of(
    st.sampled_from(["u1 ws1 ws1", "u1 ws1", "John Doe ws1 /dev/tty", "u1 ws1 ws1 2025.1"]),
    st.text(alphabet="ab1 /():.", max_size=12),
), min_size=1, max_size=3).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "    ", "\t", "\t\t", "\t "]), spaced_words),
                min_size=1, max_size=4))
def test_the_spaced_pattern_reads_a_text_it_is_chosen_for_as_the_exact_one(lines):
    text = "\n".join(f"{indent}{words} (v1.0) (lic-a/27000 7), start Mon 11/22 9:00"
                     for indent, words in lines)
    assert _canonical_user_of(text) is _CANONICAL_USER_SPACED
    for line in text.splitlines():
        spaced, exact = _CANONICAL_USER_SPACED.fullmatch(line), _CANONICAL_USER.fullmatch(line)
        assert (spaced and spaced.groups()) == (exact and exact.groups())


def test_the_spaced_pattern_is_chosen_for_a_text_whose_tabs_only_indent():
    line = "    u1 ws1 ws1 (v1.0) (lic-a/27000 7), start Mon 11/22 9:00"
    assert _canonical_user_of(f"\t2 RESERVATIONs\n\t\t{line}\r\n\t{line}") is \
        _CANONICAL_USER_SPACED
    for text in (f"{line}\tx", f" \t{line}", f"{line}\x1f", f"{line} é", f"\x0b\t{line}"):
        assert _canonical_user_of(text) is _CANONICAL_USER
