"""The gallery: docs/lecture/NAME.png, one still of every lecture scene and sweep.

    .venv/bin/python tools/make_gallery.py            # all of them (about a minute)
    .venv/bin/python tools/make_gallery.py p07_adagrad_burst

The notebooks are committed without outputs, so these PNGs are what GitHub shows of the
lecture (README.md's lecture table). Each is the scene's last step (§5's two scenes: the figures of
`lossviz.braking`) at the export size of
`lossviz.export.save_png` (1600 × 900 px), written atomically; each must stay ≤ 400 KB
(tests/test_gallery.py checks that every file is there, is that size and is current). Making a
sweep's picture first writes every sweep's results afresh to lossviz/lecture_sweeps.json, which
the notebooks draw from (tests/test_lecture.py checks it against a fresh computation).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GALLERY = REPO / "docs" / "lecture"
MAX_BYTES = 400_000


def names() -> list[str]:
    """Every picture of the gallery: each notebook's scenes and sweeps, in lecture order."""
    from lossviz.lecture import NOTEBOOKS

    out: list[str] = []
    for nb in NOTEBOOKS:
        for name in (*nb.scenes, *nb.sweeps):
            if name not in out:
                out.append(name)
    return out


def make(name: str, folder: Path = GALLERY) -> Path:
    """docs/lecture/NAME.png for one scene or sweep."""
    from lossviz import SCENES
    from lossviz.export import atomic_path, save_png
    from lossviz.lecture import SWEEPS
    from lossviz.style import STILL_DPI

    path = folder / f"{name}.png"
    from lossviz.braking import FIGURES

    if name in SWEEPS or name in FIGURES:
        figure = SWEEPS[name].figure(dpi=STILL_DPI) if name in SWEEPS else FIGURES[name](SCENES[name], dpi=STILL_DPI)
        with atomic_path(path) as tmp:
            figure.savefig(tmp, format="png", dpi=STILL_DPI)
    else:
        save_png(SCENES[name], path)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{path} is {size / 1000:.0f} KB, more than {MAX_BYTES / 1000:.0f} KB")
    return path


def main(argv: list[str] | None = None) -> int:
    wanted = list(argv) if argv else names()
    unknown = [n for n in wanted if n not in names()]
    if unknown:
        print(f"unknown gallery picture {unknown[0]!r}; valid: {', '.join(names())}", file=sys.stderr)
        return 2
    GALLERY.mkdir(parents=True, exist_ok=True)
    from lossviz.lecture import SWEEPS, write_sweep_store

    if any(name in SWEEPS for name in wanted):  # the sweeps' stored results, computed afresh first
        path = write_sweep_store(list(SWEEPS.values()))
        print(f"wrote {path.relative_to(REPO)}")
    for name in wanted:
        path = make(name)
        print(f"wrote {path.relative_to(REPO)} ({path.stat().st_size / 1000:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
