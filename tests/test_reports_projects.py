"""`lmconsole report projects`: usage and denials by project, worked out by hand on a real
SQLite history (and PostgreSQL) filled by `lmconsole import`: the project from FlexNet's verbose log data
(LM_PROJECT) where a line has it, else the configuration's [[projects]] rules.

Times UTC, 2026-03-02, feature CATIA:
  ann     8:00-9:00  verbose, project bridge
  tr-kim  8:00-9:00  no project logged; rule "training" (users tr-*)
  bob     8:30-10:30 2 seats, host nb-site-02; rule "site-office" (hosts nb-site-??)
  carl    9:00-9:30  no rule: (none)
  tr-lee  10:00-10:30 verbose, project bridge (the log wins over the rule "training")
  denied: carl 10:00 (none), tr-kim 10:05 (training), dan@nb-site-03 10:10 (site-office)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lmconsole.model import verbose_project

from .postgres import history_url_fixture, postgres_fixture  # noqa: F401 - fixtures

TRAILER = "^^^ 1.0 {user} 10.0.0.1 4242 0x1A2B 1 5 {project} 11 19 3/2/2026 {time} 0 ^^^"
LOG = f"""\
8:00:00 (lmgrd) TIMESTAMP 3/2/2026
8:00:00 (dassault) OUT: "CATIA" ann@ws1 {TRAILER.format(user="ann", project="bridge", time="8:00:00")}
8:00:00 (dassault) OUT: "CATIA" tr-kim@ws9
8:30:00 (dassault) OUT: "CATIA" bob@nb-site-02  (2 licenses)
9:00:00 (dassault) IN: "CATIA" ann@ws1 {TRAILER.format(user="ann", project="bridge", time="9:00:00")}
9:00:00 (dassault) IN: "CATIA" tr-kim@ws9
9:00:00 (dassault) OUT: "CATIA" carl@ws3
9:30:00 (dassault) IN: "CATIA" carl@ws3
10:00:00 (dassault) OUT: "CATIA" tr-lee@ws4 {TRAILER.format(user="tr-lee", project="bridge", time="10:00:00")}
10:00:00 (dassault) DENIED: "CATIA" carl@ws3  (Licensed number of users already reached. (-4,342))
10:05:00 (dassault) DENIED: "CATIA" tr-kim@ws9  (Licensed number of users already reached. (-4,342))
10:10:00 (dassault) DENIED: "CATIA" dan@nb-site-03  (Licensed number of users already reached. (-4,342))
10:30:00 (dassault) IN: "CATIA" bob@nb-site-02  (2 licenses)
10:30:00 (dassault) IN: "CATIA" tr-lee@ws4
"""
PERIOD = ("--from", "2026-03-02T08:00", "--to", "2026-03-02T11:00", "--tz", "UTC")
RULES = """
[[projects]]
name = "training"
users = ["tr-*"]

[[projects]]
name = "site-office"
hosts = ["nb-site-??"]
"""


def lmconsole(root: Path, *args: str) -> str:
    env = {**os.environ, "XDG_CONFIG_HOME": str(root / "xdg"), "XDG_DATA_HOME": str(root)}
    result = subprocess.run([sys.executable, "-m", "lmconsole", "--config",
                             str(root / "config.toml"), *args],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def history(tmp_path, url) -> Path:
    (tmp_path / "config.toml").write_text(f'database_url = "{url}"\n' + RULES)
    log = tmp_path / "dassault.log"
    log.write_text(LOG)
    lmconsole(tmp_path, "import", str(log), "--server", "lab", "--server-tz", "UTC")
    return tmp_path


def test_usage_and_denials_by_project(history):
    document = json.loads(lmconsole(history, "report", "projects", *PERIOD,
                                    "--format", "json"))
    rows = [(r["project"], r["users"], r["sessions"], r["from_log"], r["hours"],
             r["seat_hours"], r["denials"]) for r in document["rows"]]
    assert rows == [("site-office", 1, 1, 0, 2.0, 4.0, 1),
                    ("bridge", 2, 2, 2, 1.5, 1.5, 0),
                    ("training", 1, 1, 0, 1.0, 1.0, 1),
                    ("(none)", 1, 1, 0, 0.5, 0.5, 1)]
    assert "the first of the 2 [[projects]] rules" in document["rules"][0]


def test_without_rules_only_the_logged_projects(history):
    config = history / "config.toml"
    config.write_text(config.read_text().replace(RULES, ""))
    rows = {r["project"]: (r["sessions"], r["denials"]) for r in json.loads(lmconsole(
        history, "report", "projects", *PERIOD, "--format", "json"))["rows"]}
    assert rows == {"bridge": (2, 0), "(none)": (3, 3)}


def test_the_project_in_flexnet_verbose_data():
    trailer = "^^^ 1.0 {} 127.0.0.1 29865 0x12CE 4 4 {}11 19 3/17/2024 8:41:55 0 ^^^"
    assert verbose_project(trailer.format("ADas", "cad@lab ")) == "cad@lab"
    assert verbose_project(trailer.format("A Das", "bridge 2027 ")) == "bridge 2027"
    assert verbose_project(trailer.format("ADas", "")) is None  # no LM_PROJECT set
    assert verbose_project("^^^ 1.0 ADas 127.0.0.1 29865 0x12CE") is None  # cut short
    assert verbose_project("[J3_7f0101_611_1]") is None


def test_project_rules_are_checked(tmp_path):
    from lmconsole.config import ConfigError, parse_config

    with pytest.raises(ConfigError) as raised:
        parse_config('[[projects]]\nname = "x"\n\n[[projects]]\nusers = ["a"]\n'
                     '\n[[projects]]\nname = "y"\nhosts = "h*"\n', "c.toml")
    messages = str(raised.value)
    assert "needs users, hosts or features" in messages
    assert "a project needs a name" in messages
    assert "expected a list of names or shell patterns" in messages


@pytest.mark.parametrize("features", [(), ("--feature", "CATIA")])
def test_a_rule_on_features_of_every_feature_and_of_one(history, features):
    # carl's CATIA is "design" (9:00-9:30, denied at 10:00); ann's and tr-lee's logged
    # "bridge"; tr-kim 8:00-9:00 and bob 8:30-10:30 on 2 seats none (denied: tr-kim, dan)
    config = history / "config.toml"
    config.write_text(config.read_text().replace(RULES, '[[projects]]\nname = "design"\n'
                                                 'users = ["carl"]\nfeatures = ["CAT*"]\n'))
    document = json.loads(lmconsole(history, "report", "projects", *PERIOD, *features,
                                     "--format", "json"))
    assert [(r["project"], r["users"], r["sessions"], r["from_log"], r["hours"],
             r["seat_hours"], r["denials"]) for r in document["rows"]] == [
        ("bridge", 2, 2, 2, 1.5, 1.5, 0), ("design", 1, 1, 0, 0.5, 0.5, 1),
        ("(none)", 2, 2, 0, 3.0, 5.0, 2)]
