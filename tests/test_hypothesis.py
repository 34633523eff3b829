"""Property test over the whole slider box: no slider position raises or hides a divergence.

Every optimizer × every surface, η log-uniform in [1e-8, 10], the optimizer's own sliders over
their ranges (β, β1, β2, α in [0, 0.999], ε log-uniform in [1e-10, 1e-1]), starts inside the
surface's bounds, 50–300 steps, plus optional gradient noise, mini-batches and a schedule.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizers import HYPERPARAMETERS, OPTIMIZERS, factory_kwargs, make_optimizer, run, schedules, slider_params
from surfaces import SURFACES

SLIDER_BOX = {
    "momentum": (0.0, 0.999),
    "beta1": (0.0, 0.999),
    "beta2": (0.0, 0.999),
    "alpha": (0.0, 0.999),
    "eps": (1e-10, 1e-1),
}


def log_uniform(low: float, high: float):
    return st.floats(math.log10(low), math.log10(high)).map(lambda e: 10.0**e)


@st.composite
def settings_in_the_slider_box(draw):
    name = draw(st.sampled_from(sorted(OPTIMIZERS)))
    surface = SURFACES[draw(st.sampled_from(sorted(SURFACES)))]
    sliders = {}
    for key in slider_params(name):
        meta = HYPERPARAMETERS[key]
        if meta.log:
            sliders[key] = draw(log_uniform(meta.low, meta.high))
        else:
            sliders[key] = draw(st.floats(meta.low, meta.high))
    (x0, x1), (y0, y1) = surface.bounds
    batch = draw(st.integers(1, 3))
    starts = [(draw(st.floats(x0, x1)), draw(st.floats(y0, y1))) for _ in range(batch)]
    lr = draw(log_uniform(1e-8, 10.0))
    schedule = draw(st.sampled_from(["constant", "inverse_sqrt", "warmup_cosine"]))
    steps = draw(st.integers(50, 300))
    if schedule == "inverse_sqrt":
        lr = schedules.inverse_sqrt(lr)
    elif schedule == "warmup_cosine":
        lr = schedules.join(
            [schedules.linear_warmup(lr, warmup_steps=10), schedules.cosine_annealing(lr, total_steps=steps)], [10]
        )
    noise = draw(st.one_of(st.just(0.0), log_uniform(1e-3, 10.0)))
    batch_size = None
    if surface.n_data and draw(st.booleans()):
        batch_size = draw(st.integers(1, surface.n_data))
    return dict(
        surface=surface,
        name=name,
        sliders=sliders,
        start=np.array(starts),
        lr=lr,
        steps=steps,
        grad_noise=noise,
        batch_size=batch_size,
        seed=draw(st.integers(0, 2**32)),
    )


def test_slider_box_is_the_one_the_lecture_needs():
    for key, (low, high) in SLIDER_BOX.items():
        assert (HYPERPARAMETERS[key].low, HYPERPARAMETERS[key].high) == (low, high), key


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(settings_in_the_slider_box())
def test_any_slider_position_runs_and_flags_every_divergence(case):
    opt = make_optimizer(case["name"], **factory_kwargs(case["name"], case["sliders"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning either
        traj = run(
            case["surface"],
            opt,
            lr=case["lr"],
            steps=case["steps"],
            start=case["start"],
            grad_noise=case["grad_noise"],
            batch_size=case["batch_size"],
            seed=case["seed"],
        )
    T, B = case["steps"], len(case["start"])
    assert traj.theta.shape == (T + 1, B, 2)
    for b, k in enumerate(traj.diverged_at):
        k = T + 1 if k < 0 else int(k)  # rows before k are finite, rows from k on are NaN
        assert k >= 1  # starts are inside the bounds, so θ_0 is always fine
        for field in ("theta", "loss", "grad"):
            values = getattr(traj, field)[:, b]
            assert np.isfinite(values[:k]).all(), (field, b)
            assert np.isnan(values[k:]).all(), (field, b)
        for field in ("m", "sigma"):
            values = getattr(traj, field)[:, b]
            assert np.isfinite(values[: k - 1]).all(), (field, b)
            assert np.isnan(values[k:]).all(), (field, b)
        assert (traj.sigma[: k - 1, b] > 0).all()
        assert np.isfinite(traj.effective_lr[: k - 1, b]).all()
        assert np.isfinite(traj.lr[:, b]).all() and (traj.lr[:, b] >= 0).all()
        assert traj.last()[b] == k - 1
