"""What a student sees: the Explorer of notebooks/00_explorer.ipynb in JupyterLab, in a real
(headless) Chromium -- ipympl canvas drawn, η slider redraws, a click on the contour moves the
start, Play advances the frames, Export GIF writes a GIF next to the notebook.

Synchronisation is on kernel-written state (the status line ``.lv-status``) and on the canvas
pixels read from the DOM (``canvas.toDataURL``), never on fixed sleeps.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

REPO_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
pytestmark = pytest.mark.browser

NOTEBOOK = "00_explorer.ipynb"
CANVAS = ".lv-canvas canvas"                 # the first <canvas> is the plot (2nd: rubber band)
STATUS = ".lv-status"
LR_HANDLE = ".lv-lr .noUi-handle"
LR_READOUT = ".lv-lr .widget-readout"
FRAME_HANDLE = ".lv-frame .noUi-handle"
FRAME_READOUT = ".lv-frame .widget-readout"
PLAY_BUTTON = ".lv-play button"              # first button: play
EXPORT_NAME = ".lv-export-name input"
EXPORT_BUTTON = "button.lv-export, .lv-export button"
GIF_NAME = "browser_test_export.gif"
ETA_RE = re.compile(r"η\s*=\s*([-+0-9.eE]+)")
START_RE = re.compile(r"start\s*=\s*\(\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*\)")

# Geometry of the contour axes, read from the kernel through the canvas widget that carries the
# `lv-canvas` class (no Explorer internals): the axes holding a ContourSet, and the figure-
# fraction position of a target point inside it. Printed as JSON.
GEOMETRY = r"""
import json as _json
import ipywidgets.widgets.widget as _ww
from matplotlib.contour import ContourSet as _CS
_canv = [w for w in list(_ww._instances.values()) if "lv-canvas" in getattr(w, "_dom_classes", ())]
_fig = _canv[0].figure             # the first Explorer, like the DOM selectors
_ax = [a for a in _fig.axes if any(isinstance(c, _CS) for c in a.collections)][0]
(_x0, _x1), (_y0, _y1) = _ax.get_xlim(), _ax.get_ylim()
_target = (_x0 + {fx} * (_x1 - _x0), _y0 + {fy} * (_y1 - _y0))
_px, _py = _ax.transData.transform(_target)
_bb = _fig.bbox
print(_json.dumps({{"target": _target, "fx": _px / _bb.width, "fy": _py / _bb.height,
                   "data_per_px": [(_x1 - _x0) / _ax.bbox.width, (_y1 - _y0) / _ax.bbox.height],
                   "n_canvases": len(_canv)}}))
del _json, _ww, _CS, _canv, _fig, _ax, _x0, _x1, _y0, _y1, _target, _px, _py, _bb
"""


def parse_start(status: str) -> tuple[float, float]:
    m = START_RE.search(status)
    assert m, f"no 'start=(x, y)' in the status line {status!r}"
    return float(m.group(1)), float(m.group(2))


def test_explorer_in_jupyterlab(lab_page, lab):
    lp, page = lab_page, lab_page.page
    t0 = time.monotonic()
    timings = {}

    def mark(name):
        timings[name] = round(time.monotonic() - t0, 1)
        print(f"[browser-test] {name}: {timings[name]} s")

    # ---- open, run all cells, wait for the widgets and the first ipympl frame
    if not (lab["root"] / NOTEBOOK).is_file():
        pytest.fail(f"{NOTEBOOK} is missing from the served copy of notebooks/ ({lab['root']})")
    lp.open_notebook(NOTEBOOK)
    mark("notebook open, kernel idle")
    lp.run_all_cells()
    lp.wait_rendered(LR_HANDLE)
    lp.wait_rendered(CANVAS)
    lp.wait_text(STATUS, "t.includes('start=(')", timeout=60)
    lp.wait_kernel_idle()
    assert not lp.cell_errors(), f"cells failed: {lp.cell_errors()}"
    page.locator(CANVAS).first.evaluate("e => e.scrollIntoView({block: 'center'})")
    status0, pixels0 = lp.quiesce(CANVAS, STATUS)
    lp.save_image(pixels0, "canvas-0-initial")
    lp.screenshot("rendered")
    assert pixels0.size[0] >= 300 and pixels0.size[1] >= 200, pixels0.size
    mark("explorer rendered")

    # ---- η slider by keyboard: kernel recomputes, status and canvas change
    readout0 = lp.text(LR_READOUT)
    handle = page.locator(LR_HANDLE).first
    handle.focus()
    for _ in range(5):
        handle.press("ArrowLeft")
    readout1 = lp.text(LR_READOUT)
    assert readout1 != readout0, f"η readout did not move ({readout0!r})"
    try:
        lp.wait_text(STATUS, "t !== arg", arg=status0, timeout=20)
    except Exception as exc:
        raise AssertionError(f"η moved {readout0} -> {readout1} but the kernel never rewrote "
                             f"the status line (still {status0!r})") from exc
    status1, pixels1 = lp.quiesce(CANVAS, STATUS)
    lp.save_image(pixels1, "canvas-1-lr")
    lp.screenshot("lr-moved")
    n_lr = lp.changed(pixels0, pixels1)
    print(f"[browser-test] η {readout0} -> {readout1}: {n_lr} px changed; "
          f"status {status0!r} -> {status1!r}")
    assert n_lr > 200, f"η {readout0} -> {readout1} changed only {n_lr} canvas pixels"
    m = ETA_RE.search(status1)
    if m:   # the kernel has caught up with the *final* slider position
        assert abs(float(m.group(1)) / float(readout1) - 1) < 0.06, (readout1, status1)
    mark("η slider checked")

    # ---- click on the contour: the start point moves to the clicked spot
    geo = json.loads(lp.kernel_exec(GEOMETRY.format(fx=0.25, fy=0.75)).strip().splitlines()[-1])
    assert geo["n_canvases"] >= 1
    old_start = parse_start(status1)
    canvas = page.locator(CANVAS).first
    canvas.evaluate("e => e.scrollIntoView({block: 'center'})")
    box = canvas.bounding_box()
    x = box["x"] + geo["fx"] * box["width"]
    y = box["y"] + (1.0 - geo["fy"]) * box["height"]
    page.mouse.click(x, y)
    try:
        lp.wait_text(STATUS, "t !== arg", arg=status1, timeout=20)
    except Exception as exc:
        raise AssertionError(f"click at {geo['target']} did not change the status line "
                             f"({status1!r})") from exc
    status2, pixels2 = lp.quiesce(CANVAS, STATUS)
    lp.save_image(pixels2, "canvas-2-click")
    lp.screenshot("start-clicked")
    new_start = parse_start(status2)
    tx, ty = geo["target"]
    # 4 px of slack plus the status line's rounding
    tol = [4 * d + 0.01 * abs(t) + 1e-3 for d, t in zip(geo["data_per_px"], geo["target"])]
    print(f"[browser-test] clicked {tx:.3f}, {ty:.3f}: start {old_start} -> {new_start}")
    assert abs(new_start[0] - tx) <= tol[0] and abs(new_start[1] - ty) <= tol[1], \
        f"start {new_start} is not where the contour was clicked ({tx:.4g}, {ty:.4g}) ± {tol}"
    assert new_start != old_start
    n_click = lp.changed(pixels1, pixels2)
    assert n_click > 200, f"moving the start changed only {n_click} canvas pixels"
    mark("contour click checked")

    # ---- Play: the frame slider advances, the kernel redraws
    frame_max = round(float(page.locator(FRAME_HANDLE).first.get_attribute("aria-valuemax")))
    frame_min = round(float(page.locator(FRAME_HANDLE).first.get_attribute("aria-valuemin")))
    assert frame_max - frame_min >= 5, (frame_min, frame_max)
    page.locator(PLAY_BUTTON).first.click()
    seen, statuses = [], set()
    mid_pixels, n_play = None, 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        v = int(lp.text(FRAME_READOUT).strip())
        if not seen or seen[-1] != v:
            seen.append(v)
        statuses.add(lp.text(STATUS))
        if len(seen) >= 3 and n_play <= 200:        # the kernel redraws a little behind
            mid_pixels = lp.canvas_pixels(CANVAS)
            n_play = lp.changed(pixels2, mid_pixels)
            if n_play > 200:
                lp.save_image(mid_pixels, "canvas-3-playing")
                lp.screenshot("playing")
        if len(seen) >= 6 and len(statuses) >= 4 and n_play > 200:
            break
        time.sleep(0.05)
    print(f"[browser-test] play: frames seen {seen[:20]}, {len(statuses)} status lines, "
          f"{n_play} px changed mid-animation")
    increases = sum(b > a for a, b in zip(seen, seen[1:]))
    assert increases >= 4, f"Play did not advance the frame slider: readouts {seen}"
    assert len(statuses) >= 4, f"the kernel did not follow the frames: {sorted(statuses)[:5]}"
    assert n_play > 200, f"mid-animation canvas changed only {n_play} px"
    # let the animation run out (or stall) before exporting
    lp.wait_text(FRAME_READOUT, "t.trim() === String(arg)", arg=frame_max, timeout=90)
    status3, pixels3 = lp.quiesce(CANVAS, STATUS)
    mark("play checked")

    # ---- Export GIF next to the notebook
    gif = lab["root"] / GIF_NAME
    assert not gif.exists()
    name_box = page.locator(EXPORT_NAME).first
    name_box.fill(GIF_NAME)
    name_box.press("Enter")
    page.locator(EXPORT_BUTTON).first.click()
    deadline = time.monotonic() + 120
    while not gif.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert gif.exists(), (f"Export GIF wrote no {gif}; served folder has "
                          f"{sorted(p.name for p in lab['root'].iterdir())}; status {lp.text(STATUS)!r}")
    lp.wait_kernel_idle()
    lp.wait_text(STATUS, "t.includes('saved') && t.includes(arg)", arg=GIF_NAME, timeout=30)
    lp.screenshot("exported")
    from PIL import Image
    with Image.open(gif) as im:
        n_frames, size = im.n_frames, im.size
    expected = frame_max - frame_min + 1
    print(f"[browser-test] GIF {gif.name}: {n_frames} frames {size}, expected {expected}")
    assert n_frames == expected, f"GIF has {n_frames} frames, the frame slider {expected}"
    assert size[0] >= 300 and size[1] >= 200, size
    assert not (REPO_NOTEBOOKS / GIF_NAME).exists(), "the GIF landed in the repository"
    mark("export checked")

    assert not lp.page_errors, f"JavaScript errors in the page: {lp.page_errors}"
    assert not lp.cell_errors(), f"errors in the notebook: {lp.cell_errors()}"
