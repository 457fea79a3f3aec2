"""Candle files read from disk and exports written to it, for `cryptoterm import` / `export` and the data screen.

Reading: the bytes of a file (gzip told by its magic number, not its name), decoded, split into rows by the CSV
reader or — for JSON arrays, objects and JSON lines — turned into the same rows, then checked by
`domain.candle_files.read_rows`. Writing: rows streamed into CSV (a header naming the columns) or one JSON array,
to a text stream or a file (`.gz` compressed).
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, TextIO

import orjson

from cryptoterm.domain.candle_files import CandleFileError, SeriesRead, name_hints, read_rows
from cryptoterm.ports.data_io import ExportFilter, ExportKind, TableExporter

_ROW_KEYS = ("open_time", "open", "high", "low", "close", "volume", "quote_volume", "trades", "symbol", "timeframe")


def read_candle_file(path: Path, symbol: str = "", timeframe: str = "") -> list[SeriesRead]:
    """One file's series, checked (`CandleFileError` names the file, line and column)."""
    name = path.name
    hinted_symbol, hinted_tf = name_hints(name)
    try:
        text = _read_text(path)
    except OSError as exc:
        raise CandleFileError(f"{name}: cannot read: {exc.strerror or exc}") from None
    except (EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise CandleFileError(f"{name}: not a readable text or .gz file ({type(exc).__name__})") from None
    rows = _json_rows(text, name) if _looks_like_json(name, text) else csv.reader(io.StringIO(text))
    return read_rows(rows, name, symbol=symbol or hinted_symbol, timeframe=timeframe or hinted_tf)


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8-sig")


def _looks_like_json(name: str, text: str) -> bool:
    stem = name.removesuffix(".gz")
    return stem.endswith((".json", ".jsonl")) or text.lstrip()[:1] in ("[", "{")


def _json_rows(text: str, name: str) -> Iterator[Sequence[str]]:
    """JSON as the CSV reader's rows: a header row first when the records are objects."""
    stripped = text.strip()
    try:
        if stripped.startswith("["):
            records: list[Any] = orjson.loads(stripped)
        else:
            records = [orjson.loads(line) for line in stripped.splitlines() if line.strip()]
    except orjson.JSONDecodeError as exc:
        raise CandleFileError(f"{name}: not valid JSON ({exc})") from None
    if records and isinstance(records[0], dict):
        keys = [k for k in _ROW_KEYS if k in records[0]] or list(records[0])
        yield keys
        for record in records:
            yield [_text(record.get(k)) for k in keys] if isinstance(record, dict) else [_text(record)]
        return
    for record in records:
        yield [_text(v) for v in record] if isinstance(record, list) else [_text(record)]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def open_output(path: str | None, stdout: TextIO) -> TextIO:
    if not path:
        return stdout
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "wb"), encoding="utf-8", newline="")
    return open(path, "w", encoding="utf-8", newline="")


def write_rows(exporter: TableExporter, kind: ExportKind, where: ExportFilter, fmt: str, target: IO[str]) -> int:
    rows = exporter.rows(kind, where)
    if fmt == "json":
        return _write_json(rows, target)
    writer = csv.DictWriter(target, fieldnames=exporter.columns(kind), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
        count += 1
    return count


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    if value is None:
        return ""
    return value


def _write_json(rows: Iterator[dict[str, Any]], target: IO[str]) -> int:
    count = 0
    target.write("[")
    for row in rows:
        target.write(("," if count else "") + "\n" + orjson.dumps(row).decode())
        count += 1
    target.write("\n]\n" if count else "]\n")
    return count
