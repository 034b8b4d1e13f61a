"""The RLM and LM-X simulators as programs: `python -m ...sim init`, `lmconsole-sim-rlmutil`
and `lmconsole-sim-lmxendutil`, run as subprocesses against state directories whose clock is
stopped (speed 0), and the state kept between runs: a state directory moved on step by step
says what a server kept in memory says after the same steps."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.flexlm.sim.clock import ManualClock
from lmconsole.adapters.lmx.sim import LmxServer, load_scenario
from lmconsole.adapters.lmx.sim.statedir import (
    LOG_FILE,
    advance_lmx_state_dir,
    create_lmx_state_dir,
    open_lmx_state_dir,
)
from lmconsole.adapters.rlm.sim import RlmServer, RlmSimulator, load_rlm_scenario
from lmconsole.adapters.rlm.sim.statedir import (
    advance_rlm_state_dir,
    create_rlm_state_dir,
    open_rlm_state_dir,
)
from lmconsole.model import EventKind


def program(name: str, module: str) -> list[str]:
    script = Path(sys.executable).with_name(name)
    return [str(script)] if script.exists() else [sys.executable, "-m", module]


RLMUTIL = program("lmconsole-sim-rlmutil", "lmconsole.adapters.rlm.sim.rlmutil")
LMXENDUTIL = program("lmconsole-sim-lmxendutil", "lmconsole.adapters.lmx.sim.lmxendutil")
STEPS = (600, 3600, 7 * 3600, 20 * 3600)


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


# ---- RLM ---------------------------------------------------------------------------------------

def test_rlm_init_writes_the_licence_options_report_log_and_state(tmp_path):
    sim = tmp_path / "rlm"
    done = run(sys.executable, "-m", "lmconsole.adapters.rlm.sim", "init", str(sim),
               "--seed", "1", "--speed", "0")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in sim.iterdir()) == [
        "foundry.opt", "foundry.rl", "license.lic", "state.json", "state.lock"]
    assert f"REPORTLOG +{sim / 'foundry.rl'} std\n" in (sim / "foundry.opt").read_text()
    assert (sim / "foundry.rl").read_text().startswith(
        "RLM Report Log Format 0, version 15.2, authenticated\nISV: foundry, RLM version 15.2")


def test_rlmutil_runs_rlmstat_rlmremove_and_rlmreread_as_the_adapter_calls_them(tmp_path):
    sim = create_rlm_state_dir(tmp_path / "rlm", seed=1, speed=0)
    advance_rlm_state_dir(sim, 3 * 3600)
    stat = run(*RLMUTIL, "--sim-dir", str(sim), "rlmstat", "-a", "-c", "5053@studio-lic02")
    assert stat.returncode == 0, stat.stderr
    london = ZoneInfo("Europe/London")
    report = ADAPTERS["rlm"].parse_status(stat.stdout, name="studio", tz=london, now=None)
    (status,) = report.servers
    with open_rlm_state_dir(sim) as server:
        assert status == server.status(london, "studio")
    nuke = next(f for f in status.features if f.name == "nuke_r")
    seat = nuke.checkouts[0]
    config = type("Config", (), {"name": "studio", "lmutil": "rlmutil", "vendor": None,
                                 "license": "5053@studio-lic02"})()
    remove = ADAPTERS["rlm"].remove_argv(config, status, "nuke_r", seat)
    assert remove[:2] == ["rlmremove", "-q"]  # a program of its own: its name comes first
    removed = run(*RLMUTIL, "--sim-dir", str(sim), *remove)
    assert (removed.returncode, removed.stderr) == (0, ""), removed.stderr
    last = (sim / "foundry.rl").read_text().splitlines()[-1]
    assert last.startswith(f"IN 3 nuke_r {seat.version} {seat.user} {seat.host} ")
    options = sim / "foundry.opt"
    options.write_text(options.read_text() + "MAX 1 nuke_r user render\n")
    rlmutil, *reread_args = ADAPTERS["rlm"].reread_argv(config)
    assert rlmutil == "rlmutil"  # the executable stands in for it
    reread = run(*RLMUTIL, "--sim-dir", str(sim), *reread_args)
    assert reread.returncode == 0, reread.stderr
    with open_rlm_state_dir(sim) as server:
        assert "MAX 1 nuke_r user render" in server.texts["options"]["foundry"]


def test_an_rlm_state_directory_moves_on_as_a_server_kept_in_memory(tmp_path):
    sim = create_rlm_state_dir(tmp_path / "rlm", seed=3, speed=0)
    scenario = load_rlm_scenario("studio")
    files = tmp_path / "memory"
    files.mkdir()
    licence = RlmSimulator().copy_files(scenario, files)
    memory = RlmServer.from_scenario(scenario, seed=3, licence_path=licence,
                                     clock=ManualClock.at(scenario.start))
    for seconds in STEPS:
        advance_rlm_state_dir(sim, seconds)
        memory.advance(seconds)
        with open_rlm_state_dir(sim) as server:
            assert server.rlmutil(["rlmutil", "rlmstat", "-a"]) == memory.rlmutil(
                ["rlmutil", "rlmstat", "-a"])
    assert (sim / "foundry.rl").read_text().splitlines() == memory.log.lines


def test_rlmutil_without_a_simulation_says_how_to_make_one(tmp_path):
    missing = run(*RLMUTIL, "rlmstat", "-a")
    assert missing.returncode == 1 and "LMCONSOLE_SIM_DIR" in missing.stderr
    empty = run(*RLMUTIL, "--sim-dir", str(tmp_path), "rlmstat", "-a")
    assert empty.returncode == 1
    assert f"python -m lmconsole.adapters.rlm.sim init {tmp_path}" in empty.stderr


# ---- LM-X --------------------------------------------------------------------------------------

def test_lmx_init_writes_the_licence_log_and_state(tmp_path):
    sim = tmp_path / "lmx"
    done = run(sys.executable, "-m", "lmconsole.adapters.lmx.sim", "init", str(sim),
               "--seed", "1", "--speed", "0")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in sim.iterdir()) == [
        "cae.lic", LOG_FILE, "state.json", "state.lock"]
    assert (sim / LOG_FILE).read_text().startswith("[2026-11-27 05:30:00] LM-X License Server")


def test_lmxendutil_answers_as_the_adapter_asks_and_the_log_grows(tmp_path):
    sim = create_lmx_state_dir(tmp_path / "lmx", seed=1, speed=0)
    advance_lmx_state_dir(sim, 3 * 3600)
    config = type("Config", (), {"name": "cae", "lmutil": "lmxendutil", "vendor": None,
                                 "license": "6200@lmx1.cae.example"})()
    argv = ADAPTERS["lmx"].status_argv(config)
    assert argv[:2] == ["lmxendutil", "-licstatxml"]
    answer = run(*LMXENDUTIL, "--sim-dir", str(sim), *argv[1:])
    assert answer.returncode == 0, answer.stderr
    vienna = ZoneInfo("Europe/Vienna")
    with open_lmx_state_dir(sim) as server:
        expected = server.status(vienna, "cae", xml=True)
        now = server.now
    (status,) = ADAPTERS["lmx"].parse_status(answer.stdout, name="cae", tz=vienna,
                                             now=now).servers
    assert status == expected
    events, _ = ADAPTERS["lmx"].parse_log((sim / LOG_FILE).read_text(), tz=vienna)
    assert {EventKind.OUT, EventKind.IN} <= {e.kind for e in events}
    usage = run(*LMXENDUTIL, "--sim-dir", str(sim), "-nonsense")
    assert usage.returncode == 1 and "usage" in usage.stderr


@pytest.mark.parametrize("seed", [1, 4])
def test_an_lmx_state_directory_moves_on_as_a_server_kept_in_memory(tmp_path, seed):
    sim = create_lmx_state_dir(tmp_path / "lmx", seed=seed, speed=0)
    scenario = load_scenario("cae")
    memory = LmxServer(scenario, seed=seed, clock=ManualClock.at(scenario.start))
    for seconds in STEPS:
        advance_lmx_state_dir(sim, seconds)
        memory.advance(seconds)
        with open_lmx_state_dir(sim) as server:
            assert server.lmxendutil(["-licstat"]) == memory.lmxendutil(["-licstat"])
    assert (sim / LOG_FILE).read_text().splitlines() == memory.log_lines


def test_rlmutil_linked_as_rlmremove_runs_rlmremove(tmp_path):
    sim = create_rlm_state_dir(tmp_path / "rlm", seed=1, speed=0)
    link = tmp_path / "rlmremove"
    link.symlink_to(Path(sys.executable).with_name("lmconsole-sim-rlmutil"))
    answer = subprocess.run([str(link), "-q", "studio-lic02", "4101", "foundry", "fff"],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "LMCONSOLE_SIM_DIR": str(sim)})
    assert (answer.returncode, answer.stderr) == (1, "rlmremove: Error removing license: "
                                                     "handle fff not found\n")
