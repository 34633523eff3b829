"""Newton's method with the exact Hessian: the second-order contrast to everything else."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optimizers.base import Array, Direction, Optimizer


class NewtonState(NamedTuple):
    ones: Array  # σ = 1 (read-only)


def newton() -> Optimizer:
    """Newton's method: the step that jumps to the stationary point of the local quadratic.

        Direction(m = H_t⁻¹ g_t, σ = 1),   H_t = ∇²f(θ_t) exact (the surface's `hess`)
    applied by `run` as θ ← θ − η H⁻¹ g; η = 1 is the pure Newton step, η < 1 a damped one.
    On a quadratic bowl one step at η = 1 lands on the minimum, whatever the condition
    number: H⁻¹ undoes the elongation that makes one η fail for gradient descent (§2).

    It goes to the nearest stationary point, not downhill. Where H is not positive definite
    it walks uphill: on the saddle x² − y² (H = diag(2, −2)) the step is −η (x, y), straight
    at the saddle, so from (0.2, 1) f rises from −0.96 towards 0 while gradient descent
    escapes downhill. And it trusts the quadratic model too far: on the bowl's pseudo-Huber
    walls (|v| > δ, where the curvature fades) it overshoots, v → −v³/δ², and diverges.
    At a point with g = 0 it stays put, even where H is singular; elsewhere a singular H
    gives a non-finite step, which `run` records as divergence.

    The update needs the Hessian (`needs = ("hess",)`): it runs on surfaces that have one.
    """

    def init(theta: Array) -> NewtonState:
        ones = np.ones_like(theta, dtype=float)
        ones.flags.writeable = False
        return NewtonState(ones=ones)

    def update(g: Array, state: NewtonState, *, hess: Array) -> tuple[Direction, NewtonState]:
        a, b, d = hess[..., 0, 0], hess[..., 0, 1], hess[..., 1, 1]
        gx, gy = g[..., 0], g[..., 1]
        det = a * d - b * b
        m = np.empty_like(g, dtype=float)
        with np.errstate(all="ignore"):  # a singular H is data (a non-finite step), not a warning
            m[..., 0] = (d * gx - b * gy) / det
            m[..., 1] = (a * gy - b * gx) / det
        m[(gx == 0) & (gy == 0)] = 0.0
        return Direction(m, state.ones), state

    return Optimizer(init, update, "newton", {}, needs=("hess",))
