"""Ports: the protocols services use and adapters implement (live exchange, simulated market, replay, fakes),
and the plain types both sides share.

Services depend only on these, so the same market feed, scanner and alert engine run against Binance, the
built-in simulated market, a recorded session, or a test's fake without knowing which. Import from the
modules (`ports.candles`, `ports.market`, `ports.setups`, `ports.notify`, `ports.quality`, `ports.clock`):
this package itself imports nothing, so the TUI's first frame never pays for a port it does not use.
"""
