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
from lossviz.scenes import SCENES
from lossviz.session import Session

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


@pytest.mark.parametrize("name", ["p06_adam", "p08_schedules", "p09_batch_size", "p10_saddle"])
@pytest.mark.parametrize("moves", [[3], [1, 2, 3, -5], [-20, 15]])
def test_after_eta_moves_the_runs_are_those_of_the_scaled_scene(name, moves):
    s = Session(SCENES[name])
    for index in moves:
        s.set_lr_index(index)
    ref = C.scaled(SCENES[name], moves[-1]).run()
    assert s.scene == C.scaled(SCENES[name], moves[-1])
    for label, traj in ref.items():
        same(s.trajectories[label].theta, traj.theta)
        same(s.trajectories[label].lr, traj.lr)


def test_neighbouring_eta_positions_are_cache_hits(monkeypatch):
    s = Session(SCENES["p06_adam"])
    calls = []
    real = optimizers.run
    monkeypatch.setattr(optimizers, "run", lambda *a, **k: calls.append(1) or real(*a, **k))
    for index in range(1, S.WINDOW + 1):
        s.set_lr_index(index)
    assert calls == [], f"{len(calls)} runs for moves inside the computed window"
    s.set_lr_index(S.WINDOW + 5)  # beyond it: one batched run per optimizer
    assert len(calls) == len(SCENES["p06_adam"].runs)


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
    s = Session(SCENES["p06_adam"])
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


@pytest.mark.parametrize("name", ["p06_adam", "p08_schedules", "p10_double_well"])
def test_the_arrays_sent_are_the_trajectories_in_float32(name):
    s = Session(SCENES[name])
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
                values = S.series(traj)[panel["name"]][j]
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
    assert Session(SCENES["p01_stall"]).panels == ("loss", "grad_norm")  # GD, constant η: σ ≡ 1, η_t flat
    assert "effective_lr" in Session(SCENES["p06_adam"]).panels
    assert Session(SCENES["p08_schedules"]).panels[-1] == "lr"
    assert Session(SCENES["p06_adam"], panels=("loss",)).panels == ("loss",)


def test_the_static_image_and_its_layout_place_data_where_matplotlib_does():
    s = Session(SCENES["p06_adam"])
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
    s = Session(SCENES["p06_adam"])
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
    s = Session(SCENES["p06_adam"])
    text = s.status(0)
    assert text.startswith("step 0 / 500 · start=(-1.5, 2) · η ×1")
    for label in s.trajectories:
        assert label in text
    fig = s.snapshot(10)
    assert fig.axes and fig.get_size_inches()[0] > 0


def test_the_cache_is_bounded_in_steps_and_keeps_what_is_shown(monkeypatch):
    monkeypatch.setattr(S, "CACHE_STEPS", 30_000)
    s = Session(SCENES["p06_adam"])  # 3 runs × 501 rows, 41 η positions per batched run
    for index in (5, 60, -30, 45, 2):
        s.set_lr_index(index)
        cached = sum(t.steps + 1 for t in s._runs.values())
        assert cached <= 30_000 + 3 * 501
        assert all(any(t is c for c in s._runs.values()) for t in s.trajectories.values())
