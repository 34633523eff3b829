"""The runner: the one place where θ changes, θ ← θ − (η_t / σ_t) · m_t (lecture §6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from numpy.typing import NDArray

from optimizers.base import Array, Optimizer, check_int, check_number, check_positive, step_inputs

MAX_STEPS = 1_000_000
MAX_CELLS = 20_000_000  # steps × runs: keeps a Trajectory under ~1.3 GB
MAX_SEED = 2**63 - 1  # what numpy's generator takes
ESCAPE_RADIUS = 1e6
CHECK_EVERY = 8  # steps between checks that stop runs which left; the exact step is found after
PROGRESS_EVERY = 1000  # steps between progress(done, total) calls


@dataclass(frozen=True, eq=False)
class Trajectory:
    """B runs of one optimizer on one surface, time-major: index [t, b].

    theta, loss and grad have T+1 rows (t = 0 is the start); lr, m and sigma have T rows
    (the values used for the step t → t+1). `grad` is the exact gradient ∇f(θ_t), also when
    the runs stepped with noisy or mini-batch gradients. A run that overflowed or left the
    escape radius at step k has diverged_at = k and NaN in rows k… of theta, loss, grad, m
    and sigma (−1 when it never diverged); m[k−1] and sigma[k−1] are the step that left.
    """

    theta: Array  # (T+1, B, 2)
    loss: Array  # (T+1, B)
    grad: Array  # (T+1, B, 2)
    lr: Array  # (T, B)  η_t
    m: Array  # (T, B, 2)
    sigma: Array  # (T, B, 2)
    diverged_at: NDArray[np.int_]  # (B,)
    labels: tuple[str, ...] = ()
    optimizer: str = ""  # the registry name of the optimizer that ran ("" for one not registered)

    @property
    def steps(self) -> int:
        return self.lr.shape[0]

    @property
    def batch(self) -> int:
        return self.theta.shape[1]

    @property
    def grad_norm(self) -> Array:
        """‖∇f(θ_t)‖, shape (T+1, B) (lecture §1)."""
        return np.hypot(self.grad[..., 0], self.grad[..., 1])

    @property
    def effective_lr(self) -> Array:
        """η_t / σ_t per parameter, shape (T, B, 2) (lecture §3, §7)."""
        return self.lr[..., None] / self.sigma

    @property
    def diverged(self) -> NDArray[np.bool_]:
        return self.diverged_at >= 0

    def one(self, b: int, label: str, *, copy: bool = False) -> "Trajectory":
        """Run b as a Trajectory of its own (B = 1) labelled `label`; `copy` gives it its own
        arrays (a view keeps the whole batch alive)."""
        own = np.ascontiguousarray if copy else (lambda a: a)
        sl = slice(b, b + 1)
        return Trajectory(theta=own(self.theta[:, sl]), loss=own(self.loss[:, sl]), grad=own(self.grad[:, sl]),
                          lr=own(self.lr[:, sl]), m=own(self.m[:, sl]), sigma=own(self.sigma[:, sl]),
                          diverged_at=own(self.diverged_at[sl]), labels=(label,), optimizer=self.optimizer)

    def last(self) -> NDArray[np.int_]:
        """Index of each run's last finite row of theta, shape (B,)."""
        return np.where(self.diverged_at >= 0, self.diverged_at - 1, self.steps)

    # -- the step inspector: every number of one update
    TABLE_COLUMNS = ("step", "run", "parameter", "theta", "g", "m", "sigma", "lr", "lr_over_sigma", "delta_theta", "f")

    def table(self, k: int) -> list[dict]:
        """Every number of update k, one row per run and parameter (θ₁, θ₂): θ_k, g_k, m_k, σ_k,
        η_k, η_k/σ_k, Δθ = θ_{k+1} − θ_k (= −(η_k/σ_k)·m_k) and f(θ_k). At k = T (no update
        left) m, σ, η and Δθ are NaN."""
        k = check_int("k", k, low=0, high=self.steps)
        names = self.labels if len(self.labels) == self.batch else tuple(str(b) for b in range(self.batch))
        taken = k < self.steps
        rows = []
        for b, name in enumerate(names):
            for i, parameter in enumerate(("θ₁", "θ₂")):
                m = float(self.m[k, b, i]) if taken else float("nan")
                sigma = float(self.sigma[k, b, i]) if taken else float("nan")
                lr = float(self.lr[k, b]) if taken else float("nan")
                rows.append(dict(zip(self.TABLE_COLUMNS, (
                    k, name, parameter, float(self.theta[k, b, i]), float(self.grad[k, b, i]), m, sigma, lr,
                    lr / sigma if taken else float("nan"),
                    float(self.theta[k + 1, b, i] - self.theta[k, b, i]) if taken else float("nan"),
                    float(self.loss[k, b])))))
        return rows

    SUMMARY_COLUMNS = ("run", "final_loss", "best_loss", "best_step", "tol_step", "stay_step", "diverged_at")

    def summary(self, tol: float, f_star: float | None = 0.0) -> list[dict]:
        """How each run went, one row per run (the numbers only; `lossviz.inspector` adds the
        window and the surface):

          final_loss  f(θ_T); NaN for a run that diverged (it has no θ_T)
          best_loss   the lowest f(θ_t) over the finite rows, and best_step, its first t
          tol_step    the first t with f(θ_t) − f* ≤ tol (the gap to the lowest loss there
                      is); −1 when no step gets there, None when f* is unknown (f_star=None)
          stay_step   the first t from which every later step stays within tol (−1: the run
                      ends outside it; None without f*) — a run can get there and leave again
          diverged_at Trajectory.diverged_at (−1: never)
        """
        check_positive("tol", tol)
        if f_star is not None:
            check_number("f_star", f_star)
        names = self.labels if len(self.labels) == self.batch else tuple(str(b) for b in range(self.batch))
        rows = []
        for b, name in enumerate(names):
            loss = self.loss[:, b]
            finite = np.isfinite(loss)
            best = int(np.argmin(np.where(finite, loss, np.inf))) if finite.any() else -1
            if f_star is None:
                within = stays = None
            else:
                inside = finite & (loss - f_star <= tol)
                hits = np.flatnonzero(inside)
                within = int(hits[0]) if hits.size else -1
                outside = np.flatnonzero(~inside)
                stays = -1 if not inside[-1] else (int(outside[-1]) + 1 if outside.size else 0)
            rows.append(dict(zip(self.SUMMARY_COLUMNS, (
                name, float(loss[-1]), float(loss[best]) if best >= 0 else float("nan"), best, within, stays,
                int(self.diverged_at[b])))))
        return rows

    def to_csv(self, path) -> None:
        """All steps' tables in one CSV file (columns TABLE_COLUMNS), written atomically."""
        import csv
        import os
        import tempfile

        folder = os.path.dirname(os.path.abspath(os.fspath(path)))
        fd, tmp = tempfile.mkstemp(prefix=".lossviz-", suffix=".csv", dir=folder)
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
                writer = csv.DictWriter(out, fieldnames=self.TABLE_COLUMNS)
                writer.writeheader()
                for k in range(self.steps + 1):
                    writer.writerows(self.table(k))
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def to_dataframe(self):
        """All steps' tables as a pandas DataFrame (pandas is optional: a clear error without it)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("Trajectory.to_dataframe needs pandas (pip install pandas); to_csv does not") from None
        return pd.DataFrame([row for k in range(self.steps + 1) for row in self.table(k)], columns=list(self.TABLE_COLUMNS))


def resolve_optimizer(optimizer: Optimizer | str) -> Optimizer:
    """An Optimizer, or a registry name made with its default keyword arguments."""
    if isinstance(optimizer, str):
        from optimizers.registry import make_optimizer

        return make_optimizer(optimizer)
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be an Optimizer or a registry name, got {optimizer!r}")
    return optimizer


def learning_rates(lr: Any, steps: int, batch: int) -> Array:
    """η_t for every step and run, shape (T, B), from a float, a (B,) array or a schedule."""
    if callable(lr):
        t = np.arange(steps)[:, None]
        with np.errstate(all="ignore"):
            values = np.asarray(lr(t), dtype=float)
        if values.ndim == 0 or values.shape[0] != steps:
            values = np.broadcast_to(values, (steps, 1) if values.ndim < 2 else values.shape)
        check_number("lr schedule values", values, low=0.0)
        if values.ndim == 1:
            values = values[:, None]
    else:
        check_positive("lr", lr)
        values = np.asarray(lr, dtype=float)
        if values.ndim > 1:
            raise ValueError(f"lr must be a float, a 1-D array (one per run) or a schedule, got shape {values.shape}")
        values = values[None, :] if values.ndim == 1 else values[None, None]
    try:
        return np.ascontiguousarray(np.broadcast_to(values, (steps, batch)))
    except ValueError:
        raise ValueError(f"lr describes {values.shape[-1]} runs but the batch has {batch}") from None


def batch_size_of(*sizes: int) -> int:
    """The common batch size B of several argument sizes (each 1 or B)."""
    big = {s for s in sizes if s != 1}
    if len(big) > 1:
        raise ValueError(f"batched arguments disagree on the number of runs: sizes {sorted(big)}")
    return big.pop() if big else 1


def starting_points(surface, start: Any) -> Array:
    """θ_0 as an array of shape (B, 2): the surface's default, one point, or one per run."""
    start = surface.start if start is None else start
    try:
        theta = np.asarray(start, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"start must be a point (x, y) or an array of shape (B, 2), got {start!r}") from None
    if theta.ndim == 1:
        theta = theta[None]
    if theta.ndim != 2 or theta.shape[1] != 2:
        raise ValueError(f"start must be a point (x, y) or an array of shape (B, 2), got shape {theta.shape}")
    check_number("start", start, low=-ESCAPE_RADIUS, high=ESCAPE_RADIUS)  # the given values: no bools
    return theta


def check_run_args(surface, steps, grad_noise, batch_size, seed) -> None:
    if not (hasattr(surface, "f") and hasattr(surface, "grad") and hasattr(surface, "start")):
        hint = f" (for a name, use surfaces.SURFACES[{surface!r}])" if isinstance(surface, str) else ""
        raise ValueError(f"surface must be a Surface, got {type(surface).__name__}{hint}")
    check_int("steps", steps, low=1, high=MAX_STEPS)
    check_number("grad_noise", grad_noise, low=0.0)
    if np.ndim(grad_noise) > 1:
        raise ValueError(f"grad_noise must be a float or a 1-D array (one per run), got shape {np.shape(grad_noise)}")
    check_int("seed", seed, low=0, high=MAX_SEED)
    if batch_size is not None:
        if not surface.n_data:
            raise ValueError(f"batch_size needs a data-defined surface (like 'regression'); {surface.name!r} has no data, so use batch_size=None")
        check_int("batch_size", batch_size, low=1, high=surface.n_data)


def stepper(optimizer: Optimizer, surface) -> Callable:
    """The one update, shared by `run` and `sweep`:

        step(θ_t, g_t, state, η_t) → (θ_{t+1}, m_t, σ_t, state),   θ_{t+1} = θ_t − (η_t / σ_t) · m_t
    """
    update = optimizer.update
    inputs = step_inputs(optimizer, surface) if optimizer.needs else None

    def step(theta: Array, g: Array, state: Any, eta: Any) -> tuple[Array, Array, Array, Any]:
        if inputs is None:
            (m, sigma), state = update(g, state)
        else:
            (m, sigma), state = update(g, state, **inputs(theta, eta))
        return theta - eta * m / sigma, m, sigma, state  # the lecture's rule: the only line that moves θ

    return step


def stop_left(theta: Array, stopped: NDArray[np.bool_], escape_radius: float) -> bool:
    """The divergence policy, shared by `run` and `sweep`: runs whose θ left the escape radius
    or is not finite (NaN and ±inf fail `<=`) are marked in `stopped` and set to NaN, so they
    stay stopped along with their state. Called every CHECK_EVERY steps (one cheap test when
    no run left); the exact step is found afterwards from the recorded rows. True when every
    run has stopped."""
    if np.abs(theta).max() <= escape_radius:
        return False
    stopped |= ~(np.abs(theta) <= escape_radius).all(axis=1)
    theta[stopped] = np.nan
    return bool(stopped.all())


def run(
    surface,
    optimizer: Optimizer | str,
    *,
    lr: float | Array | Callable,
    steps: int,
    start: Any = None,
    grad_noise: float | Array = 0.0,
    batch_size: int | None = None,
    seed: int = 0,
    escape_radius: float = ESCAPE_RADIUS,
    labels: tuple[str, ...] = (),
    progress: Callable[[int, int], None] | None = None,
) -> Trajectory:
    """Run B configurations of `optimizer` on `surface` together, in one vectorized loop.

    Each step, with g_t the gradient at θ_t (exact, mini-batch, and/or with Gaussian noise of
    standard deviation `grad_noise` added), the optimizer proposes Direction(m_t, σ_t) and

        θ_{t+1} = θ_t − (η_t / σ_t) · m_t

    Args:
      surface: a `surfaces.Surface`.
      optimizer: an `Optimizer` (its hyperparameters may be (B,) arrays) or a registry name.
      lr: η — a float, a (B,) array (one per run), or a schedule t → η_t.
      steps: T, the number of updates (1 … 1,000,000).
      start: θ_0 as (x, y) or (B, 2); defaults to the surface's start.
      grad_noise: standard deviation of Gaussian noise added to g (float or (B,) array).
      batch_size: samples per mini-batch gradient (data-defined surfaces only).
      seed: the only source of randomness.
      escape_radius: a run whose |θ| exceeds it (or overflows) is stopped as diverged.
      progress: called as progress(steps done, steps) every PROGRESS_EVERY steps.
    """
    optimizer = resolve_optimizer(optimizer)
    check_run_args(surface, steps, grad_noise, batch_size, seed)
    if isinstance(labels, (str, bytes)) or not isinstance(labels, (list, tuple)) or not all(isinstance(x, str) for x in labels):
        raise ValueError(f"labels must be a tuple of texts (one per run), got {labels!r:.100}")
    check_positive("escape_radius", escape_radius)
    theta = starting_points(surface, start)
    noise = np.asarray(grad_noise, dtype=float)
    B = batch_size_of(len(theta), optimizer.batch, np.size(lr) if not callable(lr) else 1, noise.size)
    T = steps
    if T * B > MAX_CELLS:  # before allocating anything of size T × B
        raise ValueError(f"steps × runs must be at most {MAX_CELLS:,}, got {T:,} × {B}")
    eta = learning_rates(lr, steps, B)
    theta = np.array(np.broadcast_to(theta, (B, 2)))
    noise = noise.reshape(-1, 1) if noise.ndim else float(noise)
    rng = np.random.default_rng(seed)
    thetas = np.full((T + 1, B, 2), np.nan)
    ms = np.full((T, B, 2), np.nan)
    sigmas = np.full((T, B, 2), np.nan)
    thetas[0] = theta
    # η_t per step: a plain float when every run shares it (cheaper than a (1, 1) array),
    # else a (B, 1) column that broadcasts against (B, 2)
    shared = bool((eta == eta[:, :1]).all())
    etas = eta[:, 0].tolist() if shared else eta[..., None]
    noisy = bool(np.any(noise))
    step = stepper(optimizer, surface)
    if batch_size is None:
        grad = surface.grad
    else:

        def grad(p: Array) -> Array:
            return surface.sample_grad(p, rng, batch_size)

    stopped = np.zeros(B, dtype=bool)

    with np.errstate(all="ignore"):  # divergence is data, not a warning storm
        state = optimizer.init(theta)
        for t in range(T):
            g = grad(theta)
            if noisy:
                g = g + noise * rng.standard_normal(g.shape)
            theta, ms[t], sigmas[t], state = step(theta, g, state, etas[t])
            thetas[t + 1] = theta
            if t % CHECK_EVERY == CHECK_EVERY - 1 and stop_left(theta, stopped, escape_radius):
                break  # the rows never reached stay NaN
            if progress is not None and t % PROGRESS_EVERY == PROGRESS_EVERY - 1:
                progress(t + 1, T)

        loss = surface.f(thetas)
        grads = surface.grad(thetas)
        # a run diverged at its first row whose θ left the escape radius or was not finite,
        # or whose f or ∇f overflowed (possibly before θ itself did)
        bad = ~(np.abs(thetas) <= escape_radius).all(axis=-1)
        bad |= ~np.isfinite(loss) | ~np.isfinite(grads).all(axis=-1)
        diverged_at = np.where(bad.any(axis=0), bad.argmax(axis=0), -1)
        rows = np.arange(T + 1)[:, None]
        gone = (diverged_at >= 0)[None, :] & (rows >= diverged_at[None, :])
        thetas[gone] = np.nan
        loss = np.where(gone, np.nan, loss)
        grads[gone] = np.nan
        ms[gone[:T]] = np.nan  # steps taken from a NaN θ (or never taken) have no direction
        sigmas[gone[:T]] = np.nan

    return Trajectory(
        theta=thetas,
        loss=loss,
        grad=grads,
        lr=eta,
        m=ms,
        sigma=sigmas,
        diverged_at=diverged_at,
        labels=tuple(labels),
        optimizer=optimizer.name,
    )
