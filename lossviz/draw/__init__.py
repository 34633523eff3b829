"""Drawing helpers (surface.py, paths.py, panels.py; runs.py is what they share): each takes an Axes and returns the artists it made (matplotlib's
recommended `my_plotter(ax, ...)` signature).

Artists are created once; afterwards only their data moves (`set_data`), so scrubbing through
the steps of a run and re-running with a new η never rebuild the figure:

* `draw_surface(ax, surface)` — filled contour of f on a cached grid (log-spaced levels when
  the surface asks for them), thin contour lines, minima (★) and saddles (✕).
* `draw_paths(ax, trajectories)` — one line and one head per run; a run that diverged
  (overflow, or blew up uphill) gets a red ✕ and "diverged at step k", a run that left the
  window downhill (escaped a saddle, slid off an unbounded surface) a grey ▶ and "left the
  window at step k" (`run_exits` says which, for any front end).
* `draw_loss`, `draw_grad_norm`, `draw_effective_lr` (η/σ per parameter, θ₁ thick, θ₂
  thin), `draw_schedule` (η_t) and the panels of single lecture points (`PANELS`) —
  step-indexed side panels: the curve up to the current step, a cursor at the current step
  (and, when asked for with `future=True`, the rest of the curve drawn faintly).

Each `draw_*` except `draw_surface` returns a small artist group with `.artists` (every
artist it owns), `.animated` (the ones `show(k)` moves), `.show(k)` and
`.set_trajectories(trajectories, colors)`; iterating the group yields its artists.

Trajectories are passed as a dict run label → `optimizers.Trajectory`. A Trajectory with
B > 1 runs contributes B lines, keyed by its own `labels` when it has B of them, else by
"label[b]".
"""

from lossviz.draw.panels import (
    FROM_ZERO,
    PANEL_DRAWERS,
    PANELS,
    TWO_SERIES,
    CurveArtists,
    choose_scale,
    draw_effective_lr,
    draw_grad_norm,
    draw_loss,
    draw_schedule,
    longest_step,
    panel_series,
    value_limits,
)
from lossviz.draw.paths import PathArtists, draw_paths, mark_point, run_exits
from lossviz.draw.runs import Run, envelope, runs_of
from lossviz.draw.surface import Grid, contour_levels, draw_eigendirections, draw_surface, surface_grid, surface_key

__all__ = [
    "FROM_ZERO", "PANEL_DRAWERS", "PANELS", "TWO_SERIES", "CurveArtists", "Grid", "PathArtists", "Run",
    "choose_scale", "contour_levels", "draw_effective_lr", "draw_eigendirections", "draw_grad_norm", "draw_loss",
    "draw_paths", "draw_schedule", "draw_surface", "envelope", "longest_step", "mark_point", "panel_series",
    "run_exits", "runs_of", "surface_grid", "surface_key", "value_limits",
]
