"""Plain data, checked: what a scene file (JSON or TOML) can hold, in one canonical form.

Each checker names the field (`where`) and what it must be, so a bad scene file, a bad
Python argument and a bad CLI option all fail with the same one-line ValueError.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from lossviz import limits
from optimizers.base import check_number

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = limits.MAX_ECHO_LENGTH
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = 8


def show_value(value: Any) -> str:
    """repr(value) cut short for an error message (a list of a million numbers, a long text)."""
    return _REPR.repr(value)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_real(where: str, value: Any, *, low: float = -math.inf, low_open: bool = False) -> float:
    """A finite real number (no bool, no text, no list) in the range, else a ValueError naming `where`."""
    if not is_number(value):
        bound = f" {'>' if low_open else '≥'} {low:g}" if low > -math.inf else ""
        raise ValueError(f"{where} must be a number{bound}, got {show_value(value)}")
    check_number(where, value, low=low, low_open=low_open)
    return float(value)


def check_text(where: str, value: Any, *, optional: bool = False, max_length: int = limits.MAX_NAME_LENGTH) -> str | None:
    """Text of at most `max_length` characters; when matplotlib would read it as mathtext
    (an even number of unescaped $), it must parse, so that no bad title or label can break
    a later draw (the message names the field)."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{where} must be text, got {show_value(value)}")
    if len(value) > max_length:
        raise ValueError(f"{where} is too long: {len(value):,} characters, at most {max_length}")
    if "$" in value:  # (matplotlib is imported only for text that may be mathtext)
        from matplotlib import cbook

        if cbook.is_math_text(value):
            check_mathtext(where, value)
    return value


def check_mathtext(where: str, text: str) -> None:
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    try:
        MathTextParser("path").parse(text, dpi=72, prop=FontProperties())
    except ValueError as error:
        reason = [line.strip() for line in str(error).splitlines() if line.strip()]
        raise ValueError(
            f"{where} {show_value(text)} is not valid mathtext ({reason[-1] if reason else 'cannot be parsed'}); "
            "write \\$ for a dollar sign"
        ) from None


def check_point(where: str, value: Any) -> tuple[float, float] | None:
    """None, or (x, y) as two finite floats."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or len(value) != 2 or not all(is_number(c) and math.isfinite(c) for c in value):
        raise ValueError(f"{where} must be two numbers [x, y], got {show_value(value)}")
    return float(value[0]), float(value[1])


def plain_value(where: str, value: Any, depth: int = 1) -> Any:
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
        return tuple(plain_value(f"{where}[{i}]", v, depth + 1) for i, v in enumerate(value))
    if isinstance(value, Mapping):
        return plain_table(where, value, depth=depth)
    raise ValueError(f"{where} must be a number, text, true/false, a list or a table, got {show_value(value)}")


def check_panels(value: Any) -> tuple[str, ...] | None:
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


def plain_table(where: str, value: Any, what: str = "a table", depth: int = 1) -> dict:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be {what}, got {show_value(value)}")
    if len(value) > limits.MAX_LIST_LENGTH:
        raise ValueError(f"{where} is too long: {len(value):,} keys, at most {limits.MAX_LIST_LENGTH}")
    out = {}
    for key, v in value.items():
        if not isinstance(key, str):
            raise ValueError(f"{where} keys must be text, got {show_value(key)}")
        if v is not None:  # None means "the default": the same as leaving the key out
            out[key] = plain_value(f"{where}.{key}", v, depth + 1)
    return out


def to_plain(value: Any) -> Any:
    """numpy scalars and tuples → plain Python, so JSON and TOML can write them."""
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
