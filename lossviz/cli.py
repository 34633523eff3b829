"""The `lossviz` command: list what exists, export scenes as GIF / MP4 / PNG, plot sweeps.

    lossviz list
    lossviz gif --surface rosenbrock --run adam:lr=0.01 --run momentum:lr=0.001,momentum=0.9 \\
                --steps 300 --frames 120 --fps 20 -o out.gif
    lossviz gif --scene scene.toml -o out.gif          (or a named scene: --scene rosenbrock_race)
    lossviz png --scene rosenbrock_race --step 50 -o still.png
    lossviz mp4 --scene rosenbrock_race -o out.mp4     (needs ffmpeg)
    lossviz html --scene p06_adam -o p06_adam.html     (one offline page: η control, Play)
    lossviz html --lecture -o site/                    (the whole lecture as offline pages)
    lossviz sweep --surface rosenbrock --optimizers gd,adam --lr 1e-4:1:40 --steps 300 -o sweep.png
    lossviz sweep --surface bowl --optimizers momentum --lr 1e-5:1e-1:30 \\
                  --heatmap momentum --values 0:0.99:30 -o heat.png

Bad input prints one line, `lossviz: error: <what is wrong and the valid choices>`, to stderr
and exits with status 2; no traceback, and no file is left behind.
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import sys
import time
from typing import Any, Sequence

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
    if "/" in text:
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


def parse_params(text: str, what: str) -> dict[str, Any]:
    """'a=1,b=100' → {'a': 1, 'b': 100}."""
    out: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise UsageError(f"{what}: expected key=value, got {item!r} in {text!r}")
        out[key.strip()] = parse_value(value)
    return out


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
        raise UsageError(f"--run {text!r}: unknown optimizer {name!r}; valid: {', '.join(optimizers.OPTIMIZERS)}")
    params = parse_params(rest, f"--run {text!r}") if colon else {}
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
    if "beta1" in params or "beta2" in params:
        b1, b2 = optimizers.defaults(name).get("betas", (None, None))
        if b1 is None:
            raise UsageError(f"--run {text!r}: {name} has no betas; its keys: {', '.join(optimizers.defaults(name))}")
        params["betas"] = (params.pop("beta1", b1), params.pop("beta2", b2))
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
        data["surface_params"] = parse_params(args.surface_param, "--surface-param")
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
        from lossviz.scenes import with_peak_lr

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

    from lossviz.scenes import SCENES

    out = []
    out.append("Surfaces (--surface NAME, parameters with --surface-param key=value,...):")
    for name, surface in surfaces.SURFACES.items():
        params = ", ".join(f"{k}={v}" for k, v in dict(surface.params or {}).items())
        out.append(f"  {name:<15} {surface.formula}")
        if surface.description:
            out.append(f"  {'':<15} {surface.description.splitlines()[0]}")
        if params:
            out.append(f"  {'':<15} parameters: {params}")
    out.append("")
    out.append("Optimizers (--run NAME:lr=η,key=value,...):")
    for name in optimizers.OPTIMIZERS:
        kwargs = ", ".join(f"{k}={v}" for k, v in optimizers.defaults(name).items())
        title = optimizers.TITLES.get(name, "")
        out.append(f"  {name:<15} {title}")
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


def _size(path) -> str:
    n = os.path.getsize(path)
    return f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"


def cmd_export(args) -> int:
    from lossviz import export

    scene = scene_from_args(args)
    figsize = parse_point(args.figsize, "--figsize") if args.figsize else None
    panels = _panels(args.panels)
    if args.command == "png":
        path = export.save_png(scene, args.output, step=args.step, dpi=args.dpi, figsize=figsize, panels=panels)
        print(f"wrote {path} ({_size(path)})")
        return 0
    save = export.save_gif if args.command == "gif" else export.save_mp4
    path = save(scene, args.output, fps=scene.fps, frames=scene.frames, dpi=args.dpi, figsize=figsize, panels=panels)
    print(f"wrote {path} ({_size(path)})")
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
            raise UsageError(f"--optimizers: unknown optimizer {name!r}; valid: {', '.join(optimizers.OPTIMIZERS)}")
    params = parse_params(args.surface_param, "--surface-param") if args.surface_param else {}
    surface = surfaces.make(args.surface, **params)
    lo, hi, n = parse_range(args.lr, "--lr")
    if not lo > 0:
        raise UsageError(f"--lr: η must be > 0, got LOW = {lo:g}")
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
    fig = sweeps.sweep_figure(surface, names, lr=lr, steps=args.steps, start=start, heatmap=args.heatmap, values=values, dpi=args.dpi)
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


def build_parser() -> argparse.ArgumentParser:
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
        p.add_argument("--surface", help="surface name (see `lossviz list`); default rosenbrock")
        p.add_argument("--surface-param", metavar="K=V,...", help="surface parameters, e.g. a=1,b=100")
        p.add_argument("--run", action="append", metavar="NAME:K=V,...", help="a run, repeatable (see 'run spec' below)")
        p.add_argument("--lr", type=_float, help=LR_HELP)
        p.add_argument("--steps", type=_positive_int, help="number of updates T (default 200)")
        p.add_argument("--start", metavar="X,Y", help="start point θ₀ (default: the surface's)")
        p.add_argument("--noise", type=_float, help="standard deviation of Gaussian gradient noise")
        p.add_argument("--batch-size", type=_positive_int, help="mini-batch size (data-defined surfaces such as 'regression')")
        p.add_argument("--seed", type=_positive_int, help="random seed (noise, mini-batches)")
        p.add_argument("--title", help="figure title")
        p.add_argument("--dpi", type=_float, default=100, help="resolution, 20..600 (default 100)")
        p.add_argument("--figsize", metavar="W,H", help="figure size in inches (default 11,6; 6,5 with --panels none)")
        p.add_argument("--panels", metavar="P,...", help="side panels: loss,grad_norm,effective_lr,lr (default all) or none")
        if name == "png":
            p.add_argument("--step", type=_positive_int, help="the step to show (default: the last)")
            p.set_defaults(frames=None, fps=None)
        else:
            p.add_argument("--frames", type=_positive_int, help="most frames, 2..2000 (default 120; long runs get log-spaced frames)")
            p.add_argument("--fps", type=_positive_int, help="frames per second, 1..100 (default 20)")

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
    p.add_argument("--surface", default="rosenbrock", help="surface name (default rosenbrock)")
    p.add_argument("--surface-param", metavar="K=V,...", help="surface parameters, e.g. a=1,b=100")
    p.add_argument("--optimizers", default="gd,momentum,adam", help="comma-separated optimizer names (default gd,momentum,adam)")
    p.add_argument("--lr", default="1e-4:1:40", help="η grid LOW:HIGH:COUNT, log-spaced (default 1e-4:1:40)")
    p.add_argument("--steps", type=_positive_int, default=200, help="updates per run (default 200)")
    p.add_argument("--start", metavar="X,Y", help="start point θ₀ (default: the surface's)")
    p.add_argument("--heatmap", metavar="NAME", help="also vary this hyperparameter (momentum, alpha, beta1, beta2, eps): an η × NAME heatmap")
    p.add_argument("--values", metavar="LOW:HIGH:COUNT", help="its values, linearly spaced (e.g. 0:0.99:30)")
    p.add_argument("--dpi", type=_float, default=100, help="resolution, 20..600 (default 100)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input, 130 interrupted)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error (2, already printed)
        return int(stop.code or 0) if not isinstance(stop.code, str) else 2
    commands = {"list": cmd_list, "gif": cmd_export, "mp4": cmd_export, "png": cmd_export, "html": cmd_html, "sweep": cmd_sweep}
    try:
        return commands[args.command](args)
    except BrokenPipeError:  # `lossviz list | head`
        sys.stderr.close()
        return 0
    except (ValueError, OSError, RuntimeError) as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"lossviz: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lossviz: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
