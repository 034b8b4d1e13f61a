"""The known_hosts files of a host, as OpenSSH finds them: the look-up is compared with what
OpenSSH's own `ssh -G` prints, then the SSH transport is run against a real sshd on
127.0.0.1 (tests/sshd.py) with host keys in those files."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from lmconsole.adapters.flexlm.sim import create_state_dir
from lmconsole.adapters.transports.hostkeys import HostKeyError
from lmconsole.adapters.transports.known_hosts_files import (
    SshConfigError,
    known_hosts_files,
)
from lmconsole.adapters.transports.ssh import SshTransport
from lmconsole.app import ssh_transport
from lmconsole.config import ServerConfig, Transport
from lmconsole.transport import TransportError
from tests.sshd import SshServer, sshd_fixture  # noqa: F401 - registers the `sshd` fixture
from tests.test_snapshot_ssh import SIM_LMUTIL, snapshot


def require(binary: str) -> str:
    """An OpenSSH client program; skip without it, or fail under CI."""
    path = shutil.which(binary)
    if path is None:
        reason = f"OpenSSH's {binary} is not installed (apt-get install openssh-client)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty home directory, so that no ~/.ssh of the developer's is read."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


# ---- the look-up, against OpenSSH's ssh -G -------------------------------------------------------

def ssh_g(config: Path, host: str, *options: str) -> tuple[list[str], list[str]]:
    """UserKnownHostsFile and GlobalKnownHostsFile as `ssh -G` resolves them for `host`
    ("none" as no file)."""
    out = subprocess.run([require("ssh"), "-G", "-F", str(config), *options, host],
                         capture_output=True, text=True, timeout=10, check=True,
                         stdin=subprocess.DEVNULL).stdout
    values = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    return tuple([] if values[key] == "none" else values[key].split()
                 for key in ("userknownhostsfile", "globalknownhostsfile"))


CONFIGS = {
    "host patterns, negation, first value wins, tokens": """\
Host lic* !lic9
    HostName %h.example.com
    UserKnownHostsFile ~/kh/%h_%p %d/.ssh/flex_hosts ${HOME}/more %%literal
Host lic1
    UserKnownHostsFile /never/this
Host *
    GlobalKnownHostsFile /etc/corp/known_hosts
    UserKnownHostsFile /fallback/%n_%r@%k
""",
    "Include and Match": """\
Include INCLUDED
Match originalhost lic2
    UserKnownHostsFile none
Match host lic1.example.com user flexadm
    UserKnownHostsFile /matched/%u_%L
Host lic1
    HostName lic1.example.com
    User flexadm
    Port 2222
""",
    "nothing set: OpenSSH's defaults": "Host other\n    UserKnownHostsFile /other\n",
}


@pytest.mark.parametrize("text", CONFIGS.values(), ids=CONFIGS.keys())
@pytest.mark.parametrize(("host", "options"), [
    ("lic1", ()), ("lic2", ()), ("lic9", ()), ("LIC1", ()), ("lic1", ("-p", "7", "-l", "bob")),
])
def test_the_files_are_those_ssh_would_check(tmp_path, monkeypatch, text, host, options):
    # ssh takes ~ and %d from the password database, lmconsole (as asyncssh) from $HOME.
    monkeypatch.setenv("HOME", pwd.getpwuid(os.getuid()).pw_dir)
    included = tmp_path / "included.conf"
    included.write_text("Host lic1 lic2\n    GlobalKnownHostsFile /included/g\n")
    config = tmp_path / "config"
    config.write_text(text.replace("INCLUDED", str(included)))
    expected = ssh_g(config, host, *options)
    given = dict(zip(options[::2], options[1::2]))
    port = int(given["-p"]) if "-p" in given else None
    found = known_hosts_files(host, user=given.get("-l"), port=port, config_paths=[config])
    assert ([str(p) for p in found.user], [str(p) for p in found.system]) == expected


def test_known_hosts_given_replace_the_users_files_only(tmp_path, home):
    config = tmp_path / "config"
    config.write_text("Host *\n    UserKnownHostsFile /theirs\n    GlobalKnownHostsFile /g\n")
    found = known_hosts_files("lic1", config_paths=[config],
                              user_files=["~/mine", tmp_path / "second"])
    assert found.user == (home / "mine", tmp_path / "second")
    assert found.system == (Path("/g"),) and found.writable == home / "mine"


def test_without_a_config_ssh_reads_its_own_files(home):
    (home / ".ssh").mkdir()
    (home / ".ssh" / "config").write_text("Host lic1\n    UserKnownHostsFile ~/.ssh/lic\n")
    assert known_hosts_files("lic1").user == (home / ".ssh" / "lic",)
    assert known_hosts_files("lic2").user == (home / ".ssh" / "known_hosts",
                                              home / ".ssh" / "known_hosts2")


@pytest.mark.parametrize(("text", "message"), [
    ("Host *\n    UserKnownHostsFile /kh/%C\n",
     "ssh_config (CONFIG): UserKnownHostsFile /kh/%C: %C is not a token known_hosts paths "
     "may use"),
    ("Host *\n    GlobalKnownHostsFile ${NO_SUCH_VARIABLE}/kh\n",
     "ssh_config (CONFIG): GlobalKnownHostsFile ${NO_SUCH_VARIABLE}/kh: the environment "
     "variable NO_SUCH_VARIABLE is not set"),
    ("Host *\n    Port twenty\n", "ssh_config: CONFIG line 2: Invalid Port integer value: twenty"),
])
def test_an_unusable_ssh_config_says_what_and_where(tmp_path, home, text, message):
    config = tmp_path / "config"
    config.write_text(text)
    with pytest.raises(SshConfigError) as error:
        known_hosts_files("lic1", config_paths=[config])
    assert str(error.value) == message.replace("CONFIG", str(config))


def test_a_missing_ssh_config_is_named(tmp_path, home):
    with pytest.raises(SshConfigError) as error:
        known_hosts_files("lic1", config_paths=[tmp_path / "nope"])
    assert str(error.value) == (f"cannot read the ssh_config file {tmp_path / 'nope'}: "
                                "No such file or directory")


# ---- the transport, over a real sshd -------------------------------------------------------------

def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 40))


def ssh_config(sshd: SshServer, tmp_path: Path, lines: str) -> Path:
    """The fixture's ssh_config with `lines` added to its Host block, and a block for other
    hosts that names files of its own (which must not be used)."""
    path = tmp_path / "ssh_config"
    block = "".join(f"    {line}\n" for line in lines.splitlines())
    path.write_text(sshd.config_path.read_text() + block +
                    f"Host *\n    UserKnownHostsFile {tmp_path}/other_user\n"
                    f"    GlobalKnownHostsFile {tmp_path}/other_global\n")
    (tmp_path / "other_user").write_text(sshd.known_hosts_line() + "\n")
    return path


async def echo(transport: SshTransport) -> str:
    async with transport:
        return (await transport.run(["echo", "ok"], timeout=10)).stdout


async def refusal(transport: SshTransport) -> str:
    async with transport:
        with pytest.raises(HostKeyError) as refused:
            await transport.run(["true"], timeout=10)
    return str(refused.value)


def test_a_key_only_in_a_user_known_hosts_file_of_the_block_connects(sshd, tmp_path, home):
    second = tmp_path / "second"
    second.write_text(f"# the team's hosts\n{sshd.known_hosts_line()}\n")
    config = ssh_config(sshd, tmp_path, f"UserKnownHostsFile {tmp_path}/first {second}\n"
                                        f"GlobalKnownHostsFile {tmp_path}/global")
    assert run(echo(SshTransport(sshd.alias, config_paths=[config]))) == "ok\n"


def test_a_key_only_in_a_global_known_hosts_file_of_the_block_connects(sshd, tmp_path, home):
    (tmp_path / "global2").write_text(sshd.known_hosts_line() + "\n")
    config = ssh_config(sshd, tmp_path, f"UserKnownHostsFile {tmp_path}/mine\n"
                                        f"GlobalKnownHostsFile {tmp_path}/g1 {tmp_path}/global2")
    assert run(echo(SshTransport(sshd.alias, config_paths=[config]))) == "ok\n"
    assert not (tmp_path / "mine").exists()  # nothing was added


def test_an_unknown_host_names_the_files_checked_and_the_advice_works(sshd, tmp_path, home):
    config = ssh_config(sshd, tmp_path, f"UserKnownHostsFile {tmp_path}/kh/first {tmp_path}/kh2\n"
                                        f"GlobalKnownHostsFile {tmp_path}/global")
    (tmp_path / "kh").mkdir()
    message = run(refusal(SshTransport(sshd.alias, config_paths=[config])))
    first = tmp_path / "kh" / "first"
    assert (f"is unknown: it is not in {first}, {tmp_path}/kh2, {tmp_path}/global; it offered "
            f"the ssh-ed25519 key {sshd.fingerprint}") in message
    assert f"then add the key to {first}: connect once with `ssh -F {config} lic-test`" in message
    scan = re.search(r"run `(ssh-keyscan [^`]*)`", message).group(1)
    assert scan == f"ssh-keyscan -p {sshd.port} 127.0.0.1 >> {first}"
    require("ssh-keyscan")
    subprocess.run(["sh", "-c", scan], check=True, timeout=30, capture_output=True)
    assert run(echo(SshTransport(sshd.alias, config_paths=[config]))) == "ok\n"


def test_the_advised_ssh_command_adds_the_key_where_lmconsole_looks(sshd, tmp_path, home):
    """Accepting the key in OpenSSH's ssh, run as the message says, fixes it: ssh checks and
    writes the same file (here: lmconsole's known_hosts setting, not ssh_config's)."""
    config = ssh_config(sshd, tmp_path, "")
    mine = tmp_path / "mine"
    transport = lambda: SshTransport(sshd.alias, config_paths=[config],  # noqa: E731
                                     known_hosts=[mine])
    message = run(refusal(transport()))
    advised = re.search(r"connect once with `([^`]*)` and accept it", message).group(1)
    assert advised == f"ssh -F {config} -o UserKnownHostsFile={mine} lic-test"
    argv = shlex.split(advised)
    argv[1:1] = ["-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes"]
    require("ssh")
    subprocess.run([*argv, "true"], check=True, timeout=30, capture_output=True,
                   stdin=subprocess.DEVNULL)
    assert run(echo(transport())) == "ok\n"


def test_a_changed_key_in_the_second_user_file_is_refused_naming_it(sshd, tmp_path, home):
    second = tmp_path / "second"
    second.write_text(f"# the team's hosts\nother {sshd.known_hosts_line().split(' ', 1)[1]}\n"
                      f"{sshd.known_hosts_line()}\n")
    config = ssh_config(sshd, tmp_path, f"UserKnownHostsFile {tmp_path}/first {second}\n"
                                        f"GlobalKnownHostsFile {tmp_path}/global")
    sshd.restart(new_host_key=True)
    message = run(refusal(SshTransport(sshd.alias, config_paths=[config],
                                       ask_unknown_host=lambda *a: True)))
    assert "has CHANGED" in message and sshd.fingerprint in message
    assert f"the key recorded in {second}:3." in message
    assert f"ssh-keygen -R '[127.0.0.1]:{sshd.port}' -f {second} and connect again" in message
    assert not (tmp_path / "first").exists()


def test_an_accepted_key_is_added_to_the_first_user_file(sshd, tmp_path, home):
    second = tmp_path / "second"
    second.write_text("# the team's hosts\n")
    config = ssh_config(sshd, tmp_path, f"UserKnownHostsFile {tmp_path}/new/first {second}\n"
                                        f"GlobalKnownHostsFile {tmp_path}/global")
    accepting = SshTransport(sshd.alias, config_paths=[config], ask_unknown_host=lambda *a: True)
    assert accepting.known_hosts == tmp_path / "new" / "first"
    assert run(echo(accepting)) == "ok\n"
    assert (tmp_path / "new" / "first").read_text() == sshd.known_hosts_line() + "\n"
    assert second.read_text() == "# the team's hosts\n"
    assert run(echo(SshTransport(sshd.alias, config_paths=[config]))) == "ok\n"


def test_with_user_known_hosts_file_none_an_unknown_key_cannot_be_accepted(sshd, tmp_path, home):
    config = ssh_config(sshd, tmp_path, f"UserKnownHostsFile none\n"
                                        f"GlobalKnownHostsFile {tmp_path}/global")
    asked = []
    message = run(refusal(SshTransport(sshd.alias, config_paths=[config],
                                       ask_unknown_host=lambda *a: asked.append(a) or True)))
    assert asked == []
    assert f"is unknown: it is not in {tmp_path}/global;" in message
    assert "UserKnownHostsFile is none for this host" in message


def test_the_known_hosts_setting_replaces_the_blocks_user_files(sshd, tmp_path, home):
    (tmp_path / "theirs").write_text(sshd.known_hosts_line() + "\n")
    config = ssh_config(sshd, tmp_path, f"UserKnownHostsFile {tmp_path}/theirs\n"
                                        f"GlobalKnownHostsFile {tmp_path}/global")
    mine = tmp_path / "mine"
    message = run(refusal(SshTransport(sshd.alias, config_paths=[config], known_hosts=mine)))
    assert f"is not in {mine}, {tmp_path}/global;" in message
    (tmp_path / "global").write_text(sshd.known_hosts_line() + "\n")  # still read
    assert run(echo(SshTransport(sshd.alias, config_paths=[config], known_hosts=mine))) == "ok\n"


def test_a_broken_ssh_config_is_a_transport_error_naming_it(sshd, tmp_path, home):
    config = ssh_config(sshd, tmp_path, "UserKnownHostsFile /kh/%C")

    async def main():
        async with SshTransport(sshd.alias, config_paths=[config], max_backoff=0.1) as ssh:
            with pytest.raises(TransportError) as error:
                await ssh.run(["true"], timeout=2)
        return str(error.value)

    assert run(main()) == (f"lic-test: cannot check the host key: ssh_config ({config}): "
                           "UserKnownHostsFile /kh/%C: %C is not a token known_hosts paths "
                           "may use")


# ---- the settings, as lmconsole builds its transports --------------------------------------------

def test_the_console_and_snapshot_transports_take_the_settings(tmp_path, home):
    from lmconsole.cli.servers import transport_for

    (tmp_path / "ssh_config").write_text("Host lic1\n    UserKnownHostsFile /theirs\n")
    server = ServerConfig("lic1", transport=Transport.SSH, ssh_host="lic1",
                          ssh_config=str(tmp_path / "ssh_config"),
                          known_hosts=(str(tmp_path / "a"), str(tmp_path / "b")))
    for transport in (ssh_transport(server), transport_for(server)):
        assert transport.config_paths == [str(tmp_path / "ssh_config")]
        assert transport.host_keys.find_files().user == (tmp_path / "a", tmp_path / "b")
    unset = ServerConfig("lic1", transport=Transport.SSH, ssh_host="lic1",
                         ssh_config=str(tmp_path / "ssh_config"))
    assert ssh_transport(unset).known_hosts == Path("/theirs")


def snapshot_config(tmp_path: Path, sshd: SshServer, settings: str, server_settings: str = ""
                    ) -> Path:
    state = create_state_dir(tmp_path / "sim", "architecture", seed=2, speed=0)
    lmutil = tmp_path / "lmutil"
    lmutil.write_text(f"#!/bin/sh\nexec '{SIM_LMUTIL}' --sim-dir '{state}' \"$@\"\n")
    lmutil.chmod(0o755)
    config = tmp_path / "config.toml"
    config.write_text(f'{settings}[[servers]]\nname = "office"\ntransport = "ssh"\n'
                      f'ssh_host = "{sshd.alias}"\nlmutil = "{lmutil}"\n'
                      f'license = "27000@arch-lic01"\n{server_settings}')
    return config


def test_snapshot_finds_the_key_where_ssh_config_says(sshd, tmp_path, home):
    """The issue's case: ~/.ssh/config keeps known hosts elsewhere; `ssh lic-test` works,
    and so does lmconsole."""
    (home / ".ssh").mkdir()
    kept = tmp_path / "team_known_hosts"
    kept.write_text(sshd.known_hosts_line() + "\n")
    (home / ".ssh" / "config").write_text(
        sshd.config_path.read_text() + f"    UserKnownHostsFile {kept}\n")
    config = snapshot_config(tmp_path, sshd, "")
    result = snapshot({"HOME": str(home), "LMCONSOLE_CONFIG": str(config),
                       "SSH_AUTH_SOCK": ""}, "--format", "json")
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert json.loads(result.stdout)["servers"][0]["status"] == "up"


def test_snapshot_takes_ssh_config_and_known_hosts_from_the_configuration(sshd, tmp_path, home):
    """No ~/.ssh at all: the server's ssh_config and the global known_hosts setting (a path
    relative to the configuration file) are used."""
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "hosts").write_text(sshd.known_hosts_line() + "\n")
    config = snapshot_config(tmp_path, sshd, 'known_hosts = ["mine/new", "mine/hosts"]\n',
                             f'ssh_config = "{sshd.config_path}"\n')
    env = {"HOME": str(home), "LMCONSOLE_CONFIG": str(config), "SSH_AUTH_SOCK": ""}
    result = snapshot(env, "--format", "json")
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    sshd.restart(new_host_key=True)
    refused = json.loads(snapshot(env, "--format", "json").stdout)["servers"][0]["error"]
    assert f"recorded in {tmp_path}/mine/hosts:1" in refused
