"""The standalone page in headless Chromium, opened from file:// with the network cut off.

Every request that is not file: is aborted and fails the test. On a page of the p06_adam
scene (the full η grid): Play advances the frames; the η control, moved by key presses,
changes the canvas and the status, and the paths the page then holds equal the kernel's
`controls.scaled(scene, i).run()` in float32; a typed η snaps to the nearest computed value
and says so; a start menu (when the page varies the start) switches to the runs from
there, equal to the kernel's; ?embed hides the text and fits the figure into its frame; at devicePixelRatio 2
the canvas has twice the pixels. A lecture page shows the scene in a frame that loads offline
too. No console error anywhere. Screenshots go to the artifacts folder.
"""

from __future__ import annotations

import numpy as np

import pytest

from lossviz import SCENES, controls, lecture
from lossviz.lr_spec import peak_lr

pytestmark = pytest.mark.browser

SCENE = "p06_adam"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from lossviz.page import save_html
    from lossviz.site import build_site

    folder = tmp_path_factory.mktemp("page")
    page = save_html(SCENES[SCENE], folder / f"{SCENE}.html")
    entries = [e for e in lecture.NOTEBOOKS if SCENE in e.scenes]
    site = build_site(folder / "site", decades=0.3, entries=entries)
    return {"page": page, "site": site, "lecture": site / f"{entries[0].notebook[:-6]}.html"}


class Offline:
    """A browser context whose every non-file: request is aborted and recorded."""

    def __init__(self, browser, *, width=1280, height=800, dpr=1):
        self.ctx = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=dpr)
        self.ctx.set_default_timeout(30_000)
        self.blocked, self.errors = [], []
        self.ctx.route("**/*", self._route)
        self.page = self.ctx.new_page()
        self.page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def _route(self, route):
        url = route.request.url
        if url.startswith("file:"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def open(self, path, query=""):
        self.page.goto(path.as_uri() + query)
        self.page.wait_for_selector(".lv-page[data-ready]", state="attached")

    def close(self):
        self.ctx.close()
        assert self.blocked == [], f"requests outside file:// {self.blocked}"
        assert self.errors == [], self.errors


def _pixels(page):
    import base64
    from io import BytesIO

    from PIL import Image

    url = page.locator("canvas.lv-draw").evaluate("c => c.toDataURL('image/png')")
    return np.asarray(Image.open(BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"), dtype=int)


def _paths(page) -> list[np.ndarray]:
    """Per run (in the scene's order) the (rows, 2) θ the page holds now, from window.lossviz."""
    got = page.evaluate("""() => { const m = window.lossviz.meta, d = window.lossviz.data, n = m.columns.length;
        return m.runs.map((r) => ({label: r.label, xy: Array.from({length: m.rows}, (_, i) =>
            [d[r.offset + i * n], d[r.offset + i * n + 1]])})); }""")
    return [np.array([[np.nan if v is None else v for v in row] for row in r["xy"]], dtype=np.float64) for r in got]


def test_page_offline_play_and_eta(browser, built, artifacts):
    scene = SCENES[SCENE]
    b = Offline(browser)
    try:
        page = b.page
        b.open(built["page"])
        page.screenshot(path=str(artifacts / "page-1280x800.png"))
        first = _pixels(page)
        assert page.evaluate("window.lossviz.index") == 0

        # Play from the start: the frames advance in the browser
        page.locator(".lv-play").click()
        page.wait_for_function("window.lossviz.step > 0 && window.lossviz.step < %d" % scene.steps)
        seen = {page.evaluate("window.lossviz.step")}
        for _ in range(10):
            page.wait_for_timeout(60)
            seen.add(page.evaluate("window.lossviz.step"))
        assert len(seen) >= 4, f"Play showed only steps {sorted(seen)}"
        page.wait_for_function("!window.lossviz.playing", timeout=20_000)
        assert page.evaluate("window.lossviz.step") == scene.steps

        # η: three key presses on the slider → three grid positions up (index 6: η × 10^0.3)
        page.locator(".lv-lr").focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.wait_for_function("window.lossviz.index === 6")
        status = page.locator(".lv-status").inner_text()
        adam = next(label for label, run in zip(scene.labels(), scene.runs) if run.optimizer == "adam")
        eta = peak_lr(next(r for r in scene.runs if r.optimizer == "adam").lr) * controls.factor(6)
        assert "every η ×2" in status and f"{adam} → η {eta:.3g}" in status, status  # labels name the η they have
        assert np.sum(np.abs(_pixels(page) - first).sum(axis=2) > 48) > 500, "the canvas did not change with η"
        meta = page.evaluate("window.lossviz.meta")
        steps = np.minimum(np.arange(meta["rows"]) * meta["stride"], meta["steps"])
        kernel = controls.scaled(scene, 6).run()
        held = _paths(page)
        before = controls.scaled(scene, 0).run()
        assert len(held) == len(kernel)
        for (label, traj), path in zip(kernel.items(), held):
            want = traj.theta[steps, 0, :].astype(np.float32).astype(np.float64)
            np.testing.assert_array_equal(path, want, err_msg=label)
            assert not np.allclose(np.nan_to_num(want), np.nan_to_num(before[label].theta[steps, 0, :].astype(np.float32))), label
        page.screenshot(path=str(artifacts / "page-eta-x2.png"))

        # a typed η snaps to the nearest computed value and says so
        box = page.locator(".lv-lr-value")
        box.fill("0.0031")
        box.press("Enter")
        page.wait_for_function("document.querySelector('.lv-message').textContent.includes('nearest')")
        assert page.evaluate("window.lossviz.index") == 4  # 2e-3 × 10^0.2 = 0.00317
        box.fill("5")
        box.press("Enter")
        page.wait_for_function("document.querySelector('.lv-message').textContent.includes('outside')")
        assert page.evaluate("window.lossviz.index") == 40
        # two decades up: the panels are drawn with that band's limits (their own image)
        assert page.evaluate("window.lossviz.band") == 2
        far = page.evaluate("window.lossviz.layout.axes")
        near = page.evaluate("() => { window.lossviz.select(window.lossviz.grid.base); return window.lossviz.layout.axes; }")
        assert far["loss"]["ylim"] != near["loss"]["ylim"] and far["surface"] == near["surface"]
    finally:
        b.close()


def test_start_menu_switches_to_the_runs_from_there(browser, tmp_path):
    from dataclasses import replace

    from lossviz.page import save_html

    scene = SCENES[SCENE]
    path = save_html(scene, tmp_path / "starts.html", vary=("lr", "start"), starts=[(-1.5, 2.0), (1.5, 2.0)], decades=0.2)
    b = Offline(browser)
    try:
        page = b.page
        b.open(path)
        page.locator(".lv-start").select_option("1")
        page.wait_for_function("window.lossviz.start === 1")
        assert "start (1.5, 2)" in page.locator(".lv-status").inner_text()
        meta = page.evaluate("window.lossviz.meta")
        steps = np.minimum(np.arange(meta["rows"]) * meta["stride"], meta["steps"])
        moved = replace(scene, start=(1.5, 2.0), runs=[replace(r, start=None) for r in scene.runs])
        for (label, traj), path_ in zip(moved.run().items(), _paths(page)):
            np.testing.assert_array_equal(path_, traj.theta[steps, 0, :].astype(np.float32).astype(np.float64), err_msg=label)
    finally:
        b.close()


def test_embed_fits_its_frame_and_is_crisp_at_2x(browser, built, artifacts):
    b = Offline(browser, width=900, height=520, dpr=2)
    try:
        page = b.page
        b.open(built["page"], "?embed")
        assert not page.locator(".lv-text").first.is_visible()
        box = page.locator("canvas.lv-draw").bounding_box()
        size = page.evaluate("() => { const c = document.querySelector('canvas.lv-draw'); return [c.width, c.height, devicePixelRatio]; }")
        assert size[2] == 2 and abs(size[0] - 2 * box["width"]) <= 1 and abs(size[1] - 2 * box["height"]) <= 1
        status = page.locator(".lv-status").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 900 and status["y"] + status["height"] <= 520, (box, status)
        page.screenshot(path=str(artifacts / "page-embed-900x520-dpr2.png"))
    finally:
        b.close()


def test_lecture_page_frames_its_scene_offline(browser, built, artifacts):
    b = Offline(browser, width=1280, height=900)
    try:
        page = b.page
        page.goto(built["lecture"].as_uri())
        assert page.locator("math").count() > 3
        frame = page.frame_locator("iframe.lv-scene-frame").first
        frame.locator(".lv-page[data-ready]").wait_for(state="attached")
        assert not frame.locator(".lv-text").first.is_visible()
        page.wait_for_function("() => { const f = document.querySelector('iframe.lv-scene-frame'); return f && f.offsetHeight > 300 && f.offsetHeight < 1000; }")
        page.screenshot(path=str(artifacts / "lecture-page.png"), full_page=True)
    finally:
        b.close()
