"""What the command line says when something it needs is missing, empty or unreadable: the
console without a configuration, a configuration that is not there, captures that failed.
Each is a message on stderr and exit 2, never a traceback and never an all-clear (issue 9)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .test_cli_snapshot import assert_clean_error, lmconsole

SERVER = '[[servers]]\nname = "lic1"\ntransport = "local"\nlicense = "27000@lic1"\n'
LOG = ' 9:00:00 (lmgrd) TIMESTAMP 12/1/2026\n 9:00:01 (MLM) OUT: "MATLAB" bob@ws1  \n'


def unconfigured_env(tmp_path: Path) -> dict:
    """No LMCONSOLE_CONFIG (conftest sets one) and an empty XDG config directory."""
    env = {key: value for key, value in os.environ.items() if key != "LMCONSOLE_CONFIG"}
    (tmp_path / "xdg-config").mkdir()
    return {**env, "XDG_CONFIG_HOME": str(tmp_path / "xdg-config")}


def plain(*args: str, env: dict | None = None):
    """`lmconsole` with no command and no terminal."""
    return subprocess.run([sys.executable, "-m", "lmconsole", *args], stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=60, env=env or os.environ.copy())


def assert_points_to_init_and_demo(result) -> str:
    assert_clean_error(result, "config init`", "`lmconsole demo`")
    assert result.stdout == b""  # the console did not start
    return result.stderr.decode()


# ---- plain `lmconsole` ---------------------------------------------------------------------

def test_the_console_without_any_configuration_says_where_it_looked(tmp_path):
    err = assert_points_to_init_and_demo(plain(env=unconfigured_env(tmp_path)))
    assert f"no configuration: {tmp_path / 'xdg-config' / 'lmconsole' / 'config.toml'} " \
           "does not exist" in err


def test_the_console_without_configuration_on_a_terminal_does_not_start_either(tmp_path):
    main, terminal = os.openpty()
    try:
        result = subprocess.run([sys.executable, "-m", "lmconsole"], stdin=terminal,
                                stdout=terminal, stderr=subprocess.PIPE, timeout=60,
                                env=unconfigured_env(tmp_path))
    finally:
        os.close(terminal)
        os.close(main)
    assert result.returncode == 2
    err = result.stderr.decode()
    assert err.startswith("lmconsole: error: no configuration: ") and "Traceback" not in err


def test_the_console_with_a_missing_config_file(tmp_path):
    missing = tmp_path / "nope.toml"
    err = assert_points_to_init_and_demo(plain("--config", str(missing)))
    assert f"{missing}: no such file (named by --config)" in err


def test_the_console_with_bad_toml(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("servers = [\n")
    err = assert_points_to_init_and_demo(plain("--config", str(config)))
    assert f"{config}:1:" in err and "invalid TOML" in err


def test_the_console_with_a_configuration_that_names_no_server(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("read_only = true\n")
    err = assert_points_to_init_and_demo(plain("--config", str(config)))
    assert f"{config}: no servers configured" in err


def test_the_console_with_servers_but_no_terminal_points_to_snapshot(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(SERVER)
    assert_clean_error(plain("--config", str(config)), "needs a terminal",
                       "`lmconsole snapshot`")


# ---- config validate ---------------------------------------------------------------------

def test_config_validate_of_a_file_that_does_not_exist(tmp_path):
    result = plain("config", "validate", env=unconfigured_env(tmp_path))
    assert_clean_error(result, f"{tmp_path / 'xdg-config' / 'lmconsole' / 'config.toml'}: "
                               "no such file, so nothing to validate", "config init")
    assert_clean_error(lmconsole("--config", str(tmp_path / "nope.toml"), "config", "validate"),
                       "no such file")


def test_config_validate_of_a_file_that_exists_still_says_ok(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(SERVER)
    result = lmconsole("--config", str(config), "config", "validate")
    assert result.returncode == 0 and result.stdout.decode() == f"{config}: ok, 1 server\n"


# ---- captures that failed --------------------------------------------------------------

def test_check_license_of_an_empty_file_or_comments_only(tmp_path):
    for text in ("", "# exported from the licence portal\n\n"):
        path = tmp_path / "license.lic"
        path.write_text(text)
        assert_clean_error(lmconsole("check-license", str(path)),
                           f"{path}: no SERVER, VENDOR, FEATURE, INCREMENT or PACKAGE line")


def what_if(tmp_path: Path, *replay: str):
    (tmp_path / "draft.opt").write_text("INCLUDE MATLAB USER alice\n")
    (tmp_path / "current.opt").write_text("")
    return lmconsole("what-if", str(tmp_path / "draft.opt"), "--current",
                     str(tmp_path / "current.opt"), *replay)


def test_what_if_with_nothing_to_replay(tmp_path):
    assert_clean_error(what_if(tmp_path), "nothing to replay", "--lmstat", "--debug-log")


def test_what_if_with_an_empty_or_garbage_lmstat_output(tmp_path):
    lmstat = tmp_path / "lmstat.txt"
    lmstat.write_text("")
    assert_clean_error(what_if(tmp_path, "--lmstat", str(lmstat)), f"{lmstat}: empty input")
    lmstat.write_text("ssh: connect to host lic1 port 22: Connection refused\n")
    assert_clean_error(what_if(tmp_path, "--lmstat", str(lmstat)),
                       f"{lmstat}: not an lmstat output")


def test_what_if_with_an_empty_or_garbage_debug_log(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("")
    assert_clean_error(what_if(tmp_path, "--debug-log", str(log)), f"{log}: empty file")
    log.write_text("tail: cannot open 'debug.log' for reading: Permission denied\n")
    assert_clean_error(what_if(tmp_path, "--debug-log", str(log)),
                       f"{log}: no checkout, check-in or denial in it")


def test_what_if_with_a_real_debug_log_still_answers(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text(LOG)
    result = what_if(tmp_path, "--debug-log", str(log))
    assert result.returncode == 1, result.stderr.decode()  # bob would be shut out
    assert "bob on MATLAB" in result.stdout.decode()


def test_check_options_with_a_garbage_capture(tmp_path):
    options = tmp_path / "MLM.opt"
    options.write_text("INCLUDE MATLAB USER alice\n")
    garbage = tmp_path / "capture.txt"
    garbage.write_text("Permission denied\n")
    assert_clean_error(lmconsole("check-options", str(options), "--lmstat", str(garbage)),
                       "not an lmstat output")
    assert_clean_error(lmconsole("check-options", str(options), "--debug-log", str(garbage)),
                       "no checkout, check-in or denial")


# ---- small things ----------------------------------------------------------------------

def test_version():
    result = lmconsole("--version")
    assert result.returncode == 0 and result.stdout.decode().startswith("lmconsole ")


def test_demo_speed_must_be_positive():
    for speed in ("-5", "0", "nan", "fast"):
        result = lmconsole("demo", "--text", "--speed", speed, "--duration", "1")
        assert result.returncode == 2 and b"--speed" in result.stderr, speed
        assert result.stdout == b""


def test_text_demo_without_a_terminal_keeps_printing_for_its_duration():
    result = lmconsole("demo", "--text", "--duration", "3")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().count("office  UP") >= 2  # 2 s between tables


def test_the_commands_run_without_the_cycle_collector_exist():
    """A renamed command would silently run with the collector again."""
    import argparse

    from lmconsole.cli import UNCOLLECTED_COMMANDS, build_parser

    (commands,) = [action for action in build_parser()._actions
                   if isinstance(action, argparse._SubParsersAction)]
    assert set(commands.choices) >= UNCOLLECTED_COMMANDS


def test_a_headless_command_does_not_import_asyncio_before_it_needs_it():
    """`snapshot --from-file` never uses asyncio, whose import was a third of its start-up:
    no command module may import it at module level."""
    import subprocess
    import sys

    code = ("import sys; from lmconsole.cli import build_parser; build_parser(); "
            "print('asyncio' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"
