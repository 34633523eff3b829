"""Sweep plots: "which η works?" (lecture §2, §8) from `optimizers.sweep`.

* `plot_lr_sweep(ax, {name: SweepResult})` — final loss against η, log-log, one line per
  optimizer; a configuration that diverged is a ✕ along the top edge.
* `plot_heatmap(ax, result)` — final loss over η × a second hyperparameter (β, α, β₁, …) on a
  log colour scale; diverged cells are grey and hatched.
* `draw_lr_theory(ax, theory, heavy_ball=False)` — what theory says about fixed steps on a
  quadratic (`surfaces.quadratic_theory`): GD's stability limit η = 2/λ_max and its optimal
  η = 2/(λ_min + λ_max) as vertical lines; on an η × β heatmap of heavy-ball momentum also
  its stability edge η = 2(1 + β)/λ_max and its optimal (η, β).
* `sweep_figure(surface, optimizers, lr=..., steps=..., heatmap=None, values=None)` — runs the
  sweeps and returns a finished Figure (used by `lossviz sweep`); on the quadratic surface
  it draws the theory too.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import NullLocator
from matplotlib.transforms import blended_transform_factory

from lossviz import style

FINAL_LOSS_LABEL = "final loss f(θ_T)"
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">")  # one per line, so that coincident lines stay apart
COINCIDE_RTOL = 1e-3  # two sweeps' values this close at a point lie on top of each other


def loss_label(results: Any) -> str:
    """What a sweep's numbers are: the last step's loss, or the median over the last k steps
    (`optimizers.sweep(..., median_of=k)`)."""
    k = max([getattr(r, "median_of", 1) for r in (results.values() if isinstance(results, Mapping) else results)] or [1])
    return FINAL_LOSS_LABEL if k == 1 else f"median of f over the last {k:,} steps"


def coincident_with(results: Mapping[str, Any], scale: float = 1.0) -> dict[str, tuple[str, float]]:
    """name → (an earlier line it lies on, the smallest η from which on it does so to within
    COINCIDE_RTOL, over at least 3 points up to the end): the lines a reader cannot tell apart."""
    out: dict[str, tuple[str, float]] = {}
    names = list(results)
    for j, name in enumerate(names):
        b = np.asarray(results[name].final_loss, dtype=float) * scale
        for other in names[:j]:
            a = np.asarray(results[other].final_loss, dtype=float) * scale
            if a.shape != b.shape or a.ndim != 1:
                continue
            with np.errstate(all="ignore"):
                same = np.isfinite(a) & np.isfinite(b) & (np.abs(a - b) <= COINCIDE_RTOL * np.abs(a))
            tail = np.flatnonzero(~same)
            first = 0 if tail.size == 0 else int(tail[-1]) + 1  # the run of equal points at the top end of η
            if len(same) - first >= 3:
                _, lr = _axis(results[name].names, results[name].values, 0)
                out[name] = (other, float(lr[first]))
                break
    return out


def _axis(names: Sequence[str], values: Sequence[Sequence[Any]], i: int) -> tuple[str, np.ndarray]:
    """Label and numbers of sweep axis i; a tuple-valued axis (betas) is shown by the
    component that varies (β₁ or β₂)."""
    name, vals = names[i], list(values[i])
    if vals and isinstance(vals[0], (tuple, list)):
        arr = np.asarray(vals, dtype=float)
        j = int(np.argmax(np.ptp(arr, axis=0))) if len(arr) > 1 else 0
        sym = ("beta1", "beta2")[j] if name == "betas" else f"{name}[{j}]"
        return style.symbol(sym), arr[:, j]
    return style.symbol(name), np.asarray(vals, dtype=float)


def sweep_keys(optimizer: str) -> list[str]:
    """The hyperparameters a heatmap can vary for this optimizer (slider keys)."""
    import optimizers

    return list(optimizers.slider_params(optimizer))


def sweep_grid(optimizer: str, key: str, values: Sequence[float]) -> dict[str, list]:
    """The `optimizers.sweep` keyword for a slider key (beta1/beta2 vary one of Adam's betas)."""
    import optimizers

    grid = [optimizers.with_sliders(optimizer, {}, {key: v}) for v in values]
    (keyword,) = grid[0]  # the one factory keyword the slider sets (β₁, β₂: betas)
    return {keyword: [kwargs[keyword] for kwargs in grid]}


def plot_lr_sweep(
    ax: Axes,
    results: Mapping[str, Any],
    colors: Mapping[str, str] | None = None,
    *,
    start_loss: float | None = None,
    target: float | None = None,
    limit: float | None = None,
) -> list[Artist]:
    """Final loss against η for each optimizer's 1-D sweep over lr (log-log; symlog y when a
    final loss is ≤ 0). Diverged configurations are ✕ marks along the top edge.

    With `start_loss` the y axis is the final loss divided by it; `target` draws that ratio
    as a line ("reached the minimum" below it); `limit` (GD's 2/λ_max) splits the η axis
    into the crawl region (left) and the zig-zag region (right), both named."""
    colors = style.colors_for(list(results), colors, [res.optimizer for res in results.values()])
    scale = 1.0 / start_loss if start_loss else 1.0
    artists: list[Artist] = []
    finals = []
    top = blended_transform_factory(ax.transData, ax.transAxes)
    for res in results.values():
        if res.final_loss.ndim != 1:
            raise ValueError(f"plot_lr_sweep needs sweeps over lr only; {res.optimizer!r} has shape {res.final_loss.shape} (use plot_heatmap)")
    under = coincident_with(results, scale)
    for i, (name, res) in enumerate(results.items()):
        _, lr = _axis(res.names, res.values, 0)
        loss = np.where(res.diverged, np.nan, res.final_loss) * scale
        finals.append(loss)
        label = name
        marker = dict(ms=6, mfc=colors[name])
        if name in under:  # drawn on top, dashed with hollow markers, so the line beneath shows through
            other, lr_from = under[name]
            label = f"{name} (= {other} for η ≥ {lr_from:.2g})"
            marker = dict(ms=10, mfc="none", mew=1.8)
        (line,) = ax.plot(lr, loss, ls="--" if name in under else "-", marker=MARKERS[i % len(MARKERS)], lw=2.2,
                          color=colors[name], label=label, zorder=3 if name in under else 2, **marker)
        artists.append(line)
        if res.diverged.any():
            (mark,) = ax.plot(lr[res.diverged], np.full(int(res.diverged.sum()), 0.97 - 0.03 * i), "x", ms=6, mew=1.5, color=colors[name],
                              transform=top, clip_on=False, label="_diverged")
            artists.append(mark)
    ax.set_xscale("log")
    flat = np.concatenate([f[np.isfinite(f)] for f in finals]) if finals else np.empty(0)
    if flat.size and (flat > 0).all():
        ax.set_yscale("log")
    elif flat.size:
        nz = np.abs(flat[flat != 0])
        ax.set_yscale("symlog", linthresh=float(10 ** np.floor(np.log10(nz.min()))) if nz.size else 1.0)
    ax.set_xlabel("learning rate η", fontsize=style.FONT_SIZE)
    what = loss_label(results)
    ax.set_ylabel(f"{what} / f(θ₀)" if start_loss else what, fontsize=style.FONT_SIZE)
    ax.tick_params(labelsize=style.FONT_SIZE)
    ax.grid(True, which="major", lw=0.4, alpha=0.5)
    if target is not None:
        artists.append(ax.axhline(target, **style.LIMIT_STYLE))
        # above its line, clear of the legend in the lower left corner
        artists.append(ax.annotate(f"target: {target:g} × f(θ₀)", (0.01, target), xycoords=("axes fraction", "data"),
                                   xytext=(0, 4), textcoords="offset points", ha="left", va="bottom", fontsize=style.FONT_SIZE))
        lo, hi = ax.get_ylim()
        ax.set_ylim(min(lo, target / 3), hi)
    if limit is not None:
        artists.append(ax.axvline(limit, color="0.3", lw=1.2))
        blend = blended_transform_factory(ax.transData, ax.transAxes)
        artists.append(ax.text(limit / 1.15, 0.5, "← crawl: no zig-zag, too slow", transform=blend, ha="right", va="center",
                               fontsize=style.FONT_SIZE, color="0.2"))
        artists.append(ax.text(limit * 1.15, 0.35, "zig-zag →", transform=blend, ha="left", va="center", fontsize=style.FONT_SIZE, color="0.2"))
        artists.append(ax.annotate(f"2/λ_max = {limit:.3g}", (limit, 1.0), xycoords=blend, xytext=(4, -4), textcoords="offset points",
                                   ha="left", va="top", fontsize=style.FONT_SIZE, color="0.2"))
    if any(r.diverged.any() for r in results.values()):
        artists.append(ax.text(0.01, 0.93, "✕ diverged", transform=ax.transAxes, fontsize=style.FONT_SIZE, color="0.3", va="top"))
    ax.legend(fontsize=style.FONT_SIZE, loc="lower left")
    return artists


def heatmap_norm(results: Sequence[Any], scale: float = 1.0) -> mcolors.Normalize:
    """One colour scale for several heatmaps (of final loss × scale): log when every finite
    value is > 0."""
    flat = np.concatenate([np.ravel(r.final_loss[np.isfinite(r.final_loss) & ~r.diverged]) for r in results]) * scale
    if flat.size == 0:
        return mcolors.LogNorm(1e-3, 1.0)
    lo, hi = float(flat.min()), float(flat.max())
    if lo > 0:
        return mcolors.LogNorm(lo, hi if hi > lo else lo * 10)
    nz = np.abs(flat[flat != 0])
    linthresh = float(10 ** np.floor(np.log10(nz.min()))) if nz.size else 1.0
    return mcolors.SymLogNorm(linthresh, vmin=lo, vmax=hi if hi > lo else lo + 1)


def _edges(v: np.ndarray, log: bool) -> np.ndarray:
    """Cell edges around the centres v (geometric midpoints on a log axis)."""
    v = np.asarray(v, dtype=float)
    if v.size == 1:
        return np.array([v[0] / 1.5, v[0] * 1.5]) if log else np.array([v[0] - 0.5, v[0] + 0.5])
    if log:
        lv = np.log(v)
        mid = (lv[1:] + lv[:-1]) / 2
        return np.exp(np.concatenate([[2 * lv[0] - mid[0]], mid, [2 * lv[-1] - mid[-1]]]))
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[2 * v[0] - mid[0]], mid, [2 * v[-1] - mid[-1]]])


def _rows(yv: np.ndarray) -> tuple[np.ndarray, bool, str]:
    """Where the heatmap's rows go: (y of each row, log axis?, note for the axis label).
    Evenly spaced values as they are; values in [0, 1) that crowd towards 1 (β = 0 … 0.999)
    at their true distance from 1, 1 − β on a log axis; other uneven values one row each."""
    steps = np.diff(yv)
    if len(yv) <= 2 or (steps.min() > 0 and steps.max() <= 1.5 * steps.min()):
        return yv, False, ""
    if (yv >= 0).all() and (yv < 1).all() and (steps > 0).all():
        return 1.0 - yv, True, "  (rows at 1 − β on a log scale)"
    return np.arange(len(yv), dtype=float), False, "  (one row per value, not to scale)"


def _outline(ax: Axes, inside: np.ndarray, x_edges: np.ndarray, y_edges: np.ndarray) -> Artist:
    """White lines around the cells where `inside` (padded by one False cell on each side)
    holds: every cell edge between a cell inside and one outside."""
    from matplotlib.collections import LineCollection

    segments = []
    nx, ny = inside.shape[0] - 2, inside.shape[1] - 2
    for i in range(nx):
        for j in range(ny):
            if not inside[i + 1, j + 1]:
                continue
            x0, x1, y0, y1 = x_edges[i], x_edges[i + 1], y_edges[j], y_edges[j + 1]
            if not inside[i, j + 1]:
                segments.append([(x0, y0), (x0, y1)])
            if not inside[i + 2, j + 1]:
                segments.append([(x1, y0), (x1, y1)])
            if not inside[i + 1, j]:
                segments.append([(x0, y0), (x1, y0)])
            if not inside[i + 1, j + 2]:
                segments.append([(x0, y1), (x1, y1)])
    lines = LineCollection(segments, colors="white", linewidths=2.5, zorder=4, label="target")
    ax.add_collection(lines, autolim=False)
    return lines


def plot_heatmap(ax: Axes, result: Any, *, norm: mcolors.Normalize | None = None, cmap: str = "viridis",
                 scale: float = 1.0, target: float | None = None) -> list[Artist]:
    """Final loss × scale (e.g. 1/f(θ₀)) over η (x, log) × the second sweep axis (y);
    diverged cells grey and hatched (the title says so only when there are some); `target`:
    a contour around the cells below it.

    Returns [hatched background, mesh, best-cell ★, (target contour)]; pass the mesh to
    `fig.colorbar`."""
    if result.final_loss.ndim != 2:
        raise ValueError(f"plot_heatmap needs a 2-D sweep (lr × one hyperparameter), got shape {result.final_loss.shape}")
    _, lr = _axis(result.names, result.values, 0)
    ylabel, labels = _axis(result.names, result.values, 1)
    loss = np.ma.masked_where(result.diverged | ~np.isfinite(result.final_loss), result.final_loss * scale)
    norm = norm or heatmap_norm([result], scale)
    yv, log_rows, note = _rows(labels)
    hatch = Rectangle((0, 0), 1, 1, transform=ax.transAxes, facecolor="0.82", edgecolor="0.55", hatch="///", lw=0, zorder=0)
    ax.add_patch(hatch)
    y_edges = _edges(yv, log_rows)
    mesh = ax.pcolormesh(_edges(lr, True), y_edges, loss.T, norm=norm, cmap=cmap, zorder=1)
    artists: list[Artist] = [hatch, mesh]
    if loss.count():
        i, j = np.unravel_index(np.ma.argmin(loss), loss.shape)
        (best,) = ax.plot([lr[i]], [yv[j]], "*", ms=16, color="white", mec="black", zorder=3, label="lowest")
        artists.append(best)
    if target is not None and loss.count() and loss.min() < target:
        below = np.zeros((len(lr) + 2, len(yv) + 2), dtype=bool)  # padded by one cell on every side
        below[1:-1, 1:-1] = loss.filled(np.inf) < target
        artists.append(_outline(ax, below, _edges(lr, True), y_edges))
        ax.legend(handles=[Line2D([], [], color="white", lw=2.5), best],
                  labels=[f"inside: below {target:g} × f(θ₀)" if scale != 1.0 else f"inside: below {target:g}", "lowest"],
                  fontsize=style.FONT_SIZE, loc="lower left", facecolor="0.4", labelcolor="white", framealpha=0.9)
    ax.set_xscale("log")
    if log_rows:
        ax.set_yscale("log")
    ax.set_xlim(_edges(lr, True)[[0, -1]])
    ax.set_ylim(y_edges[0], y_edges[-1])  # 1 − β falls row by row: β = 0 at the bottom, β → 1 at the top
    if note:
        ax.set_yticks(yv, [f"{v:g}" for v in labels])
        ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("learning rate η")
    ax.set_ylabel(ylabel + note)
    diverged = "; hatched = diverged" if result.diverged.any() else ""
    ax.set_title(f"{result.optimizer}{diverged}", fontsize=style.FONT_SIZE)
    ax.tick_params(labelsize=style.FONT_SIZE)
    ax.xaxis.label.set_fontsize(style.FONT_SIZE)
    ax.yaxis.label.set_fontsize(style.FONT_SIZE)
    return artists


THEORY_COLOR = "0.15"


def draw_lr_theory(ax: Axes, theory: Any, *, heavy_ball: bool = False, color: str = THEORY_COLOR) -> list[Artist]:
    """Theory's η on a sweep plot whose x axis is η: GD's stability limit 2/λ_max (dashed)
    and optimal fixed step 2/(λ_min + λ_max) (dotted). With `heavy_ball` (a heatmap whose y
    axis is the momentum β) also heavy-ball's stability edge η = 2(1 + β)/λ_max (dashed
    curve) and its optimal (η*, β*) (a ringed dot). Returns the artists, each labelled."""
    artists: list[Artist] = [
        ax.axvline(theory.lr_limit, color=color, ls="--", lw=1.2, zorder=4, label=f"GD stable for η < 2/λ_max = {theory.lr_limit:.3g}"),
        ax.axvline(theory.lr_optimal, color=color, ls=":", lw=1.6, zorder=4, label=f"GD's best η = 2/(λ_min+λ_max) = {theory.lr_optimal:.3g}"),
    ]
    if heavy_ball:
        lo, hi = ax.get_ylim()
        beta = np.linspace(max(lo, 0.0), min(hi, 0.999), 200)
        from matplotlib import patheffects

        (edge,) = ax.plot(2 * (1 + beta) / theory.lam_max, beta, color="white", ls="--", lw=1.4, zorder=4,
                          path_effects=[patheffects.withStroke(linewidth=3, foreground="black")],
                          label="momentum stable for η < 2(1+β)/λ_max")
        lr, b = theory.heavy_ball
        (best,) = ax.plot([lr], [b], "o", ms=9, mfc="white", mec="black", mew=1.5, zorder=5,
                          label=f"heavy ball's best (η, β) = ({lr:.3g}, {b:.3g})")
        ax.set_ylim(lo, hi)
        artists += [edge, best]
    return artists


def _theory(surface, theory: bool | None):
    """The fixed-step theory to draw: automatic on the quadratic surface."""
    if theory is False or (theory is None and surface.name != "quadratic"):
        return None
    import surfaces

    return surfaces.quadratic_theory(surface)


def _heavy_ball(optimizer: str, key: str) -> bool:
    """Is this an η × β heatmap of heavy-ball momentum (gd's family, not Nesterov)?"""
    import optimizers

    return key == "momentum" and optimizers.ENTRIES[optimizer].family == "gd" and not optimizers.defaults(optimizer).get("nesterov")


def sweep_figure(
    surface,
    optimizers_: Sequence[str],
    *,
    lr: Sequence[float],
    steps: int,
    start=None,
    heatmap: str | None = None,
    values: Sequence[float] | None = None,
    figsize=None,
    dpi: float = 100,
    theory: bool | None = None,
    progress=None,
    relative: bool = False,
    target: float | None = None,
    regions: bool = False,
    results: Mapping[str, Any] | None = None,
    median_of: int = 1,
) -> Figure:
    """Run the sweeps and draw them: final loss against η per optimizer, or (with `heatmap`,
    a hyperparameter key such as "momentum" or "beta1", and its `values`) one η × value
    heatmap per optimizer on a shared colour scale. Returns an Agg-backed Figure.

    `theory` draws `draw_lr_theory` from the Hessian at the surface's minimum: None (the
    default) does so on the quadratic surface only, True on any surface with a minimum
    (the local quadratic model), False never. `progress(done, total)` counts
    configuration-steps over all the sweeps. relative: final loss over the start's loss;
    target: a line at that ratio; regions: the η axis split at the surface's 2/λ_max into
    the crawl and zig-zag regions. results: optimizer name → optimizers.SweepResult of
    exactly these settings, computed before (then nothing is run). median_of: each
    configuration summarised by the median loss over its last k steps (optimizers.sweep);
    the axis and title say which."""
    import optimizers
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    names = list(dict.fromkeys(optimizers_))
    if not names:
        raise ValueError("sweep_figure needs at least one optimizer")
    from lossviz.limits import SWEEP_LR_RANGE
    from optimizers.base import check_number
    from optimizers.sweep import MAX_UPDATES

    check_number("sweep lr", lr, low=SWEEP_LR_RANGE[0], high=SWEEP_LR_RANGE[1])

    work = len(names) * len(lr) * (1 if heatmap is None or values is None else max(1, len(values))) * int(steps)
    if work > MAX_UPDATES:  # all the sweeps together, before the first starts
        raise ValueError(
            f"sweep: optimizers × configurations × steps must be at most {MAX_UPDATES:,} (limits.MAX_SWEEP_UPDATES), "
            f"got {len(names)} × {work // (len(names) * int(steps)):,} × {int(steps):,} = {work:,}"
        )

    def part(i: int):  # progress of the i-th of the len(names) equal sweeps
        if progress is None:
            return None
        return lambda done, total: progress(i * total + done, len(names) * total)

    if heatmap is None:
        from lossviz.view import stability_limit

        if results is None:
            results = {n: optimizers.sweep(surface, n, steps=steps, lr=list(lr), start=start, progress=part(i), median_of=median_of)
                       for i, n in enumerate(names)}
        fig = Figure(figsize=figsize or style.FIGSIZE, dpi=dpi, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        p0 = np.asarray(surface.start if start is None else start, dtype=float)
        plot_lr_sweep(ax, results, start_loss=float(surface.f(p0)) if relative else None, target=target,
                      limit=stability_limit(surface) if regions else None)
        model = _theory(surface, theory)
        if model is not None:
            draw_lr_theory(ax, model)
            ax.legend(fontsize=style.FONT_SIZE)
        ax.set_title(f"{surface.name}, {steps:,} steps: {loss_label(results)} per η", fontsize=style.TITLE_SIZE)
        return fig
    if values is None or len(values) == 0:
        raise ValueError(f"heatmap {heatmap!r} needs values")
    results = dict(results or {})  # the given ones are not run again
    for i, n in enumerate([n for n in names if n not in results]):
        keys = sweep_keys(n)
        if heatmap not in keys:
            raise ValueError(f"heatmap {heatmap!r}: {n} has no such hyperparameter; valid for {n}: {', '.join(keys) or '(none)'}")
        results[n] = optimizers.sweep(surface, n, steps=steps, lr=list(lr), start=start, progress=part(i), median_of=median_of,
                                      **sweep_grid(n, heatmap, values))
    fig = Figure(figsize=figsize or (max(6.5 * len(names) + 1.8, style.FIGSIZE[0]), style.FIGSIZE[1]), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    p0 = np.asarray(surface.start if start is None else start, dtype=float)
    scale = 1.0 / float(surface.f(p0)) if relative else 1.0
    norm = heatmap_norm(list(results.values()), scale)
    model = _theory(surface, theory)
    mesh = None
    for ax, (n, res) in zip(axes, results.items()):
        mesh = plot_heatmap(ax, res, norm=norm, scale=scale, target=target)[1]
        if model is not None:
            draw_lr_theory(ax, model, heavy_ball=_heavy_ball(n, heatmap))
            ax.legend(fontsize=style.FONT_SIZE, loc="lower left")
    bar = fig.colorbar(mesh, ax=list(axes))
    what = loss_label(results)
    bar.set_label(f"{what} / f(θ₀)" if relative else what, fontsize=style.FONT_SIZE)
    bar.ax.tick_params(labelsize=style.FONT_SIZE)
    if target is not None and norm.vmin < target < norm.vmax:
        bar.ax.axhline(target, color="white", lw=2.2)
    fig.suptitle(f"{surface.name}, {steps:,} steps: {what}" + (" / f(θ₀)" if relative else ""), fontsize=style.TITLE_SIZE)
    return fig
