"""The standalone page (lossviz.page) and the lecture site (lossviz.site), headless.

The arrays in a page are decoded here by an independent reading of the format (inflate, byte
planes, running sums) and compared with `controls.scaled(scene, i).run()`: θ bit for bit in
float32, the side panels to their 16-bit quantisation. The browser side (page.js decoding the
same bytes, Play, the η control) is tests/browser/test_page_browser.py.

Every lecture scene is built on a reduced η grid (±0.3 decades: the same code, 7 η values);
the two largest pages (most runs × steps) on the full grid, whose size must stay ≤ 2 MB.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path

import numpy as np
import pytest

from lossviz import SCENES, controls, lecture
from lossviz.page import NAN16, grid_indices, page_html, save_html, scene_data
from lossviz.session import series

LECTURE_SCENE_NAMES = list(dict.fromkeys(n for e in lecture.NOTEBOOKS for n in e.scenes))
MAX_PAGE = 2_000_000


def _ints(b64: str, dtype) -> np.ndarray:
    raw = zlib.decompress(base64.b64decode(b64))
    width = np.dtype(dtype).itemsize
    planes = np.frombuffer(raw, np.uint8).reshape(width, -1)
    return np.ascontiguousarray(planes.T).view(dtype).ravel()


def decode(data: dict) -> list[list[np.ndarray]]:
    """Per grid value, per run: rows × meta columns, float64 (NaN where the page stores nothing;
    quantised columns still on their axis's scale)."""
    meta, qcols = data["meta"], data["qcolumns"]
    xy, q = _ints(data["streams"]["xy"], np.int32), _ints(data["streams"]["panels"], np.uint16)
    out, i, j = [], 0, 0
    for row in data["cells"]:
        blocks = []
        for cell in row:
            n = cell["n"]
            block = np.full((meta["rows"], len(meta["columns"])), np.nan)
            for c in range(2):
                bits = np.cumsum(xy[i:i + n].astype(np.int64)).astype(np.int64)
                block[:n, c] = ((bits + 2**31) % 2**32 - 2**31).astype(np.int32).view(np.float32)
                i += n
            for (lo, hi), c in zip(cell["q"], qcols):
                code = np.cumsum(q[j:j + n].astype(np.int64)) % 65536
                u = lo + (hi - lo) * code / (NAN16 - 1)
                block[:n, c] = np.where(code == NAN16, np.nan, u)  # still on the axis's scale
                j += n
            for a, c in data["same"].items():
                block[:, int(a)] = block[:, c]
            blocks.append(block)
        out.append(blocks)
    assert i == xy.size and j == q.size, "streams longer than their cells"
    return out


def _forward(scale: dict | None):
    if scale is None:
        return lambda v: v
    if scale["name"] == "log":
        return lambda v: np.log10(np.where(v > 0, v, np.nan))
    if scale["name"] == "linear":
        return lambda v: v
    from matplotlib.scale import SymmetricalLogTransform

    t = SymmetricalLogTransform(scale["base"], scale["linthresh"], scale["linscale"])
    return lambda v: t.transform(np.asarray(v, dtype=float))


def check_against_kernel(data: dict, scene, positions=None, start: int = 0) -> None:
    """Every stored η value (or those at `positions` of the grid): θ equals the kernel's run in float32 at every stored step, the
    panels lie within one 16-bit level of the kernel's values, diverged_at is the kernel's."""
    meta = data["meta"]
    steps = np.minimum(np.arange(meta["rows"]) * meta["stride"], meta["steps"])
    axes = data["layout"]["axes"]
    scale_of = {c: axes[p]["yscale"] if p else None for c, p in zip(data["qcolumns"], data["qpanels"])}
    scale_of.update({int(a): scale_of[c] for a, c in data["same"].items()})
    with np.errstate(all="ignore"):
        G = len(data["grid"]["indices"])
        for g, (index, blocks) in enumerate(zip(data["grid"]["indices"], decode(data)[start * G:(start + 1) * G])):
            if positions is not None and g not in positions:
                continue
            runs = controls.scaled(scene, index).run()
            assert len(runs) == len(meta["runs"])
            for (label, traj), block, cell in zip(runs.items(), blocks, data["cells"][start * G + g]):
                want = traj.theta[steps, 0, :].astype(np.float32)
                np.testing.assert_array_equal(block[:, :2].astype(np.float32), want, err_msg=f"θ of {label} at η index {index}")
                assert cell["diverged_at"] == int(traj.diverged_at[0])
                for c, name in enumerate(meta["columns"][2:], start=2):
                    panel, _, j = name.partition("/")
                    values = traj.loss[:, 0] if name == "loss" else series(traj, panel)[int(j)]
                    have = steps < len(values)
                    u = np.full(len(steps), np.nan)
                    u[have] = _forward(scale_of[c])(values[steps[have]].astype(np.float32).astype(float))
                    got = block[:, c]
                    assert np.array_equal(np.isfinite(got), np.isfinite(u)), f"{name} of {label}: missing values differ"
                    q = data["qcolumns"].index(data["same"].get(str(c), c))
                    lo, hi = cell["q"][q]
                    ok = np.isfinite(u)
                    level = (hi - lo) / (NAN16 - 1)
                    assert np.all(np.abs(got[ok] - u[ok]) <= level * 0.51 + 1e-9 * max(abs(lo), abs(hi), 1)), name


def test_grid_is_two_decades_either_side_in_tenth_decades():
    idx = grid_indices()
    f = np.log10([controls.factor(i) for i in idx])
    assert idx[0] == -40 and idx[-1] == 40 and 0 in idx and len(idx) == 41
    np.testing.assert_allclose(np.diff(f), 0.1, rtol=1e-12)
    assert f[0] == pytest.approx(-2) and f[-1] == pytest.approx(2)
    with pytest.raises(ValueError, match="decades"):
        grid_indices(decades=0)
    with pytest.raises(ValueError, match="multiple of 0.05"):
        grid_indices(step=0.07)


@pytest.mark.parametrize("name", LECTURE_SCENE_NAMES)
def test_every_lecture_scene_page_holds_the_kernel_runs(name):
    scene = SCENES[name]
    data = scene_data(scene, decades=0.3)
    assert data["grid"]["indices"] == [-6, -4, -2, 0, 2, 4, 6]
    # the 100,000-step crawl: its own η only (each kernel run takes seconds); every η elsewhere
    check_against_kernel(data, scene, positions=(3,) if scene.steps > 10_000 else None)
    text = page_html(data)
    # one η value stores ~1/7 of the page's arrays: 41 of them must fit the 2 MB budget
    arrays = len(data["streams"]["xy"]) + len(data["streams"]["panels"])
    assert len(text) - arrays + arrays / 7 * 41 <= MAX_PAGE * 1.05, f"{name}: the full page would exceed 2 MB"


@pytest.mark.parametrize("name", ["p05_rmsprop_alpha", "p08_schedules"])
def test_full_grid_page_is_at_most_2_mb(name, tmp_path):
    scene = SCENES[name]
    path = save_html(scene, tmp_path / f"{name}.html")
    text = path.read_text(encoding="utf-8")
    assert path.stat().st_size <= MAX_PAGE, f"{name}: {path.stat().st_size} bytes"
    data = json.loads(re.search(r'<script type="application/json" class="lv-scene-data">(.*?)</script>', text, re.S).group(1))
    assert len(data["grid"]["indices"]) == 41
    check_against_kernel(data, scene, positions=(0, 20, 40))


def test_start_among_a_few_points():
    from dataclasses import replace

    scene = SCENES["rosenbrock_race"]  # starts at Rosenbrock's (-1.5, 2)
    data = scene_data(scene, vary=("lr", "start"), starts=[(-1.5, 2.0), (1.5, 2.0)], decades=0.1)
    assert data["grid"]["starts"] == [[-1.5, 2.0], [1.5, 2.0]] and len(data["cells"]) == 2 * 3  # starts × η positions (±0.1 decade)
    check_against_kernel(data, scene, start=0)
    moved = replace(scene, start=(1.5, 2.0), runs=[replace(r, start=None) for r in scene.runs])
    check_against_kernel(data, moved, start=1)
    with pytest.raises(ValueError, match="starts must hold 1 to 6"):
        scene_data(scene, vary=("lr", "start"), starts=[(0, float("nan"))])
    with pytest.raises(ValueError, match="starts= goes with"):
        scene_data(scene, starts=[(0, 0)])
    with pytest.raises(ValueError, match="vary must be"):
        scene_data(scene, vary=("start",))


def test_page_makes_no_external_request(tmp_path):
    text = save_html(SCENES["p10_saddle"], tmp_path / "saddle.html", decades=0.2).read_text(encoding="utf-8")
    for attr in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', text):
        assert attr.startswith(("data:", "#")), attr
    assert "url(" not in text and "@import" not in text and "fetch(" not in text
    assert not re.search(r"https?://", text), re.search(r".{60}https?://.{60}", text).group(0)
    assert re.search(r"^import ", text, re.M) is None  # renderer.js is inlined, not imported
    assert "export function drawScene" in text  # …and it is the renderer itself, not a copy


def test_bad_input_is_a_value_error_and_leaves_nothing(tmp_path):
    scene = SCENES["p01_stall"]
    with pytest.raises(ValueError, match="vary must be"):
        save_html(scene, tmp_path / "a.html", vary=("beta",))
    with pytest.raises(ValueError, match="must end in .html"):
        save_html(scene, tmp_path / "a.png")
    with pytest.raises(ValueError, match="width_px"):
        save_html(scene, tmp_path / "a.html", width_px=10)
    with pytest.raises(ValueError, match="steps × runs × η values × starts"):
        save_html(SCENES["p02_crawl"].__class__.from_dict({**scene.to_dict(), "steps": 300_000}), tmp_path / "a.html")
    with pytest.raises(ValueError, match="scene must be"):
        save_html("p01_stall", tmp_path / "a.html")
    assert list(tmp_path.iterdir()) == []


def test_cli_html(tmp_path, capsys):
    from lossviz.cli import main

    out = tmp_path / "p.html"
    assert main(["html", "--scene", "p01_stall", "--decades", "0.2", "-o", str(out)]) == 0
    assert out.stat().st_size > 10_000 and "wrote" in capsys.readouterr().out
    assert main(["html", "--scene", "p01_stall", "--decades", "0.1", "--vary-start", "-o", str(out)]) == 0
    assert len(json.loads(re.search(r'class="lv-scene-data">(.*?)</script>', out.read_text(encoding="utf-8"), re.S).group(1))["grid"]["starts"]) == 4
    assert main(["html", "--scene", "nope", "-o", str(tmp_path / "q.html")]) == 2
    assert main(["html", "--scene", "p01_stall", "--decades", "9", "-o", str(tmp_path / "q.html")]) == 2
    assert main(["html", "-o", str(tmp_path / "q.html")]) == 2
    err = capsys.readouterr().err
    assert err.count("lossviz: error:") == 3 and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.html"]


def test_lecture_site(tmp_path, monkeypatch):
    from lossviz import site

    entries = [e for e in lecture.NOTEBOOKS if e.notebook.startswith(("05", "08"))]
    folder = site.build_site(tmp_path / "site", decades=0.1, entries=entries)
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.html"))
    assert names == sorted(["index.html", "05_adam.html", "08_saddle_points.html",
                            *(f"scenes/{n}.html" for e in entries for n in e.scenes)])
    page = (folder / "05_adam.html").read_text(encoding="utf-8")
    assert "<math" in page and "<mfrac>" in page  # the formulas as MathML
    assert "$" not in re.sub(r"<code.*?</code>|<script.*?</script>", "", page, flags=re.S)  # no TeX source left over
    assert 'src="scenes/p06_adam.html?embed&amp;fit=width"' in page
    for p in folder.rglob("*.html"):  # every link and frame leads to a file of the site
        for target in re.findall(r'(?:src|href)="([^"#?]+\.html)', p.read_text(encoding="utf-8")):
            assert (p.parent / target).is_file(), (p.name, target)
    saddle = (folder / "08_saddle_points.html").read_text(encoding="utf-8")
    assert all(f"scenes/{n}.html" in saddle for n in ("p10_saddle", "p10_monkey_saddle", "p10_double_well"))
    before = {p: p.read_bytes() for p in folder.rglob("*.html")}

    def broken(*a, **k):
        raise ValueError("broken on purpose")

    monkeypatch.setattr(site, "scene_data", broken)
    with pytest.raises(ValueError, match="on purpose"):
        site.build_site(folder, entries=entries)
    assert {p: p.read_bytes() for p in folder.rglob("*.html")} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temporary folder left
