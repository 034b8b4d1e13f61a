"""A server polled again: the seat lines its previous output had are not read again, the
seats they gave are given back (the same objects, which the console compares by identity),
and only while they would be read the same (the same zone, the same status date)."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from lmconsole.adapters.flexlm import FlexlmAdapter
from lmconsole.adapters.flexlm.lmstat import SeatLines, parse_lmstat

STATUS = """lmutil - Copyright (c) 1989-2024 Flexera. All Rights Reserved.
Flexible License Manager status on {day}

License server status: 27000@lic1
    License file(s) on lic1: /opt/flexlm/license.dat:

lic1: license server UP (MASTER) v11.19.6

Vendor daemon status (on lic1):

  MLM: UP v11.19.6
Feature usage info:

Users of MATLAB:  (Total of 10 licenses issued;  Total of 2 licenses in use)

  "MATLAB" v47, vendor: MLM, expiry: 31-dec-2027
  floating license

    jane pc1 pc1 (v47) (lic1/27000 101), start Mon 11/23 9:00
    {second}

Users of SIMULINK:  (Total of 5 licenses issued;  Total of 1 license in use)

  "SIMULINK" v47, vendor: MLM, expiry: 31-dec-2027
  floating license

    ann pc3 pc3 (v47) (lic1/27000 301), start Sun 12/20 8:00
"""
BOB = "bob pc2 pc2 (v47) (lic1/27000 201), start Mon 11/23 9:30"
CAROL = "carol pc4 pc4 (v47) (lic1/27000 401), start Mon 11/23 9:45"
MONDAY = "Mon 11/23/2026 10:05"


def seats(report) -> dict[str, object]:
    [server] = report.servers
    return {seat.user: seat for feature in server.features for seat in feature.checkouts}


def test_a_seat_polled_again_is_the_same_object_and_a_new_one_is_read():
    before = SeatLines()
    first = seats(parse_lmstat(STATUS.format(day=MONDAY, second=BOB), name="lic",
                               seats_before=before))
    again = seats(parse_lmstat(STATUS.format(day=MONDAY, second=CAROL), name="lic",
                               seats_before=before))
    assert again["jane"] is first["jane"] and again["ann"] is first["ann"]
    assert "bob" not in again and again["carol"].handle == 401
    assert again == seats(parse_lmstat(STATUS.format(day=MONDAY, second=CAROL), name="lic"))
    assert len(before.seats) == 3 and not any("bob" in line for line in before.seats)


def test_a_new_status_date_or_zone_reads_every_seat_again():
    """Ann's `12/20` is 2025-12-20 on 2026-11-23 but 2026-12-20 once the status is of
    2026-12-21: a start's year depends on the status date."""
    before = SeatLines()
    monday = seats(parse_lmstat(STATUS.format(day=MONDAY, second=BOB), name="lic",
                                seats_before=before))
    later = seats(parse_lmstat(STATUS.format(day="Mon 12/21/2026 10:05", second=BOB),
                               name="lic", seats_before=before))
    assert monday["ann"].start.year == 2025 and later["ann"].start.year == 2026
    assert later["jane"] is not monday["jane"]
    berlin = seats(parse_lmstat(STATUS.format(day="Mon 12/21/2026 10:05", second=BOB),
                                name="lic", tz=ZoneInfo("Europe/Berlin"),
                                seats_before=before))
    assert berlin["jane"].start.tzinfo == ZoneInfo("Europe/Berlin") != later["jane"].start.tzinfo


def test_the_adapter_keeps_each_servers_seats_apart():
    adapter = FlexlmAdapter()
    text = STATUS.format(day=MONDAY, second=BOB)
    first = seats(adapter.parse_status(text, name="a", tz=UTC, now=None))
    other = seats(adapter.parse_status(text, name="b", tz=UTC, now=None))
    again = seats(adapter.parse_status(text, name="a", tz=UTC, now=None))
    assert again["bob"] is first["bob"] and other["bob"] is not first["bob"]
