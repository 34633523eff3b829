"""Learning-rate specs: η as a number or as a schedule table ({name = "cosine_annealing",
lr_max = 0.1, ...}; "join" composes schedules), checked, built, scaled and described.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np

import optimizers
from lossviz import limits
from lossviz.plain import check_real, is_number, show_value, to_plain
from optimizers.base import check_int, check_number
from optimizers.schedules import SCHEDULES

LR_KINDS = "a number > 0 or a schedule table {name = ...}"


def lr_and_schedule(where: str, spec: Any, depth: int = 1) -> tuple[float | dict, Any]:
    """(canonical spec, schedule) of an lr spec: a float stays a float; a schedule table is
    checked key by key (join: its schedules and boundaries recursively, at most MAX_NESTING
    deep and MAX_LIST_LENGTH long) and built."""
    if depth > limits.MAX_NESTING:
        raise ValueError(f"{where} is nested too deeply: at most {limits.MAX_NESTING} levels of joins")
    if is_number(spec):
        check_number(where, spec, low=0.0, low_open=True)
        return float(spec), float(spec)
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where} must be {LR_KINDS}, got {show_value(spec)}")
    valid_names = ", ".join(SCHEDULES)
    if "name" not in spec:
        raise ValueError(f"{where} must be {LR_KINDS}: this table has no name (one of {valid_names}), got {show_value(dict(spec))}")
    name = spec["name"]
    if not isinstance(name, str) or name not in SCHEDULES:
        raise ValueError(
            f"{where}.name {show_value(name)} is not a schedule; valid: {valid_names} (a schedule of your own must be "
            "registered in this session first: optimizers.schedules.register(name, factory))"
        )
    keys = list(inspect.signature(SCHEDULES[name]).parameters)
    unknown = [k for k in spec if k != "name" and k not in keys]
    if unknown:
        raise ValueError(f"{where}: schedule {show_value(name)} has no key {show_value(unknown[0])}; valid: {', '.join(keys)}")
    if name == "join":
        for key in ("schedules", "boundaries"):
            if not isinstance(spec.get(key), (list, tuple)):
                what = "η values or schedule tables" if key == "schedules" else "step numbers"
                raise ValueError(f"{where}.{key} must be a list of {what}, got {show_value(spec.get(key))}")
            if len(spec[key]) > limits.MAX_LIST_LENGTH:
                raise ValueError(f"{where}.{key} is too long: {len(spec[key]):,} items, at most {limits.MAX_LIST_LENGTH}")
        parts = [lr_and_schedule(f"{where}.schedules[{i}]", s, depth + 1) for i, s in enumerate(spec["schedules"])]
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
        raise ValueError(f"{where}: schedule {show_value(name)} needs {', '.join(missing)}")
    canonical: dict[str, Any] = {"name": name}
    for key, value in spec.items():
        if key == "name" or value is None:
            continue
        if not is_number(value):
            raise ValueError(f"{where}.{key} must be a number, got {show_value(value)}")
        canonical[key] = value.item() if isinstance(value, np.generic) else value
    try:
        return canonical, SCHEDULES[name](**{k: v for k, v in canonical.items() if k != "name"})
    except ValueError as error:
        raise ValueError(f"{where} ({name}): {error}") from None


def check_lr_spec(spec: Any, where: str = "lr") -> float | dict:
    """The canonical form of an lr spec (a float, or a schedule table with tuples for lists),
    or a ValueError naming `where` and what is wrong."""
    return lr_and_schedule(where, spec)[0]


def schedule_from_spec(spec: float | dict) -> Any:
    """A float stays a constant η; a dict {"name": ..., **kwargs} becomes that schedule.

    {"name": "join", "schedules": [spec, ...], "boundaries": [...]} composes schedules.
    """
    return lr_and_schedule("lr", spec)[1]


ETA_KEYS = ("lr", "lr_max", "lr_min", "start_lr")  # the schedule keys that are learning rates


def peak_lr(spec: float | dict) -> float:
    """The largest η of an lr spec (a schedule's first argument, lr / lr_max, is its largest)."""
    return _peak(check_lr_spec(spec))


def with_peak_lr(spec: float | dict, lr: float) -> float | dict:
    """`spec` scaled so that its largest η is `lr` (a new spec; `spec` is not changed).

    A float becomes `lr`; a schedule's η-valued keys (lr / lr_max and lr_min / start_lr) are
    all multiplied by the same factor, so its shape is kept: cosine annealing from 0.1 to 0.01
    with lr=0.5 runs from 0.5 to 0.05. In a join every part scales alike, so warm-up to η then
    a decay from η gets the new η in both parts, and a step down 0.01 → 0.001 becomes
    lr → lr/10.
    """
    check_real("lr", lr, low=0.0, low_open=True)
    return to_plain(_rescaled(check_lr_spec(spec), float(lr)))


def scale_lr(spec: float | dict, factor: float) -> float | dict:
    """An lr spec (canonical) with every η multiplied by `factor` (the Explorer's η control)."""
    if factor == 1.0:
        return spec
    canonical = check_lr_spec(spec)
    return check_lr_spec(_rescaled(canonical, _peak(canonical) * factor))


def _peak(spec: float | dict) -> float:
    if not isinstance(spec, dict):
        return float(spec)
    if spec["name"] == "join":
        return max(_peak(s) for s in spec["schedules"])
    return float(spec[next(iter(inspect.signature(SCHEDULES[spec["name"]]).parameters))])


def _rescaled(canonical: float | dict, lr: float) -> float | dict:
    """A canonical spec with its peak η set to `lr` and every other η scaled alike."""
    peak = _peak(canonical)
    factor = lr / peak

    def scale(v):
        return lr if v == peak else v * factor  # the peak itself exactly, without rounding

    def walk(spec):
        if not isinstance(spec, dict):
            return scale(spec)
        if spec["name"] == "join":
            return {**spec, "schedules": [walk(s) for s in spec["schedules"]]}
        return {k: scale(v) if k in ETA_KEYS else v for k, v in spec.items()}

    return walk(canonical)


def describe_lr(spec: float | dict) -> str:
    """Short text for a legend: "η=0.01" or "cosine_annealing(η_max=0.1, …)"."""
    if not isinstance(spec, Mapping):
        return f"η={spec:.3g}" if is_number(spec) else f"η={spec!r}"
    if spec.get("name") == "join":
        return " → ".join(describe_lr(s) for s in spec.get("schedules", ()))
    args = ", ".join(f"{k}={v:g}" if is_number(v) else f"{k}={v}" for k, v in spec.items() if k != "name")
    return f"{spec.get('name')}({args})"
