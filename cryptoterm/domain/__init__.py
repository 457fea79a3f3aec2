"""Pure domain layer: market model, indicators, rules. No I/O, no asyncio, no clock (time is an argument)."""
