"""Scenes: a surface, some runs and how to animate them, as plain data.

A scene round-trips through JSON and TOML, so the Explorer can show it as text, the CLI can
read it from a file and every lecture notebook is built from a named scene in `SCENES` —
which the tests use too, so a notebook and its test cannot drift apart.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import reprlib
import sys
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np

import optimizers
import surfaces
from optimizers import Trajectory
from optimizers.base import check_int, check_number
from lossviz import limits
from optimizers.schedules import SCHEDULES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


# ------------------------------------------------------------------------------------------
# checking and canonicalizing plain data (what a scene file can hold)

LR_KINDS = "a number > 0 or a schedule table {name = ...}"

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = limits.MAX_ECHO_LENGTH
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = 8


def _show(value: Any) -> str:
    """repr(value) cut short for an error message (a list of a million numbers, a long text)."""
    return _REPR.repr(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _number(where: str, value: Any, *, low: float = -math.inf, low_open: bool = False) -> float:
    """A finite real number (no bool, no text, no list) in the range, else a ValueError naming `where`."""
    if not _is_number(value):
        bound = f" {'>' if low_open else '≥'} {low:g}" if low > -math.inf else ""
        raise ValueError(f"{where} must be a number{bound}, got {_show(value)}")
    check_number(where, value, low=low, low_open=low_open)
    return float(value)


def _text(where: str, value: Any, *, optional: bool = False, max_length: int = limits.MAX_NAME_LENGTH) -> str | None:
    """Text of at most `max_length` characters; when matplotlib would read it as mathtext
    (an even number of unescaped $), it must parse, so that no bad title or label can break
    a later draw (the message names the field)."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{where} must be text, got {_show(value)}")
    if len(value) > max_length:
        raise ValueError(f"{where} is too long: {len(value):,} characters, at most {max_length}")
    if "$" in value:  # (matplotlib is imported only for text that may be mathtext)
        from matplotlib import cbook

        if cbook.is_math_text(value):
            _check_mathtext(where, value)
    return value


def _check_mathtext(where: str, text: str) -> None:
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    try:
        MathTextParser("path").parse(text, dpi=72, prop=FontProperties())
    except ValueError as error:
        reason = [line.strip() for line in str(error).splitlines() if line.strip()]
        raise ValueError(
            f"{where} {_show(text)} is not valid mathtext ({reason[-1] if reason else 'cannot be parsed'}); "
            "write \\$ for a dollar sign"
        ) from None


def _point(where: str, value: Any) -> tuple[float, float] | None:
    """None, or (x, y) as two finite floats."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or len(value) != 2 or not all(_is_number(c) and math.isfinite(c) for c in value):
        raise ValueError(f"{where} must be two numbers [x, y], got {_show(value)}")
    return float(value[0]), float(value[1])


def _plain_value(where: str, value: Any, depth: int = 1) -> Any:
    """One canonical form of a parameter value: numpy → Python, lists → tuples (recursively),
    tables → dicts without None values. Only what JSON and TOML can both write is allowed,
    at most MAX_NESTING deep and MAX_LIST_LENGTH long."""
    if depth > limits.MAX_NESTING:
        raise ValueError(f"{where} is nested too deeply: at most {limits.MAX_NESTING} levels of lists and tables")
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        if len(value) > limits.MAX_LIST_LENGTH:
            raise ValueError(f"{where} is too long: {len(value):,} items, at most {limits.MAX_LIST_LENGTH}")
        return tuple(_plain_value(f"{where}[{i}]", v, depth + 1) for i, v in enumerate(value))
    if isinstance(value, Mapping):
        return _plain_table(where, value, depth=depth)
    raise ValueError(f"{where} must be a number, text, true/false, a list or a table, got {_show(value)}")


def _column(traj: Trajectory, b: int, label: str) -> Trajectory:
    """Run b of a batched Trajectory as a Trajectory of its own (B = 1)."""
    one = slice(b, b + 1)
    return Trajectory(theta=traj.theta[:, one], loss=traj.loss[:, one], grad=traj.grad[:, one], lr=traj.lr[:, one],
                      m=traj.m[:, one], sigma=traj.sigma[:, one], diverged_at=traj.diverged_at[one], labels=(label,))


_RUN_CACHE: "OrderedDict[tuple, Trajectory]" = OrderedDict()
_RUN_CACHE_SIZE = 16  # runs (a 100,000-step run holds ~8 MB)


def _panels(value: Any) -> tuple[str, ...] | None:
    """A scene's panels: None (automatic) or a tuple of known panel names."""
    if value is None:
        return None
    from lossviz.style import PANELS

    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ValueError(f"panels must be a list of panel names ({', '.join(PANELS)}) or omitted, got {value!r}")
    bad = [p for p in value if p not in PANELS]
    if bad:
        raise ValueError(f"panels: unknown panel {bad[0]!r}; valid: {', '.join(PANELS)}")
    return tuple(value)


def _plain_table(where: str, value: Any, what: str = "a table", depth: int = 1) -> dict:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be {what}, got {_show(value)}")
    if len(value) > limits.MAX_LIST_LENGTH:
        raise ValueError(f"{where} is too long: {len(value):,} keys, at most {limits.MAX_LIST_LENGTH}")
    out = {}
    for key, v in value.items():
        if not isinstance(key, str):
            raise ValueError(f"{where} keys must be text, got {_show(key)}")
        if v is not None:  # None means "the default": the same as leaving the key out
            out[key] = _plain_value(f"{where}.{key}", v, depth + 1)
    return out


def _lr(where: str, spec: Any, depth: int = 1) -> tuple[float | dict, Any]:
    """(canonical spec, schedule) of an lr spec: a float stays a float; a schedule table is
    checked key by key (join: its schedules and boundaries recursively, at most MAX_NESTING
    deep and MAX_LIST_LENGTH long) and built."""
    if depth > limits.MAX_NESTING:
        raise ValueError(f"{where} is nested too deeply: at most {limits.MAX_NESTING} levels of joins")
    if _is_number(spec):
        check_number(where, spec, low=0.0, low_open=True)
        return float(spec), float(spec)
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where} must be {LR_KINDS}, got {_show(spec)}")
    valid_names = ", ".join(SCHEDULES)
    if "name" not in spec:
        raise ValueError(f"{where} must be {LR_KINDS}: this table has no name (one of {valid_names}), got {_show(dict(spec))}")
    name = spec["name"]
    if not isinstance(name, str) or name not in SCHEDULES:
        raise ValueError(
            f"{where}.name {_show(name)} is not a schedule; valid: {valid_names} (a schedule of your own must be "
            "registered in this session first: optimizers.schedules.register(name, factory))"
        )
    keys = list(inspect.signature(SCHEDULES[name]).parameters)
    unknown = [k for k in spec if k != "name" and k not in keys]
    if unknown:
        raise ValueError(f"{where}: schedule {_show(name)} has no key {_show(unknown[0])}; valid: {', '.join(keys)}")
    if name == "join":
        for key in ("schedules", "boundaries"):
            if not isinstance(spec.get(key), (list, tuple)):
                what = "η values or schedule tables" if key == "schedules" else "step numbers"
                raise ValueError(f"{where}.{key} must be a list of {what}, got {_show(spec.get(key))}")
            if len(spec[key]) > limits.MAX_LIST_LENGTH:
                raise ValueError(f"{where}.{key} is too long: {len(spec[key]):,} items, at most {limits.MAX_LIST_LENGTH}")
        parts = [_lr(f"{where}.schedules[{i}]", s, depth + 1) for i, s in enumerate(spec["schedules"])]
        boundaries = tuple(
            check_int(f"{where}.boundaries[{i}]", b.item() if isinstance(b, np.generic) else b, low=1, high=10**9)
            for i, b in enumerate(spec["boundaries"])
        )
        canonical = {"name": "join", "schedules": tuple(c for c, _ in parts), "boundaries": boundaries}
        funcs = [s if callable(s) else optimizers.schedules.constant(s) for _, s in parts]
        try:
            return canonical, optimizers.schedules.join(funcs, boundaries)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
    params = {k: p for k, p in inspect.signature(SCHEDULES[name]).parameters.items()}
    missing = [k for k, p in params.items() if p.default is inspect.Parameter.empty and spec.get(k) is None]
    if missing:
        raise ValueError(f"{where}: schedule {_show(name)} needs {', '.join(missing)}")
    canonical: dict[str, Any] = {"name": name}
    for key, value in spec.items():
        if key == "name" or value is None:
            continue
        if not _is_number(value):
            raise ValueError(f"{where}.{key} must be a number, got {_show(value)}")
        canonical[key] = value.item() if isinstance(value, np.generic) else value
    try:
        return canonical, SCHEDULES[name](**{k: v for k, v in canonical.items() if k != "name"})
    except ValueError as error:
        raise ValueError(f"{where} ({name}): {error}") from None


def check_lr_spec(spec: Any, where: str = "lr") -> float | dict:
    """The canonical form of an lr spec (a float, or a schedule table with tuples for lists),
    or a ValueError naming `where` and what is wrong."""
    return _lr(where, spec)[0]


def schedule_from_spec(spec: float | dict) -> Any:
    """A float stays a constant η; a dict {"name": ..., **kwargs} becomes that schedule.

    {"name": "join", "schedules": [spec, ...], "boundaries": [...]} composes schedules.
    """
    return _lr("lr", spec)[1]


def with_peak_lr(spec: float | dict, lr: float) -> float | dict:
    """`spec` scaled so that its largest η is `lr` (a new spec; `spec` is not changed).

    A float becomes `lr`; a schedule's η-valued keys (lr / lr_max and lr_min / start_lr) are
    all multiplied by the same factor, so its shape is kept: cosine annealing from 0.1 to 0.01
    with lr=0.5 runs from 0.5 to 0.05. In a join every part scales alike, so warm-up to η then
    a decay from η gets the new η in both parts, and a step down 0.01 → 0.001 becomes
    lr → lr/10.
    """
    _number("lr", lr, low=0.0, low_open=True)
    canonical = check_lr_spec(spec)
    peak = _peak(canonical)
    return _plain(_scaled(canonical, float(lr), float(lr) / peak, peak))


ETA_KEYS = ("lr", "lr_max", "lr_min", "start_lr")  # the schedule keys that are learning rates


def _peak(spec: float | dict) -> float:
    """The largest η of a canonical spec: the first argument of every schedule (lr / lr_max)
    is its largest value."""
    if not isinstance(spec, dict):
        return float(spec)
    if spec["name"] == "join":
        return max(_peak(s) for s in spec["schedules"])
    return float(spec[next(iter(inspect.signature(SCHEDULES[spec["name"]]).parameters))])


def _scaled(spec: float | dict, lr: float, factor: float, peak: float) -> float | dict:
    def scale(v):
        return lr if v == peak else v * factor  # the peak itself exactly, without rounding

    if not isinstance(spec, dict):
        return scale(spec)
    if spec["name"] == "join":
        return {**spec, "schedules": [_scaled(s, lr, factor, peak) for s in spec["schedules"]]}
    return {k: scale(v) if k in ETA_KEYS else v for k, v in spec.items()}


def describe_lr(spec: float | dict) -> str:
    """Short text for a legend: "η=0.01" or "cosine_annealing(η_max=0.1, …)"."""
    if not isinstance(spec, Mapping):
        return f"η={spec:.3g}" if _is_number(spec) else f"η={spec!r}"
    if spec.get("name") == "join":
        return " → ".join(describe_lr(s) for s in spec.get("schedules", ()))
    args = ", ".join(f"{k}={v:g}" if _is_number(v) else f"{k}={v}" for k, v in spec.items() if k != "name")
    return f"{spec.get('name')}({args})"


@dataclass
class RunSpec:
    """One optimizer run of a scene: the registry name, η (or a schedule spec) and keywords.

    Every field is checked (and put in one canonical form: tuples for lists, no None values
    in tables) when the RunSpec is made, so a bad value is a ValueError naming its field —
    never a TypeError later on — and a RunSpec equals itself after a trip through JSON/TOML.
    """

    optimizer: str
    lr: float | dict = 1e-3
    hyper: dict = field(default_factory=dict)
    start: tuple[float, float] | None = None
    label: str | None = None
    color: str | None = None
    grad_noise: float | None = None  # None: the scene's value (lets one scene compare noise levels)
    batch_size: int | None = None  # None: the scene's value (full batch vs mini-batch, lecture §9)

    def __post_init__(self):
        # every message starts with the field's name (a Scene puts "runs[i]." in front)
        if not isinstance(self.optimizer, str) or len(self.optimizer) > limits.MAX_NAME_LENGTH:
            raise ValueError(f"optimizer must be a name such as 'adam' (see `lossviz list`), got {_show(self.optimizer)}")
        if self.optimizer not in optimizers.OPTIMIZERS:
            raise ValueError(f"optimizer: {optimizers.registry.unknown_optimizer(self.optimizer)}")
        self.lr = check_lr_spec(self.lr, "lr")
        self.hyper = _plain_table("hyper", self.hyper, "a table of the optimizer's keywords (e.g. {betas = [0.9, 0.99]})")
        try:
            self.make_optimizer()
        except (TypeError, ValueError) as error:  # a factory given a value of the wrong kind
            raise ValueError(f"hyper: {error}") from None
        defaults = optimizers.defaults(self.optimizer)
        for key, value in self.hyper.items():  # one configuration: no batch of values (B = 1)
            pair = isinstance(defaults[key], tuple)
            if isinstance(value, tuple) != pair or (pair and any(isinstance(v, tuple) for v in value)):
                raise ValueError(f"hyper.{key} must be one value like {_show(defaults[key])} (a run of a scene is one configuration), got {_show(value)}")
        self.start = _point("start", self.start)
        if self.hyper.get("nesterov") is True:  # typed by the user, as torch.optim.SGD checks it
            # (the "nesterov" entry at β = 0 stays legal: a slider position is never an error)
            hyper = self.make_optimizer().hyper
            if not (hyper.get("momentum", 0) > 0 and not hyper.get("dampening", 0)):
                raise ValueError("hyper: nesterov = true needs momentum > 0 and dampening = 0 (as in torch.optim.SGD); e.g. momentum = 0.9")
        self.label = _text("label", self.label, optional=True, max_length=limits.MAX_LABEL_LENGTH)
        self.color = _text("color", self.color, optional=True)
        if self.color is not None:
            from matplotlib.colors import is_color_like

            if not is_color_like(self.color):
                raise ValueError(f"color must be a matplotlib colour such as '#1f77b4' or 'tab:red', got {_show(self.color)}")
        if self.grad_noise is not None:
            self.grad_noise = _number("grad_noise", self.grad_noise, low=0.0)
        if self.batch_size is not None:
            self.batch_size = check_int("batch_size", self.batch_size, low=limits.BATCH_SIZE_RANGE[0], high=limits.BATCH_SIZE_RANGE[1])

    def make_optimizer(self) -> optimizers.Optimizer:
        return optimizers.make_optimizer(self.optimizer, **self.hyper)

    def default_label(self) -> str:
        extra = ", ".join(
            [f"{k}={v}" for k, v in self.hyper.items()]
            + ([f"noise={self.grad_noise:g}"] if self.grad_noise is not None else [])
            + ([f"batch={self.batch_size}"] if self.batch_size is not None else [])
        )
        return f"{self.optimizer} {describe_lr(self.lr)}" + (f", {extra}" if extra else "")


RUN_KEYS = tuple(f.name for f in fields(RunSpec))


def _make_run(i: int, run: Any) -> RunSpec:
    """runs[i] of a scene (a RunSpec or a table) as a RunSpec; errors name runs[i]."""
    if isinstance(run, RunSpec):
        return run
    if not isinstance(run, Mapping) or "optimizer" not in run:
        raise ValueError(f"runs[{i}] must be a table with at least 'optimizer' and 'lr', got {_show(run)}")
    bad = sorted(str(k) for k in set(run) - set(RUN_KEYS))
    if bad:
        raise ValueError(f"runs[{i}]: unknown key(s) {_show(', '.join(bad))}; valid: {', '.join(sorted(RUN_KEYS))}")
    try:
        spec = RunSpec(**run)
    except ValueError as error:
        raise ValueError(f"runs[{i}].{error}") from None
    if run.get("lr") is None:  # as on the command line: no silent default η
        raise ValueError(f"runs[{i}] needs lr: {LR_KINDS} (e.g. lr = 0.01)")
    return spec


@dataclass
class Scene:
    """Everything needed to recompute and redraw one picture of the lecture.

    Like RunSpec, every field is checked and canonicalized when the scene is made (runs given
    as tables become RunSpecs), before any label is built from them.
    """

    surface: str = "rosenbrock"
    surface_params: dict = field(default_factory=dict)
    runs: list[RunSpec] = field(default_factory=lambda: [RunSpec("adam", 1e-2)])
    steps: int = 200
    start: tuple[float, float] | None = None
    grad_noise: float = 0.0
    batch_size: int | None = None
    seed: int = 0
    frames: int = 120
    fps: int = 20
    title: str = ""
    panels: tuple[str, ...] | None = None  # side panels; None: `lossviz.view.informative_panels` picks

    def __post_init__(self):
        if not isinstance(self.surface, str) or len(self.surface) > limits.MAX_NAME_LENGTH:
            raise ValueError(f"surface must be a surface name such as 'rosenbrock' (see `lossviz list`), got {_show(self.surface)}")
        self.surface_params = _plain_table("surface_params", self.surface_params, "a table of the surface's parameters (e.g. {a = 1, b = 100})")
        if isinstance(self.runs, (str, bytes, Mapping)) or not isinstance(self.runs, (list, tuple)):
            raise ValueError(f"runs must be a list of tables (each with at least 'optimizer'), got {_show(self.runs)}")
        if len(self.runs) > limits.MAX_RUNS:
            raise ValueError(f"a scene has at most {limits.MAX_RUNS} runs (limits.MAX_RUNS), got {len(self.runs):,}")
        self.runs = [_make_run(i, r) for i, r in enumerate(self.runs)]
        self.start = _point("start", self.start)
        self.grad_noise = _number("grad_noise", self.grad_noise, low=0.0)
        if self.batch_size is not None:
            self.batch_size = check_int("batch_size", self.batch_size, low=limits.BATCH_SIZE_RANGE[0], high=limits.BATCH_SIZE_RANGE[1])
        self.seed = check_int("seed", self.seed, low=limits.SEED_RANGE[0], high=limits.SEED_RANGE[1])
        self.title = _text("title", self.title, max_length=limits.MAX_TITLE_LENGTH)
        self.panels = _panels(self.panels)
        self.validate()

    def validate(self) -> None:
        self.steps = check_int("steps", self.steps, low=limits.STEPS_RANGE[0], high=limits.STEPS_RANGE[1])
        self.frames = check_int("frames", self.frames, low=limits.FRAMES_RANGE[0], high=limits.FRAMES_RANGE[1])
        self.fps = check_int("fps", self.fps, low=limits.FPS_RANGE[0], high=limits.FPS_RANGE[1])
        if not self.runs:
            raise ValueError("a scene needs at least one run")
        if len(self.runs) * self.steps > limits.MAX_SCENE_STEPS:
            raise ValueError(
                f"runs × steps must be at most {limits.MAX_SCENE_STEPS:,} (limits.MAX_SCENE_STEPS), "
                f"got {len(self.runs)} × {self.steps:,} = {len(self.runs) * self.steps:,}"
            )
        labels = self.labels()
        if len(set(labels)) != len(labels):
            raise ValueError(f"run labels must be unique, got {labels}")

    # -- computing ------------------------------------------------------------------------
    def make_surface(self) -> surfaces.Surface:
        return surfaces.make(self.surface, **self.surface_params)

    def labels(self) -> list[str]:
        return [spec.label or spec.default_label() for spec in self.runs]

    def run(self, surface: surfaces.Surface | None = None, progress=None) -> dict[str, Trajectory]:
        """Label → Trajectory for every run (B = 1 each). `progress(done, total)` counts the
        steps of all runs.

        A run is a pure function of its settings, so the last few are kept: a notebook that
        draws a scene, opens it in the Explorer (which runs each run on its own) and exports
        its GIF computes every run once. Runs that differ only in a constant η (and have no
        noise) advance together in one batched call — the same numbers, elementwise. The
        Trajectories are shared between callers: treat them as read-only."""
        surface = surface or self.make_surface()
        where = (surface.name, surface.formula, repr(sorted((surface.params or {}).items())), self.steps, self.start,
                 self.grad_noise, self.batch_size, self.seed)
        groups: dict[tuple, list[tuple[str, RunSpec, tuple]]] = {}
        for label, spec in zip(self.labels(), self.runs):
            start = spec.start if spec.start is not None else self.start
            noise = self.grad_noise if spec.grad_noise is None else spec.grad_noise
            batch = self.batch_size if spec.batch_size is None else spec.batch_size
            alone = isinstance(spec.lr, dict) or noise or batch is not None
            key = (label,) if alone else (spec.optimizer, repr(sorted(spec.hyper.items())), start)
            run_key = (where, json.dumps(_plain({k: v for k, v in asdict(spec).items() if k not in ("label", "color")}), sort_keys=True))
            groups.setdefault(key, []).append((label, spec, run_key))
        out: dict[str, Trajectory] = {}
        total = len(groups) * self.steps
        for i, members in enumerate(groups.values()):
            report = None if progress is None else (lambda done, _, i=i: progress(i * self.steps + done, total))
            if all(k in _RUN_CACHE for _, _, k in members):
                for label, _, k in members:
                    _RUN_CACHE.move_to_end(k)
                    out[label] = replace(_RUN_CACHE[k], labels=(label,))
                continue
            label, spec, _ = members[0]
            start = spec.start if spec.start is not None else self.start
            lr = schedule_from_spec(spec.lr) if len(members) == 1 else np.array([float(s.lr) for _, s, _ in members])
            traj = optimizers.run(
                surface,
                spec.make_optimizer(),
                lr=lr,
                steps=self.steps,
                start=start,
                grad_noise=self.grad_noise if spec.grad_noise is None else spec.grad_noise,
                batch_size=self.batch_size if spec.batch_size is None else spec.batch_size,
                seed=self.seed,
                labels=tuple(lab for lab, _, _ in members),
                progress=report,
            )
            if progress is not None:
                progress((i + 1) * self.steps, total)
            for b, (lab, _, k) in enumerate(members):
                out[lab] = traj if len(members) == 1 else _column(traj, b, lab)
                _RUN_CACHE[k] = out[lab]
            while len(_RUN_CACHE) > _RUN_CACHE_SIZE:
                _RUN_CACHE.popitem(last=False)
        return {label: out[label] for label in self.labels()}

    def summary(self, tol: float | None = None, surface: surfaces.Surface | None = None):
        """Per run: final loss, best loss and its step, the first step with f − f* ≤ tol (f*:
        the surface's lowest minimum; default tol `lossviz.inspector.DEFAULT_TOL`), and the
        step it diverged at or left the window at — a `lossviz.inspector.Summary` (rows, with
        .text() and .html())."""
        from lossviz.inspector import DEFAULT_TOL, summarize

        surface = surface or self.make_surface()
        return summarize(surface, self.run(surface), DEFAULT_TOL if tol is None else tol)

    def colors(self) -> dict[str, str]:
        """Label → '#rrggbb', keyed by each run's optimizer (`lossviz.style.run_colors`): a
        run's own `color`, else its optimizer's fixed colour (the next free one when two runs
        share an optimizer). Runs that differ in one number only (α, η, a batch size) get an
        ordered sequential palette instead, darkest for the smallest value."""
        from matplotlib.colors import to_hex

        from lossviz.style import run_colors

        given = [None if spec.color is None else to_hex(spec.color) for spec in self.runs]
        colors = run_colors([spec.optimizer for spec in self.runs], given, self.varying_value())
        return dict(zip(self.labels(), colors))

    def line_styles(self) -> dict[str, str | tuple]:
        """Label → the run's dash pattern: "solid" or a matplotlib dash tuple (offset, (on,
        off, …)) in line widths, one per optimizer family (`lossviz.style.optimizer_dashes`);
        when every run is of one family, or the runs are on the sequential palette (one value
        varies), all are solid."""
        from lossviz.style import FAMILY, optimizer_dashes

        if self.varying_value() is not None or len({FAMILY.get(spec.optimizer) for spec in self.runs}) == 1:
            return {label: "solid" for label in self.labels()}
        return {label: optimizer_dashes(spec.optimizer) for label, spec in zip(self.labels(), self.runs)}

    def varying_value(self) -> list[float] | None:
        """When the runs (two or more, one optimizer) differ in exactly one number — one
        hyperparameter, η, the noise or the batch size — that number per run, else None."""
        if len(self.runs) < 2 or len({spec.optimizer for spec in self.runs}) > 1:
            return None

        def fields_of(spec: RunSpec) -> dict:
            out = {f"hyper.{k}": v for k, v in spec.hyper.items()}
            out.update(lr=spec.lr, start=spec.start, grad_noise=spec.grad_noise, batch_size=spec.batch_size)
            return out

        table = [fields_of(spec) for spec in self.runs]
        keys = set().union(*table)
        differ = [k for k in keys if len({repr(row.get(k)) for row in table}) > 1]
        if len(differ) != 1:
            return None
        values = [row.get(differ[0]) for row in table]
        if not all(_is_number(v) for v in values):
            return None
        return [float(v) for v in values]

    # -- plain data -----------------------------------------------------------------------
    def to_dict(self) -> dict:
        data = asdict(self)
        data["runs"] = [{k: v for k, v in r.items() if v not in (None, {})} for r in data["runs"]]
        return _plain({k: v for k, v in data.items() if v is not None})

    @classmethod
    def from_dict(cls, data: dict) -> "Scene":
        if not isinstance(data, Mapping):
            raise ValueError(f"a scene must be a table of settings, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in set(data) - known)
        if unknown:
            raise ValueError(f"unknown scene key(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
        return cls(**data)  # __post_init__ checks and canonicalizes every field

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Scene":
        text = _checked_text(text)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"scene JSON is not valid: {error}") from None
        except RecursionError:
            raise ValueError(f"scene JSON is nested too deeply (at most {limits.MAX_NESTING} levels)") from None
        return cls.from_dict(data)

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_toml(cls, text: str) -> "Scene":
        text = _checked_text(text)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"scene TOML is not valid: {error}") from None
        except RecursionError:
            raise ValueError(f"scene TOML is nested too deeply (at most {limits.MAX_NESTING} levels)") from None
        return cls.from_dict(data)

    @classmethod
    def from_text(cls, text: str) -> "Scene":
        """JSON when it starts with '{', TOML otherwise."""
        text = _checked_text(text)
        return cls.from_json(text) if text.lstrip().startswith("{") else cls.from_toml(text)

    def save(self, path: str | os.PathLike) -> None:
        from lossviz.files import atomic_write_text

        text = self.to_json() if str(path).endswith(".json") else self.to_toml()
        atomic_write_text(path, text)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Scene":
        """A scene file (.toml or .json; another name: JSON if it starts with '{'); a missing
        file is a ValueError naming it."""
        if not os.path.isfile(path):
            raise ValueError(f"scene file {os.fspath(path)!r} does not exist")
        size = os.path.getsize(path)
        if size > limits.MAX_SCENE_FILE_BYTES:  # before reading it: a 50 MB file took 106 s to parse
            raise ValueError(f"scene file {os.fspath(path)!r} is too large: {size:,} bytes, at most {limits.MAX_SCENE_FILE_BYTES:,} (limits.MAX_SCENE_FILE_BYTES)")
        with open(path, encoding="utf-8-sig") as fh:  # -sig: a byte-order mark is not TOML
            try:
                text = fh.read()
            except UnicodeDecodeError as error:
                raise ValueError(f"scene file {os.fspath(path)!r} is not UTF-8 text ({error.reason} at byte {error.start})") from None
        suffix = os.fspath(path).lower().rsplit(".", 1)[-1]
        if suffix == "json":
            return cls.from_json(text)
        if suffix == "toml":
            return cls.from_toml(text)
        return cls.from_text(text)

    def with_(self, **changes: Any) -> "Scene":
        return replace(self, **changes)


def _checked_text(text: Any) -> str:
    """Scene text below the size limit, without a byte-order mark."""
    if not isinstance(text, str):
        raise ValueError(f"scene text must be a string, got {type(text).__name__}")
    if len(text) > limits.MAX_SCENE_FILE_BYTES:
        raise ValueError(f"scene text is too long: {len(text):,} characters, at most {limits.MAX_SCENE_FILE_BYTES:,} (limits.MAX_SCENE_FILE_BYTES)")
    return text.removeprefix("\ufeff")


def _plain(value: Any) -> Any:
    """numpy scalars and tuples → plain Python, so JSON and TOML can write them."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def get_scene(name: str) -> Scene:
    """A copy of the named scene (unknown names list the valid ones)."""
    if name not in SCENES:
        raise ValueError(f"unknown scene {_show(name)}; valid: {', '.join(SCENES)}")
    return Scene.from_dict(SCENES[name].to_dict())


SCENES: dict[str, Scene] = {}

from lossviz import lecture as _lecture  # noqa: E402,F401  (fills SCENES with the lecture's named scenes)
from lossviz import theory_scenes as _theory_scenes  # noqa: E402,F401  (and the theory-of-quadratics scenes)
