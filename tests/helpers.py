"""Small shared test helpers (pytest puts tests/ on sys.path)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from surfaces.base import Surface

REPO = Path(__file__).resolve().parents[1]


def tool(name: str):
    """A script of tools/ (readme, make_gallery) as a module."""
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def flat_surface() -> Surface:
    """f = 0 everywhere: every gradient (and Hessian) is exactly zero."""
    return Surface(
        name="flat",
        f=lambda p: np.zeros(np.shape(p)[:-1]),
        grad=lambda p: np.zeros(np.shape(p)),
        hess=lambda p: np.zeros(np.shape(p) + (2,)),
        bounds=((-1.0, 1.0), (-1.0, 1.0)),
        start=(0.0, 0.0),
    )
