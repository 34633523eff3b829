"""The Explorer: the whole lecture on one canvas, with a knob for every symbol.

    %matplotlib widget
    from lossviz import Explorer
    Explorer(surface="rosenbrock", optimizers=["gd", "adam"], steps=300, lr=1e-3)

Surface menu (plus a formula box), optimizer multi-select, η on a log slider, the chosen
optimizers' β / β₁ / β₂ / α / ε, a learning-rate schedule with its own parameters, steps,
gradient noise, mini-batch size, seed and start point (type it, or click the contour); Play,
step buttons and a frame slider; a status line; the scene as text; an Export GIF button.

Two speeds (DESIGN.md): a change of a hyperparameter, the surface, the optimizers or the
steps re-runs the optimizers (one `optimizers.run` per run, cached per setting) and redraws
the figure once; moving the frame (slider, Play, step buttons) only calls
`SceneView.show(k)` and blits the few artists that move over a cached background.

The state is a `Scene` (`explorer.scene`); the controls edit it. Each run keeps its own
settings until a control that applies to it moves: η and the schedule apply to every run, a
hyperparameter slider to every chosen optimizer that takes it (β only to the optimizers whose
method *is* momentum — "momentum" and "nesterov" — so that "gd" stays the plain baseline).

On ipympl's canvas (`%matplotlib widget`) the figure is the canvas widget itself and a click
on the contour moves every run's start. Without ipympl (inline backend, nbclient, Agg) the
figure is shown as a PNG in an `ipywidgets.Image`, re-rendered on every change.

Nothing a control can reach raises: an error (a bad formula, a scene that does not parse, a
failed export) is shown in red in the status line and kept in `explorer.last_error`, and
the controls snap back to the last scene that worked.
"""

from __future__ import annotations

import functools
import html
import io
import json
import os
import re
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import asdict, replace
from typing import Any, Callable, Mapping, Sequence

import ipywidgets as W
import matplotlib
import numpy as np
from matplotlib.figure import Figure

import optimizers
import surfaces
from lossviz.scenes import RunSpec, Scene, schedule_from_spec
from lossviz.view import SceneView

__all__ = ["Explorer", "HYPER_KEYS", "SCHEDULE_CHOICES"]

# ------------------------------------------------------------------------------------------
# what the controls can reach (DESIGN.md: "sliders cannot reach invalid values")

HYPER_KEYS = tuple(optimizers.HYPERPARAMETERS)  # momentum, beta1, beta2, alpha, eps
# every schedule of the registry (join is offered as warm-up then cosine)
SCHEDULE_CHOICES = (*(name for name in optimizers.SCHEDULES if name != "join"), "warmup_cosine")
CUSTOM_SCHEDULE = "custom (from scene)"
SCHEDULE_PARAMS: dict[str, tuple[str, ...]] = {
    "constant": (),
    "step_decay": ("step_size", "gamma"),
    "exponential": ("gamma",),
    "inverse_time": ("lr_decay",),
    "inverse_sqrt": (),
    "cosine_annealing": ("total_steps", "lr_min_ratio"),
    "linear_warmup": ("warmup_steps",),
    "warmup_cosine": ("warmup_steps", "total_steps", "lr_min_ratio"),
    CUSTOM_SCHEDULE: (),
}
SCHEDULE_PARAM_KEYS = ("step_size", "gamma", "lr_decay", "total_steps", "lr_min_ratio", "warmup_steps")
EXPRESSION = "expression"
EXAMPLE_FORMULA = "x**2 + 10*y**2"

LR_RANGE = (-8, 1)  # η = 1e-8 … 10, as exponents of 10
STEPS_MAX = 10_000  # a scene may hold more (the lecture's 100,000-step crawl): kept as is
START_LIMIT = 1e5
NOISE_MAX = 50.0
SEED_MAX = 2**31 - 1
FRAMES_MAX = 2000
FPS_MAX = 100
COUNT_MAX = 100_000  # step counts of the schedules

ERROR_COLOR = "#c00000"
_CACHE_SIZE = 48


def _frame_steps(steps: int, frames: int) -> np.ndarray:
    """The step shown at each frame: the GIF writer's own choice, so Play shows the GIF."""
    from lossviz.export import frame_indices

    return np.asarray(frame_indices(steps, frames), dtype=int)


def _backend_kind(backend: str | None) -> str:
    """"ipympl" when the figure can be a canvas widget, else "inline" (PNG in an Image)."""
    if backend is not None:
        kind = str(backend).lower()
        if kind in ("ipympl", "widget"):
            return "ipympl"
        if kind in ("inline", "image", "agg", "png"):
            return "inline"
        raise ValueError(f"backend must be None (detect), 'ipympl' or 'inline', got {backend!r}")
    name = str(matplotlib.get_backend()).lower()
    if "ipympl" in name or "widget" in name:
        try:
            import ipympl  # noqa: F401
        except ImportError:  # pragma: no cover
            return "inline"
        return "ipympl"
    return "inline"


def _ipympl_figure(figsize, dpi) -> Figure:
    """A figure on ipympl's canvas widget, with its toolbar, kept out of pyplot's registry
    (so a notebook making many Explorers never collects dozens of live figures)."""
    import warnings

    before = matplotlib.get_backend()
    from ipympl.backend_nbagg import Canvas, FigureManager

    if matplotlib.get_backend() != before:  # importing ipympl switches pyplot's backend: undo
        import matplotlib.pyplot as plt

        plt.switch_backend(before)
    fig = Figure(figsize=figsize, dpi=dpi)
    canvas = Canvas(fig)
    with warnings.catch_warnings():  # ipympl's Toolbar passes traitlets an argument it ignores
        warnings.simplefilter("ignore", DeprecationWarning)
        FigureManager(canvas, 0)
    canvas.header_visible = False
    return fig


def _agg_figure(figsize, dpi) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _round_to_view(value: float, limits: tuple[float, float]) -> float:
    """A clicked coordinate to 1/10,000 of the visible span (a pixel is ~1/400 of it)."""
    span = abs(float(limits[1]) - float(limits[0]))
    if not span > 0 or not np.isfinite(span):
        return float(value)
    digits = 4 - int(np.floor(np.log10(span)))
    return float(round(float(value), digits))


def _fmt(x: float, spec: str = ".3g") -> str:
    """A number for the status line (ASCII minus, so it can be parsed back)."""
    if x is None or not np.isfinite(x):
        return "nan" if x is None or np.isnan(x) else ("inf" if x > 0 else "-inf")
    return format(float(x), spec)


# ------------------------------------------------------------------------------------------
# optimizers ↔ sliders


def accepts(optimizer: str, key: str) -> bool:
    """Does the slider `key` apply to the registry optimizer `optimizer`?

    Every keyword the optimizer takes (optimizers.slider_params), except β for optimizers
    whose default β is 0 ("gd", "rmsprop"): their method is not momentum, and a shared β
    slider would silently turn the "gd" baseline into heavy ball.
    """
    if key not in optimizers.slider_params(optimizer):
        return False
    if key == "momentum":
        return float(optimizers.defaults(optimizer).get("momentum", 0.0)) != 0.0
    return True


def _with_hyper(run: RunSpec, key: str, value: float) -> RunSpec:
    hyper = dict(run.hyper)
    if key in ("beta1", "beta2"):
        betas = list(hyper.get("betas", optimizers.defaults(run.optimizer)["betas"]))
        betas[0 if key == "beta1" else 1] = float(value)
        hyper["betas"] = tuple(betas)
    else:
        hyper[key] = float(value)
    return replace(run, hyper=hyper)


def _registry_optimizer(name: str) -> None:
    """ValueError listing the valid names unless `name` is in optimizers.OPTIMIZERS (a
    function, because Explorer's `optimizers` argument shadows the package name)."""
    optimizers.get_optimizer(name)


def _hyper_for(optimizer: str, sliders: Mapping[str, float]) -> dict:
    """Factory keywords for a new run of `optimizer` from the given slider values."""
    run = RunSpec(optimizer)
    for key, value in sliders.items():
        if accepts(optimizer, key):
            run = _with_hyper(run, key, value)
    return dict(run.hyper)


# ------------------------------------------------------------------------------------------
# η / schedule controls ↔ the lr spec of a RunSpec


def _default_schedule_params(name: str, steps: int) -> dict[str, float]:
    return {
        "step_size": max(1, steps // 3),
        "gamma": 0.99 if name == "exponential" else 0.1,
        "lr_decay": 0.01,
        "total_steps": max(1, steps),
        "lr_min_ratio": 0.0,
        "warmup_steps": max(1, steps // 10),
    }


def lr_spec(schedule: str, lr: float, params: Mapping[str, float]) -> float | dict:
    """The RunSpec `lr` (a float or a schedule spec) for a schedule menu entry."""
    lr = float(lr)
    p = params
    if schedule == "constant":
        return lr
    if schedule == "step_decay":
        return {"name": "step_decay", "lr": lr, "step_size": int(p["step_size"]), "gamma": float(p["gamma"])}
    if schedule == "exponential":
        return {"name": "exponential", "lr": lr, "gamma": float(p["gamma"])}
    if schedule == "inverse_time":
        return {"name": "inverse_time", "lr": lr, "lr_decay": float(p["lr_decay"])}
    if schedule == "inverse_sqrt":
        return {"name": "inverse_sqrt", "lr": lr}
    if schedule == "cosine_annealing":
        return {"name": "cosine_annealing", "lr_max": lr, "total_steps": int(p["total_steps"]), "lr_min": lr * float(p["lr_min_ratio"])}
    if schedule == "linear_warmup":
        return {"name": "linear_warmup", "lr": lr, "warmup_steps": int(p["warmup_steps"])}
    if schedule == "warmup_cosine":
        warm = int(p["warmup_steps"])
        rest = max(1, int(p["total_steps"]) - warm)
        return {
            "name": "join",
            "schedules": [
                {"name": "linear_warmup", "lr": lr, "warmup_steps": warm},
                {"name": "cosine_annealing", "lr_max": lr, "total_steps": rest, "lr_min": lr * float(p["lr_min_ratio"])},
            ],
            "boundaries": [warm],
        }
    raise ValueError(f"unknown schedule {schedule!r}; valid: {', '.join(SCHEDULE_CHOICES)}")


def parse_lr_spec(spec: Any) -> tuple[str, float, dict] | None:
    """(schedule menu entry, η, parameters) for a RunSpec lr, or None if the menu cannot show it."""

    def num(d, k, default=None):
        v = d.get(k, default)
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    if not isinstance(spec, dict):
        try:
            return "constant", float(spec), {}
        except (TypeError, ValueError):
            return None
    name, keys = spec.get("name"), set(spec) - {"name"}
    if name in ("step_decay", "exponential", "inverse_time", "inverse_sqrt", "linear_warmup") and num(spec, "lr"):
        lr = num(spec, "lr")
        allowed = {"step_decay": {"lr", "step_size", "gamma"}, "exponential": {"lr", "gamma"},
                   "inverse_time": {"lr", "lr_decay"}, "inverse_sqrt": {"lr"},
                   "linear_warmup": {"lr", "warmup_steps", "start_lr"}}[name]
        if not keys <= allowed or (name == "linear_warmup" and (num(spec, "start_lr", 0.0) or 0.0) != 0.0):
            return None
        params = {k: spec[k] for k in keys - {"lr", "start_lr"}}
        if name == "step_decay":
            params.setdefault("gamma", 0.1)
        return name, lr, params
    if name == "cosine_annealing" and num(spec, "lr_max") and keys <= {"lr_max", "total_steps", "lr_min"}:
        lr = num(spec, "lr_max")
        return name, lr, {"total_steps": spec.get("total_steps"), "lr_min_ratio": (num(spec, "lr_min", 0.0) or 0.0) / lr}
    if name == "join" and len(spec.get("schedules", [])) == 2 and len(spec.get("boundaries", [])) == 1:
        warm, cos = spec["schedules"]
        w = spec["boundaries"][0]
        a, b = parse_lr_spec(warm), parse_lr_spec(cos)
        if a and b and a[0] == "linear_warmup" and b[0] == "cosine_annealing" and a[1] == b[1] and a[2].get("warmup_steps") == w:
            return "warmup_cosine", a[1], {"warmup_steps": w, "total_steps": w + int(b[2]["total_steps"]), "lr_min_ratio": b[2]["lr_min_ratio"]}
    return None


# ------------------------------------------------------------------------------------------
# the app


class Explorer:
    """An interactive view of one scene: controls left, figure right, playback below.

    Args:
      surface: a registry name (`surfaces.SURFACES`) or "expression" (then
        `surface_params={"text": "x**2 + 10*y**2"}`).
      optimizers: registry names (`optimizers.OPTIMIZERS`), one run each.
      steps: T, the number of updates.
      lr: η (a float) or a schedule spec such as {"name": "cosine_annealing", "lr_max": 0.1,
        "total_steps": 300}.
      **kw: `hyper` (slider key → value, e.g. {"momentum": 0.9, "beta1": 0.8}), the other
        `Scene` fields (surface_params, start, grad_noise, batch_size, seed, frames, fps,
        title), and the view's: figsize, dpi, panels, backend (None: detect; "ipympl";
        "inline"), continuous_update (sliders re-run while dragged; default True).

    Handles: `scene`, `trajectories`, `figure`, `view`, `controls` (name → widget), `widget`
    (the whole layout), `show(k)`, `set_start(x, y)`, `load_scene(scene)`,
    `export_gif(path, ...)`, `last_error`.
    """

    def __init__(
        self,
        surface: str = "rosenbrock",
        optimizers: Sequence[str] | str = ("gd", "adam"),
        steps: int = 300,
        lr: float | dict = 1e-3,
        **kw: Any,
    ):
        view_kw = {k: kw.pop(k) for k in ("figsize", "dpi", "panels", "backend", "continuous_update") if k in kw}
        hyper = dict(kw.pop("hyper", None) or {})
        bad = sorted(set(hyper) - set(HYPER_KEYS))
        if bad:
            raise ValueError(f"hyper: unknown slider {bad[0]!r}; valid: {', '.join(HYPER_KEYS)}")
        names = [optimizers] if isinstance(optimizers, str) else list(dict.fromkeys(optimizers))
        if not names:
            raise ValueError("optimizers: choose at least one optimizer")
        for name in names:
            _registry_optimizer(name)
        schedule_from_spec(lr)  # a clear error for a bad η or schedule now, not at the first run
        runs = [RunSpec(name, lr, _hyper_for(name, hyper), label=name) for name in names]
        scene = Scene(surface=surface, runs=runs, steps=steps, **kw)
        self._setup(scene, touched=set(hyper), **view_kw)

    @classmethod
    def from_scene(cls, scene: Scene | str, **view_kw: Any) -> "Explorer":
        """An Explorer showing `scene` (a Scene or the name of one in `lossviz.SCENES`)."""
        if isinstance(scene, str):
            from lossviz.scenes import get_scene

            scene = get_scene(scene)
        self = cls.__new__(cls)
        self._setup(Scene.from_dict(scene.to_dict()), touched=set(), **view_kw)
        return self

    # ------------------------------------------------------------------ construction
    def _setup(
        self,
        scene: Scene,
        *,
        touched: set,
        figsize=(9.6, 5.4),
        dpi: int = 100,
        panels: Sequence[str] | None = None,
        backend: str | None = None,
        continuous_update: bool = True,
    ) -> None:
        self.last_error: Exception | None = None
        self._hold = 0
        self._touched = set(touched)
        self._cache: OrderedDict = OrderedDict()
        self._surfaces: OrderedDict = OrderedDict()
        self._message = ""
        self.export_options: dict = {}  # extra save_gif keywords for the Export button (dpi, figsize, …)
        self._continuous = bool(continuous_update)
        self._kind = _backend_kind(backend)

        surface = self._surface_of(scene)
        trajectories = self._compute(scene, surface)
        self._scene = scene
        self._trajs = trajectories

        figure = _ipympl_figure(figsize, dpi) if self._kind == "ipympl" else _agg_figure(figsize, dpi)
        self._view_args = {} if panels is None else {"panels": tuple(panels)}
        self.view = SceneView(surface, trajectories, colors=scene.colors(), fig=figure, title=scene.title, **self._view_args)
        self.view.enable_blit()  # scrubbing repaints only the artists that move
        self._image = None
        if self._kind == "ipympl":
            self.figure.canvas.add_class("lv-canvas")
            self.figure.canvas.add_class("lv-figure")
            self._figure_widget = self.figure.canvas
        else:
            width, height = (int(round(v)) for v in self.figure.bbox.size)
            self._image = W.Image(format="png", layout=W.Layout(width=f"{width}px", height="auto"))
            self._image.add_class("lv-image")
            self._image.add_class("lv-figure")
            self._figure_widget = self._image
        self._click_cid = self.figure.canvas.mpl_connect("button_press_event", self._guard(self._on_click))

        self._build_controls()
        self._k = int(self._scene.steps)
        self._sync_controls(frame_at_end=True)
        self._connect()
        self.widget = self._layout()
        # Agg renders now anyway: let that draw also cache the contour image for the fast path
        self._redraw(full=True, fast=self._kind != "ipympl")

    def _build_controls(self) -> None:
        c: dict[str, W.Widget] = {}
        cu = self._continuous
        desc = {"description_width": "72px"}

        def wide() -> W.Layout:  # one Layout per widget: hiding one must not hide the others
            return W.Layout(width="330px")

        def add(name: str, widget: W.Widget) -> W.Widget:
            widget.add_class("lv-" + name.replace("_", "-"))
            c[name] = widget
            return widget

        surface_options = [(name, name) for name in surfaces.SURFACES] + [("formula f(x, y) …", EXPRESSION)]
        add("surface", W.Dropdown(options=surface_options, description="surface", style=desc, layout=wide()))
        add("formula", W.Text(value="", placeholder="e.g. x**2 + 10*y**2, then Enter", description="f(x, y) =",
                              continuous_update=False, style=desc, layout=W.Layout(width="262px")))
        add("formula_apply", W.Button(description="apply", tooltip="draw the typed surface", layout=W.Layout(width="62px")))
        titles = getattr(optimizers, "TITLES", {})
        add("optimizers", W.SelectMultiple(
            options=[(f"{name} — {titles.get(name, name)}", name) for name in optimizers.OPTIMIZERS],
            rows=min(9, len(optimizers.OPTIMIZERS)), description="optimizers", style=desc, layout=W.Layout(width="330px")))
        add("lr", W.FloatLogSlider(value=1e-3, base=10, min=LR_RANGE[0], max=LR_RANGE[1], step=0.05, readout_format=".1e",
                                   description="η", continuous_update=cu, style=desc, layout=wide()))
        add("schedule", W.Dropdown(options=list(SCHEDULE_CHOICES), description="schedule", style=desc, layout=wide()))
        add("step_size", W.BoundedIntText(value=100, min=1, max=COUNT_MAX, description="step size", style=desc, layout=wide()))
        add("gamma", W.FloatSlider(value=0.1, min=0.001, max=1.0, step=0.001, readout_format=".3f", description="γ",
                                   continuous_update=cu, style=desc, layout=wide()))
        add("lr_decay", W.FloatLogSlider(value=1e-2, base=10, min=-5, max=1, step=0.1, readout_format=".1e",
                                         description="k (decay)", continuous_update=cu, style=desc, layout=wide()))
        add("total_steps", W.BoundedIntText(value=300, min=1, max=COUNT_MAX, description="T (cosine)", style=desc, layout=wide()))
        add("lr_min_ratio", W.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.01, readout_format=".2f",
                                          description="η_min / η", continuous_update=cu, style=desc, layout=wide()))
        add("warmup_steps", W.BoundedIntText(value=30, min=1, max=COUNT_MAX, description="warm-up", style=desc, layout=wide()))
        for key in HYPER_KEYS:
            meta = optimizers.HYPERPARAMETERS[key]
            if meta.log:  # ε: the registry's range, as exponents of 10
                widget = W.FloatLogSlider(value=1e-8, base=10, min=np.log10(meta.low), max=np.log10(meta.high),
                                          step=0.1, readout_format=".1e", description=meta.symbol,
                                          continuous_update=cu, style=desc, layout=wide())
            else:  # β, β₁, β₂, α
                widget = W.FloatSlider(value=0.9, min=meta.low, max=meta.high, step=0.001, readout_format=".3f",
                                       description=meta.symbol, continuous_update=cu, style=desc, layout=wide())
            add(key, widget)
        add("steps", W.BoundedIntText(value=300, min=1, max=STEPS_MAX, description="steps", style=desc, layout=wide()))
        add("noise", W.FloatSlider(value=0.0, min=0.0, max=NOISE_MAX, step=0.1, readout_format=".1f",
                                   description="noise σ_g", continuous_update=cu, style=desc, layout=wide(),
                                   tooltip="standard deviation of Gaussian noise added to every gradient"))
        add("batch_size", W.IntSlider(value=1, min=1, max=1, description="batch", continuous_update=cu, style=desc,
                                      layout=wide(), tooltip="mini-batch size (data surfaces only; the maximum = full batch)"))
        add("seed", W.BoundedIntText(value=0, min=0, max=SEED_MAX, description="seed", style=desc, layout=wide()))
        add("start_x", W.BoundedFloatText(value=0.0, min=-START_LIMIT, max=START_LIMIT, step=0.1, description="θ₁ start",
                                          style=desc, layout=W.Layout(width="163px")))
        add("start_y", W.BoundedFloatText(value=0.0, min=-START_LIMIT, max=START_LIMIT, step=0.1, description="θ₂",
                                          style={"description_width": "24px"}, layout=W.Layout(width="163px")))
        add("play", W.Play(value=0, min=0, max=1, step=1, interval=50, description="play", show_repeat=False))
        add("step_back", W.Button(icon="step-backward", tooltip="one frame back", layout=W.Layout(width="40px")))
        add("step", W.Button(icon="step-forward", tooltip="one frame forward", layout=W.Layout(width="40px")))
        add("frame", W.IntSlider(value=0, min=0, max=1, description="frame", continuous_update=True,
                                 style={"description_width": "44px"}, layout=W.Layout(width="480px")))
        add("status", W.HTML(value="", layout=W.Layout(width="auto", min_height="44px")))
        add("scene_text", W.Textarea(value="", layout=W.Layout(width="640px", height="260px"),
                                     placeholder="the scene as TOML (or JSON): copy it, or paste one and press load"))
        add("load", W.Button(description="load scene", icon="upload", tooltip="parse the text above and show it"))
        add("export_name", W.Text(value="lossviz.gif", description="file", style={"description_width": "30px"},
                                  layout=W.Layout(width="230px")))
        add("frames", W.BoundedIntText(value=120, min=2, max=FRAMES_MAX, description="frames",
                                       style={"description_width": "46px"}, layout=W.Layout(width="130px")))
        add("fps", W.BoundedIntText(value=20, min=1, max=FPS_MAX, description="fps",
                                    style={"description_width": "28px"}, layout=W.Layout(width="100px")))
        add("export", W.Button(description="Export GIF", icon="download", button_style="primary",
                               tooltip="write the animation (all frames of the frame slider) to the file"))
        W.jslink((c["play"], "value"), (c["frame"], "value"))
        self.controls = c

    def _layout(self) -> W.Widget:
        c = self.controls
        left = W.VBox(
            [
                c["surface"],
                W.HBox([c["formula"], c["formula_apply"]]),
                c["optimizers"],
                c["lr"],
                c["schedule"],
                *(c[k] for k in SCHEDULE_PARAM_KEYS),
                *(c[k] for k in HYPER_KEYS),
                c["steps"],
                c["noise"],
                c["batch_size"],
                c["seed"],
                W.HBox([c["start_x"], c["start_y"]]),
            ],
            layout=W.Layout(width="345px", flex="0 0 auto"),
        )
        playback = W.HBox([c["play"], c["step_back"], c["step"], c["frame"]], layout=W.Layout(align_items="center"))
        export = W.HBox([c["export_name"], c["frames"], c["fps"], c["export"]], layout=W.Layout(align_items="center"))
        right = W.VBox([self._figure_widget, playback, c["status"], export], layout=W.Layout(flex="1 1 auto"))
        scene = W.Accordion(children=[W.VBox([c["scene_text"], c["load"]])], titles=("scene (copy, or paste and load)",),
                            selected_index=None)
        root = W.VBox([W.HBox([left, right], layout=W.Layout(flex_flow="row wrap")), scene])
        root.add_class("lv-explorer")
        return root

    def _connect(self) -> None:
        c = self.controls
        on = self._observe
        on("surface", self._on_surface)
        on("formula", self._on_formula)
        c["formula_apply"].on_click(self._guard(lambda _: self._apply_formula()))
        on("optimizers", self._on_optimizers)
        on("lr", self._on_lr)
        on("schedule", self._on_schedule)
        for key in SCHEDULE_PARAM_KEYS:
            on(key, self._on_lr)
        for key in HYPER_KEYS:
            on(key, functools.partial(self._on_hyper, key))
        on("steps", self._on_steps)
        on("noise", lambda ch: self._change(lambda s: replace(s, grad_noise=float(ch["new"]),
                                                             runs=[replace(r, grad_noise=None) for r in s.runs])))
        on("batch_size", self._on_batch)
        on("seed", lambda ch: self._change(lambda s: replace(s, seed=int(ch["new"]))))
        on("start_x", self._on_start)
        on("start_y", self._on_start)
        on("frame", self._on_frame)
        on("frames", lambda ch: self._change(lambda s: replace(s, frames=int(ch["new"]))))
        on("fps", self._on_fps)
        c["step_back"].on_click(self._guard(lambda _: self._step_frame(-1)))
        c["step"].on_click(self._guard(lambda _: self._step_frame(+1)))
        c["load"].on_click(self._guard(lambda _: self.load_scene(Scene.from_text(c["scene_text"].value))))
        c["export"].on_click(self._guard(lambda _: self._export_clicked()))

    def _observe(self, name: str, handler: Callable) -> None:
        self.controls[name].observe(self._guard(handler), names="value")

    # ------------------------------------------------------------------ public handles
    @property
    def scene(self) -> Scene:
        """The current scene (a copy): edit it and `load_scene` it, save it, export it."""
        return Scene.from_dict(self._scene.to_dict())

    @property
    def trajectories(self) -> dict:
        """Run label → Trajectory of the current scene."""
        return dict(self._trajs)

    @property
    def figure(self) -> Figure:
        return self.view.figure

    @property
    def surface(self):
        return self.view.surface

    @property
    def k(self) -> int:
        """The step on display."""
        return self._k

    def show(self, k: int) -> list:
        """Move every view to step k (clamped to 0…steps): θ[0..k] in each path line."""
        k = min(max(int(k), 0), int(self._scene.steps))
        with self._holding():
            steps = self._frames
            self.controls["frame"].value = int(np.searchsorted(steps, k, side="right") - 1) if k >= steps[0] else 0
        self._k = k
        return self._redraw(full=False)

    def set_start(self, x: float, y: float) -> None:
        """Start every run at (x, y) (what a click on the contour does)."""
        x, y = float(x), float(y)
        for name, v in (("start_x", x), ("start_y", y)):
            if not abs(v) <= START_LIMIT:
                raise ValueError(f"{name} must be a finite number in [{-START_LIMIT:g}, {START_LIMIT:g}], got {v!r}")
        self._change(lambda s: replace(s, start=(x, y), runs=[replace(r, start=None) for r in s.runs]))

    def load_scene(self, scene: Scene | str) -> None:
        """Show another scene (a Scene, or its TOML / JSON text) in this Explorer."""
        if isinstance(scene, str):
            scene = Scene.from_text(scene)
        scene = Scene.from_dict(scene.to_dict())
        old_touched = self._touched
        self._touched = set()
        try:
            self._change(lambda _: scene, frame_at_end=True)
        except Exception:
            self._touched = old_touched
            raise

    def export_gif(self, path: str | os.PathLike, fps: int | None = None, frames: int | None = None, **kw: Any):
        """Write the animation of the current scene (lossviz.export.save_gif)."""
        from lossviz.export import save_gif

        options = {k: v for k, v in {"fps": fps, "frames": frames, **kw}.items() if v is not None}
        return save_gif(self, path, **options)  # renders its own Agg copy of the view

    def close(self) -> None:
        """Close every widget and the figure's canvas."""
        self.view.disable_blit()
        self.figure.canvas.mpl_disconnect(self._click_cid)
        for widget in self.controls.values():
            widget.close()
        if self._image is not None:
            self._image.close()
        if self._kind == "ipympl":
            self.figure.canvas.close()
        self.widget.close()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:
        runs = ", ".join(self._trajs)
        return f"<Explorer {self._scene.surface}: {runs}; {self._scene.steps} steps>"

    # ------------------------------------------------------------------ errors
    def _guard(self, fn: Callable) -> Callable:
        """A callback that never raises: errors go to the status line and `last_error`."""

        @functools.wraps(fn)
        def callback(*args, **kwargs):
            if self._hold:
                return None
            try:
                result = fn(*args, **kwargs)
            except Exception as error:  # noqa: BLE001 - shown to the user, kept for tests
                self.last_error = error
                self._message = f'<span style="color:{ERROR_COLOR}">⚠ {html.escape(type(error).__name__)}: {html.escape(str(error))}</span>'
                self._update_status()
                return None
            self.last_error = None
            return result

        return callback

    @contextmanager
    def _holding(self):
        self._hold += 1
        try:
            yield
        finally:
            self._hold -= 1

    # ------------------------------------------------------------------ computing
    def _surface_of(self, scene: Scene):
        key = (scene.surface, json.dumps(scene.surface_params, sort_keys=True, default=str))
        hit = self._surfaces.get(key)
        if hit is None:
            hit = scene.make_surface()
            self._surfaces[key] = hit
            while len(self._surfaces) > 16:
                self._surfaces.popitem(last=False)
        return hit

    def _compute(self, scene: Scene, surface) -> dict:
        """Label → Trajectory; a run whose settings did not change comes from the cache."""
        out = {}
        shared = (scene.surface, json.dumps(scene.surface_params, sort_keys=True, default=str), scene.steps,
                  scene.start, scene.grad_noise, scene.batch_size, scene.seed)
        for label, run in zip(scene.labels(), scene.runs):
            key = (shared, label, json.dumps(asdict(run), sort_keys=True, default=str))
            traj = self._cache.get(key)
            if traj is None:
                traj = replace(scene, runs=[run]).run(surface)[label]
                self._cache[key] = traj
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(key)
            out[label] = traj
        return out

    def _change(self, mutate: Callable[[Scene], Scene], *, frame_at_end: bool = False) -> None:
        """Apply `mutate` to the scene, re-run what changed, redraw; on error keep the old one."""
        old = self._scene
        try:
            scene = mutate(old)
            surface = self._surface_of(scene)
            trajectories = self._compute(scene, surface)
        except Exception:
            self._sync_controls()  # snap the controls back to the scene that worked
            raise
        was_at_end = self._k >= old.steps
        self._scene, self._trajs = scene, trajectories
        self._message = ""
        with self._no_auto_draw():
            if scene.title != old.title:  # a loaded scene with another title: lay the figure out anew
                self.view.disable_blit()
                self.view = SceneView(surface, trajectories, colors=scene.colors(), fig=self.figure, title=scene.title,
                                      **self._view_args)
                self.view.enable_blit()
            elif surface is not self.view.surface:
                self.view.set_surface(surface)
            self.view.set_trajectories(trajectories, scene.colors())
        self._sync_controls(frame_at_end=frame_at_end or was_at_end)
        self._redraw(full=True, fast=True)

    @contextmanager
    def _no_auto_draw(self):
        """While the view takes new data: no `draw_idle` from pyplot's interactive mode (a
        stale figure asks ipympl's frontend for a full draw); `_redraw` repaints at once."""
        canvas = self.figure.canvas
        cntx = getattr(canvas, "_idle_draw_cntx", None)
        if cntx is None or getattr(canvas, "_is_idle_drawing", False):
            yield
            return
        with cntx():
            yield

    # ------------------------------------------------------------------ controls ← scene
    def _sync_controls(self, frame_at_end: bool = False) -> None:
        """Every control shows the scene (without triggering any callback)."""
        s, c = self._scene, self.controls
        surface = self._surface_of(s)
        with self._holding():
            if s.surface == EXPRESSION:
                c["surface"].value = EXPRESSION
                c["formula"].value = str(s.surface_params.get("text", c["formula"].value))
            elif s.surface in surfaces.SURFACES:
                c["surface"].value = s.surface
            names = tuple(dict.fromkeys(r.optimizer for r in s.runs))
            c["optimizers"].value = names
            # η and schedule from the first run
            parsed = parse_lr_spec(s.runs[0].lr)
            options = list(SCHEDULE_CHOICES) + ([CUSTOM_SCHEDULE] if parsed is None else [])
            if list(c["schedule"].options) != options:
                c["schedule"].options = options
            if parsed is None:
                c["schedule"].value = CUSTOM_SCHEDULE
                c["lr"].disabled = True
            else:
                name, lr, params = parsed
                c["schedule"].value = name
                c["lr"].disabled = False
                c["lr"].value = lr
                for key, value in params.items():
                    if key in c and value is not None:
                        c[key].value = value
            shown = set(SCHEDULE_PARAMS[c["schedule"].value])
            for key in SCHEDULE_PARAM_KEYS:
                c[key].layout.display = None if key in shown else "none"
            # hyperparameters: the first run that takes each slider
            for key in HYPER_KEYS:
                runs = [r for r in s.runs if accepts(r.optimizer, key)]
                c[key].layout.display = None if runs else "none"
                c[key].disabled = not runs
                if runs:
                    c[key].value = optimizers.slider_values(runs[0].optimizer, **runs[0].hyper)[key]
            c["steps"].value = min(s.steps, STEPS_MAX)
            noise = s.runs[0].grad_noise if s.runs[0].grad_noise is not None else s.grad_noise
            c["noise"].value = min(float(noise), NOISE_MAX)
            n = int(getattr(surface, "n_data", 0) or 0)
            c["batch_size"].disabled = n <= 1
            if n > 1:
                c["batch_size"].max = n
                c["batch_size"].value = n if s.batch_size is None else int(s.batch_size)
            else:
                c["batch_size"].value = c["batch_size"].min
            c["seed"].value = min(int(s.seed), SEED_MAX)
            x, y = self._start_of(s, surface)
            c["start_x"].value = float(np.clip(x, -START_LIMIT, START_LIMIT))
            c["start_y"].value = float(np.clip(y, -START_LIMIT, START_LIMIT))
            c["frames"].value = min(int(s.frames), FRAMES_MAX)
            c["fps"].value = min(int(s.fps), FPS_MAX)
            c["play"].interval = max(10, int(round(1000 / s.fps)))
            # frames: the same steps the GIF shows
            self._frames = _frame_steps(int(s.steps), int(s.frames))
            last = len(self._frames) - 1
            if frame_at_end:
                self._k = int(s.steps)
            self._k = min(self._k, int(s.steps))
            index = last if self._k >= s.steps else int(max(0, np.searchsorted(self._frames, self._k, side="right") - 1))
            for name in ("frame", "play"):
                w = c[name]
                if w.max != last:
                    if last < w.value:
                        w.value = min(w.value, last)
                    w.max = last
            c["frame"].value = index
            c["play"].value = index
            c["scene_text"].value = self._scene_text()

    @staticmethod
    def _start_of(scene: Scene, surface) -> tuple[float, float]:
        for run in scene.runs:
            if run.start is not None:
                return tuple(run.start)
        return tuple(scene.start) if scene.start is not None else tuple(float(v) for v in surface.start)

    def _scene_text(self) -> str:
        try:
            return self._scene.to_toml()
        except Exception:  # noqa: BLE001 - TOML cannot write it: JSON always can
            return self._scene.to_json()

    # ------------------------------------------------------------------ scene ← controls
    def _on_surface(self, change) -> None:
        name = change["new"]
        if name == EXPRESSION:
            if not self.controls["formula"].value.strip():
                with self._holding():  # an example to start from
                    self.controls["formula"].value = EXAMPLE_FORMULA
            self._apply_formula()
            return
        self._change(lambda s: replace(s, surface=name, surface_params={}, start=None, batch_size=None,
                                       runs=[replace(r, start=None, batch_size=None) for r in s.runs]))

    def _on_formula(self, change) -> None:
        self._apply_formula()

    def _apply_formula(self) -> None:
        text = self.controls["formula"].value.strip()
        if not text:
            raise ValueError("type a formula f(x, y) in the box (e.g. x**2 + 10*y**2), then press Enter or apply")
        try:
            surfaces.expression(text)  # a clear error for bad text before anything changes
        except Exception:
            self._sync_controls()
            raise
        self._change(lambda s: replace(s, surface=EXPRESSION, surface_params={"text": text}, start=None, batch_size=None,
                                       runs=[replace(r, start=None, batch_size=None) for r in s.runs]))

    def _on_optimizers(self, change) -> None:
        chosen = list(change["new"])
        if not chosen:
            self._sync_controls()
            self._message = "choose at least one optimizer"
            self._update_status()
            return
        sliders = {key: self.controls[key].value for key in self._touched}
        spec = self._lr_from_controls()

        def mutate(s: Scene) -> Scene:
            keep = [r for r in s.runs if r.optimizer in chosen]
            have = {r.optimizer for r in keep}
            labels = set(Scene.labels(replace(s, runs=keep)) if keep else [])
            lr = spec if spec is not None else s.runs[0].lr
            for name in chosen:
                if name in have:
                    continue
                label, i = name, 2
                while label in labels:
                    label, i = f"{name} {i}", i + 1
                labels.add(label)
                keep.append(RunSpec(name, lr, _hyper_for(name, sliders), label=label))
            return replace(s, runs=keep)

        self._change(mutate)

    def _lr_from_controls(self) -> float | dict | None:
        c = self.controls
        schedule = c["schedule"].value
        if schedule == CUSTOM_SCHEDULE:
            return None
        return lr_spec(schedule, c["lr"].value, {k: c[k].value for k in SCHEDULE_PARAM_KEYS})

    def _on_lr(self, change) -> None:
        spec = self._lr_from_controls()
        if spec is None:
            return
        self._change(lambda s: replace(s, runs=[replace(r, lr=spec) for r in s.runs]))

    def _on_schedule(self, change) -> None:
        name = change["new"]
        if name == CUSTOM_SCHEDULE:
            return
        c = self.controls
        with self._holding():
            if CUSTOM_SCHEDULE in c["schedule"].options:
                c["schedule"].options = list(SCHEDULE_CHOICES)
                c["schedule"].value = name
            for key, value in _default_schedule_params(name, int(self._scene.steps)).items():
                c[key].value = value
        self._on_lr(change)

    def _on_hyper(self, key: str, change) -> None:
        self._touched.add(key)
        value = float(change["new"])
        self._change(lambda s: replace(s, runs=[_with_hyper(r, key, value) if accepts(r.optimizer, key) else r for r in s.runs]))

    def _on_steps(self, change) -> None:
        new, old = int(change["new"]), int(self._scene.steps)
        c = self.controls
        schedule = c["schedule"].value
        if "total_steps" in SCHEDULE_PARAMS.get(schedule, ()) and c["total_steps"].value == old:
            with self._holding():  # a schedule spanning the run keeps spanning it
                c["total_steps"].value = new
            spec = self._lr_from_controls()
            self._change(lambda s: replace(s, steps=new, runs=[replace(r, lr=spec) for r in s.runs]))
        else:
            self._change(lambda s: replace(s, steps=new))

    def _on_batch(self, change) -> None:
        c = self.controls["batch_size"]
        if c.disabled:
            return
        value = int(change["new"])
        self._change(lambda s: replace(s, batch_size=None if value >= c.max else value,
                                       runs=[replace(r, batch_size=None) for r in s.runs]))

    def _on_start(self, change) -> None:
        self.set_start(self.controls["start_x"].value, self.controls["start_y"].value)

    def _on_fps(self, change) -> None:
        fps = int(change["new"])
        self.controls["play"].interval = max(10, int(round(1000 / fps)))
        self._scene = replace(self._scene, fps=fps)
        with self._holding():
            self.controls["scene_text"].value = self._scene_text()

    def _on_frame(self, change) -> None:
        index = min(max(int(change["new"]), 0), len(self._frames) - 1)
        self._k = int(self._frames[index])
        self._redraw(full=False)

    def _step_frame(self, delta: int) -> None:
        frame = self.controls["frame"]
        frame.value = min(max(frame.value + delta, frame.min), frame.max)

    def _on_click(self, event) -> None:
        """A click on the contour axes (not while the toolbar zooms or pans) moves the start."""
        if event.inaxes is None or event.inaxes is not self.view.axes["surface"]:
            return
        if event.xdata is None or event.ydata is None:
            return
        toolbar = getattr(self.figure.canvas, "toolbar", None)
        if toolbar is not None and str(getattr(toolbar, "mode", "") or ""):
            return
        if getattr(event, "button", 1) not in (None, 1):
            return
        ax = event.inaxes
        x, y = (_round_to_view(v, lim) for v, lim in ((event.xdata, ax.get_xlim()), (event.ydata, ax.get_ylim())))
        self.set_start(x, y)

    def _export_clicked(self) -> None:
        name = self.controls["export_name"].value.strip() or "lossviz.gif"
        if not os.path.splitext(name)[1]:
            name += ".gif"
        self._message = f"saving {html.escape(name)} …"
        self._update_status()
        self.export_gif(name, **self.export_options)
        from PIL import Image

        with Image.open(name) as im:
            n = getattr(im, "n_frames", 1)
        self._message = f"saved {html.escape(name)} ({n} frames)"
        self._update_status()

    # ------------------------------------------------------------------ drawing
    def _redraw(self, full: bool, fast: bool = False) -> list:
        """Show step `self._k`: after new data a redraw of everything (`fast`: over the cached
        contour image when the contour did not change — the same pixels), or only the moving
        artists."""
        if full:
            artists = self.view.show(self._k)
            if fast and self.view.blitting:
                with self._no_auto_draw():
                    self.view.redraw()  # renders now and blits (ipympl: sends the changed pixels)
            else:
                self.view.draw()  # Agg: renders now; ipympl: when the frontend asks
        else:
            artists = self.view.blit_frame(self._k)
        self._publish()
        self._update_status()
        return artists

    def _publish(self) -> None:
        """Inline mode: the canvas's pixels as the PNG of the Image widget."""
        if self._image is None:
            return
        from PIL import Image

        rgba = np.asarray(self.figure.canvas.buffer_rgba())
        with io.BytesIO() as png:
            Image.fromarray(rgba[..., :3]).save(png, format="png", compress_level=1)
            self._image.value = png.getvalue()

    def _status_html(self) -> str:
        s = self._scene
        k = self._k
        x, y = self._start_of(s, self.view.surface)
        head = f"<b>step {k} / {s.steps}</b> &nbsp;·&nbsp; start=({_fmt(x, '.4g')}, {_fmt(y, '.4g')})"
        parsed = parse_lr_spec(s.runs[0].lr)
        if parsed is not None:
            head += f" &nbsp;·&nbsp; η={_fmt(parsed[1], '.2e')}" + ("" if parsed[0] == "constant" else f" ({parsed[0]})")
        colors = self.view.colors
        parts = []
        for label, traj in self._trajs.items():
            for b in range(traj.batch):
                name = label if traj.batch == 1 else f"{label}[{b}]"
                color = colors.get(name, colors.get(label, "black"))
                swatch = f'<span style="color:{color}">■ {html.escape(name)}</span>'
                d = int(traj.diverged_at[b])
                if d >= 0 and k >= d:
                    text = f'<span style="color:{ERROR_COLOR}">diverged at step {d}</span>'
                else:
                    row = min(k, traj.steps)
                    text = f"f={_fmt(traj.loss[row, b])}"
                    if d >= 0:
                        text += f' <span style="color:{ERROR_COLOR}">(diverged at step {d})</span>'
                parts.append(f"{swatch} {text}")
        out = head + "<br>" + " &nbsp;·&nbsp; ".join(parts)
        if self._message:
            out += "<br>" + self._message
        return f'<div style="line-height:1.35; font-size:90%">{out}</div>'

    def _update_status(self) -> None:
        self.controls["status"].value = self._status_html()

    # convenience for tests and notebooks
    @property
    def status(self) -> str:
        """The status line as plain text."""
        text = re.sub(r"<br\s*/?>", "\n", self.controls["status"].value)
        return html.unescape(re.sub(r"<[^>]+>", "", text)).replace("\xa0", " ")

