"""The Explorer's drawing surface in the notebook: an anywidget whose ES module
(lossviz/static/widget.js over renderer.js) draws everything that moves.

The kernel sets `background` + `geometry` (a PNG of what is static and where each axes lies in
it) and `meta` + `data` (the runs as float32 rows); the browser sends small messages back
(`{"type": "lr" | "start" | "size" | "fps", ...}`), handed to the `on_message` callback, and
opens or closes the step table (`inspect`).
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Callable

import anywidget
import traitlets


def _module() -> str:
    """widget.js with renderer.js inlined: one ES module (a notebook cannot import a second file)."""
    static = resources.files("lossviz") / "static"
    renderer = (static / "renderer.js").read_text(encoding="utf-8")
    widget = (static / "widget.js").read_text(encoding="utf-8")
    widget = re.sub(r'^import \{[^}]*\} from "\./renderer\.js";\n', "", widget, flags=re.M)
    return renderer + "\n" + widget


def _css() -> str:
    return (resources.files("lossviz") / "static" / "widget.css").read_text(encoding="utf-8")


class SceneCanvas(anywidget.AnyWidget):
    """Front end of the Explorer: η control, figure, playback and status line."""

    _esm = _module()
    _css = _css()
    background = traitlets.Bytes(b"").tag(sync=True)
    geometry = traitlets.Dict({}).tag(sync=True)  # where each axes lies in `background` (not `layout`: ipywidgets' own)
    meta = traitlets.Dict({}).tag(sync=True)
    data = traitlets.Bytes(b"").tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)  # where playback stopped (the browser tells)
    message = traitlets.Unicode("").tag(sync=True)  # HTML, escaped by the kernel
    busy = traitlets.Bool(False).tag(sync=True)
    inspect = traitlets.Bool(False).tag(sync=True)  # the step table is open (the browser tells; the kernel then sends its columns)

    def __init__(self, on_message: Callable[[dict], None] | None = None, **kw):
        super().__init__(**kw)
        self._handler = on_message
        self.on_msg(self._received)

    def _received(self, _widget, content, _buffers) -> None:
        if self._handler is not None and isinstance(content, dict):
            self._handler(content)
