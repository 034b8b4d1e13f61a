"""Benchmark: `lmconsole collect`'s memory over a simulated week.

Starts the simulator's busy "architecture" server with its clock running `--speed` times
real time (default 600: a simulated week in about 17 minutes), and `lmconsole collect`
following its debug log and polling it every second into a fresh SQLite file, as systemd
runs it. Prints the collector's resident memory (VmRSS, from /proc) at each simulated day,
and what the history holds at the end. Asserts nothing; the issue's goal is that memory
stays flat over a week of running.

    .venv/bin/python bench/collect_soak.py [--days 7] [--speed 600]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procfs import rss_mb  # noqa: E402

from lmconsole.adapters.flexlm.sim.statedir import create_state_dir  # noqa: E402

SAMPLE_S = 5.0


def write_config(directory: Path, state: Path) -> Path:
    lmutil = directory / "lmutil"
    lmutil.write_text(f"#!/bin/sh\nexec '{sys.executable}' -m lmconsole.adapters.flexlm.sim."
                      f"lmutil --sim-dir '{state}' \"$@\"\n")
    lmutil.chmod(0o755)
    config = directory / "config.toml"
    config.write_text(
        '[retention]\nevents = "forever"\nminutes = "forever"\nhours = "forever"\n\n'
        f'[[servers]]\nname = "arch"\ntransport = "local"\nlmutil = "{lmutil}"\n'
        f'license = "27000@arch-lic01"\ndebug_log = "{state / "debug.log"}"\n'
        'timezone = "Europe/Berlin"\npoll_interval_s = 1\n')
    return config


def history_rows(database: str, env: dict) -> dict:
    result = subprocess.run([sys.executable, "-m", "lmconsole", "history", "info", "--format",
                             "json", "--database", database], capture_output=True, text=True,
                            env=env, timeout=300, check=True)
    return json.loads(result.stdout)["rows"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--speed", type=float, default=600.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lmconsole-soak-") as name:
        directory = Path(name)
        state = create_state_dir(directory / "sim", "architecture", seed=3, speed=args.speed)
        config = write_config(directory, state)
        database = f"sqlite:///{directory / 'history.db'}"
        env = {**os.environ, "XDG_DATA_HOME": str(directory), "XDG_STATE_HOME": str(directory)}
        collector = subprocess.Popen(
            [sys.executable, "-m", "lmconsole", "--config", str(config), "collect",
             "--database", database], stdout=subprocess.DEVNULL,
            stderr=(directory / "collect.err").open("w"), env=env)
        real_s = args.days * 86_400 / args.speed
        print(f"{platform.python_implementation()} {platform.python_version()}, "
              f"speed x{args.speed:g}: {args.days:g} simulated days in {real_s / 60:.0f} min")
        print(f"{'day':>5} {'RSS MB':>7} {'log MB':>7}")
        started = time.monotonic()
        samples: list[tuple[float, float]] = []  # (simulated day, RSS MB)
        next_day = 0.0
        try:
            while (elapsed := time.monotonic() - started) < real_s:
                if collector.poll() is not None:
                    print((directory / "collect.err").read_text(), file=sys.stderr)
                    return 1
                day = elapsed * args.speed / 86_400
                samples.append((day, rss_mb(collector.pid)))
                if day >= next_day:
                    log_mb = (state / "debug.log").stat().st_size / 2**20
                    print(f"{day:5.1f} {samples[-1][1]:7.1f} {log_mb:7.1f}", flush=True)
                    next_day += 0.5
                time.sleep(SAMPLE_S)
        finally:
            collector.send_signal(signal.SIGTERM)
            code = collector.wait(timeout=120)
        rows = history_rows(database, env)
        rss = [mb for _day, mb in samples]
        later = [mb for day, mb in samples if day >= 1] or [float("nan")]
        print(f"collect exited {code}; RSS peak {max(rss):.1f} MB, at the end {rss[-1]:.1f} "
              f"MB; peak on day 1 {max(mb for day, mb in samples if day < 2):.1f} MB, after "
              f"day 1 {max(later):.1f} MB")
        print("history: " + ", ".join(f"{key} {value:,}" for key, value in rows.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
