"""A real OpenSSH `sshd` for the SSH transport's tests, started as a child process.

    from tests.sshd import SshServer, sshd_fixture  # noqa: F401 - registers `sshd`

    def test_x(sshd: SshServer): ...

The server listens on 127.0.0.1 at a free port with a throwaway host key, and accepts one
throwaway client key for the user running the tests (root included: PermitRootLogin yes).
The client side is a private ~/.ssh-like directory, `sshd.client_dir`:

    config        a Host alias (`sshd.alias`) for 127.0.0.1:port, User, IdentityFile
    id_ed25519    the client key
    known_hosts   the server's host key, as `[127.0.0.1]:port ssh-ed25519 ...`

`stop()` kills sshd and every sshd process serving a connection (as a crash of sshd or a
cut link looks to the clients: their connections drop; the commands they started are not
killed by us), `start()` starts it again with the same host key on the same port,
`start(new_host_key=True)` with a different one. The fixture stops it when the test ends;
should the test process itself be killed, sshd still ends after LIFETIME_S (it runs under
coreutils `timeout`), and the sessions with their connections. Without an `sshd` binary the tests skip, except under CI (CI=true),
where they fail: `.ci/run` installs openssh-server.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh
import pytest

START_TIMEOUT_S = 10.0
LIFETIME_S = 900
ALIAS = "lic-test"


def find_sshd() -> str | None:
    return shutil.which("sshd") or next(
        (p for p in ("/usr/sbin/sshd", "/usr/local/sbin/sshd") if os.access(p, os.X_OK)), None)


def require_sshd() -> str:
    """The sshd binary; skip the test without one, or fail under CI."""
    binary = find_sshd()
    if binary is None:
        reason = "OpenSSH sshd is not installed (apt-get install openssh-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return binary


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_key(path: Path) -> asyncssh.SSHKey:
    key = asyncssh.generate_private_key("ssh-ed25519")
    key.write_private_key(str(path))
    path.chmod(0o600)  # sshd refuses a readable host key whatever StrictModes says
    key.write_public_key(str(path) + ".pub")
    return key


def public_line(key: asyncssh.SSHKey) -> str:
    """`ssh-ed25519 AAAA...` without a comment."""
    algorithm, data = key.export_public_key("openssh").decode().split()[:2]
    return f"{algorithm} {data}"


def children_of(pid: int) -> list[int]:
    """The descendants of `pid`, deepest first (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []

    def walk(parent: int) -> None:
        for child in parents.get(parent, []):
            walk(child)
            found.append(child)

    walk(pid)
    return found


def is_sshd(pid: int) -> bool:
    try:
        return os.readlink(f"/proc/{pid}/exe").endswith("/sshd") or \
            Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"sshd:")
    except OSError:
        return False


def parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError):
        return None


def is_alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@dataclass
class SshServer:
    root: Path
    binary: str
    port: int = field(default_factory=free_port)
    user: str = field(default_factory=getpass.getuser)
    alias: str = ALIAS
    extra_config: str = ""  # more sshd_config lines, e.g. "SetEnv PATH=..."
    process: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.server_dir = self.root / "server"
        self.client_dir = self.root / "client"
        self.server_dir.mkdir(mode=0o700)
        self.client_dir.mkdir(mode=0o700)
        self.host_key_path = self.server_dir / "ssh_host_ed25519_key"
        self.host_key = write_key(self.host_key_path)
        self.client_key = write_key(self.identity)
        (self.server_dir / "authorized_keys").write_text(public_line(self.client_key) + "\n")
        self.config_path.write_text(
            f"Host {self.alias}\n"
            f"    HostName 127.0.0.1\n"
            f"    Port {self.port}\n"
            f"    User {self.user}\n"
            f"    IdentityFile {self.identity}\n"
            f"    IdentitiesOnly yes\n")
        self.known_hosts.write_text(self.known_hosts_line() + "\n")

    # ---- the client's side -------------------------------------------------------------------

    @property
    def identity(self) -> Path:
        return self.client_dir / "id_ed25519"

    @property
    def config_path(self) -> Path:
        return self.client_dir / "config"

    @property
    def known_hosts(self) -> Path:
        return self.client_dir / "known_hosts"

    @property
    def host_entry(self) -> str:
        return f"[127.0.0.1]:{self.port}"

    def known_hosts_line(self, key: asyncssh.SSHKey | None = None) -> str:
        return f"{self.host_entry} {public_line(key or self.host_key)}"

    @property
    def fingerprint(self) -> str:
        return self.host_key.get_fingerprint("sha256")

    # ---- the server ----------------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        return self.server_dir / "sshd.log"

    def write_config(self) -> Path:
        path = self.server_dir / "sshd_config"
        path.write_text(
            f"ListenAddress 127.0.0.1:{self.port}\n"
            f"HostKey {self.host_key_path}\n"
            f"PidFile {self.server_dir / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {self.server_dir / 'authorized_keys'}\n"
            "StrictModes no\n"
            "UsePAM no\n"
            "PermitRootLogin yes\n"
            "PubkeyAuthentication yes\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "UseDNS no\n"
            "MaxSessions 10\n"
            "Subsystem sftp internal-sftp\n"
            "LogLevel VERBOSE\n"
            + self.extra_config)
        return path

    def start(self, *, new_host_key: bool = False) -> None:
        """Start sshd (again) on the same port; with a new host key if asked."""
        assert self.process is None, "sshd is already running"
        if new_host_key:
            self.host_key = write_key(self.host_key_path)
        if os.geteuid() == 0:  # sshd's privilege separation directory, made by its service
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        config = self.write_config()
        argv = [self.binary, "-D", "-e", "-f", str(config)]
        if shutil.which("timeout"):
            argv = ["timeout", "--kill-after=5", str(LIFETIME_S), *argv]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                raise RuntimeError(f"sshd exited at start:\n{self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                    if probe.recv(4).startswith(b"SSH-"):
                        return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"sshd did not listen within {START_TIMEOUT_S:g} s:\n"
                           f"{self.log_path.read_text()}")

    def sessions(self) -> list[int]:
        """The sshd processes serving connections (the listener's sshd descendants)."""
        if self.process is None:
            return []
        listener = next((pid for pid in children_of(self.process.pid) if is_sshd(pid)
                         and parent_of(pid) == self.process.pid), self.process.pid)
        return [pid for pid in children_of(listener) if is_sshd(pid)]

    def stop(self) -> None:
        """Kill sshd and the sshd processes serving connections (not the users' commands)."""
        if self.process is None:
            return
        sessions = self.sessions()
        for pid in sessions:  # first, so that the listener reaps them
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # SIGKILL also ends a stopped process
        deadline = time.monotonic() + 1
        while any(map(is_alive, sessions)) and time.monotonic() < deadline:
            time.sleep(0.01)
        for pid in [*(p for p in children_of(self.process.pid) if is_sshd(p)), self.process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=START_TIMEOUT_S)
        self.process = None

    def signal_sessions(self, signum: int) -> list[int]:
        """Send `signum` to the sshd processes serving connections (SIGSTOP: a link that
        went silent, SIGCONT: back); their pids."""
        serving = self.sessions()
        for pid in serving:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
        return serving

    def restart(self, *, new_host_key: bool = False) -> None:
        self.stop()
        self.start(new_host_key=new_host_key)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture(name="sshd")
def sshd_fixture(tmp_path: Path) -> Iterator[SshServer]:
    """A running sshd on 127.0.0.1 and the client directory that reaches it."""
    server = SshServer(tmp_path / "ssh", require_sshd())
    server.start()
    try:
        yield server
    finally:
        server.stop()
