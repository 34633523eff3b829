"""Adam = RMSprop's σ + momentum's m, both bias-corrected (lecture §6)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optimizers.base import Array, Direction, Optimizer, check_betas, check_bool, check_number, check_positive, column


class AdamState(NamedTuple):
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
    beta1, beta2 = check_betas(betas)
    check_positive("eps", eps)
    amsgrad = check_bool("amsgrad", amsgrad)
    b1, b2, eps_ = column(beta1), column(beta2), column(eps)
    c1, c2 = 1 - b1, 1 - b2  # once here, not every step (they are (B, 2) arrays in a sweep)

    def init(theta: Array) -> AdamState:
        zeros = np.zeros_like(theta, dtype=float)
        return AdamState(m=zeros, v=zeros, beta1_t=1.0, beta2_t=1.0, v_max=zeros)

    def update(g: Array, state: AdamState) -> tuple[Direction, AdamState]:
        beta1_t, beta2_t = state.beta1_t * b1, state.beta2_t * b2  # count first: 1 − β^t ≠ 0
        m = b1 * state.m + c1 * g
        v = b2 * state.v + c2 * (g * g)
        v_max = np.maximum(state.v_max, v) if amsgrad else state.v_max
        m_hat = m / (1 - beta1_t)
        sigma = np.sqrt((v_max if amsgrad else v) / (1 - beta2_t)) + eps_
        return Direction(m_hat, sigma), AdamState(m, v, beta1_t, beta2_t, v_max)

    hyper = {"betas": (beta1, beta2), "eps": eps, "amsgrad": amsgrad}
    return Optimizer(init, update, "adam", hyper)


def adamw(
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
) -> Optimizer:
    """AdamW, as torch.optim.AdamW: Adam with decoupled weight decay λ.

    torch shrinks θ by (1 − ηλ) and then takes Adam's step; in the lecture's form
    θ ← θ − η m/σ that is one step with Adam's σ and

        m_t = m̂_t + λ θ_t σ_t          (so η m/σ = η m̂/σ + η λ θ)

    The decay does not pass through σ: unlike an L2 term added to g, it is not rescaled
    per parameter (Loshchilov & Hutter, 2019). The update needs θ_t (`needs = ("theta",)`).

    Args:
      betas, eps, amsgrad: as `adam`.
      weight_decay: λ ≥ 0 (torch's default 1e-2).
    """
    check_number("weight_decay", weight_decay, low=0.0)
    base = adam(betas, eps, amsgrad)
    lam = column(weight_decay)
    decays = bool(np.any(np.asarray(weight_decay) > 0))

    def update(g: Array, state: AdamState, *, theta: Array | None = None) -> tuple[Direction, AdamState]:
        (m_hat, sigma), state = base.update(g, state)
        if not decays:
            return Direction(m_hat, sigma), state
        return Direction(m_hat + lam * theta * sigma, sigma), state

    hyper = {**base.hyper, "weight_decay": weight_decay}
    return Optimizer(base.init, update, "adamw", hyper, needs=("theta",) if decays else ())
