"""Reading users and groups from a real slapd (tests/slapd.py, tree in
tests/directory_tree.py): paging under the server's size limit, nested groups to a depth
limit, member / uniqueMember / memberOf, attribute groups, disabled users left out, two
directories, LDAPS and StartTLS with the certificate checked, the bind secret from the
environment or a command. AD's ranged attributes and in-chain matching rule cannot run
on slapd: their logic is tested without a server at the end."""

from __future__ import annotations

import sys

import ldap3
import pytest

from lmconsole.adapters.ldap import DirectoryError, connect, read_directory
from lmconsole.adapters.ldap.reader import in_chain_filter, ranged_values
from lmconsole.config import parse_config

from .directory_tree import ALL_USERS, CAE, DISABLED, ENABLED, EXAMPLE, SECOND
from .slapd import READER_SECRET, SIZE_LIMIT, Slapd, reader_dn, slapd_fixture  # noqa: F401

SECRET_ENV = {"LDAP_SECRET": READER_SECRET}


def directory_config(slapd: Slapd, suffix: str = EXAMPLE, **overrides):
    """One [[directories]] table for the test tree, as a user would write it."""
    settings = {
        "name": "corp", "url": slapd.ldap_url, "ca_file": str(slapd.ca_file),
        "bind_dn": reader_dn(suffix), "bind_secret_env": "LDAP_SECRET",
        "user_base": f"ou=people,{suffix}", "group_base": f"ou=groups,{suffix}",
        "disabled_filter": "(employeeType=disabled)", "page_size": SIZE_LIMIT,
        **overrides}
    lines = ["[[directories]]"]
    groups = settings.pop("attribute_groups", {})
    for key, value in settings.items():
        if value is not None:  # None: the key left out
                lines.append(f"{key} = {_toml(value)}")
    if groups:
        lines.append("[directories.attribute_groups]")
        lines += [f'{name} = "{query}"' for name, query in groups.items()]
    return parse_config("\n".join(lines) + "\n", "/tmp/config.toml").directories[0]


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def read(slapd: Slapd, **overrides):
    directory = directory_config(slapd, **overrides)
    connection = connect(directory, SECRET_ENV)
    try:
        return read_directory(connection, directory)
    finally:
        connection.unbind()


def test_the_server_limits_a_plain_search_so_paging_is_needed(slapd):
    plain = ldap3.Connection(ldap3.Server("127.0.0.1", port=slapd.port), reader_dn(EXAMPLE),
                             READER_SECRET, auto_bind=True, raise_exceptions=True)
    plain.search(f"ou=people,{EXAMPLE}", "(objectClass=inetOrgPerson)", attributes=["uid"])
    assert plain.result["description"] == "sizeLimitExceeded"
    assert len(plain.entries) == SIZE_LIMIT < len(ENABLED)
    plain.unbind()


def test_users_and_nested_groups_are_read_page_by_page(slapd):
    tree, counts = read(slapd)
    assert sorted(tree.users) == list(ENABLED)  # mallory, disabled, left out
    assert tree.users["alice"].display_name == "Alice Example"
    assert tree.users["alice"].mail == "alice@example.com"
    assert {name: set(users) for name, users in tree.all_users.items()} == ALL_USERS
    assert tree.subgroups["mechanical"] == {"cae", "proj-x"}
    assert tree.direct_users["everyone"] == set(ENABLED)  # 13 members: three pages' worth
    assert counts.per_search_pages[0] == -(-len(ENABLED) // SIZE_LIMIT)  # users: 3 pages
    assert counts.pages > counts.searches
    assert tree.groups["proj-x"].dn == f"cn=proj-x,ou=projects,{EXAMPLE}"  # outside group_base
    assert tree.diagnostics == ()


def test_nesting_deeper_than_the_limit_is_cut_and_said(slapd):
    tree, _ = read(slapd, nesting_depth=2)
    assert tree.all_users["engineering"] == {"alice", "bob", "carol", "heidi"}  # 2 levels down
    assert tree.all_users["cae"] == {"carol", "dave", "erin"}
    assert any(note.startswith("group engineering: groups nested more than 2 levels")
               and "fem" in note for note in tree.diagnostics)


def test_membership_from_the_users_memberof_alone(slapd):
    tree, _ = read(slapd, member_attributes=["uniqueMember"])  # member not read: memberOf
    assert tree.direct_users["everyone"] == set(ENABLED)
    assert tree.direct_users["fem"] == {"dave"}
    assert tree.direct_users["viewers"] == {"frank", "grace"}  # uniqueMember
    assert tree.subgroups["fem"] == set()  # memberOf names users' groups, not nesting


def test_attribute_groups_hold_the_enabled_users_a_filter_selects(slapd):
    tree, _ = read(slapd, attribute_groups={"dept-CAE": "(departmentNumber=CAE)"})
    assert tree.all_users["dept-CAE"] == set(CAE) - {DISABLED}
    assert tree.groups["dept-CAE"].source == "attribute"


def test_a_second_directory_is_read_on_its_own(slapd):
    tree, _ = read(slapd, suffix=SECOND, name="second")
    assert sorted(tree.users) == ["oscar", "peggy"]
    assert dict(tree.all_users) == {"design": {"oscar", "peggy"}}


def test_ldaps_checks_the_certificate_against_the_configured_ca(slapd):
    tree, _ = read(slapd, url=slapd.ldaps_url)
    assert "alice" in tree.users


def test_a_certificate_not_trusted_is_refused_by_default(slapd, tmp_path):
    from .slapd import write_certificates

    other_ca, _, _ = write_certificates(tmp_path)  # a CA that did not sign the server's
    for url in (slapd.ldaps_url, slapd.ldap_url):  # LDAPS, and StartTLS
        with pytest.raises(DirectoryError, match="CERTIFICATE_VERIFY_FAILED|certificate"):
            read(slapd, url=url, ca_file=str(other_ca))


def test_a_wrong_secret_is_refused_and_not_shown(slapd):
    directory = directory_config(slapd)
    with pytest.raises(DirectoryError) as refused:
        connect(directory, {"LDAP_SECRET": "not-the-secret"})
    assert "invalidCredentials" in str(refused.value)
    assert "not-the-secret" not in str(refused.value)
    with pytest.raises(DirectoryError, match="LDAP_SECRET .bind_secret_env. is not set"):
        connect(directory, {})


def test_the_secret_can_come_from_a_command(slapd, tmp_path):
    script = tmp_path / "secret.py"
    script.write_text(f"print({READER_SECRET!r})\n")
    tree, _ = read(slapd, bind_secret_env=None, bind_secret_command=[sys.executable, str(script)])
    assert "alice" in tree.users
    failing = tmp_path / "fail.py"
    failing.write_text("import sys; sys.exit('vault locked')\n")
    with pytest.raises(DirectoryError, match="exited 1: vault locked"):
        read(slapd, bind_secret_env=None, bind_secret_command=[sys.executable, str(failing)])


def test_a_page_larger_than_the_server_allows_is_explained(slapd):
    with pytest.raises(DirectoryError, match="lower page_size"):
        read(slapd, page_size=SIZE_LIMIT + 1)


# ---- Active Directory's parts, without a server (slapd has neither) -----------------------

def test_ranged_values_are_read_to_the_last_range():
    """AD sends 1,500 values of a large `member` a time; the next range is asked for
    until one ends in `*`. Here the server's answers are a table, not a mock server."""
    members = [f"cn=u{n},dc=x" for n in range(3200)]
    answers = {"member;range=1500-*": {"member;range=1500-2999": members[1500:3000]},
               "member;range=3000-*": {"member;range=3000-*": members[3000:]}}
    asked = []

    def fetch(wanted):
        asked.append(wanted)
        return answers[wanted]

    first = {"cn": ["big"], "member;range=0-1499": members[:1500]}
    assert ranged_values(first, "member", fetch) == members
    assert asked == ["member;range=1500-*", "member;range=3000-*"]
    assert ranged_values({"member": members[:3]}, "member", fetch) == members[:3]
    assert ranged_values({"cn": ["empty"]}, "member", fetch) == []


def test_the_in_chain_filter_escapes_the_group_dn():
    assert in_chain_filter("CN=R&D (EU),OU=Groups,DC=corp") == \
        r"(memberOf:1.2.840.113556.1.4.1941:=CN=R&D \28EU\29,OU=Groups,DC=corp)"
