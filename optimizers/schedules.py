"""Learning-rate schedules: pure closed-form functions t ↦ η_t, with t counted from 0 (lecture §8).

Every schedule works on an int and on an array of ints (one call gives a whole run's η_t),
and never keeps state: asking for step 1000 first and step 0 later gives the same numbers.
Warm-up then cosine is a composition:

>>> s = join([linear_warmup(0.1, warmup_steps=10), cosine_annealing(0.1, total_steps=90)], [10])
>>> [round(float(s(t)), 4) for t in (0, 5, 10, 55, 100, 500)]
[0.0, 0.05, 0.1, 0.05, 0.0, 0.0]
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from optimizers.base import Schedule, check_int, check_number, check_positive

__all__ = [
    "constant",
    "step_decay",
    "exponential",
    "inverse_time",
    "inverse_sqrt",
    "cosine_annealing",
    "linear_warmup",
    "join",
    "register",
    "unregister",
    "SCHEDULES",
]


def _steps(t: Any) -> Any:
    t = np.asarray(t)
    whole = np.issubdtype(t.dtype, np.integer) or np.all(t == np.floor(t))
    if not whole or np.any(t < 0):
        raise ValueError(f"t must be a whole step number ≥ 0, got {t!r}")
    return t


def _out(value: Any) -> Any:
    """Plain floats for scalar steps, arrays for arrays of steps."""
    return float(value) if np.ndim(value) == 0 else value


def constant(lr: float) -> Schedule:
    """η_t = η."""
    check_positive("lr", lr)
    return lambda t: _out(lr + 0.0 * _steps(t))


def step_decay(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """η_t = η · γ^⌊t / step_size⌋ (torch's StepLR).

    >>> [step_decay(1.0, step_size=10, gamma=0.5)(t) for t in (0, 9, 10, 25)]
    [1.0, 1.0, 0.5, 0.25]
    """
    check_positive("lr", lr)
    check_int("step_size", step_size, low=1, high=10**9)
    check_number("gamma", gamma, low=0.0, high=1.0, low_open=True)
    return lambda t: _out(lr * gamma ** (_steps(t) // step_size))


def exponential(lr: float, gamma: float) -> Schedule:
    """η_t = η · γ^t (torch's ExponentialLR)."""
    check_positive("lr", lr)
    check_number("gamma", gamma, low=0.0, high=1.0, low_open=True)
    return lambda t: _out(lr * gamma ** _steps(t).astype(float))


def inverse_time(lr: float, lr_decay: float) -> Schedule:
    """η_t = η / (1 + k t); k is torch.optim.Adagrad's `lr_decay`."""
    check_positive("lr", lr)
    check_number("lr_decay", lr_decay, low=0.0)
    return lambda t: _out(lr / (1.0 + lr_decay * _steps(t)))


def inverse_sqrt(lr: float) -> Schedule:
    """η_t = η / √(t + 1): the decay that tames the Adagrad burst (lecture §7, §8)."""
    check_positive("lr", lr)
    return lambda t: _out(lr / np.sqrt(_steps(t) + 1.0))


def cosine_annealing(lr_max: float, total_steps: int, lr_min: float = 0.0) -> Schedule:
    """η_t = η_min + ½ (η_max − η_min)(1 + cos(π t / T)), held at η_min after T.

    >>> s = cosine_annealing(0.1, total_steps=10)
    >>> round(s(0), 3), round(s(5), 3), round(s(50), 3)
    (0.1, 0.05, 0.0)
    """
    check_positive("lr_max", lr_max)
    check_int("total_steps", total_steps, low=1, high=10**9)
    check_number("lr_min", lr_min, low=0.0, high=lr_max)

    def schedule(t):
        t = np.minimum(_steps(t), total_steps)  # clamp past the end, as optax does
        return _out(lr_min + 0.5 * (lr_max - lr_min) * (1.0 + np.cos(np.pi * t / total_steps)))

    return schedule


def linear_warmup(lr: float, warmup_steps: int, start_lr: float = 0.0) -> Schedule:
    """η rises linearly from `start_lr` at t = 0 to η at t = warmup_steps, then stays there.

    While η is small the optimizer's statistics (σ) gather gradients before big steps are
    taken (lecture §8). Follow it by a decay with `join`.
    """
    check_positive("lr", lr)
    check_int("warmup_steps", warmup_steps, low=1, high=10**9)
    check_number("start_lr", start_lr, low=0.0, high=lr)

    def schedule(t):
        frac = np.minimum(_steps(t), warmup_steps) / warmup_steps
        return _out(start_lr + (lr - start_lr) * frac)

    return schedule


def join(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """Use schedules[i] from boundaries[i−1] on; each one sees t − boundary (as optax.join_schedules).

    >>> s = join([constant(1.0), constant(0.5)], boundaries=[3])
    >>> [s(t) for t in range(5)]
    [1.0, 1.0, 1.0, 0.5, 0.5]
    """
    if isinstance(boundaries, (str, bytes)) or not hasattr(boundaries, "__iter__"):
        raise ValueError(f"boundaries must be a list of steps, got {boundaries!r}")
    # whole steps only: int(1.5) would quietly switch schedules at step 1
    boundaries = [check_int(f"boundaries[{i}]", b, low=1, high=10**9) for i, b in enumerate(boundaries)]
    schedules = list(schedules)
    if len(schedules) != len(boundaries) + 1:
        raise ValueError(
            f"join needs one boundary fewer than schedules, got {len(schedules)} schedules and {len(boundaries)} boundaries"
        )
    if not all(callable(s) for s in schedules):
        raise ValueError("join: every schedule must be a function t -> η_t")
    if boundaries != sorted(set(boundaries)):
        raise ValueError(f"boundaries must be increasing steps, got {boundaries}")

    def schedule(t):
        t = _steps(t)
        out = schedules[0](t)
        for boundary, later in zip(boundaries, schedules[1:]):
            out = np.where(t < boundary, out, later(np.maximum(t - boundary, 0)))
        return _out(out)

    return schedule


SCHEDULES: dict[str, Callable[..., Schedule]] = {
    "constant": constant,
    "step_decay": step_decay,
    "exponential": exponential,
    "inverse_time": inverse_time,
    "inverse_sqrt": inverse_sqrt,
    "cosine_annealing": cosine_annealing,
    "linear_warmup": linear_warmup,
    "join": join,
}

BUILTIN = frozenset(SCHEDULES)
PEAK_KEYS = ("lr", "lr_max")  # the first parameter of every schedule: its largest η


def register(name: str, factory: Callable[..., Schedule]) -> None:
    """Add a schedule factory to `SCHEDULES`: it appears in `lossviz list`, `--run
    ...,schedule=NAME` and scene files ({name = "NAME", lr = ...}).

    The factory's first parameter must be its peak η, named `lr` or `lr_max` (the Explorer's
    η and `--lr` rescale a schedule through it; keys named lr_min or start_lr are rescaled
    with it). When its other parameters have defaults, the schedule it makes at η = 0.1 is
    checked: pure (any order of t gives the same numbers), finite, in [0, η].

    Raises ValueError naming the problem; a built-in name cannot be replaced.
    """
    import inspect
    import re

    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
        raise ValueError(f"register: a schedule name must be lower-case letters, digits and _, got {name!r}")
    if name in BUILTIN or name == "warmup_cosine":  # the Explorer's menu name for warm-up + cosine
        raise ValueError(f"register: {name!r} is a built-in schedule; choose another name")
    if not callable(factory):
        raise ValueError(f"register({name!r}): factory must be a function (η, ...) -> schedule, got {factory!r}")
    params = list(inspect.signature(factory).parameters.values())
    if not params or params[0].name not in PEAK_KEYS:
        raise ValueError(f"register({name!r}): the factory's first parameter must be its peak η, named lr or lr_max")
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY) for p in params):
        raise ValueError(f"register({name!r}): the factory's parameters must be plain keywords")
    if all(p.default is not p.empty for p in params[1:]):
        try:
            schedule = factory(0.1)
            t = np.arange(1000)
            values = np.asarray(schedule(t), dtype=float)
            late_first = [float(schedule(int(k))) for k in (999, 10, 0)]
        except Exception as error:
            raise ValueError(f"register({name!r}): the schedule at η = 0.1 failed: {type(error).__name__}: {error}") from None
        if values.shape != (1000,) or not np.isfinite(values).all() or values.min() < 0 or values.max() > 0.1 * (1 + 1e-12):
            raise ValueError(f"register({name!r}): at η = 0.1 the schedule must give one finite η_t in [0, 0.1] per step t, for t = 0 … 999")
        if late_first != [values[999], values[10], values[0]]:
            raise ValueError(f"register({name!r}): the schedule must be a pure function of t (the same η_t whatever was asked before)")
    SCHEDULES[name] = factory


def unregister(name: str) -> None:
    """Remove a schedule added with `register`."""
    if name not in SCHEDULES or name in BUILTIN:
        raise ValueError(f"unregister: {name!r} is not a registered schedule of your own")
    del SCHEDULES[name]
