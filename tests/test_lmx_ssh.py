"""An LM-X server asked over SSH, end to end: a real sshd on 127.0.0.1, a remote lmxendutil
that prints a real lmxendutil output of the corpus (and notes how it was called), the
user's ~/.ssh as the transport finds it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.sshd import SshServer, sshd_fixture  # noqa: F401 - registers the `sshd` fixture

from .corpus import corpus_file

ALTAIR = corpus_file("lmx", "licstat", "license_manager_lmxendutil_licstat_altair_shared_custom.txt")


def test_an_lmx_snapshot_over_ssh_runs_lmxendutil_there(tmp_path: Path, sshd: SshServer):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".ssh").symlink_to(sshd.client_dir)
    lmxendutil = tmp_path / "lmxendutil"
    lmxendutil.write_text(f"#!/bin/sh\necho \"$@\" > '{tmp_path}/argv'\ncat '{ALTAIR}'\n")
    lmxendutil.chmod(0o755)
    config = tmp_path / "config.toml"
    config.write_text(f'[[servers]]\nname = "altair"\nmanager = "lmx"\ntransport = "ssh"\n'
                      f'ssh_host = "{sshd.alias}"\nlmutil = "{lmxendutil}"\n'
                      'license = "6200@licserv0013.com"\ntimezone = "Europe/Stockholm"\n')
    env = {"HOME": str(home), "LMCONSOLE_CONFIG": str(config), "SSH_AUTH_SOCK": ""}
    result = subprocess.run([sys.executable, "-m", "lmconsole", "snapshot", "--format", "json"],
                            capture_output=True, timeout=60, env={**os.environ, **env})
    assert result.returncode == 0, result.stderr.decode()
    assert (tmp_path / "argv").read_text() == "-licstatxml -host licserv0013.com -port 6200\n"
    (server,) = json.loads(result.stdout)["servers"]
    assert (server["name"], server["manager"], server["status"]) == ("altair", "lmx", "up")
    hyperworks = server["features"][-1]
    assert (hyperworks["name"], hyperworks["issued"], hyperworks["in_use"]) == (
        "HyperWorks", 1000000, 25000)
    assert hyperworks["checkouts"][0]["start"] == "2022-02-18T08:26:00+00:00"  # Stockholm
