"""The command palette: one entry for every action the app and the current screen offer.

Entries come from one place — `palette_commands(app, screen)` — which the palette provider and the help
screen both read, so the palette, the help screen and the actions can't drift apart. A screen contributes
its own entries by defining `palette_commands() -> list[PaletteCommand]`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, runtime_checkable

from textual.app import App
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen


@dataclass(frozen=True, slots=True)
class PaletteCommand:
    """One palette entry: what it's called, what it does, and the callback that does it."""

    title: str
    help: str
    callback: Callable[[], object]
    key: str = ""


@runtime_checkable
class ProvidesCommands(Protocol):
    """Anything (app or screen) that contributes palette entries."""

    def palette_commands(self) -> list[PaletteCommand]: ...


def palette_commands(app: App[Any], screen: Screen[Any] | None) -> list[PaletteCommand]:
    """Entries of the screen the palette was opened over (first), then the app's."""
    commands: list[PaletteCommand] = []
    if screen is not None and isinstance(screen, ProvidesCommands):
        commands.extend(screen.palette_commands())
    if isinstance(app, ProvidesCommands):
        commands.extend(app.palette_commands())
    return commands


class WorkstationCommands(Provider):
    """Palette provider over `palette_commands`: fuzzy search on titles, every entry discoverable."""

    def _commands(self) -> list[PaletteCommand]:
        return palette_commands(self.app, self.screen)

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.title, partial(command.callback), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), partial(command.callback), help=command.help)
