"""Core types shared by every optimizer: Direction, Optimizer, Schedule, and argument checks."""

from __future__ import annotations

import math
import reprlib
from typing import Any, Callable, Mapping, NamedTuple

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Schedule = Callable[[Any], Any]  # t (int or int array) -> η_t, pure and closed-form


class Direction(NamedTuple):
    """What an optimizer proposes at one step; `run` applies θ ← θ − η_t · m / σ."""

    m: Array  # g for GD/Adagrad/RMSprop, the velocity for momentum, m̂ for Adam
    sigma: Array  # per-parameter scale σ; ones for GD and momentum


# What an update may ask the runner for besides g and its state (`Optimizer.needs`):
# θ_t (decoupled weight decay), η_t (Rprop, whose step sizes are absolute) and the exact
# Hessian ∇²f(θ_t) of shape (B, 2, 2) (Newton's method).
STEP_INPUTS = ("theta", "lr", "hess")


class Optimizer(NamedTuple):
    """A pair of pure functions; the optimizer itself holds no state.

    `name` is the registry name ("momentum", "adagrad_mean"): `make_optimizer` sets it; a
    factory called directly gives its own name ("gd", "adagrad"). A Trajectory carries it,
    and the look (colour, line style) is keyed by it. `hyper` maps each keyword argument to
    the value the factory was given (scalars, or arrays of shape (B,) for a batch).

    `needs` names the extra inputs (from STEP_INPUTS) that `update` takes as keyword
    arguments, e.g. `update(g, state, theta=θ_t)`; the runner passes exactly those. It is
    empty for every optimizer whose step depends only on the gradients seen.
    """

    init: Callable[[Array], Any]  # θ_0 (B, 2) -> state
    update: Callable[..., tuple[Direction, Any]]  # (g, state, **needs) -> (Direction, state)
    name: str = ""
    hyper: Mapping[str, Any] = {}
    needs: tuple[str, ...] = ()

    @property
    def batch(self) -> int:
        """How many configurations the hyperparameters describe (1 when all are scalars)."""
        sizes = [np.size(v) for v in _leaves(self.hyper.values())]
        return max([1, *sizes])


def step_inputs(optimizer: Optimizer, surface) -> Callable[[Array, Any], dict[str, Any]]:
    """A function (θ_t, η_t) -> the keyword arguments `optimizer.update` needs at that step.

    Checked once before a run: a Newton step on a surface without a Hessian is a ValueError
    naming both, not a TypeError at step 0.
    """
    unknown = [n for n in optimizer.needs if n not in STEP_INPUTS]
    if unknown:
        raise ValueError(f"optimizer {optimizer.name!r} needs {unknown[0]!r}; an update may ask only for {', '.join(STEP_INPUTS)}")
    if "hess" in optimizer.needs and getattr(surface, "hess", None) is None:
        raise ValueError(f"optimizer {optimizer.name!r} needs the exact Hessian, and surface {surface.name!r} has none")
    needs = optimizer.needs

    def inputs(theta: Array, lr: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "theta" in needs:
            out["theta"] = theta
        if "lr" in needs:
            out["lr"] = lr
        if "hess" in needs:
            out["hess"] = surface.hess(theta)
        return out

    return inputs


def _leaves(values):
    for v in values:
        if isinstance(v, tuple):  # betas = (β1, β2): each part may be batched
            yield from _leaves(v)
        elif not isinstance(v, (bool, str, np.bool_)):  # a number, an array or a list of B values
            yield v


def column(x: Any) -> Any:
    """A hyperparameter ready to combine with θ of shape (B, 2).

    Scalars stay Python floats (cheap in the hot loop); a sequence of B values becomes a
    (B, 2) array, each value repeated for both parameters. (A (B, 1) column would broadcast
    too, but numpy then loops over rows of length 2: 4–7× slower per operation in a sweep.)
    """
    a = np.asarray(x, dtype=float)
    if a.ndim == 0:
        return float(a)
    if a.ndim != 1:
        raise ValueError(f"a batched hyperparameter must be 1-D, got shape {a.shape}")
    return np.repeat(a[:, None], 2, axis=1)


def _describe(value: Any) -> str:
    a = np.asarray(value)
    return repr(value) if a.ndim == 0 else f"values {np.array2string(a.ravel(), threshold=6)}"


def _short(value: Any) -> str:
    """`value` as written, shortened (for messages about values that are not numbers)."""
    if isinstance(value, np.ndarray):
        return f"values {np.array2string(value.ravel(), threshold=6)}"
    return reprlib.repr(value)


def _bool_or_text(value: Any) -> bool:
    """True if `value` is, or holds, a bool or a string: numpy would quietly make numbers of them."""
    if isinstance(value, (bool, np.bool_, str, bytes)):
        return True
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "O":
            return any(_bool_or_text(v) for v in value.flat)
        return value.dtype.kind in "bSU"
    if isinstance(value, (list, tuple)):
        return any(_bool_or_text(v) for v in value)
    return False


def as_numbers(name: str, value: Any) -> Array:
    """`value` as a float array, or a ValueError naming `name` (True and "0.1" are not numbers)."""
    if _bool_or_text(value):
        raise ValueError(f"{name} must be a number, got {_short(value)}")
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {_short(value)}") from None


def check_number(
    name: str,
    value: Any,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Raise ValueError naming `name` and the allowed range unless every value lies in it."""
    a = as_numbers(name, value)
    lo_b = "(" if low_open or low == -math.inf else "["
    hi_b = ")" if high_open or high == math.inf else "]"  # "(0, inf)": finite numbers only
    rng = f"{lo_b}{low:g}, {high:g}{hi_b}"
    ok = np.isfinite(a)
    ok &= (a > low) if low_open else (a >= low)
    ok &= (a < high) if high_open else (a <= high)
    if a.size == 0 or not ok.all():
        raise ValueError(f"{name} must be a finite number in {rng}, got {_describe(value)}")


def check_unit(name: str, value: Any) -> None:
    """β, α and friends live in [0, 1)."""
    check_number(name, value, low=0.0, high=1.0, high_open=True)


def check_positive(name: str, value: Any) -> None:
    """η, ε and friends are finite and > 0."""
    check_number(name, value, low=0.0, low_open=True)


def check_betas(betas: Any) -> tuple[Any, Any]:
    """(β1, β2), each in [0, 1) (numbers or (B,) arrays), or a ValueError naming `betas`."""
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair (β1, β2), got {betas!r}") from None
    check_unit("betas[0] (β1)", beta1)
    check_unit("betas[1] (β2)", beta2)
    return beta1, beta2


def check_bool(name: str, value: Any) -> bool:
    """A switch such as nesterov or amsgrad: True or False only (the string "false" is truthy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_int(name: str, value: Any, *, low: int, high: int) -> int:
    """An integer in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return int(value)


def check_choice(name: str, value: Any, choices) -> None:
    """`value` must be one of `choices`; the error lists them."""
    if value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"unknown {name} {value!r}; valid: {valid}")
