"""SceneView and the draw helpers (Agg, headless)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import optimizers  # noqa: E402
import surfaces  # noqa: E402
from lossviz import style  # noqa: E402
from lossviz.draw import (  # noqa: E402
    PathArtists,
    contour_levels,
    draw_effective_lr,
    draw_grad_norm,
    draw_loss,
    draw_paths,
    draw_schedule,
    draw_surface,
    surface_grid,
)
from lossviz.view import DEFAULT_PANELS, SceneView  # noqa: E402


@pytest.fixture(scope="module")
def rosen():
    return surfaces.SURFACES["rosenbrock"]


@pytest.fixture(scope="module")
def trajs(rosen):
    return {
        "gd": optimizers.run(rosen, "gd", lr=1e-3, steps=60),
        "adam": optimizers.run(rosen, "adam", lr=5e-2, steps=80),
        "gd η=0.01": optimizers.run(rosen, "gd", lr=1e-2, steps=60),  # blows up
    }


@pytest.fixture(scope="module")
def shared(rosen, trajs):
    """One view for the tests that only call show(k) and read (all four panels asked for:
    by default the flat η_t of these constant-η runs would be left out)."""
    return SceneView(rosen, trajs, figsize=(8, 5), dpi=50, panels=DEFAULT_PANELS)


@pytest.fixture
def view(rosen, trajs):
    """A fresh view for the tests that change it."""
    return SceneView(rosen, trajs, figsize=(8, 5), dpi=50)


def test_fixture_has_a_diverging_run(trajs):
    assert trajs["gd η=0.01"].diverged_at[0] > 0
    assert not trajs["gd"].diverged.any() and not trajs["adam"].diverged.any()


@pytest.mark.parametrize("k", [0, 1, 7, 59, 60, 61, 80, 10_000])

def test_show_puts_exactly_theta_0_to_k_in_each_line(shared, trajs, k):
    shared.show(k)
    for label, traj in trajs.items():
        kk = min(k, traj.steps)
        np.testing.assert_array_equal(shared.path_lines[label].get_xydata(), traj.theta[: kk + 1, 0])
    assert shared.k == min(k, shared.steps)


def test_show_negative_clamps_to_start(shared, trajs):
    shared.show(-5)
    np.testing.assert_array_equal(shared.path_lines["gd"].get_xydata(), trajs["gd"].theta[:1, 0])


def test_diverged_run_ends_at_last_finite_point_and_is_marked(shared, trajs):
    traj = trajs["gd η=0.01"]
    d = int(traj.diverged_at[0])
    i = list(trajs).index("gd η=0.01")
    mark, note, head = shared.paths.marks[i], shared.paths.notes[i], shared.paths.heads[i]

    shared.show(d - 1)
    assert not mark.get_visible() and not note.get_visible()

    shared.show(traj.steps)
    xy = shared.path_lines["gd η=0.01"].get_xydata()
    assert np.isnan(xy[d:]).all() and np.isfinite(xy[:d]).all()  # the line just ends
    assert mark.get_visible() and note.get_visible()
    assert note.get_text().startswith(f"diverged at step {d}")
    assert mark.get_color() == style.DIVERGED_COLOR
    # the head sits on the last finite point (inside the window, or the mark moves to its edge)
    np.testing.assert_array_equal(head.get_xydata()[0], traj.theta[d - 1, 0])
    (x0, x1), (y0, y1) = shared.surface.bounds
    shared.figure.canvas.draw()  # marks and notes are placed at draw time, in pixels
    mx, my = mark.get_xydata()[0]
    assert x0 <= mx <= x1 and y0 <= my <= y1


def test_no_mark_for_runs_that_did_not_diverge(shared, trajs):
    shared.show(shared.steps)
    for i, label in enumerate(trajs):
        if not trajs[label].diverged.any():
            assert not shared.paths.marks[i].get_visible()


def test_set_trajectories_moves_data_and_keeps_artists(view, rosen, trajs):
    lines_before = dict(view.path_lines)
    contour_before = view._surface_artists[0]
    new = {
        "gd": optimizers.run(rosen, "gd", lr=2e-3, steps=60),
        "adam": optimizers.run(rosen, "adam", lr=1e-2, steps=80),
        "gd η=0.01": optimizers.run(rosen, "gd", lr=5e-4, steps=60),
    }
    view.set_trajectories(new)
    assert view.path_lines["gd"] is lines_before["gd"]  # same artists, new data
    assert view._surface_artists[0] is contour_before  # the contour is not recomputed
    view.show(30)
    for label, traj in new.items():
        np.testing.assert_array_equal(view.path_lines[label].get_xydata(), traj.theta[:31, 0])
    assert not np.array_equal(view.path_lines["gd"].get_xydata(), trajs["gd"].theta[:31, 0])
    # the former diverging run is not marked any more
    assert not any(m.get_visible() for m in view.paths.marks)


def test_set_trajectories_with_more_runs_rebuilds_and_relabels(view, rosen, trajs):
    more = {**trajs, "momentum": optimizers.run(rosen, "momentum", lr=1e-3, steps=40)}
    view.set_trajectories(more)
    assert set(view.path_lines) == set(more)
    assert [t.get_text() for t in view.legend.get_texts()] == list(more)
    view.show(20)
    np.testing.assert_array_equal(view.path_lines["momentum"].get_xydata(), more["momentum"].theta[:21, 0])
    view.set_trajectories({"adam": trajs["adam"]})
    assert list(view.path_lines) == ["adam"]


def test_view_at_the_end_follows_longer_runs(view, rosen):
    assert view.k == view.steps
    longer = {"adam": optimizers.run(rosen, "adam", lr=5e-2, steps=120)}
    view.set_trajectories(longer)
    assert view.k == 120
    assert len(view.path_lines["adam"].get_xydata()) == 121


def test_batched_trajectory_gives_one_line_per_run(rosen):
    traj = optimizers.run(rosen, "gd", lr=np.array([1e-4, 1e-3]), steps=20)
    v = SceneView(rosen, {"gd": traj}, panels=(), dpi=40)
    assert list(v.path_lines) == ["gd[0]", "gd[1]"]
    v.show(5)
    np.testing.assert_array_equal(v.path_lines["gd[1]"].get_xydata(), traj.theta[:6, 1])


def test_contour_levels_are_log_spaced_for_rosenbrock(rosen, shared):
    assert rosen.contour_scale == "log"
    levels = shared._surface_artists[0].levels
    np.testing.assert_allclose(levels, surface_grid(rosen).levels)
    gaps = np.diff(np.log(levels[1:] - levels[0]))
    np.testing.assert_allclose(gaps, gaps[0], rtol=1e-9)
    assert levels[0] <= np.nanmin(surface_grid(rosen).Z)


def test_contour_levels_linear_when_asked():
    levels = contour_levels(np.linspace(-3, 5, 50), "linear", 8)
    np.testing.assert_allclose(np.diff(levels), 1.0)


def test_grid_is_cached(rosen):
    assert surface_grid(rosen) is surface_grid(rosen)
    same = surfaces.make("rosenbrock")
    assert surface_grid(same) is surface_grid(rosen)


def test_minima_and_saddles_are_marked():
    fig, ax = plt.subplots()
    try:
        surface = surfaces.SURFACES["double_well"]
        artists = draw_surface(ax, surface)
        markers = {a.get_marker() for a in artists if hasattr(a, "get_marker")}
        assert style.MINIMUM_STYLE["marker"] in markers and style.SADDLE_STYLE["marker"] in markers
        assert all(a.get_zorder() > 7 for a in artists if hasattr(a, "get_marker"))  # above every path
        assert ax.get_xlim() == tuple(surface.bounds[0])
    finally:
        plt.close(fig)


def test_side_panels_fixed_limits_despite_divergence(shared, trajs):
    for name in ("loss", "grad_norm", "effective_lr", "lr"):
        lo, hi = shared.axes[name].get_ylim()
        assert np.isfinite([lo, hi]).all() and hi > lo
    loss_ax = shared.axes["loss"]
    assert loss_ax.get_yscale() == "log"
    # the converging runs stay readable: the blow-up is cut a few decades above them
    ok = np.concatenate([trajs["gd"].loss[:, 0], trajs["adam"].loss[:, 0]])
    assert loss_ax.get_ylim()[1] <= ok.max() * 1e7
    assert shared.axes["loss"].get_xlim() == (0, shared.steps)


def test_loss_at_or_below_zero_uses_symlog():
    saddle = surfaces.SURFACES["saddle"]
    traj = optimizers.run(saddle, "gd", lr=0.1, steps=50, start=(1.0, 0.5))
    assert np.nanmin(traj.loss) < 0
    v = SceneView(saddle, {"gd": traj}, panels=("loss",), dpi=40)
    assert v.axes["loss"].get_yscale() == "symlog"
    v.figure.canvas.draw()


def test_effective_lr_has_theta1_thick_and_theta2_thin(shared, trajs):
    curves = shared.curves["effective_lr"]
    assert len(curves.bold) == 2 * len(trajs)
    assert curves.bold[0].get_linewidth() > 1.5 * curves.bold[1].get_linewidth()
    shared.show(10)
    x, y = curves.bold[1].get_data()
    np.testing.assert_array_equal(y, np.where(np.isfinite(e := trajs["gd"].effective_lr[:11, 0, 1]), e, np.nan))
    assert curves.cursor.get_xdata()[0] == 10


def test_greek_labels_and_formula_title(shared, rosen):
    text = " ".join(ax.get_title("left") + " " + ax.get_ylabel() for ax in shared.axes.values())
    for symbol in ("η", "σ", "‖g‖", r"\eta_t", "θ₁", "θ₂"):
        assert symbol in text + shared.axes["surface"].get_xlabel() + shared.axes["surface"].get_ylabel()
    assert rosen.name in shared.axes["surface"].get_title("left") and rosen.formula in shared.axes["surface"].get_title("left")


def test_draw_helpers_return_artists(rosen, trajs):
    fig, axs = plt.subplots(1, 5)
    try:
        assert draw_surface(axs[0], rosen)
        for helper, ax in zip((draw_paths, draw_loss, draw_grad_norm, draw_effective_lr, draw_schedule), axs):
            group = helper(ax, trajs)
            assert len(list(group)) > 0 and set(group.animated) <= set(group.artists)
            assert group.show(5)
        assert isinstance(draw_paths(axs[0], trajs), PathArtists)
    finally:
        plt.close(fig)


def test_figure_is_not_left_in_pyplot(rosen, trajs):
    before = plt.get_fignums()
    v = SceneView(rosen, trajs, dpi=40)
    assert plt.get_fignums() == before
    v.figure.canvas.draw()  # still an Agg canvas that renders


def test_unknown_panel_is_a_value_error(rosen, trajs):
    with pytest.raises(ValueError, match="unknown panel 'nope'.*loss"):
        SceneView(rosen, trajs, panels=("nope",))


def test_set_surface_redraws_contour_only_when_it_changes(view, rosen):
    old = view._surface_artists[0]
    view.set_surface(surfaces.make("rosenbrock"))
    assert view._surface_artists[0] is old
    view.set_surface(surfaces.SURFACES["bowl"])
    assert view._surface_artists[0] is not old
    assert view.axes["surface"].get_xlim() == tuple(surfaces.SURFACES["bowl"].bounds[0])


def test_blit_frame_only_moves_artists(view, trajs):
    canvas = view.figure.canvas
    view.enable_blit()
    view.blit_frame(5)  # first call: full draw, caches the background
    assert view._background is not None
    first = np.array(canvas.buffer_rgba())
    view.blit_frame(50)
    np.testing.assert_array_equal(view.path_lines["gd"].get_xydata(), trajs["gd"].theta[:51, 0])
    assert not np.array_equal(first, np.asarray(canvas.buffer_rgba()))
    view.disable_blit()
    assert not any(a.get_animated() for a in view.animated)


def test_update_and_scrub_are_cheap(rosen):
    import time

    runs = {name: optimizers.run(rosen, name, lr=1e-3, steps=500) for name in ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")}
    v = SceneView(rosen, runs, dpi=50)
    t0 = time.perf_counter()
    for _ in range(5):
        v.set_trajectories(runs)
        v.show(250)
    assert (time.perf_counter() - t0) / 5 < 0.1


def test_extreme_values_draw_without_warnings(rosen):
    from optimizers.schedules import exponential

    tiny = optimizers.run(rosen, "adam", lr=exponential(1e-3, 0.001), steps=100)  # η_t down to 1e-300
    assert tiny.lr.min() < 1e-290
    huge = optimizers.run(rosen, "gd", lr=10.0, steps=50)  # diverges at once
    v = SceneView(rosen, {"tiny": tiny, "huge": huge}, dpi=30)
    v.figure.canvas.draw()  # RuntimeWarnings are errors in this suite
    for name in ("loss", "grad_norm", "effective_lr", "lr"):
        lo, hi = v.axes[name].get_ylim()
        assert 0 < hi < 1e201 and np.isfinite(lo)


# --- panels that carry information, exits, palette (shared with the Explorer) ----------------


def test_informative_panels_drop_flat_eta_over_sigma_and_constant_eta(rosen):
    from lossviz.view import informative_panels

    gd = {"gd": optimizers.run(rosen, "gd", lr=1e-3, steps=20)}
    assert informative_panels(gd) == ("loss", "grad_norm")  # σ ≡ 1 and η constant: nothing to see
    adam = {"adam": optimizers.run(rosen, "adam", lr=1e-2, steps=20)}
    assert informative_panels(adam) == ("loss", "grad_norm", "effective_lr")
    cosine = {"gd": optimizers.run(rosen, "gd", lr=optimizers.schedules.cosine_annealing(1e-3, 20), steps=20)}
    assert informative_panels(cosine) == ("loss", "grad_norm", "lr")
    assert informative_panels(gd, ("grad2", "lr")) == ("grad2",)
    with pytest.raises(ValueError, match="unknown panel 'nope'"):
        informative_panels(gd, ("nope",))


def test_run_exits_tell_an_escape_from_a_divergence(rosen):
    from lossviz.draw import run_exits

    blown = optimizers.run(rosen, "gd", lr=1e-2, steps=60)  # the loss rises until it overflows
    assert blown.diverged[0]
    assert run_exits(blown, rosen.bounds) == [("diverged", int(blown.diverged_at[0]))]
    saddle = surfaces.SURFACES["saddle"]
    away = optimizers.run(saddle, "gd", lr=0.1, steps=60, start=(-1.0, 0.01))  # slides off downhill
    (kind, k), = run_exits(away, saddle.bounds)
    assert kind == "escaped" and abs(away.theta[k, 0, 1]) > saddle.bounds[1][1] >= abs(away.theta[k - 1, 0, 1])
    inside = optimizers.run(rosen, "adam", lr=1e-2, steps=30)
    assert run_exits(inside, rosen.bounds) == [("", -1)]


def test_exit_marks_have_their_own_glyphs():
    saddle = surfaces.SURFACES["saddle"]
    away = optimizers.run(saddle, "gd", lr=0.1, steps=60, start=(-1.0, 0.01))
    v = SceneView(saddle, {"away": away}, panels=(), dpi=40)
    mark, note = v.paths.marks[0], v.paths.notes[0]
    assert mark.get_visible() and mark.get_marker() == style.ESCAPED_MARK["marker"] != style.DIVERGED_MARK["marker"]
    assert note.get_text().startswith("left the window at step")
    markers = {style.MINIMUM_STYLE["marker"], style.SADDLE_STYLE["marker"], style.ESCAPED_MARK["marker"], style.DIVERGED_MARK["marker"]}
    assert len(markers) == 4  # saddle, minimum, escape, divergence: four glyphs


def test_long_paths_are_drawn_through_their_envelope_with_every_bounce():
    from lossviz.draw import envelope

    t = np.arange(10_001)
    y = np.where(t % 2 == 0, 1.0, -1.0) * (1 + t / 10_000)  # a zig-zag that widens
    idx = envelope(y)
    assert len(idx) <= 4 * 600 + 2 and idx[0] == 0 and idx[-1] == 10_000
    # every bucket keeps its highest and lowest point: the drawn band has the full height
    edges = np.linspace(0, len(y), 601).astype(int)
    for lo, hi in zip(edges[:-1], edges[1:]):
        part = idx[(idx >= lo) & (idx < hi)]
        assert y[part].max() == y[lo:hi].max() and y[part].min() == y[lo:hi].min()
    np.testing.assert_array_equal(envelope(y[:100]), np.arange(100))  # short series: every point


def test_colours_are_hex_bounded_and_one_lookup():
    labels = [f"gd run {i}" for i in range(2000)]
    colors = style.colors_for(labels)  # used to loop for ever once the spare hues ran out
    assert len(colors) == 2000 and all(c.startswith("#") and len(c) == 7 for c in colors.values())
    assert len(set(list(colors.values())[:8])) == 8  # the palette first, no repeats
    assert style.optimizer_color("adam") == style.COLORS["adam"]
    assert style.optimizer_dashes("adam") != style.optimizer_dashes("gd") == "solid"


def test_a_run_is_coloured_by_its_optimizer_not_by_its_label():
    """Colours come from the optimizer a Trajectory ran, whatever the label says."""
    surface = surfaces.SURFACES["rosenbrock"]
    runs = {"adam, really GD": optimizers.run(surface, "gd", lr=1e-3, steps=5),
            "my favourite": optimizers.run(surface, "adam", lr=1e-2, steps=5)}
    fig, ax = plt.subplots()
    paths = PathArtists(ax, runs)
    plt.close(fig)
    assert paths.lines["adam, really GD"].get_color() == style.optimizer_color("gd")
    assert paths.lines["my favourite"].get_color() == style.optimizer_color("adam")


def test_a_flat_panel_curve_changes_scale_without_a_warning(tmp_path):
    """Momentum's η/σ is flat: switching its panel to a log scale used to warn about
    identical limits before the real ones were set (seen exporting a quadratic race)."""
    import warnings

    from lossviz import save_gif
    from lossviz.scenes import RunSpec, Scene

    scene = Scene(surface="quadratic", runs=[RunSpec("adam", 0.05), RunSpec("momentum", 0.05)], steps=120, frames=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        save_gif(scene, tmp_path / "q.gif", dpi=40)


def test_markers_are_redrawn_above_a_blitted_background(rosen):
    """The ★ (z-order 8) is among the artists a blitted frame draws, after the heads (7)."""
    traj = optimizers.run(rosen, "adam", lr=5e-2, steps=400)
    view = SceneView(rosen, {"adam": traj}, panels=(), dpi=40)
    assert [a.get_label() for a in view.markers] == ["_minimum", "_saddle"]
    assert set(view.markers) <= set(view.animated)
    order = []
    real = view.figure.draw_artist
    view.figure.draw_artist = lambda a: (order.append(a), real(a))
    view.enable_blit()
    view.blit_frame(10)
    view.blit_frame(20)
    drawn = order[len(order) // 2:]  # the second frame
    (head,) = view.paths.heads
    assert drawn.index(view.markers[0]) > drawn.index(head)
    view.disable_blit()
    assert not any(a.get_animated() for a in view.markers)
    plt.close(view.figure)


def test_log_step_axis_moves_the_cursor_evenly_over_log_spaced_frames():
    from lossviz.export import frame_indices

    bowl = surfaces.SURFACES["bowl"]
    traj = optimizers.run(bowl, "gd", lr=1e-3, steps=60_000)
    view = SceneView(bowl, {"gd": traj}, panels=("loss", "grad_norm"), dpi=40)
    ax = view.axes["loss"]
    frames = frame_indices(60_000, 60)

    def cursor_px():
        out = []
        for k in frames:
            view.show(int(k))
            out.append(ax.transData.transform((view.curves["loss"].cursor.get_xdata()[0], 0))[0])
        return np.diff(out)

    linear = cursor_px()
    assert linear[len(linear) // 2:].sum() > 0.9 * linear.sum()  # on a linear axis: half the frames hardly move it
    view.set_step_scale("log")
    steady = cursor_px()
    # every frame moves it about as far (the first ones a little further: steps 0, 1, 2, … are whole)
    assert steady.min() > 0 and steady[10:].max() < 1.5 * steady[10:].min() and steady.max() < 5 * np.median(steady)
    assert view.axes["grad_norm"].get_xscale() == "function"  # the panels share it
    assert "log" in view.axes["grad_norm"].get_xlabel()
    labels = [t.get_text() for t in view.axes["grad_norm"].get_xticklabels()]
    assert labels[0] == "0" and labels[-1] == "10k"
    view.set_trajectories({"gd": traj})  # new runs keep the log axis and its ticks
    assert ax.get_xscale() == "function" and [t.get_text() for t in view.axes["grad_norm"].get_xticklabels()] == labels
    view.set_step_scale("linear")
    assert ax.get_xscale() == "linear" and view.axes["grad_norm"].get_xlabel() == style.STEP_LABEL
    with pytest.raises(ValueError, match=r"scale must be one of 'linear', 'log', got 'symlog'"):
        view.set_step_scale("symlog")
    plt.close(view.figure)
