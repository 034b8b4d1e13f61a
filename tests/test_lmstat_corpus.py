"""The lmstat parser against every real lmstat output in the shared corpus.

The expected figures were read off the files by hand (and cross-checked with grep): number of
"Users of" blocks, user lines, seats those lines hold, reservation and queued lines, pools.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from lmconsole.adapters.flexlm.lmstat import parse_lmstat
from lmconsole.model import Status

from .corpus import LMSTAT, read_corpus

# file: (features, checkout lines, seats on them, reservation lines, queued, borrowed, pools)
EXPECTED = {
    "exporter_app1_reservations_host_group_linger_queued_garbled_display.txt":
        (54, 127, 2294, 332, 2, 2, 32),
    "exporter_app2_three_server_triad.txt": (10, 38, 38, 0, 0, 0, 3),
    "exporter_app3_two_vendor_daemons_large_user_list.txt": (46, 168, 206, 0, 0, 0, 5),
    "exporter_app5_matlab_pid_suffix_vendor_string.txt": (122, 85, 85, 0, 0, 0, 20),
    "flexlm_stat_json_two_servers_dashed_separator_linger_numeric_user.txt":
        (3, 2, 2, 0, 0, 1, 1),
    "license_manager_doc_abaqus_triad_unindented_feature_header.txt": (1, 38, 737, 0, 0, 0, 1),
    "license_manager_error_getting_status_connection_refused.txt": (0, 0, 0, 0, 0, 0, 0),
    "license_manager_fragment_feature_eq_display.txt": (1, 3, 1600, 0, 0, 0, 0),
    "license_manager_fragment_two_version_pools.txt": (1, 3, 3, 0, 0, 0, 2),
    "umich_flux_matlab_real_large_multi_checkout.txt": (51, 375, 375, 0, 0, 0, 6),
}


def parse(file_name: str, **kwargs):
    return parse_lmstat(read_corpus("flexlm", "lmstat", file_name), **kwargs)


def test_every_corpus_lmstat_file_is_covered():
    assert sorted(p.name for p in LMSTAT.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_counts(name):
    report = parse(name)
    features = [f for s in report.servers for f in s.features]
    checkouts = [c for f in features for c in f.checkouts]
    figures = (
        len(features),
        len(checkouts),
        sum(c.count for c in checkouts),
        sum(len(f.reservations) for f in features),
        sum(len(f.queued) for f in features),
        sum(c.borrowed for c in checkouts),
        sum(len(f.pools) for f in features),
    )
    assert figures == EXPECTED[name]
    assert report.recognised and report.truncated_at is None


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_has_no_diagnostics_but_the_samples_elisions(name):
    report = parse(name)
    for diagnostic in report.diagnostics:
        assert diagnostic.text.strip() == "...", diagnostic
        assert diagnostic.message == "elided line in the sample"


def test_triad_with_master_and_reservations():
    report = parse("exporter_app1_reservations_host_group_linger_queued_garbled_display.txt",
                   tz=ZoneInfo("Europe/Berlin"))
    (server,) = report.servers
    assert server.source == "27002@host-1.domain.net,27002@host2.domain.net,27002@host3.domain.net"
    assert server.status is Status.UP
    assert [(h.host, h.port, h.master, h.version) for h in server.hosts] == [
        ("host-1.domain.net", 27002, False, "v11.7"),
        ("host2.domain.net", 27002, True, "v11.7"),
        ("host3.domain.net", 27002, False, "v11.7"),
    ]
    assert [(v.name, v.status, v.version) for v in server.vendors] == [
        ("VENDOR1", Status.UP, "v11.6")]
    assert server.license_files == ("/usr/local/flexlm/licenses/license.dat.app1",)
    assert report.reported_at == datetime(2017, 10, 20, 17, 2, tzinfo=ZoneInfo("Europe/Berlin"))

    feature1 = server.features[0]
    assert (feature1.name, feature1.issued, feature1.in_use) == ("feature1", 1814, 1206)
    assert feature1.pools[0].version == "61.9" and feature1.pools[0].vendor == "VENDOR1"
    assert feature1.reservations[0] == (1, "HOST", "HOSTPC11", 0, "host3.domain.net", 27002)
    assert feature1.reservations[2][:3] == (48, "GROUP", "GROUP1")
    assert len(feature1.reservations) == 11  # interleaved with a user line
    assert feature1.reserved == 1 + 10 + 48 + 8 + 8 + 7 + 8 + 10 + 8 + 8 + 16
    first = feature1.checkouts[0]
    assert (first.user, first.host, first.display, first.count, first.handle) == (
        "USER9", "SERVER45823008", "SERVER45823008", 5, 7086)


def test_duplicate_feature_names_are_kept_apart():
    report = parse("exporter_app1_reservations_host_group_linger_queued_garbled_display.txt")
    names = [f.name for f in report.servers[0].features]
    assert names.count("feature42") == 2


def test_user_and_display_with_spaces_and_garbage():
    report = parse("exporter_app1_reservations_host_group_linger_queued_garbled_display.txt")
    feature100 = next(f for f in report.servers[0].features if f.name == "feature100")
    assert [(c.user, c.host, c.display) for c in feature100.checkouts] == [
        ("user13", "server0356", "/dev/tty"),
        ("Administrator", "ServerS1", "|)8<fZ)=Y[<7L$lY-p\\<6nn^Y"),
        ("John Doe", "John_D", "\"U,K$`Ct`0'\"C iQwgGsne<&!"),
        ("Jane Doe Jr.", "jane", "icc&f3rU7|<7R/oW/r`?Fj_K5"),
    ]
    assert feature100.in_use == 2  # printed total kept, though four lines follow


def test_start_dates_resolve_to_the_most_recent_past_date():
    report = parse("exporter_app1_reservations_host_group_linger_queued_garbled_display.txt")
    feature100 = next(f for f in report.servers[0].features if f.name == "feature100")
    starts = [c.start for c in feature100.checkouts]
    assert starts[0] == datetime(2017, 10, 20, 10, 53, tzinfo=UTC)
    assert starts[1] == datetime(2017, 6, 11, 11, 1, tzinfo=UTC)


def test_linger_and_queued():
    report = parse("exporter_app1_reservations_host_group_linger_queued_garbled_display.txt")
    features = {f.name: f for f in report.servers[0].features}
    borrowed = [c for c in features["feature31"].checkouts if c.borrowed]
    assert [(c.user, c.count, c.linger_s, c.linger_total_s) for c in borrowed] == [
        ("cmfy211", 1, 885098, 1340160), ("cmfy212", 16, 885098, 1340160)]
    queued = features["feature5"].queued
    assert [(q.user, q.host, q.display, q.count, q.version, q.handle) for q in queued] == [
        ("user3", "server6u065", "fj209fj0", 1, "2017.06", 15480),
        ("user3", "server6u065", "f2jf4_f2_", 1, "2017.06", 15480),
    ]
    assert len(features["feature5"].checkouts) == 2


def test_two_sources_separated_by_dashes():
    report = parse("flexlm_stat_json_two_servers_dashed_separator_linger_numeric_user.txt")
    first, second = report.servers
    assert first.source == "27000@iss.samba.gazpromproject.ru"
    assert second.source == "27002@iss.samba.gazpromproject.ru"
    assert second.vendors[0].name == "unisw20" and second.vendors[0].host == "iss"
    assert first.license_files == (
        "F:\\Autodesk\\Network License Manager\\iss.samba.gazpromproject.ru.lic",)
    feature = first.features[0]
    assert feature.pools[0].expiry == date(2022, 12, 15)
    assert feature.pools[0].vendor_string == "commercial:extendable"
    numeric = feature.checkouts[1]
    assert (numeric.user, numeric.host, numeric.display, numeric.borrowed) == (
        "1", "GM-007028", "GM-007028", True)
    assert second.features[0].issued == 1 and second.features[0].in_use == 0


def test_connection_refused_is_an_error_server():
    report = parse("license_manager_error_getting_status_connection_refused.txt", name="lic1")
    (server,) = report.servers
    assert server.name == "lic1"
    assert server.status is Status.ERROR
    assert server.error == "Cannot connect to license server"
    assert server.error_code == '-15,570:111 "Connection refused"'


def test_two_pools_under_one_header():
    report = parse("license_manager_fragment_two_version_pools.txt")
    feature = report.servers[0].features[0]
    assert [p.version for p in feature.pools] == ["2025.09", "2024.09"]
    assert [c.pool for c in feature.checkouts] == [0, 1, 1]


def test_component_token_after_display_is_kept_as_extra():
    report = parse("license_manager_fragment_feature_eq_display.txt")
    checkouts = report.servers[0].features[0].checkouts
    assert [(c.display, c.extra, c.count) for c in checkouts] == [
        ("/dev/tty", "feature=test_feature", 100),
        ("/dev/tty", "feature=test_feature_2", 1400),
        ("/dev/tty", "feature=test_feature_3", 100),
    ]


def test_pid_suffix_uncounted_and_column_zero_pool_header():
    report = parse("exporter_app5_matlab_pid_suffix_vendor_string.txt")
    features = {f.name: f for f in report.servers[0].features}
    matlab = features["MATLAB"]
    assert (matlab.issued, matlab.in_use, len(matlab.checkouts)) == (10000, 61, 37)
    assert matlab.checkouts[2].pid == 10088  # printed with a trailing space
    assert matlab.pools[0].expiry == date(2025, 12, 30)
    road_runner = features["RoadRunner"]
    assert road_runner.uncounted and road_runner.issued is None and road_runner.in_use is None


def test_unported_triad_and_permanent_expiry():
    report = parse("license_manager_doc_abaqus_triad_unindented_feature_header.txt")
    (server,) = report.servers
    assert [h.host for h in server.hosts] == ["server1", "server2", "server3"]
    assert [h.port for h in server.hosts] == [None, None, None]
    assert server.hosts[1].master
    assert server.license_files == ("f:\\flexlm\\AbaqusLM\\License\\license.dat",)
    umich = parse("umich_flux_matlab_real_large_multi_checkout.txt").servers[0]
    assert umich.features[0].pools[0].expiry is None  # 01-jan-0000
