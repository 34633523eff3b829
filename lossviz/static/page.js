// A standalone page's glue: the η control over the precomputed grid, the figure (drawn by
// renderer.js), playback and the status line. No kernel and no network: every array is in
// the page (see lossviz/page.py for how they are packed).
//
// `?embed` drops the text around the figure (for an <iframe> in slides); `?embed&fit=width`
// sizes the figure by the frame's width alone and tells the parent page its height.
import { drawScene, el, escapeHtml, formatNumber, frameOfStep, playFrame, scaleInverse, statusAt } from "./renderer.js";

const NAN16 = 65535;

function bytesOf(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// deflated byte planes → the integers they hold (width: bytes per value)
async function unplane(b64, width) {
  const stream = new Blob([bytesOf(b64)]).stream().pipeThrough(new DecompressionStream("deflate"));
  const planes = new Uint8Array(await new Response(stream).arrayBuffer());
  const n = planes.length / width;
  const bytes = new Uint8Array(planes.length);
  for (let j = 0; j < width; j++) for (let i = 0; i < n; i++) bytes[i * width + j] = planes[j * n + i];
  return width === 4 ? new Int32Array(bytes.buffer) : new Uint16Array(bytes.buffer);
}

// per η value and run: where its θ differences and its 16-bit panel codes start in the streams
function offsets(cells, nq) {
  let xy = 0, q = 0;
  return cells.map((row) => row.map((cell) => {
    const at = { xy, q };
    xy += 2 * cell.n; q += nq * cell.n;
    return at;
  }));
}

// the float32 rows renderer.js draws, for grid position g
function rowsAt(scene, streams, at, g) {
  const { meta, cells, qcolumns, layout } = scene;
  const ncol = meta.columns.length, rows = meta.rows;
  const data = new Float32Array(meta.runs.length * rows * ncol).fill(NaN);
  const bits = new Int32Array(1), f32 = new Float32Array(bits.buffer);
  const inverse = scene.qpanels.map((panel) => scaleInverse(panel && layout.axes[panel] ? layout.axes[panel].yscale : null));
  meta.runs.forEach((run, r) => {
    const cell = cells[g][r], { xy, q } = at[g][r], base = run.offset;
    for (let col = 0; col < 2; col++) { // θ: int32 differences of the float32 bit patterns
      let acc = 0;
      for (let i = 0; i < cell.n; i++) {
        acc = (acc + streams.xy[xy + col * cell.n + i]) | 0;
        bits[0] = acc; data[base + i * ncol + col] = f32[0];
      }
    }
    qcolumns.forEach((c, j) => { // panels: 16-bit codes on the axis's scale, as differences
      const [lo, hi] = cell.q[j], inv = inverse[j];
      let acc = 0;
      for (let i = 0; i < cell.n; i++) {
        acc = (acc + streams.panels[q + j * cell.n + i]) & 0xffff;
        data[base + i * ncol + c] = acc === NAN16 ? NaN : inv(lo + ((hi - lo) * acc) / (NAN16 - 1));
      }
    });
    for (const [j, c] of Object.entries(scene.same)) { // a column stored once for two
      for (let i = 0; i < cell.n; i++) data[base + i * ncol + Number(j)] = data[base + i * ncol + c];
    }
  });
  return data;
}

async function mount(root) {
  const scene = JSON.parse(root.querySelector(".lv-scene-data").textContent);
  const params = new URLSearchParams(location.search);
  const embed = params.has("embed"), fitWidth = params.get("fit") === "width";
  if (embed) document.documentElement.classList.add("lv-embed");
  const { meta, layout, grid } = scene;
  const figure = root.querySelector(".lv-figure");

  // η
  const lrRow = el("div", "lv-lr-row");
  const lrLabel = el("label", "lv-lr-label", { title: "η — learning rate: scales every run's η (and schedule) by one factor; the scene's own η at ×1" });
  lrLabel.textContent = "η";
  const lr = el("input", "lv-lr", { type: "range", min: "0", max: String(grid.indices.length - 1), step: "1", value: String(grid.base),
                                    title: lrLabel.title, "aria-label": "η, learning rate" });
  const lrOut = el("span", "lv-lr-readout");
  const starts = grid.starts || [meta.start];
  const startMenu = el("select", "lv-start", { title: "θ⁰ — where the runs start (the first: the scene's own)", "aria-label": "start" });
  starts.forEach(([x, y], i) => { const o = el("option", "", { value: String(i) }); o.textContent = `start (${formatNumber(x)}, ${formatNumber(y)})`; startMenu.append(o); });
  const typed = el("input", "lv-lr-value", { type: "text", inputmode: "decimal", size: "8", placeholder: "type η",
                                             title: `type an η (of the first run, ${meta.runs[0].label}); the page shows the nearest computed one`,
                                             "aria-label": "type η" });
  const reset = el("button", "lv-lr-reset", { title: "back to the scene's own η" });
  reset.textContent = "×1";
  lrRow.append(lrLabel, lr, lrOut, typed, reset);
  if (starts.length > 1) lrRow.append(startMenu);
  const holder = el("div", "lv-canvas");
  const canvas = el("canvas", "lv-draw");
  holder.append(canvas);
  const bar = el("div", "lv-playback");
  const play = el("button", "lv-play", { title: "Play / pause (space)" });
  const back = el("button", "lv-step-back", { title: "one frame back (←)" });
  const fwd = el("button", "lv-step", { title: "one frame forward (→)" });
  back.textContent = "‹"; fwd.textContent = "›"; play.textContent = "▶";
  const scrub = el("input", "lv-frame", { type: "range", min: "0", max: String(meta.steps), step: "1", title: "t — the step shown; drag to scrub" });
  const readout = el("span", "lv-readout");
  bar.append(play, back, fwd, scrub, readout);
  const status = el("div", "lv-status");
  const message = el("div", "lv-message");
  figure.append(lrRow, holder, bar, status, message);

  const streams = { xy: await unplane(scene.streams.xy, 4), panels: await unplane(scene.streams.panels, 2) };
  const at = offsets(scene.cells, scene.qcolumns.length);
  const cache = new Map();
  const image = new Image();
  await new Promise((ok, fail) => { image.onload = ok; image.onerror = () => fail(new Error("background image did not load")); image.src = scene.image; });

  // the panels drawn with each band's limits, over the scene's own image (one composed canvas per band)
  const crops = {};
  await Promise.all(Object.entries(scene.bands || {}).map(([b, band]) => new Promise((ok, fail) => {
    const im = new Image(); im.onload = () => { crops[b] = im; ok(); }; im.onerror = () => fail(new Error(`panel image ${b} did not load`)); im.src = band.src;
  })));
  const composed = new Map();
  function backgroundOf(b) {
    if (!scene.bands || !scene.bands[b]) return { image, layout };
    if (!composed.has(b)) {
      const band = scene.bands[b], c = document.createElement("canvas");
      c.width = image.naturalWidth; c.height = image.naturalHeight;
      const cx = c.getContext("2d");
      cx.drawImage(image, 0, 0); cx.drawImage(crops[b], band.x, 0);
      const axes = { ...layout.axes };
      for (const [p, ylim] of Object.entries(band.ylim)) axes[p] = { ...axes[p], ylim };
      composed.set(b, { image: c, layout: { ...layout, axes } });
    }
    return composed.get(b);
  }
  let background = { image, layout };

  const ctx = canvas.getContext("2d");
  const G = grid.indices.length;
  let st = 0; // which start (cells are start-major: cell st·G + g)
  let g = grid.base, k = meta.steps, playing = false, raf = 0, paints = 0, s = 1, data = null, shownMeta = meta;
  const frames = meta.frames && meta.frames.length ? meta.frames : [0];

  function select(index) {
    g = Math.min(Math.max(index, 0), G - 1);
    const cell = st * G + g;
    if (!cache.has(cell)) cache.set(cell, rowsAt(scene, streams, at, cell));
    data = cache.get(cell);
    background = backgroundOf(scene.band_of ? scene.band_of[g] : 0);
    const f = grid.factors[g];
    // a label that names the scene's η would be wrong now: it says the η the run has
    shownMeta = { ...meta, runs: meta.runs.map((run, r) => ({ ...run,
      label: g === grid.base ? run.label : `${run.label} → η ${formatNumber(run.eta * f)}`, diverged_at: scene.cells[cell][r].diverged_at })),
      start: starts[st] };
    lr.value = String(g);
    if (meta.runs.length === 1) lrOut.textContent = `η = ${formatNumber(grid.ref * f)}` + (g === grid.base ? " (the scene's)" : ` (×${formatNumber(f)})`);
    else lrOut.textContent = g === grid.base ? "×1: every run at the scene's η" : `every run's η ×${formatNumber(f)}`;
    root.dataset.index = String(grid.indices[g]);
    startMenu.value = String(st);
  }

  function size() {
    const dpr = window.devicePixelRatio || 1;
    const aspect = layout.height / layout.width;
    const avail = Math.max(holder.clientWidth || 320, 200);
    const chrome = lrRow.offsetHeight + bar.offsetHeight + status.offsetHeight + message.offsetHeight + 24;
    const maxH = fitWidth ? Infinity : Math.max(window.innerHeight - chrome - (embed ? 0 : 40), 160);
    const w = Math.min(avail, maxH / aspect), h = w * aspect;
    canvas.style.width = `${w}px`; canvas.style.height = `${h}px`;
    const pw = Math.round(w * dpr), ph = Math.round(h * dpr);
    if (canvas.width !== pw || canvas.height !== ph) { canvas.width = pw; canvas.height = ph; }
    s = canvas.width / layout.width;
    if (fitWidth && window.parent !== window) window.parent.postMessage({ lossviz: "height", height: document.documentElement.scrollHeight }, "*");
  }

  const trail = {}; // drawScene keeps the trails drawn so far here (Play adds only new rows)
  function paint() {
    const u = window.devicePixelRatio || 1;
    ctx.imageSmoothingQuality = "high";
    drawScene(ctx, { image: background.image, layout: background.layout, meta: shownMeta, data, k, s, u, trail });
    paints += 1;
    canvas.dataset.paints = String(paints);
    canvas.dataset.step = String(k);
    readout.textContent = `step ${Math.min(k, meta.steps)} / ${meta.steps}`;
    scrub.value = String(k);
    const parts = statusAt(shownMeta, data, k).map((p) =>
      `<span class="lv-run${p.diverged ? " lv-diverged" : ""}"><span class="lv-swatch" style="background:${escapeHtml(p.color)}"></span>${escapeHtml(p.label)}: ${escapeHtml(p.text)}</span>`);
    const f = grid.factors[g];
    status.innerHTML = `<span class="lv-head">step ${Math.min(k, meta.steps)} / ${meta.steps} · start (${formatNumber(shownMeta.start[0])}, ${formatNumber(shownMeta.start[1])})` +
      `${f !== 1 ? ` · every η ×${formatNumber(f)}` : ""}</span><br>${parts.join(" ")}`;
  }

  function say(text) { message.textContent = text; }

  // ---------------------------------------------------------------- playback
  function stop() { playing = false; cancelAnimationFrame(raf); play.textContent = "▶"; play.classList.remove("lv-playing"); }
  function start() {
    let from = frameOfStep(frames, k);
    if (from >= frames.length - 1) { from = 0; k = frames[0]; }
    playing = true; play.textContent = "❚❚"; play.classList.add("lv-playing");
    const t0 = performance.now();
    let shown = -1;
    const tick = (now) => {
      if (!playing) return;
      const f = playFrame(from, now - t0, Math.max(1, Number(meta.fps) || 20), frames.length);
      if (f !== shown) { shown = f; k = frames[f]; paint(); }
      if (f >= frames.length - 1) { stop(); return; }
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
  }
  function stepFrame(delta) {
    stop();
    let i = frameOfStep(frames, k);
    if (delta > 0) i += 1; else if (frames[i] === k) i -= 1;
    k = frames[Math.min(Math.max(i, 0), frames.length - 1)];
    paint();
  }

  function nearest(eta) { // the grid position whose first-run η is closest on a log scale
    let best = 0;
    grid.factors.forEach((f, i) => { if (Math.abs(Math.log(grid.ref * f / eta)) < Math.abs(Math.log(grid.ref * grid.factors[best] / eta))) best = i; });
    return best;
  }

  play.addEventListener("click", () => (playing ? stop() : start()));
  back.addEventListener("click", () => stepFrame(-1));
  fwd.addEventListener("click", () => stepFrame(+1));
  scrub.addEventListener("input", () => { stop(); k = Number(scrub.value); paint(); });
  lr.addEventListener("input", () => { select(Number(lr.value)); say(""); paint(); });
  reset.addEventListener("click", () => { select(grid.base); say(""); paint(); });
  startMenu.addEventListener("change", () => { st = Number(startMenu.value); select(g); paint(); });
  typed.addEventListener("change", () => {
    const eta = Number(typed.value);
    if (!(eta > 0 && Number.isFinite(eta))) { say(`η must be a number > 0, got “${typed.value}”`); return; }
    const i = nearest(eta), shown = grid.ref * grid.factors[i];
    const lo = grid.ref * grid.factors[0], hi = grid.ref * grid.factors[grid.factors.length - 1];
    select(i); paint();
    if (eta < lo * 0.999 || eta > hi * 1.001) say(`η = ${formatNumber(eta)} lies outside the computed range ${formatNumber(lo)} … ${formatNumber(hi)}: showing the nearest, η = ${formatNumber(shown)}`);
    else if (Math.abs(Math.log(shown / eta)) > 1e-6) say(`η = ${formatNumber(eta)} is between computed values: showing the nearest, η = ${formatNumber(shown)}`);
    else say("");
  });
  document.addEventListener("keydown", (e) => {
    if (e.target instanceof HTMLInputElement && e.target.type === "text") return;
    if (e.key === " " && !(e.target instanceof HTMLButtonElement)) { e.preventDefault(); playing ? stop() : start(); }
    else if ((e.key === "ArrowRight" || e.key === "ArrowLeft") && !(e.target instanceof HTMLInputElement)) { e.preventDefault(); stepFrame(e.key === "ArrowRight" ? 1 : -1); }
  });
  new ResizeObserver(() => { size(); paint(); }).observe(holder);
  window.addEventListener("resize", () => { size(); paint(); });
  // devicePixelRatio changes with browser zoom and when the window moves to another screen
  const watchDpr = () => matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`).addEventListener("change", () => { size(); paint(); watchDpr(); }, { once: true });
  watchDpr();

  // for tests and curious students: what is drawn now
  window.lossviz = {
    get index() { return grid.indices[g]; }, get band() { return scene.band_of ? scene.band_of[g] : 0; }, get layout() { return background.layout; }, get start() { return st; }, setStart: (i) => { st = i; select(g); paint(); }, get factor() { return grid.factors[g]; }, get eta() { return grid.ref * grid.factors[g]; },
    get step() { return k; }, get playing() { return playing; }, get meta() { return shownMeta; }, get data() { return data; },
    grid, select: (i) => { select(i); paint(); },
  };
  select(grid.base);
  size();
  paint();
  root.dataset.ready = "1";
}

for (const root of document.querySelectorAll(".lv-page")) {
  mount(root).catch((error) => {
    root.dataset.error = String(error);
    const figure = root.querySelector(".lv-figure");
    if (figure) figure.textContent = `This page could not draw its figure: ${error.message || error}`;
    throw error;
  });
}
