"""How `check-options` and `check-license` read their files and print their findings.

Text output is one line per finding, `path:line:col: severity: message [code]`, the form
editors and CI parse; `fmt == "json"` prints one object with the path, the diagnostics and a
summary. Exit codes (DESIGN.md): 0 clean (info notes allowed), 1 errors or warnings,
2 unreadable input.
"""

from __future__ import annotations

import json
from typing import TextIO

from lmconsole.adapter import Finding
from lmconsole.inputs import InputError, read_text_input

from .common import PROG


def read_text(path: str) -> str:
    return read_text_input(path, "a text file")[0]


def input_error(error: InputError, err: TextIO) -> int:
    err.write(f"{PROG}: error: {error}\n")
    return 2


def report(path: str, findings: list[Finding], summary: dict, fmt: str, out: TextIO) -> int:
    counts = {severity: sum(1 for f in findings if f.severity == severity)
              for severity in ("error", "warning", "info")}
    totals = {"errors": counts["error"], "warnings": counts["warning"], "info": counts["info"]}
    if fmt == "json":
        diagnostics = [{"line": f.line, "column": f.column, "severity": f.severity,
                        "code": f.code, "message": f.message} for f in findings]
        payload = {"path": path, "diagnostics": diagnostics,
                   "summary": {**totals, **summary}}
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        for f in findings:
            out.write(f"{path}:{f.line}:{f.column}: {f.severity}: {f.message} [{f.code}]\n")
    return 1 if counts["error"] or counts["warning"] else 0
