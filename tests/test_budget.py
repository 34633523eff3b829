"""The budget (lossviz.limits): every input that asks for too much work is refused at once,
with one line naming the limit; inputs inside it finish quickly and in bounded memory."""

from __future__ import annotations

import time

import numpy as np
import pytest

import surfaces
from lossviz import limits


def quick(fn, *args, seconds: float = 5.0, **kw):
    """fn(*args, **kw) must return or raise within `seconds`; returns (result or exception)."""
    t = time.perf_counter()
    try:
        out = fn(*args, **kw)
    except ValueError as error:
        out = error
    elapsed = time.perf_counter() - t
    assert elapsed < seconds, f"{fn.__name__}{args} took {elapsed:.1f} s"
    return out


# -- formulas ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, words",
    [
        ("1e999999*x", "out of range"),  # sympy: > 60 s
        ("1e9999999999*x", "out of range"),  # sympy: 4.2 GB in 30 s
        ("1e-999999*x", "out of range"),  # sympy: 33 s, then accepted
        ("1" * 40 + "*x", "too long"),
        ("x**" * 140 + "1", "powers in a chain"),  # RecursionError
        ("(" * 40 + "x" + ")" * 40, "parentheses"),
        ("sin(" * 40 + "x" + ")" * 40, "parentheses"),
    ],
)
def test_formula_numbers_and_depth_are_checked_before_sympy(text, words):
    error = quick(surfaces.expression, text, seconds=2.0)
    assert isinstance(error, ValueError) and words in str(error), error


def test_formula_numbers_inside_the_range_still_work():
    s = surfaces.expression("1e299*x**2*1e-299 + 2.5e-3*y**2")
    assert s.f([1.0, 2.0]) == pytest.approx(1.0 + 2.5e-3 * 4)


@pytest.mark.parametrize(
    "text, where",
    [("1/(x - 0.1)", "x - 0.1 = 0"), ("tan(x)", "cos(x) = 0"), ("1/(x**2 - 2)", "x**2 - 2 = 0"), ("x/(x**2 + y - 1.01)", "= 0")],
)
def test_formula_with_a_pole_inside_the_window_is_refused(text, where):
    with pytest.raises(ValueError, match="pole inside the window") as info:
        surfaces.expression(text)
    assert where in str(info.value)


def test_formula_pole_outside_the_window_is_fine():
    s = surfaces.expression("1/(x - 5) + tan(y/2)", bounds=((-2, 2), (-2, 2)))
    assert s.f([0.0, 0.0]) == pytest.approx(-0.2)
    s = surfaces.expression("1/(x**2 + 1)")
    assert s.f([1.0, 0.0]) == pytest.approx(0.5)


def test_limits_name_the_formula_bounds():
    from surfaces.expression import MAX_LENGTH

    assert limits.MAX_FORMULA_LENGTH == MAX_LENGTH
    assert limits.MAX_NUMBER_MAGNITUDE == 300 and limits.MAX_FORMULA_DEPTH == 30


# -- scenes -----------------------------------------------------------------------------------

from lossviz import style  # noqa: E402
from lossviz.scenes import RunSpec, Scene  # noqa: E402


def test_colours_for_2000_runs_return_fast_and_repeat_only_past_the_spare_pool():
    labels = [f"adam {i}" for i in range(2000)]  # used to loop forever past 814 colours
    colors = quick(style.colors_for, labels, seconds=1.0)
    assert list(colors) == labels
    assert len(set(colors.values())) > 500  # distinct as long as the pool lasts


def test_scene_colours_of_the_largest_scene_are_distinct_and_fast():
    scene = Scene(runs=[{"optimizer": "adam", "lr": 0.01, "label": f"run {i}"} for i in range(limits.MAX_RUNS)], steps=10)
    colors = quick(scene.colors, seconds=1.0)
    assert len(set(colors.values())) == limits.MAX_RUNS


def test_too_many_runs_is_refused_before_any_run_is_built():
    runs = [{"optimizer": "adam", "lr": 0.01, "label": f"r{i}"} for i in range(900)]
    error = quick(Scene, runs=runs, seconds=1.0)
    assert isinstance(error, ValueError) and "at most 100 runs" in str(error) and "900" in str(error)


def test_runs_times_steps_is_capped_for_the_whole_scene():
    with pytest.raises(ValueError, match=r"runs × steps must be at most 1,000,000.*4 × 1,000,000"):
        Scene(runs=[{"optimizer": "adam", "lr": 0.01, "label": f"r{i}"} for i in range(4)], steps=1_000_000)
    Scene(runs=[{"optimizer": "adam", "lr": 0.01}], steps=1_000_000)  # one long run is fine


@pytest.mark.parametrize("field, kw", [("title", {"title": "t" * 100_000}), ("runs[0].label", {"runs": [{"optimizer": "gd", "lr": 0.1, "label": "l" * 1000}]})])
def test_long_text_is_refused_at_once(field, kw):
    error = quick(Scene, **kw, seconds=0.5)
    assert isinstance(error, ValueError) and str(error).startswith(f"{field} is too long")


@pytest.mark.parametrize(
    "kw, field",
    [({"title": r"$\frac{$"}, "title"), ({"runs": [{"optimizer": "gd", "lr": 0.1, "label": r"gd $\alpha^$"}]}, "runs[0].label")],
)
def test_bad_mathtext_is_refused_when_the_scene_is_made(kw, field):
    with pytest.raises(ValueError) as info:
        Scene(**kw)
    assert str(info.value).startswith(f"{field} ") and "not valid mathtext" in str(info.value)


def test_good_mathtext_and_lone_dollars_are_kept():
    scene = Scene(title=r"GD at $\eta = 10^{-2}$ costs $5", runs=[RunSpec("gd", 0.1, label=r"$\beta$ = 0")])
    assert scene.title.endswith("$5") and scene.labels() == [r"$\beta$ = 0"]


def test_a_run_table_without_lr_is_refused():
    with pytest.raises(ValueError, match=r"runs\[0\] needs lr"):
        Scene.from_dict({"runs": [{"optimizer": "adam"}]})


def test_explicit_nesterov_without_momentum_is_refused_like_torch():
    with pytest.raises(ValueError, match="nesterov = true needs momentum > 0"):
        RunSpec("gd", 0.1, {"nesterov": True})
    RunSpec("gd", 0.1, {"nesterov": True, "momentum": 0.9})
    RunSpec("nesterov", 0.1, {"momentum": 0.0})  # the registry entry at β = 0 (a slider position) stays legal


def test_a_huge_list_is_echoed_short():
    with pytest.raises(ValueError) as info:
        Scene(start=list(range(1_000_000)))
    assert len(str(info.value)) < limits.MAX_MESSAGE_LENGTH


def test_deep_nesting_is_one_clear_error():
    deep = {"name": "join", "schedules": [0.1, 0.2], "boundaries": [5]}
    for _ in range(12):
        deep = {"name": "join", "schedules": [deep, 0.1], "boundaries": [5]}
    with pytest.raises(ValueError, match="nested too deeply"):
        Scene.from_dict({"runs": [{"optimizer": "gd", "lr": deep}]})
    with pytest.raises(ValueError, match="nested too deeply"):
        Scene.from_json('{"surface_params": {"a": ' + "[" * 100_000 + "]" * 100_000 + "}}")


def test_large_scene_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text('title = "x"\n' + "# padding\n" * 200_000)
    error = quick(Scene.load, path, seconds=0.5)
    assert isinstance(error, ValueError) and "too large" in str(error) and "1,000,000" in str(error)


def test_toml_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes("\ufeffsteps = 7\n[[runs]]\noptimizer = 'gd'\nlr = 0.1\n".encode())
    assert Scene.load(path).steps == 7
    assert Scene.from_text("\ufeffsteps = 8\n").steps == 8


# -- exports ----------------------------------------------------------------------------------

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from lossviz import export  # noqa: E402


def test_gif_pixels_times_frames_is_refused_before_the_scene_runs(tmp_path, monkeypatch):
    scene = Scene(steps=1999)
    monkeypatch.setattr(Scene, "run", lambda *a, **k: pytest.fail("ran the scene"))
    error = quick(export.save_gif, scene, tmp_path / "a.gif", frames=2000, dpi=600, seconds=1.0)
    assert isinstance(error, ValueError) and "pixels × frames must be at most 1,000,000,000" in str(error)
    from lossviz import style

    w, h = (int(round(v * 600)) for v in style.FIGSIZE)  # the default figure at 600 dpi
    assert f"{w} × {h} × 2,000 frames" in str(error)
    assert list(tmp_path.iterdir()) == []


def test_one_picture_has_a_pixel_bound(tmp_path):
    with pytest.raises(ValueError, match="at most 40,000,000"):
        export.save_png(Scene(steps=5), tmp_path / "a.png", dpi=600, figsize=(40, 40))


def test_frames_are_counted_as_the_run_gives_them():
    # a 30-step scene has 31 frames at most, whatever frames= asks for
    export.check_pixels(None, 300, None, frames=31)
    with pytest.raises(ValueError):
        export.check_pixels(None, 600, None, frames=2000)


def test_gif_frames_stream_into_pillow(tmp_path, monkeypatch):
    # save_gif never holds a list of every frame: Pillow gets an iterator
    monkeypatch.setattr(export, "quantized_frames", lambda *a, **k: pytest.fail("built the whole list"))
    seen = []
    path = export.save_gif(Scene(steps=20), tmp_path / "a.gif", frames=5, dpi=20, progress=lambda d, n: seen.append((d, n)))
    from PIL import Image

    with Image.open(path) as im:
        assert im.n_frames == 5
    assert seen[-1] == (5, 5)


def _fake_ffmpeg(tmp_path, monkeypatch, body: str):
    import os
    import stat
    import sys

    fake = tmp_path / "bin" / "ffmpeg"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text(f"#!{sys.executable}\nimport sys\n{body}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")


@pytest.mark.parametrize("body, status", [("sys.stderr.write('Unknown encoder libx264\\n'); sys.exit(1)", "exit status 1"), ("sys.exit(0)", "exit status 0")])
def test_failing_ffmpeg_is_an_error_and_leaves_no_file(tmp_path, monkeypatch, body, status):
    _fake_ffmpeg(tmp_path, monkeypatch, body)  # exits without reading its input
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RuntimeError, match=f"ffmpeg failed \\({status}\\)"):
        export.save_mp4(Scene(steps=200), out / "a.mp4", frames=60, dpi=40)
    assert list(out.iterdir()) == []


def test_failing_ffmpeg_through_the_cli_exits_2(tmp_path, monkeypatch, capsys):
    from lossviz.cli import main

    _fake_ffmpeg(tmp_path, monkeypatch, "sys.stderr.write('Unknown encoder libx264\\n'); sys.exit(1)")
    out = tmp_path / "out"
    out.mkdir()
    assert main(["mp4", "--steps", "100", "--frames", "50", "--dpi", "40", "-o", str(out / "a.mp4")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "ffmpeg failed" in err[0] and "Unknown encoder libx264" in err[0]
    assert list(out.iterdir()) == []


# -- the Python API: clear ValueErrors, not AttributeError / TypeError -------------------------

import optimizers  # noqa: E402


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda S: optimizers.run("rosenbrock", "adam", lr=0.1, steps=3), "surfaces.SURFACES['rosenbrock']"),
        (lambda S: optimizers.run(S, "adam", lr=0.1, steps=3, labels=5), "labels must be a tuple of texts"),
        (lambda S: optimizers.run(S, "adam", lr=0.1, steps=3, labels="ab"), "labels must be a tuple of texts"),
        (lambda S: optimizers.sweep(S, "adam", steps=3, lr=[0.1], tol="a"), "tol must be a number"),
        (lambda S: optimizers.sweep(S, "adam", steps=3, lr=[0.1], tol=float("nan")), "tol must be a finite number"),
        (lambda S: optimizers.sweep(S, "adam", steps=3, lr=[0.1], escape_radius=-1), "escape_radius must be a finite number in (0, inf)"),
        (lambda S: optimizers.sweep("rosenbrock", "adam", steps=3, lr=[0.1]), "surface must be a Surface"),
    ],
)
def test_bad_arguments_are_value_errors_naming_them(call, words):
    with pytest.raises(ValueError) as info:
        call(surfaces.SURFACES["rosenbrock"])
    assert words in str(info.value)


def test_sweep_work_is_capped_before_it_starts():
    error = quick(optimizers.sweep, surfaces.SURFACES["rosenbrock"], "gd", steps=10_000, lr=list(np.geomspace(1e-4, 1, 1000)),
                  momentum=list(np.linspace(0, 0.9, 300)), seconds=1.0)
    assert isinstance(error, ValueError) and "at most 2,000,000,000" in str(error)


def test_a_view_of_1000_batched_runs_is_refused_at_once():
    from lossviz.view import SceneView

    S = surfaces.SURFACES["rosenbrock"]
    traj = optimizers.run(S, "adam", lr=np.geomspace(1e-4, 1e-1, 1000), steps=5)
    error = quick(SceneView, S, {"adam": traj}, seconds=2.0)  # used to loop forever, then took ~50 s
    assert isinstance(error, ValueError) and "at most 100 runs" in str(error) and "1,000" in str(error)
    SceneView(S, {"adam": optimizers.run(S, "adam", lr=np.geomspace(1e-4, 1e-1, 100), steps=5)}, panels=())
