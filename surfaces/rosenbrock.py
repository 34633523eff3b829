"""Rosenbrock's crescent valley: easy to find, slow to follow (lecture §5)."""

from __future__ import annotations

from surfaces.base import Array, Surface, check_param, pack, pack_hessian, xy


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    """f(x, y) = (a − x)² + b (y − x²)², minimum 0 at (a, a²).

    The valley floor y = x² bends, so along one and the same direction the slope is gentle
    in one region and steep in another: even one parameter needs a step size that changes
    over time (lecture §5).

    Args:
      a: position of the minimum along x.
      b: b > 0, the steepness of the valley walls; 100 is the classic value.
    """
    a = check_param("rosenbrock", "a", a, low=-10.0, high=10.0)
    b = check_param("rosenbrock", "b", b, low=0.0, low_open=True, high=1e6)

    def f(p: Array) -> Array:
        x, y = xy(p)
        return (a - x) ** 2 + b * (y - x**2) ** 2

    def grad(p: Array) -> Array:
        x, y = xy(p)
        r = y - x * x  # how far above the valley floor y = x²
        return pack(-2 * (a - x) - 4 * b * x * r, 2 * b * r)

    def hess(p: Array) -> Array:
        x, y = xy(p)
        return pack_hessian(2 - 4 * b * y + 12 * b * x * x, -4 * b * x, 2 * b + 0 * x)

    return Surface(
        name="rosenbrock",
        f=f,
        grad=grad,
        hess=hess,
        bounds=((min(-2.0, a - 1.0), max(2.0, a + 1.0)), (-1.0, max(3.0, a**2 + 1.0))),
        start=(-1.5, 2.0),
        minima=((a, a**2),),
        contour_scale="log",
        formula=rf"$({a:g} - x)^2 + {b:g}\,(y - x^2)^2$",
        description="Rosenbrock's crescent valley (lecture §5): gentle and steep stretches along one direction call for a σ that adapts (RMSprop)",
        params={"a": a, "b": b},
    )
