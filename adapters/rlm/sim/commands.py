"""The rlmutil command line of the simulated server: `rlmstat`, `rlmreread` and `rlmremove`,
reached as `rlmutil rlmstat ...` or by the tool's own name (`rlmremove -q ...`), as the
links of a real installation are. Returns (exit status, stdout, stderr)."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from .isv import RLM_VERSION
from .report import gather
from .rlmstat_text import rlmstat_text

if TYPE_CHECKING:
    from .server import RlmServer

TOOLS = ("rlmstat", "rlmreread", "rlmremove")
BANNER = (f"rlmutil v{RLM_VERSION}\n"
          "Copyright (C) 2006-2024, Reprise Software, Inc. All rights reserved.\n")
USAGE = "usage: rlmutil rlmstat|rlmreread|rlmremove [args]\n"


def run_rlmutil(server: RlmServer, argv: list[str]) -> tuple[int, str, str]:
    program = posixpath.basename(argv[0]).removesuffix(".exe") if argv else ""
    if program == "rlmutil":
        program, argv = (argv[1], argv[1:]) if len(argv) > 1 else ("", [])
    args = argv[1:]
    if program == "rlmstat":
        return rlmstat(server, args)
    if program == "rlmreread":
        return rlmreread(server, args)
    if program == "rlmremove":
        return rlmremove(server, args)
    return 1, "", USAGE


def _license_spec(args: list[str]) -> tuple[str | None, list[str]]:
    """The `-c license_spec` of a command line, and the other words."""
    spec, rest, words = None, [], iter(args)
    for word in words:
        if word == "-c":
            spec = next(words, None)
        else:
            rest.append(word)
    return spec, rest


def rlmstat(server: RlmServer, args: list[str]) -> tuple[int, str, str]:
    spec, _options = _license_spec(args)
    if not server.lmgrd_up:
        host, port = server.identity.hosts[0]
        return 1, (f"{BANNER}\nError connecting to \"rlm\" server\n"
                   f"Connection attempted to host: \"{host}\" on port {port}\n"
                   "Connection refused\n"), ""
    return 0, rlmstat_text(gather(server), spec), ""


def rlmreread(server: RlmServer, args: list[str]) -> tuple[int, str, str]:
    _spec, rest = _license_spec(args)
    isv = rest[0] if rest else None
    error = server.reread(isv)
    if error:
        return 1, BANNER, f"rlmreread: {error}\n"
    return 0, BANNER, ""


def rlmremove(server: RlmServer, args: list[str]) -> tuple[int, str, str]:
    words = [word for word in args if word != "-q"]
    if len(words) != 4 or not words[1].isdigit():
        return 1, "", "usage: rlmremove [-q] host port isv handle\n"
    host, port, isv, handle = words
    try:
        number = int(handle, 16)
    except ValueError:
        return 1, "", f"rlmremove: bad handle {handle}\n"
    error = server.remove_handle(host, int(port), isv, number)
    if error:
        return 1, "", f"rlmremove: {error}\n"
    return 0, "" if "-q" in args else f"license handle {handle} removed\n", ""
