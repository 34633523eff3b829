"""The Explorer headless: built without a front end, driven the way the browser and a user
drive it -- the front end's messages (η, click, size, fps), and `.value` on every control."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import optimizers
from lossviz import controls as C
from lossviz.explorer import Explorer
from lossviz.lr_spec import peak_lr
from lossviz.scenes import SCENES, RunSpec, Scene


@pytest.fixture
def ex():
    explorer = Explorer(surface="rosenbrock", optimizers=["gd", "adam"], steps=200, lr=1e-3)
    yield explorer
    explorer.close()


def front(explorer, content: dict) -> None:
    """A message from the browser, through the canvas's own handler."""
    explorer.canvas._received(explorer.canvas, content, [])


def ok(explorer):
    assert explorer.last_error is None, f"{type(explorer.last_error).__name__}: {explorer.last_error}"


def sent(explorer) -> dict[str, np.ndarray]:
    """What the front end was sent: label → rows × columns (θ₁, θ₂, f, the panels' curves)."""
    meta, data = explorer.canvas.meta, np.frombuffer(explorer.canvas.data, dtype=np.float32)
    n = meta["rows"] * len(meta["columns"])
    return {r["label"]: data[r["offset"]: r["offset"] + n].reshape(meta["rows"], -1) for r in meta["runs"]}


def lecture_scenes():
    from lossviz.lecture import NOTEBOOKS

    return sorted({e.explorer_scene for e in NOTEBOOKS if getattr(e, "explorer_scene", None)})


@pytest.mark.parametrize("name", lecture_scenes())
def test_showing_a_lecture_scene_never_changes_it(name):
    explorer = Explorer.from_scene(SCENES[name])
    ok(explorer)
    assert explorer.scene == SCENES[name] and explorer.session.lr_index == 0
    assert explorer.canvas.meta["lr"]["index"] == 0 and explorer.canvas.meta["lr"]["factor"] == 1.0
    ref = SCENES[name].run()
    for label, rows in sent(explorer).items():
        np.testing.assert_array_equal(rows[:, 0:2], ref[label].theta[:, 0, :].astype(np.float32))
    # the controls show the scene; syncing them sends nothing back
    assert explorer.scene == SCENES[name]
    explorer.close()


def test_construct_builds_a_scene_and_the_front_end(ex):
    ok(ex)
    assert ex.scene.surface == "rosenbrock" and [r.optimizer for r in ex.scene.runs] == ["gd", "adam"]
    assert ex.canvas.background == b"" and ex.canvas.meta["figsize"]  # no draw until the browser says its size
    front(ex, {"type": "size", "width": 900})
    assert ex.canvas.background[:8] == b"\x89PNG\r\n\x1a\n"
    png = Image.open(io.BytesIO(ex.canvas.background))
    assert png.size == (ex.canvas.geometry["width"], ex.canvas.geometry["height"])
    assert set(ex.canvas.geometry["axes"]) == {"surface", *ex.session.panels}
    assert ex.k == 200 and ex.status.startswith("step 200 / 200")


def test_every_control_has_a_class_and_a_tooltip(ex):
    for name, widget in ex.controls.items():
        if widget is ex.canvas:
            continue
        assert f"lv-{name.replace('_', '-')}" in widget._dom_classes, name
        tip = getattr(widget, "tooltip", None)
        if not isinstance(widget, __import__("ipywidgets").Box):
            assert tip and tip != "null", (name, tip)
    for key in C.hyper_keys():
        assert ex.controls[key].tooltip.startswith(optimizers.HYPERPARAMETERS[key].symbol + " — ")
    assert "lv-explorer" in ex.widget._dom_classes


def test_an_eta_message_scales_every_run_and_answers_with_its_number(ex):
    front(ex, {"type": "lr", "index": 6, "seq": 17})
    ok(ex)
    f = C.factor(6)
    assert [peak_lr(r.lr) for r in ex.scene.runs] == pytest.approx([1e-3 * f, 1e-3 * f])
    assert ex.canvas.meta["lr"]["seq"] == 17 and ex.canvas.meta["lr"]["index"] == 6
    ref = C.scaled(ex.session.base, 6).run()
    for label, rows in sent(ex).items():
        np.testing.assert_array_equal(rows[:, 0:2], ref[label].theta[:, 0, :].astype(np.float32))
    front(ex, {"type": "lr", "index": 0, "seq": 18})
    assert ex.scene == ex.session.base


SCHEDULED = Scene(surface="rosenbrock", steps=300, runs=[
    RunSpec("adagrad_mean", 0.07, label="constant"),
    RunSpec("adagrad_mean", {"name": "inverse_sqrt", "lr": 0.5}, label="decay"),
    RunSpec("adagrad_mean", {"name": "join", "boundaries": [30], "schedules": [
        {"name": "linear_warmup", "lr": 0.1, "warmup_steps": 30}, {"name": "cosine_annealing", "lr_max": 0.1, "total_steps": 270}]},
        label="warm-up, cosine")])


def test_per_run_eta_and_schedules_keep_their_ratios_and_shapes():
    ex = Explorer.from_scene(SCHEDULED)
    base = ex.scene
    ex.set_lr_index(-4)
    ok(ex)
    f = C.factor(-4)
    for old, new in zip(base.runs, ex.scene.runs):
        assert peak_lr(new.lr) == pytest.approx(f * peak_lr(old.lr))
        assert (new.lr["name"] if isinstance(new.lr, dict) else "constant") == (old.lr["name"] if isinstance(old.lr, dict) else "constant")
    assert ex.scene.title == base.title and "η ×0.631" in ex.status


def test_a_click_message_moves_every_start(ex):
    front(ex, {"type": "start", "x": -1.25, "y": 2.5})
    ok(ex)
    assert ex.session.start() == (-1.25, 2.5)
    for rows in sent(ex).values():
        assert tuple(rows[0, :2]) == (np.float32(-1.25), np.float32(2.5))
    assert (ex.controls["start_x"].value, ex.controls["start_y"].value) == (-1.25, 2.5)


def test_the_front_end_asks_for_a_background_of_its_size(ex):
    front(ex, {"type": "size", "width": 1640})
    ok(ex)
    assert ex.canvas.geometry["width"] == 1640
    assert Image.open(io.BytesIO(ex.canvas.background)).size[0] == 1640
    front(ex, {"type": "size", "width": 10**6})  # out of range: ignored
    assert ex.canvas.geometry["width"] == 1640


def test_fps_from_the_front_end_goes_into_the_scene(ex):
    front(ex, {"type": "fps", "fps": 30})
    assert ex.scene.fps == 30 and ex.canvas.meta["fps"] == 30


def test_surface_menu_and_formula(ex):
    front(ex, {"type": "size", "width": 700})
    ex.controls["surface"].value = "bowl"
    ok(ex)
    import surfaces

    assert ex.scene.surface == "bowl" and ex.canvas.geometry["axes"]["surface"]["xlim"] == list(surfaces.SURFACES["bowl"].bounds[0])
    ex.controls["formula"].value = "x**2 + 3*y**2"
    ok(ex)
    assert ex.scene.surface == "expression" and ex.scene.surface_params == {"text": "x**2 + 3*y**2"}
    before = ex.scene
    ex.controls["formula"].value = "x**2 +* y"
    assert ex.last_error is not None and "⚠" in ex.canvas.message
    assert ex.scene == before and ex.controls["formula"].value == "x**2 + 3*y**2"  # snapped back


def test_a_structural_change_drops_a_lecture_title_that_no_longer_fits():
    ex = Explorer.from_scene("p05_rmsprop_v0")
    assert ex.scene.title
    ex.controls["eps"].value = 1e-6  # a knob of the same runs: the title stays
    assert ex.scene.title == SCENES["p05_rmsprop_v0"].title
    ex.controls["surface"].value = "himmelblau"
    assert ex.scene.title == ""


def test_optimizer_checkboxes_add_and_remove_runs(ex):
    ex._boxes["momentum"].value = True
    ok(ex)
    assert [r.optimizer for r in ex.scene.runs] == ["gd", "adam", "momentum"]
    assert ex.scene.runs[-1].lr == ex.scene.runs[0].lr
    ex._boxes["gd"].value = False
    assert [r.optimizer for r in ex.scene.runs] == ["adam", "momentum"]
    ex._boxes["adam"].value = False
    ex._boxes["momentum"].value = False  # none left: refused, the box comes back
    assert ex.last_error is not None and ex._boxes["momentum"].value is True
    assert [r.optimizer for r in ex.scene.runs] == ["momentum"]


def test_the_schedule_menu_and_its_parameters_reach_every_run():
    ex = Explorer(surface="rosenbrock", optimizers=["momentum", "rmsprop", "adam"], steps=500, lr=2e-3)
    peaks = [peak_lr(r.lr) for r in ex.scene.runs]
    ex.controls["schedule"].value = "cosine_annealing"
    ok(ex)
    assert [r.lr["name"] for r in ex.scene.runs] == ["cosine_annealing"] * 3
    assert [r.lr["lr_max"] for r in ex.scene.runs] == peaks
    assert ex.controls["total_steps"].layout.display is None and ex.controls["gamma"].layout.display == "none"
    ex.controls["lr_min"].value = 0.2
    assert [r.lr["lr_min"] for r in ex.scene.runs] == pytest.approx([0.2 * p for p in peaks])
    ex.controls["steps"].value = 300  # a cosine spanning the run keeps spanning it
    assert {r.lr["total_steps"] for r in ex.scene.runs} == {300}


def test_a_scene_whose_runs_differ_shows_its_schedules_as_they_are():
    ex = Explorer.from_scene(SCHEDULED)
    assert ex.controls["schedule"].value == C.FROM_SCENE
    assert ex.scene == SCHEDULED


def test_hyperparameter_sliders_reach_the_optimizers_that_take_them():
    ex = Explorer(surface="rosenbrock", optimizers=["gd", "momentum", "adam", "rmsprop"], steps=100, lr=1e-3)
    assert ex.controls["alpha"].layout.display is None and not ex.controls["momentum"].disabled
    ex.controls["momentum"].value = 0.5
    ex.controls["beta1"].value = 0.7
    ex.controls["alpha"].value = 0.9
    ok(ex)
    hyper = {r.optimizer: r.hyper for r in ex.scene.runs}
    assert hyper["gd"] == {} and hyper["momentum"]["momentum"] == 0.5
    assert hyper["adam"]["betas"] == (0.7, 0.999) and hyper["rmsprop"]["alpha"] == 0.9
    ex._boxes["rmsprop"].value = False
    assert ex.controls["alpha"].layout.display == "none"


def test_steps_noise_batch_seed_and_frames():
    ex = Explorer(surface="regression", optimizers=["gd"], steps=50, lr=0.05)
    ex.controls["steps"].value = 80
    ex.controls["noise"].value = 2.0
    ex.controls["seed"].value = 7
    ex.controls["frames"].value = 30
    ok(ex)
    s = ex.scene
    assert (s.steps, s.grad_noise, s.seed, s.frames) == (80, 2.0, 7, 30)
    assert ex.canvas.meta["frames"] == ex.session.frames.tolist() and len(ex.canvas.meta["frames"]) == 30
    assert not ex.controls["batch_size"].disabled
    ex.controls["batch_size"].value = 8
    assert ex.scene.batch_size == 8
    ex.controls["batch_size"].value = ex.controls["batch_size"].max
    assert ex.scene.batch_size is None  # the maximum is the full batch


def test_scene_text_loads_and_a_bad_one_is_refused(ex, tmp_path):
    text = SCENES["p05_rmsprop_v0"].to_toml()
    ex.controls["scene_text"].value = text
    ex.controls["load"].click()
    ok(ex)
    assert ex.scene == SCENES["p05_rmsprop_v0"]
    ex.controls["scene_text"].value = "surface = 3"
    ex.controls["load"].click()
    assert ex.last_error is not None and ex.scene == SCENES["p05_rmsprop_v0"]


def test_show_snapshot_and_the_step_the_browser_reports(ex):
    ex.canvas.step = 37  # as the front end does when playback stops
    assert ex.k == 37 and ex.status.startswith("step 37 / 200")
    fig = ex.snapshot()
    assert fig.axes and len(fig.axes) == 1 + len(ex.session.panels)
    ex.show(5000)
    assert ex.k == 200


def test_export_button_writes_the_gif_of_the_scene(ex, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ex.controls["frames"].value = 12
    ex.export_options = {"dpi": 40}
    ex.controls["export_name"].value = "out"
    ex.controls["export"].click()
    ok(ex)
    with Image.open(tmp_path / "out.gif") as im:
        assert im.n_frames == 12
    assert "saved out.gif (12 frames)" in ex.status


def test_slow_changes_say_so_while_they_compute(monkeypatch):
    import lossviz.explorer as E

    ex = Explorer(surface="bowl", optimizers=["gd", "adam"], steps=3000, lr=1e-3)
    monkeypatch.setattr(E, "SLOW_CELLS", 5000)  # 2 runs × 3000 steps count as slow now
    seen = []
    ex.canvas.observe(lambda ch: seen.append(ch["new"]), names="busy")
    ex.controls["seed"].value = 3
    assert seen[:2] == [True, False]


def test_errors_never_escape_a_control(ex):
    front(ex, {"type": "lr", "index": 10**6, "seq": 1})
    assert isinstance(ex.last_error, ValueError) and "η index must be in" in str(ex.last_error)
    assert ex.session.lr_index == 0
    front(ex, {"type": "start", "x": float("nan"), "y": 0})
    assert isinstance(ex.last_error, ValueError)
    front(ex, {"type": "lr", "index": 1, "seq": 2})
    ok(ex)


def test_bad_arguments_are_clear():
    with pytest.raises(ValueError, match="hyper: unknown slider"):
        Explorer(hyper={"beta": 0.9})
    with pytest.raises(ValueError, match="choose at least one optimizer"):
        Explorer(optimizers=[])
    with pytest.raises(ValueError, match="unknown"):
        Explorer(optimizers=["sgdx"])
    assert isinstance(Explorer.from_scene(Scene()).scene, Scene)


def test_a_resting_eta_control_gets_a_background_that_fits():
    ex = Explorer(surface="rosenbrock", optimizers=["momentum", "adam"], steps=200, lr=2e-3)
    front(ex, {"type": "size", "width": 800})
    before = ex.canvas.geometry
    front(ex, {"type": "lr", "index": 40, "seq": 1})  # η × 100: the curves leave the panels
    assert ex.session.static_dirty and ex.canvas.geometry is before  # not on the η hot path
    ex.refresh()  # what the kernel's event loop runs once the control rests
    assert not ex.session.static_dirty and ex.canvas.geometry["version"] == ex.session.version


def test_opening_the_step_table_sends_its_columns_and_the_summary(ex):
    """The browser sets `inspect`; the kernel answers with one push of the wider rows, and a
    closed table sends the narrow rows again."""
    narrow = len(ex.canvas.meta["columns"])
    ex.canvas.inspect = True
    meta = ex.canvas.meta
    assert ex.session.inspect and len(meta["columns"]) == narrow + 9 and "inspect" in meta
    assert len(ex.canvas.data) == 4 * meta["rows"] * len(meta["columns"]) * len(meta["runs"])
    assert [r["run"] for r in meta["inspect"]["summary"]["rows"]] == list(ex.trajectories)
    assert ex.summary().rows == ex.session.summary().rows
    ex.canvas._received(ex.canvas, {"type": "lr", "index": 3, "seq": 1}, [])  # an η move keeps the table's columns
    assert "inspect" in ex.canvas.meta and ex.canvas.meta["lr"]["index"] == 3
    ex.canvas.inspect = False
    assert "inspect" not in ex.canvas.meta and len(ex.canvas.meta["columns"]) == narrow
