"""The test tree loaded into tests/slapd.py's server, over LDAP (so that the memberof
overlay writes the users' memberOf), and what a sync must find in it.

dc=example,dc=com:
    ou=people   14 users; mallory is disabled (employeeType=disabled); departmentNumber
                CAE: alice, bob, carol and mallory
    ou=groups   engineering > mechanical > cae > fem > fem-solvers: five levels of nesting,
                one user added at each; mechanical also holds proj-x, a group in
                ou=projects (outside group_base);
                everyone: every user, more than a page (SIZE_LIMIT) of members;
                viewers: a groupOfUniqueNames (uniqueMember);
                loop-a and loop-b hold each other (a cycle)
    ou=projects proj-x (heidi)
dc=second,dc=org: a second directory: oscar and peggy in design.
"""

from __future__ import annotations

EXAMPLE, SECOND = "dc=example,dc=com", "dc=second,dc=org"
PEOPLE = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
          "ken", "laura", "mallory", "niaj")
DISABLED = "mallory"
CAE = ("alice", "bob", "carol", "mallory")
ENABLED = tuple(sorted(set(PEOPLE) - {DISABLED}))
# group -> (its users, its groups), added in this order (members before their groups)
GROUPS = {
    "fem-solvers": (("erin", "mallory"), ()),
    "fem": (("dave",), ("fem-solvers",)),
    "cae": (("carol",), ("fem",)),
    "mechanical": (("bob",), ("cae", "proj-x")),
    "engineering": (("alice",), ("mechanical",)),
    "everyone": (PEOPLE, ()),
    "loop-a": (("ivan",), ()),
    "loop-b": (("judy",), ("loop-a",)),
}
# every enabled user of each group, through its nesting
ALL_USERS = {
    "fem-solvers": {"erin"},
    "fem": {"dave", "erin"},
    "cae": {"carol", "dave", "erin"},
    "mechanical": {"bob", "carol", "dave", "erin", "heidi"},
    "engineering": {"alice", "bob", "carol", "dave", "erin", "heidi"},
    "everyone": set(ENABLED),
    "loop-a": {"ivan", "judy"},
    "loop-b": {"ivan", "judy"},
    "viewers": {"frank", "grace"},
    "proj-x": {"heidi"},
}


def user_dn(login: str, suffix: str = EXAMPLE) -> str:
    return f"uid={login},ou=people,{suffix}"


def group_dn(name: str, suffix: str = EXAMPLE) -> str:
    ou = "projects" if name == "proj-x" else "groups"
    return f"cn={name},ou={ou},{suffix}"


def add_user(connection, login: str, suffix: str = EXAMPLE, **extra) -> None:
    connection.add(user_dn(login, suffix), ["inetOrgPerson"],
                   {"uid": login, "cn": login.title(), "sn": login.title(),
                    "displayName": f"{login.title()} Example", "mail": f"{login}@example.com",
                    **extra})


def add_group(connection, name: str, users, groups=(), suffix: str = EXAMPLE) -> None:
    members = [user_dn(u, suffix) for u in users] + [group_dn(g, suffix) for g in groups]
    connection.add(group_dn(name, suffix), ["groupOfNames"], {"cn": name, "member": members})


def add_base(connection, suffix: str, organisational_units) -> None:
    from .slapd import READER_SECRET, reader_dn

    top = suffix.split(",")[0].split("=")[1]
    connection.add(suffix, ["dcObject", "organization"], {"dc": top, "o": top})
    connection.add(reader_dn(suffix), ["organizationalRole", "simpleSecurityObject"],
                   {"cn": "reader", "userPassword": READER_SECRET})
    for ou in organisational_units:
        connection.add(f"ou={ou},{suffix}", ["organizationalUnit"], {"ou": ou})


def load_tree(slapd) -> None:
    example = slapd.admin(EXAMPLE)
    add_base(example, EXAMPLE, ("people", "groups", "projects"))
    for login in PEOPLE:
        extra = {"departmentNumber": "CAE"} if login in CAE else {}
        if login == DISABLED:
            extra["employeeType"] = "disabled"
        add_user(example, login, **extra)
    add_group(example, "proj-x", ["heidi"])
    for name, (users, groups) in GROUPS.items():
        add_group(example, name, users, groups)
    example.modify(group_dn("loop-a"), {"member": [("MODIFY_ADD", [group_dn("loop-b")])]})
    example.add(group_dn("viewers"), ["groupOfUniqueNames"],
                {"cn": "viewers", "uniqueMember": [user_dn("frank"), user_dn("grace")]})
    example.unbind()
    second = slapd.admin(SECOND)
    add_base(second, SECOND, ("people", "groups"))
    for login in ("oscar", "peggy"):
        add_user(second, login, SECOND)
    add_group(second, "design", ["oscar", "peggy"], suffix=SECOND)
    second.unbind()
