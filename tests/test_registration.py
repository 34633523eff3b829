"""Registration: one call adds an optimizer, a surface or a schedule everywhere the registries
are read (CLI, scenes, sweeps, colours, README tables), and a scene that names one round-trips
within the session and fails clearly in a fresh one."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import NamedTuple

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import optimizers  # noqa: E402
import surfaces  # noqa: E402
from optimizers import Direction, Optimizer, schedules  # noqa: E402
from surfaces.base import Surface, pack, pack_hessian, xy  # noqa: E402

from lossviz import style, sweeps  # noqa: E402
from lossviz.cli import main  # noqa: E402
from lossviz.cli_parse import parse_run  # noqa: E402
from lossviz.lr_spec import with_peak_lr  # noqa: E402
from lossviz.scenes import RunSpec, Scene  # noqa: E402
from helpers import tool  # noqa: E402


class EmaState(NamedTuple):
    v: np.ndarray


def ema_momentum(beta: float = 0.9) -> Optimizer:
    """A student's momentum in the EMA form: v ← βv + (1 − β)g, Direction(v, 1)."""
    optimizers.base.check_unit("beta", beta)
    b = optimizers.base.column(beta)

    def init(theta):
        return EmaState(np.zeros_like(theta, dtype=float))

    def update(g, state):
        v = b * state.v + (1 - b) * g
        return Direction(v, np.ones_like(v)), EmaState(v)

    return Optimizer(init, update, hyper={"beta": beta})


@pytest.fixture
def student():
    optimizers.register("ema_momentum", ema_momentum, title="momentum, EMA form", symbols={"beta": ("β", 0.0, 0.99)}, color="#123456")
    try:
        yield "ema_momentum"
    finally:
        optimizers.unregister("ema_momentum")
        optimizers.HYPERPARAMETERS.pop("beta", None)


def tilted_bowl(tilt: float = 0.5) -> Surface:
    """f = x² + 4y² + tilt·xy."""

    def f(p):
        x, y = xy(p)
        return x * x + 4 * y * y + tilt * x * y

    def grad(p):
        x, y = xy(p)
        return pack(2 * x + tilt * y, 8 * y + tilt * x)

    def hess(p):
        x, _ = xy(p)
        return pack_hessian(2.0 + 0 * x, tilt, 8.0)

    return Surface(name="whatever", f=f, grad=grad, hess=hess, bounds=((-2.0, 2.0), (-2.0, 2.0)), start=(-1.5, 1.0),
                   minima=((0.0, 0.0),), formula=r"$x^2 + 4y^2 + t\,xy$", description="a tilted bowl", params={"tilt": tilt})


@pytest.fixture
def my_surface():
    surfaces.register("tilted_bowl", tilted_bowl)
    try:
        yield "tilted_bowl"
    finally:
        surfaces.unregister("tilted_bowl")


def halving(lr: float, every: int = 10):
    """η_t = η · ½^⌊t/every⌋."""
    return lambda t: lr * 0.5 ** (np.asarray(t) // every) if np.ndim(t) else lr * 0.5 ** (t // every)


@pytest.fixture
def my_schedule():
    schedules.register("halving", halving)
    try:
        yield "halving"
    finally:
        schedules.unregister("halving")


# ---- optimizers ------------------------------------------------------------------------------


def test_one_call_fills_every_table(student):
    assert optimizers.OPTIMIZERS[student] is ema_momentum
    assert optimizers.TITLES[student] == "momentum, EMA form"
    assert optimizers.HYPERPARAMETERS["beta"].symbol == "β"
    assert optimizers.slider_params(student) == ["beta"]
    assert optimizers.factory_kwargs(student, {"beta": 0.5}) == {"beta": 0.5}
    opt = optimizers.make_optimizer(student, beta=0.5)
    assert opt.name == student  # the registry name, also when the factory set none
    traj = optimizers.run(surfaces.SURFACES["quadratic"], student, lr=0.05, steps=30)
    v, g = 0.0, traj.grad[:-1, 0]
    for t in range(30):  # the EMA form, step by step
        v = 0.9 * v + 0.1 * g[t]
        np.testing.assert_allclose(traj.m[t, 0], v, rtol=1e-12)


def test_a_registered_optimizer_appears_in_the_cli_sweeps_colours_and_readme(student, capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "ema_momentum" in out and "momentum, EMA form" in out and "beta=0.9" in out
    spec = parse_run("ema_momentum:lr=0.01,beta=0.5", steps=10)
    assert spec.optimizer == student and spec.hyper == {"beta": 0.5}
    result = optimizers.sweep(surfaces.SURFACES["quadratic"], student, steps=50, lr=[0.01, 0.1], beta=[0.0, 0.5])
    assert result.final_loss.shape == (2, 2)
    assert sweeps.sweep_keys(student) == ["beta"]
    fig = sweeps.sweep_figure(surfaces.SURFACES["quadratic"], [student], lr=[0.01, 0.1], steps=20, heatmap="beta", values=[0.0, 0.5])
    assert fig.axes[0].get_ylabel() == "β"  # the registered symbol labels the axis
    assert style.optimizer_color(student) == "#123456"
    assert "| `ema_momentum` | momentum, EMA form | `beta=0.9` |" in tool("readme").optimizer_table()


def test_a_scene_with_a_registered_optimizer_round_trips_and_uses_its_colour(student):
    scene = Scene(surface="quadratic", runs=[RunSpec(student, 0.05, {"beta": 0.5}), RunSpec("gd", 0.05)], steps=40)
    for text in (scene.to_json(), scene.to_toml()):
        again = Scene.from_text(text)
        assert again == scene
        np.testing.assert_array_equal(again.run()[again.labels()[0]].theta, scene.run()[scene.labels()[0]].theta)
    assert scene.colors()[scene.labels()[0]] == "#123456"


def test_a_scene_file_with_a_registered_optimizer_saves_and_loads(student, tmp_path):
    scene = Scene(surface="quadratic", runs=[RunSpec(student, 0.05, {"beta": 0.5})], steps=10)
    for suffix in ("toml", "json"):
        path = tmp_path / f"scene.{suffix}"
        scene.save(path)
        assert Scene.load(path) == scene


def test_a_scene_naming_an_unregistered_optimizer_says_which_and_how(student, tmp_path):
    text = Scene(surface="quadratic", runs=[RunSpec(student, 0.05)], steps=20).to_json()
    optimizers.unregister(student)
    try:
        with pytest.raises(ValueError, match=r"runs\[0\]\.optimizer: unknown optimizer 'ema_momentum'.*optimizers\.register"):
            Scene.from_json(text)
    finally:
        optimizers.register("ema_momentum", ema_momentum, title="momentum, EMA form", color="#123456")
    # a fresh session (a new process) has never registered it: the CLI says so in one line
    path, out = tmp_path / "scene.json", tmp_path / "still.png"
    path.write_text(text)
    proc = subprocess.run([sys.executable, "-m", "lossviz.cli", "png", "--scene", str(path), "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown optimizer 'ema_momentum'" in lines[0] and "register" in lines[0]
    assert not out.exists()


def test_an_optimizer_instance_registers_as_an_entry_without_keywords():
    fixed = optimizers.gd(momentum=0.5)
    optimizers.register("half_momentum", fixed, title="momentum 0.5")
    try:
        assert optimizers.defaults("half_momentum") == {}
        ours = optimizers.run(surfaces.SURFACES["quadratic"], "half_momentum", lr=0.01, steps=20).theta
        theirs = optimizers.run(surfaces.SURFACES["quadratic"], optimizers.make_optimizer("momentum", momentum=0.5), lr=0.01, steps=20).theta
        np.testing.assert_array_equal(ours, theirs)
    finally:
        optimizers.unregister("half_momentum")


def broken_shape():
    return Optimizer(lambda th: None, lambda g, s: (Direction(g[:1], 1.0), s))


def broken_sigma():
    return Optimizer(lambda th: None, lambda g, s: (Direction(g, 0.0 * g), s))


def no_default(beta):
    return optimizers.gd(momentum=beta)


@pytest.mark.parametrize(
    "name, factory, kwargs, fragment",
    [
        ("adam", optimizers.adam, {}, "'adam' is a built-in optimizer"),
        ("My Opt", optimizers.adam, {}, "name must be lower-case"),
        ("x1", lambda: "adam", {}, "must return optimizers.Optimizer"),
        ("x1", no_default, {}, "keyword 'beta' of the factory needs a default"),
        ("x1", broken_shape, {}, "shapes (1, 2)"),
        ("x1", broken_sigma, {}, "σ > 0"),
        ("x1", lambda: 1 / 0, {}, "ZeroDivisionError"),
        ("x1", optimizers.adam, {"color": "red"}, "color must be '#rrggbb'"),
        ("x1", optimizers.adam, {"symbols": {"gamma": ("γ", 0, 1)}}, "'gamma', which is not a keyword"),
        ("x1", optimizers.adam, {"symbols": {"eps": ("ε", 0, 1)}}, "slider 'eps' already exists"),
        ("x1", optimizers.adam, {"symbols": {"eps": ("ε", 1, 0)}}, "low < high"),
        ("x1", optimizers.adam, {"title": ""}, "title must be"),
    ],
)
def test_register_refuses_what_would_break_later(name, factory, kwargs, fragment):
    before = dict(optimizers.OPTIMIZERS), dict(optimizers.HYPERPARAMETERS)
    with pytest.raises(ValueError) as info:
        optimizers.register(name, factory, **{"title": "t", **kwargs})
    assert fragment in str(info.value)
    assert (dict(optimizers.OPTIMIZERS), dict(optimizers.HYPERPARAMETERS)) == before  # nothing half-registered


def test_builtins_cannot_be_unregistered():
    with pytest.raises(ValueError, match="'adam' is a built-in"):
        optimizers.unregister("adam")


# ---- surfaces ---------------------------------------------------------------------------------


def test_a_registered_surface_appears_everywhere(my_surface, capsys):
    s = surfaces.SURFACES[my_surface]
    assert s.name == my_surface  # named by the registry
    assert surfaces.make(my_surface, tilt=1.0).params == {"tilt": 1.0}
    scene = Scene(surface=my_surface, surface_params={"tilt": 1.0}, runs=[RunSpec("newton", 1.0)], steps=2)
    again = Scene.from_json(scene.to_json())
    assert np.abs(again.run()[again.labels()[0]].theta[1, 0]).max() < 1e-12  # Newton on its exact hess
    assert main(["list"]) == 0
    assert "tilted_bowl" in capsys.readouterr().out
    assert "| `tilted_bowl` |" in tool("readme").surface_table()


def test_a_wrong_gradient_is_caught_at_registration():
    def wrong() -> Surface:
        s = tilted_bowl()
        return Surface(name="w", f=s.f, grad=lambda p: 2 * np.asarray(p), bounds=s.bounds, start=s.start)

    with pytest.raises(ValueError, match="grad does not match f"):
        surfaces.register("wrong", wrong)
    with pytest.raises(ValueError, match="built-in surface"):
        surfaces.register("bowl", tilted_bowl)
    with pytest.raises(ValueError, match="'scale' has none"):
        surfaces.register("needs_scale", lambda scale: tilted_bowl())
    assert "wrong" not in surfaces.SURFACES


# ---- schedules ---------------------------------------------------------------------------------


def test_a_registered_schedule_works_in_scenes_and_the_cli(my_schedule, capsys):
    spec = {"name": "halving", "lr": 0.1, "every": 5}
    scene = Scene(surface="quadratic", runs=[RunSpec("gd", spec)], steps=12)
    traj = scene.run()[scene.labels()[0]]
    np.testing.assert_allclose(traj.lr[:, 0], 0.1 * 0.5 ** (np.arange(12) // 5))
    assert with_peak_lr(spec, 0.4)["lr"] == 0.4
    assert parse_run("gd:lr=0.2,schedule=halving,every=3", steps=10).lr == {"name": "halving", "lr": 0.2, "every": 3}
    assert main(["list"]) == 0
    assert "halving" in capsys.readouterr().out


def test_schedule_registration_checks_the_peak_and_purity():
    with pytest.raises(ValueError, match="first parameter must be its peak"):
        schedules.register("bad", lambda rate: lambda t: rate)
    with pytest.raises(ValueError, match=r"in \[0, 0.1\]"):
        schedules.register("bad", lambda lr: lambda t: 2 * lr + 0 * np.asarray(t))
    with pytest.raises(ValueError, match="built-in"):
        schedules.register("cosine_annealing", halving)
    assert "bad" not in schedules.SCHEDULES


def test_readers_see_the_registries_at_call_time_not_import_time():
    """No module keeps a copy of a registry made at import (the Explorer reads them when built)."""
    import lossviz.cli
    import lossviz.controls
    import lossviz.explorer
    import lossviz.lecture
    import lossviz.scenes
    import lossviz.session

    for module in (lossviz.cli, lossviz.scenes, sweeps, lossviz.lecture, style, lossviz.controls, lossviz.explorer, lossviz.session):
        for value in vars(module).values():
            for table in (optimizers.OPTIMIZERS, surfaces.SURFACES, schedules.SCHEDULES):
                if isinstance(value, (dict, tuple, list, frozenset)) and value is not table and len(value) >= 5:
                    assert set(value) != set(table), f"{module.__name__} keeps a copy of a registry"


def test_registered_json_files_stay_plain(student):
    data = json.loads(Scene(surface="quadratic", runs=[RunSpec(student, 0.05, {"beta": 0.5})]).to_json())
    assert data["runs"][0] == {"optimizer": "ema_momentum", "lr": 0.05, "hyper": {"beta": 0.5}}


def test_a_scene_naming_an_unregistered_surface_or_schedule_says_how(my_surface, my_schedule):
    text = Scene(surface=my_surface, runs=[RunSpec("gd", {"name": "halving", "lr": 0.1})], steps=5).to_json()
    surfaces.unregister(my_surface)
    try:
        with pytest.raises(ValueError, match=r"unknown surface 'tilted_bowl'.*surfaces\.register"):
            Scene.from_json(text).make_surface()
    finally:
        surfaces.register(my_surface, tilted_bowl)
    schedules.unregister(my_schedule)
    try:
        with pytest.raises(ValueError, match=r"'halving' is not a schedule.*schedules\.register"):
            Scene.from_json(text)
    finally:
        schedules.register(my_schedule, halving)


def test_a_surface_instance_registers_as_an_entry_without_parameters():
    surfaces.register("fixed_bowl", tilted_bowl(0.2), description="one tilted bowl")
    try:
        s = surfaces.make("fixed_bowl")
        assert (s.name, s.params, s.description) == ("fixed_bowl", {}, "one tilted bowl")
        np.testing.assert_array_equal(s.grad(np.array([1.0, 2.0])), tilted_bowl(0.2).grad(np.array([1.0, 2.0])))
        with pytest.raises(ValueError, match="no parameter 'tilt'"):
            surfaces.make("fixed_bowl", tilt=1.0)
    finally:
        surfaces.unregister("fixed_bowl")


def test_a_registered_optimizer_is_in_the_explorer_built_after_it(student):
    from lossviz.explorer import Explorer

    ex = Explorer(surface="quadratic", optimizers=[student, "gd"], steps=30, lr=0.05)
    assert student in ex._boxes and ex._boxes[student].value
    assert ex.controls["beta"].layout.display is None and ex.controls["beta"].tooltip.startswith("β — ")
    ex.controls["beta"].value = 0.5
    assert ex.last_error is None and ex.scene.runs[0].hyper == {"beta": 0.5}
    assert ex.canvas.meta["runs"][0]["color"] == "#123456"


def test_the_explorer_takes_an_optimizer_factory_directly():
    from lossviz.explorer import Explorer

    def my_heavy_ball(beta=0.9):
        def init(theta):
            return np.zeros_like(theta)

        def update(g, m):
            m = beta * m + g
            return Direction(m, np.ones_like(g)), m

        return Optimizer(init, update)

    try:
        ex = Explorer(surface="rosenbrock", optimizers=[my_heavy_ball, "momentum"], steps=40, lr=1e-3)
        assert [r.optimizer for r in ex.scene.runs] == ["my_heavy_ball", "momentum"]
        mine, ref = ex.trajectories.values()
        np.testing.assert_allclose(mine.theta, ref.theta, rtol=1e-12)  # the same rule as torch's SGD momentum
    finally:
        optimizers.unregister("my_heavy_ball")
