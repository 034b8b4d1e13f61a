"""parse_lmstat(borrowed_seats_only=True), for the features' rows of `snapshot --format table`
and `csv`: whatever the output, those rows, the diagnostics and the rest of the report are
what the whole parse gives, and seats that are not borrowed are left out."""

from __future__ import annotations

import os
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from lmconsole.adapters.flexlm.lmstat import parse_lmstat
from lmconsole.model import Snapshot
from lmconsole.output import render_csv, render_table

from .test_lmstat_fast_paths import BASES, NOW, edit_lists, edited

UTC = NOW.tzinfo


def parse_both(text: str):
    return (parse_lmstat(text, tz=UTC, now=NOW),
            parse_lmstat(text, tz=UTC, now=NOW, borrowed_seats_only=True))


def feature_rows(report) -> tuple[str, str]:
    snapshot = Snapshot(taken_at=NOW, servers=report.servers, diagnostics=report.diagnostics)
    return render_table(snapshot, width=None, tz=UTC), render_csv(snapshot)


def without_seats(report):
    return [server._replace(features=tuple(f._replace(checkouts=()) for f in server.features))
            for server in report.servers]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(BASES), edit_lists)
def test_the_features_rows_and_diagnostics_are_those_of_the_whole_parse(base, edits):
    text = edited(base, edits)
    whole, borrowed_only = parse_both(text)
    assert feature_rows(borrowed_only) == feature_rows(whole)
    assert borrowed_only.diagnostics == whole.diagnostics
    assert borrowed_only.truncated_at == whole.truncated_at
    assert (borrowed_only.reported_at, borrowed_only.recognised) == (whole.reported_at,
                                                                     whole.recognised)
    assert without_seats(borrowed_only) == without_seats(whole)
    for kept, every in zip(all_features(borrowed_only), all_features(whole), strict=True):
        assert kept.borrowed == every.borrowed
        assert len(kept.checkouts) <= len(every.checkouts)


def all_features(report):
    return [feature for server in report.servers for feature in server.features]


def test_the_borrowed_seats_are_kept_and_the_canonical_lines_others_left_out():
    text = BASES[0]  # seats with and without time left to linger, and with none
    whole, borrowed_only = parse_both(text)
    every = [seat for feature in all_features(whole) for seat in feature.checkouts]
    kept = [seat for feature in all_features(borrowed_only) for seat in feature.checkouts]
    assert any(seat.borrowed for seat in every) and not all(seat.borrowed for seat in every)
    assert [seat for seat in kept if seat.borrowed] == [seat for seat in every if seat.borrowed]
    # those still kept are read the careful way: lines of other layouts, seldom in an output
    assert len(kept) < len(every) / 2


def test_a_header_with_its_seats_all_left_out_is_not_taken_for_a_cut_output():
    text = ("Users of f:  (Total of 4 licenses issued;  Total of 1 license in use)\n\n"
            "    u1 ws1 ws1 (v1.0) (lic-a/27000 101), start Sun 11/22 9:00\n")
    whole, borrowed_only = parse_both(text)
    assert borrowed_only.servers[0].features[0].checkouts == ()
    assert whole.truncated_at is None and borrowed_only.truncated_at is None


def run_snapshot(path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TZ": "UTC"}
    return subprocess.run([sys.executable, "-m", "lmconsole", "snapshot", "--from-file",
                           str(path), "--server-tz", "UTC", *extra],
                          capture_output=True, text=True, env=env, check=False)


def test_the_command_line_gives_the_rows_of_the_whole_parse(tmp_path):
    path = tmp_path / "lmstat.txt"
    path.write_text(BASES[0], encoding="utf-8")
    whole = parse_lmstat(BASES[0], tz=UTC, now=NOW)
    table = run_snapshot(path, "--format", "csv")
    seats = run_snapshot(path, "--format", "csv", "--seats")
    assert table.returncode == seats.returncode
    snapshot = Snapshot(taken_at=NOW, servers=whole.servers, diagnostics=whole.diagnostics)
    assert table.stdout == render_csv(snapshot)
    assert seats.stdout == render_csv(snapshot, rows="seats")
