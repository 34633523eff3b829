"""The lecture notebooks executed headless one after another, as tests/test_notebooks.py runs
them (nbclient, a fresh "python3" kernel each, in a temporary copy of notebooks/).

    .venv/bin/python benchmarks/bench_notebooks.py              # every notebook
    .venv/bin/python benchmarks/bench_notebooks.py 02 06 --cells  # these, and the time of each cell

Prints per notebook its wall-clock seconds against the goal (≤ 10 s each), the total against
≤ 60 s, and a reference measured in the same run: a notebook holding only the set-up cell
(kernel start, imports), i.e. what every notebook pays before its first figure. `--cells`
adds the seconds of each code cell (from nbclient's execution timestamps): the profile that
says where a slow notebook spends its time.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbclient
import nbformat

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
EACH_GOAL = 10.0  # seconds per notebook
TOTAL_GOAL = 60.0  # seconds for all of them, one after another
REFERENCE = "_setup_only.ipynb"


def execute(path: Path) -> tuple[float, list[tuple[str, float]]]:
    """Wall-clock seconds of one headless run, and (first line, seconds) per code cell."""
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.widget_registry = {}  # as the test: no Output-widget emulation
    start = time.perf_counter()
    client.execute()
    wall = time.perf_counter() - start
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        timing = cell.metadata.get("execution", {})
        t0, t1 = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        seconds = (datetime.fromisoformat(t1.replace("Z", "+00:00")) - datetime.fromisoformat(t0.replace("Z", "+00:00"))).total_seconds() if t0 and t1 else float("nan")
        cells.append((cell.source.splitlines()[0] if cell.source else "", seconds))
    return wall, cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="notebook name prefixes (default: all)")
    parser.add_argument("--cells", action="store_true", help="print the seconds of every code cell")
    args = parser.parse_args(argv)
    names = sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))
    if args.only:
        names = [n for n in names if any(n.startswith(prefix) for prefix in args.only)]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in names:
            shutil.copy(NOTEBOOK_DIR / name, work / name)
        setup = nbformat.read(NOTEBOOK_DIR / names[0], as_version=4) if names else None
        reference = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("from lossviz import SCENES, Explorer, save_gif\nfrom lossviz.lecture import static_figure")])
        reference.metadata = setup.metadata if setup is not None else {}
        nbformat.write(reference, work / REFERENCE)
        ref, _ = execute(work / REFERENCE)
        print(f"reference (kernel start + set-up cell only): {ref:5.1f} s")
        total, slow = 0.0, []
        for name in names:
            wall, cells = execute(work / name)
            total += wall
            flag = "ok" if wall <= EACH_GOAL else "OVER"
            print(f"{name:45s} {wall:5.1f} s  ({wall - ref:+5.1f} s over the reference)  goal ≤ {EACH_GOAL:g} s: {flag}")
            if wall > EACH_GOAL:
                slow.append(name)
            if args.cells:
                for first, seconds in cells:
                    print(f"      {seconds:6.2f} s  {first[:70]}")
    flag = "ok" if total <= TOTAL_GOAL else "OVER"
    print(f"{'total, one after another':45s} {total:5.1f} s  goal ≤ {TOTAL_GOAL:g} s: {flag}")
    if slow:
        print("over 10 s: " + ", ".join(slow))
    return 0


if __name__ == "__main__":
    sys.exit(main())
