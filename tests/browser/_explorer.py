"""Helpers shared by the browser tests and benchmarks/bench_browser.py: selectors of the
Explorer's DOM contract, kernel-side probes (read-only), and page-side measurements.

The kernel probes only *read* state: the Explorer on display is found in IPython's `Out`
(every notebook shows its Explorer as the last expression of a cell).
"""
from __future__ import annotations

import json
import re
import time

EXPLORER = ".lv-explorer"
CANVAS = ".lv-explorer canvas.lv-draw"
LR = ".lv-explorer input.lv-lr"
LR_READOUT = ".lv-explorer .lv-lr-readout"
STATUS = ".lv-explorer .lv-status"
PLAY = ".lv-explorer button.lv-play"
FRAME = ".lv-explorer input.lv-frame"
READOUT = ".lv-explorer .lv-readout"
FPS = ".lv-explorer input.lv-fps"
EXPORT_NAME = ".lv-explorer .lv-export-name input"
EXPORT = ".lv-explorer button.lv-export"
INSPECT_TOGGLE = ".lv-explorer button.lv-inspect-toggle"
STEP_TABLE = ".lv-explorer table.lv-steps"
SUMMARY_TABLE = ".lv-explorer table.lv-summary"

START_RE = re.compile(r"start \(\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*\)")
SCENE_RE = re.compile(r'Explorer\.from_scene\(\s*SCENES\[\s*"([A-Za-z0-9_]+)"\s*\]\s*\)')

# defines _lv_explorer(): the last Explorer IPython shows in Out
FIND = r"""
import json as _lv_json
def _lv_explorer():
    from lossviz.explorer import Explorer as _E
    _o = [v for v in Out.values() if isinstance(v, _E)]
    if not _o:
        raise LookupError("no Explorer in Out")
    return _o[-1]
def _lv_geometry(_ex):
    # the canvas geometry dict (width, height, axes: box, xlim, ylim ...), whatever its trait name
    _c = _ex.canvas
    for _n in ("layout", *sorted(_c.trait_names())):
        _v = getattr(_c, _n, None)
        if isinstance(_v, dict) and "axes" in _v and "width" in _v:
            return _v
    raise LookupError("no geometry dict (width, height, axes) on the canvas")
"""

STATE = FIND + r"""
_ex = _lv_explorer()
print(_lv_json.dumps({"index": _ex.session.lr_index, "version": _ex.session.version, "k": _ex.k,
    "fps": _ex.scene.fps, "frames": _ex.scene.frames, "steps": _ex.scene.steps,
    "start": [float(v) for v in _ex.session.start()], "labels": list(_ex.trajectories),
    "layout": _lv_geometry(_ex), "last_error": repr(_ex.last_error) if _ex.last_error else None,
    "n_explorers": len([v for v in Out.values() if type(v) is type(_ex)])}))
del _ex
"""

# the scene on display equals a reference scene (a SCENES name or an expression), η at ×1
SAME_SCENE = FIND + r"""
_ex = _lv_explorer()
from lossviz import SCENES as _S
_ref = {ref}
if not isinstance(_ref, type(_ex.scene)):
    _tmp = _ref; _ref = _tmp.scene; _tmp.close()
_a, _b = _ex.scene.to_dict(), _ref.to_dict()
print(_lv_json.dumps({{"same": _a == _b, "base_same": _ex.session.base.to_dict() == _b,
    "lr_index": _ex.session.lr_index, "runs": len(_ex.scene.runs),
    "shown": _a if _a != _b else None, "expected": _b if _a != _b else None}}, default=str))
del _ex, _ref, _a, _b
"""

# the trajectories on display equal a fresh run of controls.scaled(base, index)
SAME_RUNS = FIND + r"""
import numpy as _np
from lossviz import controls as _C
_ex = _lv_explorer()
_idx = _ex.session.lr_index
_want_scene = _C.scaled(_ex.session.base, _idx)
_want = _want_scene.run()
_res = {"index": _idx, "scene_same": _ex.scene.to_dict() == _want_scene.to_dict(), "runs": {}}
for _l, _t in _ex.trajectories.items():
    _r = _want[_l]
    _d = _np.abs(_t.theta - _r.theta)
    _res["runs"][_l] = {"equal": bool(_np.allclose(_t.theta, _r.theta, rtol=1e-9, atol=1e-12, equal_nan=True)),
        "max_diff": float(_np.nanmax(_d)) if _np.isfinite(_d).any() else 0.0,
        "diverged": [int(_t.diverged_at[0]), int(_r.diverged_at[0])],
        "lr0": [float(_t.lr[0, 0]), float(_r.lr[0, 0])]}
print(_lv_json.dumps(_res))
del _ex, _want, _want_scene, _res
"""

# every number of update k of every run (Trajectory.table), and the session's summary
TABLE_AT = FIND + r"""
_ex = _lv_explorer()
_cols = ("theta", "g", "m", "sigma", "lr_over_sigma", "delta_theta", "lr", "f")
print(_lv_json.dumps({{"runs": {{_l: [[_r[_c] for _c in _cols] for _r in _t.table({k})] for _l, _t in _ex.trajectories.items()}},
    "summary": _ex.summary().plain()["rows"]}}))
del _ex, _cols
"""

# points of every run's path in background-image pixels (steps 1 … k, at least 6 px apart), the
# run's colour, and whether the background alone already has that colour there (coincidence)
PATH_POINTS = FIND + r"""
import io as _io, numpy as _np
from matplotlib.colors import to_rgb as _rgb
from PIL import Image as _Im
_ex = _lv_explorer()
_lay = _lv_geometry(_ex)
_ax = _lay["axes"]["surface"]
_bg = _np.asarray(_Im.open(_io.BytesIO(_ex.canvas.background)).convert("RGB"), dtype=float)
def _f(v, sc):
    return _np.log10(v) if sc.get("name") == "log" else v
_x0, _y0, _x1, _y1 = _ax["box"]
_out = []
_colors = _ex.scene.colors()
def _img(xy):
    _px = _x0 + (_f(xy[0], _ax["xscale"]) - _f(_ax["xlim"][0], _ax["xscale"])) / (_f(_ax["xlim"][1], _ax["xscale"]) - _f(_ax["xlim"][0], _ax["xscale"])) * (_x1 - _x0)
    _py = _y1 - (_f(xy[1], _ax["yscale"]) - _f(_ax["ylim"][0], _ax["yscale"])) / (_f(_ax["ylim"][1], _ax["yscale"]) - _f(_ax["ylim"][0], _ax["yscale"])) * (_y1 - _y0)
    return float(_px), float(_py)
_sf = _ex.session.surface
_all = [_np.array(_rgb(_c)) * 255 for _c in _colors.values()]
_marks = [_img(_t.theta[0, 0, :]) for _t in _ex.trajectories.values()]
_marks += [_img(_m) for _m in _np.asarray(_sf.minima, dtype=float).reshape(-1, 2)]
_marks += [_img(_m) for _m in _np.asarray(_sf.saddles, dtype=float).reshape(-1, 2)]
for _l, _t in _ex.trajectories.items():
    _th = _t.theta[1:{k} + 1, 0, :]
    _X = _x0 + (_f(_th[:, 0], _ax["xscale"]) - _f(_ax["xlim"][0], _ax["xscale"])) / (_f(_ax["xlim"][1], _ax["xscale"]) - _f(_ax["xlim"][0], _ax["xscale"])) * (_x1 - _x0)
    _Y = _y1 - (_f(_th[:, 1], _ax["yscale"]) - _f(_ax["ylim"][0], _ax["yscale"])) / (_f(_ax["ylim"][1], _ax["yscale"]) - _f(_ax["ylim"][0], _ax["yscale"])) * (_y1 - _y0)
    _c = _np.array(_rgb(_colors[_l])) * 255
    _pts, _last = [], None
    for _px, _py in zip(_X[:-1], _Y[:-1]):          # not the head: a filled circle is drawn there
        if not (_np.isfinite(_px) and _np.isfinite(_py)):
            continue
        if not (_x0 + 6 < _px < _x1 - 6 and _y0 + 6 < _py < _y1 - 6):
            continue
        if _last is not None and _np.hypot(_px - _last[0], _py - _last[1]) < 6:
            continue
        if any(_np.hypot(_px - _mx, _py - _my) < 12 for _mx, _my in _marks):
            continue                                 # start circles, minima stars, saddle crosses
        _last = (_px, _py)
        _iy, _ix = int(round(_py)), int(round(_px))
        _patch = _bg[max(_iy - 2, 0):_iy + 3, max(_ix - 2, 0):_ix + 3].reshape(-1, 3)
        _coinc = bool(any((_np.linalg.norm(_patch - _cc, axis=1) < 45).any() for _cc in _all))
        _pts.append([float(_px), float(_py), _coinc, [float(v) for v in _bg[min(_iy, _bg.shape[0] - 1), min(_ix, _bg.shape[1] - 1)]]])
    _step = max(1, len(_pts) // 40)
    _alpha = next((r.get("alpha", 1.0) for r in _ex.canvas.meta["runs"] if r["label"] == _l), 1.0)
    _out.append({{"label": _l, "color": [float(v) for v in _c], "alpha": float(_alpha), "points": _pts[::_step][:40]}})
print(_lv_json.dumps({{"width": _lay["width"], "height": _lay["height"], "version": _lay.get("version"), "runs": _out}}))
del _ex, _lay, _ax, _bg, _out
"""


def kernel_json(lp, code: str):
    out = lp.kernel_exec(code).strip().splitlines()
    assert out, f"kernel printed nothing for:\n{code[:400]}"
    return json.loads(out[-1])


def dataset(lp, key: str) -> str | None:
    return lp.page.evaluate("([sel, key]) => { const c = document.querySelector(sel); "
                            "return c ? (c.dataset[key] ?? null) : null; }", [CANVAS, key])


def wait_dataset_change(lp, key: str, old, timeout: float = 30) -> str:
    lp.page.wait_for_function(
        "([sel, key, old]) => { const c = document.querySelector(sel); "
        "return c && c.dataset[key] !== undefined && c.dataset[key] !== old; }",
        arg=[CANVAS, key, old], timeout=timeout * 1000)
    return dataset(lp, key)


def status_text(lp) -> str:
    return lp.text(STATUS)


def wait_explorer_ready(lp, timeout: float = 60):
    """The Explorer's front end is in the page, its background and arrays drawn."""
    lp.page.locator(EXPLORER).first.wait_for(state="attached", timeout=timeout * 1000)
    lp.page.locator(EXPLORER).first.scroll_into_view_if_needed()
    lp.page.wait_for_function(
        "(sel) => { const c = document.querySelector(sel); return c && c.dataset.background !== undefined"
        " && Number(c.dataset.paints) > 0 && c.dataset.version !== undefined && c.width > 0; }",
        arg=CANVAS, timeout=timeout * 1000)


def settle(lp, timeout: float = 30, quiet: float = 0.4):
    """Kernel idle, and the canvas's version, background and size unchanged for `quiet` s."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        cur = (lp.kernel_busy(), lp.page.evaluate(
            "(sel) => { const c = document.querySelector(sel); return c ? [c.dataset.version, "
            "c.dataset.background, c.width, c.height, c.style.width] : null; }", CANVAS))
        now = time.monotonic()
        if cur[0] or cur != last:
            last, since = cur, now
        elif now - since >= quiet:
            return
        time.sleep(0.1)
    raise AssertionError("the Explorer never settled (kernel busy or canvas still changing)")


def path_check(lp, pixels, k: int) -> dict:
    """Do the canvas pixels show the runs' paths where the kernel's θ says they are? For points
    along each path (steps 1 … k) look for a run's colour within 2 CSS px (a run's own, or
    another's drawn over it where paths coincide). Returns the share of points found, and the
    share where the background alone has such a colour (a coincidence the check subtracts)."""
    info = kernel_json(lp, PATH_POINTS.format(k=int(k)))
    sx = pixels.size[0] / info["width"]
    sy = pixels.size[1] / info["height"]
    r = max(2, round(2 * sx))
    px = pixels.load()
    found = coincident = total = 0
    per_run = {}
    colors = [run["color"] for run in info["runs"]]   # paths overlap: a later run may cover one
    for run in info["runs"]:
        hit = 0
        for x, y, coinc, bg in run["points"]:
            cx, cy = round(x * sx), round(y * sy)
            # a see-through path (a long, dense one) shows its colour blended with the contour
            seen = colors + [[r["alpha"] * c + (1 - r["alpha"]) * b for c, b in zip(r["color"], bg)]
                             for r in info["runs"] if r["alpha"] < 1]
            ok = False
            for dy in range(-r, r + 1):
                for dx in range(-r, r + 1):
                    X, Y = cx + dx, cy + dy
                    if 0 <= X < pixels.size[0] and 0 <= Y < pixels.size[1]:
                        p = px[X, Y]
                        if any((p[0] - c[0]) ** 2 + (p[1] - c[1]) ** 2 + (p[2] - c[2]) ** 2 < 45 ** 2
                               for c in seen):
                            ok = True
                            break
                if ok:
                    break
            hit += ok
            coincident += bool(coinc)
        found += hit
        total += len(run["points"])
        per_run[run["label"]] = f"{hit}/{len(run['points'])}"
    return {"found": found / total if total else 0.0, "background": coincident / total if total else 0.0,
            "points": total, "per_run": per_run}


def blankness(pixels) -> dict:
    """Share of near-white pixels and the number of distinct colours of a canvas image."""
    grey = pixels.convert("L")
    hist = grey.histogram()
    n = pixels.size[0] * pixels.size[1]
    colors = pixels.getcolors(maxcolors=1 << 20)
    return {"white": sum(hist[250:]) / n, "colors": len(colors) if colors else 1 << 20}


def press_lr(lp, key: str = "ArrowRight", timeout: float = 30) -> float:
    """One key press on the η control; wait for the kernel's answer (dataset.version changes).
    Returns the latency key press → repaint with the new version, in ms (measured in the page)."""
    lp.page.locator(LR).first.focus()
    lp.page.evaluate(
        """(sel) => { const c = document.querySelector(sel); window.__lvV0 = c.dataset.version;
            window.__lvT0 = null; window.__lvT1 = null;
            const lr = document.querySelector('.lv-explorer input.lv-lr');
            lr.addEventListener('keydown', () => { window.__lvT0 = performance.now(); }, {once: true, capture: true});
            const obs = new MutationObserver(() => {
                if (c.dataset.version !== window.__lvV0 && window.__lvT1 === null) {
                    window.__lvT1 = performance.now(); obs.disconnect(); } });
            obs.observe(c, {attributes: true}); }""", CANVAS)
    lp.page.keyboard.press(key)
    lp.page.wait_for_function("() => window.__lvT1 !== null && window.__lvT0 !== null", timeout=timeout * 1000)
    return lp.page.evaluate("() => window.__lvT1 - window.__lvT0")


def set_fps(lp, fps: int, timeout: float = 30) -> None:
    """Type `fps` into the fps box and press Enter (its change event tells the kernel); wait
    until the kernel's answer is drawn."""
    v0 = dataset(lp, "version")
    box = lp.page.locator(FPS).first
    if box.input_value() == str(fps):     # typing the same value fires no change event
        return
    box.click()
    box.press("Control+a")
    box.type(str(fps))
    box.press("Enter")
    wait_dataset_change(lp, "version", v0, timeout)
    got = lp.page.locator(FPS).first.input_value()
    assert got == str(fps), f"fps box shows {got!r} after the kernel answered, expected {fps}"


def play_rate(lp, fps: int, window: float = 3.0) -> dict:
    """Click Play, count repaints (dataset.paints) over `window` s after a short lead-in.
    Returns paints/s, the ratio to fps and the steps seen; then pauses (click) if still playing."""
    frame = lp.page.locator(FRAME).first     # from the first frame: Home on the frame slider
    frame.focus()
    frame.press("Home")
    lp.page.wait_for_function("(sel) => document.querySelector(sel).dataset.step === '0'", arg=CANVAS,
                              timeout=10_000)
    lp.page.locator(PLAY).first.click()
    res = lp.page.evaluate(
        """async ([sel, window_ms]) => {
            const c = document.querySelector(sel);
            const sleep = (ms) => new Promise(r => setTimeout(r, ms));
            await sleep(250);
            const p0 = Number(c.dataset.paints), s0 = Number(c.dataset.step), t0 = performance.now();
            await sleep(window_ms);
            const p1 = Number(c.dataset.paints), s1 = Number(c.dataset.step), t1 = performance.now();
            return {paints: p1 - p0, seconds: (t1 - t0) / 1000, step0: s0, step1: s1}; }""",
        [CANVAS, int(window * 1000)])
    res["rate"] = res["paints"] / res["seconds"]
    res["ratio"] = res["rate"] / fps
    res["paused"] = lp.page.evaluate("(sel) => document.querySelector(sel).classList.contains('lv-playing')", PLAY)
    if res["paused"]:                     # pause (a click, as a person would) instead of waiting
        lp.page.locator(PLAY).first.click()
    lp.page.wait_for_function("(sel) => !document.querySelector(sel).classList.contains('lv-playing')",
                              arg=PLAY, timeout=60_000)
    return res


def scrub_click_ms(lp, fraction: float, timeout_ms: int = 10_000) -> float:
    """Click the scrub slider at `fraction` of its width and return the milliseconds from the
    pointer going down to the canvas showing another step (a MutationObserver on its data)."""
    frame = lp.page.locator(FRAME).first
    frame.scroll_into_view_if_needed()
    box = frame.bounding_box()
    lp.page.evaluate(
        """(sel) => { const c = document.querySelector(sel); const s0 = c.dataset.step; window.__lvS = null;
            const f = document.querySelector('.lv-explorer input.lv-frame');
            f.addEventListener('pointerdown', () => { window.__lvS = {t0: performance.now(), t1: null}; },
                               {once: true, capture: true});
            const obs = new MutationObserver(() => { if (window.__lvS && c.dataset.step !== s0) {
                window.__lvS.t1 = performance.now(); obs.disconnect(); } });
            obs.observe(c, {attributes: true}); }""", CANVAS)
    lp.page.mouse.click(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2)
    lp.page.wait_for_function("() => window.__lvS && window.__lvS.t1 !== null", timeout=timeout_ms)
    return lp.page.evaluate("() => window.__lvS.t1 - window.__lvS.t0")
