"""One registry of the console's commands: it feeds the `:` command line (with completion),
the command palette (next to Textual's own commands) and the `?` help."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import NamedTuple

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .live import LiveData


class ConsoleCommand(NamedTuple):
    text: str  # what is typed after ":"
    help: str
    action: str  # an app action, as a Textual action string
    main: bool = False  # listed in the help and offered by the palette before typing


def console_commands(data: LiveData, themes: Sequence[str] = ()) -> list[ConsoleCommand]:
    commands = [
        ConsoleCommand("overview", "every server at a glance", "app.mode('overview')", True),
        ConsoleCommand("features", "the features of all servers, summed by name",
                       "app.open_features(None)", True),
        ConsoleCommand("denials", "denials as they happen, newest first",
                       "app.mode('denials')", True),
        ConsoleCommand("events", "the debug-log stream (OUT, IN, DENIED...)",
                       "app.mode('events')", True),
        ConsoleCommand("alerts", "the alerts firing, to acknowledge or snooze",
                       "app.mode('alerts')", True),
        ConsoleCommand("pause", "pause or resume the tables (polling goes on)", "app.pause",
                       True),
        ConsoleCommand("help", "the keys active now", "app.help", True),
        ConsoleCommand("quit", "leave lmconsole", "app.quit", True),
    ]
    for server in data.servers:
        commands.append(ConsoleCommand(server, f"the features of {server}",
                                       f"app.open_features({server!r})"))
        commands.append(ConsoleCommand(f"features {server}", f"the features of {server}",
                                       f"app.open_features({server!r})"))
        commands.append(ConsoleCommand(f"edit options {server}",
                                       f"edit the options file of {server}",
                                       f"app.edit_options({server!r})"))
        commands.append(ConsoleCommand(f"edit license {server}",
                                       f"edit the licence file of {server} (unsigned fields)",
                                       f"app.edit_license({server!r})"))
    features: dict[str, list[str]] = {}
    for server in data.servers:
        status = data.states[server].status
        for feature in status.features if status else ():
            servers = features.setdefault(feature.name, [])
            if server not in servers:
                servers.append(server)
    for feature, servers in sorted(features.items()):
        commands.append(ConsoleCommand(f"seats {feature}", f"who holds {feature}",
                                       f"app.open_seats(None, {feature!r})"))
        if feature.casefold() not in {s.casefold() for s in data.servers}:
            commands.append(ConsoleCommand(feature, f"who holds {feature}",
                                           f"app.open_seats(None, {feature!r})"))
        for server in servers:
            commands.append(ConsoleCommand(f"seats {server} {feature}",
                                           f"who holds {feature} on {server}",
                                           f"app.open_seats({server!r}, {feature!r})"))
    for theme in themes:
        commands.append(ConsoleCommand(f"theme {theme}", f"switch to the {theme} theme",
                                       f"app.set_theme({theme!r})"))
    return commands


def resolve(text: str, commands: Iterable[ConsoleCommand]) -> ConsoleCommand | None:
    """The command typed: an exact match (any case), else the only one it begins, else a
    feature name alone (its seats on every server)."""
    wanted = " ".join(text.split()).casefold()
    if not wanted:
        return None
    commands = list(commands)
    for command in commands:
        if command.text.casefold() == wanted:
            return command
    for command in commands:
        if command.text.casefold() == f"seats {wanted}":
            return command
    starting = [c for c in commands if c.text.casefold().startswith(wanted)]
    return starting[0] if len(starting) == 1 else None


class ConsoleProvider(Provider):
    """lmconsole's commands in the command palette."""

    def commands(self) -> list[ConsoleCommand]:
        return self.app.console_commands()

    async def discover(self) -> Hits:
        for command in self.commands():
            if command.main:
                yield DiscoveryHit(f":{command.text}", partial(self.app.run_action,
                                                               command.action),
                                   help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self.commands():
            score = matcher.match(command.text)
            if score > 0:
                yield Hit(score, matcher.highlight(f":{command.text}"),
                          partial(self.app.run_action, command.action), help=command.help)
