"""NAdam: Adam with Nesterov's look-ahead in the momentum (Dozat, 2016)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optimizers.base import Array, Direction, Optimizer, check_betas, check_number, check_positive, column


class NAdamState(NamedTuple):
    t: int  # gradients seen so far
    m: Array  # EMA of g
    v: Array  # EMA of g²
    mu_product: Array | float  # μ_1 μ_2 … μ_t
    beta2_t: Array | float  # β2^t


def nadam(betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, momentum_decay: float = 4e-3) -> Optimizer:
    """NAdam, as torch.optim.NAdam (no weight decay).

    With t counting from 1 and the momentum schedule μ_t = β1 (1 − ½ · 0.96^(t ψ)):
        m_t = β1 m_{t−1} + (1 − β1) g_t        v_t = β2 v_{t−1} + (1 − β2) g_t²
        σ_t = √(v_t / (1 − β2^t)) + ε
        Direction: m = (1 − μ_t)/(1 − Π_{i≤t} μ_i) · g_t + μ_{t+1}/(1 − Π_{i≤t+1} μ_i) · m_t
    applied by `run` as θ ← θ − η m/σ: Adam's bias-corrected momentum, but taken one
    step ahead (the next μ on the average, the current one on the fresh gradient).

    Args:
      betas: (β1, β2), each in [0, 1). torch: `betas`.
      eps: ε, added after the root.
      momentum_decay: ψ ≥ 0, how fast μ_t rises from β1/2 towards β1 (torch's 4e-3).
    """
    beta1, beta2 = check_betas(betas)
    check_positive("eps", eps)
    check_number("momentum_decay", momentum_decay, low=0.0)
    b1, b2, eps_, psi = column(beta1), column(beta2), column(eps), column(momentum_decay)
    c1, c2 = 1 - b1, 1 - b2

    def init(theta: Array) -> NAdamState:
        zeros = np.zeros_like(theta, dtype=float)
        return NAdamState(t=0, m=zeros, v=zeros, mu_product=1.0, beta2_t=1.0)

    def update(g: Array, state: NAdamState) -> tuple[Direction, NAdamState]:
        t = state.t + 1
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        mu_product = state.mu_product * mu
        m = b1 * state.m + c1 * g
        v = b2 * state.v + c2 * (g * g)
        beta2_t = state.beta2_t * b2
        sigma = np.sqrt(v / (1 - beta2_t)) + eps_
        direction = (1 - mu) / (1 - mu_product) * g + mu_next / (1 - mu_product * mu_next) * m
        return Direction(direction, sigma), NAdamState(t, m, v, mu_product, beta2_t)

    hyper = {"betas": (beta1, beta2), "eps": eps, "momentum_decay": momentum_decay}
    return Optimizer(init, update, "nadam", hyper)
