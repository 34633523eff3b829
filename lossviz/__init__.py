"""lossviz: an interactive 2-D loss-surface visualizer for teaching optimization.

    from lossviz import Explorer
    Explorer(surface="rosenbrock", optimizers=["gd", "adam"], steps=300, lr=1e-3)

The numerical core lives in the sibling packages `surfaces` and `optimizers`; this package
draws, animates and exports. Heavy modules (widgets, matplotlib) load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

# Nothing heavy is imported here, so that `lossviz` (the command) starts listening for Ctrl-C
# within milliseconds; lossviz.scenes registers the lecture's named scenes when it loads.
_LAZY = {
    "SCENES": "lossviz.scenes",
    "RunSpec": "lossviz.scenes",
    "Scene": "lossviz.scenes",
    "get_scene": "lossviz.scenes",
    "check_update": "lossviz.check",
    "CheckResult": "lossviz.check",
    "schedule_from_spec": "lossviz.scenes",
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
    "draw_eigendirections": "lossviz.draw",
    "draw_lr_theory": "lossviz.sweeps",
    "plot_lr_sweep": "lossviz.sweeps",
    "plot_heatmap": "lossviz.sweeps",
    "sweep_figure": "lossviz.sweeps",
}

__all__ = list(_LAZY)

NOTEBOOK_PACKAGES = ("ipywidgets", "jupyterlab", "anywidget")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        try:
            module = importlib.import_module(_LAZY[name])
        except ModuleNotFoundError as error:
            if error.name in NOTEBOOK_PACKAGES:  # `pip install lossviz` is the CLI only
                raise ModuleNotFoundError(
                    f"lossviz.{name} needs the notebook packages ({error.name} is missing): pip install 'lossviz[lab]'",
                    name=error.name,
                ) from None
            raise
        return getattr(module, name)
    raise AttributeError(f"module 'lossviz' has no attribute {name!r}")
