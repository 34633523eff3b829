"""Adagrad: σ from all past gradients (lecture §3, §4, §7)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optimizers.base import Array, Direction, Optimizer, check_bool, check_number, check_positive, column


class AdagradState(NamedTuple):
    t: int  # gradients seen so far
    sum_sq: Array  # Σ g² (plus the initial accumulator value)


def adagrad(eps: float = 1e-10, initial_accumulator_value: float = 0.0, mean: bool = False) -> Optimizer:
    """Adagrad, in torch's sum form or the lecture's root-mean-square form.

    Update (lecture §4), applied by `run` as θ ← θ − η m / σ with m = g:
        S_t = S_0 + Σ_{k=0..t} g_k²
        σ_t = √S_t + ε                   (mean=False: torch.optim.Adagrad)
        σ_t = √(S_t / (t + 1)) + ε       (mean=True: the lecture's root mean square)

    The sum form's σ never shrinks, so its η/σ only falls. In the mean form σ forgets: while
    the gradient stays tiny, σ shrinks and η/σ grows — the burst of lecture §7.

    Args:
      eps: ε, added after the root as torch does (default 1e-10).
      initial_accumulator_value: S_0, torch's starting value of the sum.
      mean: divide the sum by the number of gradients seen (the lecture's form).

    Note:
      torch's `lr_decay` is the schedule `inverse_time(lr, lr_decay)`.
    """
    check_positive("eps", eps)
    check_number("initial_accumulator_value", initial_accumulator_value, low=0.0)
    mean = check_bool("mean", mean)
    eps_, s0 = column(eps), column(initial_accumulator_value)

    def init(theta: Array) -> AdagradState:
        return AdagradState(t=0, sum_sq=np.zeros_like(theta, dtype=float) + s0)

    def update(g: Array, state: AdagradState) -> tuple[Direction, AdagradState]:
        t = state.t + 1
        sum_sq = state.sum_sq + g * g
        sigma = np.sqrt(sum_sq / t if mean else sum_sq) + eps_
        return Direction(g, sigma), AdagradState(t, sum_sq)

    hyper = {"eps": eps, "initial_accumulator_value": initial_accumulator_value, "mean": mean}
    return Optimizer(init, update, "adagrad", hyper)
