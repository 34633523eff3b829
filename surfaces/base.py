"""The Surface record: one analytic 2-D loss surface and everything known about it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Point = tuple[float, float]


@dataclass(frozen=True)
class Surface:
    """An analytic 2-D loss surface f(θ) with its exact gradient.

    `f` and `grad` take points of shape (..., 2) and broadcast over the leading axes, so
    one function serves a contour grid (H, W, 2) and a batch of runs (B, 2).

    One place per fact: the plotting window, the default start, the minima and the saddles
    live here and nowhere else.

    `hess(p)` is the exact Hessian ∇²f, shape (..., 2, 2), symmetric; Newton's method and
    the theory of quadratics read it (every built-in surface has one).

    Data-defined surfaces (the regression loss of lecture §9) also carry `n_data` and
    `batch_grad(p, idx)`: the gradient of the loss on the samples `idx` only, where `idx`
    has shape (..., batch) matching the leading axes of `p`.
    """

    name: str
    f: Callable[[Array], Array] = field(repr=False)
    grad: Callable[[Array], Array] = field(repr=False)
    bounds: tuple[Point, Point]
    start: Point
    minima: tuple[Point, ...] = ()
    saddles: tuple[Point, ...] = ()
    contour_scale: Literal["linear", "log"] = "linear"
    formula: str = ""
    description: str = ""
    params: dict = field(default_factory=dict, compare=False)
    n_data: int = 0
    batch_grad: Callable[[Array, NDArray[np.int_]], Array] | None = field(default=None, repr=False)
    hess: Callable[[Array], Array] | None = field(default=None, repr=False)

    def sample_grad(self, p: Array, rng: np.random.Generator, batch_size: int) -> Array:
        """A mini-batch gradient: each leading index of `p` draws its own `batch_size`
        samples without replacement."""
        if self.batch_grad is None:
            raise ValueError(f"surface {self.name!r} has no data, so batch_size must be None")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= self.n_data:
            raise ValueError(f"batch_size must be an integer in [1, {self.n_data}] (the number of data points), got {batch_size!r}")
        lead = p.shape[:-1]
        idx = np.argsort(rng.random((*lead, self.n_data)), axis=-1)[..., :batch_size]
        return self.batch_grad(p, idx)

    def grid(self, n: int = 200) -> tuple[Array, Array, Array]:
        """X, Y and f on an n × n grid over `bounds` (for contour plots)."""
        (x0, x1), (y0, y1) = self.bounds
        X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        return X, Y, self.f(np.stack([X, Y], axis=-1))


def xy(p: Array) -> tuple[Array, Array]:
    """The two coordinates of points of shape (..., 2)."""
    p = np.asarray(p, dtype=float)
    return p[..., 0], p[..., 1]


def pack(gx: Array, gy: Array) -> Array:
    """Stack two coordinate arrays back into shape (..., 2)."""
    gx, gy = np.asarray(gx), np.asarray(gy)
    if gx.shape != gy.shape:  # a constant component, e.g. ∂f/∂y = 0
        gx, gy = np.broadcast_arrays(gx, gy)
    out = np.empty(gx.shape + (2,))
    out[..., 0] = gx
    out[..., 1] = gy
    return out


def pack_hessian(hxx: Array, hxy: Array, hyy: Array) -> Array:
    """The symmetric matrices [[hxx, hxy], [hxy, hyy]], shape (..., 2, 2), from entries that
    broadcast (a constant entry may be a plain number)."""
    hxx, hxy, hyy = np.broadcast_arrays(np.asarray(hxx, dtype=float), np.asarray(hxy, dtype=float), np.asarray(hyy, dtype=float))
    out = np.empty(hxx.shape + (2, 2))
    out[..., 0, 0] = hxx
    out[..., 0, 1] = out[..., 1, 0] = hxy
    out[..., 1, 1] = hyy
    return out


def check_param(
    factory: str,
    name: str,
    value: Any,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    integer: bool = False,
) -> float:
    """`value` as a float (or int), or a ValueError naming the factory, the parameter and its range."""
    kind = "an integer" if integer else "a finite number"
    where = f"{'(' if low_open or low == -math.inf else '['}{low:g}, {high:g}{')' if high == math.inf else ']'}"
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
    if ok and integer:
        ok = float(value).is_integer()
    if ok:
        v = float(value)
        ok = math.isfinite(v) and (v > low if low_open else v >= low) and v <= high
    if not ok:
        raise ValueError(f"{factory}: {name} must be {kind} in {where}, got {value!r}")
    return int(value) if integer else float(value)
