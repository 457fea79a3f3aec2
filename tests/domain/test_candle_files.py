"""Reading candle files: Binance file names, time units told apart by size, headers by their names."""

from __future__ import annotations

import pytest

from cryptoterm.domain.candle_files import CandleFileError, name_hints, parse_time, read_rows, symbol_from_native


@pytest.mark.parametrize(
    ("name", "hints"),
    [
        ("BTCUSDT-1h-2024-01.csv", ("BTC/USDT", "1h")),
        ("BTCUSDT-1h-2024-01.csv.gz", ("BTC/USDT", "1h")),
        ("ETHBTC-4h.csv.gz", ("ETH/BTC", "4h")),
        ("binanceus-BTCUSDT-1m-2023-03-01_2023-03-21.csv.gz", ("BTC/USDT", "1m")),
        ("SOLFDUSD-1d-2024-05-01.json", ("SOL/FDUSD", "1d")),
        ("BTCUSDT-3h-2024.csv", ("BTC/USDT", "")),  # not a timeframe of the workstation
        ("prices.csv", ("", "")),
    ],
)
def test_binance_file_names(name: str, hints: tuple[str, str]) -> None:
    assert name_hints(name) == hints


def test_time_units_by_size_and_iso() -> None:
    ms = 1_723_161_600_000
    assert parse_time("1723161600") == ms
    assert parse_time(str(ms)) == ms
    assert parse_time("1723161600000000") == ms  # µs, as Binance's files since 2025
    assert parse_time("1723161600000000000") == ms
    assert parse_time("2024-08-09T00:00:00Z") == ms == parse_time("2024-08-09 00:00:00") == parse_time("2024-08-09")
    assert parse_time("2024-08-09T02:00:00+02:00") == ms
    with pytest.raises(ValueError, match='"yesterday" is not a time'):
        parse_time("yesterday")


def test_headers_are_read_by_name_in_any_order() -> None:
    rows = [["Close", "Timestamp", "Volume", "High", "Low", "Open"], ["10.5", "2024-08-09", "3", "11", "9", "10"]]
    [series] = read_rows(rows, "x.csv", symbol="ETH/USDT", timeframe="1d")
    [candle] = series.candles
    assert (candle.open, candle.high, candle.low, candle.close, candle.volume) == (10, 11, 9, 10.5, 3)
    with pytest.raises(CandleFileError, match=r"x\.csv:1: the header has no 'volume' column"):
        read_rows([["time", "open", "high", "low", "close"]], "x.csv", symbol="ETH/USDT", timeframe="1d")
    with pytest.raises(CandleFileError, match=r"x\.csv:1: 5 columns without a header"):
        read_rows([["1", "2", "3", "4", "5"]], "x.csv", symbol="ETH/USDT", timeframe="1d")


def test_native_symbols() -> None:
    assert symbol_from_native("BTCUSDT") == "BTC/USDT"
    assert symbol_from_native("ethbtc") == "ETH/BTC"
    assert symbol_from_native("USDT") == ""
