"""Scenarios moved in time: a simulation started at any moment has its licence dated from
that moment (expiry three weeks in stays three weeks in), and its workload is the same."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from lmconsole.adapters.flexlm.license import parse_license
from lmconsole.adapters.flexlm.sim import SimulatedServer, create_state_dir, load_scenario
from lmconsole.adapters.flexlm.sim.scenario import move_dates, scenario_names
from lmconsole.adapters.flexlm.sim.statedir import copy_scenario_files
from lmconsole.adapters.flexlm.validate_license import validate_license

# Odd moments to start at: mid-summer at night, New Year's Eve, a leap day.
STARTS = [datetime(2031, 7, 15, 2, 0, tzinfo=UTC), datetime(2027, 12, 31, 23, 30, tzinfo=UTC),
          datetime(2028, 2, 29, 12, 0, tzinfo=UTC)]


def test_move_dates_moves_every_flexlm_date_and_nothing_else():
    text = ('INCREMENT f v 1.0 31-dec-2026 3 ISSUED=05-jan-2026 START=1-Mar-2026 SIGN="0B4C"\n'
            "INCREMENT g v 1.0 permanent 1 SIGN=1\nINCREMENT h v 1.0 1-jan-0 1 SIGN=1\n"
            "# 31-feb-2026 is no date\n")
    assert move_dates(text, 2) == (
        'INCREMENT f v 1.0 02-jan-2027 3 ISSUED=07-jan-2026 START=3-mar-2026 SIGN="0B4C"\n'
        "INCREMENT g v 1.0 permanent 1 SIGN=1\nINCREMENT h v 1.0 1-jan-0 1 SIGN=1\n"
        "# 31-feb-2026 is no date\n")
    assert move_dates(text, 0) == text


@pytest.mark.parametrize("start", STARTS, ids=lambda s: s.date().isoformat())
@pytest.mark.parametrize("name", scenario_names())
def test_a_scenario_started_at_any_moment_keeps_its_expiry_dates_relative(name, start,
                                                                          tmp_path):
    written = load_scenario(name)
    moved = written.starting_at(start)
    assert moved.start == start
    assert moved.start - moved.server_started == written.start - written.server_started
    licence = copy_scenario_files(moved, tmp_path)
    before = parse_license(written.licence_text())
    after = parse_license(licence.read_text(encoding="utf-8"))
    assert [(p.name, p.expiry is None) for p in after.pools] == [
        (p.name, p.expiry is None) for p in before.pools]
    for old, new in zip(before.pools, after.pools, strict=True):
        if old.expiry is not None:
            assert new.expiry - moved.start.date() == old.expiry - written.start.date()
    # Valid FlexLM, nothing expired on the day it starts; only what was written to expire
    # soon (engineering's older MATLAB lot, three weeks in) warns.
    findings = validate_license(after, moved.start.date())
    expected = ["LIC009"] if name == "engineering" else []
    assert [f.code for f in findings] == expected, findings


def test_moved_by_whole_weeks_the_workload_is_the_same_and_only_dates_change():
    # (The office is in Berlin: 52 weeks on, it is still winter time there.)
    written = SimulatedServer.from_scenario("architecture", seed=3)
    year_later = load_scenario("architecture").start + timedelta(weeks=52)
    moved = SimulatedServer.from_scenario(load_scenario("architecture").starting_at(year_later),
                                          seed=3)
    for server in (written, moved):
        server.advance(3 * 3600)

    def seats(server):
        return [(f.name, c.user, c.host, c.handle) for f in server.status().features
                for c in f.checkouts]

    assert seats(moved) == seats(written) and seats(written)
    expiries = [(p.expiry, q.expiry) for f, g in zip(written.status().features,
                                                    moved.status().features, strict=True)
                for p, q in zip(f.pools, g.pools, strict=True) if p.expiry is not None]
    assert expiries and all(q - p == timedelta(weeks=52) for p, q in expiries)
    assert moved.lmutil(["lmstat", "-a"])[1] != written.lmutil(["lmstat", "-a"])[1]


def test_a_moved_server_saved_and_reloaded_keeps_its_start():
    moved = SimulatedServer.from_scenario(load_scenario("reserved").starting_at(STARTS[0]),
                                          seed=1)
    reloaded = SimulatedServer.from_dict(json.loads(json.dumps(moved.to_dict())))
    assert reloaded.scenario.start == moved.scenario.start
    moved.advance(3600)
    reloaded.advance(3600)
    assert reloaded.lmutil(["lmstat", "-a"]) == moved.lmutil(["lmstat", "-a"])
    reloaded.reread()  # reads the scenario's licence file again: dated as the moved one
    assert [p.expiry for p in reloaded.daemons.licence.pools] == [
        p.expiry for p in moved.daemons.licence.pools]


def test_a_state_directory_started_at_a_given_moment_is_dated_from_it(tmp_path):
    directory = create_state_dir(tmp_path / "sim", "architecture", speed=0, start=STARTS[0])
    licence = parse_license((directory / "license.lic").read_text(encoding="utf-8"))
    assert {p.expiry for p in licence.pools} == {date(2031, 7, 15) + (
        date(2026, 12, 31) - date(2026, 3, 2))}
