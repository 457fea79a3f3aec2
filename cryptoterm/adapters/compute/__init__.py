"""Compute executors: where the independent tasks of heavy batch work run (the port is `ports.compute`).

`LocalProcessPool` spreads tasks over this machine's cores; `DaskCluster` sends them to a Dask distributed
scheduler (the optional `cryptoterm[cluster]` extra, imported only when one is configured). Both return exactly
what the inline reference executor returns, in task order.
"""

from __future__ import annotations


class ComputeSetupError(Exception):
    """An executor that cannot start as configured (a missing extra, an unreachable scheduler); one line."""
