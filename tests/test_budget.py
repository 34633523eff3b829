"""The budget (lossviz.limits): every input that asks for too much work is refused at once,
with one line naming the limit; inputs inside it finish quickly and in bounded memory."""

from __future__ import annotations

import time

import pytest

import surfaces
from lossviz import limits


def quick(fn, *args, seconds: float = 5.0, **kw):
    """fn(*args, **kw) must return or raise within `seconds`; returns (result or exception)."""
    t = time.perf_counter()
    try:
        out = fn(*args, **kw)
    except ValueError as error:
        out = error
    elapsed = time.perf_counter() - t
    assert elapsed < seconds, f"{fn.__name__}{args} took {elapsed:.1f} s"
    return out


# -- formulas ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, words",
    [
        ("1e999999*x", "out of range"),  # sympy: > 60 s
        ("1e9999999999*x", "out of range"),  # sympy: 4.2 GB in 30 s
        ("1e-999999*x", "out of range"),  # sympy: 33 s, then accepted
        ("1" * 40 + "*x", "too long"),
        ("x**" * 140 + "1", "powers in a chain"),  # RecursionError
        ("(" * 40 + "x" + ")" * 40, "parentheses"),
        ("sin(" * 40 + "x" + ")" * 40, "parentheses"),
    ],
)
def test_formula_numbers_and_depth_are_checked_before_sympy(text, words):
    error = quick(surfaces.expression, text, seconds=2.0)
    assert isinstance(error, ValueError) and words in str(error), error


def test_formula_numbers_inside_the_range_still_work():
    s = surfaces.expression("1e299*x**2*1e-299 + 2.5e-3*y**2")
    assert s.f([1.0, 2.0]) == pytest.approx(1.0 + 2.5e-3 * 4)


@pytest.mark.parametrize(
    "text, where",
    [("1/(x - 0.1)", "x - 0.1 = 0"), ("tan(x)", "cos(x) = 0"), ("1/(x**2 - 2)", "x**2 - 2 = 0"), ("x/(x**2 + y - 1.01)", "= 0")],
)
def test_formula_with_a_pole_inside_the_window_is_refused(text, where):
    with pytest.raises(ValueError, match="pole inside the window") as info:
        surfaces.expression(text)
    assert where in str(info.value)


def test_formula_pole_outside_the_window_is_fine():
    s = surfaces.expression("1/(x - 5) + tan(y/2)", bounds=((-2, 2), (-2, 2)))
    assert s.f([0.0, 0.0]) == pytest.approx(-0.2)
    s = surfaces.expression("1/(x**2 + 1)")
    assert s.f([1.0, 0.0]) == pytest.approx(0.5)


def test_limits_name_the_formula_bounds():
    assert limits.MAX_FORMULA_LENGTH == surfaces.expression.__globals__["MAX_LENGTH"]
    assert limits.MAX_NUMBER_MAGNITUDE == 300 and limits.MAX_FORMULA_DEPTH == 30
