"""`lmconsole report groups`: usage and denials by directory group, worked out by hand, on a
real SQLite history: two dated directory syncs (recorded as `directory sync` records them;
the trees are written here, the LDAP side is tests/test_directory_*.py), sessions seen by
polls and denials.

Groups: engineering holds cae; design apart. Monday 00:00: ann in cae; bob in cae and
design; cid in design; dan in engineering itself; eve in none. Tuesday 00:00: bob leaves
design. Sessions (server lab, UTC): Monday ann 2 h, bob 4 h, cid 1 h, dan 1 h, eve 1 h;
Tuesday bob 2 h. Denials: bob 2 on Monday, cid 1 on Tuesday.
"""

from __future__ import annotations

import asyncio
import importlib
import json

import pytest
from sqlalchemy import insert

from lmconsole.cli import main
from lmconsole.directory.model import DirectoryGroup, DirectoryTree, DirectoryUser, nested_users
from lmconsole.history import schema
from lmconsole.history.directory import record_directory
from lmconsole.history.store import HistoryStore

from .test_reports_people import poll_session

T0 = 1_772_409_600  # Monday 2026-03-02 00:00 UTC
H, DAY = 3600, 86_400
PERIOD = ("--from", "2026-03-02", "--to", "2026-03-03", "--tz", "UTC")  # to Tuesday's end


def tree(direct: dict[str, set[str]]) -> DirectoryTree:
    subgroups = {"engineering": {"cae"}, "cae": set(), "design": set()}
    everyone, _ = nested_users(direct, subgroups, 10)
    logins = {u for users in direct.values() for u in users} | {"eve"}
    return DirectoryTree(
        users={u: DirectoryUser(u, f"uid={u}") for u in logins},
        groups={g: DirectoryGroup(g, f"cn={g}") for g in subgroups},
        direct_users={g: frozenset(u) for g, u in direct.items()},
        subgroups={g: frozenset(s) for g, s in subgroups.items()}, all_users=everyone)


async def fill(url: str) -> None:
    store = await HistoryStore.open(url)
    try:
        await record_directory(store, "corp", tree(
            {"cae": {"ann", "bob"}, "design": {"bob", "cid"}, "engineering": {"dan"}}), T0)
        await record_directory(store, "corp", tree(
            {"cae": {"ann", "bob"}, "design": {"cid"}, "engineering": {"dan"}}), T0 + DAY)
        lab = await store.server_id("lab", manager="flexlm", time_zone="UTC")
        monday, tuesday = T0 + 8 * H, T0 + DAY + 8 * H
        await store.upsert_poll_sessions([
            poll_session(lab, "CATIA", user, start, start + hours * H)
            for user, start, hours in (("ann", monday, 2), ("bob", monday, 4),
                                       ("cid", monday, 1), ("dan", monday, 1),
                                       ("eve", monday, 1), ("bob", tuesday, 2))])
        async with store.engine.begin() as connection:
            source_id = (await connection.execute(insert(schema.sources).values(
                server_id=lab, identity="0" * 64, prefix_bytes=0, path="/var/log/lab.log",
                bytes_read=0, lines_read=0, read_at=T0))).inserted_primary_key[0]
            await connection.execute(insert(schema.denials), [
                {"source_id": source_id, "byte_offset": n, "server_id": lab, "at": at,
                 "kind": "DENIED", "daemon": "lab", "feature": "CATIA", "user_name": user,
                 "count": 1}
                for n, (user, at) in enumerate((("bob", monday), ("bob", monday + H),
                                                ("cid", tuesday)))])
    finally:
        await store.close()


@pytest.fixture
def history(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    asyncio.run(fill(url))
    return url


def rows(capsys, *argv: str) -> dict[str, dict]:
    assert main([*argv, "--format", "json"]) == 0
    return {row["group"]: row for row in json.loads(capsys.readouterr().out)["rows"]}


def report(history: str, *options: str) -> list[str]:
    return ["report", "groups", "--database", history, *PERIOD, *options]


def figures(row: dict) -> tuple:
    return row["users"], row["sessions"], row["hours"], row["denials"]


def test_split_among_the_most_specific_groups_and_rolled_up(history, capsys):
    found = rows(capsys, *report(history))
    # bob on Monday: cae and design (engineering holds cae: it leaves him to cae), 2 h each,
    # half a session and one denial each; on Tuesday cae alone.
    assert figures(found["cae"]) == (2, 2.5, 6.0, 1)  # ann 2 h, bob 2 h + 2 h
    assert figures(found["design"]) == (2, 1.5, 3.0, 2)  # bob 2 h, cid 1 h; bob 1 + cid 1
    assert figures(found["engineering"]) == (3, 3.5, 7.0, 1)  # dan 1 h and cae rolled up
    assert found["cae"]["within"] == "engineering"
    assert figures(found["(none)"]) == (1, 1, 1.0, 0)  # eve
    assert list(found) == ["cae", "design", "engineering", "(none)"]


def test_primary_group_in_the_order_given(history, capsys):
    found = rows(capsys, *report(history, "--count", "primary", "--group", "design",
                                 "--group", "cae", "--group", "engineering"))
    assert figures(found["design"]) == (2, 2, 5.0, 3)  # bob's Monday all here, cid
    assert figures(found["cae"]) == (2, 2, 4.0, 0)  # ann, bob's Tuesday
    assert figures(found["engineering"]) == (3, 3, 5.0, 0)  # dan and cae
    assert list(found) == ["design", "cae", "engineering", "(none)"]


def test_the_configured_rule_applies_without_options(history, tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text('[groups]\ncount = "primary"\nprimary = ["design", "cae"]\n')
    configured = rows(capsys, "--config", str(config), *report(history))
    assert figures(configured["design"]) == (2, 2, 5.0, 3)
    assert list(configured) == ["design", "cae", "(none)"]  # dan: no chosen group
    assert figures(rows(capsys, *report(history))["design"]) == (2, 1.5, 3.0, 2)  # split


def test_the_table_names_the_rules(history, capsys):
    assert main(report(history)) == 0
    shown = capsys.readouterr().out
    assert "a user in several groups: split equally among them" in shown
    assert "nested groups roll up" in shown


def test_within_a_day_nobody_changes_groups(history, capsys):
    # Monday alone: bob in cae and design all of it, his usage summed per user, not per day
    found = rows(capsys, "report", "groups", "--database", history, "--from", "2026-03-02",
                 "--to", "2026-03-02", "--tz", "UTC")
    assert figures(found["cae"]) == (2, 1.5, 4.0, 1)  # ann 2 h, bob half of 4 h
    assert figures(found["design"]) == (2, 1.5, 3.0, 1)  # bob half of 4 h, cid 1 h
    assert figures(found["engineering"]) == (3, 2.5, 5.0, 1)  # dan 1 h and cae rolled up
    assert figures(found["(none)"]) == (1, 1, 1.0, 0)


def test_many_users_changing_groups_are_read_per_day_all_at_once(history, capsys,
                                                               monkeypatch):
    # more changing users than a query names: every user's days are read, bob's are used
    monkeypatch.setattr(importlib.import_module("lmconsole.reports.groups"),
                        "MAX_NAMED_USERS", 0)
    found = rows(capsys, *report(history))
    assert figures(found["cae"]) == (2, 2.5, 6.0, 1)
    assert figures(found["design"]) == (2, 1.5, 3.0, 2)
    assert figures(found["(none)"]) == (1, 1, 1.0, 0)
