"""The README's generated tables: surfaces, optimizers and the lecture's notebooks.

    .venv/bin/python tools/readme.py          # rewrite the tables in README.md in place

Each table sits in README.md between `<!-- begin NAME -->` and `<!-- end NAME -->`;
tests/test_readme.py checks that the committed README equals what this script writes. The
lecture table shows each notebook's figures from the gallery docs/lecture/ (made by
tools/make_gallery.py), since the notebooks themselves are committed without outputs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GALLERY = "docs/lecture"
THUMB_WIDTH = 260  # px: a row of the lecture table


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def surface_table() -> str:
    """Markdown table of `surfaces.SURFACES`: key, formula and what it teaches."""
    import surfaces

    rows = ["| surface | f(x, y) | what it shows |", "| --- | --- | --- |"]
    for name, s in surfaces.SURFACES.items():
        rows.append(f"| `{name}` | {_cell(s.formula)} | {_cell(s.description)} |")
    return "\n".join(rows)


def optimizer_table() -> str:
    """Markdown table of `optimizers.OPTIMIZERS`: key, what it is and its keyword arguments."""
    import optimizers

    rows = ["| optimizer | what it is | keyword arguments (defaults) |", "| --- | --- | --- |"]
    for name in optimizers.OPTIMIZERS:
        args = ", ".join(f"`{k}={v!r}`" for k, v in optimizers.defaults(name).items())
        rows.append(f"| `{name}` | {_cell(optimizers.TITLES.get(name, name))} | {args} |")
    return "\n".join(rows)


def gallery_names(nb) -> tuple[str, ...]:
    """The figures of a notebook in the gallery: its scenes, then its sweeps."""
    return (*nb.scenes, *nb.sweeps)


def notebook_entries() -> tuple:
    """Every notebook: the lecture's (`lossviz.lecture.NOTEBOOKS`), then the exercises the
    notebook generator lists (`EXERCISES` in notebooks/_make_notebooks.py)."""
    import importlib.util

    from lossviz.lecture import NOTEBOOKS

    spec = importlib.util.spec_from_file_location("_make_notebooks", REPO / "notebooks" / "_make_notebooks.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    return (*NOTEBOOKS, *generator.EXERCISES)


def notebook_table() -> str:
    """Markdown table: lecture point → notebook → what you see, its scenes, its sweeps and
    their pictures (thumbnails of docs/lecture/NAME.png, each a link to the full size)."""
    rows = ["| lecture point | notebook | what you see | scenes | sweeps | figures |", "| --- | --- | --- | --- | --- | --- |"]
    for nb in notebook_entries():
        scenes = ", ".join(f"`{s}`" for s in nb.scenes) or "—"
        sweeps = ", ".join(f"`{s}`" for s in nb.sweeps) or "—"
        pictures = " ".join(
            f'<a href="{GALLERY}/{n}.png"><img src="{GALLERY}/{n}.png" width="{THUMB_WIDTH}" alt="{n}"></a>' for n in gallery_names(nb)
        ) or "—"
        rows.append(f"| {nb.points or '—'} | [`{nb.notebook}`](notebooks/{nb.notebook}) | {_cell(nb.topic)} | {scenes} | {sweeps} | {pictures} |")
    return "\n".join(rows)


def readme_tables() -> dict[str, str]:
    """Name → generated Markdown, each placed in README.md between
    `<!-- begin NAME -->` and `<!-- end NAME -->`."""
    return {"surfaces": surface_table(), "optimizers": optimizer_table(), "notebooks": notebook_table()}


def update_readme(text: str) -> str:
    """README text with every generated table replaced by the current one."""
    for name, table in readme_tables().items():
        pattern = re.compile(rf"(<!-- begin {name} -->\n).*?(\n<!-- end {name} -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"README has no '<!-- begin {name} -->' … '<!-- end {name} -->' block")
        text = pattern.sub(lambda m: m.group(1) + table + m.group(2), text)
    return text


def main(argv: list[str] | None = None) -> int:
    path = Path(argv[0]) if argv else REPO / "README.md"
    path.write_text(update_readme(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote the tables of {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
