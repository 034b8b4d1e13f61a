"""Benchmark: `lmconsole collect` catching up with a debug log it never read (an admin
starts it on a server whose log already holds weeks; or it was stopped for days), as systemd
runs it: a real process, following a generated busy-server log (bench/debuglog.py's
`seated_lines`, as bench/history_import.py writes it) on this machine into a fresh SQLite
file, until the history says the whole file was read. Prints the lines per second and the
peak RSS (sampled from /proc): run it with two sizes to see whether memory grows with how
far behind the collector is. Asserts nothing. `--postgresql`: into a fresh database of a
PostgreSQL server started for the run (bench/history_import.py's).

    .venv/bin/python bench/collect_catch_up.py [--lines 1000000] [--log PATH] [--postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from history_import import generate, postgresql_server  # noqa: E402
from procfs import RssSampler  # noqa: E402

SAMPLE_S = 0.05
CHECK_S = 0.5  # between two looks at how far the history says the log was read
TIMEOUT_S = 1800
CONFIG = """[retention]
events = "forever"
minutes = "forever"
hours = "forever"

[[servers]]
name = "bench"
transport = "local"
lmutil = "/bin/false"
license = "27000@bench"
debug_log = "{log}"
timezone = "Europe/Berlin"
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--log", metavar="PATH", type=Path,
                        help="the generated log kept here and read again by the next run")
    parser.add_argument("--postgresql", action="store_true",
                        help="collect into PostgreSQL (a server started for the run)")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        postgres = stack.enter_context(postgresql_server()) if args.postgresql else None
        return run(args, postgres)


def run(args: argparse.Namespace, postgres) -> int:
    with tempfile.TemporaryDirectory(prefix="lmconsole-bench-") as directory:
        log = args.log or Path(directory) / "adskflex.log"
        if not log.exists():
            generate(log, args.lines, args.seed)
        size = _complete_lines_size(log)  # a follow reads no unfinished last line
        lines = sum(1 for _ in log.open("rb"))
        config = Path(directory) / "config.toml"
        config.write_text(CONFIG.format(log=log.resolve()))
        history = History(Path(directory) / "history.db", postgres)
        env = {**os.environ, "XDG_DATA_HOME": directory, "XDG_CONFIG_HOME": directory}
        started = time.perf_counter()
        collector = subprocess.Popen(
            [sys.executable, "-m", "lmconsole", "--config", str(config), "collect",
             "--database", history.url],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        sampler = RssSampler(collector.pid, SAMPLE_S)
        sampler.start()
        try:
            read = wait_until_read(history, size, collector)
            elapsed = time.perf_counter() - started
        finally:
            collector.send_signal(signal.SIGTERM)
            _, said = collector.communicate(timeout=120)
            sampler.stop()
        if read < size:
            print(said, file=sys.stderr)
            return 1
        events, sessions = (history.value(f"SELECT count(*) FROM {table}")
                            for table in ("events", "sessions"))
    print(f"caught up with {lines:,} lines ({size / 2**20:.0f} MiB) in {elapsed:.1f} s = "
          f"{lines / elapsed:,.0f} lines/s; {events:,} events, {sessions:,} sessions")
    print(f"peak RSS {sampler.peak_mb:.0f} MB (sampled every {SAMPLE_S * 1000:.0f} ms)")
    return 0


def _complete_lines_size(log: Path) -> int:
    """The bytes of `log` up to the end of its last complete line."""
    with log.open("rb") as file:
        size = file.seek(0, os.SEEK_END)
        file.seek(max(0, size - 65_536))
        tail = file.read()
    return size - len(tail) + tail.rfind(b"\n") + 1


class History:
    """The history the collector writes: an SQLite file, or a database of `postgres`."""

    def __init__(self, path: Path, postgres) -> None:
        self.path, self.postgres = path, postgres
        self.url = postgres.new_database() if postgres else f"sqlite:///{path}"

    def value(self, query: str) -> int | None:
        """The one value `query` gives; None while the tables are not made (or busy)."""
        if self.postgres is not None:
            result = subprocess.run([self.postgres.bin_dir / "psql", self.url, "-Atc", query],
                                    capture_output=True, text=True)
            return int(result.stdout) if result.returncode == 0 else None
        try:
            with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as db:
                return db.execute(query).fetchone()[0]
        except sqlite3.OperationalError:
            return None


def wait_until_read(history: History, size: int, collector: subprocess.Popen) -> int:
    """Waits (bounded) until the history says the log was read to `size`; how far it was."""
    deadline = time.monotonic() + TIMEOUT_S
    read = 0
    while read < size and time.monotonic() < deadline and collector.poll() is None:
        time.sleep(CHECK_S)
        read = history.value("SELECT coalesce(max(bytes_read), 0) FROM sources") or read
    return read


if __name__ == "__main__":
    sys.exit(main())
