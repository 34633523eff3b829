"""The pure mapping between the Explorer's controls and a scene (lossviz.controls)."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import optimizers
from lossviz import controls as C
from lossviz.lr_spec import peak_lr, schedule_from_spec
from lossviz.scenes import SCENES, RunSpec, Scene


def etas(spec, steps=300):
    lr = schedule_from_spec(spec)
    return np.asarray(lr(np.arange(steps)), dtype=float) if callable(lr) else np.full(steps, float(lr))


def test_factor_is_exactly_one_at_the_scene_and_a_decade_per_20_steps():
    assert C.factor(0) == 1.0
    assert C.factor(20) == pytest.approx(10.0, rel=1e-15)
    assert C.factor(-40) == pytest.approx(0.01, rel=1e-15)
    assert C.factor(1) == pytest.approx(10**0.05)


@pytest.mark.parametrize("name", sorted(SCENES))
def test_position_zero_returns_the_scene_itself(name):
    scene = SCENES[name]
    assert C.scaled(scene, 0) is scene


@pytest.mark.parametrize("name", ["p06_adam", "p08_schedules", "p05_rmsprop_alpha", "p09_batch_size"])
@pytest.mark.parametrize("index", [-13, 7, 20])
def test_scaling_keeps_ratios_between_runs_and_the_shape_of_schedules(name, index):
    scene = SCENES[name]
    out = C.scaled(scene, index)
    f = C.factor(index)
    for old, new in zip(scene.runs, out.runs):
        np.testing.assert_allclose(etas(new.lr), f * etas(old.lr), rtol=1e-12)
        assert peak_lr(new.lr) == pytest.approx(f * peak_lr(old.lr), rel=1e-12)
        assert (new.optimizer, new.hyper, new.label) == (old.optimizer, old.hyper, old.label)
    assert out.title == scene.title and out.steps == scene.steps


@pytest.mark.parametrize("name", sorted(SCENES))
def test_the_eta_range_keeps_the_first_runs_eta_inside_the_limits(name):
    scene = SCENES[name]
    low, high = C.lr_range(scene)
    ref = peak_lr(scene.runs[0].lr)
    assert low <= 0 <= high
    lo_eta, hi_eta = ref * C.factor(low), ref * C.factor(high)
    assert C.LR_LIMITS[0] * (1 - 1e-9) <= lo_eta < C.LR_LIMITS[0] * 10**C.LR_STEP
    assert C.LR_LIMITS[1] / 10**C.LR_STEP < hi_eta <= C.LR_LIMITS[1] * (1 + 1e-9)


def test_schedule_menu_comes_from_the_signatures():
    names = C.schedule_names()
    assert set(names) == {n for n in optimizers.SCHEDULES if n != "join"} | {C.WARMUP_COSINE}
    for name in names:
        if name == C.WARMUP_COSINE:
            continue
        params = list(inspect.signature(optimizers.SCHEDULES[name]).parameters)
        assert C.schedule_params(name) == tuple(params[1:])
        assert set(C.schedule_params(name)) <= set(C.PARAM_CONTROLS)


@pytest.mark.parametrize("name", C.schedule_names())
def test_menu_spec_and_parse_menu_round_trip(name):
    params = C.default_params(300)
    params["lr_min"], params["start_lr"] = 0.1, 0.05
    spec = C.menu_spec(name, 0.02, {k: params[k] for k in C.schedule_params(name)})
    menu = C.parse_menu(spec)
    assert menu is not None and menu.name == name and menu.lr == pytest.approx(0.02)
    np.testing.assert_allclose(etas(C.menu_spec(menu.name, menu.lr, menu.params)), etas(spec), rtol=1e-12)
    if name in ("cosine_annealing", C.WARMUP_COSINE):
        assert etas(spec, 1000)[-1] == pytest.approx(0.02 * 0.1)  # η_min is a ratio of the peak


def test_a_schedule_the_menu_cannot_show_is_named_as_such():
    odd = {"name": "join", "schedules": [0.1, 0.01], "boundaries": [10]}
    assert C.parse_menu(odd) is None
    assert C.scene_menu(SCENES["p08_schedules"]) is None  # four different schedules


def test_with_menu_gives_every_run_the_schedule_at_its_own_peak():
    scene = SCENES["p06_adam"]
    out = C.with_menu(scene, "cosine_annealing", {"total_steps": 200, "lr_min": 0.0})
    for old, new in zip(scene.runs, out.runs):
        assert new.lr["name"] == "cosine_annealing" and new.lr["total_steps"] == 200
        assert new.lr["lr_max"] == peak_lr(old.lr)
    assert C.scene_menu(out).name == "cosine_annealing"


def test_sliders_apply_to_the_optimizers_that_take_them():
    assert not C.accepts("gd", "momentum") and C.accepts("momentum", "momentum") and C.accepts("nesterov", "momentum")
    assert not C.accepts("rmsprop", "momentum")  # its default β is 0: not a momentum method
    assert C.accepts("adam", "beta1") and C.accepts("adam", "eps") and not C.accepts("adam", "alpha")
    assert C.accepts("rmsprop", "alpha") and not C.accepts("gd", "eps")
    run = C.with_hyper(RunSpec("adam", 0.01), "beta2", 0.9)
    assert run.hyper == {"betas": (0.9, 0.9)}
    scene = Scene(runs=[RunSpec("gd", 0.01), RunSpec("adam", 0.01, {"betas": (0.8, 0.99)})])
    assert C.slider_value(scene, "beta1") == 0.8 and C.slider_value(scene, "alpha") is None


def test_every_control_has_a_tooltip_naming_its_symbol():
    for key in C.hyper_keys():
        symbol = optimizers.HYPERPARAMETERS[key].symbol
        assert C.tooltip(key).startswith(symbol + " — "), (key, C.tooltip(key))
    assert C.TOOLTIPS["lr"].startswith("η — learning rate")
    for spec in C.PARAM_CONTROLS.values():
        assert spec["tip"] and spec["symbol"]
    assert not math.isnan(C.LR_STEP)
