"""Saddle points: the gradient vanishes, yet it is not a minimum (lecture §10).

Each default start lies on the saddle's stable manifold, so exact gradient descent walks
into the saddle and stops there; gradient noise, momentum with an offset, or a small offset
of the start escapes.
"""

from __future__ import annotations

from surfaces.base import Array, Surface, check_param, pack, pack_hessian, xy


def saddle() -> Surface:
    """f(x, y) = x² − y², a saddle at the origin (Hessian eigenvalues 2 and −2).

    The stable manifold is the x-axis: started on it, gradient descent converges to the saddle.
    """

    def f(p: Array) -> Array:
        x, y = xy(p)
        return x**2 - y**2

    def grad(p: Array) -> Array:
        x, y = xy(p)
        return pack(2 * x, -2 * y)

    def hess(p: Array) -> Array:
        x, _ = xy(p)
        return pack_hessian(2.0 + 0 * x, 0.0, -2.0)

    return Surface(
        name="saddle",
        f=f,
        grad=grad,
        hess=hess,
        bounds=((-2.0, 2.0), (-2.0, 2.0)),
        start=(-1.5, 0.0),
        saddles=((0.0, 0.0),),
        formula=r"$x^2 - y^2$",
        description="a plain saddle (lecture §10): started on the x-axis, gradient descent stops at the saddle; noise escapes",
        params={},
    )


def monkey_saddle() -> Surface:
    """f(x, y) = x³ − 3xy², a monkey saddle at the origin: three valleys, three ridges.

    The Hessian is zero at the saddle, so the gradient fades like r² near it and every
    method slows down there. Along the positive x-axis −∇f points at the origin.
    """

    def f(p: Array) -> Array:
        x, y = xy(p)
        return x**3 - 3 * x * y**2

    def grad(p: Array) -> Array:
        x, y = xy(p)
        return pack(3 * x**2 - 3 * y**2, -6 * x * y)

    def hess(p: Array) -> Array:
        x, y = xy(p)
        return pack_hessian(6 * x, -6 * y, -6 * x)

    return Surface(
        name="monkey_saddle",
        f=f,
        grad=grad,
        hess=hess,
        bounds=((-2.0, 2.0), (-2.0, 2.0)),
        start=(1.5, 0.0),
        saddles=((0.0, 0.0),),
        formula=r"$x^3 - 3xy^2$",
        description="a monkey saddle (lecture §10): a flat, degenerate saddle where every method slows down",
        params={},
    )


def double_well(a: float = 1.0) -> Surface:
    """f(x, y) = (x² − a²)² + y²: minima at (±a, 0) and a saddle at the origin between them.

    Hessian eigenvalues: 8a² and 2 at the minima, −4a² and 2 at the saddle. The stable manifold
    of the saddle is the y-axis.

    Args:
      a: a > 0, the distance of each minimum from the saddle.
    """
    a = check_param("double_well", "a", a, low=0.0, low_open=True, high=10.0)

    def f(p: Array) -> Array:
        x, y = xy(p)
        return (x**2 - a**2) ** 2 + y**2

    def grad(p: Array) -> Array:
        x, y = xy(p)
        return pack(4 * x * (x**2 - a**2), 2 * y)

    def hess(p: Array) -> Array:
        x, _ = xy(p)
        return pack_hessian(12 * x * x - 4 * a * a, 0.0, 2.0)

    r = 2.0 * a
    return Surface(
        name="double_well",
        f=f,
        grad=grad,
        hess=hess,
        bounds=((-r, r), (-r, r)),
        start=(0.0, 1.5 * a),
        minima=((-a, 0.0), (a, 0.0)),
        saddles=((0.0, 0.0),),
        formula=rf"$(x^2 - {a**2:g})^2 + y^2$",
        description="two minima and a saddle between them (lecture §10): started on the y-axis, gradient descent stops at the saddle",
        params={"a": a},
    )
