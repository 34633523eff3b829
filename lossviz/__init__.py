"""lossviz: an interactive 2-D loss-surface visualizer for teaching optimization.

    from lossviz import Explorer
    Explorer(surface="rosenbrock", optimizers=["gd", "adam"], steps=300, lr=1e-3)

The numerical core lives in the sibling packages `surfaces` and `optimizers`; this package
draws, animates and exports. Heavy modules (widgets, matplotlib) load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from lossviz import lecture as _lecture  # registers the named lecture scenes  # noqa: F401
from lossviz.scenes import SCENES, RunSpec, Scene, get_scene, schedule_from_spec

_LAZY = {
    "Explorer": "lossviz.explorer",
    "SceneView": "lossviz.view",
    "save_gif": "lossviz.export",
    "save_mp4": "lossviz.export",
    "save_png": "lossviz.export",
    "frame_indices": "lossviz.export",
    "save_html": "lossviz.page",
    "draw_surface": "lossviz.draw",
    "draw_paths": "lossviz.draw",
    "draw_loss": "lossviz.draw",
    "draw_grad_norm": "lossviz.draw",
    "draw_effective_lr": "lossviz.draw",
    "draw_schedule": "lossviz.draw",
    "plot_lr_sweep": "lossviz.sweeps",
    "plot_heatmap": "lossviz.sweeps",
    "sweep_figure": "lossviz.sweeps",
}

__all__ = ["SCENES", "RunSpec", "Scene", "get_scene", "schedule_from_spec", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lossviz' has no attribute {name!r}")
