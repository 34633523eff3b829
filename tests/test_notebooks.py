"""The lecture notebooks: committed without outputs, built by the generator, and every one
executes headless (nbclient, fresh "python3" kernel) with no error and no warning output.

They run in a temporary copy of notebooks/, so the GIFs their last cells export never land in
the repository, two kernels at a time (one per core); the time of each notebook is printed
(`pytest -s`). How fast they run is measured by benchmarks/bench_notebooks.py, not asserted
here (a wall-clock budget flakes on a shared machine).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import time
from pathlib import Path

import pytest

from lossviz.lecture import NOTEBOOKS

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
WORKERS = max(1, min(2, os.cpu_count() or 1))  # kernels at a time: one per core, at most two


def _generator():
    spec = importlib.util.spec_from_file_location("_make_notebooks", NOTEBOOK_DIR / "_make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ENTRIES = (*NOTEBOOKS, *_generator().EXERCISES)  # the lecture's, then the exercises (notebook 10)
NAMES = [entry.notebook for entry in ENTRIES]
WARNING_WORDS = ("Warning", "WARNING", "Traceback", "Error")


def test_every_lecture_notebook_exists_and_nothing_else():
    present = sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))
    assert present == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs(name):
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: a cell was committed with outputs"
            assert cell.execution_count is None, f"{name}: a cell was committed with an execution count"
    assert "widgets" not in nb.metadata, f"{name}: saved widget state was committed"


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_equals_generator_output(name):
    committed = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    generated = _generator().build(name)
    assert [(c.cell_type, c.source) for c in committed.cells] == [(c.cell_type, c.source) for c in generated.cells], (
        f"{name} differs from notebooks/_make_notebooks.py; regenerate with "
        "`.venv/bin/python notebooks/_make_notebooks.py`"
    )


def _problems(nb) -> list[str]:
    """Errors, stderr and any text that mentions a warning, from the executed cells."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"cell {i}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream":
                if out.name == "stderr":
                    found.append(f"cell {i}: stderr: {out.text[:300]}")
                elif any(w in out.text for w in WARNING_WORDS):
                    found.append(f"cell {i}: {out.text[:300]}")
            else:
                text = out.get("data", {}).get("text/plain", "")
                if any(w in text for w in WARNING_WORDS):
                    found.append(f"cell {i}: {text[:300]}")
    return found


async def _execute(name: str, workdir: Path, gate: asyncio.Semaphore, results: dict, times: dict) -> None:
    async with gate:
        nb = nbformat.read(workdir / name, as_version=4)
        client = nbclient.NotebookClient(
            nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
        )
        client.widget_registry = {}  # no Output-widget emulation: it can stall a cell (browser-recipe.md)
        start = time.perf_counter()
        error = None
        try:
            await client.async_execute()
        except Exception as exc:  # reported by the per-notebook test
            error = exc
        times[name] = time.perf_counter() - start
        results[name] = (nb, error)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Every notebook executed once, in a temporary copy of notebooks/, WORKERS at a time
    (each in its own fresh kernel). Returns (results, per-notebook times, wall time, folder)."""
    workdir = tmp_path_factory.mktemp("notebooks")
    for name in NAMES:
        shutil.copy(NOTEBOOK_DIR / name, workdir / name)
    results: dict = {}
    times: dict = {}

    async def run_all():
        gate = asyncio.Semaphore(WORKERS)
        await asyncio.gather(*(_execute(name, workdir, gate, results, times) for name in NAMES))

    start = time.perf_counter()
    asyncio.run(run_all())
    wall = time.perf_counter() - start
    report = "\n".join(f"  {name:45s} {times[name]:6.1f} s" for name in NAMES)
    print(
        f"\nnotebook execution times ({WORKERS} kernels at a time):\n{report}\n"
        f"  {'sum':45s} {sum(times.values()):6.1f} s\n  {'wall clock, all together':45s} {wall:6.1f} s"
    )
    return results, times, wall, workdir


@pytest.mark.notebooks
@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes_without_error_or_warning(executed, name):
    results, _, _, _ = executed
    nb, error = results[name]
    assert error is None, f"{name} failed: {error}"
    assert _problems(nb) == [], f"{name} printed problems"


@pytest.mark.notebooks
@pytest.mark.parametrize("name", NAMES)
def test_notebook_shows_a_static_figure_and_exports_its_gif(executed, name):
    results, _, _, workdir = executed
    nb, _ = results[name]
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    widgets = [o for c in nb.cells for o in c.get("outputs", []) if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widgets, f"{name} displays no widget (the Explorer)"
    entry = next(e for e in ENTRIES if e.notebook == name)
    if entry.gif is not None:
        assert images, f"{name} has no static figure (PNG) for places where widgets do not render"
        gif = workdir / entry.gif
        assert gif.is_file() and gif.stat().st_size > 0, f"{name} did not export {entry.gif}"


def test_static_figure_is_a_png_of_the_scene_and_reuses_given_runs():
    from lossviz import SCENES
    from lossviz.lecture import static_figure

    scene = SCENES["p01_stall"]
    image = static_figure(scene)
    assert image.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert static_figure(scene, scene.run()).data == image.data
    with pytest.raises(ValueError, match="runs= goes with a Scene"):
        static_figure(object(), {})


@pytest.mark.notebooks
def test_the_exercise_notebook_checks_races_and_shows_its_gif(executed):
    """Notebook 10 as shipped (blanks): the checks say "not filled in yet", the solutions
    match, the race runs the solution's Adam and says so, and the GIF is written and shown."""
    from PIL import Image

    results, _, _, workdir = executed
    nb, _ = results["10_write_your_own.ipynb"]
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert sum("not filled in yet" in h for h in html) == 3
    assert printed.count("matches step for step") == 3
    assert "racing the solution's Adam (yours does not match the built-in one yet)" in printed
    assert any("image/gif" in o.get("data", {}) for o in outputs)
    with Image.open(workdir / "my_adam_race.gif") as gif:
        assert gif.n_frames == 40
