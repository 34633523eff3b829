"""`lossviz gif` of a lecture scene against the FuncAnimation + PillowWriter recipe, both as
whole processes (imports, computing the runs, drawing, encoding), in the same run.

* ours: `lossviz gif --scene SCENE -o ours.gif` — the default export (1280 × 720 px, the
  scene's panels and frames);
* recipe: a fresh Python that imports matplotlib, runs the same scene, and animates the same
  figure the way tutorials do — a FuncAnimation whose update clears every axes and redraws
  the contour, the paths up to step k and each panel's curves up to step k, saved with
  PillowWriter — at the same size, dpi, frames and fps.

    .venv/bin/python benchmarks/bench_gif_process.py [--scene p07_adagrad_burst] [--repeats 3]

Prints the best-of-N wall-clock time of each, the CPU time of the child process (steadier on
a busy machine), the ratios (goal ≥ 10×) and the file sizes (goal ≤ 1 MB).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOSSVIZ = str(Path(sys.executable).with_name("lossviz"))

RECIPE = r'''
import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation, PillowWriter
from lossviz import SCENES, style
from lossviz.draw import panel_series, runs_of, surface_grid
from lossviz.export import frame_indices
from lossviz.view import informative_panels

scene = SCENES[sys.argv[1]]
surface = scene.make_surface()
trajectories = scene.run(surface)
colors = scene.colors()
panels = scene.panels or informative_panels(trajectories)
grid = surface_grid(surface)
fig = plt.figure(figsize=style.FIGSIZE, dpi=style.GIF_DPI)
ax = fig.add_axes((0.08, 0.15, 0.5, 0.72))
pax = [fig.add_axes((0.68, 0.15 + i * 0.72 / len(panels), 0.29, 0.72 / len(panels) - 0.06)) for i in range(len(panels))]
runs = runs_of(trajectories)
series = {p: [panel_series(p, r) for r in runs] for p in panels}
indices = frame_indices(scene.steps, scene.frames)

def update(k):
    ax.clear()
    ax.contourf(grid.X, grid.Y, grid.Z, levels=grid.levels, cmap="Greys", alpha=0.6)
    for r in runs:
        xy = r.traj.theta[: k + 1, r.b]
        ax.plot(xy[:, 0], xy[:, 1], "-", color=colors[r.key], lw=2, label=r.key)
        ax.plot(xy[-1:, 0], xy[-1:, 1], "o", color=colors[r.key])
    (x0, x1), (y0, y1) = surface.bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_title(f"{surface.name}  step {k}", fontsize=13)
    ax.legend(loc="upper right", fontsize=11)
    for a, p in zip(pax, panels):
        a.clear()
        for r, ys in zip(runs, series[p]):
            for y in ys:
                a.plot(np.arange(min(k + 1, len(y))), y[: k + 1], color=colors[r.key])
        a.set_xlim(0, scene.steps)
        a.set_title(style.PANEL_TITLES[p], fontsize=13)
    return []

anim = FuncAnimation(fig, update, frames=indices, interval=1000 / scene.fps)
anim.save(sys.argv[2], writer=PillowWriter(fps=scene.fps))
'''


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=REPO)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scene", default="p07_adagrad_burst")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ours_path, recipe_path, script = (os.path.join(tmp, n) for n in ("ours.gif", "recipe.gif", "recipe.py"))
        Path(script).write_text(RECIPE)
        best = {"ours": (1e9, 1e9), "recipe": (1e9, 1e9)}
        for _ in range(args.repeats):  # interleaved, so that a busy moment hits both alike
            for name, cmd in (("ours", [LOSSVIZ, "gif", "--scene", args.scene, "-o", ours_path]),
                              ("recipe", [sys.executable, script, args.scene, recipe_path])):
                wall, cpu = timed(cmd)
                best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
        (ow, oc), (rw, rc) = best["ours"], best["recipe"]
        print(f"scene {args.scene}, best of {args.repeats}, whole processes")
        print(f"  lossviz gif        {ow:6.2f} s wall  {oc:6.2f} s CPU   {os.path.getsize(ours_path) / 1e6:.2f} MB")
        print(f"  FuncAnimation      {rw:6.2f} s wall  {rc:6.2f} s CPU   {os.path.getsize(recipe_path) / 1e6:.2f} MB")
        print(f"  ratio              {rw / ow:6.1f}× wall   {rc / oc:5.1f}× CPU   (goal ≥ 10×)")


if __name__ == "__main__":
    main()
