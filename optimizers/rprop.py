"""Rprop: a step size per parameter, grown while the gradient keeps its sign (Riedmiller & Braun, 1993)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optimizers.base import Array, Direction, Optimizer, as_numbers, check_number, column


class RpropState(NamedTuple):
    t: int  # gradients seen so far
    prev: Array  # the gradient used at the last step (0 where its sign flipped)
    s: Array  # the step size per parameter


def _pair(name: str, value, what: str):
    try:
        low, high = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair {what}, got {value!r}") from None
    return as_numbers(f"{name}[0]", low), as_numbers(f"{name}[1]", high)


def rprop(etas: tuple[float, float] = (0.5, 1.2), step_sizes: tuple[float, float] = (1e-6, 50.0)) -> Optimizer:
    """Rprop, as torch.optim.Rprop: only the sign of g is used.

    Per parameter, with s_{−1} = η (the first step's learning rate) and g_{−1} = 0:
        s_t = clip(s_{t−1} · η₊, s_min, s_max)   if g_t g_{t−1} > 0  (same sign: speed up)
        s_t = clip(s_{t−1} · η₋, s_min, s_max)   if g_t g_{t−1} < 0  (overshot: slow down,
                                                  and skip this step: g_t counts as 0)
        s_t = s_{t−1}                             otherwise
        Direction(m = sign(g_t), σ = η_t / s_t)
    applied by `run` as θ ← θ − η m/σ = θ − s_t sign(g_t): η/σ is exactly the step size s.
    Since the step sizes are absolute, η only sets s at the start, as in torch (where a
    learning-rate scheduler has no effect on Rprop either); a step with η_t = 0 does not
    move. The update needs η_t (`needs = ("lr",)`).

    Args:
      etas: (η₋, η₊) with 0 < η₋ < 1 < η₊: the factors that shrink and grow s. torch's
        name; not the learning rate.
      step_sizes: (s_min, s_max) with 0 ≤ s_min ≤ s_max, the range of s.
    """
    eta_minus, eta_plus = _pair("etas", etas, "(η₋, η₊)")
    check_number("etas[0] (η₋)", eta_minus, low=0.0, high=1.0, low_open=True, high_open=True)
    check_number("etas[1] (η₊)", eta_plus, low=1.0, low_open=True)
    s_min, s_max = _pair("step_sizes", step_sizes, "(s_min, s_max)")
    check_number("step_sizes[0] (s_min)", s_min, low=0.0)
    check_number("step_sizes[1] (s_max)", s_max, low=0.0, low_open=True)
    if np.any(s_min > s_max):
        raise ValueError(f"step_sizes must have s_min ≤ s_max, got {step_sizes!r}")
    down, up = column(eta_minus), column(eta_plus)
    lo, hi = column(s_min), column(s_max)

    def init(theta: Array) -> RpropState:
        zeros = np.zeros_like(theta, dtype=float)
        return RpropState(t=0, prev=zeros, s=zeros)  # s is set from η at the first step

    def update(g: Array, state: RpropState, *, lr) -> tuple[Direction, RpropState]:
        s = lr + 0.0 * g if state.t == 0 else state.s
        same = g * state.prev
        s = np.clip(s * np.where(same > 0, up, np.where(same < 0, down, 1.0)), lo, hi)
        used = np.where(same < 0, 0.0, g)
        sigma = np.where(np.asarray(lr) > 0, lr / s, 1.0)
        return Direction(np.sign(used), sigma), RpropState(state.t + 1, used, s)

    hyper = {"etas": (etas[0], etas[1]), "step_sizes": (step_sizes[0], step_sizes[1])}
    return Optimizer(init, update, "rprop", hyper, needs=("lr",))
