"""Gradient descent, heavy-ball momentum and Nesterov momentum (lecture §2, §6)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optimizers.base import Array, Direction, Optimizer, check_bool, check_number, check_unit, column


class GDState(NamedTuple):
    t: int  # gradients seen so far
    v: Array  # the velocity (momentum buffer); unused when β = 0
    ones: Array  # σ = 1, made once by init (read-only), so a step allocates nothing for it


def gd(momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False) -> Optimizer:
    """Gradient descent with optional momentum, as torch.optim.SGD (no weight decay).

    Update (lecture §2, §6), applied by `run` as θ ← θ − η m / σ with σ = 1:
        v_0 = g_0,   v_t = β v_{t−1} + (1 − dampening) g_t
        m_t = v_t                  (heavy ball)
        m_t = g_t + β v_t          (nesterov=True)
    With β = 0 this is plain gradient descent θ ← θ − η g.

    Args:
      momentum: β, in [0, 1). torch: `momentum`.
      dampening: scales the new gradient in the velocity, in [0, 1]; as in torch, the first step
        and any run with β = 0 ignore it.
      nesterov: use Nesterov's look-ahead form. The plotted θ is then torch's iterate, which
        is Sutskever's θ + β v: both evaluate the same sequence of gradients.

    Note:
      torch refuses nesterov=True with β = 0; here it is allowed and equals plain GD, so that
      no slider position is an error.
    """
    check_unit("momentum", momentum)
    nesterov = check_bool("nesterov", nesterov)
    check_number("dampening", dampening, low=0.0, high=1.0)
    beta = column(momentum)
    heavy = bool(np.any(np.asarray(momentum) > 0))
    # torch applies dampening only inside the momentum buffer: with β = 0 the step is η g
    keep = column(np.where(np.asarray(momentum) > 0, 1.0 - np.asarray(dampening, dtype=float), 1.0))

    def init(theta: Array) -> GDState:
        ones = np.ones_like(theta, dtype=float)
        ones.flags.writeable = False
        return GDState(t=0, v=np.zeros_like(theta, dtype=float), ones=ones)

    def update(g: Array, state: GDState) -> tuple[Direction, GDState]:
        if not heavy:  # β = 0: plain gradient descent, m = g (the velocity stays unused)
            return Direction(g, state.ones), GDState(state.t + 1, state.v, state.ones)
        v = g if state.t == 0 else beta * state.v + keep * g  # torch starts the buffer at g_0
        m = g + beta * v if nesterov else v
        return Direction(m, state.ones), GDState(state.t + 1, v, state.ones)

    hyper = {"momentum": momentum, "dampening": dampening, "nesterov": nesterov}
    return Optimizer(init, update, "gd", hyper)
