"""SceneView: the one figure every lossviz front end drives.

A big contour of the surface with every run's path on the left, small step-indexed panels on
the right (loss, gradient norm, η/σ per parameter, η_t). The figure and its artists are made
once; `set_trajectories` swaps the data in place (the contour stays cached), and `show(k)`
moves every view to step k by `set_data` alone — the Explorer's Play button, its frame
slider and the GIF writer all call this same method.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from lossviz import style
from lossviz.draw import PANEL_DRAWERS, PANELS, CurveArtists, PathArtists, draw_paths, draw_surface, runs_of, surface_key

DEFAULT_PANELS = ("loss", "grad_norm", "effective_lr", "lr")  # what `informative_panels` chooses from


def informative_panels(trajectories: Mapping[str, object], requested: Sequence[str] | None = None) -> tuple[str, ...]:
    """The panels (of `requested`, default DEFAULT_PANELS) whose curves carry information
    for these runs, in order. Dropped: "effective_lr" when every run has σ ≡ 1 (plain GD,
    momentum: η/σ is just η_t), and "lr" when every run's η_t is constant. Unknown names are
    a ValueError listing the valid ones."""
    panels = tuple(DEFAULT_PANELS if requested is None else requested)
    bad = [p for p in panels if p not in PANELS]
    if bad:
        raise ValueError(f"unknown panel {bad[0]!r}; valid panels: {', '.join(PANELS)}")
    runs = runs_of(trajectories)

    def every(test) -> bool:
        with np.errstate(all="ignore"):
            return bool(runs) and all(test(r) for r in runs)

    def sigma_is_one(r) -> bool:
        s = np.asarray(r.traj.sigma[:, r.b, :], dtype=float)
        s = s[np.isfinite(s)]
        return bool(np.all(s == 1.0))

    def lr_is_constant(r) -> bool:
        lr = np.asarray(r.traj.lr[:, r.b], dtype=float)
        return bool(lr.size == 0 or np.all(lr == lr[0]))

    drop = set()
    if every(sigma_is_one):
        drop.add("effective_lr")
    if every(lr_is_constant):
        drop.add("lr")
    return tuple(p for p in panels if p not in drop)


def stability_limit(surface) -> float | None:
    """2/λ_max of the Hessian at the surface's (first) minimum, when it is a strict minimum:
    the largest η/σ at which a step across the steepest direction still settles."""
    minima = getattr(surface, "minima", ())
    if len(minima) == 0:
        return None
    p = np.asarray(minima[0], dtype=float)
    h = 1e-6 * max(1.0, float(np.abs(p).max()))
    with np.errstate(all="ignore"):
        cols = [(surface.grad(p + e) - surface.grad(p - e)) / (2 * h) for e in np.eye(2) * h]
    H = np.stack(cols, axis=-1)
    if not np.isfinite(H).all():
        return None
    eig = np.linalg.eigvalsh((H + H.T) / 2)
    return float(2.0 / eig.max()) if eig.min() > 0 else None


def new_figure(figsize=(11, 6), dpi=100) -> Figure:
    """A figure that is never auto-displayed: made by pyplot under `plt.ioff()` (with Agg or
    the inline backend, a plain Agg canvas outside pyplot's registry)."""
    with plt.ioff():
        fig = plt.figure(figsize=figsize, dpi=dpi)
    if _is_plain_agg(fig):
        # Agg or the inline backend: nothing needs pyplot to keep this figure alive, so take
        # it out of pyplot's registry (no leak, no auto-display) and keep an Agg canvas.
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        plt.close(fig)
        FigureCanvasAgg(fig)
    return fig


def _is_plain_agg(fig: Figure) -> bool:
    """True for a canvas that no GUI or widget needs to keep registered in pyplot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    return type(fig.canvas) is FigureCanvasAgg


def _check_run_count(trajectories: Mapping[str, object]) -> None:
    """At most limits.MAX_RUNS drawn runs (batched runs count one each): every run is a dozen
    artists, and 1000 of them took ~50 s to draw."""
    from lossviz.limits import MAX_RUNS

    n = sum(int(np.shape(getattr(t, "theta", ()))[1]) if np.ndim(getattr(t, "theta", ())) == 3 else 1 for t in trajectories.values())
    if n > MAX_RUNS:
        raise ValueError(f"a view draws at most {MAX_RUNS} runs (limits.MAX_RUNS), got {n:,}")


def legend_columns(labels: Sequence[str], width_in: float, fontsize: float = style.FONT_SIZE) -> int:
    """The most columns whose estimated width fits the figure (no renderer needed)."""
    n = len(labels)
    entry = [len(label) * fontsize * 0.6 + 3.6 * fontsize for label in labels]  # points
    for ncol in range(n, 1, -1):
        cols = np.array_split(np.asarray(entry), ncol)  # how Legend fills its columns
        if sum(float(c.max()) + fontsize * 1.2 for c in cols) <= width_in * 72 * 0.95:
            return ncol
    return 1


def _log1p_steps(t):
    return np.log10(1.0 + np.maximum(t, 0.0))


def _expm1_steps(u):
    return 10.0 ** np.asarray(u, dtype=float) - 1.0


class SceneView:
    """Surface contour + paths + side panels for a dict of trajectories (label → Trajectory).

    Args:
      surface: a `surfaces.Surface`.
      trajectories: run label → `optimizers.Trajectory` (B runs each; usually B = 1).
      colors: run label → colour (default: each optimizer's fixed colour from `style`).
      panels: names of the side panels (`lossviz.draw.PANELS`; empty: the contour alone;
        None: `informative_panels` chooses).
      line_styles: run label → "solid" or a dash tuple (`Scene.line_styles()`).
      future: also draw each panel's whole curve faintly behind the revealed part.
      figsize, dpi: used when `fig` is None.
      fig: draw into this figure (it is cleared) instead of a new one.
      title: an optional figure title (a scene's title).
      legend: False leaves the legend out (the Explorer's front end lists the runs itself).

    Attributes: `figure`, `axes` (name → Axes: "surface" and one per panel), `path_lines`
    (run label → Line2D holding exactly θ[0..k] after `show(k)`), `steps`, `k`.
    """

    def __init__(
        self,
        surface,
        trajectories: Mapping[str, object],
        *,
        colors: Mapping[str, str] | None = None,
        panels: Sequence[str] | None = None,
        figsize=style.FIGSIZE,
        dpi=100,
        fig: Figure | None = None,
        title: str = "",
        legend: bool = True,
        line_styles: Mapping[str, object] | None = None,
        future: bool = False,
    ):
        panels = informative_panels(trajectories) if panels is None else tuple(panels)
        bad = [p for p in panels if p not in PANELS]
        if bad:
            raise ValueError(f"unknown panel {bad[0]!r}; valid panels: {', '.join(PANELS)}")
        _check_run_count(trajectories)
        if fig is None:
            fig = new_figure(figsize, dpi)
        else:
            fig.clear()
            fig.set_layout_engine("none")  # the axes are placed by relayout()
        self.figure = fig
        self.panels = panels
        self._title = title
        self._with_legend = bool(legend)
        # a fixed mosaic: the big contour on the left, the panels stacked on the right
        self.axes = {"surface": fig.add_axes((0.1, 0.1, 0.5, 0.8))}
        for p in panels:
            self.axes[p] = fig.add_axes((0.7, 0.1, 0.25, 0.2))
        for p in panels[:-1]:
            self.axes[p].tick_params(labelbottom=False)
        if panels:
            self.axes[panels[-1]].set_xlabel(style.STEP_LABEL, fontsize=style.FONT_SIZE)
        for p in panels[1:]:
            self.axes[p].sharex(self.axes[panels[0]])
        ax = self.axes["surface"]
        self.surface = None
        self._surface_key = None
        self._surface_artists: list[Artist] = []
        self.trajectories = dict(trajectories)
        self.colors = dict(colors or {})
        self._set_surface_artists(surface)
        self.line_styles = dict(line_styles or {})
        self.paths: PathArtists = draw_paths(ax, self.trajectories, self.colors, self.line_styles)
        self.curves: dict[str, CurveArtists] = {
            p: PANEL_DRAWERS[p](self.axes[p], self.trajectories, self.colors, line_styles=self.line_styles, future=future,
                                limit=self._limit(p))
            for p in panels
        }
        self.colors = dict(self.paths.colors)
        # above the contour, right-aligned (the title is left-aligned): never hides a path
        self.step_text = ax.text(1.0, 1.012, "", transform=ax.transAxes, ha="right", va="bottom", fontsize=style.FONT_SIZE, zorder=9)
        self.legend = None
        self._blit_cid = None
        self._background = None
        self._step_scale = "linear"
        self._make_legend()
        self._suptitle = None
        if title:
            self._suptitle = fig.suptitle(title, fontsize=style.TITLE_SIZE, y=1 - 0.06 / fig.get_size_inches()[1], va="top")
        self.k = self.steps
        self.show(self.k)
        self.relayout()
        self._resize_cid = fig.canvas.mpl_connect("resize_event", lambda event: self.relayout())

    # margins in inches (text sizes are in points, so these hold at any size and dpi)
    MARGINS = dict(left=1.0, right=0.45, bottom=0.8, top=0.5, legend=0.4, title=0.45, gap=1.15, panel_gap=0.5)

    def relayout(self) -> None:
        """Place the axes: fixed margins in inches, the contour 1.75 × as wide as the panels.

        A layout engine (constrained/tight) would measure every tick label on every draw,
        which costs more than drawing all the data; these positions are computed once (and
        again when the canvas is resized)."""
        m = self.MARGINS
        W, H = self.figure.get_size_inches()
        bottom = m["bottom"] + m["legend"] * self._legend_rows
        top = m["top"] + (m["title"] if self._title else 0.0)
        height = max(H - bottom - top, 0.5)
        n = len(self.panels)
        if n:
            width = max(W - m["left"] - m["right"] - m["gap"], 1.0)
            wc, wp = width * 1.75 / 2.75, width / 2.75
        else:
            wc, wp = max(W - m["left"] - m["right"], 0.5), 0.0
        self.axes["surface"].set_position((m["left"] / W, bottom / H, wc / W, height / H))
        if n:
            ph = max((height - (n - 1) * m["panel_gap"]) / n, 0.2)
            x = m["left"] + wc + m["gap"]
            for i, p in enumerate(self.panels):
                y = bottom + height - (i + 1) * ph - i * m["panel_gap"]
                self.axes[p].set_position((x / W, y / H, wp / W, ph / H))
        if self.legend is not None:
            self.legend.set_bbox_to_anchor((0.5, 0.02 / H), transform=self.figure.transFigure)
        if getattr(self, "_suptitle", None) is not None:
            self._suptitle.set_y(1 - 0.06 / H)  # 0.06 in below the top at any height
        self._label_scale()
        self._background = None  # (the contour cache is keyed by the axes' place: no reset here)

    def _label_scale(self) -> None:
        """Say on the x label when the contour is not drawn to scale (the bowl: ~200 ×)."""
        ax = self.axes["surface"]
        W, H = self.figure.get_size_inches()
        pos = ax.get_position()
        width_in, height_in = max(pos.width * W, 1e-9), max(pos.height * H, 1e-9)
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        stretch = (abs(x1 - x0) / width_in) / (abs(y1 - y0) / height_in)
        label, other = style.axis_labels(self.surface.name)
        if stretch > 3 or stretch < 1 / 3:
            which, factor = (other, stretch) if stretch > 1 else (label, 1 / stretch)
            label += f"    (axes not to scale: {which} stretched {factor:.3g}×)"
        ax.set_xlabel(label)

    # ------------------------------------------------------------------ state
    @property
    def steps(self) -> int:
        """The longest run's number of steps T (frames go 0..T)."""
        return max((int(t.lr.shape[0]) for t in self.trajectories.values()), default=0)

    @property
    def path_lines(self):
        """Run label → the Line2D of its path."""
        return self.paths.lines

    @property
    def animated(self) -> list[Artist]:
        """Every artist that `show(k)` changes (what an animation redraws per frame), and the
        minima ★ and saddles ◇ (`markers`): they do not move, but they are drawn above the
        paths, so a frame drawn over a cached background must draw them again on top."""
        out = [*self.paths.animated, self.step_text]
        for c in self.curves.values():
            out.extend(c.animated)
        return out + self.markers

    @property
    def markers(self) -> list[Artist]:
        """The minima ★ and saddles ◇ on the contour (`lossviz.draw.draw_surface`)."""
        return [a for a in self._surface_artists if a.get_label() in ("_minimum", "_saddle")]

    @property
    def surface_artists(self) -> list[Artist]:
        """The contour's artists: filled contour, contour lines, minima ★ and saddles ✕."""
        return list(self._surface_artists)

    def set_title(self, title: str) -> None:
        """Another figure title (a loaded scene's); the layout makes room for it or takes it back."""
        if title == self._title:
            return
        if self._suptitle is not None:
            self._suptitle.remove()
            self._suptitle = None
        self._title = title
        if title:
            H = self.figure.get_size_inches()[1]
            self._suptitle = self.figure.suptitle(title, fontsize=11, y=1 - 0.06 / H, va="top")
        self.relayout()

    # ------------------------------------------------------------------ updates
    def _set_surface_artists(self, surface) -> bool:
        key = surface_key(surface)
        if key == self._surface_key:
            self.surface = surface
            return False
        for artist in self._surface_artists:
            artist.remove()
        ax = self.axes["surface"]
        self._surface_artists = draw_surface(ax, surface)
        self.surface, self._surface_key = surface, key
        formula = style.mathtext(surface.formula)
        ax.set_title(f"{surface.name}: {formula}" if formula else surface.name, fontsize=style.FONT_SIZE, loc="left", y=1.0)
        if getattr(self, "_legend_rows", None) is not None:  # placed already: label the new window now
            self._label_scale()
        ax.tick_params(labelsize=style.FONT_SIZE)
        ax.xaxis.label.set_fontsize(style.FONT_SIZE)
        ax.yaxis.label.set_fontsize(style.FONT_SIZE)
        return True

    def _limit(self, panel: str) -> tuple[float, str] | None:
        """The η/σ panel's line at the surface's 2/λ_max (none on other panels)."""
        limit = stability_limit(self.surface) if panel == "effective_lr" else None
        return (limit, "2/λ_max: stability limit") if limit else None

    STEP_SCALES = ("linear", "log")

    def set_step_scale(self, scale: str) -> None:
        """The panels' step axis: "linear" (the default) or "log" — a log axis on t + 1, so
        that t = 0 stays on it and log-spaced frames (a GIF of a 100,000-step run) move the
        cursor by the same distance every frame."""
        if scale not in self.STEP_SCALES:
            raise ValueError(f"scale must be one of {', '.join(map(repr, self.STEP_SCALES))}, got {scale!r}")
        self._step_scale = scale
        self._apply_step_scale()

    def _apply_step_scale(self) -> None:
        if not self.panels:
            return
        from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

        from lossviz.draw.panels import _step_label  # 2000, 40k, 100k: the linear axis's labels

        ax = self.axes[self.panels[0]]  # the panels share their x axis
        T = max(self.steps, 1)
        last = self.axes[self.panels[-1]]
        if getattr(self, "_step_scale", "linear") == "linear":
            if ax.get_xscale() != "linear":
                ax.set_xscale("linear")
                for curves in self.curves.values():  # their own step ticks back
                    curves._load()
                last.set_xlabel(style.STEP_LABEL, fontsize=style.FONT_SIZE)
            return
        ax.set_xscale("function", functions=(_log1p_steps, _expm1_steps))
        ax.set_xlim(0, T)
        decades = [0] + [10**e for e in range(1, int(np.log10(T)) + 1)]
        ax.xaxis.set_major_locator(FixedLocator(decades))
        ax.xaxis.set_major_formatter(FuncFormatter(_step_label))
        ax.xaxis.set_minor_locator(NullLocator())
        last.set_xlabel(f"{style.STEP_LABEL} (log scale)", fontsize=style.FONT_SIZE)
        self._background = None

    def set_surface(self, surface) -> None:
        """Draw another surface (its contour grid is cached); the runs stay as they are."""
        if self._set_surface_artists(surface):
            for p, curves in self.curves.items():
                curves.set_limit(self._limit(p))
            if self._blit_cid is not None:
                self._mark_animated(True)  # the new surface's ★/◇ and limit lines
            self.paths._load()  # divergence marks are placed relative to the window
            self._background = None
            self.show(self.k)

    def set_trajectories(self, trajectories: Mapping[str, object], colors: Mapping[str, str] | None = None) -> None:
        """New runs: the lines get new data; artists are rebuilt only when the number of
        runs changes. A view sitting at the last step stays at the (new) last step."""
        at_end = self.k >= self.steps
        _check_run_count(trajectories)
        self.trajectories = dict(trajectories)
        if colors is not None:
            self.colors = dict(colors)
        given = colors if colors is not None else self._given_colors()
        before = dict(self.paths.colors)
        relabel = self.paths.set_trajectories(self.trajectories, given)
        for c in self.curves.values():
            c.set_trajectories(self.trajectories, given)
        if getattr(self, "_step_scale", "linear") != "linear":
            self._apply_step_scale()  # the curves set their linear step ticks again
        self.colors = dict(self.paths.colors)
        if relabel or self.colors != before:
            self._make_legend()
            self.relayout()
        if self._blit_cid is not None:
            self._mark_animated(True)  # new artists after a rebuild
            self._background = None  # the faint full curves live in the background
        self.show(self.steps if at_end else min(self.k, self.steps))

    def _given_colors(self) -> dict[str, str]:
        keys = {r.key for r in runs_of(self.trajectories)}
        return {k: v for k, v in self.colors.items() if k in keys}

    def _make_legend(self) -> None:
        """One legend entry per run, below the figure (never over the paths)."""
        if self.legend is not None:
            self.legend.remove()
            self.legend = None
        # proxies at the full path width: a long path is drawn thin, its legend entry is not
        handles = [Line2D([], [], color=line.get_color(), linestyle=line.get_linestyle(), lw=style.PATH_WIDTH, label=line.get_label())
                   for line in self.paths.lines.values()] if self._with_legend else []
        self._legend_rows = 0
        if handles:
            ncol = legend_columns([h.get_label() for h in handles], self.figure.get_size_inches()[0])
            self.legend = self.figure.legend(
                handles=handles, loc="lower center", ncol=ncol, fontsize=style.FONT_SIZE, frameon=False,
                handlelength=1.6, columnspacing=1.2, borderaxespad=0.0,
            )
            self._legend_rows = -(-len(handles) // ncol)

    def show(self, k: int) -> list[Artist]:
        """Move every view to step k (clamped per run); returns the artists that changed."""
        k = max(int(k), 0)
        self.k = min(k, self.steps)
        self.paths.show(self.k)
        for c in self.curves.values():
            c.show(self.k)
        self.step_text.set_text(f"step {self.k} / {self.steps}")
        return self.animated

    def draw(self) -> None:
        """Schedule a full redraw (interactive canvases) — after set_trajectories/set_surface."""
        self._background = None
        self.figure.canvas.draw_idle()

    # ------------------------------------------------------------------ blitting
    # A full draw re-renders the contour and every tick label; a frame change only moves the
    # paths, the revealed curves and the cursors. With blitting on, the static part is
    # rendered once into a background image and a frame costs only the moving artists.

    @property
    def blitting(self) -> bool:
        return self._blit_cid is not None

    def _mark_animated(self, flag: bool) -> None:
        for artist in self.animated:
            artist.set_animated(flag)

    def enable_blit(self) -> None:
        """Draw the moving artists over a cached background from now on (`blit_frame`).

        While on, the moving artists are marked animated, so a plain `savefig` of this figure
        would leave them out: call `disable_blit()` first (export.py builds its own view)."""
        if self._blit_cid is not None:
            return
        self._mark_animated(True)
        self._blit_cid = self.figure.canvas.mpl_connect("draw_event", self._on_draw)
        self._background = None

    def disable_blit(self) -> None:
        if self._blit_cid is None:
            return
        self.figure.canvas.mpl_disconnect(self._blit_cid)
        self._blit_cid = None
        self._background = None
        self._mark_animated(False)

    def _on_draw(self, event) -> None:
        canvas = self.figure.canvas
        self._background = canvas.copy_from_bbox(self.figure.bbox)
        self._draw_animated()

    def _draw_animated(self) -> None:
        draw = self.figure.draw_artist
        # in z-order, as a full draw would: the heads (7) below the ★/◇ (8), the exit marks above
        for artist in sorted(self.animated, key=lambda a: a.get_zorder()):
            if artist.get_visible():
                draw(artist)

    def blit_frame(self, k: int) -> list[Artist]:
        """`show(k)` and repaint: with blitting on and a background cached, only the moving
        artists are drawn (and `canvas.blit` sends them); otherwise a full draw."""
        artists = self.show(k)
        canvas = self.figure.canvas
        if self._blit_cid is None:
            canvas.draw_idle()
        elif self._background is None:
            canvas.draw()  # its draw_event caches the background and paints the artists
        else:
            canvas.restore_region(self._background)
            self._draw_animated()
            canvas.blit(self.figure.bbox)
        return artists

    def close(self) -> None:
        plt.close(self.figure)
