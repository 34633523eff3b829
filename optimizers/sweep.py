"""Sweeps: a grid of hyperparameters on one surface, as one batched run (lecture §2, §8)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from numpy.typing import NDArray

from optimizers.base import Array, check_number
from optimizers.registry import make_optimizer
from optimizers.run import ESCAPE_RADIUS, check_run_args, learning_rates, starting_points

MAX_CONFIGS = 1_000_000
CHECK_EVERY = 8  # steps between divergence checks; a diverged run stays non-finite or far out


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Final loss per configuration, shape (len(lr), len(grid_1), ...) in keyword order."""

    optimizer: str
    names: tuple[str, ...]  # ("lr", grid keyword 1, ...)
    values: tuple[tuple[Any, ...], ...]  # the values along each axis
    final_loss: Array  # NaN where diverged
    diverged: NDArray[np.bool_]
    steps_to_tol: NDArray[np.int_] | None = None  # first step with loss ≤ tol (−1: never)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.final_loss.shape

    def best(self) -> dict[str, Any]:
        """The configuration with the lowest final loss."""
        if np.all(np.isnan(self.final_loss)):
            raise ValueError("every configuration diverged")
        index = np.unravel_index(np.nanargmin(self.final_loss), self.shape)
        return {name: vals[i] for name, vals, i in zip(self.names, self.values, index)}


def _grid_values(name: str, values: Any) -> tuple[Any, ...]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or len(values) == 0:
        raise ValueError(f"sweep: {name} must be a non-empty 1-D sequence of values, got {values!r}")
    return tuple(values)


def sweep(
    surface,
    optimizer: str,
    *,
    steps: int,
    lr: Sequence[float],
    start: Any = None,
    tol: float | None = None,
    escape_radius: float = ESCAPE_RADIUS,
    **grid: Sequence[Any],
) -> SweepResult:
    """Run every combination of `lr` × the grid keywords as one batch; keep only final losses.

    Example: ``sweep(SURFACES["rosenbrock"], "adam", steps=500, lr=np.geomspace(1e-4, 1, 100),
    betas=[(b1, 0.999) for b1 in np.linspace(0, 0.99, 100)])`` gives final_loss of shape (100, 100).
    Whole trajectories are never stored, so 10,000 configurations cost two (10000, 2) arrays.
    """
    check_run_args(surface, steps, 0.0, None, 0)
    names = ("lr", *grid)
    values = (_grid_values("lr", lr), *(_grid_values(k, v) for k, v in grid.items()))
    check_number("lr", np.asarray(values[0], dtype=float), low=0.0, low_open=True)
    shape = tuple(len(v) for v in values)
    B = int(np.prod(shape))
    if B > MAX_CONFIGS:
        raise ValueError(f"sweep: at most {MAX_CONFIGS:,} configurations, got {B:,}")

    combos = list(itertools.product(*values))
    columns = {name: [c[i] for c in combos] for i, name in enumerate(names)}
    kwargs = {}
    for name in grid:
        col = columns[name]
        if isinstance(col[0], (tuple, list)):  # e.g. betas=[(β1, β2), ...] → (β1 array, β2 array)
            kwargs[name] = tuple(np.asarray(part, dtype=float) for part in zip(*col))
        elif isinstance(col[0], (bool, str, np.bool_)):
            if len(set(col)) > 1:
                raise ValueError(f"sweep: {name} cannot vary within one batch; call sweep once per value")
            kwargs[name] = col[0]
        else:
            kwargs[name] = np.asarray(col, dtype=float)
    opt = make_optimizer(optimizer, **kwargs)
    eta = learning_rates(np.asarray(columns["lr"], dtype=float), 1, B)[0][:, None]  # (B, 1)

    theta = np.array(np.broadcast_to(starting_points(surface, start), (B, 2)))
    grad = surface.grad
    steps_to_tol = np.full(B, -1) if tol is not None else None
    done = np.zeros(B, dtype=bool)
    with np.errstate(all="ignore"):  # divergence is data
        state = opt.init(theta)
        for t in range(steps):
            direction, state = opt.update(grad(theta), state)
            theta = theta - eta * direction.m / direction.sigma  # the lecture's rule
            if steps_to_tol is not None:
                hit = (surface.f(theta) <= tol) & (steps_to_tol < 0)
                steps_to_tol[hit] = t + 1
            if t % CHECK_EVERY == CHECK_EVERY - 1 or t == steps - 1:
                out = ~(np.abs(theta) <= escape_radius).all(axis=1)
                if out.any():
                    done |= out
                    theta[out] = np.nan  # a stopped run stays stopped
        loss = surface.f(theta)
    diverged = done | ~np.isfinite(loss)
    final = np.where(diverged, np.nan, loss)
    return SweepResult(
        optimizer=optimizer,
        names=names,
        values=values,
        final_loss=final.reshape(shape),
        diverged=diverged.reshape(shape),
        steps_to_tol=None if steps_to_tol is None else steps_to_tol.reshape(shape),
    )
