"""The alert engine, fed by the simulator on a manual (frozen) clock: every kind of rule
fires and clears; one alert per rule and subject, told again after its interval;
acknowledged and snoozed alerts are not; no flapping between the two thresholds."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from lmconsole.alerts.engine import AlertEngine, Change
from lmconsole.alerts.rules import DEFAULT_RULES, DEFAULTS, Kind, parse_rules

from .alerting import Driven, rules

FIRED, CLEARED, RENOTIFIED = Change.FIRED, Change.CLEARED, Change.RENOTIFIED


def until(driven: Driven, change: str, *, step_s: float = 60, limit: int = 500) -> int:
    """Steps until `change` is told (bounded); the steps it took."""
    for n in range(1, limit + 1):
        if any(c.change == change for c in driven.step(step_s)):
            return n
    raise AssertionError(f"no {change} in {limit} steps: {driven.told()}")


def test_utilisation_fires_after_its_for_and_clears_below_its_clear_threshold():
    office = Driven("architecture", [{"name": "busy", "kind": "utilisation", "threshold": 90,
                                      "clear": 70, "for": "5m", "clear_for": 0}])
    handles = [office.take(f"u{n}", "AutoCAD") for n in range(8)]  # and one borrowed
    assert office.step(60) == []  # 90%, but not for five minutes yet
    assert office.step(180) == []
    fired = office.step(120)
    assert [(c.change, c.alert.subject, c.alert.severity) for c in fired] == \
        [(FIRED, "lic/AutoCAD", "warning")]
    assert "9 of 10 seats in use (90%" in fired[0].alert.message
    assert fired[0].alert.since == fired[0].at - timedelta(minutes=5)
    office.sim.checkin(handles.pop())  # 80%: between the thresholds, still firing
    assert office.step(600) == []
    office.sim.checkin(handles.pop())  # 70%: clear
    assert [c.change for c in office.step(60)] == [CLEARED]
    assert office.engine.firing == []


def test_free_seats():
    office = Driven("architecture", [{"kind": "free_seats", "threshold": 0, "clear": 2,
                                      "for": 0, "clear_for": 0, "features": ["Revit"]}])
    handles = [office.take(f"u{n}", "Revit") for n in range(3)]
    office.take("x", "AutoCAD")  # not in the rule's scope
    assert office.told() == [] and office.step() and office.told() == \
        [(FIRED, "free_seats1", "lic/Revit")]
    office.sim.checkin(handles.pop())
    assert office.step() == []  # one free: not yet clear
    office.sim.checkin(handles.pop())
    assert [c.change for c in office.step()] == [CLEARED]


def test_any_denial_fires_at_once_and_clears_when_the_period_has_none():
    office = Driven("architecture", [{"name": "refused", "kind": "denials", "period": "10m",
                                      "features": ["3dsMax"]}])
    office.take("a", "3dsMax")
    office.take("b", "3dsMax")
    assert office.sim.checkout("c", "c-pc", "3dsMax").kind == "denied"
    [fired] = office.step(30)
    assert (fired.change, fired.alert.subject) == (FIRED, "lic/3dsMax")
    assert "1 denials in the last 10 min (c)" in fired.alert.message
    assert office.step(9 * 60) == []
    assert [c.change for c in office.step(60)] == [CLEARED]


def test_true_denials_leave_out_the_retried_and_the_repeated():
    office = Driven("architecture", [{"name": "turned away", "kind": "denials",
                                      "true_only": True, "threshold": 2, "clear": 0,
                                      "period": "1h"}])
    held = [office.take(u, "3dsMax") for u in ("a", "b")]
    office.sim.checkout("retry", "r-pc", "3dsMax")  # denied, then served within seconds
    office.step(3)
    office.sim.checkin(held.pop())
    office.take("retry", "3dsMax", "r-pc")
    office.sim.checkout("twice", "t-pc", "3dsMax")
    office.step(5)
    office.sim.checkout("twice", "t-pc", "3dsMax")  # one wait told twice: one true denial
    assert office.step(60) == []
    office.sim.checkout("third", "t3-pc", "3dsMax")
    office.step(5)
    assert office.told() == []  # its window is not over: not known to be true yet
    [fired] = office.step(60)
    assert fired.change == FIRED and "2 true denials" in fired.alert.message
    assert "(third, twice)" in fired.alert.message
    until(office, CLEARED, step_s=600)


def test_server_down_after_its_for_and_up_again_after_its_clear_for():
    office = Driven("architecture", [{"kind": "server_down", "for": "2m", "clear_for": "5m"}])
    office.step()
    office.sim.shutdown(force=True)
    assert office.step() == [] and office.step() == []  # down for a minute
    [fired] = office.step(60)
    assert (fired.change, fired.alert.subject, fired.alert.severity) == \
        (FIRED, "lic", "critical")
    office.sim.start()
    assert office.step(60) == [] and office.step(180) == []  # up for three minutes: not yet
    assert [c.change for c in office.step(120)] == [CLEARED]


def test_a_failed_poll_is_a_server_down_and_holds_what_the_last_status_raised():
    office = Driven("architecture", [
        {"kind": "server_down", "for": 0, "clear_for": 0},
        {"name": "full", "kind": "utilisation", "threshold": 100, "for": 0, "clear_for": 0,
         "features": ["3dsMax"]}])
    office.take("a", "3dsMax")
    office.take("b", "3dsMax")
    office.step()
    assert office.told() == [(FIRED, "full", "lic/3dsMax")]
    office.step(poll_fails=True)
    assert office.told(CLEARED) == []  # nothing known of 3dsMax: still firing
    assert office.told(FIRED)[-1] == (FIRED, "server_down1", "lic")
    office.step()
    assert office.told(CLEARED) == [(CLEARED, "server_down1", "lic")]
    office.sim.shutdown(force=True)  # lmstat answers, but lmgrd is down: no seats known
    office.step()
    assert [c for c in office.told(CLEARED) if c[1] == "full"] == []


def test_vendor_daemon_down_and_restarted():
    office = Driven("architecture", [{"kind": "vendor_down", "for": 0, "clear_for": 0}])
    office.step()
    assert office.sim.shutdown("adskflex") is None
    [fired] = office.step()
    assert (fired.change, fired.alert.subject) == (FIRED, "lic/adskflex")
    office.sim.reread("adskflex")
    assert [c.change for c in office.step()] == [CLEARED]


def test_a_triad_with_one_server_down_warns_and_with_two_is_critical():
    triad = Driven("engineering", [{"kind": "quorum", "for": 0, "clear_for": 0}])
    hosts = [h.host for h in triad.sim.status().hosts]
    triad.hosts_down = {hosts[1]}
    [fired] = triad.step()
    assert (fired.change, fired.alert.severity) == (FIRED, "warning")
    assert "1 of 3 servers down" in fired.alert.message
    triad.hosts_down = {hosts[1], hosts[2]}
    [worse] = triad.step()
    assert (worse.change, worse.alert.severity) == (Change.SEVERITY, "critical")
    assert "quorum lost" in worse.alert.message
    triad.hosts_down = set()
    assert [c.change for c in triad.step()] == [CLEARED]


def test_licence_expiring_fires_and_clears_when_the_licence_is_renewed(tmp_path):
    spec_dir = tmp_path / "files"
    from lmconsole.adapters.flexlm.sim import load_scenario

    scenario = load_scenario("engineering")
    shutil.copytree(scenario.licence_path.parent, spec_dir)
    triad = Driven("engineering", [{"kind": "expiry", "threshold": 30, "clear": 30,
                                    "features": ["MATLAB"]}])
    triad.take("ann", "MATLAB")  # lmstat prints the pools of features in use
    [fired] = triad.step()
    assert (fired.change, fired.alert.subject) == (FIRED, "lic/MATLAB")
    assert "expires in 22 days (2026-03-31)" in fired.alert.message
    licence = triad.sim.licence_path
    renewed = tmp_path / licence.name
    renewed.write_text(licence.read_text().replace("31-mar-2026", "31-mar-2027"))
    for path in licence.parent.glob("*.opt"):
        shutil.copy(path, tmp_path / path.name)
    triad.sim.licence_path = renewed
    assert triad.sim.reread("MLM") is None
    assert [c.change for c in triad.step()] == [CLEARED]


def test_a_seat_held_too_long_fires_and_clears_when_returned():
    office = Driven("architecture", [{"kind": "seat_held", "threshold": "8h"}])
    handle = office.take("anna", "Revit", "pc7")
    assert until(office, FIRED, step_s=1800) == 16
    [alert] = office.engine.firing
    assert alert.subject == f"lic/Revit/anna@pc7/{handle}"
    assert "anna@pc7 has held Revit on lic for 8 h" in alert.message
    office.sim.checkin(handle)
    assert [c.change for c in office.step()] == [CLEARED]


def test_one_user_on_several_hosts():
    office = Driven("architecture", [{"kind": "multi_host", "for": 0}])
    office.take("anna", "AutoCAD", "pc1")
    second = office.take("anna", "AutoCAD", "laptop")
    office.take("ben", "AutoCAD", "pc2")
    office.step()
    assert office.told() == [(FIRED, "multi_host1", "lic/AutoCAD/anna")]
    office.sim.checkin(second)
    assert [c.change for c in office.step()] == [CLEARED]


def test_a_borrowed_and_a_floating_seat_held_by_one_user():
    office = Driven("architecture", [{"kind": "borrow_and_float", "for": 0}])
    office.take("gert", "AutoCAD", "notebook3", borrow_s=3 * 86_400)
    floating = office.take("gert", "AutoCAD", "pc4")
    office.step()
    assert office.told() == [(FIRED, "borrow_and_float1", "lic/AutoCAD/gert")]
    office.sim.checkin(floating)
    assert [c.change for c in office.step()] == [CLEARED]


def test_reserved_seats_idle_more_than_half_the_period():
    reserved = Driven("reserved", [{"kind": "reservation_idle", "threshold": 50,
                                    "clear": 20, "period": "1h", "features": ["Viewer"]}])
    assert until(reserved, FIRED, step_s=300) == 7  # idle 30 min from the first poll
    for user in ("natal", "efrat"):  # the engineers use the seats set aside for them
        reserved.take(user, "Viewer")
    # idle from the first poll to the one after the seats were taken (35 min): the share
    # of the last hour falls to 20% (12 min) 48 min after that poll
    assert until(reserved, CLEARED, step_s=300) == 11


def test_log_gap_and_log_not_read():
    office = Driven("architecture", [{"kind": "log_gap", "for": 0, "period": "30m"}])
    office.step()
    office.gap("the log was truncated")
    [fired] = office.step()
    assert fired.change == FIRED and "the log was truncated" in fired.alert.message
    assert until(office, CLEARED, step_s=300) == 6
    office.engine.observe_follow("lic", False, "debug.log: no such file")
    assert [c.change for c in office.step()] == [FIRED]
    office.engine.observe_follow("lic", True)
    assert [c.change for c in office.step()] == [CLEARED]


def test_one_alert_per_rule_and_subject_told_again_after_its_interval():
    office = Driven("architecture", [{"name": "full", "kind": "free_seats", "for": 0,
                                      "renotify": "1h", "features": ["3dsMax"]}])
    office.take("a", "3dsMax")
    office.take("b", "3dsMax")
    for _ in range(5 * 60 // 10):
        office.step(600)
    assert office.told(FIRED) == [(FIRED, "full", "lic/3dsMax")]
    assert len(office.told(RENOTIFIED)) == 4  # 1 h, 2 h, 3 h and 4 h after it fired
    [alert] = office.engine.firing
    office.engine.acknowledge(alert.key, office.now, "admin")
    for _ in range(12):
        office.step(600)
    assert len(office.told(RENOTIFIED)) == 4  # acknowledged: not told again


def test_snoozed_is_told_again_when_the_snooze_ends():
    office = Driven("architecture", [{"name": "full", "kind": "free_seats", "for": 0,
                                      "renotify": "1h", "features": ["3dsMax"]}])
    office.take("a", "3dsMax")
    office.take("b", "3dsMax")
    office.step()
    [alert] = office.engine.firing
    snoozed = office.engine.snooze(alert.key, office.now + timedelta(hours=3), office.now, "me")
    assert snoozed.change == Change.SNOOZED and not snoozed.told
    told_at = []
    for _ in range(4 * 6):
        told_at += [c.at for c in office.step(600) if c.change == RENOTIFIED]
    assert told_at == [alert.fired_at + timedelta(hours=3), alert.fired_at + timedelta(hours=4)]


def test_no_flapping_between_the_thresholds():
    office = Driven("architecture", [{"kind": "utilisation", "threshold": 90, "clear": 60,
                                      "for": 0, "clear_for": 0}])
    handles = [office.take(f"u{n}", "AutoCAD") for n in range(9)]
    for n in range(30):  # 90%, 70%, 90%, ...: each pass the fire threshold, never the clear
        if n % 2:
            handles += [office.take(f"v{n}", "AutoCAD"), office.take(f"w{n}", "AutoCAD")]
        else:
            for _ in range(2):
                office.sim.checkin(handles.pop())
        office.step(300)
    assert office.told() == [(FIRED, "utilisation1", "lic/AutoCAD")]


def test_no_alert_fires_in_a_maintenance_window():
    start = Driven("architecture", []).now  # 2026-03-02 10:00 UTC, a Monday
    window = f"{start:%Y-%m-%dT%H:%M}/{start + timedelta(hours=1):%Y-%m-%dT%H:%M}"
    office = Driven("architecture", [{"kind": "server_down", "for": 0,
                                      "maintenance": [window, "Sun 02:00-06:00"]}])
    office.sim.shutdown(force=True)
    for _ in range(5):
        office.step(600)
    assert office.told() == []
    assert [c.change for c in office.step(600)] == [FIRED]  # the window is over


@pytest.mark.parametrize("kind", list(Kind))
def test_lmstat_failing_one_poll_in_three_raises_at_most_one_alert_an_hour(kind):
    """Every kind with its default settings, on a busy triad's workload polled every 30 s."""
    table = {"kind": str(kind)}
    if DEFAULTS[kind].threshold is not None:
        table["threshold"] = {Kind.SEAT_HELD: 4 * 3600, Kind.EXPIRY: 30}.get(
            kind, DEFAULTS[kind].threshold)
    triad = Driven("engineering", [table], workload=True, seed=7)
    for n in range(3 * 3600 // 30):
        triad.step(30, poll_fails=n % 3 == 2)
    fired = [(c.alert.subject, c.at.hour) for c in triad.changes if c.change == FIRED]
    assert len(fired) == len(set(fired)), (kind, triad.told())
    if kind in (Kind.SERVER_DOWN, Kind.LOG_GAP, Kind.VENDOR_DOWN, Kind.QUORUM):
        assert fired == []


def test_default_rules_on_a_failing_server_raise_one_alert_in_three_hours():
    engine_rules = DEFAULT_RULES
    triad = Driven("engineering", [], workload=True, seed=7)
    triad.engine = AlertEngine(engine_rules)
    triad.sim.shutdown(force=True)
    for _ in range(3 * 3600 // 30):
        triad.step(30)
    assert triad.told(FIRED) == [(FIRED, "server down", "lic")]


def test_rules_are_checked_every_problem_told():
    problems = []
    parse_rules([{"kind": "utilisation", "threshold": 80, "clear": 90},
                 {"kind": "nosuch"}, {"kind": "server_down", "threshold": 3},
                 {"kind": "denials", "for": "soon", "maintenance": ["Sun-Mo 10:00-11:00"]},
                 {"name": "x", "kind": "expiry"}, {"name": "x", "kind": "expiry"}],
                lambda path, message: problems.append((path, message)), UTC)
    assert problems == [
        (("alerts", 0, "clear"), "the clear threshold must be at or below the threshold "
                                 "(80), or the alert would flap"),
        (("alerts", 1, "kind"), "expected one of " + ", ".join(repr(str(k)) for k in Kind)),
        (("alerts", 2, "threshold"), "a server_down rule has no threshold"),
        (("alerts", 3, "for"), 'expected a duration such as "10m", "4h" or a number of '
                               'seconds'),
        (("alerts", 3, "maintenance", 0), '"Sun-Mo 10:00-11:00": expected a window such as '
                                          '"Sun 02:00-06:00", "Mon-Fri 12:00-13:00" or '
                                          '"22:00-06:00"'),
        (("alerts", 5, "name"), 'two rules are named "x"'),
    ]


def test_weekly_windows_cross_midnight_and_weeks():
    [rule] = rules({"kind": "server_down", "maintenance": ["Sun 22:00-02:00", "Mon-Fri 12:00-13:00"]})
    sunday = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert rule.in_maintenance(sunday)
    assert rule.in_maintenance(sunday + timedelta(hours=2, minutes=29))
    assert not rule.in_maintenance(sunday + timedelta(hours=2, minutes=31))
    assert rule.in_maintenance(datetime(2026, 3, 6, 12, 59, tzinfo=UTC))  # a Friday
    assert not rule.in_maintenance(datetime(2026, 3, 7, 12, 30, tzinfo=UTC))  # a Saturday

