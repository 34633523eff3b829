"""The quadratic bowl f = ½ θᵀHθ and what theory says about fixed steps on it.

    quadratic(lam1=1, lam2=20, angle=45)   H = R diag(λ1, λ2) Rᵀ, its axes turned by φ
    quadratic_theory(surface)              η limit, optimal η, heavy-ball's optimal (η, β)

On a quadratic, gradient descent θ ← θ − η H θ acts on each eigen-direction alone: the
component along e_i is multiplied by (1 − η λ_i) per step. So it converges iff
|1 − η λ_i| < 1 for both, i.e. η < 2/λ_max, and it is fastest when the two factors balance,
η* = 2/(λ_min + λ_max), where both shrink by (κ − 1)/(κ + 1) per step (κ = λ_max/λ_min).
Heavy-ball momentum (v ← βv + g, θ ← θ − ηv, as torch.optim.SGD) is fastest at
η* = 4/(√λ_max + √λ_min)² and β* = ((√κ − 1)/(√κ + 1))², with rate (√κ − 1)/(√κ + 1)
(Polyak 1964; Goh, "Why Momentum Really Works", Distill 2017).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from surfaces.base import Array, Surface, check_param, pack, pack_hessian, xy


def quadratic(lam1: float = 1.0, lam2: float = 20.0, angle: float = 0.0) -> Surface:
    """f = ½ λ1 u² + ½ λ2 v², (u, v) = (x, y) turned by −φ: minimum 0 at the origin.

    Exact eigen-decomposition: H = λ1 e1 e1ᵀ + λ2 e2 e2ᵀ with e1 = (cos φ, sin φ) and
    e2 = (−sin φ, cos φ), the same at every point; condition number κ = max/min of λ1, λ2.
    φ = 0 puts the axes of the ellipses on the coordinate axes; φ = 45° turns them so that
    every coordinate sees both curvatures (d2l's exercise on Adagrad: per-coordinate
    methods lose their advantage).

    The default start is (−4, 2) turned by φ as well, so a rotation-invariant method such as
    gradient descent traces the same path, turned.

    Args:
      lam1: λ1 > 0, the curvature along e1.
      lam2: λ2 > 0, the curvature along e2.
      angle: φ in degrees, the direction of e1.
    """
    name = "quadratic"
    l1 = check_param(name, "lam1", lam1, low=0.0, low_open=True, high=1e6)
    l2 = check_param(name, "lam2", lam2, low=0.0, low_open=True, high=1e6)
    phi = check_param(name, "angle", angle, low=-360.0, high=360.0)
    c, s = math.cos(math.radians(phi)), math.sin(math.radians(phi))
    hxx, hxy, hyy = l1 * c * c + l2 * s * s, (l1 - l2) * c * s, l1 * s * s + l2 * c * c

    def f(p: Array) -> Array:
        x, y = xy(p)
        u, v = c * x + s * y, -s * x + c * y
        return 0.5 * (l1 * u * u + l2 * v * v)

    def grad(p: Array) -> Array:
        x, y = xy(p)
        return pack(hxx * x + hxy * y, hxy * x + hyy * y)

    def hess(p: Array) -> Array:
        x, _ = xy(p)
        return pack_hessian(hxx + 0 * x, hxy, hyy)

    def turn(x: float, y: float) -> tuple[float, float]:
        return (round(c * x - s * y, 12), round(s * x + c * y, 12))

    if phi == 0.0:
        formula = rf"$\frac{{1}}{{2}}\,({l1:g}\,x^2 + {l2:g}\,y^2)$"
    else:
        formula = rf"$\frac{{1}}{{2}}\,({l1:g}\,u^2 + {l2:g}\,v^2)$, (u, v) = (x, y) turned by {-phi:g}°"
    return Surface(
        name=name,
        f=f,
        grad=grad,
        hess=hess,
        bounds=((-5.0, 5.0), (-5.0, 5.0)),
        start=turn(-4.0, 2.0),
        minima=((0.0, 0.0),),
        contour_scale="log",
        formula=formula,
        description=(
            f"quadratic bowl, κ = {max(l1, l2) / min(l1, l2):g}: exact eigen-directions, GD stable for η < 2/λ_max; "
            "turned by 45° it takes the advantage of Adagrad, RMSprop and Adam away"
        ),
        params={"lam1": l1, "lam2": l2, "angle": phi},
    )


@dataclass(frozen=True)
class QuadraticTheory:
    """Fixed-step theory for the quadratic model f ≈ ½ (θ − θ*)ᵀ H (θ − θ*) at a minimum θ*.

    `eigenvalues` are ascending (λ_min, λ_max); `eigenvectors[:, i]` is the unit direction
    of eigenvalues[i].
    """

    point: tuple[float, float]
    eigenvalues: tuple[float, float]
    eigenvectors: Array  # (2, 2), columns
    exact: bool  # True for the quadratic surface (the model is the surface)

    @property
    def lam_min(self) -> float:
        return self.eigenvalues[0]

    @property
    def lam_max(self) -> float:
        return self.eigenvalues[1]

    @property
    def kappa(self) -> float:
        """The condition number κ = λ_max / λ_min."""
        return self.lam_max / self.lam_min

    @property
    def lr_limit(self) -> float:
        """Gradient descent converges iff η < 2/λ_max."""
        return 2.0 / self.lam_max

    @property
    def lr_optimal(self) -> float:
        """The fastest fixed step of gradient descent, 2/(λ_min + λ_max)."""
        return 2.0 / (self.lam_min + self.lam_max)

    @property
    def gd_rate(self) -> float:
        """|θ_t − θ*| shrinks by (κ − 1)/(κ + 1) per step at η = lr_optimal."""
        return (self.kappa - 1.0) / (self.kappa + 1.0)

    @property
    def heavy_ball(self) -> tuple[float, float]:
        """Heavy-ball momentum's fastest (η, β): (4/(√λ_max + √λ_min)², ((√κ − 1)/(√κ + 1))²)."""
        root = math.sqrt(self.kappa)
        lr = 4.0 / (math.sqrt(self.lam_max) + math.sqrt(self.lam_min)) ** 2
        return lr, ((root - 1.0) / (root + 1.0)) ** 2

    @property
    def heavy_ball_rate(self) -> float:
        """The per-step rate at heavy_ball's (η, β): (√κ − 1)/(√κ + 1)."""
        root = math.sqrt(self.kappa)
        return (root - 1.0) / (root + 1.0)


def quadratic_theory(surface: Surface, point: tuple[float, float] | None = None) -> QuadraticTheory:
    """The fixed-step theory at `point` (default: the surface's first minimum).

    Exact for `quadratic(...)` (from its parameters); for any other surface it is the theory
    of the local quadratic model, from the exact Hessian there (the bowl: λ = 1 and 1000,
    η < 2e-3).

    Raises:
      ValueError: the surface has no Hessian or no minimum, or the Hessian there is not
        positive definite (a saddle has no stable fixed step).
    """
    if point is None:
        if not surface.minima:
            raise ValueError(f"quadratic_theory: surface {surface.name!r} lists no minimum; pass point=(x, y)")
        point = surface.minima[0]
    point = (float(point[0]), float(point[1]))
    if surface.name == "quadratic" and set(surface.params) == {"lam1", "lam2", "angle"}:
        l1, l2, phi = surface.params["lam1"], surface.params["lam2"], math.radians(surface.params["angle"])
        e1, e2 = (math.cos(phi), math.sin(phi)), (-math.sin(phi), math.cos(phi))
        pairs = sorted([(l1, e1), (l2, e2)], key=lambda pair: pair[0])
        values = (pairs[0][0], pairs[1][0])
        vectors = np.array([pairs[0][1], pairs[1][1]]).T
        return QuadraticTheory(point, values, vectors, exact=True)
    if surface.hess is None:
        raise ValueError(f"quadratic_theory: surface {surface.name!r} has no Hessian")
    lam, vectors = np.linalg.eigh(surface.hess(np.array(point)))
    if not lam[0] > 0:
        raise ValueError(
            f"quadratic_theory: the Hessian of {surface.name!r} at {point} has eigenvalues "
            f"{lam[0]:g} and {lam[1]:g}; fixed-step theory needs both > 0 (a minimum)"
        )
    return QuadraticTheory(point, (float(lam[0]), float(lam[1])), vectors, exact=False)
