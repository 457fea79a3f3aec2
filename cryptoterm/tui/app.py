"""The Textual application: builds the runtime, routes data messages to screens, owns app-wide keys.

It also owns how the process ends. `q` / `ctrl+q` quit, and so does `ctrl+c` pressed twice (the first press
asks; inside a text field it copies, as everywhere in Textual). SIGTERM (`kill PID`) and SIGHUP (the SSH
connection dropped) end the app the same way as `q` — workers stop, the runtime closes and flushes the store,
the terminal leaves the alternate screen with mouse reporting off and the cursor shown — and the process exits
with 128 + the signal number (143 for SIGTERM, 129 for SIGHUP), as a shell reports a signalled process and as
`ctrl+c` outside the app already exits with 130.

Deliberately small: screens are declared in `screens/__init__.py`, palette entries in `commands.py`, layout in
`app.tcss`. The app owns the long-lived workers (runtime start-up and the market feed), turns each published
snapshot into a replaceable `MarketUpdated` message, and forwards data messages to the screens on the stack.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable
from functools import partial
from typing import ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.worker import Worker, WorkerFailed

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.timeframes import TIMEFRAMES
from cryptoterm.ports.ui_state import MemoryUiState, UiStateStore
from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.tui.commands import PaletteCommand, WorkstationCommands, palette_commands
from cryptoterm.tui.connection_advice import ConnectionAdvice
from cryptoterm.tui.context import EngineBuilder, PendingRuntime, TuiSession
from cryptoterm.tui.logging_bridge import attach_log_pane
from cryptoterm.tui.messages import LogRecorded, MarketUpdated, SymbolOpened, UiStateChanged
from cryptoterm.tui.replay_keys import ReplayKeys
from cryptoterm.tui.scan_scheduler import ScanScheduler
from cryptoterm.tui.screens import HOME, SCREENS, SYMBOL_DETAIL, preload_screens
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.screens.help import HelpScreen, KeyHelp
from cryptoterm.tui.screens.too_small import TooSmallScreen, too_small
from cryptoterm.tui.trading_keys import trading_palette_commands
from cryptoterm.tui.workers import report_worker_state
from cryptoterm.wiring.options import RunOptions

log = logging.getLogger(__name__)

#: Set to 1 to exit as soon as the first frame is on screen and print how long that took (benchmarks).
FIRST_FRAME_ENV = "CRYPTOTERM_EXIT_AFTER_FIRST_FRAME"
#: How often live mode checks whether the exchange was reached at all (see `ConnectionAdvice`).
ADVICE_EVERY_S = 5.0
DARK_DEFAULT = "textual-dark"
LIGHT_DEFAULT = "textual-light"


def _default_builder() -> EngineBuilder:
    """`cryptoterm.wiring.build_engine`, imported on first use (it pulls in the storage and analysis stack).

    Returning it as an `EngineBuilder` is where mypy checks that the engine satisfies the TUI's `RuntimeView`.
    """
    from cryptoterm.wiring import build_engine

    return build_engine


class CryptotermApp(ReplayKeys):
    """The cryptoterm TUI."""

    TITLE = "cryptoterm"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {WorkstationCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="List every key and command"),
        Binding("t", "toggle_theme", "Theme", tooltip="Toggle dark / light theme"),
    ]
    #: Signals that end the app cleanly (see the module docstring).
    STOP_SIGNALS: ClassVar[tuple[signal.Signals, ...]] = (signal.SIGTERM, signal.SIGHUP)
    #: How long the "press ctrl+c again" question stays up (and the second press counts).
    QUIT_ASK_S = 5.0

    def __init__(
        self,
        config: AppConfig,
        options: RunOptions,
        *,
        build_engine: EngineBuilder | None = None,
        exit_after_first_frame: bool = False,
        ui_state: UiStateStore | None = None,
    ) -> None:
        super().__init__()
        self._build_engine = build_engine
        #: Where the user's choices are remembered (`run_tui` passes the file beside the database).
        self.ui_store: UiStateStore = ui_state if ui_state is not None else MemoryUiState()
        # The real runtime is built right after the first frame (see `PendingRuntime`).
        self.session = TuiSession(config, options, PendingRuntime(config, options))
        self.session.timeframe = config.ui.timeframe
        self.scans = ScanScheduler(self, self.session)
        self.session.scans = self.scans
        self.exit_after_first_frame = exit_after_first_frame
        self.first_frame_at: float | None = None
        self._detach_logging: Callable[[], None] | None = None
        self._signals_installed: list[signal.Signals] = []
        self._quit_asked_at: float | None = None
        self.connection_advice: ConnectionAdvice | None = None
        #: The signal that ended the app, if one did.
        self.stopped_by: signal.Signals | None = None
        self._theme_pair = self._themes_for(config.ui.theme)
        self.theme = self._theme_pair[0] if self._is_dark(config.ui.theme) else self._theme_pair[1]
        for spec in SCREENS:
            self.add_mode(spec.name, partial(spec.factory, self.session))

    # ------------------------------------------------------------------ lifecycle
    async def on_mount(self) -> None:
        self._install_logging()
        self._install_signal_handlers()
        self._load_ui_state()
        if self.session.config.ui.theme not in self.available_themes:
            log.warning("ui.theme %r is not a known theme; using %s", self.session.config.ui.theme, self.theme)
        for spec in SCREENS:
            if spec.key:
                self.bind(spec.key, f"switch_mode('{spec.name}')", description=spec.title, show=False)
        await self.switch_mode(HOME)
        self._check_size(self.size.width, self.size.height)

    async def _start_runtime(self) -> None:
        """Build the runtime (its imports run in a thread, off the event loop), then start it and the feed."""
        builder = self._build_engine
        if builder is None:
            builder = await asyncio.to_thread(_default_builder)
        from cryptoterm.wiring import StartupError

        session = self.session
        try:
            runtime = builder(session.config, session.options, self.publish)
        except StartupError as exc:
            self.exit(return_code=2, message=f"cryptoterm: {exc}")
            return
        session.runtime = runtime
        await runtime.start()
        await self._apply_saved_watchlist()
        self._apply_saved_strategies()
        self.scans.start()
        if session.options.mode == "live":
            self.connection_advice = ConnectionAdvice(time.monotonic())
            self.set_interval(ADVICE_EVERY_S, self.advise_on_connection, name="connection advice")
        self.publish(runtime.feed.snapshot())
        self.run_worker(runtime.feed.run(), name="market feed", group="feed", exclusive=True, exit_on_error=False)
        self.run_worker(preload_screens, name="preload screens", group="preload", thread=True, exit_on_error=False)

    def advise_on_connection(self, now_s: float | None = None) -> None:
        """Live mode that cannot reach the exchange: one warning with the way out (see `ConnectionAdvice`)."""
        if self.connection_advice is None:
            return
        line = self.connection_advice.check(time.monotonic() if now_s is None else now_s, self.session.snapshot)
        if line:
            log.warning("%s", line)

    def on_ready(self) -> None:
        """The first frame is on screen: now build and start the runtime (or exit, when benchmarking)."""
        self.first_frame_at = time.time()
        if self.exit_after_first_frame:
            self.exit(0)
            return
        self.run_worker(self._start_runtime(), name="runtime start", group="runtime", exit_on_error=False)

    async def on_unmount(self) -> None:
        self._remove_signal_handlers()
        try:
            await asyncio.wait_for(self.scans.stop(), timeout=30.0)
        except Exception:
            log.exception("stopping the scans failed")
        try:
            await asyncio.wait_for(self.session.runtime.close(), timeout=5.0)
        except Exception:
            log.exception("closing the runtime failed")
        finally:
            self._remove_logging()

    # ------------------------------------------------------------------ ending
    def _install_signal_handlers(self) -> None:
        """SIGTERM / SIGHUP → a clean exit. Only the main thread's loop can take signals (tests run elsewhere)."""
        loop = asyncio.get_running_loop()
        for sig in self.STOP_SIGNALS:
            try:
                loop.add_signal_handler(sig, self.stop_for_signal, sig)
            except (NotImplementedError, RuntimeError, ValueError):
                continue
            self._signals_installed.append(sig)

    def _remove_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in self._signals_installed:
            loop.remove_signal_handler(sig)
        self._signals_installed.clear()

    def stop_for_signal(self, sig: signal.Signals) -> None:
        """End the app as `q` would, exiting with 128 + the signal number."""
        if self.stopped_by is not None:
            return
        self.stopped_by = sig
        log.info("%s received: stopping", sig.name)
        self.exit(return_code=128 + int(sig))

    def action_help_quit(self) -> None:
        """`ctrl+c` outside a text field: the first press asks, a second one within QUIT_ASK_S quits."""
        now = time.monotonic()
        if self._quit_asked_at is not None and now - self._quit_asked_at <= self.QUIT_ASK_S:
            self.exit()
            return
        self._quit_asked_at = now
        self.notify("Press ctrl+c again to quit (or q).", title="Quit?", timeout=self.QUIT_ASK_S)

    # ------------------------------------------------------------------ remembered state
    def _load_ui_state(self) -> None:
        """Read what the user chose last time (a bad file is one warning line and the defaults)."""
        session = self.session
        session.ui = self.ui_store.load()
        timeframe = session.ui.timeframes.get("dashboard", "")
        if timeframe in TIMEFRAMES:
            session.timeframe = timeframe

    async def _apply_saved_watchlist(self) -> None:
        """Make the runtime watch the remembered watchlist, through its own add / remove (streams follow)."""
        saved = self.session.ui.watchlist
        if saved is None:
            return
        runtime = self.session.runtime
        wanted = list(dict.fromkeys(saved))
        for symbol in [s for s in runtime.feed.symbols if s not in wanted]:
            await runtime.remove_symbol(symbol)
        for symbol in [s for s in wanted if s not in runtime.feed.symbols]:
            try:
                await runtime.add_symbol(symbol)
            except ValueError as exc:
                log.warning("remembered watchlist: %s; skipped", exc)

    def _apply_saved_strategies(self) -> None:
        """Switch strategies on / off as the user left them (strategies since removed are forgotten)."""
        saved = self.session.ui.strategies
        scanning = self.session.scanning
        if not saved or scanning is None:
            return
        known = {status.name: status.enabled for status in scanning.strategies()}
        for name, enabled in list(saved.items()):
            if name not in known:
                del saved[name]
            elif known[name] != enabled:
                scanning.set_enabled(name, enabled)

    def on_ui_state_changed(self, message: UiStateChanged) -> None:
        self.ui_store.save(self.session.ui)

    def _install_logging(self) -> None:
        config, options = self.session.config, self.session.options
        level = logging.DEBUG if options.verbose else logging.INFO
        self._detach_logging = attach_log_pane(self, (config.exchange.api_key, config.exchange.api_secret), level)

    def _remove_logging(self) -> None:
        if self._detach_logging is not None:
            self._detach_logging()
            self._detach_logging = None

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
            # The logger's name is for the log pane; a toast says what happened, not which module said it.
            self.notify(line.text.splitlines()[0][:200], title=line.level_name.title(), severity="error", timeout=8)

    def _live_screens(self) -> list[LiveScreen]:
        return [screen for screen in self.screen_stack if isinstance(screen, LiveScreen)]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_state(event.worker, event.state, owner="app")

    def _handle_exception(self, error: Exception) -> None:
        """A background job that fails (a worker started with Textual's default `exit_on_error`) is reported by
        its screen — a log line with the traceback, shown in the log pane and as a notification — and the app
        keeps running: a failed table load or import must not close a workstation that is open all day. Any
        other exception still ends the app with Textual's traceback."""
        if isinstance(error, WorkerFailed):
            return
        super()._handle_exception(error)

    # ------------------------------------------------------------------ terminal size
    def on_resize(self, event: events.Resize) -> None:
        self._check_size(event.size.width, event.size.height)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While the terminal is too small only quitting works: switching screens or opening overlays there
        # would lay out screens that cannot fit, and strand the notice on another mode's stack.
        if isinstance(self.screen, TooSmallScreen):
            return action == "quit"
        return self.replay_action_allowed(action) is not False  # the replay keys work during a replay only

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
            *trading_palette_commands(self.screen, self.session),
            *self.replay_palette_commands(),
            PaletteCommand("Help", "List every key and command", self.action_help, "?"),
            PaletteCommand("Quit", "Leave cryptoterm", self.exit, "q"),
        ]
        return commands


def run_tui(config: AppConfig, options: RunOptions) -> int:
    """Run the TUI until the user quits; returns the process exit code."""
    exit_after_first_frame = os.environ.get(FIRST_FRAME_ENV, "") not in ("", "0")
    from cryptoterm.wiring.ui_state import open_ui_state

    app = CryptotermApp(
        config, options, exit_after_first_frame=exit_after_first_frame, ui_state=open_ui_state(config, options)
    )
    app.run()
    if exit_after_first_frame and app.first_frame_at is not None:
        import psutil

        started = psutil.Process().create_time()
        print(f"first frame {app.first_frame_at - started:.3f} s after process start", flush=True)
    return app.return_code or 0
