"""Managed blocks of FlexLM options files (adapters/flexlm/managed.py): the block round trip
(generated, the file edited elsewhere, regenerated: the lines outside untouched, the second
run a no-op, on mutated files too), GROUP lines continued and split within FlexLM's line limit, pools compiled
into the lines written out by hand here, and over-allocation refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from lmconsole.adapter import PoolAllocation
from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.flexlm.managed import (
    AllocationRefused,
    begin_marker,
    block_lines,
    end_marker,
    find_block,
    group_lines,
    over_allocated,
    pool_lines,
    replace_block,
)
from lmconsole.adapters.flexlm.options import parse_options
from lmconsole.adapters.flexlm.sim.options import parse_options as daemon_reads
from lmconsole.adapters.flexlm.validate import MAX_LINE, validate_options
from lmconsole.config import ConfigError, parse_config
from lmconsole.managed.plan import groups_text, pools_text
from tests.test_parsers_never_raise import LICENSE as NEVER_RAISE_LICENSE
from tests.test_parsers_never_raise import OPTIONS as NEVER_RAISE_OPTIONS
from tests.test_parsers_never_raise import mutated

BLOCKS = ADAPTERS["flexlm"].options_blocks()
OPTIONS = ("# Options of the design office\r\n"
           "GROUPCASEINSENSITIVE OFF\r\n"
           "INCLUDE AutoCAD GROUP partners\t# trailing words kept as written\r\n"
           "GROUP partners hfischer \\\r\n"
           "    gweber\r\n")
LICENCE = """\
SERVER lic01 ANY 27000
VENDOR demo
INCREMENT CAD demo 2.0 31-dec-2026 6 SIGN=0
INCREMENT FEM demo 1.0 31-dec-2026 2 SIGN=0
INCREMENT FEM demo 2.0 31-dec-2026 1 SIGN=0
INCREMENT Viewer demo 1.0 permanent uncounted HOSTID=ANY SIGN=0
"""


def test_a_block_is_added_at_the_end_then_replaced_in_place_and_the_rest_kept_byte_for_byte():
    first, why = replace_block(OPTIONS, "groups", ["GROUP cae ann bob"])
    assert why is None
    assert first == OPTIONS + "\r\n" + begin_marker("groups") + "\r\nGROUP cae ann bob\r\n" \
        + end_marker("groups") + "\r\n"
    edited = "# a line added above by hand\r\n" + first + "TIMEOUTALL 3600\r\n"
    second, _ = replace_block(edited, "groups", ["GROUP cae ann bob cyd"])
    assert second == edited.replace("GROUP cae ann bob\r\n", "GROUP cae ann bob cyd\r\n")
    assert replace_block(second, "groups", ["GROUP cae ann bob cyd"]) == (second, None)
    assert block_lines(second, "groups") == ["GROUP cae ann bob cyd"]
    assert replace_block(second, "groups", [])[0] == edited.replace("GROUP cae ann bob\r\n", "")


def test_blocks_of_different_names_live_side_by_side():
    text, _ = replace_block("", "groups", ["GROUP a x"])
    text, _ = replace_block(text, "pools", ["GROUP p y"])
    text, _ = replace_block(text, "groups", ["GROUP a z"])
    assert block_lines(text, "groups") == ["GROUP a z"]
    assert block_lines(text, "pools") == ["GROUP p y"]
    assert text.startswith(begin_marker("groups") + "\n")  # an empty file gets no blank line


@pytest.mark.parametrize("text, says", [
    (f"{begin_marker('groups')}\nGROUP a x\n", "markers of the managed block 'groups' are "
                                               "broken (line 1)"),
    (f"{end_marker('groups')}\n{begin_marker('groups')}\n", "broken (line 1, line 2)"),
    (f"{begin_marker('groups')}\n{end_marker('groups')}\n{begin_marker('groups')}\n"
     f"{end_marker('groups')}\n", "broken (line 1, line 2, line 3, line 4)"),
    ("GROUP a x \\\n", "the last line (1) ends with a \\"),
    (f"GROUP a x \\\n{begin_marker('groups')}\n{end_marker('groups')}\n", "line 1 ends with a"),
])
def test_broken_markers_or_a_dangling_continuation_refuse_the_block(text, says):
    new, why = replace_block(text, "groups", ["GROUP a y"])
    assert new is None and says in why


def test_long_groups_are_continued_and_split_within_the_line_limit():
    members = [f"user{n:04d}" for n in range(900)]  # 900 x 9 characters: 8,100
    lines, notes = group_lines("GROUP", "everyone", reversed(members))
    assert notes == []
    text = "\n".join(lines) + "\n"
    options = parse_options(text)
    groups = options.with_keyword("GROUP")
    assert len(groups) == 3  # three logical lines, which FlexLM merges
    assert all(len(g.logical_text) <= MAX_LINE for g in groups)
    assert all(len(line) <= 100 for line in lines)
    for line, following in zip(lines, lines[1:]):
        assert line.endswith(" \\") == following.startswith("    ")
    assert [t.text for g in groups for t in g.names] == members  # sorted, none lost
    assert daemon_reads(text).groups == {"everyone": members}
    assert [f.code for f in validate_options(options)] == ["OPT007"] * 2  # info: merged


def test_a_small_limit_splits_sooner_and_odd_names_are_left_out_with_a_note():
    lines, notes = group_lines("HOST_GROUP", "labs", ["pc3", "pc1", "pc2", "pc 4", 'pc"5'],
                               limit=len("HOST_GROUP labs pc1 pc2"))
    assert lines == ["HOST_GROUP labs pc1 pc2", "HOST_GROUP labs pc3"]
    assert notes == ["HOST_GROUP labs: 'pc 4' left out (a name with spaces, quotes, # or \\)",
                     "HOST_GROUP labs: 'pc\"5' left out (a name with spaces, quotes, # or \\)"]
    assert group_lines("GROUP", "nobody", []) == (["# GROUP nobody: no members"], [])


def test_the_groups_block_round_trip_through_the_plan():
    groups = {"cae": {"carol", "dave", "erin"}, "fem": {"dave", "erin"}}
    hosts = {"cae-hosts": {"ws01.corp", "ws02.corp"}}
    new, refused, notes = groups_text(BLOCKS, OPTIONS, groups, hosts)
    assert refused == [] and notes == []
    assert block_lines(new, "groups") == ["GROUP cae carol dave erin", "GROUP fem dave erin",
                                          "HOST_GROUP cae-hosts ws01.corp ws02.corp"]
    assert new.startswith(OPTIONS)
    again, _, _ = groups_text(BLOCKS, new, groups, hosts)
    assert again == new  # idempotent
    groups["fem"] = {"erin"}
    edited = new.replace("GROUPCASEINSENSITIVE OFF", "GROUPCASEINSENSITIVE ON")
    third, _, _ = groups_text(BLOCKS, edited, groups, hosts)
    assert third == edited.replace("GROUP fem dave erin", "GROUP fem erin")


POOLS = [PoolAllocation("cae_team", frozenset({"carol", "dave"}), {"CAD": 3, "FEM": 2},
                        frozenset({"FEM"}), manager="carol"),
         PoolAllocation("design", frozenset({"oscar"}), {"CAD": 2, "FEM": 1}, frozenset({"FEM"}))]


def test_pools_compile_into_the_lines_an_admin_would_write():
    lines, refused, notes = pool_lines(POOLS, LICENCE)
    assert refused == [] and notes == []
    assert lines == [
        "# pool cae_team (manager: carol)",
        "GROUP cae_team carol dave",
        "RESERVE 3 CAD GROUP cae_team",
        "MAX 3 CAD GROUP cae_team",
        "RESERVE 2 FEM GROUP cae_team",
        "MAX 2 FEM GROUP cae_team",
        "# pool design",
        "GROUP design oscar",
        "RESERVE 2 CAD GROUP design",
        "MAX 2 CAD GROUP design",
        "RESERVE 1 FEM GROUP design",
        "MAX 1 FEM GROUP design",
        "INCLUDE FEM GROUP cae_team",
        "INCLUDE FEM GROUP design",
    ]
    findings = validate_options(parse_options("\n".join(lines) + "\n"))
    assert [f for f in findings if f.severity != "info"] == []


def test_over_allocation_is_refused_naming_the_feature_the_asked_and_the_available():
    bigger = [*POOLS, PoolAllocation("extra", frozenset({"zed"}), {"FEM": 1, "Nope": 1})]
    outside = "RESERVE 1 CAD USER boss\n"
    assert over_allocated(bigger, LICENCE, outside) == [
        AllocationRefused("FEM", 4, 3, "3 licensed"),
        AllocationRefused("Nope", 1, 0, "not in the licence file")]
    assert pool_lines(bigger, LICENCE, outside) == ([], [
        "FEM: 4 seat(s) allocated to pools, 3 available (3 licensed)",
        "Nope: 1 seat(s) allocated to pools, 0 available (not in the licence file)"], [])
    tight = [PoolAllocation("a", frozenset({"x"}), {"CAD": 6})]
    assert pool_lines(tight, LICENCE, outside)[1] == [
        "CAD: 6 seat(s) allocated to pools, 5 available (6 licensed, 1 reserved by lines "
        "outside the pools block)"]
    uncounted = [PoolAllocation("a", frozenset({"x"}), {"Viewer": 50})]
    assert over_allocated(uncounted, LICENCE) == []


def test_the_pools_block_counts_the_files_own_reservations_but_not_its_old_block():
    text, *_ = pools_text(BLOCKS, "RESERVE 1 CAD USER boss\n", POOLS[:1], LICENCE)
    assert block_lines(text, "pools")[2] == "RESERVE 3 CAD GROUP cae_team"
    more = [PoolAllocation("cae_team", frozenset({"carol"}), {"CAD": 5})]
    again, refused, _ = pools_text(BLOCKS, text, more, LICENCE)
    assert again is not None and refused == []  # the old 3 are replaced
    too_many = [PoolAllocation("cae_team", frozenset({"carol"}), {"CAD": 6})]
    assert pools_text(BLOCKS, text, too_many, LICENCE) == (None, [
        "CAD: 6 seat(s) allocated to pools, 5 available (6 licensed, 1 reserved by lines "
        "outside the pools block)"], [])


def test_a_pool_named_like_a_group_outside_its_block_is_refused():
    new, refused, *_ = pools_text(BLOCKS, "GROUP design oscar peggy\n", POOLS[1:], LICENCE)
    assert new is None
    assert refused == ["pool design: a GROUP design is defined outside the pools block, and "
                       "FlexLM would merge it into the pool's group; rename the pool"]


CONFIG = """
[[servers]]
name = "lic1"
license = "27000@lic1"
options_file = "/opt/lic/demo.opt"

[[managed_groups]]
server = "lic1"
groups = ["cae", "fem"]
host_groups = ["cae-hosts"]
directory = "corp"

[[pools]]
name = "cae_team"
server = "lic1"
group = "cae"
seats = { CAD = 3, FEM = 2 }
closed = true
manager = "carol"
"""


def test_pools_and_managed_groups_are_read_from_the_configuration():
    config = parse_config(CONFIG, "config.toml")
    (managed,) = config.managed_groups
    assert (managed.server, managed.groups, managed.host_groups, managed.directory) == (
        "lic1", ("cae", "fem"), ("cae-hosts",), "corp")
    (pool,) = config.pools
    assert pool.seats == (("CAD", 3), ("FEM", 2)) and pool.closed and pool.manager == "carol"
    assert pool.group == "cae" and pool.users == ()


@pytest.mark.parametrize("old, new, says", [
    ('group = "cae"', "", "needs its users: group = a directory group, or users = a list"),
    ('server = "lic1"\ngroup', "group", "pools[0].server: required"),
    ("seats = { CAD = 3, FEM = 2 }", "", "pools[0].seats: required"),
    ("{ CAD = 3, FEM = 2 }", "{ CAD = 0 }", "CAD: expected an integer from 1 to 100000"),
    ('name = "cae_team"', 'name = "cae team"', "a pool name an options file can hold"),
    ('server = "lic1"\ngroups', 'server = "lic9"\ngroups', 'no server named "lic9"'),
])
def test_bad_pools_and_managed_groups_are_refused_saying_what_is_wrong(old, new, says):
    assert old in CONFIG
    with pytest.raises(ConfigError) as error:
        parse_config(CONFIG.replace(old, new), "config.toml")
    assert says in str(error.value)


@settings(max_examples=150, deadline=None)
@given(mutated(NEVER_RAISE_OPTIONS), mutated(NEVER_RAISE_LICENSE))
def test_blocks_never_raise_on_mutated_files_and_regenerating_is_a_no_op(text, licence):
    lines, _, _ = pool_lines(POOLS, licence, outside=text)
    new, why = replace_block(text, "pools", lines)
    if new is None:
        assert why
        return
    assert new.startswith(text) or find_block(text, "pools")[0] is not None
    assert replace_block(new, "pools", lines) == (new, None)
    assert block_lines(new, "pools") == lines


def test_a_pool_without_users_keeps_no_seats_and_an_unknown_licence_is_said():
    empty = PoolAllocation("ghosts", frozenset(), {"FEM": 1}, frozenset({"FEM"}))
    lines, refused, notes = pool_lines([POOLS[1], empty], None)
    assert refused == []
    assert lines == ["# pool design", "GROUP design oscar", "RESERVE 2 CAD GROUP design",
                     "MAX 2 CAD GROUP design", "RESERVE 1 FEM GROUP design",
                     "MAX 1 FEM GROUP design", "INCLUDE FEM GROUP design"]
    assert notes == ["no licence file: the pools' seats are not checked against it",
                     "pool ghosts: no users, so no seats are kept for it"]


def test_config_show_writes_pools_and_managed_groups_back_as_read():
    from lmconsole.config import render_config

    config = parse_config(CONFIG, "config.toml")
    again = parse_config(render_config(config), "config.toml")
    assert (again.pools, again.managed_groups) == (config.pools, config.managed_groups)
