"""`lmconsole report NAME --group G`: every report restricted to a directory group's members
as of each time, nested groups included, worked out by hand on a real SQLite history: the
directory synced from a real slapd (tests/slapd.py, tree in tests/directory_tree.py) on
Monday 00:00 and, after dave left fem, on Tuesday 00:00; a debug log imported with
`lmconsole import`; idle reservations as polls see them. On SQLite and on PostgreSQL.

cae holds carol, and fem (dave, and fem-solvers: erin) nested: on Monday carol, dave and
erin are its members, on Tuesday carol and erin (and quinn, added to fem-solvers). alice is
in engineering, above cae, so never in cae. Times UTC, server lab, feature CATIA:
  Monday   carol 8:00-9:30, dave 2 seats 8:30-10:00, alice 9:00-10:30; erin denied 10:00
  Tuesday  dave 8:00-9:00, erin 8:15-9:45; dave denied 9:00, carol denied 10:00
and on server road, borrowed (polls saw them): erin Mon 12:00-18:00, dave Tue 12:00-14:00.
cae's seats: Monday 1 (8:00-8:30), 3 (8:30-9:30), 2 (9:30-10:00); Tuesday 1 (8:15-9:45,
erin: dave is no longer a member). Per hour: Mon 8h peak 3, 7200 seat-s (mean 2.0); Mon 9h
peak 3, 9000 seat-s (2.5); Tue 8h peak 1, 2700 (0.75); Tue 9h peak 1, 2700 (0.75).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ldap3.core.exceptions import LDAPAttributeOrValueExistsResult

from lmconsole.cli.directory import sync_one
from lmconsole.history.store import HistoryStore

from .directory_tree import EXAMPLE, group_dn, user_dn
from .postgres import postgres_fixture  # noqa: F401 - fixture
from .slapd import READER_SECRET, SIZE_LIMIT, Slapd, reader_dn, slapd_fixture  # noqa: F401
from .test_reports_people import poll_session

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)
TUESDAY = datetime(2026, 3, 3, tzinfo=UTC)
T0 = int(MONDAY.timestamp())
H = 3600
ENV = {"LDAP_SECRET": READER_SECRET}
LAB = ("--server", "lab")  # the server of the log (road's borrowed seats apart)
PERIOD = ("--from", "2026-03-02", "--to", "2026-03-03", "--tz", "UTC")  # to Tuesday's end
LOG = """\
8:00:00 (lmgrd) TIMESTAMP 3/2/2026
8:00:00 (dassault) OUT: "CATIA" carol@ws1
8:30:00 (dassault) OUT: "CATIA" dave@ws2  (2 licenses)
9:00:00 (dassault) OUT: "CATIA" alice@ws3
9:30:00 (dassault) IN: "CATIA" carol@ws1
10:00:00 (dassault) IN: "CATIA" dave@ws2  (2 licenses)
10:00:00 (dassault) DENIED: "CATIA" erin@ws4  (Licensed number of users already reached. (-4,342))
10:30:00 (dassault) IN: "CATIA" alice@ws3
0:00:00 (lmgrd) TIMESTAMP 3/3/2026
8:00:00 (dassault) OUT: "CATIA" dave@ws2
8:15:00 (dassault) OUT: "CATIA" erin@ws4
9:00:00 (dassault) IN: "CATIA" dave@ws2
9:00:00 (dassault) DENIED: "CATIA" dave@ws2  (Licensed number of users already reached. (-4,342))
9:45:00 (dassault) IN: "CATIA" erin@ws4
10:00:00 (dassault) DENIED: "CATIA" carol@ws1  (Licensed number of users already reached. (-4,342))
"""


def write_config(path: Path, slapd: Slapd, url: str) -> None:
    path.write_text(f'''database_url = "{url}"

[[directories]]
name = "corp"
url = "{slapd.ldaps_url}"
ca_file = "{slapd.ca_file}"
bind_dn = "{reader_dn(EXAMPLE)}"
bind_secret_env = "LDAP_SECRET"
user_base = "ou=people,{EXAMPLE}"
group_base = "ou=groups,{EXAMPLE}"
disabled_filter = "(employeeType=disabled)"
page_size = {SIZE_LIMIT}
''')


def lmconsole(root: Path, *args: str) -> str:
    env = {**os.environ, "XDG_CONFIG_HOME": str(root / "xdg"), "XDG_DATA_HOME": str(root)}
    result = subprocess.run([sys.executable, "-m", "lmconsole", "--config",
                             str(root / "config.toml"), *args],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def history(request, slapd, tmp_path_factory) -> Path:
    from lmconsole.config import load_config

    root = tmp_path_factory.mktemp("groups")
    url = (f"sqlite:///{root / 'history.db'}" if request.param == "sqlite" else
           request.getfixturevalue("postgres").new_database())
    write_config(root / "config.toml", slapd, url)
    directory = load_config(root / "config.toml").directories[0]
    log = root / "dassault.log"
    log.write_text(LOG)
    lmconsole(root, "import", str(log), "--server", "lab", "--server-tz", "UTC")

    def dave_in_fem(change: str) -> None:
        admin = slapd.admin(EXAMPLE)
        admin.modify(group_dn("fem"), {"member": [(change, [user_dn("dave")])]})
        admin.unbind()

    async def syncs():
        store = await HistoryStore.open(url)
        try:
            # the tree as the test tree has it, whichever database's syncs ran before
            with contextlib.suppress(LDAPAttributeOrValueExistsResult):
                dave_in_fem("MODIFY_ADD")
            assert await sync_one(store, directory, MONDAY, ENV)
            dave_in_fem("MODIFY_DELETE")
            assert await sync_one(store, directory, TUESDAY, ENV)
            lab = await store.server_id("lab", manager="flexlm", time_zone="UTC")
            # idle reservations: GROUP cae 2 seats Mon 8:00-11:00, GROUP fem 1 seat Tue
            # 9:00-10:00, GROUP viewers 1 seat Mon 8:00-11:00, USER dave 1 seat Mon and
            # Tue 11:00-12:00 (a member on Monday only)
            await store.upsert_poll_sessions([
                poll_session(lab, "CATIA", "GROUP cae", T0 + 8 * H, T0 + 11 * H, 2,
                             reserved=True),
                poll_session(lab, "CATIA", "GROUP fem", T0 + 33 * H, T0 + 34 * H,
                             reserved=True),
                poll_session(lab, "CATIA", "GROUP viewers", T0 + 8 * H, T0 + 11 * H,
                             reserved=True),
                poll_session(lab, "CATIA", "USER dave", T0 + 11 * H, T0 + 12 * H,
                             reserved=True),
                poll_session(lab, "CATIA", "USER dave", T0 + 35 * H, T0 + 36 * H,
                             reserved=True)])
            road = await store.server_id("road", manager="flexlm", time_zone="UTC")
            await store.upsert_poll_sessions([
                {**poll_session(road, "CATIA", user, start, start + hours * H, host=host),
                 "borrowed": True}
                for user, host, start, hours in (("erin", "nb1", T0 + 12 * H, 6),
                                                 ("dave", "nb2", T0 + 36 * H, 2))])
        finally:
            await store.close()

    asyncio.run(syncs())
    return root


def report(root: Path, *args: str) -> dict:
    return json.loads(lmconsole(root, "report", *args, *PERIOD, "--format", "json"))


def test_utilisation_of_a_group(history):
    everyone, = report(history, "utilisation", *LAB)["rows"]
    document = report(history, "utilisation", *LAB, "--group", "cae")
    row, = document["rows"]
    assert document["filters"]["groups"] == ["cae"]
    assert document["level"] == "hour"
    # the server observed for both from the log's first line to its last (Mon 8:00 to Tue
    # 10:00, 26 h): the group's 7200 + 9000 + 2700 + 2700 = 21600 seat-s (6 seat-h) over it,
    # everyone's 5400 (carol) + 10800 (dave) + 5400 (alice) + 3600 (dave) + 5400 (erin)
    assert row["peak"] == 3 and everyone["peak"] == 4  # alice's seat is not cae's
    assert row["average"] == round(6 / 26, 2) and everyone["average"] == round(8.5 / 26, 2)
    assert row["denials"] == 2 and row["denial_hours"] == 2  # erin Mon, carol Tue
    assert everyone["denials"] == 3


def test_concurrency_heatmap_efficiency_and_forecast_of_a_group(history):
    days = {r["bucket"]: (r["peak"], r["min"]) for r in
            report(history, "concurrency", *LAB, "--group", "cae", "--per", "day")["rows"]}
    assert days == {"2026-03-02": (3, 0), "2026-03-03": (1, 0)}
    hours = {r["bucket"]: (r["peak"], r["average"]) for r in
             report(history, "concurrency", *LAB, "--group", "cae", "--per", "hour")["rows"]
             if r["peak"]}
    assert hours == {"2026-03-02 08:00": (3, 2.0), "2026-03-02 09:00": (3, 2.5),
                     "2026-03-03 08:00": (1, 0.75), "2026-03-03 09:00": (1, 0.75)}
    cells = {(r["weekday"], r["hour"]): (r["peak"], r["average"]) for r in
             report(history, "heatmap", *LAB, "--group", "cae")["rows"] if r["peak"]}
    assert cells == {("Mon", 8): (3, 2.0), ("Mon", 9): (3, 2.5), ("Tue", 8): (1, 0.75),
                     ("Tue", 9): (1, 0.75)}
    shares = {r["seats"]: r["at_least_pct"] for r in
              report(history, "efficiency", *LAB, "--group", "cae")["rows"]}
    assert max(shares) == 3  # two hours at a peak of 3, two at 1
    forecast, = report(history, "forecast", *LAB, "--group", "cae")["rows"]
    assert (forecast["days"], forecast["peak"]) == (2, 3)  # daily peaks 3 and 1


def test_denials_users_and_borrowing_of_a_group_as_of_each_time(history):
    denied = {r["user"]: r["denials"] for r in
              report(history, "denials", "--group", "cae", "--by", "user")["rows"]}
    assert denied == {"erin": 1, "carol": 1}  # dave's Tuesday denial: no longer a member
    users = {r["user"]: (r["sessions"], r["hours"], r["seat_hours"]) for r in
             report(history, "users", *LAB, "--group", "cae")["rows"]}
    assert users == {"carol": (1, 1.5, 1.5), "dave": (1, 1.5, 3.0), "erin": (1, 1.5, 1.5)}
    borrowed = [(r["user"], r["host"]) for r in
                report(history, "borrowing", "--group", "cae")["rows"]]
    assert borrowed == [("erin", "nb1")]  # dave borrowed on Tuesday, no longer a member


def test_reservations_of_a_group_and_its_nested_groups(history):
    rows = {r["reservation"]: (r["idle_seat_hours"], r["denials_while_idle"]) for r in
            report(history, "reservations", "--group", "cae")["rows"]}
    # GROUP cae 2 seats x 3 h; GROUP fem (nested in cae) 1 h; USER dave on Monday only
    # (Tuesday he was no longer a member); GROUP viewers is not cae's. erin's denial at
    # Mon 10:00 falls in GROUP cae's idle spell but she is cae's own: not counted; dave's at
    # Tue 9:00 in GROUP fem's, which he had left: counted
    assert rows == {"GROUP cae": (6.0, 0), "GROUP fem": (1.0, 1), "USER dave": (1.0, 0)}
    everyone = {r["reservation"]: r["denials_while_idle"] for r in
                report(history, "reservations")["rows"]}
    assert everyone["GROUP viewers"] == 1  # erin is not a viewer: denied while it sat idle


def test_the_table_header_says_the_group(history):
    text = lmconsole(history, "report", "utilisation", "--group", "cae", *PERIOD)
    assert ("only: group cae: the seats and denials of its members (nested groups "
            "included) as of each session's start and each denial") in text


def test_groups_report_with_idle_reserved_seat_hours_per_directory_group(history):
    rows = {r["group"]: (r["users"], r["sessions"], r["hours"], r["seat_hours"],
                         r["denials"], r["reserved_idle_seat_hours"]) for r in
            report(history, "groups", *LAB, "--group", "cae", "--group", "viewers")["rows"]}
    # cae: carol, dave (Monday), erin; GROUP cae 6 seat-h + GROUP fem (in cae) 1 + USER
    # dave on Monday 1. viewers: GROUP viewers 3. (none): alice, dave's Tuesday session,
    # his Tuesday denial and his Tuesday reservation (no longer in cae)
    assert rows == {"cae": (3, 3, 4.5, 6.0, 2, 8.0), "viewers": (0, 0, 0.0, 0.0, 0, 3.0),
                    "(none)": (2, 2, 2.5, 2.5, 1, 1.0)}
