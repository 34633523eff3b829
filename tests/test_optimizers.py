"""Generic properties of every registered optimizer (torch's generic optimizer tests, by name).

Driven by the registry: a new entry of `OPTIMIZERS` is tested here without new code, except
for the hand-worked first steps, where a table must name its formula (and a test says so).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from optimizers import (
    HYPERPARAMETERS,
    OPTIMIZERS,
    TITLES,
    Direction,
    Optimizer,
    defaults,
    factory_kwargs,
    get_optimizer,
    make_optimizer,
    run,
    slider_params,
    slider_values,
)
from optimizers.base import check_number
from surfaces import SURFACES
from helpers import flat_surface

NAMES = sorted(OPTIMIZERS)


@pytest.fixture(params=NAMES)
def name(request):
    return request.param


@pytest.fixture
def rosenbrock():
    return SURFACES["rosenbrock"]


def copy_state(state):
    return type(state)(*(np.array(x, copy=True) if isinstance(x, np.ndarray) else x for x in state))


def assert_same_state(a, b):
    assert type(a) is type(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


# ---- the first two steps, worked by hand from each docstring's formula -----------------------
# Each function returns θ1, θ2 for gradient function `grad`, start θ0 and learning rate η. The
# defaults in the signatures are written out here (torch's), not read from the code.


def gd_steps(grad, th0, lr, momentum=0.0, dampening=0.0, nesterov=False):
    g0 = grad(th0)
    v0 = g0  # torch starts the buffer at g0 (dampening ignored on the first step)
    th1 = th0 - lr * (g0 + momentum * v0 if nesterov else v0)
    g1 = grad(th1)
    v1 = momentum * v0 + (1 - dampening) * g1 if momentum > 0 else g1
    th2 = th1 - lr * (g1 + momentum * v1 if nesterov else v1)
    return th1, th2


def adagrad_steps(grad, th0, lr, eps=1e-10, initial_accumulator_value=0.0, mean=False):
    s = initial_accumulator_value
    g0 = grad(th0)
    s0 = s + g0**2
    sigma0 = (np.sqrt(s0 / 1) if mean else np.sqrt(s0)) + eps
    th1 = th0 - lr * g0 / sigma0
    g1 = grad(th1)
    s1 = s + g0**2 + g1**2
    sigma1 = (np.sqrt(s1 / 2) if mean else np.sqrt(s1)) + eps
    return th1, th1 - lr * g1 / sigma1


def rmsprop_steps(grad, th0, lr, alpha=0.99, eps=1e-8, momentum=0.0, centered=False, v0="zeros"):
    g0 = grad(th0)
    if v0 == "first_grad":
        v, gbar = g0**2, g0
    else:
        v, gbar = (1 - alpha) * g0**2, (1 - alpha) * g0
    sigma0 = np.sqrt(v - gbar**2 if centered else v) + eps
    buf0 = g0 / sigma0  # torch's momentum buffer b = β b + g/σ, step η b
    th1 = th0 - lr * buf0
    g1 = grad(th1)
    v = alpha * v + (1 - alpha) * g1**2
    gbar = alpha * gbar + (1 - alpha) * g1
    sigma1 = np.sqrt(v - gbar**2 if centered else v) + eps
    buf1 = momentum * buf0 + g1 / sigma1
    return th1, th1 - lr * buf1


def adam_steps(grad, th0, lr, betas=(0.9, 0.999), eps=1e-8, amsgrad=False):
    b1, b2 = betas
    g0 = grad(th0)
    m1, v1 = (1 - b1) * g0, (1 - b2) * g0**2
    th1 = th0 - lr * (m1 / (1 - b1)) / (np.sqrt(v1 / (1 - b2)) + eps)
    g1 = grad(th1)
    m2, v2 = b1 * m1 + (1 - b1) * g1, b2 * v1 + (1 - b2) * g1**2
    v_used = np.maximum(v1, v2) if amsgrad else v2
    th2 = th1 - lr * (m2 / (1 - b1**2)) / (np.sqrt(v_used / (1 - b2**2)) + eps)
    return th1, th2


def adamw_steps(grad, th0, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
    """torch's order: θ ← θ (1 − ηλ), then Adam's step from the gradient at the old θ."""
    b1, b2 = betas
    g0 = grad(th0)
    m1, v1 = (1 - b1) * g0, (1 - b2) * g0**2
    th1 = th0 * (1 - lr * weight_decay) - lr * (m1 / (1 - b1)) / (np.sqrt(v1 / (1 - b2)) + eps)
    g1 = grad(th1)
    m2, v2 = b1 * m1 + (1 - b1) * g1, b2 * v1 + (1 - b2) * g1**2
    v_used = np.maximum(v1, v2) if amsgrad else v2
    th2 = th1 * (1 - lr * weight_decay) - lr * (m2 / (1 - b1**2)) / (np.sqrt(v_used / (1 - b2**2)) + eps)
    return th1, th2


def nadam_steps(grad, th0, lr, betas=(0.9, 0.999), eps=1e-8, momentum_decay=4e-3):
    b1, b2 = betas
    mu = [None] + [b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay)) for t in (1, 2, 3)]
    g0 = grad(th0)
    m1, v1 = (1 - b1) * g0, (1 - b2) * g0**2
    d1 = np.sqrt(v1 / (1 - b2)) + eps
    th1 = th0 - lr * (1 - mu[1]) / (1 - mu[1]) * g0 / d1 - lr * mu[2] / (1 - mu[1] * mu[2]) * m1 / d1
    g1 = grad(th1)
    m2, v2 = b1 * m1 + (1 - b1) * g1, b2 * v1 + (1 - b2) * g1**2
    d2 = np.sqrt(v2 / (1 - b2**2)) + eps
    p2 = mu[1] * mu[2]
    th2 = th1 - lr * (1 - mu[2]) / (1 - p2) * g1 / d2 - lr * mu[3] / (1 - p2 * mu[3]) * m2 / d2
    return th1, th2


def radam_steps(grad, th0, lr, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    rho_inf = 2 / (1 - b2) - 1
    th, m, v, path = th0, 0.0, 0.0, []
    for t in (1, 2):
        g = grad(th)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t)
        rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho > 5:
            r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            th = th - lr * m_hat * r * np.sqrt(1 - b2**t) / (np.sqrt(v) + eps)
        else:
            th = th - lr * m_hat
        path.append(th)
    return tuple(path)


def adamax_steps(grad, th0, lr, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    g0 = grad(th0)
    m1, u1 = (1 - b1) * g0, np.abs(g0) + eps
    th1 = th0 - lr / (1 - b1) * m1 / u1
    g1 = grad(th1)
    m2, u2 = b1 * m1 + (1 - b1) * g1, np.maximum(b2 * u1, np.abs(g1) + eps)
    return th1, th1 - lr / (1 - b1**2) * m2 / u2


def adadelta_steps(grad, th0, lr, rho=0.9, eps=1e-6):
    g0 = grad(th0)
    v1 = (1 - rho) * g0**2
    d1 = np.sqrt(0 + eps) / np.sqrt(v1 + eps) * g0
    u1 = (1 - rho) * d1**2
    th1 = th0 - lr * d1
    g1 = grad(th1)
    v2 = rho * v1 + (1 - rho) * g1**2
    d2 = np.sqrt(u1 + eps) / np.sqrt(v2 + eps) * g1
    return th1, th1 - lr * d2


def rprop_steps(grad, th0, lr, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0)):
    down, up = etas
    s = np.clip(np.full(2, lr), *step_sizes)  # first step: no previous gradient, factor 1
    g0 = grad(th0)
    th1 = th0 - s * np.sign(g0)
    g1 = grad(th1)
    same = g0 * g1
    s = np.clip(s * np.where(same > 0, up, np.where(same < 0, down, 1.0)), *step_sizes)
    return th1, th1 - s * np.sign(np.where(same < 0, 0.0, g1))


def lion_steps(grad, th0, lr, betas=(0.9, 0.99), weight_decay=0.0):
    b1, b2 = betas
    g0 = grad(th0)
    th1 = th0 - lr * (np.sign((1 - b1) * g0) + weight_decay * th0)
    m1 = (1 - b2) * g0
    g1 = grad(th1)
    return th1, th1 - lr * (np.sign(b1 * m1 + (1 - b1) * g1) + weight_decay * th1)


def newton_steps(grad, th0, lr):
    """θ ← θ − η H⁻¹ g with Rosenbrock's Hessian written out (a = 1, b = 100)."""

    def hess(p):
        x, y = p
        return np.array([[2 - 400 * y + 1200 * x * x, -400 * x], [-400 * x, 200.0]])

    th1 = th0 - lr * np.linalg.solve(hess(th0), grad(th0))
    return th1, th1 - lr * np.linalg.solve(hess(th1), grad(th1))


# registry name → (formula, the keyword arguments its registry entry fixes)
FIRST_STEPS = {
    "gd": (gd_steps, {}),
    "momentum": (gd_steps, {"momentum": 0.9}),
    "nesterov": (gd_steps, {"momentum": 0.9, "nesterov": True}),
    "adagrad": (adagrad_steps, {}),
    "adagrad_mean": (adagrad_steps, {"mean": True}),
    "rmsprop": (rmsprop_steps, {}),
    "rmsprop_lecture": (rmsprop_steps, {"v0": "first_grad"}),
    "adam": (adam_steps, {}),
    "amsgrad": (adam_steps, {"amsgrad": True}),
    "adamw": (adamw_steps, {}),
    "nadam": (nadam_steps, {}),
    "radam": (radam_steps, {}),
    "adamax": (adamax_steps, {}),
    "adadelta": (adadelta_steps, {}),
    "rprop": (rprop_steps, {}),
    "lion": (lion_steps, {}),
    "newton": (newton_steps, {}),
}

# non-default settings for each formula (merged over the registry's fixed keywords)
FIRST_STEP_SETTINGS = [
    {},
    {"momentum": 0.5, "dampening": 0.3},
    {"momentum": 0.0, "dampening": 0.5},
    {"eps": 0.5, "initial_accumulator_value": 3.0},
    {"alpha": 0.5, "eps": 0.5},
    {"momentum": 0.7, "centered": True},
    {"alpha": 0.9, "centered": True, "eps": 1e-3},
    {"betas": (0.5, 0.8), "eps": 0.5},
    {"betas": (0.0, 0.0)},
    {"weight_decay": 0.3},
    {"betas": (0.8, 0.9), "weight_decay": 0.1, "amsgrad": True},
    {"betas": (0.8, 0.9), "momentum_decay": 0.05},
    {"rho": 0.5, "eps": 1e-3},
    {"etas": (0.3, 1.5), "step_sizes": (1e-3, 0.02)},
    {"betas": (0.5, 0.8), "weight_decay": 0.5},
]


def test_first_steps_table_covers_the_registry():
    assert set(FIRST_STEPS) == set(OPTIMIZERS), "write the first two steps of the new optimizer by hand"


@pytest.mark.parametrize("lr", [1e-3, 0.05])
def test_first_steps_match_formula(name, rosenbrock, lr):
    formula, fixed = FIRST_STEPS[name]
    start = np.array([-1.5, 2.0])
    tried = 0
    for setting in FIRST_STEP_SETTINGS:
        if not set(setting) <= set(defaults(name)) or (setting.get("centered") and fixed.get("v0")):
            continue
        tried += 1
        th1, th2 = formula(rosenbrock.grad, start, lr, **{**fixed, **setting})
        traj = run(rosenbrock, make_optimizer(name, **setting), lr=lr, steps=2, start=start)
        np.testing.assert_allclose(traj.theta[1, 0], th1, rtol=1e-13, err_msg=f"{name} {setting} step 1")
        np.testing.assert_allclose(traj.theta[2, 0], th2, rtol=1e-13, err_msg=f"{name} {setting} step 2")
    assert tried >= (2 if defaults(name) else 1)


def test_goes_right_direction(name, rosenbrock):
    """A small first step decreases f, from a few starts."""
    starts = np.array([[-1.5, 2.0], [0.5, -0.5], [1.5, 1.0], [-0.5, 0.5]])
    traj = run(rosenbrock, name, lr=1e-4, steps=1, start=starts)
    assert (traj.loss[1] < traj.loss[0]).all()


# ---- zero gradient, purity ------------------------------------------------------------------


@pytest.mark.parametrize("eps_scale", ["default", "smallest"])
def test_step_is_noop_for_zero_grads(name, eps_scale):
    kwargs = {"weight_decay": 0.0} if "weight_decay" in defaults(name) else {}  # decay moves θ: below
    if eps_scale == "smallest" and "eps" in defaults(name):
        kwargs["eps"] = HYPERPARAMETERS["eps"].low  # 0/ε must still be 0, σ still finite
    surface = flat_surface()
    starts = np.array([[0.25, -0.5], [0.0, 0.0], [-1e-300, 3.0]])
    traj = run(surface, make_optimizer(name, **kwargs), lr=10.0, steps=20, start=starts)
    assert (traj.theta == starts).all()
    assert (traj.m == 0).all()
    assert np.isfinite(traj.sigma).all() and (traj.sigma > 0).all()
    assert np.isfinite(traj.effective_lr).all()
    assert (traj.diverged_at == -1).all()


def step_extras(opt, rng):
    """The inputs beyond (g, state) that `opt.needs`: θ, η and an SPD Hessian, for 3 runs."""
    a = rng.normal(size=(3, 2, 2))
    extras = {"theta": rng.normal(size=(3, 2)), "lr": 0.1, "hess": a @ a.transpose(0, 2, 1) + np.eye(2)}
    return {k: extras[k] for k in opt.needs}


@pytest.mark.parametrize("name", [n for n in NAMES if "weight_decay" in defaults(n)])
def test_decoupled_weight_decay_alone_shrinks_theta_geometrically(name):
    """With g = 0 only the decay acts: θ_t = (1 − ηλ)^t θ_0, whatever σ is (AdamW, Lion)."""
    starts = np.array([[0.25, -0.5], [2.0, 3.0]])
    traj = run(flat_surface(), make_optimizer(name, weight_decay=0.2), lr=0.5, steps=30, start=starts)
    expected = 0.9 ** np.arange(31)[:, None, None] * starts
    np.testing.assert_allclose(traj.theta, expected, rtol=1e-12)


def test_update_does_not_mutate_state(name):
    rng = np.random.default_rng(1)
    opt = make_optimizer(name)
    theta = rng.normal(size=(3, 2))
    theta_copy = theta.copy()
    state = opt.init(theta)
    theta[:] = 7.0  # the state must not alias θ_0 either
    fresh = opt.init(theta_copy)
    assert_same_state(state, fresh)
    for _ in range(4):
        g = rng.normal(size=(3, 2))
        extras = step_extras(opt, rng)
        g_copy, before = g.copy(), copy_state(state)
        kept = {k: np.array(v, copy=True) for k, v in extras.items()}
        direction, new_state = opt.update(g, state, **extras)
        assert isinstance(direction, Direction)
        assert_same_state(state, before)
        np.testing.assert_array_equal(g, g_copy)
        for k, v in extras.items():
            np.testing.assert_array_equal(v, kept[k])
        again, again_state = opt.update(g, state, **extras)  # pure: same input, same output
        np.testing.assert_array_equal(direction.m, again.m)
        np.testing.assert_array_equal(direction.sigma, again.sigma)
        assert_same_state(new_state, again_state)
        state = new_state


# ---- a batch of configurations equals a loop of single runs -------------------------------

VARY = {
    "momentum": [0.0, 0.5, 0.9],
    "dampening": [0.0, 0.3, 0.6],
    "eps": [1e-10, 1e-4, 1e-1],
    "initial_accumulator_value": [0.0, 0.1, 1.0],
    "alpha": [0.0, 0.5, 0.99],
    "betas": ([0.0, 0.5, 0.9], [0.5, 0.9, 0.999]),
    "weight_decay": [0.0, 0.1, 0.5],
    "rho": [0.5, 0.9, 0.99],
    "momentum_decay": [0.0, 4e-3, 0.05],
    "etas": ([0.3, 0.5, 0.7], [1.1, 1.2, 2.0]),
    "step_sizes": ([1e-6, 1e-4, 0.0], [50.0, 0.3, 1.0]),
}


def batched_hyper(name: str):
    """(hyper with (B,) arrays, [hyper of run b]) for every numeric keyword of the factory."""
    batched, singles = {}, [{}, {}, {}]
    for key, default in defaults(name).items():
        if isinstance(default, (bool, str)):
            continue
        values = VARY.get(key)
        if values is None:  # a keyword this table does not know: keep its default, batched
            values = tuple([d] * 3 for d in default) if isinstance(default, tuple) else [default] * 3
        if isinstance(values, tuple):
            batched[key] = tuple(np.array(v, dtype=float) for v in values)
            for b in range(3):
                singles[b][key] = tuple(float(v[b]) for v in values)
        else:
            batched[key] = np.array(values, dtype=float)
            for b in range(3):
                singles[b][key] = float(values[b])
    return batched, singles


def test_batch_equals_loop(name, rosenbrock):
    batched, singles = batched_hyper(name)
    lrs = np.array([1e-3, 3e-3, 2e-1])  # the last one may diverge: divergence must batch too
    starts = np.array([[-1.5, 2.0], [0.5, -0.5], [1.2, 1.0]])
    opt = make_optimizer(name, **batched)
    assert opt.batch == (3 if batched else 1)  # Newton has no hyperparameters: lr and starts batch
    traj = run(rosenbrock, opt, lr=lrs, steps=150, start=starts)
    assert traj.theta.shape == (151, 3, 2)
    for b in range(3):
        one = run(rosenbrock, make_optimizer(name, **singles[b]), lr=float(lrs[b]), steps=150, start=starts[b])
        assert traj.diverged_at[b] == one.diverged_at[0], (name, b)
        for field in ("theta", "loss", "grad", "lr", "m", "sigma"):
            ours, single = getattr(traj, field)[:, b], getattr(one, field)[:, 0]
            np.testing.assert_allclose(ours, single, rtol=1e-12, atol=0, err_msg=f"{name} run {b} {field}")


def test_scalar_hyperparameters_broadcast_over_starts(name, rosenbrock):
    starts = np.array([[-1.5, 2.0], [0.5, -0.5]])
    traj = run(rosenbrock, name, lr=1e-3, steps=20, start=starts)
    for b in range(2):
        one = run(rosenbrock, name, lr=1e-3, steps=20, start=starts[b])
        np.testing.assert_allclose(traj.theta[:, b], one.theta[:, 0], rtol=1e-12)


# ---- validation -----------------------------------------------------------------------------


def unit_keys(name):
    """The keywords whose values live in [0, 1), as (keyword, make kwargs from a bad value)."""
    keys = []
    d = defaults(name)
    for key in ("momentum", "alpha"):
        if key in d:
            keys.append((key, lambda bad, key=key: {key: bad}))
    if "betas" in d:
        keys.append(("betas", lambda bad: {"betas": (bad, 0.999)}))
        keys.append(("betas", lambda bad: {"betas": (0.9, bad)}))
    return keys


def batch_of_two(kwargs):
    """The same keyword arguments for a batch of two runs whose first run is valid."""

    def pair(v):
        return tuple(pair(x) for x in v) if isinstance(v, tuple) else np.array([0.5, v])

    return {k: pair(v) for k, v in kwargs.items()}


@pytest.mark.parametrize("bad", [1.0, -0.1, math.nan, math.inf, 1.5])
def test_bad_unit_hyperparameters_raise(name, bad):
    for key, kwargs in unit_keys(name):
        with pytest.raises(ValueError, match=r"\[0, 1\)") as info:
            make_optimizer(name, **kwargs(bad))
        assert key in str(info.value)
        with pytest.raises(ValueError, match=key):  # one bad entry in a batch is enough
            make_optimizer(name, **batch_of_two(kwargs(bad)))


@pytest.mark.parametrize("name", [n for n in NAMES if "eps" in defaults(n)])
@pytest.mark.parametrize("bad", [0.0, -1e-8, math.nan, math.inf])
def test_bad_eps_raises(name, bad):
    with pytest.raises(ValueError, match=r"eps.*\(0, inf\)"):
        make_optimizer(name, eps=bad)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match=r"dampening.*\[0, 1\]"):
        get_optimizer("gd")(momentum=0.5, dampening=1.5)
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        get_optimizer("adagrad")(initial_accumulator_value=-1.0)
    with pytest.raises(ValueError, match="v0.*'zeros'.*'first_grad'"):
        get_optimizer("rmsprop")(v0="ones")
    with pytest.raises(ValueError, match="centered"):
        get_optimizer("rmsprop")(centered=True, v0="first_grad")
    for betas in [0.9, (0.9,), (0.9, 0.99, 0.999), "ab"]:
        with pytest.raises(ValueError, match="betas"):
            get_optimizer("adam")(betas=betas)
    with pytest.raises(ValueError, match="1-D"):
        get_optimizer("gd")(momentum=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="momentum must be a number"):
        get_optimizer("gd")(momentum="fast")


def bool_keys(name):
    """The keywords of the named optimizer that are switches (their default is True or False)."""
    return [key for key, value in defaults(name).items() if isinstance(value, bool)]


def test_the_switches_of_the_registry():
    assert {key for n in NAMES for key in bool_keys(n)} == {"nesterov", "mean", "centered", "amsgrad"}


@pytest.mark.parametrize("bad", ["false", 2, None, np.array(True)])
def test_switches_are_true_or_false_only(name, bad):
    """The string "false" is truthy: amsgrad="false" would quietly run AMSGrad."""
    for key in bool_keys(name):
        with pytest.raises(ValueError, match=f"{key} must be True or False, got {re.escape(repr(bad))}"):
            make_optimizer(name, **{key: bad})
        default = defaults(name)[key]
        assert make_optimizer(name, **{key: np.bool_(default)}).hyper[key] is default  # numpy's bool is fine


@pytest.mark.parametrize(
    "bad", [True, np.False_, "0.1", b"0.1", [0.1, True], (0.1, "0.2"), np.array([True]), np.array([0.1, "0.2"], dtype=object)]
)
def test_check_number_refuses_bools_and_text(bad):
    """numpy would make 1.0 of True and 0.1 of "0.1": neither is a number the user meant."""
    with pytest.raises(ValueError, match="lr must be a number"):
        check_number("lr", bad)


@pytest.mark.parametrize("good", [1, 0.5, np.float32(0.5), np.int64(2), [0.1, 2], (1, 2.5), np.array([0.1, 0.2])])
def test_check_number_accepts_numbers(good):
    check_number("lr", good)


def test_factories_refuse_bools_and_text_as_numbers():
    with pytest.raises(ValueError, match="eps must be a number, got True"):
        get_optimizer("adam")(eps=True)
    with pytest.raises(ValueError, match="momentum must be a number"):
        get_optimizer("gd")(momentum=[0.5, "0.9"])
    with pytest.raises(ValueError, match=r"betas\[1\] \(β2\) must be a number"):
        get_optimizer("adam")(betas=(0.9, True))


def test_unknown_optimizer_lists_the_valid_ones(rosenbrock):
    calls = (
        lambda: get_optimizer("adamz"),
        lambda: make_optimizer("adamz"),
        lambda: run(rosenbrock, "adamz", lr=0.1, steps=1),
    )
    for call in calls:
        with pytest.raises(ValueError, match="adamz") as info:
            call()
        assert all(repr(n) in str(info.value) for n in OPTIMIZERS)


def test_unknown_keyword_names_it_and_the_valid_ones(name):
    with pytest.raises(ValueError, match="'lr'") as info:
        make_optimizer(name, lr=0.1)
    assert all(k in str(info.value) for k in defaults(name))


# ---- registry and slider metadata -----------------------------------------------------------


def test_registry_entries_are_optimizers(name):
    opt = make_optimizer(name)
    assert isinstance(opt, Optimizer)
    assert opt.name == name
    assert opt.batch == 1
    assert name in TITLES


def test_slider_metadata_is_consistent(name):
    keys = slider_params(name)
    assert set(keys) <= set(HYPERPARAMETERS)
    values = slider_values(name)
    assert list(values) == keys
    for key, value in values.items():
        meta = HYPERPARAMETERS[key]
        assert meta.low <= value <= meta.high, (name, key, value)
    kwargs = factory_kwargs(name, values)
    rebuilt = make_optimizer(name, **kwargs)  # slider values are valid keyword arguments
    assert slider_values(name, **kwargs) == values
    assert rebuilt.name == name


def test_every_slider_corner_is_a_valid_optimizer(name):
    """No slider position is an error: build the optimizer at every corner of the slider box."""
    keys = slider_params(name)
    for corner in np.ndindex(*([2] * len(keys))):
        sliders = {k: (HYPERPARAMETERS[k].low, HYPERPARAMETERS[k].high)[i] for k, i in zip(keys, corner)}
        make_optimizer(name, **factory_kwargs(name, sliders))


# ---- lecture facts about the update rules ---------------------------------------------------


@pytest.mark.parametrize("alpha", [0.0, 0.5, 0.9, 0.99, 0.999])
def test_rmsprop_zeros_start_is_one_over_sqrt_one_minus_alpha_larger(rosenbrock, alpha):
    """Lecture §5: torch's v = 0 start makes the first step 1/√(1 − α) times the σ⁰ = |g⁰| one."""
    starts = np.array([[-1.5, 2.0], [0.5, -0.5], [1.2, 1.0]])
    step = {}
    for v0 in ("zeros", "first_grad"):
        traj = run(rosenbrock, get_optimizer("rmsprop")(alpha=alpha, v0=v0, eps=1e-300), lr=1e-3, steps=1, start=starts)
        step[v0] = traj.theta[1] - traj.theta[0]
    np.testing.assert_allclose(step["zeros"], step["first_grad"] / math.sqrt(1 - alpha), rtol=1e-12)
    # with the default ε the ratio holds up to ε / (√(1 − α) |g|) ≲ 1e-7 here
    traj = run(rosenbrock, get_optimizer("rmsprop")(alpha=alpha), lr=1e-3, steps=1, start=starts)
    lecture = run(rosenbrock, get_optimizer("rmsprop")(alpha=alpha, v0="first_grad"), lr=1e-3, steps=1, start=starts)
    ratio = (traj.theta[1] - traj.theta[0]) / (lecture.theta[1] - lecture.theta[0])
    np.testing.assert_allclose(ratio, 1 / math.sqrt(1 - alpha), rtol=1e-6)


@pytest.mark.parametrize("surface_name", ["rosenbrock", "bowl"])
def test_adagrad_sum_form_eta_over_sigma_never_increases_mean_form_can(surface_name):
    surface = SURFACES[surface_name]
    lr = 0.05 if surface_name == "rosenbrock" else 0.5
    starts = np.array([surface.start, [0.5, 0.5]])
    total = run(surface, "adagrad", lr=lr, steps=400, start=starts)
    mean = run(surface, "adagrad_mean", lr=lr, steps=400, start=starts)
    assert (np.diff(total.effective_lr, axis=0) <= 0).all()
    assert (np.diff(mean.effective_lr, axis=0) > 0).any()
    # fed the same gradients, the mean form's σ is the sum form's over √(t+1) at every step
    # (ε aside: both add it after the root)
    g = total.grad[:-1]
    sum_form, mean_form = make_optimizer("adagrad", eps=1e-300), make_optimizer("adagrad_mean", eps=1e-300)
    s_state, m_state = sum_form.init(starts), mean_form.init(starts)
    for t in range(len(g)):
        (_, s_sigma), s_state = sum_form.update(g[t], s_state)
        (_, m_sigma), m_state = mean_form.update(g[t], m_state)
        np.testing.assert_allclose(m_sigma * math.sqrt(t + 1), s_sigma, rtol=1e-12)


@pytest.mark.parametrize("angle", [0.0, 30.0])
def test_gd_on_a_quadratic_is_the_matrix_power_of_one_minus_eta_h(angle):
    """On f = ½ θᵀHθ, GD is θ_t = (I − ηH)^t θ_0, and heavy-ball momentum (torch's buffer
    v = βv + g) is the linear recursion θ_{t+1} = θ_t − ηHθ_t + β(θ_t − θ_{t−1})."""
    from surfaces import quadratic

    surface = quadratic(1.0, 10.0, angle)
    theta0 = np.array([1.5, -0.5])
    H = surface.hess(theta0)
    eta, T = 0.15, 40
    traj = run(surface, "gd", lr=eta, steps=T, start=theta0)
    expected = [np.linalg.matrix_power(np.eye(2) - eta * H, t) @ theta0 for t in range(T + 1)]
    np.testing.assert_allclose(traj.theta[:, 0], expected, rtol=1e-10, atol=1e-14)
    beta = 0.6
    heavy = run(surface, make_optimizer("momentum", momentum=beta), lr=eta, steps=T, start=theta0)
    ball = [theta0, theta0 - eta * H @ theta0]
    for _ in range(T - 1):
        ball.append(ball[-1] - eta * H @ ball[-1] + beta * (ball[-1] - ball[-2]))
    np.testing.assert_allclose(heavy.theta[:, 0], ball, rtol=1e-10, atol=1e-14)


def test_lion_first_steps_worked_by_hand(rosenbrock):
    """Lion is not in torch: two steps on Rosenbrock from (−1.5, 2), worked on paper.

    g0 = (−2·2.5 − 400·(−1.5)·(2 − 2.25), 200·(−0.25)) = (−155, −50); c = 0.1 g0, sign (−1, −1):
    θ1 = (−1.4, 2.1); m1 = 0.01 g0 = (−1.55, −0.5). g1 = (−4.8 + 78.4, 28) = (73.6, 28);
    c = 0.9 m1 + 0.1 g1 = (5.965, 2.35), sign (+1, +1): θ2 = θ0. With λ = 0.5 the first step
    also decays θ: θ1 = θ0 − 0.1 ((−1, −1) + 0.5 θ0) = (−1.325, 2.0).
    """
    traj = run(rosenbrock, "lion", lr=0.1, steps=2)
    np.testing.assert_allclose(traj.grad[0, 0], [-155.0, -50.0], rtol=1e-14)
    np.testing.assert_allclose(traj.theta[1:, 0], [[-1.4, 2.1], [-1.5, 2.0]], rtol=1e-14)
    np.testing.assert_allclose(traj.grad[1, 0], [73.6, 28.0], rtol=1e-12)
    decayed = run(rosenbrock, make_optimizer("lion", weight_decay=0.5), lr=0.1, steps=1)
    np.testing.assert_allclose(decayed.theta[1, 0], [-1.325, 2.0], rtol=1e-14)


def test_rprop_eta_over_sigma_is_its_step_size_and_grows_while_the_sign_holds():
    """Rprop's η/σ is the per-parameter step size s: η at the start, ×η₊ while g keeps its sign."""
    bowl = get_optimizer("rprop")()
    from surfaces import SURFACES as S

    traj = run(S["quadratic"], bowl, lr=0.01, steps=6, start=(-4.0, 2.0))
    np.testing.assert_allclose(traj.effective_lr[:, 0, 0], 0.01 * 1.2 ** np.arange(6), rtol=1e-12)
    np.testing.assert_allclose(np.abs(np.diff(traj.theta[:, 0, 0])), 0.01 * 1.2 ** np.arange(6), rtol=1e-12)


# ---- one translation between slider keys and factory keywords --------------------------------


def test_with_sliders_sets_one_half_of_betas_and_keeps_the_other():
    from optimizers import with_sliders

    assert with_sliders("adam", {"betas": (0.8, 0.95), "eps": 1e-6}, {"beta1": 0.5}) == {"betas": (0.5, 0.95), "eps": 1e-6}
    assert with_sliders("adam", {}, {"beta2": 0.9}) == {"betas": (0.9, 0.9)}  # β₁ from the defaults
    assert with_sliders("momentum", {"nesterov": True}, {"momentum": 0.5}) == {"nesterov": True, "momentum": 0.5}
    with pytest.raises(ValueError, match=r"'gd' has no slider 'alpha'; its sliders: momentum"):
        with_sliders("gd", {}, {"alpha": 0.5})


def test_the_explorer_cli_and_sweeps_translate_alike():
    """The product's own three paths from a slider key to a factory keyword agree."""
    from lossviz import controls
    from lossviz.cli_parse import parse_run
    from optimizers import defaults
    from lossviz.scenes import RunSpec
    from lossviz.sweeps import sweep_grid

    explorer = controls.with_hyper(RunSpec("adam", 0.01, {"betas": (0.8, 0.95)}), "beta1", 0.5).hyper
    cli = parse_run("adam:lr=0.01,betas=0.8/0.95,beta1=0.5", steps=10).hyper
    grid = sweep_grid("adam", "beta1", [0.5])
    assert explorer["betas"] == tuple(cli["betas"]) == (0.5, 0.95)
    assert grid == {"betas": [(0.5, defaults("adam")["betas"][1])]}
    assert sweep_grid("rmsprop", "alpha", [0.5, 0.9]) == {"alpha": [0.5, 0.9]}
