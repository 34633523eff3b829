"""Scenes as plain data: validation of every field, one canonical form, JSON / TOML round trips."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import lossviz  # noqa: E402,F401  (registers the named lecture scenes)
from lossviz.cli import main  # noqa: E402
from lossviz.lr_spec import schedule_from_spec, with_peak_lr  # noqa: E402
from lossviz.scenes import SCENES, RunSpec, Scene  # noqa: E402

JOIN = {"name": "join", "schedules": [{"name": "linear_warmup", "lr": 0.1, "warmup_steps": 5}, 0.01], "boundaries": [5]}

# ------------------------------------------------------------------------------------------
# 1. no scene file can crash the CLI: every wrongly typed field is one line naming it

BAD_SCENES = [
    ({"runs": 5}, ["runs must be a list of tables", "got 5"]),
    ({"runs": "adam"}, ["runs must be a list of tables"]),
    ({"runs": [5]}, ["runs[0] must be a table"]),
    ({"runs": [{"lr": 0.1}]}, ["runs[0]", "optimizer"]),
    ({"runs": [{"optimizer": 5}]}, ["runs[0].optimizer must be", "got 5"]),
    ({"runs": [{"optimizer": "adamz"}]}, ["runs[0].optimizer: unknown optimizer 'adamz'", "adam", "rmsprop"]),
    ({"runs": [{"optimizer": "adam", "wiggle": 1}]}, ["runs[0]", "unknown key", "wiggle"]),
    ({"start": 5}, ["start must be two numbers", "got 5"]),
    ({"start": "ab"}, ["start must be two numbers"]),
    ({"start": [1, "x"]}, ["start must be two numbers"]),
    ({"start": [1, 2, 3]}, ["start must be two numbers"]),
    ({"runs": [{"optimizer": "adam", "start": [True, 0]}]}, ["runs[0].start must be two numbers"]),
    ({"runs": [{"optimizer": "adam", "hyper": 3}]}, ["runs[0].hyper must be a table", "got 3"]),
    ({"runs": [{"optimizer": "adam", "hyper": {"betas": 5}}]}, ["runs[0].hyper", "betas"]),
    ({"runs": [{"optimizer": "adam", "hyper": {"momentum": 0.9}}]}, ["runs[0].hyper", "momentum"]),
    ({"runs": [{"optimizer": "adam", "hyper": {"eps": [1e-8, 1e-7]}}]}, ["runs[0].hyper.eps must be one value"]),
    ({"runs": [{"optimizer": "adam", "hyper": {"betas": [[0.9, 0.8], [0.99, 0.999]]}}]}, ["runs[0].hyper.betas must be one value"]),
    ({"runs": [{"optimizer": "adam", "label": [1]}]}, ["runs[0].label must be text", "[1]"]),
    ({"runs": [{"optimizer": "adam", "color": 3}]}, ["runs[0].color must be", "got 3"]),
    ({"runs": [{"optimizer": "adam", "color": "notacolour"}]}, ["runs[0].color", "notacolour"]),
    ({"surface": ["bowl"]}, ["surface must be", "['bowl']"]),
    ({"surface": "nope"}, ["unknown surface 'nope'", "rosenbrock"]),
    ({"runs": [{"optimizer": "adam", "lr": {"lr": 0.1}}]}, ["runs[0].lr", "name"]),
    ({"runs": [{"optimizer": "adam", "lr": None}]}, ["runs[0].lr must be a number > 0 or a schedule table {name = ...}, got None"]),
    ({"runs": [{"optimizer": "adam", "lr": [0.1, 0.2]}]}, ["runs[0].lr must be a number > 0 or a schedule table", "[0.1, 0.2]"]),
    ({"runs": [{"optimizer": "adam", "lr": "abc"}]}, ["runs[0].lr must be a number > 0", "'abc'"]),
    ({"runs": [{"optimizer": "adam", "lr": True}]}, ["runs[0].lr must be a number > 0", "True"]),
    ({"runs": [{"optimizer": "adam", "lr": -1}]}, ["runs[0].lr", "-1"]),
    ({"runs": [{"optimizer": "adam", "lr": {"name": "warp"}}]}, ["runs[0].lr.name", "'warp'", "cosine_annealing"]),
    ({"runs": [{"optimizer": "adam", "lr": {"name": 5}}]}, ["runs[0].lr.name", "cosine_annealing"]),
    ({"runs": [{"optimizer": "adam", "lr": {"name": "cosine_annealing", "lr_max": "x", "total_steps": 9}}]}, ["runs[0].lr.lr_max must be a number", "'x'"]),
    ({"runs": [{"optimizer": "adam", "lr": {"name": "cosine_annealing", "lr_max": 0.1}}]}, ["runs[0].lr", "total_steps"]),
    ({"runs": [{"optimizer": "adam", "lr": {"name": "cosine_annealing", "lr_max": 0.1, "total_steps": 9, "x": 1}}]}, ["runs[0].lr", "'x'", "lr_min"]),
    ({"runs": [{"optimizer": "adam", "lr": {"name": "cosine_annealing", "lr_max": 0.1, "total_steps": 0}}]}, ["runs[0].lr", "total_steps"]),
    ({"runs": [{"optimizer": "adam", "lr": {**JOIN, "schedules": 5}}]}, ["runs[0].lr.schedules must be a list", "got 5"]),
    ({"runs": [{"optimizer": "adam", "lr": {**JOIN, "boundaries": 5}}]}, ["runs[0].lr.boundaries must be a list", "got 5"]),
    ({"runs": [{"optimizer": "adam", "lr": {**JOIN, "boundaries": ["x"]}}]}, ["runs[0].lr.boundaries[0]", "'x'"]),
    ({"runs": [{"optimizer": "adam", "lr": {**JOIN, "boundaries": [5, 9]}}]}, ["runs[0].lr", "boundar"]),
    ({"runs": [{"optimizer": "adam", "lr": {**JOIN, "schedules": [0.1, "x"]}}]}, ["runs[0].lr.schedules[1] must be a number > 0", "'x'"]),
    ({"runs": [{"optimizer": "adam", "lr": {**JOIN, "schedules": [0.1, {"lr": 1}]}}]}, ["runs[0].lr.schedules[1]", "name"]),
    ({"runs": [{"optimizer": "adam", "lr": {**JOIN, "wiggle": 1}}]}, ["runs[0].lr", "'wiggle'"]),
    ({"runs": [{"optimizer": "adam", "grad_noise": "x"}]}, ["runs[0].grad_noise must be a number", "'x'"]),
    ({"runs": [{"optimizer": "adam", "grad_noise": -1}]}, ["runs[0].grad_noise", "-1"]),
    ({"runs": [{"optimizer": "adam", "batch_size": 1.5}]}, ["runs[0].batch_size must be an integer", "1.5"]),
    ({"surface_params": 5}, ["surface_params must be a table", "got 5"]),
    ({"surface_params": [1, 2]}, ["surface_params must be a table"]),
    ({"surface_params": {"a": [1, None]}}, ["surface_params.a[1]", "None"]),
    ({"grad_noise": "x"}, ["grad_noise must be a number", "'x'"]),
    ({"grad_noise": [1, 2]}, ["grad_noise must be a number"]),
    ({"batch_size": "x"}, ["batch_size must be an integer", "'x'"]),
    ({"seed": -1}, ["seed must be an integer"]),
    ({"steps": "many"}, ["steps must be an integer", "'many'"]),
    ({"frames": 2.5}, ["frames must be an integer"]),
    ({"title": 5}, ["title must be text", "got 5"]),
    ({"wiggle": 1}, ["unknown scene key", "wiggle"]),
    ([1, 2], ["a scene must be a table"]),
    ({"runs": [{"optimizer": "adam", "lr": 0.01}, {"optimizer": "adam", "lr": 0.01}]}, ["labels must be unique"]),
]


def _error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("lossviz: error: ") and "Traceback" not in captured.err
    return lines[0]


@pytest.mark.parametrize("body, words", BAD_SCENES, ids=[json.dumps(b)[:60] for b, _ in BAD_SCENES])
def test_a_badly_typed_scene_file_is_one_error_line(tmp_path, capsys, body, words):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(body))
    out = tmp_path / "o.png"
    assert main(["png", "--dpi", "20", "-o", str(out), "--scene", str(bad)]) == 2
    line = _error_line(capsys)
    for word in words:
        assert word in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]  # no output, no temporary file


@pytest.mark.parametrize(
    "text, words",
    [
        ("steps = 1979-05-27\n", ["steps must be an integer"]),
        ("[surface_params]\nwhen = 1979-05-27\n", ["surface_params.when"]),
        ("[[runs]]\noptimizer = 'adam'\nlr = 1979-05-27T07:32:00\n", ["runs[0].lr must be a number > 0"]),
        ("this is = not toml [", ["scene TOML is not valid"]),
    ],
)
def test_a_bad_toml_scene_file_is_one_error_line(tmp_path, capsys, text, words):
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    assert main(["png", "-o", str(tmp_path / "o.png"), "--scene", str(bad)]) == 2
    line = _error_line(capsys)
    for word in words:
        assert word in line, line


def test_a_scene_file_that_is_not_utf8_is_one_error_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"title = '\xff\xfe'\n")
    assert main(["png", "-o", str(tmp_path / "o.png"), "--scene", str(bad)]) == 2
    assert "bad.toml" in _error_line(capsys)


def test_construction_validates_before_building_labels():
    # the label is built from lr and grad_noise: they are checked first, and the message names them
    with pytest.raises(ValueError, match=r"^lr must be a number > 0 or a schedule table \{name = \.\.\.\}, got 'abc'$"):
        RunSpec("adam", "abc")
    with pytest.raises(ValueError, match=r"^grad_noise must be a number"):
        RunSpec("adam", 0.1, grad_noise="x")
    with pytest.raises(ValueError, match=r"^runs\[1\]\.lr must be"):
        Scene(runs=[{"optimizer": "gd", "lr": 0.1}, {"optimizer": "adam", "lr": None}])
    with pytest.raises(ValueError, match=r"^runs must be a list of tables"):
        Scene(runs=None)


def test_schedule_from_spec_names_the_problem():
    with pytest.raises(ValueError, match=r"lr\.schedules\[0\]"):
        schedule_from_spec({"name": "join", "schedules": [None], "boundaries": []})
    with pytest.raises(ValueError, match=r"lr must be a number > 0"):
        schedule_from_spec(None)
    assert schedule_from_spec(0.5) == 0.5
    assert schedule_from_spec(JOIN)(0) == 0.0 and schedule_from_spec(JOIN)(7) == 0.01


# ------------------------------------------------------------------------------------------
# 2. one canonical form: a scene equals itself after a trip through JSON or TOML

ROUND_TRIP = {
    "expression with tuples": Scene(
        surface="expression",
        surface_params={"text": "x*y", "bounds": ((-1, 1), (-2, 2)), "start": (0.5, 0.5)},
        runs=[RunSpec("adam", 0.01)],
        steps=10,
    ),
    "None in surface_params": Scene(surface="expression", surface_params={"text": "x**2 + y**2", "start": None}, steps=10),
    "join with tuples": Scene(
        surface="bowl",
        runs=[RunSpec("gd", {"name": "join", "schedules": (0.01, {"name": "inverse_sqrt", "lr": 1e-3}), "boundaries": (10,)})],
        steps=30,
    ),
    "nested join": Scene(
        runs=[RunSpec("adam", {"name": "join", "schedules": [JOIN, {"name": "exponential", "lr": 0.01, "gamma": 0.9}], "boundaries": [20]},
                      {"betas": [0.8, 0.9]}, start=[0, 1], grad_noise=0.1, batch_size=None, color="tab:red")],
        start=[1, 2],
    ),
}


@pytest.mark.parametrize("name", [*ROUND_TRIP, *SCENES])
def test_every_scene_round_trips_equal(name):
    scene = ROUND_TRIP.get(name) or SCENES[name]
    assert Scene.from_json(scene.to_json()) == scene
    assert Scene.from_toml(scene.to_toml()) == scene
    assert Scene.from_dict(scene.to_dict()) == scene
    assert Scene.from_json(Scene.from_toml(scene.to_toml()).to_json()).to_json() == scene.to_json()


def test_the_canonical_form():
    scene = ROUND_TRIP["expression with tuples"]
    assert Scene(surface="expression", surface_params={"text": "x*y", "bounds": [[-1, 1], [-2, 2]], "start": [0.5, 0.5]},
                 runs=[RunSpec("adam", 0.01)], steps=10) == scene
    assert scene.surface_params["bounds"] == ((-1, 1), (-2, 2))
    assert ROUND_TRIP["None in surface_params"].surface_params == {"text": "x**2 + y**2"}
    run = ROUND_TRIP["nested join"].runs[0]
    assert run.lr["schedules"][0]["schedules"][1] == 0.01 and isinstance(run.lr["boundaries"], tuple)
    assert run.hyper == {"betas": (0.8, 0.9)} and run.start == (0.0, 1.0)
    # and it still runs, and draws its surface
    scene.make_surface()
    (traj,) = ROUND_TRIP["join with tuples"].run().values()
    assert traj.steps == 30 and traj.lr[0, 0] == 0.01 and traj.lr[10, 0] == pytest.approx(1e-3)


def test_save_and_load_round_trip(tmp_path):
    for name, scene in ROUND_TRIP.items():
        for suffix in (".json", ".toml"):
            path = tmp_path / f"scene{suffix}"
            scene.save(path)
            assert Scene.load(path) == scene, (name, suffix)


# ------------------------------------------------------------------------------------------
# 3. a new peak η for a schedule (what `lossviz ... --lr` does to a scene's runs)


def test_with_peak_lr():
    assert with_peak_lr(0.01, 0.5) == 0.5
    assert with_peak_lr({"name": "cosine_annealing", "lr_max": 0.1, "total_steps": 9, "lr_min": 0.01}, 0.5) == pytest.approx(
        {"name": "cosine_annealing", "lr_max": 0.5, "total_steps": 9, "lr_min": 0.05}
    )
    # a join: every part scales by the same factor, so the largest η becomes the new peak and
    # the shape (warm-up to η, then η/10) is kept
    new = with_peak_lr(JOIN, 0.5)
    assert new["schedules"][0] == {"name": "linear_warmup", "lr": 0.5, "warmup_steps": 5}
    assert new["schedules"][1] == pytest.approx(0.05) and new["boundaries"] == [5]
    nested = with_peak_lr({"name": "join", "schedules": [JOIN, {"name": "inverse_sqrt", "lr": 0.2}], "boundaries": [9]}, 1.0)
    assert nested["schedules"][1]["lr"] == 1.0 and nested["schedules"][0]["schedules"][0]["lr"] == pytest.approx(0.5)
    assert JOIN["schedules"][0]["lr"] == 0.1  # the spec given is not changed
    with pytest.raises(ValueError, match="lr"):
        with_peak_lr(JOIN, 0.0)


def test_scene_panels_colours_and_line_styles():
    from lossviz import SCENES

    scene = SCENES["p06_adam"]
    assert scene.panels == ("loss", "abs_theta2")
    again = Scene.from_toml(scene.to_toml())
    assert again.panels == scene.panels and Scene.from_json(scene.to_json()).panels == scene.panels
    colors = scene.colors()
    assert list(colors) == scene.labels() and len(set(colors.values())) == 3
    assert all(c.startswith("#") and len(c) == 7 for c in colors.values())
    from lossviz import style

    assert colors[scene.labels()[2]] == style.optimizer_color("adam")  # keyed by RunSpec.optimizer, not the label
    styles = scene.line_styles()
    assert styles[scene.labels()[0]] == "solid" and styles[scene.labels()[2]] == style.optimizer_dashes("adam")
    # runs that differ in one value: a sequential palette ordered by it, all solid
    alpha = SCENES["p05_rmsprop_alpha"]
    assert alpha.varying_value() == [0.1, 0.5, 0.9, 0.99]
    assert list(alpha.colors().values()) == style.sequential_colors(4)
    assert set(alpha.line_styles().values()) == {"solid"}
    with pytest.raises(ValueError, match="panels: unknown panel 'nope'"):
        Scene(panels=["nope"])
    with pytest.raises(ValueError, match="panels must be a list"):
        Scene(panels="loss")
