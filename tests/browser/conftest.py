"""Fixtures for the real-browser test: JupyterLab + headless Debian Chromium + Playwright.

One JupyterLab server (127.0.0.1, free port, random token, isolated Jupyter/IPython dirs)
serves a temporary *copy* of the repository's ``notebooks/`` folder, so nothing the test
produces (GIFs, checkpoints, kernel outputs) lands in the repository. One Chromium is started
by Playwright with ``executable_path=/usr/bin/chromium`` (Playwright never downloads a
browser here). Both are stopped by their process ids -- SIGTERM first, then SIGKILL of their
process groups and of any descendant still alive -- even when a test fails.

`lab_app` (module scope) is one 1280 x 800 page with JupyterLab loaded once; notebooks are
opened in it one after another (`LabPage.open_in_app`), each with a fresh kernel that is shut
down when the next opens. `lab_page` (per test) is a fresh context + page, for tests that
want one. `LabPage.set_metrics` emulates zoom (devicePixelRatio) for layout checks.

Screenshots and logs go to a temporary folder; its path is printed in the report of a
failing test (and in the captured output of every test).

Environment knobs (for development only):
  LOSSVIZ_CHROMIUM            path of the Chromium binary (default /usr/bin/chromium)
  LOSSVIZ_BROWSER_NOTEBOOKS   folder to serve instead of the repository's notebooks/
  LOSSVIZ_REQUIRE_BROWSER     if set (.ci/run sets it), a missing Chromium fails instead of skipping
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from io import BytesIO
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LOSSVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--disable-extensions", "--mute-audio",
    "--force-device-scale-factor=1",
]
VIEWPORT = {"width": 1280, "height": 800}   # a laptop screen: the Explorer must fit it
LAB_START_TIMEOUT = 90        # s; JupyterLab needs 3-5 s on 2 cores, much more under load


# --------------------------------------------------------------------------- processes

def _children_map() -> dict[int, list[int]]:
    """ppid -> [pid] for every process we can see (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
        except OSError:
            continue
        # the command name (field 2) may contain spaces and parentheses: split after the last ')'
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def descendants(pid: int) -> list[int]:
    """All processes below `pid` (children first-level first)."""
    children, out, todo = _children_map(), [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().decode(errors="replace").rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")        # a zombie has already exited
    except OSError:
        return False


def _kill_pid_and_group(pid: int) -> None:
    """SIGKILL `pid`, and its process group when it leads one (never our own group)."""
    try:
        if os.getpgid(pid) == pid and pid != os.getpgrp():
            os.killpg(pid, signal.SIGKILL)
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def stop_pids(pids: list[int], graceful, timeout: float = 20.0) -> list[int]:
    """Try `graceful()`, wait up to `timeout` s for `pids` to exit, then SIGKILL (by pid and,
    for group leaders, by process group) whatever is still alive. Returns the pids killed."""
    try:
        graceful()
    except Exception as exc:                               # noqa: BLE001 -- we kill below
        print(f"[browser-test] graceful stop failed: {exc!r}", file=sys.stderr)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    killed = [p for p in pids if _alive(p)]
    for p in killed:
        _kill_pid_and_group(p)
    return killed


def stop_process_tree(pid: int, graceful, timeout: float = 20.0) -> list[int]:
    """Stop the process `pid` and everything it started. The descendants are recorded first:
    kernels run in their own sessions, so a process-group kill alone would miss them."""
    return stop_pids([pid, *descendants(pid)], graceful, timeout)


def _interrupt_on_sigterm():
    """Turn SIGTERM (e.g. from `timeout` in .ci/run) into KeyboardInterrupt so that the
    fixtures' `finally` blocks still stop JupyterLab and Chromium. Returns the old handler."""
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    return signal.signal(signal.SIGTERM, handler)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        if os.environ.get("LOSSVIZ_REQUIRE_BROWSER"):        # set by .ci/run: never skip there
            pytest.fail(f"LOSSVIZ_REQUIRE_BROWSER is set but {CHROMIUM} is missing")
        pytest.skip(f"real-browser test needs Chromium at {CHROMIUM} "
                    "(Debian: apt-get install -y chromium); .ci/run installs it")
    return CHROMIUM


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    """Folder for screenshots, canvas images and logs (kept by pytest for the last 3 runs)."""
    return tmp_path_factory.mktemp("lossviz-browser-artifacts")


@pytest.fixture(scope="session")
def served_dir(tmp_path_factory) -> Path:
    """A temporary copy of notebooks/ -- JupyterLab's root; outputs never touch the repo."""
    src = Path(os.environ.get("LOSSVIZ_BROWSER_NOTEBOOKS", REPO / "notebooks"))
    if not src.is_dir():
        pytest.fail(f"notebook folder {src} does not exist")
    dst = tmp_path_factory.mktemp("served") / "notebooks"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.gif", "*.mp4"))
    return dst


def start_lab(root: Path, tmp: Path, log) -> tuple[subprocess.Popen, str, str]:
    """Start JupyterLab serving `root` (isolated Jupyter/IPython dirs under `tmp`, output to the
    open file `log`, its own process group) and wait until it answers. Returns (process, url,
    token); a RuntimeError if it exits or is not ready within LAB_START_TIMEOUT (the process is
    then left to the caller to stop)."""
    (tmp / "config" / "labconfig").mkdir(parents=True)
    # the "get notified about Jupyter news?" toast ignores --LabApp.news_url=None
    (tmp / "config" / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp / "config"), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        JUPYTER_DATA_DIR=str(tmp / "data"), JUPYTER_PLATFORM_DIRS="1",
        IPYTHONDIR=str(tmp / "ipython"), PYTHONUNBUFFERED="1",
    )
    env.pop("JUPYTER_PATH", None)
    env.pop("MPLBACKEND", None)                     # the notebooks choose their own backend
    port, token = _free_port(), secrets.token_hex(24)
    cmd = [sys.executable, "-m", "jupyterlab",                # the lab of this venv
           "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.expose_app_in_browser=True",             # window.jupyterapp
           f"--LabApp.workspaces_dir={tmp / 'workspaces'}",  # no restored tabs
           "--LabApp.news_url=None",                          # closed network
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:                                     # CI runs as root
        cmd.append("--allow-root")
    # own session/process group: the group can be killed without touching pytest's
    proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + LAB_START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"jupyter lab not ready after {LAB_START_TIMEOUT} s")
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                if r.status == 200:
                    return proc, url, token
        except OSError:
            time.sleep(0.2)


# module scope: Playwright's sync API runs an event loop in this thread until it stops, and
# nbclient (the notebook tests) needs asyncio.run in the same thread afterwards
@pytest.fixture(scope="module")
def lab(chromium_path, served_dir, tmp_path_factory, artifacts):
    """Start JupyterLab serving `served_dir`; yield {"url", "token", "pid", "root", "log"}."""
    tmp = tmp_path_factory.mktemp("jupyter")
    old_handler = _interrupt_on_sigterm()
    log_path = artifacts / "jupyterlab.log"
    log = open(log_path, "w")
    proc = None
    t0 = time.monotonic()
    try:
        proc, url, token = start_lab(served_dir, tmp, log)
        print(f"[browser-test] jupyter lab pid {proc.pid} on {url} "
              f"ready in {time.monotonic() - t0:.1f} s")
        yield {"url": url, "token": token, "pid": proc.pid, "root": served_dir, "log": log_path}
    except RuntimeError as exc:
        log.flush()
        pytest.fail(f"{exc}; log {log_path}:\n{log_path.read_text()[-4000:]}")
    finally:
        if proc is not None:
            def graceful():          # SIGTERM: the server shuts its kernels down itself
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)

            killed = stop_process_tree(proc.pid, graceful)
            if proc.poll() is None:
                proc.wait(timeout=5)
            if killed:
                print(f"[browser-test] SIGKILLed leftover jupyter processes {killed}", file=sys.stderr)
        log.close()
        signal.signal(signal.SIGTERM, old_handler)


@pytest.fixture(scope="module")
def browser(chromium_path):
    """Headless Chromium launched by Playwright; stopped by pid (and process group) at the end."""
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = None
    try:
        b = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS,
                               timeout=60_000)
        # Playwright spawns Chromium detached (its own process group) below its node driver
        print(f"[browser-test] chromium {b.version} pid(s) {_chromium_pids(group_leaders=True)}")
        yield b
    finally:
        pids = _chromium_pids()
        killed = stop_pids(pids, b.close if b is not None else (lambda: None), timeout=10)
        if killed:
            print(f"[browser-test] SIGKILLed leftover chromium processes {killed}", file=sys.stderr)
        pw.stop()


def _chromium_pids(group_leaders: bool = False) -> list[int]:
    """Chromium processes below this pytest process (started by Playwright's driver)."""
    return [p for p in descendants(os.getpid()) if "chrom" in _cmdline(p).split(" ", 1)[0]
            and (not group_leaders or _is_group_leader(p))]


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _is_group_leader(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


@pytest.fixture(scope="module")
def lab_app(browser, lab, artifacts):
    """One JupyterLab page for a whole module (1280 x 800): the JupyterLab bundle loads once,
    notebooks are opened one after another inside it (`LabPage.open_in_app`), each with a
    fresh kernel that is shut down when the next one opens."""
    ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    lp = LabPage(page, lab, artifacts, "lab")
    try:
        lp.open_lab()
        yield lp
    finally:
        (artifacts / "console.log").write_text("\n".join(lp.console))
        try:
            ctx.close()
        except Exception:                                      # noqa: BLE001 -- browser fixture kills
            pass


@pytest.fixture
def lab_page(browser, lab, artifacts, request):
    """A fresh browser context + page, wrapped in `LabPage` (helpers for the tests)."""
    ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    lp = LabPage(page, lab, artifacts, request.node.name)
    try:
        yield lp
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is None or rep.failed:
            try:
                lp.screenshot("FAILED")
            except Exception as exc:                           # noqa: BLE001
                print(f"[browser-test] no failure screenshot: {exc!r}", file=sys.stderr)
            (artifacts / "console.log").write_text("\n".join(lp.console))
        try:
            ctx.close()
        except Exception:                                      # noqa: BLE001 -- browser fixture kills
            pass


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
    folder = getattr(item, "funcargs", {}).get("artifacts")
    if folder is not None and rep.failed:
        rep.sections.append(("lossviz browser artifacts",
                             f"screenshots, canvas images and logs are in {folder}"))


# --------------------------------------------------------------------------- page helpers

class LabPage:
    """A JupyterLab page plus the helpers the browser test needs."""

    def __init__(self, page, lab, artifacts: Path, name: str):
        self.page, self.lab, self.artifacts, self.name = page, lab, artifacts, name
        self.console: list[str] = []
        self.page_errors: list[str] = []
        self._n = 0
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: (self.page_errors.append(f"{e}\n{getattr(e, 'stack', '') or ''}"[:2000]),
                                        self.console.append(f"pageerror: {e}")))

    # ---- notebook
    def open_notebook(self, name: str, timeout: float = 90):
        lab = self.lab
        self.page.goto(f"{lab['url']}/lab/tree/{name}?token={lab['token']}&reset",
                       timeout=timeout * 1000)
        self.page.wait_for_selector(".jp-Notebook", timeout=timeout * 1000)
        # keep a handle on the notebook panel: currentWidget changes with focus
        self.page.wait_for_function(
            """(name) => { const a = window.jupyterapp; const w = a && a.shell.currentWidget;
                   const k = w && w.sessionContext && w.sessionContext.session
                             && w.sessionContext.session.kernel;
                   if (k && k.status === 'idle' && w.context.path.endsWith(name)) {
                       window.__lvPanel = w; return true; }
                   return false; }""", arg=name, timeout=timeout * 1000)
        # more room for the widgets: fold the file browser away
        self.page.evaluate("() => { const s = window.jupyterapp.shell;"
                           " if (s.collapseLeft) s.collapseLeft(); }")

    def open_lab(self, timeout: float = 90):
        """Load JupyterLab itself (no document), file browser folded away."""
        lab = self.lab
        self.page.goto(f"{lab['url']}/lab?token={lab['token']}&reset", timeout=timeout * 1000)
        self.page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.shell && "
            "window.jupyterapp.commands.hasCommand('docmanager:open')", timeout=timeout * 1000)
        self.page.evaluate("() => { const s = window.jupyterapp.shell;"
                           " if (s.collapseLeft) s.collapseLeft(); }")

    def open_in_app(self, name: str, timeout: float = 90):
        """Open notebook `name` in the already loaded JupyterLab (closing the one open before
        and shutting its kernel down); wait until its fresh kernel is idle."""
        self.close_notebook()
        self.name = Path(name).stem
        self.page.evaluate(
            """async (name) => {
                const app = window.jupyterapp;
                const w = await app.commands.execute('docmanager:open', {path: name, factory: 'Notebook'});
                window.__lvPanel = w;
                app.shell.activateById(w.id);
                await w.context.ready; await w.sessionContext.ready; }""", name)
        self.page.evaluate("() => { const s = window.jupyterapp.shell;"
                           " if (s.collapseLeft) s.collapseLeft(); }")
        self.page.wait_for_function(
            """() => { const w = window.__lvPanel;
                   const k = w && w.sessionContext.session && w.sessionContext.session.kernel;
                   return !!(k && k.status === 'idle'); }""", timeout=timeout * 1000)

    def close_notebook(self):
        """Close the open notebook without saving; shut its kernel down."""
        self.page.evaluate(
            """async () => { const w = window.__lvPanel; window.__lvPanel = null;
                if (!w || w.isDisposed) return;
                try { await w.sessionContext.shutdown(); } catch (e) {}
                w.context.model.dirty = false; w.dispose(); }""")

    def all_cells_ran(self) -> bool:
        """Every code cell has an execution count and the kernel is idle."""
        return self.page.evaluate(
            """() => { const w = window.__lvPanel;
                   const k = w.sessionContext.session && w.sessionContext.session.kernel;
                   if (!(k && k.status === 'idle')) return false;
                   return w.content.widgets.every(c => c.model.type !== 'code'
                       || (c.model.executionCount !== null && !c.node.querySelector('.jp-InputPrompt')
                           .textContent.includes('*'))); }""")

    def model_errors(self) -> list[str]:
        """Error outputs of the notebook's cells, read from the cell models (whether or not
        JupyterLab's windowing has rendered them)."""
        return self.page.evaluate(
            """() => { const out = [];
                for (const c of window.__lvPanel.content.widgets) {
                    if (c.model.type !== 'code') continue;
                    for (const o of c.model.outputs.toJSON())
                        if (o.output_type === 'error')
                            out.push(o.ename + ': ' + o.evalue + '\\n' + (o.traceback || []).join('\\n'));
                } return out; }""")

    def run_all_and_wait(self, timeout: float = 180):
        """Run All; wait until every cell ran (fail at once on a cell error)."""
        self.run_all_cells()
        deadline = time.monotonic() + timeout
        time.sleep(0.3)
        while True:
            errors = self.model_errors()
            if errors:
                raise AssertionError(f"a notebook cell failed:\n{errors[0][-3000:]}")
            if self.all_cells_ran():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"Run All not finished after {timeout} s")
            time.sleep(0.2)

    def set_metrics(self, width: int, height: int, scale: float = 1.0):
        """Viewport of `width` x `height` CSS pixels at devicePixelRatio `scale` (150 % zoom:
        853 x 533 at 1.5 on a 1280 x 800 screen). Playwright's viewport is set first, so its
        screenshots follow; then the device scale through the DevTools protocol."""
        cdp = getattr(self, "_cdp", None)
        if cdp is not None:                      # our override off: Playwright's viewport rules
            cdp.send("Emulation.clearDeviceMetricsOverride")
            cdp.detach()
            self._cdp = None
        self.page.set_viewport_size({"width": width, "height": height})
        if scale != 1.0:
            self._cdp = cdp = self.page.context.new_cdp_session(self.page)
            cdp.send("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": False})
        self.page.wait_for_function("([s, w]) => window.devicePixelRatio === s && window.innerWidth === w",
                                    arg=[scale, width])

    def run_all_cells(self):
        self.page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

    def cells_running(self) -> bool:
        """Kernel busy, or a cell still queued/running (prompt [*])."""
        return self.page.evaluate(
            """() => { const w = window.__lvPanel;
                   const k = w.sessionContext.session && w.sessionContext.session.kernel;
                   const queued = [...w.node.querySelectorAll('.jp-InputPrompt')]
                       .some(e => e.textContent.includes('*'));
                   return !(k && k.status === 'idle') || queued; }""")

    def wait_kernel_idle(self, timeout: float = 120):
        """Kernel idle and no cell waiting to run ([*])."""
        deadline = time.monotonic() + timeout
        while self.cells_running():
            if time.monotonic() > deadline:
                raise AssertionError(f"notebook still running after {timeout} s")
            time.sleep(0.1)

    def wait_rendered(self, selector: str, timeout: float = 120, grace: float = 10):
        """After run-all: wait for `selector` to be visible. Fail at once, with the traceback,
        when a cell errors, and `grace` s after every cell finished without it."""
        deadline = time.monotonic() + timeout
        idle_since = None
        loc = self.page.locator(selector).first
        while True:
            if loc.count() and loc.is_visible():
                return
            errors = self.cell_errors()
            if errors:
                raise AssertionError(f"a notebook cell failed:\n{errors[0][-3000:]}")
            now = time.monotonic()
            if self.cells_running():
                idle_since = None
            elif idle_since is None:
                idle_since = now
            elif now - idle_since > grace:
                raise AssertionError(f"all cells ran but {selector!r} never appeared")
            if now > deadline:
                raise AssertionError(f"{selector!r} not visible after {timeout} s")
            time.sleep(0.2)

    def cell_errors(self) -> list[str]:
        """Texts of error outputs (tracebacks) in the notebook."""
        texts = self.page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        ).all_inner_texts()
        return [t for t in texts if "Traceback" in t or "Error" in t]

    def kernel_exec(self, code: str) -> str:
        """Run `code` in the notebook's kernel (not shown in the notebook) and return stdout.

        Used only to read geometry (where the contour axes are) -- never to drive widgets."""
        res = self.page.evaluate(
            """async (code) => {
                const k = window.__lvPanel.sessionContext.session.kernel;
                const fut = k.requestExecute({code, silent: false, store_history: false,
                                              allow_stdin: false}, true);
                let out = '', err = null;
                fut.onIOPub = (msg) => {
                    const t = msg.header.msg_type;
                    if (t === 'stream') out += msg.content.text;
                    if (t === 'error') err = msg.content.ename + ': ' + msg.content.evalue;
                };
                await fut.done;
                return {out, err}; }""", code)
        if res["err"]:
            raise AssertionError(f"kernel code failed: {res['err']}\n{code}")
        return res["out"]

    # ---- DOM
    def text(self, selector: str) -> str:
        return self.page.locator(selector).first.inner_text()

    def wait_text(self, selector: str, predicate_js: str, arg=None, timeout: float = 30):
        """Wait until `predicate_js` (a JS expression of `t`, the element's innerText -- the
        same text as `text()` -- and `arg`) holds for the first match of `selector`."""
        self.page.wait_for_function(
            f"""([sel, arg]) => {{ const e = document.querySelector(sel);
                    if (!e) return false; const t = e.innerText; return ({predicate_js}); }}""",
            arg=[selector, arg], timeout=timeout * 1000)
        return self.text(selector)

    # ---- pixels
    def canvas_pixels(self, selector: str):
        """The plot's exact pixels from the DOM (canvas.toDataURL), not a screenshot: overlays,
        focus rings and scroll position cannot leak in. None while the canvas is blank."""
        from PIL import Image

        url = self.page.locator(selector).first.evaluate("e => e.toDataURL('image/png')")
        assert url.startswith("data:image/png;base64,"), url[:60]
        img = Image.open(BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGBA")
        if img.getchannel("A").getextrema()[1] == 0:     # canvas exists before the first frame
            return None
        return img.convert("RGB")

    @staticmethod
    def changed(a, b) -> int:
        """Number of pixels whose grey-level difference exceeds 16 (-1 if one is missing)."""
        from PIL import ImageChops

        if a is None or b is None:
            return -1
        if a.size != b.size:
            return a.size[0] * a.size[1]
        return sum(ImageChops.difference(a, b).convert("L").histogram()[17:])

    def kernel_busy(self) -> bool:
        return self.page.evaluate(
            """() => { const s = window.__lvPanel.sessionContext.session;
                       return !(s && s.kernel && s.kernel.status === 'idle'); }""")

    def quiesce(self, canvas: str, status: str, timeout: float = 45, quiet: float = 0.8):
        """Wait until the kernel is idle and neither the status text nor the canvas pixels have
        changed for `quiet` seconds (widget messages are sent one after another, so a single
        'idle' can be seen between two of them). Returns (status text, pixels)."""
        deadline = time.monotonic() + timeout
        last = None
        since = time.monotonic()
        while time.monotonic() < deadline:
            cur = (self.kernel_busy(), self.text(status), self.canvas_pixels(canvas))
            now = time.monotonic()
            same = (last is not None and not cur[0] and cur[1] == last[1]
                    and cur[2] is not None and self.changed(cur[2], last[2]) == 0)
            if not same:
                last, since = cur, now
            elif now - since >= quiet:
                return cur[1], cur[2]
            time.sleep(0.15)
        raise AssertionError(f"page never became quiet within {timeout} s "
                             f"(status now {self.text(status)!r})")

    def save_image(self, img, label: str):
        if img is not None:
            img.save(self.artifacts / f"{self.name}-{label}.png")

    def screenshot(self, label: str) -> Path:
        self._n += 1
        path = self.artifacts / f"{self.name}-{self._n:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path
