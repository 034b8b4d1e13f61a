"""The simulator as a program: `python -m ...sim init` and the `lmconsole-sim-lmutil`
console script, run as subprocesses against a state directory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lmconsole.adapters.flexlm.sim import open_state_dir

SCRIPT = Path(sys.executable).with_name("lmconsole-sim-lmutil")
LMUTIL = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m",
                                                "lmconsole.adapters.flexlm.sim.lmutil"]
SIM = [sys.executable, "-m", "lmconsole.adapters.flexlm.sim"]


def sh(*argv: str, env: dict | None = None, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, input=stdin, timeout=60,
                          env={**os.environ, **(env or {})}, check=False)


def lmutil(sim_dir: Path, *argv: str, stdin: str = "") -> subprocess.CompletedProcess:
    return sh(*LMUTIL, "--sim-dir", str(sim_dir), *argv, stdin=stdin)


@pytest.fixture
def sim_dir(tmp_path: Path) -> Path:
    """A stopped clock (speed 0), so each test decides how time moves."""
    directory = tmp_path / "sim"
    done = sh(*SIM, "init", str(directory), "--scenario", "architecture", "--seed", "1",
              "--speed", "0")
    assert done.returncode == 0, done.stderr
    assert f"Created {directory}" in done.stdout
    return directory


def test_init_writes_the_licence_options_log_and_state(sim_dir):
    assert sorted(p.name for p in sim_dir.iterdir()) == [
        "adskflex.opt", "debug.log", "license.lic", "state.json", "state.lock"]
    assert f"options={sim_dir / 'adskflex.opt'}\n" in (sim_dir / "license.lic").read_text()
    assert (sim_dir / "debug.log").read_text().startswith(
        "17:40:00 (lmgrd) -----------------------------------------------\n")


def test_two_invocations_see_one_state_that_moves_on_with_the_clock(sim_dir):
    first = lmutil(sim_dir, "lmstat", "-a", "-c", "27000@arch-lic01")
    assert first.returncode == 0, first.stderr
    assert "status on Mon 3/2/2026 9:30\n" in first.stdout
    assert f"License file(s) on arch-lic01: {sim_dir / 'license.lic'}:" in first.stdout
    log_before = (sim_dir / "debug.log").read_text()
    assert sh(*SIM, "advance", str(sim_dir), "3600").returncode == 0
    second = sh(*LMUTIL, "lmstat", "-a", env={"LMCONSOLE_SIM_DIR": str(sim_dir)})
    assert "status on Mon 3/2/2026 10:30\n" in second.stdout
    log_after = (sim_dir / "debug.log").read_text()
    assert log_after.startswith(log_before) and len(log_after) > len(log_before)
    # Borrowed seats started before 9:30 are still listed, with less linger left.
    borrowed = [row for row in first.stdout.splitlines() if "linger" in row]
    assert borrowed and all(row.split("(linger")[0] in second.stdout for row in borrowed)


def test_init_can_start_the_clock_at_another_moment_with_the_licence_dated_from_it(tmp_path):
    directory = tmp_path / "later"
    done = sh(*SIM, "init", str(directory), "--start", "2031-07-15T09:30", "--speed", "0")
    assert done.returncode == 0, done.stderr
    assert "status on Tue 7/15/2031 9:30\n" in lmutil(directory, "lmstat").stdout
    # Written for Monday 2 March 2026 with expiry on 31 December: 304 days on, as then.
    assert "INCREMENT AutoCAD adskflex 1.000 14-may-2032 10" in (
        directory / "license.lic").read_text()
    refused = sh(*SIM, "init", str(tmp_path / "x"), "--start", "tomorrow")
    assert refused.returncode == 2 and "neither 'now' nor a date" in refused.stderr


def test_a_running_clock_advances_between_invocations(tmp_path):
    directory = tmp_path / "fast"
    assert sh(*SIM, "init", str(directory), "--scenario", "reserved", "--speed",
              "3600").returncode == 0

    def minutes_since_midnight() -> int:
        status_line = lmutil(directory, "lmstat").stdout.splitlines()[1]
        hours, minutes = status_line.rsplit(" ", 1)[1].split(":")
        return int(hours) * 60 + int(minutes)

    first = minutes_since_midnight()
    time.sleep(1.1)  # an hour and more of simulated time
    assert minutes_since_midnight() - first >= 60


def test_an_edited_options_file_takes_effect_after_lmreread(sim_dir):
    opt = sim_dir / "adskflex.opt"
    opt.write_text(opt.read_text() + "EXCLUDE AutoCAD USER cwolf\n")
    done = lmutil(sim_dir, "lmreread", "-c", "27000@arch-lic01")
    assert (done.returncode, done.stdout.splitlines()[-1]) == (0, "lmreread successful")
    assert "(adskflex) Rereading options file...\n" in (sim_dir / "debug.log").read_text()
    with open_state_dir(sim_dir) as server:
        assert server.checkout("cwolf", "ARCH-PC03", "AutoCAD").kind == "denied"
    assert (sim_dir / "debug.log").read_text().rstrip("\n").endswith(
        'DENIED: "AutoCAD" cwolf@ARCH-PC03  (User/host on EXCLUDE list for feature. (-38,348))')


def test_lmdown_stops_the_server_until_start(sim_dir):
    refused = lmutil(sim_dir, "lmdown", "-c", "27000@arch-lic01", "-q")
    assert refused.returncode == 136  # the notebooks hold borrowed seats
    assert lmutil(sim_dir, "lmdown", "-c", "27000@arch-lic01", "-force",
                  stdin="y\n").returncode == 0
    down = lmutil(sim_dir, "lmstat", "-a")
    assert down.returncode == 241 and "Error getting status: Cannot connect" in down.stdout
    assert sh(*SIM, "start", str(sim_dir)).returncode == 0
    assert lmutil(sim_dir, "lmstat", "-a").returncode == 0


def test_concurrent_invocations_take_turns(sim_dir):
    runs = [subprocess.Popen([*LMUTIL, "--sim-dir", str(sim_dir), "lmreread"],
                             stdout=subprocess.PIPE, text=True) for _ in range(4)]
    assert [run.wait(timeout=60) for run in runs] == [0, 0, 0, 0]
    for run in runs:
        run.stdout.close()
    log = (sim_dir / "debug.log").read_text()
    assert log.count("(lmgrd) Rereading license file...") == 4
    assert lmutil(sim_dir, "lmstat", "-a").returncode == 0


def test_without_a_state_directory_it_says_how_to_make_one(tmp_path):
    missing = sh(*LMUTIL, "lmstat", "-a", env={"LMCONSOLE_SIM_DIR": ""})
    assert missing.returncode == 1 and "LMCONSOLE_SIM_DIR" in missing.stderr
    empty = lmutil(tmp_path, "lmstat", "-a")
    assert empty.returncode == 1
    assert "holds no simulation" in empty.stderr and "init" in empty.stderr
