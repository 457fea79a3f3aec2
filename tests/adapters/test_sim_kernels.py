"""The vectorised linear recurrence equals its step-by-step definition (AR(1), GARCH, any coefficients)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptoterm.adapters.sim.kernels import linear_recurrence, linear_recurrence_loop


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=700),
    rows=st.integers(min_value=1, max_value=3),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_matches_loop_for_varying_coefficients(n: int, rows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1.0, 1.0, (rows, n))
    b = rng.normal(size=(rows, n))
    y0 = rng.normal(size=rows)
    np.testing.assert_allclose(linear_recurrence(a, b, y0), linear_recurrence_loop(a, b, y0), rtol=1e-9, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(min_value=1, max_value=3000), phi=st.floats(min_value=0.0, max_value=0.99999))
def test_matches_loop_for_ar1(n: int, phi: float) -> None:
    b = np.random.default_rng(n).normal(size=n)
    np.testing.assert_allclose(
        linear_recurrence(phi, b, 2.5), linear_recurrence_loop(phi, b, 2.5), rtol=1e-9, atol=1e-9
    )


def test_garch_variance_matches_the_textbook_recursion() -> None:
    rng = np.random.default_rng(3)
    z = rng.standard_t(5, 20_000) * np.sqrt(3 / 5)
    alpha, beta = 0.06, 0.92
    h_prev, z_prev = 1.7, 0.4
    a = alpha * np.r_[z_prev, z[:-1]] ** 2 + beta
    fast = linear_recurrence(a, np.full_like(z, 1 - alpha - beta), h_prev)
    expected = np.empty_like(z)
    h, last = h_prev, z_prev
    for t, shock in enumerate(z):
        eps_sq = h * last**2  # squared return of the previous minute
        h = (1 - alpha - beta) + alpha * eps_sq + beta * h
        expected[t] = h
        last = shock
    np.testing.assert_allclose(fast, expected, rtol=1e-10)
    assert fast.min() > 0


def test_empty_and_scalar_start() -> None:
    assert linear_recurrence(0.5, np.zeros(0), 1.0).shape == (0,)
    np.testing.assert_allclose(linear_recurrence(0.5, np.zeros(4), 8.0), [4.0, 2.0, 1.0, 0.5])
