// lossviz renderer: draws a scene's moving parts over a static image matplotlib made.
//
// It knows nothing of kernels or widgets: data in, pixels out. Inputs:
//   layout  {width, height, axes: {name: {box: [x0, y0, x1, y1] (image pixels, y down),
//            xlim, ylim, xscale, yscale: {name: "linear" | "log" | "symlog", base, linthresh, linscale}}}}
//   meta    {steps T, stride, rows, columns, runs: [{label, color, dash, diverged_at, offset}],
//            panels: [{name, curves: [{column, dashed}]}], frames (the step of each frame), start,
//            minima, saddles}
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
  return run.diverged_at >= 0 && k >= run.diverged_at;
}

// per run what the status line says at step k
export function statusAt(meta, data, k) {
  const row = rowOfStep(meta, k);
  return meta.runs.map((run) => {
    if (isDiverged(run, k)) return { label: run.label, color: run.color, text: `diverged at step ${run.diverged_at}`, diverged: true };
    const f = value(meta, data, run, row, COLUMN.loss);
    return { label: run.label, color: run.color, text: `f = ${formatNumber(f)}`, diverged: false };
  });
}

export function formatNumber(v) {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2).replace("e+", "e");
  return Number(v.toPrecision(3)).toString();
}

// ------------------------------------------------------------------ drawing

// one polyline through rows 0 … lastRow; X(r), Y(r) give pixels; NaN rows lift the pen
function polyline(ctx, X, Y, lastRow) {
  ctx.beginPath();
  let pen = false;
  for (let r = 0; r <= lastRow; r++) {
    const px = X(r), py = Y(r);
    if (!Number.isFinite(px) || !Number.isFinite(py)) { pen = false; continue; }
    if (pen) ctx.lineTo(px, py); else { ctx.moveTo(px, py); pen = true; }
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

function cross(ctx, x, y, r) {
  ctx.beginPath();
  ctx.moveTo(x - r, y - r); ctx.lineTo(x + r, y + r);
  ctx.moveTo(x - r, y + r); ctx.lineTo(x + r, y - r);
}

// Draw step k. `s` = canvas pixels per image pixel; `u` = canvas pixels per CSS pixel (line widths).
export function drawScene(ctx, { image, layout, meta, data, k, s, u = 1 }) {
  const W = layout.width * s, H = layout.height * s;
  ctx.clearRect(0, 0, W, H);
  if (image) ctx.drawImage(image, 0, 0, W, H);
  if (!meta || !data || !meta.runs.length) return;
  const row = rowOfStep(meta, k);
  const ncol = meta.columns.length;
  if (data.length < meta.runs.length * meta.rows * ncol) return; // arrays of another version
  const surf = layout.axes.surface;
  if (surf) {
    const t = axesTransform(surf, s);
    const [bx0, by0, bx1, by1] = t.box;
    ctx.save();
    ctx.beginPath(); ctx.rect(bx0, by0, bx1 - bx0, by1 - by0); ctx.clip();
    ctx.lineJoin = "round"; ctx.lineCap = "round";
    for (const run of meta.runs) {
      ctx.strokeStyle = run.color; ctx.lineWidth = 2.2 * u; ctx.setLineDash(run.dash ? run.dash.map((d) => d * u) : []);
      polyline(ctx, (r) => t.x(value(meta, data, run, r, COLUMN.x)), (r) => t.y(value(meta, data, run, r, COLUMN.y)), row);
    }
    ctx.setLineDash([]);
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
    ctx.save();
    ctx.beginPath(); ctx.rect(bx0, by0, bx1 - bx0, by1 - by0); ctx.clip();
    for (const [x, y] of meta.saddles || []) {
      cross(ctx, t.x(x), t.y(y), 6 * u); ctx.strokeStyle = "black"; ctx.lineWidth = 2.5 * u; ctx.stroke();
    }
    for (const [x, y] of meta.minima || []) {
      star(ctx, t.x(x), t.y(y), 9 * u); ctx.fillStyle = "gold"; ctx.fill(); ctx.strokeStyle = "black"; ctx.lineWidth = 1 * u; ctx.stroke();
    }
    ctx.restore();
    // diverged runs: a red ✕ where the path ends (kept on the window's edge) and the step;
    // notes of runs that ended at the same place stack instead of overlapping
    const notes = [];
    for (const run of meta.runs) {
      if (!isDiverged(run, k)) continue;
      const h = lastFinite(meta, data, run, row);
      let px = h >= 0 ? t.x(value(meta, data, run, h, COLUMN.x)) : (bx0 + bx1) / 2;
      let py = h >= 0 ? t.y(value(meta, data, run, h, COLUMN.y)) : (by0 + by1) / 2;
      px = Math.min(Math.max(px, bx0), bx1); py = Math.min(Math.max(py, by0), by1);
      cross(ctx, px, py, 7 * u); ctx.strokeStyle = "#d62728"; ctx.lineWidth = 3 * u; ctx.stroke();
      ctx.font = `bold ${11 * u}px sans-serif`; ctx.fillStyle = "#d62728";
      ctx.textAlign = px > (bx0 + bx1) / 2 ? "right" : "left"; ctx.textBaseline = py > (by0 + by1) / 2 ? "bottom" : "top";
      const near = notes.filter(([qx, qy]) => Math.abs(qx - px) < 40 * u && Math.abs(qy - py) < 40 * u).length;
      notes.push([px, py]);
      const down = py > (by0 + by1) / 2 ? -1 : 1;
      ctx.fillText(`${run.label}: diverged at step ${run.diverged_at}`, px + (px > (bx0 + bx1) / 2 ? -9 : 9) * u,
                   py + down * (6 + 14 * near) * u);
    }
    ctx.font = `${12 * u}px sans-serif`; ctx.fillStyle = "black"; ctx.textAlign = "right"; ctx.textBaseline = "bottom";
    ctx.fillText(`step ${Math.min(k, meta.steps)} / ${meta.steps}`, bx1, by0 - 3 * u);
  }
  for (const panel of meta.panels) {
    const ax = layout.axes[panel.name];
    if (!ax) continue;
    const t = axesTransform(ax, s);
    const [bx0, by0, bx1, by1] = t.box;
    ctx.save();
    ctx.beginPath(); ctx.rect(bx0, by0, bx1 - bx0, by1 - by0); ctx.clip();
    ctx.lineJoin = "round";
    for (const run of meta.runs) {
      for (const { column, dashed } of panel.curves) {
        ctx.strokeStyle = run.color; ctx.lineWidth = 1.6 * u; ctx.setLineDash(dashed ? [5 * u, 3 * u] : []);
        // a curve of the steps taken (η/σ, η_t) is NaN in the row of step T
        polyline(ctx, (r) => t.x(stepOfRow(meta, r)), (r) => t.y(value(meta, data, run, r, column)), row);
      }
    }
    ctx.setLineDash([2 * u, 2 * u]); ctx.strokeStyle = "#595959"; ctx.lineWidth = 1 * u;
    const cx = t.x(Math.min(k, meta.steps));
    ctx.beginPath(); ctx.moveTo(cx, by0); ctx.lineTo(cx, by1); ctx.stroke();
    ctx.restore();
  }
}
