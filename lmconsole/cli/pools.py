"""`lmconsole pools`: allocation pools, seats of features kept for a team ([[pools]] in the
configuration). `sync` compiles a server's pools into GROUP, RESERVE, MAX and INCLUDE lines in
a managed block of its options file (a dry run unless --apply; lmconsole.cli.blocks), and
refuses more seats than the licence file has; `show` lists each pool with the seats its users
hold now and, from the history, their seat-hours and denials of the last days. No Textual.

Exit codes: as lmconsole.cli.blocks for `sync`; `show`: 0, 2 a bad option, 3 unreachable.
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


async def show_pools(args: argparse.Namespace, now: datetime | None = None) -> int:
    from lmconsole.managed.plan import pool_allocations
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
            features = [feature for feature, _ in pool.seats]
            past = await history_use(store, pool.server, features, allocation.users,
                                     end - args.days * 86_400, end)
            status = statuses[pool.server]
            uses = [PoolUse(feature, seats,
                            held_now(status, feature, allocation.users) if status else None,
                            *past[feature]) for feature, seats in pool.seats]
            rows.append((pool, allocation, uses))
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
                          for u in uses]} for pool, allocation, uses in rows]}, indent=1))
        return
    print(f"{'POOL':<16} {'SERVER':<10} {'FEATURE':<16} {'SEATS':>5} {'IN USE':>6} "
          f"{'SEAT-H ' + str(days) + 'D':>10} {'DENIALS':>7}  TEAM")
    for pool, allocation, uses in rows:
        team = f"{pool.team} ({len(allocation.users)} users)" if pool.group else pool.team
        if pool.manager:
            team += f", manager {pool.manager}"
        for n, use in enumerate(uses):
            in_use = "?" if use.in_use is None else str(use.in_use)
            print(f"{pool.name if n == 0 else '':<16} {pool.server if n == 0 else '':<10} "
                  f"{use.feature:<16} {use.allocated:>5} {in_use:>6} {use.seat_hours:>10.1f} "
                  f"{use.denials:>7}  {team if n == 0 else ''}".rstrip())
