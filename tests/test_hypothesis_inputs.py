"""Property tests of hostile input: typed formulas, scene files and CLI argument lists.

Each generated input must end in a result or in one clear ValueError (the CLI: exit status 0
or 2 with one line on stderr) — never another exception, a RuntimeWarning or a traceback —
and stay inside the budget of `lossviz.limits`: a few seconds and a bounded amount of memory
per input (generous factors, so that a loaded machine does not make them flaky). The inputs
mix plausible values with the extremes that used to hang or crash lossviz (issue 11).
"""

from __future__ import annotations

import json
import math
import resource
import time
import tracemalloc

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.mathtext import MathTextParser  # noqa: E402
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import optimizers  # noqa: E402
import surfaces  # noqa: E402
from lossviz import limits  # noqa: E402
from lossviz.scenes import Scene  # noqa: E402

SECONDS = 10.0  # per input; the slowest accepted formulas take well under a second
MEMORY = 1_000_000_000  # bytes of RSS growth over the whole test: 1e9999999999*x took 4.2 GB

COMMON = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])


def max_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kB


@pytest.fixture(scope="module")
def rss_before():
    return max_rss()


# ------------------------------------------------------------------------------------ formulas

NUMBERS = st.one_of(
    st.integers(0, 10**6).map(str),
    st.floats(0, 1e6, allow_nan=False).map(lambda v: f"{v:g}"),
    st.sampled_from(["1e999999", "1e-999999", "1e9999999999", "9" * 40, "1e300", "1e-300", "0.0", ".5", "1e+0", "2.5e-3"]),
)
ATOMS = st.one_of(NUMBERS, st.sampled_from(["x", "y", "pi", "E", "e", "ln", "X", "__import__", "lambda", "z", "[", "]", "'a'", "@", ","]))
FUNCS = st.sampled_from(["sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "foo", "eval"])
OPS = st.sampled_from(["+", "-", "*", "/", "**", "^", " ", ""])


@st.composite
def formulas(draw, depth: int = 0):
    kind = draw(st.integers(0, 5 if depth < 4 else 0))
    if kind == 0:
        return draw(ATOMS)
    if kind == 1:
        return f"{draw(FUNCS)}({draw(formulas(depth + 1))})"
    if kind == 2:
        return f"({draw(formulas(depth + 1))})"
    if kind == 3:
        return draw(st.sampled_from(["-", "+", ""])) + draw(formulas(depth + 1))
    if kind == 4:  # a long chain or a deep nest: the recursion limits
        n = draw(st.integers(1, 160))
        return draw(st.sampled_from(["x**" * n + "1", "(" * n + "x" + ")" * n, "sin(" * n + "y" + ")" * n, "-" * n + "x"]))
    return f"{draw(formulas(depth + 1))}{draw(OPS)}{draw(formulas(depth + 1))}"


def check_formula(text: str):
    t = time.perf_counter()
    try:
        s = surfaces.expression(text)
    except ValueError as error:
        assert str(error).strip() and "\n" not in str(error).strip(), repr(error)
        s = None
    elapsed = time.perf_counter() - t
    assert elapsed < SECONDS, f"{text[:60]!r} took {elapsed:.1f} s"
    event("accepted" if s is not None else "refused")
    if s is not None:  # an accepted formula is finite at its start and has a finite gradient there
        assert np.isfinite(s.f(np.asarray(s.start))) and np.isfinite(s.grad(np.asarray(s.start))).all()
        assert len(text.strip()) <= limits.MAX_FORMULA_LENGTH
        MathTextParser("path").parse(s.formula, dpi=72, prop=FontProperties())  # its title can be drawn
    return s


@settings(max_examples=300, **COMMON)
@given(formulas())
def test_any_formula_is_a_surface_or_one_clear_error_in_bounded_time(rss_before, text):
    check_formula(text)
    assert max_rss() - rss_before < MEMORY


@settings(max_examples=150, **COMMON)
@given(st.text(max_size=600))
def test_any_text_is_a_surface_or_one_clear_error(rss_before, text):
    check_formula(text)
    assert max_rss() - rss_before < MEMORY


# ------------------------------------------------------------------------------------ scene files

SCALARS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=30),
    st.sampled_from([0, 1, 2, 1e-3, 0.9, 1e6, 10**6, 10**7, 2000, 2001, -1, "adam", "rosenbrock", "$\\frac{$", "x" * 300]),
)
def _nested(inner):
    return st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=8), inner, max_size=4))


VALUES = st.recursive(SCALARS, _nested, max_leaves=12)
LR = st.one_of(
    st.sampled_from([1e-3, 0.01, 0.5, 0.0, -1.0, math.inf, "fast"]),
    st.fixed_dictionaries({"name": st.sampled_from(["cosine_annealing", "step_decay", "join", "nope", "constant"])},
                          optional={"lr": SCALARS, "lr_max": SCALARS, "total_steps": SCALARS, "step_size": SCALARS,
                                    "schedules": VALUES, "boundaries": VALUES}),
)
GOOD_RUN = st.fixed_dictionaries(
    {"optimizer": st.sampled_from(sorted(optimizers.OPTIMIZERS)), "lr": st.floats(1e-6, 1.0)},
    optional={"label": st.text(max_size=20), "start": st.tuples(st.floats(-2, 2), st.floats(-2, 2)), "grad_noise": st.floats(0, 1)},
)
RUN = st.fixed_dictionaries(
    {"optimizer": st.one_of(st.sampled_from(sorted(optimizers.OPTIMIZERS)), SCALARS)},
    optional={"lr": LR, "hyper": st.one_of(VALUES, st.dictionaries(st.sampled_from(["momentum", "betas", "eps", "alpha", "nesterov", "amsgrad"]), VALUES, max_size=3)),
              "start": VALUES, "label": st.one_of(st.text(max_size=20), SCALARS), "color": st.one_of(st.sampled_from(["red", "#123456", "tab:blue"]), SCALARS),
              "grad_noise": SCALARS, "batch_size": SCALARS, "bogus": SCALARS},
)
def mostly(good, bad):
    """`good` nine times in ten (a scene has a dozen fields: most scenes get one bad one)."""
    return st.one_of(*[good] * 9, bad)


SCENE = st.fixed_dictionaries(
    {},
    optional={"surface": mostly(st.sampled_from(sorted(surfaces.SURFACES)), SCALARS),
              "surface_params": mostly(st.just({}), VALUES),
              "runs": mostly(st.lists(GOOD_RUN, min_size=1, max_size=4), st.one_of(st.lists(st.one_of(GOOD_RUN, RUN), max_size=4), VALUES)),
              "steps": mostly(st.integers(1, 100), SCALARS),
              "start": mostly(st.tuples(st.floats(-2, 2), st.floats(-2, 2)), VALUES),
              "grad_noise": mostly(st.floats(0, 1), SCALARS), "seed": mostly(st.integers(0, 2**63 - 1), SCALARS),
              "frames": mostly(st.integers(2, 2000), SCALARS), "fps": mostly(st.integers(1, 100), SCALARS),
              "title": mostly(st.text(max_size=40), SCALARS), "batch_size": SCALARS},
)
FORMULA_SCENE = st.fixed_dictionaries({"surface": st.just("expression"), "surface_params": st.fixed_dictionaries({"text": mostly(formulas(), SCALARS)}),
                                       "runs": st.lists(GOOD_RUN, min_size=1, max_size=2)})


def _json(data) -> str | None:
    try:
        return json.dumps(data, allow_nan=True)
    except (TypeError, ValueError):
        return None


def _toml(data) -> str | None:
    import tomli_w

    try:
        return tomli_w.dumps(data)
    except (TypeError, ValueError):
        return None


@settings(max_examples=300, **COMMON)
@given(st.one_of(SCENE, SCENE, FORMULA_SCENE), st.sampled_from(["json", "toml", "bom-toml"]))
def test_any_scene_file_is_a_scene_or_one_clear_error_within_the_budget(rss_before, data, fmt):
    text = _json(data) if fmt == "json" else _toml(data)
    if text is None:
        text = "{" + repr(data)[:200]  # not writable as such: an invalid file must be an error too
    if fmt == "bom-toml":
        text = "\ufeff" + text
    tracemalloc.start()
    t = time.perf_counter()
    try:
        scene = Scene.from_text(text)
        if scene.surface == "expression" or scene.surface in surfaces.SURFACES:
            scene.make_surface()
    except ValueError as error:
        assert str(error).strip(), repr(error)
        assert len(str(error)) < 2000, f"{len(str(error))} characters"
        scene = None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert time.perf_counter() - t < SECONDS
    assert peak < 200_000_000, f"{peak / 1e6:.0f} MB to read a scene"
    event("accepted" if scene is not None else "refused")
    if scene is not None:  # what was accepted is inside the budget and round-trips
        assert 1 <= len(scene.runs) <= limits.MAX_RUNS
        assert len(scene.runs) * scene.steps <= limits.MAX_SCENE_STEPS
        assert len(scene.title) <= limits.MAX_TITLE_LENGTH
        assert len(set(scene.colors().values())) == len(scene.runs)
        assert Scene.from_text(scene.to_json()) == scene
        assert Scene.from_text(scene.to_toml()) == scene


# ------------------------------------------------------------------------------------ CLI argument lists

OPTION_VALUES = {
    "--steps": ["1", "5", "30", "0", "-1", "1e3", "10000000", str(10**18), "x", ""],
    "--frames": ["2", "4", "1", "0", "2001", str(10**9), "-3"],
    "--fps": ["1", "20", "0", "101", "-1", "1e2"],
    "--dpi": ["20", "25", "0", "-5", "601", "1e9", "nan", "inf", "x"],
    "--start": ["-1.5,2", "0,0", "1e300,0", "nan,1", "1,2,3", "-1", ",", "1/2", "x,y"],
    "--figsize": ["-6,5", "4,3", "0,0", "1e9,1", "41,2", "3"],
    "--lr": ["1e-3", "-1e-3", "0", "nan", "inf", "1e300", "x"],
    "--noise": ["0", "0.1", "-1", "nan", "1e300"],
    "--seed": ["0", "-1", str(2**64), "x"],
    "--title": ["plain", "$\\frac{$", "中文", "t" * 1000, "$x^2$", "-x", "$"],
    "--surface": ["rosenbrock", "bowl", "expression", "nope", "regression", ""],
    "--surface-param": ["text=x**2/2+y**2", "text=1e999999*x", "text=5", "a=2", "a=1e300", "b=x", "=", "text=(x", "bounds=1/2"],
    "--run": ["adam:lr=0.01", "gd:nesterov=true", "gd:lr=0.1,nesterov=true,momentum=0.9", "momentum:lr=1e-3,label=train/test",
              "adam:lr=0.1,label=1e3", "nope:lr=1", "adam:lr=-1", "adam:lr=0.1,schedule=cosine_annealing", "adam:", ":",
              "rmsprop:lr=0.01,alpha=2", "adam:lr=0.1,betas=0.9/0.99/0.9", "gd:lr=0.1,label=" + "$\\alpha^$"],
    "--panels": ["loss", "none", "loss,grad_norm", "bogus", ""],
    "--batch-size": ["1", "8", "0", "100000", "x"],
}
SWEEP_VALUES = {
    "--surface": ["rosenbrock", "bowl", "nope"],
    "--optimizers": ["gd", "gd,adam", "nope", "", "gd,gd"],
    "--lr": ["1e-3:1e-1:3", "-1e-3:1:5", "1:0.1:3", "1e-3:1e-1:0", "1e-3:1e-1:1001", "x:y:z", "1e-3:1e-1"],
    "--steps": ["5", "20", "0", "10000000"],
    "--heatmap": ["momentum", "nope", "beta1"],
    "--values": ["0:0.9:3", "-0.5:0.5:3", "0:0.9:100000", "0:1"],
    "--start": ["-1.5,2", "0,0", "nan,0"],
    "--dpi": ["20", "0", "601"],
}


@st.composite
def argument_lists(draw):
    command = draw(st.sampled_from(["png", "png", "gif", "sweep", "list", "mp4", "nope"]))
    table = SWEEP_VALUES if command == "sweep" else OPTION_VALUES
    keys = draw(st.lists(st.sampled_from(sorted(table)), max_size=3, unique=True))
    argv = [command]
    for key in keys:
        argv += [key, draw(st.sampled_from(table[key]))]
    if command in ("png", "gif", "sweep", "mp4"):
        # keep the accepted work small (the refusals are what is under test); dpi 20, few steps
        if "--steps" not in keys:
            argv += ["--steps", "10"]
        if "--dpi" not in keys:
            argv += ["--dpi", "20"]
        if command in ("gif", "mp4") and "--frames" not in keys:
            argv += ["--frames", "3"]
        if command == "sweep" and "--lr" not in keys:
            argv += ["--lr", "1e-3:1e-1:3"]
    if command != "list" and draw(st.integers(0, 9)):
        argv += ["-o", "OUT." + {"png": "png", "gif": "gif", "mp4": "mp4", "sweep": "png"}.get(command, "png")]
    return argv


@settings(max_examples=80, **COMMON)
@given(argument_lists())
def test_any_argument_list_exits_0_or_2_with_one_line_and_no_stray_file(rss_before, tmp_path_factory, capsys, argv):
    from lossviz.cli import main

    folder = tmp_path_factory.mktemp("cli")
    argv = [a.replace("OUT.", f"{folder}/out.") for a in argv]
    t = time.perf_counter()
    status = main(argv)
    elapsed = time.perf_counter() - t
    out, err = capsys.readouterr()
    assert elapsed < 30, f"{argv} took {elapsed:.1f} s"
    assert "Traceback" not in err
    assert status in (0, 2), (argv, status, err)
    event(f"{argv[0]}: exit {status}")
    lines = err.strip().splitlines()
    if status == 2:
        assert len(lines) == 1 and lines[0].startswith("lossviz: error: ") and len(lines[0]) <= 600, err
    else:
        assert all(line.startswith("lossviz: note: ") for line in lines), err
    files = sorted(p.name for p in folder.iterdir())
    assert not [f for f in files if f.startswith(".")], files  # never a hidden temporary file
    if status == 0 and argv[0] != "list":
        assert len(files) == 1 and files[0].startswith("out.") and "wrote" in out
    elif status == 2:
        assert files == []
    assert max_rss() - rss_before < MEMORY
