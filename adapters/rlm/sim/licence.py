"""An RLM licence file and ISV options file as the simulated server reads them, in the terms
of the FlexLM simulator's daemons (which enforce the rules both managers share).

Licence file: `HOST host hostid port`, `ISV name [binary] [options=path] [port=N]` and
`LICENSE isv product version exp-date count ...` lines (continued on indented lines, `#`
comments). Each LICENSE line is a pool of its own, as rlmstat lists them. Options file: the
RLM keywords the daemons act on (GROUP, HOST_GROUP, INCLUDE, EXCLUDE, RESERVE, MAX, TIMEOUT,
TIMEOUTALL) are told to them in FlexLM's grammar, which orders TIMEOUT's words the other way
round and writes the types in capitals; REPORTLOG names the ISV's report log.
"""

from __future__ import annotations

import re

from lmconsole.adapters.flexlm.sim.licfile import LicenceFile, LicencePool, ServerLine, VendorLine
from lmconsole.adapters.flexlm.sim.options import Options, parse_options

from ..dates import BadDate, parse_expiry

DEFAULT_RLM_PORT = 5053
_TOKEN = re.compile(r'[^\s"=]+="[^"]*"|"[^"]*"|\S+')
_RULES = {"INCLUDE", "EXCLUDE", "RESERVE", "MAX"}
_SHARED = {"GROUP", "HOST_GROUP", "TIMEOUTALL", *_RULES}


def logical_lines(text: str) -> list[list[str]]:
    """The words of each line, its indented continuation lines joined on, comments left out."""
    joined: list[str] = []
    for line in text.lstrip("\ufeff").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace() and joined:
            joined[-1] += " " + line.strip()
        else:
            joined.append(line.strip())
    return [_TOKEN.findall(line) for line in joined]


def parse_rlm_licence(text: str) -> LicenceFile:
    licence = LicenceFile()
    for number, words in enumerate(logical_lines(text), 1):
        keyword = words[0].upper()
        named = dict(_named(word) for word in words[1:] if "=" in word)
        plain = [word for word in words[1:] if "=" not in word]
        if keyword in ("HOST", "SERVER") and len(plain) >= 2:
            port = int(plain[2]) if len(plain) > 2 and plain[2].isdigit() else DEFAULT_RLM_PORT
            licence.servers.append(ServerLine(plain[0], plain[1], port))
        elif keyword in ("ISV", "DAEMON") and plain:
            port = named.get("port") or (plain[3] if len(plain) > 3 else None)
            licence.vendors.append(VendorLine(
                plain[0], named.get("binary") or (plain[1] if len(plain) > 1 else None),
                named.get("options") or (plain[2] if len(plain) > 2 else None),
                int(port) if port and port.isdigit() else None))
        elif keyword in ("LICENSE", "FEATURE") and len(plain) >= 5:
            pool = _pool(plain, named)
            if pool is None:
                licence.problems.append(f"line {number}: cannot read LICENSE line")
            else:
                licence.pools.append(pool)
    return licence


def _pool(plain: list[str], named: dict[str, str]) -> LicencePool | None:
    isv, product, version, expiry_text, count_text = plain[:5]
    try:
        expiry = parse_expiry(expiry_text)
    except BadDate:
        return None
    uncounted = count_text.lower() in ("0", "uncounted", "single")
    if not uncounted and not count_text.isdigit():
        return None
    attrs = {key.upper(): value for key, value in named.items()}
    return LicencePool(product, isv, version, expiry, expiry_text,
                       None if uncounted else int(count_text), attrs)


def _named(word: str) -> tuple[str, str]:
    key, _, value = word.partition("=")
    return key.lower(), value.strip('"')


def parse_rlm_options(text: str) -> Options:
    """The rules of an ISV options file, as the FlexLM simulator's daemons enforce them."""
    flexlm_lines = []
    for words in logical_lines(text):
        keyword = words[0].upper()
        if keyword in _RULES and len(words) >= 3:
            at = 2 if keyword in ("RESERVE", "MAX") else 1  # the product's place
            words = [keyword, *words[1:at + 1], words[at + 1].upper(), *words[at + 2:]]
        elif keyword == "TIMEOUT" and len(words) == 3:  # TIMEOUT secs product
            words = [keyword, words[2], words[1]]
        elif keyword not in _SHARED:
            continue  # REPORTLOG, DEBUGLOG, ROAM_MAX_DAYS ...: not the daemons' business
        flexlm_lines.append(" ".join(words))
    return parse_options("\n".join(flexlm_lines) + "\n")


def report_log_path(text: str) -> str | None:
    """The report log an options file's REPORTLOG line names (its `+`, append, dropped)."""
    for words in logical_lines(text):
        if words[0].upper() == "REPORTLOG" and len(words) > 1:
            return words[1].removeprefix("+")
    return None
