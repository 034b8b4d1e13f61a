"""`lmconsole pools`: allocation pools, seats of features kept for a team ([[pools]] in the
configuration). `sync` compiles a server's pools into GROUP, RESERVE, MAX and INCLUDE lines in
a managed block of its options file (a dry run unless --apply; lmconsole.cli.blocks), and
refuses more seats than the licence file has; `set` is the same for a pool's manager changing
its seats (kept in the history with who and when); `show` lists each pool with the seats its
users hold now and, from the history, their seat-hours and denials of the last days and the
managers' changes. No Textual.

Exit codes: as lmconsole.cli.blocks for `sync` and `set` (2 also: not the pool's manager);
`show`: 0, 2 a bad option, 3 unreachable.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from lmconsole.inputs import InputError
from lmconsole.snapshot import EXIT_OK

from .blocks import add_apply_options
from .database import configuration, database_option, open_store, run_on_store

HISTORY_DAYS = 7


def add_parser(commands) -> None:
    pools = commands.add_parser(
        "pools", help="seats allocated to teams, compiled into the options file",
        description="Allocation pools ([[pools]] in the configuration): seats of features "
                    "kept for a team or directory group, written as RESERVE, MAX and "
                    "INCLUDE lines between marker comments of the server's options file.")
    actions = pools.add_subparsers(dest="action", metavar="ACTION", required=True)
    sync = actions.add_parser("sync", parents=[database_option()],
                              help="write a server's pools into its options file")
    add_apply_options(sync)
    sync.set_defaults(run=lambda args: run_on_store(sync_pools, args))
    set_seats = actions.add_parser(
        "set", parents=[database_option()],
        help="a pool's manager changes its seats (then as sync)",
        description="The manager a pool names (manager = \"carol\" in [[pools]]) changes the "
                    "seats of its features; the change is shown as sync shows it, and with "
                    "--apply saved, re-read and kept in the history with who made it. The "
                    "configuration's seats win again once the admin changes them.")
    set_seats.add_argument("pool", metavar="POOL")
    set_seats.add_argument("seats", metavar="FEATURE=SEATS", nargs="+")
    add_apply_options(set_seats)
    set_seats.set_defaults(run=lambda args: run_on_store(set_pool_seats, args))
    show = actions.add_parser("show", parents=[database_option()],
                              help="each pool's seats, its use now and of the last days")
    show.add_argument("--server", metavar="NAME", help="one server's pools (default: all)")
    show.add_argument("--days", type=int, default=HISTORY_DAYS, metavar="N",
                      help=f"the history's period (default: {HISTORY_DAYS} days)")
    show.add_argument("--format", choices=("table", "json"), default="table")
    show.set_defaults(run=lambda args: run_on_store(show_pools, args))


def configured_pools(config, server: str | None) -> list:
    pools = [p for p in config.pools if server is None or p.server == server]
    if not pools:
        raise InputError("no [[pools]] configured" + (f" for server {server}" if server else "")
                         + ": add one (see `lmconsole config init`'s example)")
    return pools


async def sync_pools(args: argparse.Namespace, now: datetime | None = None) -> int:
    from lmconsole.managed.plan import POOLS, pool_allocations, pools_text

    from .blocks import Target, run_block

    config = configuration(args)
    pools = configured_pools(config, args.server)
    now = now or datetime.now(UTC)
    store = await open_store(args, config)
    try:
        allocations, missing = await pool_allocations(store, pools, int(now.timestamp()))
    finally:
        await store.close()
    if missing:
        raise InputError(missing[0])
    target = Target(config, args.server)
    try:
        license_text = await target.license_text()
        return await run_block(
            args, config, target, POOLS,
            lambda text: pools_text(target.blocks, text, allocations, license_text),
            license_text=license_text, now=now)
    finally:
        await target.close()


def asked_seats(pool, words: list[str]) -> dict[str, int]:
    """FEATURE=SEATS words as {feature: seats}; InputError: not one of the pool's features."""
    asked = {}
    for word in words:
        feature, _, count = word.partition("=")
        if not count.isdigit() or int(count) < 1:
            raise InputError(f"{word}: expected FEATURE=SEATS, seats 1 or more")
        if feature not in dict(pool.seats):
            raise InputError(f"{word}: pool {pool.name} has no {feature} (its features: "
                             f"{', '.join(f for f, _ in pool.seats)}); the admin adds features "
                             "in the configuration")
        asked[feature] = int(count)
    return asked


def manager_check(pool, user: str) -> None:
    if pool.manager is None:
        raise InputError(f"pool {pool.name} names no manager: its seats are changed in the "
                         "configuration")
    if user != pool.manager:
        raise InputError(f"pool {pool.name}: only its manager {pool.manager} may change its "
                         f"seats (you are {user})")


async def set_pool_seats(args: argparse.Namespace, now: datetime | None = None,
                         user: str | None = None) -> int:
    import getpass
    from dataclasses import replace

    from lmconsole.managed.plan import POOLS, pool_allocations, pools_text
    from lmconsole.managed.seats import record_seats

    from .blocks import Target, run_block

    config = configuration(args)
    pools = configured_pools(config, args.server)
    chosen = [p for p in pools if p.name == args.pool]
    if not chosen:
        raise InputError(f"no pool {args.pool} on {args.server} (its pools: "
                         f"{', '.join(p.name for p in pools)})")
    pool = chosen[0]
    user = user or getpass.getuser()
    manager_check(pool, user)
    asked = asked_seats(pool, args.seats)
    now = now or datetime.now(UTC)
    store = await open_store(args, config)
    try:
        allocations, missing = await pool_allocations(store, pools, int(now.timestamp()))
        if missing:
            raise InputError(missing[0])
        allocations = [replace(a, seats={**a.seats, **asked}) if a.name == pool.name else a
                       for a in allocations]
        target = Target(config, args.server)
        try:
            license_text = await target.license_text()

            async def saved() -> None:
                await record_seats(store, pool, asked, by=user, at=int(now.timestamp()))

            return await run_block(
                args, config, target, POOLS,
                lambda text: pools_text(target.blocks, text, allocations, license_text),
                license_text=license_text, now=now, on_saved=saved)
        finally:
            await target.close()
    finally:
        await store.close()


async def show_pools(args: argparse.Namespace, now: datetime | None = None) -> int:
    from lmconsole.managed.plan import pool_allocations
    from lmconsole.managed.seats import seat_changes
    from lmconsole.managed.usage import PoolUse, held_now, history_use

    from .blocks import Target

    if args.days < 1:
        raise InputError("--days: expected 1 or more")
    config = configuration(args)
    pools = configured_pools(config, args.server)
    now = now or datetime.now(UTC)
    end = int(now.timestamp())
    statuses = {}
    for name in sorted({p.server for p in pools}):
        target = Target(config, name)
        try:
            statuses[name] = await target.status(now)
        finally:
            await target.close()
    rows = []
    store = await open_store(args, config)
    try:
        allocations, missing = await pool_allocations(store, pools, end)
        for pool, allocation in zip(pools, allocations, strict=True):
            past = await history_use(store, pool.server, allocation.seats, allocation.users,
                                     end - args.days * 86_400, end)
            status = statuses[pool.server]
            uses = [PoolUse(feature, seats,
                            held_now(status, feature, allocation.users) if status else None,
                            *past[feature]) for feature, seats in allocation.seats.items()]
            changes = await seat_changes(store, pool.server, pool.name)
            rows.append((pool, allocation, uses, changes))
    finally:
        await store.close()
    for note in missing:
        print(f"note: {note}")
    print_pools(rows, args.days, args.format)
    return EXIT_OK


def print_pools(rows, days: int, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps({"days": days, "pools": [
            {"name": pool.name, "server": pool.server, "group": pool.group,
             "users": sorted(allocation.users), "manager": pool.manager, "closed": pool.closed,
             "features": [{"feature": u.feature, "allocated": u.allocated, "in_use": u.in_use,
                           "seat_hours": round(u.seat_hours, 2), "denials": u.denials}
                          for u in uses],
             "changes": [{"feature": feature, "seats": seats, "config_seats": configured,
                          "set_by": by, "set_at": datetime.fromtimestamp(at, UTC).isoformat()}
                         for feature, seats, configured, by, at in changes]}
            for pool, allocation, uses, changes in rows]}, indent=1))
        return
    print(f"{'POOL':<16} {'SERVER':<10} {'FEATURE':<16} {'SEATS':>5} {'IN USE':>6} "
          f"{'SEAT-H ' + str(days) + 'D':>10} {'DENIALS':>7}  TEAM")
    for pool, allocation, uses, changes in rows:
        team = f"{pool.team} ({len(allocation.users)} users)" if pool.group else pool.team
        if pool.manager:
            team += f", manager {pool.manager}"
        for n, use in enumerate(uses):
            in_use = "?" if use.in_use is None else str(use.in_use)
            print(f"{pool.name if n == 0 else '':<16} {pool.server if n == 0 else '':<10} "
                  f"{use.feature:<16} {use.allocated:>5} {in_use:>6} {use.seat_hours:>10.1f} "
                  f"{use.denials:>7}  {team if n == 0 else ''}".rstrip())
        for feature, seats, configured, by, at in changes[-3:]:
            print(f"{'':<16} {'':<10} {feature:<16} {seats:>5}  set by {by} "
                  f"{datetime.fromtimestamp(at, UTC):%Y-%m-%d %H:%M} UTC (configured: "
                  f"{configured})")
