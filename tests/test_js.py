"""Runs the front end's pure-function tests (tests/js, node's built-in test runner), with a
fixture of matplotlib's own data → pixel transforms for linear, log and symlog axes, so the
browser draws every curve where matplotlib would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lossviz.session import _scale_of  # noqa: E402

HERE = Path(__file__).resolve().parent
NODE = shutil.which("node")


def _fixture(path: Path) -> None:
    fig = Figure(figsize=(6, 4), dpi=97)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3)
    axes[1].set_yscale("log")
    axes[2].set_yscale("symlog", linthresh=0.05)
    limits = [((-2, 2), (-1, 3)), ((0, 500), (1e-6, 1e2)), ((0, 300), (-40, 900))]
    out = []
    fig.canvas.draw()
    height = fig.bbox.height
    rng = np.random.default_rng(0)
    for ax, (xl, yl) in zip(axes, limits):
        ax.set_xlim(*xl)
        ax.set_ylim(*yl)
    fig.canvas.draw()
    for ax, (xl, yl) in zip(axes, limits):
        box = ax.get_window_extent()
        xs = rng.uniform(*xl, 25)
        ys = np.geomspace(*yl, 25) if ax.get_yscale() == "log" else rng.uniform(*yl, 25)
        px, py = ax.transData.transform(np.c_[xs, ys]).T
        out.append({"axes": {"box": [box.x0, height - box.y1, box.x1, height - box.y0], "xlim": list(xl), "ylim": list(yl),
                             "xscale": _scale_of(ax.xaxis), "yscale": _scale_of(ax.yaxis)},
                    "points": np.c_[xs, ys, px, height - py].tolist()})
    path.write_text(json.dumps(out))


def test_renderer_functions_under_node(tmp_path):
    if NODE is None:
        if os.environ.get("LOSSVIZ_REQUIRE_BROWSER"):
            pytest.fail("node is not installed (apt-get install -y nodejs); .ci/run installs it")
        pytest.skip("node is not installed")
    fixture = tmp_path / "transforms.json"
    _fixture(fixture)
    env = dict(os.environ, LOSSVIZ_TRANSFORM_FIXTURE=str(fixture))
    result = subprocess.run([NODE, "--test", str(HERE / "js")], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout and "# skipped 0" in result.stdout and "# pass 9" in result.stdout, result.stdout[-1500:]
