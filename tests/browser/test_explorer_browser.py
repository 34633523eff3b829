"""What a student sees: every notebook's Explorer in JupyterLab, in a real (headless) Chromium
at 1280 x 800 (file browser folded away).

For 00_explorer, every lecture notebook (01 … 09) and the exercise notebook 10: Run All, then with no input — no cell
error, no JS error, the canvas painted (background loaded, paths drawn where the kernel's θ
says), and the Explorer still shows the notebook's own scene at η × 1. On 00_explorer (and
on lecture notebooks with several runs) the controls are driven as a person would: an η key
press, Play at fps 20 and 30, scrub, a click on the contour, Export GIF; the layout is checked
at 1280 x 800 and at 150 % zoom, and screenshots are saved.

One JupyterLab and one browser page serve the whole module; notebooks are opened one after
another in that page, each with a fresh kernel (the previous one is shut down). Kernel code
run by the tests only *reads* state (tests/browser/_explorer.py); synchronisation is on the
canvas's data attributes (version, paints, step, background), never on fixed sleeps.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from _explorer import (CANVAS, EXPLORER, EXPORT, EXPORT_NAME, FRAME, INSPECT_TOGGLE, LR, LR_READOUT, PLAY, READOUT,
                       SAME_RUNS, SAME_SCENE, SCENE_RE, START_RE, STATE, STATUS, STEP_TABLE, SUMMARY_TABLE, TABLE_AT,
                       blankness, dataset, kernel_json,
                       path_check, play_rate, press_lr, set_fps, settle, wait_dataset_change,
                       scrub_click_ms, wait_explorer_ready)

REPO_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
pytestmark = pytest.mark.browser

EXPLORER_NB = "00_explorer.ipynb"
LECTURE_NBS = sorted(p.name for p in REPO_NOTEBOOKS.glob("0[1-9]_*.ipynb"))
EXERCISE_NBS = sorted(p.name for p in REPO_NOTEBOOKS.glob("1[0-9]_*.ipynb"))  # 10: the student's own Adam races
SCREENSHOT_NBS = {EXPLORER_NB, "05_adam.ipynb", "06_burst_and_schedules.ipynb"}  # 1280x800 and 150 %
ETA_NBS = {"05_adam.ipynb", "06_burst_and_schedules.ipynb"}  # several runs: η key press checked
PLAY_NBS = {"06_burst_and_schedules.ipynb"}                  # Play and scrub checked too
GIF_NAME = "browser_test_export.gif"
PLAY_WINDOW = 3.0  # s of paints counted
MIN_FPS_RATIO = 0.9
SCREENSHOTS: list[Path] = []
JS_ERRORS: dict[str, list[str]] = {}  # notebook → JS errors seen while it was open


@pytest.fixture(autouse=True)
def _screenshot_on_failure(request, lab_app):
    yield
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        try:
            print(f"[browser-test] failure screenshot {lab_app.screenshot('FAILED-' + request.node.name[:40])}")
        except Exception as exc:  # noqa: BLE001
            print(f"[browser-test] no failure screenshot: {exc!r}")


def _clock():
    t0 = time.monotonic()
    return lambda: round(time.monotonic() - t0, 1)


def _cell_sources(name: str) -> list[str]:
    nb = json.loads((REPO_NOTEBOOKS / name).read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def reference_expr(name: str) -> str:
    """What the notebook's Explorer cell shows, as kernel code: `_S["scene"]` for a lecture
    notebook (the name is read from the cell source), the `Explorer(...)` call for 00 (the
    cell's last line) and for 10 (`race = Explorer(...)`, then `race`)."""
    for src in _cell_sources(name):
        m = SCENE_RE.search(src)
        if m:
            return f'_S["{m.group(1)}"]'
    for src in _cell_sources(name):
        lines = src.strip().splitlines()
        if lines[-1].startswith("Explorer("):
            return lines[-1]
        shown = [line.split("=", 1)[1].strip() for line in lines[:-1] if line.startswith(f"{lines[-1]} = Explorer(")]
        if shown:
            return shown[-1]
    raise AssertionError(f"{name}: no Explorer cell found")


def no_js_errors(lp):
    """Record the page's JS errors and console errors of the notebook open now; asserted by
    test_no_js_errors at the end, so that one error does not hide the other checks."""
    errors = [*lp.page_errors, *(m for m in lp.console if m.startswith("error:")
                                 and "favicon" not in m and "Failed to load resource" not in m)]
    if errors:
        JS_ERRORS.setdefault(lp.name, [])
        JS_ERRORS[lp.name] += [e for e in errors if e not in JS_ERRORS[lp.name]]
        lp.page_errors.clear()
        lp.console.clear()


def open_and_check(lp, name: str) -> dict:
    """Open `name`, Run All, then with no input check cells, JS, canvas and scene."""
    clock = _clock()
    if not (lp.lab["root"] / name).is_file():
        pytest.fail(f"{name} is missing from the served copy of notebooks/ ({lp.lab['root']})")
    no_js_errors(lp)
    lp.open_in_app(name)
    t_open = clock()
    lp.run_all_and_wait()
    t_run = clock()
    wait_explorer_ready(lp)
    settle(lp)
    assert not lp.model_errors(), lp.model_errors()
    no_js_errors(lp)
    state = kernel_json(lp, STATE)
    assert state["n_explorers"] >= 1 and state["last_error"] is None, state
    assert dataset(lp, "background") == str(state["layout"]["version"]), \
        f"background shown {dataset(lp, 'background')}, kernel's {state['layout']['version']}"
    assert dataset(lp, "version") == str(state["version"]), (dataset(lp, "version"), state["version"])
    pixels = lp.canvas_pixels(CANVAS)
    assert pixels is not None, "the canvas is blank (fully transparent)"
    lp.save_image(pixels, "canvas-initial")
    blank = blankness(pixels)
    assert blank["white"] < 0.9 and blank["colors"] > 200, f"the canvas looks blank: {blank}"
    k = int(dataset(lp, "step"))
    assert k == state["steps"], f"the Explorer opens at step {k}, not at the end ({state['steps']})"
    paths = path_check(lp, pixels, k)
    print(f"[browser-test] {name}: paths found at {paths['found']:.0%} of {paths['points']} points "
          f"(background alone {paths['background']:.0%}) {paths['per_run']}")
    assert paths["points"] >= 10, paths
    assert paths["found"] >= 0.7 and paths["found"] - paths["background"] >= 0.4, \
        f"the runs' paths are not drawn where the kernel's θ lies: {paths}"
    ref = reference_expr(name)
    same = kernel_json(lp, SAME_SCENE.format(ref=ref))
    assert same["lr_index"] == 0, f"η control moved by itself to index {same['lr_index']}"
    assert same["same"] and same["base_same"], \
        f"{name}: the Explorer no longer shows {ref}:\nshown    {same['shown']}\nexpected {same['expected']}"
    print(f"[browser-test] {name}: opened {t_open} s, Run All done {t_run} s, checked {clock()} s; "
          f"{same['runs']} runs, scene {ref} unchanged, status {lp.text(STATUS)!r}")
    return state


def ensure_open(lp, name: str) -> None:
    if getattr(lp, "_lv_open", None) != name:
        lp._lv_open = None
        open_and_check(lp, name)
        lp._lv_open = name


# ------------------------------------------------------------------ the checks

def eta_check(lp, name: str):
    settle(lp)
    status0, pixels0 = lp.text(STATUS), lp.canvas_pixels(CANVAS)
    readout0 = lp.text(LR_READOUT)
    ms = press_lr(lp, "ArrowRight")
    settle(lp)
    index = int(lp.page.locator(LR).first.input_value())
    status1, pixels1 = lp.text(STATUS), lp.canvas_pixels(CANVAS)
    lp.save_image(pixels1, "canvas-eta")
    n = lp.changed(pixels0, pixels1)
    print(f"[browser-test] {name}: η key {readout0!r} -> {lp.text(LR_READOUT)!r} (index {index}) repainted in "
          f"{ms:.0f} ms; {n} px changed; status head {status1.splitlines()[0]!r}")
    assert index == 1, f"one ArrowRight moved the η control to {index}"
    assert status1 != status0, f"the status line did not change: {status0!r}"
    assert "every η ×1.12" in status1, status1
    assert n > 300, f"the η key press changed only {n} canvas pixels"
    runs = kernel_json(lp, SAME_RUNS)
    assert runs["index"] == index, f"kernel η index {runs['index']}, control shows {index}"
    assert runs["scene_same"], "explorer.scene != controls.scaled(base, index)"
    bad = {k: v for k, v in runs["runs"].items() if not v["equal"] or v["diverged"][0] != v["diverged"][1]}
    assert not bad, f"trajectories differ from controls.scaled(base, {index}).run(): {bad}"
    paths = path_check(lp, pixels1, int(dataset(lp, "step")))
    assert paths["found"] >= 0.7 and paths["found"] - paths["background"] >= 0.4, paths
    return ms


def play_check(lp, name: str, rates=(30, 20)):
    out = {}
    for fps in rates:
        set_fps(lp, fps)
        state = kernel_json(lp, STATE)
        assert state["fps"] == fps, f"kernel fps {state['fps']} after typing {fps}"
        window = min(PLAY_WINDOW, (state["frames"] - 1) / fps - 0.6)
        res = play_rate(lp, fps, window)
        out[fps] = res
        print(f"[browser-test] {name}: Play at fps {fps}: {res['rate']:.1f} paints/s "
              f"({res['ratio']:.0%}) over {res['seconds']:.2f} s, steps {res['step0']} -> {res['step1']}")
        assert res["step1"] > res["step0"], f"Play did not advance the step: {res}"
        assert res["ratio"] >= MIN_FPS_RATIO, \
            f"Play at fps {fps} painted {res['rate']:.1f} frames/s ({res['ratio']:.0%} < {MIN_FPS_RATIO:.0%})"
        stopped = int(dataset(lp, "step"))
        assert stopped >= res["step1"], (stopped, res)
        assert lp.text(READOUT).strip() == f"step {stopped} / {state['steps']}", lp.text(READOUT)
        deadline = time.monotonic() + 10
        while kernel_json(lp, STATE)["k"] != stopped:   # explorer.k: where playback stopped
            assert time.monotonic() < deadline, f"the kernel never heard that playback stopped at {stopped}"
            time.sleep(0.2)
    return out


def scrub_check(lp, name: str):
    settle(lp)
    pixels0, step0 = lp.canvas_pixels(CANVAS), dataset(lp, "step")
    ms = scrub_click_ms(lp, 0.35)
    step = int(dataset(lp, "step"))
    pixels1 = lp.canvas_pixels(CANVAS)
    lp.save_image(pixels1, "canvas-scrub")
    n = lp.changed(pixels0, pixels1)
    steps = kernel_json(lp, STATE)["steps"]
    print(f"[browser-test] {name}: scrub to step {step} (from {step0}) repainted in {ms:.0f} ms, {n} px changed")
    assert 0 < step < steps, step
    assert lp.text(READOUT).strip() == f"step {step} / {steps}", lp.text(READOUT)
    assert lp.text(STATUS).startswith(f"step {step} / {steps}"), lp.text(STATUS)
    assert n > 300, f"scrubbing to step {step} changed only {n} pixels"
    paths = path_check(lp, pixels1, step)
    assert paths["found"] >= 0.7 and paths["found"] - paths["background"] >= 0.4, paths
    deadline = time.monotonic() + 10
    while kernel_json(lp, STATE)["k"] != step:
        assert time.monotonic() < deadline, "the kernel never heard the scrubbed step"
        time.sleep(0.2)
    return ms


def click_check(lp, name: str, fx: float = 0.3, fy: float = 0.7):
    settle(lp)
    state = kernel_json(lp, STATE)
    lay = state["layout"]
    assert dataset(lp, "background") == str(lay["version"])
    ax = lay["axes"]["surface"]
    assert ax["xscale"]["name"] == ax["yscale"]["name"] == "linear", ax
    (x0, x1), (y0, y1) = ax["xlim"], ax["ylim"]
    tx, ty = x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)
    bx0, by0, bx1, by1 = ax["box"]
    ix, iy = bx0 + fx * (bx1 - bx0), by1 - fy * (by1 - by0)  # image px, y down
    canvas = lp.page.locator(CANVAS).first
    canvas.scroll_into_view_if_needed()
    cb = canvas.bounding_box()
    cx, cy = cb["x"] + ix * cb["width"] / lay["width"], cb["y"] + iy * cb["height"] / lay["height"]
    hit = lp.page.evaluate("([x, y]) => { const e = document.elementFromPoint(x, y); "
                           "return e ? e.className : null; }", [cx, cy])
    assert hit == "lv-draw", f"({cx:.0f}, {cy:.0f}) is covered by {hit!r}"
    status0, pixels0 = lp.text(STATUS), lp.canvas_pixels(CANVAS)
    v0 = dataset(lp, "version")
    lp.page.mouse.click(cx, cy)
    wait_dataset_change(lp, "version", v0)
    settle(lp)
    status1, pixels1 = lp.text(STATUS), lp.canvas_pixels(CANVAS)
    lp.save_image(pixels1, "canvas-click")
    m = START_RE.search(status1)
    assert m, f"no 'start (x, y)' in the status line {status1!r}"
    sx, sy = float(m.group(1)), float(m.group(2))
    kx, ky = kernel_json(lp, STATE)["start"]
    # 1.5 CSS px of slack, plus the status line's 3 significant digits
    tol_x = 1.5 * (x1 - x0) / ((bx1 - bx0) * cb["width"] / lay["width"])
    tol_y = 1.5 * (y1 - y0) / ((by1 - by0) * cb["height"] / lay["height"])
    print(f"[browser-test] {name}: clicked data ({tx:.4g}, {ty:.4g}); kernel start ({kx:.4g}, {ky:.4g}); "
          f"status {status1.splitlines()[0]!r}; {lp.changed(pixels0, pixels1)} px changed")
    assert abs(kx - tx) <= tol_x and abs(ky - ty) <= tol_y, \
        f"start ({kx}, {ky}) is not the clicked point ({tx:.4g}, {ty:.4g}) ± ({tol_x:.2g}, {tol_y:.2g})"
    assert abs(sx - kx) <= 0.006 * abs(kx) + 1e-9 and abs(sy - ky) <= 0.006 * abs(ky) + 1e-9, (sx, sy, kx, ky)
    assert status1 != status0
    assert lp.changed(pixels0, pixels1) > 300
    paths = path_check(lp, pixels1, int(dataset(lp, "step")))
    assert paths["found"] >= 0.7 and paths["found"] - paths["background"] >= 0.4, paths


def visible_rect(lp) -> dict:
    """The part of the page where the notebook's content is visible (below its toolbar)."""
    return lp.page.evaluate(
        """() => { const w = window.__lvPanel; const s = w.content.node.querySelector('.jp-WindowedPanel-outer')
                   || w.content.node; const r = s.getBoundingClientRect();
                   return {x0: Math.max(r.left, 0), y0: Math.max(r.top, 0),
                           x1: Math.min(r.right, window.innerWidth), y1: Math.min(r.bottom, window.innerHeight)}; }""")


def inside(box, rect, slack=0.5) -> bool:
    return (box["x"] >= rect["x0"] - slack and box["y"] >= rect["y0"] - slack
            and box["x"] + box["width"] <= rect["x1"] + slack and box["y"] + box["height"] <= rect["y1"] + slack)


def layout_check(lp, name: str):
    """1280 x 800: explorer scrolled to its top shows the η control and the whole canvas. 150 %
    zoom (853 x 533 CSS px at devicePixelRatio 1.5): the canvas lies inside its output area,
    at full device resolution. Screenshots of both."""
    stem = Path(name).stem
    lp.page.evaluate("(sel) => document.querySelector(sel).scrollIntoView({block: 'start'})", EXPLORER)
    settle(lp)
    rect = visible_rect(lp)
    lr_box = lp.page.locator(LR).first.bounding_box()
    cv_box = lp.page.locator(CANVAS).first.bounding_box()
    shot = lp.screenshot(f"{stem}-1280x800")
    SCREENSHOTS.append(shot)
    print(f"[browser-test] screenshot {shot}")
    print(f"[browser-test] {name} 1280x800: visible {rect}, η {lr_box}, canvas {cv_box}")
    assert inside(lr_box, rect), f"η control {lr_box} not in view {rect}"
    assert inside(cv_box, rect), f"canvas {cv_box} not entirely in view {rect} with the η control"
    try:
        lp.set_metrics(853, 533, 1.5)
        lp.page.wait_for_function(
            "(sel) => { const c = document.querySelector(sel); const w = parseFloat(c.style.width);"
            " return Math.abs(c.width - Math.round(w * 1.5)) <= 1; }", arg=CANVAS, timeout=15_000)
        settle(lp)
        canvas = lp.page.locator(CANVAS).first
        canvas.evaluate("e => e.scrollIntoView({block: 'center'})")
        settle(lp, quiet=0.4)
        geo = canvas.evaluate(
            """(c) => { const o = c.closest('.jp-OutputArea-output'); const r = c.getBoundingClientRect();
                   const q = o.getBoundingClientRect(); const e = c.closest('.lv-explorer');
                   return {canvas: [r.left, r.top, r.right, r.bottom], output: [q.left, q.top, q.right, q.bottom],
                           px: [c.width, c.height], css: [r.width, r.height], dpr: window.devicePixelRatio,
                           overflow: e.scrollWidth - e.clientWidth, vw: window.innerWidth}; }""")
        pixels = lp.canvas_pixels(CANVAS)
        shot = lp.screenshot(f"{stem}-150pct")
        SCREENSHOTS.append(shot)
        print(f"[browser-test] screenshot {shot}")
        print(f"[browser-test] {name} 150 %: {geo}")
        (c0, c1, c2, c3), (o0, o1, o2, o3) = geo["canvas"], geo["output"]
        assert geo["dpr"] == 1.5
        assert c0 >= o0 - 0.5 and c2 <= o2 + 0.5 and c1 >= o1 - 0.5 and c3 <= o3 + 0.5, \
            f"at 150 % the canvas {geo['canvas']} is cut off by its output area {geo['output']}"
        assert c0 >= -0.5 and c2 <= geo["vw"] + 0.5, f"at 150 % the canvas {geo['canvas']} leaves the window"
        assert geo["overflow"] <= 1, f"at 150 % the Explorer overflows its box by {geo['overflow']} px"
        assert abs(geo["px"][0] - round(geo["css"][0] * 1.5)) <= 1, f"canvas not at device resolution: {geo}"
        assert blankness(pixels)["colors"] > 200
        paths = path_check(lp, pixels, int(dataset(lp, "step")))
        assert paths["found"] >= 0.7 and paths["found"] - paths["background"] >= 0.4, paths
    finally:
        lp.set_metrics(1280, 800, 1.0)
    settle(lp)


def export_check(lp, name: str):
    gif = lp.lab["root"] / GIF_NAME
    assert not gif.exists()
    frames = kernel_json(lp, STATE)["frames"]
    box = lp.page.locator(EXPORT_NAME).first
    box.scroll_into_view_if_needed()
    box.fill(GIF_NAME)
    box.press("Enter")
    lp.page.locator(EXPORT).first.click()
    lp.wait_text(STATUS, "t.includes('saved ' + arg)", arg=GIF_NAME, timeout=120)
    status = lp.text(STATUS)
    assert gif.is_file(), f"Export GIF wrote no {gif}; status {status!r}"
    from PIL import Image
    with Image.open(gif) as im:
        n, size = im.n_frames, im.size
    print(f"[browser-test] {name}: Export GIF -> {gif} ({n} frames, {size}); status {status.splitlines()[-1]!r}")
    assert n == frames, f"the GIF has {n} frames, the scene {frames}"
    assert f"saved {GIF_NAME} ({frames} frames)" in status, status
    assert size[0] >= 300 and size[1] >= 200, size
    assert not (REPO_NOTEBOOKS / GIF_NAME).exists(), "the GIF landed in the repository"


# ------------------------------------------------------------------ 00_explorer

def test_explorer_run_all_no_input(lab_app):
    lab_app._lv_open = None
    ensure_open(lab_app, EXPLORER_NB)


def test_explorer_layout_1280x800_and_150pct(lab_app):
    ensure_open(lab_app, EXPLORER_NB)
    layout_check(lab_app, EXPLORER_NB)


def test_explorer_eta_key_press(lab_app):
    ensure_open(lab_app, EXPLORER_NB)
    eta_check(lab_app, EXPLORER_NB)


def test_explorer_play_at_fps_20_and_30(lab_app):
    ensure_open(lab_app, EXPLORER_NB)
    play_check(lab_app, EXPLORER_NB)


def test_explorer_scrub(lab_app):
    ensure_open(lab_app, EXPLORER_NB)
    scrub_check(lab_app, EXPLORER_NB)


def test_explorer_click_moves_start(lab_app):
    ensure_open(lab_app, EXPLORER_NB)
    click_check(lab_app, EXPLORER_NB)


def test_explorer_export_gif(lab_app):
    ensure_open(lab_app, EXPLORER_NB)
    export_check(lab_app, EXPLORER_NB)
    no_js_errors(lab_app)


def _cells(lp, selector: str) -> list[list[str]]:
    """The text of every body row's cells of a table."""
    return lp.page.evaluate("(sel) => [...document.querySelectorAll(sel + ' tbody tr')].map("
                            "(tr) => [...tr.cells].map((td) => td.textContent))", selector)


def _number(text: str) -> float:
    return float("nan") if text in ("—", "diverged") else float(text.replace("−", "-").replace("∞", "inf"))


def step_table_check(lp, name: str):
    """Open the step table: at a scrubbed step its numbers are the kernel's Trajectory.table(k)
    (to the 4 digits shown), the summary is the session's; Play moves the table's step with the
    canvas's, without the kernel."""
    settle(lp)
    lp.page.locator(INSPECT_TOGGLE).first.click()
    lp.page.wait_for_function("(sel) => { const t = document.querySelector(sel); return t && t.dataset.step !== undefined; }",
                              arg=STEP_TABLE, timeout=30_000)
    settle(lp)
    scrub_click_ms(lp, 0.3)
    step = int(dataset(lp, "step"))
    shown = int(lp.page.locator(STEP_TABLE).first.get_attribute("data-step"))
    assert shown == step, f"the table shows step {shown}, the canvas step {step}"
    want = kernel_json(lp, TABLE_AT.format(k=step))
    rows = _cells(lp, STEP_TABLE)  # per run: [run, θ₁, θ, g, m, σ, η_t/σ, Δθ, η_t, f], then [θ₂, θ, g, m, σ, η_t/σ, Δθ]
    assert [r[0] for r in rows[::2]] == list(want["runs"]) and all(r[0] == "θ₂" for r in rows[1::2]), rows
    checked = 0
    for first, second, (label, (p1, p2)) in zip(rows[::2], rows[1::2], want["runs"].items()):
        shown = [(first[2:8], p1[:6]), (second[1:7], p2[:6]), (first[8:10], p1[6:8])]  # η_t and f: once per run
        for texts, values in shown:
            for text, value in zip(texts, values):
                assert _number(text) == pytest.approx(value, rel=6e-4, abs=1e-30, nan_ok=True), \
                    f"{label}: shows {text}, the kernel's Trajectory.table has {value:.6g} at step {step}"
                checked += 1
    summary = _cells(lp, SUMMARY_TABLE)
    assert [r[0] for r in summary] == [r["run"] for r in want["summary"]]
    for row, s in zip(summary, want["summary"]):
        assert row[2].endswith(f"@ {s['best_step']}") and row[3] == (str(s["tol_step"]) if s["tol_step"] >= 0 else "—"), (row, s)
    lp.page.locator(SUMMARY_TABLE).first.scroll_into_view_if_needed()
    shot = lp.screenshot(f"{Path(name).stem}-step-table")
    lp.page.locator(EXPLORER).first.screenshot(path=str(shot.with_name(shot.stem + "-whole.png")))
    print(f"[browser-test] {name}: step table at step {step}: {checked} numbers equal the kernel's; summary {summary}; screenshot {shot}")
    # Play: the table follows the frames in the browser
    before = lp.page.locator(STEP_TABLE).first.get_attribute("data-step")
    lp.page.locator(PLAY).first.click()
    lp.page.wait_for_function("([sel, old]) => document.querySelector(sel).dataset.step !== old", arg=[STEP_TABLE, before], timeout=10_000)
    if lp.page.evaluate("(sel) => document.querySelector(sel).classList.contains('lv-playing')", PLAY):
        lp.page.locator(PLAY).first.click()
    lp.page.wait_for_function("(sel) => !document.querySelector(sel).classList.contains('lv-playing')", arg=PLAY, timeout=60_000)
    after = lp.page.locator(STEP_TABLE).first.get_attribute("data-step")
    assert after != before and after == dataset(lp, "step"), (before, after, dataset(lp, "step"))
    print(f"[browser-test] {name}: Play moved the step table from step {before} to {after}")
    lp.page.locator(INSPECT_TOGGLE).first.click()  # closed again: the tests after this one see the Explorer as it opens
    settle(lp)


def test_explorer_step_table(lab_app):
    ensure_open(lab_app, EXPLORER_NB)
    step_table_check(lab_app, EXPLORER_NB)
    no_js_errors(lab_app)


# ------------------------------------------------------------------ lecture notebooks

def test_lecture_notebooks_found():
    assert len(LECTURE_NBS) == 9, LECTURE_NBS
    for name in LECTURE_NBS:
        assert any(SCENE_RE.search(s) for s in _cell_sources(name)), f"{name} has no Explorer.from_scene cell"
    assert EXERCISE_NBS == ["10_write_your_own.ipynb"], EXERCISE_NBS
    assert reference_expr(EXERCISE_NBS[0]).startswith("Explorer(surface=")


@pytest.mark.parametrize("name", LECTURE_NBS + EXERCISE_NBS)
def test_lecture_notebook(lab_app, name):
    lab_app._lv_open = None
    ensure_open(lab_app, name)
    if name in SCREENSHOT_NBS:
        layout_check(lab_app, name)
    if name in ETA_NBS:
        eta_check(lab_app, name)
    if name in PLAY_NBS:
        play_check(lab_app, name, rates=(30,))  # 4 runs × 10,000 steps: Play draws only each frame's new rows
        scrub_check(lab_app, name)
    if name in EXERCISE_NBS:
        hidden_solution_check(lab_app, name)
    no_js_errors(lab_app)


def hidden_solution_check(lp, name: str):
    """JupyterLab honours the solution cell's `source_hidden`: one input collapsed to a
    placeholder, and no solution code on the page; its output (the checks) is shown."""
    placeholder = lp.page.locator(".jp-InputPlaceholder")
    assert placeholder.count() == 1, f"{placeholder.count()} collapsed inputs in {name}"
    placeholder.first.scroll_into_view_if_needed()
    settle(lp)
    shot = lp.screenshot("hidden-solution")
    text = lp.page.locator(".jp-Notebook").first.inner_text()
    outputs = "\n".join(lp.page.locator(".jp-OutputArea").all_inner_texts())
    print(f"[browser-test] {name}: solution cell collapsed; screenshot {shot}")
    assert "def solution_adam" not in text, "the solution code is visible"
    assert outputs.count("matches step for step") == 3, "the solutions' checks are not shown"


def test_screenshots_listed(lab_app):
    """Print where the layout screenshots are (for people to look at)."""
    for p in SCREENSHOTS:
        print(f"[browser-test] screenshot: {p}")
    expected = {f"{Path(n).stem}-{k}" for n in SCREENSHOT_NBS for k in ("1280x800", "150pct")}
    missing = {e for e in expected if not any(p.name.endswith(e + ".png") and p.is_file() for p in SCREENSHOTS)}
    assert not missing, f"screenshots missing: {sorted(missing)} (have {[p.name for p in SCREENSHOTS]})"


def test_no_js_errors():
    """No JS page error and no console error while any notebook above was open."""
    assert not JS_ERRORS, "JS errors:\n" + "\n".join(
        f"{name}: {err[:600]}" for name, errs in JS_ERRORS.items() for err in errs[:2])
