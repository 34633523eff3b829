"""RMSprop: σ from an exponential moving average of g² (lecture §5)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optimizers.base import (
    Array,
    Direction,
    Optimizer,
    check_bool,
    check_choice,
    check_positive,
    check_unit,
    column,
)


class RMSpropState(NamedTuple):
    t: int  # gradients seen so far
    v: Array  # EMA of g²: σ² before ε
    g_avg: Array  # EMA of g (centered form only)
    buf: Array  # torch's momentum buffer, holding Σ β^k g/σ


def rmsprop(
    alpha: float = 0.99,
    eps: float = 1e-8,
    momentum: float = 0.0,
    centered: bool = False,
    v0: str = "zeros",
) -> Optimizer:
    """RMSprop, as torch.optim.RMSprop (no weight decay), with the lecture's start as an option.

    Update (lecture §5), applied by `run` as θ ← θ − η m / σ:
        v_t = α v_{t−1} + (1 − α) g_t²       v_{−1} = 0 (v0="zeros", torch)
        v_0 = g_0²                           (v0="first_grad": the lecture's σ⁰ = |g⁰|)
        σ_t = √v_t + ε                       centered: σ_t = √(v_t − ḡ_t²) + ε, ḡ_t = EMA of g
        m_t = g_t                            (β = 0)

    With momentum β > 0 torch keeps b_t = β b_{t−1} + g_t / σ_t and steps θ ← θ − η b_t.
    That buffer maps onto the lecture's form as m_t = σ_t b_t with the same σ_t, so η/σ is
    still the per-parameter rate applied to this step's gradient.

    Args:
      alpha: α in [0, 1): small α reacts fast to the current gradient. torch: `alpha`.
      eps: ε, added after the root as torch does.
      momentum: β in [0, 1). torch: `momentum`.
      centered: divide by an estimate of the variance instead of the raw second moment.
      v0: "zeros" (torch; the first step is 1/√(1 − α) times larger) or "first_grad" (lecture;
        not with centered=True, whose first variance estimate would then be 0).
    """
    check_unit("alpha", alpha)
    check_positive("eps", eps)
    check_unit("momentum", momentum)
    centered = check_bool("centered", centered)
    check_choice("v0", v0, ("zeros", "first_grad"))
    if centered and v0 == "first_grad":  # v₀ − ḡ₀² = g₀² − g₀² = 0: σ₀ = ε, a first step of η g/ε
        raise ValueError("centered=True needs v0='zeros': with v0='first_grad' the first variance is 0")
    a, eps_, beta = column(alpha), column(eps), column(momentum)
    c = 1 - a  # the weight of the new gradient, computed once
    use_buffer = np.any(np.asarray(momentum) > 0)

    def init(theta: Array) -> RMSpropState:
        zeros = np.zeros_like(theta, dtype=float)
        return RMSpropState(t=0, v=zeros, g_avg=zeros, buf=zeros)

    def update(g: Array, state: RMSpropState) -> tuple[Direction, RMSpropState]:
        if state.t == 0 and v0 == "first_grad":
            v, g_avg = g * g, g
        else:
            v = a * state.v + c * (g * g)
            g_avg = a * state.g_avg + c * g if centered else state.g_avg
        sigma = np.sqrt(v - g_avg * g_avg if centered else v) + eps_
        if not use_buffer:
            return Direction(g, sigma), RMSpropState(state.t + 1, v, g_avg, state.buf)
        buf = beta * state.buf + g / sigma
        return Direction(buf * sigma, sigma), RMSpropState(state.t + 1, v, g_avg, buf)

    hyper = {"alpha": alpha, "eps": eps, "momentum": momentum, "centered": centered, "v0": v0}
    return Optimizer(init, update, "rmsprop", hyper)
