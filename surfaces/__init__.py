"""Analytic 2-D loss surfaces with exact gradients (numpy only; sympy for user formulas).

    SURFACES["bowl"]                      a default instance of every surface
    make("bowl", across=500.0)            the same surface with other parameters
    expression("x**2 + 10*y**2")          a surface from a typed formula
    register("my_bowl", my_factory)       add a surface of your own (checked first)
    quadratic_theory(SURFACES["quadratic"])   η < 2/λ_max, the optimal η, heavy-ball's (η, β)
"""

from __future__ import annotations

import functools
import inspect
import re
from dataclasses import replace
from typing import Any, Callable

import numpy as np

from surfaces.base import Surface, pack, xy
from surfaces.bowl import elongated_bowl
from surfaces.classic import beale, himmelblau, rastrigin
from surfaces.expression import expression
from surfaces.quadratic import QuadraticTheory, quadratic, quadratic_theory
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
    "quadratic": quadratic,
}

SURFACES: dict[str, Surface] = {name: factory() for name, factory in FACTORIES.items()}
BUILTIN = frozenset(FACTORIES)
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


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
        raise ValueError(
            f"unknown surface {name!r}; valid: {_valid_names()} (a surface of your own must be "
            "registered in this session first: surfaces.register(name, factory))"
        )
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


def _check_surface(name: str, s: Any) -> None:
    """A registered surface must be a Surface whose f, grad (and hess) broadcast, are finite
    at the start and agree with central differences there: a wrong gradient fails here."""
    if not isinstance(s, Surface):
        raise ValueError(f"register({name!r}): the factory must return a surfaces.Surface, got {type(s).__name__}")
    start = np.asarray(s.start, dtype=float)
    (x0, x1), (y0, y1) = s.bounds
    box = np.array([x1 - x0, y1 - y0], dtype=float)
    corner = np.array([x0, y0], dtype=float)
    points = np.concatenate([start[None], corner + box * np.array([[0.3, 0.7], [0.6, 0.4], [0.8, 0.2]])])
    try:
        f, g = np.asarray(s.f(points)), np.asarray(s.grad(points))
        grid = np.asarray(s.f(points.reshape(2, 2, 2)))
        H = None if s.hess is None else np.asarray(s.hess(points))
    except Exception as error:
        raise ValueError(f"register({name!r}): evaluating f, grad or hess on points of shape (4, 2) failed: {type(error).__name__}: {error}") from None
    if f.shape != (4,) or g.shape != (4, 2) or grid.shape != (2, 2) or (H is not None and H.shape != (4, 2, 2)):
        raise ValueError(
            f"register({name!r}): f and grad must broadcast over leading axes: for points (4, 2) they gave "
            f"{f.shape} and {g.shape} (want (4,) and (4, 2)){'' if H is None else f', hess {H.shape} (want (4, 2, 2))'}"
        )
    if not (np.isfinite(f[0]) and np.isfinite(g[0]).all()):
        raise ValueError(f"register({name!r}): f or grad is not finite at the start {tuple(s.start)}")
    h = 1e-6 * box
    for i in range(2):
        e = np.zeros(2)
        e[i] = h[i]
        fd = (s.f(points + e) - s.f(points - e)) / (2 * h[i])
        ok = np.isclose(g[:, i], fd, rtol=1e-4, atol=1e-6 * (1.0 + np.nanmax(np.abs(g))))
        if not ok[np.isfinite(fd)].all():
            k = int(np.argmin(ok))
            raise ValueError(
                f"register({name!r}): grad does not match f: ∂f/∂{'xy'[i]} at {tuple(points[k])} is {g[k, i]:.6g}, "
                f"central differences give {fd[k]:.6g}"
            )
        if H is not None:
            fdh = (s.grad(points + e) - s.grad(points - e)) / (2 * h[i])
            if not np.allclose(H[..., :, i], fdh, rtol=1e-4, atol=1e-6 * (1.0 + np.abs(H).max()), equal_nan=True):
                raise ValueError(f"register({name!r}): hess does not match grad (column {i}, against central differences)")


def _without_parameters(surface: Surface) -> Callable[[], Surface]:
    """A factory for one fixed Surface (an entry without parameters, so `params` is empty)."""
    fixed = replace(surface, params={})

    def factory() -> Surface:
        return fixed

    return factory


def register(name: str, factory: Callable[..., Surface] | Surface, *, description: str | None = None) -> Surface:
    """Add a surface to the registry: it appears in `SURFACES`, `make`, the CLI, scenes and
    the README table. Returns its default instance.

    Args:
      name: the registry key (lower-case letters, digits and _); the surfaces it builds are
        given this name.
      factory: a function of keyword arguments, each with a default, returning a Surface
        (its `params` must rebuild it: make(name, **s.params)); or one Surface.
      description: replaces the surface's description (what it shows).

    Registering a name again replaces it, except a built-in one. The default instance is
    checked first: shapes, finite values at the start, grad (and hess) against central
    differences.
    """
    if not isinstance(name, str) or not NAME.fullmatch(name) or name == "expression":
        raise ValueError(f"register: name must be lower-case letters, digits and _ (starting with a letter, not 'expression'), got {name!r}")
    if name in BUILTIN:
        raise ValueError(f"register: {name!r} is a built-in surface; choose another name")
    if isinstance(factory, Surface):
        factory = _without_parameters(factory)
    if not callable(factory):
        raise ValueError(f"register({name!r}): factory must be a function returning a Surface, got {factory!r}")
    if description is not None and (not isinstance(description, str) or "\n" in description):
        raise ValueError(f"register({name!r}): description must be one line of text")
    signature = inspect.signature(factory).parameters
    needs = [k for k, p in signature.items() if p.default is p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if needs:
        raise ValueError(f"register({name!r}): every parameter of the factory needs a default, {needs[0]!r} has none")

    @functools.wraps(factory)
    def named(**params: Any) -> Surface:
        s = factory(**params)
        if not isinstance(s, Surface):
            raise ValueError(f"surface {name!r}: the factory must return a surfaces.Surface, got {type(s).__name__}")
        return replace(s, name=name, **({} if description is None else {"description": description}))

    try:
        default = named()
    except ValueError:
        raise
    except Exception as error:
        raise ValueError(f"register({name!r}): calling the factory with its defaults failed: {type(error).__name__}: {error}") from None
    _check_surface(name, default)
    unknown = [k for k in default.params if k not in signature]
    if unknown:
        raise ValueError(f"register({name!r}): params has {unknown[0]!r}, which is not a parameter of the factory (make(name, **params) must rebuild it)")
    FACTORIES[name] = named
    SURFACES[name] = default
    return default


def unregister(name: str) -> None:
    """Remove a surface added with `register`."""
    get(name)
    if name in BUILTIN:
        raise ValueError(f"unregister: {name!r} is a built-in surface")
    del FACTORIES[name], SURFACES[name]


__all__ = [
    "FACTORIES",
    "QuadraticTheory",
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
    "quadratic",
    "quadratic_theory",
    "rastrigin",
    "register",
    "rosenbrock",
    "saddle",
    "unregister",
    "xy",
]
