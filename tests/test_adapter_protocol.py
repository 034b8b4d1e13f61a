"""The FlexLM adapter implements the whole adapter protocol (lmconsole.adapter), which is
all the core knows of a licence manager: a member missing here would break the console,
a command or the demo only when that path runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lmconsole import adapter as protocol
from lmconsole.adapters import ADAPTERS, DEFAULT_MANAGER
from lmconsole.app import ConsoleServer, denial_words
from lmconsole.screens.denials import plain_reason

FLEXLM = ADAPTERS["flexlm"]


def members(cls) -> set[str]:
    """A protocol's methods, properties and annotated attributes."""
    return {name for name in [*vars(cls), *cls.__annotations__] if not name.startswith("_")}


def flexlm_implementations():
    simulator = FLEXLM.simulator()
    scenario = simulator.scenario(simulator.default_scenario)
    server = simulator.start(scenario, seed=1, at=scenario.start, speed=None)
    options = FLEXLM.options_language("SERVER lic1 ANY 27000\nVENDOR MLM\n")
    report = options.what_if_report("", "EXCLUDE MATLAB USER jdoe\n", protocol.LiveUse())
    return [(protocol.LicenceManagerAdapter, FLEXLM), (protocol.FileLanguage, options),
            (protocol.FileLanguage, FLEXLM.license_language()), (protocol.WhatIf, report),
            (protocol.Simulator, simulator), (protocol.Scenario, scenario),
            (protocol.SimulatedServer, server), (protocol.SimulatedClock, server.clock)]


@pytest.mark.parametrize("kind, implementation", flexlm_implementations(),
                         ids=lambda value: getattr(value, "__name__", type(value).__name__))
def test_flexlm_implements_every_member_of_the_protocol(kind, implementation):
    missing = sorted(name for name in members(kind) if not hasattr(implementation, name))
    assert not missing, f"{type(implementation).__name__} lacks {missing} of {kind.__name__}"


def test_the_default_manager_is_registered():
    assert ADAPTERS[DEFAULT_MANAGER].kind == DEFAULT_MANAGER == "flexlm"


def test_the_simulators_transport_runs_the_managers_commands_and_says_it_is_simulated():
    simulator = FLEXLM.simulator()
    scenario = simulator.scenario("architecture")
    server = simulator.start(scenario, seed=3, at=scenario.start + timedelta(hours=2),
                             speed=None)
    transport = simulator.transport(server, log_path="/srv/flexlm/debug.log")
    assert transport.simulated and transport.server is server
    assert server.now == (scenario.start + timedelta(hours=2)).astimezone(scenario.zone)
    server.advance(3 * 3600)
    denials = simulator.denial_lines(server)
    assert denials and all(" DENIED: " in line for line in denials)
    assert len(denials) == sum(" DENIED: " in line for line in server.log.lines)


def test_a_scenario_moves_with_its_start():
    scenario = FLEXLM.simulator().scenario("engineering")
    moved = scenario.starting_at(datetime(2030, 1, 7, 8, tzinfo=UTC))
    assert moved.start == datetime(2030, 1, 7, 8, tzinfo=UTC)
    assert moved.zone == scenario.zone


def test_an_unknown_scenario_is_a_value_error_naming_the_known_ones():
    with pytest.raises(ValueError, match="architecture"):
        FLEXLM.simulator().scenario("no-such-site")


class OtherManager:
    """A second licence manager, as the denials screen would meet it beside FlexLM."""

    kind = "other"

    def denial_words(self, code, reason):
        return "other words"


def test_denials_are_worded_by_the_servers_manager_or_as_logged_when_they_differ():
    flexlm = ConsoleServer(None, FLEXLM, None)
    assert denial_words([flexlm, flexlm])("-4,342", "Licensed number of users reached.") \
        == "pool full"
    mixed = denial_words([flexlm, ConsoleServer(None, OtherManager(), None)])
    assert mixed is plain_reason
    assert mixed("-4,342", "Licensed number of users reached.") == \
        "Licensed number of users reached"


@pytest.mark.parametrize("kind", sorted(ADAPTERS))
def test_every_adapter_has_every_member_of_the_adapter_protocol(kind):
    """A manager without a part says so when asked (NotImplementedError, ValueError), it
    never lacks the member: the core asks any manager anything the protocol names."""
    adapter = ADAPTERS[kind]
    missing = sorted(n for n in members(protocol.LicenceManagerAdapter) if not hasattr(adapter, n))
    assert not missing, f"{kind} lacks {missing}"
    assert adapter.kind == kind and isinstance(adapter.frees_seats, bool)
