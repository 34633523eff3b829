"""Figures for notebooks: a scene (or a Figure) as a PNG in the notebook's output.

A static figure is drawn on its own Agg canvas, so it is a plain PNG in the notebook even
where widgets do not render (nbviewer, a PDF, an executed copy on GitHub):

    from lossviz.display import static_figure, as_image
    static_figure(SCENES["p07_adagrad_burst"])     # the scene's last step, its own panels
    as_image(SWEEPS["p02_no_lr_fits"].figure())     # any matplotlib Figure
"""

from __future__ import annotations

import io
from typing import Any, Mapping, Sequence

from lossviz import style
from lossviz.scenes import Scene


def png_bytes(figure, dpi: float | None = None) -> bytes:
    """A matplotlib Figure rendered to PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi or figure.dpi)
    return buffer.getvalue()


def as_image(figure, dpi: float | None = None):
    """A matplotlib Figure as an `IPython.display.Image` (a PNG in the notebook's output)."""
    from IPython.display import Image

    return Image(data=png_bytes(figure, dpi), format="png")


def static_figure(
    source: Any,
    runs: Mapping[str, Any] | None = None,
    *,
    step: int | None = None,
    panels: Sequence[str] | None = None,
    figsize=None,
    dpi: float = style.STILL_DPI,
):
    """A still of a Scene (or an Explorer, or a SceneView) as an `IPython.display.Image`.

    The figure is drawn on its own Agg canvas, so it is a plain PNG in the notebook even under
    `%matplotlib widget` — GitHub, nbviewer and a PDF show it. Pass `runs` (the scene's
    `run()` result) to reuse trajectories already computed; `step` picks the step shown
    (default: the last).
    """
    from IPython.display import Image

    from lossviz.export import build_view

    if runs is None:
        view, _ = build_view(source, dpi=dpi, figsize=figsize, panels=panels)
    else:
        if not isinstance(source, Scene):
            raise ValueError(f"runs= goes with a Scene, got {type(source).__name__}")
        view = _scene_view(source, runs, dpi=dpi, figsize=figsize, panels=panels)
    try:
        view.show(view.steps if step is None else step)
        return Image(data=png_bytes(view.figure), format="png")
    finally:
        view.figure.clear()


def _scene_view(scene: Scene, runs: Mapping[str, Any], *, dpi: float, figsize, panels):
    """A SceneView of already computed runs on an Agg figure (as lossviz.export.build_view)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from lossviz.export import DEFAULT_FIGSIZE, DEFAULT_FIGSIZE_NO_PANELS
    from lossviz.view import SceneView, informative_panels

    if panels is None:
        panels = scene.panels
    panels = informative_panels(runs) if panels is None else tuple(panels)
    fig = Figure(figsize=figsize or (DEFAULT_FIGSIZE if panels else DEFAULT_FIGSIZE_NO_PANELS), dpi=dpi)
    FigureCanvasAgg(fig)
    return SceneView(scene.make_surface(), runs, colors=scene.colors(), panels=panels, fig=fig, title=scene.title,
                     line_styles=scene.line_styles())


