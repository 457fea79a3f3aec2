"""The built-in simulated market (`cryptoterm --demo`): seeded, offline, realistic enough for every screen.

`SimulatedMarket` is the whole public surface for wiring; the universe and model parameters are exported for
tools and tests that want to inspect what is simulated.
"""

from cryptoterm.adapters.sim.market import SimulatedMarket
from cryptoterm.adapters.sim.model import REGIMES, ModelParams
from cryptoterm.adapters.sim.universe import UNIVERSE, Cointegration, SymbolSpec, select_universe

__all__ = ["REGIMES", "UNIVERSE", "Cointegration", "ModelParams", "SimulatedMarket", "SymbolSpec", "select_universe"]
