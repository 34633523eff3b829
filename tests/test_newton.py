"""Newton's method with the exact Hessian: the second-order contrast (bowl, Rosenbrock, saddle)."""

from __future__ import annotations

import numpy as np
import pytest

import optimizers
from optimizers import run
from surfaces import SURFACES, make
from surfaces.base import Surface


def test_the_direction_is_the_hessian_solve_of_the_gradient():
    surface = SURFACES["himmelblau"]
    traj = run(surface, "newton", lr=0.3, steps=6, start=np.array([[-0.5, -0.2], [1.0, 1.5]]))
    for t in range(6):
        H, g = surface.hess(traj.theta[t]), traj.grad[t]
        np.testing.assert_allclose(traj.m[t], np.linalg.solve(H, g[..., None])[..., 0], rtol=1e-12)


@pytest.mark.parametrize("angle", [0.0, 30.0, 45.0])
def test_one_step_lands_on_the_minimum_of_any_quadratic(angle):
    """H⁻¹ undoes the elongation: κ = 1000 costs Newton nothing, while GD at its best
    fixed η is still far away after 100 steps."""
    bowl = make("quadratic", lam1=1.0, lam2=1000.0, angle=angle)
    newton = run(bowl, "newton", lr=1.0, steps=1)
    assert np.abs(newton.theta[1, 0]).max() <= 1e-12
    gd = run(bowl, "gd", lr=2 / 1001, steps=100)
    assert np.linalg.norm(gd.theta[-1, 0]) > 1.0


def test_rosenbrock_is_solved_in_seven_steps_against_gds_thousands():
    rosen = SURFACES["rosenbrock"]
    newton = run(rosen, "newton", lr=1.0, steps=10)
    error = np.linalg.norm(newton.theta[:, 0] - np.array([1.0, 1.0]), axis=1)
    assert error[7] <= 1e-12 and error[5] > 1e-5  # quadratic convergence once close
    assert (np.diff(newton.loss[:, 0]) > 0).any()  # not a descent method: the loss rises on the way
    gd = run(rosen, "gd", lr=1e-3, steps=5000)
    assert np.linalg.norm(gd.theta[-1, 0] - np.array([1.0, 1.0])) > 0.1


def test_on_a_saddle_newton_walks_uphill_into_it_while_gd_escapes():
    """H = diag(2, −2): the step −η(x, y) points at the saddle, so f rises towards 0."""
    saddle = SURFACES["saddle"]
    start = (0.2, 1.0)  # f = −0.96
    newton = run(saddle, "newton", lr=0.2, steps=60, start=start)
    loss = newton.loss[:, 0]
    assert loss[0] == pytest.approx(-0.96) and (np.diff(loss) > 0).all() and abs(loss[-1]) < 1e-9
    np.testing.assert_allclose(newton.theta[:, 0], 0.8 ** np.arange(61)[:, None] * np.array(start), rtol=1e-12)
    gd = run(saddle, "gd", lr=0.2, steps=20, start=start)
    assert (np.diff(gd.loss[:, 0]) < 0).all()
    assert "uphill" in optimizers.newton.__doc__


def test_on_the_bowls_wall_newton_overshoots_and_diverges_but_not_near_the_floor():
    """Across the valley the pseudo-Huber profile has f'/f'' = v (1 + (v/δ)²), so a full
    step sends v to −v³/δ²: from the wall (|v| > δ) it blows up, near the floor it converges
    cubically. Along the valley (a quadratic) one step reaches u = 0."""
    bowl = SURFACES["bowl"]
    delta = bowl.params["width"]
    wall = run(bowl, "newton", lr=1.0, steps=5)  # default start (−12, 0.6): |v| = 6 δ
    v0 = bowl.start[1]
    np.testing.assert_allclose(wall.theta[1, 0], [0.0, -(v0**3) / delta**2], rtol=1e-12, atol=1e-12)
    assert wall.diverged_at[0] == 2
    floor = run(bowl, "newton", lr=1.0, steps=6, start=(-12.0, 0.5 * delta))
    np.testing.assert_allclose(floor.theta[1:4, 0, 1], [-(0.05**3) / delta**2, 1.953125e-4, -7.450580596923828e-10], rtol=1e-9)
    assert np.abs(floor.theta[-1, 0]).max() == 0.0


def test_newton_on_a_surface_without_a_hessian_is_a_clear_error():
    plain = Surface(name="plain", f=lambda p: (p**2).sum(-1), grad=lambda p: 2 * p, bounds=((-1, 1), (-1, 1)), start=(0.5, 0.5))
    with pytest.raises(ValueError, match="'newton' needs the exact Hessian.*'plain' has none"):
        run(plain, "newton", lr=1.0, steps=3)
    with pytest.raises(ValueError, match="'newton' needs the exact Hessian"):
        optimizers.sweep(plain, "newton", steps=3, lr=[1.0])


def test_a_singular_hessian_is_recorded_as_divergence_not_a_warning():
    """The monkey saddle's Hessian vanishes at the origin: stepping from a point where H is
    singular but g ≠ 0 gives a non-finite step, which `run` records as divergence."""
    monkey = SURFACES["monkey_saddle"]
    traj = run(monkey, "newton", lr=1.0, steps=3, start=np.array([[0.0, 0.0], [1.0, 1.0]]))
    assert traj.diverged_at[0] == -1 and (traj.theta[:, 0] == 0).all()  # g = 0: stays put
    flat = Surface(name="ridge", f=lambda p: p[..., 0], grad=lambda p: np.stack(np.broadcast_arrays(1.0, 0 * p[..., 1]), -1),
                   hess=lambda p: np.zeros(p.shape + (2,)), bounds=((-1, 1), (-1, 1)), start=(0.0, 0.0))
    assert run(flat, "newton", lr=1.0, steps=2).diverged_at[0] == 1
