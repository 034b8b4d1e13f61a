"""Managed blocks end to end: a real slapd (tests/slapd.py) synced into a SQLite history on a
frozen day; `lmconsole directory options` and `lmconsole pools sync` against a simulator's
state directory reached by the local transport (dry run, then --apply: backup, audit,
lmreread confirmed by the debug log); and the simulator enforcing the compiled pools: the
pool's users get their seats, everyone else is denied."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lmconsole.adapters.flexlm.managed import block_lines
from lmconsole.adapters.flexlm.sim import SimulatedServer, create_state_dir
from lmconsole.cli import build_parser
from lmconsole.cli.directory import sync_one, sync_options
from lmconsole.cli.pools import show_pools, sync_pools
from lmconsole.history.store import HistoryStore
from lmconsole.inputs import InputError

from .conftest import SIM_LMUTIL
from .directory_tree import EXAMPLE
from .slapd import READER_SECRET, SIZE_LIMIT, Slapd, reader_dn, slapd_fixture  # noqa: F401

SYNCED = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # the architecture scenario's start
ENV = {"LDAP_SECRET": READER_SECRET}
POOLS = """
[[pools]]
name = "cae_team"
server = "office"
group = "cae"
seats = {{ 3dsMax = 2 }}
closed = true
manager = "carol"

[[pools]]
name = "viewers_pool"
server = "office"
users = ["frank", "grace"]
seats = {{ Revit = {revit} }}
"""


def write_config(root: Path, slapd: Slapd, sim: Path, revit: int = 1) -> Path:
    path = root / "config.toml"
    path.write_text(f'''database_url = "sqlite:///{root / 'history.db'}"
audit_log = "{root / 'audit.log'}"

[[servers]]
name = "office"
transport = "local"
lmutil = "{SIM_LMUTIL}"
license = "{sim / 'license.lic'}"
license_file = "{sim / 'license.lic'}"
options_file = "{sim / 'adskflex.opt'}"
debug_log = "{sim / 'debug.log'}"
vendor = "adskflex"
timezone = "UTC"

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

[[managed_groups]]
server = "office"
groups = ["cae", "fem", "everyone"]
directory = "corp"
''' + POOLS.format(revit=revit))
    return path


@pytest.fixture
def site(slapd, tmp_path, monkeypatch):
    """A configuration, a history synced from slapd, and a simulator state directory."""
    from lmconsole.config import load_config

    sim = create_state_dir(tmp_path / "sim", "architecture", seed=3, speed=0)
    monkeypatch.setenv("LMCONSOLE_SIM_DIR", str(sim))
    config_path = write_config(tmp_path, slapd, sim)
    directory = load_config(config_path).directories[0]

    async def sync():
        store = await HistoryStore.open(f"sqlite:///{tmp_path / 'history.db'}")
        try:
            assert await sync_one(store, directory, SYNCED, ENV)
        finally:
            await store.close()

    asyncio.run(sync())
    return config_path, sim


def command(config_path: Path, *argv: str):
    return build_parser().parse_args(["--config", str(config_path), *argv])


def test_directory_groups_are_written_into_the_block_and_kept_in_sync(site, capsys):
    config_path, sim = site
    options = sim / "adskflex.opt"
    before = options.read_text()
    args = command(config_path, "directory", "options", "--server", "office")
    assert asyncio.run(sync_options(args, now=NOW)) == 0
    out = capsys.readouterr().out
    assert "+GROUP cae carol dave erin\n" in out and "+GROUP fem dave erin\n" in out
    assert "dry run: nothing written" in out
    assert options.read_text() == before
    applied = command(config_path, "directory", "options", "--server", "office", "--apply")
    assert asyncio.run(sync_options(applied, now=NOW)) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "the debug log confirms the re-read (adskflex)" in out
    after = options.read_text()
    assert after.startswith(before)  # the admin's lines are untouched
    assert block_lines(after, "groups")[:3] == [
        "GROUP cae carol dave erin",
        "GROUP everyone alice bob carol dave erin frank grace heidi ivan judy ken laura niaj",
        "GROUP fem dave erin"]
    assert len(list(sim.glob("adskflex.opt.*.bak"))) == 1
    audit = [json.loads(line) for line in (config_path.parent / "audit.log").open()]
    assert [(a["action"], a["outcome"]) for a in audit] == [("save-options", "ok"),
                                                           ("lmreread", "ok")]
    # Someone edits the file elsewhere; the next run changes nothing, keeps the edit.
    options.write_text(after.replace("# Options for the Autodesk", "# Edited by hand. Options "
                                     "for the Autodesk"))
    edited = options.read_text()
    assert asyncio.run(sync_options(applied, now=NOW)) == 0
    assert "the groups block is up to date" in capsys.readouterr().out
    assert options.read_text() == edited


def test_a_group_the_history_does_not_know_is_refused(site, tmp_path):
    config_path, _ = site
    config_path.write_text(config_path.read_text().replace('"everyone"]', '"nobody"]'))
    args = command(config_path, "directory", "options", "--server", "office")
    with pytest.raises(InputError, match="no group nobody in directory corp"):
        asyncio.run(sync_options(args, now=NOW))


def test_pools_are_applied_and_the_simulator_enforces_them(site, capsys, tmp_path):
    config_path, sim = site
    options = sim / "adskflex.opt"  # as the licence file's VENDOR line names it
    config_path.write_text(config_path.read_text().replace(f'options_file = "{options}"', ""))
    assert "options_file" not in config_path.read_text()
    args = command(config_path, "pools", "sync", "--server", "office", "--apply")
    assert asyncio.run(sync_pools(args, now=NOW)) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "+RESERVE 2 3dsMax GROUP cae_team\n" in out
    assert "newly denied: " in out  # the 3dsMax holders outside the pool lose their access
    assert "nvogel on 3dsMax: 1 request, 1 held seat: not on INCLUDE list" in out
    assert "the debug log confirms the re-read (adskflex)" in out
    assert block_lines(options.read_text(), "pools") == [
        "# pool cae_team (manager: carol)",
        "GROUP cae_team carol dave erin",
        "RESERVE 2 3dsMax GROUP cae_team",
        "MAX 2 3dsMax GROUP cae_team",
        "# pool viewers_pool",
        "GROUP viewers_pool frank grace",
        "RESERVE 1 Revit GROUP viewers_pool",
        "MAX 1 Revit GROUP viewers_pool",
        "INCLUDE 3dsMax GROUP cae_team",
    ]
    server = quiet_server(tmp_path / "quiet", sim)
    take = lambda user, feature: server.checkout(user, f"{user}-pc", feature).kind  # noqa: E731
    # 3dsMax is closed: only the pool's users; at most its two seats.
    assert take("nvogel", "3dsMax") == "denied"
    assert [take(u, "3dsMax") for u in ("carol", "dave", "erin")] == ["out", "out", "denied"]
    # Revit: one of three seats kept for the pool; the others are anyone's.
    assert [take(u, "Revit") for u in ("ann", "bob", "cyd")] == ["out", "out", "denied"]
    assert [take(u, "Revit") for u in ("grace", "frank")] == ["out", "denied"]
    reasons = [line.split("(", 2)[-1] for line in server.log.lines if "DENIED" in line]
    assert reasons == ["User/host not on INCLUDE list for feature. (-39,349))",
                       "Checkout exceeds MAX specified in options file. (-87,353))",
                       "All licenses are reserved for others. (-101,359))",
                       "Checkout exceeds MAX specified in options file. (-87,353))"]


def quiet_server(directory: Path, sim: Path) -> SimulatedServer:
    """The state directory's licence and options file in a server without a workload."""
    directory.mkdir()
    licence = directory / "license.lic"
    licence.write_text((sim / "license.lic").read_text())
    (directory / "adskflex.opt").write_text((sim / "adskflex.opt").read_text())
    return SimulatedServer.from_scenario("architecture", licence_path=licence, workload=False)


def test_over_allocation_is_refused_and_nothing_written(site, capsys):
    config_path, sim = site
    config_path.write_text(config_path.read_text().replace("Revit = 1", "Revit = 4"))
    before = (sim / "adskflex.opt").read_text()
    args = command(config_path, "pools", "sync", "--server", "office", "--apply")
    assert asyncio.run(sync_pools(args, now=NOW)) == 1
    said = capsys.readouterr().err
    assert ("not changed: Revit: 4 seat(s) allocated to pools, 3 available (3 licensed)"
            in said)
    assert (sim / "adskflex.opt").read_text() == before
    assert not list(sim.glob("*.bak"))


def test_each_pools_use_now_is_shown(site, capsys):
    config_path, _ = site
    args = command(config_path, "pools", "show", "--format", "json")
    assert asyncio.run(show_pools(args, now=NOW)) == 0
    shown = json.loads(capsys.readouterr().out)
    (cae, viewers) = shown["pools"]
    assert cae["users"] == ["carol", "dave", "erin"] and cae["manager"] == "carol"
    assert cae["features"] == [{"feature": "3dsMax", "allocated": 2, "in_use": 0,
                                "seat_hours": 0.0, "denials": 0}]
    assert viewers["features"][0]["allocated"] == 1
    args = command(config_path, "pools", "show")
    assert asyncio.run(show_pools(args, now=NOW)) == 0
    table = capsys.readouterr().out.splitlines()
    assert re.match(r"cae_team +office +3dsMax +2 +0 +0\.0 +0  group cae \(3 users\), "
                    r"manager carol", table[1])


def test_a_pools_manager_changes_its_seats_and_the_change_is_kept(site, capsys):
    from lmconsole.cli.pools import set_pool_seats

    config_path, sim = site
    args = command(config_path, "pools", "set", "cae_team", "3dsMax=1", "--server", "office",
                   "--apply")
    with pytest.raises(InputError, match="only its manager carol may change its seats "
                                         r"\(you are nvogel\)"):
        asyncio.run(set_pool_seats(args, now=NOW, user="nvogel"))
    viewers = command(config_path, "pools", "set", "viewers_pool", "Revit=2", "--server",
                      "office")
    with pytest.raises(InputError, match="names no manager"):
        asyncio.run(set_pool_seats(viewers, now=NOW, user="carol"))
    wrong = command(config_path, "pools", "set", "cae_team", "Revit=1", "--server", "office")
    with pytest.raises(InputError, match="pool cae_team has no Revit"):
        asyncio.run(set_pool_seats(wrong, now=NOW, user="carol"))
    too_many = command(config_path, "pools", "set", "cae_team", "3dsMax=3", "--server",
                       "office", "--apply")
    assert asyncio.run(set_pool_seats(too_many, now=NOW, user="carol")) == 1
    assert "3dsMax: 3 seat(s) allocated to pools, 2 available" in capsys.readouterr().err
    assert asyncio.run(set_pool_seats(args, now=NOW, user="carol")) == 0, capsys.readouterr()
    assert "RESERVE 1 3dsMax GROUP cae_team" in (sim / "adskflex.opt").read_text()
    capsys.readouterr()
    show = command(config_path, "pools", "show", "--format", "json")
    assert asyncio.run(show_pools(show, now=NOW)) == 0
    cae = json.loads(capsys.readouterr().out)["pools"][0]
    assert cae["features"][0]["allocated"] == 1
    assert cae["changes"] == [{"feature": "3dsMax", "seats": 1, "config_seats": 2,
                               "set_by": "carol", "set_at": "2026-03-02T09:30:00+00:00"}]
    # A sync keeps the manager's seats.
    sync = command(config_path, "pools", "sync", "--server", "office")
    assert asyncio.run(sync_pools(sync, now=NOW)) == 0
    assert "the pools block is up to date" in capsys.readouterr().out


def test_the_configurations_new_seats_win_over_a_managers_older_ones(tmp_path):
    from lmconsole.managed.config import PoolConfig
    from lmconsole.managed.seats import record_seats, with_managers_seats

    pool = PoolConfig("cae_team", "office", (("3dsMax", 2), ("Revit", 1)), users=("ann",),
                      manager="carol")

    async def scenario():
        store = await HistoryStore.open(f"sqlite:///{tmp_path / 'history.db'}")
        try:
            await record_seats(store, pool, {"3dsMax": 1}, by="carol", at=100)
            kept = await with_managers_seats(store, [pool])
            changed = PoolConfig("cae_team", "office", (("3dsMax", 4), ("Revit", 1)),
                                 users=("ann",), manager="carol")
            return kept, await with_managers_seats(store, [changed])
        finally:
            await store.close()

    kept, changed = asyncio.run(scenario())
    assert kept[0].seats == (("3dsMax", 1), ("Revit", 1))
    assert changed[0].seats == (("3dsMax", 4), ("Revit", 1))


def test_a_pool_of_a_group_the_history_does_not_know_is_refused(site):
    config_path, _ = site
    config_path.write_text(config_path.read_text().replace('group = "cae"', 'group = "nobody"'))
    args = command(config_path, "pools", "sync", "--server", "office")
    with pytest.raises(InputError, match="pool cae_team: no group nobody in any synced "
                                         "directory"):
        asyncio.run(sync_pools(args, now=NOW))
