"""A real PostgreSQL server for the history's tests, started as a child process.

    from tests.postgres import PostgresServer, postgres_fixture  # noqa: F401

    def test_x(postgres: PostgresServer): postgres.url  # postgresql://...@127.0.0.1:port/db

One server per test session (initdb takes seconds), listening on 127.0.0.1 at a free port,
its data and socket in a temporary directory, run as the unprivileged user `nobody` when
the tests run as root (PostgreSQL refuses to run as root). Each test gets a database of its
own (`postgres.new_database()`). The server stops when the session ends; should the test
process be killed, it still ends after LIFETIME_S (it runs under coreutils `timeout`).
Without the binaries the tests skip, except under CI (CI=true), where they fail: `.ci/run`
installs postgresql.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT_S = 30.0
LIFETIME_S = 1800


def find_bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if found:
        return Path(found[-1]).parent
    postgres = shutil.which("postgres")
    return Path(postgres).parent if postgres else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    bin_dir: Path
    directory: Path
    port: int
    user: str
    process: subprocess.Popen | None = None
    _names = itertools.count(1)

    def url_of(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        data = self.directory / "data"
        self._run("initdb", "-D", data, "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        self.process = subprocess.Popen(
            ["timeout", str(LIFETIME_S), self.bin_dir / "postgres", "-D", data, "-h",
             "127.0.0.1", "-p", str(self.port), "-k", self.directory, "-F"],
            stdout=subprocess.DEVNULL, stderr=(self.directory / "postgres.log").open("wb"),
            **self._as_user())
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            ready = subprocess.run([self.bin_dir / "pg_isready", "-h", "127.0.0.1", "-p",
                                    str(self.port)], capture_output=True)
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"postgres did not start: {(self.directory / 'postgres.log').read_text()}")

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        name = f"history_{next(self._names)}"
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name)
        return self.url_of(name)

    def stop(self) -> None:
        """A fast shutdown (SIGINT, which `timeout` passes on): the clients still connected
        are disconnected. SIGTERM's smart shutdown waited for them, and a test that left a
        connection open held the end of the session for as long as it stayed open."""
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # an immediate shutdown, then
                self.process.send_signal(signal.SIGQUIT)
                self.process.wait(timeout=30)
            self.process = None

    def _run(self, tool: str, *args) -> None:
        subprocess.run([self.bin_dir / tool, *map(str, args)], check=True,
                       capture_output=True, timeout=120, **self._as_user())

    def _as_user(self) -> dict:
        return {"user": "nobody"} if os.geteuid() == 0 else {}


@contextlib.contextmanager
def running_server(bin_dir: Path) -> Iterator[PostgresServer]:
    """A server started in a temporary directory, stopped and removed at the end (the
    fixture's; bench/ starts one too)."""
    directory = Path(tempfile.mkdtemp(prefix="lmconsole-pg-"))
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(directory, nobody.pw_uid, nobody.pw_gid)
    server = PostgresServer(bin_dir, directory, free_port(), "lmconsole")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(name="postgres", scope="session")
def postgres_fixture() -> Iterator[PostgresServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed (.ci/run installs postgresql)")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    with running_server(bin_dir) as server:
        yield server


@pytest.fixture(name="url", params=["sqlite", "postgresql"])
def history_url_fixture(request, tmp_path) -> str:
    """A fresh history database, once an SQLite file and once a database on the test
    PostgreSQL server: a test taking it runs on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    return request.getfixturevalue("postgres").new_database()
