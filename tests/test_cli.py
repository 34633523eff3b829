"""The `lossviz` command line: exit statuses, one-line errors, files made or not made."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from lossviz.cli import build_parser, main  # noqa: E402
from lossviz.cli_parse import parse_run, parse_value, scene_from_args  # noqa: E402
from lossviz.export import save_gif  # noqa: E402
from lossviz.scenes import SCENES, RunSpec, Scene  # noqa: E402

SMALL = ["--steps", "30", "--frames", "6", "--dpi", "30"]


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("lossviz: error: ")
    assert "Traceback" not in err
    return lines[0]


def test_bad_surface_in_a_subprocess(tmp_path):
    out = tmp_path / "x.gif"
    proc = subprocess.run(
        [sys.executable, "-m", "lossviz.cli", "gif", "--surface", "nope", "--run", "adam:lr=0.01", "-o", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lossviz: error: ")
    assert "nope" in lines[0] and "rosenbrock" in lines[0]  # names the problem and the choices
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for word in ("rosenbrock", "bowl", "saddle", "adam", "betas=(0.9, 0.999)", "momentum", "cosine_annealing", "lr_max", *SCENES):
        assert word in out


def test_gif_with_runs(tmp_path, capsys):
    out = tmp_path / "out.gif"
    code = main(["gif", "--surface", "rosenbrock", "--run", "adam:lr=0.01", "--run", "momentum:lr=0.001,momentum=0.9",
                 "--fps", "20", "-o", str(out), *SMALL])
    assert code == 0, capsys.readouterr().err
    assert "wrote" in capsys.readouterr().out
    with Image.open(out) as im:
        assert im.n_frames == 6 and im.info["duration"] == 50


def test_png_and_options(tmp_path):
    out = tmp_path / "still.png"
    code = main(["png", "--surface", "bowl", "--run", "adam:lr=0.05,betas=0.8/0.99,label=fast", "--run", "gd:lr=0.001",
                 "--start", "1,0.5", "--step", "10", "--steps", "30", "--dpi", "30", "--panels", "loss,lr", "-o", str(out)])
    assert code == 0 and out.exists()


def test_run_spec_parsing():
    spec = parse_run("adam:lr=0.1,betas=0.9/0.99,schedule=cosine_annealing,lr_min=0.001", steps=300)
    assert spec.optimizer == "adam" and spec.hyper == {"betas": (0.9, 0.99)}
    assert spec.lr == {"name": "cosine_annealing", "lr_max": 0.1, "lr_min": 0.001, "total_steps": 300}
    spec = parse_run("adam:lr=0.01,beta1=0.5", steps=10)
    assert spec.hyper == {"betas": (0.5, 0.999)}
    spec = parse_run("rmsprop:lr=0.01,schedule=linear_warmup,warmup_steps=20,start=1/2,noise=0.1,label=warm", steps=10)
    assert spec.lr == {"name": "linear_warmup", "lr": 0.01, "warmup_steps": 20}
    assert spec.start == (1.0, 2.0) and spec.grad_noise == 0.1 and spec.label == "warm"
    assert parse_run("gd", steps=10, default_lr=0.5).lr == 0.5
    assert parse_value("true") is True and parse_value("3") == 3 and parse_value("x") == "x"


@pytest.mark.parametrize(
    "args, words",
    [
        (["gif", "--run", "adamz:lr=0.1"], ["unknown optimizer 'adamz'", "adam", "rmsprop"]),
        (["gif", "--run", "adam:lr"], ["expected key=value", "'lr'"]),
        (["gif", "--run", "adam:lr=0.1,momentum=0.9"], ["adam has no key 'momentum'", "betas"]),
        (["gif", "--run", "gd"], ["give the learning rate"]),
        (["gif", "--run", "gd:lr=-1"], ["lr"]),
        (["gif", "--run", "adam:lr=0.1,schedule=warp"], ["unknown schedule 'warp'", "cosine_annealing"]),
        (["gif", "--run", "adam:lr=0.1", "--steps", "0"], ["steps must be an integer in [1,"]),
        (["gif", "--run", "adam:lr=0.1", "--frames", "1"], ["frames must be an integer in [2, 2000]"]),
        (["gif", "--run", "adam:lr=0.1", "--fps", "500"], ["fps must be an integer in [1, 100]"]),
        (["gif", "--run", "adam:lr=0.1", "--dpi", "5"], ["dpi must be a finite number in [20, 600]"]),
        (["gif", "--run", "momentum:lr=0.1,momentum=1.5"], ["momentum"]),
        (["gif", "--surface", "nope"], ["unknown surface", "'nope'", "rosenbrock"]),
        (["gif", "--scene", "missing.toml"], ["scene file 'missing.toml' does not exist"]),
        (["gif", "--scene", "no_such_scene"], ["neither a scene file", *list(SCENES)[:1]]),
        (["gif", "--start", "1"], ["--start must be two numbers"]),
        (["gif", "--panels", "loss,wiggle"], ["unknown panel 'wiggle'", "grad_norm"]),
        (["gif", "--steps", "ten"], ["--steps", "'ten'"]),
        (["jpeg"], ["invalid choice", "gif"]),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, args, words):
    out = tmp_path / "out.gif"
    assert main([*args, "-o", str(out)]) == 2
    line = one_error_line(capsys)
    for word in words:
        assert word in line, line
    assert list(tmp_path.iterdir()) == []


def test_missing_output_folder(tmp_path, capsys):
    out = tmp_path / "nope" / "out.gif"
    assert main(["gif", "--run", "adam:lr=0.1", "-o", str(out), *SMALL]) == 2
    line = one_error_line(capsys)
    assert "output folder" in line and "nope" in line and "does not exist" in line
    assert not (tmp_path / "nope").exists()


def test_mp4_without_ffmpeg(tmp_path, capsys, monkeypatch):
    import lossviz.export

    monkeypatch.setattr(lossviz.export.shutil, "which", lambda name: None)
    assert main(["mp4", "--run", "adam:lr=0.1", "-o", str(tmp_path / "a.mp4"), *SMALL]) == 2
    assert "ffmpeg" in one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_scene_file_round_trip_gives_the_same_gif(tmp_path, capsys):
    scene = Scene(
        surface="rosenbrock",
        runs=[RunSpec("adam", {"name": "cosine_annealing", "lr_max": 0.05, "total_steps": 40}), RunSpec("momentum", 1e-3, {"momentum": 0.8})],
        steps=40, frames=8, fps=10, title="round trip",
    )
    toml = tmp_path / "scene.toml"
    scene.save(toml)
    out = tmp_path / "cli.gif"
    assert main(["gif", "--scene", str(toml), "--dpi", "30", "-o", str(out)]) == 0, capsys.readouterr().err
    direct = save_gif(scene, tmp_path / "direct.gif", dpi=30)
    assert out.read_bytes() == direct.read_bytes()
    with Image.open(out) as im:
        assert im.n_frames == 8 and im.info["duration"] == 100
    # options override the scene's values
    js = tmp_path / "scene.json"
    scene.save(js)
    assert main(["gif", "--scene", str(js), "--frames", "3", "--dpi", "30", "-o", str(out)]) == 0
    with Image.open(out) as im:
        assert im.n_frames == 3


def test_named_scene(tmp_path):
    name = next(iter(SCENES))
    out = tmp_path / "named.png"
    assert main(["png", "--scene", name, "--dpi", "30", "-o", str(out)]) == 0
    assert out.exists()


def test_sweep_png(tmp_path, capsys):
    out = tmp_path / "sweep.png"
    assert main(["sweep", "--surface", "rosenbrock", "--optimizers", "gd,adam", "--lr", "1e-4:1:12", "--steps", "50",
                 "--dpi", "40", "-o", str(out)]) == 0, capsys.readouterr().err
    with Image.open(out) as im:
        assert im.format == "PNG"
    heat = tmp_path / "heat.png"
    assert main(["sweep", "--surface", "bowl", "--optimizers", "gd,momentum", "--lr", "1e-5:1e-1:8", "--steps", "40",
                 "--heatmap", "momentum", "--values", "0:0.99:6", "--dpi", "40", "-o", str(heat)]) == 0, capsys.readouterr().err
    assert heat.exists()


@pytest.mark.parametrize(
    "args, words",
    [
        (["--optimizers", "gd,adamz"], ["unknown optimizer 'adamz'"]),
        (["--lr", "1e-4:1"], ["--lr must be LOW:HIGH:COUNT"]),
        (["--lr", "0:1:5"], ["η must be > 0"]),
        (["--optimizers", "adam", "--heatmap", "momentum", "--values", "0:0.9:3"], ["adam has no such hyperparameter", "beta1"]),
        (["--heatmap", "momentum"], ["--heatmap needs --values"]),
        (["--surface", "nope"], ["unknown surface", "'nope'"]),
    ],
)
def test_sweep_bad_input(tmp_path, capsys, args, words):
    out = tmp_path / "s.png"
    assert main(["sweep", *args, "--steps", "5", "-o", str(out)]) == 2
    line = one_error_line(capsys)
    for word in words:
        assert word in line, line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.filterwarnings("error")  # a numpy RuntimeWarning before the error would fail the test
@pytest.mark.parametrize(
    "option, text, words",
    [
        ("--lr", "1e-4:inf:5", ["--lr: LOW and HIGH must be finite", "'1e-4:inf:5'"]),
        ("--lr", "nan:1:5", ["--lr: LOW and HIGH must be finite"]),
        ("--lr", "-inf:1:5", ["--lr: LOW and HIGH must be finite"]),
        ("--lr", "1e-4:1:0", ["--lr: COUNT must be an integer in [1, 1000]"]),
        ("--lr", "1:1e-4:5", ["--lr: HIGH must be > LOW"]),
        ("--lr", "0.1:0.1:5", ["--lr: HIGH must be > LOW"]),
        ("--values", "0:inf:5", ["--values: LOW and HIGH must be finite"]),
        ("--values", "0.5:0.5:3", ["--values: HIGH must be > LOW"]),
    ],
)
def test_sweep_range_must_be_finite_and_increasing(tmp_path, capsys, option, text, words):
    extra = ["--heatmap", "momentum", "--optimizers", "momentum"] if option == "--values" else []
    assert main(["sweep", "-o", str(tmp_path / "s.png"), f"{option}={text}", "--steps", "10", *extra]) == 2
    line = one_error_line(capsys)
    for word in words:
        assert word in line, line
    assert list(tmp_path.iterdir()) == []


def test_sweep_infinite_range_prints_one_line_and_no_warning(tmp_path):
    out = tmp_path / "s.png"
    proc = subprocess.run(
        [sys.executable, "-m", "lossviz.cli", "sweep", "-o", str(out), "--lr", "1e-4:inf:5", "--steps", "10"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("lossviz: error: --lr"), proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_png_step_beyond_the_run(tmp_path, capsys):
    out = tmp_path / "a.png"
    assert main(["png", "--steps", "20", "--step", "1000", "-o", str(out)]) == 2
    line = one_error_line(capsys)
    assert "step must be an integer in [0, 20]" in line and "1000" in line
    assert list(tmp_path.iterdir()) == []


def _scene_of(*args):
    return scene_from_args(build_parser().parse_args(["png", "-o", "x.png", *args]))


def test_lr_sets_the_peak_of_every_run_joins_included(tmp_path):
    """`--lr` on a scene: a constant η is replaced, a schedule — a join too — is scaled so
    that its largest η is the new one (it used to leave joins alone)."""
    scene = _scene_of("--scene", "p08_schedules", "--lr", "0.4")  # the scene's peak is 0.2
    constant, inv_sqrt, cosine, join = (r.lr for r in scene.runs)
    assert constant == 0.4 and inv_sqrt == {"name": "inverse_sqrt", "lr": 0.4}
    assert join["schedules"][0] == {"name": "linear_warmup", "lr": 0.4, "warmup_steps": 500, "start_lr": 0.04}
    assert join["schedules"][1] == {"name": "cosine_annealing", "lr_max": 0.4, "total_steps": 9500}
    assert join["boundaries"] == (500,)
    assert cosine["lr_max"] == 0.4
    # a step down keeps its ratio; the lr of every part of a nested join too
    spec = {"name": "join", "schedules": [0.01, {"name": "join", "schedules": [0.001, {"name": "inverse_sqrt", "lr": 0.002}],
                                                 "boundaries": [5]}], "boundaries": [10]}
    path = tmp_path / "step.json"
    Scene(runs=[RunSpec("gd", spec)], steps=30).save(path)
    (run,) = _scene_of("--scene", str(path), "--lr", "0.1").runs
    assert run.lr["schedules"][0] == 0.1
    assert run.lr["schedules"][1]["schedules"][0] == pytest.approx(0.01)
    assert run.lr["schedules"][1]["schedules"][1]["lr"] == pytest.approx(0.02)
    # and the run uses it
    (traj,) = _scene_of("--scene", str(path), "--lr", "0.1", "--steps", "12").run().values()
    assert traj.lr[0, 0] == 0.1 and traj.lr[10, 0] == pytest.approx(0.01)


@pytest.mark.parametrize("value", ["0", "-1", "inf", "nan"])
def test_lr_must_be_positive_and_finite(tmp_path, capsys, value):
    assert main(["png", "--scene", "p08_schedules", "--lr", value, "-o", str(tmp_path / "a.png")]) == 2
    assert "--lr (η) must be a finite number > 0" in one_error_line(capsys)


def test_help_exits_0(capsys):
    assert main(["gif", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "schedule=" in out
    assert "a join scales every part alike" in out  # what --lr does to a scene's schedules


# -- lossviz table and gif --summary: the step inspector and the run summaries

BOWL = ["--surface", "quadratic", "--surface-param", "lam1=1,lam2=1", "--start", "1,1"]


def test_table_prints_every_number_of_update_k(capsys):
    """GD (η = 0.5) on ½(x² + y²) from (1, 1): at k = 2, θ = 0.25, g = θ, Δθ = −0.125, f = 0.0625."""
    assert main(["table", *BOWL, "--run", "gd:lr=0.5", "--steps", "10", "--step", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("step 2:")
    first = lines[2].split()
    assert first[:3] == ["gd", "η=0.5", "θ₁"] and first[3:] == ["0.25", "0.25", "0.25", "1", "0.5", "0.5", "-0.125", "0.0625"]
    assert lines[3].split() == ["θ₂", "0.25", "0.25", "0.25", "1", "0.5", "0.5", "-0.125"]  # f once per run


def test_table_summary_and_csv(tmp_path, capsys):
    out = tmp_path / "steps.csv"
    assert main(["table", *BOWL, "--run", "gd:lr=0.5,label=settles", "--run", "gd:lr=2.5,label=blows up", "--steps", "50",
                 "--summary", "--tol", "1e-3", "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    assert "step 0:" not in text  # only what was asked for
    lines = text.splitlines()
    assert "f − f* ≤ 0.001" in lines[0]
    # f_T = 4⁻⁵⁰ = 2⁻¹⁰⁰ ≈ 7.889e-31, the best, at step 50; within tol at 5 (4⁻⁵ ≤ 10⁻³ < 4⁻⁴)
    assert lines[2].split() == ["settles", "7.889e-31", "7.889e-31", "50", "5", "5", "—", "—"]
    assert lines[3].split()[2:] == ["—", "1", "0", "—", "—", "35", "—"]  # no final f; best f(θ₀) = 1; diverged at 35 (1.5³⁵ > 10⁶)
    import csv

    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 51 * 2 * 2 and rows[10]["run"] == "blows up" and rows[10]["step"] == "2"
    assert float(rows[8 + 4]["theta"]) == pytest.approx(0.125, rel=1e-15)  # step 3 of 'settles': 0.5³
    assert sorted(p.name for p in tmp_path.iterdir()) == ["steps.csv"]


def test_tol_help_states_the_default():
    from lossviz.inspector import DEFAULT_TOL

    import re

    from lossviz.cli_parse import TOL_HELP

    assert float(re.search(r"default ([0-9.e-]+)\)", TOL_HELP).group(1)) == DEFAULT_TOL


@pytest.mark.parametrize("args, words", [
    (["--step", "31"], ["--step must be in 0..30", "31"]),
    (["--summary", "--tol", "0"], ["--tol must be a finite number > 0", "got 0"]),
    (["--summary", "--tol", "inf"], ["--tol", "finite"]),
    (["--summary", "--tol", "-1e-3"], ["--tol", "> 0", "-0.001"]),
    (["--tol", "1e-3"], ["--tol needs --summary"]),
    (["--summary", "--tol", "x"], ["--tol", "expected a number"]),
    (["--csv", "OUT/t.txt"], ["--csv", "must end in .csv"]),
    (["--csv", "OUT/nowhere/t.csv"], ["--csv", "does not exist"]),
])
def test_table_bad_values_exit_2_naming_the_flag(tmp_path, capsys, args, words):
    args = [a.replace("OUT", str(tmp_path)) for a in args]
    assert main(["table", "--steps", "30", *args]) == 2
    line = one_error_line(capsys)
    for word in words:
        assert word in line, line
    assert list(tmp_path.iterdir()) == []


def test_gif_summary_after_the_gif(tmp_path, capsys):
    out = tmp_path / "s.gif"
    assert main(["gif", *BOWL, "--run", "gd:lr=0.5", "--summary", "-o", str(out), "--steps", "20", "--frames", "3", "--dpi", "20"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("wrote") and "f − f* ≤ 0.001" in lines[1] and lines[3].split()[-5:] == ["20", "5", "5", "—", "—"]
    assert main(["gif", "--tol", "-1", "--summary", "-o", str(tmp_path / "t.gif"), *SMALL]) == 2
    assert "--tol must be a finite number > 0" in one_error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.gif"]  # checked before any work
