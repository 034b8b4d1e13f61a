"""Directory syncs recorded in the history with dates: a real slapd (tests/slapd.py) is
synced, changed (a user leaves a group, one is disabled, one joins), synced again; the
groups are then asked as of each sync's day, through the library and `lmconsole directory`.
This module's slapd is its own: the tests change its tree, in order."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest

from lmconsole.cli import main
from lmconsole.cli.directory import sync_one
from lmconsole.history.directory import (
    groups_as_of,
    groups_of_users,
    members_as_of,
    record_directory,
    users_as_of,
)
from lmconsole.history.store import HistoryStore

from .directory_tree import ALL_USERS, ENABLED, EXAMPLE, add_user, group_dn, user_dn
from .slapd import READER_SECRET, SIZE_LIMIT, Slapd, reader_dn, slapd_fixture  # noqa: F401

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TUESDAY = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
SECONDS = {"monday": int(MONDAY.timestamp()), "tuesday": int(TUESDAY.timestamp())}
ENV = {"LDAP_SECRET": READER_SECRET}


def write_config(path, slapd: Slapd, database: str) -> None:
    path.write_text(f'''database_url = "sqlite:///{database}"

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
[directories.attribute_groups]
dept-CAE = "(departmentNumber=CAE)"
''')


@pytest.fixture(scope="module")
def synced(slapd, tmp_path_factory):
    """The history after a sync on Monday, the tree's changes, and a sync on Tuesday."""
    from lmconsole.config import load_config

    root = tmp_path_factory.mktemp("history")
    config_path, database = root / "config.toml", root / "history.db"
    write_config(config_path, slapd, database)
    directory = load_config(config_path).directories[0]

    async def scenario():
        store = await HistoryStore.open(f"sqlite:///{database}")
        try:
            assert await sync_one(store, directory, MONDAY, ENV)
            again = await sync_one_changes(store, directory, MONDAY)
            change_the_tree(slapd)
            assert await sync_one(store, directory, TUESDAY, ENV)
            return again
        finally:
            await store.close()

    again = asyncio.run(scenario())
    return config_path, database, again


async def sync_one_changes(store, directory, when):
    from lmconsole.adapters.ldap import connect, read_directory

    connection = connect(directory, ENV)
    tree, _ = read_directory(connection, directory)
    connection.unbind()
    return await record_directory(store, directory.name, tree, int(when.timestamp()))


def change_the_tree(slapd: Slapd) -> None:
    admin = slapd.admin(EXAMPLE)
    admin.modify(group_dn("fem"), {"member": [("MODIFY_DELETE", [user_dn("dave")])]})
    admin.modify(user_dn("bob"), {"employeeType": [("MODIFY_ADD", ["disabled"])]})
    add_user(admin, "quinn", departmentNumber="CAE")
    admin.modify(group_dn("fem-solvers"), {"member": [("MODIFY_ADD", [user_dn("quinn")])]})
    admin.modify(user_dn("carol"), {"displayName": [("MODIFY_REPLACE", ["Carol Renamed"])]})
    admin.unbind()


def ask(database, query, at):
    async def run():
        store = await HistoryStore.open(f"sqlite:///{database}")
        try:
            return await query(store, at)
        finally:
            await store.close()

    return asyncio.run(run())


def test_a_second_sync_of_the_same_tree_writes_nothing(synced):
    _, _, again = synced
    assert again.none


def test_membership_is_answered_as_of_each_day(synced):
    _, database, _ = synced
    monday = ask(database, members_as_of, SECONDS["monday"] + 3600)
    tuesday = ask(database, members_as_of, SECONDS["tuesday"] + 3600)
    assert monday == {name: users for name, users in ALL_USERS.items() if users} | {
        "dept-CAE": {"alice", "bob", "carol"}}
    assert tuesday["fem"] == {"erin", "quinn"}  # dave left fem; quinn joined fem-solvers
    # bob disabled, dave in no group below engineering any more
    assert tuesday["engineering"] == {"alice", "carol", "erin", "heidi", "quinn"}
    assert tuesday["mechanical"] == {"carol", "erin", "heidi", "quinn"}
    assert tuesday["everyone"] == set(ENABLED) - {"bob"}  # quinn is in no member list
    assert tuesday["dept-CAE"] == {"alice", "carol", "quinn"}
    before = ask(database, members_as_of, SECONDS["monday"] - 1)
    assert before == {}  # nothing known before the first sync


def test_users_are_dated_too(synced):
    _, database, _ = synced
    monday = ask(database, users_as_of, SECONDS["monday"])
    tuesday = ask(database, users_as_of, SECONDS["tuesday"])
    assert sorted(monday) == list(ENABLED)
    assert sorted(tuesday) == sorted(set(ENABLED) - {"bob"} | {"quinn"})
    assert monday["carol"].display_name == "Carol Example"
    assert tuesday["carol"].display_name == "Carol Renamed"
    groups = ask(database, groups_as_of, SECONDS["tuesday"])
    assert groups["dept-CAE"].source == "attribute"
    assert groups["proj-x"].dn == f"cn=proj-x,ou=projects,{EXAMPLE}"
    of_users = ask(database, groups_of_users, SECONDS["tuesday"])
    assert of_users["quinn"] == {"fem-solvers", "fem", "cae", "mechanical", "engineering",
                                 "dept-CAE"}


def test_the_command_shows_a_group_as_of_a_past_day(synced, capsys):
    config_path, _, _ = synced
    assert main(["--config", str(config_path), "directory", "groups", "--group", "fem",
                 "--as-of", "2026-03-02", "--tz", "UTC"]) == 0
    shown = capsys.readouterr().out
    assert shown.splitlines() == ["GROUP  USERS", "fem        2",
                                  "         dave  (Dave Example)",
                                  "         erin  (Erin Example)"]
    assert main(["--config", str(config_path), "directory", "groups", "--format", "json",
                 "--as-of", "2026-03-03T09:00", "--tz", "UTC"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["as_of"] == "2026-03-03T09:00:00+00:00"
    assert {g["group"]: g["users"] for g in answer["groups"]}["fem"] == ["erin", "quinn"]


def test_the_command_syncs_and_says_what_changed(synced, slapd, monkeypatch, capsys):
    config_path, _, _ = synced
    monkeypatch.setenv("LDAP_SECRET", READER_SECRET)
    assert main(["--config", str(config_path), "directory", "sync"]) == 0
    said = capsys.readouterr().err
    assert said.rstrip().endswith("directory corp: 13 users, 11 groups; no change")
    monkeypatch.delenv("LDAP_SECRET")
    assert main(["--config", str(config_path), "directory", "sync"]) == 3
    assert "LDAP_SECRET (bind_secret_env) is not set" in capsys.readouterr().err
    assert main(["--config", str(config_path), "directory", "sync", "--directory", "x"]) == 2


def test_two_syncs_in_one_second_keep_the_last(tmp_path):
    """A change synced twice in the same second: the first rows, never valid, give way."""
    from lmconsole.directory.model import DirectoryGroup, DirectoryTree, DirectoryUser

    def tree(members: set[str]) -> DirectoryTree:
        return DirectoryTree(
            users={u: DirectoryUser(u, f"uid={u}") for u in ("ann", "bob")},
            groups={"cae": DirectoryGroup("cae", "cn=cae")},
            direct_users={"cae": frozenset(members)}, subgroups={"cae": frozenset()},
            all_users={"cae": frozenset(members)})

    async def scenario():
        store = await HistoryStore.open(f"sqlite:///{tmp_path / 'history.db'}")
        try:
            at = SECONDS["monday"]
            await record_directory(store, "corp", tree({"ann"}), at)
            await record_directory(store, "corp", tree({"bob"}), at)
            await record_directory(store, "corp", tree({"ann"}), at)
            return await members_as_of(store, at)
        finally:
            await store.close()

    assert asyncio.run(scenario()) == {"cae": {"ann"}}
