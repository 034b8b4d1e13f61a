"""Benchmark: `lmconsole import` of a generated busy-server debug log into SQLite.

Writes `--lines` lines (default 5,000,000; about 50 days of bench/debuglog.py's busy
server: `seated_lines`, a server with so many seats per feature, restarted every few days;
`--workload unbounded`: `generated_lines`, the parser benchmark's, whose INs seldom return
a seat taken, so that the sessions left open grow with the log) to a temporary file,
imports it into a fresh SQLite database in a child process (`python -m lmconsole import`,
as an admin runs it), and prints lines/s, the CPU time,
the peak RSS and the database size per million sessions. The CPU time and peak RSS are
given for each of the two processes: the importer (which reads and parses) and its SQLite
writer (lmconsole/history/bulk_writer.py), which run at once; their RSS add up, and the
largest sum is sampled (Linux's /proc; the writer has ended before the importer's last
queries, where its own peak is).
Asserts nothing; the issue's goals are >= 300,000 lines/s and < 200 MB however long the log.
bench/history_import_stages.py splits the importer's reading into its stages.
`--postgresql`: into a fresh database of a PostgreSQL server started for the run (as the
tests start one: tests/postgres.py), the shared history's case; the server's own CPU time
is not counted.

    .venv/bin/python bench/history_import.py [--lines 5000000] [--log PATH] [--postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from debuglog import generated_lines, seated_lines  # noqa: E402  (the parser benchmark's)
from procfs import RssSampler  # noqa: E402

LINES_PER_DAY = 100_000
SAMPLE_S = 0.02  # between two samples of the importer's and its writer's memory
WORKLOADS = {"seated": seated_lines, "unbounded": generated_lines}
# `python -m lmconsole`, which then prints its own and its writer's CPU time and peak RSS
MEASURED_IMPORT = """
import resource, sys
from lmconsole.cli import main
status = main()
for name, who in (("importer", resource.RUSAGE_SELF), ("writer", resource.RUSAGE_CHILDREN)):
    usage = resource.getrusage(who)
    print(f"{name} {usage.ru_utime} {usage.ru_stime} {usage.ru_maxrss}", file=sys.stderr)
sys.exit(status)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workload", choices=WORKLOADS, default="seated",
                        help="the log generated (a --log kept is read as it is)")
    parser.add_argument("--log", metavar="PATH", type=Path,
                        help="the generated log kept here and read again by the next run with "
                             "the same PATH (generating 5,000,000 lines takes a minute)")
    parser.add_argument("--postgresql", action="store_true",
                        help="import into PostgreSQL (a server started for the run)")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        postgres = stack.enter_context(postgresql_server()) if args.postgresql else None
        return run(args, postgres)


def run(args: argparse.Namespace, postgres) -> int:
    with tempfile.TemporaryDirectory(prefix="lmconsole-bench-") as directory:
        log = args.log or Path(directory) / "mlm.log"
        started = time.perf_counter()
        made = not log.exists()
        if made:
            generate(log, args.lines, args.seed, WORKLOADS[args.workload])
        lines = sum(1 for _ in log.open("rb"))
        print(f"{'generated' if made else 'reused'} {lines:,} lines "
              f"({log.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - started:.0f} s")
        database = Path(directory) / "history.db"
        url = postgres.new_database() if postgres else f"sqlite:///{database}"
        env = {**os.environ, "XDG_CONFIG_HOME": directory, "XDG_DATA_HOME": directory}
        started = time.perf_counter()
        with subprocess.Popen(
                [sys.executable, "-c", MEASURED_IMPORT, "import", str(log), "--server", "bench",
                 "--server-tz", "Europe/Berlin", "--database", url],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as child:
            sampler = RssSampler(child.pid, SAMPLE_S)
            sampler.start()
            stdout, stderr = child.communicate()
            sampler.stop()
        result = subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)
        elapsed = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak = usage.ru_maxrss / 1024
        cpu = usage.ru_utime + usage.ru_stime
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return result.returncode
        processes = _processes(result.stderr)
        counts = {line[:12].strip(): line[13:] for line in result.stdout.splitlines()}
        sessions = int(counts["sessions"].split()[0].replace(",", ""))
        size = database.stat().st_size if postgres is None else postgresql_size(url)
        print(f"python {platform.python_version()} on {platform.machine()}, "
              f"{os.cpu_count()} cpus")
        print(f"import: {lines:,} lines in {elapsed:.1f} s = {lines / elapsed:,.0f} lines/s, "
              f"peak RSS {peak:.0f} MB")
        # the machine may be shared: CPU time says what the import cost, whatever else ran
        print(f"cpu: {cpu:.1f} s (user {usage.ru_utime:.1f}, sys {usage.ru_stime:.1f}) = "
              f"{lines / cpu:,.0f} lines per CPU second, {cpu / elapsed:.2f} cores busy")
        for name, (user, system, rss_mb) in processes.items():
            print(f"  {name}: cpu {user + system:.1f} s (user {user:.1f}, sys {system:.1f}), "
                  f"peak RSS {rss_mb:.0f} MB")
        if processes:
            print(f"  together: peak RSS {sampler.peak_mb:.0f} MB (their sum, sampled "
                  f"every {SAMPLE_S * 1000:.0f} ms; the sum of their peaks, "
                  f"{sum(p[2] for p in processes.values()):.0f} MB, is reached by none)")
        print(f"rows: events {counts['events']}, sessions {counts['sessions']}, "
              f"denials {counts['denials']}")
        print(f"database: {size / 2**20:.0f} MiB, "
              f"{size / max(1, sessions) * 1e6 / 2**20:.0f} MiB per million sessions")
    return 0


@contextlib.contextmanager
def postgresql_server():
    """A PostgreSQL server for the run, as the tests start one."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.postgres import find_bin_dir, running_server

    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
    with running_server(bin_dir) as server:
        yield server


def postgresql_size(url: str) -> int:
    """The bytes of the database at `url`, as PostgreSQL counts them."""
    import asyncio

    from sqlalchemy import text

    from lmconsole.history.store import HistoryStore

    async def size() -> int:
        store = await HistoryStore.open(url)
        try:
            async with store.engine.connect() as connection:
                return (await connection.execute(
                    text("SELECT pg_database_size(current_database())"))).scalar_one()
        finally:
            await store.close()

    return asyncio.run(size())


def _processes(stderr: str) -> dict[str, tuple[float, float, float]]:
    """(user s, system s, peak RSS MB) of the importer and its writer, as it printed them;
    the writer's is 0 when SQLite was written in the importer's own process."""
    found = {}
    for line in stderr.splitlines():
        name, *figures = line.split()
        if name in ("importer", "writer") and len(figures) == 3:
            user, system, rss_kib = map(float, figures)
            found[name] = (user, system, rss_kib / 1024)
    return found


def generate(log: Path, lines: int, seed: int, workload=seated_lines) -> None:
    days = max(1, lines // LINES_PER_DAY)
    # written a line at a time: the child's peak RSS is counted from this process's at the
    # moment it starts (Linux carries it over exec), so this one stays small
    with log.open("w") as out:
        for line in workload(days, LINES_PER_DAY, seed):
            out.write(line + "\n")


if __name__ == "__main__":
    sys.exit(main())
