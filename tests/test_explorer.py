"""The Explorer widget app, headless: Agg figure shown as PNG in an ipywidgets.Image (the
inline fallback), driven the way a notebook user drives it -- by setting `.value` on its
controls, clicking its buttons and sending matplotlib mouse events to its canvas."""

from __future__ import annotations

import re
from types import SimpleNamespace

import ipywidgets as W
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import optimizers  # noqa: E402
import surfaces  # noqa: E402
from lossviz.explorer import HYPER_KEYS, SCHEDULE_CHOICES, Explorer, accepts, lr_spec, parse_lr_spec  # noqa: E402
from lossviz.export import frame_indices  # noqa: E402
from lossviz.scenes import SCENES, RunSpec, Scene  # noqa: E402
from matplotlib.backend_bases import MouseEvent  # noqa: E402

SMALL = dict(figsize=(6.0, 3.6), dpi=40, backend="inline")  # fast renders; same code paths
FAST = dict(SMALL, panels=())  # the contour alone, for tests about scenes rather than drawing
START_RE = re.compile(r"start\s*=\s*\(\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*\)")  # as the browser test


@pytest.fixture
def ex():
    explorer = Explorer(surface="rosenbrock", optimizers=["gd", "adam"], steps=300, lr=1e-3, **SMALL)
    yield explorer
    explorer.close()


def ok(explorer):
    assert explorer.last_error is None, f"{type(explorer.last_error).__name__}: {explorer.last_error}"


def png_of(explorer) -> bytes:
    value = explorer._figure_widget.value
    assert value[:8] == b"\x89PNG\r\n\x1a\n"
    return bytes(value)


def click(explorer, x, y, axes="surface", button=1):
    """A real MouseEvent at data point (x, y) of `axes`, through the canvas's callbacks."""
    ax = explorer.view.axes[axes]
    px, py = ax.transData.transform((x, y))
    event = MouseEvent("button_press_event", explorer.figure.canvas, px, py, button=button)
    explorer.figure.canvas.callbacks.process("button_press_event", event)


# ------------------------------------------------------------------------------------------
# construction, handles, layout


def test_construct_gives_the_public_handles(ex):
    ok(ex)
    required = ["surface", "formula", "optimizers", "lr", "momentum", "beta1", "beta2", "alpha", "eps", "schedule",
                "steps", "noise", "batch_size", "seed", "start_x", "start_y", "frame", "play", "step", "status",
                "scene_text", "load", "export", "export_name"]
    assert set(required) <= set(ex.controls)
    assert list(ex.trajectories) == ["gd", "adam"]
    assert ex.figure is ex.view.figure
    assert set(ex.view.path_lines) == {"gd", "adam"}
    assert isinstance(ex.widget, W.Box)
    png_of(ex)
    assert isinstance(ex.scene, Scene) and ex.scene.steps == 300
    assert ex.controls["optimizers"].value == ("gd", "adam")
    assert ex.controls["lr"].value == pytest.approx(1e-3)
    assert ex.controls["lr"].readout_format == ".1e"
    assert ex.controls["frame"].value == ex.controls["frame"].max  # the whole path at first
    assert "step 300 / 300" in ex.status and START_RE.search(ex.status)


def test_every_control_has_a_stable_css_class(ex):
    for name, widget in ex.controls.items():
        assert "lv-" + name.replace("_", "-") in widget._dom_classes, name
    assert {"lv-image", "lv-figure"} <= set(ex._figure_widget._dom_classes)
    assert "lv-explorer" in ex.widget._dom_classes


def _descendants(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _descendants(child)


def test_layout_holds_the_figure_and_every_control(ex):
    shown = {id(w) for w in _descendants(ex.widget)}
    assert id(ex._figure_widget) in shown
    assert all(id(w) in shown for w in ex.controls.values())
    assert hasattr(ex, "_ipython_display_")


def test_bad_arguments_are_clear_value_errors():
    with pytest.raises(ValueError, match="adamw"):
        Explorer(optimizers=["adamw"], **SMALL)
    with pytest.raises(ValueError, match="rosenbrok"):
        Explorer(surface="rosenbrok", **SMALL)
    with pytest.raises(ValueError, match="gamma"):
        Explorer(hyper={"gamma": 0.5}, **SMALL)
    with pytest.raises(ValueError, match="lr"):
        Explorer(lr=-1.0, **SMALL)
    with pytest.raises(ValueError, match="at least one"):
        Explorer(optimizers=[], **SMALL)


# ------------------------------------------------------------------------------------------
# the slow path: a control re-runs the optimizers


def test_lr_slider_changes_trajectories_and_path_lines(ex):
    before = {k: t.theta.copy() for k, t in ex.trajectories.items()}
    line_before = ex.view.path_lines["adam"].get_xydata().copy()
    png_before = png_of(ex)
    ex.controls["lr"].value = 1e-2
    ok(ex)
    for label, traj in ex.trajectories.items():
        assert not np.array_equal(traj.theta, before[label], equal_nan=True), label
        np.testing.assert_array_equal(traj.lr, 1e-2)
    assert not np.array_equal(ex.view.path_lines["adam"].get_xydata(), line_before)
    assert all(r.lr == pytest.approx(1e-2) for r in ex.scene.runs)
    assert "η=1.00e-02" in ex.status
    assert png_of(ex) != png_before


def test_hyper_sliders_apply_to_the_optimizers_that_take_them():
    ex = Explorer(optimizers=["gd", "momentum", "adam", "rmsprop"], steps=100, **SMALL)
    gd_before = ex.trajectories["gd"]
    ex.controls["momentum"].value = 0.5
    ok(ex)
    runs = {r.optimizer: r for r in ex.scene.runs}
    assert runs["momentum"].hyper["momentum"] == pytest.approx(0.5)
    assert "momentum" not in runs["gd"].hyper  # "gd" stays the plain baseline
    assert "momentum" not in runs["rmsprop"].hyper
    assert ex.trajectories["gd"] is gd_before  # unchanged runs come from the cache
    ex.controls["beta1"].value = 0.8
    ex.controls["beta2"].value = 0.99
    ex.controls["alpha"].value = 0.9
    ex.controls["eps"].value = 1e-6
    ok(ex)
    runs = {r.optimizer: r for r in ex.scene.runs}
    assert runs["adam"].hyper["betas"] == pytest.approx((0.8, 0.99))
    assert runs["adam"].hyper["eps"] == pytest.approx(1e-6)
    assert runs["rmsprop"].hyper["alpha"] == pytest.approx(0.9)
    assert runs["rmsprop"].hyper["eps"] == pytest.approx(1e-6)
    # a newly chosen optimizer takes the sliders that were moved
    ex.controls["optimizers"].value = ("gd", "momentum", "adam", "rmsprop", "amsgrad")
    ok(ex)
    runs = {r.optimizer: r for r in ex.scene.runs}
    assert runs["amsgrad"].hyper["betas"] == pytest.approx((0.8, 0.99))
    ex.close()


def test_irrelevant_sliders_are_hidden(ex):
    c = ex.controls
    ex.controls["optimizers"].value = ("gd",)
    ok(ex)
    for key in HYPER_KEYS:
        assert c[key].layout.display == "none" and c[key].disabled, key
    ex.controls["optimizers"].value = ("adam",)
    visible = {k for k in HYPER_KEYS if c[k].layout.display != "none"}
    assert visible == {"beta1", "beta2", "eps"}
    ex.controls["optimizers"].value = ("rmsprop", "nesterov")
    visible = {k for k in HYPER_KEYS if c[k].layout.display != "none"}
    assert visible == {"alpha", "eps", "momentum"}
    assert c["batch_size"].disabled  # rosenbrock has no data


def test_slider_ranges_cannot_reach_invalid_values(ex):
    c = ex.controls
    assert (c["lr"].base, c["lr"].min, c["lr"].max) == (10, -8, 1)
    assert (c["eps"].min, c["eps"].max) == (-10, -1)
    for key in ("momentum", "beta1", "beta2", "alpha"):
        assert c[key].min == 0.0 and c[key].max == 0.999
    for name in optimizers.OPTIMIZERS:
        for key in optimizers.slider_params(name):
            assert key in HYPER_KEYS


def test_schedule_menu_builds_schedules(ex):
    c = ex.controls
    assert set(SCHEDULE_CHOICES) <= set(c["schedule"].options)
    c["lr"].value = 1e-3
    c["schedule"].value = "cosine_annealing"
    ok(ex)
    spec = ex.scene.runs[0].lr
    assert spec["name"] == "cosine_annealing" and spec["lr_max"] == pytest.approx(1e-3) and spec["total_steps"] == 300
    eta = ex.trajectories["adam"].lr[:, 0]
    assert eta[0] == pytest.approx(1e-3) and eta[-1] < 1e-5
    assert c["total_steps"].layout.display != "none" and c["gamma"].layout.display == "none"
    c["schedule"].value = "warmup_cosine"
    c["warmup_steps"].value = 50
    ok(ex)
    eta = ex.trajectories["gd"].lr[:, 0]
    assert eta[0] == 0.0 and eta[50] == pytest.approx(1e-3) and eta.argmax() == 50
    c["schedule"].value = "step_decay"
    c["step_size"].value = 100
    c["gamma"].value = 0.5
    ok(ex)
    eta = ex.trajectories["gd"].lr[:, 0]
    np.testing.assert_allclose(eta[[0, 99, 100, 200]], [1e-3, 1e-3, 5e-4, 2.5e-4])
    c["schedule"].value = "constant"
    assert ex.scene.runs[0].lr == pytest.approx(1e-3)


@pytest.mark.parametrize("schedule", [s for s in SCHEDULE_CHOICES if s != "constant"])
def test_lr_spec_parses_back(schedule):
    params = {"step_size": 30, "gamma": 0.5, "lr_decay": 0.1, "total_steps": 200, "lr_min_ratio": 0.25, "warmup_steps": 20}
    spec = lr_spec(schedule, 0.01, params)
    name, lr, back = parse_lr_spec(spec)
    assert (name, lr) == (schedule, 0.01)
    assert lr_spec(name, lr, {**params, **back}) == spec


def test_steps_set_the_frame_range(ex):
    ex.controls["steps"].value = 50
    ok(ex)
    assert ex.trajectories["gd"].steps == 50
    assert ex.controls["frame"].max == len(frame_indices(50, 120)) - 1 == 50
    assert ex.controls["play"].max == ex.controls["frame"].max
    assert ex.k == 50  # a view at the end stays at the (new) end


def test_batch_size_only_for_data_surfaces(ex):
    c = ex.controls
    assert c["batch_size"].disabled
    c["surface"].value = "regression"
    ok(ex)
    n = surfaces.SURFACES["regression"].n_data
    assert not c["batch_size"].disabled and c["batch_size"].max == n
    assert ex.scene.batch_size is None
    c["batch_size"].value = 4
    ok(ex)
    assert ex.scene.batch_size == 4
    c["batch_size"].value = n
    assert ex.scene.batch_size is None  # the maximum is the full batch
    c["surface"].value = "bowl"
    ok(ex)
    assert c["batch_size"].disabled and ex.scene.batch_size is None


def test_noise_and_seed(ex):
    ex.controls["noise"].value = 5.0
    ok(ex)
    first = ex.trajectories["gd"].theta.copy()
    ex.controls["seed"].value = 1
    ok(ex)
    assert ex.scene.grad_noise == 5.0 and ex.scene.seed == 1
    assert not np.array_equal(ex.trajectories["gd"].theta, first, equal_nan=True)


def test_choosing_no_optimizer_keeps_the_runs(ex):
    ex.controls["optimizers"].value = ()
    ok(ex)
    assert ex.controls["optimizers"].value == ("gd", "adam")
    assert "at least one optimizer" in ex.status


# ------------------------------------------------------------------------------------------
# the fast path: frames


def test_show_k_puts_exactly_theta_0_to_k_in_each_line(ex):
    ex.controls["lr"].value = 1e-2  # gd diverges at a small step: its rows are NaN after it
    assert ex.trajectories["gd"].diverged_at[0] > 0
    for k in (0, 1, 3, 17, 150, 299, 300):
        ex.show(k)
        for label, line in ex.view.path_lines.items():
            theta = ex.trajectories[label].theta[: k + 1, 0]
            np.testing.assert_array_equal(line.get_xydata(), theta)
        assert f"step {k} / 300" in ex.status
    ex.show(10_000)
    assert ex.k == 300
    np.testing.assert_array_equal(ex.view.path_lines["adam"].get_xydata(), ex.trajectories["adam"].theta[:, 0])
    ok(ex)


def test_frame_slider_only_moves_artists(ex):
    trajs = ex.trajectories
    png0 = png_of(ex)
    steps = frame_indices(300, 120)
    ex.controls["frame"].value = 10
    ok(ex)
    assert ex.k == steps[10]
    assert all(ex.trajectories[k] is trajs[k] for k in trajs)  # nothing re-ran
    assert f"step {steps[10]} / 300" in ex.status
    assert png_of(ex) != png0
    np.testing.assert_array_equal(ex.view.path_lines["gd"].get_xydata(), trajs["gd"].theta[: steps[10] + 1, 0])
    ex.controls["step"].click()
    assert ex.controls["frame"].value == 11 and ex.k == steps[11]
    ex.controls["step_back"].click()
    ex.controls["step_back"].click()
    assert ex.controls["frame"].value == 9
    ex.controls["frame"].value = ex.controls["frame"].max
    ex.controls["step"].click()  # at the end: stays there
    assert ex.k == 300
    ok(ex)


def test_scrubbing_after_a_full_draw_matches_a_full_draw(ex):
    """The blitted frame is pixel-identical to rendering the same step from scratch."""
    ex.controls["frame"].value = 40
    blitted = png_of(ex)
    ex._redraw(full=True)
    assert png_of(ex) == blitted


def _canvas_pixels(explorer) -> np.ndarray:
    return np.array(explorer.figure.canvas.buffer_rgba())


@pytest.mark.parametrize(
    "changes",
    [
        [("lr", 2e-3), ("lr", 3.3e-3), ("frame", 40), ("lr", 7e-4), ("beta1", 0.8)],
        [("lr", 2e-3), ("lr", 0.5), ("lr", 0.02), ("lr", 1e-3)],  # η = 0.5 and 0.02 make gd diverge
        [("lr", 2e-3), ("optimizers", ("gd", "momentum", "adam")), ("lr", 4e-3), ("surface", "himmelblau"),
         ("lr", 1e-2), ("optimizers", ("nesterov", "rmsprop")), ("lr", 2e-2)],
    ],
    ids=["eta", "divergence", "runs-and-surface"],
)
def test_change_redraws_over_the_cached_contour_pixel_identically(changes, monkeypatch):
    """A change that keeps the contour restores its cached image and draws the rest: the canvas
    then holds exactly what a full draw of the same figure, and a fresh Explorer of the same
    scene, show."""
    ex = Explorer(surface="rosenbrock", optimizers=["gd", "adam"], steps=300, lr=1e-3, **SMALL)
    try:
        ax = ex.view.axes["surface"]
        contour_draws = []
        draw = ax.draw
        monkeypatch.setattr(ax, "draw", lambda renderer: (contour_draws.append(1), draw(renderer))[1])
        fast = 0
        for name, value in changes:
            before = len(contour_draws)
            surface = ex.view.surface
            ex.controls[name].value = value
            ok(ex)
            if name == "lr" and value >= 0.02 and ex.scene.surface == "rosenbrock" and "gd" in ex.trajectories:
                assert ex.trajectories["gd"].diverged.any() and any(m.get_visible() for m in ex.view.paths.marks)
            if name != "frame":
                fast += len(contour_draws) == before
            if name == "lr" and ex.view.surface is surface:
                assert len(contour_draws) == before, f"η = {value}: the contour was drawn again"
            got = _canvas_pixels(ex)
            assert png_of(ex)  # the Image widget got these pixels
            ex.figure.canvas.draw()
            full = _canvas_pixels(ex)
            assert np.array_equal(got, full), f"{(got != full).any(-1).sum()} pixels differ after {name} = {value}"
            if name != "frame":
                fresh = Explorer.from_scene(ex.scene, **SMALL)
                try:
                    fresh.controls["frame"].value = ex.controls["frame"].value
                    assert np.array_equal(got, _canvas_pixels(fresh)), f"fresh Explorer differs after {name} = {value}"
                finally:
                    fresh.close()
        assert fast >= 2
    finally:
        ex.close()


# ------------------------------------------------------------------------------------------
# start point: click and number boxes


def test_click_on_contour_moves_every_start(ex):
    click(ex, 0.5, -0.5)
    ok(ex)
    assert ex.controls["start_x"].value == pytest.approx(0.5, abs=1e-9)
    assert ex.controls["start_y"].value == pytest.approx(-0.5, abs=1e-9)
    assert ex.scene.start == pytest.approx((0.5, -0.5))
    for traj in ex.trajectories.values():
        np.testing.assert_allclose(traj.theta[0, 0], (0.5, -0.5), atol=1e-9)
    m = START_RE.search(ex.status)
    assert (float(m.group(1)), float(m.group(2))) == pytest.approx((0.5, -0.5))


def test_clicks_elsewhere_or_while_zooming_are_ignored(ex):
    start = ex.scene.start
    click(ex, 100.0, 1.0, axes="loss")  # a side panel
    click(ex, 0.5, -0.5, button=3)  # right button
    ex.figure.canvas.toolbar = SimpleNamespace(mode="zoom rect")
    try:
        click(ex, 0.5, -0.5)
    finally:
        ex.figure.canvas.toolbar = None
    fake = SimpleNamespace(inaxes=None, xdata=None, ydata=None, button=1)
    ex._on_click(fake)
    ok(ex)
    assert ex.scene.start == start


def test_fake_event_object_is_enough(ex):
    ex._on_click(SimpleNamespace(inaxes=ex.view.axes["surface"], xdata=-1.0, ydata=1.0, button=1))
    ok(ex)
    assert ex.scene.start == (-1.0, 1.0)


def test_start_boxes(ex):
    ex.controls["start_x"].value = 1.5
    ok(ex)
    assert ex.trajectories["adam"].theta[0, 0, 0] == 1.5
    assert ex.trajectories["adam"].theta[0, 0, 1] == pytest.approx(2.0)  # rosenbrock's default y
    ex.controls["surface"].value = "himmelblau"  # a new surface starts at its own default
    ok(ex)
    assert ex.scene.start is None
    assert (ex.controls["start_x"].value, ex.controls["start_y"].value) == pytest.approx(surfaces.SURFACES["himmelblau"].start)


# ------------------------------------------------------------------------------------------
# no control position raises


SCHEDULE_PARAM_KEYS = ("step_size", "gamma", "lr_decay", "total_steps", "lr_min_ratio", "warmup_steps")


def _extremes(widget):
    if isinstance(widget, W.FloatLogSlider):  # min and max are exponents
        return widget.base**widget.min, widget.base**widget.max
    return widget.min, widget.max


def _sweep_min_max(explorer, names, restore=()):
    """Each named control to its minimum and its maximum (then back, for those in `restore`)."""
    for name in names:
        widget = explorer.controls[name]
        old = widget.value
        for value in (*_extremes(widget), *((old,) if name in restore else ())):
            widget.value = value
            assert explorer.last_error is None, f"{name}={value}: {explorer.last_error!r}"


def test_every_control_at_its_extremes_never_raises():
    # nesterov (β), rmsprop (α, ε) and adam (β₁, β₂, ε): every hyperparameter slider is live
    ex = Explorer(optimizers=["nesterov", "rmsprop", "adam"], steps=60, **SMALL)
    ranged = [n for n, w in ex.controls.items() if hasattr(w, "min") and hasattr(w, "max")]
    _sweep_min_max(ex, [n for n in ranged if n not in SCHEDULE_PARAM_KEYS], restore=("steps", "start_x", "start_y", "frames"))
    for schedule in ex.controls["schedule"].options:
        ex.controls["schedule"].value = schedule
        ok(ex)
        _sweep_min_max(ex, [k for k in SCHEDULE_PARAM_KEYS if ex.controls[k].layout.display != "none"])
    ex.controls["surface"].value = "regression"  # the batch size slider is live here
    _sweep_min_max(ex, ["batch_size", "noise"])
    for _, surface in ex.controls["surface"].options:
        ex.controls["surface"].value = surface
        ok(ex)
    for name in optimizers.OPTIMIZERS:
        ex.controls["optimizers"].value = (name,)
        ok(ex)
    ex.controls["optimizers"].value = tuple(optimizers.OPTIMIZERS)
    ok(ex)
    ex.close()


def test_largest_eta_on_rosenbrock_is_shown_as_diverged(ex):
    ex.controls["lr"].value = 10.0
    ok(ex)
    assert ex.controls["lr"].value == 10.0
    assert ex.trajectories["gd"].diverged_at[0] >= 0
    assert "diverged at step" in ex.status
    for k in (0, 1, 2, 150):
        ex.show(k)
        ok(ex)


# ------------------------------------------------------------------------------------------
# surfaces by formula


def test_formula_box(ex):
    c = ex.controls
    before = ex.trajectories
    c["formula"].value = "x**"
    assert isinstance(ex.last_error, ValueError)
    assert "⚠" in ex.status and "ValueError" in ex.status
    assert ex.scene.surface == "rosenbrock" and ex.trajectories == before
    assert c["surface"].value == "rosenbrock"
    c["formula"].value = "__import__('os').system('true')"
    assert isinstance(ex.last_error, ValueError)
    c["formula"].value = "x**2 + 10*y**2"
    ok(ex)
    assert ex.scene.surface == "expression" and ex.scene.surface_params == {"text": "x**2 + 10*y**2"}
    assert c["surface"].value == "expression"
    assert "⚠" not in ex.status
    c["formula"].value = "(x - 1)**2 + y**2"
    c["formula_apply"].click()
    ok(ex)
    assert ex.surface.f(np.array([1.0, 0.0])) == 0.0


def test_choosing_the_formula_entry_with_an_empty_box_uses_an_example(ex):
    ex.controls["surface"].value = "expression"
    ok(ex)
    assert ex.scene.surface == "expression" and ex.controls["formula"].value


# ------------------------------------------------------------------------------------------
# scenes


def test_from_scene_round_trip():
    scene = SCENES["rosenbrock_race"]
    ex = Explorer.from_scene(scene, **FAST)
    ok(ex)
    assert ex.scene.to_dict() == scene.to_dict()
    assert list(ex.trajectories) == scene.labels()
    expected = scene.run()
    for label, traj in ex.trajectories.items():
        np.testing.assert_array_equal(traj.theta, expected[label].theta)
    again = Explorer.from_scene(ex.scene, **FAST)
    assert again.scene.to_dict() == scene.to_dict()
    ex.close()
    again.close()


def test_explorer_scene_round_trips_through_text(ex):
    ex.controls["schedule"].value = "warmup_cosine"
    ex.controls["beta1"].value = 0.7
    click(ex, 0.25, 0.5)
    scene = ex.scene
    for text in (scene.to_toml(), scene.to_json()):
        other = Explorer.from_scene(Scene.from_text(text), **FAST)
        assert other.scene.to_dict() == scene.to_dict()
        assert other.controls["schedule"].value == "warmup_cosine"
        assert other.controls["beta1"].value == pytest.approx(0.7)
        other.close()


def test_scene_with_an_unusual_schedule_and_out_of_range_values_is_kept():
    spec = {"name": "join", "schedules": [0.01, 0.001, {"name": "inverse_sqrt", "lr": 1e-3}], "boundaries": [10, 20]}
    scene = Scene(surface="bowl", runs=[RunSpec("gd", spec), RunSpec("adam", 1e-9, label="slow adam")], steps=50,
                  grad_noise=80.0, seed=2**40)  # η, noise and seed beyond the controls' ranges
    ex = Explorer.from_scene(scene, **FAST)
    ok(ex)
    assert ex.scene.to_dict() == scene.to_dict()
    assert ex.controls["schedule"].value.startswith("custom") and ex.controls["lr"].disabled
    ex.controls["schedule"].value = "constant"  # back to the menu's schedules
    ok(ex)
    assert not ex.controls["lr"].disabled and "custom" not in str(ex.controls["schedule"].options)
    ex.close()


def test_scene_text_and_load_button(ex):
    c = ex.controls
    text = c["scene_text"].value
    assert Scene.from_text(text).to_dict() == ex.scene.to_dict()
    c["scene_text"].value = text.replace("steps = 300", "steps = 40")
    c["load"].click()
    ok(ex)
    assert ex.scene.steps == 40 and ex.trajectories["gd"].steps == 40 and c["steps"].value == 40
    c["scene_text"].value = "this is = not a scene ["
    c["load"].click()
    assert isinstance(ex.last_error, ValueError) and "⚠" in ex.status
    assert ex.scene.steps == 40
    c["scene_text"].value = '{"surface": "nowhere"}'
    c["load"].click()
    assert isinstance(ex.last_error, ValueError) and "nowhere" in ex.status
    assert ex.scene.surface == "rosenbrock"


def test_load_scene_and_scene_by_name():
    named = Explorer.from_scene("rosenbrock_race", **FAST)
    assert named.scene.to_dict() == SCENES["rosenbrock_race"].to_dict()
    named.close()
    ex = Explorer(steps=20, **FAST)
    ex.load_scene(SCENES["rosenbrock_race"])
    ok(ex)
    assert ex.scene.to_dict() == SCENES["rosenbrock_race"].to_dict()
    assert SCENES["rosenbrock_race"].title and ex.figure.get_suptitle() == SCENES["rosenbrock_race"].title
    assert ex.controls["optimizers"].value == tuple(dict.fromkeys(r.optimizer for r in SCENES["rosenbrock_race"].runs))
    ex.close()


# ------------------------------------------------------------------------------------------
# export


def test_export_button_writes_the_gif(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.chdir(tmp_path)
    ex = Explorer(optimizers=["gd", "adam"], steps=40, lr=1e-3, frames=15, fps=10, **SMALL)
    ex.export_options = {"dpi": 30}  # small and quick; the button's GIF is otherwise save_gif's default
    c = ex.controls
    c["export_name"].value = "race.gif"
    c["export"].click()
    ok(ex)
    with Image.open(tmp_path / "race.gif") as im:
        n = im.n_frames
    assert n == c["frame"].max - c["frame"].min + 1 == 15
    assert "saved race.gif (15 frames)" in ex.status
    # a name without suffix gets .gif; a folder that does not exist is an error in the status
    c["export_name"].value = "clip"
    c["export"].click()
    ok(ex)
    assert (tmp_path / "clip.gif").exists()
    c["export_name"].value = "no/such/folder/x.gif"
    c["export"].click()
    assert isinstance(ex.last_error, ValueError) and "⚠" in ex.status
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.gif", "race.gif"]
    ex.close()


def test_export_gif_method(tmp_path):
    ex = Explorer(steps=30, frames=10, **SMALL)
    path = ex.export_gif(tmp_path / "m.gif", fps=5, dpi=30)
    from PIL import Image

    with Image.open(path) as im:
        assert im.n_frames == 10
    ex.close()


# ------------------------------------------------------------------------------------------
# helpers


def test_accepts_keeps_gd_plain():
    assert not accepts("gd", "momentum") and accepts("momentum", "momentum") and accepts("nesterov", "momentum")
    assert accepts("adam", "beta1") and not accepts("adam", "alpha") and accepts("rmsprop", "alpha")
    assert accepts("adagrad", "eps") and not accepts("adagrad", "beta1")


@pytest.fixture
def keep_backend():
    """`import ipympl` switches pyplot's backend; put the test session's Agg back afterwards."""
    before = matplotlib.get_backend()
    yield
    if matplotlib.get_backend() != before:
        import matplotlib.pyplot as plt

        plt.switch_backend(before)


def test_ipympl_canvas_when_available(keep_backend):
    pytest.importorskip("ipympl")
    ex = Explorer(steps=30, backend="ipympl", figsize=(6, 3.6), dpi=40)
    ok(ex)
    canvas = ex.figure.canvas
    assert isinstance(canvas, W.DOMWidget) and "lv-canvas" in canvas._dom_classes
    assert ex._figure_widget is canvas and ex._image is None
    canvas.draw()  # what the frontend's draw request does
    ex.controls["frame"].value = 5  # blitted
    ok(ex)
    click(ex, 0.5, 0.5)
    ok(ex)
    assert ex.scene.start == pytest.approx((0.5, 0.5))
    ex.close()
