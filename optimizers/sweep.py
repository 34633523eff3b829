"""Sweeps: a grid of hyperparameters on one surface, as one batched run (lecture §2, §8)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from optimizers.base import Array, as_numbers, check_number, column
from optimizers.registry import make_optimizer
from optimizers.run import CHECK_EVERY, ESCAPE_RADIUS, check_run_args, learning_rates, starting_points, stepper, stop_left

MAX_CONFIGS = 1_000_000
# configurations × steps: a sweep makes ~1.5–3.5e7 updates per second (bench_sweep: 10,000 ×
# 500 in 0.14 s; slower for Adam or on a busy machine), so this is about a minute at most;
# 1e6 configurations × 1e6 steps would take 8 hours.
MAX_UPDATES = 2_000_000_000
PROGRESS_EVERY = 256  # steps between progress(done, total) calls
# Configurations per inner batch: (4096, 2) float64 arrays are 64 KB, so a step's temporaries
# stay in cache and in malloc's heap; one batch of 10,000 runs ~1.4× slower per configuration.
CHUNK = 4096


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Final loss per configuration, shape (len(lr), len(grid_1), ...) in keyword order."""

    optimizer: str
    names: tuple[str, ...]  # ("lr", grid keyword 1, ...)
    values: tuple[tuple[Any, ...], ...]  # the values along each axis
    final_loss: Array  # NaN where diverged; the median over the last `median_of` steps
    diverged: NDArray[np.bool_]
    steps_to_tol: NDArray[np.int_] | None = None  # first step with loss ≤ tol (−1: never)
    median_of: int = 1  # 1: final_loss is the last step's loss

    @property
    def shape(self) -> tuple[int, ...]:
        return self.final_loss.shape

    def best(self) -> dict[str, Any]:
        """The configuration with the lowest final loss."""
        if np.all(np.isnan(self.final_loss)):
            raise ValueError("every configuration diverged")
        index = np.unravel_index(np.nanargmin(self.final_loss), self.shape)
        return {name: vals[i] for name, vals, i in zip(self.names, self.values, index)}


def _column(values: Any) -> float | Array:
    """B values of one hyperparameter: a plain float when they are all equal (β2 in a β1
    sweep), which costs less per step than a column."""
    a = np.asarray(values, dtype=float)
    return float(a[0]) if (a == a[0]).all() else a


def _part(value: Any, part: slice) -> Any:
    """The keyword argument for the configurations `part` of a batch."""
    if isinstance(value, tuple):
        return tuple(_part(v, part) for v in value)
    return _column(value[part]) if isinstance(value, np.ndarray) else value


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
    progress: Callable[[int, int], None] | None = None,
    median_of: int = 1,
    **grid: Sequence[Any],
) -> SweepResult:
    """Run every combination of `lr` × the grid keywords as one batch; keep only final losses.

    Example: ``sweep(SURFACES["rosenbrock"], "adam", steps=500, lr=np.geomspace(1e-4, 1, 100),
    betas=[(b1, 0.999) for b1 in np.linspace(0, 0.99, 100)])`` gives final_loss of shape (100, 100).
    Whole trajectories are never stored: the configurations advance together, in batches of
    up to CHUNK, keeping only θ and the optimizer state; each final loss equals that of
    `run` with the same settings. `progress(done, total)` is called now and then with the
    configuration-steps done so far (total = configurations × steps).

    `median_of` = k > 1 makes final_loss the median of the losses after the last k steps
    (f(θ_{T−k+1}) … f(θ_T)): a run that ends in a sawtooth or a bounce is then summarised by
    where it mostly is, not by where its last step happens to fall.
    """
    check_run_args(surface, steps, 0.0, None, 0)
    if isinstance(median_of, bool) or not isinstance(median_of, (int, np.integer)) or not 1 <= median_of <= steps:
        raise ValueError(f"sweep: median_of must be an integer from 1 to steps ({steps}), got {median_of!r}")
    if tol is not None:
        check_number("tol", tol)
    check_number("escape_radius", escape_radius, low=0.0, low_open=True)
    names = ("lr", *grid)
    values = (_grid_values("lr", lr), *(_grid_values(k, v) for k, v in grid.items()))
    check_number("lr", values[0], low=0.0, low_open=True)
    shape = tuple(len(v) for v in values)
    B = int(np.prod(shape))
    if B > MAX_CONFIGS:
        raise ValueError(f"sweep: at most {MAX_CONFIGS:,} configurations, got {B:,}")
    if B * steps > MAX_UPDATES:
        raise ValueError(f"sweep: configurations × steps must be at most {MAX_UPDATES:,}, got {B:,} × {steps:,}")

    combos = list(itertools.product(*values))
    columns = {name: [c[i] for c in combos] for i, name in enumerate(names)}
    kwargs = {}  # every configuration's keyword arguments, as (B,) arrays
    for name in grid:
        col = columns[name]
        if isinstance(col[0], (tuple, list)):  # e.g. betas=[(β1, β2), ...] → (β1 array, β2 array)
            lengths = {len(c) if isinstance(c, (tuple, list)) else None for c in col}
            if len(lengths) > 1:  # zip would quietly cut the longer tuples short
                raise ValueError(f"sweep: every value of {name} must be a tuple of the same length, like (β1, β2)")
            kwargs[name] = tuple(as_numbers(name, part) for part in zip(*col))
        elif isinstance(col[0], (bool, str, np.bool_)):
            if len(set(col)) > 1:
                raise ValueError(f"sweep: {name} cannot vary within one batch; call sweep once per value")
            kwargs[name] = col[0]
        else:
            kwargs[name] = as_numbers(name, col)  # refuses bools and text among the numbers
    make_optimizer(optimizer, **kwargs)  # validate every value before computing anything
    eta = learning_rates(np.asarray(columns["lr"], dtype=float), 1, B)[0]
    theta0 = np.broadcast_to(starting_points(surface, start), (B, 2))

    loss = np.empty(B)
    done = np.zeros(B, dtype=bool)
    steps_to_tol = np.full(B, -1) if tol is not None else None
    size = -(-B // -(-B // CHUNK))  # equal batches of at most CHUNK configurations
    for lo in range(0, B, size):
        part = slice(lo, lo + size)
        opt = make_optimizer(optimizer, **{k: _part(v, part) for k, v in kwargs.items()})
        lr_part = column(_column(eta[part]))  # a float, or (b, 2) like every batched hyperparameter
        hits = None if tol is None else steps_to_tol[part]
        report = None if progress is None else (lambda t, lo=lo: progress(lo * steps + min(size, B - lo) * t, B * steps))
        loss[part], done[part] = _final_loss(surface, opt, lr_part, theta0[part], steps, escape_radius, tol, hits, report, int(median_of))
    diverged = done | ~np.isfinite(loss)
    final = np.where(diverged, np.nan, loss)
    return SweepResult(
        optimizer=optimizer,
        names=names,
        values=values,
        final_loss=final.reshape(shape),
        diverged=diverged.reshape(shape),
        steps_to_tol=None if steps_to_tol is None else steps_to_tol.reshape(shape),
        median_of=int(median_of),
    )


def _final_loss(surface, opt, eta, theta, steps, escape_radius, tol, steps_to_tol, report=None, median_of=1):
    """One batch of a sweep: (final loss, stopped) per configuration — the median loss over
    the last `median_of` steps; fills `steps_to_tol`."""
    theta = np.array(theta)
    grad, step = surface.grad, stepper(opt, surface)
    done = np.zeros(len(theta), dtype=bool)
    tail = np.empty((median_of, len(theta))) if median_of > 1 else None
    with np.errstate(all="ignore"):  # divergence is data
        state = opt.init(theta)
        for t in range(steps):
            theta, _, _, state = step(theta, grad(theta), state, eta)
            if tail is not None and t >= steps - median_of:
                tail[t - (steps - median_of)] = surface.f(theta)
            if tol is not None:
                hit = (surface.f(theta) <= tol) & (steps_to_tol < 0)
                steps_to_tol[hit] = t + 1
            if t % CHECK_EVERY == CHECK_EVERY - 1 or t == steps - 1:
                stop_left(theta, done, escape_radius)
            if report is not None and (t % PROGRESS_EVERY == PROGRESS_EVERY - 1 or t == steps - 1):
                report(t + 1)
        if tail is None:
            return surface.f(theta), done
        return np.median(tail, axis=0), done  # NaN where a run overflowed: it counts as diverged
