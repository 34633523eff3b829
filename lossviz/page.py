"""A scene as one standalone HTML page: the Explorer's renderer (static/renderer.js) over runs
computed in advance, so it opens from a file with nothing installed and no network.

    save_html(SCENES["p06_adam"], "p06_adam.html")

The page's η control moves over a grid of η factors: every run's η (and schedule) scaled by
10^(i·LR_STEP) for the Explorer's own positions i, two decades either side of the scene at
0.1-decade steps. The runs at grid position i are exactly `controls.scaled(scene, i).run()`.
What the page stores per grid value and run:
- θ (the path) as float32, exactly: each column's bit patterns as int32 differences of
  consecutive rows (smooth paths give small differences), stored as byte planes and deflated;
- f and the side panels' curves quantised to 16 bits on their panel's axis scale, each curve
  over its own range (a few thousand times finer than a pixel), as differences, byte planes,
  deflated; a column equal to another (f and the loss panel's curve) is stored once;
- rows only up to the last finite one (a diverged run's later rows are NaN by definition).
The browser inflates them with its built-in DecompressionStream and rebuilds the float32 rows
renderer.js draws, laid out as `Session.payload` lays them (`Session.columns`).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
import zlib
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import optimizers
from lossviz import controls
from lossviz.lr_spec import peak_lr, scale_lr
from lossviz.scenes import Scene
from lossviz.session import FIGSIZE, Session, lr_table, run_block

GRID_DECADES = 2.0  # the η grid reaches this many decades either side of the scene's η
GRID_STEP = 0.1  # decades between two computed η values
BAND_DECADES = 1.0  # η bands (centred on the scene's η) whose curves one set of panel limits holds
IMAGE_WIDTH = 2000  # pixels of the static background: crisp up to 1000 CSS px at 2× (and 2000 at 1×)
PAGE_WORK = 8_000_000  # steps × runs × η values one page may compute (about 80 bytes each while it is built)
PAGE_ROWS = 100_000  # rows stored for all runs and η values together (longer runs: every s-th step)
VARY = ("lr", "start")  # what the page's controls can vary (the page always has η)
MAX_STARTS = 6
NAN16 = 65535  # the 16-bit code of a missing value


def grid_indices(decades: float = GRID_DECADES, step: float = GRID_STEP) -> list[int]:
    """The Explorer's η positions (controls.factor) the page computes: 0 (the scene itself)
    and every `step` decades out to `decades` either side."""
    if not (isinstance(decades, (int, float)) and 0 < decades <= 6):
        raise ValueError(f"decades (the η range either side of the scene) must be in (0, 6], got {decades!r}")
    ok = isinstance(step, (int, float)) and math.isfinite(step) and step > 0
    every = int(round(step / controls.LR_STEP)) if ok else 0
    if every < 1 or abs(step / controls.LR_STEP - every) > 1e-9:
        raise ValueError(f"step (decades between computed η values) must be a positive multiple of {controls.LR_STEP:g}, got {step!r}")
    reach = int(math.floor(decades / controls.LR_STEP + 1e-9)) // every * every
    return list(range(-reach, reach + 1, every))


def compute(scene: Scene, indices: Sequence[int]) -> list[dict[str, optimizers.Trajectory]]:
    """Per η position, label → Trajectory of `controls.scaled(scene, i)`: each deterministic run
    once for all positions in one batched run (one η per batch row, as the Explorer's session
    does); a noisy or mini-batch run once per position (batching would change its random numbers)."""
    surface = scene.make_surface()
    out: list[dict] = [{} for _ in indices]
    for label, base_run in zip(scene.labels(), scene.runs):
        noise = scene.grad_noise if base_run.grad_noise is None else base_run.grad_noise
        batch = scene.batch_size if base_run.batch_size is None else base_run.batch_size
        runs = [replace(base_run, lr=scale_lr(base_run.lr, controls.factor(i))) for i in indices]
        start = base_run.start if base_run.start is not None else scene.start
        start = np.asarray(surface.start if start is None else start, dtype=float)
        groups = [[j] for j in range(len(runs))] if noise or batch is not None else [list(range(len(runs)))]
        for group in groups:
            table = np.stack([lr_table(runs[j].lr, int(scene.steps)) for j in group], axis=1)
            traj = optimizers.run(surface, base_run.make_optimizer(), lr=lambda t, table=table: table, steps=scene.steps,
                                  start=np.tile(start, (len(group), 1)), grad_noise=noise, batch_size=batch, seed=scene.seed)
            for b, j in enumerate(group):
                out[j][label] = traj.one(b, label)
    return out


def page_rows(steps: int, cells: int) -> tuple[int, np.ndarray]:
    """(stride, the steps stored): t = 0, s, 2s, … and the last step T, with `cells` runs ×
    η values sharing PAGE_ROWS rows."""
    stride = max(1, math.ceil((steps + 1) * cells / PAGE_ROWS))
    rows = steps // stride + 1 + (1 if steps % stride else 0)
    return stride, np.minimum(np.arange(rows) * stride, steps)


def _duplicates(blocks: list[list[np.ndarray]]) -> dict[int, int]:
    """Columns equal to an earlier column in every block (f and the loss panel's curve):
    column → the one it copies; stored once."""
    ncol = blocks[0][0].shape[1]
    same = {}
    for j in range(3, ncol):
        for c in range(2, j):
            if c not in same and all(np.array_equal(b[:, j], b[:, c], equal_nan=True) for per in blocks for b in per):
                same[j] = c
                break
    return same


def _planes(a: np.ndarray) -> bytes:
    """Deflated byte planes of an integer array (all first bytes, then all second bytes, …)."""
    b = np.ascontiguousarray(a).view(np.uint8).reshape(-1, a.dtype.itemsize)
    return zlib.compress(np.ascontiguousarray(b.T).tobytes(), 9)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def encode(blocks: list[list[np.ndarray]], axis_forward: dict[int, Any]) -> tuple[list[list[dict]], dict]:
    """Cells (per η value, per run: stored rows and quantisation ranges) and the two streams.

    `axis_forward`: column → (the panel axis's forward transform (matplotlib's), in which the
    column is quantised to 16 bits; is it a log axis, on which values ≤ 0 are missing)."""
    xy, q16, cells = [], [], []
    for per_run in blocks:
        row = []
        for block in per_run:
            finite = np.flatnonzero(np.isfinite(block).any(axis=1))
            n = int(finite[-1]) + 1 if finite.size else 0
            bits = np.ascontiguousarray(block[:n, 0:2].T).view(np.int32).astype(np.int64)
            xy.append(np.diff(bits, axis=1, prepend=0).astype(np.int32).ravel())  # wraps like int32 in JS
            ranges = []
            for column, (forward, log) in axis_forward.items():
                v = block[:n, column].astype(float)
                with np.errstate(all="ignore"):
                    u = np.asarray(forward(v), dtype=float)
                if log:  # matplotlib clips v ≤ 0 to 10^-1000, which would stretch the range
                    u[~(v > 0)] = np.nan
                ok = np.isfinite(u)
                lo, hi = (float(u[ok].min()), float(u[ok].max())) if ok.any() else (0.0, 0.0)
                span = hi - lo
                code = np.full(n, NAN16, dtype=np.int64)
                code[ok] = np.round((u[ok] - lo) / span * (NAN16 - 1)) if span > 0 else 0
                q16.append(np.diff(code, prepend=0).astype(np.uint16))
                ranges.append([lo, hi])
            row.append({"n": n, "q": ranges})
        cells.append(row)
    join = lambda parts, dtype: np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype)  # noqa: E731
    return cells, {"xy": _b64(_planes(join(xy, np.int32))), "panels": _b64(_planes(join(q16, np.uint16)))}


def _png_url(rgb: np.ndarray) -> str:
    """A 256-colour PNG data URL (flat contour fills and text lose nothing visible)."""
    from PIL import Image

    with io.BytesIO() as out:
        Image.fromarray(rgb).quantize(256, method=Image.Quantize.FASTOCTREE).save(out, format="png", optimize=True)
        return "data:image/png;base64," + _b64(out.getvalue())


def band_of(index: int) -> int:
    """The η band of a grid position: the panels' limits change from one band to the next."""
    return math.floor(index * controls.LR_STEP / BAND_DECADES + 0.5 + 1e-9)


def _backgrounds(session: Session, cells: list[tuple[int, dict]], width: int) -> tuple[str, dict, dict]:
    """The static image of the scene's own band (data URL) and its layout, and per other band
    of η the panels' part of the image drawn with that band's limits: {band: {src, x, ylim}}.
    `cells`: (grid position, label → Trajectory) of every stored run."""
    from PIL import Image

    def render(band):
        png, layout = session.static(width, hold=[per for i, per in cells if band_of(i) == band])
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")), layout

    rgb, layout = render(0)
    panels = [layout["axes"][p] for p in layout["axes"] if p != "surface"]
    if not panels:
        return _png_url(rgb), layout, {}
    # the panels' side of the figure from just right of the contour's box: their axis labels move
    # with the tick labels' width, and whatever else the crop cuts through is the same in both
    x = int(layout["axes"]["surface"]["box"][2]) + 2 if "surface" in layout["axes"] else 0
    bands = {}
    for band in sorted({band_of(i) for i, _ in cells} - {0}):
        other, lay = render(band)
        bands[band] = {"src": _png_url(np.ascontiguousarray(other[:, x:])), "x": x,
                       "ylim": {p: a["ylim"] for p, a in lay["axes"].items() if p != "surface"}}
    return _png_url(rgb), layout, bands


def _static_file(name: str) -> str:
    return (resources.files("lossviz") / "static" / name).read_text(encoding="utf-8")


def module() -> str:
    """page.js with renderer.js inlined: one ES module, so the page needs no second file."""
    page = re.sub(r'^import \{[^}]*\} from "\./renderer\.js";\n', "", _static_file("page.js"), flags=re.M)
    return _static_file("renderer.js") + "\n" + page


def default_starts(scene: Scene) -> list[tuple[float, float]]:
    """The scene's start and its mirror images through the centre of the surface's window."""
    surface = scene.make_surface()
    own = next((r.start for r in scene.runs if r.start is not None), None)  # where Session.start() looks
    x, y = own or scene.start or tuple(surface.start)
    (x0, x1), (y0, y1) = surface.bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    points = [(x, y), (2 * cx - x, y), (x, 2 * cy - y), (2 * cx - x, 2 * cy - y)]
    return list(dict.fromkeys((float(a), float(b)) for a, b in points))


def _check_starts(starts) -> list[tuple[float, float]]:
    try:
        points = [(float(a), float(b)) for a, b in starts]
    except (TypeError, ValueError):
        raise ValueError(f"starts must be a list of (x, y) points, got {starts!r}") from None
    if not 1 <= len(points) <= MAX_STARTS or not all(math.isfinite(v) for p in points for v in p):
        raise ValueError(f"starts must hold 1 to {MAX_STARTS} finite (x, y) points, got {starts!r}")
    return list(dict.fromkeys(points))


def scene_data(scene: Scene, *, vary: Sequence[str] = ("lr",), decades: float = GRID_DECADES, step: float = GRID_STEP,
               width_px: int = IMAGE_WIDTH, starts: Sequence[tuple[float, float]] | None = None) -> dict:
    """Everything the page draws from: image, layout, meta, the η grid (per start, when the
    start varies), cells and streams."""
    if not isinstance(scene, Scene):
        raise ValueError(f"scene must be a lossviz Scene (e.g. SCENES['p06_adam']), got {type(scene).__name__}")
    vary = (vary,) if isinstance(vary, str) else tuple(vary)
    unknown = [v for v in vary if v not in VARY]
    if unknown or "lr" not in vary:
        raise ValueError(f"vary must be ('lr',) or ('lr', 'start'): η always, the start among a few points optionally; got {vary!r}")
    if not (isinstance(width_px, int) and 320 <= width_px <= 4000):
        raise ValueError(f"width_px (pixels of the static image) must be an integer in [320, 4000], got {width_px!r}")
    if starts is not None and "start" not in vary:
        raise ValueError("starts= goes with vary=('lr', 'start')")
    indices = grid_indices(decades, step)
    # the first start is the scene itself (runs keep their own starts); the others start every run there
    points = (_check_starts(starts) if starts is not None else default_starts(scene)) if "start" in vary else []
    scenes = [scene] + [replace(scene, start=p, runs=[replace(r, start=None) for r in scene.runs]) for p in points[1:]]
    work = int(scene.steps) * len(scene.runs) * len(indices) * len(scenes)
    if work > PAGE_WORK:
        raise ValueError(f"a page computes steps × runs × η values × starts = {scene.steps:,} × {len(scene.runs)} × {len(indices)} × "
                         f"{len(scenes)} = {work:,} steps, more than {PAGE_WORK:,}: use fewer steps, runs or starts, or fewer decades")
    runs = [per for sc in scenes for per in compute(sc, indices)]  # start-major: cell s·G + g
    base = indices.index(0)
    session = Session(scene, figsize=FIGSIZE)
    # one set of panel limits for all 41 η squeezed the scene's own curves into a sliver of 60
    # decades: the panels' limits hold one band of η (a decade) each
    image, layout, bands = _backgrounds(session, list(zip(indices * len(scenes), runs)), width_px)
    meta, _ = session.payload()
    names, panels = session.columns()
    T = int(scene.steps)
    stride, kept = page_rows(T, len(runs) * len(scene.runs))
    meta.update(stride=stride, rows=len(kept), version=0)
    meta.pop("lr", None)
    # every stored column but θ is quantised on the scale of the panel that draws it (f: the loss panel's)
    panel_of = {2: "loss"} if "loss" in session.view.axes else {}
    panel_of.update({c["column"]: p["name"] for p in panels for c in p["curves"]})
    blocks = [[run_block(traj, kept, panels, len(names)) for traj in per.values()] for per in runs]
    same = _duplicates(blocks)
    stored = [c for c in range(2, len(names)) if c not in same]

    def scale(c):
        ax = session.view.axes.get(panel_of.get(c))
        return (ax.yaxis.get_transform().transform, ax.get_yscale() == "log") if ax is not None else ((lambda v: v), False)

    qpanels = [panel_of.get(c) for c in stored]
    forward = {c: scale(c) for c in stored}
    session.close()
    cells, streams = encode(blocks, forward)
    for per, cell_row in zip(runs, cells):
        for traj, cell in zip(per.values(), cell_row):
            cell["diverged_at"] = int(traj.diverged_at[0])
    size = len(kept) * len(names)
    for r, (run, spec) in enumerate(zip(meta["runs"], scene.runs)):
        run["offset"] = r * size
        run["eta"] = peak_lr(spec.lr)  # the scene's (peak) η of this run
    return {
        "image": image, "layout": layout, "bands": {str(b): v for b, v in bands.items()}, "band_of": [band_of(i) for i in indices],
        "meta": meta, "scene": scene.to_dict(), "title": scene.title,
        "grid": {"indices": indices, "factors": [controls.factor(i) for i in indices], "base": base,
                 "ref": peak_lr(scene.runs[0].lr), "step": step, "decades": decades, "runs": len(scene.runs),
                 "starts": [list(meta["start"])] + [list(p) for p in points[1:]]},
        "qcolumns": stored, "qpanels": qpanels, "same": {str(j): c for j, c in same.items()}, "cells": cells, "streams": streams,
    }


def _json_script(data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/")  # never closes the <script> it sits in


def page_html(data: dict, *, title: str | None = None, intro_html: str = "", back_html: str = "") -> str:
    """The page: its text around the figure (hidden by ?embed), the figure and its controls."""
    heading = f"<h1>{html.escape(title)}</h1>" if title else ""
    title = title or data["title"] or "lossviz scene"
    g = data["grid"]
    lo, hi = g["ref"] * g["factors"][0], g["ref"] * g["factors"][-1]
    note = (f"Computed in advance by lossviz for every run's η scaled by one factor, from ×{g['factors'][0]:g} to "
            f"×{g['factors'][-1]:g} in {g['step']:g}-decade steps (first run: η = {lo:.3g} … {hi:.3g}); "
            f"a typed η snaps to the nearest computed value. The side panels keep their scales over each band of "
            f"{BAND_DECADES:g} decade of η around the scene's, so curves compare within a band. Space plays and pauses, ← → step.")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{html.escape(title)}</title>
<style>{_static_file("page.css")}</style>
</head><body>
<main class="lv-page">
<header class="lv-text">{back_html}{heading}{intro_html}</header>
<div class="lv-figure"></div>
<footer class="lv-text lv-note">{html.escape(note)}</footer>
<script type="application/json" class="lv-scene-data">{_json_script(data)}</script>
</main>
<script type="module">
{module()}
</script>
</body></html>
"""


def save_html(scene: Scene, path, *, vary: Sequence[str] = ("lr",), decades: float = GRID_DECADES, step: float = GRID_STEP,
              starts: Sequence[tuple[float, float]] | None = None, width_px: int = IMAGE_WIDTH, title: str | None = None,
              intro_html: str = "") -> Path:
    """Write `scene` as one self-contained HTML page (no external request of any kind).

    vary: what its controls change — "lr": every run's η scaled by one factor over a grid
    `decades` either side of the scene at `step`-decade steps; ("lr", "start") also the start
    among `starts` (default: the scene's start and its mirror images across the window; the
    first is the scene as it is, the others start every run there; the page grows by the same
    factor). width_px: pixels of the static image. The file is written atomically. Returns
    its path."""
    from lossviz.export import atomic_path, check_output

    target = check_output(path, (".html", ".htm"))
    data = scene_data(scene, vary=vary, decades=decades, step=step, width_px=width_px, starts=starts)
    text = page_html(data, title=title, intro_html=intro_html)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target
