"""Export a scene as a GIF, an MP4 or a PNG still — fast, and atomically.

Fast: the matplotlib recipe (a FuncAnimation that clears and redraws the contour every frame,
saved with PillowWriter) renders the whole figure per frame. Here the static part (contour,
axes, tick labels, legend, the faint full curves) is rendered once; each frame restores that
background and draws only the moving artists of `SceneView.show(k)` — the same method the
Explorer's Play button calls. All frames are then quantized to one shared palette and Pillow
encodes them (it stores only the region that changed between frames).

Atomic: every file is written through `lossviz.files.atomic_path`, so a failed or
interrupted export leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from lossviz.files import atomic_path, atomic_write_text, check_output  # noqa: F401 (re-exported)
from lossviz.limits import DPI_RANGE, FIGSIZE_RANGE, FPS_RANGE, FRAMES_RANGE, MAX_PIXEL_FRAMES, MAX_PIXELS
from optimizers.base import check_int, check_number

from lossviz import style  # noqa: E402  (sizes, dpi and the last frame's hold live there)

DEFAULT_FIGSIZE = style.FIGSIZE
DEFAULT_FIGSIZE_NO_PANELS = style.FIGSIZE_NO_PANELS
LOG_FRAMES_FROM = 500  # steps per frame from which frames are log-spaced
PALETTE_SAMPLES = 6  # frames that choose the shared GIF palette
EXACT_CLEARANCE = 10  # no other palette entry this close (per channel) to a colour kept exact

Progress = Callable[[int, int], None]  # (frames done, frames in all)


# ------------------------------------------------------------------------------------------
# checks


def check_fps(fps: Any) -> int:
    return check_int("fps", fps, low=FPS_RANGE[0], high=FPS_RANGE[1])


def check_frames(frames: Any) -> int:
    return check_int("frames", frames, low=FRAMES_RANGE[0], high=FRAMES_RANGE[1])


def check_dpi(dpi: Any) -> float:
    check_number("dpi", dpi, low=DPI_RANGE[0], high=DPI_RANGE[1])
    return float(dpi)


def check_figsize(figsize: Any) -> tuple[float, float]:
    try:
        w, h = (float(v) for v in figsize)
    except (TypeError, ValueError):
        raise ValueError(f"figsize must be two numbers (width, height) in inches, got {figsize!r}") from None
    check_number("figsize width", w, low=FIGSIZE_RANGE[0], high=FIGSIZE_RANGE[1])
    check_number("figsize height", h, low=FIGSIZE_RANGE[0], high=FIGSIZE_RANGE[1])
    return w, h


def check_pixels(figsize: Any, dpi: float, panels: Any, frames: int = 1) -> None:
    """The picture (figsize × dpi) must have at most MAX_PIXELS pixels, and an animation at
    most MAX_PIXEL_FRAMES pixels × frames; checked before anything is computed."""
    if figsize is None:
        figsize = DEFAULT_FIGSIZE if panels is None or tuple(panels) else DEFAULT_FIGSIZE_NO_PANELS
    w, h = check_figsize(figsize)
    pixels = round(w * dpi) * round(h * dpi)
    if pixels > MAX_PIXELS:
        raise ValueError(
            f"the picture would have {pixels:,} pixels ({round(w * dpi)} × {round(h * dpi)}), at most "
            f"{MAX_PIXELS:,} (limits.MAX_PIXELS): lower dpi or figsize"
        )
    if pixels * frames > MAX_PIXEL_FRAMES:
        raise ValueError(
            f"pixels × frames must be at most {MAX_PIXEL_FRAMES:,} (limits.MAX_PIXEL_FRAMES), got "
            f"{round(w * dpi)} × {round(h * dpi)} × {frames:,} frames = {pixels * frames:,}: lower frames, dpi or figsize"
        )


# ------------------------------------------------------------------------------------------
# frames


def frame_indices(steps: int, frames: int, motion: Sequence[float] | None = None) -> np.ndarray:
    """Which steps become frames: at most `frames` unique, increasing steps from 0 to `steps`.

    Every step when steps + 1 ≤ frames; log-spaced for very long runs (steps ≥ 500 × frames:
    the first steps, where most happens, get most frames; a 100,000-step run still ends on its
    last step — `log_spaced` says when, and the GIF's panels then use a log step axis).
    Otherwise evenly spaced, or — given `motion`, how far the paths move at each step t =
    1 … steps (`path_motion`) — half the frames evenly spaced in time and half by distance
    travelled: a burst, where the paths move fast, gets a frame at each of its steps, while no
    two frames lie more than twice the even spacing apart (the panels' cursor moves steadily).
    """
    steps = check_int("steps", steps, low=0, high=10**9)
    frames = check_frames(frames)
    if steps + 1 <= frames:
        return np.arange(steps + 1)
    if log_spaced(steps, frames):
        # geometric steps on (t + 1), re-aimed after each pick so that every index is new and
        # exactly `frames` indices end on `steps`
        out = [0]
        cur = 0
        for i in range(1, frames):
            left = frames - i  # picks still to make, this one included
            ratio = ((steps + 1) / (cur + 1)) ** (1.0 / left)
            nxt = int(round((cur + 1) * ratio)) - 1
            nxt = min(max(nxt, cur + 1), steps - (left - 1))
            out.append(nxt)
            cur = nxt
        return np.asarray(out)
    if motion is None:
        return np.unique(np.round(np.linspace(0, steps, frames)).astype(int))
    speed = np.nan_to_num(np.asarray(motion, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)
    if speed.shape != (steps,):
        raise ValueError(f"motion must hold one distance per step (steps = {steps}), got shape {speed.shape}")
    speed = np.maximum(speed, 0.0)
    travelled = np.concatenate([[0.0], np.cumsum(speed)])
    share = np.arange(steps + 1) / steps  # time
    if travelled[-1] > 0:
        share = (share + travelled / travelled[-1]) / 2
    # the step at each equal share (share rises strictly: time alone makes it): even frames when nothing moves
    picks = np.round(np.interp(np.linspace(0, 1, frames), share, np.arange(steps + 1))).astype(int)
    picks[0], picks[-1] = 0, steps
    for i in range(1, frames):  # unique: a fast stretch shorter than its share of frames gets every step
        picks[i] = max(picks[i], picks[i - 1] + 1)
    for i in range(frames - 2, -1, -1):
        picks[i] = min(picks[i], picks[i + 1] - 1)
    return picks


def log_spaced(steps: int, frames: int) -> bool:
    """Whether `frame_indices(steps, frames)` spaces the frames logarithmically."""
    return steps + 1 > frames and steps >= LOG_FRAMES_FROM * frames


def path_motion(trajectories: Mapping[str, Any], bounds) -> np.ndarray:
    """How far the picture moves at each step t = 1 … T: per run, half the distance from
    θ_{t−2} to θ_t in fractions of the window `bounds` ((x0, x1), (y0, y1)), the largest over
    the runs. Two steps, because a steady zig-zag (θ back where it was two steps ago) retraces
    the lines already drawn, while a burst or a descent draws new ones. Points are clipped to
    the window: a divergence to 1e20 counts as a move to the edge, then nothing."""
    (x0, x1), (y0, y1) = (sorted(float(v) for v in pair) for pair in bounds)
    lo, span = np.array([x0, y0]), np.array([x1 - x0, y1 - y0])
    T = max((int(t.lr.shape[0]) for t in trajectories.values()), default=0)
    out = np.zeros(T)
    for traj in trajectories.values():
        theta = np.asarray(traj.theta, dtype=float)  # (T + 1, B, 2)
        with np.errstate(all="ignore"):
            window = np.clip((theta - lo) / span, 0.0, 1.0)
            before = np.concatenate([window[:1], window[:-2]])  # θ_{t−2} (θ_0 for t = 1)
            step = np.linalg.norm(window[1:] - before, axis=-1) / np.where(np.arange(1, len(window)) > 1, 2.0, 1.0)[:, None]
        step = np.nan_to_num(step, nan=0.0).max(axis=1)
        out[: len(step)] = np.maximum(out[: len(step)], step)
    return out


def animation_frames(view, frames: int) -> np.ndarray:
    """The steps a GIF or MP4 of `view` shows: `frame_indices` with the paths' motion."""
    return frame_indices(view.steps, frames, path_motion(view.trajectories, view.surface.bounds))


def _is_scene(obj: Any) -> bool:
    from lossviz.scenes import Scene

    return isinstance(obj, Scene)


def _source(obj: Any, run_progress: Progress | None = None) -> tuple[Any, dict, dict | None, str, Any]:
    """(surface, trajectories, colors, title, scene or None) of a Scene (run now, reporting
    to `run_progress`), an Explorer-like object (with `.view` and `.scene`) or a SceneView."""
    from lossviz.view import SceneView

    if _is_scene(obj):
        surface = obj.make_surface()
        return surface, obj.run(surface, progress=run_progress), obj.colors(), obj.title, obj
    scene = getattr(obj, "scene", None)
    if _is_scene(scene) and isinstance(getattr(obj, "trajectories", None), dict):  # an Explorer
        return scene.make_surface(), dict(obj.trajectories), scene.colors(), scene.title, scene
    view = getattr(obj, "view", None)
    if isinstance(view, SceneView):
        scene = getattr(obj, "scene", None)
        return view.surface, dict(view.trajectories), dict(view.colors), getattr(scene, "title", "") or "", scene
    if isinstance(obj, SceneView):
        return obj.surface, dict(obj.trajectories), dict(obj.colors), "", None
    raise ValueError(f"expected a Scene, an Explorer or a SceneView to export, got {type(obj).__name__}")


def build_view(source: Any, *, dpi: float = style.STILL_DPI, figsize=None, panels=None, future: bool = False,
               run_progress: Progress | None = None):
    """A fresh SceneView on an Agg figure for `source` (never the Explorer's live figure).

    panels: None takes the scene's `panels`, else `lossviz.view.informative_panels`.
    future: draw the panels' whole curves faintly (exports leave them out by default).
    Returns (view, scene or None)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from lossviz.view import SceneView, informative_panels

    dpi = check_dpi(dpi)
    surface, trajectories, colors, title, scene = _source(source, run_progress)
    if panels is None:
        panels = getattr(scene, "panels", None)
    panels = informative_panels(trajectories) if panels is None else tuple(panels)
    if figsize is None:
        figsize = DEFAULT_FIGSIZE if panels else DEFAULT_FIGSIZE_NO_PANELS
    figsize = check_figsize(figsize)
    line_styles = scene.line_styles() if scene is not None and hasattr(scene, "line_styles") else None
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    view = SceneView(surface, trajectories, colors=colors, panels=panels, fig=fig, title=title,
                     line_styles=line_styles, future=future)
    return view, scene


class _TextStamp:
    """Draws a one-line matplotlib Text with Pillow instead (same font file, size, colour and
    anchor): matplotlib renders text glyph by glyph, which would cost more than everything
    else in a frame put together. Used for the step counter, whose text changes per frame."""

    def __init__(self, text, canvas):
        from matplotlib import colors as mcolors
        from matplotlib.font_manager import findfont
        from PIL import ImageFont

        self.text = text
        props = text.get_fontproperties()
        dpi = text.figure.dpi
        self.font = ImageFont.truetype(findfont(props), size=max(1, round(props.get_size_in_points() * dpi / 72)))
        x, y = text.get_transform().transform(text.get_position())
        height = canvas.get_width_height()[1]
        self.xy = (float(x), float(height - y))
        ha = {"left": "l", "center": "m", "right": "r"}[text.get_horizontalalignment()]
        va = {"bottom": "d", "baseline": "s", "center": "m", "center_baseline": "m", "top": "a"}[text.get_verticalalignment()]
        self.anchor = ha + va
        self.fill = tuple(round(255 * c) for c in mcolors.to_rgb(text.get_color()))

    def draw(self, image) -> None:
        from PIL import ImageDraw

        ImageDraw.Draw(image).text(self.xy, self.text.get_text(), font=self.font, fill=self.fill, anchor=self.anchor)


class FrameRenderer:
    """Renders frames of a SceneView over a background rendered once.

    The static part (contour, axes, tick labels, legend, the faint full curves) is drawn a
    single time; `frame(k)` restores it, calls `view.show(k)` and draws only the moving
    artists (the step counter is stamped by Pillow). Use as a context manager: it turns the
    view's blitting off again."""

    def __init__(self, view):
        self.view = view
        self.canvas = view.figure.canvas
        self.stamp = None
        view.enable_blit()
        try:
            self.canvas.draw()
            # the view stored the background inside the draw, before painting the moving
            # artists onto the canvas
            self.background = view._background
            try:
                self.stamp = _TextStamp(view.step_text, self.canvas)
            except (OSError, ImportError, KeyError, ValueError):  # no FreeType: matplotlib draws it
                self.stamp = None
            else:
                view.step_text.set_visible(False)
        except BaseException:
            view.disable_blit()
            raise

    def frame(self, k: int):
        """The figure at step k as a Pillow RGB image."""
        from PIL import Image

        self.canvas.restore_region(self.background)
        self.view.show(int(k))
        self.view._draw_animated()
        # "RGBX" is how Pillow stores RGB, so this is a plain copy of the canvas buffer
        image = Image.frombytes("RGB", self.canvas.get_width_height(), self.canvas.buffer_rgba(), "raw", "RGBX")
        if self.stamp is not None:
            self.stamp.draw(image)
        return image

    def close(self) -> None:
        self.view.step_text.set_visible(True)
        self.view.disable_blit()

    def __enter__(self) -> "FrameRenderer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def render_frames(view, indices: Sequence[int], progress: Progress | None = None) -> Iterator[Any]:
    """Pillow RGB images of `view` at the given steps (see FrameRenderer)."""
    with FrameRenderer(view) as renderer:
        n = len(indices)
        for i, k in enumerate(indices):
            yield renderer.frame(k)
            if progress is not None:
                progress(i + 1, n)


def exact_colors(view) -> list[tuple[int, int, int]]:
    """The colours a GIF must keep exactly: the ★/◇ fill and edge colours, every run's colour
    and the exit marks' — the ones a viewer matches by eye (the legend, a path, its ★)."""
    from matplotlib import colors as mcolors

    found = []
    for artist in [*view.markers, *view.paths.lines.values()]:
        found += [artist.get_color(), artist.get_markerfacecolor(), artist.get_markeredgecolor()]
    found += [style.DIVERGED_COLOR, style.ESCAPED_COLOR]
    out = []
    for c in found:
        if isinstance(c, str) and c.lower() in ("none", "auto"):
            continue
        rgb = tuple(int(round(255 * v)) for v in mcolors.to_rgb(c))
        if rgb not in out and rgb not in ((0, 0, 0), (255, 255, 255)):  # the text and the ◇: the cut has them
            out.append(rgb)
    return out


def shared_palette(images: Sequence[Any], exact: Sequence[tuple[int, int, int]] = ()):
    """One palette image (Pillow "P", at most 255 colours: one index stays free for the
    transparency of unchanged pixels) chosen from a few RGB frames, for every frame of the GIF.

    `exact` colours are reserved entries: a median cut averages a small yellow ★ with its
    black edge and the grey around it into peach; with its own entry the ★ keeps its colour."""
    from PIL import Image

    exact = list(dict.fromkeys(tuple(int(v) for v in rgb) for rgb in exact))
    if len(exact) > 64:
        raise ValueError(f"exact: at most 64 reserved colours, got {len(exact)}")
    w, h = images[0].size
    stack = Image.new("RGB", (w, h * len(images)))
    for i, im in enumerate(images):
        stack.paste(im, (0, i * h))
    cut = stack.quantize(colors=255 - len(exact), method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    chosen = cut.getpalette()[: 3 * (255 - len(exact))]
    entries = [tuple(chosen[i: i + 3]) for i in range(0, len(chosen), 3)]
    # Pillow maps a pixel to the entry nearest to the corner of its 4 × 4 × 4 cell of RGB, not to
    # the pixel itself: an entry within EXACT_CLEARANCE of a reserved colour could win its cell
    reserved = np.asarray(exact, dtype=int).reshape(-1, 3)
    entries = [e for e in entries if not (np.abs(reserved - np.asarray(e)).max(axis=1) < EXACT_CLEARANCE).any()] + exact
    palette = Image.new("P", (1, 1))
    palette.putpalette([v for e in entries for v in e])
    return palette


def quantized_frames(view, indices: Sequence[int], progress: Progress | None = None) -> list:
    """Every frame as a Pillow "P" image on one shared palette, so the GIF needs no per-frame
    palettes and memory holds one byte a pixel. The palette comes from the first, the middle
    and the last frame (paths only grow, so the last one holds every colour a path shows),
    with the marker and run colours reserved (`exact_colors`)."""
    return list(iter_quantized_frames(view, indices, progress))


def iter_quantized_frames(view, indices: Sequence[int], progress: Progress | None = None) -> Iterator[Any]:
    """`quantized_frames`, one frame at a time (save_gif hands them to Pillow as they come)."""
    from PIL import Image

    picks = sorted({0, len(indices) // 2, len(indices) - 1})[: PALETTE_SAMPLES]
    with FrameRenderer(view) as renderer:
        palette = shared_palette([renderer.frame(indices[i]) for i in picks], exact_colors(view))
        for i, k in enumerate(indices):
            yield renderer.frame(k).quantize(palette=palette, dither=Image.Dither.NONE)
            if progress is not None:
                progress(i + 1, len(indices))


def _animation(scene_or_explorer, fps, frames, dpi, figsize, panels, run_progress=None):
    """Checked settings and a fresh view for an animated export: (view, fps, frame steps).
    fps and frames default to the scene's."""
    scene = scene_or_explorer if _is_scene(scene_or_explorer) else getattr(scene_or_explorer, "scene", None)
    fps = check_fps(fps if fps is not None else getattr(scene, "fps", 20))
    frames = check_frames(frames if frames is not None else getattr(scene, "frames", 120))
    dpi = check_dpi(dpi)
    steps = getattr(scene, "steps", None)
    check_pixels(figsize, dpi, panels, frames if steps is None else min(frames, steps + 1))
    view, _ = build_view(scene_or_explorer, dpi=dpi, figsize=figsize, panels=panels, run_progress=run_progress)
    if log_spaced(view.steps, frames):
        view.set_step_scale("log")  # log-spaced frames: the cursor moves steadily on a log t axis
    return view, fps, animation_frames(view, frames)


# ------------------------------------------------------------------------------------------
# the three exports


def save_gif(
    scene_or_explorer: Any,
    path: str | os.PathLike,
    fps: int | None = None,
    frames: int | None = None,
    dpi: float = style.GIF_DPI,
    figsize=None,
    *,
    panels: Sequence[str] | None = None,
    progress: Progress | None = None,
    run_progress: Progress | None = None,
) -> Path:
    """Animate a Scene (it is run first), an Explorer (its current runs) or a SceneView as a
    looping GIF at `path`, written atomically. Returns the path.

    Args:
      fps: frames per second, 1…100 (default: the scene's). GIF stores frame durations in
        hundredths of a second, so 1000/fps is rounded to 10 ms.
      frames: at most this many frames, 2…2000 (default: the scene's); long runs are shown
        on log-spaced steps (`frame_indices`).
      dpi: 20…600 (default 96: 1280 px wide). figsize: (width, height) in inches (default
        `style.FIGSIZE`). panels: side panels to draw (default: the scene's, else those that
        carry information; () for the contour alone).
      progress: called as progress(done, total) after each rendered frame.
      run_progress: called as run_progress(steps done, steps) while a Scene is run.

    The last frame stays on screen for `style.GIF_HOLD_SECONDS` before the loop restarts.
    """

    target = check_output(path, (".gif",))
    view, fps, indices = _animation(scene_or_explorer, fps, frames, dpi, figsize, panels, run_progress)
    try:
        with atomic_path(target) as tmp:
            images = iter_quantized_frames(view, indices, progress)  # Pillow takes them as they come
            next(images).save(
                tmp,
                format="GIF",
                save_all=True,
                append_images=images,
                duration=gif_durations(len(indices), fps),
                loop=0,
                optimize=True,
            )
    finally:
        view.figure.clear()
    return target


def gif_durations(n: int, fps: int) -> list[int]:
    """Milliseconds per frame: 1000/fps each, the last one held `style.GIF_HOLD_SECONDS`."""
    frame = int(round(1000 / fps))
    return [frame] * (n - 1) + [max(frame, int(round(1000 * style.GIF_HOLD_SECONDS)))]


def save_mp4(
    scene_or_explorer: Any,
    path: str | os.PathLike,
    fps: int | None = None,
    frames: int | None = None,
    dpi: float = 100,
    figsize=None,
    *,
    panels: Sequence[str] | None = None,
    progress: Progress | None = None,
    run_progress: Progress | None = None,
) -> Path:
    """Like `save_gif`, but an H.264 MP4 encoded by ffmpeg (which must be on PATH)."""
    target = check_output(path, (".mp4",))
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("MP4 export needs ffmpeg on PATH, and it was not found; install ffmpeg or export a GIF (save_gif / `lossviz gif`)")
    view, fps, indices = _animation(scene_or_explorer, fps, frames, dpi, figsize, panels, run_progress)
    w, h = (int(v) for v in view.figure.canvas.get_width_height())
    with atomic_path(target) as tmp:
        cmd = [
            ffmpeg, "-y", "-loglevel", "error",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(fps), "-i", "-",
            "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p", "-vcodec", "libx264",
            "-f", "mp4", str(tmp),
        ]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            stopped = False
            try:
                for frame in render_frames(view, indices, progress):
                    proc.stdin.write(frame.tobytes())  # RGB, 3 bytes a pixel
                proc.stdin.close()
            except BrokenPipeError:  # ffmpeg stopped reading early: never a complete video
                stopped = True
            err = proc.stderr.read().decode(errors="replace").strip()
            if proc.wait() != 0 or stopped or not os.path.getsize(tmp):
                last = err.splitlines()[-1][-300:] if err else "no message"
                raise RuntimeError(f"ffmpeg failed (exit status {proc.returncode}) and wrote no MP4: {last}")
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            view.figure.clear()
    return target


def save_png(
    scene_or_explorer: Any,
    path: str | os.PathLike,
    step: int | None = None,
    dpi: float = style.STILL_DPI,
    figsize=None,
    *,
    panels: Sequence[str] | None = None,
    run_progress: Progress | None = None,
) -> Path:
    """A still of the scene at `step` (default: the last step), written atomically.

    `step` must lie in [0, steps] (a ValueError naming the range otherwise), checked before a
    Scene is run."""
    target = check_output(path, (".png",))
    check_pixels(figsize, check_dpi(dpi), panels)
    if step is not None:
        check_int("step", step, low=0, high=scene_or_explorer.steps if _is_scene(scene_or_explorer) else 10**9)
    view, _ = build_view(scene_or_explorer, dpi=dpi, figsize=figsize, panels=panels, run_progress=run_progress)
    try:
        if step is not None:
            check_int("step", step, low=0, high=view.steps)  # an Explorer or a SceneView: its runs' steps
        view.show(view.steps if step is None else step)
        with atomic_path(target) as tmp:
            view.figure.savefig(tmp, format="png", dpi=view.figure.dpi)
    finally:
        view.figure.clear()
    return target
