"""The Explorer's widget-free session: exact runs, the η cache, the arrays sent to the browser,
the static image and its transforms (lossviz.session)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import optimizers
from lossviz import controls as C
from lossviz import session as S
from lossviz.scenes import SCENES, RunSpec, Scene
from lossviz.session import Session

# three methods on Rosenbrock (the old §6 scene): quick to run, with σ and a divergence to see
SMALL = Scene(surface="rosenbrock", runs=[RunSpec("momentum", 2e-3, {"momentum": 0.9}), RunSpec("rmsprop", 0.05), RunSpec("adam", 0.05)],
              steps=500, start=(-1.5, 2.0), title="three methods")
QUICK = [name for name in sorted(SCENES) if SCENES[name].steps * len(SCENES[name].runs) <= 20_000]


def same(a, b):
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", QUICK)
def test_a_scene_is_shown_as_it_is_and_runs_exactly_as_scene_run(name):
    scene = SCENES[name]
    s = Session(scene)
    assert s.scene == scene and s.base == scene and s.lr_index == 0
    ref = scene.run()
    assert list(s.trajectories) == list(ref)
    for label, traj in ref.items():
        same(s.trajectories[label].theta, traj.theta)
        same(s.trajectories[label].sigma, traj.sigma)
        same(s.trajectories[label].diverged_at, traj.diverged_at)


@pytest.mark.parametrize("name", ["small", "p09_batch_size", "p10_saddle", "p02_zigzag"])
@pytest.mark.parametrize("moves", [[3], [1, 2, 3, -5], [-20, 15]])
def test_after_eta_moves_the_runs_are_those_of_the_scaled_scene(name, moves):
    scene = SMALL if name == "small" else SCENES[name]
    s = Session(scene)
    for index in moves:
        s.set_lr_index(index)
    ref = C.scaled(scene, moves[-1]).run()
    assert s.scene == C.scaled(scene, moves[-1])
    for label, traj in ref.items():
        same(s.trajectories[label].theta, traj.theta)
        same(s.trajectories[label].lr, traj.lr)


def test_neighbouring_eta_positions_are_cache_hits(monkeypatch):
    s = Session(SMALL)
    calls = []
    real = optimizers.run
    monkeypatch.setattr(optimizers, "run", lambda *a, **k: calls.append(1) or real(*a, **k))
    for index in range(1, S.WINDOW + 1):
        s.set_lr_index(index)
    assert calls == [], f"{len(calls)} runs for moves inside the computed window"
    s.set_lr_index(S.WINDOW + 5)  # beyond it: one batched run per optimizer
    assert len(calls) == len(SMALL.runs)


def test_a_noisy_run_is_computed_alone(monkeypatch):
    scene = SCENES["p09_batch_size"]  # mini-batch runs: batching over η would change their samples
    s = Session(scene)
    seen = []
    real = optimizers.run
    monkeypatch.setattr(optimizers, "run", lambda *a, **k: seen.append(np.shape(k["start"])) or real(*a, **k))
    s.set_lr_index(2)
    stochastic = [r for r in scene.runs if (r.batch_size or scene.batch_size) is not None or (r.grad_noise or scene.grad_noise)]
    assert stochastic and sum(shape == (1, 2) for shape in seen) >= len(stochastic)


def test_an_index_outside_the_range_is_refused_with_the_range():
    s = Session(SMALL)
    low, high = s.lr_range
    with pytest.raises(ValueError, match=rf"η index must be in \[{low}, {high}\]"):
        s.set_lr_index(high + 1)
    assert s.lr_index == 0


def decoded(s: Session):
    meta, data = s.payload()
    values = np.frombuffer(data, dtype=np.float32)
    blocks, width = {}, len(meta["columns"])
    for run in meta["runs"]:
        block = values[run["offset"]: run["offset"] + meta["rows"] * width].reshape(meta["rows"], width)
        blocks[run["label"]] = {name: block[:, i] for i, name in enumerate(meta["columns"])}
        blocks[run["label"]]["theta"] = block[:, 0:2]
    return meta, blocks


@pytest.mark.parametrize("name", ["small", "p01_stall", "p10_double_well"])
def test_the_arrays_sent_are_the_trajectories_in_float32(name):
    s = Session(SMALL if name == "small" else SCENES[name])
    meta, blocks = decoded(s)
    T = s.scene.steps
    assert meta["stride"] == 1 and meta["rows"] == T + 1 and meta["steps"] == T
    assert [r["color"] for r in meta["runs"]] == list(s.scene.colors().values())
    for label, traj in s.trajectories.items():
        b = blocks[label]
        same(b["theta"], traj.theta[:, 0, :].astype(np.float32))
        same(b["loss"], traj.loss[:, 0].astype(np.float32))
        for panel in meta["panels"]:
            for j, curve in enumerate(panel["curves"]):
                values = S.series(traj, panel["name"])[j]
                same(b[f"{panel['name']}/{j}"][: len(values)], values.astype(np.float32))
                assert curve["dashed"] == (j == 1)
                if len(values) == T:  # η/σ, η_t: one per step taken, none at step T
                    assert np.isnan(b[f"{panel['name']}/{j}"][T])
        d = int(traj.diverged_at[0])
        assert next(r for r in meta["runs"] if r["label"] == label)["diverged_at"] == d
        if d >= 0:
            assert np.isnan(b["theta"][d:]).all()


def test_long_runs_are_sent_every_stride_th_step_and_end_on_the_last():
    scene = SCENES["p02_crawl"].with_(steps=50_001)
    s = Session(scene)
    meta, blocks = decoded(s)
    stride = meta["stride"]
    assert stride == 3 and meta["rows"] * 1 <= S.MAX_ROWS + 1
    traj = next(iter(s.trajectories.values()))
    b = next(iter(blocks.values()))["theta"]
    same(b[:-1, 0], traj.theta[0:50_001:3, 0, 0][: meta["rows"] - 1].astype(np.float32))
    assert b[-1, 0] == np.float32(traj.theta[-1, 0, 0])


def test_panels_carry_information():
    gd = Scene(surface="bowl", runs=[RunSpec("gd", 1e-3)], steps=50)
    assert Session(gd).panels == ("loss", "grad_norm")  # GD, constant η: σ ≡ 1, η_t flat
    assert "effective_lr" in Session(SMALL).panels
    cosine = gd.with_(runs=[RunSpec("gd", {"name": "cosine_annealing", "lr_max": 1e-3, "total_steps": 50})])
    assert Session(cosine).panels[-1] == "lr"
    assert Session(SCENES["p01_stall"]).panels == SCENES["p01_stall"].panels  # a scene that names its panels
    assert Session(SMALL, panels=("loss",)).panels == ("loss",)


def test_the_static_image_and_its_layout_place_data_where_matplotlib_does():
    s = Session(SMALL)
    png, layout = s.static(1000)
    image = Image.open(io.BytesIO(png))
    assert image.size == (layout["width"], layout["height"]) and layout["width"] == 1000
    view = s.view
    for name, ax in view.axes.items():
        info = layout["axes"][name]
        x0, y0, x1, y1 = info["box"]
        assert 0 <= x0 < x1 <= layout["width"] and 0 <= y0 < y1 <= layout["height"]
        # a linear or log axis maps data → pixels as the box and limits say (the front end's rule)
        xs = np.linspace(*ax.get_xlim(), 5)[1:-1]
        ys = np.geomspace(*ax.get_ylim(), 5)[1:-1] if ax.get_yscale() == "log" else np.linspace(*ax.get_ylim(), 5)[1:-1]
        px, py = ax.transData.transform(np.c_[xs, ys]).T
        fy = (np.log10 if ax.get_yscale() == "log" else (lambda v: v))
        want_x = x0 + (xs - info["xlim"][0]) / (info["xlim"][1] - info["xlim"][0]) * (x1 - x0)
        lo, hi = fy(np.asarray(info["ylim"]))
        want_y = y1 - (fy(ys) - lo) / (hi - lo) * (y1 - y0)
        np.testing.assert_allclose(px, want_x, atol=1e-6)
        np.testing.assert_allclose(layout["height"] - py, want_y, atol=1e-6)
    # nothing that moves is in it: no path colour inside the contour axes
    rgb = np.asarray(image.convert("RGB"))
    x0, y0, x1, y1 = (int(v) for v in layout["axes"]["surface"]["box"])
    inner = rgb[y0 + 2: y1 - 2, x0 + 2: x1 - 2].reshape(-1, 3)
    for color in s.scene.colors().values():
        c = np.array([int(color[i: i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(inner.astype(int) - c).sum(axis=1) < 6).mean() < 0.002, color


def test_panel_limits_hold_while_eta_moves_a_little_and_grow_when_data_leave():
    s = Session(SMALL)
    s.static(800)
    s.set_lr_index(1)
    assert not s.static_dirty  # small η moves: same axes, nothing to redraw
    s.set_lr_index(40)  # η × 100: momentum diverges, the loss leaves the panel
    assert s.static_dirty
    _, layout = s.static(800)
    assert not s.static_dirty
    s.set_lr_index(39)
    assert not s.static_dirty  # limits only grew: η one step back still fits


def test_status_and_snapshot():
    s = Session(SMALL)
    text = s.status(0)
    assert text.startswith("step 0 / 500 · start=(-1.5, 2) · η ×1")  # (SMALL)
    for label in s.trajectories:
        assert label in text
    fig = s.snapshot(10)
    assert fig.axes and fig.get_size_inches()[0] > 0


def test_the_cache_is_bounded_in_steps_and_keeps_what_is_shown(monkeypatch):
    monkeypatch.setattr(S, "CACHE_STEPS", 30_000)
    s = Session(SMALL)  # 3 runs × 501 rows, 41 η positions per batched run
    for index in (5, 60, -30, 45, 2):
        s.set_lr_index(index)
        cached = sum(t.steps + 1 for t in s._runs.values())
        assert cached <= 30_000 + 3 * 501
        assert all(any(t.theta is c.theta for c in s._runs.values()) for t in s.trajectories.values())


def test_the_eta_control_gets_the_quadratic_models_theory():
    bowl = Session(SCENES["p02_zigzag"])
    across = bowl.surface.params["across"]
    assert bowl.payload()[0]["lr"]["theory"]["limit"] == pytest.approx(2 / across)  # GD settles only below 2/λ_max
    assert Session(SCENES["p10_saddle"]).payload()[0]["lr"]["theory"] is None  # a saddle has no stable fixed step


def test_the_step_tables_columns_are_sent_only_while_it_is_open():
    """Closed: the rows are what they were (the η hot path). Open: g, m, σ, η/σ per parameter and
    η_t of every step follow, equal to the Trajectory's (NaN at step T: no update left), and the
    summary comes in the meta."""
    s = Session(SMALL)
    closed, data = s.payload()
    assert "inspect" not in closed and not set(S.INSPECT_COLUMNS) & set(closed["columns"])
    s.inspect = True
    meta, blocks = decoded(s)
    assert meta["columns"][: len(closed["columns"])] == closed["columns"] and meta["columns"][-9:] == list(S.INSPECT_COLUMNS)
    assert meta["inspect"]["columns"] == {c: meta["columns"].index(c) for c in S.INSPECT_COLUMNS}
    T = s.scene.steps
    for label, traj in s.trajectories.items():
        b = blocks[label]
        for i in (0, 1):
            same(b[f"g/{i}"], traj.grad[:, 0, i].astype(np.float32))
            same(b[f"m/{i}"][:T], traj.m[:, 0, i].astype(np.float32))
            same(b[f"sigma/{i}"][:T], traj.sigma[:, 0, i].astype(np.float32))
            same(b[f"lr_over_sigma/{i}"][:T], (traj.lr[:, 0] / traj.sigma[:, 0, i]).astype(np.float32))
            assert np.isnan(b[f"m/{i}"][T]) and np.isnan(b[f"lr_over_sigma/{i}"][T])
        same(b["lr_t"][:T], traj.lr[:, 0].astype(np.float32))
    rows = meta["inspect"]["summary"]["rows"]
    assert [r["run"] for r in rows] == list(s.trajectories) and rows == s.summary().plain()["rows"]
    assert meta["inspect"]["summary"]["tol"] == 1e-3


def test_the_step_table_of_a_long_run_follows_its_stride():
    s = Session(SCENES["p02_crawl"].with_(steps=50_001))
    s.inspect = True
    meta, blocks = decoded(s)
    traj = next(iter(s.trajectories.values()))
    b = next(iter(blocks.values()))
    assert meta["stride"] == 3
    same(b["m/1"][:-1], traj.m[0:50_001:3, 0, 1][: meta["rows"] - 1].astype(np.float32))
    assert np.isnan(b["m/1"][-1]) and b["g/1"][-1] == np.float32(traj.grad[-1, 0, 1])  # the last row is step T
