"""Lion: the sign of an interpolated momentum (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms")."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optimizers.base import Array, Direction, Optimizer, check_betas, check_number, column


class LionState(NamedTuple):
    m: Array  # EMA of g with β2
    ones: Array  # σ = 1 (read-only)


def lion(betas: tuple[float, float] = (0.9, 0.99), weight_decay: float = 0.0) -> Optimizer:
    """Lion (EvoLved Sign Momentum), as in the paper's pseudo-code; torch has no Lion.

        c_t = β1 m_{t−1} + (1 − β1) g_t
        Direction(m = sign(c_t) + λ θ_t, σ = 1)
        m_t = β2 m_{t−1} + (1 − β2) g_t            (m_{−1} = 0)
    applied by `run` as θ ← θ − η (sign(c_t) + λ θ_t). Every parameter moves by exactly η
    per step (before the decay), so η must be 3–10× smaller than Adam's. With λ > 0 the
    update needs θ_t (`needs = ("theta",)`).

    Args:
      betas: (β1, β2), each in [0, 1): β1 mixes the step's sign, β2 the memory.
      weight_decay: λ ≥ 0, decoupled as in AdamW.
    """
    beta1, beta2 = check_betas(betas)
    check_number("weight_decay", weight_decay, low=0.0)
    b1, b2, lam = column(beta1), column(beta2), column(weight_decay)
    decays = bool(np.any(np.asarray(weight_decay) > 0))

    def init(theta: Array) -> LionState:
        ones = np.ones_like(theta, dtype=float)
        ones.flags.writeable = False
        return LionState(m=np.zeros_like(theta, dtype=float), ones=ones)

    def update(g: Array, state: LionState, *, theta: Array | None = None) -> tuple[Direction, LionState]:
        direction = np.sign(b1 * state.m + (1 - b1) * g)
        if decays:
            direction = direction + lam * theta
        return Direction(direction, state.ones), LionState(b2 * state.m + (1 - b2) * g, state.ones)

    hyper = {"betas": (beta1, beta2), "weight_decay": weight_decay}
    return Optimizer(init, update, "lion", hyper, needs=("theta",) if decays else ())
