"""Configuration: discovery, validation messages, rendering, the example file."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from dataclasses import fields
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from lmconsole.config import (
    KNOWN_MANAGERS,
    Config,
    ConfigError,
    ServerConfig,
    Transport,
    example_config,
    load_config,
    parse_config,
    render_config,
    resolve_config_path,
    ssh_keepalive,
    write_example_config,
)
from lmconsole.directory.config import DirectoryConfig
from lmconsole.monitor import followed_logs


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write `text` to ./config.toml in a temp dir and load it by that relative name, so
    messages name the file as given: "config.toml"."""
    monkeypatch.chdir(tmp_path)

    def load(text: str) -> Config:
        Path("config.toml").write_text(text, encoding="utf-8")
        return load_config("config.toml")

    return load


@pytest.fixture
def errors(cfg):
    def collect(text: str) -> list[str]:
        with pytest.raises(ConfigError) as info:
            cfg(text)
        assert str(info.value).splitlines() == [str(e) for e in info.value.errors]
        return str(info.value).splitlines()

    return collect


# ------------------------------------------------------------------------- the model


def test_a_full_server_is_read(cfg) -> None:
    config = cfg("""\
poll_interval_s = 15
display_timezone = "America/New_York"
read_only = true
audit_log = "logs/audit.log"

[[servers]]
name = "eng"
transport = "ssh"
ssh_host = "lic1"
ssh_user = "flex"
ssh_port = 2222
lmutil = "/opt/bin/lmutil"
license = "27001@lic1,27001@lic2,27001@lic3"
license_file = "/opt/lic/ansys.lic"
options_file = "/opt/lic/ansyslmd.opt"
debug_log = "/var/log/ansyslmd.log"
vendor = "ansyslmd"
timezone = "Europe/Berlin"

[[servers]]
name = "sim"
transport = "sim"
sim_scenario = "reserved-seats"
sim_seed = 7
poll_interval_s = 0.5
""")
    assert config.poll_interval_s == 15.0
    assert config.display_timezone == "America/New_York"
    assert config.display_tz == ZoneInfo("America/New_York")
    assert config.read_only is True
    assert config.audit_log == Path.cwd() / "logs" / "audit.log"
    eng, sim = config.servers
    assert eng == ServerConfig(
        name="eng", transport=Transport.SSH, ssh_host="lic1", ssh_user="flex", ssh_port=2222,
        lmutil="/opt/bin/lmutil", license="27001@lic1,27001@lic2,27001@lic3",
        license_file="/opt/lic/ansys.lic", options_file="/opt/lic/ansyslmd.opt",
        debug_log="/var/log/ansyslmd.log", vendor="ansyslmd", timezone="Europe/Berlin",
        poll_interval_s=15.0)
    assert eng.tz == ZoneInfo("Europe/Berlin")
    assert (sim.transport, sim.sim_scenario, sim.sim_seed) == ("sim", "reserved-seats", 7)
    assert sim.poll_interval_s == 0.5
    assert config.server("sim") is sim
    with pytest.raises(LookupError, match=r"no server named 'x' .*\(known: eng, sim\)"):
        config.server("x")


def test_defaults_are_filled_in(cfg) -> None:
    config = cfg('[[servers]]\nname = "a"\n')
    (a,) = config.servers
    assert (a.manager, a.transport, a.lmutil, a.license) == ("flexlm", "local", "lmutil", None)
    assert a.poll_interval_s == 30.0
    assert a.timezone == "UTC"  # this machine's zone (conftest sets TZ=UTC)
    assert a.tz == ZoneInfo("UTC")
    assert (config.display_timezone, config.read_only, config.audit_log) == (None, False, None)
    assert config.display_tz == ZoneInfo("UTC")


def test_license_forms_accepted(cfg) -> None:
    for spec in ("27000@lic1", "@lic1", "27001@a,27001@b,27001@c", "/opt/lic/x.lic",
                 "27000@lic1:27000@lic2", "27000@lic1;/opt/x.lic", r"C:\flexlm\license.dat"):
        config = cfg(f"[[servers]]\nname = 'a'\nlicense = '{spec}'\n")
        assert config.servers[0].license == spec


# ----------------------------------------------------------------------------- errors


def test_wrong_type(errors) -> None:
    assert errors("""\
[[servers]]
name = "a"

[[servers]]
name = "b"
transport = "ssh"
ssh_host = "lic1"
ssh_port = "22"
""") == ["config.toml:8: servers[1].ssh_port: expected an integer"]


def test_every_problem_is_reported_in_line_order(errors) -> None:
    assert errors("""\
poll_interval_s = -5
read_only = "yes"

[[servers]]
name = "a"
ssh_port = 70000
transport = "ssh"
timezone = "Europe/Berln"

[[servers]]
manager = "licman"
""") == [
        "config.toml:1: poll_interval_s: expected a positive number of seconds, got -5",
        "config.toml:2: read_only: expected true or false",
        "config.toml:4: servers[0].ssh_host: required when transport = \"ssh\"",
        "config.toml:6: servers[0].ssh_port: expected an integer from 1 to 65535, got 70000",
        'config.toml:8: servers[0].timezone: unknown time zone "Europe/Berln"; expected an '
        'IANA name such as "Europe/Berlin" or "UTC"; did you mean "Europe/Berlin"?',
        "config.toml:10: servers[1].name: required: a unique name for this server",
        'config.toml:11: servers[1].manager: unknown licence manager "licman"; expected one of '
        + ", ".join(f'"{manager}"' for manager in KNOWN_MANAGERS),
    ]


def test_an_rlm_server_is_accepted_with_what_its_adapter_serves(cfg, errors) -> None:
    config = cfg('[[servers]]\nname = "design"\nmanager = "rlm"\nlicense = "5053@lic3"\n'
                 'lmutil = "/opt/rlm/rlmutil"\nvendor = "reprise"\n')
    assert (config.servers[0].manager, config.servers[0].lmutil) == ("rlm", "/opt/rlm/rlmutil")
    assert errors('[[servers]]\nname = "design"\nmanager = "rlm"\ntransport = "sim"\n'
                  'options_file = "/opt/rlm/reprise.opt"\n') == [
        "config.toml:5: servers[0].options_file: not for an RLM server yet: its options "
        "files are not edited yet; remove this key",
    ]


def test_an_lmx_server_is_accepted_with_what_its_adapter_serves(cfg, errors) -> None:
    config = cfg('[[servers]]\nname = "cae"\nmanager = "lmx"\ntransport = "sim"\n'
                 'license = "6200@hal1,6200@hal2,6200@hal3"\n')
    assert (config.servers[0].manager, config.servers[0].transport) == ("lmx", "sim")
    assert errors('[[servers]]\nname = "cae"\nmanager = "lmx"\n'
                  'options_file = "/opt/lmx/lmx-serv.cfg"\n') == [
        "config.toml:4: servers[0].options_file: not for an LM-X server: LM-X has no options "
        "files (its settings are in lmx-serv.cfg); remove this key",
    ]


def test_unknown_keys_suggest_the_closest(errors) -> None:
    assert errors("""\
poll_interval = 10

[[server]]
name = "a"

[[servers]]
name = "b"
ssh_hots = "x"
colour = "red"
""") == [
        'config.toml:1: poll_interval: unknown key; did you mean "poll_interval_s"?',
        'config.toml:3: server: unknown key; did you mean "servers"?',
        "config.toml:8: servers[0].ssh_hots: unknown key; did you mean \"ssh_host\"?",
        "config.toml:9: servers[0].colour: unknown key; known keys here: name, manager, "
        "transport, ssh_host, ssh_user, ssh_port, ssh_accept_new_host_key, ssh_config, "
        "known_hosts, ssh_dead_after_s, lmutil, license, "
        "license_file, "
        "options_file, options_files, debug_log, debug_logs, vendor, start_command, stop_command, timezone, poll_interval_s, "
            "sim_scenario, sim_seed",
    ]


def test_bad_enum_values(errors) -> None:
    # Only the bad transport is reported, not the ssh_* keys it would otherwise make stray.
    assert errors('[[servers]]\nname = "a"\ntransport = "shh"\nssh_host = "lic1"\n') == [
        'config.toml:3: servers[0].transport: unknown transport "shh"; expected one of '
        '"local", "ssh", "sim"; did you mean "ssh"?'
    ]


@pytest.mark.parametrize(("spec", "message"), [
    ("27000", '"27000": expected port@host, a triad "port@host1,port@host2,port@host3", or '
              "an absolute licence-file path"),
    ("lic1@27000", '"lic1@27000" is not port@host (such as "27000@lic1"); expected port@host, '
                   'a triad "port@host1,port@host2,port@host3", or an absolute licence-file path'),
    ("27000@", '"27000@" is not port@host (such as "27000@lic1"); expected port@host, a triad '
               '"port@host1,port@host2,port@host3", or an absolute licence-file path'),
    ("27001@a,27001@b", '"27001@a,27001@b" names 2 servers; a comma joins the three servers '
                        "of a redundant triad (separate independent servers with ':')"),
    ("99999@lic1", '"99999@lic1": port 99999 is not from 1 to 65535'),
    ("license.dat", '"license.dat": expected port@host, a triad "port@host1,port@host2,'
                    'port@host3", or an absolute licence-file path'),
])
def test_bad_license_syntax(errors, spec: str, message: str) -> None:
    text = f'[[servers]]\nname = "a"\nlicense = "{spec}"\n'
    assert errors(text) == [f"config.toml:3: servers[0].license: {message}"]


def test_how_many_servers_a_comma_joins_is_the_managers_rule(cfg, errors) -> None:
    # ANSA_SRV lists the BETA LM hosts to try, as many as there are; FlexLM, RLM and LM-X
    # join three (a redundant triad)
    config = cfg('[[servers]]\nname = "beta"\nmanager = "betalm"\n'
                 'license = "6007@h1,6007@h2"\n')
    assert config.servers[0].license == "6007@h1,6007@h2"
    assert errors('[[servers]]\nname = "x"\nmanager = "lmx"\nlicense = "6200@a,6200@b"\n') == [
        'config.toml:4: servers[0].license: "6200@a,6200@b" names 2 servers; a comma joins '
        "the three servers of a redundant triad (separate independent servers with ':')"]


def test_start_and_stop_commands_are_argvs(cfg, errors) -> None:
    config = cfg('[[servers]]\nname = "a"\n'
                 'start_command = "/opt/flexlm/lmgrd -c /opt/lic.lic -l \'+/var/log/a b.log\'"\n'
                 'stop_command = ["systemctl", "stop", "lmgrd"]\n')
    assert config.servers[0].start_command == (
        "/opt/flexlm/lmgrd", "-c", "/opt/lic.lic", "-l", "+/var/log/a b.log")
    assert config.servers[0].stop_command == ("systemctl", "stop", "lmgrd")
    assert cfg(render_config(config).split("\n", 1)[1]).servers == config.servers
    assert errors('[[servers]]\nname = "a"\nstart_command = ["lmgrd", 3]\n'
                  'stop_command = "lmdown \'-q"\n') == [
        "config.toml:3: servers[0].start_command: expected a command: a string, or a list of "
        "strings",
        "config.toml:4: servers[0].stop_command: cannot split this command: No closing "
        "quotation"]
    assert errors('[[servers]]\nname = "a"\nstart_command = " "\n') == [
        "config.toml:3: servers[0].start_command: expected a non-empty command"]


def test_negative_and_zero_intervals(errors) -> None:
    assert errors('poll_interval_s = 0\n[[servers]]\nname = "a"\npoll_interval_s = -1.5\n') == [
        "config.toml:1: poll_interval_s: expected a positive number of seconds, got 0",
        "config.toml:4: servers[0].poll_interval_s: expected a positive number of seconds, "
        "got -1.5",
    ]
    assert errors('poll_interval_s = "30"\n') == [
        "config.toml:1: poll_interval_s: expected a number of seconds"]


def test_passwords_are_refused_anywhere(errors) -> None:
    hint = ("passwords are never read from the configuration; remove this key and log in "
            "with ssh-agent or an SSH key (IdentityFile in ~/.ssh/config)")
    lines = errors("""\
password = "x"

[[servers]]
name = "a"
transport = "ssh"
ssh_host = "lic1"
ssh_password = "hunter2"

[extra]
nested = { Password = "y" }
""")
    assert lines[:2] == [f"config.toml:1: password: {hint}",
                         f"config.toml:7: servers[0].ssh_password: {hint}"]
    assert f"config.toml:10: extra.nested.Password: {hint}" in lines
    assert not any("hunter2" in line for line in lines)


def test_database_url_with_password_is_refused(errors) -> None:
    assert errors('database_url = "postgresql://u:secret@db/h"\n') == [
        "config.toml:1: database_url: must not contain a password; keep it out of the config "
        "(PostgreSQL: ~/.pgpass or PGPASSFILE)"]


def test_duplicate_server_names(errors) -> None:
    assert errors('[[servers]]\nname = "lic1"\n\n[[servers]]\nname = "LIC1"\n') == [
        'config.toml:5: servers[1].name: duplicate server name "LIC1" (already used by '
        "servers[0] at line 2)"]


def test_transport_specific_keys(errors) -> None:
    assert errors("""\
[[servers]]
name = "a"
ssh_host = "lic1"
sim_seed = 3

[[servers]]
name = "b"
transport = "ssh"
ssh_host = "root@lic1"
""") == [
        'config.toml:3: servers[0].ssh_host: only used when transport = "ssh" (this server '
        'has transport = "local")',
        'config.toml:4: servers[0].sim_seed: only used when transport = "sim" (this server '
        'has transport = "local")',
        'config.toml:9: servers[1].ssh_host: expected a host name or ~/.ssh/config alias, got '
        '"root@lic1"; put the user name in ssh_user',
    ]


def test_ssh_config_and_known_hosts_per_server_and_global(cfg, tmp_path: Path) -> None:
    """Paths relative to the configuration file's directory; the global ones are the SSH
    servers' defaults (a local server does not get them)."""
    (tmp_path / "ssh").mkdir()
    (tmp_path / "ssh" / "config").write_text("Host *\n")
    (tmp_path / "lic2_config").write_text("Host *\n")
    config = cfg("""\
ssh_config = "ssh/config"
known_hosts = "~/.ssh/flex_hosts"

[[servers]]
name = "lic1"
transport = "ssh"
ssh_host = "lic1"

[[servers]]
name = "lic2"
transport = "ssh"
ssh_host = "lic2"
ssh_config = "lic2_config"
known_hosts = ["hosts/new", "/etc/ssh/flex_hosts"]

[[servers]]
name = "local"
""")
    assert config.ssh_config == str(tmp_path / "ssh" / "config")
    assert config.known_hosts == (str(Path.home() / ".ssh" / "flex_hosts"),)
    lic1, lic2, local = config.servers
    assert (lic1.ssh_config, lic1.known_hosts) == (config.ssh_config, config.known_hosts)
    assert lic2.ssh_config == str(tmp_path / "lic2_config")
    assert lic2.known_hosts == (str(tmp_path / "hosts" / "new"), "/etc/ssh/flex_hosts")
    assert (local.ssh_config, local.known_hosts) == (None, None)
    rendered = render_config(config)
    assert cfg(rendered.split("\n", 1)[1]) == config


def test_ssh_config_and_known_hosts_errors(errors, tmp_path: Path) -> None:
    (tmp_path / "ssh_config").write_text("Host *\n")
    (tmp_path / "hosts").mkdir()
    assert errors("""\
ssh_config = "ssh_confg"
known_hosts = []
UserKnownHostsFile = "~/.ssh/flex_hosts"

[[servers]]
name = "a"
transport = "ssh"
ssh_host = "lic1"
ssh_config = "nowhere/config"
known_hosts = ["ok", "hosts"]
known_host = "x"

[[servers]]
name = "b"
transport = "ssh"
ssh_host = "lic2"
ssh_config = "hosts"
GlobalKnownHostsFile = "/etc/ssh/flex_hosts"

[[servers]]
name = "c"
ssh_config = "ssh_config"
known_hosts = 3
""") == [
        f'config.toml:1: ssh_config: no such file: {tmp_path}/ssh_confg; did you mean '
        f'"{tmp_path}/ssh_config"?',
        "config.toml:2: known_hosts: expected a known_hosts file, or a list of them",
        'config.toml:3: UserKnownHostsFile: unknown key; did you mean "known_hosts"?',
        f"config.toml:9: servers[0].ssh_config: no such file: {tmp_path}/nowhere/config; "
        "name an existing ssh_config file (leave the key out to use ~/.ssh/config)",
        f"config.toml:10: servers[0].known_hosts: {tmp_path}/hosts is a directory; expected "
        "a known_hosts file",
        'config.toml:11: servers[0].known_host: unknown key; did you mean "known_hosts"?',
        f"config.toml:17: servers[1].ssh_config: {tmp_path}/hosts is a directory; expected "
        "an ssh_config file",
        "config.toml:18: servers[1].GlobalKnownHostsFile: unknown key; GlobalKnownHostsFile "
        'is read from ssh_config (name one with "ssh_config"); "known_hosts" replaces the '
        "user's known_hosts files",
        'config.toml:22: servers[2].ssh_config: only used when transport = "ssh" (this '
        'server has transport = "local")',
        "config.toml:23: servers[2].known_hosts: expected a known_hosts file, or a list of "
        "them",
        'config.toml:23: servers[2].known_hosts: only used when transport = "ssh" (this '
        'server has transport = "local")',
    ]


def test_bad_names_and_shapes(errors) -> None:
    assert errors('[[servers]]\nname = "my server"\nvendor = "a-b"\n') == [
        'config.toml:2: servers[0].name: "my server" is not a usable server name; use '
        'letters, digits, ".", "_" or "-", starting with a letter or digit',
        'config.toml:3: servers[0].vendor: "a-b" is not a vendor daemon name (letters, '
        'digits and "_")',
    ]
    assert errors('[servers]\nname = "a"\n') == [
        "config.toml:1: servers: expected an array of tables: write each server as [[servers]]"]
    assert errors('servers = [1]\n') == [
        "config.toml:1: servers[0]: expected a table: write each server as [[servers]]"]


def test_toml_syntax_errors_keep_tomllib_positions(errors) -> None:
    assert errors('[[servers]]\nname = "a"\nvendor = \n') == [
        "config.toml:3:10: invalid TOML: Invalid value"]
    assert errors('[[servers]]\nname = """a\n') == [
        "config.toml:2:12: invalid TOML: Unterminated string"]


def test_key_lines_survive_tricky_toml(errors) -> None:
    """Multi-line strings and arrays, quoted and dotted keys, and inline tables must not
    confuse the scanner that finds a key's line."""
    assert errors("""\
[[servers]]
name = "a"
lmutil = '''
[[servers]]
vendor = 1
'''
"sim_seed" = 1

[[servers]]
  name = "b"
  license = [
    "[x]",
  ]
  options_file.x = 1

[[servers]]
name = "c"
""") == [
        'config.toml:7: servers[0].sim_seed: only used when transport = "sim" (this server '
        'has transport = "local")',
        "config.toml:11: servers[1].license: expected a string",
        "config.toml:14: servers[1].options_file: expected a string",
    ]
    assert errors('servers = [{ name = "a" }, { name = "b", ssh_port = 1 }]\n') == [
        'config.toml:1: servers[1].ssh_port: only used when transport = "ssh" (this server '
        'has transport = "local")']


def test_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b'# ok\nname = "\xff"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (f"{path}:2: not valid UTF-8; save the file as UTF-8 "
                               "(TOML requires it)")


# -------------------------------------------------------------------------- discovery


def test_discovery_order(tmp_path: Path) -> None:
    env = {"LMCONSOLE_CONFIG": "/env/c.toml", "XDG_CONFIG_HOME": "/xdg", "HOME": "/home/u"}
    assert resolve_config_path("/explicit.toml", env) == (Path("/explicit.toml"), True)
    assert resolve_config_path(None, env) == (Path("/env/c.toml"), True)
    del env["LMCONSOLE_CONFIG"]
    assert resolve_config_path(None, env) == (Path("/xdg/lmconsole/config.toml"), False)
    env["XDG_CONFIG_HOME"] = "relative/dir"  # ignored, as the XDG spec says
    assert resolve_config_path(None, env) == (
        Path("/home/u/.config/lmconsole/config.toml"), False)
    assert resolve_config_path(None, {"HOME": "/home/u", "LMCONSOLE_CONFIG": ""}) == (
        Path("/home/u/.config/lmconsole/config.toml"), False)
    assert resolve_config_path("~/c.toml", {"HOME": "/home/u"})[0] == Path.home() / "c.toml"


def test_load_follows_discovery(isolated_env: Path, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    explicit, by_env = tmp_path / "explicit.toml", tmp_path / "env.toml"
    explicit.write_text('[[servers]]\nname = "explicit"\n')
    by_env.write_text('[[servers]]\nname = "env"\n')
    default = isolated_env / "config" / "lmconsole" / "config.toml"
    default.write_text('[[servers]]\nname = "default"\n')
    monkeypatch.setenv("LMCONSOLE_CONFIG", str(by_env))
    assert load_config(explicit).servers[0].name == "explicit"
    assert load_config().servers[0].name == "env"
    monkeypatch.delenv("LMCONSOLE_CONFIG")
    config = load_config()
    assert config.servers[0].name == "default"
    assert config.source == default


def test_missing_default_file_is_an_empty_config(isolated_env: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LMCONSOLE_CONFIG")
    (isolated_env / "config" / "lmconsole" / "config.toml").unlink()
    assert load_config() == Config()
    assert load_config().source is None


def test_missing_chosen_file_is_an_error(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_config(missing)
    assert str(info.value) == (f"{missing}: no such file (named by --config); check the path, "
                               "or create one with `lmconsole config init`")
    monkeypatch.setenv("LMCONSOLE_CONFIG", str(missing))
    with pytest.raises(ConfigError, match=r"nope.toml: no such file \(named by LMCONSOLE_CONFIG\)"):
        load_config()
    with pytest.raises(ConfigError, match="is a directory; expected a TOML file"):
        load_config(tmp_path)


def test_conftest_isolates_the_environment(isolated_env: Path) -> None:
    assert os.environ["LMCONSOLE_CONFIG"].startswith(str(isolated_env))
    assert os.environ["XDG_STATE_HOME"] == str(isolated_env / "state")
    assert load_config() == Config()  # the placeholder file holds no settings
    assert os.environ["TZ"] == "UTC"


# ------------------------------------------------------------ rendering and the example


def test_example_parses_and_round_trips() -> None:
    config = parse_config(example_config(), "example.toml")
    assert [(s.manager, s.transport) for s in config.servers] == [
        ("flexlm", "local"), ("flexlm", "ssh"), ("rlm", "ssh"), ("flexlm", "sim")]
    assert config.servers[1].license == "27001@lic1,27001@lic2,27001@lic3"
    rendered = render_config(config)
    tomllib.loads(rendered)
    assert parse_config(rendered, "shown.toml") == config
    assert render_config(parse_config(rendered, "shown.toml")).splitlines()[1:] == \
        rendered.splitlines()[1:]


def test_example_documents_every_key() -> None:
    text = example_config()
    in_tables = {"true_denial_window_s": "true_denial",  # keys of tables of their own
                 "group_count": "count", "primary_groups": "primary"}
    keys = [f.name for f in fields(ServerConfig)] + \
        [in_tables.get(f.name, f.name) for f in fields(Config)
         if f.name not in ("servers", "directories", "managed_groups", "pools", "projects",
                           "source")] + \
        [f.name for f in fields(DirectoryConfig) if f.name != "attribute_groups"]
    assert "# [[directories]]" in text and "# [directories.attribute_groups]" in text
    assert "# [[managed_groups]]" in text and "# [[pools]]" in text
    assert "# [[projects]]" in text and "# users = " in text and "# hosts = " in text
    assert [k for k in keys if f"#   {k} " not in text and f"{k} = " not in text
            and f"# [{k}]" not in text and f"\n[{k}]\n" not in text] == []


def test_render_fills_in_defaults(cfg) -> None:
    rendered = render_config(cfg('poll_interval_s = 12\n[[servers]]\nname = "a"\n'))
    assert tomllib.loads(rendered) == {
        "poll_interval_s": 12.0, "read_only": False, "record_history": True,
        "retention": {"events": "1y", "minutes": "90d", "hours": "3y", "days": "forever"},
        "servers": [{"name": "a", "manager": "flexlm", "transport": "local", "lmutil": "lmutil",
                     "timezone": "UTC", "poll_interval_s": 12.0}],
    }
    assert rendered.startswith("# lmconsole: effective configuration (read from config.toml;")


def test_write_example_config(tmp_path: Path) -> None:
    target = tmp_path / "new" / "dir" / "config.toml"
    assert write_example_config(target) == target
    assert target.read_text() == example_config()
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    target.write_text("# mine\n")
    with pytest.raises(ConfigError) as info:
        write_example_config(target)
    assert str(info.value) == (f"{target}: already exists; not overwritten (edit it, or use "
                               "--force to replace it with the example)")
    assert target.read_text() == "# mine\n"
    write_example_config(target, force=True)
    assert target.read_text() == example_config()
    assert sorted(p.name for p in target.parent.iterdir()) == ["config.toml"]  # no temp files
    with pytest.raises(ConfigError, match="is a directory"):
        write_example_config(tmp_path)


def test_config_module_does_not_import_textual() -> None:
    code = "import sys, lmconsole.config; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------------------ [keys]


def test_keys_rebind_bindings_by_id(cfg) -> None:
    config = cfg('[keys]\napp.pause = "space"\n"app.quit" = "q, ctrl+q"\n'
                 'view.sort-next = "right_square_bracket"\n')
    assert config.keys == {"app.pause": "space", "app.quit": "q,ctrl+q",
                           "view.sort-next": "right_square_bracket"}
    assert cfg("").keys == {}
    assert '"app.pause" = "space"' in render_config(config)
    assert parse_config(render_config(config), "shown.toml").keys == config.keys


def test_keys_unknown_ids_and_non_strings_are_errors(errors) -> None:
    found = errors('read_only = true\n[keys]\npause = "space"\napp.qiut = "x"\n'
                   'app.help = 3\napp.theme = ""\nnothing_alike = "z"\n')
    assert found[0] == ('config.toml:3: keys.pause: unknown key binding "pause"; '
                        'did you mean "app.pause"?')
    assert found[1] == ('config.toml:4: keys.app.qiut: unknown key binding "app.qiut"; '
                        'did you mean "app.quit"?')
    assert found[2].startswith("config.toml:5: keys.app.help: expected a string of keys")
    assert found[3].startswith("config.toml:6: keys.app.theme: expected a string of keys")
    assert found[4].startswith('config.toml:7: keys.nothing_alike: unknown key binding '
                               '"nothing_alike"; the ids are listed')
    assert len(found) == 5


def test_keys_must_be_a_table(errors) -> None:
    assert errors('keys = "space"\n') == [
        'config.toml:1: keys: expected a table: [keys] with lines such as '
        'app.pause = "space"']


def test_ssh_dead_after_s_sets_the_keepalives_of_an_ssh_server():
    config = parse_config('[[servers]]\nname = "a"\ntransport = "ssh"\nssh_host = "lic1"\n'
                          "ssh_dead_after_s = 12\n", "config.toml")
    assert ssh_keepalive(config.servers[0]) == {"keepalive_interval": 4.0,
                                                "keepalive_count_max": 2}
    default = parse_config('[[servers]]\nname = "a"\ntransport = "ssh"\nssh_host = "lic1"\n',
                           "config.toml")
    assert ssh_keepalive(default.servers[0])["keepalive_interval"] == 10.0
    with pytest.raises(ConfigError, match=r"config.toml:3: servers\[0\].ssh_dead_after_s: "
                                          r"only used when transport = \"ssh\""):
        parse_config('[[servers]]\nname = "a"\nssh_dead_after_s = 12\n', "config.toml")


# ------------------------------------------------------- options files of several daemons


def test_options_files_name_each_vendor_daemons_file(cfg) -> None:
    inline = cfg('[[servers]]\nname = "eng"\n'
                 'options_files = { ugslmd = "/opt/lic/ugs.opt", ansyslmd = "/opt/lic/ans.opt" }\n')
    assert inline.servers[0].options_files == (("ugslmd", "/opt/lic/ugs.opt"),
                                               ("ansyslmd", "/opt/lic/ans.opt"))
    assert inline.servers[0].options_file is None
    dotted = cfg('[[servers]]\nname = "eng"\noptions_files.ugslmd = "/opt/lic/ugs.opt"\n'
                 'options_files.ansyslmd = "/opt/lic/ans.opt"\n')
    assert dotted.servers[0].options_files == inline.servers[0].options_files
    table = cfg('[[servers]]\nname = "eng"\n[servers.options_files]\n'
                'ugslmd = "/opt/lic/ugs.opt"\nansyslmd = "/opt/lic/ans.opt"\n')
    assert table.servers[0].options_files == inline.servers[0].options_files
    one = cfg('[[servers]]\nname = "office"\noptions_file = "/opt/lic/adskflex.opt"\n')
    assert one.servers[0].options_file == "/opt/lic/adskflex.opt"
    assert one.servers[0].options_files is None
    shown = tomllib.loads(render_config(inline))["servers"][0]["options_files"]
    assert shown == {"ugslmd": "/opt/lic/ugs.opt", "ansyslmd": "/opt/lic/ans.opt"}


def test_options_files_of_another_shape_are_errors(errors) -> None:
    example = ('such as options_files = { ugslmd = "/opt/flexlm/ugslmd.opt", '
               'ansyslmd = "/opt/flexlm/ansyslmd.opt" }')
    assert errors('[[servers]]\nname = "a"\noptions_files = "/opt/ugs.opt"\n') == [
        "config.toml:3: servers[0].options_files: expected a table of vendor daemon = options "
        f'file, {example}; for a server with one daemon write options_file = "/opt/ugs.opt"']
    assert errors('[[servers]]\nname = "a"\noptions_files = ["/a.opt", "/b.opt"]\n') == [
        "config.toml:3: servers[0].options_files: expected a table of vendor daemon = options "
        f"file, {example}"]
    assert errors('[[servers]]\nname = "a"\noptions_files = {}\n') == [
        "config.toml:3: servers[0].options_files: expected a table of vendor daemon = options "
        f"file, {example}"]
    assert errors('[[servers]]\nname = "a"\noptions_files = { "ugs lmd" = "/u.opt" }\n') == [
        'config.toml:3: servers[0].options_files: "ugs lmd" is not a vendor daemon name '
        '(letters, digits and "_")']
    assert errors('[[servers]]\nname = "a"\noptions_files.ugslmd = 3\n') == [
        "config.toml:3: servers[0].options_files: ugslmd: expected the path of its options "
        "file (a non-empty string)"]


def test_options_file_and_options_files_together_are_an_error(errors) -> None:
    assert errors('[[servers]]\nname = "a"\noptions_file = "/a.opt"\n'
                  'options_files.ugslmd = "/u.opt"\n') == [
        "config.toml:4: servers[0].options_files: options_file is set too: name every vendor "
        "daemon's options file here and remove options_file (it is for a server with one "
        "daemon)"]


def test_debug_logs_name_every_log_of_a_server_and_debug_log_stays_one(cfg) -> None:
    several = cfg('[[servers]]\nname = "studio"\nmanager = "rlm"\nlicense = "5053@lic"\n'
                  'debug_logs = ["/var/rlm/foundry.rl", "/var/rlm/simio.rl"]\n').servers[0]
    assert several.debug_logs == ("/var/rlm/foundry.rl", "/var/rlm/simio.rl")
    assert several.debug_log is None
    assert followed_logs(several) == ("/var/rlm/foundry.rl", "/var/rlm/simio.rl")
    one = cfg('[[servers]]\nname = "office"\ndebug_log = "/var/log/adskflex.log"\n').servers[0]
    assert (one.debug_log, one.debug_logs) == ("/var/log/adskflex.log", None)
    assert followed_logs(one) == ("/var/log/adskflex.log",)
    assert followed_logs(cfg('[[servers]]\nname = "quiet"\n').servers[0]) == ()


def test_debug_logs_are_shown_as_a_list_and_read_back_the_same(cfg) -> None:
    config = cfg('[[servers]]\nname = "studio"\nmanager = "rlm"\nlicense = "5053@lic"\n'
                 'debug_logs = ["/var/rlm/foundry.rl", "/var/rlm/simio.rl"]\n')
    rendered = render_config(config)
    assert 'debug_logs = [\n    "/var/rlm/foundry.rl",\n    "/var/rlm/simio.rl",\n]' in rendered
    assert "debug_log =" not in rendered
    assert cfg(rendered.split("\n", 1)[1]).servers == config.servers


def test_debug_logs_of_another_shape_are_errors(errors) -> None:
    example = 'such as debug_logs = ["/var/rlm/foo.rl", "/var/rlm/bar.rl"]'
    assert errors('[[servers]]\nname = "a"\ndebug_logs = "/var/rlm/foo.rl"\n') == [
        f"config.toml:3: servers[0].debug_logs: expected a list of log paths, {example}; for "
        'a server with one log write debug_log = "/var/rlm/foo.rl"']
    assert errors('[[servers]]\nname = "a"\ndebug_logs = []\n') == [
        f"config.toml:3: servers[0].debug_logs: expected a list of log paths, {example}"]
    assert errors('[[servers]]\nname = "a"\ndebug_logs = { foo = "/foo.rl" }\n') == [
        f"config.toml:3: servers[0].debug_logs: expected a list of log paths, {example}"]
    assert errors('[[servers]]\nname = "a"\ndebug_logs = ["/foo.rl", 5]\n') == [
        "config.toml:3: servers[0].debug_logs: [1] is 5: expected the path of a log (a "
        "non-empty string)"]
    assert errors('[[servers]]\nname = "a"\ndebug_logs = [" ", "/foo.rl"]\n') == [
        'config.toml:3: servers[0].debug_logs: [0] is " ": expected the path of a log (a '
        "non-empty string)"]
    assert errors('[[servers]]\nname = "a"\ndebug_logs = [["/foo.rl"]]\n') == [
        "config.toml:3: servers[0].debug_logs: [0] is a list: expected the path of a log (a "
        "non-empty string)"]
    assert errors('[[servers]]\nname = "a"\n'
                  'debug_logs = ["/foo.rl", "/bar.rl", "/foo.rl"]\n') == [
        'config.toml:3: servers[0].debug_logs: [2] "/foo.rl" is listed already at [0]: name '
        "each log once"]


def test_debug_log_and_debug_logs_together_are_an_error(errors) -> None:
    assert errors('[[servers]]\nname = "a"\ndebug_log = "/foo.rl"\n'
                  'debug_logs = ["/foo.rl", "/bar.rl"]\n') == [
        "config.toml:4: servers[0].debug_logs: debug_log is set too: list every log to follow "
        "here and remove debug_log (it is for a server with one log)"]


def test_a_manager_whose_logs_are_not_read_refuses_debug_logs(errors) -> None:
    assert errors('[[servers]]\nname = "a"\nmanager = "lsdyna"\nlicense = "31010@lic"\n'
                  'debug_logs = ["/a.log"]\n') == [
        "config.toml:5: servers[0].debug_logs: not for a LS-DYNA server: its logs are not "
        "read; remove this key"]


def test_retention_is_read_with_its_defaults_and_bad_durations_are_said(cfg) -> None:
    config = cfg('[retention]\nminutes = "30d"\nevents = "forever"\n')
    assert dict(config.retention) == {"events": None, "minutes": 30 * 86400,
                                      "hours": 3 * 365 * 86400, "days": None}
    with pytest.raises(ConfigError) as raised:
        cfg('[retention]\nhours = "3 months"\nweeks = "2w"\n')
    text = str(raised.value)
    assert 'retention.hours: expected a duration such as "90d"' in text
    assert "retention.weeks: unknown key" in text
