"""The trading journal: entries tied to setups, orders and positions, and the statistics a trader learns from."""
