"""The built-in simulated market (`cryptoterm --demo`): seeded, offline, realistic enough for every screen."""

from cryptoterm.adapters.sim.market import SimulatedMarket

__all__ = ["SimulatedMarket"]
