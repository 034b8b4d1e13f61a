"""Benchmark: parse lmstat outputs holding one long whitespace run, line shape by line shape.

The parse must stay linear in the input: before the lmstat patterns made their whitespace
quantifiers possessive, a 32 kB run in a seat line took minutes. Prints plain figures;
asserts nothing.

    .venv/bin/python bench/whitespace.py [KB ...]     (default: 32 320)
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from lmconsole.adapters.flexlm.lmstat import parse_lmstat

NOW = datetime(2026, 12, 3, tzinfo=UTC)
HEAD = ("License server status: 27000@lic1\n    License file(s) on lic1: /opt/l.lic:\n\n"
        "lic1: license server UP (MASTER) v11.16.2\n\nVendor daemon status (on lic1):\n\n"
        "     MLM: UP v11.16.2\n\nFeature usage info:\n\n"
        "Users of MATLAB:  (Total of 10 licenses issued;  Total of 2 licenses in use)\n\n"
        '  "MATLAB" v39, vendor: MLM, expiry: 31-dec-2026\n  floating license\n\n')
SEAT = "    jdoe host1 /dev/tty (v39) (lic1/27000 101), start Mon 3/4 9:12"
SHAPES = {
    "seat line, run then text": lambda n: SEAT + " " * n + "x\n",
    "seat line, tab run inside user": lambda n: SEAT.replace("jdoe", "jdoe" + "\t" * n) + " x\n",
    "pool line, run after expiry": lambda n: '  "MATLAB" v39, expiry: 1-jan-0' + " " * n + "x\n",
    "reservation, run after name":
        lambda n: "    1 RESERVATION for USER bob" + " " * n + "x (lic1/27000)\n",
    "feature header, run after colon": lambda n: "Users of MATLAB:" + " " * n + "x\n",
}


def main(argv: list[str]) -> int:
    for kb in [int(a) for a in argv] or [32, 320]:
        for shape, make in SHAPES.items():
            text = HEAD + make(kb * 1024)
            t0 = time.perf_counter()
            parse_lmstat(text, tz=UTC, now=NOW)
            print(f"{kb:5} kB whitespace run, {shape:32}: {time.perf_counter() - t0:7.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
