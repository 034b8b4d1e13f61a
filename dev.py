#!/usr/bin/env python3
"""Set-up and everyday commands, with nothing but python3 installed.

    python3 dev.py demo     create .venv if needed, then run the demo
    python3 dev.py test     create .venv if needed, then run the whole test suite
    python3 dev.py test --year-ahead
                            the same with the system date a year ahead (libfaketime), so
                            that no test depends on today's date
    python3 dev.py bench    create .venv if needed, then print the benchmark figures

Extra arguments are passed on (to pytest for `test`, to `lmconsole demo` for `demo`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".installed"
INSTALL_INPUTS = (ROOT / "pyproject.toml",)
# Debian packages the tests need: they start these servers themselves, and `faketime`
# moves the date for `test --year-ahead` (with a shim built by gcc, see year_ahead()).
TEST_SYSTEM_PACKAGES: tuple[str, ...] = ("openssh-server", "openssh-client", "postgresql",
                                         "faketime", "gcc", "libc6-dev", "slapd", "ldap-utils",
                                         "curl")
TEST_WORKERS_MAX = 4  # tried with 2; more start more servers at once than the tests were run with
YEAR_AHEAD = "+365d"  # libfaketime's offset: the clock runs on, a year later
SEM_CLOCKWAIT_SOURCE = ROOT / "tests" / "year_ahead" / "sem_clockwait.c"
SEM_CLOCKWAIT_SHIM = VENV / "sem_clockwait.so"


def say(message: str) -> None:
    print(f"dev.py: {message}", file=sys.stderr, flush=True)


def run(*argv: str | Path) -> None:
    subprocess.run([str(a) for a in argv], check=True)


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def apt_install(packages: tuple[str, ...]) -> None:
    if not packages:
        return
    if shutil.which("dpkg-query") is None:
        say(f"not a Debian-like system: make sure {' '.join(packages)} are installed "
            "(the tests that need them skip without them, outside CI)")
        return
    missing = [p for p in packages if subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True,
    ).stdout.strip() != "install ok installed"]
    if not missing:
        return
    if not (is_root() and shutil.which("apt-get")):
        say(f"please install the Debian packages {' '.join(missing)} (as root: "
            f"apt-get install {' '.join(missing)})")
        sys.exit(2)
    say(f"installing {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


def create_venv() -> None:
    probe = subprocess.run([sys.executable, "-c", "import ensurepip, venv"],
                           capture_output=True)
    if probe.returncode != 0:  # Debian ships venv/ensurepip separately
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        apt_install((f"python{version}-venv",))
    say(f"creating {VENV.relative_to(ROOT)}")
    run(sys.executable, "-m", "venv", VENV)


def ensure_venv() -> None:
    if STAMP.exists() and all(p.stat().st_mtime <= STAMP.stat().st_mtime for p in INSTALL_INPUTS):
        return
    if not (BIN / "python").exists():
        create_venv()
    say("installing lmconsole and its test tools into .venv (first run only)")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]")
    STAMP.touch()


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "bench"):
        print(__doc__.strip())
        return 2
    command, rest = argv[0], argv[1:]
    ensure_venv()
    if command == "demo":
        return subprocess.call([str(BIN / "lmconsole"), "demo", *rest])
    if command == "bench":
        return subprocess.call([str(BIN / "python"), str(ROOT / "bench" / "run.py"), *rest])
    apt_install(TEST_SYSTEM_PACKAGES)
    pytest = [str(BIN / "python"), "-m", "pytest", *test_workers(rest)]
    if "--year-ahead" in rest:
        rest.remove("--year-ahead")
        return year_ahead(pytest + rest)
    return subprocess.call(pytest + rest, cwd=ROOT)


def test_workers(pytest_arguments: list[str]) -> list[str]:
    """pytest-xdist's option for a worker per core, up to TEST_WORKERS_MAX, unless the
    arguments choose (-n, --numprocesses, -p no:xdist). Most tests wait on the servers and
    processes they start, so two workers on two cores take 0.6 of the time one does."""
    chosen = any(a.startswith(("-n", "--numprocesses")) or a == "no:xdist"
                 for a in pytest_arguments)
    workers = min(os.cpu_count() or 1, TEST_WORKERS_MAX)
    return [] if chosen or workers < 2 else ["-n", str(workers)]


def year_ahead(argv: list[str]) -> int:
    """Run `argv` with every clock a year ahead (libfaketime through LD_PRELOAD, inherited
    by the processes it starts, sshd among them). The monotonic clock moves with the others
    (not faking it breaks sleeps on absolute deadlines), and file times stay real: stat()
    is not faked, so that every process sees the same modification times. Thread waits
    with a timeout need the sem_clockwait shim preloaded first (its source says why):
    without it, any such wait that times out hangs the run."""
    faketime = shutil.which("faketime")
    if faketime is None:
        say("--year-ahead needs libfaketime's `faketime` (Debian package faketime)")
        return 2
    build_sem_clockwait_shim()
    say(f"running with the date {YEAR_AHEAD} (faketime)")
    preload = ":".join(filter(None, [str(SEM_CLOCKWAIT_SHIM), os.environ.get("LD_PRELOAD")]))
    env = {**os.environ, "NO_FAKE_STAT": "1", "LD_PRELOAD": preload}
    return subprocess.call([faketime, "-f", YEAR_AHEAD, *argv], cwd=ROOT, env=env)


def build_sem_clockwait_shim() -> None:
    if SEM_CLOCKWAIT_SHIM.exists() and \
            SEM_CLOCKWAIT_SHIM.stat().st_mtime >= SEM_CLOCKWAIT_SOURCE.stat().st_mtime:
        return
    say(f"building {SEM_CLOCKWAIT_SHIM.relative_to(ROOT)}")
    run("gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", SEM_CLOCKWAIT_SHIM,
        SEM_CLOCKWAIT_SOURCE)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
