"""The Textual application: builds the runtime, routes data messages to screens, owns app-wide keys.

Deliberately small: screens are declared in `screens/__init__.py`, palette entries in `commands.py`, layout in
`app.tcss`. The app owns the long-lived workers (runtime start-up and the market feed), turns each published
snapshot into a replaceable `MarketUpdated` message, and forwards data messages to the screens on the stack.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from functools import partial
from typing import ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.worker import Worker

from cryptoterm.config.schema import AppConfig
from cryptoterm.services.snapshots import MarketSnapshot
from cryptoterm.tui.commands import PaletteCommand, WorkstationCommands, palette_commands
from cryptoterm.tui.context import PendingRuntime, RuntimeBuilder, TuiSession
from cryptoterm.tui.logging_bridge import TuiLogHandler
from cryptoterm.tui.messages import LogRecorded, MarketUpdated, SymbolOpened
from cryptoterm.tui.scan_scheduler import ScanScheduler
from cryptoterm.tui.screens import HOME, SCREENS, SYMBOL_DETAIL, preload_screens
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.screens.help import HelpScreen, KeyHelp
from cryptoterm.tui.screens.too_small import TooSmallScreen, too_small
from cryptoterm.tui.workers import report_worker_state
from cryptoterm.wiring.options import RunOptions

log = logging.getLogger(__name__)

#: Set to 1 to exit as soon as the first frame is on screen and print how long that took (benchmarks).
FIRST_FRAME_ENV = "CRYPTOTERM_EXIT_AFTER_FIRST_FRAME"
DARK_DEFAULT = "textual-dark"
LIGHT_DEFAULT = "textual-light"


def _default_builder() -> RuntimeBuilder:
    """`cryptoterm.wiring.build_runtime`, imported on first use (it pulls in the storage and analysis stack)."""
    from cryptoterm.wiring import build_runtime

    return build_runtime


class CryptotermApp(App[int]):
    """The cryptoterm TUI."""

    TITLE = "cryptoterm"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {WorkstationCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="List every key and command"),
        Binding("t", "toggle_theme", "Theme", tooltip="Toggle dark / light theme"),
    ]

    def __init__(
        self,
        config: AppConfig,
        options: RunOptions,
        *,
        build_runtime: RuntimeBuilder | None = None,
        exit_after_first_frame: bool = False,
    ) -> None:
        super().__init__()
        self._build_runtime = build_runtime
        # The real runtime is built right after the first frame (see `PendingRuntime`).
        self.session = TuiSession(config, options, PendingRuntime(config, options))
        self.session.timeframe = config.ui.timeframe
        self.scans = ScanScheduler(self, self.session)
        self.exit_after_first_frame = exit_after_first_frame
        self.first_frame_at: float | None = None
        self._log_handler: TuiLogHandler | None = None
        self._theme_pair = self._themes_for(config.ui.theme)
        self.theme = self._theme_pair[0] if self._is_dark(config.ui.theme) else self._theme_pair[1]
        for spec in SCREENS:
            self.add_mode(spec.name, partial(spec.factory, self.session))

    # ------------------------------------------------------------------ lifecycle
    async def on_mount(self) -> None:
        self._install_logging()
        if self.session.config.ui.theme not in self.available_themes:
            log.warning("ui.theme %r is not a known theme; using %s", self.session.config.ui.theme, self.theme)
        for spec in SCREENS:
            if spec.key:
                self.bind(spec.key, f"switch_mode('{spec.name}')", description=spec.title, show=False)
        await self.switch_mode(HOME)
        self._check_size(self.size.width, self.size.height)

    async def _start_runtime(self) -> None:
        """Build the runtime (its imports run in a thread, off the event loop), then start it and the feed."""
        builder = self._build_runtime
        if builder is None:
            builder = await asyncio.to_thread(_default_builder)
        from cryptoterm.wiring import SetupError

        session = self.session
        try:
            runtime = builder(session.config, session.options, self.publish)
        except SetupError as exc:
            self.exit(return_code=2, message=f"cryptoterm: {exc}")
            return
        session.runtime = runtime
        await runtime.start()
        self.scans.start()
        self.publish(runtime.feed.snapshot())
        self.run_worker(runtime.feed.run(), name="market feed", group="feed", exclusive=True, exit_on_error=False)
        self.run_worker(preload_screens, name="preload screens", group="preload", thread=True, exit_on_error=False)

    def on_ready(self) -> None:
        """The first frame is on screen: now build and start the runtime (or exit, when benchmarking)."""
        self.first_frame_at = time.time()
        if self.exit_after_first_frame:
            self.exit(0)
            return
        self.run_worker(self._start_runtime(), name="runtime start", group="runtime", exit_on_error=False)

    async def on_unmount(self) -> None:
        try:
            await asyncio.wait_for(self.session.runtime.close(), timeout=5.0)
        except Exception:
            log.exception("closing the runtime failed")
        finally:
            self._remove_logging()

    def _install_logging(self) -> None:
        config, options = self.session.config, self.session.options
        level = logging.DEBUG if options.verbose else logging.INFO
        handler = TuiLogHandler(self, secrets=(config.exchange.api_key, config.exchange.api_secret), level=level)
        root = logging.getLogger()
        root.addHandler(handler)
        logging.getLogger("cryptoterm").setLevel(level)
        self._log_handler = handler

    def _remove_logging(self) -> None:
        if self._log_handler is not None:
            logging.getLogger().removeHandler(self._log_handler)
            self._log_handler = None

    # ------------------------------------------------------------------ data in
    def publish(self, snapshot: MarketSnapshot) -> None:
        """The feed's publish callback: safe from the event loop or any thread."""
        self.post_message(MarketUpdated(snapshot))

    def on_market_updated(self, message: MarketUpdated) -> None:
        self.session.snapshot = message.snapshot
        for screen in self._live_screens():
            screen.post_message(MarketUpdated(message.snapshot, message.published))

    async def on_symbol_opened(self, message: SymbolOpened) -> None:
        self.session.selected_symbol = message.symbol
        await self.switch_mode(SYMBOL_DETAIL)

    def on_log_recorded(self, message: LogRecorded) -> None:
        line = message.line
        self.session.logs.append(line)
        for screen in self._live_screens():
            screen.post_message(LogRecorded(line))
        if line.level >= logging.ERROR:
            self.notify(line.text.splitlines()[0][:200], title=line.logger, severity="error", timeout=8)

    def _live_screens(self) -> list[LiveScreen]:
        return [screen for screen in self.screen_stack if isinstance(screen, LiveScreen)]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_state(event.worker, event.state, owner="app")

    # ------------------------------------------------------------------ terminal size
    def on_resize(self, event: events.Resize) -> None:
        self._check_size(event.size.width, event.size.height)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While the terminal is too small only quitting works: switching screens or opening overlays there
        # would lay out screens that cannot fit, and strand the notice on another mode's stack.
        if isinstance(self.screen, TooSmallScreen):
            return action == "quit"
        return True

    def _check_size(self, width: int, height: int) -> None:
        showing = isinstance(self.screen, TooSmallScreen)
        if too_small(width, height) and not showing:
            self.push_screen(TooSmallScreen())
        elif not too_small(width, height) and showing:
            self.pop_screen()

    # ------------------------------------------------------------------ themes
    @staticmethod
    def _is_dark(name: str) -> bool:
        return "light" not in name

    def _themes_for(self, configured: str) -> tuple[str, str]:
        """(dark, light) pair that `t` toggles between; the configured theme takes its own slot."""
        if configured not in self.available_themes:
            return DARK_DEFAULT, LIGHT_DEFAULT
        dark = self.available_themes[configured].dark
        return (configured, LIGHT_DEFAULT) if dark else (DARK_DEFAULT, configured)

    def action_toggle_theme(self) -> None:
        dark, light = self._theme_pair
        self.theme = light if self.current_theme.dark else dark

    # ------------------------------------------------------------------ help and palette
    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.key_help(), palette_commands(self, self.screen)))

    def key_help(self) -> list[KeyHelp]:
        """Every key active on the current screen, described: cryptoterm's own keys first, then the generic
        ones (focus, copy, the focused widget's cursor movement)."""
        seen: set[tuple[str, str]] = set()
        ranked: list[tuple[int, KeyHelp]] = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            switches_screen = active.node is self and binding.action.startswith("switch_mode(")
            described = f"Go to {binding.description}" if switches_screen else binding.tooltip or binding.description
            entry = (self.get_key_display(binding), described or binding.action)
            if entry not in seen:
                seen.add(entry)
                ours = switches_screen or any(
                    binding in cls.__dict__.get("BINDINGS", ())
                    for cls in type(active.node).__mro__
                    if cls.__module__.startswith("cryptoterm.")
                )
                ranked.append((0 if ours else 1, entry))
        return [entry for _, entry in sorted(ranked, key=lambda item: item[0])]

    def palette_commands(self) -> list[PaletteCommand]:
        commands = [
            PaletteCommand(f"Go to {spec.title}", spec.description, partial(self.switch_mode, spec.name), spec.key)
            for spec in SCREENS
        ]
        commands += [
            PaletteCommand(
                "Toggle dark / light theme", "Switch between the dark and light theme", self.action_toggle_theme, "t"
            ),
            PaletteCommand("Scan now", "Run every enabled strategy now", partial(self.scans.scan_now, "manual")),
            PaletteCommand("Help", "List every key and command", self.action_help, "?"),
            PaletteCommand("Quit", "Leave cryptoterm", self.exit, "q"),
        ]
        return commands


def run_tui(config: AppConfig, options: RunOptions) -> int:
    """Run the TUI until the user quits; returns the process exit code."""
    exit_after_first_frame = os.environ.get(FIRST_FRAME_ENV, "") not in ("", "0")
    app = CryptotermApp(config, options, exit_after_first_frame=exit_after_first_frame)
    app.run()
    if exit_after_first_frame and app.first_frame_at is not None:
        import psutil

        started = psutil.Process().create_time()
        print(f"first frame {app.first_frame_at - started:.3f} s after process start", flush=True)
    return app.return_code or 0
