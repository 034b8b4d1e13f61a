"""What `import` and `history` share: the history database they open (--database, else the
configuration's database_url, else history.db in lmconsole's data directory) and their
errors (DESIGN.md: 2 for a bad option or an unusable local file, 3 for a database that
cannot be reached). No Textual here."""

from __future__ import annotations

import argparse
import sys

from lmconsole.inputs import InputError

from .common import PROG

EXIT_UNREACHABLE = 3


def database_option() -> argparse.ArgumentParser:
    """A parent parser: --database URL."""
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--database", metavar="URL",
                          help="SQLAlchemy URL of the history, or the path of its SQLite file "
                               "(default: the configuration's database_url, else history.db "
                               "in $XDG_DATA_HOME/lmconsole)")
    return database


def run_on_store(command, args: argparse.Namespace) -> int:
    """`command(args)` (a coroutine function); a database that cannot be reached: exit 3."""
    import asyncio

    from lmconsole.history.store import StoreError

    try:
        return asyncio.run(command(args))
    except StoreError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_UNREACHABLE


def configuration(args: argparse.Namespace):
    """The configuration, or none when there is no file (the history needs none)."""
    from lmconsole.config import ConfigError, load_config

    try:
        return load_config(getattr(args, "config", None))
    except ConfigError as error:
        raise InputError(str(error)) from None


def chosen_database_url(args: argparse.Namespace, config):
    """The URL of the history --database names, else the configuration's (else the
    default file); StoreError, naming where the value came from, when it is not one."""
    from lmconsole.history.store import database_url

    if args.database:
        return database_url(args.database, named_by="--database")
    return database_url(config.database_url)


async def open_store(args: argparse.Namespace, config, *, reading: bool = False):
    """The history named by --database or the configuration, else the default file: made
    and migrated as needed. `reading` (a command that only reads it): a file named that
    does not exist is an error, not a new empty history answering "none" (a mistyped
    path); the default file is still made."""
    from lmconsole.history.store import HistoryStore, StoreError, sqlite_path

    named = args.database or config.database_url
    try:
        url = chosen_database_url(args, config)
    except StoreError as error:  # not a URL, or not one of a database lmconsole writes
        raise InputError(str(error)) from None
    path = sqlite_path(url)
    if reading and named and path is not None and not path.exists():
        raise InputError(f"{path}: no history database there (`lmconsole collect` and "
                         f"`lmconsole import` make one)")
    try:
        return await HistoryStore.open(url)
    except StoreError as error:
        if url.get_backend_name() == "sqlite":  # a local file: a path or permission problem
            raise InputError(str(error)) from None
        raise
