"""CcxtHistory against the loopback exchange, and the translation of ccxt errors into project errors."""

from __future__ import annotations

import ccxt
import pytest

from cryptoterm.adapters.errors import (
    ExchangeUnavailable,
    RateLimitedError,
    RejectedError,
    RetryableError,
    parse_retry_after,
    redact,
    translate_ccxt_error,
)


@pytest.mark.parametrize(
    "ccxt_error",
    [
        ccxt.NetworkError,
        ccxt.RequestTimeout,
        ccxt.ExchangeNotAvailable,
        ccxt.OnMaintenance,
        ccxt.InvalidNonce,
    ],
)
def test_network_errors_are_retryable(ccxt_error: type[Exception]) -> None:
    translated = translate_ccxt_error(ccxt_error("binance GET https://x/api/v3/klines 503"))
    assert isinstance(translated, ExchangeUnavailable)
    assert isinstance(translated, RetryableError)
    assert translated.retryable


@pytest.mark.parametrize("ccxt_error", [ccxt.DDoSProtection, ccxt.RateLimitExceeded])
def test_rate_limits_carry_retry_after(ccxt_error: type[Exception]) -> None:
    translated = translate_ccxt_error(ccxt_error("429 Too Many Requests"), retry_after_s=7.0)
    assert isinstance(translated, RateLimitedError)
    assert isinstance(translated, RetryableError)
    assert translated.retry_after_s == 7.0


def test_rate_limit_retry_after_read_from_message_when_no_header() -> None:
    translated = translate_ccxt_error(ccxt.DDoSProtection('418 {"Retry-After": "120"}'))
    assert isinstance(translated, RateLimitedError)
    assert translated.retry_after_s == 120.0


@pytest.mark.parametrize(
    "ccxt_error",
    [ccxt.ExchangeError, ccxt.BadSymbol, ccxt.BadRequest, ccxt.AuthenticationError, ccxt.PermissionDenied],
)
def test_exchange_refusals_are_rejected(ccxt_error: type[Exception]) -> None:
    translated = translate_ccxt_error(ccxt_error("binance {'code': -1121, 'msg': 'Invalid symbol.'}"))
    assert isinstance(translated, RejectedError)
    assert not translated.retryable


@pytest.mark.parametrize("raw", [TimeoutError("t"), OSError("unreachable"), ConnectionResetError("reset")])
def test_raw_network_errors_are_retryable(raw: Exception) -> None:
    assert isinstance(translate_ccxt_error(raw), ExchangeUnavailable)


def test_unknown_errors_are_not_retried() -> None:
    assert isinstance(translate_ccxt_error(ValueError("weird")), RejectedError)


def test_translated_errors_pass_through_unchanged() -> None:
    original = RateLimitedError("slow down", 3.0)
    assert translate_ccxt_error(original) is original


def test_messages_are_redacted() -> None:
    exc = ccxt.AuthenticationError(
        "binance GET https://api.binance.com/api/v3/account?timestamp=1&signature=abcdef0123 "
        "key MYSECRETKEY rejected"
    )
    translated = translate_ccxt_error(exc, secrets=("MYSECRETKEY",))
    text = str(translated)
    assert "abcdef0123" not in text
    assert "MYSECRETKEY" not in text
    assert "signature=***" in text
    assert "AuthenticationError" in text


def test_redact_handles_tokens_and_keys() -> None:
    text = redact("wss://x/ws?listenKey=abc123&token=zzz&symbol=BTCUSDT")
    assert "abc123" not in text
    assert "zzz" not in text
    assert "symbol=BTCUSDT" in text


@pytest.mark.parametrize(("value", "expected"), [("5", 5.0), (" 2.5 ", 2.5), ("soon", None), (None, None)])
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected
