"""GIF export: lossviz.save_gif against the usual matplotlib recipe, measured in one run.

Both make the same animation: 120 frames, 6 × 5 in at 100 dpi, Rosenbrock's contour (the
same 200 × 200 grid and log-spaced levels) and 3 growing optimizer paths.

* recipe: a FuncAnimation whose update clears the axes and redraws contourf + the 3 paths
  every frame, saved with PillowWriter (what most tutorials and peers do);
* ours: `save_gif(scene, panels=())` — the scene is run, the background is rendered once,
  each frame draws only the moving artists, all frames share one palette, Pillow encodes.

    .venv/bin/python benchmarks/bench_gif.py [--frames 120] [--full]

--full also times the default export with the four side panels (11 × 6 in).
Prints both times, the ratio (goal ≥ 15×) and the file sizes (goal ≤ 0.5 MB).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.animation import FuncAnimation, PillowWriter  # noqa: E402
from matplotlib.colors import BoundaryNorm  # noqa: E402

from lossviz.draw import surface_grid  # noqa: E402
from lossviz.export import frame_indices, save_gif  # noqa: E402
from lossviz.scenes import RunSpec, Scene  # noqa: E402

SCENE = Scene(
    surface="rosenbrock",
    runs=[RunSpec("gd", 1e-3), RunSpec("momentum", 1e-3, {"momentum": 0.9}), RunSpec("adam", 5e-2)],
    steps=300,
    frames=120,
    fps=20,
)


def recipe(scene: Scene, path: str, frames: int) -> None:
    """The matplotlib recipe: clear and redraw everything each frame, PillowWriter."""
    surface = scene.make_surface()
    trajectories = scene.run(surface)
    colors = scene.colors()
    grid = surface_grid(surface)
    fig, ax = plt.subplots(figsize=(6, 5), dpi=100)
    indices = frame_indices(scene.steps, frames)

    def update(k):
        ax.clear()
        ax.contourf(grid.X, grid.Y, grid.Z, levels=grid.levels, cmap="viridis", norm=BoundaryNorm(grid.levels, 256), alpha=0.55)
        for label, traj in trajectories.items():
            xy = traj.theta[: k + 1, 0]
            ax.plot(xy[:, 0], xy[:, 1], "-", color=colors[label], lw=1.8, label=label)
            ax.plot(xy[-1:, 0], xy[-1:, 1], "o", color=colors[label])
        (x0, x1), (y0, y1) = surface.bounds
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_title(f"step {k}")
        ax.legend(loc="upper right", fontsize=8)
        return []

    anim = FuncAnimation(fig, update, frames=indices, interval=1000 / scene.fps)
    anim.save(path, writer=PillowWriter(fps=scene.fps))
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--full", action="store_true", help="also time the default export with side panels")
    args = parser.parse_args()
    scene = SCENE.with_(frames=args.frames)
    with tempfile.TemporaryDirectory() as tmp:
        ours_path = os.path.join(tmp, "ours.gif")
        recipe_path = os.path.join(tmp, "recipe.gif")
        save_gif(scene, os.path.join(tmp, "warmup.gif"), frames=4, panels=())  # imports, fonts, grid cache

        t0 = time.perf_counter()
        recipe(scene, recipe_path, args.frames)
        t_recipe = time.perf_counter() - t0

        t0 = time.perf_counter()
        save_gif(scene, ours_path, figsize=(6, 5), dpi=100, panels=())
        t_ours = time.perf_counter() - t0

        print(f"GIF, {args.frames} frames, 6x5 in @ 100 dpi, Rosenbrock contour + 3 growing paths")
        print(f"  matplotlib recipe (FuncAnimation, clear + redraw, PillowWriter): {t_recipe:7.2f} s  {os.path.getsize(recipe_path) / 1e6:.3f} MB")
        print(f"  lossviz.save_gif (cached background, shared palette):             {t_ours:7.2f} s  {os.path.getsize(ours_path) / 1e6:.3f} MB")
        print(f"  speed-up: {t_recipe / t_ours:.1f}x   (goal >= 15x; file goal <= 0.5 MB)")

        if args.full:
            full_path = os.path.join(tmp, "full.gif")
            t0 = time.perf_counter()
            save_gif(scene, full_path)
            t_full = time.perf_counter() - t0
            print(f"  default export with the 4 side panels, 11x6 in:                   {t_full:7.2f} s  {os.path.getsize(full_path) / 1e6:.3f} MB")


if __name__ == "__main__":
    main()
