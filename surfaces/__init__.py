"""Analytic 2-D loss surfaces with exact gradients (numpy only; sympy for user formulas).

    SURFACES["bowl"]                      a default instance of every surface
    make("bowl", across=500.0)            the same surface with other parameters
    expression("x**2 + 10*y**2")          a surface from a typed formula
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from surfaces.base import Surface, pack, xy
from surfaces.bowl import elongated_bowl
from surfaces.classic import beale, himmelblau, rastrigin
from surfaces.expression import expression
from surfaces.regression import linear_regression
from surfaces.rosenbrock import rosenbrock
from surfaces.saddles import double_well, monkey_saddle, saddle

FACTORIES: dict[str, Callable[..., Surface]] = {
    "bowl": elongated_bowl,
    "rosenbrock": rosenbrock,
    "saddle": saddle,
    "monkey_saddle": monkey_saddle,
    "double_well": double_well,
    "regression": linear_regression,
    "himmelblau": himmelblau,
    "beale": beale,
    "rastrigin": rastrigin,
}

SURFACES: dict[str, Surface] = {name: factory() for name, factory in FACTORIES.items()}


def _valid_names() -> str:
    return ", ".join(repr(n) for n in [*FACTORIES, "expression"])


def get(name: str) -> Surface:
    """The default instance of the surface called `name`."""
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}; valid: {', '.join(repr(n) for n in SURFACES)}")
    return SURFACES[name]


def make(name: str, **params: Any) -> Surface:
    """The surface `name` built with `params`, e.g. make("rosenbrock", b=10.0).

    `make(s.name, **s.params)` rebuilds any surface s, including a user formula
    (name "expression", params text / bounds / start).
    """
    factory = expression if name == "expression" else FACTORIES.get(name)
    if factory is None:
        raise ValueError(f"unknown surface {name!r}; valid: {_valid_names()}")
    signature = inspect.signature(factory).parameters
    accepted = list(signature)
    takes = f"its parameters are {', '.join(accepted)}" if accepted else "it takes no parameters"
    unknown = [key for key in params if key not in accepted]
    if unknown:
        raise ValueError(f"surface {name!r} has no parameter {unknown[0]!r}; {takes}")
    missing = [key for key, p in signature.items() if p.default is p.empty and key not in params]
    if missing:  # e.g. make("expression") without text: a ValueError, not Python's TypeError
        needs = ", ".join(f"{key}=..." for key in missing)
        raise ValueError(f"surface {name!r} needs {needs}; {takes}")
    return factory(**params)


__all__ = [
    "FACTORIES",
    "SURFACES",
    "Surface",
    "beale",
    "double_well",
    "elongated_bowl",
    "expression",
    "get",
    "himmelblau",
    "linear_regression",
    "make",
    "monkey_saddle",
    "pack",
    "rastrigin",
    "rosenbrock",
    "saddle",
    "xy",
]
