"""A surface typed by the user, e.g. expression("x**2 + 10*y**2"), with an exact gradient.

The text is never passed to Python's eval as it is. It is first split into Python tokens and
every token is checked against a short allow-list (numbers, x, y, pi, E, a few functions,
arithmetic operators and parentheses). Only then does sympy parse it (sympy is imported
lazily), differentiate it symbolically, and turn f and ∇f into numpy functions.
"""

from __future__ import annotations

import decimal
import io
import keyword
import math
import re
import tokenize
from typing import Any

import numpy as np

from surfaces.base import Array, Surface, pack, pack_hessian, xy

FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh")
CONSTANTS = ("pi", "E")
VARIABLES = ("x", "y")
OPERATORS = {"+", "-", "*", "/", "**", "^", "(", ")"}
MAX_LENGTH = 500
MAX_EXPONENT = 1000  # sympy computes number**number exactly: 9**9**9 would never finish
# Checked on the text, before sympy reads a number: sympy parses 1e999999 digit by digit
# (over a minute, gigabytes for 1e9999999999), so a literal is at most 30 characters and
# 0 or between 1e-300 and 1e300 in size (float64 holds it, with room for arithmetic).
MAX_NUMBER_LENGTH = 30
MAX_NUMBER_MAGNITUDE = 300  # decimal exponent: 1e-300 <= |number| <= 1e300
# Parentheses inside one another, and powers in a chain (x**x**x...): sympy recurses once
# per level, and 140 levels exhaust Python's stack.
MAX_DEPTH = 30
POLE_GRID = 201  # points per axis on which denominators are checked for a zero
NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
HINTS = {"e": "use E or exp(...)", "ln": "use log(...)", "X": "use lower-case x", "Y": "use lower-case y"}

DEFAULT_BOUNDS = ((-3.0, 3.0), (-3.0, 3.0))


def expression(text: str, *, bounds: Any = DEFAULT_BOUNDS, start: Any = None) -> Surface:
    """A Surface for the formula `text` in x and y, with its exact symbolic gradient.

    Allowed: numbers, x, y, the constants pi and E, the functions sin cos tan exp log sqrt
    abs tanh, + − * / and ** (or ^) and parentheses; "2x" means 2*x.

    Args:
      text: the formula, e.g. "x**2 + 10*y**2" or "sin(x) * cos(y)".
      bounds: ((x_min, x_max), (y_min, y_max)), the plotting window; f must be finite
        and real on it.
      start: θ_0 = (x, y); by default a point in the upper-left part of the window.

    Raises:
      ValueError: the text is not a formula in x and y that this function accepts; the
        message names the problem (an unknown name, a syntax error, a complex or infinite
        value, …).
    """
    bounds = _check_bounds(bounds)
    (x0, x1), (y0, y1) = bounds
    if start is None:
        theta0 = (x0 + 0.25 * (x1 - x0), y0 + 0.75 * (y1 - y0))
    else:
        theta0 = _check_point("start", start)
    source = _check_tokens(text)

    import sympy  # lazily: only user formulas need it

    x, y = sympy.symbols("x y", real=True)
    try:
        expr = _parse(source, x, y)
        gx, gy = sympy.diff(expr, x), sympy.diff(expr, y)
        f_num = sympy.lambdify((x, y), expr, modules="numpy")
        gx_num = sympy.lambdify((x, y), gx, modules="numpy")
        gy_num = sympy.lambdify((x, y), gy, modules="numpy")
        # the Hessian, symbolically: ∂²f/∂x², ∂²f/∂x∂y, ∂²f/∂y²
        hxx_num, hxy_num, hyy_num = (sympy.lambdify((x, y), sympy.diff(d, v), modules="numpy") for d, v in ((gx, x), (gx, y), (gy, y)))
    except RecursionError:  # the checks above keep the depth small; this is the last guard
        raise ValueError(f"the formula {source!r} is nested too deeply to read") from None

    def f(p: Array) -> Array:
        px, py = xy(p)
        with np.errstate(all="ignore"):  # NaN or ±inf outside the formula's domain is data, not a warning
            return _real(f_num(px, py), px.shape)

    def grad(p: Array) -> Array:
        px, py = xy(p)
        with np.errstate(all="ignore"):
            return pack(_real(gx_num(px, py), px.shape), _real(gy_num(px, py), px.shape))

    def hess(p: Array) -> Array:
        px, py = xy(p)
        with np.errstate(all="ignore"):
            return pack_hessian(*(_real(h(px, py), px.shape) for h in (hxx_num, hxy_num, hyy_num)))

    _check_finite(text, f, grad, bounds, theta0)
    _check_poles(text, expr, (x, y), bounds)
    return Surface(
        name="expression",
        f=f,
        grad=grad,
        hess=hess,
        bounds=bounds,
        start=theta0,
        formula=f"${sympy.latex(expr)}$",
        description=f"user formula f(x, y) = {text.strip()}",
        params={"text": text, "bounds": bounds, "start": None if start is None else theta0},
    )


def _check_tokens(text: Any) -> str:
    """The text with ^ as written, once every token is on the allow-list; else ValueError."""
    if not isinstance(text, str):
        raise ValueError(f"the formula must be a string, got {type(text).__name__}")
    source = text.strip()
    if not source:
        raise ValueError("the formula is empty: type an expression in x and y, e.g. x**2 + 10*y**2")
    if len(source) > MAX_LENGTH:
        raise ValueError(f"the formula is too long ({len(source)} characters, at most {MAX_LENGTH})")
    if "\n" in source or "\r" in source:
        raise ValueError("the formula must fit on one line")
    _check_parentheses(source)  # before tokenize, whose message would be "EOF in multi-line statement"
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError) as err:
        raise ValueError(f"could not read the formula {source!r}: {_reason(err)}") from None
    allowed = ", ".join(FUNCTIONS)
    chain = [0]  # powers in a row, per open parenthesis
    for i, tok in enumerate(tokens):
        kind, s = tok.type, tok.string
        if kind in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER):
            continue
        if kind == tokenize.NAME:
            if s in VARIABLES or s in CONSTANTS:
                continue
            if s in FUNCTIONS:
                following = tokens[i + 1].string if i + 1 < len(tokens) else ""
                if following != "(":
                    raise ValueError(f"the function {s} must be called with parentheses, like {s}(x)")
                continue
            if keyword.iskeyword(s):
                raise ValueError(f"the Python keyword {s!r} is not allowed in a formula")
            hint = HINTS.get(s, f"the formula may use x and y, the constants pi and E, and the functions {allowed}")
            raise ValueError(f"unknown name {s!r} in the formula ({hint})")
        if kind == tokenize.NUMBER:
            if not NUMBER.fullmatch(s):
                raise ValueError(f"the number {s!r} is not allowed: write plain decimal numbers like 2, 0.5 or 1e-3")
            if i > 0 and tokens[i - 1].type == tokenize.NUMBER:
                raise ValueError(f"two numbers in a row ({tokens[i - 1].string} {s}): put an operator between them")
            _check_number_literal(s)
            continue
        if kind == tokenize.OP and s in OPERATORS:
            if s in ("**", "^"):
                chain[-1] += 1
                if chain[-1] > MAX_DEPTH:
                    raise ValueError(f"the formula has more than {MAX_DEPTH} powers in a chain (x**x**...); use parentheses or fewer powers")
            elif s in "+-*/":
                chain[-1] = 0
            elif s == "(":
                chain.append(0)
                if len(chain) - 1 > MAX_DEPTH:
                    raise ValueError(f"the formula nests parentheses more than {MAX_DEPTH} deep")
            elif s == ")":
                chain.pop()
            continue
        raise ValueError(f"{s!r} is not allowed in a formula (use numbers, x, y, + - * / ** ^ and parentheses)")
    return source


def _check_number_literal(text: str) -> None:
    """A number's length and size, from its digits (no float, no sympy: both are slow or
    overflow on 1e999999)."""
    if len(text) > MAX_NUMBER_LENGTH:
        raise ValueError(f"the number {text[:20]}... is too long ({len(text)} characters, at most {MAX_NUMBER_LENGTH})")
    value = decimal.Decimal(text)
    if value and not -MAX_NUMBER_MAGNITUDE <= value.adjusted() < MAX_NUMBER_MAGNITUDE:
        raise ValueError(
            f"the number {text} is out of range: a number in a formula is 0, or at least "
            f"1e-{MAX_NUMBER_MAGNITUDE} and below 1e{MAX_NUMBER_MAGNITUDE} in size"
        )


def _check_parentheses(source: str) -> None:
    """Every ')' closes an earlier '(' and every '(' is closed; positions count from 1."""
    opened = []  # positions of the '(' not yet closed
    for i, ch in enumerate(source, start=1):
        if ch in "[]{}":
            raise ValueError(f"{ch!r} is not allowed in a formula (use numbers, x, y, + - * / ** ^ and parentheses)")
        if ch == "(":
            opened.append(i)
        elif ch == ")":
            if not opened:
                raise ValueError(f"could not read the formula {source!r}: unbalanced parentheses: ')' at position {i} has no '('")
            opened.pop()
    if opened:
        raise ValueError(f"could not read the formula {source!r}: unbalanced parentheses: '(' at position {opened[-1]} is never closed")


def _parse(source: str, x: Any, y: Any) -> Any:
    """The sympy expression for the (already checked) text."""
    import sympy
    from sympy.parsing.sympy_parser import (
        convert_xor,
        implicit_multiplication,
        parse_expr,
        standard_transformations,
    )

    local_dict = {
        "x": x,
        "y": y,
        "pi": sympy.pi,
        "E": sympy.E,
        "sin": sympy.sin,
        "cos": sympy.cos,
        "tan": sympy.tan,
        "exp": sympy.exp,
        "log": sympy.log,
        "sqrt": sympy.sqrt,
        "abs": sympy.Abs,
        "tanh": sympy.tanh,
    }
    # only what sympy's own transformations emit; no builtins reachable from the text
    global_dict = {
        "__builtins__": {},
        "Add": sympy.Add,
        "Mul": sympy.Mul,
        "Pow": sympy.Pow,
        "Integer": sympy.Integer,
        "Float": sympy.Float,
        "Rational": sympy.Rational,
        "Symbol": sympy.Symbol,
    }
    transformations = standard_transformations + (implicit_multiplication, convert_xor)

    def parse(evaluate: bool) -> Any:
        try:
            return parse_expr(
                source,
                local_dict=dict(local_dict),
                global_dict=dict(global_dict),
                transformations=transformations,
                evaluate=evaluate,
            )
        except Exception as err:  # whatever sympy raises, the user sees one clear message
            raise ValueError(f"could not read the formula {source!r}: {_reason(err)}") from None

    lazy = parse(evaluate=False)
    if not isinstance(lazy, sympy.Expr):
        raise ValueError(f"the formula {source!r} is not an expression in x and y")
    for power in lazy.atoms(sympy.Pow):
        if power.base.is_zero and power.exp.is_negative:
            raise ValueError(f"the formula {source!r} divides by zero")
        if power.base.is_number and power.exp.is_number:
            # checked in floating point (mpmath) before sympy computes it exactly
            try:
                ok = abs(float(power.exp.evalf(15))) <= MAX_EXPONENT and abs(complex(power.evalf(15))) <= 1e300
            except (TypeError, ValueError, OverflowError):
                ok = False
            if not ok:
                raise ValueError(
                    f"the number {power} is out of range (a number raised to a number may have an exponent "
                    f"up to ±{MAX_EXPONENT} and must stay below 1e300)"
                )
    expr = parse(evaluate=True)
    if expr.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        raise ValueError(f"the formula {source!r} is not finite (it simplifies to {expr}; a division by zero?)")
    if expr.has(sympy.I):
        raise ValueError(f"the formula {source!r} has complex values (it simplifies to {expr}); it must be real")
    return expr


def _real(value: Any, shape: tuple[int, ...]) -> Array:
    """A float array of `shape`, also when the formula (or a derivative) is a constant.

    Where numpy returns a complex number (a root of a negative number, say) the formula has
    no real value: NaN.
    """
    value = np.asarray(value)
    if np.iscomplexobj(value):
        value = np.where(value.imag == 0, value.real, np.nan)
    return np.array(np.broadcast_to(value.astype(float, copy=False), shape))


def _check_finite(text: str, f: Any, grad: Any, bounds: Any, start: tuple[float, float]) -> None:
    """f must be finite (so real) on a grid over the window, and f and ∇f at the start."""
    (x0, x1), (y0, y1) = bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, 41), np.linspace(y0, y1, 41))
    grid = np.stack([X, Y], axis=-1)
    try:
        Z = f(grid)
        g0 = grad(np.asarray(start, dtype=float))
        z0 = f(np.asarray(start, dtype=float))
    except (ArithmeticError, TypeError, ValueError) as err:  # e.g. a number numpy cannot hold
        raise ValueError(f"the formula {text.strip()!r} cannot be evaluated as a real number: {_reason(err)}") from None
    bad = ~np.isfinite(Z)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"the formula {text.strip()!r} is not finite and real on the whole window {bounds}: "
            f"f({X[i, j]:g}, {Y[i, j]:g}) = {Z[i, j]} (choose bounds inside its domain)"
        )
    if not (np.isfinite(z0) and np.isfinite(g0).all()):
        raise ValueError(f"the formula {text.strip()!r} or its gradient is not finite at the start {start}")


def _denominators(expr: Any) -> list:
    """Expressions whose zeros are poles of `expr`: bases of negative powers (1/u), cos(u)
    of tan(u), and u of log(u)."""
    import sympy

    out = []
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Pow) and node.exp.is_negative and not node.base.is_number:
            out.append(node.base)
        elif isinstance(node, sympy.tan):
            out.append(sympy.cos(node.args[0]))
        elif isinstance(node, sympy.log) and not node.args[0].is_number:
            out.append(node.args[0])
    return out


def _check_poles(text: str, expr: Any, xy_symbols: Any, bounds: Any) -> None:
    """No pole inside the window: each denominator (see `_denominators`) must keep one sign
    on a fine grid; a zero between grid points shows as a sign change between neighbours.
    (The coarse grid of `_check_finite` only catches a pole that lies on one of its points.)"""
    import sympy

    (x0, x1), (y0, y1) = bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, POLE_GRID), np.linspace(y0, y1, POLE_GRID))
    for d in _denominators(expr):
        with np.errstate(all="ignore"):
            D = _real(sympy.lambdify(xy_symbols, d, modules="numpy")(X, Y), X.shape)
        sign = np.sign(D)
        flips = [(sign == 0) | ~np.isfinite(D)]
        flips.append(np.pad(sign[:, 1:] * sign[:, :-1] < 0, ((0, 0), (0, 1))))
        flips.append(np.pad(sign[1:, :] * sign[:-1, :] < 0, ((0, 1), (0, 0))))
        where = np.argwhere(np.logical_or.reduce(flips))
        if where.size:
            i, j = where[0]
            raise ValueError(
                f"the formula {text.strip()!r} has a pole inside the window {bounds}: {d} = 0 near "
                f"({X[i, j]:.3g}, {Y[i, j]:.3g}) (choose bounds that leave it out)"
            )


def _check_bounds(bounds: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    try:
        (x0, x1), (y0, y1) = bounds
        box = ((float(x0), float(x1)), (float(y0), float(y1)))
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be ((x_min, x_max), (y_min, y_max)), got {bounds!r}") from None
    for lo, hi in box:
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"bounds must be finite with min < max on each axis, got {bounds!r}")
    return box


def _check_point(name: str, point: Any) -> tuple[float, float]:
    try:
        px, py = point
        p = (float(px), float(py))
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a point (x, y), got {point!r}") from None
    if not all(math.isfinite(v) for v in p):
        raise ValueError(f"{name} must be a finite point (x, y), got {point!r}")
    return p


def _reason(err: BaseException) -> str:
    msg = err.msg if isinstance(err, SyntaxError) and err.msg else str(err)
    if isinstance(err, tokenize.TokenError) and err.args:
        msg = str(err.args[0])
    return msg.strip().splitlines()[0] if msg.strip() else type(err).__name__
