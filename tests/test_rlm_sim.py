"""The simulated RLM server: its rlmstat output read by the product's parser gives back the
simulator's own state (round trip), its report log read by the product's reader gives back
its checkouts and true denials, and rlmremove and rlmreread act on it. Manual clocks only."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.flexlm.sim.clock import ManualClock
from lmconsole.adapters.rlm.reportlog import parse_reportlog
from lmconsole.adapters.rlm.rlmstat import parse_rlmstat
from lmconsole.adapters.rlm.sim import RlmServer, load_rlm_scenario
from lmconsole.model import EventKind

LONDON = ZoneInfo("Europe/London")


def studio(seed: int = 1, hours: float = 3) -> RlmServer:
    scenario = load_rlm_scenario("studio")
    server = RlmServer.from_scenario(scenario, seed=seed, clock=ManualClock.at(scenario.start))
    server.advance(hours * 3600)
    return server


def rlmstat(server: RlmServer) -> str:
    code, out, err = server.rlmutil(["rlmutil", "rlmstat", "-a", "-c", "5053@studio-lic02"])
    assert (code, err) == (0, "")
    return out


@pytest.mark.parametrize(("seed", "hours"), [(1, 3), (2, 30), (5, 24 * 4 + 5)])
@pytest.mark.parametrize("tz", [LONDON, UTC])
def test_rlmstat_read_back_is_the_simulators_state(seed, hours, tz):
    server = studio(seed, hours)
    report = parse_rlmstat(rlmstat(server), name="studio", tz=tz)
    assert report.diagnostics == () and report.recognised
    assert report.servers == (server.status(tz, "studio"),)


def test_the_status_holds_every_kind_of_rlm_seat():
    server = studio(1, 3)
    status = server.status(name="studio")
    assert [v.name for v in status.vendors] == ["foundry", "simio"]
    features = {f.name: f for f in status.features}
    nuke = features["nuke_r"]
    assert [p.version for p in nuke.pools] == ["14.0", "13.0"] and nuke.issued == 8
    assert any("." in c.user for c in nuke.checkouts)  # first.last users
    assert features["nukex_i"].reserved == 1  # RESERVE 1 nukex_i group leads, unused
    assert any(c.borrowed for c in features["mari_i"].checkouts)  # a notebook's roaming seat
    assert features["simio_design"].vendor == "simio"
    assert ", pool: 2" in rlmstat(server)


def test_the_report_log_gives_back_the_checkouts_and_true_denials():
    server = studio(3, 30)
    text = "\n".join(server.log.lines) + "\n"
    events, diagnostics = parse_reportlog(text, tz=LONDON, server="studio")
    assert diagnostics == []
    outs = [line for line in server.log.lines if line.startswith("OUT ")]
    ins = [line for line in server.log.lines if line.startswith("IN ")]
    denials = [line.split() for line in server.log.denial_lines()]
    true_denials = [d for d in denials if d[8] == "1"]
    assert {d[8] for d in denials} == {"0", "1"}  # the render nodes try their second server
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.OUT) == len(outs)
    assert kinds.count(EventKind.IN) == len(ins)
    assert [(e.feature, e.user, e.host) for e in events if e.kind == EventKind.DENIED] == [
        (d[1], d[3], d[4]) for d in true_denials]
    assert {e.daemon for e in events} == {"foundry"}  # simio keeps no report log
    assert events[0].at.date() == server.scenario.server_started.date()


def test_rlmremove_frees_a_seat_as_the_adapter_asks_and_logs_why():
    server = studio(1, 3)
    adapter = ADAPTERS["rlm"]
    status = server.status(name="studio")
    nuke = next(f for f in status.features if f.name == "nuke_r")
    seat = nuke.checkouts[0]
    config = type("Config", (), {"name": "studio", "lmutil": "/opt/rlm/rlmutil",
                                 "license": "5053@studio-lic02", "vendor": None})()
    argv = adapter.remove_argv(config, status, "nuke_r", seat)
    assert argv[0] == "/opt/rlm/rlmremove"
    assert server.rlmutil(argv)[0] == 0
    after = next(f for f in server.status().features if f.name == "nuke_r")
    assert seat.handle not in [c.handle for c in after.checkouts]
    assert server.log.lines[-1].startswith(f"IN 3 nuke_r {seat.version} {seat.user} ")
    code, _out, err = server.rlmutil(argv)
    assert code == 1 and "not found" in err


def test_rlmremove_leaves_a_checkout_younger_than_min_remove():
    server = studio(1, 3)
    outcome = server.checkout("zoe.hart", "studio-ws20", "simio_design")
    assert outcome.kind == "out"
    code, _out, err = server.rlmutil(["rlmremove", "-q", "studio-lic02", "4102", "simio",
                                      format(outcome.handle, "x")])
    assert code == 1 and "min_remove" in err
    server.advance(180)
    assert server.rlmutil(["rlmremove", "-q", "studio-lic02", "4102", "simio",
                           format(outcome.handle, "x")])[0] == 0


def test_rlmreread_applies_a_changed_options_file(tmp_path):
    scenario = load_rlm_scenario("studio")
    simulator = ADAPTERS["rlm"].simulator()
    licence = simulator.copy_files(scenario, tmp_path)
    server = simulator.start(scenario, seed=1, at=scenario.start, speed=None,
                             licence_path=licence)
    assert next(f for f in server.status().features if f.name == "nukex_i").reserved == 1
    options = tmp_path / "foundry.opt"
    options.write_text(options.read_text().replace("RESERVE 1 nukex_i", "RESERVE 2 nukex_i"))
    assert server.rlmutil(["rlmutil", "rlmreread", "-c", "5053@studio-lic02"])[0] == 0
    nukex = next(f for f in server.status().features if f.name == "nukex_i")
    assert nukex.reserved + sum(c.count for c in nukex.checkouts
                                if c.user in ("anna.berg", "james.okafor")) >= 2


def test_history_imported_from_the_simulators_report_log_matches_it(tmp_path):
    """`lmconsole import` of a day of the studio's report log: one session per OUT record,
    closed by its IN, and one denial per true denial (last_attempt 1), at their times."""
    from .test_history_import import database, listed, lmconsole, summary

    server = studio(4, 30)
    log = tmp_path / "foundry.rl"
    log.write_text("\n".join(server.log.lines) + "\n")
    config = tmp_path / "config" / "lmconsole" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[[servers]]\nname = "studio"\nmanager = "rlm"\n'
                      'license = "5053@studio-lic02"\ntimezone = "Europe/London"\n')
    result = summary(lmconsole(tmp_path, "import", str(log), "--server", "studio",
                               "--database", database(tmp_path)))
    outs = [line.split() for line in server.log.lines if line.startswith("OUT ")]
    open_now = sum(len(f.checkouts) for f in server.status().features if f.vendor == "foundry")
    true_denials = [line.split() for line in server.log.denial_lines() if line.split()[8] == "1"]
    assert result["sessions"].startswith(f"{len(outs)} ({open_now} still open)")
    assert result["denials"] == str(len(true_denials))
    denials = listed(tmp_path, "denials")
    assert sorted((d["feature"], d["user"], d["host"]) for d in denials) == sorted(
        (d[1], d[3], d[4]) for d in true_denials)
    sessions = listed(tmp_path, "sessions")
    assert sorted((s["feature"], s["user"]) for s in sessions) == sorted(
        (o[1], o[4]) for o in outs)
