"""Small shared test helpers (pytest puts tests/ on sys.path)."""

from __future__ import annotations

import numpy as np

from surfaces.base import Surface


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
