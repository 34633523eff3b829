"""The `lossviz` command: list what exists, export scenes as GIF / MP4 / PNG, plot sweeps.

    lossviz list
    lossviz gif --surface rosenbrock --run adam:lr=0.01 --run momentum:lr=0.001,momentum=0.9 \\
                --steps 300 --frames 120 --fps 20 -o out.gif
    lossviz gif --scene scene.toml -o out.gif          (or a named scene: --scene rosenbrock_race)
    lossviz png --scene rosenbrock_race --step 50 -o still.png
    lossviz mp4 --scene rosenbrock_race -o out.mp4     (needs ffmpeg)
    lossviz html --scene p06_adam -o p06_adam.html     (one offline page: η control, Play)
    lossviz table --scene p06_adam --step 3 --summary  (every number of update 3; per run: final, best, within tol)
    lossviz html --lecture -o site/                    (the whole lecture as offline pages)
    lossviz sweep --surface rosenbrock --optimizers gd,adam --lr 1e-4:1:40 --steps 300 -o sweep.png
    lossviz sweep --surface bowl --optimizers momentum --lr 1e-5:1e-1:30 \\
                  --heatmap momentum --values 0:0.99:30 -o heat.png
    lossviz png --surface expression --surface-param 'text=x**2/2 + 3*y**2' --run adam:lr=0.1 -o f.png

Bad input prints one line, `lossviz: error: <what is wrong and the valid choices>`, to stderr
and exits with status 2; no traceback, and no file is left behind. Work is bounded before
it starts (`lossviz.limits`, docs/budget.md). Ctrl-C, SIGTERM and SIGHUP remove any
half-written file and exit with 130, 143 and 129. Exports and sweeps that take more than a
few seconds show a progress bar on stderr when it is a terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import math
import os
import signal
import sys
import time
import warnings
from typing import Any, Iterator, Sequence

RUN_HELP = """\
a run as NAME[:key=value,...], repeatable. NAME is an optimizer (see `lossviz list`).
Keys: lr=η (default: --lr); the optimizer's keyword arguments (momentum=0.9, alpha=0.9,
eps=1e-8, nesterov=true, betas=0.9/0.999 — a tuple is written with '/'; beta1=, beta2= set one
of Adam's betas); label=TEXT; start=x/y; noise=σ; batch_size=n; color=#rrggbb.
A schedule replaces the constant η: schedule=NAME plus its own keys, with lr as its peak
(e.g. adam:lr=0.1,schedule=cosine_annealing — total_steps defaults to --steps;
gd:lr=0.01,schedule=step_decay,step_size=50,gamma=0.5; rmsprop:lr=0.01,schedule=linear_warmup,warmup_steps=20)."""

LR_HELP = """\
η (> 0). With --run: the η of runs that do not set lr=. Without --run: the new peak η of
every run of the scene (or --scene): a constant η is replaced; a schedule is scaled so that
its largest η becomes this one and its shape is kept (cosine from η_max to η_min scales both;
a join scales every part alike, so warm-up to η then decay from η both get the new η, and a
step from 0.01 down to 0.001 becomes η then η/10)."""

EPILOG = """\
examples:
  lossviz list
  lossviz gif --surface rosenbrock --run adam:lr=0.01 --run momentum:lr=0.001,momentum=0.9 --steps 300 -o out.gif
  lossviz gif --scene scene.toml -o out.gif
  lossviz png --scene rosenbrock_race --step 50 -o still.png
  lossviz sweep --surface rosenbrock --optimizers gd,adam --lr 1e-4:1:40 --steps 300 -o sweep.png
  lossviz sweep --surface bowl --optimizers momentum --heatmap momentum --values 0:0.99:30 -o heat.png
"""


class UsageError(ValueError):
    """Bad command-line input (reported like any ValueError: one line, exit 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line `lossviz: error: ...` (no usage block)."""

    def error(self, message: str):  # noqa: D401 - argparse API
        sub = self.prog.split()[1:] if self.prog else []
        hint = f"see 'lossviz {' '.join(sub)} --help'".replace("  ", " ") if sub else "see 'lossviz --help'"
        self.exit(2, f"lossviz: error: {message} ({hint})\n")


# ------------------------------------------------------------------------------------------
# parsing values


def parse_value(text: str) -> Any:
    """'0.9' → 0.9, '3' → 3, 'true' → True, '0.9/0.999' → (0.9, 0.999), else the text."""
    text = text.strip()
    if "/" in text and len(text) <= 1000:  # (a longer text is no tuple lossviz takes: keep it whole for the error)
        return tuple(parse_value(part) for part in text.split("/"))
    low = text.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    if low in ("none", "null"):
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_number(text: str, what: str) -> float:
    value = parse_value(text)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{what} must be a number, got {text!r}")
    return float(value)


def parse_point(text: str, what: str = "--start") -> tuple[float, float]:
    """'x,y' or 'x/y' → (x, y)."""
    parts = text.replace("/", ",").split(",")
    if len(parts) != 2:
        raise UsageError(f"{what} must be two numbers x,y (e.g. -1.5,2), got {text!r}")
    return parse_number(parts[0], what), parse_number(parts[1], what)


def parse_range(text: str, what: str) -> tuple[float, float, int]:
    """'lo:hi:n' → (lo, hi, n): finite LOW < HIGH (LOW ≤ HIGH when COUNT is 1), 1 ≤ COUNT ≤ 1000."""
    parts = text.split(":")
    if len(parts) != 3:
        raise UsageError(f"{what} must be LOW:HIGH:COUNT (e.g. 1e-4:1:40), got {text!r}")
    lo, hi = parse_number(parts[0], what), parse_number(parts[1], what)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise UsageError(f"{what}: LOW and HIGH must be finite numbers, got {text!r}")
    n = parse_value(parts[2])
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 1000:
        raise UsageError(f"{what}: COUNT must be an integer in [1, 1000], got {parts[2]!r}")
    if n > 1 and not lo < hi:
        raise UsageError(f"{what}: HIGH must be > LOW for COUNT > 1, got {text!r}")
    if n == 1 and not lo <= hi:
        raise UsageError(f"{what}: HIGH must be ≥ LOW, got {text!r}")
    return lo, hi, n


def parse_params(text: str, what: str, raw: Sequence[str] = ()) -> dict[str, Any]:
    """'a=1,b=100' → {'a': 1, 'b': 100}; the values of the keys in `raw` stay text as typed
    (a label 'train/test', a formula 'x**2/2')."""
    out: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise UsageError(f"{what}: expected key=value, got {_cut(item)!r} in {_cut(text)!r}")
        out[key.strip()] = value.strip() if key.strip() in raw else parse_value(value)
    return out


TEXT_RUN_KEYS = ("label", "color", "schedule")  # --run values that stay text as typed


def surface_params(name: str | None, text: str) -> dict[str, Any]:
    """--surface-param for surface `name`: its text parameters (the formula of
    'expression') stay as typed; the rest are numbers, true/false or x/y tuples."""
    import surfaces

    factory = surfaces.expression if name == "expression" else surfaces.FACTORIES.get(name or "")
    signature = inspect.signature(factory).parameters if factory is not None else {}
    raw = [key for key, p in signature.items() if p.annotation in (str, "str") or isinstance(p.default, str)]
    params = parse_params(text, "--surface-param", raw)
    for key, value in params.items():  # a window x_min/x_max/y_min/y_max → ((x_min, x_max), (y_min, y_max))
        default = signature[key].default if key in signature else None
        if isinstance(default, tuple) and default and isinstance(default[0], tuple) and isinstance(value, tuple) and len(value) == 4:
            params[key] = (value[:2], value[2:])
    return params


def _cut(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[:n] + "…"


def parse_run(text: str, *, steps: int, default_lr: float | None = None):
    """'adam:lr=0.01,betas=0.9/0.99' → RunSpec (see RUN_HELP)."""
    import optimizers
    from optimizers.schedules import SCHEDULES

    from lossviz.scenes import RunSpec

    name, colon, rest = text.partition(":")
    name = name.strip()
    if not name:
        raise UsageError(f"--run {text!r}: expected NAME[:key=value,...], e.g. adam:lr=0.01")
    if name not in optimizers.OPTIMIZERS:
        raise UsageError(f"--run {text!r}: {optimizers.registry.unknown_optimizer(name)}")
    params = parse_params(rest, f"--run {text!r}", TEXT_RUN_KEYS) if colon else {}
    lr = params.pop("lr", default_lr)
    spec: dict[str, Any] = {}
    for key in ("label", "color"):
        if key in params:
            spec[key] = str(params.pop(key))
    if "start" in params:
        start = params.pop("start")
        if not (isinstance(start, tuple) and len(start) == 2):
            raise UsageError(f"--run {text!r}: start must be x/y, got {start!r}")
        spec["start"] = start
    if "noise" in params:
        spec["grad_noise"] = params.pop("noise")
    if "batch_size" in params:
        spec["batch_size"] = params.pop("batch_size")
    schedule = params.pop("schedule", None)
    if schedule is not None:
        if schedule not in SCHEDULES or schedule == "join":
            valid = ", ".join(s for s in SCHEDULES if s != "join")
            raise UsageError(f"--run {text!r}: unknown schedule {schedule!r}; valid: {valid} (join: use a scene file)")
        sig = list(inspect.signature(SCHEDULES[schedule]).parameters)
        sched: dict[str, Any] = {"name": schedule}
        for key in sig[1:]:
            if key in params:
                sched[key] = params.pop(key)
        if lr is None:
            raise UsageError(f"--run {text!r}: the schedule needs lr=η (its peak), e.g. {name}:lr=0.1,schedule={schedule}")
        sched[sig[0]] = lr
        if "total_steps" in sig and "total_steps" not in sched:
            sched["total_steps"] = steps
        lr = sched
    sliders = {key: params.pop(key) for key in ("beta1", "beta2") if key in params}
    try:
        params = optimizers.with_sliders(name, params, sliders)
    except ValueError as error:
        raise UsageError(f"--run {text!r}: {error}") from None
    valid = optimizers.defaults(name)
    for key in params:
        if key not in valid:
            extra = "lr, schedule, label, start, noise, batch_size, color"
            raise UsageError(f"--run {text!r}: {name} has no key {key!r}; valid: {', '.join([*valid, extra])}")
    if lr is None:
        raise UsageError(f"--run {text!r}: give the learning rate, e.g. {name}:lr=0.01 (or --lr)")
    if not isinstance(lr, dict) and (isinstance(lr, bool) or not isinstance(lr, (int, float))):
        raise UsageError(f"--run {text!r}: lr must be a number, got {lr!r}")
    if not isinstance(lr, dict) and not (0 < lr < float("inf")):
        raise UsageError(f"--run {text!r}: lr (η) must be a finite number > 0, got {lr!r}")
    try:
        return RunSpec(name, lr if isinstance(lr, dict) else float(lr), params, **spec)
    except ValueError as error:  # the RunSpec names the field: "hyper: momentum must be ..."
        raise UsageError(f"--run {text!r}: {error}") from None


# ------------------------------------------------------------------------------------------
# building a scene from the options


def load_scene(text: str):
    """A scene file (.toml / .json) or a named scene."""
    from lossviz.scenes import SCENES, Scene, get_scene

    looks_like_file = text.endswith((".toml", ".json")) or os.sep in text or "/" in text
    if os.path.isfile(text):
        return Scene.load(text)
    if looks_like_file:
        raise UsageError(f"scene file {text!r} does not exist")
    if text in SCENES:
        return get_scene(text)
    names = ", ".join(SCENES) or "(none)"
    raise UsageError(f"--scene {text!r} is neither a scene file (.toml/.json) nor a named scene; named scenes: {names}")


def scene_from_args(args):
    """The scene the options describe: --scene (file or name) with any options on top."""
    from lossviz.scenes import Scene

    if args.lr is not None and not 0 < args.lr < float("inf"):
        raise UsageError(f"--lr (η) must be a finite number > 0, got {args.lr:g}")
    data = load_scene(args.scene).to_dict() if args.scene else Scene().to_dict()
    if args.surface is not None:
        data["surface"] = args.surface
        if args.surface_param is None and args.scene:
            data["surface_params"] = {}
    if args.surface_param is not None:
        data["surface_params"] = surface_params(data.get("surface"), args.surface_param)
    for key in ("steps", "seed", "frames", "fps", "title"):
        value = getattr(args, key, None)
        if value is not None:
            data[key] = value
    if args.start is not None:
        data["start"] = parse_point(args.start)
    if args.noise is not None:
        data["grad_noise"] = args.noise
    if args.batch_size is not None:
        data["batch_size"] = args.batch_size
    if args.run:
        steps = data.get("steps", 200)
        data["runs"] = [parse_run(r, steps=steps, default_lr=args.lr) for r in args.run]
    elif args.lr is not None:  # a new peak η for the scene's runs (see LR_HELP)
        from lossviz.lr_spec import with_peak_lr

        for run in data.get("runs", []):
            run["lr"] = with_peak_lr(run["lr"], args.lr)
    runs = data.get("runs", [])
    data["runs"] = [r if isinstance(r, dict) else _run_dict(r) for r in runs]
    scene = Scene.from_dict(data)  # checks every field (runs included: optimizer, η or schedule, keywords)
    scene.make_surface()  # unknown surfaces and bad parameters fail here, before any work
    return scene


def _run_dict(spec) -> dict:
    from dataclasses import asdict

    return {k: v for k, v in asdict(spec).items() if v not in (None, {})}


# ------------------------------------------------------------------------------------------
# commands


def cmd_list(args) -> int:
    import optimizers
    import surfaces
    from optimizers.schedules import SCHEDULES
    from surfaces.expression import FUNCTIONS

    from lossviz.scenes import SCENES

    out = []
    out.append("Surfaces (--surface NAME, parameters with --surface-param key=value,...):")
    for name, surface in surfaces.SURFACES.items():
        params = ", ".join(f"{k}={v}" for k, v in dict(surface.params or {}).items())
        out.append(f"  {name:<15} f(x, y) = {plain_formula(surface.formula)}")
        if surface.description:
            out.append(f"  {'':<15} {surface.description.splitlines()[0]}")
        if params:
            out.append(f"  {'':<15} parameters: {params}")
    out.append(f"  {'expression':<15} f(x, y) = a formula you type, e.g. --surface expression --surface-param 'text=x**2/2 + 3*y**2'")
    out.append(f"  {'':<15} numbers, x, y, pi, E, + - * / ** ( ), {', '.join(FUNCTIONS)}")
    out.append(f"  {'':<15} parameters: text (the formula), bounds=x_min/x_max/y_min/y_max (default -3/3/-3/3), start=x/y")
    out.append("")
    out.append("Optimizers (--run NAME:lr=η,key=value,...):")
    for name in optimizers.OPTIMIZERS:
        kwargs = ", ".join(f"{k}={v}" for k, v in optimizers.defaults(name).items()) or "(no keyword arguments)"
        title = optimizers.TITLES.get(name, "")
        family = optimizers.ENTRIES[name].family
        out.append(f"  {name:<15} {title}" + (f"  [{family} family]" if family != name else ""))
        out.append(f"  {'':<15} {kwargs}")
    out.append("")
    out.append("Schedules (--run NAME:lr=η,schedule=S,key=value; lr is the schedule's η or η_max):")
    for name, factory in SCHEDULES.items():
        if name == "join":
            out.append(f"  {'join':<17} warm-up then decay etc.: only in scene files ({{name='join', schedules=[...], boundaries=[...]}})")
            continue
        args = ", ".join(
            k if p.default is inspect.Parameter.empty else f"{k}={p.default}"
            for k, p in inspect.signature(factory).parameters.items()
        )
        out.append(f"  {name:<17} {args}")
    out.append("")
    out.append("Scenes (--scene NAME, or --scene FILE.toml / FILE.json):")
    for name, scene in SCENES.items():
        out.append(f"  {name:<24} {scene.title}")
    print("\n".join(out))
    return 0


def plain_formula(mathtext: str) -> str:
    """A surface's mathtext formula as plain text for a terminal ('\\frac{1}{2}\\,x^2' →
    '1/2 x^2'), by pylatexenc."""
    from pylatexenc.latex2text import LatexNodes2Text

    return " ".join(LatexNodes2Text(math_mode="text").latex_to_text(mathtext).split())


def _size(path) -> str:
    n = os.path.getsize(path)
    return f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"


def cmd_export(args) -> int:
    from lossviz import export

    scene = scene_from_args(args)
    tol = _summary_tol(args) if args.command == "gif" else None
    figsize = parse_point(args.figsize, "--figsize") if args.figsize else None
    panels = _panels(args.panels)
    dpi = {} if args.dpi is None else {"dpi": args.dpi}  # default: lossviz.style (stills 120, GIF frames 96)
    with progress_bar("running", "step") as running:
        if args.command == "png":
            path = export.save_png(scene, args.output, step=args.step, figsize=figsize, panels=panels, run_progress=running, **dpi)
            print(f"wrote {path} ({_size(path)})")
            return 0
        save = export.save_gif if args.command == "gif" else export.save_mp4
        with progress_bar(f"{args.command.upper()} frames", "frame") as progress:
            path = save(scene, args.output, fps=scene.fps, frames=scene.frames, figsize=figsize, panels=panels,
                        progress=progress, run_progress=running, **dpi)
    print(f"wrote {path} ({_size(path)})")
    if tol is not None:
        print(scene.summary(tol).text())
    return 0


@contextlib.contextmanager
def progress_bar(what: str, unit: str) -> Iterator[Any]:
    """A `progress(done, total)` callback drawing a tqdm bar on stderr: only when stderr is a
    terminal, and only once the work has taken more than PROGRESS_DELAY seconds."""
    from tqdm import tqdm

    bar = tqdm(desc=what, unit=unit, file=sys.stderr, disable=None, delay=PROGRESS_DELAY, leave=False, dynamic_ncols=True)

    def progress(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        bar.close()


PROGRESS_DELAY = 2.0  # seconds
TOL_HELP = ("with --summary: 'within tol' is the first step with f(θ_t) − f* ≤ TOL, f* the surface's lowest listed "
            "minimum; a finite number > 0 (default 1e-3)")


def _summary_tol(args) -> float | None:
    """The summary's tol (None: no summary), checked before any work starts."""
    if args.tol is not None and not args.summary:
        raise UsageError("--tol needs --summary (it is the summary's tolerance)")
    if not args.summary:
        return None
    if args.tol is None:
        from lossviz.inspector import DEFAULT_TOL

        return DEFAULT_TOL
    if not 0 < args.tol < float("inf"):
        raise UsageError(f"--tol must be a finite number > 0 (the gap f − f* counted as arrived), got {args.tol:g}")
    return args.tol


def cmd_table(args) -> int:
    """The step inspector: every number of update k of every run, a summary, all steps as CSV."""
    from lossviz import inspector
    from lossviz.files import check_output

    scene = scene_from_args(args)
    tol = _summary_tol(args)
    if args.step is not None and not 0 <= args.step <= scene.steps:
        raise UsageError(f"--step must be in 0..{scene.steps} (the scene's steps; {scene.steps} is the end, with no update left), got {args.step}")
    target = None
    if args.csv is not None:
        try:
            target = check_output(args.csv, (".csv",))
        except ValueError as error:
            raise UsageError(f"--csv: {error}") from None
    surface = scene.make_surface()
    with progress_bar("running", "step") as running:
        trajectories = scene.run(surface, progress=running)
    out = []
    if args.step is not None or (tol is None and target is None):
        out.append(inspector.step_table_text(trajectories, 0 if args.step is None else args.step))
    if tol is not None:
        out.append(inspector.summarize(surface, trajectories, tol).text())
    if out:
        print("\n\n".join(out))
    if target is not None:
        inspector.write_csv(trajectories, target)
        print(f"wrote {target} ({_size(target)})")
    return 0


def cmd_html(args) -> int:
    """One offline page of a scene, or (--lecture) the lecture's site."""
    if args.lecture:
        if args.scene:
            raise UsageError("give --scene NAME or --lecture, not both")
        from lossviz.site import build_site

        t0 = time.perf_counter()
        folder = build_site(args.output)
        pages = sorted(folder.rglob("*.html"))
        size = sum(p.stat().st_size for p in pages)
        print(f"wrote {folder}/ ({len(pages)} pages, {size / 1e6:.1f} MB, {time.perf_counter() - t0:.0f} s)")
        return 0
    if not args.scene:
        raise UsageError("give --scene NAME (or a scene file) or --lecture")
    from lossviz.page import save_html

    path = save_html(scene_from_args(args), args.output, decades=args.decades, vary=("lr", "start") if args.vary_start else ("lr",))
    print(f"wrote {path} ({_size(path)})")
    return 0


def _panels(text: str | None):
    if text is None:
        return None
    from lossviz.draw import PANELS

    if text.strip().lower() in ("", "none"):
        return ()
    panels = tuple(p.strip() for p in text.split(",") if p.strip())
    for p in panels:
        if p not in PANELS:
            raise UsageError(f"--panels: unknown panel {p!r}; valid: {', '.join(PANELS)} (or none)")
    return panels


def cmd_sweep(args) -> int:
    import numpy as np

    import optimizers
    import surfaces

    from lossviz import export, sweeps

    names = [n.strip() for n in args.optimizers.split(",") if n.strip()]
    if not names:
        raise UsageError("--optimizers: give at least one optimizer, e.g. gd,adam")
    for name in names:
        if name not in optimizers.OPTIMIZERS:
            raise UsageError(f"--optimizers: {optimizers.registry.unknown_optimizer(name)}")
    params = surface_params(args.surface, args.surface_param) if args.surface_param else {}
    surface = surfaces.make(args.surface, **params)
    lo, hi, n = parse_range(args.lr, "--lr")
    if not lo > 0:
        raise UsageError(f"--lr: η must be > 0, got LOW = {lo:g}")
    from lossviz.limits import SWEEP_LR_RANGE

    if not (SWEEP_LR_RANGE[0] <= lo and hi <= SWEEP_LR_RANGE[1]):
        raise UsageError(f"--lr: η must lie in [{SWEEP_LR_RANGE[0]:g}, {SWEEP_LR_RANGE[1]:g}] (limits.SWEEP_LR_RANGE), got {args.lr!r}")
    lr = np.geomspace(lo, hi, n)
    start = parse_point(args.start) if args.start else None
    values = None
    if args.heatmap:
        if not args.values:
            raise UsageError("--heatmap needs --values LOW:HIGH:COUNT (e.g. --values 0:0.99:30)")
        vlo, vhi, vn = parse_range(args.values, "--values")
        values = np.linspace(vlo, vhi, vn)
        for name in names:
            keys = sweeps.sweep_keys(name)
            if args.heatmap not in keys:
                raise UsageError(f"--heatmap {args.heatmap!r}: {name} has no such hyperparameter; valid for {name}: {', '.join(keys) or '(none)'}")
    elif args.values:
        raise UsageError("--values needs --heatmap NAME (the hyperparameter to vary)")
    target = export.check_output(args.output, (".png",))
    export.check_dpi(args.dpi)
    with progress_bar("sweep", "run-step") as progress:
        fig = sweeps.sweep_figure(surface, names, lr=lr, steps=args.steps, start=start, heatmap=args.heatmap, values=values, dpi=args.dpi, progress=progress)
    with export.atomic_path(target) as tmp:
        fig.savefig(tmp, format="png", dpi=args.dpi)
    print(f"wrote {target} ({_size(target)})")
    return 0


# ------------------------------------------------------------------------------------------
# the parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    return value


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _range(bounds: tuple) -> str:
    return f"{bounds[0]:g}..{bounds[1]:g}"


def _inches(size: tuple[float, float]) -> str:
    return ",".join(f"{x:.4g}" for x in size)


def build_parser() -> argparse.ArgumentParser:
    import optimizers
    from lossviz import limits, style

    DPI = _range(limits.DPI_RANGE)
    parser = _Parser(
        prog="lossviz",
        description="Optimizer trajectories on 2-D loss surfaces: export GIF / MP4 / PNG, plot sweeps.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    sub.add_parser("list", help="surfaces, optimizers (with hyperparameters), schedules and named scenes")

    for name, help_ in (("gif", "animate a scene as a GIF"), ("mp4", "animate a scene as an MP4 (needs ffmpeg)"), ("png", "a still of a scene")):
        p = sub.add_parser(name, help=help_, formatter_class=argparse.RawDescriptionHelpFormatter, epilog="run spec:\n" + RUN_HELP)
        p.add_argument("-o", "--output", required=True, help=f"output file (.{name}); its folder must exist")
        p.add_argument("--scene", help="a scene file (.toml/.json) or a named scene (see `lossviz list`); the options below override it")
        p.add_argument("--surface", help="surface name (see `lossviz list`), or expression for a formula you type; default rosenbrock")
        p.add_argument("--surface-param", metavar="K=V,...", help="surface parameters, e.g. a=1,b=100; for --surface expression: text=FORMULA, e.g. 'text=x**2/2 + 3*y**2'")
        p.add_argument("--run", action="append", metavar="NAME:K=V,...", help="a run, repeatable (see 'run spec' below)")
        p.add_argument("--lr", type=_float, help=LR_HELP)
        p.add_argument("--steps", type=_positive_int, help=f"number of updates T (default {limits.DEFAULT_STEPS}); runs × steps at most {limits.MAX_SCENE_STEPS:,}")
        p.add_argument("--start", metavar="X,Y", help="start point θ₀ (default: the surface's)")
        p.add_argument("--noise", type=_float, help="standard deviation of Gaussian gradient noise")
        p.add_argument("--batch-size", type=_positive_int, help="mini-batch size (data-defined surfaces such as 'regression')")
        p.add_argument("--seed", type=_positive_int, help="random seed (noise, mini-batches)")
        p.add_argument("--title", help="figure title")
        p.add_argument("--dpi", type=_float, default=None, help=f"resolution, {DPI} (default {style.STILL_DPI} for png: {round(style.FIGSIZE[0] * style.STILL_DPI)} px wide; "
                                                                    f"{style.GIF_DPI} for gif/mp4: {round(style.FIGSIZE[0] * style.GIF_DPI)} px)")
        p.add_argument("--figsize", metavar="W,H", help=f"figure size in inches (default {_inches(style.FIGSIZE)}; {_inches(style.FIGSIZE_NO_PANELS)} with --panels none)")
        p.add_argument("--panels", metavar="P,...", help=f"side panels: {','.join(style.PANELS)} "
                                                          "(default: the scene's, else those that carry information) or none")
        if name == "png":
            p.add_argument("--step", type=_positive_int, help="the step to show (default: the last)")
            p.set_defaults(frames=None, fps=None)
        else:
            p.add_argument("--frames", type=_positive_int, help=f"most frames, {_range(limits.FRAMES_RANGE)} (default {limits.DEFAULT_FRAMES}; long runs get log-spaced frames); "
                                                                       f"pixels × frames at most {limits.MAX_PIXEL_FRAMES:.0e}".replace("e+0", "e"))
            p.add_argument("--fps", type=_positive_int, help=f"frames per second, {_range(limits.FPS_RANGE)} (default {limits.DEFAULT_FPS})")
            if name == "gif":
                p.add_argument("--summary", action="store_true", help="after writing the GIF, print per run: final and best loss, "
                               "the first step within --tol of the lowest minimum, where it diverged or left the window")
                p.add_argument("--tol", type=_float, help=TOL_HELP)

    p = sub.add_parser("table", help="the step inspector: every number of update k of every run (θ, g, m, σ, η_t, η_t/σ, Δθ, f), "
                       "a summary per run, all steps as CSV", formatter_class=argparse.RawDescriptionHelpFormatter, epilog="run spec:\n" + RUN_HELP)
    p.add_argument("--scene", help="a scene file (.toml/.json) or a named scene (see `lossviz list`); the options below override it")
    p.add_argument("--surface", help="surface name (see `lossviz list`), or expression for a formula you type; default rosenbrock")
    p.add_argument("--surface-param", metavar="K=V,...", help="surface parameters, e.g. a=1,b=100, or text=FORMULA for expression")
    p.add_argument("--run", action="append", metavar="NAME:K=V,...", help="a run, repeatable (see 'run spec' below)")
    p.add_argument("--lr", type=_float, help=LR_HELP)
    p.add_argument("--steps", type=_positive_int, help=f"number of updates T (default {limits.DEFAULT_STEPS})")
    p.add_argument("--start", metavar="X,Y", help="start point θ₀ (default: the surface's)")
    p.add_argument("--seed", type=_positive_int, help="random seed (noise, mini-batches)")
    p.add_argument("--step", type=_positive_int, help="print the table of update k, 0..steps (default 0, the first update; "
                   "printed unless only --summary or --csv is asked for)")
    p.add_argument("--summary", action="store_true", help="print per run: final and best loss (and its step), the first step within "
                   "--tol of the lowest minimum, the step it diverged at or left the window at")
    p.add_argument("--tol", type=_float, help=TOL_HELP)
    p.add_argument("--csv", metavar="PATH", help="write every step of every run to PATH (.csv; columns step, run, parameter, theta, g, "
                   "m, sigma, lr, lr_over_sigma, delta_theta, f), atomically")
    p.set_defaults(noise=None, batch_size=None, title=None, frames=None, fps=None)

    p = sub.add_parser("html", help="a scene as one offline HTML page (η control, Play), or --lecture: the lecture's site")
    p.add_argument("-o", "--output", required=True, help="output file (.html); with --lecture a folder (made if missing)")
    p.add_argument("--scene", help="a scene file (.toml/.json) or a named scene (see `lossviz list`)")
    p.add_argument("--lecture", action="store_true", help="every lecture point: index.html and one page per point, with its scenes")
    p.add_argument("--decades", type=_float, default=2.0, help="η range either side of the scene's, in decades (default 2; 0.1-decade steps)")
    p.add_argument("--vary-start", action="store_true", help="also a start menu: the scene's start and its mirror images across the window (the page grows up to 4×)")
    p.set_defaults(lr=None, surface=None, surface_param=None, steps=None, seed=None, frames=None, fps=None, title=None,
                   start=None, noise=None, batch_size=None, run=None)

    p = sub.add_parser("sweep", help="final loss against η per optimizer, or an η × hyperparameter heatmap, as PNG")
    p.add_argument("-o", "--output", required=True, help="output file (.png); its folder must exist")
    p.add_argument("--surface", default="rosenbrock", help="surface name, or expression for a formula (default rosenbrock)")
    p.add_argument("--surface-param", metavar="K=V,...", help="surface parameters, e.g. a=1,b=100, or text=FORMULA for expression")
    p.add_argument("--optimizers", default="gd,momentum,adam", help="comma-separated optimizer names (default gd,momentum,adam)")
    p.add_argument("--lr", default="1e-4:1:40", help="η grid LOW:HIGH:COUNT, log-spaced, η in 1e-30..1e30 (default 1e-4:1:40)")
    p.add_argument("--steps", type=_positive_int, default=200, help="updates per run (default 200)")
    p.add_argument("--start", metavar="X,Y", help="start point θ₀ (default: the surface's)")
    p.add_argument("--heatmap", metavar="NAME", help=f"also vary this hyperparameter ({', '.join(optimizers.HYPERPARAMETERS)}): an η × NAME heatmap")
    p.add_argument("--values", metavar="LOW:HIGH:COUNT", help="its values, linearly spaced (e.g. 0:0.99:30)")
    p.add_argument("--dpi", type=_float, default=100, help=f"resolution, {DPI} (default 100)")
    return parser


# options whose value may start with '-' (--start -1.5,2): argparse would take it for an option
VALUE_OPTIONS = ("--start", "--figsize", "--values", "--lr", "--noise", "--title", "--surface-param", "--run", "--step", "--tol")


def join_negative_values(argv: Sequence[str]) -> list[str]:
    """['--start', '-1.5,2'] → ['--start=-1.5,2'] for the VALUE_OPTIONS (argparse reads '-1.5'
    as a number but '-1.5,2' or '-1e-3' as an unknown option)."""
    out: list[str] = []
    i = 0
    argv = list(argv)
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out.extend(argv[i:])
            break
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if arg in VALUE_OPTIONS and nxt is not None and nxt.startswith("-") and not nxt.startswith("--") and nxt not in ("-o", "-h"):
            out.append(f"{arg}={nxt}")
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


class Stopped(BaseException):
    """A SIGTERM or SIGHUP, raised where the program is, so that every `finally` (and the
    atomic writes' clean-up) runs; like KeyboardInterrupt, not an Exception."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


_received: list[int] = []  # the signals that arrived while a command ran


def _stop(signum, frame):
    _received.append(signum)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Stopped(signum)


@contextlib.contextmanager
def signals_stop_cleanly() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt, SIGTERM and SIGHUP raise Stopped while the command
    runs, and each is remembered: an extension module interrupted while it loads (numpy)
    turns the KeyboardInterrupt into an ImportError. The previous handlers come back
    afterwards."""
    _received.clear()
    previous = {}
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        try:
            previous[signum] = signal.signal(signum, _stop)
        except ValueError:  # not the main thread: leave signals alone
            pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _tolerant_streams() -> None:
    """η, θ and σ print as escapes instead of crashing on an ASCII terminal
    (PYTHONIOENCODING=ascii)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="backslashreplace")


def _report_warnings(caught: list) -> None:
    """Warnings of a successful command as notes: missing glyphs as one line, others once each."""
    glyphs, others = [], []
    for w in caught:
        text = str(w.message)
        if text.startswith("Glyph ") and "missing from font" in text:
            char = text.split("(", 1)[-1].split(")", 1)[0]
            glyphs.append(char)
        elif text not in others:
            others.append(text)
    if glyphs:
        names = ", ".join(dict.fromkeys(glyphs))
        print(f"lossviz: note: the font has no glyph for {_cut(names, 200)}; those characters show as boxes", file=sys.stderr)
    for text in others:
        print(f"lossviz: note: {_cut(text.splitlines()[0], 300)}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input, 130 interrupted by
    Ctrl-C, 143 by SIGTERM, 129 by SIGHUP)."""
    _tolerant_streams()
    try:
        with signals_stop_cleanly():
            parser = build_parser()  # imports the registries (numpy): interruptible like the rest
            try:
                args = parser.parse_args(join_negative_values(sys.argv[1:] if argv is None else argv))
            except SystemExit as stop:  # --help (0) or a usage error (2, already printed)
                return int(stop.code or 0) if not isinstance(stop.code, str) else 2
            commands = {"list": cmd_list, "gif": cmd_export, "mp4": cmd_export, "png": cmd_export, "html": cmd_html, "sweep": cmd_sweep, "table": cmd_table}
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("default")
                status = commands[args.command](args)
            _report_warnings(caught)
            return status
    except BaseException as error:
        signum = _received[0] if _received else None
        if isinstance(error, KeyboardInterrupt) or signum == signal.SIGINT:
            print("lossviz: interrupted", file=sys.stderr)
            return 128 + signal.SIGINT
        if isinstance(error, Stopped) or signum is not None:
            signum = error.signum if isinstance(error, Stopped) else signum
            print(f"lossviz: stopped by {signal.Signals(signum).name}", file=sys.stderr)
            return 128 + signum
        if isinstance(error, BrokenPipeError):  # `lossviz list | head`
            sys.stderr.close()
            return 0
        if isinstance(error, (ValueError, OSError, RuntimeError)):
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            from lossviz.limits import MAX_MESSAGE_LENGTH

            print(f"lossviz: error: {_cut(message, MAX_MESSAGE_LENGTH)}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
