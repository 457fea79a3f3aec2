"""Candle files read into candles: Binance's kline layouts and generic headed tables, checked row by row.

Accepted (one series per file, or several when the rows carry `symbol` / `timeframe` columns):

* Binance klines, 6 columns (`open_time,open,high,low,close,volume`) or 12 (… `close_time,quote_asset_volume,
  number_of_trades,taker_buy_base_asset_volume,taker_buy_quote_asset_volume,ignore`), with or without a header;
* any table with a header naming the columns: `open_time` (or `time`, `timestamp`, `date`, `datetime`, `ts`),
  `open`, `high`, `low`, `close`, `volume`, optionally `quote_volume` (`quote_asset_volume`), `trades`
  (`number_of_trades`), `symbol`, `timeframe` — what `cryptoterm export candles` writes reads back;
* times as epoch seconds, milliseconds, microseconds (Binance's newer files) or nanoseconds, or ISO 8601 text.

The symbol and timeframe come from a column, else from the caller (`--symbol`, `--timeframe`), else from a
Binance-pattern file name (`BTCUSDT-1h-2024-01.csv` → BTC/USDT, 1h). Every problem is a `CandleFileError`
naming the file, the line and the column: `btc.csv:1203: column "high": "41,2" is not a number`. Duplicates
(identical rows), out-of-order rows and gaps are not errors: they are reported with the series.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

import numpy as np

from cryptoterm.domain.gaps import Gap, find_gaps
from cryptoterm.domain.market import Candle
from cryptoterm.domain.timeframes import TIMEFRAMES, timeframe_ms

BINANCE_12: Final = (
    "open_time", "open", "high", "low", "close", "volume", "close_time", "quote_asset_volume", "number_of_trades",
    "taker_buy_base_asset_volume", "taker_buy_quote_asset_volume", "ignore",
)  # fmt: skip
_ALIASES: Final = {
    "open_time": "open_time", "opentime": "open_time", "open time": "open_time", "time": "open_time",
    "timestamp": "open_time", "date": "open_time", "datetime": "open_time", "ts": "open_time",
    "open": "open", "o": "open", "high": "high", "h": "high", "low": "low", "l": "low", "close": "close",
    "c": "close", "volume": "volume", "v": "volume", "vol": "volume", "quote_volume": "quote_volume",
    "quote_asset_volume": "quote_volume", "quote volume": "quote_volume", "trades": "trades",
    "number_of_trades": "trades", "count": "trades", "symbol": "symbol", "timeframe": "timeframe",
    "interval": "timeframe",
}  # fmt: skip
_REQUIRED: Final = ("open_time", "open", "high", "low", "close", "volume")
#: Quote currencies a Binance symbol may end in, longest first (so FDUSD wins over USD).
QUOTES: Final = (
    "FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USDP", "DAI", "BTC", "ETH", "BNB", "EUR", "TRY", "GBP", "BRL", "AUD",
    "JPY", "RUB", "UAH", "ZAR", "IDR", "USD", "XRP", "DOGE", "TRX",
)  # fmt: skip
_FILE_NAME = re.compile(r"^(?:[a-z][a-z0-9]*-)?(?P<symbol>[A-Z0-9]{4,20})-(?P<tf>\d+[mhdw])(?:[-_.].*)?$")


class CandleFileError(ValueError):
    """A file that cannot be imported; the message names the file, the line and the column."""


@dataclass(slots=True)
class SeriesRead:
    """One series of a file, checked: its candles in time order and what was noticed on the way."""

    source: str
    symbol: str
    timeframe: str
    candles: list[Candle] = field(default_factory=list)
    duplicates: int = 0
    out_of_order: int = 0
    gaps: tuple[Gap, ...] = ()

    @property
    def missing_bars(self) -> int:
        return sum(g.missing for g in self.gaps)


def symbol_from_native(native: str) -> str:
    """`BTCUSDT` → `BTC/USDT` (by the quote currencies Binance lists); "" when no quote fits."""
    upper = native.upper()
    for quote in QUOTES:
        if upper.endswith(quote) and len(upper) > len(quote):
            return f"{upper[: -len(quote)]}/{quote}"
    return ""


def name_hints(file_name: str) -> tuple[str, str]:
    """(symbol, timeframe) from a Binance-pattern file name, "" for what it does not say."""
    base = file_name.rsplit("/", 1)[-1]
    for suffix in (".gz", ".csv", ".json", ".jsonl", ".txt"):
        base = base.removesuffix(suffix)
    match = _FILE_NAME.match(base)
    if match is None:
        return "", ""
    timeframe = match.group("tf")
    return symbol_from_native(match.group("symbol")), timeframe if timeframe in TIMEFRAMES else ""


def parse_time(text: str) -> int:
    """Epoch ms from epoch s / ms / µs / ns (told apart by size) or ISO 8601 text (UTC unless it says)."""
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if math.isfinite(number):
        magnitude = abs(number)
        if magnitude < 1e11:
            return round(number * 1000)
        if magnitude < 1e14:
            return round(number)
        if magnitude < 1e17:
            return round(number / 1000)
        return round(number / 1_000_000)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" UTC", ""))
    except ValueError:
        raise ValueError(f'"{value}" is not a time (epoch s, ms or µs, or ISO 8601)') from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def _is_header(row: Sequence[str]) -> bool:
    first = row[0].strip().lower() if row else ""
    return first in _ALIASES or any(cell.strip().lower() in ("open", "high", "close") for cell in row)


def _columns(header: Sequence[str], source: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _ALIASES.get(name.strip().lower())
        if key is not None and key not in found:
            found[key] = index
    missing = [name for name in _REQUIRED if name not in found]
    if missing:
        raise CandleFileError(f"{source}:1: the header has no {', '.join(repr(m) for m in missing)} column")
    return found


def _number(cells: Sequence[str], index: int | None, column: str, where: str) -> float:
    if index is None:
        return 0.0
    text = cells[index].strip() if index < len(cells) else ""
    try:
        value = float(text)
    except ValueError:
        raise CandleFileError(f'{where}: column "{column}": "{text}" is not a number') from None
    if not math.isfinite(value):
        raise CandleFileError(f'{where}: column "{column}": "{text}" is not a finite number')
    return value


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    symbol: str
    timeframe: str
    candle: Candle


def _check_ohlc(candle: Candle, where: str) -> None:
    o, h, low, c = candle.open, candle.high, candle.low, candle.close
    for name, value in (("open", o), ("high", h), ("low", low), ("close", c)):
        if not value > 0:
            raise CandleFileError(f'{where}: column "{name}": {value:g} is not a price (must be above 0)')
    if candle.volume < 0:
        raise CandleFileError(f'{where}: column "volume": {candle.volume:g} is negative')
    if low > h:
        raise CandleFileError(f'{where}: column "low": {low:g} is above the high {h:g}')
    if h < max(o, c):
        raise CandleFileError(f'{where}: column "high": {h:g} is below the open or close ({max(o, c):g})')
    if low > min(o, c):
        raise CandleFileError(f'{where}: column "low": {low:g} is above the open or close ({min(o, c):g})')


def read_rows(rows: Iterable[Sequence[str]], source: str, *, symbol: str = "", timeframe: str = "") -> list[SeriesRead]:
    """Parse and check the rows of one file (CSV cells, or JSON rows as strings), `source` naming it in errors.

    `symbol` / `timeframe` apply where the rows carry no such column (the caller resolves `--symbol`, then the
    file name); rows of one series may come in any order.
    """
    header: dict[str, int] | None = None
    parsed: list[_Row] = []
    line = 0
    for cells in rows:
        line += 1
        if not cells or all(not c.strip() for c in cells):
            continue
        if header is None and not parsed:
            if _is_header(cells):
                header = _columns(cells, source)
                continue
            if len(cells) not in (6, 12):
                raise CandleFileError(
                    f"{source}:{line}: {len(cells)} columns without a header; expected Binance's 6 or 12 kline "
                    "columns, or a header row naming them (open_time, open, high, low, close, volume, …)"
                )
            header = {name: i for i, name in enumerate(BINANCE_12[: len(cells)])}
            if len(cells) == 12:
                header.update(quote_volume=7, trades=8)
        assert header is not None  # set by the first row: a header, or Binance's layout
        parsed.append(_parse(cells, header, source, line, symbol, timeframe))
    if not parsed:
        raise CandleFileError(f"{source}: no candles in the file")
    return _series(parsed, source)


def _parse(cells: Sequence[str], header: dict[str, int], source: str, line: int, symbol: str, timeframe: str) -> _Row:
    where = f"{source}:{line}"
    index = header["open_time"]
    text = cells[index] if index < len(cells) else ""
    try:
        open_time = parse_time(text)
    except ValueError as exc:
        raise CandleFileError(f'{where}: column "open_time": {exc}') from None
    o, h, low, c, volume = (
        _number(cells, header.get(name), name, where) for name in ("open", "high", "low", "close", "volume")
    )
    quote = _number(cells, header.get("quote_volume"), "quote_volume", where)
    trades = _number(cells, header.get("trades"), "trades", where)
    candle = Candle(open_time, o, h, low, c, volume, quote, int(trades))
    _check_ohlc(candle, where)
    row_symbol = cells[header["symbol"]].strip().upper() if "symbol" in header else symbol
    if row_symbol and "/" not in row_symbol:
        row_symbol = symbol_from_native(row_symbol) or row_symbol
    row_tf = cells[header["timeframe"]].strip() if "timeframe" in header else timeframe
    if not row_symbol:
        raise CandleFileError(f"{where}: no symbol (no symbol column, no --symbol, and the file name does not say)")
    if "/" not in row_symbol:
        raise CandleFileError(f'{where}: column "symbol": "{row_symbol}" is not a symbol (write BASE/QUOTE)')
    if row_tf not in TIMEFRAMES:
        detail = f'"{row_tf}" is not one of {", ".join(TIMEFRAMES)}' if row_tf else "no timeframe"
        raise CandleFileError(f"{where}: {detail} (give --timeframe, or a timeframe column)")
    if open_time % timeframe_ms(row_tf):
        raise CandleFileError(f'{where}: column "open_time": {open_time} is not the start of a {row_tf} bar')
    return _Row(line, row_symbol, row_tf, candle)


def _series(rows: list[_Row], source: str) -> list[SeriesRead]:
    grouped: dict[tuple[str, str], list[_Row]] = {}
    for row in rows:
        grouped.setdefault((row.symbol, row.timeframe), []).append(row)
    out: list[SeriesRead] = []
    for (symbol, timeframe), members in grouped.items():
        series = SeriesRead(source, symbol, timeframe)
        series.out_of_order = sum(1 for a, b in itertools.pairwise(members) if b.candle.open_time < a.candle.open_time)
        by_time: dict[int, _Row] = {}
        for row in sorted(members, key=lambda r: r.candle.open_time):
            seen = by_time.get(row.candle.open_time)
            if seen is None:
                by_time[row.candle.open_time] = row
            elif seen.candle == row.candle:
                series.duplicates += 1
            else:
                raise CandleFileError(
                    f"{source}:{row.line}: open_time {row.candle.open_time} is also on line {seen.line} "
                    "with other values"
                )
        series.candles = [by_time[t].candle for t in sorted(by_time)]
        times = np.array([c.open_time for c in series.candles], dtype=np.int64)
        series.gaps = tuple(find_gaps(times, timeframe_ms(timeframe)))
        out.append(series)
    return out
