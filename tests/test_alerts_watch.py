"""`lmconsole watch --once` as Nagios, Icinga or a cron job runs it: a real subprocess, the
demo's and configured simulated servers, its exit code and output."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def watch(*args: str, config_text: str | None = None, tmp_path=None):
    env = dict(os.environ)
    if config_text is not None:
        config = tmp_path / "config.toml"
        config.write_text(config_text)
        env["LMCONSOLE_CONFIG"] = str(config)
    result = subprocess.run([sys.executable, "-m", "lmconsole", "watch", "--once", *args],
                            capture_output=True, timeout=60, env=env, text=True)
    assert "Traceback" not in result.stderr, result.stderr
    status, *lines = result.stdout.splitlines()
    return result.returncode, status, [json.loads(line) for line in lines]


def test_the_demo_is_critical_its_full_fem_seats_first():
    code, status, alerts = watch("--demo")
    assert code == 2
    assert status.startswith("LMCONSOLE CRITICAL - 2 critical, 4 warning: ANSYS_Mechanical on "
                             "engineering: 0 of 8 seats free (threshold 0);")
    assert status.endswith("| critical=2 warning=4 unknown=0 servers=7")
    assert [(a["rule"], a["subject"], a["severity"], a["state"]) for a in alerts] == [
        ("FEM seats full", "engineering/ANSYS_Mechanical", "critical", "firing"),
        ("FEM seats full", "engineering/NX_Nastran", "critical", "firing"),
        ("licence expiring", "engineering/MATLAB", "warning", "firing"),
        ("AutoCAD full", "office/AutoCAD", "warning", "firing"),
        ("licence expiring", "studio-lmx/FEMFAT_VISUALIZER", "warning", "firing"),
        ("licence expiring", "studio-rms/SAFE", "warning", "firing"),
    ]
    assert alerts[2]["message"] == ("MATLAB on engineering: a licence expires in 22 days "
                                    "(2026-03-31)")


SIM = '[[servers]]\nname = "eng"\ntransport = "sim"\nsim_scenario = "engineering"\n'
UNREACHABLE = '[[servers]]\nname = "gone"\nlmutil = "/nonexistent/lmutil"\nlicense = "1@x"\n'
# the licence of the architecture office's AutoCAD expires on 2026-12-31: within 9999 days,
# or expired, whatever the date the test runs on
EXPIRING = '[[alerts]]\nkind = "expiry"\nthreshold = 9999\nfeatures = ["AutoCAD"]\n'


@pytest.mark.parametrize(("rules", "code", "state"), [
    ('[[alerts]]\nkind = "server_down"\n', 0, "OK"),
    (EXPIRING, 1, "WARNING"),
    (EXPIRING + 'severity = "critical"\n', 2, "CRITICAL"),
])
def test_exit_codes_follow_the_most_severe_alert(tmp_path, rules, code, state):
    from .test_history_collect import Remote, local_server

    remote = Remote(tmp_path)  # a simulated server, its clock stopped
    remote.advance(600)  # seats are held: lmstat prints AutoCAD's pool and its expiry
    got, status, alerts = watch(config_text=local_server(remote) + rules, tmp_path=tmp_path)
    assert (got, status.split(" - ")[0]) == (code, f"LMCONSOLE {state}")
    assert len(alerts) == (0 if code == 0 else 1)


def test_a_server_not_read_is_unknown_unless_a_rule_speaks_for_it(tmp_path):
    code, status, alerts = watch(config_text=UNREACHABLE + '[[alerts]]\nkind = "utilisation"\n',
                                 tmp_path=tmp_path)
    assert (code, alerts) == (3, [])
    assert status.startswith("LMCONSOLE UNKNOWN - 0 critical, 0 warning: not read: gone |")
    code, status, alerts = watch(config_text=UNREACHABLE, tmp_path=tmp_path)  # default rules
    assert code == 2 and [a["rule"] for a in alerts] == ["server down"]


def test_a_bad_configuration_is_unknown(tmp_path):
    code, status, alerts = watch(config_text='[[alerts]]\nkind = "moon"\n', tmp_path=tmp_path)
    assert code == 3 and status.startswith("LMCONSOLE UNKNOWN - ")
    assert "alerts[0].kind: expected one of 'utilisation'" in status


def test_watch_prints_each_change_as_it_happens_and_the_status_when_stopped():
    import signal
    import time

    process = subprocess.Popen([sys.executable, "-m", "lmconsole", "watch", "--demo"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(process.stdout.readline())  # the demo runs 60x: within seconds
        time.sleep(1)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in err, err
    assert first["change"] == "fired" and first["state"] == "firing"
    *changes, status = out.splitlines()
    assert all(json.loads(line)["change"] in ("fired", "cleared", "severity", "renotified")
               for line in changes)
    assert status.startswith("LMCONSOLE ") and "servers=7" in status
    assert process.returncode == {"OK": 0, "WARNING": 1, "CRITICAL": 2}[status.split()[1]]


def test_once_takes_the_denials_of_the_period_from_the_history(tmp_path):
    """What `collect` recorded: here a debug log imported, its lines twenty minutes old."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    from lmconsole.adapters import ADAPTERS
    from lmconsole.history.importer import Importer
    from lmconsole.history.store import HistoryStore

    at = datetime.now(UTC) - timedelta(minutes=20)
    full = "(Licensed number of users already reached. (-4,342))"
    log = tmp_path / "debug.log"
    log.write_text(
        f"{at:%H:%M:%S} (lmgrd) TIMESTAMP {at.month}/{at.day}/{at.year}\n"
        f'{at:%H:%M:%S} (MLM) DENIED: "MATLAB" ann@ws1  {full}\n'
        f'{at + timedelta(seconds=3):%H:%M:%S} (MLM) OUT: "MATLAB" ann@ws1  \n'
        f'{at + timedelta(seconds=5):%H:%M:%S} (MLM) DENIED: "MATLAB" bob@ws2  {full}\n')
    database = tmp_path / "history.db"

    async def imported() -> None:
        store = await HistoryStore.open(f"sqlite+aiosqlite:///{database}")
        try:
            await Importer(store, ADAPTERS["flexlm"], server="eng", tz=UTC, time_zone="UTC",
                           now=datetime.now(UTC)).run([log])
        finally:
            await store.close()

    asyncio.run(imported())
    rules = ('[[alerts]]\nname = "denied"\nkind = "denials"\nfeatures = ["MATLAB"]\n'
             '[[alerts]]\nname = "turned away"\nkind = "denials"\ntrue_only = true\n'
             'threshold = 2\nclear = 0\n')
    code, status, alerts = watch(config_text=f'database_url = "sqlite:///{database}"\n' + SIM
                                 + rules, tmp_path=tmp_path)
    assert (code, [(a["rule"], a["subject"]) for a in alerts]) == \
        (1, [("denied", "eng/MATLAB")])  # ann got it three seconds later: one true denial
    assert alerts[0]["message"] == "MATLAB on eng: 2 denials in the last 1 h (ann, bob)"
