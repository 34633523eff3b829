"""Classic optimization test functions: several minima, saddles, or a sea of local minima."""

from __future__ import annotations

import numpy as np

from surfaces.base import Array, Surface, check_param, pack, pack_hessian, xy

# Stationary points solved to 20 digits (resultant of the two gradient polynomials, then
# polished roots); they are stationary to ~1e-13 in float64.
HIMMELBLAU_MINIMA = (
    (3.0, 2.0),
    (-2.8051180869527448531, 3.1313125182505729658),
    (-3.7793102533777468919, -3.2831859912861694123),
    (3.5844283403304917449, -1.8481265269644035535),
)
HIMMELBLAU_SADDLES = (
    (0.086677504555396351823, 2.8842547011747761131),
    (-3.0730257507643896105, -0.081353044287967511553),
    (3.3851541836070209380, 0.073851879837749287719),
    (-0.12796134673068006631, -1.9537149802445764261),
)
HIMMELBLAU_MAXIMUM = (-0.27084459066734761304, -0.92303855647998146313)
BEALE_SADDLES = (
    (0.0, 1.0),
    (0.10053793732415835927, -2.6445135850231249689),
)


def himmelblau() -> Surface:
    """f(x, y) = (x² + y − 11)² + (x + y² − 7)²: four minima with f = 0, four saddles and a
    local maximum at (−0.2708, −0.9230). Which minimum a run reaches depends on its start and method."""

    def f(p: Array) -> Array:
        x, y = xy(p)
        return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2

    def grad(p: Array) -> Array:
        x, y = xy(p)
        a, b = x**2 + y - 11, x + y**2 - 7
        return pack(4 * x * a + 2 * b, 2 * a + 4 * y * b)

    def hess(p: Array) -> Array:
        x, y = xy(p)
        a, b = x**2 + y - 11, x + y**2 - 7
        return pack_hessian(4 * a + 8 * x * x + 2, 4 * (x + y), 4 * b + 8 * y * y + 2)

    return Surface(
        name="himmelblau",
        f=f,
        grad=grad,
        hess=hess,
        bounds=((-5.0, 5.0), (-5.0, 5.0)),
        start=(-0.5, -0.2),
        minima=HIMMELBLAU_MINIMA,
        saddles=HIMMELBLAU_SADDLES,
        contour_scale="log",
        formula=r"$(x^2 + y - 11)^2 + (x + y^2 - 7)^2$",
        description="Himmelblau's function: four equal minima, four saddles and a maximum; which minimum a run reaches depends on its start and its method",
        params={},
    )


def beale() -> Surface:
    """f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)², minimum 0 at (3, 0.5).

    Flat plateaus next to very steep edges (f reaches ~1e5 in the corners), saddles at (0, 1)
    and (0.1005, −2.6445); on the line x = 0 the value is the constant 14.203125.
    """

    def f(p: Array) -> Array:
        x, y = xy(p)
        return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2

    def grad(p: Array) -> Array:
        x, y = xy(p)
        y2, y3 = y * y, y * y * y
        a, b, c = 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y3
        gx = 2 * (a * (y - 1) + b * (y2 - 1) + c * (y3 - 1))
        gy = 2 * x * (a + 2 * b * y + 3 * c * y2)
        return pack(gx, gy)

    def hess(p: Array) -> Array:
        x, y = xy(p)
        y2, y3 = y * y, y * y * y
        a, b, c = 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y3
        hxx = 2 * ((y - 1) ** 2 + (y2 - 1) ** 2 + (y3 - 1) ** 2)
        hxy = 2 * (x * (y - 1) + a + 2 * x * y * (y2 - 1) + 2 * b * y + 3 * x * y2 * (y3 - 1) + 3 * c * y2)
        hyy = 2 * x * (x + 2 * b + 4 * x * y2 + 6 * c * y + 9 * x * y2 * y2)
        return pack_hessian(hxx, hxy, hyy)

    return Surface(
        name="beale",
        f=f,
        grad=grad,
        hess=hess,
        bounds=((-4.5, 4.5), (-4.5, 4.5)),
        start=(1.0, 1.5),
        minima=((3.0, 0.5),),
        saddles=BEALE_SADDLES,
        contour_scale="log",
        formula=r"$(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2$",
        description="Beale's function: flat plateaus and sharp ridges; a fixed η is too small on one and too large on the other",
        params={},
    )


def rastrigin(amplitude: float = 10.0) -> Surface:
    """f(x, y) = 2A + x² + y² − A (cos 2πx + cos 2πy), global minimum 0 at the origin.

    A bowl covered with ripples: a local minimum near every integer point (only the global
    one is listed). Small steps get trapped; momentum or large steps can hop over ripples.

    Args:
      amplitude: A ≥ 0, the height of the ripples (A = 0 is a round bowl).
    """
    A = check_param("rastrigin", "amplitude", amplitude, low=0.0, high=100.0)
    two_pi = 2 * np.pi

    def f(p: Array) -> Array:
        x, y = xy(p)
        return 2 * A + x**2 + y**2 - A * (np.cos(two_pi * x) + np.cos(two_pi * y))

    def grad(p: Array) -> Array:
        x, y = xy(p)
        return pack(2 * x + A * two_pi * np.sin(two_pi * x), 2 * y + A * two_pi * np.sin(two_pi * y))

    def hess(p: Array) -> Array:
        x, y = xy(p)
        k = A * two_pi * two_pi
        return pack_hessian(2 + k * np.cos(two_pi * x), 0.0, 2 + k * np.cos(two_pi * y))

    return Surface(
        name="rastrigin",
        f=f,
        grad=grad,
        hess=hess,
        bounds=((-4.5, 4.5), (-4.5, 4.5)),
        start=(-2.2, 3.4),
        minima=((0.0, 0.0),),
        formula=rf"$x^2 + y^2 + {A:g}\,(2 - \cos 2\pi x - \cos 2\pi y)$",
        description="Rastrigin's function: a bowl covered in ripples, a local minimum near every integer point",
        params={"amplitude": A},
    )
