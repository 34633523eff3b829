"""The Explorer's state without widgets: the scene, its runs (cached), the static images and
the arrays the browser draws from.

    session = Session(SCENES["p06_adam"])
    session.set_lr_index(4)          # every run's η × 10^(4·0.05); index 0 is the scene itself
    meta, data = session.payload()   # what the front end draws (float32 rows per run)
    session.inspect = True           # the step table is open: the rows also carry g, m, σ, η_t, η_t/σ
    png, layout = session.static(1400)

Work per change is one computation and one packing, never a matplotlib draw — except when
the side panels' data leave their axis limits (or the surface, steps, panels or the image
size change): then `static()` renders the background again. The η control is served from
a cache filled by one batched run over a window of η values (`optimizers.run` takes one η
per run), so most η moves cost no computation at all.
"""

from __future__ import annotations

import io
import json
import math
from collections import OrderedDict
from dataclasses import asdict, replace
from typing import Callable, Mapping

import numpy as np

import optimizers
import surfaces
from lossviz import controls
from lossviz.lr_spec import peak_lr, scale_lr, schedule_from_spec
from lossviz.scenes import Scene

BASE_COLUMNS = ("x", "y", "loss")  # every run's block starts with θ and f; the panels' curves follow
# the step table's numbers of update k (after the panels' curves, only while the table is open):
# g_k, m_k, σ_k and η_k/σ_k per parameter and η_k — NaN at step T, where no update is left
INSPECT_COLUMNS = ("g/0", "g/1", "m/0", "m/1", "sigma/0", "sigma/1", "lr_over_sigma/0", "lr_over_sigma/1", "lr_t")
MAX_ROWS = 20_000  # rows sent per run: longer runs are sent every `stride`-th step
WINDOW = 40  # η positions computed together (in the direction the control moves)
WINDOW_CELLS = 400_000  # steps × η values per batched run (beyond it: one η at a time)
FIGSIZE = (10.0, 4.6)  # inches of the static figure (its pixels follow the browser's width)
NEIGHBOURS = 3  # η positions either side whose curves the panel limits hold
CACHE_STEPS = 4_000_000  # steps of all cached runs together (~80 bytes each: about 320 MB at most)


def _key(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _run_key(scene: Scene, label: str, run) -> tuple:
    """What a run's trajectory depends on: its scene's shared settings and its own (not its
    label or colour — a default label names η, which the η control changes)."""
    own = {k: v for k, v in asdict(run).items() if k not in ("label", "color")}
    return (scene.surface, _key(scene.surface_params), scene.steps, scene.start, scene.grad_noise,
            scene.batch_size, scene.seed, _key(own))


def lr_table(spec, steps: int) -> np.ndarray:
    """η_t for t = 0 … steps−1 of an lr spec: the values `optimizers.run` would use."""
    lr = schedule_from_spec(spec)
    if not callable(lr):
        return np.full(steps, float(lr))
    return np.broadcast_to(np.asarray(lr(np.arange(steps)[:, None]), dtype=float).reshape(steps, -1)[:, 0], (steps,))


def series(traj: optimizers.Trajectory, panel: str) -> list[np.ndarray]:
    """What a side panel plots for a run (B = 1): the view's own curves (`lossviz.draw`)."""
    from lossviz.draw import Run, panel_series

    return panel_series(panel, Run("", traj, 0))


def run_block(traj: optimizers.Trajectory, steps: np.ndarray, panels: list[dict], ncol: int, inspect: int | None = None) -> np.ndarray:
    """A run's rows at `steps` as float32: θ₁, θ₂, f, then each panel's curves in the columns
    `Session.columns()` gives them; NaN where nothing is defined (a curve of the steps taken,
    η/σ or η_t, has no value at step T). With `inspect` (the first column of INSPECT_COLUMNS)
    also the step table's g, m, σ, η/σ per parameter and η_t. What the front end draws from,
    in the notebook and in a standalone page alike."""
    block = np.full((len(steps), ncol), np.nan, dtype=np.float32)
    block[:, 0:2] = traj.theta[steps, 0, :]
    block[:, 2] = traj.loss[steps, 0]
    for panel in panels:
        for curve, values in zip(panel["curves"], series(traj, panel["name"])):
            have = steps < len(values)
            block[have, curve["column"]] = values[steps[have]]
    if inspect is not None:
        c = inspect
        block[:, c:c + 2] = traj.grad[steps, 0, :]
        taken = steps[steps < traj.steps]  # m, σ, η of update k exist for k < T
        rows = np.flatnonzero(steps < traj.steps)
        block[rows, c + 2:c + 4] = traj.m[taken, 0, :]
        block[rows, c + 4:c + 6] = traj.sigma[taken, 0, :]
        block[rows, c + 6:c + 8] = traj.effective_lr[taken, 0, :]
        block[rows, c + 8] = traj.lr[taken, 0]
    return block


class Session:
    """A scene as the Explorer shows it: `base` (what was loaded or edited) scaled by the η
    control's factor gives `scene`; `trajectories` are that scene's runs."""

    def __init__(self, scene: Scene, *, panels: tuple[str, ...] | None = None, figsize=FIGSIZE):
        self._runs: OrderedDict = OrderedDict()  # run key → Trajectory
        self._surfaces: OrderedDict = OrderedDict()
        self._fixed_panels = None if panels is None else tuple(panels)
        self._figsize = tuple(figsize)
        self.view = None  # the SceneView that renders the static image (made on first use)
        self._limits: dict | None = None  # the data limits the current static image shows
        self._static_dirty = True
        self.version = 0
        self.inspect = False  # the step table is open: payload() adds INSPECT_COLUMNS and the summary
        self.load(scene)

    # ------------------------------------------------------------------ state
    def load(self, scene: Scene) -> None:
        """Show `scene` as it is (η control at ×1)."""
        self._apply(Scene.from_dict(scene.to_dict()), 0)

    def edit(self, mutate: Callable[[Scene], Scene]) -> None:
        """Change the base scene (a control other than η moved); η keeps its factor. On an
        error nothing changes."""
        self._apply(mutate(self.base), self.lr_index)

    def set_lr_index(self, index: int, direction: int = 0) -> None:
        """Scale every run's η by `controls.factor(index)` (index 0: the base scene)."""
        low, high = self.lr_range
        index = int(index)
        if not low <= index <= high:
            raise ValueError(f"η index must be in [{low}, {high}] (η from {controls.LR_LIMITS[0]:g} to {controls.LR_LIMITS[1]:g}), got {index}")
        self._apply(self.base, index, direction=direction or (1 if index > self.lr_index else -1))

    def _apply(self, base: Scene, index: int, direction: int = 0) -> None:
        scene = controls.scaled(base, index)
        surface = self._surface(scene)
        trajectories = self._compute(base, index, surface, direction)
        self.base, self.lr_index, self.scene = base, index, scene
        self.surface, self.trajectories = surface, trajectories
        self.lr_range = controls.lr_range(base)
        self.version += 1
        self._check_static()

    @property
    def factor(self) -> float:
        return controls.factor(self.lr_index)

    @property
    def frames(self) -> np.ndarray:
        """The step shown at each frame: the GIF's frames, so Play shows the GIF."""
        from lossviz.export import frame_indices

        return np.asarray(frame_indices(int(self.scene.steps), int(self.scene.frames)), dtype=int)

    @property
    def panels(self) -> tuple[str, ...]:
        """The side panels: as asked, else the scene's, else those that carry information."""
        from lossviz.view import informative_panels

        chosen = self._fixed_panels if self._fixed_panels is not None else self.scene.panels
        return tuple(chosen) if chosen is not None else informative_panels(self.trajectories)

    def start(self) -> tuple[float, float]:
        """Where the runs start (the first run with its own start, else the scene's, else the surface's)."""
        for run in self.scene.runs:
            if run.start is not None:
                return tuple(run.start)
        return tuple(self.scene.start) if self.scene.start is not None else tuple(float(v) for v in self.surface.start)

    # ------------------------------------------------------------------ computing
    def _surface(self, scene: Scene):
        key = (scene.surface, _key(scene.surface_params))
        hit = self._surfaces.get(key)
        if hit is None:
            hit = scene.make_surface()
            self._surfaces[key] = hit
            while len(self._surfaces) > 16:
                self._surfaces.popitem(last=False)
        return hit

    def _compute(self, base: Scene, index: int, surface, direction: int) -> dict:
        """Label → Trajectory of `scaled(base, index)`. A deterministic run that is not cached
        is computed together with up to WINDOW further η positions (one batched run: about the
        cost of one), so that the next moves of the η control are cache hits; a noisy or
        mini-batch run is computed alone (batching would change its random numbers)."""
        scene = controls.scaled(base, index)
        low, high = controls.lr_range(base)
        out = {}
        for label, base_run, run in zip(scene.labels(), base.runs, scene.runs):
            key = _run_key(scene, label, run)
            hit = self._runs.get(key)
            if hit is not None:
                self._runs.move_to_end(key)
                out[label] = hit if hit.labels == (label,) else replace(hit, labels=(label,))
                continue
            noise = scene.grad_noise if run.grad_noise is None else run.grad_noise
            batch = scene.batch_size if run.batch_size is None else run.batch_size
            width = min(WINDOW, WINDOW_CELLS // max(int(scene.steps), 1))
            if noise or batch is not None or width < 2:
                indices = [index]
            elif direction >= 0:
                indices = list(range(index, min(index + width, high) + 1))
            else:
                indices = list(range(max(index - width, low), index + 1))[::-1]
            runs = [replace(base_run, lr=scale_lr(base_run.lr, controls.factor(i))) for i in indices]
            table = np.stack([lr_table(r.lr, int(scene.steps)) for r in runs], axis=1)
            start = run.start if run.start is not None else scene.start
            start = np.tile(np.asarray(surface.start if start is None else start, dtype=float), (len(runs), 1))
            traj = optimizers.run(surface, run.make_optimizer(), lr=lambda t, table=table: table, steps=scene.steps,
                                  start=start, grad_noise=noise, batch_size=batch, seed=scene.seed)
            for b, r in enumerate(runs):
                self._runs[_run_key(scene, label, r)] = traj.one(b, label, copy=True)
            out[label] = replace(self._runs[key], labels=(label,))
        self._evict(keep={_run_key(scene, label, run) for label, run in zip(scene.labels(), scene.runs)})
        return out

    def _evict(self, keep: set) -> None:
        """Drop the least recently used runs beyond CACHE_STEPS (never those on display)."""
        total = sum(t.steps + 1 for t in self._runs.values())
        for key in list(self._runs):
            if total <= CACHE_STEPS:
                break
            traj = self._runs[key]
            if key in keep:
                continue
            total -= traj.steps + 1
            del self._runs[key]

    # ------------------------------------------------------------------ the arrays
    def rows(self) -> tuple[int, int]:
        """(stride, rows): rows t = 0, s, 2s, … and the last step T."""
        T = int(self.scene.steps)
        stride = max(1, math.ceil((T + 1) / MAX_ROWS))
        return stride, T // stride + 1 + (1 if T % stride else 0)

    def columns(self) -> tuple[list[str], list[dict]]:
        """The columns of every run's block (θ₁, θ₂, f, then each panel's curves, then — with
        the step table open — INSPECT_COLUMNS) and, per panel, which columns it draws (dashed:
        the θ₂ curve of a per-parameter panel)."""
        from lossviz.draw import TWO_SERIES

        names, panels = list(BASE_COLUMNS), []
        for p in self.panels:
            curves = []
            for j in range(2 if p in TWO_SERIES else 1):
                curves.append({"column": len(names), "dashed": j == 1})
                names.append(f"{p}/{j}")
            panels.append({"name": p, "curves": curves})
        if self.inspect:
            names.extend(INSPECT_COLUMNS)
        return names, panels

    def payload(self) -> tuple[dict, bytes]:
        """(meta, data): per run a float32 block of `rows` × columns, and what to draw it with.

        Row i is step min(i·stride, T). A curve with T values (η/σ, η_t: one per step taken)
        is NaN in the row of step T."""
        T = int(self.scene.steps)
        stride, nrows = self.rows()
        steps = np.minimum(np.arange(nrows) * stride, T)
        from lossviz import style
        from lossviz.draw import run_exits

        names, panels = self.columns()
        inspect = names.index(INSPECT_COLUMNS[0]) if self.inspect else None
        colors, dashes = self.scene.colors(), self.scene.line_styles()
        blocks, runs = [], []
        for label, traj in self.trajectories.items():
            blocks.append(run_block(traj, steps, panels, len(names), inspect))
            (exit_kind, exit_step), = run_exits(traj, self.surface.bounds)
            dense = int(traj.last()[0]) > style.DENSE_STEPS
            runs.append({"label": label, "color": colors[label], "diverged_at": int(traj.diverged_at[0]),
                         "exit": exit_kind, "exit_at": exit_step, "dash": _dash(dashes[label]),
                         "width": style.DENSE_PATH_WIDTH if dense else style.PATH_WIDTH,
                         "alpha": style.DENSE_PATH_ALPHA if dense else 1.0,
                         "offset": sum(b.size for b in blocks[:-1])})
        meta = {
            "version": self.version, "steps": T, "stride": stride, "rows": nrows, "columns": names,
            "runs": runs, "panels": panels, "frames": self.frames.tolist(), "fps": int(self.scene.fps),
            "start": list(self.start()),
            "minima": np.asarray(self.surface.minima, dtype=float).reshape(-1, 2).tolist(),
            "saddles": np.asarray(self.surface.saddles, dtype=float).reshape(-1, 2).tolist(),
            "lr": self.lr_meta(), "figsize": list(self._figsize), "look": _look(),
        }
        if self.inspect:
            meta["inspect"] = {"columns": {name: names.index(name) for name in INSPECT_COLUMNS}, "summary": self.summary().plain()}
        return meta, np.concatenate([b.ravel() for b in blocks]).tobytes()

    def lr_meta(self) -> dict:
        """What the η control shows: its position and range, and the η of the first run."""
        low, high = self.lr_range
        ref = peak_lr(self.base.runs[0].lr)
        return {"index": self.lr_index, "min": low, "max": high, "step": controls.LR_STEP, "ref": ref,
                "factor": self.factor, "runs": len(self.scene.runs), "theory": self.theory()}

    def theory(self) -> dict | None:
        """Fixed-step theory of the surface's quadratic model at its minimum (exact for a
        quadratic): GD is stable for η < 2/λ_max, fastest at 2/(λ_min + λ_max). None where
        there is no such model (a saddle, no minimum, no Hessian)."""
        try:
            model = surfaces.quadratic_theory(self.surface)
        except ValueError:
            return None
        return {"limit": float(model.lr_limit), "optimal": float(model.lr_optimal), "exact": bool(model.exact)}

    # ------------------------------------------------------------------ the static image
    def _neighbours(self, span: int = NEIGHBOURS) -> list[dict]:
        """The runs of the η positions within `span` of the current one that are cached."""
        out = []
        low, high = self.lr_range
        for i in range(max(self.lr_index - span, low), min(self.lr_index + span, high) + 1):
            scene = controls.scaled(self.base, i)
            keys = [_run_key(scene, label, run) for label, run in zip(scene.labels(), scene.runs)]
            if all(k in self._runs for k in keys):
                out.append({label: self._runs[k] for label, k in zip(scene.labels(), keys)})
        return out or [self.trajectories]

    def _wanted(self, scales: Mapping[str, str], runs: list[dict] | None = None) -> dict:
        """Per panel the y limits `draw.value_limits` chooses for the data of `runs` (default:
        the current runs) — a diverged run counts only up to six decades above the others."""
        from lossviz.draw import value_limits

        out = {}
        for p, scale in scales.items():
            curves, reference = [], []
            for trajectories in runs or [self.trajectories]:
                for t in trajectories.values():
                    for c in series(t, p):
                        curves.append(c)
                        reference.append(c if t.diverged_at[0] < 0 else c[:1])
            out[p] = value_limits(curves, scale, reference, include_zero=p == "lr")
        return out

    def _check_static(self) -> None:
        """Mark the static image stale when it no longer holds the data: another surface,
        steps, panels or title, or curves leaving a panel's limits."""
        shown = self._limits
        if shown is None or self.view is None or shown["key"] != self._static_key():
            self._static_dirty = True
            return
        wanted = self._wanted({p: scale for p, (scale, _) in shown["y"].items()})
        for p, (lo, hi) in wanted.items():
            ylo, yhi = shown["y"][p][1]
            if lo < ylo or hi > yhi:
                self._static_dirty = True
                return

    def _static_key(self) -> tuple:
        return (self.scene.surface, _key(self.scene.surface_params), self.scene.steps, self.panels, self.scene.title)

    def _hold_limits(self, hold: list[dict] | None = None) -> None:
        """Panel limits that stay while η moves a little: they hold the data of the η positions
        around the current one (NEIGHBOURS either side, when cached) and, while the scene stays,
        everything shown before — so curves compare from one setting to the next. Given `hold`,
        exactly the curves of those runs."""
        shown = self._limits if not hold and self._limits is not None and self._limits["key"] == self._static_key() else None
        scales = {p: self.view.axes[p].get_yscale() for p in self.panels}
        wanted = self._wanted(scales, hold or self._neighbours())
        for p, scale in scales.items():
            lo, hi = wanted[p]
            if shown is not None and p in shown["y"] and shown["y"][p][0] == scale:
                olo, ohi = shown["y"][p][1]
                lo, hi = min(lo, olo), max(hi, ohi)
            self.view.axes[p].set_ylim(lo, hi)

    @property
    def static_dirty(self) -> bool:
        """The static image no longer fits: another layout, or curves outside a panel's limits."""
        return self._static_dirty

    @property
    def layout_changed(self) -> bool:
        """The static image shows another surface, steps, set of panels or title (not only
        other panel limits): the data cannot be drawn on it at all."""
        return self._limits is None or self.view is None or self._limits["key"] != self._static_key()

    def static(self, width_px: int, *, hold: list[dict] | None = None) -> tuple[bytes, dict]:
        """The background (PNG) at `width_px` pixels and where each axes lies in it. `hold`:
        label → Trajectory dicts whose curves the panel limits hold, and only those (a
        standalone page passes a band of the η values it stores); default the η positions
        around the current one and what was shown before.

        Drawn by the same SceneView as every export, with everything that moves hidden:
        paths, start and head markers, curves, cursor, step text, legend, minima and saddles
        (the front end draws those above the paths)."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from lossviz.view import SceneView

        width_px = int(min(max(width_px, 320), 4000))
        if self.view is None or self.view.panels != self.panels:
            if self.view is not None:
                self.view.close()
            fig = Figure(figsize=self._figsize, dpi=100)
            FigureCanvasAgg(fig)
            self.view = SceneView(self.surface, self.trajectories, colors=self.scene.colors(), panels=self.panels,
                                  fig=fig, title=self.scene.title, legend=False)
        else:
            if self.surface is not self.view.surface:
                self.view.set_surface(self.surface)
            self.view.set_title(self.scene.title)
            self.view.set_trajectories(self.trajectories, self.scene.colors())
        self._hold_limits(hold)
        view, fig = self.view, self.view.figure
        fig.set_dpi(width_px / fig.get_size_inches()[0])
        moving = [*view.paths, *(a for c in view.curves.values() for a in c), view.step_text,
                  *(a for a in view.surface_artists if a.get_label() in ("_minimum", "_saddle"))]
        shown = [a for a in moving if a.get_visible()]
        for a in shown:
            a.set_visible(False)
        try:
            fig.canvas.draw()
            rgba = np.asarray(fig.canvas.buffer_rgba())
        finally:
            for a in shown:
                a.set_visible(True)
        from PIL import Image

        with io.BytesIO() as out:
            Image.fromarray(rgba[..., :3]).save(out, format="png", compress_level=1)
            png = out.getvalue()
        height = rgba.shape[0]
        axes = {}
        for name, ax in view.axes.items():
            box = ax.get_window_extent()
            axes[name] = {"box": [box.x0, height - box.y1, box.x1, height - box.y0],
                          "xlim": list(map(float, ax.get_xlim())), "ylim": list(map(float, ax.get_ylim())),
                          "xscale": _scale_of(ax.xaxis), "yscale": _scale_of(ax.yaxis)}
        layout = {"width": rgba.shape[1], "height": height, "axes": axes, "version": self.version}
        self._limits = {"key": self._static_key(),
                        "y": {p: (view.axes[p].get_yscale(), view.axes[p].get_ylim()) for p in self.panels}}
        self._static_dirty = False
        return png, layout

    # ------------------------------------------------------------------ for people
    def summary(self, tol: float | None = None):
        """Per run of what is shown: final loss, best loss @ step, first step with f − f* ≤ tol,
        diverged / left the window at (`lossviz.inspector.Summary`)."""
        from lossviz.inspector import DEFAULT_TOL, summarize

        return summarize(self.surface, self.trajectories, DEFAULT_TOL if tol is None else tol)

    def status(self, k: int) -> str:
        """The status line at step k, as text: step, start, η, then per run f (or diverged)."""
        s = self.scene
        k = min(max(int(k), 0), int(s.steps))
        x, y = self.start()
        head = f"step {k} / {s.steps} · start=({x:.4g}, {y:.4g}) · η ×{self.factor:.3g}"
        parts = []
        for label, traj in self.trajectories.items():
            d = int(traj.diverged_at[0])
            if 0 <= d <= k:
                parts.append(f"{label}: diverged at step {d}")
            else:
                parts.append(f"{label}: f={float(traj.loss[k, 0]):.3g}")
        return head + "\n" + " · ".join(parts)

    def snapshot(self, k: int | None = None, **kw):
        """A matplotlib figure of step k (default: the last), drawn as a GIF frame is."""
        from lossviz.export import build_view

        view, _ = build_view(self.scene, panels=self.panels, **kw)
        view.show(int(self.scene.steps) if k is None else int(k))
        view.figure.canvas.draw()
        return view.figure

    def close(self) -> None:
        if self.view is not None:
            self.view.close()
            self.view = None


def _dash(pattern) -> list[float]:
    """A matplotlib dash pattern ("solid", or (offset, (on, off, …)) in line widths) as the
    canvas's setLineDash list, in line widths."""
    if isinstance(pattern, tuple) and len(pattern) == 2 and isinstance(pattern[1], (tuple, list)):
        return [float(v) for v in pattern[1]]
    return []


def _look() -> dict:
    """The marks the front end draws, from lossviz.style (points → CSS px at 96 dpi: ×4/3)."""
    from lossviz import style

    def mark(look):
        return {"fill": look["color"], "edge": look.get("markeredgecolor", look["color"]), "size": look["markersize"] * 4 / 3,
                "edge_width": look.get("markeredgewidth", 1.0) * 4 / 3}

    return {"minimum": mark(style.MINIMUM_STYLE), "saddle": mark(style.SADDLE_STYLE),
            "diverged": mark(style.DIVERGED_MARK), "escaped": mark(style.ESCAPED_MARK), "px_per_pt": 4 / 3}


def _scale_of(axis) -> dict:
    """An axis's scale as the front end's transform needs it (linear, log, symlog + its constants)."""
    scale = axis.get_scale()
    out = {"name": scale}
    if scale == "symlog":
        t = axis.get_transform()
        out.update(linthresh=float(t.linthresh), linscale=float(getattr(t, "linscale", 1.0)), base=float(t.base))
    elif scale == "log":
        out["base"] = float(axis.get_transform().base)
    return out
