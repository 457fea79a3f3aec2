"""A loopback Binance spot REST exchange serving real recorded responses, with fault knobs.

It speaks enough of `api.binance.com` for the real ccxt client (configured only through `rest_url`) to load
markets, page klines, read tickers and depth: `/api/v3/exchangeInfo`, `/klines`, `/depth`, `/ticker/24hr`,
`/time`, `/ping`. Every body comes from ../shared/data:

* exchangeInfo — cryptofeed's recording of the real spot exchangeInfo (2021-10-12, 1,695 symbols);
* klines — the real 1h / 1d / 1m kline files, paged by `startTime` / `endTime` / `limit` exactly as Binance
  does (inclusive bounds on open time, default limit 500, max 1000). 6-column source files are widened to
  Binance's 12 columns: close_time = open_time + interval - 1, quote volume = volume * (high + low + close) / 3
  (an estimate, marked as such here), trade counts and taker volumes 0;
* depth — the real BTCUSDT depth snapshots and cryptofeed's spot snapshots, truncated to `limit`;
* ticker/24hr — ccxt's recorded BTCUSDT ticker and the recorded BNBUSDT `24hrTicker` event in REST shape.

Faults are queued with `fail_next` / `rate_limit_next` / `slow_next` / `corrupt_next` and consumed by the next
matching requests; `requests` counts every request by path so tests can assert exactly what a client asked for.
`corrupt_next` answers 200 with a body that is not the API's JSON — the real body cut in half ("truncated", a
connection lost mid-body behind a proxy that still sent the headers) or a proxy's HTML page ("html") — or with a
valid but empty JSON list ("empty", a caching proxy's stale answer); `only_with` limits a fault to requests
carrying that query parameter (e.g. "endTime": the pages of a download, not a client's other requests).
"""

from __future__ import annotations

import asyncio
import bisect
import csv
import gzip
import json
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

_INTERVAL_MS = {"1m": 60_000, "1h": 3_600_000, "1d": 86_400_000}
_DEFAULT_LIMIT = 500
_MAX_LIMIT = 1000
_SPOT_DEPTH_FILES = (
    "orderbook/hftbacktest_binance-spot_BTCUSDT_depth-snapshot_2024-08-08.json",
    "orderbook/binance-spot_BTCUSDT_depth500_snapshot_2025-10-06.json",
)


@dataclass
class _Series:
    open_times: list[int]
    rows: list[list[Any]]


_SERIES_CACHE: dict[tuple[Path, str, str], _Series | None] = {}


@dataclass
class Fault:
    """One queued misbehaviour: `kind` is "status" (answer `status`), "slow" (sleep `delay_s` first), or
    "truncated" / "html" / "empty" (answer 200 with half of the real body, a proxy's HTML page, or `[]`)."""

    kind: str
    status: int = 503
    delay_s: float = 0.0
    retry_after_s: float | None = None
    path_contains: str = ""
    pass_first: int = 0
    only_with: str = ""


@dataclass
class LoopbackBinance:
    """The server. Use `async with LoopbackBinance(shared_data) as server:` and point ccxt at `server.url`."""

    data_dir: Path
    requests: Counter[str] = field(default_factory=Counter)
    request_log: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    #: More endpoints served beside the market data (the signed account endpoints of `binance_spot_api`).
    extra_routes: list[web.RouteDef] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None
    _series: dict[tuple[str, str], _Series | None] = field(default_factory=dict)
    _exchange_info: bytes = b""
    _symbols: frozenset[str] = frozenset()
    _depth: dict[str, dict[str, Any]] = field(default_factory=dict)
    _tickers: dict[str, dict[str, Any]] = field(default_factory=dict)

    # -- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> str:
        """Load the recorded bodies, bind 127.0.0.1 on a free port, and return the base URL."""
        self._load_static()
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/api/v3/ping", self._ping)
        app.router.add_get("/api/v3/time", self._time)
        app.router.add_get("/api/v3/exchangeInfo", self._exchange_info_handler)
        app.router.add_get("/api/v3/klines", self._klines)
        app.router.add_get("/api/v3/depth", self._depth_handler)
        app.router.add_get("/api/v3/ticker/24hr", self._ticker_24hr)
        app.add_routes(self.extra_routes)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LoopbackBinance:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- fault knobs -----------------------------------------------------------------------------------

    def rate_limit_next(
        self, count: int, retry_after_s: float = 1.0, status: int = 429, path_contains: str = ""
    ) -> None:
        """The next `count` matching requests get `status` (429 or 418) with a `Retry-After` header."""
        for _ in range(count):
            self.faults.append(Fault("status", status, retry_after_s=retry_after_s, path_contains=path_contains))

    def fail_next(self, count: int, status: int = 503, path_contains: str = "", after: int = 0) -> None:
        """After `after` more matching requests succeed, the next `count` get a server error `status`."""
        for index in range(count):
            self.faults.append(
                Fault("status", status, path_contains=path_contains, pass_first=after if index == 0 else 0)
            )

    def slow_next(self, count: int, delay_s: float, path_contains: str = "") -> None:
        """The next `count` matching requests are answered only after `delay_s` seconds."""
        for _ in range(count):
            self.faults.append(Fault("slow", delay_s=delay_s, path_contains=path_contains))

    def corrupt_next(
        self, count: int, kind: str = "truncated", path_contains: str = "", *, after: int = 0, only_with: str = ""
    ) -> None:
        """After `after` more matching requests succeed, the next `count` get status 200 with a body that is not
        the answer: `kind` "truncated" (the real body cut in half, still labelled application/json), "html" (a
        proxy's error page) or "empty" (`[]`). `only_with` names a query parameter the request must carry."""
        if kind not in ("truncated", "html", "empty"):
            raise ValueError(f"corrupt_next: kind must be 'truncated', 'html' or 'empty', got {kind!r}")
        for index in range(count):
            first = after if index == 0 else 0
            self.faults.append(Fault(kind, 200, path_contains=path_contains, pass_first=first, only_with=only_with))

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def series_rows(self, symbol: str, interval: str) -> list[list[Any]]:
        """The 12-column rows this server serves for `symbol`/`interval` (what a client should end up with)."""
        series = self._load_series(symbol, interval)
        return [] if series is None else series.rows

    # -- plumbing --------------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests[request.path] += 1
        self.request_log.append((request.path, dict(request.query)))
        fault = self._take_fault(request.path, request.query)
        if fault is not None:
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay_s)
            elif fault.kind == "html":
                return web.Response(text=_PROXY_PAGE, status=200, content_type="text/html")
            elif fault.kind == "empty":
                return _json([])
            elif fault.kind == "truncated":
                real = await handler(request)
                body = real.body if isinstance(real, web.Response) and isinstance(real.body, bytes) else b""
                return web.Response(body=body[: len(body) // 2], status=200, content_type="application/json")
            else:
                headers = {}
                if fault.retry_after_s is not None:
                    headers["Retry-After"] = f"{fault.retry_after_s:g}"
                    body = {"code": -1003, "msg": "Too many requests; IP banned until further notice."}
                elif fault.status >= 502:
                    # Gateways in front of the exchange answer with plain text, not the API's JSON.
                    return web.Response(text=f"{fault.status} gateway error", status=fault.status)
                else:
                    body = {"code": -1001, "msg": "Internal error; unable to process your request."}
                return _json(body, status=fault.status, headers=headers)
        response: web.StreamResponse = await handler(request)
        return response

    def _take_fault(self, path: str, query: Mapping[str, str]) -> Fault | None:
        for index, fault in enumerate(self.faults):
            if fault.path_contains in path and (not fault.only_with or fault.only_with in query):
                if fault.pass_first > 0:
                    fault.pass_first -= 1
                    return None
                return self.faults.pop(index)
        return None

    def _load_static(self) -> None:
        info_path = self.data_dir / "rest" / "cryptofeed_binance-spot_exchangeInfo_2021-10-12.json.gz"
        with gzip.open(info_path, "rb") as fh:
            info = json.load(fh)
        self._symbols = frozenset(s["symbol"] for s in info["symbols"])
        self._exchange_info = orjson.dumps(info)
        for name in _SPOT_DEPTH_FILES:
            raw = json.loads((self.data_dir / name).read_text())
            book = {
                "lastUpdateId": raw.get("lastUpdateId", raw.get("last_update_id")),
                "bids": raw["bids"],
                "asks": raw["asks"],
            }
            self._depth.setdefault("BTCUSDT", book)
        with gzip.open(self.data_dir / "rest" / "cryptofeed_binance-spot_depth-snapshots_2021-10-12.jsonl.gz") as fh:
            for line in fh:
                record = json.loads(line)
                symbol = record["url"].split("symbol=")[1].split("&")[0]
                self._depth.setdefault(symbol, record["body"])
        fixture = json.loads((self.data_dir / "rest" / "ccxt_binance_static_response_market_methods.json").read_text())
        for case in fixture["methods"]["fetchTicker"]:
            body = case["httpResponse"]
            self._tickers[body["symbol"]] = body
        event_path = self.data_dir / "ws" / "misc_binance_spot_24hrTicker_2024-03-22.jsonl"
        for line in event_path.read_text().splitlines():
            event = json.loads(line)
            self._tickers[event["s"]] = _ticker_event_to_rest(event)

    def _load_series(self, symbol: str, interval: str) -> _Series | None:
        key = (symbol, interval)
        if key in self._series:
            return self._series[key]
        # Parsed files are shared by every server in the process (they are never mutated).
        shared_key = (self.data_dir, symbol, interval)
        if shared_key in _SERIES_CACHE:
            self._series[key] = _SERIES_CACHE[shared_key]
            return self._series[key]
        self._series[key] = _SERIES_CACHE[shared_key] = self._read_series(symbol, interval)
        return self._series[key]

    def _read_series(self, symbol: str, interval: str) -> _Series | None:
        folder = self.data_dir / "klines" / interval
        if interval == "1m":
            # Binance.US files are another exchange's data; only binance.com windows are served.
            files = sorted(p for p in folder.glob(f"{symbol}-1m-*.csv.gz"))
        else:
            files = [p for p in [folder / f"{symbol}-{interval}.csv.gz"] if p.is_file()]
        if not files:
            return None
        rows: list[list[Any]] = []
        for path in files:
            with gzip.open(path, "rt", newline="") as fh:
                reader = csv.reader(fh)
                header = next(reader)
                for record in reader:
                    rows.append(_widen(record, len(header), _INTERVAL_MS[interval]))
        rows.sort(key=lambda row: row[0])
        return _Series([row[0] for row in rows], rows)

    # -- handlers --------------------------------------------------------------------------------------

    async def _ping(self, request: web.Request) -> web.Response:
        return _json({})

    async def _time(self, request: web.Request) -> web.Response:
        return _json({"serverTime": int(time.time() * 1000)})

    async def _exchange_info_handler(self, request: web.Request) -> web.Response:
        return web.Response(body=self._exchange_info, content_type="application/json")

    async def _klines(self, request: web.Request) -> web.Response:
        query = request.query
        symbol = query.get("symbol", "")
        interval = query.get("interval", "")
        if symbol not in self._symbols:
            return _json({"code": -1121, "msg": "Invalid symbol."}, status=400)
        if interval not in _INTERVAL_MS:
            return _json({"code": -1120, "msg": "Invalid interval."}, status=400)
        try:
            limit = min(int(query.get("limit", _DEFAULT_LIMIT)), _MAX_LIMIT)
            start = int(query["startTime"]) if "startTime" in query else None
            end = int(query["endTime"]) if "endTime" in query else None
        except ValueError:
            return _json({"code": -1100, "msg": "Illegal characters found in a parameter."}, status=400)
        series = self._load_series(symbol, interval)
        if series is None:
            return _json([])
        times = series.open_times
        hi = bisect.bisect_right(times, end) if end is not None else len(times)
        if start is not None:
            lo = bisect.bisect_left(times, start)
            selected = series.rows[lo : min(hi, lo + limit)]
        else:
            selected = series.rows[max(0, hi - limit) : hi]
        return web.Response(body=orjson.dumps(selected), content_type="application/json")

    async def _depth_handler(self, request: web.Request) -> web.Response:
        symbol = request.query.get("symbol", "")
        if symbol not in self._symbols:
            return _json({"code": -1121, "msg": "Invalid symbol."}, status=400)
        book = self._depth.get(symbol)
        if book is None:
            return _json({"code": -1121, "msg": "Invalid symbol."}, status=400)
        limit = int(request.query.get("limit", 100))
        return _json({"lastUpdateId": book["lastUpdateId"], "bids": book["bids"][:limit], "asks": book["asks"][:limit]})

    async def _ticker_24hr(self, request: web.Request) -> web.Response:
        query = request.query
        if "symbol" in query:
            ticker = self._tickers.get(query["symbol"])
            if ticker is None:
                return _json({"code": -1121, "msg": "Invalid symbol."}, status=400)
            return _json(ticker)
        if "symbols" in query:
            wanted = json.loads(query["symbols"])
            return _json([self._tickers[s] for s in wanted if s in self._tickers])
        return _json(list(self._tickers.values()))


_PROXY_PAGE = (
    "<!DOCTYPE html><html><head><title>Service temporarily unavailable</title></head>"
    "<body><h1>Please wait</h1><p>The upstream server is being checked. This page refreshes itself.</p></body></html>"
)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, headers=headers, content_type="application/json")


def _widen(record: list[str], columns: int, interval_ms: int) -> list[Any]:
    """One CSV kline as Binance's 12-element JSON array (ints for times and counts, strings for decimals)."""
    open_time = int(record[0])
    if columns >= 12:
        return [
            open_time,
            record[1],
            record[2],
            record[3],
            record[4],
            record[5],
            int(record[6]),
            record[7],
            int(record[8]),
            record[9],
            record[10],
            record[11],
        ]
    high, low, close, volume = (float(v) for v in record[2:6])
    quote_estimate = volume * (high + low + close) / 3.0
    return [
        open_time,
        record[1],
        record[2],
        record[3],
        record[4],
        record[5],
        open_time + interval_ms - 1,
        f"{quote_estimate:.8f}",
        0,
        "0",
        "0",
        "0",
    ]


def _ticker_event_to_rest(event: dict[str, Any]) -> dict[str, Any]:
    """A websocket `24hrTicker` event in the field names of REST `GET /api/v3/ticker/24hr`."""
    return {
        "symbol": event["s"],
        "priceChange": event["p"],
        "priceChangePercent": event["P"],
        "weightedAvgPrice": event["w"],
        "prevClosePrice": event["x"],
        "lastPrice": event["c"],
        "lastQty": event["Q"],
        "bidPrice": event["b"],
        "bidQty": event["B"],
        "askPrice": event["a"],
        "askQty": event["A"],
        "openPrice": event["o"],
        "highPrice": event["h"],
        "lowPrice": event["l"],
        "volume": event["v"],
        "quoteVolume": event["q"],
        "openTime": event["O"],
        "closeTime": event["C"],
        "firstId": event["F"],
        "lastId": event["L"],
        "count": event["n"],
    }
