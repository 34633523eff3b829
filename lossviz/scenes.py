"""Scenes: a surface, some runs and how to animate them, as plain data.

A scene round-trips through JSON and TOML, so the Explorer can show it as text, the CLI can
read it from a file and every lecture notebook is built from a named scene in `SCENES` —
which the tests use too, so a notebook and its test cannot drift apart.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np

import optimizers
import surfaces
from optimizers import Trajectory
from optimizers.base import check_int, check_number
from optimizers.run import MAX_STEPS
from optimizers.schedules import SCHEDULES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def schedule_from_spec(spec: float | dict) -> Any:
    """A float stays a constant η; a dict {"name": ..., **kwargs} becomes that schedule.

    {"name": "join", "schedules": [spec, ...], "boundaries": [...]} composes schedules.
    """
    if not isinstance(spec, dict):
        check_number("lr", spec, low=0.0, low_open=True)
        return float(spec)
    spec = dict(spec)
    name = spec.pop("name", None)
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; valid: {', '.join(SCHEDULES)}")
    if name == "join":
        parts = [schedule_from_spec(s) for s in spec.pop("schedules", [])]
        parts = [optimizers.schedules.constant(p) if not callable(p) else p for p in parts]
        return optimizers.schedules.join(parts, spec.pop("boundaries", []))
    try:
        return SCHEDULES[name](**spec)
    except TypeError as error:
        raise ValueError(f"schedule {name!r}: {error}") from None


def describe_lr(spec: float | dict) -> str:
    """Short text for a legend: "η=0.01" or "cosine_annealing(η_max=0.1, …)"."""
    if not isinstance(spec, dict):
        return f"η={spec:.3g}"
    if spec.get("name") == "join":
        return " → ".join(describe_lr(s) for s in spec.get("schedules", []))
    args = ", ".join(f"{k}={v:g}" if isinstance(v, (int, float)) else f"{k}={v}" for k, v in spec.items() if k != "name")
    return f"{spec['name']}({args})"


@dataclass
class RunSpec:
    """One optimizer run of a scene: the registry name, η (or a schedule spec) and keywords."""

    optimizer: str
    lr: float | dict = 1e-3
    hyper: dict = field(default_factory=dict)
    start: tuple[float, float] | None = None
    label: str | None = None
    color: str | None = None
    grad_noise: float | None = None  # None: the scene's value (lets one scene compare noise levels)
    batch_size: int | None = None  # None: the scene's value (full batch vs mini-batch, lecture §9)

    def __post_init__(self):
        # one canonical form, so a scene equals itself after a trip through JSON or TOML
        self.hyper = {k: tuple(v) if isinstance(v, (list, tuple)) else v for k, v in self.hyper.items()}
        if self.start is not None:
            self.start = tuple(float(c) for c in self.start)

    def make_optimizer(self) -> optimizers.Optimizer:
        return optimizers.make_optimizer(self.optimizer, **self.hyper)

    def default_label(self) -> str:
        extra = ", ".join(
            [f"{k}={v}" for k, v in self.hyper.items()]
            + ([f"noise={self.grad_noise:g}"] if self.grad_noise is not None else [])
            + ([f"batch={self.batch_size}"] if self.batch_size is not None else [])
        )
        return f"{self.optimizer} {describe_lr(self.lr)}" + (f", {extra}" if extra else "")


@dataclass
class Scene:
    """Everything needed to recompute and redraw one picture of the lecture."""

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

    def __post_init__(self):
        self.runs = [r if isinstance(r, RunSpec) else RunSpec(**r) for r in self.runs]
        if self.start is not None:
            self.start = tuple(float(c) for c in self.start)
        self.validate()

    def validate(self) -> None:
        check_int("steps", self.steps, low=1, high=MAX_STEPS)
        check_int("frames", self.frames, low=2, high=2000)
        check_int("fps", self.fps, low=1, high=100)
        if not self.runs:
            raise ValueError("a scene needs at least one run")
        for spec in self.runs:
            optimizers.get_optimizer(spec.optimizer)
        labels = self.labels()
        if len(set(labels)) != len(labels):
            raise ValueError(f"run labels must be unique, got {labels}")

    # -- computing ------------------------------------------------------------------------
    def make_surface(self) -> surfaces.Surface:
        return surfaces.make(self.surface, **self.surface_params)

    def labels(self) -> list[str]:
        return [spec.label or spec.default_label() for spec in self.runs]

    def run(self, surface: surfaces.Surface | None = None) -> dict[str, Trajectory]:
        """Label → Trajectory for every run (B = 1 each)."""
        surface = surface or self.make_surface()
        out = {}
        for label, spec in zip(self.labels(), self.runs):
            start = spec.start if spec.start is not None else self.start
            out[label] = optimizers.run(
                surface,
                spec.make_optimizer(),
                lr=schedule_from_spec(spec.lr),
                steps=self.steps,
                start=start,
                grad_noise=self.grad_noise if spec.grad_noise is None else spec.grad_noise,
                batch_size=self.batch_size if spec.batch_size is None else spec.batch_size,
                seed=self.seed,
                labels=(label,),
            )
        return out

    def colors(self) -> dict[str, str]:
        """Label → colour: the optimizer's colour, or the next free one when it repeats."""
        from lossviz.style import color_cycle, optimizer_color

        used: set[str] = set()
        spare = iter(color_cycle())
        out = {}
        for label, spec in zip(self.labels(), self.runs):
            color = spec.color or optimizer_color(spec.optimizer)
            while color in used:
                color = next(spare)
            used.add(color)
            out[label] = color
        return out

    # -- plain data -----------------------------------------------------------------------
    def to_dict(self) -> dict:
        data = asdict(self)
        data["runs"] = [{k: v for k, v in r.items() if v not in (None, {})} for r in data["runs"]]
        return _plain({k: v for k, v in data.items() if v is not None})

    @classmethod
    def from_dict(cls, data: dict) -> "Scene":
        if not isinstance(data, dict):
            raise ValueError(f"a scene must be a table of settings, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown scene key(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
        data = dict(data)
        run_keys = {f.name for f in fields(RunSpec)}
        runs = []
        for i, r in enumerate(data.get("runs", [])):
            if not isinstance(r, dict) or "optimizer" not in r:
                raise ValueError(f"runs[{i}] must be a table with at least 'optimizer'")
            bad = sorted(set(r) - run_keys)
            if bad:
                raise ValueError(f"runs[{i}]: unknown key(s) {', '.join(bad)}; valid: {', '.join(sorted(run_keys))}")
            r = dict(r)
            if r.get("start") is not None:
                r["start"] = tuple(float(c) for c in r["start"])
            runs.append(RunSpec(**r))
        if runs:
            data["runs"] = runs
        if data.get("start") is not None:
            data["start"] = tuple(float(c) for c in data["start"])
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Scene":
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as error:
            raise ValueError(f"scene JSON is not valid: {error}") from None

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_toml(cls, text: str) -> "Scene":
        try:
            return cls.from_dict(tomllib.loads(text))
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"scene TOML is not valid: {error}") from None

    @classmethod
    def from_text(cls, text: str) -> "Scene":
        """JSON when it starts with '{', TOML otherwise."""
        return cls.from_json(text) if text.lstrip().startswith("{") else cls.from_toml(text)

    def save(self, path: str | os.PathLike) -> None:
        from lossviz.export import atomic_write_text

        text = self.to_json() if str(path).endswith(".json") else self.to_toml()
        atomic_write_text(path, text)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Scene":
        """A scene file (.toml or .json); a missing file is a ValueError naming it."""
        if not os.path.isfile(path):
            raise ValueError(f"scene file {os.fspath(path)!r} does not exist")
        with open(path, encoding="utf-8") as fh:
            return cls.from_text(fh.read())

    def with_(self, **changes: Any) -> "Scene":
        return replace(self, **changes)


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
        raise ValueError(f"unknown scene {name!r}; valid: {', '.join(SCENES)}")
    return Scene.from_dict(SCENES[name].to_dict())


SCENES: dict[str, Scene] = {}
