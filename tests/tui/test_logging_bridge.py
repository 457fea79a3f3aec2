from __future__ import annotations

import logging
import threading

from cryptoterm.tui.logging_bridge import MASK, TuiLogHandler, redact
from cryptoterm.tui.widgets.log_pane import LogPane
from tests.tui.conftest import make_app


def test_redact_masks_configured_secrets_and_credentials_in_text() -> None:
    text = (
        "GET https://api.example.com/v3/order?symbol=BTCUSDT&signature=abc123def&timestamp=1 "
        "with api_key=K3yK3yK3y token: t0k3n-xyz Authorization: Bearer eyJhbGciOi.xx "
        "wss://user:hunter22@stream.example.com/ws secret-value-1234 appears"
    )
    out = redact(text, secrets=["secret-value-1234"])
    for secret in ("abc123def", "K3yK3yK3y", "t0k3n-xyz", "eyJhbGciOi.xx", "hunter22", "secret-value-1234"):
        assert secret not in out
    assert "symbol=BTCUSDT" in out and "timestamp=1" in out
    assert out.count(MASK) == 6


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "BTC/USDT 1m bar closed at 61,000.5 (keys pressed: 1 2 3)"
    assert redact(text, secrets=["", "ab"]) == text


async def test_records_from_any_thread_reach_the_log_pane() -> None:
    app = make_app()
    logger = logging.getLogger("cryptoterm.test.bridge")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = app.screen.query_one(LogPane)
        before = pane.lines_written

        def worker() -> None:
            for i in range(5):
                logger.warning("from thread %d api_key=SHOULDNOTSHOW", i)

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        logger.info("from the loop")
        await pilot.pause()
        await pilot.pause()
        texts = [line.text for line in app.session.logs if line.logger == logger.name]
        # lines from one thread keep their order; lines from different threads may interleave
        assert [t for t in texts if t.startswith("from thread")] == [
            f"from thread {i} api_key={MASK}" for i in range(5)
        ]
        assert "from the loop" in texts and len(texts) == 6
        assert pane.lines_written - before == 6
        assert "SHOULDNOTSHOW" not in "\n".join(strip.text for strip in pane.lines)
    # the handler is removed when the app exits
    assert not any(isinstance(h, TuiLogHandler) for h in logging.getLogger().handlers)


async def test_error_records_also_raise_a_notification() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        logging.getLogger("cryptoterm.test.bridge").error("exchange rejected the request")
        await pilot.pause()
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert "exchange rejected the request" in messages


async def test_an_app_run_leaves_the_log_level_as_it_found_it() -> None:
    """The app lowers cryptoterm's loggers to INFO while it runs; afterwards DEBUG records flow again (a process
    that runs several apps, or the app then another job, must not lose them)."""
    ours = logging.getLogger("cryptoterm")
    ours.setLevel(logging.NOTSET)
    try:
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert ours.level == logging.INFO
        assert ours.level == logging.NOTSET
    finally:
        ours.setLevel(logging.NOTSET)
