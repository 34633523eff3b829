"""The command line under hostile input: negative values, formulas and labels as typed,
ASCII terminals, signals in the middle of an export, warnings, progress, long echoes."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from lossviz import cli, cli_commands  # noqa: E402
from lossviz.cli import main  # noqa: E402
from lossviz.cli_parse import parse_run, scene_from_args  # noqa: E402

FAST = ["--steps", "20", "--frames", "4", "--dpi", "20"]


def error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lossviz: error: "), err
    return err[0]


def args_of(*argv):
    return cli.build_parser().parse_args(cli.join_negative_values(list(argv)))


# -- values that start with a minus ---------------------------------------------------------

def test_start_with_a_leading_minus(tmp_path):
    scene = scene_from_args(args_of("png", "--start", "-1.5,2", "--run", "adam:lr=0.01", "-o", "x.png"))
    assert scene.start == (-1.5, 2.0)
    assert main(["png", "--start", "-1.5,2", "--run", "adam:lr=0.01", *FAST[:2], "--dpi", "20", "-o", str(tmp_path / "a.png")]) == 0


def test_figsize_lr_and_values_with_a_leading_minus(capsys, tmp_path):
    assert main(["png", "--figsize", "-6,5", "-o", str(tmp_path / "a.png")]) == 2
    assert "figsize width must be a finite number in [1, 40]" in error_line(capsys)
    assert main(["sweep", "--lr", "-1e-3:1:5", "-o", str(tmp_path / "a.png")]) == 2
    assert "η must be > 0" in error_line(capsys)
    assert main(["sweep", "--optimizers", "momentum", "--lr", "1e-3:1e-1:3", "--steps", "10", "--heatmap", "momentum",
                 "--values", "-0.5:0.5:3", "-o", str(tmp_path / "a.png")]) == 2
    assert "momentum" in error_line(capsys)  # the range is read; β < 0 is refused by name
    assert args_of("png", "--run", "gd:lr=0.1", "--lr", "-1e-3", "-o", "x.png").lr == -1e-3


def test_an_option_after_an_option_is_still_an_option(capsys):
    assert main(["png", "--title", "-o", "x.png"]) == 2  # -o is not taken as the title
    assert "--title: expected one argument" in error_line(capsys)


# -- text as typed ------------------------------------------------------------------------------

def test_formula_with_a_slash_and_a_plain_number(tmp_path):
    scene = scene_from_args(args_of("png", "--surface", "expression", "--surface-param", "text=x**2/2+y**2", "-o", "x.png"))
    assert scene.surface_params["text"] == "x**2/2+y**2"
    assert scene.make_surface().f([2.0, 1.0]) == pytest.approx(3.0)
    scene = scene_from_args(args_of("png", "--surface", "expression", "--surface-param", "text=5", "-o", "x.png"))
    assert scene.surface_params["text"] == "5"
    assert main(["png", "--surface", "expression", "--surface-param", "text=x**2/2+y**2", "--run", "adam:lr=0.1",
                 "--steps", "10", "--dpi", "20", "-o", str(tmp_path / "f.png")]) == 0


def test_formula_window_as_four_numbers():
    scene = scene_from_args(args_of("png", "--surface", "expression", "--surface-param", "text=1/(x - 2.5) + y**2,bounds=-2/2/-1/1", "-o", "x.png"))
    assert scene.make_surface().bounds == ((-2.0, 2.0), (-1.0, 1.0))  # the pole at x = 2.5 lies outside


def test_labels_stay_as_typed():
    assert parse_run("gd:lr=0.1,label=train/test", steps=10).label == "train/test"
    assert parse_run("gd:lr=0.1,label=1e3", steps=10).label == "1e3"
    assert parse_run("adam:lr=0.1,betas=0.8/0.99", steps=10).hyper["betas"] == (0.8, 0.99)


# -- terminals, warnings, progress --------------------------------------------------------------

def run_cli(*argv, env=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "lossviz.cli", *argv], capture_output=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def test_list_on_an_ascii_terminal():
    proc = run_cli("list", env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode("ascii")
    assert "rosenbrock" in out and "\\u03b7" in out  # η as an escape, not a crash


def test_list_prints_formulas_as_plain_text_and_names_the_formula_surface(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "$" not in out and "\\frac" not in out and "\\left" not in out
    assert "f(x, y) = 0.001/2 x^2 + 10 (√(1 + (y/0.1)^2) - 1)" in out
    assert "expression" in out and "--surface-param 'text=" in out


def test_missing_glyphs_are_one_note_on_success(tmp_path, capsys):
    assert main(["png", "--title", "中文标题", "--run", "gd:lr=0.001", "--steps", "5", "--dpi", "20", "-o", str(tmp_path / "a.png")]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lossviz: note: the font has no glyph for") and "Traceback" not in err[0]


def test_a_huge_value_is_echoed_in_one_short_line(tmp_path, capsys):
    start = ",".join(["1"] * 1_000_000)  # used to echo all 2 MB
    assert main(["png", "--start", start, "-o", str(tmp_path / "a.png")]) == 2
    assert len(error_line(capsys)) < 600


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal(monkeypatch, tmp_path):
    monkeypatch.setattr(cli_commands, "PROGRESS_DELAY", 0.0)
    tty = _Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    assert main(["gif", *FAST, "-o", str(tmp_path / "a.gif")]) == 0
    assert "GIF frames: " in tty.getvalue()
    pipe = io.StringIO()  # not a terminal: no bar
    monkeypatch.setattr(sys, "stderr", pipe)
    assert main(["sweep", "--optimizers", "gd", "--lr", "1e-3:1e-1:3", "--steps", "10", "--dpi", "20", "-o", str(tmp_path / "s.png")]) == 0
    assert pipe.getvalue() == ""


def test_sweep_progress_counts_every_configuration_step(monkeypatch, tmp_path):
    import surfaces
    from lossviz.sweeps import sweep_figure

    seen = []
    sweep_figure(surfaces.SURFACES["rosenbrock"], ["gd", "adam"], lr=[1e-3, 1e-2], steps=600, progress=lambda d, n: seen.append((d, n)))
    assert seen[-1] == (2 * 2 * 600, 2 * 2 * 600)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_sweep_work_of_all_optimizers_is_capped(capsys, tmp_path):
    t = time.perf_counter()
    # each sweep is 1e6 configurations × 1000 steps = 1e9, inside the limit; the three are not
    assert main(["sweep", "--optimizers", "gd,momentum,nesterov", "--lr", "1e-4:1:1000", "--heatmap", "momentum", "--values", "0:0.9:1000",
                 "--steps", "1000", "-o", str(tmp_path / "s.png")]) == 2
    line = error_line(capsys)
    assert "at most 2,000,000,000" in line and "3 × 1,000,000 × 1,000" in line and time.perf_counter() - t < 5


# -- signals ------------------------------------------------------------------------------------

@pytest.mark.parametrize("signame, status", [("SIGINT", 130), ("SIGTERM", 143), ("SIGHUP", 129)])
def test_a_signal_during_an_export_leaves_nothing_and_no_traceback(tmp_path, signame, status):
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lossviz.cli", "gif", "--steps", "2000", "--frames", "1500", "--dpi", "60", "-o", str(out / "a.gif")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.time() + 60
    while not list(out.iterdir()) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)  # the hidden temporary file appears when rendering starts
    assert proc.poll() is None and list(out.iterdir()), "the export ended before it could be interrupted"
    time.sleep(0.3)
    proc.send_signal(getattr(signal, signame))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err.decode()
    assert b"Traceback" not in err and len(err.decode().strip().splitlines()) == 1
    assert list(out.iterdir()) == []


def test_running_a_long_scene_reports_progress_by_steps():
    from lossviz.scenes import Scene

    seen = []
    Scene(runs=[{"optimizer": "gd", "lr": 1e-3}, {"optimizer": "adam", "lr": 1e-3}], steps=2500).run(progress=lambda d, n: seen.append((d, n)))
    assert (1000, 5000) in seen and (3500, 5000) in seen and seen[-1] == (5000, 5000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_png_shows_a_running_bar_on_a_terminal(monkeypatch, tmp_path):
    monkeypatch.setattr(cli_commands, "PROGRESS_DELAY", 0.0)
    tty = _Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    assert main(["png", "--steps", "3000", "--dpi", "20", "-o", str(tmp_path / "a.png")]) == 0
    assert "running: " in tty.getvalue()  # (how far it got depends on the speed: tqdm redraws every 0.1 s)


# -- start-up ------------------------------------------------------------------------------------

def test_the_command_starts_without_heavy_imports():
    # Ctrl-C during the first imports used to print a traceback: now `main` is running (and
    # catching it) before numpy, matplotlib or sympy load
    code = "import sys, lossviz.cli; print(sorted(m for m in ('numpy', 'matplotlib', 'sympy', 'lossviz.scenes') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_explorer_without_the_lab_extra_says_what_to_install():
    code = "import sys; sys.modules['ipywidgets'] = None\nfrom lossviz import Explorer"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 1 and "pip install 'lossviz[lab]'" in proc.stderr.strip().splitlines()[-1]


def test_interrupt_while_the_command_imports_its_modules():
    # -X importtime reports each finished import on stderr: the signal goes out right after
    # lossviz.cli has loaded, while the command imports numpy and matplotlib (numpy turns a
    # KeyboardInterrupt inside its C extension into an ImportError: that used to be a traceback)
    proc = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "lossviz.cli", "png", "--steps", "10", "-o", "/nonexistent/x.png"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if re.search(rb"\|\s+numpy", line):  # the first part of numpy has loaded
            break
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=60)
    err = b"".join(seen) + rest
    if proc.returncode == 2:  # the machine was fast enough to finish first: nothing to test
        pytest.skip("the command ended before the signal")
    assert proc.returncode == 130 and b"Traceback" not in err, err.decode()[-2000:]
    assert err.decode().strip().splitlines()[-1] == "lossviz: interrupted"


def test_an_interrupt_that_an_extension_turned_into_an_import_error(monkeypatch, capsys):
    def numpy_like_import(args):  # what numpy's C extension does with a Ctrl-C while it loads
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        except KeyboardInterrupt as interrupt:
            raise ImportError("PyCapsule_Import could not import module \"datetime\"") from interrupt
        return 0

    monkeypatch.setattr(cli, "cmd_list", numpy_like_import)
    assert main(["list"]) == 130
    assert capsys.readouterr().err.strip() == "lossviz: interrupted"


def test_a_sweep_over_too_many_decades_is_refused_not_warned(capsys, tmp_path):
    # 1e-300:1e300 used to print matplotlib's "overflow encountered in exp" on success
    assert main(["sweep", "--lr", "1e-300:1e300:20", "--steps", "5", "--dpi", "20", "-o", str(tmp_path / "s.png")]) == 2
    assert "η must lie in [1e-30, 1e+30] (limits.SWEEP_LR_RANGE)" in error_line(capsys)
    assert main(["sweep", "--lr", "1e-30:1e30:20", "--steps", "5", "--dpi", "20", "-o", str(tmp_path / "s.png")]) == 0
    assert capsys.readouterr().err == ""  # no warning, no note
