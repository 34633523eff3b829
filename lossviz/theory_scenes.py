"""Scenes for the theory of quadratics and the second-order contrast.

    SCENES["rotated_bowl_0"]    quadratic(1, 100, angle=0): Adagrad, RMSprop and Adam shine
    SCENES["rotated_bowl_45"]   the same bowl turned by 45°: their advantage is gone
    SCENES["newton_rosenbrock"] Newton's method (exact Hessian) against GD and Adam
    SCENES["newton_saddle"]     on x² − y² Newton walks uphill into the saddle; GD escapes

A per-coordinate σ is a diagonal preconditioner. On an aligned bowl the Hessian is diagonal,
g_i = λ_i θ_i, and σ_i grows with λ_i, so η/σ_i evens out the two curvatures: the steep
coordinate gets a small step and the flat one a large step (lecture §3). Turned by 45°, both
coordinates see both curvatures and σ_1 ≈ σ_2: the method is gradient descent with another
η, and gradient descent (with or without momentum) is rotation invariant (d2l, "Adagrad",
exercise 2). Each run uses about the η that first reaches f ≤ 1e-4 soonest at that angle.
tests/test_theory.py measures it with sweeps (each method at its best η on a grid): aligned,
Adagrad and RMSprop get there in 7 and 5 steps against gradient descent's 315, and Adam in
30 against momentum's 73; turned, they need 417, 276 and 96, while gradient descent and
momentum need exactly what they needed before.
"""

from __future__ import annotations

from lossviz.scenes import SCENES, RunSpec, Scene

CURVATURES = {"lam1": 1.0, "lam2": 100.0}  # κ = 100
STEPS = 300
TOL = 1e-4  # "reached the minimum": f ≤ TOL (f = 40.5 at the start)
# about each method's η that reaches f ≤ TOL in the fewest steps (a sweep over 1e-4 … 10)
BEST_LR = {
    0.0: {"gd": 0.0196, "momentum": 0.0075, "adagrad": 2.6, "rmsprop": 0.26, "adam": 0.42},
    45.0: {"gd": 0.0196, "momentum": 0.0075, "adagrad": 2.6, "rmsprop": 0.42, "adam": 1.2},
}


def rotated_bowl(angle: float) -> Scene:
    """GD, momentum, Adagrad, RMSprop and Adam on quadratic(1, 100, angle), each at its η."""
    lr = BEST_LR[angle]
    turned = "axes aligned" if angle == 0 else f"turned by {angle:g}°"
    return Scene(
        surface="quadratic",
        surface_params={**CURVATURES, "angle": angle},
        runs=[RunSpec(name, lr[name]) for name in ("gd", "momentum", "adagrad", "rmsprop", "adam")],
        steps=STEPS,
        frames=150,
        title=f"κ = 100 bowl, {turned}: does a learning rate per coordinate still help?",
    )


THEORY_SCENES: dict[str, Scene] = {
    "rotated_bowl_0": rotated_bowl(0.0),
    "rotated_bowl_45": rotated_bowl(45.0),
    # Newton jumps to the stationary point of the local quadratic: at the minimum in 7 steps,
    # after a detour uphill (step 2), where GD has not left the valley's bend after 300
    "newton_rosenbrock": Scene(
        surface="rosenbrock",
        runs=[RunSpec("newton", 1.0), RunSpec("gd", 1e-3), RunSpec("adam", 5e-2)],
        steps=300,
        title="Newton's method uses the exact Hessian: 7 steps to the minimum",
    ),
    # H = diag(2, −2): the step −η(x, y) points at the saddle, so f rises towards 0
    "newton_saddle": Scene(
        surface="saddle",
        start=(0.2, 1.0),
        runs=[RunSpec("newton", 0.3), RunSpec("gd", 0.1)],
        steps=15,
        frames=16,
        title="On a saddle Newton's method walks uphill into it; gradient descent escapes",
    ),
}
SCENES.update(THEORY_SCENES)

__all__ = ["BEST_LR", "THEORY_SCENES", "rotated_bowl"]
