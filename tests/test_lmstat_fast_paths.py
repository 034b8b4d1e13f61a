"""The parser's fast paths for seat lines (_CANONICAL_USER, _CANONICAL_SEAT_OTHER_WORDS and
the start-time cache) read every line exactly as the careful way (_Parser.classify, which
tries _Parser.user_line first) does: the same seat, the same diagnostics."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from lmconsole.adapters.flexlm.lmstat import _SPACES, _FeatureBuilder, _Parser, parse_lmstat

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
