"""The pure mapping between the Explorer's controls and a Scene: no widgets, no drawing.

Three facts live here, each once:
- η: one control scales every run's η and schedule peak by the factor 10^(index·LR_STEP);
  index 0 is the scene as given, so showing a scene never changes it (`scaled`).
- schedules: the menu entries and their parameters come from the signatures in
  `optimizers.SCHEDULES`; a learning-rate parameter (η_min, η_0 of a warm-up) is shown as a
  ratio to the schedule's peak η, so one menu setting fits runs of different η
  (`schedule_menu`, `menu_spec`, `parse_menu`).
- hyperparameters: which slider applies to which optimizer (`accepts`, `with_hyper`).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, replace
from typing import Any, Mapping

import optimizers
from lossviz.lr_spec import ETA_KEYS, check_lr_spec, peak_lr, scale_lr
from lossviz.scenes import RunSpec, Scene

LR_STEP = 0.05  # decades per η step (a key press on the η control)
LR_LIMITS = (1e-8, 10.0)  # the η the control can reach (for the first run's peak η)
WARMUP_COSINE = "warmup_cosine"  # the menu's name for join(linear_warmup, cosine_annealing)
FROM_SCENE = "as in the scene"  # the menu entry when the runs' schedules differ or do not fit

# What a signature cannot tell: the control for each schedule parameter.
PARAM_CONTROLS: dict[str, dict[str, Any]] = {
    "step_size": dict(kind="int", low=1, high=1_000_000, symbol="step size", tip="steps between two decays of η"),
    "gamma": dict(kind="float", low=1e-3, high=1.0, step=1e-3, symbol="γ", tip="γ — the factor η is multiplied by at each decay"),
    "lr_decay": dict(kind="log", low=1e-5, high=10.0, symbol="k", tip="k — decay rate of η_t = η / (1 + k t)"),
    "total_steps": dict(kind="int", low=1, high=1_000_000, symbol="T", tip="T — steps over which cosine annealing falls to η_min"),
    "warmup_steps": dict(kind="int", low=1, high=1_000_000, symbol="warm-up", tip="steps over which η rises to its peak"),
    "lr_min": dict(kind="float", low=0.0, high=1.0, step=0.01, symbol="η_min/η", tip="η_min / η — where cosine annealing ends, as a fraction of the peak η"),
    "start_lr": dict(kind="float", low=0.0, high=1.0, step=0.01, symbol="η₀/η", tip="η₀ / η — where the warm-up starts, as a fraction of the peak η"),
}

TOOLTIPS: dict[str, str] = {
    "lr": "η — learning rate: scales every run's η (and schedule) by one factor; the scene's own η at ×1",
    "momentum": "β — momentum: how much of the last step m carries over (m ← β m + g)",
    "beta1": "β₁ — Adam's average of g (m ← β₁ m + (1 − β₁) g)",
    "beta2": "β₂ — Adam's average of g² (v ← β₂ v + (1 − β₂) g²), which gives σ",
    "alpha": "α — RMSprop's decay: σ² ← α σ² + (1 − α) g²; small α forgets fast",
    "eps": "ε — added to σ so that η/σ stays finite",
    "weight_decay": "λ — weight decay: pulls θ towards 0 (AdamW and Lion decouple it from g)",
    "rho": "ρ — Adadelta's decay of its averages of g² and Δθ²",
    "schedule": "η_t — how η changes over the steps t",
    "surface": "the loss surface f(θ₁, θ₂)",
    "formula": "type f(x, y), e.g. x**2 + 10*y**2, then Enter",
    "steps": "T — the number of updates of every run",
    "noise": "σ_g — standard deviation of Gaussian noise added to every gradient",
    "batch_size": "mini-batch size (data surfaces only; the largest value is the full batch)",
    "seed": "seed of the noise and of the mini-batches",
    "start": "θ⁰ — where every run starts (or click the contour)",
    "frames": "frames of the exported GIF",
    "fps": "frames per second of Play and of the exported GIF",
}


def schedule_names() -> tuple[str, ...]:
    """The menu: every registry schedule (join is offered as warm-up then cosine)."""
    return (*(n for n in optimizers.SCHEDULES if n != "join"), WARMUP_COSINE)


def schedule_params(name: str) -> tuple[str, ...]:
    """The parameters the menu shows for a schedule: its signature after the peak η."""
    if name == WARMUP_COSINE:
        return ("warmup_steps", "total_steps", "lr_min")
    if name == FROM_SCENE:
        return ()
    keys = list(inspect.signature(optimizers.SCHEDULES[name]).parameters)
    return tuple(keys[1:])


def default_params(steps: int) -> dict[str, float]:
    """Starting values of every schedule parameter for a run of `steps` steps."""
    return {"step_size": max(1, steps // 3), "gamma": 0.5, "lr_decay": 0.01, "total_steps": max(1, steps),
            "warmup_steps": max(1, steps // 10), "lr_min": 0.0, "start_lr": 0.0}


def _table(name: str, lr: float, params: Mapping[str, float]) -> dict:
    sig = inspect.signature(optimizers.SCHEDULES[name]).parameters
    out: dict[str, Any] = {"name": name, next(iter(sig)): lr}
    for key in list(sig)[1:]:
        if key in params:
            value = params[key]
            out[key] = lr * float(value) if key in ETA_KEYS else (int(value) if PARAM_CONTROLS[key]["kind"] == "int" else float(value))
    return out


def menu_spec(name: str, lr: float, params: Mapping[str, float]) -> float | dict:
    """The RunSpec `lr` for a menu entry with peak η `lr`; η-valued params are ratios."""
    lr = float(lr)
    if name == "constant":
        return lr
    if name == WARMUP_COSINE:
        warm = int(params["warmup_steps"])
        rest = max(1, int(params["total_steps"]) - warm)
        return check_lr_spec({"name": "join", "boundaries": [warm], "schedules": [
            _table("linear_warmup", lr, {"warmup_steps": warm}),
            _table("cosine_annealing", lr, {"total_steps": rest, "lr_min": params.get("lr_min", 0.0)})]})
    if name not in optimizers.SCHEDULES or name == "join":
        raise ValueError(f"schedule must be one of {', '.join(schedule_names())}, got {name!r}")
    return check_lr_spec(_table(name, lr, params))


@dataclass(frozen=True)
class Menu:
    """A run's lr spec as the menu shows it: entry, peak η, parameters (η-valued as ratios)."""

    name: str
    lr: float
    params: dict


def parse_menu(spec: float | dict) -> Menu | None:
    """The menu entry that gives exactly `spec`, or None when the menu cannot show it."""
    spec = check_lr_spec(spec)
    if not isinstance(spec, dict):
        return Menu("constant", float(spec), {})
    name = spec["name"]
    if name == "join":
        parts, bounds = spec["schedules"], spec["boundaries"]
        if len(parts) != 2 or not all(isinstance(p, dict) for p in parts):
            return None
        warm, cos = parts
        if warm["name"] != "linear_warmup" or cos["name"] != "cosine_annealing" or warm.get("start_lr", 0.0):
            return None
        peak = float(warm["lr"])
        if cos["lr_max"] != peak or warm["warmup_steps"] != bounds[0]:
            return None
        params = {"warmup_steps": bounds[0], "total_steps": bounds[0] + cos["total_steps"], "lr_min": cos.get("lr_min", 0.0) / peak}
        menu = Menu(WARMUP_COSINE, peak, params)
    else:
        keys = list(inspect.signature(optimizers.SCHEDULES[name]).parameters)
        peak = float(spec[keys[0]])
        params = {k: (spec[k] / peak if k in ETA_KEYS else spec[k]) for k in keys[1:] if k in spec}
        menu = Menu(name, peak, params)
    return menu if _same(menu_spec(menu.name, menu.lr, menu.params), spec) else None


def _same(a: Any, b: Any) -> bool:
    """Equal specs up to the rounding of an η ratio (0.01 / 0.1 · 0.1 ≠ 0.01 in floats)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)
    return a == b


def scene_menu(scene: Scene) -> Menu | None:
    """The schedule every run of `scene` shares (each with its own peak η), else None."""
    menus = [parse_menu(r.lr) for r in scene.runs]
    if any(m is None for m in menus):
        return None
    first = menus[0]
    if any(m.name != first.name or not _same(m.params, first.params) for m in menus[1:]):
        return None
    return first


def with_menu(scene: Scene, name: str, params: Mapping[str, float]) -> Scene:
    """Every run gets schedule `name` with `params`, each keeping its own peak η."""
    return replace(scene, runs=[replace(r, lr=menu_spec(name, peak_lr(r.lr), params)) for r in scene.runs])


# ------------------------------------------------------------------------------------------ η


def factor(index: int) -> float:
    """The η factor at a position of the η control: 10^(index · LR_STEP), exactly 1 at 0."""
    return 1.0 if index == 0 else 10.0 ** (int(index) * LR_STEP)


def lr_range(scene: Scene) -> tuple[int, int]:
    """The η control's positions (min, max index): the first run's peak η stays in LR_LIMITS."""
    ref = math.log10(peak_lr(scene.runs[0].lr))
    low = math.ceil((math.log10(LR_LIMITS[0]) - ref) / LR_STEP - 1e-9)
    high = math.floor((math.log10(LR_LIMITS[1]) - ref) / LR_STEP + 1e-9)
    return min(low, 0), max(high, 0)


def scaled(scene: Scene, index: int) -> Scene:
    """The scene with every run's η scaled by `factor(index)`; index 0 returns it unchanged."""
    if index == 0:
        return scene
    f = factor(index)
    return replace(scene, runs=[replace(r, lr=scale_lr(r.lr, f)) for r in scene.runs])


# ------------------------------------------------------------------------------------------ hyper


def tooltip(key: str) -> str:
    """"symbol — role" for a hyperparameter slider (a registered one without a text: its name)."""
    meta = optimizers.HYPERPARAMETERS[key]
    return TOOLTIPS.get(key) or f"{meta.symbol} — {key.replace('_', ' ')}"


def hyper_keys() -> tuple[str, ...]:
    """The hyperparameter sliders, read from the registry when asked (not frozen at import)."""
    return tuple(optimizers.HYPERPARAMETERS)


def accepts(optimizer: str, key: str) -> bool:
    """Does slider `key` apply to `optimizer`? Every keyword it takes, except β for methods whose
    default β is 0 (gd, rmsprop): a shared β slider must not turn the gd baseline into heavy ball."""
    if key not in optimizers.slider_params(optimizer):
        return False
    if key == "momentum":
        return float(optimizers.defaults(optimizer).get("momentum", 0.0)) != 0.0
    return True


def with_hyper(run: RunSpec, key: str, value: float) -> RunSpec:
    """`run` with slider `key` set to `value` (`optimizers.with_sliders`: β₁/β₂ go into `betas`)."""
    return replace(run, hyper=optimizers.with_sliders(run.optimizer, run.hyper, {key: value}))


def slider_value(scene: Scene, key: str) -> float | None:
    """What slider `key` shows: the value of the first run it applies to (None: it applies to none)."""
    for run in scene.runs:
        if accepts(run.optimizer, key):
            return optimizers.slider_values(run.optimizer, **run.hyper)[key]
    return None
