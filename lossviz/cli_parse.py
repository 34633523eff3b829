"""The command line's text made into values: numbers, points, ranges, `--run` specs, and the
scene that the options of `lossviz gif / png / mp4 / table` describe. Bad text is a
UsageError (a ValueError: `lossviz.cli.main` prints its one line and exits with 2).
"""

from __future__ import annotations

import inspect
import math
import os
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


TOL_HELP = ("with --summary: 'within tol' is the first step with f(θ_t) − f* ≤ TOL, f* the surface's lowest listed "
            "minimum; a finite number > 0 (default 1e-3)")


class UsageError(ValueError):
    """Bad command-line input (reported like any ValueError: one line, exit 2)."""


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
            raise UsageError(f"{what}: expected key=value, got {cut(item)!r} in {cut(text)!r}")
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


def cut(text: str, n: int = 80) -> str:
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
