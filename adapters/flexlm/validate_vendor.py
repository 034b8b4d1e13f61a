"""The options-file checks of a server with several vendor daemons (OPT031, OPT032, listed in
validate.py): each daemon reads only its own options file, so a line about a feature another
daemon serves never takes effect.

What a daemon serves: the licence file's FEATURE, INCREMENT and PACKAGE lines of that VENDOR,
and the features lmstat lists under it (`served_by`, feature -> daemons).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from lmconsole.adapter import Finding

from .findings import at as _at
from .license import LicenseFile
from .options import OptionsFile
from .validate_pools import FEATURE_KEYWORDS

UNKNOWN_VENDOR_CODE = "OPT032"


def daemons_serving(license_file: LicenseFile | None,
                    served_by: Mapping[str, Collection[str]] | None) -> dict[str, set[str]]:
    """Feature (package, component) name -> the vendor daemons that serve it."""
    serving = license_file.vendors_serving() if license_file is not None else {}
    for name, daemons in (served_by or {}).items():
        serving.setdefault(name, set()).update(d for d in daemons if d)
    return serving


def check_vendor(options: OptionsFile, vendor: str, serving: Mapping[str, set[str]]
                 ) -> list[Finding]:
    """OPT031: a feature line naming a feature that `vendor` does not serve and another
    daemon does. An error like OPT009: the daemon ignores the line, so the reservation,
    limit or list the administrator meant does not exist."""
    findings = []
    for d in options.with_keyword(*FEATURE_KEYWORDS):
        spec = d.feature
        daemons = serving.get(spec.name, set()) if spec is not None else set()
        if not daemons or vendor in daemons:
            continue
        others = " and ".join(sorted(daemons))
        files = "its options file" if len(daemons) == 1 else "their options files"
        findings.append(_at(spec.token, "error", "OPT031",
                            f"{spec.name!r} is served by {others}, not by {vendor}, which reads "
                            f"this file and ignores the line; move it to {files}"))
    return findings


def unknown_vendor_note(license_file: LicenseFile) -> Finding | None:
    """OPT032 (info), for a check without a server: the licence file has several vendor
    daemons and none of their VENDOR lines names this options file, so its features are
    checked against every daemon's."""
    names = sorted({v.name for v in license_file.vendors if v.name})
    if len(names) < 2:
        return None
    return Finding(1, 1, "info", UNKNOWN_VENDOR_CODE,
                   f"the licence file has {len(names)} vendor daemons ({', '.join(names)}) and "
                   f"no VENDOR line names this options file: its features are checked against "
                   f"all of them; name its daemon with --vendor")
