"""RAdam: Adam whose σ is switched on only once its variance can be trusted (Liu et al., 2020)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optimizers.base import Array, Direction, Optimizer, check_betas, check_positive, column


class RAdamState(NamedTuple):
    t: int  # gradients seen so far
    m: Array  # EMA of g
    v: Array  # EMA of g²
    beta1_t: Array | float  # β1^t
    beta2_t: Array | float  # β2^t


def radam(betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> Optimizer:
    """RAdam, as torch.optim.RAdam (no weight decay).

    With Adam's m_t, v_t and m̂_t = m_t / (1 − β1^t) (t from 1), ρ_∞ = 2/(1 − β2) − 1 and
    ρ_t = ρ_∞ − 2 t β2^t / (1 − β2^t), the length of the average that v_t approximates:
        ρ_t > 5:  Direction(m = r_t m̂_t,  σ = (√v_t + ε) / √(1 − β2^t))
                  r_t = √((ρ_t − 4)(ρ_t − 2) ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2) ρ_t))
        ρ_t ≤ 5:  Direction(m = m̂_t, σ = 1)   (momentum SGD: too few gradients to trust v)
    applied by `run` as θ ← θ − η m/σ. This is a built-in warm-up (lecture §8's reason for
    warm-up: σ is a statistic that needs gradients first); with β2 = 0.999 the first five
    steps are plain momentum steps. torch adds ε to √v before the bias correction.

    Args:
      betas: (β1, β2), each in [0, 1). torch: `betas`.
      eps: ε.
    """
    beta1, beta2 = check_betas(betas)
    check_positive("eps", eps)
    b1, b2, eps_ = column(beta1), column(beta2), column(eps)
    c1, c2 = 1 - b1, 1 - b2
    rho_inf = 2 / c2 - 1

    def init(theta: Array) -> RAdamState:
        zeros = np.zeros_like(theta, dtype=float)
        return RAdamState(t=0, m=zeros, v=zeros, beta1_t=1.0, beta2_t=1.0)

    def update(g: Array, state: RAdamState) -> tuple[Direction, RAdamState]:
        t = state.t + 1
        beta1_t, beta2_t = state.beta1_t * b1, state.beta2_t * b2
        m = b1 * state.m + c1 * g
        v = b2 * state.v + c2 * (g * g)
        m_hat = m / (1 - beta1_t)
        bc2 = 1 - beta2_t
        rho_t = rho_inf - 2 * t * beta2_t / bc2
        trusted = rho_t > 5.0
        with np.errstate(all="ignore"):  # r_t is only used where ρ_t > 5, where it is finite
            r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        direction = np.where(trusted, m_hat * r, m_hat)
        sigma = np.where(trusted, (np.sqrt(v) + eps_) / np.sqrt(bc2), 1.0)
        return Direction(direction, sigma), RAdamState(t, m, v, beta1_t, beta2_t)

    hyper = {"betas": (beta1, beta2), "eps": eps}
    return Optimizer(init, update, "radam", hyper)
