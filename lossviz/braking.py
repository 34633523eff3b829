"""The two figures of lecture §5 (RMSprop in Rosenbrock's crescent valley), drawn for the
notebook and the gallery; the Explorer and the GIFs show the same scenes in the usual view.

RMSprop, the lecture's form: σᵢ⁰ = |gᵢ⁰|, σᵢᵗ = √(α (σᵢᵗ⁻¹)² + (1 − α)(gᵢᵗ)²),
θᵢ ← θᵢ − η gᵢ/σᵢ. A step is η |gᵢ|/σᵢ long, so the step length in units of η says how
well σ keeps up with the slope: 1 when σ = |g| (it reacts at once), ≫ 1 where the slope
steepens faster than σ follows (at most 1/√(1 − α): σ² ≥ (1 − α) g²), ≪ 1 on a gentle
stretch while σ still remembers a steep one.

* `braking_figure(scene)` — the paths on the contour with the crescent's steep walls marked
  (the line ‖∇f‖ = STEEP_GRAD around the gentle floor) and, one strip per α, the step length
  maxᵢ |Δθᵢ|/η over t with the steps on a steep stretch (‖g‖ ≥ STEEP_GRAD) shaded.
* `first_step_figure(scene)` — the scene's usual view plus an inset on the start: the first
  step of σ⁰ = |g⁰| (η per coordinate) against torch's v = 0 (η/√(1 − α)).

The numbers these figures draw come from `lossviz.draw.longest_step`, `steep_steps` and `spans`, which
tests/test_lecture.py asserts on.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from lossviz import style
from lossviz.draw import draw_paths, draw_surface, longest_step

STEEP_GRAD = 15.0  # ‖g‖ at and above which a stretch of the crescent counts as steep
LINEAR_STEPS = 10  # the strips' t axis is linear up to here, logarithmic after
LABEL_HEIGHT = 0.06  # a strip's "max … η" label sits this high (axes fraction): below every curve


def steep_steps(traj, b: int = 0, threshold: float = STEEP_GRAD) -> np.ndarray:
    """For t = 0 … T−1: True where the step starts on a steep stretch, ‖∇f(θᵗ)‖ ≥ threshold."""
    return np.asarray(traj.grad_norm[:-1, b], dtype=float) >= threshold


def spans(mask: np.ndarray) -> list[tuple[int, int]]:
    """The runs of True in `mask` as (first, last + 1) pairs."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(int)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def descent_end(traj, b: int = 0) -> int:
    """The first step below the steep start: the end of the descent into the valley (0 when
    the run starts on a gentle stretch)."""
    gentle = np.flatnonzero(~steep_steps(traj, b))
    return int(gentle[0]) if gentle.size else int(traj.lr.shape[0])


def _new_figure(dpi: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=style.FIGSIZE, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _grad_norm_grid(surface, n: int = 300):
    (x0, x1), (y0, y1) = surface.bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    with np.errstate(all="ignore"):
        G = np.linalg.norm(surface.grad(np.stack([X, Y], axis=-1)), axis=-1)
    return X, Y, G


def _plain_number(value: float, pos=None) -> str:
    return f"{value:g}"


def braking_figure(scene, runs: Mapping[str, object] | None = None, *, dpi: float = style.STILL_DPI) -> Figure:
    """§5's braking view of a scene whose runs differ in α only (an Agg Figure, 1600 × 900 px
    at the still dpi): contour and paths on the left, one strip per α on the right, smallest
    α on top."""
    surface = scene.make_surface()
    runs = scene.run(surface) if runs is None else runs
    colors = scene.colors()
    alphas = [float(spec.hyper["alpha"]) for spec in scene.runs]
    order = sorted(range(len(alphas)), key=lambda i: alphas[i])
    labels = list(runs)
    fig = _new_figure(dpi)
    W, H = fig.get_size_inches()
    left, bottom, top, gap, strip_w = 1.0, 1.35, 0.95, 1.35, 4.0
    height = H - bottom - top
    contour_w = W - left - gap - strip_w - 0.3
    ax = fig.add_axes((left / W, bottom / H, contour_w / W, height / H))
    draw_surface(ax, surface)
    X, Y, G = _grad_norm_grid(surface)
    ax.contour(X, Y, G, levels=[STEEP_GRAD], zorder=2, **style.STEEP_LINE_STYLE)
    draw_paths(ax, runs, colors, scene.line_styles())
    for label in labels:  # where a run meets a steep wall after the descent: a dot on its path
        traj = runs[label]
        late = steep_steps(traj) & (np.arange(traj.lr.shape[0]) > descent_end(traj))
        theta = traj.theta[:-1, 0][late]
        ax.plot(theta[:, 0], theta[:, 1], color=colors[label], zorder=7.5, label="_steep", **style.STEEP_MARK)
    formula = style.mathtext(surface.formula)
    ax.set_title(f"{surface.name}: {formula}", fontsize=style.FONT_SIZE, loc="left", y=1.0)
    ax.tick_params(labelsize=style.FONT_SIZE)
    ax.xaxis.label.set_fontsize(style.FONT_SIZE)
    ax.yaxis.label.set_fontsize(style.FONT_SIZE)
    # the two notes are placed for Rosenbrock's window: the floor y = x² at its bottom (0, 0), and the start
    start = np.asarray(next(iter(runs.values())).theta[0, 0], dtype=float)
    ax.annotate(f"gentle floor: ‖g‖ < {STEEP_GRAD:g}\ninside the dashed line", (0.0, 0.0), xytext=(0.02, -0.3),
                fontsize=style.SMALL_SIZE, ha="center", va="top", color="0.15", zorder=9,
                arrowprops=dict(arrowstyle="-", color="0.3", lw=1.0, shrinkB=4),
                bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="none", alpha=0.85))
    ax.annotate(f"steep walls: ‖g‖ ≥ {STEEP_GRAD:g}", tuple(start), xytext=(-1.9, 2.75), fontsize=style.SMALL_SIZE,
                ha="left", va="center", color="0.15", zorder=9, arrowprops=dict(arrowstyle="-", color="0.3", lw=1.0, shrinkB=6),
                bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="none", alpha=0.85))

    T = max(int(t.lr.shape[0]) for t in runs.values())
    n = len(order)
    strip_gap = 0.18
    strip_h = (height - (n - 1) * strip_gap) / n
    x_strip = left + contour_w + gap
    strips = []
    for row, i in enumerate(order):
        traj = runs[labels[i]]
        y0 = bottom + height - (row + 1) * strip_h - row * strip_gap
        sax = fig.add_axes((x_strip / W, y0 / H, strip_w / W, strip_h / H), sharex=strips[0] if strips else None)
        strips.append(sax)
        step = longest_step(traj)
        t = np.arange(len(step))
        for a, b in spans(steep_steps(traj)):
            sax.axvspan(a, b, zorder=0, **style.STEEP_SPAN_STYLE)
        sax.axhline(1.0, zorder=1, **style.CURSOR_STYLE)
        cap = 1.0 / np.sqrt(1.0 - alphas[i])
        sax.axhline(cap, zorder=2, **style.LIMIT_STYLE)
        sax.plot(t, step, color=colors[labels[i]], lw=2.0, zorder=3, solid_joinstyle="round")
        sax.set_yscale("log")
        sax.set_ylim(3e-3, 25)
        sax.yaxis.set_major_locator(FixedLocator([0.01, 0.1, 1, 10]))
        sax.yaxis.set_major_formatter(FuncFormatter(_plain_number))
        sax.yaxis.set_minor_locator(NullLocator())
        sax.set_xscale("symlog", linthresh=LINEAR_STEPS, linscale=0.5)
        sax.set_xlim(0, T)
        sax.tick_params(labelsize=style.FONT_SIZE)
        sax.grid(True, which="major", lw=0.5, alpha=0.4)
        sax.set_ylabel(f"α = {alphas[i]:g}", fontsize=style.FONT_SIZE, color=colors[labels[i]], fontweight="bold")
        peak = int(np.argmax(step))
        right = peak > 0.5 * T
        # the label at the strip's foot, clear of the curve and of the dashed lines (η, the cap), a thin line up to the peak
        sax.plot([peak], [step[peak]], "o", ms=6, mfc="white", mec="0.1", mew=1.3, zorder=4)
        sax.annotate(f"max {step[peak]:.3g} η at t = {peak}", (peak, step[peak]), xytext=(peak, LABEL_HEIGHT),
                     textcoords=("data", "axes fraction"), fontsize=style.SMALL_SIZE, ha="right" if right else "left",
                     va="bottom", color="0.1", zorder=4, bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85),
                     arrowprops=dict(arrowstyle="-", color="0.3", lw=0.9, shrinkA=0, shrinkB=4, relpos=(1.0 if right else 0.0, 1.0)))
        if row < n - 1:
            sax.tick_params(labelbottom=False)
    bottom_strip = strips[-1]
    bottom_strip.xaxis.set_major_locator(FixedLocator([0, 5, 10, 100, 1000] if T >= 1000 else [0, 5, 10, 100]))
    bottom_strip.xaxis.set_major_formatter(FuncFormatter(lambda v, pos=None: f"{v:g}"))
    bottom_strip.xaxis.set_minor_locator(NullLocator())
    bottom_strip.set_xlabel(f"step t (linear to {LINEAR_STEPS}, then log)", fontsize=style.FONT_SIZE)
    strips[0].set_title("step length maxᵢ |Δθᵢ| / η, one strip per α", fontsize=style.FONT_SIZE, loc="left", y=1.0)

    handles = [Line2D([], [], color=colors[labels[i]], lw=style.PATH_WIDTH, label=labels[i]) for i in order]
    handles += [
        Patch(label=f"steep: ‖g‖ ≥ {STEEP_GRAD:g}", **{k: v for k, v in style.STEEP_SPAN_STYLE.items() if k != "lw"}),
        Line2D([], [], label="a step on a steep wall after the descent", color="white", **style.STEEP_MARK),
        Line2D([], [], label="cap η/√(1 − α)", **style.LIMIT_STYLE),
        Line2D([], [], label="a step of η", **style.CURSOR_STYLE),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=style.FONT_SIZE, frameon=False,
               handlelength=1.6, columnspacing=1.2, borderaxespad=0.0, bbox_to_anchor=(0.5, 0.02 / H))
    if scene.title:
        fig.suptitle(scene.title, fontsize=style.TITLE_SIZE, y=1 - 0.06 / H, va="top")
    return fig


def first_step_figure(scene, runs: Mapping[str, object] | None = None, *, dpi: float = style.STILL_DPI) -> Figure:
    """The scene's usual still (lossviz.export.build_view) with an inset on the start: each
    run's first step as an arrow, labelled with its length per coordinate in units of η."""
    from lossviz.display import _scene_view

    surface = scene.make_surface()
    runs = scene.run(surface) if runs is None else runs
    view = _scene_view(scene, runs, dpi=dpi, figsize=None, panels=None)
    view.show(view.steps)
    ax = view.axes["surface"]
    start = np.asarray(next(iter(runs.values())).theta[0, 0], dtype=float)
    firsts = {label: np.asarray(t.theta[1, 0], dtype=float) for label, t in runs.items()}
    reach = max(float(np.abs(p - start).max()) for p in firsts.values())
    pad = 0.35 * reach
    x0, x1 = start[0] - pad, start[0] + reach + pad
    y0, y1 = start[1] - pad, start[1] + reach + pad
    inset = ax.inset_axes((0.56, 0.56, 0.42, 0.35))  # its title inside the contour axes, clear of their top edge
    X, Y = np.meshgrid(np.linspace(x0, x1, 120), np.linspace(y0, y1, 120))
    with np.errstate(all="ignore"):
        Z = surface.f(np.stack([X, Y], axis=-1))
    inset.contourf(X, Y, Z, levels=12, cmap=style.CONTOUR_CMAP, alpha=0.35, zorder=0)
    inset.plot([start[0]], [start[1]], "o", ms=6, mfc="white", mec="0.2", mew=1.5, zorder=3)  # under the arrows: the 1 η one is short
    for label, end in firsts.items():
        traj = runs[label]
        eta = float(traj.lr[0, 0])
        length = float(np.abs(end - start).max()) / eta
        color = view.colors[label]
        near = length < 0.5 * reach / eta
        # both first steps point the same way: the short one on top of the long one, with a small head so that its shaft shows
        inset.annotate("", xy=end, xytext=start, zorder=5 if near else 4,
                       arrowprops=dict(arrowstyle="-|>", color=color, lw=3.5 if near else 3.0, mutation_scale=12 if near else 18,
                                       shrinkA=0, shrinkB=0))
        # dark text in a box edged in the run's colour: a light colour (sky blue) as text fades on a projector
        inset.annotate(f"{label.split(' (')[0]}: {length:.3g} η", end, xytext=(8, -14) if near else (-8, 6),
                       textcoords="offset points", fontsize=style.SMALL_SIZE, color="0.1", fontweight="bold",
                       ha="left" if near else "right", va="top" if near else "bottom", zorder=6,
                       bbox=dict(boxstyle="round,pad=0.25", fc="white", ec=color, lw=2.0, alpha=0.95))
    inset.set_xlim(x0, x1)
    inset.set_ylim(y0, y1)
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_title("the first step (zoom)", fontsize=style.SMALL_SIZE, loc="left", y=1.0,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))
    ax.indicate_inset_zoom(inset, edgecolor="0.2")
    return view.figure


FIGURES = {"p05_rmsprop_alpha": braking_figure, "p05_rmsprop_v0": first_step_figure}
