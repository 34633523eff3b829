// The Explorer's front end (an anywidget module): the η control, the figure, playback and
// the status line, and (behind a toggle) the step table with the runs' summary. Everything that
// moves is drawn here by renderer.js from the arrays the kernel sends; Play, scrub and step
// never ask the kernel — the step table follows them from the same rows. The kernel hears of: η moves
// (coalesced: one request in flight, the newest waiting value next), clicks on the contour,
// the size the figure is shown at, fps, and the step where playback stopped.
import {
  axesTransform, decode, drawScene, el, escapeHtml, formatNumber, frameOfStep, inside, playFrame, statusAt, SUMMARY_HEADINGS,
  summaryRows, TABLE_HEADINGS, tableAt,
} from "./renderer.js";

function render({ model, el: root }) {
  const box = el("div", "lv-front");
  // η
  const lrRow = el("div", "lv-lr-row");
  const lrLabel = el("label", "lv-lr-label", { title: "η — learning rate: scales every run's η (and schedule) by one factor; the scene's own η at ×1" });
  lrLabel.textContent = "η";
  const lr = el("input", "lv-lr", { type: "range", step: "1", title: lrLabel.title, "aria-label": "η, learning rate" });
  const lrOut = el("span", "lv-lr-readout");
  const lrTheory = el("span", "lv-lr-theory");
  lrRow.append(lrLabel, lr, lrOut, lrTheory);
  // the figure
  const holder = el("div", "lv-canvas");
  const canvas = el("canvas", "lv-draw", { title: "click the contour to start every run there" });
  holder.append(canvas);
  // playback
  const bar = el("div", "lv-playback");
  const play = el("button", "lv-play", { title: "Play / pause (in the browser, at the fps set)" });
  const back = el("button", "lv-step-back", { title: "one frame back" });
  const fwd = el("button", "lv-step", { title: "one frame forward" });
  back.textContent = "‹"; fwd.textContent = "›";
  const scrub = el("input", "lv-frame", { type: "range", min: "0", step: "1", title: "t — the step shown; drag to scrub" });
  const readout = el("span", "lv-readout");
  const fpsLabel = el("label", "lv-fps-label", { title: "frames per second of Play and of the exported GIF" });
  const fps = el("input", "lv-fps", { type: "number", min: "1", max: "100", step: "1" });
  fpsLabel.append("fps ", fps);
  bar.append(play, back, fwd, scrub, readout, fpsLabel);
  const status = el("div", "lv-status");
  // the step table: every number of the update at the step shown (collapsed: the kernel sends
  // its columns only while it is open)
  const inspect = el("div", "lv-inspect");
  const toggle = el("button", "lv-inspect-toggle", { title: "every number of the update at the step shown: θ, g, m, σ, η_t, η_t/σ, f — and how each run went", "aria-expanded": "false" });
  const body = el("div", "lv-inspect-body");
  const steps = el("table", "lv-steps");
  const summary = el("table", "lv-summary");
  body.append(steps, summary);
  inspect.append(toggle, body);
  box.append(lrRow, holder, bar, status, inspect);
  root.append(box);
  // keys typed into these controls are theirs: JupyterLab's shortcuts (arrows, space) must not see them
  box.addEventListener("keydown", (e) => e.stopPropagation());

  const ctx = canvas.getContext("2d");
  let image = null; // the background that `layout` describes
  const trail = {}; // drawScene keeps the trails drawn so far here (Play adds only new rows)
  let layout = null, meta = null, data = null;
  let k = 0, playing = false, raf = 0, paints = 0;
  let cssWidth = 0, scaleS = 1;
  let seq = 0, inflight = null, pending = null;

  function load() {
    meta = model.get("meta");
    data = meta && meta.runs ? decode(meta, model.get("data")) : null;
  }

  function frames() { return meta && meta.frames && meta.frames.length ? meta.frames : [0]; }

  function size() {
    // before the first background the kernel's figure size gives the shape
    const shape = layout && layout.width ? [layout.width, layout.height] : meta && meta.figsize;
    if (!shape) return;
    const dpr = window.devicePixelRatio || 1;
    const avail = Math.max(holder.clientWidth || root.clientWidth || 600, 200);
    const aspect = shape[1] / shape[0];
    const maxH = Math.max((window.innerHeight || 800) - 190, 240);
    const w = Math.min(avail, maxH / aspect);
    const h = w * aspect;
    if (Math.abs(w - cssWidth) > 0.5 || canvas.width !== Math.round(w * dpr)) {
      cssWidth = w;
      canvas.style.width = `${w}px`; canvas.style.height = `${h}px`;
      canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    }
    scaleS = layout && layout.width ? canvas.width / layout.width : 1;
    askForPixels(Math.round(w * dpr));
  }

  let sizeTimer = 0, asked = 0;
  function askForPixels(px) {
    // a background with far fewer or more pixels than shown: ask the kernel for a crisp one
    const have = layout ? layout.width : 0;
    if (Math.abs(px - have) / Math.max(have, 1) < 0.08 || Math.abs(px - asked) < 4) return;
    clearTimeout(sizeTimer);
    const send = () => { asked = px; model.send({ type: "size", width: px }); };
    if (!have && !asked) send(); // the first background: at once
    else sizeTimer = setTimeout(send, 250);
  }

  function paint() {
    if (!layout || !meta) { showStatus(); return; }
    const u = window.devicePixelRatio || 1;
    drawScene(ctx, { image, layout, meta, data, k, s: scaleS, u, trail });
    paints += 1;
    canvas.dataset.paints = String(paints);
    canvas.dataset.step = String(k);
    canvas.dataset.version = String(meta.version);
    readout.textContent = `step ${Math.min(k, meta.steps)} / ${meta.steps}`;
    scrub.value = String(k);
    showStatus();
    showTable();
  }

  let open = false, summaryOf = null;
  function setOpen(value) {
    open = value;
    toggle.textContent = open ? "▾ step table" : "▸ step table";
    toggle.setAttribute("aria-expanded", String(open));
    body.hidden = !open;
    if (model.get("inspect") !== open) { model.set("inspect", open); model.save_changes(); }
    showTable();
  }

  const swatch = (color) => `<span class="lv-swatch" style="background:${escapeHtml(color)}"></span>`;
  function showTable() {
    if (!open) return;
    const t = meta && data ? tableAt(meta, data, k) : null;
    if (!t) { steps.innerHTML = `<caption>computing the step table …</caption>`; summary.innerHTML = ""; summaryOf = null; return; }
    const where = t.end ? " (the end: no update left)" : t.stride > 1 ? ` (rows every ${t.stride} steps)` : "";
    const head = `<th>run</th><th></th>${TABLE_HEADINGS.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}<th>η_t</th><th>f</th>`;
    const rows = t.runs.map((r) => r.parameters.map((p, i) =>
      `<tr class="${r.diverged ? "lv-diverged" : ""}${i ? "" : " lv-first"}" title="${escapeHtml(r.note)}">` +
      (i ? "" : `<td class="lv-run-cell" rowspan="2">${swatch(r.color)}${escapeHtml(r.label)}</td>`) +
      `<td class="lv-param">${p.name}</td>${p.text.map((v) => `<td>${escapeHtml(v)}</td>`).join("")}` +
      (i ? "" : `<td rowspan="2">${escapeHtml(r.lrText)}</td><td rowspan="2">${escapeHtml(r.fText)}</td>`) + "</tr>").join(""));
    steps.dataset.step = String(t.step);
    steps.innerHTML = `<caption>step ${t.step} / ${t.steps}${where} · θ ← θ − (η_t/σ)·m</caption><thead><tr>${head}</tr></thead><tbody>${rows.join("")}</tbody>`;
    if (summaryOf === meta) return; // the summary changes with the data, not with the step
    summaryOf = meta;
    const s = summaryRows(meta);
    summary.innerHTML = !s ? "" : `<caption>${escapeHtml(s.caption)}</caption><thead><tr><th>run</th>${SUMMARY_HEADINGS.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>` +
      s.rows.map((r) => `<tr class="${r.diverged ? "lv-diverged" : ""}"><td class="lv-run-cell">${swatch(r.color)}${escapeHtml(r.label)}</td>${r.cells.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("") + "</tbody>";
  }

  function showStatus() {
    if (!meta || !data) return;
    const parts = statusAt(meta, data, k).map((p) =>
      `<span class="lv-run${p.diverged ? " lv-diverged" : ""}"><span class="lv-swatch" style="background:${escapeHtml(p.color)}"></span>${escapeHtml(p.label)}: ${escapeHtml(p.text)}</span>`);
    const f = meta.lr ? meta.lr.factor : 1;
    const start = meta.start ? `start (${formatNumber(meta.start[0])}, ${formatNumber(meta.start[1])})` : "";
    const head = `<span class="lv-head">step ${Math.min(k, meta.steps)} / ${meta.steps} · ${start}${f !== 1 ? ` · every η ×${formatNumber(f)}` : ""}</span>`;
    const msg = model.get("message");
    const busy = model.get("busy") ? `<span class="lv-busy">computing …</span>` : "";
    status.innerHTML = `${head} ${busy}<br>${parts.join(" ")}${msg ? `<br><span class="lv-message">${msg}</span>` : ""}`;
  }

  function setLrControl() {
    const m = meta && meta.lr;
    if (!m) return;
    lr.min = String(m.min); lr.max = String(m.max);
    if (inflight === null && pending === null) lr.value = String(m.index);
    const eta = m.ref * Math.pow(10, Number(lr.value) * m.step);
    const f = Math.pow(10, Number(lr.value) * m.step);
    lrOut.textContent = `${formatNumber(Number(lr.value) === 0 ? m.ref : eta)}` + (m.runs > 1 ? `  (every run ×${formatNumber(Number(lr.value) === 0 ? 1 : f)})` : "");
    if (m.theory) { // the quadratic model's fixed-step theory, next to η
      lrTheory.textContent = `GD stable for η < 2/λmax = ${formatNumber(m.theory.limit)} · best fixed η = ${formatNumber(m.theory.optimal)}`;
      lrTheory.title = (m.theory.exact ? "the quadratic's" : "the quadratic model at the minimum:") +
        " gradient descent settles only for η < 2/λ_max; 2/(λ_min + λ_max) is the fastest fixed step";
    } else lrTheory.textContent = "";
  }

  function sendLr(index) {
    seq += 1;
    inflight = { index, seq, at: performance.now() };
    model.send({ type: "lr", index, seq });
  }

  function onLrInput() {
    const index = Number(lr.value);
    if (inflight) pending = index; // the newest value waits for the answer in flight
    else if (!(meta && meta.lr && index === meta.lr.index)) sendLr(index);
    setLrControl(); // after sendLr: with a request in flight it keeps the position moved to
  }

  function onData() {
    const oldSteps = meta ? meta.steps : 0;
    const atEnd = !meta || k >= oldSteps;
    load();
    if (!meta || !meta.runs) return;
    if (atEnd) k = meta.steps; else k = Math.min(k, meta.steps);
    scrub.max = String(meta.steps);
    if (document.activeElement !== fps) fps.value = String(meta.fps);
    const answered = meta.lr && meta.lr.seq;
    if (inflight && answered >= inflight.seq) {
      inflight = null;
      if (pending !== null && pending !== meta.lr.index) { const p = pending; pending = null; sendLr(p); }
      else pending = null;
    }
    setLrControl();
    size();
    paint();
  }

  function onBackground() {
    const bytes = model.get("background");
    const lay = model.get("geometry");
    if (!bytes || !lay || !lay.width) return;
    const blob = new Blob([bytes.buffer ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes], { type: "image/png" });
    const url = URL.createObjectURL(blob);
    const next = new Image();
    next.onload = () => { // the new image and its layout take over together
      image = next; layout = lay; size(); paint(); URL.revokeObjectURL(url);
      canvas.dataset.background = String(lay.version);
    };
    next.src = url;
  }

  // ---------------------------------------------------------------- playback
  function stop(sync = true) {
    playing = false;
    cancelAnimationFrame(raf);
    play.textContent = "▶"; play.classList.remove("lv-playing");
    if (sync) syncStep();
  }

  function syncStep() {
    model.set("step", k);
    model.save_changes();
  }

  function start() {
    const fr = frames();
    let from = frameOfStep(fr, k);
    if (from >= fr.length - 1) { from = 0; k = fr[0]; }
    playing = true;
    play.textContent = "❚❚"; play.classList.add("lv-playing");
    const t0 = performance.now();
    let shown = -1;
    const tick = (now) => {
      if (!playing) return;
      const rate = Math.max(1, Number(meta.fps) || 20);
      const f = playFrame(from, now - t0, rate, frames().length);
      if (f !== shown) { shown = f; k = frames()[f]; paint(); }
      if (f >= frames().length - 1) { stop(); return; }
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
  }

  function stepFrame(delta) {
    stop(false);
    const fr = frames();
    let i = frameOfStep(fr, k);
    if (delta < 0 && fr[i] === k) i -= 1; else if (delta < 0) i = i; else i += 1;
    k = fr[Math.min(Math.max(i, 0), fr.length - 1)];
    paint();
    syncStep();
  }

  play.textContent = "▶";
  toggle.addEventListener("click", () => setOpen(!open));
  play.addEventListener("click", () => (playing ? stop() : start()));
  back.addEventListener("click", () => stepFrame(-1));
  fwd.addEventListener("click", () => stepFrame(+1));
  scrub.addEventListener("input", () => { stop(false); k = Number(scrub.value); paint(); });
  scrub.addEventListener("change", () => syncStep());
  fps.addEventListener("change", () => {
    const v = Math.round(Number(fps.value));
    if (!(v >= 1 && v <= 100)) { fps.value = String(meta ? meta.fps : 20); return; }
    model.send({ type: "fps", fps: v });
  });
  lr.addEventListener("input", onLrInput);
  lr.addEventListener("change", onLrInput);
  canvas.addEventListener("click", (ev) => {
    if (!layout || !layout.axes.surface) return;
    const rect = canvas.getBoundingClientRect();
    const px = ((ev.clientX - rect.left) / rect.width) * canvas.width;
    const py = ((ev.clientY - rect.top) / rect.height) * canvas.height;
    const t = axesTransform(layout.axes.surface, scaleS);
    if (!inside(t.box, px, py)) return;
    const [x0, x1] = layout.axes.surface.xlim, [y0, y1] = layout.axes.surface.ylim;
    // to 1/10,000 of the visible span (a pixel is ~1/500 of it)
    const round = (v, span) => { const d = Math.max(0, 4 - Math.floor(Math.log10(Math.abs(span)))); return Number(v.toFixed(Math.min(d, 12))); };
    model.send({ type: "start", x: round(t.invX(px), x1 - x0), y: round(t.invY(py), y1 - y0) });
  });

  model.on("change:data", onData);
  model.on("change:meta", onData);
  model.on("change:background", onBackground);
  model.on("change:message", showStatus);
  model.on("change:busy", showStatus);
  const observer = new ResizeObserver(() => { size(); paint(); });
  observer.observe(holder);
  window.addEventListener("resize", size);

  load();
  if (meta && meta.runs) { k = meta.steps; scrub.max = String(meta.steps); fps.value = String(meta.fps); }
  setOpen(Boolean(model.get("inspect")));
  setLrControl();
  onBackground();
  size();
  paint();
  return () => { stop(false); observer.disconnect(); window.removeEventListener("resize", size); };
}

export default { render };
