"""`lmconsole directory`: sync the configured directories' users and groups into the history
(`sync`, once or on each directory's sync_interval_s with --schedule), show the groups
and their members as of now or any past day (`groups`), and keep a server's GROUP lines in
sync with them (`options`, lmconsole.cli.blocks). No Textual here.

Exit codes: 0 ok, 2 a bad configuration or option, 3 a directory or the database that
cannot be reached (the other directories are still synced).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime

from lmconsole.inputs import InputError
from lmconsole.snapshot import EXIT_OK

from .blocks import add_apply_options
from .common import PROG, zone
from .database import EXIT_UNREACHABLE, configuration, database_option, open_store, run_on_store

MAX_SCHEDULED_ROUNDS = 10_000_000  # --schedule: a bound, not a limit anyone reaches


def add_parser(commands) -> None:
    directory = commands.add_parser(
        "directory", help="sync users and groups from LDAP / Active Directory; show them",
        description="Copy the users and groups of the configured [[directories]] into the "
                    "history, with dates, so that usage by group can be reported as of any "
                    "day.")
    actions = directory.add_subparsers(dest="action", metavar="ACTION", required=True)
    sync = actions.add_parser("sync", parents=[database_option()],
                              help="read the directories and record what changed")
    sync.add_argument("--directory", metavar="NAME", action="append",
                      help="a configured directory (repeatable; default: all of them)")
    sync.add_argument("--schedule", action="store_true",
                      help="keep running: sync each directory every sync_interval_s, until "
                           "stopped (for systemd)")
    sync.set_defaults(run=run_sync)
    groups = actions.add_parser("groups", parents=[database_option()],
                                help="the groups and their users, as of now or a past day")
    groups.add_argument("--directory", metavar="NAME", help="one directory (default: all)")
    groups.add_argument("--group", metavar="NAME", action="append",
                        help="only this group, with its members (repeatable)")
    groups.add_argument("--as-of", metavar="WHEN",
                        help="a past moment: YYYY-MM-DD (its end) or YYYY-MM-DDTHH:MM")
    groups.add_argument("--tz", metavar="ZONE", help="the zone of --as-of (default: "
                                                     "display_timezone, else this machine's)")
    groups.add_argument("--format", choices=("table", "json"), default="table")
    groups.set_defaults(run=run_groups)
    options = actions.add_parser(
        "options", parents=[database_option()],
        help="keep a server's GROUP / HOST_GROUP lines in sync with the directory groups",
        description="Write the [[managed_groups]] of a server as GROUP and HOST_GROUP lines "
                    "between marker comments in its options file, from the groups the last "
                    "`directory sync` recorded; lines outside the block are never touched. A "
                    "dry run shows the diff, the findings and the what-if; --apply saves "
                    "it (backup, audit) and runs lmreread.")
    add_apply_options(options)
    options.set_defaults(run=run_options)


# ---- sync -----------------------------------------------------------------------------------

def run_sync(args: argparse.Namespace) -> int:
    return run_on_store(sync, args)


def chosen_directories(config, names) -> tuple:
    if not config.directories:
        raise InputError("no directories configured: add a [[directories]] table (see "
                         "`lmconsole config init`'s example)")
    if not names:
        return config.directories
    known = {d.name: d for d in config.directories}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InputError(f"--directory {unknown[0]}: not configured (known: "
                         f"{', '.join(known)})")
    return tuple(known[name] for name in names)


async def sync(args: argparse.Namespace) -> int:
    import asyncio

    config = configuration(args)
    directories = chosen_directories(config, args.directory)
    store = await open_store(args, config)
    try:
        if not args.schedule:
            results = [await sync_one(store, d) for d in directories]
            return EXIT_OK if all(results) else EXIT_UNREACHABLE
        due = {d.name: 0.0 for d in directories}
        for _ in range(MAX_SCHEDULED_ROUNDS):
            for d in directories:
                if time.monotonic() >= due[d.name]:
                    await sync_one(store, d)
                    due[d.name] = time.monotonic() + d.sync_interval_s
            await asyncio.sleep(max(0.0, min(due.values()) - time.monotonic()))
        return EXIT_OK
    finally:
        await store.close()


async def sync_one(store, directory, now=None, env=None) -> bool:
    """Read one directory and record it; say what changed (or why not) on stderr."""
    import asyncio
    import os

    from lmconsole.adapters.ldap import DirectoryError, connect, read_directory
    from lmconsole.history.directory import record_directory

    def read():
        connection = connect(directory, os.environ if env is None else env)
        try:
            return read_directory(connection, directory)
        finally:
            connection.unbind()

    try:
        tree, _ = await asyncio.to_thread(read)  # ldap3 blocks
    except DirectoryError as error:
        say(f"{error}")
        return False
    at = int((now or datetime.now(UTC)).timestamp())
    changes = await record_directory(store, directory.name, tree, at)
    for note in tree.diagnostics:
        say(f"directory {directory.name}: {note}")
    say(f"directory {directory.name}: {len(tree.users)} users, {len(tree.groups)} groups; "
        + ("no change" if changes.none else
           f"users +{changes.users[0]} -{changes.users[1]}, groups +{changes.groups[0]} "
           f"-{changes.groups[1]}, memberships +{changes.members[0]} -{changes.members[1]}"))
    return True


def say(text: str) -> None:
    at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    print(f"{at} {PROG} directory: {text}", file=sys.stderr, flush=True)


# ---- groups ---------------------------------------------------------------------------------

def run_groups(args: argparse.Namespace) -> int:
    return run_on_store(show_groups, args)


def as_of(text: str | None, tz) -> int:
    """--as-of as seconds since the epoch: a day means its last second."""
    if text is None:
        return int(time.time())
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--as-of {text}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    day_only = len(text.strip()) == 10
    return int(moment.timestamp()) + (86_399 if day_only else 0)


async def show_groups(args: argparse.Namespace) -> int:
    from lmconsole.history.directory import groups_as_of, members_as_of
    from lmconsole.history.directory import users_as_of as users_then

    config = configuration(args)
    tz = zone(args.tz, "--tz") if args.tz else config.display_tz
    at = as_of(args.as_of, tz)
    store = await open_store(args, config)
    try:
        groups = await groups_as_of(store, at, args.directory)
        members = await members_as_of(store, at, args.directory)
        users = await users_then(store, at, args.directory)
    finally:
        await store.close()
    wanted = sorted(args.group or groups)
    missing = [name for name in wanted if name not in groups]
    if missing:
        raise InputError(f"--group {missing[0]}: no such group as of "
                         f"{datetime.fromtimestamp(at, tz):%Y-%m-%d %H:%M}")
    rows = [{"group": name, "source": groups[name].source,
             "users": sorted(members.get(name, ()))} for name in wanted]
    if args.format == "json":
        print(json.dumps({"as_of": datetime.fromtimestamp(at, UTC).isoformat(),
                          "groups": rows}, indent=1))
        return EXIT_OK
    width = max([len(row["group"]) for row in rows] + [5])
    print(f"{'GROUP':<{width}}  USERS")
    for row in rows:
        print(f"{row['group']:<{width}}  {len(row['users']):>5}")
        if args.group:
            for login in row["users"]:
                name = users[login].display_name if login in users else None
                print(f"{'':<{width}}    {login}" + (f"  ({name})" if name else ""))
    return EXIT_OK


# ---- options --------------------------------------------------------------------------------

def run_options(args: argparse.Namespace) -> int:
    return run_on_store(sync_options, args)


async def sync_options(args: argparse.Namespace, now: datetime | None = None) -> int:
    from lmconsole.managed.plan import GROUPS, groups_text

    from .blocks import Target, run_block

    config = configuration(args)
    managed = [m for m in config.managed_groups if m.server == args.server]
    if not managed:
        raise InputError(f"--server {args.server}: no [[managed_groups]] names this server; "
                         "add one with the groups its options file should define")
    now = now or datetime.now(UTC)
    users, hosts = await managed_members(args, config, managed, int(now.timestamp()))
    target = Target(config, args.server)
    try:
        license_text = await target.license_text()
        return await run_block(
            args, config, target, GROUPS,
            lambda text: groups_text(target.blocks, text, users, hosts),
            license_text=license_text, now=now)
    finally:
        await target.close()


async def managed_members(args, config, managed, at: int
                          ) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The users of the GROUP groups and the hosts of the HOST_GROUP groups, as the history
    has them at `at`. InputError: a group it does not know."""
    from lmconsole.managed.plan import managed_members as members_of

    store = await open_store(args, config)
    try:
        users, hosts, missing = await members_of(store, managed, at)
    finally:
        await store.close()
    if missing:
        raise InputError(missing[0])
    return users, hosts
