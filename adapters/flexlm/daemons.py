"""The vendor daemons of a licence file and their options files.

A VENDOR line may name its daemon's options file (`VENDOR ugslmd /path options=/path/ugs.opt`,
or the fourth field); there is one options file per vendor daemon (flexlm-admin.md §1.1). A
relative path is taken relative to the licence file's directory, as the simulator reads it.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass

from lmconsole.adapter import OptionsFileOwner

from .license import LicenseFile, options_path
from .validate_vendor import unknown_vendor_note


@dataclass(frozen=True, slots=True)
class VendorOptions:
    """The options file one VENDOR line names."""

    vendor: str
    path: str  # as the transport opens it: relative paths joined to the licence's directory
    line: int  # the VENDOR line's number in the licence file


def vendor_options_files(license_file: LicenseFile, license_path: str | None
                         ) -> list[VendorOptions]:
    """The options file of each VENDOR line that names one, in the licence file's order."""
    directory = posixpath.dirname(license_path) if license_path else ""
    found = []
    for vendor in license_file.vendors:
        written = options_path(vendor)
        if vendor.name and written:
            path = written if posixpath.isabs(written) else posixpath.join(directory, written)
            found.append(VendorOptions(vendor.name, path, vendor.entry.line))
    return found


def vendor_of_options_file(license_file: LicenseFile, license_path: str | None,
                           options_file: str) -> tuple[VendorOptions, bool] | None:
    """The VENDOR line naming `options_file`, and whether by its path (False: by its file
    name only, for a copy of the file kept elsewhere: when only one VENDOR line names a file
    of that name). None when no line names it."""
    named = vendor_options_files(license_file, license_path)
    for entry in named:
        if _same_file(entry.path, options_file):
            return entry, True
    by_name = [e for e in named
               if posixpath.basename(e.path) == os.path.basename(options_file)]
    return (by_name[0], False) if len(by_name) == 1 else None


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normpath(a) == os.path.normpath(b)


def options_file_owner(license_file: LicenseFile, license_path: str | None, options_file: str,
                       vendor: str | None) -> OptionsFileOwner:
    """`vendor` when given, else the daemon whose VENDOR line names `options_file`; with
    neither on a licence file of several daemons, a note (OPT032) says its features are
    checked against all of them."""
    daemons = sorted({v.name for v in license_file.vendors if v.name})
    if vendor is not None:
        if vendor not in daemons:
            raise ValueError(f"{license_path or 'the licence file'} has no VENDOR {vendor} "
                             f"line (its vendor daemons: {', '.join(daemons) or 'none'})")
        return OptionsFileOwner(vendor, "--vendor")
    found = vendor_of_options_file(license_file, license_path, options_file)
    if found is None:
        return OptionsFileOwner(None, None, unknown_vendor_note(license_file))
    named, by_path = found
    how = "names this file" if by_path else f"names a file of this name ({named.path})"
    return OptionsFileOwner(named.vendor, f"VENDOR line {named.line} of {license_path} {how}")
