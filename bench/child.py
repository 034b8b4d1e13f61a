"""Run an lmconsole command in a process of its own and measure it: wall time, CPU time
(user and system, which other processes on a shared machine disturb less than wall time)
and the peak RSS of that process alone.

getrusage(RUSAGE_CHILDREN) cannot tell it: Python starts a child with vfork, and Linux
carries the parent's high-water mark into the child's ru_maxrss at exec (`/bin/true`
started from a 314 MiB benchmark reads 314 MiB). The child's own VmHWM, read from
/proc/self/status as it exits, counts only the pages the command itself touched.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from typing import NamedTuple

MARK = "bench-peak-rss-kib"
# console_main's steps, with the peak reported before `finish`, which may end the process at
# once (os._exit: no atexit hook would run).
WRAPPER = f"""
import sys

def report_peak():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                sys.stderr.write("\\n{MARK} " + line.split()[1] + "\\n")

sys.argv[0] = "lmconsole"
from lmconsole.cli import main
from lmconsole.gc_pause import finish
code = main(process_ends=True)
report_peak()
finish(code)
"""
BARE = """
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith("VmHWM:"):
            print("{MARK} " + line.split()[1])
""".replace("{MARK}", MARK)


# As an installed lmconsole runs: with its modules' bytecode cached (pip compiles it). A
# PYTHONDONTWRITEBYTECODE=1 in the bench's environment would have every run compile them.
INSTALLED_ENVIRONMENT = {name: value for name, value in os.environ.items()
                         if name != "PYTHONDONTWRITEBYTECODE"}


class Run(NamedTuple):
    wall_s: float
    cpu_s: float
    peak_mib: float
    returncode: int
    stdout: bytes
    stderr: str


def run_lmconsole(args: list[str], stdin: bytes | None = None) -> Run:
    """`lmconsole ARGS` as its console script runs it, in a new interpreter."""
    return _measured([sys.executable, "-c", WRAPPER, *args], stdin)


def run_bare_python() -> Run:
    """A bare interpreter that does nothing: the floor every command's start-up stands on."""
    return _measured([sys.executable, "-c", BARE], None)


def _measured(argv: list[str], stdin: bytes | None) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(argv, input=stdin, capture_output=True, env=INSTALLED_ENVIRONMENT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # (only ru_maxrss is inherited)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    stderr = proc.stderr.decode(errors="replace")
    output = stderr + proc.stdout.decode(errors="replace")
    peaks = [line.split()[1] for line in output.splitlines() if line.startswith(MARK)]
    peak_mib = int(peaks[-1]) / 1024 if peaks else float("nan")
    stderr = "\n".join(line for line in stderr.splitlines() if not line.startswith(MARK))
    return Run(wall, cpu, peak_mib, proc.returncode, proc.stdout, stderr)
