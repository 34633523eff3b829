"""Drawing helpers: each takes an Axes and returns the artists it made (matplotlib's
recommended `my_plotter(ax, ...)` signature).

Artists are created once; afterwards only their data moves (`set_data`), so scrubbing through
the steps of a run and re-running with a new η never rebuild the figure:

* `draw_surface(ax, surface)` — filled contour of f on a cached grid (log-spaced levels when
  the surface asks for them), thin contour lines, minima (★) and saddles (✕).
* `draw_paths(ax, trajectories)` — one line and one head per run; a run that diverged
  (overflow, or blew up uphill) gets a red ✕ and "diverged at step k", a run that left the
  window downhill (escaped a saddle, slid off an unbounded surface) a grey ▶ and "left the
  window at step k" (`run_exits` says which, for any front end).
* `draw_loss`, `draw_grad_norm`, `draw_effective_lr` (η/σ per parameter, θ₁ thick, θ₂
  thin), `draw_schedule` (η_t) and the panels of single lecture points (`PANELS`) —
  step-indexed side panels: the curve up to the current step, a cursor at the current step
  (and, when asked for with `future=True`, the rest of the curve drawn faintly).

Each `draw_*` except `draw_surface` returns a small artist group with `.artists` (every
artist it owns), `.animated` (the ones `show(k)` moves), `.show(k)` and
`.set_trajectories(trajectories, colors)`; iterating the group yields its artists.

Trajectories are passed as a dict run label → `optimizers.Trajectory`. A Trajectory with
B > 1 runs contributes B lines, keyed by its own `labels` when it has B of them, else by
"label[b]".
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Iterator, Mapping, NamedTuple, Sequence

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, MaxNLocator, NullFormatter, NullLocator

from lossviz import style

# --------------------------------------------------------------------------------------------
# the surface


class Grid(NamedTuple):
    X: np.ndarray
    Y: np.ndarray
    Z: np.ma.MaskedArray
    levels: np.ndarray


_GRID_CACHE: "OrderedDict[tuple, Grid]" = OrderedDict()
_GRID_CACHE_SIZE = 24


def surface_key(surface, n: int = 200, nlevels: int = style.CONTOUR_LEVELS) -> tuple:
    """What identifies a contour grid: the surface's name, formula, parameters and window."""
    params = tuple(sorted((str(k), repr(v)) for k, v in dict(surface.params or {}).items()))
    bounds = tuple(tuple(float(v) for v in pair) for pair in surface.bounds)
    return (surface.name, surface.formula, params, bounds, surface.contour_scale, int(n), int(nlevels))


def contour_levels(Z: np.ndarray, scale: str = "linear", n: int = style.CONTOUR_LEVELS) -> np.ndarray:
    """`n + 1` increasing level boundaries covering the finite values of Z.

    "log": the first level is min Z and the others are min Z + a geometric sequence spanning
    five decades up to max Z (so levels[1:] − levels[0] is log-spaced, fine near the valley
    floor, coarse on the walls; min Z may be zero or negative). "linear": evenly spaced.
    """
    finite = np.asarray(Z, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return np.linspace(0.0, 1.0, n + 1)
    lo, hi = float(finite.min()), float(finite.max())
    span = hi - lo
    if not span > 0 or not np.isfinite(span):
        pad = max(1.0, abs(lo)) * 1e-3
        return np.linspace(lo - pad, lo + pad, n + 1)
    if scale == "log":
        return np.concatenate([[lo], lo + np.geomspace(span * 1e-5, span, n)])
    return np.linspace(lo, hi, n + 1)


def surface_grid(surface, n: int = 200, nlevels: int = style.CONTOUR_LEVELS) -> Grid:
    """X, Y, f(X, Y) on an n × n grid over the surface's bounds, and its contour levels.

    Cached per surface name, formula, parameters and bounds: redrawing the same surface
    (a new η, a new start, another optimizer) never evaluates f on the grid again.
    """
    key = surface_key(surface, n, nlevels)
    hit = _GRID_CACHE.get(key)
    if hit is not None:
        _GRID_CACHE.move_to_end(key)
        return hit
    with np.errstate(all="ignore"):
        X, Y, Z = surface.grid(n)
    Z = np.ma.masked_invalid(np.asarray(Z, dtype=float))
    levels = contour_levels(Z.compressed(), surface.contour_scale, nlevels)
    grid = Grid(X, Y, Z, levels)
    _GRID_CACHE[key] = grid
    while len(_GRID_CACHE) > _GRID_CACHE_SIZE:
        _GRID_CACHE.popitem(last=False)
    return grid


def draw_surface(
    ax: Axes,
    surface,
    *,
    n: int = 200,
    levels: int = style.CONTOUR_LEVELS,
    cmap: str = style.CONTOUR_CMAP,
    alpha: float = style.CONTOUR_ALPHA,
    lines: bool = True,
    markers: bool = True,
) -> list[Artist]:
    """Filled contour of `surface` on `ax`, limits fixed to its bounds; returns the artists.

    Returns [filled contour set, contour line set (if `lines`), minima ★, saddles ✕].
    """
    grid = surface_grid(surface, n, levels)
    norm = mcolors.BoundaryNorm(grid.levels, 256)  # every band its own colour, log levels too
    if cmap == style.CONTOUR_CMAP:  # only the pale part of the map: a background, not a picture
        from matplotlib import colormaps

        lo, hi = style.CONTOUR_CMAP_RANGE
        cmap = mcolors.ListedColormap(colormaps[cmap](np.linspace(lo, hi, 256)))
    artists: list[Artist] = []
    filled = ax.contourf(grid.X, grid.Y, grid.Z, levels=grid.levels, cmap=cmap, norm=norm, alpha=alpha, zorder=0)
    artists.append(filled)
    if lines:
        artists.append(ax.contour(grid.X, grid.Y, grid.Z, levels=grid.levels[1::2], zorder=1, **style.CONTOUR_LINE_STYLE))
    if markers:
        for points, look, label in ((surface.minima, style.MINIMUM_STYLE, "minimum"), (surface.saddles, style.SADDLE_STYLE, "saddle")):
            pts = np.asarray(points, dtype=float).reshape(-1, 2)
            (mark,) = ax.plot(pts[:, 0], pts[:, 1], zorder=style.MARKER_ZORDER, label=f"_{label}", clip_on=False, **look)
            artists.append(mark)
    (x0, x1), (y0, y1) = surface.bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    xlabel, ylabel = style.axis_labels(surface.name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return artists


# --------------------------------------------------------------------------------------------
# runs


class Run(NamedTuple):
    key: str  # the line's label
    traj: object  # optimizers.Trajectory
    b: int  # index into its batch


def _colors(runs: list[Run], given: Mapping[str, str] | None) -> dict[str, str]:
    """Label → colour, keyed by each run's optimizer (the name its Trajectory carries)."""
    return style.colors_for([r.key for r in runs], given, [getattr(r.traj, "optimizer", "") for r in runs])


def runs_of(trajectories: Mapping[str, object]) -> list[Run]:
    """Flatten label → Trajectory (B runs each) into one Run per drawn line."""
    out: list[Run] = []
    for label, traj in trajectories.items():
        B = traj.theta.shape[1]
        if B == 1:
            out.append(Run(str(label), traj, 0))
            continue
        names = tuple(getattr(traj, "labels", ()) or ())
        for b in range(B):
            name = str(names[b]) if len(names) == B else f"{label}[{b}]"
            out.append(Run(name, traj, b))
    seen: dict[str, int] = {}
    for i, run in enumerate(out):  # every line needs its own label
        n = seen.get(run.key, 0)
        seen[run.key] = n + 1
        if n:
            out[i] = run._replace(key=f"{run.key} ({n + 1})")
    return out


def _finite(a: np.ndarray) -> np.ndarray:
    """The same values with ±inf replaced by NaN (a gap in the line, never a spike)."""
    a = np.asarray(a, dtype=float)
    return a if np.isfinite(a).all() else np.where(np.isfinite(a), a, np.nan)


ENVELOPE_BUCKETS = 600  # a long curve is drawn through at most 4 points per bucket of steps


def envelope(values: np.ndarray, buckets: int = ENVELOPE_BUCKETS) -> np.ndarray:
    """The indices of a long series worth drawing: per bucket of consecutive steps its first,
    last, lowest and highest point (per column of a 2-D series), so that every bounce keeps
    its full height while a 10,000-step line costs what 2,400 points cost."""
    v = np.asarray(values, dtype=float)
    v = v.reshape(len(v), -1)
    n = len(v)
    if n <= 4 * buckets:
        return np.arange(n)
    edges = np.linspace(0, n, buckets + 1).astype(int)
    keep = [edges[:-1], edges[1:] - 1]
    filled = np.where(np.isfinite(v), v, np.nan)
    for j in range(v.shape[1]):
        col = filled[:, j]
        for pick in (np.fmin, np.fmax):
            # the index of each bucket's extreme: reduceat finds the value, the first match its index
            ext = pick.reduceat(col, edges[:-1])
            hit = np.flatnonzero(col == np.repeat(ext, np.diff(edges)))
            bucket = np.searchsorted(edges, hit, side="right") - 1
            first = np.unique(bucket, return_index=True)[1]
            keep.append(hit[first])
    return np.unique(np.concatenate(keep))


def _upto(idx: np.ndarray, k: int) -> np.ndarray:
    """The envelope indices up to step k, ending exactly on k."""
    m = int(np.searchsorted(idx, k, side="right"))
    head = idx[:m]
    return head if m and head[-1] == k else np.append(head, k)


def _steps_of(runs: Sequence[Run]) -> int:
    return max((int(r.traj.lr.shape[0]) for r in runs), default=0)


class _Group:
    """Shared plumbing of the artist groups (iterable over their artists)."""

    artists: list[Artist]

    def __iter__(self) -> Iterator[Artist]:
        return iter(self.artists)

    def __len__(self) -> int:
        return len(self.artists)

    def __getitem__(self, i):
        return self.artists[i]

    def remove(self) -> None:
        for artist in self.artists:
            artist.remove()
        self.artists = []


def mark_point(path: np.ndarray, xlim, ylim) -> tuple[float, float]:
    """Where to put a diverged run's ✕: its last finite point when that is inside the window,
    else the point where the path last left the window (on the edge), so it stays visible."""
    (x0, x1), (y0, y1) = sorted(xlim), sorted(ylim)
    finite = path[np.isfinite(path).all(axis=1)]
    if len(finite) == 0:
        return (x0 + x1) / 2, (y0 + y1) / 2
    inside = (finite[:, 0] >= x0) & (finite[:, 0] <= x1) & (finite[:, 1] >= y0) & (finite[:, 1] <= y1)
    if inside[-1]:
        return float(finite[-1, 0]), float(finite[-1, 1])
    if not inside.any():  # never inside: the nearest window point to the last one
        return float(np.clip(finite[-1, 0], x0, x1)), float(np.clip(finite[-1, 1], y0, y1))
    i = int(np.flatnonzero(inside)[-1])
    (ax_, ay), (bx, by) = finite[i], finite[i + 1]
    # largest s in [0, 1] with a + s (b − a) still inside the box (Liang–Barsky style)
    s = 1.0
    for a, b, lo, hi in ((ax_, bx, x0, x1), (ay, by, y0, y1)):
        d = b - a
        if d > 0 and b > hi:
            s = min(s, (hi - a) / d)
        elif d < 0 and b < lo:
            s = min(s, (lo - a) / d)
    return float(ax_ + s * (bx - ax_)), float(ay + s * (by - ay))


def run_exits(traj, bounds) -> list[tuple[str, int]]:
    """How each of a Trajectory's B runs ends, relative to the window `bounds`
    ((x0, x1), (y0, y1)): ("diverged", k) when it overflowed or left the escape radius with
    its loss not below where it started (an instability), ("escaped", k) when it left the
    window — or the escape radius — going downhill (off a saddle, down an unbounded
    surface), ("", -1) when it ends inside the window. k is the step it diverged at, or the
    first step outside the window for good."""
    (x0, x1), (y0, y1) = (sorted(pair) for pair in bounds)
    out = []
    for b in range(traj.theta.shape[1]):
        theta = np.asarray(traj.theta[:, b, :], dtype=float)
        loss = np.asarray(traj.loss[:, b], dtype=float)
        last = int(traj.last()[b])
        div = int(traj.diverged_at[b])
        end = loss[last] if last >= 0 else np.nan
        downhill = bool(np.isfinite(end) and end < loss[0])
        if div >= 0 and not downhill:
            out.append(("diverged", div))
            continue
        pts = theta[: last + 1]
        inside = (pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)
        if div < 0 and (len(inside) == 0 or inside[-1]):
            out.append(("", -1))
            continue
        k = int(np.flatnonzero(inside)[-1]) + 1 if inside.any() else 0
        out.append(("escaped", k))
    return out


class PathArtists(_Group):
    """Line + head per run, plus a mark and a note where a run diverged (red ✕) or left the
    window downhill (grey ▶) — see `run_exits`.

    `show(k)` puts exactly θ[0..k] (k clamped to the run's steps) into each line; rows after a
    divergence are NaN, so the line simply ends at the last finite point, where the mark sits
    (moved onto the window's edge when that point lies outside the axes).
    """

    def __init__(self, ax: Axes, trajectories: Mapping[str, object], colors: Mapping[str, str] | None = None,
                 line_styles: Mapping[str, object] | None = None):
        self.ax = ax
        self.artists = []
        self.lines: dict[str, Line2D] = {}
        self.line_styles = dict(line_styles or {})
        self._build(runs_of(trajectories), colors)

    # -- building
    def _build(self, runs: list[Run], colors: Mapping[str, str] | None) -> None:
        self.remove()
        self.runs = runs
        colors = _colors(runs, colors)
        self.lines, self.heads, self.starts, self.marks, self.notes = {}, [], [], [], []
        ax = self.ax
        for i, r in enumerate(runs):
            c = colors[r.key]
            # the first run on top: a scene lists its reference run first (full batch, the
            # run stuck on the stable manifold), and later runs wander off from under it
            (line,) = ax.plot([], [], lw=style.PATH_WIDTH, color=c, label=r.key, zorder=5 + 0.5 * (len(runs) - i) / len(runs), solid_capstyle="round",
                              linestyle=self.line_styles.get(r.key, "solid"))
            (start,) = ax.plot([], [], "o", ms=8, mfc="white", mec=c, mew=2.0, zorder=6, label="_start")
            (head,) = ax.plot([], [], "o", ms=style.HEAD_SIZE, color=c, mec="white", mew=1.2, zorder=7, label="_head")
            (mark,) = ax.plot([], [], zorder=9, label="_exit", visible=False, clip_on=False, **style.DIVERGED_MARK)
            note = ax.annotate(
                "", (0, 0), xytext=(0, 0), textcoords="offset points", fontsize=style.SMALL_SIZE, color=style.DIVERGED_COLOR,
                fontweight="bold", zorder=9, visible=False, annotation_clip=False,
                bbox=dict(boxstyle="round,pad=0.2", fc="white", ec=style.DIVERGED_COLOR, lw=0.8, alpha=0.85),
            )
            self.lines[r.key] = line
            self.heads.append(head)
            self.starts.append(start)
            self.marks.append(mark)
            self.notes.append(note)
        self.artists = [*self.lines.values(), *self.starts, *self.heads, *self.marks, *self.notes]
        self.colors = colors
        self._load()

    def _load(self) -> None:
        """Per-run data that show(k) only slices."""
        (x0, x1), (y0, y1) = self.ax.get_xlim(), self.ax.get_ylim()
        self._theta, self._idx, self._last, self._exit = [], [], [], []
        stacked = 0  # notes of several exits are stacked, so that they never overlap
        for r, line, start, mark, note in zip(self.runs, self.lines.values(), self.starts, self.marks, self.notes):
            theta = np.asarray(r.traj.theta[:, r.b, :], dtype=float)
            last = int(r.traj.last()[r.b])
            kind, k = run_exits(_one(r), ((x0, x1), (y0, y1)))[0]
            self._theta.append(theta)
            self._idx.append(envelope(theta))
            self._last.append(last)
            self._exit.append(k if kind else -1)
            # a long path is drawn thin, so that its bounces stay lines, not a filled block
            dense = last > style.DENSE_STEPS
            line.set_linewidth(style.DENSE_PATH_WIDTH if dense else style.PATH_WIDTH)
            line.set_alpha(style.DENSE_PATH_ALPHA if dense else None)
            start.set_data(theta[:1, 0], theta[:1, 1])
            if kind:
                px, py = mark_point(theta[: max(last, 0) + 1], (x0, x1), (y0, y1))
                look = style.DIVERGED_MARK if kind == "diverged" else style.ESCAPED_MARK
                color = style.DIVERGED_COLOR if kind == "diverged" else style.ESCAPED_COLOR
                mark.set_marker(look["marker"])
                mark.set_markersize(look["markersize"])
                mark.set_color(look["color"])
                mark.set_data([px], [py])
                right, top = px > (x0 + x1) / 2, py > (y0 + y1) / 2
                note.xy = (px, py)
                dy = 14 + 2.2 * style.SMALL_SIZE * stacked
                note.set_position((-12 if right else 12, -dy if top else dy))
                stacked += 1
                note.set_horizontalalignment("right" if right else "left")
                note.set_verticalalignment("top" if top else "bottom")
                note.set_color(color)
                note.get_bbox_patch().set_edgecolor(color)
                note.set_text(f"diverged at step {k}" if kind == "diverged" else f"left the window at step {k}")

    # -- public
    def set_trajectories(self, trajectories: Mapping[str, object], colors: Mapping[str, str] | None = None) -> bool:
        """New data for the same lines; rebuilds only when the number of runs changes.

        Returns True when it rebuilt the artists (so a legend must be redone)."""
        runs = runs_of(trajectories)
        if len(runs) != len(self.runs):
            self._build(runs, colors)
            return True
        keys_changed = [r.key for r in runs] != [r.key for r in self.runs]
        lines = list(self.lines.values())  # in run order
        self.runs = runs
        if keys_changed:
            self.lines = {}
            for r, line in zip(runs, lines):
                line.set_label(r.key)
                line.set_linestyle(self.line_styles.get(r.key, "solid"))
                self.lines[r.key] = line
        new_colors = _colors(runs, colors)
        for r, line, head, start in zip(runs, lines, self.heads, self.starts):
            c = new_colors[r.key]
            if c != self.colors.get(r.key):
                line.set_color(c)
                head.set_color(c)
                start.set_markeredgecolor(c)
        self.colors = new_colors
        self._load()
        return keys_changed

    def show(self, k: int) -> list[Artist]:
        """Every line to θ[0..k] (k clamped per run); returns the artists that moved."""
        k = max(int(k), 0)
        for theta, idx, last, gone_at, line, head, mark, note in zip(
            self._theta, self._idx, self._last, self._exit, self.lines.values(), self.heads, self.marks, self.notes
        ):
            kk = min(k, len(theta) - 1)
            shown = theta[_upto(idx, kk)]
            line.set_data(shown[:, 0], shown[:, 1])
            h = min(kk, last)
            if h >= 0:
                head.set_data(theta[h : h + 1, 0], theta[h : h + 1, 1])
            gone = 0 <= gone_at <= kk
            mark.set_visible(gone)
            note.set_visible(gone)
        return self.animated

    @property
    def animated(self) -> list[Artist]:
        return [*self.lines.values(), *self.heads, *self.marks, *self.notes]


def _one(r: Run):
    """Run r's trajectory cut to its own batch column (B = 1), for `run_exits`."""
    return r.traj if r.traj.theta.shape[1] == 1 else r.traj.one(r.b, r.key)


def draw_paths(ax: Axes, trajectories: Mapping[str, object], colors: Mapping[str, str] | None = None,
               line_styles: Mapping[str, object] | None = None) -> PathArtists:
    """Line + head per run (all steps shown until `show(k)` is called); `line_styles`: run
    label → "solid" or a dash tuple (`Scene.line_styles()`)."""
    paths = PathArtists(ax, trajectories, colors, line_styles)
    paths.show(_steps_of(paths.runs))
    return paths


# --------------------------------------------------------------------------------------------
# side panels


def choose_scale(values: np.ndarray, prefer_linear: bool = False) -> str:
    """"log" when every finite value is positive and they span more than a factor 30
    (1000 with prefer_linear); "symlog" when some are negative (a saddle's loss) or zero;
    "linear" for a narrow positive range, or when nothing is finite."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "linear"
    positive = v[v > 0]
    if (v >= 0).all():
        if positive.size == 0 or prefer_linear and (positive.size < v.size or positive.max() <= 1e3 * positive.min()):
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
def _series(kind: str, r: Run) -> list[np.ndarray]:
    traj, b = r.traj, r.b
    with np.errstate(all="ignore"):
        if kind == "loss":
            return [_finite(traj.loss[:, b])]
        if kind == "grad_norm":
            return [_finite(traj.grad_norm[:, b])]
        if kind == "effective_lr":
            eff = traj.effective_lr[:, b, :]
            return [_finite(eff[:, 0]), _finite(eff[:, 1])]
        if kind == "lr":
            return [_finite(traj.lr[:, b])]
        if kind == "grad2":  # linear: the sign flips are the point
            return [_finite(traj.grad[:, b, 1])]
        if kind == "abs_theta2":
            return [_finite(np.abs(traj.theta[:, b, 1]))]
        if kind == "step_length":
            step = np.abs(np.diff(traj.theta[:, b, :], axis=0)) / traj.lr[:, b, None]
            return [_finite(step[:, 0]), _finite(step[:, 1])]
        if kind == "longest_step":
            return [_finite(longest_step(traj, b))]
        if kind == "used_grad":
            return [_finite(np.hypot(traj.m[:, b, 0], traj.m[:, b, 1]))]
    raise ValueError(f"unknown panel {kind!r}; valid: {', '.join(PANELS)}")


PANELS = style.PANELS
TWO_SERIES = ("effective_lr", "step_length")  # θ₁ thick, θ₂ thin
FROM_ZERO = ("loss", "grad_norm", "lr", "used_grad")  # on a linear axis these start at 0


class CurveArtists(_Group):
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
        self.limit = limit
        self.artists = []
        self.scale = None
        ax.set_title(style.PANEL_TITLES[kind], fontsize=style.FONT_SIZE, loc="left", y=1.0)  # a fixed y skips the costly auto-placement
        ax.tick_params(labelsize=style.FONT_SIZE)
        ax.grid(True, which="major", lw=0.5, alpha=0.4)
        self._build(runs_of(trajectories), colors)

    def _build(self, runs: list[Run], colors) -> None:
        self.remove()
        self.runs = runs
        self.colors = _colors(runs, colors)
        self.faint: list[Line2D] = []
        self.bold: list[Line2D] = []
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
        self.cursor = self.ax.axvline(0, **style.CURSOR_STYLE)
        extra: list[Artist] = []
        if self.limit is not None:
            value, text = self.limit
            extra.append(self.ax.axhline(value, zorder=1, **style.LIMIT_STYLE))
            self.limit_note = self.ax.annotate(text, (0.01, value), xycoords=("axes fraction", "data"), xytext=(0, 3),
                                               textcoords="offset points", fontsize=style.SMALL_SIZE, color="0.2", va="bottom")
            extra.append(self.limit_note)
        self.artists = [*self.faint, *self.bold, self.cursor, *extra]
        self._load()

    def _load(self) -> None:
        ax = self.ax
        self._data: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        series_all, reference = [], []
        i = 0
        for r in self.runs:
            div = int(r.traj.diverged_at[r.b])
            for y in _series(self.kind, r):
                x = np.arange(len(y), dtype=float)
                idx = envelope(y)
                self.faint[i].set_data(x[idx], y[idx])
                self._data.append((x, y, idx))
                series_all.append(y)
                reference.append(y if div < 0 else y[:1])
                i += 1
        if self.limit is not None:
            series_all.append(np.array([self.limit[0]]))
            reference.append(np.array([self.limit[0]]))
        T = _steps_of(self.runs)
        ax.set_xlim(0, max(T, 1))
        ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(_step_label))
        scale = self.fixed_scale or ("linear" if self.kind in ("grad2", "lr") else None) or choose_scale(
            np.concatenate([np.ravel(s) for s in series_all]) if series_all else np.empty(0),
            prefer_linear=self.kind in ("lr", "loss", "grad_norm"),
        )
        with warnings.catch_warnings():  # a new scale autoscales to the curves (flat ones warn); the limits follow
            warnings.filterwarnings("ignore", "Attempting to set identical", UserWarning)
            if scale == "symlog":
                ax.set_yscale("symlog", linthresh=_linthresh(series_all))
            elif scale != self.scale:
                ax.set_yscale(scale)
        self.scale = scale
        ax.set_ylim(*value_limits(series_all, scale, reference, include_zero=self.kind in FROM_ZERO))
        if self.limit is not None:  # the limit's label above its line, or below it near the top (the title is there)
            to_scale = ax.yaxis.get_transform().transform  # data → the axis's (log, symlog) coordinate
            lo, hi = (float(to_scale(v)) for v in ax.get_ylim())
            below = (float(to_scale(self.limit[0])) - lo) / (hi - lo) > 0.8  # where on the panel, 0 … 1
            self.limit_note.set_va("top" if below else "bottom")
            self.limit_note.xyann = (0, -3 if below else 3)
        if scale == "log":  # label the decades only: minor labels crowd a small panel
            ax.yaxis.set_minor_formatter(NullFormatter())
            ax.yaxis.set_major_locator(LogLocator(numticks=4))
        elif scale == "linear":  # "1e-07", not an offset text that lands on the panel title
            ax.yaxis.set_major_formatter(FuncFormatter(_compact))
            ax.yaxis.set_major_locator(MaxNLocator(4))
        else:  # symlog: a few decades, never a crowd of overlapping labels
            ax.yaxis.set_major_locator(FixedLocator(_spaced(ax, _symlog_ticks(ax.get_ylim(), ax.yaxis.get_transform().linthresh))))
            ax.yaxis.set_major_formatter(FuncFormatter(_symlog_label))
            ax.yaxis.set_minor_locator(NullLocator())

    def set_limit(self, limit: tuple[float, str] | None) -> None:
        """Another horizontal limit line (another surface's 2/λ_max), or none."""
        if limit != self.limit:
            self.limit = limit
            self._build(self.runs, self.colors)

    def set_trajectories(self, trajectories: Mapping[str, object], colors: Mapping[str, str] | None = None) -> bool:
        runs = runs_of(trajectories)
        if len(runs) != len(self.runs):
            self._build(runs, colors)
            return True
        self.runs = runs
        new = _colors(runs, colors)
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
            shown = _upto(idx, min(k, len(x) - 1)) if len(x) else idx
            line.set_data(x[shown], y[shown])
        self.cursor.set_xdata([k, k])
        return self.animated

    @property
    def animated(self) -> list[Artist]:
        return [*self.bold, self.cursor]


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
    curves.show(_steps_of(curves.runs))
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
    **{kind: _drawer(kind) for kind in ("grad2", "abs_theta2", "step_length", "longest_step", "used_grad")},
}


# --------------------------------------------------------------------------------------------
# the Hessian's eigen-directions


def draw_eigendirections(ax: Axes, surface, point: Sequence[float] | None = None, *, color: str = "0.1") -> list[Artist]:
    """Double arrows along the Hessian's eigenvectors at `point` (default: the first minimum),
    each labelled with its eigenvalue λ.

    An arrow's half-length is proportional to 1/√|λ|, like the semi-axes of the contour
    ellipse there: long along the flat direction, short along the steep one. Lengths are
    measured in fractions of the window (so a wide window like the bowl's still shows both):
    the longest is 30 % of it; none is shorter than 8 %, so that a very steep direction
    stays visible (its label still gives λ). On the quadratic surface the decomposition is
    its exact one (surfaces.quadratic_theory); elsewhere it is the
    exact Hessian's, from `surface.hess`.
    """
    import surfaces

    if point is None:
        if not surface.minima:
            raise ValueError(f"draw_eigendirections: surface {surface.name!r} lists no minimum; pass point=(x, y)")
        point = surface.minima[0]
    p = np.asarray(point, dtype=float)
    try:
        theory = surfaces.quadratic_theory(surface, tuple(p))
        lam, vectors = np.asarray(theory.eigenvalues), theory.eigenvectors
    except ValueError:  # not a minimum (a saddle): still the exact Hessian's eigen-directions
        if surface.hess is None:
            raise ValueError(f"draw_eigendirections: surface {surface.name!r} has no Hessian") from None
        lam, vectors = np.linalg.eigh(surface.hess(p))
    span = np.array([b[1] - b[0] for b in surface.bounds], dtype=float)
    inv = 1.0 / np.sqrt(np.maximum(np.abs(lam), 1e-300))
    fraction = np.maximum(0.30 * inv / inv.max(), 0.08)  # of the window, along each arrow
    artists: list[Artist] = []
    for i in range(2):
        unit = vectors[:, i]
        e = unit * fraction[i] / np.linalg.norm(unit / span)
        arrow = ax.annotate(
            "", xy=p + e, xytext=p - e,
            arrowprops=dict(arrowstyle="<->", color=color, lw=1.6, shrinkA=0, shrinkB=0), zorder=6,
        )
        label = ax.annotate(  # λ₁ at one tip, λ₂ at the other arrow's opposite tip: no overlap
            f"λ{'₁₂'[i]} = {lam[i]:.3g}", xy=p + e if i == 0 else p - e, xytext=(5, 5) if i == 0 else (5, -16),
            textcoords="offset points", fontsize=10, color=color, zorder=6,
            bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.75),
        )
        artists += [arrow, label]
    return artists
