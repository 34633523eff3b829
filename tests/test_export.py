"""GIF / MP4 / PNG export: frames, timing, size, atomic writes, validation (Agg, headless)."""

from __future__ import annotations

import os
import stat
import sys
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image, ImageSequence  # noqa: E402

from lossviz import export, style  # noqa: E402
from lossviz.export import frame_indices, save_gif, save_mp4, save_png  # noqa: E402
from lossviz.scenes import RunSpec, Scene  # noqa: E402
from lossviz.view import SceneView  # noqa: E402


@pytest.fixture(scope="module")
def scene():
    return Scene(
        surface="rosenbrock",
        runs=[RunSpec("gd", 1e-3), RunSpec("adam", 5e-2), RunSpec("gd", 1e-2, label="gd too big")],  # the last diverges
        steps=60,
        frames=24,
        fps=20,
    )


def frames_of(path):
    with Image.open(path) as im:
        return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]


# ------------------------------------------------------------------------------- frames


def test_frame_indices_all_steps_when_they_fit():
    np.testing.assert_array_equal(frame_indices(9, 10), np.arange(10))
    np.testing.assert_array_equal(frame_indices(0, 2), [0])


def test_frame_indices_linear_for_medium_runs():
    idx = frame_indices(300, 120)
    assert len(idx) == 120 and idx[0] == 0 and idx[-1] == 300
    assert np.all(np.diff(idx) >= 2) and np.ptp(np.diff(idx)) <= 1
    idx = frame_indices(10_000, 60)  # a 10,000-step lecture scene: its panels fill evenly
    assert np.ptp(np.diff(idx)) <= 1


@pytest.mark.parametrize("steps, frames", [(100_000, 200), (60_000, 120), (10**6, 2), (5000, 7)])
def test_frame_indices_log_spaced_for_long_runs(steps, frames):
    idx = frame_indices(steps, frames)
    assert len(idx) == frames and idx[0] == 0 and idx[-1] == steps
    assert np.all(np.diff(idx) >= 1)  # unique, increasing
    if frames > 10:
        gaps = np.diff(idx)
        assert gaps[0] == 1 and gaps[-1] > 20 * gaps[0]  # dense at the start, sparse at the end


def test_frame_indices_give_a_burst_every_step_and_keep_the_cursor_steady():
    steps, frames = 450, 150  # §7's burst scene: 3 steps a frame when evenly spaced
    motion = np.full(steps, 1e-3)
    motion[162:172] = 0.1  # steps 163 … 172 move the paths far
    idx = frame_indices(steps, frames, motion)
    assert len(idx) == frames and idx[0] == 0 and idx[-1] == steps and np.all(np.diff(idx) >= 1)
    assert set(range(163, 173)) <= set(idx)  # a frame at every step of the burst
    assert set(range(163, 173)) & set(frame_indices(steps, frames)) == {163, 166, 169, 172}  # evenly: 4 of 10
    assert np.diff(idx).max() <= 2 * steps / (frames - 1) + 1  # never more than twice the even gap
    # no motion at all (a run resting on its minimum): evenly spaced
    np.testing.assert_array_equal(frame_indices(steps, frames, np.zeros(steps)), frame_indices(steps, frames))
    with pytest.raises(ValueError, match=r"motion must hold one distance per step \(steps = 450\)"):
        frame_indices(steps, frames, np.ones(10))


def test_path_motion_measures_steps_on_the_window():
    theta = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 2.0], [1e20, 2.0], [np.nan, np.nan], [np.nan, np.nan]])[:, None, :]
    traj = SimpleNamespace(theta=theta, lr=np.ones((5, 1)))
    motion = export.path_motion({"a": traj}, ((0.0, 2.0), (0.0, 4.0)))
    # x / 2, y / 4, half the way from two steps before: (0.5), (0.5, 0.5) / 2, (1, 0.5) − (0.5, 0) halved, …, nothing
    np.testing.assert_allclose(motion, [0.5, np.hypot(0.5, 0.5) / 2, np.hypot(0.5, 0.5) / 2, 0.0, 0.0])
    zigzag = np.array([[0.0, 0.0], [0.0, 1.0]] * 5)[:, None, :]  # back where it was every other step
    still = export.path_motion({"z": SimpleNamespace(theta=zigzag, lr=np.ones((9, 1)))}, ((-1.0, 1.0), (-1.0, 1.0)))
    np.testing.assert_allclose(still[1:], 0.0)


def test_the_burst_of_lecture_7_gets_a_frame_at_each_of_its_steps():
    from lossviz import SCENES

    scene = SCENES["p07_adagrad_burst"]
    view, _ = export.build_view(scene, dpi=20, panels=())
    motion = export.path_motion(view.trajectories, view.surface.bounds)
    late = motion[100:]  # after the descent (which moves fast too, and gets its frames)
    burst = np.flatnonzero(late > 0.25 * late.max()) + 101  # the steps where the path shoots across
    assert 4 <= len(burst) <= 20 and 150 < burst.min() and burst.max() < 200
    idx = export.animation_frames(view, scene.frames)
    shown = np.isin(burst, idx).mean()
    assert shown >= 0.8 > np.isin(burst, frame_indices(scene.steps, scene.frames)).mean()  # evenly: about 1 in 3


def test_frame_indices_validates():
    with pytest.raises(ValueError, match=r"frames must be an integer in \[2, 2000\]"):
        frame_indices(10, 1)


# ------------------------------------------------------------------------------- GIF


def test_background_holds_no_moving_artist(scene):
    view, _ = export.build_view(scene, dpi=30)
    canvas = view.figure.canvas
    with export.FrameRenderer(view) as renderer:
        canvas.restore_region(renderer.background)
        background = np.array(canvas.buffer_rgba())
    for artist in view.animated:
        artist.set_visible(False)
    canvas.draw()
    np.testing.assert_array_equal(background, np.asarray(canvas.buffer_rgba()))


def test_frame_shows_the_step(scene):
    view, _ = export.build_view(scene, dpi=30, panels=())
    with export.FrameRenderer(view) as renderer:
        first, again, later = (np.asarray(renderer.frame(k)) for k in (0, 0, 40))
    np.testing.assert_array_equal(first, again)  # a frame depends on k only
    assert not np.array_equal(first, later)


def size_at(dpi, figsize=style.FIGSIZE):
    """A figure's pixel size at dpi (as matplotlib rounds it)."""
    return tuple(int(v * dpi) for v in figsize)


def test_gif_frames_duration_size(scene, tmp_path):
    path = tmp_path / "out.gif"
    assert save_gif(scene, path, fps=25, frames=24, dpi=60) == path
    with Image.open(path) as im:
        assert im.n_frames == 24
        assert im.size == size_at(60)
        durations = [f.info["duration"] for f in ImageSequence.Iterator(im)]
        assert im.info.get("loop") == 0
    assert durations == [40] * 23 + [1500]  # 1000 / fps, the last frame held 1.5 s
    assert path.stat().st_size <= 500_000
    frames = frames_of(path)
    assert not np.array_equal(frames[0], frames[-1])
    assert sum(not np.array_equal(a, b) for a, b in zip(frames, frames[1:])) == 23  # every frame moves
    assert [p.name for p in tmp_path.iterdir()] == ["out.gif"]  # no temporary file left


STAR = tuple(int(round(255 * v)) for v in matplotlib.colors.to_rgb(style.MINIMUM_STYLE["color"]))


def pixel_of(view, point):
    """(row, column) of a data point of the contour in the canvas image."""
    x, y = view.axes["surface"].transData.transform(point)
    return int(round(view.figure.canvas.get_width_height()[1] - y)), int(round(x))


@pytest.fixture(scope="module")
def well():
    """Two runs that end on a marker: one stops on the double well's saddle (started on the
    y-axis), one reaches the minimum (1, 0) — their heads sit exactly under the ◇ and the ★."""
    return Scene(surface="double_well", runs=[RunSpec("gd", 0.05, start=(0.0, 1.5), label="to the saddle"),
                                              RunSpec("gd", 0.05, start=(0.4, 1.0), label="to the minimum")],
                 steps=300, frames=8, fps=10)


def test_minima_and_saddles_are_drawn_above_the_heads_in_every_frame(well, tmp_path):
    path = save_gif(well, tmp_path / "well.gif", dpi=40, panels=())
    view, _ = export.build_view(well, dpi=40, panels=())
    star, diamond = pixel_of(view, (1.0, 0.0)), pixel_of(view, (0.0, 0.0))
    frames = frames_of(path)
    for frame in (frames[-1], frames[len(frames) // 2]):
        assert tuple(frame[star]) == STAR  # the ★'s own yellow, not the head's colour
        assert frame[diamond].min() >= 245  # the ◇'s white fill (the head under it is blue)
    view.show(view.steps)  # the still: the same (z-order 8 above the heads' 7)
    view.figure.canvas.draw()
    still = np.asarray(view.figure.canvas.buffer_rgba())[..., :3]
    assert tuple(still[star]) == STAR and still[diamond].min() >= 245


def test_the_palette_keeps_the_marker_and_run_colours_exact(well, tmp_path):
    path = save_gif(well, tmp_path / "well.gif", dpi=40, panels=())
    view, _ = export.build_view(well, dpi=40, panels=())
    with export.FrameRenderer(view) as renderer:
        rgb = np.asarray(renderer.frame(view.steps))
    last = frames_of(path)[-1]
    exact = export.exact_colors(view)
    assert STAR in exact and len(exact) <= 16
    for color in exact:
        drawn = (rgb == color).all(-1).sum()
        assert (last == color).all(-1).sum() >= drawn, color  # every exact pixel stays exact


def test_shared_palette_reserves_the_exact_colours():
    def through(image, palette):
        return np.asarray(image.quantize(palette=palette, dither=Image.Dither.NONE).convert("RGB"))

    # many colours, a small patch of the ★'s yellow, and a large patch of a yellow 1 level off in blue
    # (what a median cut keeps, and what Pillow's 4 × 4 × 4 cells would map the ★ to)
    rgb = np.zeros((300, 400, 3), dtype=np.uint8)
    rgb[..., 0] = np.linspace(0, 255, 400, dtype=np.uint8)[None, :]
    rgb[..., 1] = np.linspace(40, 250, 300, dtype=np.uint8)[:, None]
    rgb[..., 2] = 90
    rgb[100:200, 100:200] = np.subtract(STAR, (0, 0, 1))
    rgb[10:13, 10:13] = STAR
    image = Image.fromarray(rgb)
    assert tuple(through(image, export.shared_palette([image]))[11, 11]) != STAR  # the premise
    palette = export.shared_palette([image], [STAR])
    kept = through(image, palette)
    assert tuple(kept[11, 11]) == STAR
    assert len(palette.getpalette()) <= 3 * 255
    with pytest.raises(ValueError, match="exact: at most 64"):
        export.shared_palette([image], [(i, 0, 0) for i in range(65)])


def test_gif_uses_scene_defaults_and_short_runs_get_every_step(tmp_path):
    short = Scene(runs=[RunSpec("adam", 1e-2)], steps=9, frames=120, fps=10)
    path = save_gif(short, tmp_path / "short.gif", dpi=40, panels=())
    with Image.open(path) as im:
        assert im.n_frames == 10  # steps 0..9
        assert im.info["duration"] == 100
        assert im.size == size_at(40, style.FIGSIZE_NO_PANELS)


def test_gif_from_explorer_like_object(scene, tmp_path):
    trajectories = scene.run()
    view = SceneView(scene.make_surface(), trajectories, colors=scene.colors(), dpi=40)
    explorer = SimpleNamespace(view=view, scene=scene.with_(fps=10, frames=6))
    path = save_gif(explorer, tmp_path / "explorer.gif", dpi=40)
    with Image.open(path) as im:
        assert im.n_frames == 6 and im.info["duration"] == 100
    assert not any(a.get_animated() for a in view.animated)  # the live view is untouched


def test_gif_same_scene_same_bytes(scene, tmp_path):
    a = save_gif(scene, tmp_path / "a.gif", frames=6, dpi=40)
    b = save_gif(scene, tmp_path / "b.gif", frames=6, dpi=40)
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_export_failing_midway_leaves_nothing(scene, tmp_path, monkeypatch, error):
    calls = {"n": 0}
    real = export.FrameRenderer.frame

    def flaky(self, k):
        calls["n"] += 1
        if calls["n"] == 10:
            raise error
        return real(self, k)

    monkeypatch.setattr(export.FrameRenderer, "frame", flaky)
    with pytest.raises(type(error)):
        save_gif(scene, tmp_path / "out.gif", frames=24, dpi=40)
    assert calls["n"] == 10
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_old_file_and_removes_temp(scene, tmp_path, monkeypatch):
    target = tmp_path / "keep.gif"
    target.write_bytes(b"old")

    def broken_save(self, fp, *args, **kwargs):
        with open(fp, "wb") as fh:
            fh.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_gif(scene, target, frames=4, dpi=40)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.gif"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(fps=0), r"fps must be an integer in \[1, 100\]"),
        (dict(fps=101), r"fps must be an integer in \[1, 100\]"),
        (dict(fps=2.5), r"fps must be an integer"),
        (dict(frames=1), r"frames must be an integer in \[2, 2000\]"),
        (dict(frames=2001), r"frames must be an integer in \[2, 2000\]"),
        (dict(dpi=10), r"dpi must be a finite number in \[20, 600\]"),
        (dict(dpi=601), r"dpi must be a finite number in \[20, 600\]"),
        (dict(figsize=(0, 3)), r"figsize width"),
        (dict(panels=("nope",)), r"unknown panel 'nope'"),
    ],
)
def test_gif_validation(scene, tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        save_gif(scene, tmp_path / "x.gif", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_and_wrong_suffix(scene, tmp_path):
    missing = tmp_path / "no" / "such" / "out.gif"
    with pytest.raises(ValueError, match="output folder .*no/such.* does not exist"):
        save_gif(scene, missing)
    with pytest.raises(ValueError, match=r"must end in \.gif"):
        save_gif(scene, tmp_path / "out.png")
    with pytest.raises(ValueError, match="expected a Scene, an Explorer or a SceneView"):
        save_gif(object(), tmp_path / "out.gif")


# ------------------------------------------------------------------------------- MP4 / PNG


def test_mp4_without_ffmpeg_is_a_clear_error(scene, tmp_path, monkeypatch):
    monkeypatch.setattr(export.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="ffmpeg"):
        save_mp4(scene, tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []


def test_mp4_pipes_raw_frames_to_ffmpeg(scene, tmp_path, monkeypatch):
    # a stand-in ffmpeg that stores what it is sent: checks the frame stream and the rename
    fake = tmp_path / "bin" / "ffmpeg"
    fake.parent.mkdir()
    fake.write_text(f"#!{sys.executable}\nimport sys\nopen(sys.argv[-1], 'wb').write(sys.stdin.buffer.read())\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "out" / "clip.mp4"
    out.parent.mkdir()
    save_mp4(scene, out, frames=5, dpi=30)
    w, h = size_at(30)
    assert out.stat().st_size == 5 * w * h * 3  # 5 RGB frames
    assert [p.name for p in out.parent.iterdir()] == ["clip.mp4"]


@pytest.mark.skipif(export.shutil.which("ffmpeg") is None, reason="needs a real ffmpeg on PATH (CI has none; the stand-in test above covers the pipe)")
def test_mp4_with_real_ffmpeg_has_every_frame(scene, tmp_path):
    import subprocess

    out = save_mp4(scene, tmp_path / "clip.mp4", frames=12, fps=10, dpi=30)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
         "-show_entries", "stream=nb_read_frames,codec_name", "-of", "default=nw=1", str(out)],
        capture_output=True, text=True, check=True,
    ).stdout
    assert "codec_name=h264" in probe and "nb_read_frames=12" in probe
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_png_still(scene, tmp_path):
    path = save_png(scene, tmp_path / "still.png", step=10, dpi=40)
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size == size_at(40)
    last = save_png(scene, tmp_path / "last.png", dpi=40)
    assert last.read_bytes() != path.read_bytes()
    with pytest.raises(ValueError, match="step must be an integer"):
        save_png(scene, tmp_path / "bad.png", step=-1)


def test_png_step_beyond_the_run_is_an_error(scene, tmp_path, monkeypatch):
    # a Scene: checked before it is run
    monkeypatch.setattr(Scene, "run", lambda *a, **k: pytest.fail("the scene was run before its step was checked"))
    with pytest.raises(ValueError, match=r"^step must be an integer in \[0, 60\], got 61$"):
        save_png(scene, tmp_path / "late.png", step=61)
    monkeypatch.undo()
    # an Explorer-like object or a SceneView: against its runs' steps
    view = SceneView(scene.make_surface(), scene.run(), colors=scene.colors(), dpi=40)
    for source in (SimpleNamespace(view=view, scene=scene), view):
        with pytest.raises(ValueError, match=r"^step must be an integer in \[0, 60\], got 1000$"):
            save_png(source, tmp_path / "late.png", step=1000)
    assert list(tmp_path.iterdir()) == []
    assert save_png(scene, tmp_path / "last.png", step=60, dpi=30).exists()  # the last step itself is fine


def test_atomic_write_text(tmp_path):
    export.atomic_write_text(tmp_path / "scene.toml", "steps = 3\n")
    assert (tmp_path / "scene.toml").read_text() == "steps = 3\n"
    with pytest.raises(ValueError, match="does not exist"):
        export.atomic_write_text(tmp_path / "nope" / "scene.toml", "x")
