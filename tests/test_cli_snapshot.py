"""`lmconsole snapshot` as a script would run it: a real subprocess, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from datetime import UTC
from pathlib import Path

import pytest

from .corpus import LMSTAT, corpus_file

CORPUS_LMSTAT = sorted(p.name for p in LMSTAT.iterdir())


def lmconsole(*args: str, stdin: bytes | None = None, env: dict | None = None):
    return subprocess.run(
        [sys.executable, "-m", "lmconsole", *args],
        input=stdin, capture_output=True, timeout=60,
        env={**os.environ, **(env or {})},
    )


def printed_by_python(code: str, *, strip: bool = True) -> str:
    """What a new interpreter running `code` prints (what it said on failure)."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    printed = result.stdout.decode()
    return printed.strip() if strip else printed


def assert_clean_error(result, *fragments: str) -> None:
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert stderr.startswith("lmconsole: error: ")
    for fragment in fragments:
        assert fragment in stderr


@pytest.mark.parametrize("name", CORPUS_LMSTAT)
def test_from_file_json_for_every_corpus_file(name):
    result = lmconsole("snapshot", "--from-file", str(LMSTAT / name), "--format", "json")
    document = json.loads(result.stdout)
    assert list(document) == ["taken_at", "servers", "diagnostics"]
    unreachable = "connection_refused" in name
    assert result.returncode == (3 if unreachable else 0), result.stderr.decode()
    assert document["servers"]


@pytest.mark.parametrize("fmt", ["table", "csv", "prometheus"])
def test_from_file_other_formats(fmt):
    path = LMSTAT / "exporter_app1_reservations_host_group_linger_queued_garbled_display.txt"
    result = lmconsole("snapshot", "--from-file", str(path), "--format", fmt)
    assert result.returncode == 0, result.stderr.decode()
    assert "feature100" in result.stdout.decode()


def test_prometheus_written_in_pieces_is_the_whole_rendered_text():
    """The command writes the exposition a family, a feature's users at a time: the same
    text as render_prometheus makes whole."""
    from lmconsole.adapters.flexlm.lmstat import parse_lmstat
    from lmconsole.model import Snapshot
    from lmconsole.prometheus import prometheus_chunks, render_prometheus

    path = LMSTAT / "exporter_app3_two_vendor_daemons_large_user_list.txt"
    report = parse_lmstat(path.read_text(encoding="utf-8"), tz=UTC)
    snapshot = Snapshot(taken_at=report.reported_at, servers=report.servers,
                        diagnostics=report.diagnostics)
    result = lmconsole("snapshot", "--from-file", str(path), "--format", "prometheus",
                       "--server-tz", "UTC")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode() == render_prometheus(snapshot)
    users_pieces = [chunk for chunk in prometheus_chunks(snapshot)
                    if chunk.startswith("flexlm_feature_used_users{")]
    assert len(users_pieces) > 1  # a feature's users a piece


LONG_NAMES = LMSTAT / "exporter_app5_matlab_pid_suffix_vendor_string.txt"


def feature_names(path: Path) -> set[str]:
    document = json.loads(lmconsole("snapshot", "--from-file", str(path), "--format",
                                    "json").stdout)
    return {f["name"] for server in document["servers"] for f in server["features"]}


def on_a_terminal(*args: str, columns: int) -> list[str]:
    """The lines `lmconsole` writes to a terminal `columns` wide (a pseudo-terminal, read
    while it writes: a full terminal buffer would block it)."""
    main, terminal = os.openpty()
    try:
        process = subprocess.Popen([sys.executable, "-m", "lmconsole", *args], stdout=terminal,
                                   stderr=subprocess.PIPE,
                                   env={**os.environ, "COLUMNS": str(columns), "LINES": "24"})
        os.close(terminal)
        chunks = []
        while chunk := _read(main):
            chunks.append(chunk)
        stderr = process.stderr.read()
        assert process.wait(timeout=60) == 0, stderr.decode()
    finally:
        os.close(main)
    return b"".join(chunks).decode().replace("\r\n", "\n").splitlines()


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the terminal's other end is closed and everything was read
        return b""


def test_piped_table_cuts_nothing():
    result = lmconsole("snapshot", "--from-file", str(LONG_NAMES), "--format", "table",
                       "--seats")
    lines = result.stdout.decode().splitlines()
    assert len(lines) > 100 and "…" not in result.stdout.decode()
    firsts = {line.split()[0] for line in lines if line.strip()}
    long_names = {name for name in feature_names(LONG_NAMES) if len(name) > 20}
    assert long_names and long_names <= firsts  # Optimization_Toolbox and the like, whole


@pytest.mark.parametrize("columns", [80, 200])
def test_table_on_a_terminal_fits_it_and_writes_long_names_whole(columns):
    lines = on_a_terminal("snapshot", "--from-file", str(LONG_NAMES), "--format", "table",
                          "--seats", columns=columns)
    names = feature_names(LONG_NAMES)
    assert len(lines) > 100
    for line in lines:
        assert len(line) <= columns or line.strip().rstrip(":") in names, line
    text = "\n".join(lines)
    assert all(name in text for name in names) and "…" not in text


def test_from_stdin_with_server_zone():
    text = corpus_file("flexlm", "lmstat", "exporter_app2_three_server_triad.txt").read_bytes()
    result = lmconsole("snapshot", "--from-file", "-", "--format", "json",
                       "--server-tz", "Asia/Tokyo", stdin=text)
    document = json.loads(result.stdout)
    assert document["taken_at"] == "2017-10-20T08:02:00+00:00"  # 17:02 in Tokyo
    seat = document["servers"][0]["features"][1]["checkouts"][0]
    assert seat["start"] == "2017-10-20T07:40:00+00:00"  # 16:40 in Tokyo


def test_elided_sample_lines_are_warned_about_not_fatal():
    path = LMSTAT / "license_manager_fragment_two_version_pools.txt"
    result = lmconsole("snapshot", "--from-file", str(path), "--format", "json")
    assert result.returncode == 0
    assert "line 2: elided line in the sample" in result.stderr.decode()
    assert [d["line"] for d in json.loads(result.stdout)["diagnostics"]] == [2, 4]


def test_binary_file(tmp_path):
    path = tmp_path / "core.bin"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)))
    assert_clean_error(lmconsole("snapshot", "--from-file", str(path)), "binary file")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("\n  \n")
    assert_clean_error(lmconsole("snapshot", "--from-file", str(path)), "empty input")


def test_truncated_output_is_printed_as_far_as_it_goes_and_exits_2(tmp_path):
    whole = corpus_file("flexlm", "lmstat", "exporter_app2_three_server_triad.txt").read_text()
    cut = whole[: whole.index("start Fri 10/20 16:50") + 9]
    path = tmp_path / "cut.txt"
    path.write_text(cut)
    result = lmconsole("snapshot", "--from-file", str(path), "--format", "json")
    stderr = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in stderr
    assert (f"lmconsole: warning: {path}:{cut.count(chr(10)) + 1}: truncated lmstat output"
            in stderr)
    features = json.loads(result.stdout)["servers"][0]["features"]
    assert [f["name"] for f in features][:2] == ["feature1", "feature2"]


def test_last_feature_promising_seats_that_never_follow(tmp_path):
    # ThomasWagnerJKU/check_flexlm tests/fixtures/triad_a.txt: the output ends with a
    # header that promises 3 seats; what came before (a node down) must still be shown
    path = tmp_path / "triad.txt"
    path.write_text("""lmutil - Copyright (c) 1989-2019 Flexera. All Rights Reserved.
Flexible License Manager status on Mon 9/28/2026 18:05

License server status: 27000@lic1,27000@lic2,27000@lic3
    License file(s) on lic1: /opt/flexlm/license.dat:

      lic1: license server UP (MASTER) v11.16.2
      lic2: license server UP v11.16.2
      lic3: Cannot read data from license server system. (-16,287)

Vendor daemon status (on lic1):

     ansyslmd: UP v11.16.2
Feature usage info:

Users of acfd:  (Total of 25 licenses issued;  Total of 3 licenses in use)

""")
    result = lmconsole("snapshot", "--from-file", str(path), "--format", "json")
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert f"lmconsole: warning: {path}:16: truncated lmstat output" in stderr
    (server,) = json.loads(result.stdout)["servers"]
    assert [(h["host"], h["error_code"]) for h in server["hosts"]][2] == ("lic3", "-16,287")
    assert [(f["name"], f["in_use"]) for f in server["features"]] == [("acfd", 3)]


def test_utf16_file_saved_by_powershell(tmp_path):
    # shared corpus exporter_app2, saved as Windows PowerShell 5 `>` saves it
    text = corpus_file("flexlm", "lmstat", "exporter_app2_three_server_triad.txt").read_text()
    path = tmp_path / "lmstat.txt"
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-16"))  # with its byte-order mark
    result = lmconsole("snapshot", "--from-file", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    assert len(json.loads(result.stdout)["servers"][0]["features"]) == 10


def test_not_lmstat_at_all(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("dear admin,\nplease buy more seats\n")
    assert_clean_error(lmconsole("snapshot", "--from-file", str(path)), "not an lmstat output")


def test_another_managers_words_without_its_status(tmp_path):
    # an RLM pool count line pasted alone: RLM's, but with no server, product or user in it
    path = tmp_path / "pasted.txt"
    path.write_text("count: 5, # reservations: 0, inuse: 2\n")
    assert_clean_error(lmconsole("snapshot", "--from-file", str(path)),
                       "no server, feature or user found in this rlmstat output")


BANNERS = {
    "lmstat": "lmutil - Copyright (c) 1989-2024 Flexera. All Rights Reserved.\n"
              "Flexible License Manager status on Wed 11/20/2024 10:00\n\n",
    "rlmstat": "rlmutil v12.2\n"
               "Copyright (C) 2006-2017, Reprise Software, Inc. All rights reserved.\n\n\n",
    "lmxendutil": "LM-X End-user Utility v4.7.1\n"
                  "Copyright (C) 2002-2014 X-Formation. All rights reserved.\n\n",
    "admin getLicenseUsage": "License Administration Tool Version 6.425.4 Built on Nov 4, "
                             "2024 11:02:51 AM.\n",
    "lsmon": "  Sentinel RMS Development Kit 9.1.0.0104 Application Monitor\n"
             "  Copyright (C) 2016 SafeNet, Inc.\n\n",
}


@pytest.mark.parametrize("output_name", sorted(BANNERS))
def test_an_output_holding_only_its_banner_is_an_input_error(tmp_path, output_name):
    # a capture that stopped after the utility's banner must not pass as "nothing in use"
    path = tmp_path / "banner.txt"
    path.write_text(BANNERS[output_name])
    result = lmconsole("snapshot", "--from-file", str(path), "--format", "json")
    assert_clean_error(result, f"this {output_name} output holds only its banner: no licence "
                               "server, vendor daemon or feature")
    assert result.stdout == b""


def test_a_configured_server_that_prints_only_the_banner_is_an_error(tmp_path):
    lmutil = tmp_path / "lmutil"
    banner = tmp_path / "banner.txt"
    banner.write_text(BANNERS["lmstat"])
    lmutil.write_text(f"#!/bin/sh\ncat '{banner}'\n")
    lmutil.chmod(0o755)
    config = tmp_path / "config.toml"
    config.write_text(f'[[servers]]\nname = "quiet"\ntransport = "local"\nlmutil = "{lmutil}"\n'
                      'license = "1999@host1"\n')
    result = lmconsole("--config", str(config), "snapshot", "--format", "json")
    (quiet,) = json.loads(result.stdout)["servers"]
    assert quiet["name"] == "quiet" and quiet["status"] == "error"
    assert "holds only its banner" in quiet["error"]
    assert result.returncode == 3


def test_missing_file(tmp_path):
    assert_clean_error(lmconsole("snapshot", "--from-file", str(tmp_path / "nope")),
                       "no such file")


def test_config_with_a_wrong_type(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[[servers]]\nname = "lic1"\ntransport = "local"\n'
                      'license = "27000@lic1"\nport = "many"\n')
    result = lmconsole("--config", str(config), "snapshot")
    assert_clean_error(result, "config.toml:")


def test_no_servers_configured():
    assert_clean_error(lmconsole("snapshot"), "no servers configured")


def test_unknown_time_zone():
    path = LMSTAT / "exporter_app2_three_server_triad.txt"
    assert_clean_error(lmconsole("snapshot", "--from-file", str(path), "--server-tz", "Mars/Base"),
                       "unknown time zone")


def test_local_server_through_a_real_subprocess(tmp_path):
    """A configured local server whose lmutil is a script printing a corpus output."""
    lmutil = tmp_path / "lmutil"
    sample = LMSTAT / "exporter_app3_two_vendor_daemons_large_user_list.txt"
    lmutil.write_text(f"#!/bin/sh\n[ \"$1 $2\" = 'lmstat -a' ] || exit 9\ncat '{sample}'\n")
    lmutil.chmod(0o755)
    config = tmp_path / "config.toml"
    config.write_text(f'[[servers]]\nname = "app3"\ntransport = "local"\nlmutil = "{lmutil}"\n'
                      f'license = "1999@host1"\ntimezone = "UTC"\n'
                      f'[[servers]]\nname = "gone"\ntransport = "local"\n'
                      f'lmutil = "{tmp_path / "missing"}"\nlicense = "1999@host9"\n')
    result = lmconsole("--config", str(config), "snapshot", "--format", "json")
    document = json.loads(result.stdout)
    app3, gone = document["servers"]
    assert app3["name"] == "app3" and app3["status"] == "up"
    assert len(app3["features"]) == 46
    assert gone["status"] == "error" and "cannot run" in gone["error"]
    assert result.returncode == 3
    only = lmconsole("--config", str(config), "snapshot", "--server", "app3", "--format", "json")
    assert only.returncode == 0
    assert [s["name"] for s in json.loads(only.stdout)["servers"]] == ["app3"]


def test_a_vendor_daemon_down_is_a_server_down(tmp_path):
    """lmgrd answers but one vendor daemon does not: its features cannot be checked out,
    which a script watching the exit code must hear (exit 3, the others still reported)."""
    sample = (LMSTAT / "exporter_app3_two_vendor_daemons_large_user_list.txt").read_text()
    path = tmp_path / "lmstat.txt"
    path.write_text(sample.replace("DAEMON2: UP v11.13",
                                   "DAEMON2: The desired vendor daemon is down. (-97,121)"))
    result = lmconsole("snapshot", "--from-file", str(path), "--format", "json")
    server, = json.loads(result.stdout)["servers"]
    assert server["status"] == "up"
    assert [(v["name"], v["status"]) for v in server["vendors"]] == [
        ("daemon1", "up"), ("DAEMON2", "down")]
    assert result.returncode == 3, result.stderr.decode()


HEADLESS_MODULES = [
    "lmconsole.cli", "lmconsole.snapshot", "lmconsole.output", "lmconsole.prometheus",
    "lmconsole.config", "lmconsole.cli.check_options", "lmconsole.cli.check_license",
    "lmconsole.cli.what_if", "lmconsole.cli.directory", "lmconsole.history.directory",
    "lmconsole.adapters.ldap", "lmconsole.adapters.flexlm.lmstat", "lmconsole.adapters.flexlm.sim",
    "lmconsole.cli.pools", "lmconsole.managed.plan", "lmconsole.adapters.flexlm.managed",
]


def test_headless_paths_never_import_textual():
    code = (
        "import sys\n"
        f"for name in {HEADLESS_MODULES!r}:\n"
        "    __import__(name)\n"
        "from lmconsole.cli import main\n"
        "import io, contextlib\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['snapshot', '--from-file', {str(LMSTAT / CORPUS_LMSTAT[0])!r}, "
        "'--format', 'json'])\n"
        "    main(['snapshot', '--demo', '--format', 'prometheus'])\n"
        "assert 'textual' not in sys.modules, 'textual was imported'\n"
        "print('clean')\n"
    )
    assert printed_by_python(code) == "clean"


def test_a_one_shot_process_freezes_what_it_built_and_an_in_process_call_does_not():
    """The console script's snapshot ends its process: what it built is frozen, not walked
    by two collections that free nothing. Called in a process that goes on (a test, a
    script), main leaves the collector as it was."""
    code = (
        "import gc, io, contextlib\n"
        "from lmconsole.cli import main\n"
        f"argv = ['snapshot', '--from-file', {str(LMSTAT / CORPUS_LMSTAT[0])!r}, "
        "'--format', 'table']\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(argv)\n"
        "    goes_on = (gc.get_freeze_count(), gc.isenabled())\n"
        "    main(argv, process_ends=True)\n"
        "print(goes_on, gc.get_freeze_count() > 1000, gc.isenabled())\n"
    )
    assert printed_by_python(code) == "(0, True) True True"

BUFFERED = {"PYTHONUNBUFFERED": ""}  # as a user's shell has it: output is buffered


def test_a_one_shot_process_writes_its_whole_output_before_it_ends_without_freeing(tmp_path):
    """`python -m lmconsole snapshot` leaves its snapshot to the process's end (os._exit):
    everything written to a pipe still arrives, and a reader that stops early is no
    error."""
    big = tmp_path / "big.txt"
    seats = "".join(f"    u{n} ws{n} /dev/tty (v1.0) (lic-a/27000 {n + 100}), start Mon 11/23 "
                    f"{n % 24}:{n % 60:02d}\n" for n in range(3000))
    big.write_text("Flexible License Manager status on Mon 11/23/2026 10:07\n\n"  # not `now`
                   "Users of f:  (Total of 4000 licenses issued;  Total of 3000 licenses "
                   f"in use)\n\n{seats}", encoding="utf-8")
    for output in (["json"], ["prometheus"], ["csv", "--seats"], ["table", "--seats"], ["csv"]):
        argv = ["snapshot", "--from-file", str(big), "--server-tz", "UTC", "--format", *output]
        whole = lmconsole(*argv, env=BUFFERED)
        code = ("import io, contextlib\nfrom lmconsole.cli import main\n"
                "out = io.StringIO()\nwith contextlib.redirect_stdout(out):\n"
                f"    main({argv!r})\nprint(out.getvalue(), end='')\n")
        assert whole.returncode == 0, whole.stderr.decode()
        assert whole.stdout.decode() == printed_by_python(code, strip=False)
        assert len(whole.stdout) > 100
    reader = subprocess.Popen([sys.executable, "-m", "lmconsole", "snapshot", "--from-file",
                               str(big), "--format", "json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env={**os.environ, **BUFFERED})
    reader.stdout.close()  # gone before the first write, which fills more than a pipe holds
    assert reader.wait(timeout=60) == 0
    assert reader.stderr.read() == b""
    reader.stderr.close()


def test_a_call_in_a_process_that_goes_on_leaves_nothing_to_its_exit():
    code = (
        "import io, contextlib\n"
        "from lmconsole import gc_pause\n"
        "from lmconsole.cli import main\n"
        f"argv = ['snapshot', '--from-file', {str(LMSTAT / CORPUS_LMSTAT[0])!r}]\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(argv)\n"
        "    kept = gc_pause._left_to_exit\n"
        "    main(argv, process_ends=True)\n"
        "print(kept, len(gc_pause._left_to_exit))\n"
    )
    assert printed_by_python(code) == "None 1"


def test_snapshot_from_a_file_imports_no_dataclasses():
    """dataclasses, with the inspect it imports, was a tenth of `snapshot --from-file`'s
    start-up: the model, the manager's detection, the status parser and the table, CSV and
    Prometheus writers do without it (orjson, for JSON, imports it itself)."""
    code = (
        "import sys, io, contextlib\n"
        "from lmconsole.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    for output in ('table', 'csv', 'prometheus'):\n"
        f"        main(['snapshot', '--from-file', {str(LMSTAT / CORPUS_LMSTAT[0])!r}, "
        "'--format', output])\n"
        "print(sorted({'dataclasses', 'inspect'} & set(sys.modules)))\n"
    )
    assert printed_by_python(code) == "[]"


def test_demo_snapshot_json_has_the_contract_shape():
    result = lmconsole("snapshot", "--demo", "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    document = json.loads(result.stdout)
    servers = document["servers"]
    assert len(servers) >= 2
    triad = [s for s in servers if len(s["hosts"]) == 3]
    assert triad and any(h["master"] for h in triad[0]["hosts"])
    features = [f for s in servers for f in s["features"]]
    assert any(f["checkouts"] for f in features)
    assert any(f["reservations"] for f in features)
    assert document["diagnostics"] == []


def test_wheel_installs_and_runs_from_any_directory(tmp_path):
    """Build a wheel, install it into a fresh venv, run it from an unrelated directory."""
    repo = Path(__file__).resolve().parents[1]
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
                    str(repo)], check=True, capture_output=True, timeout=600)
    (wheel,) = wheels.glob("lmconsole-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    # The dependencies come from the test venv (a plain path entry, so its editable
    # lmconsole finder stays inactive); lmconsole itself comes from the wheel.
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run([str(venv / "bin" / "lmconsole"), "snapshot", "--demo", "--format",
                             "json"], cwd=elsewhere, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout)["servers"]
    check = subprocess.run(
        [str(python), "-c", "import importlib.resources as r, lmconsole, sys;"
         "print(r.files('lmconsole.defaults').joinpath('example.toml').is_file());"
         "print(lmconsole.__file__)"],
        cwd=elsewhere, capture_output=True, text=True, timeout=60)
    shipped, location = check.stdout.split()
    assert shipped == "True"
    assert str(venv) in location  # the wheel's copy, not the work tree


def test_configured_simulated_servers(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[[servers]]\nname = "viewer"\ntransport = "sim"\nsim_scenario = "reserved"\n'
                      'sim_seed = 1\n')
    result = lmconsole("--config", str(config), "snapshot", "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    (server,) = json.loads(result.stdout)["servers"]
    assert server["name"] == "viewer"
    viewer = next(f for f in server["features"] if f["name"] == "Viewer")
    assert viewer["issued"] == 5
    config.write_text('[[servers]]\nname = "x"\ntransport = "sim"\nsim_scenario = "moon"\n')
    assert_clean_error(lmconsole("--config", str(config), "snapshot"),
                       "server x: sim_scenario: no scenario 'moon'")


def test_text_demo_without_a_terminal_prints_once_and_stops():
    result = lmconsole("demo")
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    assert "engineering  UP" in out and "office  UP" in out
    assert "recent denials (debug log):" in out and "DENIED:" in out
