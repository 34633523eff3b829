"""The Explorer's two speeds, against a full draw of the same figure, measured in one run.

    .venv/bin/python benchmarks/bench_explorer.py [--repeats 15] [--steps 500] [--dpi 100]

Scene: Rosenbrock, 6 optimizers (gd, momentum, nesterov, adagrad, rmsprop, adam) × 500 steps,
the Explorer's figure (contour + 4 side panels) on an Agg canvas.

What is timed (best of N, candidates interleaved in every repeat so that a busy machine slows
them alike; wall clock and CPU time):
  full draw      `figure.canvas.draw()` — every artist rendered from scratch (the baseline)
  change η       `controls["lr"].value = η'` with a new η each time (never cached): six
                 `optimizers.run` calls, `SceneView.set_trajectories`, `show(k)` and
                 `SceneView.redraw()`: the cached contour image restored, the side panels,
                 legend and moving artists drawn over it (goal ≤ 1.5 × full draw; ≤ 1.1 ×
                 wanted)
  change η, miss the same with the contour cache dropped first (what the first change after
                 a new surface, start, size or set of runs costs: a full draw that re-caches)
  scrub          `controls["frame"].value = i'`: `SceneView.show(k)` and a blit of the moving
                 artists over the cached background (goal ≤ 0.5 × full draw)
  compute only   the six runs alone (for reference)

Two modes are measured. "kernel": what the kernel does for ipympl's canvas (ipympl then
PNG-encodes the changed pixels in both the baseline and the candidates). "inline": the
fallback without ipympl, where every change also encodes the figure as the PNG of an
`ipywidgets.Image`; its baseline is a full draw plus that encoding.
No asserts: it prints the times and ratios.
"""

from __future__ import annotations

import argparse
import itertools

import matplotlib

matplotlib.use("Agg")

from lossviz.explorer import Explorer  # noqa: E402
from _timing import best_of  # noqa: E402  (benchmarks/_timing.py)

OPTIMIZERS = ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]


def measure(steps: int, dpi: int, repeats: int, inline: bool) -> dict:
    ex = Explorer(surface="rosenbrock", optimizers=OPTIMIZERS, steps=steps, lr=1e-3, dpi=dpi, backend="inline")
    assert ex.last_error is None, ex.last_error
    image = ex._image
    if not inline:
        ex._image = None  # no PNG encoding: the kernel's work for ipympl's canvas
    canvas = ex.figure.canvas
    frame = ex.controls["frame"]
    lr = ex.controls["lr"]
    fresh = (1e-3 * (1.0 + 1e-4 * i) for i in itertools.count(1))  # a new η every time
    frames = itertools.cycle([frame.max // 3, 2 * frame.max // 3])
    scene = ex.scene

    def full_draw():
        canvas.draw()
        if inline:
            ex._publish()

    def change_eta():
        lr.value = next(fresh)

    def change_eta_miss():
        ex.view._static = None  # as after set_surface / relayout / a rebuild
        lr.value = next(fresh)

    def scrub():
        frame.value = next(frames)

    def compute_only():
        scene.runs = [type(r)(**{**r.__dict__, "lr": next(fresh)}) for r in scene.runs]
        scene.run(ex.surface)

    wall, cpu, _ = best_of({"full draw": full_draw, "change η": change_eta, "change η, miss": change_eta_miss, "scrub": scrub, "compute only": compute_only}, repeats)
    assert ex.last_error is None, ex.last_error
    ex._image = image
    ex.close()
    return {"wall": wall, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--dpi", type=int, default=100)
    args = parser.parse_args()
    print(f"Explorer: rosenbrock, {len(OPTIMIZERS)} optimizers × {args.steps} steps, dpi {args.dpi}, best of {args.repeats}")
    for mode in ("kernel", "inline"):
        result = measure(args.steps, args.dpi, args.repeats, inline=(mode == "inline"))
        print(f"\n[{mode}]" + ("  (ipympl: kernel-side work)" if mode == "kernel" else "  (no ipympl: + PNG into an Image widget)"))
        for clock in ("wall", "cpu"):
            t = result[clock]
            base = t["full draw"]
            print(
                f"  {clock:4s}  full draw {base * 1e3:7.1f} ms | change η {t['change η'] * 1e3:7.1f} ms "
                f"({t['change η'] / base:.2f}×, goal ≤ 1.5×) | change η, miss {t['change η, miss'] * 1e3:7.1f} ms "
                f"({t['change η, miss'] / base:.2f}×) | scrub {t['scrub'] * 1e3:6.1f} ms "
                f"({t['scrub'] / base:.2f}×, goal ≤ 0.5×) | compute only {t['compute only'] * 1e3:6.1f} ms"
            )


if __name__ == "__main__":
    main()
