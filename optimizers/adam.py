"""Adam = RMSprop's σ + momentum's m, both bias-corrected (lecture §6)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optimizers.base import Array, Direction, Optimizer, check_bool, check_positive, check_unit, column


class AdamState(NamedTuple):
    t: int  # gradients seen so far
    m: Array  # EMA of g
    v: Array  # EMA of g² (its running maximum for AMSGrad)
    beta1_t: Array | float  # β1^t, kept as a running product instead of a power each step
    beta2_t: Array | float  # β2^t
    v_max: Array  # max of v so far (amsgrad only)


def adam(betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, amsgrad: bool = False) -> Optimizer:
    """Adam, as torch.optim.Adam without weight decay.

    Update (lecture §6), applied by `run` as θ ← θ − η m̂ / σ, with t counting from 1:
        m_t = β1 m_{t−1} + (1 − β1) g_t        m̂_t = m_t / (1 − β1^t)
        v_t = β2 v_{t−1} + (1 − β2) g_t²       v̂_t = v_t / (1 − β2^t)
        σ_t = √v̂_t + ε                          (amsgrad: v̂ from max_{k≤t} v_k)

    m keeps the sign of past gradients (a direction); σ keeps only their size.

    Args:
      betas: (β1, β2), each in [0, 1). torch: `betas`.
      eps: ε, added after the root and after bias correction, as torch and optax do.
      amsgrad: use the running maximum of v (torch's `amsgrad`).
    """
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair (β1, β2), got {betas!r}") from None
    check_unit("betas[0] (β1)", beta1)
    check_unit("betas[1] (β2)", beta2)
    check_positive("eps", eps)
    amsgrad = check_bool("amsgrad", amsgrad)
    b1, b2, eps_ = column(beta1), column(beta2), column(eps)
    c1, c2 = 1 - b1, 1 - b2  # once here, not every step (they are (B, 2) arrays in a sweep)

    def init(theta: Array) -> AdamState:
        zeros = np.zeros_like(theta, dtype=float)
        return AdamState(t=0, m=zeros, v=zeros, beta1_t=1.0, beta2_t=1.0, v_max=zeros)

    def update(g: Array, state: AdamState) -> tuple[Direction, AdamState]:
        beta1_t, beta2_t = state.beta1_t * b1, state.beta2_t * b2  # count first: 1 − β^t ≠ 0
        m = b1 * state.m + c1 * g
        v = b2 * state.v + c2 * (g * g)
        v_max = np.maximum(state.v_max, v) if amsgrad else state.v_max
        m_hat = m / (1 - beta1_t)
        sigma = np.sqrt((v_max if amsgrad else v) / (1 - beta2_t)) + eps_
        return Direction(m_hat, sigma), AdamState(state.t + 1, m, v, beta1_t, beta2_t, v_max)

    hyper = {"betas": (beta1, beta2), "eps": eps, "amsgrad": amsgrad}
    return Optimizer(init, update, "amsgrad" if amsgrad else "adam", hyper)
