"""The lmutil command line: lmstat, lmreread, lmremove and lmdown against a simulated
server. Output and exit codes follow real lmutil: 0 on success, 256 + the FLEXlm error
code (mod 256) on failure; a usage message and exit status 1 for bad arguments."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CANT_CONNECT, FlexError
from .lmstat_text import BANNER, render_lmstat, render_unreachable

if TYPE_CHECKING:
    from .server import SimulatedServer

USAGE = f"""{BANNER}
usage: lmutil lmstat [-a] [-A] [-c license_file_list] [-f [feature]] [-t timeout]
       lmutil lmreread [-c license_file_list] [-vendor vendor] [-all]
       lmutil lmremove [-c license_file_list] feature user user_host display
       lmutil lmremove [-c license_file_list] -h feature server_host port handle
       lmutil lmdown -c license_file_list [-vendor vendor] [-q] [-all] [-force]
"""
Result = tuple[int, str, str]


class UsageError(Exception):
    pass


# Per command: option -> "flag", "value" (takes the next word) or "optional" (takes the
# next word unless it is another option).
_OPTIONS = {
    "lmstat": {"-a": "flag", "-A": "flag", "-c": "value", "-f": "optional", "-t": "value"},
    "lmreread": {"-c": "value", "-vendor": "value", "-all": "flag"},
    "lmremove": {"-c": "value", "-h": "flag"},
    "lmdown": {"-c": "value", "-vendor": "value", "-q": "flag", "-all": "flag", "-force": "flag"},
}


def run_lmutil(server: SimulatedServer, argv: list[str], stdin: str = "") -> Result:
    if argv and argv[0] in ("-help", "--help", "help"):
        return 0, USAGE, ""
    if not argv or argv[0] not in _OPTIONS:
        what = f"unknown command {argv[0]!r}" if argv else "no command given"
        return 1, USAGE, f"lmutil: {what}\n"
    command = argv[0]
    try:
        options, words = _parse(argv[1:], _OPTIONS[command])
    except UsageError as exc:
        return 1, USAGE, f"lmutil {command}: {exc}\n"
    if "-c" in options and not _reaches(server, options["-c"]):
        return _failed(command, CANT_CONNECT, server)
    return _COMMANDS[command](server, options, words, stdin)


def _lmstat(server: SimulatedServer, options: dict, words: list[str], _stdin: str) -> Result:
    if words:
        return 1, USAGE, f"lmutil lmstat: unexpected argument {words[0]!r}\n"
    if not server.lmgrd_up:
        return CANT_CONNECT.exit_status, render_unreachable(server.now), ""
    only = options.get("-f") or None
    full = "-a" in options or "-A" in options or "-f" in options
    return 0, render_lmstat(server.report(), features=full, only=only), ""


def _lmreread(server: SimulatedServer, options: dict, words: list[str], _stdin: str) -> Result:
    if words:
        return 1, USAGE, f"lmutil lmreread: unexpected argument {words[0]!r}\n"
    error = server.reread(options.get("-vendor"))
    if error is not None:
        return _failed("lmreread", error, server)
    return 0, f"{BANNER}\nlmreread successful\n", ""


def _lmremove(server: SimulatedServer, options: dict, words: list[str], _stdin: str) -> Result:
    if "-h" in options:
        if len(words) != 4 or not (words[2].isdigit() and words[3].isdigit()):
            return 1, USAGE, "lmutil lmremove: -h needs feature server_host port handle\n"
        feature, host, port, handle = words[0], words[1], int(words[2]), int(words[3])
        if not any(h.lower() == host.lower() and p == port for h, p in server.identity.hosts):
            return _failed("lmremove", CANT_CONNECT, server)
        error = server.remove(feature, handle=handle)
    else:
        if len(words) != 4:
            return 1, USAGE, "lmutil lmremove: needs feature user user_host display\n"
        feature, user, host, display = words
        error = server.remove(feature, user=user, host=host, display=display)
    if error is not None:
        return _failed("lmremove", error, server)
    return 0, f"{BANNER}\n", ""


def _lmdown(server: SimulatedServer, options: dict, words: list[str], stdin: str) -> Result:
    if words:
        return 1, USAGE, f"lmutil lmdown: unexpected argument {words[0]!r}\n"
    if not server.lmgrd_up:
        return _failed("lmdown", CANT_CONNECT, server)
    vendor = options.get("-vendor")
    vendors = vendor or " ".join(v.name for v in server.daemons.licence.vendors)
    out = f"{BANNER}\n"
    if "-q" not in options:
        spec = f"{server.identity.master_port}@{server.identity.master}"
        out += (f"\n   Port@Host                 Vendors\n1) {spec:<25} {vendors}\n\n"
                "Are you sure (y/n)?  ")
        if not stdin.strip().lower().startswith("y"):
            return 0, out + "\n", ""
        out += "\n"
    error = server.shutdown(vendor, force="-force" in options)
    if error is not None:
        return error.exit_status, out + f"lmdown failed: {error.tail}\n", ""
    done = f"Vendor daemon {vendor} shut down" if vendor else "1 FlexNet License Server shut down"
    return 0, out + f"{done}\n", ""


_COMMANDS = {"lmstat": _lmstat, "lmreread": _lmreread, "lmremove": _lmremove, "lmdown": _lmdown}


def _failed(command: str, error: FlexError, server: SimulatedServer) -> Result:
    if command == "lmstat":
        return error.exit_status, render_unreachable(server.now), ""
    return error.exit_status, f"{BANNER}\n{command} failed: {error.tail}\n", ""


def _parse(args: list[str], spec: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    options: dict[str, str] = {}
    words: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and arg != "-":
            kind = spec.get(arg)
            if kind is None:
                raise UsageError(f"unknown option {arg}")
            value = ""
            if kind == "value":
                if i + 1 >= len(args):
                    raise UsageError(f"{arg} needs a value")
                value, i = args[i + 1], i + 1
            elif kind == "optional" and i + 1 < len(args) and not args[i + 1].startswith("-"):
                value, i = args[i + 1], i + 1
            options[arg] = value
        else:
            words.append(arg)
        i += 1
    return options, words


def _reaches(server: SimulatedServer, spec: str) -> bool:
    """Does a -c licence list name this server (port@host, @host or its licence file)?"""
    hosts = {h.lower(): p for h, p in server.identity.hosts}
    short = {h.split(".")[0]: p for h, p in hosts.items()}
    items = []
    for piece in spec.replace(";", ",").split(","):
        # Unix lists also use ":" between entries; only split there when it cannot be
        # a Windows drive letter, i.e. when the piece names servers.
        items += piece.split(":") if "@" in piece else [piece]
    for item in items:
        port, at, host = item.strip().rpartition("@")
        if at:
            host = host.lower()
            known = hosts.get(host, short.get(host))
            if known is not None and (not port or port == str(known)):
                return True
        elif Path(item).expanduser().resolve() == server.licence_path.resolve():
            return True
    return False
