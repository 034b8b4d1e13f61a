"""What a managed block would make of a server's options file, before anything is written:
the directory groups or pools resolved to users (from the history's directory sync), the
block's new lines, the whole new text, its findings, its diff and its what-if.

The save itself is lmconsole.edit's safe path (apply.py); the lines are the adapter's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from lmconsole.adapter import Finding, LiveUse, OptionsBlocks, PoolAllocation
from lmconsole.edit import Draft, errors_in, open_file, unified_diff

GROUPS = "groups"
POOLS = "pools"


@dataclass(frozen=True)
class Plan:
    """The new text of one options file with one block regenerated, or why not."""

    server: str
    path: str
    block: str
    draft: Draft  # the file as read: its text and the version a save must find
    text: str | None  # None: refused
    refused: tuple[str, ...] = ()  # why nothing may be written
    notes: tuple[str, ...] = ()  # members left out, empty groups ...
    findings: tuple[Finding, ...] = ()
    what_if: str | None = None

    @property
    def changed(self) -> bool:
        return self.text is not None and self.text != self.draft.text

    @property
    def errors(self) -> list[Finding]:
        return errors_in(self.findings)

    @property
    def diff(self) -> str:
        return unified_diff(self.draft.text, self.text, self.path) if self.changed else ""


# ---- who is in each group ------------------------------------------------------------------

async def directory_members(store, names: Iterable[str], at: int, directory: str | None
                            ) -> tuple[dict[str, set[str]], list[str]]:
    """The users of each named group as the history has them at `at` (nested groups'
    too), and the names of those it does not know."""
    from lmconsole.history.directory import groups_as_of, members_as_of

    known = await groups_as_of(store, at, directory)
    members = await members_as_of(store, at, directory)
    wanted = list(dict.fromkeys(names))
    found = {name: set(members.get(name, ())) for name in wanted if name in known}
    return found, [name for name in wanted if name not in known]


def unknown_groups_message(missing: Sequence[str], directory: str | None) -> str:
    where = f"directory {directory}" if directory else "any synced directory"
    return (f"no group {', '.join(missing)} in {where} (run `lmconsole directory sync`, "
            "check the names with `lmconsole directory groups`)")


async def pool_allocations(store, pools: Sequence, at: int
                           ) -> tuple[list[PoolAllocation], list[str]]:
    """The configured pools ([[pools]], PoolConfig) with their users (a directory group's
    as the history has them at `at`) and the seats their managers set; and the groups the
    history does not know."""
    from .seats import with_managers_seats

    pools = await with_managers_seats(store, pools)
    allocations, missing = [], []
    closes = {feature for pool in pools if pool.closed for feature, _ in pool.seats}
    for pool in pools:
        users = set(pool.users)
        if pool.group:
            found, unknown = await directory_members(store, [pool.group], at, pool.directory)
            if unknown:
                missing.append(f"pool {pool.name}: "
                               + unknown_groups_message(unknown, pool.directory))
            users = found.get(pool.group, set())
        seats = dict(pool.seats)
        allocations.append(PoolAllocation(pool.name, frozenset(users), seats,
                                          frozenset(closes & set(seats)), pool.manager))
    return allocations, missing


# ---- the new text ----------------------------------------------------------------------------

def groups_text(blocks: OptionsBlocks, text: str, groups: Mapping[str, Iterable[str]],
                host_groups: Mapping[str, Iterable[str]]
                ) -> tuple[str | None, list[str], list[str]]:
    """(new text or None, why not, notes) with the `groups` block regenerated."""
    lines, notes = blocks.groups_block(groups, host_groups)
    new, broken = blocks.replace_block(text, GROUPS, lines)
    return new, [broken] if broken else [], notes


def pools_text(blocks: OptionsBlocks, text: str, pools: list[PoolAllocation],
               license_text: str | None) -> tuple[str | None, list[str], list[str]]:
    """(new text or None, why not, notes) with the `pools` block regenerated; the file's
    reservations outside the block count against the licence, its old block does not."""
    outside, broken = blocks.replace_block(text, POOLS, [])
    if broken:
        return None, [broken], []
    lines, refused, notes = blocks.pools_block(pools, license_text, outside)
    if refused:
        return None, refused, notes
    new, broken = blocks.replace_block(text, POOLS, lines)
    return new, [broken] if broken else [], notes


# ---- the plan --------------------------------------------------------------------------------

async def plan(transport, config, adapter, block: str, build, *, live: LiveUse | None = None,
               license_text: str | None = None) -> Plan:
    """Read the options file and make its new text with `build(text) -> (new text or None,
    refused, notes)`; checked and what-if'ed against `live` when it changed.
    TransportError: the file cannot be read."""
    draft = await open_file(transport, config.options_file)
    new, refused, notes = build(draft.text)
    result = Plan(config.name, draft.path, block, draft, new, tuple(refused), tuple(notes))
    if new is None or new == draft.text:
        return result
    language = adapter.options_language(license_text, getattr(config, "vendor", None))
    use = live or LiveUse()
    findings = tuple(sorted(language.check(new, use)))
    try:
        what_if = language.what_if(draft.text, new, use)
    except Exception as error:  # a gap of the what-if's model must not hide the diff  # noqa: BLE001
        what_if = f"what-if unavailable: {type(error).__name__}: {error}"
    return replace(result, findings=findings, what_if=what_if)


# ---- both blocks at once (the editor) --------------------------------------------------------

async def managed_members(store, managed: Sequence, at: int
                          ) -> tuple[dict[str, set[str]], dict[str, set[str]], list[str]]:
    """The users of the [[managed_groups]]' GROUP groups and the hosts of their HOST_GROUP
    groups, as the history has them at `at`; and what it does not know, said."""
    users: dict[str, set[str]] = {}
    hosts: dict[str, set[str]] = {}
    missing: list[str] = []
    for entry in managed:
        for names, found in ((entry.groups, users), (entry.host_groups, hosts)):
            members, unknown = await directory_members(store, names, at, entry.directory)
            if unknown:
                missing.append(unknown_groups_message(unknown, entry.directory))
            found.update(members)
    return users, hosts, missing


async def regenerate(blocks: OptionsBlocks, text: str, license_text: str | None, *, store,
                     at: int, managed: Sequence = (), pools: Sequence = ()
                     ) -> tuple[str | None, list[str], list[str]]:
    """`text` with the groups block (when `managed` names groups) and the pools block (when
    there are `pools`) regenerated: (new text or None, why not, notes)."""
    notes: list[str] = []
    if managed:
        users, hosts, missing = await managed_members(store, managed, at)
        if missing:
            return None, missing, notes
        text, refused, said = groups_text(blocks, text, users, hosts)
        notes += said
        if text is None:
            return None, refused, notes
    if pools:
        allocations, missing = await pool_allocations(store, pools, at)
        if missing:
            return None, missing, notes
        text, refused, said = pools_text(blocks, text, allocations, license_text)
        notes += said
        if text is None:
            return None, refused, notes
    return text, [], notes
