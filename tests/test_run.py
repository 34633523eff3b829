"""The runner: shapes, divergence as data, learning rates, seeded noise, mini-batches, validation."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from optimizers import Trajectory, get_optimizer, run, schedules
from optimizers.run import MAX_STEPS
from surfaces import SURFACES
from helpers import flat_surface
from surfaces.base import Surface


@pytest.fixture
def rosenbrock():
    return SURFACES["rosenbrock"]


@pytest.fixture
def regression():
    return SURFACES["regression"]


# ---- shapes and recorded quantities -----------------------------------------------------


@pytest.mark.parametrize("batch", [1, 3])
def test_trajectory_shapes(rosenbrock, batch):
    starts = np.array([[-1.5, 2.0], [0.5, -0.5], [1.2, 1.0]])[:batch]
    traj = run(rosenbrock, "adam", lr=1e-2, steps=25, start=starts if batch > 1 else starts[0], labels=("a",) * batch)
    T, B = 25, batch
    assert isinstance(traj, Trajectory)
    assert traj.theta.shape == (T + 1, B, 2)
    assert traj.loss.shape == (T + 1, B)
    assert traj.grad.shape == (T + 1, B, 2)
    assert traj.lr.shape == (T, B)
    assert traj.m.shape == (T, B, 2)
    assert traj.sigma.shape == (T, B, 2)
    assert traj.diverged_at.shape == (B,)
    assert traj.grad_norm.shape == (T + 1, B)
    assert traj.effective_lr.shape == (T, B, 2)
    assert traj.diverged.shape == (B,)
    assert traj.last().shape == (B,)
    assert (traj.steps, traj.batch) == (T, B)
    assert traj.labels == ("a",) * batch
    for field in ("theta", "loss", "grad", "lr", "m", "sigma"):
        assert getattr(traj, field).dtype == np.float64
    assert np.issubdtype(traj.diverged_at.dtype, np.integer)


def test_recorded_values_are_consistent(rosenbrock):
    traj = run(rosenbrock, "rmsprop", lr=1e-2, steps=50, start=[[-1.5, 2.0], [0.5, 0.5]])
    np.testing.assert_array_equal(traj.theta[0], [[-1.5, 2.0], [0.5, 0.5]])
    np.testing.assert_allclose(traj.loss, rosenbrock.f(traj.theta), rtol=1e-15)
    np.testing.assert_allclose(traj.grad, rosenbrock.grad(traj.theta), rtol=1e-15)
    np.testing.assert_allclose(traj.grad_norm, np.linalg.norm(traj.grad, axis=-1), rtol=1e-15)
    np.testing.assert_allclose(traj.effective_lr, traj.lr[..., None] / traj.sigma, rtol=0)
    # θ_{t+1} = θ_t − (η_t / σ_t) m_t, recorded exactly
    np.testing.assert_allclose(traj.theta[1:], traj.theta[:-1] - traj.effective_lr * traj.m, rtol=1e-14, atol=1e-16)
    assert (traj.diverged_at == -1).all() and not traj.diverged.any()
    np.testing.assert_array_equal(traj.last(), [50, 50])


def test_default_start_is_the_surfaces(rosenbrock):
    traj = run(rosenbrock, "gd", lr=1e-3, steps=3)
    np.testing.assert_array_equal(traj.theta[0, 0], rosenbrock.start)


def test_optimizer_by_name_equals_factory(rosenbrock):
    a = run(rosenbrock, "nesterov", lr=1e-3, steps=30)
    b = run(rosenbrock, get_optimizer("gd")(momentum=0.9, nesterov=True), lr=1e-3, steps=30)
    np.testing.assert_array_equal(a.theta, b.theta)


# ---- learning rates -----------------------------------------------------------------------


def test_lr_as_float_array_and_schedule(rosenbrock):
    starts = np.array([[-1.5, 2.0], [0.5, -0.5], [1.2, 1.0]])
    as_float = run(rosenbrock, "adam", lr=0.01, steps=40, start=starts)
    assert (as_float.lr == 0.01).all()

    lrs = np.array([1e-3, 1e-2, 1e-1])
    as_array = run(rosenbrock, "adam", lr=lrs, steps=40, start=starts)
    np.testing.assert_array_equal(as_array.lr, np.broadcast_to(lrs, (40, 3)))
    np.testing.assert_array_equal(as_array.theta[:, 1], as_float.theta[:, 1])

    schedule = schedules.cosine_annealing(0.05, total_steps=30, lr_min=1e-3)
    scheduled = run(rosenbrock, "adam", lr=schedule, steps=40, start=starts)
    for b in range(3):
        np.testing.assert_array_equal(scheduled.lr[:, b], schedule(np.arange(40)))
    constant = run(rosenbrock, "adam", lr=schedules.constant(0.01), steps=40, start=starts)
    np.testing.assert_array_equal(constant.theta, as_float.theta)


def test_schedule_may_reach_zero_but_not_nan(rosenbrock):
    traj = run(rosenbrock, "gd", lr=schedules.cosine_annealing(1e-3, total_steps=10), steps=20)
    assert traj.lr[-1, 0] == 0.0
    np.testing.assert_array_equal(traj.theta[11:], np.broadcast_to(traj.theta[10], (10, 1, 2)))
    with pytest.raises(ValueError, match="lr"):
        run(rosenbrock, "gd", lr=lambda t: np.where(t < 5, 0.1, np.nan), steps=10)
    with pytest.raises(ValueError, match="lr"):
        run(rosenbrock, "gd", lr=lambda t: -0.1 + 0 * t, steps=10)


# ---- divergence is data -------------------------------------------------------------------


def reference_gd(surface, start, lr, steps, radius):
    """Plain GD written out: the finite path and the first step whose θ left the radius or
    whose f(θ) overflowed (−1 if none)."""
    theta, path = np.array(start, dtype=float), [np.array(start, dtype=float)]
    with np.errstate(all="ignore"):
        for t in range(steps):
            theta = theta - lr * surface.grad(theta)
            if not (np.abs(theta) <= radius).all() or not np.isfinite(surface.f(theta)):
                return np.array(path), t + 1
            path.append(theta)
    return np.array(path), -1


@pytest.mark.parametrize("radius", [1e6, 1e300])
def test_divergence_is_flagged_at_the_right_step_and_stopped(rosenbrock, radius):
    starts = np.array([[-1.5, 2.0], [0.5, 0.5]])
    lrs = np.array([0.01, 1e-4])  # the first run blows up, the second does not
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning (overflow, invalid) escapes
        traj = run(rosenbrock, "gd", lr=lrs, steps=200, start=starts, escape_radius=radius)
    path, k = reference_gd(rosenbrock, starts[0], 0.01, 200, radius)
    assert 0 < k < 200
    assert traj.diverged_at[0] == k and traj.diverged_at[1] == -1
    np.testing.assert_array_equal(traj.diverged, [True, False])
    np.testing.assert_allclose(traj.theta[:k, 0], path, rtol=1e-14)
    for field in ("theta", "loss", "grad"):
        values = getattr(traj, field)[:, 0]
        assert np.isfinite(values[:k]).all(), field
        assert np.isnan(values[k:]).all(), field
    assert np.isnan(traj.m[k:, 0]).all() and np.isnan(traj.sigma[k:, 0]).all()
    assert np.isfinite(traj.m[:k, 0]).all()
    assert traj.last()[0] == k - 1 and traj.last()[1] == 200
    assert np.isfinite(traj.theta[:, 1]).all()
    # the other run of the batch is unaffected
    single = run(rosenbrock, "gd", lr=1e-4, steps=200, start=starts[1])
    np.testing.assert_array_equal(traj.theta[:, 1], single.theta[:, 0])


def test_divergence_of_every_run_stops_early_and_still_fills_every_row(rosenbrock):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = run(rosenbrock, "gd", lr=0.5, steps=100_000)
    assert 0 < traj.diverged_at[0] < 10
    assert traj.theta.shape == (100_001, 1, 2)
    assert np.isnan(traj.theta[traj.diverged_at[0] :]).all()


def test_loss_overflow_with_finite_theta_counts_as_divergence():
    """|θ| stays far inside the escape radius, but f(θ) = eˣ overflows at x > 709."""
    ramp = Surface(
        name="ramp",
        f=lambda p: np.exp(p[..., 0]),
        grad=lambda p: np.broadcast_to([-1.0, 0.0], np.shape(p)).copy(),  # walks towards +x
        bounds=((0.0, 1.0), (0.0, 1.0)),
        start=(0.0, 0.0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = run(ramp, "gd", lr=100.0, steps=50, start=[[0.0, 0.0], [-1e5, 0.0]])
    np.testing.assert_array_equal(traj.diverged_at, [8, -1])  # θ_8 = (800, 0): e⁸⁰⁰ = inf
    assert np.isfinite(traj.loss[:8, 0]).all()
    assert np.isnan(traj.loss[8:, 0]).all() and np.isnan(traj.theta[8:, 0]).all()
    assert np.isfinite(traj.loss[:, 1]).all()


def test_saddle_escape_is_divergence_without_warnings():
    saddle = SURFACES["saddle"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = run(saddle, "gd", lr=0.1, steps=1000, start=(0.5, 0.1))
    k = traj.diverged_at[0]
    assert 0 < k < 1000
    assert 1e5 < np.abs(traj.theta[k - 1, 0]).max() <= 1e6


# ---- randomness ---------------------------------------------------------------------------


def test_seeded_noise_is_reproducible_and_differs_across_seeds(rosenbrock):
    kwargs = dict(lr=1e-3, steps=100, grad_noise=5.0)
    a = run(rosenbrock, "momentum", seed=1, **kwargs)
    b = run(rosenbrock, "momentum", seed=1, **kwargs)
    c = run(rosenbrock, "momentum", seed=2, **kwargs)
    exact = run(rosenbrock, "momentum", lr=1e-3, steps=100)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert np.abs(a.theta - c.theta).max() > 1e-3
    assert np.abs(a.theta - exact.theta).max() > 1e-3
    # the recorded gradient is the exact one at θ_t; the step used the noisy one
    np.testing.assert_allclose(a.grad, rosenbrock.grad(a.theta), rtol=1e-15)
    assert np.abs(a.m[0] - a.grad[0]).max() > 0


def test_noise_has_the_requested_scale_and_per_run_values():
    flat = flat_surface()
    traj = run(flat, "gd", lr=0.1, steps=4000, grad_noise=[0.0, 2.0], start=[[0.0, 0.0], [0.0, 0.0]], seed=3)
    steps = np.diff(traj.theta, axis=0)  # −η · noise
    assert (steps[:, 0] == 0).all()  # run 0 has no noise
    assert abs(steps[:, 1].std() / (0.1 * 2.0) - 1) < 0.05
    assert abs(steps[:, 1].mean()) < 0.02


def test_global_rng_is_untouched(rosenbrock):
    np.random.seed(0)
    expected = np.random.random()
    np.random.seed(0)
    run(rosenbrock, "adam", lr=1e-2, steps=20, grad_noise=1.0)
    assert np.random.random() == expected


# ---- mini-batches (data-defined surfaces) ------------------------------------------------


def test_minibatch_gradients_average_to_the_full_gradient(regression):
    """Each run draws its own mini-batch: GD's first direction, averaged over many runs, is ∇f."""
    B, start = 4000, np.array([0.5, -1.0])
    traj = run(regression, "gd", lr=1e-3, steps=1, start=np.tile(start, (B, 1)), batch_size=5, seed=0)
    samples = traj.m[0]  # (B, 2) mini-batch gradients at the same θ_0
    full = regression.grad(start)
    stderr = samples.std(axis=0) / np.sqrt(B)
    assert (np.abs(samples.mean(axis=0) - full) < 5 * stderr).all()
    assert samples.std(axis=0).min() > 0  # they really are noisy


def test_full_size_minibatch_is_the_full_gradient(regression):
    exact = run(regression, "adam", lr=1e-2, steps=100)
    whole = run(regression, "adam", lr=1e-2, steps=100, batch_size=regression.n_data)
    np.testing.assert_allclose(whole.theta, exact.theta, rtol=1e-10, atol=1e-12)


def test_minibatch_runs_are_seeded(regression):
    a = run(regression, "gd", lr=1e-2, steps=100, batch_size=4, seed=5)
    b = run(regression, "gd", lr=1e-2, steps=100, batch_size=4, seed=5)
    c = run(regression, "gd", lr=1e-2, steps=100, batch_size=4, seed=6)
    exact = run(regression, "gd", lr=1e-2, steps=100)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert np.abs(a.theta - c.theta).max() > 1e-6
    assert np.abs(a.theta - exact.theta).max() > 1e-6
    np.testing.assert_allclose(a.grad, regression.grad(a.theta), rtol=1e-12)


# ---- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(steps=0), "steps"),
        (dict(steps=-5), "steps"),
        (dict(steps=MAX_STEPS + 1), "steps"),
        (dict(steps=2.5), "steps"),
        (dict(steps=True), "steps"),
        (dict(start=(np.nan, 0.0)), "start"),
        (dict(start=(np.inf, 0.0)), "start"),
        (dict(start=(1.0, 2.0, 3.0)), "start"),
        (dict(start=[[1.0, 2.0, 3.0]]), "start"),
        (dict(start=np.zeros((2, 2, 2))), "start"),
        (dict(start=(1e300, 0.0)), "start"),
        (dict(start="origin"), "start"),
        (dict(lr=0.0), "lr"),
        (dict(lr=-1e-3), "lr"),
        (dict(lr=np.nan), "lr"),
        (dict(lr=np.inf), "lr"),
        (dict(lr=[1e-3, 0.0]), "lr"),
        (dict(lr=np.ones((2, 2))), "lr"),
        (dict(lr="fast"), "lr"),
        (dict(lr=True), "lr must be a number"),  # not η = 1
        (dict(lr="0.1"), "lr must be a number"),
        (dict(lr=[1e-3, True]), "lr must be a number"),
        (dict(lr=np.array([True, False])), "lr must be a number"),
        (dict(start=(True, 0.5)), "start must be a number"),
        (dict(grad_noise=-0.1), "grad_noise"),
        (dict(grad_noise=np.nan), "grad_noise"),
        (dict(grad_noise=True), "grad_noise must be a number"),
        (dict(grad_noise="0.1"), "grad_noise must be a number"),
        (dict(grad_noise=[[0.1, 0.2]]), "grad_noise must be a float or a 1-D array"),  # not B = 2 runs
        (dict(grad_noise=np.zeros((2, 1))), "grad_noise must be a float or a 1-D array"),
        (dict(seed=-1), "seed"),
        (dict(seed=1.5), "seed"),
        (dict(escape_radius=0.0), "escape_radius"),
        (dict(batch_size=4), "batch_size"),
        (dict(steps=1_000_000, start=np.zeros((100, 2))), "steps"),
    ],
)
def test_bad_arguments_raise_naming_them(rosenbrock, kwargs, match):
    args = dict(lr=1e-3, steps=10, **{k: v for k, v in kwargs.items() if k not in ("lr", "steps")})
    args.update({k: v for k, v in kwargs.items() if k in ("lr", "steps")})
    with pytest.raises(ValueError, match=match):
        run(rosenbrock, "adam", **args)


def test_batch_sizes_that_disagree_raise(rosenbrock):
    with pytest.raises(ValueError, match="runs"):
        run(rosenbrock, "adam", lr=[1e-3, 1e-2, 1e-1], steps=5, start=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="runs"):
        run(rosenbrock, get_optimizer("gd")(momentum=[0.1, 0.5]), lr=[1e-3, 1e-2, 1e-1], steps=5)


@pytest.mark.parametrize("batch_size, match", [(0, "batch_size"), (10**9, "batch_size"), (2.5, "batch_size")])
def test_bad_batch_size_on_data_surface(regression, batch_size, match):
    with pytest.raises(ValueError, match=match) as info:
        run(regression, "gd", lr=1e-3, steps=5, batch_size=batch_size)
    if batch_size == 10**9:
        assert str(regression.n_data) in str(info.value)


def test_batch_size_on_analytic_surface_explains(rosenbrock):
    with pytest.raises(ValueError, match="batch_size.*rosenbrock"):
        run(rosenbrock, "gd", lr=1e-3, steps=5, batch_size=1)


def test_not_an_optimizer_raises(rosenbrock):
    with pytest.raises(ValueError, match="optimizer"):
        run(rosenbrock, 42, lr=1e-3, steps=5)


def test_a_trajectory_knows_its_optimizer_and_keeps_it_per_run(rosenbrock):
    from optimizers import make_optimizer

    assert run(rosenbrock, "adam", lr=1e-2, steps=3).optimizer == "adam"
    batch = run(rosenbrock, make_optimizer("momentum", momentum=np.array([0.5, 0.9])), lr=1e-3, steps=3)
    assert batch.optimizer == "momentum"  # the registry name, not the factory's ("gd")
    one = batch.one(1, "β = 0.9")
    assert (one.optimizer, one.labels, one.theta.shape) == ("momentum", ("β = 0.9",), (4, 1, 2))
    np.testing.assert_array_equal(one.theta[:, 0], batch.theta[:, 1])
    assert one.theta.base is not None and batch.one(1, "x", copy=True).theta.base is None
