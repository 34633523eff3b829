"""The paths on the contour: one line, head and start per run, and the mark of a run that
diverged (red ✕) or left the window (grey ▶)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from lossviz import style
from lossviz.draw.runs import ArtistGroup, Run, line_colors, runs_of, steps_of, upto, envelope


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


class PathArtists(ArtistGroup):
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
        colors = line_colors(runs, colors)
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
        new_colors = line_colors(runs, colors)
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
            shown = theta[upto(idx, kk)]
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
    paths.show(steps_of(paths.runs))
    return paths
