"""Scenes: a surface, some runs and how to animate them, as plain data.

A scene round-trips through JSON and TOML, so the Explorer can show it as text, the CLI can
read it from a file and every lecture notebook is built from a named scene in `SCENES` —
which the tests use too, so a notebook and its test cannot drift apart.
"""

from __future__ import annotations

import json
import os
import sys
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np

import optimizers
import surfaces
from optimizers import Trajectory
from optimizers.base import check_int
from lossviz import limits
from lossviz.lr_spec import LR_KINDS, check_lr_spec, describe_lr, schedule_from_spec
from lossviz.plain import check_panels, check_point, check_real, check_text, is_number, plain_table, show_value, to_plain

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


_RUN_CACHE: "OrderedDict[tuple, Trajectory]" = OrderedDict()
_RUN_CACHE_SIZE = 16  # runs (a 100,000-step run holds ~8 MB)


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
            raise ValueError(f"optimizer must be a name such as 'adam' (see `lossviz list`), got {show_value(self.optimizer)}")
        if self.optimizer not in optimizers.OPTIMIZERS:
            raise ValueError(f"optimizer: {optimizers.registry.unknown_optimizer(self.optimizer)}")
        self.lr = check_lr_spec(self.lr, "lr")
        self.hyper = plain_table("hyper", self.hyper, "a table of the optimizer's keywords (e.g. {betas = [0.9, 0.99]})")
        try:
            self.make_optimizer()
        except (TypeError, ValueError) as error:  # a factory given a value of the wrong kind
            raise ValueError(f"hyper: {error}") from None
        defaults = optimizers.defaults(self.optimizer)
        for key, value in self.hyper.items():  # one configuration: no batch of values (B = 1)
            pair = isinstance(defaults[key], tuple)
            if isinstance(value, tuple) != pair or (pair and any(isinstance(v, tuple) for v in value)):
                raise ValueError(f"hyper.{key} must be one value like {show_value(defaults[key])} (a run of a scene is one configuration), got {show_value(value)}")
        self.start = check_point("start", self.start)
        if self.hyper.get("nesterov") is True:  # typed by the user, as torch.optim.SGD checks it
            # (the "nesterov" entry at β = 0 stays legal: a slider position is never an error)
            hyper = self.make_optimizer().hyper
            if not (hyper.get("momentum", 0) > 0 and not hyper.get("dampening", 0)):
                raise ValueError("hyper: nesterov = true needs momentum > 0 and dampening = 0 (as in torch.optim.SGD); e.g. momentum = 0.9")
        self.label = check_text("label", self.label, optional=True, max_length=limits.MAX_LABEL_LENGTH)
        self.color = check_text("color", self.color, optional=True)
        if self.color is not None:
            from matplotlib.colors import is_color_like

            if not is_color_like(self.color):
                raise ValueError(f"color must be a matplotlib colour such as '#1f77b4' or 'tab:red', got {show_value(self.color)}")
        if self.grad_noise is not None:
            self.grad_noise = check_real("grad_noise", self.grad_noise, low=0.0)
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
        raise ValueError(f"runs[{i}] must be a table with at least 'optimizer' and 'lr', got {show_value(run)}")
    bad = sorted(str(k) for k in set(run) - set(RUN_KEYS))
    if bad:
        raise ValueError(f"runs[{i}]: unknown key(s) {show_value(', '.join(bad))}; valid: {', '.join(sorted(RUN_KEYS))}")
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
    steps: int = limits.DEFAULT_STEPS
    start: tuple[float, float] | None = None
    grad_noise: float = 0.0
    batch_size: int | None = None
    seed: int = limits.DEFAULT_SEED
    frames: int = limits.DEFAULT_FRAMES
    fps: int = limits.DEFAULT_FPS
    title: str = ""
    panels: tuple[str, ...] | None = None  # side panels; None: `lossviz.view.informative_panels` picks

    def __post_init__(self):
        if not isinstance(self.surface, str) or len(self.surface) > limits.MAX_NAME_LENGTH:
            raise ValueError(f"surface must be a surface name such as 'rosenbrock' (see `lossviz list`), got {show_value(self.surface)}")
        self.surface_params = plain_table("surface_params", self.surface_params, "a table of the surface's parameters (e.g. {a = 1, b = 100})")
        if isinstance(self.runs, (str, bytes, Mapping)) or not isinstance(self.runs, (list, tuple)):
            raise ValueError(f"runs must be a list of tables (each with at least 'optimizer'), got {show_value(self.runs)}")
        if len(self.runs) > limits.MAX_RUNS:
            raise ValueError(f"a scene has at most {limits.MAX_RUNS} runs (limits.MAX_RUNS), got {len(self.runs):,}")
        self.runs = [_make_run(i, r) for i, r in enumerate(self.runs)]
        self.start = check_point("start", self.start)
        self.grad_noise = check_real("grad_noise", self.grad_noise, low=0.0)
        if self.batch_size is not None:
            self.batch_size = check_int("batch_size", self.batch_size, low=limits.BATCH_SIZE_RANGE[0], high=limits.BATCH_SIZE_RANGE[1])
        self.seed = check_int("seed", self.seed, low=limits.SEED_RANGE[0], high=limits.SEED_RANGE[1])
        self.title = check_text("title", self.title, max_length=limits.MAX_TITLE_LENGTH)
        self.panels = check_panels(self.panels)
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
            run_key = (where, json.dumps(to_plain({k: v for k, v in asdict(spec).items() if k not in ("label", "color")}), sort_keys=True))
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
                out[lab] = traj if len(members) == 1 else traj.one(b, lab)
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
        if not all(is_number(v) for v in values):
            return None
        return [float(v) for v in values]

    # -- plain data -----------------------------------------------------------------------
    def to_dict(self) -> dict:
        data = asdict(self)
        data["runs"] = [{k: v for k, v in r.items() if v not in (None, {})} for r in data["runs"]]
        return to_plain({k: v for k, v in data.items() if v is not None})

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


def get_scene(name: str) -> Scene:
    """A copy of the named scene (unknown names list the valid ones)."""
    if name not in SCENES:
        raise ValueError(f"unknown scene {show_value(name)}; valid: {', '.join(SCENES)}")
    return Scene.from_dict(SCENES[name].to_dict())


SCENES: dict[str, Scene] = {}

from lossviz import lecture as _lecture  # noqa: E402,F401  (fills SCENES with the lecture's named scenes)
from lossviz import theory_scenes as _theory_scenes  # noqa: E402,F401  (and the theory-of-quadratics scenes)
