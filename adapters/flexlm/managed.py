"""Managed blocks of a FlexLM options file: lines lmconsole writes and keeps in sync between
two marker comments, leaving every line outside them as it was, byte for byte.

    # BEGIN lmconsole managed block: groups (generated; edits inside are replaced)
    GROUP CAE ann bob \\
        cyd
    # END lmconsole managed block: groups

`replace_block` puts new lines between a block's markers (adding the block at the end of
the file the first time); `group_lines` writes GROUP / HOST_GROUP lines, continued with `\\`
and split into several lines of the same name (which FlexLM merges) before a logical line
grows past the 4,000 characters the daemon reads; `pool_lines` compiles allocation pools
into GROUP, RESERVE, MAX and INCLUDE lines and refuses more seats than the licence file has.
Pure functions: nothing here raises on bad input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from lmconsole.adapter import PoolAllocation

from .license import parse_license
from .options import continues, line_content, parse_options, physical_lines
from .validate import MAX_LINE


class AllocationRefused(NamedTuple):
    """More seats asked for a feature than there are to give."""

    feature: str
    asked: int
    available: int
    why: str  # "10 licensed, 2 reserved by lines outside the pools block", "not in ..."

    @property
    def message(self) -> str:
        return (f"{self.feature}: {self.asked} seat(s) allocated to pools, {self.available} "
                f"available ({self.why})")


BLOCK_TITLES = {"groups": "generated from the directory",
                "pools": "generated from the pools of lmconsole's configuration"}
_MARKER = re.compile(r"\s*#\s*(BEGIN|END) lmconsole managed block: ([\w-]+)")
_NAME = re.compile(r'[^\s"#\\]+')  # what FlexLM can read as one name on a GROUP line
WRAP_AT = 100  # physical line width the generated lines keep to (a readable file)
INDENT = "    "


def begin_marker(block: str) -> str:
    title = BLOCK_TITLES.get(block, block)
    return f"# BEGIN lmconsole managed block: {block} ({title}; edits inside are replaced)"


def end_marker(block: str) -> str:
    return f"# END lmconsole managed block: {block}"


class BlockSpan(NamedTuple):
    begin: int  # 0-based index of the BEGIN marker's physical line
    end: int  # of the END marker's


def find_block(text: str, block: str) -> tuple[BlockSpan | None, str | None]:
    """Where the block's markers are (None: not in the file), or why the file's markers
    cannot be trusted (a BEGIN without its END, twice the same block ...)."""
    begins, ends = [], []
    for index, line in enumerate(physical_lines(text)):
        match = _MARKER.match(line_content(line))
        if match and match[2] == block:
            (begins if match[1] == "BEGIN" else ends).append(index)
    if not begins and not ends:
        return None, None
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        where = ", ".join(f"line {i + 1}" for i in sorted(begins + ends))
        return None, (f"the markers of the managed block {block!r} are broken ({where}): "
                      "one BEGIN line then one END line expected; fix them by hand first")
    return BlockSpan(begins[0], ends[0]), None


def block_lines(text: str, block: str) -> list[str] | None:
    """The lines between the block's markers, without line endings (None: no block)."""
    span, _ = find_block(text, block)
    if span is None:
        return None
    return [line_content(line) for line in physical_lines(text)[span.begin + 1:span.end]]


def replace_block(text: str, block: str, lines: Sequence[str]) -> tuple[str | None, str | None]:
    """`text` with the block holding `lines` (the file's line endings kept), and None; or
    None and why the block cannot be written. Lines outside the block are not touched."""
    span, broken = find_block(text, block)
    if broken:
        return None, broken
    physical = physical_lines(text)
    newline = "\r\n" if physical and physical[0].endswith("\r\n") else "\n"
    body = [line + newline for line in lines]
    if span is not None:
        if span.begin and continues(line_content(physical[span.begin - 1])):
            return None, (f"line {span.begin} ends with a \\ that would continue into the "
                          f"managed block {block!r}: remove it first")
        return "".join(physical[:span.begin + 1] + body + physical[span.end:]), None
    if physical and continues(line_content(physical[-1])):
        return None, (f"the last line ({len(physical)}) ends with a \\ that would continue "
                      "into a managed block added after it: remove it first")
    head = text
    if physical and not physical[-1].endswith(("\n", "\r")):
        head += newline
    if physical and line_content(physical[-1]).strip():
        head += newline  # a blank line before the block
    return head + "".join([begin_marker(block) + newline, *body, end_marker(block) + newline]), None


# ---- GROUP and HOST_GROUP lines --------------------------------------------------------------

def group_lines(keyword: str, name: str, members: Iterable[str], *, limit: int = MAX_LINE,
                width: int = WRAP_AT) -> tuple[list[str], list[str]]:
    """`keyword name member ...` over as many physical lines (continued with `\\`) and
    logical lines (repeating `keyword name`) as the members need, each logical line at most
    `limit` characters; sorted, so the same members always give the same lines. Also the
    notes on members left out (a name FlexLM cannot read)."""
    members = set(members)
    notes = [f"{keyword} {name}: {member!r} left out (a name with spaces, quotes, # or \\)"
             for member in sorted(members) if not _NAME.fullmatch(member)]
    wanted = sorted(m for m in members if _NAME.fullmatch(m))
    if not _NAME.fullmatch(name):
        return [], [f"{keyword} {name!r}: not written (a group name with spaces, quotes, # or \\)"]
    if not wanted:
        return [f"# {keyword} {name}: no members"], notes
    head = f"{keyword} {name}"
    lines: list[str] = []
    logical = [head]  # the physical lines of the logical line being written
    for member in wanted:
        if sum(map(len, logical)) + _added(logical, member, width) > limit \
                and logical != [head]:
            lines += logical
            logical = [head]
        if _wraps(logical, member, width):
            logical[-1] += " \\"
            logical.append(INDENT + member)
        else:
            logical[-1] += " " + member
    return lines + logical, notes


def _wraps(logical: list[str], member: str, width: int) -> bool:
    """Does `member` begin a new physical line? When the line has a member already and
    would grow past `width` with it (room kept for a ` \\` after it)."""
    if len(logical[-1]) + 1 + len(member) + 2 <= width:
        return False
    return len(logical) > 1 or len(logical[0].split()) > 2


def _added(logical: list[str], member: str, width: int) -> int:
    """How much longer the logical line grows with `member` (a `\\` joins as a space)."""
    return 2 + len(INDENT) + len(member) if _wraps(logical, member, width) else 1 + len(member)


def groups_block(groups: Mapping[str, Iterable[str]], host_groups: Mapping[str, Iterable[str]],
                 *, limit: int = MAX_LINE) -> tuple[list[str], list[str]]:
    """The lines of the `groups` block: GROUP lines, then HOST_GROUP lines, by name."""
    lines: list[str] = []
    notes: list[str] = []
    for keyword, table in (("GROUP", groups), ("HOST_GROUP", host_groups)):
        for name in sorted(table):
            written, said = group_lines(keyword, name, table[name], limit=limit)
            lines += written
            notes += said
    return lines, notes


# ---- allocation pools ------------------------------------------------------------------------

def pool_lines(pools: Sequence[PoolAllocation], license_text: str | None, outside: str = ""
               ) -> tuple[list[str], list[str], list[str]]:
    """The `pools` block for `pools`: per pool a GROUP line of its users, then per feature
    `RESERVE n feature GROUP pool` (its seats are kept for it) and `MAX n feature GROUP pool`
    (it gets no more); a feature a pool closes gets an INCLUDE line for every pool holding
    it, which locks everyone else out. Refused (and no lines): a feature the licence file
    does not grant, or more seats reserved for a feature, by the pools and by the RESERVE
    lines `outside` the block, than the licence file has (over_allocated); a pool named like a
    group `outside` defines, which FlexLM would merge into the pool's. A pool without users
    gets no lines. Also notes (pools without users, no licence file to check against)."""
    refused = [r.message for r in over_allocated(pools, license_text, outside)]
    defined = {d.group.text for d in parse_options(outside).with_keyword("GROUP") if d.group}
    refused += [f"pool {pool.name}: a GROUP {pool.name} is defined outside the pools block, "
                "and FlexLM would merge it into the pool's group; rename the pool"
                for pool in pools if pool.name in defined]
    if refused:
        return [], refused, []
    lines: list[str] = []
    notes: list[str] = [] if license_text is not None else [
        "no licence file: the pools' seats are not checked against it"]
    staffed = sorted((p for p in pools if p.users), key=lambda p: p.name)
    notes += [f"pool {p.name}: no users, so no seats are kept for it" for p in pools
              if not p.users]
    closed = {feature for pool in pools for feature in pool.closes}
    for pool in staffed:
        members, said = group_lines("GROUP", pool.name, pool.users)
        notes += said
        lines += [f"# pool {pool.name}" + (f" (manager: {pool.manager})" if pool.manager else ""),
                  *members]
        for feature, count in sorted(pool.seats.items()):
            lines.append(f"RESERVE {count} {feature} GROUP {pool.name}")
            lines.append(f"MAX {count} {feature} GROUP {pool.name}")
    for feature in sorted(closed):
        lines += [f"INCLUDE {feature} GROUP {pool.name}" for pool in staffed
                  if feature in pool.seats]
    return lines, [], notes


def _licensed_seats(license_text: str) -> dict[str, int | None]:
    """Seats per feature name over all its pools; None: uncounted."""
    seats: dict[str, int | None] = {}
    for pool in parse_license(license_text).pools:
        if pool.name in seats and seats[pool.name] is None:
            continue
        seats[pool.name] = None if pool.seats is None else seats.get(pool.name, 0) + pool.seats
    return seats


def reserved_outside(outside: str) -> dict[str, int]:
    """Seats the RESERVE lines of `outside` (the file without the pools block) keep, per
    feature name. A GROUP's reservation is its count once, however many users it has."""
    found: dict[str, int] = {}
    for d in parse_options(outside).with_keyword("RESERVE"):
        if d.feature is not None and d.number is not None:
            found[d.feature.name] = found.get(d.feature.name, 0) + d.number
    return found


def over_allocated(pools: Sequence[PoolAllocation], license_text: str | None, outside: str = ""
                   ) -> list[AllocationRefused]:
    """The features the pools ask more seats of than the licence file has, less those the
    RESERVE lines `outside` keep; and those it does not grant. None without a licence."""
    if license_text is None:
        return []
    seats = _licensed_seats(license_text)
    asked: dict[str, int] = {}
    for pool in pools:
        for feature, count in pool.seats.items():
            asked[feature] = asked.get(feature, 0) + count
    others = reserved_outside(outside)
    refused = []
    for feature, count in sorted(asked.items()):
        if feature not in seats:
            refused.append(AllocationRefused(feature, count, 0, "not in the licence file"))
            continue
        licensed = seats[feature]
        if licensed is None:
            continue  # uncounted: anyone may run it, there is nothing to allocate
        available = max(licensed - others.get(feature, 0), 0)
        if count > available:
            why = f"{licensed} licensed" + (f", {others[feature]} reserved by lines outside "
                                            "the pools block" if others.get(feature) else "")
            refused.append(AllocationRefused(feature, count, available, why))
    return refused


class ManagedBlocks:
    """The managed blocks as lmconsole.adapter.OptionsBlocks offers them to the core."""

    replace_block = staticmethod(replace_block)
    block_lines = staticmethod(block_lines)

    def groups_block(self, groups, host_groups):
        return groups_block(groups, host_groups)

    def pools_block(self, pools, license_text, outside=""):
        return pool_lines(pools, license_text, outside)
