"""Sweeps: a grid of hyperparameters as one batch (lecture §2, §8)."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

from optimizers import SweepResult, make_optimizer, run, sweep
from optimizers.sweep import MAX_UPDATES
from surfaces import SURFACES


@pytest.fixture
def rosenbrock():
    return SURFACES["rosenbrock"]


def single_final_loss(surface, name, lr, steps, start=None, **hyper):
    traj = run(surface, make_optimizer(name, **hyper), lr=lr, steps=steps, start=start)
    return traj.loss[-1, 0], bool(traj.diverged[0])


def test_shape_follows_keyword_order(rosenbrock):
    lrs, alphas, momenta = [1e-3, 1e-2], [0.5, 0.9, 0.99], [0.0, 0.3, 0.6, 0.9]
    a = sweep(rosenbrock, "rmsprop", steps=30, lr=lrs, alpha=alphas, momentum=momenta)
    b = sweep(rosenbrock, "rmsprop", steps=30, lr=lrs, momentum=momenta, alpha=alphas)
    assert isinstance(a, SweepResult)
    assert a.shape == a.final_loss.shape == a.diverged.shape == (2, 3, 4)
    assert b.shape == (2, 4, 3)
    assert a.names == ("lr", "alpha", "momentum") and b.names == ("lr", "momentum", "alpha")
    assert a.values == (tuple(lrs), tuple(alphas), tuple(momenta))
    assert a.optimizer == "rmsprop"
    np.testing.assert_allclose(a.final_loss, b.final_loss.transpose(0, 2, 1), rtol=1e-12)


def test_lr_only_sweep(rosenbrock):
    res = sweep(rosenbrock, "gd", steps=50, lr=np.geomspace(1e-5, 1e-3, 5))
    assert res.shape == (5,)
    assert (np.diff(res.final_loss) < 0).all()  # bigger (stable) steps get further in 50 steps


@pytest.mark.parametrize(
    "name, grid",
    [
        ("gd", {"momentum": [0.0, 0.5, 0.9]}),
        ("nesterov", {"momentum": [0.5, 0.9]}),
        ("adagrad_mean", {"eps": [1e-10, 1e-3]}),
        ("rmsprop", {"alpha": [0.5, 0.99], "eps": [1e-8, 1e-2]}),
        ("adam", {"betas": [(0.0, 0.999), (0.9, 0.999), (0.9, 0.9)]}),
        ("amsgrad", {"betas": [(0.5, 0.9), (0.9, 0.99)], "eps": [1e-8, 1e-3]}),
    ],
)
def test_equals_individual_runs(rosenbrock, name, grid):
    lrs = [1e-4, 3e-3, 0.02, 0.5]  # the large ones diverge for gd
    steps = 120
    res = sweep(rosenbrock, name, steps=steps, lr=lrs, **grid)
    keys = list(grid)
    for index in np.ndindex(res.shape):
        hyper = {k: grid[k][i] for k, i in zip(keys, index[1:])}
        loss, diverged = single_final_loss(rosenbrock, name, lrs[index[0]], steps, **hyper)
        assert res.diverged[index] == diverged, (index, hyper)
        if diverged:
            assert np.isnan(res.final_loss[index])
        else:
            assert res.final_loss[index] == pytest.approx(loss, rel=1e-10, abs=1e-300), (index, hyper)


def test_diverged_flags_and_nan(rosenbrock):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = sweep(rosenbrock, "gd", steps=300, lr=[1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    np.testing.assert_array_equal(res.diverged, [False, False, True, True, True])
    assert np.isfinite(res.final_loss[:2]).all() and np.isnan(res.final_loss[2:]).all()


def test_tuple_valued_betas_sweep_beta1(rosenbrock):
    b1s = [0.0, 0.5, 0.9]
    res = sweep(rosenbrock, "adam", steps=100, lr=[1e-2, 5e-2], betas=[(b, 0.999) for b in b1s])
    assert res.shape == (2, 3)
    assert res.values[1] == tuple((b, 0.999) for b in b1s)
    for j, b1 in enumerate(b1s):
        loss, _ = single_final_loss(rosenbrock, "adam", 5e-2, 100, betas=(b1, 0.999))
        assert res.final_loss[1, j] == pytest.approx(loss, rel=1e-10)


def test_fixed_boolean_and_string_keywords(rosenbrock):
    res = sweep(rosenbrock, "rmsprop", steps=40, lr=[1e-3, 1e-2], centered=[True], v0=["zeros"])
    assert res.shape == (2, 1, 1)
    loss, _ = single_final_loss(rosenbrock, "rmsprop", 1e-2, 40, centered=True)
    assert res.final_loss[1, 0, 0] == pytest.approx(loss, rel=1e-10)
    with pytest.raises(ValueError, match="amsgrad"):
        sweep(rosenbrock, "adam", steps=10, lr=[1e-3], amsgrad=[True, False])


def test_start_is_shared(rosenbrock):
    res = sweep(rosenbrock, "adam", steps=60, lr=[1e-2], start=(0.5, -0.5))
    loss, _ = single_final_loss(rosenbrock, "adam", 1e-2, 60, start=(0.5, -0.5))
    assert res.final_loss[0] == pytest.approx(loss, rel=1e-10)


def test_best_is_the_lowest_final_loss(rosenbrock):
    lrs, b1s = [1e-3, 1e-2, 5e-2], [(0.0, 0.999), (0.9, 0.999)]
    res = sweep(rosenbrock, "adam", steps=300, lr=lrs, betas=b1s)
    best = res.best()
    i, j = np.unravel_index(np.nanargmin(res.final_loss), res.shape)
    assert best == {"lr": lrs[i], "betas": b1s[j]}
    loss, _ = single_final_loss(rosenbrock, "adam", best["lr"], 300, betas=best["betas"])
    assert loss == np.nanmin(res.final_loss)


def test_best_when_everything_diverged(rosenbrock):
    res = sweep(rosenbrock, "gd", steps=100, lr=[0.5, 1.0])
    assert res.diverged.all()
    with pytest.raises(ValueError, match="diverged"):
        res.best()


def test_steps_to_tol(rosenbrock):
    lrs, tol, steps = [1e-3, 1e-2, 0.1, 0.2, 10.0], 1e-1, 500
    res = sweep(rosenbrock, "adam", steps=steps, lr=lrs, tol=tol)
    assert res.steps_to_tol.shape == (5,)
    for i, lr in enumerate(lrs):
        traj = run(rosenbrock, "adam", lr=lr, steps=steps)
        hits = np.flatnonzero(traj.loss[:, 0] <= tol)
        assert res.steps_to_tol[i] == (hits[0] if hits.size else -1), lr
    assert res.steps_to_tol[0] == -1 and 0 < res.steps_to_tol[3] < res.steps_to_tol[2]
    assert sweep(rosenbrock, "adam", steps=10, lr=[1e-3]).steps_to_tol is None


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lr=[]), "lr"),
        (dict(lr=0.01), "lr"),
        (dict(lr=[0.01, 0.0]), "lr"),
        (dict(lr=[0.01, np.nan]), "lr"),
        (dict(lr=[0.01], steps=0), "steps"),
        (dict(lr=[0.01], alpha=[]), "alpha"),
        (dict(lr=[0.01], alpha="0.5"), "alpha"),
        (dict(lr=[0.01], alpha=[0.5, 1.0]), "alpha"),
        (dict(lr=[0.01], eps=[0.0]), "eps"),
        (dict(lr=[0.01], betas=[(0.9, 0.999)]), "betas"),
        (dict(lr=[0.01], start=(np.nan, 0.0)), "start"),
        (dict(lr=[0.01] * 1001, alpha=[0.5] * 1000), "configurations"),
        (dict(lr=[0.01] * 1000, alpha=[0.5] * 1000, steps=1_000_000), r"configurations × steps.*1,000,000 × 1,000,000"),
        (dict(lr=[0.01, True]), "lr must be a number"),
        (dict(lr=[0.01, "0.1"]), "lr must be a number"),
        (dict(lr=[0.01], alpha=[0.5, True]), "alpha must be a number"),
        (dict(lr=[0.01], alpha=["0.5"]), "alpha must be a number"),
    ],
)
def test_bad_arguments_raise_naming_them(rosenbrock, kwargs, match):
    kwargs = {"steps": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        sweep(rosenbrock, "rmsprop", **kwargs)


def test_update_cap_admits_the_benchmark_and_large_sweeps():
    assert 10_000 * 500 <= 100 * 100 * 5_000 <= MAX_UPDATES < 10**6 * 10**6


def test_tuples_of_different_lengths_raise(rosenbrock):
    """zip would cut (0.5, 0.9, 0.1) to (0.5, 0.9) without a word."""
    with pytest.raises(ValueError, match="betas must be a tuple of the same length"):
        sweep(rosenbrock, "adam", steps=10, lr=[0.01], betas=[(0.9, 0.999), (0.5, 0.9, 0.1)])


def test_unknown_optimizer_lists_the_valid_ones(rosenbrock):
    with pytest.raises(ValueError, match="valid.*'adam'"):
        sweep(rosenbrock, "adamz", steps=10, lr=[1e-3])


def test_batches_of_configurations_give_the_same_result(rosenbrock, monkeypatch):
    """The sweep advances its configurations in batches of at most CHUNK: any split is the same."""
    sweep_module = sys.modules["optimizers.sweep"]  # `optimizers.sweep` is also the function

    kwargs = dict(steps=80, lr=[1e-3, 1e-2, 0.1, 3.0], betas=[(b, 0.999) for b in (0.0, 0.5, 0.9)], tol=5.0)
    whole = sweep(rosenbrock, "adam", **kwargs)
    monkeypatch.setattr(sweep_module, "CHUNK", 5)  # 12 configurations → batches of 4
    split = sweep(rosenbrock, "adam", **kwargs)
    np.testing.assert_array_equal(split.final_loss, whole.final_loss)
    np.testing.assert_array_equal(split.diverged, whole.diverged)
    np.testing.assert_array_equal(split.steps_to_tol, whole.steps_to_tol)


def test_median_of_the_last_steps_equals_the_median_of_a_runs_tail(rosenbrock):
    lrs, steps, k = [1e-4, 3e-3, 0.02, 0.5], 120, 25
    res = sweep(rosenbrock, "adam", steps=steps, lr=lrs, median_of=k)
    last = sweep(rosenbrock, "adam", steps=steps, lr=lrs)
    assert res.median_of == k and last.median_of == 1
    for i, lr in enumerate(lrs):
        traj = run(rosenbrock, make_optimizer("adam"), lr=lr, steps=steps)
        assert res.final_loss[i] == pytest.approx(np.median(traj.loss[-k:, 0]), rel=1e-10, abs=1e-300)
        assert last.final_loss[i] == pytest.approx(traj.loss[-1, 0], rel=1e-10, abs=1e-300)
    assert not np.array_equal(res.final_loss, last.final_loss)


@pytest.mark.parametrize("bad", [0, -1, 121, 2.5, True, "10"])
def test_median_of_outside_one_to_steps_is_refused(rosenbrock, bad):
    with pytest.raises(ValueError, match=r"median_of must be an integer from 1 to steps \(120\)"):
        sweep(rosenbrock, "gd", steps=120, lr=[1e-3], median_of=bad)
