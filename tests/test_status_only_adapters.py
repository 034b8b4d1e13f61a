"""What every status-only adapter (LS-DYNA, OLicense, BETA LM, MathLM, IBM LUM, Sentinel
HASP) shares: accepted as a server's `manager` in the configuration, the settings it cannot
serve refused by name, the command it runs, and no command offered that it does not have."""

from __future__ import annotations

import json
import time

import pytest

from lmconsole.adapters import ADAPTERS
from lmconsole.config import parse_config
from lmconsole.model import Checkout

from .corpus import CORPUS
from .test_cli_snapshot import lmconsole
from .test_history_collect import WAIT_S, Collector, listed, sqlite, write_config

KINDS = ("lsdyna", "olicense", "betalm", "mathlm", "lum", "hasp")


class Server:
    name, lmutil, vendor = "srv", "lmutil", None

    def __init__(self, license: str | None = None, **settings) -> None:
        self.license = license
        for key, value in settings.items():
            setattr(self, key, value)


@pytest.mark.parametrize("kind", KINDS)
def test_the_configuration_accepts_it_and_refuses_what_it_cannot_serve(kind):
    config = parse_config(f'[[servers]]\nname = "a"\nmanager = "{kind}"\nlicense = "1@h"\n',
                          "config.toml")
    assert config.servers[0].manager == kind
    problems = dict(ADAPTERS[kind].config_problems(
        {"options_file": "/x.opt", "license_file": "/x.lic", "debug_log": "/x.log",
         "transport": "sim"}))
    assert set(problems) == {"options_file", "license_file", "debug_log", "transport"}
    assert "its log is not read; remove this key" in problems["debug_log"]
    assert ADAPTERS[kind].config_problems({"transport": "ssh"}) == []


@pytest.mark.parametrize("kind", KINDS)
def test_no_command_is_offered_that_the_manager_has_none_of(kind):
    adapter = ADAPTERS[kind]
    seat = Checkout("ann", "pc", None, None, 0, None, None, None, None)
    with pytest.raises(ValueError, match=r"^srv: .* has no command that frees a seat$"):
        adapter.remove_argv(Server(), None, "F", seat)
    with pytest.raises(ValueError, match="has no command that re-reads its files"):
        adapter.reread_argv(Server())
    with pytest.raises(ValueError, match="needs its stop_command and start_command"):
        adapter.restart_argvs(Server())
    assert adapter.restart_argvs(Server(stop_command=["stop"], start_command=["start"])) == [
        ["stop"], ["start"]]


def test_the_commands_each_runs():
    argv = {kind: ADAPTERS[kind].status_argv(Server("31010@lic4")) for kind in KINDS}
    assert argv["lsdyna"] == ["lstc_qrun", "-s", "31010@lic4", "-R"]
    assert argv["olicense"] == ["olixtool", "-sv", "lic4:31010"]
    assert argv["betalm"] == ["env", "ANSA_SRV=31010@lic4", "beta_lm_stat", "-a"]
    assert ADAPTERS["betalm"].status_argv(Server("6007@a,6007@b,6007@c"))[1] == "ANSA_SRV=a,b,c"
    assert ADAPTERS["betalm"].status_argv(Server()) == ["beta_lm_stat", "-a"]
    assert argv["mathlm"][:3] == ["sh", "-c", argv["mathlm"][2]] and argv["mathlm"][-2:] == [
        "monitorlm", "lic4"]
    assert argv["lum"] == ["i4blt", "-s", "-lc", "-n", "lic4"]
    assert argv["hasp"][0] == "curl" and argv["hasp"][-2].startswith(
        "http://lic4:31010/_int_/tab_feat.html?")
    assert ADAPTERS["hasp"].status_argv(Server())[-1].startswith(
        "http://localhost:1947/_int_/tab_sessions.html?")
    assert ADAPTERS["lsdyna"].status_argv(Server(lmutil="/opt/lstc/lstc_qrun")) == [
        "/opt/lstc/lstc_qrun", "-R"]


def test_configured_servers_of_each_corpus_manager_are_asked_with_their_own_command(tmp_path):
    """Local servers whose utility is a script that checks its arguments and prints a corpus
    output: one snapshot shows them side by side, each named by its manager."""
    servers = {"lsdyna": ("lsdyna/lstc_qrun", '"$1 $2 $3" = "-s 31010@lic4 -R"', "31010@lic4"),
               "olicense": ("olicense/olixtool", '"$1 $2" = "-sv lic5:31212"', "31212@lic5"),
               "betalm": ("betalm/beta_lm_stat", '"$ANSA_SRV $1" = "lic6,lic7,27001@lic8 -a"',
                          "6007@lic6,6007@lic7,27001@lic8")}
    blocks = []
    for kind, (folder, test, license) in servers.items():
        sample = next((CORPUS / folder).glob("*.txt"))
        utility = tmp_path / kind
        utility.write_text(f"#!/bin/sh\n[ {test} ] || exit 9\ncat '{sample}'\n")
        utility.chmod(0o755)
        blocks.append(f'[[servers]]\nname = "{kind}-1"\nmanager = "{kind}"\n'
                      f'lmutil = "{utility}"\nlicense = "{license}"\ntimezone = "UTC"\n')
    config = tmp_path / "config.toml"
    config.write_text("\n".join(blocks))
    result = lmconsole("--config", str(config), "snapshot", "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    document = json.loads(result.stdout)
    assert [(s["name"], s["manager"], s["status"], s["features"][0]["in_use"])
            for s in document["servers"]] == [
        ("lsdyna-1", "lsdyna", "up", 440), ("olicense-1", "olicense", "up", 3),
        ("betalm-1", "betalm", "up", 100)]


def test_collect_records_the_seats_of_a_status_only_server_from_its_polls(tmp_path):
    """`lmconsole collect` on an LS-DYNA server (no log to follow): each job its polls list
    becomes an open session in the history, under the server's name, once."""
    sample = next((CORPUS / "lsdyna" / "lstc_qrun").glob("*.txt"))
    utility = tmp_path / "lstc_qrun"
    utility.write_text(f"#!/bin/sh\ncat '{sample}'\n")
    utility.chmod(0o755)
    config = write_config(tmp_path, f'[[servers]]\nname = "dyna"\nmanager = "lsdyna"\n'
                                    f'lmutil = "{utility}"\nlicense = "31010@licserv0004.com"\n'
                                    'timezone = "UTC"\npoll_interval_s = 1\n')
    database = sqlite(tmp_path)
    collector = Collector(tmp_path, config, database).start()
    jobs = {("dvds3g", "MPPDYNA"), ("ssss1d", "MPPDYNA"), ("ywap0o", "MPPDYNA"),
            ("ndha1a", "MPPDYNA")}
    try:
        deadline = time.monotonic() + WAIT_S
        while {(s["user"], s["feature"]) for s in listed(database, "sessions", tmp_path)
               } != jobs:
            assert time.monotonic() < deadline and collector.process.poll() is None, \
                collector.said
            time.sleep(0.5)
        time.sleep(2)  # more polls of the same jobs
        assert collector.stop() == 0
    finally:
        if collector.process.poll() is None:
            collector.kill()
    sessions = listed(database, "sessions", tmp_path)
    assert len(sessions) == 6 and {s["server"] for s in sessions} == {"dyna"}
    assert sorted(s["count"] for s in sessions) == [40, 80, 80, 80, 80, 80]
