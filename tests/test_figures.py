"""Every lecture figure judged as a lecturer projecting it would: no two pieces of text on top
of each other, no text cut by the figure's edge, nothing smaller than 11 pt at the export
size, and run colours that stay apart — also for viewers with a colour-vision deficiency.

Stills are judged at their export size (`lossviz.style.STILL_DPI`), and one frame (the middle
one) of every lecture GIF at `style.GIF_DPI`. Colour distances are ΔE in CAM02-UCS
(colorspacious), between every pair of run colours of a scene, for normal vision and for
simulated protanopia, deuteranopia and tritanopia (severity 100).
"""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from lossviz import SCENES, style  # noqa: E402
from lossviz.export import build_view, frame_indices  # noqa: E402
from lossviz.braking import FIGURES  # noqa: E402
from lossviz.lecture import LECTURE_SCENES, SWEEPS  # noqa: E402

colorspacious = pytest.importorskip("colorspacious")

MIN_POINTS = 11.0
MIN_DELTA_E = 15.0
MIN_DELTA_E_CVD = 10.0
DEFICIENCIES = ("protanomaly", "deuteranomaly", "tritanomaly")


def texts(fig) -> list[Text]:
    """Every text the renderer draws (titles, labels, tick labels, legend entries, notes):
    visible and non-empty; of the tick labels only those of ticks inside the view (an axis
    keeps label objects for ticks it does not draw)."""
    fig.canvas.draw()
    tick_labels, drawn = set(), []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in [*axis.majorTicks, *axis.minorTicks]:
                tick_labels.update({id(tick.label1), id(tick.label2)})
            if ax.get_visible() and axis.get_visible():
                for tick in axis._update_ticks():  # matplotlib's own list of the ticks it draws
                    drawn += [t for t in (tick.label1, tick.label2) if t.get_visible()]
    out = [t for t in fig.findobj(Text) if id(t) not in tick_labels and t.get_visible()]
    return [t for t in out + drawn if t.get_text().strip()]


def judge(fig) -> list[str]:
    """What is wrong with a figure's text, as readable complaints (empty: nothing)."""
    renderer = fig.canvas.get_renderer()
    items = texts(fig)
    complaints = []
    W, H = fig.bbox.width, fig.bbox.height
    boxes = []
    for t in items:
        size = t.get_fontsize()
        if size < MIN_POINTS - 1e-9:
            complaints.append(f"{t.get_text()!r} is {size:g} pt")
        box = t.get_window_extent(renderer)
        if box.x0 < -0.5 or box.y0 < -0.5 or box.x1 > W + 0.5 or box.y1 > H + 0.5:
            complaints.append(f"{t.get_text()!r} is cut by the figure's edge ({box.x0:.0f}, {box.y0:.0f}, {box.x1:.0f}, {box.y1:.0f} in {W:.0f} × {H:.0f})")
        boxes.append((t, box.shrunk(0.98, 0.9)))  # glyph boxes include some air: touching is fine
    for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
        if ba.overlaps(bb):
            complaints.append(f"{a.get_text()!r} overlaps {b.get_text()!r}")
    return complaints


def delta_e(a: str, b: str, deficiency: str | None = None) -> float:
    rgb = np.array([to_rgb(a), to_rgb(b)])
    if deficiency is not None:
        cvd = {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}
        rgb = np.clip(colorspacious.cspace_convert(rgb, cvd, "sRGB1"), 0, 1)
    return float(colorspacious.deltaE(rgb[0], rgb[1], input_space="sRGB1", uniform_space="CAM02-UCS"))


# ---------------------------------------------------------------------------------- stills


@pytest.mark.parametrize("name", sorted(LECTURE_SCENES))
def test_lecture_still_is_readable_from_the_back_of_the_hall(name):
    view, _ = build_view(SCENES[name])
    try:
        w, h = view.figure.canvas.get_width_height()
        assert w >= 1600, f"{name}: {w} px wide"
        view.show(view.steps)
        assert judge(view.figure) == []
        drawn = {t.get_text() for t in texts(view.figure)}
        assert len(drawn) >= 15 and SCENES[name].title in drawn  # the judge saw the figure's text
    finally:
        view.figure.clear()


@pytest.mark.parametrize("name", sorted(LECTURE_SCENES))
def test_one_frame_of_every_lecture_gif_is_readable(name):
    scene = SCENES[name]
    view, _ = build_view(scene, dpi=style.GIF_DPI)
    try:
        w, h = view.figure.canvas.get_width_height()
        assert w >= 1280, f"{name}: {w} px wide"
        frames = frame_indices(view.steps, scene.frames)
        view.show(int(frames[len(frames) // 2]))
        assert judge(view.figure) == []
    finally:
        view.figure.clear()


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_the_lecture_figures_of_their_own_are_readable(name):
    """§5's braking view and first-step inset (the notebook's and the gallery's still)."""
    fig = FIGURES[name](SCENES[name])
    assert fig.canvas.get_width_height()[0] >= 1600
    assert judge(fig) == []
    drawn = {t.get_text() for t in texts(fig)}
    assert len(drawn) >= 15 and SCENES[name].title in drawn


@pytest.mark.parametrize("name", sorted(SWEEPS))
def test_sweep_figures_are_readable(name):
    fig = SWEEPS[name].figure()
    assert fig.canvas.get_width_height()[0] >= 1600
    assert judge(fig) == []


# ---------------------------------------------------------------------------------- colours


@pytest.mark.parametrize("name", sorted(LECTURE_SCENES))
def test_run_colours_of_a_scene_stay_apart_for_every_viewer(name):
    colors = list(SCENES[name].colors().values())
    assert all(c.startswith("#") and len(c) == 7 for c in colors)  # plain hex for the browser
    for a, b in itertools.combinations(colors, 2):
        assert delta_e(a, b) >= MIN_DELTA_E, (name, a, b, delta_e(a, b))
        for deficiency in DEFICIENCIES:
            assert delta_e(a, b, deficiency) >= MIN_DELTA_E_CVD, (name, deficiency, a, b, delta_e(a, b, deficiency))


def test_the_judge_catches_small_overlapping_and_cut_text():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3), dpi=100)
    FigureCanvasAgg(fig)
    fig.text(0.1, 0.5, "tiny", fontsize=8)
    fig.text(0.5, 0.5, "one", fontsize=12)
    fig.text(0.52, 0.5, "two", fontsize=12)
    fig.text(0.95, 0.1, "cut off at the edge", fontsize=12)
    found = " | ".join(judge(fig))
    assert "'tiny' is 8 pt" in found and "'one' overlaps 'two'" in found and "cut by the figure's edge" in found


def test_delta_e_is_zero_for_one_colour_and_large_for_black_and_white():
    assert delta_e("#0072b2", "#0072b2") == pytest.approx(0.0, abs=1e-9)
    assert delta_e("#000000", "#ffffff") > 90
