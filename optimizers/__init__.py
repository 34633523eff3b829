"""Small, readable optimizers; every one proposes Direction(m, σ) and `run` applies
θ ← θ − (η_t / σ_t) · m_t (docs/lecture.md §6)."""

from optimizers import schedules
from optimizers.adadelta import adadelta
from optimizers.adagrad import adagrad
from optimizers.adam import adam, adamw
from optimizers.adamax import adamax
from optimizers.base import Direction, Optimizer, Schedule
from optimizers.gd import gd
from optimizers.lion import lion
from optimizers.nadam import nadam
from optimizers.newton import newton
from optimizers.radam import radam
from optimizers.registry import (
    ENTRIES,
    HYPERPARAMETERS,
    OPTIMIZERS,
    TITLES,
    Hyperparameter,
    defaults,
    factory_kwargs,
    get_optimizer,
    make_optimizer,
    register,
    slider_params,
    slider_values,
    unregister,
    with_sliders,
)
from optimizers.rmsprop import rmsprop
from optimizers.rprop import rprop
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
    "adamw",
    "nadam",
    "radam",
    "adamax",
    "adadelta",
    "rprop",
    "lion",
    "newton",
    "run",
    "sweep",
    "schedules",
    "ENTRIES",
    "Hyperparameter",
    "OPTIMIZERS",
    "register",
    "unregister",
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
