"""Steering a `--replay` from any screen: pause / resume, speed up / down, go to a time.

The keys are the app's (`CryptotermApp` derives from `ReplayKeys`, so they work on every screen, as playback keys
do), active only while a replay runs: the app's `check_action` asks `replay_action_allowed`, so outside replays they
are neither shown nor run. Each control goes
to the replay stream through the engine's views (`ports.replay.ReplayControl`), which applies it between messages,
and every replay bar on screen repaints at once instead of at the next snapshot.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from cryptoterm.domain.replay_seek import parse_seek, step_speed
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.market_views import ReplayView
from cryptoterm.tui.widgets.replay_bar import ReplayBar, speed_label

if TYPE_CHECKING:
    from cryptoterm.tui.context import TuiSession

REPLAY_BINDINGS: list[BindingType] = [
    Binding("space", "replay_toggle", "Pause", show=False, tooltip="Replay: pause / resume"),
    Binding("greater_than_sign", "replay_speed(1)", "Faster", key_display=">", show=False, tooltip="Replay: faster"),
    Binding("less_than_sign", "replay_speed(-1)", "Slower", key_display="<", show=False, tooltip="Replay: slower"),
    Binding("J", "replay_seek", "Jump", show=False, tooltip="Replay: go to a time (23:57, +30s, -5m, 50%)"),
]
REPLAY_ACTIONS = frozenset({"replay_toggle", "replay_speed", "replay_seek"})


class ReplayKeys(App[int]):
    """The app's replay keys and actions; `CryptotermApp` is one."""

    BINDINGS: ClassVar[list[BindingType]] = REPLAY_BINDINGS
    session: TuiSession

    def replay_control(self) -> ReplayView | None:
        views = self.session.views
        return views.replay if views is not None else None

    def replay_action_allowed(self, action: str) -> bool | None:
        """For `check_action`: replay keys only during a replay; None for any other action (not ours)."""
        if action not in REPLAY_ACTIONS:
            return None
        return self.replay_control() is not None

    def replay_changed(self) -> None:
        """Repaint every replay bar of the current screen now."""
        control = self.replay_control()
        progress = control.progress() if control is not None else None
        for bar in self.screen.query(ReplayBar):
            bar.show(progress)

    def action_replay_toggle(self) -> None:
        control = self.replay_control()
        if control is None:
            return
        if control.progress().paused:
            control.resume()
        else:
            control.pause()
        self.replay_changed()

    def action_replay_speed(self, step: int) -> None:
        control = self.replay_control()
        if control is None:
            return
        speed = step_speed(control.progress().speed, step)
        control.set_speed(speed)
        self.notify(f"replay speed {speed_label(speed)}", title="Replay", timeout=2)
        self.replay_changed()

    def action_replay_seek(self) -> None:
        from cryptoterm.tui.screens.text_prompt import TextPrompt

        control = self.replay_control()
        if control is None:
            return
        progress = control.progress()

        def target(text: str) -> int:
            return parse_seek(text, progress.start_ms, progress.end_ms, control.progress().position_ms)

        prompt = TextPrompt(
            "Go to a time of the recording (UTC): 23:57, 23:57:30, +30s, -5m or 50%",
            target,
            placeholder="23:57",
        )
        self.push_screen(prompt, self._seek_chosen)

    def _seek_chosen(self, to_ms: int | None) -> None:
        control = self.replay_control()
        if to_ms is None or control is None:
            return
        control.seek(to_ms)
        self.replay_changed()

    def replay_palette_commands(self) -> list[PaletteCommand]:
        """Palette entries for the replay (none outside replays)."""
        if self.replay_control() is None:
            return []
        return [
            PaletteCommand("Replay: pause / resume", "Pause or resume the replay", self.action_replay_toggle, "space"),
            PaletteCommand(
                "Replay: faster", "Replay at the next higher speed", partial(self.action_replay_speed, 1), ">"
            ),
            PaletteCommand(
                "Replay: slower", "Replay at the next lower speed", partial(self.action_replay_speed, -1), "<"
            ),
            PaletteCommand("Replay: go to a time", "Seek by time, step or share", self.action_replay_seek, "J"),
        ]
