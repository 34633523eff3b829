"""Small, readable optimizers; every one proposes Direction(m, σ) and `run` applies
θ ← θ − (η_t / σ_t) · m_t (docs/lecture.md §6)."""

from optimizers import schedules
from optimizers.adagrad import adagrad
from optimizers.adam import adam
from optimizers.base import Direction, Optimizer, Schedule
from optimizers.gd import gd
from optimizers.registry import (
    HYPERPARAMETERS,
    OPTIMIZERS,
    TITLES,
    defaults,
    factory_kwargs,
    get_optimizer,
    make_optimizer,
    slider_params,
    slider_values,
)
from optimizers.rmsprop import rmsprop
from optimizers.run import Trajectory, run
from optimizers.schedules import SCHEDULES
from optimizers.sweep import SweepResult, sweep

__all__ = [
    "Direction",
    "Optimizer",
    "Schedule",
    "Trajectory",
    "SweepResult",
    "gd",
    "adagrad",
    "rmsprop",
    "adam",
    "run",
    "sweep",
    "schedules",
    "OPTIMIZERS",
    "TITLES",
    "SCHEDULES",
    "HYPERPARAMETERS",
    "defaults",
    "factory_kwargs",
    "get_optimizer",
    "make_optimizer",
    "slider_params",
    "slider_values",
]
