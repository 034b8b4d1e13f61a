"""Idle features get their vendor and expiry from the licence file (lmstat prints them only
for features in use): read through a real transport, in the snapshot and the console."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.transports.local import LocalTransport
from lmconsole.license_details import LicenceDetails, filled
from lmconsole.model import Feature, Pool, ServerStatus, Status

LICENCE = """\
SERVER lic1 0123456789ab 27000
VENDOR adskflex
FEATURE Revit adskflex 1.000 31-dec-2027 3 SIGN=0
FEATURE Permanent adskflex 1.000 permanent 2 SIGN=0
INCREMENT Revit adskflex 1.000 30-jun-2027 2 SIGN=0
"""


@dataclass
class Config:
    name: str = "office"
    license_file: str | None = None


def idle(name: str) -> Feature:
    return Feature(name, None, 5, 0)


def status(*features: Feature) -> ServerStatus:
    return ServerStatus("office", "27000@lic1", Status.UP, features=features)


def test_an_idle_feature_takes_the_vendor_and_pools_of_the_licence_file(tmp_path):
    path = tmp_path / "license.lic"
    path.write_text(LICENCE)
    details = LicenceDetails(Config(license_file=str(path)), ADAPTERS["flexlm"],
                             LocalTransport())
    result = asyncio.run(details.fill(status(idle("Revit"), idle("Permanent"), idle("Other"))))
    revit, permanent, other = result.features
    assert revit.vendor == "adskflex" and revit.earliest_expiry == date(2027, 6, 30)
    assert permanent.vendor == "adskflex" and permanent.pools and \
        permanent.pools[0].expiry is None  # "permanent" in the table
    assert other == idle("Other")  # not in the licence file: as lmstat said


def test_what_lmstat_said_wins_and_nothing_is_read_without_a_licence_file(tmp_path):
    in_use = Feature("Revit", "adskflex", 5, 1,
                     pools=(Pool("2.0", date(2030, 1, 1), "floating", vendor="adskflex"),))
    assert filled(status(in_use), {"Revit": (Pool("1.0", None, "floating", "x"),)}) == \
        status(in_use)
    details = LicenceDetails(Config(), ADAPTERS["flexlm"], LocalTransport())
    assert asyncio.run(details.fill(status(idle("Revit")))) == status(idle("Revit"))


def test_an_unreadable_licence_file_leaves_the_status_as_it_was(tmp_path):
    details = LicenceDetails(Config(license_file=str(tmp_path / "missing.lic")),
                             ADAPTERS["flexlm"], LocalTransport())
    assert asyncio.run(details.fill(status(idle("Revit")))) == status(idle("Revit"))


def test_the_licence_file_is_read_again_only_when_due(tmp_path):
    path = tmp_path / "license.lic"
    path.write_text(LICENCE)
    now = [0.0]
    details = LicenceDetails(Config(license_file=str(path)), ADAPTERS["flexlm"],
                             LocalTransport(), clock=lambda: now[0])
    asyncio.run(details.fill(status()))
    path.write_text(LICENCE.replace("adskflex", "other"))
    assert asyncio.run(details.fill(status(idle("Revit")))).features[0].vendor == "adskflex"
    now[0] = 301.0
    assert asyncio.run(details.fill(status(idle("Revit")))).features[0].vendor == "other"


def test_the_demo_snapshot_names_idle_features_vendor_and_expiry():
    result = subprocess.run([sys.executable, "-m", "lmconsole", "snapshot", "--demo",
                             "--format", "json"], capture_output=True, text=True, timeout=120)
    document = json.loads(result.stdout)
    # lsmon names no vendor: a Sentinel RMS server's features have none to show
    idle_features = [f for s in document["servers"] if s["manager"] != "rms"
                     for f in s["features"] if not f["in_use"]]
    assert idle_features
    for feature in idle_features:
        assert feature["vendor"], feature["name"]
        assert feature["pools"], feature["name"]
    rms_features = [f for s in document["servers"] if s["manager"] == "rms"
                    for f in s["features"]]
    assert rms_features and all(f["vendor"] is None and f["pools"] for f in rms_features)
