"""The elongated convex bowl of lecture §1–§4, §7 and §8: steep across the valley, very flat along it."""

from __future__ import annotations

import math

import numpy as np

from surfaces.base import Array, Surface, check_param, pack, pack_hessian, xy


def elongated_bowl(
    along: float = 1e-3,
    across: float = 1000.0,
    width: float = 0.1,
    angle: float = 0.0,
    length: float = 300.0,
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

        v* = δ √((ηk/2)² − 1),   wall part of f → k δ² (ηk/2 − 1),   |g across| → 2 v*/η

    (stable: the two-step multiplier is (1 − 8/(ηk)²)² < 1). Along the floor GD contracts
    u by (1 − ηλ) per step, so below the limit it needs about 1/(ηλ) ≥ k/(2λ) = κ/2 steps
    to get anywhere: with κ = 10⁶ that is more than 100,000 steps at every stable η.

    At the defaults (λ = 1e-3, k = 1000, δ = 0.1, start (−300, 0.6)), i.e. eigenvalues 1e-3
    and 1000, κ = 10⁶, GD stable for η < 2e-3, the start's loss is 95.8 (45 along the
    floor, 50.8 up the wall) and the lecture's story holds (tests/test_lecture.py):
      - η = 1e-2 (ηk = 10) zig-zags across the valley for good: v* = 0.49, the wall part
        of the loss stalls at 40 while ‖g‖ stays near 98 (§1, §2);
      - every η below 2e-3 crawls: after 100,000 steps GD at η = 1e-3 is still 90 % of
        the way from the minimum (η = 1e-7: 100 %), and no fixed η in [1e-8, 1] brings
        the loss below 0.3 of its start within 100,000 steps (§2);
      - Adagrad in the lecture's mean form with η = 0.07 is on the floor by step 10; |y|
        shrinks geometrically while η/σ across grows, until it crosses the stability
        limit 2/k and near step 160 the path bursts across the valley (§7). torch's sum
        form does not. Adam at η = 0.07 gets the loss below 1e-3 of its start in about
        6,000 steps: per-parameter methods do not care how flat the floor is.

    Args:
      along: λ > 0, the curvature along the valley.
      across: k > 0, the curvature across the valley at its floor.
      width: δ > 0, how far from the floor the walls' slope levels off (at k δ).
      angle: φ in degrees, the direction of the valley floor.
      length: L > 0, how far along the floor from the minimum the default start lies; the
        window runs from −1.1 L to 0.1 L along the valley.
    """
    name = "elongated_bowl"
    lam = check_param(name, "along", along, low=0.0, low_open=True)
    k = check_param(name, "across", across, low=0.0, low_open=True)
    delta = check_param(name, "width", width, low=0.0, low_open=True)
    phi = check_param(name, "angle", angle, low=-360.0, high=360.0)
    length = check_param(name, "length", length, low=0.0, low_open=True)
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

    # The window shows the start far along the valley, the minimum near its right edge and
    # the η = 1e-2 zig-zag across the valley.
    half_height = 7.0 * delta * max(1.0, k / 1000.0)
    corners = [turn(x, y) for x in (-1.1 * length, 0.1 * length) for y in (-half_height, half_height)]
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
        start=turn(-length, 6.0 * delta),
        minima=((0.0, 0.0),),
        contour_scale="log",
        formula=formula,
        description=(
            f"elongated convex bowl, κ = {k / lam:g} (lecture §1–§4, §7, §8): GD at η = 1e-2 zig-zags while the loss stalls, "
            "every stable η crawls along the floor, Adagrad (mean form) bursts"
        ),
        params={"along": lam, "across": k, "width": delta, "angle": phi, "length": length},
    )
