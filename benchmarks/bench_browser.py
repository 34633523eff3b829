"""The Explorer in a real browser: JupyterLab + headless Debian Chromium (Playwright).

    .venv/bin/python benchmarks/bench_browser.py [--presses 30] [--scrubs 20]

On notebooks/00_explorer.ipynb and on a temporary notebook with a 6-optimizer × 500-step
scene (`Explorer(surface="rosenbrock", optimizers=[gd, momentum, nesterov, rmsprop, adam,
amsgrad], steps=500, lr=1e-3)`), measures:

* η key press → repaint: ArrowRight/ArrowLeft on the η control (`.lv-lr`), each press waiting
  until the canvas shows the kernel's answer (`dataset.version` changes); latency from the
  keydown to that repaint, measured in the page (performance.now). The kernel-side share is
  the time the kernel spends handling each η message (computation + packing + sending),
  measured by wrapping the canvas's message handler *of this Explorer instance* in the kernel.
* Play: paints per second (`dataset.paints`) over 3 s at fps 15, 20, 30 (fps typed into
  `.lv-fps`), and the ratio to the fps.
* scrub → repaint: a click on the frame slider (`.lv-frame`) at varying positions, from
  pointerdown to the repaint showing the new step.

Goals (issue 8): η p50 ≤ 100 ms and p95 ≤ 200 ms; Play ≥ 90 % of fps up to 30; scrub ≤ 50 ms.
A benchmark, not a test: it prints a table and exits 0 unless something breaks. It reuses the
process handling and page helpers of tests/browser/conftest.py.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))

import conftest as C  # noqa: E402  (tests/browser/conftest.py: processes, LabPage)
from _explorer import (CANVAS, FIND, LR, kernel_json, play_rate, press_lr, scrub_click_ms,  # noqa: E402
                       set_fps, settle, wait_explorer_ready)

BIG_NOTEBOOK = "bench_6x500.ipynb"
BIG_CODE = ('from lossviz import Explorer\n\n'
            'Explorer(surface="rosenbrock", optimizers=["gd", "momentum", "nesterov", "rmsprop", "adam", "amsgrad"], '
            'steps=500, lr=1e-3)')

# wraps this Explorer's canvas message handler: kernel time per η message (ms)
INSTRUMENT = FIND + r"""
import time as _lv_time
_lv_ex = _lv_explorer()
_LV_KTIMES = []
_lv_h0 = _lv_ex.canvas._handler
def _lv_timed(content, _h=_lv_h0):
    _t = _lv_time.perf_counter()
    _h(content)
    if content.get("type") == "lr":
        _LV_KTIMES.append((_lv_time.perf_counter() - _t) * 1000)
_lv_ex.canvas._handler = _lv_timed
"""
KTIMES = "print(_lv_json.dumps(_LV_KTIMES)); _LV_KTIMES.clear()"


def pct(values, q):
    v = sorted(values)
    if not v:
        return float("nan")
    i = (len(v) - 1) * q
    lo, hi = int(i), min(int(i) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (i - lo)


def start_lab(root: Path, tmp: Path):
    """JupyterLab serving `root`, by the browser tests' own start-up (tests/browser/conftest.py)."""
    log = open(tmp / "jupyterlab.log", "w")
    proc, url, token = C.start_lab(root, tmp, log)
    return proc, log, {"url": url, "token": token, "pid": proc.pid, "root": root, "log": tmp / "jupyterlab.log"}


def measure(lp, name: str, presses: int, scrubs: int) -> dict:
    t0 = time.monotonic()
    lp.open_in_app(name)
    lp.run_all_and_wait()
    wait_explorer_ready(lp)
    settle(lp)
    print(f"  {name}: open + Run All + first paint {time.monotonic() - t0:.1f} s", flush=True)
    lp.kernel_exec(INSTRUMENT)
    out = {"name": name}
    # ---- η key presses: up, then down (stays in range), each waiting for the repaint
    lat = []
    lp.page.locator(LR).first.scroll_into_view_if_needed()
    lo, hi = lp.page.evaluate(f"() => {{ const l = document.querySelector('{LR}'); return [Number(l.min), Number(l.max)]; }}")
    half = presses // 2
    keys = ["ArrowRight"] * half + ["ArrowLeft"] * (presses - half)
    if hi < half:
        keys = ["ArrowLeft"] * half + ["ArrowRight"] * (presses - half)
    moved = None
    for i, key in enumerate(keys):
        lat.append(press_lr(lp, key))
        if i == half - 1:       # after the first half: did the control (and the kernel) move half notches?
            settle(lp)
            moved = kernel_json(lp, FIND + "print(_lv_json.dumps(_lv_explorer().session.lr_index))")
    settle(lp)
    out["moved"] = {"expected": half if keys[0] == "ArrowRight" else -half, "kernel_index": moved}
    ktimes = json.loads(lp.kernel_exec(KTIMES).strip().splitlines()[-1])
    out["eta"] = lat
    out["kernel"] = ktimes
    # ---- Play at fps 15, 20, 30
    out["play"] = {}
    for fps in (15, 20, 30):
        set_fps(lp, fps)
        frames = kernel_json(lp, FIND + "print(_lv_json.dumps(_lv_explorer().scene.frames))")
        window = min(3.0, (frames - 1) / fps - 0.6)
        out["play"][fps] = play_rate(lp, fps, window)
    # ---- scrub: clicks on the frame slider
    sl = []
    for i in range(scrubs):
        try:
            sl.append(scrub_click_ms(lp, 0.1 + 0.8 * ((i * 0.382) % 1.0), timeout_ms=5000))
        except Exception:  # noqa: BLE001 - the same step again: no repaint to time
            pass
        time.sleep(0.05)
    out["scrub"] = sl
    return out


def report(results: list[dict]) -> None:
    print("\n=== Explorer in JupyterLab + headless Chromium (2 cores) ===")
    print(f"{'scene':<22} {'measure':<34} {'n':>3} {'p50':>8} {'p95':>8} {'max':>8}   goal")
    for r in results:
        name = r["name"].replace(".ipynb", "")
        rows = [("η key → repaint (ms)", r["eta"], "p50 ≤ 100, p95 ≤ 200"),
                ("  kernel share: η message (ms)", r["kernel"], "≤ 25 (6×500)"),
                ("scrub click → repaint (ms)", r["scrub"], "≤ 50")]
        for label, v, goal in rows:
            print(f"{name:<22} {label:<34} {len(v):>3} {pct(v, .5):>8.1f} {pct(v, .95):>8.1f} "
                  f"{max(v) if v else float('nan'):>8.1f}   {goal}")
        m = r.get("moved") or {}
        print(f"{name:<22} {'  η presses / kernel η messages':<34} {len(r['eta']):>3} {len(r['kernel']):>8}"
              f"   index after {abs(m.get('expected', 0))} presses one way: {m.get('kernel_index')} "
              f"(expected {m.get('expected')}){'' if m.get('kernel_index') == m.get('expected') else '  <-- η did not stay'}")
        if r["eta"] and r["kernel"]:
            print(f"{name:<22} {'  kernel share of η latency (p50)':<34} {'':>3} "
                  f"{pct(r['kernel'], .5) / pct(r['eta'], .5):>8.0%}")
        for fps, p in r["play"].items():
            print(f"{name:<22} {f'Play at fps {fps}: paints/s':<34} {'':>3} {p['rate']:>8.1f} "
                  f"{'':>8} {p['ratio']:>8.0%}   ≥ 90 % of fps  ({p['paints']} paints in {p['seconds']:.2f} s)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--presses", type=int, default=30)
    ap.add_argument("--scrubs", type=int, default=20)
    ap.add_argument("--json", help="also write the raw numbers here")
    args = ap.parse_args(argv)
    if not os.access(C.CHROMIUM, os.X_OK):
        print(f"needs Chromium at {C.CHROMIUM}", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="lossviz-bench-browser-"))
    root = tmp / "notebooks"
    root.mkdir()
    shutil.copy(REPO / "notebooks" / "00_explorer.ipynb", root)
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook
    nb = new_notebook(cells=[new_code_cell(BIG_CODE)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / BIG_NOTEBOOK)
    old = C._interrupt_on_sigterm()
    proc = log = None
    pw = browser = None
    results = []
    try:
        proc, log, lab = start_lab(root, tmp / "jupyter")
        from playwright.sync_api import sync_playwright
        pw = sync_playwright().start()
        browser = pw.chromium.launch(executable_path=C.CHROMIUM, headless=True, args=C.CHROMIUM_ARGS, timeout=60_000)
        ctx = browser.new_context(viewport=C.VIEWPORT, device_scale_factor=1)
        ctx.set_default_timeout(30_000)
        lp = C.LabPage(ctx.new_page(), lab, tmp, "bench")
        lp.open_lab()
        print(f"JupyterLab {lab['url']}, Chromium {browser.version}, viewport {C.VIEWPORT}", flush=True)
        for name in ("00_explorer.ipynb", BIG_NOTEBOOK):
            results.append(measure(lp, name, args.presses, args.scrubs))
        lp.close_notebook()
        if lp.page_errors:
            print(f"JS page errors during the benchmark: {lp.page_errors[:2]}")
    finally:
        if browser is not None:
            C.stop_pids(C._chromium_pids(), browser.close, timeout=10)
        if pw is not None:
            pw.stop()
        if proc is not None:
            C.stop_process_tree(proc.pid, lambda: proc.poll() is None and proc.send_signal(signal.SIGTERM))
            log.close()
        signal.signal(signal.SIGTERM, old)
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
