"""The step-indexed side panels (loss, ‖g‖, η/σ, η_t and the lecture's own): the curve up to
the current step and a cursor, on a scale chosen from the data (linear, log or symlog)."""

from __future__ import annotations

import warnings
from typing import Mapping, Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, MaxNLocator, NullFormatter, NullLocator

from lossviz import style
from lossviz.draw.runs import ArtistGroup, Run, envelope, finite, line_colors, runs_of, steps_of, upto


def choose_scale(values: np.ndarray, prefer_linear: bool = False, span: float = 1e3) -> str:
    """"log" when every finite value is positive and they span more than a factor 30
    (`span` with prefer_linear, and zeros then keep the axis linear); "symlog" when some are
    negative (a saddle's loss); "linear" for a narrow positive range, or when nothing is finite."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "linear"
    positive = v[v > 0]
    if (v >= 0).all():
        if positive.size == 0 or prefer_linear and (positive.size < v.size or positive.max() <= span * positive.min()):
            return "linear"
        # zeros (η/σ when a cosine schedule reaches η = 0) are simply not drawn on a log axis
        return "linear" if positive.max() <= 30.0 * positive.min() and positive.size == v.size else "log"
    return "symlog"


def value_limits(
    series: Sequence[np.ndarray], scale: str, reference: Sequence[np.ndarray] = (), *, include_zero: bool = False
) -> tuple[float, float]:
    """Y limits from the finite values of `series` that no blow-up can ruin.

    `reference` (the curves of runs that did not diverge, and every run's first value) caps
    the range: a diverging run's last finite values (1e20 and more) are cut at six decades
    above the reference, so the converging runs stay readable; the diverging curve leaves the
    top of the panel, which is what it does.
    """
    flat = np.concatenate([np.ravel(s) for s in series]) if len(series) else np.empty(0)
    flat = flat[np.isfinite(flat)]
    ref = np.concatenate([np.ravel(s) for s in reference]) if len(reference) else np.empty(0)
    ref = ref[np.isfinite(ref)]
    if scale == "log":
        flat = flat[flat > 0]
        ref = ref[ref > 0]
        if flat.size == 0:
            return 1e-3, 1.0
        lo, hi = float(flat.min()), float(flat.max())
        if ref.size:
            hi = min(hi, float(ref.max()) * 1e6)
            lo = max(lo, min(float(ref.min()), hi) * 1e-300)  # keep lo ≤ hi
        # tick locators overflow near the float limits: at most 1e±200 and 60 decades
        # (the low end gives way: an η_t decaying as 0.001^t reaches 1e-300)
        hi = min(hi, 1e200)
        lo = min(max(lo, hi * 1e-60, 1e-200), hi)
        if not hi > lo:
            return lo / 10, lo * 10
        pad = (np.log10(hi) - np.log10(lo)) * 0.05
        return lo / 10**pad, hi * 10**pad
    if flat.size == 0:
        return 0.0, 1.0
    lo, hi = max(float(flat.min()), -1e200), min(float(flat.max()), 1e200)
    if ref.size:
        cap = min(float(np.abs(ref).max()) * 1e6, 1e200) or 1.0
        lo, hi = max(lo, -cap), min(hi, cap)
    if include_zero and scale == "linear":
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if not hi > lo:
        pad = abs(hi) * 0.1 if hi != 0 else 1.0
        return lo - pad, hi + pad
    if scale == "symlog":
        return (lo * 1.5 if lo < 0 else lo * 0.5 if lo > 0 else -1e-12), (hi * 1.5 if hi > 0 else hi * 0.5 if hi < 0 else 1e-12)
    pad = (hi - lo) * 0.05
    return lo - pad, hi + pad


def _compact(value: float, pos=None) -> str:
    return "0" if value == 0 else f"{value:.3g}"


def _linthresh(series: Sequence[np.ndarray]) -> float:
    flat = np.abs(np.concatenate([np.ravel(s) for s in series])) if len(series) else np.empty(0)
    flat = flat[np.isfinite(flat) & (flat > 0)]
    if flat.size == 0:
        return 1.0
    t = max(float(np.median(flat)) * 1e-3, float(flat.max()) * 1e-12, 1e-200)
    return float(10 ** np.floor(np.log10(t)))


def longest_step(traj, b: int = 0) -> np.ndarray:
    """maxᵢ |θᵢᵗ⁺¹ − θᵢᵗ| / ηₜ for t = 0 … T−1: the longer coordinate step, in units of η
    (lecture §5: 1 when σ = |g|, at most 1/√(1 − α) for RMSprop)."""
    with np.errstate(all="ignore"):
        return (np.abs(np.diff(traj.theta[:, b, :], axis=0)) / traj.lr[:, b, None]).max(axis=1)


# what each panel plots, per run: one series, or two (θ₁ and θ₂)
def panel_series(kind: str, r: Run) -> list[np.ndarray]:
    traj, b = r.traj, r.b
    with np.errstate(all="ignore"):
        if kind == "loss":
            return [finite(traj.loss[:, b])]
        if kind == "grad_norm":
            return [finite(traj.grad_norm[:, b])]
        if kind == "effective_lr":
            eff = traj.effective_lr[:, b, :]
            return [finite(eff[:, 0]), finite(eff[:, 1])]
        if kind == "lr":
            return [finite(traj.lr[:, b])]
        if kind == "grad2":  # linear: the sign flips are the point
            return [finite(traj.grad[:, b, 1])]
        if kind == "abs_theta2":
            return [finite(np.abs(traj.theta[:, b, 1]))]
        if kind == "theta2":  # linear: the bounce from wall to wall is the point
            return [finite(traj.theta[:, b, 1])]
        if kind == "loss_ratio":
            return [finite(traj.loss[:, b] / traj.loss[0, b])]
        if kind == "step_length":
            step = np.abs(np.diff(traj.theta[:, b, :], axis=0)) / traj.lr[:, b, None]
            return [finite(step[:, 0]), finite(step[:, 1])]
        if kind == "longest_step":
            return [finite(longest_step(traj, b))]
        if kind == "used_grad":
            return [finite(np.hypot(traj.m[:, b, 0], traj.m[:, b, 1]))]
    raise ValueError(f"unknown panel {kind!r}; valid: {', '.join(PANELS)}")


PANELS = style.PANELS
TWO_SERIES = ("effective_lr", "step_length")  # θ₁ thick, θ₂ thin
FROM_ZERO = ("loss", "grad_norm", "lr", "used_grad")  # on a linear axis these start at 0
LINEAR = ("grad2", "theta2", "lr")  # signed or scheduled: always on a linear axis
TARGET_RATIO = 1e-3  # "reaching the minimum": the loss below 1e-3 of its start (lecture §2, §8)
# a panel's own reference line, drawn unless the view gives another (the η/σ panel's 2/λ_max)
OWN_LIMITS: dict[str, tuple[float, str]] = {"loss_ratio": (TARGET_RATIO, f"target: {TARGET_RATIO:g} × f(θ₀)")}
# |θ₂| on a log axis: exact zeros (a run that lies on the floor) cannot be drawn, nor would
# 300 decades of a vanishing offset read; values below ZERO_FLOOR are drawn on a "0" row
# ZERO_ROW_DECADES below it (when some run reaches exactly 0)
ZERO_FLOOR_PANELS = ("abs_theta2",)
ZERO_FLOOR = 1e-12
ZERO_ROW_DECADES = 3
SAME_CURVE = 0.004  # two curves closer than this (a fraction of the panel's height) …
SAME_CURVE_SHARE = 0.3  # … over this share of the steps lie on each other: the later one is dashed
SAME_CURVE_DASHES = (0, (3.0, 2.2))


class CurveArtists(ArtistGroup):
    """One step-indexed side panel: per run (and per parameter for η/σ and the step length)
    the curve revealed up to the current step, and one vertical cursor at the step.

    With `future=True` the whole curve is also drawn faintly behind (an interactive view may
    want it; exports do not, so that a GIF does not give its ending away). `limit`: a
    horizontal line with a label, e.g. (2/λ_max, "stability limit 2/λ") on the η/σ panel.
    """

    def __init__(
        self,
        ax: Axes,
        kind: str,
        trajectories: Mapping[str, object],
        colors: Mapping[str, str] | None = None,
        *,
        scale: str | None = None,
        line_styles: Mapping[str, object] | None = None,
        future: bool = False,
        limit: tuple[float, str] | None = None,
    ):
        if kind not in PANELS:
            raise ValueError(f"unknown panel {kind!r}; valid: {', '.join(PANELS)}")
        self.ax, self.kind, self.fixed_scale = ax, kind, scale
        self.line_styles = dict(line_styles or {})
        self.future = bool(future)
        self.limit = limit if limit is not None else OWN_LIMITS.get(kind)
        self.artists = []
        self.scale = None
        ax.set_title(style.PANEL_TITLES[kind], fontsize=style.FONT_SIZE, loc="left", y=1.0)  # a fixed y skips the costly auto-placement
        ax.tick_params(labelsize=style.FONT_SIZE)
        ax.grid(True, which="major", lw=0.5, alpha=0.4)
        self._build(runs_of(trajectories), colors)

    def _build(self, runs: list[Run], colors) -> None:
        self.remove()
        self.runs = runs
        self.colors = line_colors(runs, colors)
        self.faint: list[Line2D] = []
        self.bold: list[Line2D] = []
        self.styles: list[object] = []  # each bold line's own dash pattern (a coinciding curve may get another)
        for r in runs:
            c = self.colors[r.key]
            ls = self.line_styles.get(r.key, "solid")
            n = 2 if self.kind in TWO_SERIES else 1
            for j in range(n):
                lw = 2.2 if j == 0 else 1.1
                (f,) = self.ax.plot([], [], color=c, lw=1.0, alpha=0.22, label="_full", linestyle=ls, visible=self.future)
                (bl,) = self.ax.plot([], [], color=c, lw=lw, label=r.key if j == 0 else "_" + r.key, linestyle=ls)
                self.faint.append(f)
                self.bold.append(bl)
                self.styles.append(ls)
        self.cursor = self.ax.axvline(0, **style.CURSOR_STYLE)
        extra: list[Artist] = []
        self.crossings: list[tuple[int, Line2D, Artist]] = []  # where a curve first rises through the limit
        if self.limit is not None:
            value, text = self.limit
            extra.append(self.ax.axhline(value, zorder=3, **style.LIMIT_STYLE))  # above the curves: a curve just under it stays told apart
            self.limit_note = self.ax.annotate(text, (0.01, value), xycoords=("axes fraction", "data"), xytext=(0, 3),
                                               textcoords="offset points", fontsize=style.SMALL_SIZE, color="0.2", va="bottom",
                                               zorder=4, bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.7))
            extra.append(self.limit_note)
        self.artists = [*self.faint, *self.bold, self.cursor, *extra]
        self._load()

    def _load(self) -> None:
        ax = self.ax
        self._data: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        raw = [y for r in self.runs for y in panel_series(self.kind, r)]
        reference = [y if int(r.traj.diverged_at[r.b]) < 0 else y[:1] for r in self.runs for y in panel_series(self.kind, r)]
        limit_series = [np.array([self.limit[0]])] if self.limit is not None else []
        T = steps_of(self.runs)
        ax.set_xlim(0, max(T, 1))
        ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(_step_label))
        scale = self.fixed_scale or ("linear" if self.kind in LINEAR else None) or choose_scale(
            np.concatenate([np.ravel(s) for s in raw + limit_series]) if raw else np.empty(0),
            prefer_linear=self.kind in ("lr", "loss", "grad_norm"), span=30.0 if self.kind == "loss" else 1e3,
        )
        self.zero_row = _zero_row(raw) if scale == "log" and self.kind in ZERO_FLOOR_PANELS else None
        shown = raw if self.zero_row is None else [np.where(y < self.zero_row, self.zero_row, y) for y in raw]
        for i, y in enumerate(shown):
            x = np.arange(len(y), dtype=float)
            idx = envelope(y)
            self.faint[i].set_data(x[idx], y[idx])
            self._data.append((x, y, idx))
        with warnings.catch_warnings():  # a new scale autoscales to the curves (flat ones warn); the limits follow
            warnings.filterwarnings("ignore", "Attempting to set identical", UserWarning)
            if scale == "symlog":
                ax.set_yscale("symlog", linthresh=_linthresh(shown + limit_series))
            elif scale != self.scale:
                ax.set_yscale(scale)
        self.scale = scale
        ax.set_ylim(*value_limits(shown + limit_series, scale, reference + limit_series, include_zero=self.kind in FROM_ZERO))
        if scale == "log" and self.zero_row is not None:  # decades down to the floor, then the "0" row
            ax.yaxis.set_major_locator(FixedLocator(_zero_row_ticks(self.zero_row, ax.get_ylim()[1])))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, pos=None, z=self.zero_row: "0" if abs(v - z) <= 1e-6 * z else _power_label(v)))
            ax.yaxis.set_minor_locator(NullLocator())
        elif scale == "log":  # label the decades only: minor labels crowd a small panel
            ax.yaxis.set_minor_formatter(NullFormatter())
            ax.yaxis.set_major_locator(LogLocator(numticks=4))
        elif scale == "linear":  # "1e-07", not an offset text that lands on the panel title
            ax.yaxis.set_major_formatter(FuncFormatter(_compact))
            ax.yaxis.set_major_locator(MaxNLocator(4))
        else:  # symlog: a few decades, never a crowd of overlapping labels
            ax.yaxis.set_major_locator(FixedLocator(_spaced(ax, _symlog_ticks(ax.get_ylim(), ax.yaxis.get_transform().linthresh))))
            ax.yaxis.set_major_formatter(FuncFormatter(_symlog_label))
            ax.yaxis.set_minor_locator(NullLocator())
        self._dash_coinciding(shown)
        if self.limit is not None:
            self._mark_crossings(shown)
            self._place_limit_note(shown)

    def _fractions(self, y: np.ndarray) -> np.ndarray:
        """Values → height on the panel, 0 (bottom) … 1 (top), on its scale."""
        to_scale = self.ax.yaxis.get_transform().transform
        lo, hi = (float(to_scale(v)) for v in self.ax.get_ylim())
        with np.errstate(all="ignore"):
            return (np.asarray(to_scale(np.asarray(y, dtype=float)), dtype=float).ravel() - lo) / ((hi - lo) or 1.0)

    def _dash_coinciding(self, series: list[np.ndarray]) -> None:
        """A curve that lies on an earlier run's curve (over SAME_CURVE_SHARE of the steps,
        closer than SAME_CURVE of the panel's height) is dashed, so the one under it shows
        through its gaps (§10: the stuck run's ‖g‖ under the converging run's)."""
        owner = [r.key for r in self.runs for _ in range(2 if self.kind in TWO_SERIES else 1)]
        heights = [self._fractions(y) for y in series]
        for j, hj in enumerate(heights):
            dashed = False
            if self.styles[j] == "solid":
                for i in range(j):
                    if owner[i] == owner[j] or len(heights[i]) != len(hj):
                        continue
                    both = np.isfinite(heights[i]) & np.isfinite(hj)
                    if both.sum() > 1 and np.mean(both & (np.abs(heights[i] - hj) < SAME_CURVE)) > SAME_CURVE_SHARE:
                        dashed = True
                        break
            for line in (self.bold[j], self.faint[j]):
                line.set_linestyle(SAME_CURVE_DASHES if dashed else self.styles[j])

    def _place_limit_note(self, series: list[np.ndarray]) -> None:
        """The limit's label where no curve runs through it: above its line on the left,
        else on the right, else below (left, right); the least crossed of these if none is free.
        Below only, near the top of the panel (the title is there)."""
        ax = self.ax
        value, text = self.limit
        level = float(self._fractions([value])[0])
        fig = ax.figure
        width_pt, height_pt = (ax.get_position().width * fig.get_size_inches()[0] * 72,
                               ax.get_position().height * fig.get_size_inches()[1] * 72)
        w = min(0.58 * style.SMALL_SIZE * len(text) / width_pt, 0.98)  # the label's size, as panel fractions
        h = (1.4 * style.SMALL_SIZE + 3) / height_pt
        T = max(steps_of(self.runs), 1)
        options = [(side, below) for below in (False, True) for side in ("left", "right") if below or level <= 0.8]
        best, fewest = options[0], None
        for side, below in options:
            x0, x1 = (0.01, 0.01 + w) if side == "left" else (0.99 - w, 0.99)
            y0, y1 = (level - h, level) if below else (level, level + h)
            hits = 0
            for k, _, note in self.crossings:  # a "t = k" note sits below the line, right of its dot
                n0, n1 = k / T, k / T + 0.58 * style.SMALL_SIZE * len(note.get_text()) / width_pt + 0.02
                hits += 1000 * int(below and n0 < x1 and n1 > x0)
            for y in series:
                t = np.arange(len(y)) / T
                f = self._fractions(y)
                hits += int(np.sum((t >= x0) & (t <= x1) & (f >= y0) & (f <= y1)))
            if fewest is None or hits < fewest:
                best, fewest = (side, below), hits
            if hits == 0:
                break
        side, below = best
        self.limit_note.xy = (0.01 if side == "left" else 0.99, value)
        self.limit_note.set_ha(side)
        self.limit_note.set_va("top" if below else "bottom")
        self.limit_note.xyann = (0, -3 if below else 3)

    def _mark_crossings(self, series: list[np.ndarray]) -> None:
        """Each curve that starts below the limit and rises through it: a dot where it first
        does and "t = k" (§7: η/σ across passes 2/λ_max at step 59); shown from step k on."""
        for _, dot, note in self.crossings:
            dot.remove()
            note.remove()
            self.artists.remove(dot)
            self.artists.remove(note)
        self.crossings = []
        value = self.limit[0]
        for y, line in zip(series, self.bold):
            up = np.flatnonzero((y[:-1] < value) & (y[1:] >= value))
            if not len(y) or not y[0] < value or not up.size:
                continue
            k = int(up[0]) + 1
            (dot,) = self.ax.plot([k], [value], "o", ms=7, color=line.get_color(), mec="white", mew=1.2, zorder=5, label="_crossing")
            note = self.ax.annotate(f"t = {k}", (k, value), xytext=(5, -5), textcoords="offset points", ha="left", va="top",
                                    fontsize=style.SMALL_SIZE, color="0.15", zorder=5,
                                    bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.7))
            self.crossings.append((k, dot, note))
            self.artists += [dot, note]

    def set_limit(self, limit: tuple[float, str] | None) -> None:
        """Another horizontal limit line (another surface's 2/λ_max), or none (the panel's own, if it has one)."""
        limit = limit if limit is not None else OWN_LIMITS.get(self.kind)
        if limit != self.limit:
            self.limit = limit
            self._build(self.runs, self.colors)

    def set_trajectories(self, trajectories: Mapping[str, object], colors: Mapping[str, str] | None = None) -> bool:
        runs = runs_of(trajectories)
        if len(runs) != len(self.runs):
            self._build(runs, colors)
            return True
        self.runs = runs
        new = line_colors(runs, colors)
        if new != self.colors:
            i = 0
            for r in runs:
                n = 2 if self.kind in TWO_SERIES else 1
                for _ in range(n):
                    self.faint[i].set_color(new[r.key])
                    self.bold[i].set_color(new[r.key])
                    i += 1
            self.colors = new
        self._load()
        return False

    def show(self, k: int) -> list[Artist]:
        k = max(int(k), 0)
        for (x, y, idx), line in zip(self._data, self.bold):
            shown = upto(idx, min(k, len(x) - 1)) if len(x) else idx
            line.set_data(x[shown], y[shown])
        self.cursor.set_xdata([k, k])
        for at, dot, note in self.crossings:
            dot.set_visible(k >= at)
            note.set_visible(k >= at)
        return self.animated

    @property
    def animated(self) -> list[Artist]:
        return [*self.bold, self.cursor, *(a for _, dot, note in self.crossings for a in (dot, note))]


def _zero_row(series: Sequence[np.ndarray]) -> float | None:
    """The "0" row of a log panel when some curve reaches exactly 0, else None: ZERO_ROW_DECADES
    below the floor, which is ZERO_FLOOR or the decade under the lowest value of a curve
    that never reaches 0, whichever is lower."""
    if not any((np.asarray(y) == 0).any() for y in series):
        return None
    floor = ZERO_FLOOR
    for y in series:
        y = np.asarray(y, dtype=float)
        y = y[np.isfinite(y)]
        if y.size and (y > 0).all():
            floor = min(floor, float(y.min()))
    return float(10.0 ** (np.floor(np.log10(floor)) - ZERO_ROW_DECADES))


def _zero_row_ticks(zero: float, top: float) -> list[float]:
    """The "0" row and at most four decades from the floor up to `top`."""
    first, last = int(round(np.log10(zero))) + ZERO_ROW_DECADES, int(np.floor(np.log10(top)))
    step = max(1, int(np.ceil((last - first) / 3)))
    return [zero, *(10.0**e for e in range(first, last + 1, step))]


def _power_label(value: float, pos=None) -> str:
    return f"$10^{{{int(np.round(np.log10(value)))}}}$" if value > 0 else "0"


def _step_label(value: float, pos=None) -> str:
    """Step ticks that fit a panel: 2000, 40k, 100k."""
    return f"{value / 1000:g}k" if abs(value) >= 10_000 else f"{value:g}"


def _symlog_ticks(limits, linthresh: float, per_side: int = 2) -> list[float]:
    """0 and at most `per_side` powers of ten on each side of a symlog axis, spread over
    the decades the axis spans."""
    lo, hi = sorted(limits)
    ticks = [0.0] if lo <= 0 <= hi else []
    for sign, end in ((1, hi), (-1, -lo)):
        if end <= linthresh:
            continue
        first, last = int(np.ceil(np.log10(linthresh))), int(np.floor(np.log10(end)))
        exps = sorted({int(round(e)) for e in np.linspace(first, last, min(per_side, last - first + 1))}) if last >= first else []
        ticks += [sign * 10.0**e for e in exps]
    return sorted(ticks)


def _spaced(ax: Axes, ticks: list[float]) -> list[float]:
    """The ticks whose labels do not touch at the axes' present height: 0 and the ends of the
    axis first, then the others where they fit."""
    transform = ax.yaxis.get_transform()
    lo, hi = sorted(ax.get_ylim())
    t_lo, t_hi = transform.transform([lo, hi])
    height_pt = ax.get_position().height * ax.figure.get_size_inches()[1] * 72
    at = {t: (transform.transform([t])[0] - t_lo) / ((t_hi - t_lo) or 1.0) * height_pt for t in ticks}
    order = sorted(ticks, key=lambda t: (t != 0, -abs(t)))
    kept: list[float] = []
    for t in order:
        if all(abs(at[t] - at[k]) >= 1.6 * style.FONT_SIZE for k in kept):
            kept.append(t)
    return sorted(kept)


def _symlog_label(value: float, pos=None) -> str:
    """Tick labels of a symlog axis: 0, ±10^k only (the locator puts nothing else there)."""
    if value == 0:
        return "0"
    exponent = int(np.round(np.log10(abs(value))))
    return ("−" if value < 0 else "") + f"$10^{{{exponent}}}$"


def _draw_panel(kind, ax, trajectories, colors, scale=None, **options) -> CurveArtists:
    curves = CurveArtists(ax, kind, trajectories, colors, scale=scale, **options)
    curves.show(steps_of(curves.runs))
    return curves


def draw_loss(ax: Axes, trajectories: Mapping[str, object], colors: Mapping[str, str] | None = None, *, scale: str | None = None, **options) -> CurveArtists:
    """f(θ_t) against t: from 0 on a linear axis unless it spans three decades (then log),
    symlog when a loss is ≤ 0 (saddles)."""
    return _draw_panel("loss", ax, trajectories, colors, scale, **options)


def draw_grad_norm(ax: Axes, trajectories: Mapping[str, object], colors: Mapping[str, str] | None = None, *, scale: str | None = None, **options) -> CurveArtists:
    """‖∇f(θ_t)‖ against t: from 0 on a linear axis unless it spans three decades (then log)."""
    return _draw_panel("grad_norm", ax, trajectories, colors, scale, **options)


def draw_effective_lr(ax: Axes, trajectories: Mapping[str, object], colors: Mapping[str, str] | None = None, *, scale: str | None = None, **options) -> CurveArtists:
    """η_t/σ_t per parameter against t: θ₁ thick, θ₂ thin, log y (lecture §3, §7)."""
    return _draw_panel("effective_lr", ax, trajectories, colors, scale, **options)


def draw_schedule(ax: Axes, trajectories: Mapping[str, object], colors: Mapping[str, str] | None = None, *, scale: str | None = None, **options) -> CurveArtists:
    """η_t against t, on a linear axis from 0 (a warm-up and a decay read as the lines they are)."""
    return _draw_panel("lr", ax, trajectories, colors, scale, **options)


def _drawer(kind: str):
    def draw(ax: Axes, trajectories: Mapping[str, object], colors: Mapping[str, str] | None = None, *, scale: str | None = None, **options) -> CurveArtists:
        return _draw_panel(kind, ax, trajectories, colors, scale, **options)

    draw.__doc__ = f"The {style.PANEL_TITLES[kind]!r} panel against t."
    return draw


PANEL_DRAWERS = {
    "loss": draw_loss,
    "grad_norm": draw_grad_norm,
    "effective_lr": draw_effective_lr,
    "lr": draw_schedule,
    **{kind: _drawer(kind) for kind in ("grad2", "abs_theta2", "theta2", "loss_ratio", "step_length", "longest_step", "used_grad")},
}
