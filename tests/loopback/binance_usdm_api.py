"""A loopback Binance USDⓈ-M REST exchange (`fapi.binance.com`) for the real ccxt client: markets, funding and
open interest.

Bodies come from ../shared/data, never made up where a recording exists:

* `GET /fapi/v1/exchangeInfo` — cryptofeed's recording of the real USDⓈ-M exchangeInfo (2021-07-22, 122 symbols);
* `GET /fapi/v1/premiumIndex` — nautilus_trader's `http_futures_market_premium_index` fixture (Binance's documented
  example body for BTCUSDT: SOURCES.md lists most `http_futures_*` fixtures as documentation examples, not
  captures). With `symbol` it answers that object; without, Binance answers a list of such objects, one per
  perpetual, so the list holds the recorded object (and `premium_rows` adds more in the same shape);
* `GET /fapi/v1/openInterest` — nautilus_trader's `http_futures_market_open_interest` fixture (documentation
  example, BTCUSDT);
* an unknown symbol gets Binance's error body `{"code": -1121, "msg": "Invalid symbol."}` with status 400.

`requests` counts requests by path, so a test can assert one premiumIndex request served every perpetual.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

EXCHANGE_INFO = "rest/cryptofeed_binance-usdm_exchangeInfo_2021-07-22.json.gz"
FIXTURES = "rest/nautilus_binance_http_responses.jsonl"


def _fixture(data_dir: Path, name: str) -> Any:
    for line in (data_dir / FIXTURES).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["fixture"] == name:
            return record["body"]
    raise KeyError(name)


@dataclass
class LoopbackUsdm:
    """`async with LoopbackUsdm(shared_data) as server:` then point ccxt at `server.url` (`rest_url`)."""

    data_dir: Path
    requests: Counter[str] = field(default_factory=Counter)
    #: More premiumIndex objects served beside the recorded one (same fields, other symbols).
    premium_rows: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def __aenter__(self) -> LoopbackUsdm:
        with gzip.open(self.data_dir / EXCHANGE_INFO, "rb") as fh:
            self._exchange_info = fh.read()
        self.premium = _fixture(self.data_dir, "http_futures_market_premium_index")
        self.open_interest = _fixture(self.data_dir, "http_futures_market_open_interest")
        app = web.Application(middlewares=[self._count])
        app.router.add_get("/fapi/v1/exchangeInfo", self._exchange_info_handler)
        app.router.add_get("/fapi/v1/premiumIndex", self._premium_index)
        app.router.add_get("/fapi/v1/openInterest", self._open_interest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _count(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests[request.path] += 1
        response: web.StreamResponse = await handler(request)
        return response

    async def _exchange_info_handler(self, request: web.Request) -> web.Response:
        return web.Response(body=self._exchange_info, content_type="application/json")

    def _rows(self) -> list[dict[str, Any]]:
        return [self.premium, *self.premium_rows]

    async def _premium_index(self, request: web.Request) -> web.Response:
        symbol = request.query.get("symbol")
        if symbol is None:
            return web.json_response(self._rows())
        for row in self._rows():
            if row["symbol"] == symbol:
                return web.json_response(row)
        return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=400)

    async def _open_interest(self, request: web.Request) -> web.Response:
        if request.query.get("symbol") != self.open_interest["symbol"]:
            return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=400)
        return web.json_response(self.open_interest)
