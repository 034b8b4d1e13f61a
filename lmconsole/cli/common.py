"""What several commands share: the program's name, time zones, the configuration."""

from __future__ import annotations

import argparse
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lmconsole.inputs import InputError

PROG = "lmconsole"


def zone(name: str | None, option: str) -> tzinfo | None:
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"{option}: unknown time zone {name!r} (use an IANA name such as "
                         "Europe/Berlin or UTC)") from None


def local_zone() -> tzinfo:
    return datetime.now().astimezone().tzinfo


def load_config(args: argparse.Namespace):
    from lmconsole.config import ConfigError
    from lmconsole.config import load_config as load

    try:
        return load(args.config)
    except ConfigError as error:
        raise InputError(str(error)) from None
