"""The model's records that are not NamedTuples (lmconsole.model.Record): what frozen
dataclasses gave them, kept without importing dataclasses."""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, date, datetime

import pytest

from lmconsole.adapter import StatusReport
from lmconsole.model import Feature, LicenseHost, Pool, ServerStatus, Snapshot, Status


def feature(**changes) -> Feature:
    fields = {"name": "MATLAB", "vendor": "MLM", "issued": 10, "in_use": 2,
              "pools": (Pool("39", date(2026, 12, 31), "floating"),)}
    return Feature(**{**fields, **changes})


def test_fields_by_position_and_keyword_with_their_defaults():
    host = LicenseHost("lic-a", 27000, Status.UP, True)
    assert (host.host, host.port, host.status, host.master, host.version, host.error,
            host.error_code) == ("lic-a", 27000, Status.UP, True, None, None, None)
    assert feature().checkouts == () and feature().denied is None
    with pytest.raises(TypeError):
        LicenseHost("lic-a", 27000)  # status is required
    with pytest.raises(TypeError):
        LicenseHost("lic-a", 27000, Status.UP, colour="red")


def test_equal_by_fields_hashable_and_shown_by_repr():
    assert feature() == feature() and hash(feature()) == hash(feature())
    assert feature() != feature(in_use=3) and len({feature(), feature(), feature(in_use=3)}) == 2
    report = StatusReport((), (), None)
    assert report != Snapshot(datetime(2026, 1, 1, tzinfo=UTC), ())  # another type: unequal
    assert feature() != ("MATLAB", "MLM")
    assert repr(LicenseHost("h", None, Status.DOWN)) == (
        "LicenseHost(host='h', port=None, status=<Status.DOWN: 'down'>, master=False, "
        "version=None, error=None, error_code=None)")


def test_immutable_and_replaced_by_a_changed_copy():
    original = feature()
    with pytest.raises(AttributeError):
        original.in_use = 5
    with pytest.raises(AttributeError):
        del original.name
    changed = original._replace(in_use=5, vendor=None)
    assert (changed.in_use, changed.vendor, changed.name) == (5, None, "MATLAB")
    assert original.in_use == 2
    with pytest.raises(TypeError, match="no field seats"):
        original._replace(seats=1)


def test_copied_pickled_and_matched_like_a_dataclass():
    status = ServerStatus("lic1", "27000@lic-a", Status.UP, features=(feature(),))
    assert copy.copy(status) == status and copy.deepcopy(status) == status
    assert pickle.loads(pickle.dumps(status)) == status
    match status:
        case ServerStatus(name, source, Status.UP):
            assert (name, source) == ("lic1", "27000@lic-a")
        case _:
            pytest.fail("no match")
