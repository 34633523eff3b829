"""The loss of a real model: linear regression y = w·x + b fitted to generated data (lecture §9)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from surfaces.base import Array, Surface, check_param, pack, pack_hessian, xy


def linear_regression(n_data: int = 48, noise: float = 1.0, seed: int = 0) -> Surface:
    """L(w, b) = 1/N Σ_i (w x_i + b − y_i)², the mean squared error over θ = (w, b).

    The data are N points with x_i uniform in [0, 3] and y_i = 2 x_i + 3 + noise·N(0, 1),
    drawn from `np.random.default_rng(seed)`, so the surface is the same on every machine.
    The loss is a convex quadratic bowl whose axes are tilted (w and b are coupled because
    the x_i are not centred). Its Hessian is 2·[[mean x², mean x], [mean x, 1]] and its
    minimum is the least-squares fit, close to (2, 3).

    The full gradient is the mean of the per-sample gradients, so `batch_grad(p, idx)` over
    the samples `idx` is an unbiased estimate of it: a mini-batch (1 < size < N) or
    stochastic (size 1) gradient, noisier the smaller the batch.

    Args:
      n_data: N, the number of data points (2 … 10,000).
      noise: standard deviation of the noise on y (≥ 0).
      seed: the random seed of the data set.
    """
    name = "linear_regression"
    n = check_param(name, "n_data", n_data, low=2, high=10_000, integer=True)
    sd = check_param(name, "noise", noise, low=0.0, high=100.0)
    seed = check_param(name, "seed", seed, low=0, high=2**32 - 1, integer=True)
    rng = np.random.default_rng(seed)
    x_data = rng.uniform(0.0, 3.0, n)
    y_data = 2.0 * x_data + 3.0 + sd * rng.standard_normal(n)

    def residuals(p: Array, x: Array, y: Array) -> Array:
        w, b = xy(p)
        return w[..., None] * x + b[..., None] - y  # (..., samples)

    def f(p: Array) -> Array:
        return np.mean(residuals(p, x_data, y_data) ** 2, axis=-1)

    def grad(p: Array) -> Array:
        r = residuals(p, x_data, y_data)
        return pack(2 * np.mean(r * x_data, axis=-1), 2 * np.mean(r, axis=-1))

    def batch_grad(p: Array, idx: NDArray[np.int_]) -> Array:
        """∇L on the samples idx only; idx (..., batch) broadcasts against p's leading axes."""
        x, y = x_data[idx], y_data[idx]
        r = residuals(p, x, y)
        return pack(2 * np.mean(r * x, axis=-1), 2 * np.mean(r, axis=-1))

    mean_x, mean_xx = float(np.mean(x_data)), float(np.mean(x_data * x_data))

    def hess(p: Array) -> Array:
        """2·[[mean x², mean x], [mean x, 1]], the same at every θ (the loss is quadratic)."""
        w, _ = xy(p)
        return pack_hessian(2 * mean_xx + 0 * w, 2 * mean_x, 2.0)

    # the least-squares fit: the exact minimum (solving the 2×2 normal equations)
    X = np.stack([x_data, np.ones(n)], axis=1)
    w_star, b_star = np.linalg.solve(X.T @ X, X.T @ y_data)

    return Surface(
        name="regression",
        f=f,
        grad=grad,
        hess=hess,
        bounds=((-1.0, 5.0), (-1.0, 7.0)),
        start=(0.0, 0.0),
        minima=((float(w_star), float(b_star)),),
        formula=r"$\frac{1}{N}\sum_i\,(w\,x_i + b - y_i)^2$",
        description=f"mean squared error of y = w·x + b on {n} points from y = 2x + 3 + noise (lecture §9): full, mini-batch and stochastic gradients",
        params={"n_data": n, "noise": sd, "seed": seed},
        n_data=n,
        batch_grad=batch_grad,
    )
