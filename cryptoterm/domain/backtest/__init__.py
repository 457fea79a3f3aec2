"""Backtests of the scanner's own strategies on stored history: the same signals, the same setup walk.

`plans` turns one symbol's signal arrays into capital-free trade plans (when a trade enters and exits, at
which price and why) under a fill model; `portfolio` sizes them against one account across symbols with
costs and a position limit, producing the trades and the equity curve; `metrics` measures the result.
Everything is pure: arrays in, immutable results out.
"""
