"""OPT029: an INCLUDE list that locks out the feature's recent users.

Judged with the what-if's own model of the daemon (whatif.Policy), so that `check-options`
warns about every user `what-if` finds shut out by an INCLUDE of the same file: the same
precedence, the same case rules (GROUPCASEINSENSITIVE folds group members only), HOST and
HOST_GROUP lists, packages through the licence file. A recent user is a name alone, or
(user, host, display) as a seat or a debug-log line gives them; a list that names hosts or
displays is judged only for users seen with one, and a PROJECT list not at all.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from lmconsole.adapter import Finding

from .findings import at as _at
from .license import LicenseFile
from .options import Directive, OptionsFile
from .whatif import NOT_INCLUDED, Policy, Rule

RecentClient = str | tuple[str, str | None, str | None]  # user, or (user, host, display)
_BY_HOST = ("HOST", "HOST_GROUP", "INTERNET")


def check_lockout(options: OptionsFile, license_file: LicenseFile | None,
                  recent: Mapping[str, Collection[RecentClient]]) -> list[Finding]:
    policy = Policy.from_options(options, license_file)
    directives = {d.line: d for d in options.with_keyword("INCLUDE", "INCLUDEALL")}
    findings = []
    for feature in sorted(recent):
        rules = [r for r in policy.rules
                 if r.keyword == "INCLUDE" and policy.applies(r, feature, None)]
        if not rules or any(r.kind == "PROJECT" for r in rules):
            continue
        clients = [_client(c) for c in recent[feature]]
        judged = [c for c in clients if _can_judge(rules, *c)]
        left_out = sorted({user for user, host, display in judged
                           if policy.decide(user, host, display, feature).reason_code
                           == NOT_INCLUDED})
        if left_out:
            users = len({user for user, _, _ in clients})
            shown = ", ".join(left_out[:5]) + (", ..." if len(left_out) > 5 else "")
            findings.append(_at(_first_line(rules, directives), "warning", "OPT029",
                                f"the INCLUDE list of {feature} admits only those on it: "
                                f"{len(left_out)} of its {users} recent users would be "
                                f"denied ({shown})"))
    return findings


def _client(recent: RecentClient) -> tuple[str, str | None, str | None]:
    return (recent, None, None) if isinstance(recent, str) else recent


def _can_judge(rules: list[Rule], user: str, host: str | None, display: str | None) -> bool:
    """Whether this client's admission can be told: not when a line names a host or a
    display and the client's is not known."""
    return not any(r.kind in _BY_HOST and host is None or r.kind == "DISPLAY" and display is None
                   for r in rules)


def _first_line(rules: list[Rule], directives: Mapping[int, Directive]) -> Directive:
    return directives[min(r.line for r in rules)]
