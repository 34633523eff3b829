"""The paths on the contour: one line, head and start per run, and the mark of a run that
diverged (red ✕) or left the window (grey ▶), with its note; long paths drawn as their bounces' edges."""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Affine2D

from lossviz import style
from lossviz.draw import placement
from lossviz.draw.runs import ArtistGroup, Run, envelope, line_colors, runs_of, steps_of, upto


def mark_point(path: np.ndarray, xlim, ylim) -> tuple[float, float]:
    """Where to put a run's exit mark: its last finite point when that is inside the window,
    else the point where the path last left the window (on the edge), so it stays visible
    (`placement.exit_crossing` in data coordinates)."""
    (x0, x1), (y0, y1) = sorted(xlim), sorted(ylim)
    return placement.exit_crossing(path, (x0, y0, x1, y1))[0]


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
    window downhill (grey ▶, pointing the way the path left) — see `run_exits`.

    `show(k)` puts exactly θ[0..k] (k clamped to the run's steps) into each line; rows after a
    divergence are NaN, so the line simply ends at the last finite point, where the mark sits
    (moved onto the window's edge when that point lies outside the axes).

    A run of more than style.DENSE_STEPS steps is drawn thin and faint, with its even and its
    odd steps each joined by a line at full strength (`edges`): a bounce that flips sign every
    step shows as its two edges and the faint zig-zag between them, never as a filled block;
    where the path does not bounce the two lines lie on it. `dense_note` says so in the figure.

    Marks and notes are placed when drawn (`placement`: in pixels, so the window's shape is
    known): each ▶ inside the window with its tip on the edge, each note in its run's colour
    frame with a leader line to its mark, where it covers the fewest path cells, clear of the
    other notes and marks.
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
        self.lines, self.edges, self.heads, self.starts, self.marks, self.notes = {}, [], [], [], [], []
        ax = self.ax
        for i, r in enumerate(runs):
            c = colors[r.key]
            # the first run on top: a scene lists its reference run first (full batch, the
            # run stuck on the stable manifold), and later runs wander off from under it
            z = 5 + 0.5 * (len(runs) - i) / len(runs)
            dashes = self.line_styles.get(r.key, "solid")
            (line,) = ax.plot([], [], lw=style.PATH_WIDTH, color=c, label=r.key, zorder=z, solid_capstyle="round", linestyle=dashes)
            pair = tuple(ax.plot([], [], lw=style.DENSE_PATH_WIDTH, color=c, label="_edge", zorder=z, linestyle=dashes)[0] for _ in range(2))
            (start,) = ax.plot([], [], "o", ms=8, mfc="white", mec=c, mew=2.0, zorder=6, label="_start")
            (head,) = ax.plot([], [], "o", ms=style.HEAD_SIZE, color=c, mec="white", mew=1.2, zorder=7, label="_head")
            mark = _ExitMark(self, [], [], zorder=9, label="_exit", visible=False, clip_on=False, **style.DIVERGED_MARK)
            ax.add_line(mark)
            note = _ExitNote(
                self, "", (0, 0), xytext=(0, 0), textcoords="data", fontsize=style.SMALL_SIZE, color=style.DIVERGED_COLOR,
                fontweight="bold", zorder=9, visible=False, annotation_clip=False, ha="center", va="center",
                bbox=dict(boxstyle=f"round,pad={NOTE_PAD}", fc="white", ec=c, lw=NOTE_FRAME, alpha=0.9),
                arrowprops=dict(arrowstyle="-", color=c, lw=NOTE_FRAME, shrinkA=0, shrinkB=0),
            )
            ax.add_artist(note)
            self.lines[r.key] = line
            self.edges.append(pair)
            self.heads.append(head)
            self.starts.append(start)
            self.marks.append(mark)
            self.notes.append(note)
        self.dense_note = _ExitNote(self, "", (0, 0), xytext=(0, 0), textcoords="data", fontsize=style.SMALL_SIZE, color="0.25",
                                    zorder=9, visible=False, annotation_clip=False, ha="center", va="center",
                                    bbox=dict(boxstyle=f"round,pad={NOTE_PAD}", fc="white", ec="0.6", lw=0.8, alpha=0.9))
        ax.add_artist(self.dense_note)
        self.artists = [*self.lines.values(), *(e for pair in self.edges for e in pair), *self.starts, *self.heads,
                        *self.marks, *self.notes, self.dense_note]
        self.colors = colors
        self._load()

    def _load(self) -> None:
        """Per-run data that show(k) only slices."""
        (x0, x1), (y0, y1) = self.ax.get_xlim(), self.ax.get_ylim()
        self._theta, self._idx, self._last, self._exit, self._kinds, self._dense = [], [], [], [], [], []
        for r, line, pair, start, mark, note in zip(self.runs, self.lines.values(), self.edges, self.starts, self.marks, self.notes):
            theta = np.asarray(r.traj.theta[:, r.b, :], dtype=float)
            last = int(r.traj.last()[r.b])
            kind, k = run_exits(_one(r), ((x0, x1), (y0, y1)))[0]
            dense = last > style.DENSE_STEPS
            self._theta.append(theta)
            self._idx.append((envelope(theta), envelope(theta[0::2]), envelope(theta[1::2])) if dense else (envelope(theta),))
            self._last.append(last)
            self._exit.append(k if kind else -1)
            self._kinds.append(kind)
            self._dense.append(dense)
            line.set_linewidth(style.DENSE_PATH_WIDTH if dense else style.PATH_WIDTH)
            line.set_alpha(style.DENSE_PATH_ALPHA if dense else None)
            for edge in pair:
                edge.set_visible(dense)
                edge.set_color(line.get_color())
            start.set_data(theta[:1, 0], theta[:1, 1])
            if kind:
                look = style.DIVERGED_MARK if kind == "diverged" else style.ESCAPED_MARK
                mark.set_marker(look["marker"])
                mark.set_markersize(look["markersize"])
                mark.set_color(look["color"])
                note.set_color(style.DIVERGED_COLOR if kind == "diverged" else style.ESCAPED_COLOR)
                note.set_text(f"diverged at step {k}" if kind == "diverged" else f"left the window at step {k}")
            else:
                note.set_text("")
            note.get_bbox_patch().set_edgecolor(line.get_color())
            note.arrow_patch.set_color(line.get_color())
        self.dense_note.set_text(DENSE_NOTE if any(self._dense) else "")
        self.dense_note.set_visible(any(self._dense))
        self._placed = None  # marks and notes are placed again at the next draw

    # -- placing (at draw time: in pixels, for the window's current shape)
    def place(self, renderer) -> None:
        """Put every exit mark and note where `placement` says, for the axes as they are now
        (a no-op until their size, limits or data change)."""
        ax = self.ax
        key = (tuple(ax.bbox.bounds), ax.get_xlim(), ax.get_ylim(), ax.figure.dpi)
        if self._placed == key:
            return
        self._placed = key
        H = ax.figure.bbox.height
        bx0, by0, bx1, by1 = ax.bbox.extents
        box = (bx0, H - by1, bx1, H - by0)  # pixels, y down
        unit = renderer.points_to_pixels(1.0)

        def px(xy):
            p = ax.transData.transform(np.asarray(xy, dtype=float).reshape(-1, 2))
            return np.c_[p[:, 0], H - p[:, 1]]

        def data(x, y):
            return ax.transData.inverted().transform((x, H - y))

        drawn = [px(theta[idx[0]]) for theta, idx in zip(self._theta, self._idx)]
        squares = [(x, y, line.get_markersize() * unit / 2) for line in ax.get_lines() if line.get_label() in ("_minimum", "_saddle")
                   for x, y in px(line.get_xydata())]
        grid = placement.occupancy(box, drawn, placement.CELL_PT * unit, squares)
        anchors, sizes, glyphs, owners = [], [], [], []
        for theta, last, kind, mark, note in zip(self._theta, self._last, self._kinds, self.marks, self.notes):
            if not kind:
                continue
            (x, y), (dx, dy) = placement.exit_crossing(px(theta[: max(last, 0) + 1]), box)
            r = mark.get_markersize() * unit / 2
            if kind == "escaped":  # the tip on the edge, the glyph inside, pointing the way the path left
                x, y = x - dx * r, y - dy * r
                mark.set_marker(MarkerStyle(style.ESCAPED_MARK["marker"], transform=Affine2D().rotate(math.atan2(-dy, dx))))
            x, y = min(max(x, box[0] + r), box[2] - r), min(max(y, box[1] + r), box[3] - r)
            mark.set_data(*([v] for v in data(x, y)))
            note.xy = tuple(data(x, y))
            note.arrow_patch.shrinkB = r / unit
            anchors.append((x, y))
            glyphs.append((x - r, y - r, x + r, y + r))
            sizes.append(_note_size(note, renderer, unit))
            owners.append(note)
        if self.dense_note.get_text():
            anchors.append((box[0], box[3]))  # the lower-left corner, or the free place nearest to it
            sizes.append(_note_size(self.dense_note, renderer, unit))
            owners.append(self.dense_note)
        for note, (left, top, right, bottom) in zip(owners, placement.place_labels(box, anchors, sizes, grid, unit, glyphs)):
            note.set_position(tuple(data((left + right) / 2, (top + bottom) / 2)))
            if note is self.dense_note:
                note.xy = note.get_position()

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
            for r, line, pair in zip(runs, lines, self.edges):
                line.set_label(r.key)
                for artist in (line, *pair):
                    artist.set_linestyle(self.line_styles.get(r.key, "solid"))
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
        for theta, idx, last, gone_at, line, pair, head, mark, note in zip(
            self._theta, self._idx, self._last, self._exit, self.lines.values(), self.edges, self.heads, self.marks, self.notes
        ):
            kk = min(k, len(theta) - 1)
            shown = theta[upto(idx[0], kk)]
            line.set_data(shown[:, 0], shown[:, 1])
            for parity, (edge, sub) in enumerate(zip(pair, idx[1:])):  # the even steps, the odd steps
                n = (kk - parity) // 2  # the last of them up to kk
                part = theta[parity::2][upto(sub, n)] if n >= 0 else theta[:0]
                edge.set_data(part[:, 0], part[:, 1])
            h = min(kk, last)
            if h >= 0:
                head.set_data(theta[h : h + 1, 0], theta[h : h + 1, 1])
            gone = 0 <= gone_at <= kk
            mark.set_visible(gone)
            note.set_visible(gone)
        return self.animated

    @property
    def animated(self) -> list[Artist]:
        return [*self.lines.values(), *(e for pair in self.edges for e in pair), *self.heads, *self.marks, *self.notes]


NOTE_PAD = 0.25  # the note's frame: its padding (in font sizes) …
NOTE_FRAME = 1.8  # … and the width of the frame and of the leader line, in the run's colour (points)
DENSE_NOTE = "long runs: every 2nd step joined (a bounce's two edges), the path faint"  # = renderer.js DENSE_NOTE


def _note_size(note: Annotation, renderer, unit: float) -> tuple[float, float]:
    """The pixel size of a note with its frame."""
    text = Text.get_window_extent(note, renderer)
    pad = 2 * NOTE_PAD * note.get_fontsize() * unit + NOTE_FRAME * unit
    return text.width + pad, text.height + pad


class _PlacedWhenDrawn:
    """An exit's glyph or note (or the dense paths' note): its PathArtists places every mark
    and note (and turns the ▶) when the first of them is drawn, in the axes' pixels."""

    def __init__(self, owner: PathArtists, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._owner = owner

    def draw(self, renderer):
        if self.get_visible():
            self._owner.place(renderer)
        super().draw(renderer)


class _ExitMark(_PlacedWhenDrawn, Line2D):
    pass


class _ExitNote(_PlacedWhenDrawn, Annotation):
    pass


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
