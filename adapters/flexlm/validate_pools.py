"""The options-file checks that need the licence file (OPT009-OPT013 and OPT023, listed in
validate.py, whose `validate_options` runs them): features the licence file lacks, the pools
a feature spec selects, seat counts. Also the pool matching they rest on, which whatif.py
(`line_matches`) and complete.py (`pool_qualifier`) share.

Seat counts (OPT011-OPT013) of a package are its enabling FEATURE's seats times the
component's `:n` count, unless the package is OPTIONS=SUITE (flexlm-admin.md §1.7).
"""
from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Collection, Iterable

from lmconsole.adapter import Finding

from .dates import BadDate, parse_expiry
from .findings import at as _at
from .license import FeatureLine, LicenseFile, PackageLine, Pool
from .options import Directive, FeatureSpec, OptionsFile, Token

FEATURE_KEYWORDS = ("INCLUDE", "EXCLUDE", "INCLUDE_BORROW", "EXCLUDE_BORROW", "RESERVE", "MAX",
                     "MAX_BORROW_HOURS", "MAX_OVERDRAFT", "BORROW_LOWWATER", "LINGER", "TIMEOUT")
# The pool qualifiers a hint may suggest, most readable first (flexlm-admin.md §1.3).
_QUALIFIER_KEYS = ("VERSION", "asset_info", "dist_info", "user_info", "EXPDATE", "HOSTID",
                   "ISSUER", "VENDOR_STRING", "NOTICE", "KEY", "SIGN")


def check_against_license(options: OptionsFile, lic: LicenseFile, groups: dict,
                          unchecked: Collection[str] = ()) -> list[Finding]:
    """The OPT009-OPT013 and OPT023 findings on `options`; `groups`: its GROUP lines by
    name; `unchecked`: feature names served, but not by the lines of `lic` (validate.py)."""
    findings: list[Finding] = []
    known = lic.feature_names | lic.package_names | _component_names(lic)
    reserved: dict[tuple, int] = defaultdict(int)  # (spec name, pool's first line) -> seats
    included: dict[tuple, set[str]] = defaultdict(set)
    for d in options.with_keyword(*FEATURE_KEYWORDS):
        spec = d.feature
        if spec is None or not spec.name or spec.name in unchecked:
            continue
        if spec.name not in known:
            close = difflib.get_close_matches(spec.name, sorted(known), n=3)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            findings.append(_at(spec.token, "error", "OPT009",
                                f"{spec.name!r} is not a feature or package of the licence "
                                f"file{hint}"))
            continue
        pools = _matching_pools(lic, spec)
        all_pools = lic.pools_of(spec.name)
        if spec.qualified and all_pools and not pools:
            findings.append(_at(spec.token, "warning", "OPT023",
                                f"no licence line of {spec.name} has {spec.key}={spec.value}"))
            continue
        findings += _check_pool_choice(spec, pools, all_pools)
        multiplier = _package_multiplier(lic, spec.name)
        if d.keyword == "RESERVE" and d.number is not None:
            findings += _check_reserved(d, pools, len(all_pools), multiplier, reserved)
        seats = _seats(pools)
        if seats is None:
            continue
        seats *= multiplier
        key = spec_key(spec)
        if d.keyword == "MAX" and d.number is not None and d.number > seats:
            findings.append(_at(d, "warning", "OPT012",
                                f"MAX {d.number} is above the {seats} seats of {spec.name}"))
        if d.keyword == "INCLUDE" and d.names:
            before = len(included[key])
            included[key] |= _names(d, groups)
            if len(included[key]) > seats >= before:
                findings.append(_at(d, "warning", "OPT013",
                                    f"the INCLUDE list of {spec.name} now names "
                                    f"{len(included[key])}, more than its {seats} seats"))
    return findings


def _check_pool_choice(spec: FeatureSpec, pools: list[Pool], all_pools: list[Pool]
                       ) -> list[Finding]:
    """OPT010: the qualifier is mandatory for a USER_BASED/HOST_BASED feature and selects one
    pool (§1.3); a spec that still matches several pools is not yet qualified enough."""
    based = [_based(p) for p in pools if p.user_based or p.host_based]
    if len(pools) > 1:
        why = f"{spec.name}:{spec.key}={spec.value} matches {len(pools)} pools" \
            if spec.qualified else f"{spec.name} has {len(pools)} pools"
        if based:
            why += f", {len(based)} of them {'/'.join(sorted(set(based)))}"
    elif based and not spec.qualified:
        why = f"{spec.name} is {based[0]}"
    else:
        return []
    qualifiers = (pool_qualifier(p, all_pools) for p in pools)
    choices = [f"{spec.name}:{q}" for q in qualifiers if q is not None]
    if choices:
        shown = " or ".join(choices[:3]) + (" ..." if len(choices) > 3 else "")
        advice = f"{'narrow the qualifier' if spec.qualified else 'qualify it'}, e.g. {shown}"
    else:
        advice = "no qualifier tells its pools apart"
    return [_at(spec.token, "warning", "OPT010", f"{why}: {advice}")]


def _based(pool: Pool) -> str:
    return "USER_BASED" if pool.user_based else "HOST_BASED"


def pool_qualifier(pool: Pool, pools: Iterable[Pool]) -> str | None:
    """`KEY=value` that selects `pool` and no other of `pools` (the pools of its feature),
    or None. VERSION= only when the versions differ; values that would need quotes are
    not offered."""
    others = [p for p in pools if p is not pool]
    for key in _QUALIFIER_KEYS:
        value = _qualifier_value(pool.lines[0], key)
        if not value or any(c.isspace() or c == '"' for c in value):
            continue
        spec = FeatureSpec(pool.name, key, value, False, Token("", 0, 0))
        if not any(line_matches(line, spec) for p in others for line in p.lines):
            return f"{key}={value}"
    return None


def _qualifier_value(line: FeatureLine, key: str) -> str | None:
    if key == "VERSION":
        return line.version
    if key == "EXPDATE":
        return line.expiry_text
    if key == "KEY":
        return line.bare_words[0] if line.bare_words else None
    return line.attribute(key)


def _check_reserved(d: Directive, pools: list[Pool], pool_count: int, multiplier: int,
                    reserved: dict[tuple, int]) -> list[Finding]:
    """OPT011. The vendor daemon applies a RESERVE line to each pool its feature spec matches
    (ls_build_opt in ls_get_opts.c), and reservations come out of that pool's seats (§1.5)."""
    over = None
    for pool in pools:
        key = (d.feature.name, pool.lines[0].entry.line)
        reserved[key] += d.number
        if over is None and pool.seats is not None \
                and reserved[key] > pool.seats * multiplier:
            over = pool, reserved[key]
    if over is None:
        return []
    pool, total = over
    where = "the pool has" if pool_count == 1 else \
        f"its pool of line {pool.lines[0].entry.line} has"
    return [_at(d, "warning", "OPT011",
                f"reservations for {d.feature.name} reach {total}, but {where} "
                f"{pool.seats * multiplier} seats; only the first apply")]


def _names(d: Directive, groups: dict) -> set[str]:
    name = d.names[0].text
    if d.type == "GROUP":
        return {f"USER {m.text}" for g in groups.get(name, ()) for m in g.names}
    return {f"{d.type} {name}"}


def spec_key(spec: FeatureSpec) -> tuple:
    """What makes two feature specs the same: the name and the qualifier."""
    return (spec.name, (spec.key or "").upper(), spec.value)


def _matching_pools(lic: LicenseFile, spec: FeatureSpec) -> list[Pool]:
    pools = lic.pools_of(spec.name)
    if not spec.qualified:
        return pools
    return [p for p in pools if any(line_matches(line, spec) for line in p.lines)]


def line_matches(line: FeatureLine, spec: FeatureSpec) -> bool:
    """Whether licence line `line` has the qualifier of `spec`: versions compare as numbers,
    dates as dates, and KEY= matches a bare licence key or SIGN=."""
    key, value = (spec.key or "").upper(), " ".join((spec.value or "").split())
    if key == "VERSION":
        return line.version == value or _float(line.version) == _float(value) is not None
    if key == "EXPDATE":
        return _same_date(line.expiry_text, value)
    if key == "KEY" and value in line.bare_words:
        return True
    found = line.attribute("SIGN" if key == "KEY" else key)
    return found is not None and " ".join(found.split()) == value


def _component_names(lic: LicenseFile) -> set[str]:
    return {name for package in lic.packages for name, _, _ in package.components}


def _package_multiplier(lic: LicenseFile, name: str) -> int:
    """Seats of `name` per seat of its enabling FEATURE: 1 for a plain feature or a SUITE
    package; else the `:n` of `f1:ver:n`, of the scarcest component, since an option on a
    package applies to each component."""
    package = next((p for p in lic.packages if p.name == name), None)
    if package is None or _is_suite(package):
        return 1
    return min((count or 1 for _, _, count in package.components), default=1)


def _is_suite(package: PackageLine) -> bool:
    return any(a.key.upper() == "OPTIONS" and (a.value or "").upper().startswith("SUITE")
               for a in package.entry.attributes())


def _seats(pools: list[Pool]) -> int | None:
    if not pools or any(p.seats is None for p in pools):
        return None
    return sum(p.seats or 0 for p in pools)


# --- small helpers ------------------------------------------------------------------------


def _float(text: str | None) -> float | None:
    """A version as a number; ASCII only (float() takes any Unicode digit)."""
    if text is None or not text.isascii():
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _same_date(a: str | None, b: str) -> bool:
    try:
        return a is not None and parse_expiry(a) == parse_expiry(b)
    except BadDate:
        return (a or "").lower() == b.lower()
