"""Write a large-site `lmutil lmstat -a -c src1:src2:...` output for the benchmark.

Deterministic (seeded). The layout follows the real outputs in ../shared/corpus/flexlm/lmstat
(see ../shared/reference/formats.md section 1): one banner and date line, then per licence
source a server block, a vendor block and its features, the sources separated by a line of
76 dashes with no new banner. The features carry what large sites really show: several pools
under one header, TAB- and 8-space-indented RESERVATION lines interleaved with users,
multi-seat checkouts, PID suffixes (some with a trailing space), linger tails, queued users,
uncounted and error headers, a feature printed twice, user names with spaces, and a triad
with one node down.

    python bench/gen_lmstat.py -o /tmp/lmstat_big.txt [--features 2000] [--users 50000]
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import datetime, timedelta

STATUS_AT = datetime(2026, 11, 23, 10, 7)  # a Monday, as the date line prints it
SEPARATOR = "-" * 76
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# (source spec, hosts (host, up, master), port, licence file, vendors)
SOURCES = (
    ("27000@lic-a.eng.example.com,27000@lic-b.eng.example.com,27000@lic-c.eng.example.com",
     (("lic-a.eng.example.com", True, False), ("lic-b.eng.example.com", True, True),
      ("lic-c.eng.example.com", False, False)),
     27000, "/opt/flexlm/licenses/eng_triad.lic", ("MLM", "ansyslmd", "CDSLMD")),
    ("27001@lic-d.example.com", (("lic-d.example.com", True, True),), 27001,
     r"F:\Autodesk\Network License Manager\lic-d.example.com.lic", ("adskflex",)),
    ("1717@lic-e.example.com", (("lic-e.example.com", True, True),), 1717,
     "/usr/local/flexlm/licenses/license.dat.eda", ("snpslmd", "mgcld")),
    ("27004@lic-f.example.com", (("lic-f.example.com", True, True),), 27004,
     "/usr/local/matlab/etc/license.lic", ("MLM", "SW_D")),
)

BASES = ("MATLAB", "SIMULINK", "Signal_Toolbox", "Optimization_Toolbox", "ANSYS_Mechanical",
         "acfd_solver", "Virtuoso_Schematic", "Spectre", "AutoCAD", "Revit", "PrimeTime",
         "DesignCompiler", "Questa_Sim", "Calibre_DRC", "SolidWorks", "Real-Time_Workshop",
         "86815AECCOL_T_F", "6AF8_D036", "cfd_base", "abaqus")


def _start(rng: random.Random) -> datetime:
    """A checkout start: mostly today, some days or weeks back (borrowed, idle seats)."""
    r = rng.random()
    if r < 0.7:
        back = timedelta(minutes=rng.randrange(0, 10 * 60))
    elif r < 0.95:
        back = timedelta(days=rng.randrange(1, 7), minutes=rng.randrange(0, 1440))
    else:
        back = timedelta(days=rng.randrange(7, 120), minutes=rng.randrange(0, 1440))
    return STATUS_AT - back


def _lmstat_time(t: datetime) -> str:
    return f"{DAYS[t.weekday()]} {t.month}/{t.day} {t.hour}:{t.minute:02d}"


def _expiry(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.15:
        return ""
    if r < 0.30:
        permanent = ("1-jan-0", "01-jan-0000", "permanent(no expiration date)")
        return ", expiry: " + rng.choice(permanent)
    d = STATUS_AT + timedelta(days=rng.randrange(-30, 900))
    month = MONTHS[d.month - 1]
    return f", expiry: {d.day:02d}-{month.upper() if rng.random() < 0.1 else month}-{d.year}"


def _user(rng: random.Random, users: list[str]) -> str:
    return rng.choice(users)


def _who(rng: random.Random, user: str) -> str:
    """`user host display`, in the forms real outputs show."""
    n = rng.randrange(1, 4000)
    r = rng.random()
    if r < 0.55:
        return f"{user} node{n:04d}.hpc.example.com /dev/tty"
    if r < 0.75:
        host = f"WS{n:05d}"
        return f"{user} {host} {host}"
    if r < 0.85:
        return f"{user} ws{n} /dev/pts/{rng.randrange(0, 40)}"
    if r < 0.95:
        return f"{user} lap{n} :0.0"
    if r < 0.98:
        return f"{user} ws{n} ws{n} 2025.1"  # an extra token before (v...)
    return f"{user} ws{n}"  # no display


def _users(rng: random.Random, count: int = 6000) -> list[str]:
    names = [f"u{rng.randrange(100000, 999999)}" for _ in range(count)]
    for i in range(0, count, 97):
        names[i] = rng.choice(("Jane Doe Jr.", "John Smith", "Administrator",
                               f"ws-{i:04d}$", "1", f"USER{i}", "o'brien"))
    return names


def _allocate(rng: random.Random, features: int, lines: int) -> list[int]:
    """User lines per feature: a few features with thousands, most with a handful or none."""
    weights = [rng.paretovariate(1.1) if rng.random() < 0.6 else 0.0 for _ in range(features)]
    total = sum(weights)
    counts = [int(lines * w / total) for w in weights]
    used = [i for i, w in enumerate(weights) if w > 0]
    for i in range(lines - sum(counts)):
        counts[used[i % len(used)]] += 1
    return counts


RESERVED_FOR = {"GROUP": ("engineers", "GROUP1", "cad_team"), "HOST_GROUP": ("lab_pcs",),
                "HOST": ("HOSTPC11", "ws0042"), "USER": ("rachel", "natal")}


def _reservation(rng: random.Random, server: str, port: int) -> str:
    """A RESERVATION line: TAB-indented mostly, 8 spaces sometimes (both are real)."""
    kind = rng.choice(("GROUP", "GROUP", "HOST", "HOST_GROUP", "USER"))
    count = rng.randrange(1, 20)
    indent = "\t" if rng.random() < 0.7 else " " * 8
    return (f"{indent}{count} RESERVATION{'s' if count > 1 else ''} for {kind} "
            f"{rng.choice(RESERVED_FOR[kind])} ({server}/{port})")


def _feature_block(rng: random.Random, name: str, vendor: str, server: str, port: int,
                   n_users: int, users: list[str], handle: list[int]) -> list[str]:
    kind = rng.random()
    if kind < 0.01 and n_users == 0:  # error headers carry no users
        return [f"Users of {name}:  (Error: 2 licenses, unsupported by licensed server)", ""]
    uncounted = kind < 0.025
    n_pools = 1 if n_users == 0 or rng.random() > 0.06 else rng.choice((2, 2, 3))
    reserved_lines = [] if n_users == 0 or rng.random() > 0.05 else [
        _reservation(rng, server, port) for _ in range(rng.randrange(1, 5))]
    queued_lines = [] if n_users == 0 or rng.random() > 0.02 else [
        f"    {_who(rng, _user(rng, users))} 2025.1 (v2025.1) ({server}/{port} "
        f"{rng.randrange(100, 99999)}) queued for {rng.choice((1, 1, 2))} license"
        for _ in range(rng.randrange(1, 4))]

    body: list[str] = []
    in_use = 0
    per_pool = [n_users // n_pools + (1 if i < n_users % n_pools else 0) for i in range(n_pools)]
    for p, pool_users in enumerate(per_pool):
        version = f"{2026 - p}.{rng.randrange(0, 3)}"
        indent = "" if rng.random() < 0.1 else "  "
        body += ["", f'{indent}"{name}" v{version}, vendor: {vendor}{_expiry(rng)}']
        if rng.random() < 0.3:
            body.append(f"{indent}vendor_string: vi=0:at=200:ae=1:lu=300:lo=CN:ep={p}")
        if uncounted:
            body.append(f"{indent}uncounted nodelocked license locked to NOTHING (hostid=ANY)")
        elif p > 0 and rng.random() < 0.5:
            body.append(f'{indent}nodelocked license, locked to "ID={rng.randrange(10**6)}"')
        else:
            body.append(f"{indent}floating license")
        body.append("")
        if p == 0:
            for line in reserved_lines:  # reservations interleave with the first users
                body.append(line)
                in_use += int(line.split()[0])
        for _ in range(pool_users):
            handle[0] += rng.randrange(1, 300)
            start = _start(rng)
            line = (f"    {_who(rng, _user(rng, users))} (v{version}) ({server}/{port} "
                    f"{handle[0]}), start {_lmstat_time(start)}")
            seats = 1 if rng.random() < 0.9 else rng.randrange(2, 32)
            if seats > 1:
                line += f", {seats} licenses"
            if vendor == "MLM" and rng.random() < 0.5:
                trailing = " " if rng.random() < 0.2 else ""  # as MATLAB R2023+ prints it
                line += f", PID: {rng.randrange(1000, 4000000)}{trailing}"
            elif rng.random() < 0.02:
                total = rng.choice((86400, 1340160, 5487240))
                line += f"  (linger: {rng.randrange(1, total)} / {total})"
            body.append(line)
            in_use += seats
        if p == 0:
            body += queued_lines
    if uncounted:
        header = f"Users of {name}:  (Uncounted, node-locked)"
    else:
        issued = max(1, in_use + rng.randrange(0, 50))
        header = (f"Users of {name}:  (Total of {issued} license{'s' if issued != 1 else ''} "
                  f"issued;  Total of {in_use} license{'s' if in_use != 1 else ''} in use)")
    if n_users == 0 and not uncounted:
        return [header, ""]
    return [header] + body + [""]


def generate(features: int = 2000, user_lines: int = 50000, seed: int = 1) -> str:
    """The whole output as one string ending in a newline."""
    rng = random.Random(seed)
    users = _users(rng)
    counts = _allocate(rng, features, user_lines)
    per_source = [features // len(SOURCES)] * len(SOURCES)
    per_source[0] += features - sum(per_source)
    out = ["lmutil - Copyright (c) 1989-2024 Flexera. All Rights Reserved.",
           f"Flexible License Manager status on {DAYS[STATUS_AT.weekday()]} "
           f"{STATUS_AT.month}/{STATUS_AT.day}/{STATUS_AT.year} "
           f"{STATUS_AT.hour}:{STATUS_AT.minute:02d}", "", "[Detecting lmgrd processes...]"]
    handle = [1000]
    index = 0
    name = ""
    for s, (spec, hosts, port, lic_file, vendors) in enumerate(SOURCES):
        if s:
            out.append(SEPARATOR)
        master = next(h for h, _, m in hosts if m)
        out += [f"License server status: {spec}",
                f"    License file(s) on {hosts[0][0]}: {lic_file}:", ""]
        for host, up, is_master in hosts:
            if up:
                out.append(f"{host}: license server UP{' (MASTER)' if is_master else ''} v11.19.6")
            else:
                out.append(f"{host}: License server machine is down or not responding. "
                           f"(-96,7:2 \"No such file or directory\")")
        out += ["", f"Vendor daemon status (on {master}):", ""]
        out += [f"  {v}: UP v11.19.6" for v in vendors]
        out += ["", "Feature usage info:", ""]
        for i in range(per_source[s]):
            vendor = vendors[i % len(vendors)]
            if not (s == 0 and i == 5):  # else the previous feature is printed twice (app1)
                name = f"{BASES[(index * 7) % len(BASES)]}_{index:04d}"
            out += _feature_block(rng, name, vendor, master, port, counts[index], users,
                                  handle)
            index += 1
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", help="file to write (default: standard output)")
    parser.add_argument("--features", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50000, help="checkout lines")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    text = generate(args.features, args.users, args.seed)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
