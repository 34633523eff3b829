"""Adadelta: RMSprop whose numerator is the RMS of past steps, so η can stay 1 (Zeiler, 2012)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optimizers.base import Array, Direction, Optimizer, check_number, check_positive, column


class AdadeltaState(NamedTuple):
    v: Array  # EMA of g²
    u: Array  # EMA of the squared steps Δθ² (before η)


def adadelta(rho: float = 0.9, eps: float = 1e-6) -> Optimizer:
    """Adadelta, as torch.optim.Adadelta (no weight decay; torch's default η is 1.0).

        v_t = ρ v_{t−1} + (1 − ρ) g_t²
        Direction(m = g_t, σ = √(v_t + ε) / √(u_{t−1} + ε))
        u_t = ρ u_{t−1} + (1 − ρ) (g_t/σ_t)²           (v_{−1} = u_{−1} = 0)
    applied by `run` as θ ← θ − η g/σ. σ is RMSprop's √v divided by the RMS of the
    steps already taken, which carries the units of θ: with η = 1 the step size comes from
    the optimizer's own history. It starts tiny (√ε/√v) and grows as the steps do.

    Args:
      rho: ρ in [0, 1], the decay of both averages (torch: `rho`).
      eps: ε > 0, inside both roots (torch's default 1e-6).
    """
    check_number("rho", rho, low=0.0, high=1.0)
    check_positive("eps", eps)
    r, eps_ = column(rho), column(eps)
    c = 1 - r

    def init(theta: Array) -> AdadeltaState:
        zeros = np.zeros_like(theta, dtype=float)
        return AdadeltaState(v=zeros, u=zeros)

    def update(g: Array, state: AdadeltaState) -> tuple[Direction, AdadeltaState]:
        v = r * state.v + c * (g * g)
        sigma = np.sqrt(v + eps_) / np.sqrt(state.u + eps_)
        step = g / sigma
        return Direction(g, sigma), AdadeltaState(v, r * state.u + c * (step * step))

    hyper = {"rho": rho, "eps": eps}
    return Optimizer(init, update, "adadelta", hyper)
