"""`lmconsole snapshot --server NAME` over SSH, end to end: a real sshd on 127.0.0.1, the
simulator's executable as the remote lmutil, the user's ~/.ssh as the transport finds it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lmconsole.adapters.flexlm.sim import create_state_dir
from tests.sshd import SshServer, sshd_fixture  # noqa: F401 - registers the `sshd` fixture

SIM_LMUTIL = Path(sys.executable).parent / "lmconsole-sim-lmutil"


def configured(tmp_path: Path, sshd: SshServer, extra: str = "") -> dict[str, str]:
    """A home whose ~/.ssh is the fixture's client side, and a config naming the server."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".ssh").symlink_to(sshd.client_dir)
    state = create_state_dir(tmp_path / "sim", "architecture", seed=2, speed=0)
    lmutil = tmp_path / "lmutil"  # what an admin's lmutil path points at on that server
    lmutil.write_text(f"#!/bin/sh\nexec '{SIM_LMUTIL}' --sim-dir '{state}' \"$@\"\n")
    lmutil.chmod(0o755)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[servers]]\nname = "office"\ntransport = "ssh"\nssh_host = "{sshd.alias}"\n'
        f'lmutil = "{lmutil}"\nlicense = "27000@arch-lic01"\ntimezone = "Europe/Berlin"\n'
        + extra)
    return {"HOME": str(home), "LMCONSOLE_CONFIG": str(config), "SSH_AUTH_SOCK": ""}


def snapshot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lmconsole", "snapshot", *args],
                          capture_output=True, timeout=60, env={**os.environ, **env})


def test_snapshot_over_ssh(tmp_path, sshd):
    env = configured(tmp_path, sshd)
    result = snapshot(env, "--server", "office", "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    (server,) = json.loads(result.stdout)["servers"]
    assert server["name"] == "office" and server["status"] == "up"
    autocad = next(f for f in server["features"] if f["name"] == "AutoCAD")
    assert autocad["issued"] == 10


def test_a_changed_host_key_is_refused(tmp_path, sshd):
    env = configured(tmp_path, sshd)
    sshd.restart(new_host_key=True)
    result = snapshot(env, "--format", "json")
    assert result.returncode == 3
    (server,) = json.loads(result.stdout)["servers"]
    assert server["status"] == "error"
    assert "changed" in server["error"] and "ssh-keygen -R" in server["error"]


def test_a_stopped_sshd_is_a_server_unreachable(tmp_path, sshd):
    env = configured(tmp_path, sshd)
    sshd.stop()
    result = snapshot(env, "--format", "json")
    assert result.returncode == 3
    assert "Traceback" not in result.stderr.decode()
    assert json.loads(result.stdout)["servers"][0]["status"] == "error"


def test_an_unknown_host_fails_headless_unless_the_entry_accepts_new_keys(tmp_path, sshd):
    env = configured(tmp_path, sshd)
    sshd.known_hosts.write_text("")
    refused = snapshot(env, "--format", "json")
    assert refused.returncode == 3
    assert "ssh-keyscan" in json.loads(refused.stdout)["servers"][0]["error"]
    (tmp_path / "again").mkdir()
    env = configured(tmp_path / "again", sshd, extra="ssh_accept_new_host_key = true\n")
    accepted = snapshot(env, "--format", "json")
    assert accepted.returncode == 0, accepted.stderr.decode()
    assert sshd.known_hosts.read_text().strip() == sshd.known_hosts_line()
