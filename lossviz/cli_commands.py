"""What each `lossviz` command does once its options are parsed: list, gif / mp4 / png,
table, html, sweep. Each returns the exit status; bad input raises a ValueError (`main`
prints it as one line and exits with 2).
"""

from __future__ import annotations

import contextlib
import inspect
import os
import sys
import time
from typing import Any, Iterator

from lossviz.cli_parse import UsageError, parse_point, parse_range, scene_from_args, surface_params


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
