"""The gallery docs/lecture/: one PNG per lecture scene and sweep, made by one command
(tools/make_gallery.py), each ≤ 400 KB, the export size, shown in the README's lecture table
— and current: a picture made afresh now has the same pixels as the committed one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]


from helpers import tool  # noqa: E402

gallery = tool("make_gallery")
NAMES = gallery.names()


def test_the_gallery_holds_every_lecture_figure_and_nothing_else():
    present = sorted(p.stem for p in gallery.GALLERY.glob("*.png"))
    assert present == sorted(NAMES)
    from lossviz.lecture import NOTEBOOKS

    for nb in NOTEBOOKS:
        for name in (*nb.scenes, *nb.sweeps):
            assert name in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_gallery_picture_is_small_projectable_and_in_the_readme(name):
    path = gallery.GALLERY / f"{name}.png"
    assert path.stat().st_size <= 400_000
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size[0] >= 1600
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f'src="docs/lecture/{name}.png"' in readme


@pytest.mark.parametrize("name", ["p01_stall", "p07_adagrad_burst"])
def test_gallery_picture_is_current(name, tmp_path):
    fresh = gallery.make(name, tmp_path)
    with Image.open(fresh) as a, Image.open(gallery.GALLERY / f"{name}.png") as b:
        assert a.size == b.size
        assert np.array_equal(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB"))), (
            f"docs/lecture/{name}.png is out of date: run .venv/bin/python tools/make_gallery.py"
        )
