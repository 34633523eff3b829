"""The Explorer: one scene with a knob for every symbol of the lecture.

    from lossviz import Explorer
    Explorer(surface="rosenbrock", optimizers=["gd", "adam"], steps=300, lr=1e-3)
    Explorer.from_scene("p07_adagrad_burst")

Left, the controls, grouped: surface · runs · learning rate & schedule · hyperparameters ·
data & noise · export · scene text. Right, the front end (`lossviz.canvas.SceneCanvas`):
the η control, the figure, Play / step / scrub and the status line, all drawn in the
browser from arrays. So an η move costs the kernel its computation (usually a cache hit,
see `lossviz.session`) and one message; Play never asks the kernel.

η scales every run's η and schedule peak by one factor (per-run η keep their ratios,
schedules their shape); the scene is shown as given until someone moves a control. The
other controls edit the scene: a hyperparameter slider every chosen optimizer that takes it
(β only the momentum methods, so "gd" stays the plain baseline), the schedule menu every
run, each keeping its own peak η.

Without a front end (nbclient, a console, tests) it still builds and works: `scene`,
`trajectories`, `status`, `show(k)`, and `snapshot()` gives a matplotlib figure of the
current step drawn like a GIF frame. Errors never escape a control: they are shown in red in
the status line, kept in `last_error`, and the controls snap back to the last good scene.
"""

from __future__ import annotations

import functools
import html
import os
import re
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Callable, Sequence

import ipywidgets as W
import numpy as np

import optimizers as _optimizers
import surfaces
from lossviz import controls as C
from lossviz import limits
from lossviz.canvas import SceneCanvas
from lossviz.lr_spec import schedule_from_spec
from lossviz.scenes import SCENES, RunSpec, Scene, get_scene
from lossviz.session import Session

__all__ = ["Explorer"]

EXPRESSION = "expression"
EXAMPLE_FORMULA = "x**2 + 10*y**2"
ERROR_COLOR = "#c00000"
STATIC_DELAY = 0.35  # s after the last η move before panel limits are redrawn
SLOW_CELLS = 200_000  # runs × steps beyond which the status line says "computing …"
# what the number boxes can reach: the scene's own limits (lossviz.limits), and two of the Explorer's
STEPS_MAX = limits.STEPS_RANGE[1]
SEED_MAX = limits.SEED_RANGE[1]
FRAMES_MAX = limits.FRAMES_RANGE[1]
NOISE_MAX = 50.0  # σ_g of the noise slider: far beyond any gradient of the lecture's surfaces
START_LIMIT = 1e5  # |θ⁰| a typed start may have (the runner stops runs beyond 1e6)


def _later(delay: float, fn: Callable[[], None]):
    """Run `fn` after `delay` seconds on the kernel's event loop. Without a running loop (no
    kernel, so no front end to show it) it is not run: `Explorer.refresh()` does it."""
    import asyncio

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return loop.call_later(delay, fn)


class Explorer:
    """An interactive view of one scene.

    Args:
      surface: a registry name (`surfaces.SURFACES`) or "expression" (then
        `surface_params={"text": "x**2 + 10*y**2"}`).
      optimizers: registry names (`optimizers.OPTIMIZERS`), one run each; an `Optimizer` or a
        factory of one is registered first (`optimizers.register`, under its name).
      steps: T, the number of updates.
      lr: η (a float) or a schedule spec such as {"name": "cosine_annealing", "lr_max": 0.1,
        "total_steps": 300}.
      **kw: `hyper` (slider key → value, e.g. {"momentum": 0.9, "beta1": 0.8}), the other
        `Scene` fields (surface_params, start, grad_noise, batch_size, seed, frames, fps,
        title), and `panels` (the side panels; default: those that carry information).

    Handles: `scene`, `trajectories`, `session`, `canvas`, `controls` (name → widget),
    `widget`, `k`, `status`, `show(k)`, `set_lr_index(i)`, `set_start(x, y)`,
    `load_scene(scene)`, `export_gif(path, ...)`, `snapshot()`, `last_error`.
    """

    def __init__(self, surface: str = "rosenbrock", optimizers: Sequence[str] | str = ("gd", "adam"),
                 steps: int = 300, lr: float | dict = 1e-3, **kw: Any):
        panels = kw.pop("panels", None)
        hyper = dict(kw.pop("hyper", None) or {})
        keys = C.hyper_keys()
        bad = sorted(set(hyper) - set(keys))
        if bad:
            raise ValueError(f"hyper: unknown slider {bad[0]!r}; valid: {', '.join(keys)}")
        given = [optimizers] if isinstance(optimizers, str) or not isinstance(optimizers, (list, tuple)) else list(optimizers)
        names = list(dict.fromkeys(_registered(o) for o in given))
        if not names:
            raise ValueError("optimizers: choose at least one optimizer")
        for name in names:
            _optimizers.get_optimizer(name)  # a ValueError listing the valid names
        schedule_from_spec(lr)  # a clear error for a bad η or schedule now
        runs = [RunSpec(name, lr, self._hyper_for(name, hyper), label=name) for name in names]
        self._setup(Scene(surface=surface, runs=runs, steps=steps, **kw), panels)

    @classmethod
    def from_scene(cls, scene: Scene | str, *, panels: Sequence[str] | None = None) -> "Explorer":
        """An Explorer showing `scene` (a Scene or the name of one in `lossviz.SCENES`)."""
        self = cls.__new__(cls)
        self._setup(get_scene(scene) if isinstance(scene, str) else scene, panels)
        return self

    @staticmethod
    def _hyper_for(optimizer: str, sliders: dict) -> dict:
        run = RunSpec(optimizer)
        for key, value in sliders.items():
            if C.accepts(optimizer, key):
                run = C.with_hyper(run, key, value)
        return dict(run.hyper)

    # ------------------------------------------------------------------ construction
    def _setup(self, scene: Scene, panels) -> None:
        self.last_error: Exception | None = None
        self._hold = 0
        self._message = ""
        self._static_timer = None
        self.export_options: dict = {}  # extra save_gif keywords for the Export button (dpi, figsize, …)
        self.session = Session(scene, panels=None if panels is None else tuple(panels))
        self._width: int | None = None  # pixels the front end shows the figure at (it says so first)
        self.canvas = SceneCanvas(on_message=self._guard(self._on_front))
        self.canvas.add_class("lv-figure")
        self._build_controls()
        self._sync_controls()
        self._connect()
        self.widget = self._layout()
        self._k = self._steps = int(self.session.scene.steps)
        self.canvas.observe(self._on_step, names="step")
        self.canvas.observe(self._guard(self._on_inspect), names="inspect")
        self._push(static=True)

    def _build_controls(self) -> None:
        c: dict[str, W.Widget] = {}
        desc = {"description_width": "64px"}

        def add(name: str, widget: W.Widget, tip: str | None = None) -> W.Widget:
            widget.add_class("lv-" + name.replace("_", "-"))
            tip = tip or C.TOOLTIPS.get(name)
            if tip and not isinstance(widget, W.Box):  # a Box's view fails on a tooltip (ipywidgets 8.1)
                widget.tooltip = tip
            c[name] = widget
            return widget

        def wide(width="286px") -> W.Layout:
            return W.Layout(width=width)

        options = [(name, name) for name in surfaces.SURFACES] + [("formula f(x, y) …", EXPRESSION)]
        add("surface", W.Dropdown(options=options, description="surface", style=desc, layout=wide()))
        add("formula", W.Text(value="", placeholder="x**2 + 10*y**2, then Enter", description="f(x, y) =",
                              continuous_update=False, style=desc, layout=wide("226px")))
        add("formula_apply", W.Button(description="apply", layout=W.Layout(width="56px")), "draw the typed surface")
        titles = getattr(_optimizers, "TITLES", {})
        boxes = {}
        for name in _optimizers.OPTIMIZERS:
            box = W.Checkbox(value=False, description=name, indent=False, layout=W.Layout(width="140px"))
            box.tooltip = f"{name} — {titles.get(name, name)}"
            box.add_class("lv-opt-" + name.replace("_", "-"))
            boxes[name] = box
        self._boxes = boxes
        add("optimizers", W.Box(list(boxes.values()), layout=W.Layout(flex_flow="row wrap", width="290px")),
            "the runs: one per optimizer")
        add("schedule", W.Dropdown(options=list(C.schedule_names()), description="η_t", style=desc, layout=wide()))
        for key, spec in C.PARAM_CONTROLS.items():
            if spec["kind"] == "int":
                w = W.BoundedIntText(value=1, min=spec["low"], max=spec["high"], description=spec["symbol"], style=desc, layout=wide())
            elif spec["kind"] == "log":
                w = W.FloatLogSlider(value=1e-2, base=10, min=np.log10(spec["low"]), max=np.log10(spec["high"]), step=0.1,
                                     readout_format=".1e", description=spec["symbol"], continuous_update=False, style=desc, layout=wide())
            else:
                w = W.FloatSlider(value=spec["low"], min=spec["low"], max=spec["high"], step=spec["step"], readout_format=".3f",
                                  description=spec["symbol"], continuous_update=False, style=desc, layout=wide())
            add(key, w, spec["tip"])
        for key in C.hyper_keys():
            meta = _optimizers.HYPERPARAMETERS[key]
            if meta.log:
                w = W.FloatLogSlider(value=meta.low, base=10, min=np.log10(meta.low), max=np.log10(meta.high), step=0.1,
                                     readout_format=".1e", description=meta.symbol, continuous_update=False, style=desc, layout=wide())
            else:
                w = W.FloatSlider(value=meta.low, min=meta.low, max=meta.high, step=0.001, readout_format=".3f",
                                  description=meta.symbol, continuous_update=False, style=desc, layout=wide())
            add(key, w, C.tooltip(key))
        add("steps", W.BoundedIntText(value=1, min=limits.STEPS_RANGE[0], max=STEPS_MAX, description="steps T", style=desc, layout=wide("150px")))
        add("seed", W.BoundedIntText(value=limits.DEFAULT_SEED, min=limits.SEED_RANGE[0], max=SEED_MAX, description="seed", style={"description_width": "36px"},
                                     layout=wide("132px")))
        add("noise", W.FloatSlider(value=0.0, min=0.0, max=NOISE_MAX, step=0.1, readout_format=".1f", description="noise σ_g",
                                   continuous_update=False, style=desc, layout=wide()))
        add("batch_size", W.IntSlider(value=1, min=1, max=1, description="batch", continuous_update=False, style=desc, layout=wide()))
        add("start_x", W.BoundedFloatText(value=0.0, min=-START_LIMIT, max=START_LIMIT, step=0.1, description="θ⁰ = (",
                                          style=desc, layout=wide("150px")), C.TOOLTIPS["start"])
        add("start_y", W.BoundedFloatText(value=0.0, min=-START_LIMIT, max=START_LIMIT, step=0.1, description=",",
                                          style={"description_width": "10px"}, layout=wide("120px")), C.TOOLTIPS["start"])
        add("export_name", W.Text(value="lossviz.gif", description="file", style={"description_width": "30px"},
                                  layout=wide("164px")), "the GIF to write, next to the notebook")
        add("frames", W.BoundedIntText(value=limits.DEFAULT_FRAMES, min=limits.FRAMES_RANGE[0], max=FRAMES_MAX, description="frames", style={"description_width": "48px"},
                                       layout=wide("118px")))
        add("export", W.Button(description="Export GIF", icon="download", button_style="primary", layout=wide("140px")),
            "write the animation of this scene (the frames Play shows) to the file")
        add("scene_text", W.Textarea(value="", layout=W.Layout(width="100%", height="240px"),
                                     placeholder="the scene as TOML (or JSON): copy it, or paste one and press load"),
            "the scene as text: copy it to keep it, or paste one and press load")
        add("load", W.Button(description="load scene", icon="upload"), "parse the text above and show it")
        self.controls = c
        self.controls["lr"] = self.canvas  # the η control lives in the front end (class lv-lr)
        self.controls["status"] = self.canvas  # and so does the status line (lv-status)

    def _layout(self) -> W.Widget:
        c = self.controls

        def group(title: str, *children: W.Widget) -> W.VBox:
            head = W.HTML(f"<b>{html.escape(title)}</b>", layout=W.Layout(margin="6px 0 0 0"))
            box = W.VBox([head, *children])
            box.add_class("lv-group")
            return box

        left = W.VBox([
            group("surface", c["surface"], W.HBox([c["formula"], c["formula_apply"]])),
            group("runs", c["optimizers"]),
            group("learning rate & schedule", c["schedule"], *(c[k] for k in C.PARAM_CONTROLS)),
            group("hyperparameters", *(c[k] for k in C.hyper_keys())),
            group("data & noise", W.HBox([c["steps"], c["seed"]]), c["noise"], c["batch_size"], W.HBox([c["start_x"], c["start_y"]])),
            group("export", W.HBox([c["export_name"], c["frames"]]), c["export"]),
        ], layout=W.Layout(width="300px", flex="0 0 300px"))
        left.add_class("lv-controls")
        right = W.VBox([self.canvas], layout=W.Layout(flex="1 1 420px", min_width="320px"))
        scene = W.Accordion(children=[W.VBox([c["scene_text"], c["load"]])], titles=("scene (copy, or paste and load)",),
                            selected_index=None)
        root = W.VBox([W.HBox([left, right], layout=W.Layout(flex_flow="row wrap", width="100%")), scene],
                      layout=W.Layout(width="100%"))
        root.add_class("lv-explorer")
        return root

    def _connect(self) -> None:
        c = self.controls
        on = self._observe
        on("surface", self._on_surface)
        on("formula", lambda ch: self._apply_formula())
        c["formula_apply"].on_click(self._guard(lambda _: self._apply_formula()))
        for box in self._boxes.values():
            box.observe(self._guard(self._on_optimizers), names="value")
        on("schedule", self._on_schedule)
        for key in C.PARAM_CONTROLS:
            on(key, lambda ch: self._on_schedule_params())
        for key in C.hyper_keys():
            on(key, functools.partial(self._on_hyper, key))
        on("steps", self._on_steps)
        on("noise", lambda ch: self._edit(lambda s: replace(s, grad_noise=float(ch["new"]),
                                                           runs=[replace(r, grad_noise=None) for r in s.runs])))
        on("batch_size", self._on_batch)
        on("seed", lambda ch: self._edit(lambda s: replace(s, seed=int(ch["new"]))))
        on("start_x", lambda ch: self.set_start(c["start_x"].value, c["start_y"].value))
        on("start_y", lambda ch: self.set_start(c["start_x"].value, c["start_y"].value))
        on("frames", lambda ch: self._edit(lambda s: replace(s, frames=int(ch["new"]))))
        c["load"].on_click(self._guard(lambda _: self.load_scene(Scene.from_text(c["scene_text"].value))))
        c["export"].on_click(self._guard(lambda _: self._export_clicked()))

    def _observe(self, name: str, handler: Callable) -> None:
        self.controls[name].observe(self._guard(handler), names="value")

    # ------------------------------------------------------------------ public handles
    @property
    def scene(self) -> Scene:
        """The scene on display (a copy): every run's η as the η control scales it."""
        return Scene.from_dict(self.session.scene.to_dict())

    @property
    def trajectories(self) -> dict:
        """Run label → Trajectory of the scene on display."""
        return dict(self.session.trajectories)

    @property
    def k(self) -> int:
        """The step on display (the browser reports it when playback stops)."""
        return self._k

    @property
    def status(self) -> str:
        """The status line at step `k`, as plain text (and the last message)."""
        text = self.session.status(self._k)
        return text + ("\n" + html.unescape(_strip_tags(self._message)) if self._message else "")

    def summary(self, tol: float | None = None):
        """Per run of what is shown: final loss, best loss @ step, first step within tol of the
        lowest minimum, diverged / left the window at (`lossviz.inspector.Summary`)."""
        return self.session.summary(tol)

    def show(self, k: int) -> None:
        """Move the view to step k (clamped to 0 … steps)."""
        self._k = min(max(int(k), 0), int(self.session.scene.steps))
        with self._holding():
            self.canvas.step = self._k

    def set_lr_index(self, index: int) -> None:
        """Move the η control to position `index`: every run's η × 10^(index·0.05)."""
        self._run(lambda: self.session.set_lr_index(index))

    def set_start(self, x: float, y: float) -> None:
        """Start every run at (x, y) (what a click on the contour does)."""
        x, y = float(x), float(y)
        for name, v in (("start_x", x), ("start_y", y)):
            if not abs(v) <= START_LIMIT:
                raise ValueError(f"{name} must be a finite number in [{-START_LIMIT:g}, {START_LIMIT:g}], got {v!r}")
        self._edit(lambda s: replace(s, start=(x, y), runs=[replace(r, start=None) for r in s.runs]))

    def load_scene(self, scene: Scene | str) -> None:
        """Show another scene (a Scene, its name, or its TOML / JSON text), η control at ×1."""
        if isinstance(scene, str):
            scene = get_scene(scene) if scene in SCENES else Scene.from_text(scene)
        self._run(lambda: self.session.load(scene), static=True)

    def export_gif(self, path: str | os.PathLike, fps: int | None = None, frames: int | None = None, **kw: Any):
        """Write the animation of the scene on display (lossviz.export.save_gif)."""
        from lossviz.export import save_gif

        options = {k: v for k, v in {"fps": fps, "frames": frames, **kw}.items() if v is not None}
        options.setdefault("panels", self.session.panels)
        return save_gif(self.session.scene, path, **options)

    def snapshot(self, k: int | None = None, **kw: Any):
        """A matplotlib figure of step k (default: the step on display), drawn as a GIF frame."""
        return self.session.snapshot(self._k if k is None else k, **kw)

    def close(self) -> None:
        for widget in [*self.controls.values(), *self._boxes.values()]:
            widget.close()
        self.session.close()
        self.widget.close()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:
        return f"<Explorer {self.session.scene.surface}: {', '.join(self.session.trajectories)}; {self.session.scene.steps} steps>"

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
                self._message = (f'<span style="color:{ERROR_COLOR}">⚠ {html.escape(type(error).__name__)}: '
                                 f"{html.escape(str(error))}</span>")
                self._sync_controls()
                self.canvas.message = self._message
                self.canvas.busy = False
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

    # ------------------------------------------------------------------ changes
    def _run(self, change: Callable[[], None], *, static: bool = False, seq: int | None = None) -> None:
        """Apply a session change, then send what the browser needs (one message)."""
        scene = self.session.base
        slow = len(scene.runs) * int(scene.steps) > SLOW_CELLS
        if slow:
            self.canvas.busy = True
        try:
            change()
        finally:
            if slow:
                self.canvas.busy = False
        self._message = ""
        self._sync_controls()
        self._push(static=static, seq=seq)

    def _edit(self, mutate: Callable[[Scene], Scene], *, retitle: bool = False) -> None:
        """Apply `mutate` to the base scene. `retitle`: the change makes a lecture title
        (which names a surface, its runs or their schedule) wrong, so the title goes."""
        if retitle:
            self._run(lambda: self.session.edit(lambda s: replace(mutate(s), title="")))
        else:
            self._run(lambda: self.session.edit(mutate))

    def _push(self, *, static: bool = False, seq: int | None = None) -> None:
        """Arrays to the front end, with the background when the layout changed (another
        surface, steps, panels or title). A change that only moves curves out of a panel's
        limits (η, β, α, …) gets its new background once the controls rest (STATIC_DELAY), so
        dragging never waits for a matplotlib draw."""
        meta, data = self.session.payload()
        meta["lr"]["seq"] = seq
        redraw = self._width is not None and (self.session.layout_changed or static and self.session.static_dirty)
        with self.canvas.hold_sync():
            if redraw:
                self._send_static()
            self.canvas.meta = meta
            self.canvas.data = data
            self.canvas.message = self._message
        if self.session.static_dirty and self._width is not None:
            self._schedule_static()
        steps = int(meta["steps"])
        self._k = steps if self._k >= self._steps else min(self._k, steps)  # as the front end does
        self._steps = steps

    def refresh(self) -> None:
        """Send a background that fits the data now (what a resting η control gets)."""
        if self.session.static_dirty and self._width is not None:
            with self.canvas.hold_sync():
                self._send_static()

    def _send_static(self) -> None:
        png, layout = self.session.static(self._width)
        self.canvas.geometry = layout
        self.canvas.background = png

    def _schedule_static(self) -> None:
        if self._static_timer is not None:
            self._static_timer.cancel()
        version = self.session.version

        def rested():
            self._static_timer = None
            if self.session.version == version:  # nothing moved since: the control rests
                self.refresh()

        self._static_timer = _later(STATIC_DELAY, self._guard(rested))

    # ------------------------------------------------------------------ the front end's messages
    def _on_front(self, content: dict) -> None:
        kind = content.get("type")
        if kind == "lr":
            self._run(lambda: self.session.set_lr_index(int(content["index"])), seq=content.get("seq"))
        elif kind == "start":
            self.set_start(float(content["x"]), float(content["y"]))
        elif kind == "size":
            width = int(content["width"])
            if 320 <= width <= 4000 and (width != self._width or self.session.static_dirty):
                self._width = width
                with self.canvas.hold_sync():
                    self._send_static()
        elif kind == "fps":
            fps = int(content["fps"])
            self._edit(lambda s: replace(s, fps=fps))

    def _on_inspect(self, change) -> None:
        """The step table opened or closed: its columns are sent only while it is open (so the
        η control's messages stay as small as they were)."""
        if bool(change["new"]) != self.session.inspect:
            self.session.inspect = bool(change["new"])
            self._push()

    def _on_step(self, change) -> None:
        if not self._hold:
            self._k = min(max(int(change["new"]), 0), int(self.session.scene.steps))

    # ------------------------------------------------------------------ controls → scene
    def _on_surface(self, change) -> None:
        name = change["new"]
        if name == EXPRESSION:
            if not self.controls["formula"].value.strip():
                with self._holding():
                    self.controls["formula"].value = EXAMPLE_FORMULA
            self._apply_formula()
            return
        self._edit(lambda s: replace(s, surface=name, surface_params={}, start=None, batch_size=None,
                                     runs=[replace(r, start=None, batch_size=None) for r in s.runs]), retitle=True)

    def _apply_formula(self) -> None:
        text = self.controls["formula"].value.strip()
        if not text:
            raise ValueError("type a formula f(x, y) in the box (e.g. x**2 + 10*y**2), then press Enter or apply")
        surfaces.expression(text)  # a clear error for bad text before anything changes
        self._edit(lambda s: replace(s, surface=EXPRESSION, surface_params={"text": text}, start=None, batch_size=None,
                                     runs=[replace(r, start=None, batch_size=None) for r in s.runs]), retitle=True)

    def _on_optimizers(self, change) -> None:
        chosen = [name for name, box in self._boxes.items() if box.value]
        if not chosen:
            raise ValueError("choose at least one optimizer")
        sliders = {key: self.controls[key].value for key in C.hyper_keys() if not self.controls[key].disabled}

        def mutate(s: Scene) -> Scene:
            keep = [r for r in s.runs if r.optimizer in chosen]
            have = {r.optimizer for r in s.runs}
            labels = set(replace(s, runs=keep).labels()) if keep else set()
            lr = (keep or s.runs)[0].lr
            for name in chosen:
                if name in have:
                    continue
                label, i = name, 2
                while label in labels:
                    label, i = f"{name} {i}", i + 1
                labels.add(label)
                keep.append(RunSpec(name, lr, self._hyper_for(name, sliders), label=label))
            return replace(s, runs=keep)

        self._edit(mutate, retitle=True)

    def _menu_params(self) -> dict:
        return {k: self.controls[k].value for k in C.PARAM_CONTROLS}

    def _on_schedule(self, change) -> None:
        name = change["new"]
        if name == C.FROM_SCENE:
            return
        with self._holding():
            for key, value in C.default_params(int(self.session.base.steps)).items():
                self.controls[key].value = value
        self._edit(lambda s: C.with_menu(s, name, self._menu_params()), retitle=True)

    def _on_schedule_params(self) -> None:
        name = self.controls["schedule"].value
        if name != C.FROM_SCENE:
            self._edit(lambda s: C.with_menu(s, name, self._menu_params()), retitle=True)

    def _on_hyper(self, key: str, change) -> None:
        value = float(change["new"])
        self._edit(lambda s: replace(s, runs=[C.with_hyper(r, key, value) if C.accepts(r.optimizer, key) else r for r in s.runs]))

    def _on_steps(self, change) -> None:
        new, old = int(change["new"]), int(self.session.base.steps)
        menu = C.scene_menu(self.session.base)

        def mutate(s: Scene) -> Scene:
            s = replace(s, steps=new)
            if menu is not None and menu.params.get("total_steps") == old:  # a schedule spanning the run keeps spanning it
                s = C.with_menu(s, menu.name, {**menu.params, "total_steps": new})
            return s

        self._edit(mutate)

    def _on_batch(self, change) -> None:
        w = self.controls["batch_size"]
        if w.disabled:
            return
        value = int(change["new"])
        self._edit(lambda s: replace(s, batch_size=None if value >= w.max else value, runs=[replace(r, batch_size=None) for r in s.runs]))

    def _export_clicked(self) -> None:
        name = self.controls["export_name"].value.strip() or "lossviz.gif"
        if not os.path.splitext(name)[1]:
            name += ".gif"
        self.canvas.message = f"saving {html.escape(name)} …"
        self.export_gif(name, **self.export_options)
        from PIL import Image

        with Image.open(name) as im:
            n = getattr(im, "n_frames", 1)
        self._message = f"saved {html.escape(name)} ({n} frames)"
        self.canvas.message = self._message

    # ------------------------------------------------------------------ scene → controls
    def _sync_controls(self) -> None:
        """Every control shows the base scene, without calling any handler."""
        s, c = self.session.base, self.controls
        surface = self.session.surface
        with self._holding():
            if s.surface == EXPRESSION:
                c["surface"].value = EXPRESSION
                c["formula"].value = str(s.surface_params.get("text", c["formula"].value))
            elif s.surface in surfaces.SURFACES:
                c["surface"].value = s.surface
            names = {r.optimizer for r in s.runs}
            for name, box in self._boxes.items():
                box.value = name in names
            menu = C.scene_menu(s)
            options = [*C.schedule_names(), *([C.FROM_SCENE] if menu is None else [])]
            if list(c["schedule"].options) != options:
                c["schedule"].options = options
            c["schedule"].value = C.FROM_SCENE if menu is None else menu.name
            shown = set(C.schedule_params(c["schedule"].value))
            for key in C.PARAM_CONTROLS:
                c[key].layout.display = None if key in shown else "none"
                if menu is not None and key in menu.params:
                    c[key].value = menu.params[key]
            for key in C.hyper_keys():
                value = C.slider_value(s, key)
                c[key].layout.display = None if value is not None else "none"
                c[key].disabled = value is None
                if value is not None:
                    c[key].value = value
            c["steps"].value = min(int(s.steps), STEPS_MAX)
            noise = s.runs[0].grad_noise if s.runs[0].grad_noise is not None else s.grad_noise
            c["noise"].value = min(float(noise), NOISE_MAX)
            n = int(getattr(surface, "n_data", 0) or 0)
            c["batch_size"].disabled = n <= 1
            c["batch_size"].layout.display = None if n > 1 else "none"
            if n > 1:
                c["batch_size"].max = n
                c["batch_size"].value = n if s.batch_size is None else int(s.batch_size)
            c["seed"].value = min(int(s.seed), SEED_MAX)
            x, y = self.session.start()
            c["start_x"].value = float(np.clip(x, -START_LIMIT, START_LIMIT))
            c["start_y"].value = float(np.clip(y, -START_LIMIT, START_LIMIT))
            c["frames"].value = min(int(s.frames), FRAMES_MAX)
            c["scene_text"].value = _scene_text(self.session.scene)


def _registered(optimizer) -> str:
    """A registry name for an entry of Explorer's `optimizers`: a name as it is; an Optimizer
    or a factory is registered under its own name (a student's optimizer from a cell)."""
    if isinstance(optimizer, str):
        return optimizer
    if isinstance(optimizer, _optimizers.Optimizer):
        name = optimizer.name or "my_optimizer"
    elif callable(optimizer):
        name = getattr(optimizer, "__name__", "") or "my_optimizer"
    else:
        raise ValueError(f"optimizers: expected registry names, Optimizers or factories, got {optimizer!r}")
    name = re.sub(r"[^a-z0-9_]", "_", name.lower()).strip("_") or "my_optimizer"
    name = name if name[0].isalpha() else "opt_" + name
    if name not in _optimizers.OPTIMIZERS or not _optimizers.registry.ENTRIES[name].builtin:
        _optimizers.register(name, optimizer, title=name)
    return name


def _scene_text(scene: Scene) -> str:
    try:
        return scene.to_toml()
    except Exception:  # noqa: BLE001 - TOML cannot write it: JSON always can
        return scene.to_json()


def _strip_tags(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)
