"""The elongated convex bowl of lecture §1, §2 and §7: steep across the valley, flat along it."""

from __future__ import annotations

import math

import numpy as np

from surfaces.base import Array, Surface, check_param, pack, pack_hessian, xy


def elongated_bowl(
    along: float = 1.0,
    across: float = 1000.0,
    width: float = 0.1,
    angle: float = 0.0,
) -> Surface:
    """f = ½ λ u² + k δ² (√(1 + (v/δ)²) − 1), minimum 0 at the origin.

    (u, v) are the coordinates along and across the valley: (x, y) turned by −φ, so the
    valley floor is the line through the origin at angle φ (φ = 0: the x-axis, u = x, v = y).

    Along the valley the profile is the quadratic ½ λ u². Across it is a pseudo-Huber
    profile: curvature k on the floor, but the slope levels off at k δ on the walls
    (|v| ≫ δ), so the walls are steep yet their gradient stays bounded.

    Hessian at the minimum: eigenvalues λ (along) and k (across), condition number k/λ.
    Gradient descent θ ← θ − η g settles at the minimum only if η < 2/λ_max = 2/k.
    With a larger η it cannot settle, and since the wall slope is bounded it does not
    diverge either: it zig-zags for good on the period-2 orbit

        v* = δ √((ηk/2)² − 1),   f → k δ² (ηk/2 − 1),   |g| → 2 v*/η

    (stable: the two-step multiplier is (1 − 8/(ηk)²)² < 1).

    At the defaults (λ = 1, k = 1000, δ = 0.1, start (−12, 0.6)), i.e. eigenvalues 1 and
    1000, κ = 1000, GD stable for η < 2e-3, the lecture's numbers hold:
      - η = 1e-2 (ηk = 10) zig-zags across the valley for good: v* = 0.49, the loss
        falls from 122.8 and stalls at 40 while the gradient norm stays at 98 (§1, §2);
      - η = 1e-7 reaches the floor (|y| = 0.0012 after 100,000 steps) but moves only 1 %
        of the way along it, to x = −11.88 (§2);
      - Adagrad in the lecture's mean form with η = 0.07 is on the floor by step 10; |y|
        shrinks geometrically to 5e-25 (step 59) while η/σ across grows fourfold, until
        near step 160 the path bursts across the valley (|y| = 0.12 at step 165, the loss
        nearly doubles) and comes back as σ grows again (§7). torch's sum form does not.

    Args:
      along: λ > 0, the curvature along the valley.
      across: k > 0, the curvature across the valley at its floor.
      width: δ > 0, how far from the floor the walls' slope levels off (at k δ).
      angle: φ in degrees, the direction of the valley floor.
    """
    name = "elongated_bowl"
    lam = check_param(name, "along", along, low=0.0, low_open=True)
    k = check_param(name, "across", across, low=0.0, low_open=True)
    delta = check_param(name, "width", width, low=0.0, low_open=True)
    phi = check_param(name, "angle", angle, low=-360.0, high=360.0)
    c, s = math.cos(math.radians(phi)), math.sin(math.radians(phi))

    def to_valley(p: Array) -> tuple[Array, Array]:
        x, y = xy(p)
        if phi == 0.0:
            return x, y
        return c * x + s * y, -s * x + c * y

    def f(p: Array) -> Array:
        u, v = to_valley(p)
        r = np.hypot(1.0, v / delta)
        # k δ² (r − 1) written as k |v| · |v|/(r + 1): no cancellation on the floor, no overflow
        return 0.5 * lam * u**2 + k * np.abs(v) * (np.abs(v) / (r + 1.0))

    def grad(p: Array) -> Array:
        u, v = to_valley(p)
        du = lam * u
        dv = k * v / np.hypot(1.0, v / delta)
        if phi == 0.0:
            return pack(du, dv)
        return pack(c * du - s * dv, s * du + c * dv)

    def hess(p: Array) -> Array:
        # λ along e_u = (c, s) plus the floor's curvature k / (1 + (v/δ)²)^(3/2) along e_v = (−s, c)
        _, v = to_valley(p)
        h = k / np.hypot(1.0, v / delta) ** 3
        return pack_hessian(lam * c * c + h * s * s, (lam - h) * c * s, lam * s * s + h * c * c)

    def turn(x: float, y: float) -> tuple[float, float]:
        return (round(c * x - s * y, 12), round(s * x + c * y, 12))  # 0.6, not 0.6000000000000001

    # The window shows the start far along the valley and the η = 1e-2 zig-zag across it.
    half_height = 7.0 * delta * max(1.0, k / 1000.0)
    corners = [turn(x, y) for x in (-15.0, 15.0) for y in (-half_height, half_height)]
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    if phi == 0.0:
        formula = rf"$\frac{{{lam:g}}}{{2}}\,x^2 + {k * delta**2:g}\,\left(\sqrt{{1 + (y/{delta:g})^2}} - 1\right)$"
    else:
        formula = (
            rf"$\frac{{{lam:g}}}{{2}}\,u^2 + {k * delta**2:g}\,\left(\sqrt{{1 + (v/{delta:g})^2}} - 1\right)$"
            f", (u, v) = (x, y) turned by {-phi:g}°"
        )
    return Surface(
        name="bowl",
        f=f,
        grad=grad,
        hess=hess,
        bounds=((min(xs), max(xs)), (min(ys), max(ys))),
        start=turn(-12.0, 6.0 * delta),
        minima=((0.0, 0.0),),
        contour_scale="log",
        formula=formula,
        description=(
            f"elongated convex bowl, κ = {k / lam:g} (lecture §1, §2, §7): GD at η = 1e-2 zig-zags while the loss stalls, "
            "η = 1e-7 crawls along the floor, Adagrad (mean form) bursts"
        ),
        params={"along": lam, "across": k, "width": delta, "angle": phi},
    )
