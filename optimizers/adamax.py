"""Adamax: Adam with σ the decaying maximum of |g| instead of a root mean square (Kingma & Ba, 2015)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optimizers.base import Array, Direction, Optimizer, check_betas, check_positive, column


class AdamaxState(NamedTuple):
    m: Array  # EMA of g
    u: Array  # decaying maximum of |g| + ε
    beta1_t: Array | float  # β1^t


def adamax(betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> Optimizer:
    """Adamax, as torch.optim.Adamax (no weight decay).

    With t counting from 1:
        m_t = β1 m_{t−1} + (1 − β1) g_t        m̂_t = m_t / (1 − β1^t)
        u_t = max(β2 u_{t−1}, |g_t| + ε)        (u_0 = 0; no bias correction needed)
        Direction(m = m̂_t, σ = u_t)
    applied by `run` as θ ← θ − η m̂/u: σ is the ∞-norm limit of Adam's √v, so a single
    large gradient sets the scale until β2 lets it fade. torch puts ε inside the maximum.

    Args:
      betas: (β1, β2), each in [0, 1). torch: `betas`.
      eps: ε, added to |g| inside the maximum.
    """
    beta1, beta2 = check_betas(betas)
    check_positive("eps", eps)
    b1, b2, eps_ = column(beta1), column(beta2), column(eps)
    c1 = 1 - b1

    def init(theta: Array) -> AdamaxState:
        zeros = np.zeros_like(theta, dtype=float)
        return AdamaxState(m=zeros, u=zeros, beta1_t=1.0)

    def update(g: Array, state: AdamaxState) -> tuple[Direction, AdamaxState]:
        beta1_t = state.beta1_t * b1
        m = b1 * state.m + c1 * g
        u = np.maximum(b2 * state.u, np.abs(g) + eps_)
        return Direction(m / (1 - beta1_t), u), AdamaxState(m, u, beta1_t)

    hyper = {"betas": (beta1, beta2), "eps": eps}
    return Optimizer(init, update, "adamax", hyper)
