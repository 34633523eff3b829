"""Kernel cost of the Explorer's η control, against one full matplotlib draw of its figure.

    .venv/bin/python benchmarks/bench_explorer.py [--presses 40] [--repeats 5]

A key press on the η control makes the kernel scale every run's η, get the runs (from the
η window's cache, or one batched run when the press leaves it), pack the float32 rows and set
the widget's traits: `Explorer` handling the front end's {"type": "lr"} message, timed here
end to end (no browser attached, so the websocket send itself is not included). The
reference, measured in the same run: one full `canvas.draw()` of the Explorer's figure as
matplotlib draws it (SceneView of the same runs with all four panels, 9.6 × 5.4 in at
100 dpi — the figure the old ipympl Explorer redrew on every η change).

Goals (issue 8): η change → arrays sent ≤ 0.1 × one full draw, and ≤ 25 ms for
6 optimizers × 500 steps.
"""

from __future__ import annotations

import argparse
import statistics
import time

import matplotlib

matplotlib.use("Agg")

from lossviz.explorer import Explorer  # noqa: E402
from lossviz.export import build_view  # noqa: E402
from lossviz.view import DEFAULT_PANELS  # noqa: E402

SCENES = {
    "00_explorer (gd, momentum, adam × 300)": dict(surface="rosenbrock", optimizers=["gd", "momentum", "adam"], steps=300, lr=1e-3),
    "6 optimizers × 500 steps": dict(surface="rosenbrock", optimizers=["gd", "momentum", "nesterov", "rmsprop", "adam", "amsgrad"],
                                     steps=500, lr=1e-3),
}


def full_draw_ms(ex: Explorer, repeats: int) -> float:
    view, _ = build_view(ex.scene, dpi=100, figsize=(9.6, 5.4), panels=DEFAULT_PANELS)
    best = float("inf")
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        view.figure.canvas.draw()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def presses(ex: Explorer, n: int) -> tuple[list[float], list[float]]:
    """Times of n presses right, n back to the scene's η, then n/2 further left (the first
    press left of the scene leaves the cached window: a batched run)."""
    times, misses = [], []
    path = [*range(1, n + 1), *range(n - 1, -1, -1), *range(-1, -n // 2 - 1, -1)]
    runs = ex.session._runs
    for seq, index in enumerate(path, 1):
        before = len(runs)
        t0 = time.perf_counter()
        ex.canvas._received(ex.canvas, {"type": "lr", "index": index, "seq": seq}, [])
        times.append((time.perf_counter() - t0) * 1e3)
        if len(runs) != before:
            misses.append(times[-1])
        assert ex.last_error is None, ex.last_error
    return times, misses


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presses", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"{'scene':42} {'η press p50':>11} {'p95':>7} {'max':>7} {'mean':>7} {'misses (ms each)':>18} {'full draw':>10} {'mean/draw':>9}")
    for name, kw in SCENES.items():
        best = None
        for _ in range(args.repeats):
            ex = Explorer(**kw)
            times, misses = presses(ex, args.presses)
            if best is None or statistics.median(times) < statistics.median(best[0]):
                best = (times, misses)
        draw = full_draw_ms(ex, args.repeats)
        times, misses = best
        q = statistics.quantiles(times, n=20)
        mean = statistics.fmean(times)
        print(f"{name:42} {statistics.median(times):9.2f}ms {q[18]:5.1f}ms {max(times):5.1f}ms {mean:5.2f}ms "
              f"{len(misses):3d}/{len(times)} ({', '.join(f'{m:.0f}' for m in misses)}) {draw:8.1f}ms {mean / draw:8.3f}×")
    print("\n(misses: presses that left the cached η window and ran the optimizers again — one batched run per optimizer)")


if __name__ == "__main__":
    main()
