"""The vendor daemons of a licence file and their options files.

A VENDOR line may name its daemon's options file (`VENDOR ugslmd /path options=/path/ugs.opt`,
or the fourth field); there is one options file per vendor daemon (flexlm-admin.md §1.1). A
relative path is taken relative to the licence file's directory, as the simulator reads it.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass

from .license import LicenseFile, options_path


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
