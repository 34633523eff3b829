"""Every optimizer equals torch.optim step for step (torch-form settings, float64).

The golden trajectories in tests/golden/ were made once with torch 2.13.0+cpu by
tests/golden/make_golden.py (its docstring says how); these tests need no torch. When torch
imports, the same configurations also run live. The lecture-form variants (adagrad_mean,
rmsprop_lecture) have no torch counterpart and are checked against the lecture's formulas,
written out here step by step.

Tolerance: relative error ≤ 1e-9 (docs/design.md). torch's kernels round differently (fused
multiply-adds, lerp), so bitwise equality is not expected; chaotic configurations are compared
only over the steps where an ulp cannot grow past 1e-11 (`compare` in the golden file).
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from golden.make_golden import CONFIGS, SURFACE_XY, TORCH_FORM, load, torch_kwargs, torch_trajectory
from optimizers import OPTIMIZERS, make_optimizer, run, schedules
from surfaces import SURFACES
from surfaces.base import Surface

RTOL, ATOL = 1e-9, 1e-12
META, THETAS = load()
GOLDEN = {config["id"]: config for config in META["configs"]}

# registry entries with no torch.optim counterpart: checked against the lecture's formulas below
LECTURE_FORMS = ("adagrad_mean", "rmsprop_lecture")
# not in torch.optim at all: their first steps are worked by hand in test_optimizers.FIRST_STEPS
# (and Newton's step against H⁻¹g in test_newton.py)
NOT_IN_TORCH = ("lion", "newton")


def golden_surface(name: str) -> Surface:
    """The golden file's surface with exactly the formula torch saw (make_golden.SURFACE_XY)."""
    xy = SURFACE_XY[name]

    def f(p):
        return xy(p[..., 0], p[..., 1])[0]

    def grad(p):
        _, gx, gy = xy(p[..., 0], p[..., 1])
        return np.stack(np.broadcast_arrays(gx, gy), axis=-1)

    return Surface(name=name, f=f, grad=grad, bounds=((-2.0, 2.0), (-1.0, 3.0)), start=(-1.5, 2.0))


def our_theta(config: dict, surface: Surface | None = None) -> np.ndarray:
    """θ_0 … θ_T of optimizers.run for one golden configuration, shape (T+1, 2)."""
    hyper = {k: tuple(v) if isinstance(v, list) else v for k, v in config["hyper"].items()}
    lr = config["lr"]
    if config["schedule"]:
        name, kwargs = config["schedule"]
        lr = schedules.SCHEDULES[name](lr, **kwargs)
    traj = run(
        surface or golden_surface(config["surface"]),
        make_optimizer(config["optimizer"], **hyper),
        lr=lr,
        steps=config["steps"],
        start=config["start"],
    )
    assert (traj.diverged_at == -1).all()
    return traj.theta[:, 0]


def assert_same_path(ours: np.ndarray, theirs: np.ndarray, rows: int, what: str) -> None:
    err = np.abs(ours[:rows] - theirs[:rows]) / (np.abs(theirs[:rows]) + ATOL / RTOL)
    worst = int(np.argmax(err.max(axis=1)))
    assert err.max() <= RTOL, f"{what}: relative error {err.max():.3g} at step {worst}"


# ---- coverage: every registry entry is checked one way or the other --------------------------


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_is_checked_against_torch_or_the_lecture(name):
    if name in LECTURE_FORMS:
        assert name in LECTURE_FORMULAS
        return
    if name in NOT_IN_TORCH:
        from test_optimizers import FIRST_STEPS

        assert name in FIRST_STEPS
        return
    assert name in TORCH_FORM, f"add {name!r} to TORCH_FORM in tests/golden/make_golden.py (or LECTURE_FORMS)"
    assert any(c["optimizer"] == name for c in META["configs"]), f"no golden configuration for {name!r}"


def test_golden_file_is_up_to_date_with_make_golden():
    assert META["configs"] == CONFIGS, "CONFIGS changed: rerun tests/golden/make_golden.py"
    assert set(THETAS) == set(GOLDEN)
    for config in CONFIGS:
        assert THETAS[config["id"]].shape == (config["steps"] + 1, 2)
        assert np.isfinite(THETAS[config["id"]]).all()


# ---- golden values (no torch needed) ---------------------------------------------------------


@pytest.mark.parametrize("config_id", sorted(GOLDEN))
def test_matches_torch_golden(config_id):
    config = GOLDEN[config_id]
    assert_same_path(our_theta(config), THETAS[config_id], config["compare"] + 1, config_id)


@pytest.mark.parametrize("config_id", sorted(c["id"] for c in CONFIGS if c["surface"] == "rosenbrock"))
def test_matches_torch_golden_on_the_registry_rosenbrock(config_id):
    """End to end: the same comparison on surfaces.SURFACES["rosenbrock"]."""
    config = GOLDEN[config_id]
    ours = our_theta(config, SURFACES["rosenbrock"])
    assert_same_path(ours, THETAS[config_id], config["compare"] + 1, config_id)


def test_adagrad_lr_decay_is_the_inverse_time_schedule():
    """torch's Adagrad(lr_decay=k) is adagrad() with lr=inverse_time(lr, k), and differs from k = 0."""
    config = GOLDEN["adagrad-lr-decay"]
    plain = our_theta({**config, "schedule": None})
    assert np.abs(plain[-1] - THETAS["adagrad-lr-decay"][-1]).max() > 1e-3
    assert_same_path(our_theta(config), THETAS["adagrad-lr-decay"], config["compare"] + 1, "lr_decay")


# ---- live torch (skipped when torch is not installed, as in CI) ------------------------------


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("config_id", sorted(GOLDEN))
def test_matches_torch_live(torch, config_id):
    config = GOLDEN[config_id]
    theirs = torch_trajectory(config)
    rows = config["compare"] + 1
    assert_same_path(our_theta(config), theirs, rows, config_id)
    assert_same_path(THETAS[config_id], theirs, rows, f"{config_id} (golden vs live torch)")


@pytest.mark.parametrize("name", sorted(TORCH_FORM))
def test_defaults_are_torchs(torch, name):
    cls, fixed = TORCH_FORM[name]
    theirs = {k: p.default for k, p in inspect.signature(getattr(torch.optim, cls)).parameters.items()}
    ours = make_optimizer(name).hyper
    for key, value in ours.items():
        if key in theirs and key not in fixed:
            assert np.all(np.asarray(value) == np.asarray(theirs[key])), f"{name}.{key}: {value} vs torch {theirs[key]}"


# batched hyperparameters (B = 3) against three separate torch runs
BATCHED = {
    "gd": {"momentum": [0.0, 0.5, 0.9], "dampening": [0.0, 0.3, 0.1]},
    "momentum": {"momentum": [0.1, 0.6, 0.95]},
    "nesterov": {"momentum": [0.2, 0.5, 0.8]},
    "adagrad": {"eps": [1e-10, 1e-4, 1e-2], "initial_accumulator_value": [0.0, 0.1, 2.0]},
    "rmsprop": {"alpha": [0.5, 0.9, 0.999], "eps": [1e-8, 1e-3, 1e-6], "momentum": [0.0, 0.3, 0.7]},
    "adam": {"betas": ([0.0, 0.5, 0.95], [0.9, 0.99, 0.9999]), "eps": [1e-8, 1e-3, 1e-6]},
    "amsgrad": {"betas": ([0.3, 0.8, 0.9], [0.5, 0.9, 0.999])},
    "adamw": {"betas": ([0.0, 0.5, 0.9], [0.9, 0.99, 0.999]), "weight_decay": [0.0, 0.1, 0.5]},
    "nadam": {"betas": ([0.5, 0.8, 0.9], [0.9, 0.99, 0.999]), "momentum_decay": [0.0, 4e-3, 0.05]},
    "radam": {"betas": ([0.0, 0.5, 0.9], [0.5, 0.9, 0.999]), "eps": [1e-8, 1e-3, 1e-6]},
    "adamax": {"betas": ([0.0, 0.5, 0.9], [0.5, 0.9, 0.999]), "eps": [1e-8, 1e-3, 1e-6]},
    "adadelta": {"rho": [0.5, 0.9, 0.99], "eps": [1e-6, 1e-3, 1e-8]},
    "rprop": {"etas": ([0.3, 0.5, 0.7], [1.1, 1.2, 2.0]), "step_sizes": ([1e-6, 1e-4, 0.0], [50.0, 0.3, 1.0])},
}


@pytest.mark.parametrize("name", sorted(TORCH_FORM))
def test_batched_hyperparameters_match_torch_live(torch, name):
    assert name in BATCHED, f"add a batched setting for {name!r} to BATCHED"
    grid = BATCHED[name]
    lrs = np.array([1e-2, 3e-2, 5e-3])
    starts = np.array([[-2.0, 1.0], [1.5, -0.5], [0.3, 2.0]])
    hyper = {k: tuple(map(np.asarray, vals)) if isinstance(vals, tuple) else np.asarray(vals) for k, vals in grid.items()}
    ours = run(golden_surface("quadratic"), make_optimizer(name, **hyper), lr=lrs, steps=80, start=starts).theta
    for b in range(3):
        one = {k: tuple(v[b] for v in vals) if isinstance(vals, tuple) else vals[b] for k, vals in grid.items()}
        cls, base = TORCH_FORM[name]
        config = {
            "optimizer": name,
            "hyper": one,
            "torch_only": {},
            "surface": "quadratic",
            "start": starts[b].tolist(),
            "lr": float(lrs[b]),
            "steps": 80,
        }
        if cls == "SGD" and one.get("momentum", base.get("momentum", 0)) == 0:
            config["hyper"] = {k: v for k, v in one.items() if k != "dampening"}  # torch ignores it then
        assert torch_kwargs(config)[0] == cls
        assert_same_path(ours[:, b], torch_trajectory(config), 81, f"{name}[{b}]")


def test_sgd_dampening_without_momentum_is_ignored_as_in_torch(torch):
    config = {
        "optimizer": "gd",
        "hyper": {"momentum": 0.0, "dampening": 0.5},
        "torch_only": {},
        "surface": "quadratic",
        "start": [-2.0, 1.0],
        "lr": 0.02,
        "steps": 30,
        "schedule": None,
    }
    assert_same_path(our_theta(config), torch_trajectory(config), 31, "gd dampening, β = 0")


# ---- lecture forms: the formulas of docs/lecture.md written out, one step at a time --------------


def lecture_adagrad_mean(g_of, theta, lr, steps, eps=1e-10):
    """σ_i^t = √(1/(t+1) Σ_{k≤t} (g_i^k)²) + ε (lecture §4), θ ← θ − η g / σ."""
    path, squares = [theta], []
    for t in range(steps):
        g = g_of(theta)
        squares.append(g**2)
        sigma = np.sqrt(sum(squares) / (t + 1)) + eps
        theta = theta - lr * g / sigma
        path.append(theta)
    return np.array(path)


def lecture_rmsprop(g_of, theta, lr, steps, alpha=0.99, eps=1e-8):
    """σ⁰ = |g⁰|, σ^t = √(α (σ^{t−1})² + (1 − α)(g^t)²) (lecture §5), ε after the root."""
    path, sigma_sq = [theta], None
    for t in range(steps):
        g = g_of(theta)
        sigma_sq = g**2 if t == 0 else alpha * sigma_sq + (1 - alpha) * g**2
        theta = theta - lr * g / (np.sqrt(sigma_sq) + eps)
        path.append(theta)
    return np.array(path)


LECTURE_FORMULAS = {"adagrad_mean": lecture_adagrad_mean, "rmsprop_lecture": lecture_rmsprop}
LECTURE_CASES = [
    ("adagrad_mean", "rosenbrock", 0.05, {}),
    ("adagrad_mean", "quadratic", 0.1, {}),
    ("adagrad_mean", "quadratic", 0.1, {"eps": 1e-3}),
    ("rmsprop_lecture", "rosenbrock", 1e-3, {}),
    ("rmsprop_lecture", "quadratic", 1e-2, {}),
    ("rmsprop_lecture", "rosenbrock", 1e-3, {"alpha": 0.9, "eps": 1e-6}),
]


@pytest.mark.parametrize("name, surface, lr, hyper", LECTURE_CASES)
def test_lecture_forms_match_the_lecture_formulas(name, surface, lr, hyper):
    from golden.make_golden import STARTS

    surf = golden_surface(surface)
    start = np.array(STARTS[surface])
    ours = run(surf, make_optimizer(name, **hyper), lr=lr, steps=150, start=start).theta[:, 0]
    theirs = LECTURE_FORMULAS[name](surf.grad, start, lr, 150, **hyper)
    assert_same_path(ours, theirs, 151, name)
