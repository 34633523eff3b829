"""Check an optimizer a student wrote against the registry's, step for step (notebook 10).

    from lossviz import check_update
    check_update(my_adam, "adam", betas=(0.9, 0.999), eps=1e-8)

Both optimizers run with `optimizers.run` on a few surfaces and starts (CASES); at every step
t the student's Direction(m_t, σ_t) and θ_{t+1} = θ_t − (η/σ_t)·m_t must equal the
reference's within RTOL (float64). The answer is a `CheckResult`: "matches step for step", or
the first step where the two part, with θ, g, m and σ of both side by side.

The likely cause is found numerically, never by reading the student's code: for each known
mistake (`MISTAKES`: ε inside the root, bias correction missing or off by one step, momentum
in the EMA form, RMSprop's σ⁰) the mistaken variant of the reference is run on the same
cases, and the cause is the variant the student's trajectory matches step for step. A blank
left as `...`, a wrong shape, an exception or a NaN is said as such.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import optimizers
import surfaces
from optimizers.base import Array, Direction, Optimizer, check_int, check_positive

RTOL = 1e-9  # relative tolerance on θ, m and σ (float64 rounding differs by ~1e-16 per step)
ATOL_SCALE = 1e-12  # plus this times the largest |value| of that quantity in the run
STEPS = 40  # updates per case
MAX_CHECK_STEPS = 10_000

# (surface, start θ₀, η): small gradients along the bowl's floor (g₁ = 0.003, where ε changes
# σ by far more than RTOL), large ones on Rosenbrock, and g₂ = 0 throughout on the saddle's
# ridge (σ₂ is ε alone). The first case that parts is the one reported.
CASES: tuple[tuple[str, tuple[float, float], float], ...] = (
    ("bowl", (3.0, 0.01), 1e-3),
    ("rosenbrock", (-1.2, 1.0), 1e-3),
    ("saddle", (0.5, 0.0), 1e-2),
)

NOT_FILLED = "not filled in yet"


# ------------------------------------------------------------------ the known mistakes

def _adam(betas, eps, *, correct_m=True, correct_v=True, shift=0, eps_inside=False, root=True):
    """Adam with one mistake switched on; all off it is torch.optim.Adam:
        m_t = β1 m + (1 − β1) g,  v_t = β2 v + (1 − β2) g²,  t from 1
        m̂ = m / (1 − β1^(t+shift)),  σ = √(v / (1 − β2^(t+shift))) + ε   (eps_inside: √(v̂ + ε);
        without the root: σ = v̂ + ε)"""
    b1, b2 = betas

    def init(theta: Array):
        zeros = np.zeros_like(theta, dtype=float)
        return 0, zeros, zeros

    def update(g: Array, state):
        t, m, v = state
        t += 1
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** (t + shift)) if correct_m else m
        v_hat = v / (1 - b2 ** (t + shift)) if correct_v else v
        sigma = np.sqrt(v_hat + eps) if eps_inside else (np.sqrt(v_hat) if root else v_hat) + eps
        return Direction(m_hat, sigma), (t, m, v)

    return Optimizer(init, update, "adam_variant")


def _rmsprop(alpha, eps, *, first_grad=False, eps_inside=False, swap_alpha=False, root=True):
    """RMSprop with one mistake switched on; all off (first_grad as the reference) it is the
    registry's: v_t = α v + (1 − α) g² (v₀ = g₀² when first_grad), σ = √v + ε, m = g."""
    keep, new = (1 - alpha, alpha) if swap_alpha else (alpha, 1 - alpha)

    def init(theta: Array):
        return 0, np.zeros_like(theta, dtype=float)

    def update(g: Array, state):
        t, v = state
        v = g * g if (t == 0 and first_grad) else keep * v + new * g * g
        sigma = np.sqrt(v + eps) if eps_inside else (np.sqrt(v) if root else v) + eps
        return Direction(g, sigma), (t + 1, v)

    return Optimizer(init, update, "rmsprop_variant")


def _momentum(beta, *, ema=False, start_at_g=True):
    """Heavy ball with one mistake switched on; all off it is torch.optim.SGD's momentum:
        v₀ = g₀, v_t = β v + g  (ema: v_t = β v + (1 − β) g, from v = 0 unless start_at_g)."""
    weight = 1 - beta if ema else 1.0

    def init(theta: Array):
        return 0, np.zeros_like(theta, dtype=float)

    def update(g: Array, state):
        t, v = state
        v = g if (t == 0 and start_at_g) else beta * v + weight * g
        return Direction(v, np.ones_like(g, dtype=float)), (t + 1, v)

    return Optimizer(init, update, "momentum_variant")


@dataclass(frozen=True)
class Mistake:
    """A known mistake: which reference it applies to, what it is, and its variant."""

    key: str
    family: str  # "adam", "rmsprop" or "momentum"
    cause: str
    build: Callable[[dict], Optimizer | None]  # the reference's keywords -> the mistaken variant


MISTAKES: tuple[Mistake, ...] = (
    Mistake("adam_eps_inside", "adam",
            "ε inside the root: σ = √(v̂ + ε); torch adds ε after the root, σ = √v̂ + ε",
            lambda kw: _adam(kw["betas"], kw["eps"], eps_inside=True)),
    Mistake("adam_no_root", "adam",
            "the square root is missing: σ = v̂ + ε; σ is a root mean square, σ = √v̂ + ε",
            lambda kw: _adam(kw["betas"], kw["eps"], root=False)),
    Mistake("adam_betas_swapped", "adam",
            "β₁ and β₂ swapped: β₁ averages g (m), β₂ averages g² (v)",
            lambda kw: _adam(tuple(reversed(kw["betas"])), kw["eps"]) if kw["betas"][0] != kw["betas"][1] else None),
    Mistake("adam_no_correction", "adam",
            "bias correction missing: m̂ = m and v̂ = v; torch divides by 1 − β₁ᵗ and 1 − β₂ᵗ (t counted from 1)",
            lambda kw: _adam(kw["betas"], kw["eps"], correct_m=False, correct_v=False)),
    Mistake("adam_no_correction_m", "adam",
            "bias correction missing on m: m̂ = m; torch divides m by 1 − β₁ᵗ",
            lambda kw: _adam(kw["betas"], kw["eps"], correct_m=False)),
    Mistake("adam_no_correction_v", "adam",
            "bias correction missing on v: v̂ = v; torch divides v by 1 − β₂ᵗ",
            lambda kw: _adam(kw["betas"], kw["eps"], correct_v=False)),
    Mistake("adam_correction_t_minus_1", "adam",
            "bias correction off by one step (t − 1): the first step divides by 1 − β⁰ = 0; "
            "count t from 1 (add 1 to t before correcting)",
            lambda kw: _adam(kw["betas"], kw["eps"], shift=-1)),
    Mistake("adam_correction_t_plus_1", "adam",
            "bias correction off by one step (t + 1): the first step uses 1 − β², not 1 − β¹; "
            "start t at 0 and add 1 once per step, before correcting",
            lambda kw: _adam(kw["betas"], kw["eps"], shift=1)),
    Mistake("momentum_ema", "momentum",
            "momentum in the EMA form v = βv + (1 − β)g (from v = 0); torch.optim.SGD uses v = βv + g, "
            "starting at v⁰ = g⁰ — its steps are 1/(1 − β) times longer",
            lambda kw: _momentum(kw["momentum"], ema=True, start_at_g=False)),
    Mistake("momentum_ema_from_g", "momentum",
            "momentum in the EMA form v = βv + (1 − β)g (from v⁰ = g⁰); torch.optim.SGD uses v = βv + g",
            lambda kw: _momentum(kw["momentum"], ema=True, start_at_g=True)),
    Mistake("rmsprop_sigma0", "rmsprop",
            "σ⁰ = |g⁰| (the lecture's start, v⁰ = (g⁰)²) where the reference starts from v = 0 "
            "(torch: σ⁰ = √(1 − α)·|g⁰|); check against 'rmsprop_lecture' for the lecture's form",
            lambda kw: _rmsprop(kw["alpha"], kw["eps"], first_grad=True) if kw["v0"] == "zeros" else None),
    Mistake("rmsprop_sigma0_zero", "rmsprop",
            "σ⁰ = √(1 − α)·|g⁰| (v starts at 0, torch's form) where the reference starts with σ⁰ = |g⁰|; "
            "check against 'rmsprop' for torch's form",
            lambda kw: _rmsprop(kw["alpha"], kw["eps"]) if kw["v0"] == "first_grad" else None),
    Mistake("rmsprop_eps_inside", "rmsprop",
            "ε inside the root: σ = √(v + ε); torch adds ε after the root, σ = √v + ε",
            lambda kw: _rmsprop(kw["alpha"], kw["eps"], first_grad=kw["v0"] == "first_grad", eps_inside=True)),
    Mistake("rmsprop_no_root", "rmsprop",
            "the square root is missing: σ = v + ε; σ is a root mean square, σ = √v + ε",
            lambda kw: _rmsprop(kw["alpha"], kw["eps"], first_grad=kw["v0"] == "first_grad", root=False)),
    Mistake("rmsprop_alpha_swapped", "rmsprop",
            "α and 1 − α swapped: v = (1 − α)v + αg²; α is the weight of the old v",
            lambda kw: _rmsprop(kw["alpha"], kw["eps"], first_grad=kw["v0"] == "first_grad", swap_alpha=True)),
)


def _family(reference: str, kw: dict) -> str | None:
    """Which mistakes can apply to the reference at these keywords (the plain forms only)."""
    base = optimizers.registry.ENTRIES[reference].factory
    base = getattr(base, "func", base)
    if base is optimizers.adam and not kw.get("amsgrad"):
        return "adam"
    if base is optimizers.rmsprop and not kw.get("centered") and kw.get("momentum") == 0:
        return "rmsprop"
    if base is optimizers.gd and kw.get("momentum", 0) > 0 and not kw.get("nesterov") and kw.get("dampening") == 0:
        return "momentum"
    return None


def variants(reference: str, **hyper: Any) -> list[tuple[Mistake, Optimizer]]:
    """The mistaken variants of the reference with these keywords (empty when none applies)."""
    kw = {**optimizers.defaults(reference), **hyper}
    family = _family(reference, kw)
    out = []
    for mistake in MISTAKES:
        if mistake.family == family:
            opt = mistake.build(kw)
            if opt is not None:
                out.append((mistake, opt))
    return out


# ------------------------------------------------------------------ the student's optimizer

class _Stop(Exception):
    """The student's code cannot be run on: a blank, a wrong shape or an exception."""

    def __init__(self, step: int | None, cause: str, blank: bool = False):
        super().__init__(cause)
        self.step, self.cause, self.blank = step, cause, blank


def _blank_or_error(error: Exception, where: str, step: int | None) -> _Stop:
    text = f"{type(error).__name__}: {error}"
    if "ellipsis" in str(error).lower():  # arithmetic on a `...` left in a blank
        return _Stop(step, f"{NOT_FILLED}: {where} computes with a `...` blank ({text})", blank=True)
    return _Stop(step, f"{where} raised {text}")


def _student(student: Any, hyper: dict) -> Optimizer:
    """The student's optimizer from an Optimizer, a factory (called with `hyper`) or an
    (init, update) pair; a TypeError when `student` is none of these."""
    if isinstance(student, Optimizer):
        return student
    if isinstance(student, (tuple, list)):
        if len(student) == 2 and all(callable(f) for f in student):
            return Optimizer(student[0], student[1], "student")
        raise TypeError(f"student: a pair must be two functions (init, update), got {_brief(student)}")
    if callable(student):
        try:
            made = student(**hyper)
        except Exception as error:
            raise _blank_or_error(error, "calling your factory", None) from None
        if made is Ellipsis:
            raise _Stop(None, f"{NOT_FILLED}: your factory returns `...`", blank=True)
        if not isinstance(made, Optimizer):
            raise _Stop(None, f"your factory must return optimizers.Optimizer(init, update), got {_brief(made)}")
        return made
    raise TypeError(
        "student must be an optimizers.Optimizer, a factory returning one, or an (init, update) pair, "
        f"got {type(student).__name__}"
    )


def _watched(opt: Optimizer) -> Optimizer:
    """`opt` with every step checked: blanks, the Direction pair, shapes. Raises _Stop."""
    step = [0]

    def init(theta: Array):
        step[0] = 0  # a new run
        try:
            state = opt.init(theta)
        except Exception as error:
            raise _blank_or_error(error, "your init", 0) from None
        if state is Ellipsis:
            raise _Stop(0, f"{NOT_FILLED}: init returns `...`", blank=True)
        return state

    def update(g: Array, state, **inputs):
        t = step[0]
        try:
            out = opt.update(g, state, **inputs)
        except _Stop:
            raise
        except Exception as error:
            stop = _blank_or_error(error, f"your update at step {t}", t)
            if t == 0 and not stop.blank and isinstance(error, (TypeError, ValueError)) and "unpack" in str(error):
                stop = _Stop(t, f"{stop.cause} — the state your init returns must be what update unpacks "
                                "(the same tuple, in the same order)")
            raise stop from None
        if out is Ellipsis:
            raise _Stop(t, f"{NOT_FILLED}: update returns `...`", blank=True)
        if isinstance(out, Direction) or not isinstance(out, tuple) or len(out) != 2:
            raise _Stop(t, f"update must return (Direction(m, sigma), new_state), got {_brief(out)}")
        direction, new_state = out
        if not isinstance(direction, Direction):
            raise _Stop(t, f"update must return optimizers.Direction(m, sigma) first, got {_brief(direction)}")
        blanks = [name for name, x in zip(("m", "σ"), direction) if x is Ellipsis]
        if blanks:
            raise _Stop(t, f"{NOT_FILLED}: update returns `...` for {' and '.join(blanks)}", blank=True)
        try:
            m, sigma = (np.asarray(x, dtype=float) for x in direction)
        except (TypeError, ValueError) as error:
            raise _blank_or_error(error, f"Direction(m, sigma) at step {t}", t) from None
        if m.shape != g.shape:
            raise _Stop(t, f"update returned m of shape {m.shape} for θ of shape {g.shape} (one m per parameter)")
        try:
            fits = np.broadcast_shapes(sigma.shape, g.shape) == g.shape
        except ValueError:
            fits = False
        if not fits:
            raise _Stop(t, f"update returned σ of shape {sigma.shape} for θ of shape {g.shape}")
        step[0] += 1
        return Direction(m, np.broadcast_to(sigma, g.shape)), new_state

    return opt._replace(init=init, update=update)


# ------------------------------------------------------------------ running and comparing

def _run(opt: Optimizer, case, lr, steps) -> optimizers.Trajectory:
    name, start, eta = case
    return optimizers.run(surfaces.SURFACES[name], opt, lr=eta if lr is None else lr, steps=steps, start=start)


def _close(a: Array, b: Array, scale: float) -> Array:
    """Elementwise: equal within RTOL (plus ATOL_SCALE·scale), or the same inf or NaN."""
    with np.errstate(invalid="ignore"):
        near = np.abs(a - b) <= RTOL * np.maximum(np.abs(a), np.abs(b)) + ATOL_SCALE * scale
    near &= np.isfinite(a) & np.isfinite(b)  # inf is near nothing (inf ≤ RTOL·inf would say so)
    return near | (a == b) | (np.isnan(a) & np.isnan(b))


def _scale(x: Array) -> float:
    finite = np.abs(x[np.isfinite(x)])
    return float(finite.max()) if finite.size else 0.0


def first_parting(a: optimizers.Trajectory, b: optimizers.Trajectory) -> int | None:
    """The first step t at which m_t, σ_t or θ_{t+1} of `a` and `b` differ (None: never)."""
    same = np.ones(a.steps, dtype=bool)
    for x, y in ((a.m, b.m), (a.sigma, b.sigma), (a.theta[1:], b.theta[1:])):
        same &= _close(x, y, _scale(y)).all(axis=(1, 2))
    bad = np.flatnonzero(~same)
    return int(bad[0]) if bad.size else None


def _matches_everywhere(opt: Optimizer, runs: list, lr, steps) -> bool:
    """Does the student's run equal `opt`'s step for step on every case?"""
    return all(first_parting(_run(opt, case, lr, steps), mine) is None for case, mine, _ in runs)


# ------------------------------------------------------------------ the answer

ROW_FIELDS = ("theta", "g", "m", "sigma")
SYMBOLS = {"theta": "θ", "g": "g", "m": "m", "sigma": "σ"}
DIRECTION_NOTE = "m and σ are the Direction(m, sigma) that update returns (for Adam: m̂ and √v̂ + ε)."


@dataclass(frozen=True)
class CheckResult:
    """What `check_update` found.

    ok: True when θ, m and σ match step for step on every case. step: the first update t at
    which they part (m_t, σ_t or θ_{t+1}), on `surface` from `start` at η = `lr`; None if ok.
    cause: None, or a short sentence (a known mistake, a blank, a shape, an exception).
    rows: at steps t − 1 and t, per parameter, θ, g, m, σ of both (keys "theta", "theta_ref", …).
    """

    student: str
    reference: str
    hyper: dict
    ok: bool
    step: int | None = None
    surface: str | None = None
    start: tuple[float, float] | None = None
    lr: float | None = None
    cause: str | None = None
    blank: bool = False
    rows: list[dict] = field(default_factory=list)
    cases: int = 0
    steps: int = 0

    @property
    def title(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyper.items())
        return f"{self.student} vs {self.reference}({args})"

    @property
    def verdict(self) -> str:
        if self.ok:
            return (f"matches step for step: θ, m and σ within {RTOL:g} on {self.cases} runs × "
                    f"{self.steps} steps")
        if self.blank:
            return NOT_FILLED
        where = "" if self.surface is None else f" on {self.surface} from {self.start}, η = {self.lr:g}"
        at = "" if self.step is None else f" at step {self.step}"
        return f"first differs{at}{where}"

    @staticmethod
    def _cells(row: dict, key: str) -> tuple[str, str, bool]:
        return f"{row[key]:.10g}", f"{row[key + '_ref']:.10g}", key not in row["differs"]

    def __str__(self) -> str:
        if self.blank:  # the cause says "not filled in yet: where"
            return f"{self.title}: {self.cause}"
        lines = [f"{self.title}: {self.verdict}"]
        if self.cause:
            lines.append(f"likely cause: {self.cause}")
        if self.rows:
            head = ["step", "param"] + [f"{SYMBOLS[k]} {w}" for k in ROW_FIELDS for w in ("yours", "ref")]
            body = []
            for row in self.rows:
                cells = [str(row["step"]), row["parameter"]]
                for key in ROW_FIELDS:
                    a, b, same = self._cells(row, key)
                    cells += [a + ("" if same else " ≠"), b]
                body.append(cells)
            widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
            for r in [head, *body]:
                lines.append("  ".join(c.rjust(w) for c, w in zip(r, widths)).rstrip())
            lines.append(f"≠: yours differs from the reference by more than {RTOL:g} (relative). {DIRECTION_NOTE}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        e = html.escape
        colour = "#1a7f37" if self.ok else "#b42318"
        verdict = self.cause if self.blank else self.verdict
        out = [f'<div class="lv-check"><p><b>{e(self.title)}</b>: '
               f'<span style="color:{colour}">{e(verdict)}</span></p>']
        if self.cause and not self.blank:
            out.append(f"<p>likely cause: {e(self.cause)}</p>")
        if self.rows:
            out.append('<table style="text-align:right"><tr><th>step</th><th>param</th>'
                       + "".join(f"<th>{e(SYMBOLS[k])} yours</th><th>{e(SYMBOLS[k])} ref</th>" for k in ROW_FIELDS)
                       + "</tr>")
            for row in self.rows:
                tds = [f"<td>{row['step']}</td><td>{e(row['parameter'])}</td>"]
                for key in ROW_FIELDS:
                    a, b, same = self._cells(row, key)
                    style = "" if same else ' style="background:#fde2e1" title="differs"'
                    tds.append(f"<td{style}>{e(a)}</td><td>{e(b)}</td>")
                out.append("<tr>" + "".join(tds) + "</tr>")
            out.append(f"</table><p>shaded: yours differs from the reference by more than {RTOL:g} (relative). "
                       f"{e(DIRECTION_NOTE)}</p>")
        out.append("</div>")
        return "".join(out)

    def __repr__(self) -> str:
        return f"<CheckResult {self.title}: {self.verdict}>"

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython's plain-text display: the whole report
        printer.text(str(self))


def _rows(mine: optimizers.Trajectory, ref: optimizers.Trajectory, step: int) -> list[dict]:
    """Steps t − 1 and t, per parameter: θ, g, m, σ of both, and which of them differ."""
    pairs = {"theta": (mine.theta, ref.theta), "g": (mine.grad, ref.grad), "m": (mine.m, ref.m),
             "sigma": (mine.sigma, ref.sigma)}
    rows = []
    for t in range(max(step - 1, 0), step + 1):
        for i, parameter in enumerate(("θ₁", "θ₂")):
            row: dict = {"step": t, "parameter": parameter, "differs": []}
            for key, (a, b) in pairs.items():
                row[key], row[f"{key}_ref"] = float(a[t, 0, i]), float(b[t, 0, i])
                if not _close(a[t, 0, i], b[t, 0, i], _scale(b)):
                    row["differs"].append(key)
            rows.append(row)
    return rows


def _name_of(student: Any) -> str:
    if isinstance(student, Optimizer):
        return student.name or "yours"
    return getattr(student, "__name__", "") or "yours"


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_update(student: Any, reference: str, *, lr: float | None = None, steps: int = STEPS, **hyper: Any) -> CheckResult:
    """Run `student` and the registry's `reference` side by side and compare every step.

    Args:
      student: what a student wrote, one of
        - an `optimizers.Optimizer(init, update)` (used as it is),
        - a factory returning one; it is called with `**hyper` (so its keywords are torch's:
          momentum, alpha, betas, eps), or
        - a pair `(init, update)`: init(θ₀) → state, update(g, state) → (Direction(m, σ), state).
      reference: a registry name, e.g. "momentum", "rmsprop", "rmsprop_lecture" (σ⁰ = |g⁰|), "adam".
      lr: η for every case (default: each case's own, see CASES).
      steps: updates per case (1 … 10,000; default 40).
      **hyper: the reference's keyword arguments (torch's names), e.g. betas=(0.9, 0.999).

    Returns a CheckResult (`ok`, `step`, `surface`, `start`, `cause`, `rows`); it prints as a
    text table and shows as an HTML table in JupyterLab. A blank left as `...`, a wrong shape,
    an exception or a NaN in the student's code is reported in it, not raised. Wrong
    arguments to check_update itself are a TypeError or ValueError naming the argument.
    """
    if not isinstance(reference, str):
        raise TypeError(f"reference must be a registry name such as 'adam', got {type(reference).__name__}")
    if reference not in optimizers.OPTIMIZERS:
        raise ValueError(f"reference: {optimizers.registry.unknown_optimizer(reference)}")
    if lr is not None:
        check_positive("lr", lr)
    steps = check_int("steps", steps, low=1, high=MAX_CHECK_STEPS)
    ref_opt = optimizers.make_optimizer(reference, **hyper)  # unknown keywords: ValueError listing the valid
    name = _name_of(student)
    base = dict(student=name, reference=reference, hyper=dict(hyper), steps=steps, cases=len(CASES))
    try:
        mine_opt = _watched(_student(student, hyper))
    except _Stop as stop:
        return CheckResult(ok=False, cause=stop.cause, blank=stop.blank, **base)

    runs, parted = [], None
    for case in CASES:
        ref = _run(ref_opt, case, lr, steps)
        try:
            mine = _run(mine_opt, case, lr, steps)
        except _Stop as stop:
            return CheckResult(ok=False, step=stop.step, surface=case[0], start=case[1], lr=lr or case[2],
                               cause=stop.cause, blank=stop.blank, **base)
        runs.append((case, mine, ref))
        k = first_parting(mine, ref)
        if k is not None and parted is None:
            parted = (case, k, mine, ref)
    if parted is None:
        return CheckResult(ok=True, **base)

    case, k, mine, ref = parted
    where = dict(step=k, surface=case[0], start=case[1], lr=lr or case[2], rows=_rows(mine, ref, k))
    return CheckResult(ok=False, cause=_diagnose(reference, hyper, runs, lr, steps, mine, ref, k), **where, **base)


def _diagnose(reference, hyper, runs, lr, steps, mine, ref, k) -> str | None:
    """The known mistake whose variant the student matches on every case; else what the
    numbers at the parting step show (NaN, σ ≤ 0, the right step split differently)."""
    for mistake, variant in variants(reference, **hyper):
        if _matches_everywhere(variant, runs, lr, steps):
            return mistake.cause
    m, sigma = mine.m[k, 0], mine.sigma[k, 0]
    if not (np.isfinite(m).all() and np.isfinite(sigma).all()):
        return f"your update returned a value that is not a finite number at step {k}: m = {m.tolist()}, σ = {sigma.tolist()}"
    if not (sigma > 0).all():
        return f"σ must be > 0 (the runner divides by it); at step {k} yours is {sigma.tolist()}"
    if all(_close(a.theta, b.theta, _scale(b.theta)).all() for _, a, b in runs):
        return ("θ matches step for step, but m and σ are split differently (only m/σ agrees): keep the "
                "lecture's form, m the direction and σ the per-parameter scale, as the reference does")
    return None


__all__ = ["CASES", "MISTAKES", "RTOL", "CheckResult", "Mistake", "check_update", "first_parting", "variants"]
