"""The lecture as a static site that opens from a file: `index.html`, one page per lecture
point (the notebook's text with its formulas as MathML, its figures, its scenes as offline
pages in frames, links between the pages) and `scenes/NAME.html` per scene (lossviz.page).

    build_site("site")          # or: lossviz html --lecture -o site/

What a page shows is read from the lecture's public names (`lecture.NOTEBOOKS`, `SCENES`,
`lecture.SWEEPS`) and from the notebooks' markdown: a markdown cell is kept unless it leads
into a cell that needs a kernel (the Explorer, a GIF export); a code cell that shows a scene
or a sweep becomes that scene's page (in an <iframe>) or the sweep's figure.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

from lossviz.page import page_html, scene_data

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"  # the repository's notebooks
KERNEL_ONLY = re.compile(r"\bExplorer\s*[.(]|\bsave_(gif|mp4|png)\s*\(")  # code that needs a running kernel


def _markdown():
    """Markdown → HTML with $…$ and $$…$$ as MathML (latex2mathml): no script, no CDN."""
    import mistune
    from latex2mathml.converter import convert

    md = mistune.create_markdown(escape=False, plugins=["math", "table"])

    def math(display: str):
        def render(_renderer, text: str) -> str:
            try:
                return convert(text.strip(), display=display)
            except Exception:  # noqa: BLE001 -- a formula it cannot convert is shown as its source
                return f'<code class="lv-tex">{html.escape(text)}</code>'
        return render

    md.renderer.register("inline_math", math("inline"))
    md.renderer.register("block_math", math("block"))
    return md


def _cells(notebook: Path) -> list[tuple[str, str]]:
    """(cell type, source) of a notebook; [] when the notebook is not there (an installed package)."""
    if not notebook.is_file():
        return []
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    return [(c.get("cell_type", ""), "".join(c.get("source", ""))) for c in cells]


def _page_name(entry) -> str:
    return Path(entry.notebook).stem + ".html"


def _mentions(source: str, names: Sequence[str]) -> list[str]:
    return [n for n in names if f'"{n}"' in source or f"'{n}'" in source]


def _scene_frame(name: str, title: str) -> str:
    return (f'<figure class="lv-scene"><iframe class="lv-scene-frame" src="scenes/{name}.html?embed&amp;fit=width" '
            f'title="{html.escape(title)}"></iframe>'
            f'<figcaption><a href="scenes/{name}.html">{html.escape(title)}</a> — the scene on a page of its own</figcaption></figure>')


def _sweep_figure(name: str) -> str:
    from lossviz.lecture import SWEEPS, png_bytes

    fig = SWEEPS[name].figure(dpi=110)
    data = base64.b64encode(png_bytes(fig)).decode("ascii")
    return f'<figure class="lv-sweep"><img alt="sweep {html.escape(name)}" src="data:image/png;base64,{data}"></figure>'


def lecture_page(entry, *, notebooks: Path = NOTEBOOK_DIR, prev=None, next_=None) -> str:
    """The HTML of one lecture point's page."""
    from lossviz.scenes import SCENES

    md = _markdown()
    cells = _cells(Path(notebooks) / entry.notebook)
    body, placed = [], []
    for i, (kind, source) in enumerate(cells):
        if kind == "markdown":
            following = next((s for k, s in cells[i + 1:] if k == "code"), "")
            if not KERNEL_ONLY.search(following):
                body.append(md(source))
            continue
        if kind != "code" or KERNEL_ONLY.search(source):
            continue
        for name in _mentions(source, entry.scenes):
            if name not in placed:
                placed.append(name)
                body.append(_scene_frame(name, SCENES[name].title or name))
        for name in _mentions(source, entry.sweeps):
            body.append(_sweep_figure(name))
    if not cells:
        body.append(f"<h1>{html.escape(entry.points)} {html.escape(entry.topic)}</h1>")
    for name in entry.scenes:
        if name not in placed:
            body.append(_scene_frame(name, SCENES[name].title or name))
    nav = ['<a href="index.html">lecture index</a>']
    if prev is not None:
        nav.append(f'<a href="{_page_name(prev)}">← {html.escape(prev.points)} {html.escape(prev.topic)}</a>')
    if next_ is not None:
        nav.append(f'<a href="{_page_name(next_)}">{html.escape(next_.points)} {html.escape(next_.topic)} →</a>')
    nav_html = '<nav class="lv-nav">' + " · ".join(nav) + "</nav>"
    notes = (f'<p class="lv-note">The notebook of this point, with the Explorer (every control), is '
             f"<code>notebooks/{html.escape(entry.notebook)}</code>. " +
             " ".join(f"<code>lossviz gif --scene {html.escape(n)} -o {html.escape(n)}.gif</code>" for n in entry.scenes) + "</p>")
    title = f"{entry.points} {entry.topic}".strip()
    return _document(title, nav_html + "\n" + "\n".join(body) + "\n" + notes + "\n" + nav_html)


def index_page(entries) -> str:
    items = "\n".join(f'<li><a href="{_page_name(e)}"><b>{html.escape(e.points)}</b> {html.escape(e.topic)}</a></li>' for e in entries)
    text = ("<h1>Optimization in deep learning: the lecture, interactive</h1>"
            "<p>Each page is a point of the lecture: its text and formulas, and its scenes, which you can play and "
            "change (η scales every run's learning rate over a precomputed range). Everything is in these files: "
            "no installation, no network.</p>"
            f"<ol class=\"lv-index\">{items}</ol>")
    return _document("lossviz — the lecture", text)


SITE_CSS = """
body { margin: 0; color: #1a1a1a; font: 17px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 10px 20px 40px; }
h1 { font-size: 1.6rem; line-height: 1.3; } h2 { font-size: 1.25rem; margin-top: 1.6em; }
math[display="block"] { margin: 0.7em 0; font-size: 1.15em; } math { font-size: 1.08em; }
code { background: #f3f3f3; padding: 0 3px; border-radius: 3px; font-size: 0.92em; }
.lv-nav { font-size: 0.92rem; margin: 6px 0; } .lv-nav a { color: #1a5fb4; }
.lv-scene { margin: 14px 0; } .lv-scene-frame { width: 100%; height: 640px; border: 0; display: block; }
.lv-scene figcaption, .lv-note { color: #555; font-size: 0.88rem; }
.lv-sweep img { max-width: 100%; height: auto; }
.lv-index li { margin: 6px 0; } .lv-index a { color: #1a5fb4; text-decoration: none; }
"""

# each scene frame tells its height (page.js, ?fit=width); the page sizes the frame to it
FRAME_SCRIPT = """
addEventListener("message", (e) => {
  if (!e.data || e.data.lossviz !== "height") return;
  for (const f of document.querySelectorAll("iframe.lv-scene-frame"))
    if (f.contentWindow === e.source) f.style.height = `${Math.ceil(e.data.height)}px`;
});
"""


def _document(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{html.escape(title)}</title>
<style>{SITE_CSS}</style>
</head><body><main>
{body}
</main>
<script>{FRAME_SCRIPT}</script>
</body></html>
"""


def build_site(folder, *, notebooks: Path = NOTEBOOK_DIR, decades: float = 2.0, entries=None) -> Path:
    """Write the lecture's site into `folder` (made if missing): index.html, a page per lecture
    point and scenes/NAME.html. Everything is built in a temporary folder first and then moved
    into place file by file, so a failure leaves `folder` as it was. Returns the folder."""
    from lossviz import lecture
    from lossviz.scenes import SCENES

    target = Path(os.fspath(folder)).expanduser()
    if target.exists() and not target.is_dir():
        raise ValueError(f"output {os.fspath(folder)!r} is a file; --lecture writes a folder")
    if not (target.parent if str(target.parent) else Path(".")).is_dir():
        raise ValueError(f"the folder holding {os.fspath(folder)!r} does not exist")
    entries = [e for e in (lecture.NOTEBOOKS if entries is None else entries) if e.scenes]
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        (tmp / "scenes").mkdir()
        for name in dict.fromkeys(n for e in entries for n in e.scenes):
            data = scene_data(SCENES[name], decades=decades)
            (tmp / "scenes" / f"{name}.html").write_text(page_html(data, back_html='<nav class="lv-nav"><a href="../index.html">lecture index</a></nav>'),
                                                          encoding="utf-8")
        for i, entry in enumerate(entries):
            page = lecture_page(entry, notebooks=notebooks, prev=entries[i - 1] if i else None,
                                next_=entries[i + 1] if i + 1 < len(entries) else None)
            (tmp / _page_name(entry)).write_text(page, encoding="utf-8")
        (tmp / "index.html").write_text(index_page(entries), encoding="utf-8")
        # move file by file into place: other files in `folder` stay, and no file is half-written
        target.mkdir(exist_ok=True)
        (target / "scenes").mkdir(exist_ok=True)
        for p in sorted(tmp.rglob("*.html")):
            os.chmod(p, 0o644)
            os.replace(p, target / p.relative_to(tmp))
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
    return target
