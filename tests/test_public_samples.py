"""Status outputs found in public repositories (tests/samples/SOURCES.md names each one's
source and licence), read as `lmconsole snapshot --from-file` reads them: the manager told
from the text, then parsed. Every assertion is a count made by reading the sample by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from lmconsole.model import Snapshot, Status
from lmconsole.snapshot import adapter_of_output, snapshot_from_text

from .test_parsers_never_raise import render_all

SAMPLES = Path(__file__).parent / "samples"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
SAMPLE_FILES = sorted(str(p.relative_to(SAMPLES)) for p in SAMPLES.glob("*/*.txt"))


def snapshot(manager: str, name: str) -> Snapshot:
    path = SAMPLES / manager / name
    text = path.read_text(encoding="utf-8")
    adapter = adapter_of_output(text, str(path))
    assert adapter.kind == manager
    taken, truncated = snapshot_from_text(text, str(path), adapter, name=None, tz=UTC, now=NOW)
    assert truncated is None
    return taken


@pytest.mark.parametrize("sample", SAMPLE_FILES)
def test_every_sample_is_told_by_its_folder_and_renders_in_every_format(sample):
    manager, name = sample.split("/")
    taken = snapshot(manager, name)  # the manager told from the text is the folder's
    assert taken.servers and all(server.manager == manager for server in taken.servers)
    render_all(taken)


def features_of(taken: Snapshot) -> dict:
    (server,) = taken.servers
    return {feature.name: feature for feature in server.features}


# ---- FlexLM lmstat -a (mjtrangoni/flexlm_exporter fixtures, Apache-2.0) ----------------------

def test_comsol_on_windows_sixty_features_an_uncounted_one_and_two_unsupported():
    taken = snapshot("flexlm", "flexlm_exporter_lmstat_app4.txt")
    assert taken.diagnostics == ()
    (server,) = taken.servers
    assert server.status is Status.UP and [v.name for v in server.vendors] == ["LMCOMSOL"]
    features = features_of(taken)
    assert len(features) == 60
    used = {name: (f.issued, f.in_use, len(f.checkouts)) for name, f in features.items()
            if f.checkouts}
    assert used == {"SERIAL": (None, None, 1), "ACDC": (2, 1, 1), "COMSOL": (3, 1, 1),
                    "COMSOLGUI": (3, 1, 1), "COMSOLUSER": (2, 1, 1)}
    assert features["SERIAL"].uncounted
    assert {name for name, f in features.items() if f.error} == {
        "SUBSURFACEFLOW", "SUBSURFACEFLOWBATCH"}
    seat = features["ACDC"].checkouts[0]
    assert (seat.user, seat.host, seat.display, seat.version) == (
        "matlab", "CLN-5CG3471WVY", "/dev/pts/0", "5.6")


def test_matlab_with_three_pools_a_reservation_in_each_of_six_features():
    taken = snapshot("flexlm", "flexlm_exporter_lmstat_app6.txt")
    assert taken.diagnostics == ()
    features = features_of(taken)
    assert len(features) == 53
    assert sum(len(f.checkouts) for f in features.values()) == 106
    reserved = {name: [(r.count, r.kind, r.name) for r in f.reservations]
                for name, f in features.items() if f.reservations}
    assert reserved == dict.fromkeys(
        ["MATLAB", "SIMULINK", "Control_Toolbox", "Optimization_Toolbox",
         "Power_System_Blocks", "SIMULINK_Perf_Tools"], [(1, "GROUP", "DED")])
    matlab = features["MATLAB"]
    assert (matlab.issued, matlab.in_use, len(matlab.checkouts)) == (420, 60, 59)
    assert [(p.version, p.expiry) for p in matlab.pools] == [
        ("12", None), ("53", date(2099, 1, 1)), ("52", date(2099, 1, 1))]
    assert features["TMW_Archive"].uncounted


def test_synopsys_seats_with_a_job_id_after_the_display_and_a_pid():
    features = features_of(snapshot("flexlm", "flexlm_exporter_lmstat_app7.txt"))
    assert {name: (f.issued, f.in_use) for name, f in features.items()} == {
        "DC-Expert": (5, 1), "TCM-1-Apex-Pkg": (4, 2), "refocus": (4, 2)}
    (seat,) = features["DC-Expert"].checkouts
    assert (seat.user, seat.host, seat.display, seat.version, seat.handle, seat.pid) == (
        "user1", "host-01", "host-01:0.0", "2022.09", 24464, 2593569)
    assert [(c.user, c.pid) for c in features["refocus"].checkouts] == [
        ("user2", 310056), ("user2", 447183)]


def test_siemens_seats_with_a_version_repeated_before_the_version():
    features = features_of(snapshot("flexlm", "flexlm_exporter_lmstat_app8.txt"))
    (sim,) = features.values()
    assert (sim.name, sim.issued, sim.in_use, sim.earliest_expiry) == (
        "msimhdlsim", 125, 4, date(2026, 9, 29))
    assert [(c.user, c.host, c.version) for c in sim.checkouts] == [
        ("user1", "host-01", "2026.02"), ("user1", "host-01", "2029.01"),
        ("user1", "host-02", "2026.02"), ("user2", "host-03", "2029.01")]


def test_a_triad_with_one_node_unreachable_still_serves():
    taken = snapshot("flexlm", "flexlm_exporter_lmstat_server_down.txt")
    (server,) = taken.servers
    assert server.status is Status.UP
    assert [(h.host, h.status, h.master) for h in server.hosts] == [
        ("host1", Status.UP, False), ("host2", Status.UP, True), ("host3", Status.DOWN, False)]
    assert server.hosts[2].error_code.startswith("-15,570:115")
    features = features_of(taken)
    assert {name: (f.issued, f.in_use) for name, f in features.items()} == {
        "feature1": (144, 0), "feature2": (144, 39)}


def test_a_windows_server_with_no_feature_in_use_is_up_and_empty():
    taken = snapshot("flexlm", "flexlm_exporter_lmstat_server_up_win.txt")
    (server,) = taken.servers
    assert server.status is Status.UP and server.features == ()
    assert [(h.host, h.master) for h in server.hosts] == [("BVS15004", True),
                                                          ("bvs15004", False)]
    assert [(v.name, v.status, v.version) for v in server.vendors] == [
        ("ptc_d", Status.UP, "v11.14.0")]


# ---- Sentinel HASP Admin Control Center (synthetic, in the real pages' shape) --------------

def test_hasp_pages_with_html_licence_terms_and_a_limit_of_minus_one():
    taken = snapshot("hasp", "acc_features_sessions_html_terms_unlimited.txt")
    assert taken.diagnostics == ()
    features = features_of(taken)
    assert {name: (f.vendor, f.issued, f.in_use, f.uncounted, f.earliest_expiry)
            for name, f in features.items()} == {
        "feature 0": ("40094", None, 0, True, None),
        "Imaging": ("40094", 5, 2, False, date(2026, 6, 5)),
        "Analysis": ("40094", 2, 1, False, date(2026, 7, 27))}
    assert [(c.user, c.host) for c in features["Imaging"].checkouts] == [
        ("mkeller", "LAB-PC04"), ("jtan", "LAB-PC11")]


# ---- RLM rlmstat (synthetic, in the layouts of Reprise's published examples) -----------------

def test_rlmstat_a_of_rlm_v9_with_its_own_banner():
    taken = snapshot("rlm", "rlmstat_a_v9_bigserver.txt")
    assert taken.diagnostics == ()
    (server,) = taken.servers
    assert (server.name, server.status) == ("5053@bigserver", Status.UP)
    assert [(v.name, v.status) for v in server.vendors] == [("reprise", Status.UP)]
    features = features_of(taken)
    assert {name: (f.issued, f.in_use) for name, f in features.items()} == {
        "demo": (1, 0), "test1": (5, 2)}
    assert [(c.user, c.host, c.handle) for c in features["test1"].checkouts] == [
        ("matt", "bigserver", 0x41), ("anna", "ws4", 0x42)]


def test_rlmstat_i_names_its_server_by_the_usage_heading():
    # `rlmstat -i ISV` prints no rlm server status: the usage heading is the only place
    # that names the server
    taken = snapshot("rlm", "rlmstat_i_usage_only.txt")
    assert taken.diagnostics == ()
    (server,) = taken.servers
    assert server.name == "jsmith" and [h.host for h in server.hosts] == ["jsmith"]
    features = features_of(taken)
    assert {name: (f.in_use, [(c.user, c.count) for c in f.checkouts])
            for name, f in features.items()} == {
        "floatserver": (1, [("jsmith", 1)]), "client": (3, [("anna", 1), ("bo", 2)])}


# ---- MathLM monitorlm -format text (synthetic, in the layout of Wolfram's example) ----------

def test_monitorlm_text_layout_counts_and_seats():
    taken = snapshot("mathlm", "monitorlm_text_format_tutorial_layout.txt")
    assert taken.diagnostics == ()
    assert taken.taken_at == datetime(2017, 8, 29, 14, 11, 59, tzinfo=UTC)
    (server,) = taken.servers
    assert (server.name, server.status, server.hosts[0].version) == (
        "hostname.domain.com", Status.UP, "v11.2")
    features = features_of(taken)
    assert {name: (f.issued, f.in_use, len(f.checkouts)) for name, f in features.items()} == {
        "Mathematica": (20, 2, 2), "MathKernel": (40, 4, 4), "SubMathematica": (80, 0, 0),
        "SubMathKernel": (80, 0, 0)}
    first = features["Mathematica"].checkouts[0]
    assert (first.user, first.host, first.version, first.start) == (
        "username", "client1.domain.com", "11.1", datetime(2017, 8, 29, 5, 22, 59, tzinfo=UTC))


# ---- omnivector-solutions/license-manager test fixtures (MIT) -------------------------------

def test_flexlm_seats_of_package_components_with_and_without_a_count():
    taken = snapshot("flexlm", "license_manager_fragment_package_component_seats.txt")
    assert [d.message for d in taken.diagnostics] == ["elided line in the sample"] * 2
    (mscone,) = features_of(taken).values()
    assert (mscone.name, mscone.issued, mscone.in_use) == ("MSCONE", 750, 18)
    assert [(c.host, c.display, c.count) for c in mscone.checkouts] == [
        ("ER0037", "SESOR045", 5), ("ER0037", "SESOR045", 1), ("ER0037", "SESOR045", 5),
        ("ER0037", "SESOR045", 1), ("ER0037", "SESOR100", 5), ("ER0037", "SESOR100", 1)]


def test_lmx_seats_on_hosts_with_a_suffix_and_a_start_date_of_none():
    taken = snapshot("lmx", "license_manager_licstat_host_user_virtual_suffixed_hosts.txt")
    assert taken.diagnostics == ()
    (server,) = taken.servers
    assert (server.name, server.hosts[0].version) == ("6300@licserv0003.scom", "v4.9.3")
    (femfat,) = features_of(taken).values()
    assert (femfat.name, femfat.vendor, femfat.issued, femfat.in_use) == (
        "FEMFAT_VISUALIZER", "abc", 2, 2)
    assert femfat.earliest_expiry == date(2024, 6, 30)
    assert [(c.user, c.host) for c in femfat.checkouts] == [
        ("fdsva1", "dcv046.com_ver2023"), ("asdsc1", "dcv048.com_ver2022a")]


def test_lmx_with_nothing_in_use_and_int_max_meaning_no_limit():
    features = features_of(snapshot("lmx", "license_manager_licstat_nothing_in_use_int_max.txt"))
    assert {name: f.issued for name, f in features.items()} == {
        "CatiaV5Reader": 3, "GlobalZoneEU": 1000003, "HWAIFPBS": None, "HWAWPF": None,
        "HWActivate": None, "HWFlux2D": None, "HyperWorks": 1000000}
    assert all(f.in_use == 0 and not f.checkouts for f in features.values())


def test_rlm_with_nothing_in_use():
    taken = snapshot("rlm", "license_manager_rlmstat_a_nothing_in_use.txt")
    assert taken.diagnostics == ()
    features = features_of(taken)
    assert {name: (f.issued, f.in_use) for name, f in features.items()} == {
        "converge": (1, 0), "converge_gui": (45, 0), "converge_gui_polygonica": (1, 0),
        "converge_super": (1000, 0), "converge_tecplot": (45, 0)}


def test_dsls_with_nothing_in_use():
    taken = snapshot("dsls", "license_manager_getlicenseusage_csv_nothing_in_use.txt")
    assert taken.diagnostics == ()
    features = features_of(taken)
    assert [f.issued for f in features.values()] == [1, 6, 4, 2, 1, 7, 2, 2000, 2000, 2374]
    assert all(f.in_use == 0 and not f.checkouts for f in features.values())


def test_olicense_one_module_on_two_licences_adds_their_floats():
    taken = snapshot("olicense", "license_manager_olixtool_two_licences_one_module.txt")
    assert taken.diagnostics == ()
    (module,) = features_of(taken).values()
    assert (module.name, module.issued, module.in_use) == ("ftire_adams", 4, 0)
    assert [p.expiry for p in module.pools] == [date(2022, 12, 31), date(2023, 2, 28)]
