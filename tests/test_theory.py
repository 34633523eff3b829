"""Theory in the picture for quadratics: the exact eigen-decomposition, GD's stability limit
and optimal step, heavy-ball's optimal (η, β), drawn on sweep plots and at the minimum; and
the rotated bowl, where per-coordinate methods lose their advantage."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import optimizers  # noqa: E402
from optimizers import run, sweep  # noqa: E402
from surfaces import SURFACES, make, quadratic_theory  # noqa: E402

from lossviz import SCENES  # noqa: E402
from lossviz.draw import draw_eigendirections, draw_surface  # noqa: E402
from lossviz.sweeps import sweep_figure  # noqa: E402
from lossviz.theory_scenes import TOL  # noqa: E402

KAPPA_20 = dict(lam1=1.0, lam2=20.0, angle=30.0)


def rate(theta: np.ndarray, t0: int, t1: int) -> np.ndarray:
    """The measured per-step contraction of |θ| (minimum at 0) between steps t0 and t1."""
    r = np.linalg.norm(theta, axis=-1)
    return (r[t1] / r[t0]) ** (1.0 / (t1 - t0))


def test_the_quadratic_has_its_exact_eigen_decomposition():
    bowl = make("quadratic", lam1=3.0, lam2=0.5, angle=30.0)
    theory = quadratic_theory(bowl)
    assert theory.exact and theory.eigenvalues == (0.5, 3.0)
    V = theory.eigenvectors
    phi = math.radians(30.0)
    np.testing.assert_allclose(V[:, 1], [math.cos(phi), math.sin(phi)], rtol=1e-15)  # λ1 = 3 along e1
    H = V @ np.diag(theory.eigenvalues) @ V.T
    points = np.array([[0.0, 0.0], [1.0, -2.0], [4.0, 3.0]])
    np.testing.assert_allclose(bowl.hess(points), np.broadcast_to(H, (3, 2, 2)), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(bowl.f(points), 0.5 * np.einsum("bi,ij,bj->b", points, H, points), rtol=1e-14)
    assert theory.kappa == 6.0 and theory.lr_limit == 2 / 3 and theory.lr_optimal == 2 / 3.5


def test_gd_is_stable_exactly_below_two_over_lambda_max():
    bowl = make("quadratic", **KAPPA_20)
    limit = quadratic_theory(bowl).lr_limit
    assert limit == pytest.approx(0.1)
    traj = run(bowl, "gd", lr=np.array([0.99, 1.01]) * limit, steps=2000)
    f0 = traj.loss[0]
    assert traj.loss[-1, 0] < 1e-12 * f0[0]
    assert traj.loss[500, 1] > 1e6 * f0[1]  # the steep component grows by |1 − ηλ_max| = 1.02 per step
    assert traj.diverged_at[0] == -1 and traj.diverged_at[1] > 500


def test_the_optimal_fixed_step_gives_the_fastest_rate_and_the_theoretical_one():
    bowl = make("quadratic", **KAPPA_20)
    theory = quadratic_theory(bowl)
    lrs = np.linspace(0.5, 1.0, 51) * theory.lr_limit  # includes 2/(λ_min + λ_max) = 0.952 · limit
    traj = run(bowl, "gd", lr=lrs, steps=300)
    measured = rate(traj.theta, 150, 300)
    best = lrs[np.argmin(measured)]
    assert abs(best - theory.lr_optimal) <= lrs[1] - lrs[0]
    at_optimum = rate(run(bowl, "gd", lr=theory.lr_optimal, steps=300).theta, 150, 300)[0]
    assert at_optimum == pytest.approx(theory.gd_rate, rel=1e-6)  # (κ − 1)/(κ + 1) = 19/21


def test_heavy_balls_optimal_eta_and_beta_reach_the_sqrt_kappa_rate():
    bowl = make("quadratic", lam1=1.0, lam2=100.0, angle=45.0)
    theory = quadratic_theory(bowl)
    lr, beta = theory.heavy_ball
    assert (lr, beta) == pytest.approx((4 / 121, (9 / 11) ** 2))
    traj = run(bowl, optimizers.make_optimizer("momentum", momentum=beta), lr=lr, steps=400)
    # a double eigenvalue at the optimum: |θ_t| ~ t r^t, so the ratio carries a (400/200)^(1/200) factor
    assert rate(traj.theta, 200, 400)[0] == pytest.approx(theory.heavy_ball_rate * 2 ** (1 / 200), rel=2e-3)
    gd = run(bowl, "gd", lr=theory.lr_optimal, steps=400)
    assert rate(gd.theta, 200, 400)[0] == pytest.approx(theory.gd_rate, rel=1e-6)
    assert theory.heavy_ball_rate < 0.2 * (1 - theory.gd_rate) + theory.gd_rate  # 9/11 against 99/101
    # and nearby settings are slower: (η*, β*) is the best of its neighbourhood
    for dlr, dbeta in [(1.1, 1.0), (0.9, 1.0), (1.0, 1.05), (1.0, 0.9)]:
        near = run(bowl, optimizers.make_optimizer("momentum", momentum=beta * dbeta), lr=lr * dlr, steps=400)
        assert not np.linalg.norm(near.theta[-1, 0]) <= np.linalg.norm(traj.theta[-1, 0])  # NaN: diverged


def test_theory_of_other_surfaces_is_the_local_model_or_a_clear_error():
    b = SURFACES["bowl"]
    bowl = quadratic_theory(b)  # λ along = the bowl's `along`, across = k: the local model at the minimum
    along, across = b.params["along"], b.params["across"]
    assert not bowl.exact and bowl.eigenvalues == pytest.approx((along, across)) and bowl.lr_limit == pytest.approx(2 / across)
    with pytest.raises(ValueError, match="saddle.*eigenvalues -2 and 2.*both > 0"):
        quadratic_theory(SURFACES["saddle"], (0.0, 0.0))
    with pytest.raises(ValueError, match="lists no minimum"):
        quadratic_theory(SURFACES["saddle"])


# ---- drawn on the sweep plots --------------------------------------------------------------


def test_the_sweep_plot_of_a_quadratic_draws_gds_limit_and_optimum():
    bowl = make("quadratic", **KAPPA_20)
    theory = quadratic_theory(bowl)
    fig = sweep_figure(bowl, ["gd"], lr=list(np.geomspace(1e-3, 1, 12)), steps=30)
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    limit = next(line for label, line in lines.items() if label.startswith("GD stable for η < 2/λ_max"))
    optimum = next(line for label, line in lines.items() if label.startswith("GD's best η"))
    assert limit.get_xdata()[0] == theory.lr_limit and optimum.get_xdata()[0] == theory.lr_optimal
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("0.1" in t and "2/λ_max" in t for t in legend)
    plain = sweep_figure(SURFACES["bowl"], ["gd"], lr=[1e-4, 1e-3], steps=5)
    assert not any("λ_max" in line.get_label() for line in plain.axes[0].get_lines())  # only when asked
    asked = sweep_figure(SURFACES["bowl"], ["gd"], lr=[1e-4, 1e-3], steps=5, theory=True)
    assert any(line.get_xdata()[0] == pytest.approx(2e-3) for line in asked.axes[0].get_lines() if "λ_max" in line.get_label())


def test_the_momentum_heatmap_marks_heavy_balls_optimum_and_stability_edge():
    bowl = make("quadratic", **KAPPA_20)
    theory = quadratic_theory(bowl)
    fig = sweep_figure(bowl, ["momentum"], lr=list(np.geomspace(1e-2, 1, 12)), steps=30, heatmap="momentum",
                       values=list(np.linspace(0, 0.9, 10)))
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    best = next(line for label, line in lines.items() if label.startswith("heavy ball's best"))
    assert (best.get_xdata()[0], best.get_ydata()[0]) == theory.heavy_ball
    edge = next(line for label, line in lines.items() if label.startswith("momentum stable"))
    np.testing.assert_allclose(edge.get_xdata(), 2 * (1 + edge.get_ydata()) / theory.lam_max)
    # Nesterov is not heavy ball: only GD's lines on its heatmap
    nes = sweep_figure(bowl, ["nesterov"], lr=[0.01, 0.1], steps=5, heatmap="momentum", values=[0.0, 0.5])
    assert not any(line.get_label().startswith("heavy ball") for line in nes.axes[0].get_lines())


def test_eigendirections_are_drawn_at_the_minimum_with_lengths_one_over_sqrt_lambda():
    bowl = make("quadratic", lam1=1.0, lam2=4.0, angle=30.0)
    fig = Figure()
    ax = fig.add_subplot()
    draw_surface(ax, bowl)
    artists = draw_eigendirections(ax, bowl)
    arrows, labels = artists[0::2], artists[1::2]
    assert [t.get_text() for t in labels] == ["λ₁ = 1", "λ₂ = 4"]
    V = quadratic_theory(bowl).eigenvectors
    halves = []
    for i, arrow in enumerate(arrows):
        tip, tail = np.array(arrow.xy), np.array(arrow.xyann)
        np.testing.assert_allclose((tip + tail) / 2, [0.0, 0.0], atol=1e-12)  # centred at the minimum
        d = (tip - tail) / 2
        assert abs(abs(d @ V[:, i]) - np.linalg.norm(d)) < 1e-12  # along its eigenvector
        halves.append(np.linalg.norm(d))
    assert halves[0] / halves[1] == pytest.approx(2.0)  # √(4/1): long along the flat direction
    assert halves[0] == pytest.approx(0.3 * 10)  # 30 % of the ±5 window


# ---- the rotated bowl: per-coordinate methods lose their advantage (d2l's 45° exercise) -----


def steps_to_tol(surface, name: str) -> int:
    """The fewest steps to f ≤ TOL over a grid of η, each run with its own η (the product's sweep)."""
    result = sweep(surface, name, steps=600, lr=list(np.geomspace(1e-4, 10, 81)), tol=TOL)
    hits = result.steps_to_tol[result.steps_to_tol >= 0]
    return int(hits.min()) if hits.size else 10**9


@pytest.fixture(scope="module")
def steps_needed():
    out = {}
    for angle in (0.0, 45.0):
        bowl = make("quadratic", lam1=1.0, lam2=100.0, angle=angle)
        out[angle] = {name: steps_to_tol(bowl, name) for name in ("gd", "momentum", "adagrad", "rmsprop", "adam")}
    return out


def test_rotation_leaves_gd_and_momentum_unchanged(steps_needed):
    for name in ("gd", "momentum"):
        assert steps_needed[0.0][name] == steps_needed[45.0][name], name
    assert steps_needed[0.0]["gd"] > 250 and steps_needed[0.0]["momentum"] > 60


@pytest.mark.parametrize("name, baseline", [("adagrad", "gd"), ("rmsprop", "gd"), ("adam", "momentum")])
def test_per_coordinate_methods_lose_their_advantage_when_the_valley_is_turned(steps_needed, name, baseline):
    """Advantage = the baseline's steps / the method's steps (each at its best η); Adam is
    compared with momentum, since it has momentum too."""
    aligned = steps_needed[0.0][baseline] / steps_needed[0.0][name]
    turned = steps_needed[45.0][baseline] / steps_needed[45.0][name]
    assert aligned >= 2.0, (name, steps_needed)
    assert turned <= 1.25, (name, steps_needed)  # about 1: the advantage is gone
    assert aligned / turned >= 2.5, (name, steps_needed)
    if name != "adam":
        assert aligned >= 20  # a diagonal preconditioner that matches the diagonal Hessian


def test_the_rotated_bowl_scenes_show_it():
    first = {}
    for angle in (0, 45):
        scene = SCENES[f"rotated_bowl_{angle}"]
        assert scene.make_surface().params["angle"] == angle
        for label, traj in scene.run().items():
            hit = np.flatnonzero(traj.loss[:, 0] <= TOL)
            first[angle, label.split()[0]] = int(hit[0]) if hit.size else 10**9
    assert first[0, "adagrad"] <= 10 and first[0, "rmsprop"] <= 10 and first[0, "gd"] > 250
    assert first[0, "gd"] == first[45, "gd"] and first[0, "momentum"] == first[45, "momentum"]
    assert first[45, "adagrad"] > first[45, "gd"] and first[45, "rmsprop"] > first[45, "gd"]


def test_the_newton_scenes_show_the_second_order_contrast():
    rosen = SCENES["newton_rosenbrock"].run()
    newton, gd = (next(t for label, t in rosen.items() if label.startswith(name)) for name in ("newton", "gd"))
    assert np.linalg.norm(newton.theta[7, 0] - [1.0, 1.0]) < 1e-12 and newton.loss[2, 0] > newton.loss[0, 0]
    assert np.linalg.norm(gd.theta[-1, 0] - [1.0, 1.0]) > 0.3
    saddle = SCENES["newton_saddle"].run()
    newton, gd = (next(t for label, t in saddle.items() if label.startswith(name)) for name in ("newton", "gd"))
    assert (np.diff(newton.loss[:, 0]) > 0).all() and newton.loss[-1, 0] > -1e-4  # uphill, into the saddle
    assert (np.diff(gd.loss[:, 0]) < 0).all() and gd.loss[-1, 0] < -100  # downhill, away from it
