// lossviz renderer: draws a scene's moving parts over a static image matplotlib made.
//
// It knows nothing of kernels or widgets: data in, pixels out. Inputs:
//   layout  {width, height, axes: {name: {box: [x0, y0, x1, y1] (image pixels, y down),
//            xlim, ylim, xscale, yscale: {name: "linear" | "log" | "symlog", base, linthresh, linscale}}}}
//   meta    {steps T, stride, rows, columns, runs: [{label, color, dash, width, alpha, diverged_at,
//            exit ("diverged" | "escaped" | ""), exit_at, offset}], look (marks' colours, sizes),
//            panels: [{name, curves: [{column, dashed}]}], frames (the step of each frame), start,
//            minima, saddles, inspect (only with the step table open: {columns: {name: index}, summary})}
//   data    Float32Array: per run `rows` × columns (θ₁, θ₂, f, then the panels' curves)
// and a step k. The same functions serve the Explorer widget and a standalone page.

export const COLUMN = { x: 0, y: 1, loss: 2 }; // every run's block starts so

// ------------------------------------------------------------------ transforms

// value -> position on the axis's own scale (matplotlib's forward transforms)
export function scaleForward(scale) {
  const name = (scale && scale.name) || "linear";
  if (name === "log") {
    const lb = Math.log(scale.base || 10);
    return (v) => (v > 0 ? Math.log(v) / lb : NaN);
  }
  if (name === "symlog") {
    const base = scale.base || 10, thresh = scale.linthresh, lin = (scale.linscale || 1) / (1 - 1 / base);
    const lb = Math.log(base);
    return (v) => {
      const a = Math.abs(v);
      if (a <= thresh) return v * lin;
      return Math.sign(v) * thresh * (lin - Math.log(thresh) / lb + Math.log(a) / lb);
    };
  }
  return (v) => v;
}

export function scaleInverse(scale) {
  const name = (scale && scale.name) || "linear";
  if (name === "log") {
    const base = scale.base || 10;
    return (t) => Math.pow(base, t);
  }
  if (name === "symlog") {
    const base = scale.base || 10, thresh = scale.linthresh, lin = (scale.linscale || 1) / (1 - 1 / base);
    const lb = Math.log(base), edge = thresh * lin;
    return (t) => {
      const a = Math.abs(t);
      if (a <= edge) return t / lin;
      return Math.sign(t) * Math.exp((a / thresh - lin + Math.log(thresh) / lb) * lb);
    };
  }
  return (t) => t;
}

// data -> image pixels for one axes (y grows downwards); `s` multiplies image pixels
export function axesTransform(ax, s = 1) {
  const [x0, y0, x1, y1] = ax.box;
  const fx = scaleForward(ax.xscale), fy = scaleForward(ax.yscale);
  const ax0 = fx(ax.xlim[0]), ax1 = fx(ax.xlim[1]), ay0 = fy(ax.ylim[0]), ay1 = fy(ax.ylim[1]);
  const kx = (x1 - x0) / (ax1 - ax0), ky = (y1 - y0) / (ay1 - ay0);
  const ix = scaleInverse(ax.xscale), iy = scaleInverse(ax.yscale);
  return {
    x: (v) => s * (x0 + (fx(v) - ax0) * kx),
    y: (v) => s * (y1 - (fy(v) - ay0) * ky),
    invX: (px) => ix(ax0 + (px / s - x0) / kx),
    invY: (py) => iy(ay0 + (y1 - py / s) / ky),
    box: [s * x0, s * y0, s * x1, s * y1],
  };
}

export function inside(box, px, py) {
  return px >= box[0] && px <= box[2] && py >= box[1] && py <= box[3];
}

// ------------------------------------------------------------------ steps, frames, rows

// the index of the last frame whose step is <= step (0 before the first)
export function frameOfStep(frames, step) {
  let lo = 0, hi = frames.length - 1;
  if (!(step >= frames[0])) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (frames[mid] <= step) lo = mid; else hi = mid - 1;
  }
  return lo;
}

// the data row that holds step k (rows are steps 0, s, 2s, ... and the last step T)
export function rowOfStep(meta, k) {
  const T = meta.steps;
  if (k >= T) return meta.rows - 1;
  return Math.min(Math.floor(Math.max(k, 0) / meta.stride), meta.rows - 1);
}

export function stepOfRow(meta, row) {
  return Math.min(row * meta.stride, meta.steps);
}

// the frame Play shows `elapsedMs` after starting at frame `from`
export function playFrame(from, elapsedMs, fps, count) {
  return Math.min(from + Math.floor((elapsedMs * fps) / 1000), count - 1);
}

export function decode(meta, bytes) {
  // bytes: a DataView / ArrayBuffer / typed array of float32 values
  if (bytes instanceof Float32Array) return bytes;
  const buffer = bytes.buffer || bytes;
  const offset = bytes.byteOffset || 0;
  const n = Math.floor((bytes.byteLength) / 4);
  if (offset % 4 === 0) return new Float32Array(buffer, offset, n);
  return new Float32Array(buffer.slice(offset, offset + 4 * n));
}

export function value(meta, data, run, row, column) {
  return data[run.offset + row * meta.columns.length + column];
}

// the last row <= row whose point is finite (a diverged run's head and mark sit there)
export function lastFinite(meta, data, run, row) {
  for (let r = row; r >= 0; r--) {
    const x = value(meta, data, run, r, COLUMN.x), y = value(meta, data, run, r, COLUMN.y);
    if (Number.isFinite(x) && Number.isFinite(y)) return r;
  }
  return -1;
}

export function isDiverged(run, k) {
  const kind = run.exit === undefined ? (run.diverged_at >= 0 ? "diverged" : "") : run.exit;
  const at = run.exit === undefined ? run.diverged_at : run.exit_at;
  return kind === "diverged" && k >= at;
}

// a run that left the window going downhill (off a saddle): not a divergence
export function hasEscaped(run, k) {
  return run.exit === "escaped" && k >= run.exit_at;
}

// per run what the status line says at step k
export function statusAt(meta, data, k) {
  const row = rowOfStep(meta, k);
  return meta.runs.map((run) => {
    if (isDiverged(run, k)) {
      const at = run.exit === undefined ? run.diverged_at : run.exit_at;
      return { label: run.label, color: run.color, text: `diverged at step ${at}`, diverged: true };
    }
    const f = value(meta, data, run, row, COLUMN.loss);
    const text = Number.isFinite(f) || !hasEscaped(run, k) ? `f = ${formatNumber(f)}` : "";
    const left = hasEscaped(run, k) ? `${text ? ", " : ""}left the window at step ${run.exit_at}` : "";
    return { label: run.label, color: run.color, text: text + left, diverged: false };
  });
}

export function formatNumber(v) {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2).replace("e+", "e");
  return Number(v.toPrecision(3)).toString();
}

// ------------------------------------------------------------------ the step table

// a number as the step table shows it: 4 significant digits, a real minus sign, a power of ten
// beyond 1e5 and below 1e-3; "—" where nothing is defined (NaN, null: after a divergence, or
// m, σ, η/σ at step T, where no update is left)
export function formatCell(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  const text = a >= 1e5 || a < 1e-3 ? v.toExponential(3).replace(/\.?0+e/, "e").replace("e+", "e") : String(Number(v.toPrecision(4)));
  return text.replace(/-/g, "−");
}

// The step table's rows, as `Trajectory.table` and `lossviz table` have them: per run one row
// per parameter (θ₁, θ₂) of the update at step k — θ, g, m, σ, η_t/σ and Δθ = −(η_t/σ)·m —
// with η_t and f once per run. The names are those of the meta.inspect columns.
export const TABLE_HEADINGS = ["θ", "g", "m", "σ", "η_t/σ", "Δθ"];
const PER_PARAMETER = [["x", "g/0", "m/0", "sigma/0", "lr_over_sigma/0"], ["y", "g/1", "m/1", "sigma/1", "lr_over_sigma/1"]];

// The step table at step k: the row of data that holds k (its step: k itself unless a long run
// is sent every stride-th step), per run its numbers and their text. null until the kernel has
// sent the table's columns (meta.inspect: only while the table is open).
export function tableAt(meta, data, k) {
  const c = meta && meta.inspect && meta.inspect.columns;
  if (!c || !data) return null;
  const row = rowOfStep(meta, k), step = stepOfRow(meta, row);
  const index = { x: COLUMN.x, y: COLUMN.y, loss: COLUMN.loss, ...c };
  const at = (run, name) => value(meta, data, run, row, index[name]);
  const runs = meta.runs.map((run) => {
    const parameters = PER_PARAMETER.map((names, i) => {
      const values = names.map((name) => at(run, name));
      values.push(-values[4] * values[2]); // Δθ = −(η_t/σ)·m: the runner's one line
      return { name: i ? "θ₂" : "θ₁", values, text: values.map(formatCell) };
    });
    const diverged = isDiverged(run, step), escaped = !diverged && hasEscaped(run, step);
    const lr = at(run, "lr_t"), f = at(run, "loss");
    const when = run.exit === undefined ? run.diverged_at : run.exit_at;
    const note = diverged ? `diverged at step ${when}` : escaped ? `left the window at step ${run.exit_at}` : "";
    return { label: run.label, color: run.color, parameters, lr, f, lrText: formatCell(lr), fText: diverged ? "diverged" : formatCell(f), diverged, note };
  });
  return { step, steps: meta.steps, stride: meta.stride, end: step >= meta.steps, runs };
}

export const SUMMARY_HEADINGS = ["final f", "best f @ step", "f − f* ≤ tol at", "stays within from", "diverged at", "left window at"];

// the session's summary (meta.inspect.summary) as text cells, one row per run; null without it
export function summaryRows(meta) {
  const s = meta && meta.inspect && meta.inspect.summary;
  if (!s) return null;
  const at = (v) => (v === null || v === undefined || v < 0 ? "—" : String(v));
  const rows = s.rows.map((r, i) => ({
    label: r.run, color: meta.runs[i] ? meta.runs[i].color : "", diverged: r.diverged_at >= 0,
    cells: [r.final_loss === null && r.diverged_at >= 0 ? "diverged" : formatCell(r.final_loss), `${formatCell(r.best_loss)} @ ${at(r.best_step)}`,
      s.f_star === null ? "no f*" : at(r.tol_step), s.f_star === null ? "no f*" : at(r.stay_step), at(r.diverged_at), at(r.escaped_at)],
  }));
  return { caption: s.text, rows };
}

// ------------------------------------------------------------------ page elements (widget and standalone page)

export function el(tag, cls, attrs = {}) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// ------------------------------------------------------------------ drawing

// one polyline through rows 0 … lastRow; X(r), Y(r) give pixels; NaN rows lift the pen. A point
// within half a pixel of the last one drawn adds nothing visible and is skipped (a long run
// that has settled would otherwise cost thousands of segments a frame).
function polyline(ctx, X, Y, lastRow, firstRow = 0) {
  ctx.beginPath();
  let pen = false, lx = 0, ly = 0;
  for (let r = firstRow; r <= lastRow; r++) {
    const px = X(r), py = Y(r);
    if (!Number.isFinite(px) || !Number.isFinite(py)) { pen = false; continue; }
    if (!pen) { ctx.moveTo(px, py); pen = true; lx = px; ly = py; continue; }
    if (Math.abs(px - lx) < 0.5 && Math.abs(py - ly) < 0.5 && r < lastRow) continue;
    ctx.lineTo(px, py); lx = px; ly = py;
  }
  ctx.stroke();
}

// a curve over the steps (x grows with the row): per pixel column only its first, lowest,
// highest and last point — the same pixels as every point, at a few segments per column,
// however many steps share a column (a sign that flips every step stays a filled band)
export function columnPoints(X, Y, lastRow, firstRow = 0) {
  const out = [];
  let col = null, first = null, lo = null, hi = null, last = null;
  const flush = () => {
    if (col === null) return;
    out.push(first);
    if (lo[1] !== first[1] && lo !== last) out.push(lo);
    if (hi[1] !== first[1] && hi !== last) out.push(hi);
    if (last !== first) out.push(last);
  };
  for (let r = firstRow; r <= lastRow; r++) {
    const px = X(r), py = Y(r);
    if (!Number.isFinite(px) || !Number.isFinite(py)) { flush(); col = null; out.push(null); continue; }
    const c = Math.floor(px), p = [px, py];
    if (c !== col) { flush(); col = c; first = lo = hi = last = p; continue; }
    if (py < lo[1]) lo = p;
    if (py > hi[1]) hi = p;
    last = p;
  }
  flush();
  return out;
}

function columnLine(ctx, X, Y, lastRow, firstRow = 0) {
  ctx.beginPath();
  let pen = false;
  for (const p of columnPoints(X, Y, lastRow, firstRow)) {
    if (p === null) { pen = false; continue; }
    if (pen) ctx.lineTo(p[0], p[1]); else { ctx.moveTo(p[0], p[1]); pen = true; }
  }
  ctx.stroke();
}

function star(ctx, x, y, r) {
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + (i * Math.PI) / 5, rr = i % 2 ? r * 0.45 : r;
    ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
  }
  ctx.closePath();
}

function diamond(ctx, x, y, r) {
  ctx.beginPath();
  ctx.moveTo(x, y - r); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r); ctx.lineTo(x - r, y); ctx.closePath();
}

function filledX(ctx, x, y, r) { // matplotlib's "X": a plus sign with thick arms, turned 45°
  const w = r * 0.34, c = Math.SQRT1_2;
  const plus = [[w, w], [w, r], [-w, r], [-w, w], [-r, w], [-r, -w], [-w, -w], [-w, -r], [w, -r], [w, -w], [r, -w], [r, w]];
  ctx.beginPath();
  for (const [a, b] of plus) ctx.lineTo(x + c * (a - b), y + c * (a + b));
  ctx.closePath();
}

function triangleRight(ctx, x, y, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y); ctx.lineTo(x - r * 0.6, y - r * 0.8); ctx.lineTo(x - r * 0.6, y + r * 0.8); ctx.closePath();
}

const DEFAULT_LOOK = {
  minimum: { fill: "#f0e442", edge: "black", size: 26, edge_width: 1.6 },
  saddle: { fill: "white", edge: "black", size: 15, edge_width: 2.7 },
  diverged: { fill: "#d55e00", edge: "white", size: 21, edge_width: 1.6 },
  escaped: { fill: "#555555", edge: "white", size: 17, edge_width: 1.3 },
  px_per_pt: 4 / 3,
};

function mark(ctx, shape, x, y, look, u) {
  const r = (look.size / 2) * u;
  shape(ctx, x, y, r);
  ctx.fillStyle = look.fill; ctx.fill();
  ctx.strokeStyle = look.edge; ctx.lineWidth = look.edge_width * u; ctx.setLineDash([]); ctx.stroke();
}

// save the context and draw only inside an axes' box until the matching restore()
function clipTo(ctx, [x0, y0, x1, y1]) {
  ctx.save();
  ctx.beginPath(); ctx.rect(x0, y0, x1 - x0, y1 - y0); ctx.clip();
}

// The trails: every run's path and side-panel curves through rows from … to (what Play only
// ever extends; the rest of a frame is drawn over them).
function drawTrails(ctx, { layout, meta, data, s, u }, from, to) {
  const look = meta.look || DEFAULT_LOOK;
  const surf = layout.axes.surface;
  if (surf) {
    const t = axesTransform(surf, s);
    clipTo(ctx, t.box);
    ctx.lineJoin = "round"; ctx.lineCap = "round";
    for (const run of meta.runs) {
      const lw = (run.width || 2) * look.px_per_pt * u;
      ctx.strokeStyle = run.color; ctx.lineWidth = lw; ctx.globalAlpha = run.alpha || 1;
      ctx.setLineDash(run.dash && run.dash.length ? run.dash.map((d) => d * lw) : []);
      polyline(ctx, (r) => t.x(value(meta, data, run, r, COLUMN.x)), (r) => t.y(value(meta, data, run, r, COLUMN.y)), to, from);
    }
    ctx.restore();
  }
  for (const panel of meta.panels) {
    const ax = layout.axes[panel.name];
    if (!ax) continue;
    const t = axesTransform(ax, s);
    clipTo(ctx, t.box);
    ctx.lineJoin = "round";
    for (const run of meta.runs) {
      for (const { column, dashed } of panel.curves) {
        ctx.strokeStyle = run.color; ctx.lineWidth = 1.6 * u; ctx.setLineDash(dashed ? [5 * u, 3 * u] : []);
        // a curve of the steps taken (η/σ, η_t) is NaN in the row of step T
        columnLine(ctx, (r) => t.x(stepOfRow(meta, r)), (r) => t.y(value(meta, data, run, r, column)), to, from);
      }
    }
    ctx.restore();
  }
}

function blankCanvas(w, h) {
  if (typeof OffscreenCanvas !== "undefined") return new OffscreenCanvas(w, h);
  const c = document.createElement("canvas");
  c.width = w; c.height = h;
  return c;
}

// Draw step k. `s` = canvas pixels per image pixel; `u` = canvas pixels per CSS pixel (line
// widths). `trail`: an object the caller keeps between calls; with it the background and the
// trails are kept in an offscreen canvas and a later step only adds its new rows (Play costs
// the few rows of a frame, not the whole run, whatever its length).
export function drawScene(ctx, { image, layout, meta, data, k, s, u = 1, trail = null }) {
  const W = layout.width * s, H = layout.height * s;
  const ready = meta && data && meta.runs.length && data.length >= meta.runs.length * meta.rows * meta.columns.length;
  const row = ready ? rowOfStep(meta, k) : -1;
  const st = { layout, meta, data, s, u };
  if (trail && ready) {
    const same = trail.image === image && trail.meta === meta && trail.data === data && trail.s === s && trail.u === u &&
      trail.canvas && trail.canvas.width === Math.round(W) && trail.canvas.height === Math.round(H);
    if (!same || row < trail.row) {
      if (!trail.canvas || trail.canvas.width !== Math.round(W) || trail.canvas.height !== Math.round(H)) trail.canvas = blankCanvas(Math.round(W), Math.round(H));
      const t = trail.canvas.getContext("2d");
      t.clearRect(0, 0, W, H);
      if (image) t.drawImage(image, 0, 0, W, H);
      drawTrails(t, st, 0, row);
      Object.assign(trail, { image, meta, data, s, u, row });
    } else if (row > trail.row) {
      drawTrails(trail.canvas.getContext("2d"), st, trail.row, row);
      trail.row = row;
    }
    ctx.clearRect(0, 0, W, H);
    ctx.drawImage(trail.canvas, 0, 0);
  } else {
    ctx.clearRect(0, 0, W, H);
    if (image) ctx.drawImage(image, 0, 0, W, H);
    if (!ready) return;
    drawTrails(ctx, st, 0, row);
  }
  const look = meta.look || DEFAULT_LOOK;
  const surf = layout.axes.surface;
  if (surf) {
    const t = axesTransform(surf, s);
    const [bx0, by0, bx1, by1] = t.box;
    clipTo(ctx, t.box);
    for (const run of meta.runs) { // start markers: hollow circles
      const px = t.x(value(meta, data, run, 0, COLUMN.x)), py = t.y(value(meta, data, run, 0, COLUMN.y));
      ctx.beginPath(); ctx.arc(px, py, 4 * u, 0, 2 * Math.PI);
      ctx.fillStyle = "white"; ctx.fill(); ctx.strokeStyle = run.color; ctx.lineWidth = 1.8 * u; ctx.stroke();
    }
    for (const run of meta.runs) { // heads
      const h = lastFinite(meta, data, run, row);
      if (h < 0) continue;
      const px = t.x(value(meta, data, run, h, COLUMN.x)), py = t.y(value(meta, data, run, h, COLUMN.y));
      ctx.beginPath(); ctx.arc(px, py, 5 * u, 0, 2 * Math.PI);
      ctx.fillStyle = run.color; ctx.fill(); ctx.strokeStyle = "white"; ctx.lineWidth = 1.2 * u; ctx.stroke();
    }
    ctx.restore();
    // minima and saddles above the paths
    clipTo(ctx, t.box);
    for (const [x, y] of meta.saddles || []) mark(ctx, diamond, t.x(x), t.y(y), look.saddle, u);
    for (const [x, y] of meta.minima || []) mark(ctx, star, t.x(x), t.y(y), look.minimum, u);
    ctx.restore();
    // how runs ended: a divergence (an instability) and an escape (left the window going
    // downhill) have their own glyphs, kept on the window's edge; notes of runs that ended
    // at the same place stack instead of overlapping
    const notes = [];
    for (const run of meta.runs) {
      const diverged = isDiverged(run, k), escaped = !diverged && hasEscaped(run, k);
      if (!diverged && !escaped) continue;
      const h = lastFinite(meta, data, run, escaped ? Math.min(row, rowOfStep(meta, run.exit_at)) : row);
      let px = h >= 0 ? t.x(value(meta, data, run, h, COLUMN.x)) : (bx0 + bx1) / 2;
      let py = h >= 0 ? t.y(value(meta, data, run, h, COLUMN.y)) : (by0 + by1) / 2;
      px = Math.min(Math.max(px, bx0), bx1); py = Math.min(Math.max(py, by0), by1);
      const style = diverged ? look.diverged : look.escaped;
      mark(ctx, diverged ? filledX : triangleRight, px, py, style, u);
      ctx.font = `bold ${12 * u}px sans-serif`; ctx.fillStyle = diverged ? style.fill : "#333333";
      ctx.textAlign = px > (bx0 + bx1) / 2 ? "right" : "left"; ctx.textBaseline = py > (by0 + by1) / 2 ? "bottom" : "top";
      const near = notes.filter(([qx, qy]) => Math.abs(qx - px) < 40 * u && Math.abs(qy - py) < 40 * u).length;
      notes.push([px, py]);
      const down = py > (by0 + by1) / 2 ? -1 : 1;
      const at = diverged ? (run.exit === undefined ? run.diverged_at : run.exit_at) : run.exit_at;
      const text = diverged ? `${run.label}: diverged at step ${at}` : `${run.label}: left the window at step ${at}`;
      ctx.fillText(text, px + (px > (bx0 + bx1) / 2 ? -11 : 11) * u, py + down * (7 + 15 * near) * u);
    }
    ctx.font = `${12 * u}px sans-serif`; ctx.fillStyle = "black"; ctx.textAlign = "right"; ctx.textBaseline = "bottom";
    ctx.fillText(`step ${Math.min(k, meta.steps)} / ${meta.steps}`, bx1, by0 - 3 * u);
  }
  for (const panel of meta.panels) { // the cursor at step k
    const ax = layout.axes[panel.name];
    if (!ax) continue;
    const t = axesTransform(ax, s);
    const [, by0, , by1] = t.box;
    ctx.save();
    ctx.setLineDash([2 * u, 2 * u]); ctx.strokeStyle = "#595959"; ctx.lineWidth = 1 * u;
    const cx = t.x(Math.min(k, meta.steps));
    ctx.beginPath(); ctx.moveTo(cx, by0); ctx.lineTo(cx, by1); ctx.stroke();
    ctx.restore();
  }
}
