// Pure functions of lossviz/static/renderer.js under node's built-in test runner:
//   node --test tests/js/
// (tests/test_js.py runs this, and checks the transforms against matplotlib's own numbers.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  axesTransform, columnPoints, decode, formatCell, formatNumber, frameOfStep, lastFinite, playFrame, rowOfStep, scaleForward,
  scaleInverse, statusAt, stepOfRow, summaryRows, TABLE_HEADINGS, tableAt,
} from "../../lossviz/static/renderer.js";

const close = (a, b, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} != ${b}`);

test("linear, log and symlog scales invert", () => {
  for (const scale of [{ name: "linear" }, { name: "log", base: 10 }, { name: "symlog", base: 10, linthresh: 0.01, linscale: 1 }]) {
    const f = scaleForward(scale), g = scaleInverse(scale);
    for (const v of [1e-5, 0.003, 0.5, 7, 1234.5]) close(g(f(v)), v, 1e-12);
    if (scale.name === "symlog") for (const v of [-3, -0.004, 0]) close(g(f(v)), v, 1e-12);
  }
  assert.ok(Number.isNaN(scaleForward({ name: "log" })(0)));
});

test("an axes transform maps its limits onto its box corners (y down)", () => {
  const ax = { box: [10, 20, 110, 220], xlim: [-2, 2], ylim: [1e-3, 1e3], xscale: { name: "linear" }, yscale: { name: "log", base: 10 } };
  const t = axesTransform(ax, 2);
  close(t.x(-2), 20); close(t.x(2), 220); close(t.y(1e-3), 440); close(t.y(1e3), 40); close(t.y(1), 240);
  close(t.invX(t.x(0.7)), 0.7); close(t.invY(t.y(42)), 42);
  assert.deepEqual(t.box, [20, 40, 220, 440]);
});

test("frames, rows and steps", () => {
  const frames = [0, 1, 2, 5, 10, 20];
  assert.equal(frameOfStep(frames, 0), 0);
  assert.equal(frameOfStep(frames, 7), 3);
  assert.equal(frameOfStep(frames, 20), 5);
  assert.equal(frameOfStep(frames, 999), 5);
  assert.equal(frameOfStep(frames, -3), 0);
  const meta = { steps: 10, stride: 3, rows: 5 }; // rows at steps 0, 3, 6, 9, 10
  assert.deepEqual([0, 2, 3, 8, 9, 10].map((k) => rowOfStep(meta, k)), [0, 0, 1, 2, 3, 4]);
  assert.deepEqual([0, 1, 3, 4].map((r) => stepOfRow(meta, r)), [0, 3, 9, 10]);
  assert.equal(playFrame(2, 500, 20, 100), 12); // 0.5 s at 20 fps: ten frames on
  assert.equal(playFrame(2, 60000, 20, 100), 99); // never past the last frame
});

test("decode, last finite point and the status line", () => {
  const rows = [[0, 0, 5, 1], [1, 1, 4, 1], [NaN, NaN, NaN, NaN]];
  const flat = new Float32Array(rows.flat());
  const bytes = new DataView(flat.buffer);
  const meta = { steps: 2, stride: 1, rows: 3, columns: ["x", "y", "loss", "grad_norm/0"],
                 runs: [{ label: "gd", color: "#000000", diverged_at: 2, offset: 0 }] };
  const data = decode(meta, bytes);
  assert.equal(data.length, 12);
  assert.equal(lastFinite(meta, data, meta.runs[0], 2), 1);
  assert.deepEqual(statusAt(meta, data, 1)[0].text, "f = 4");
  assert.deepEqual(statusAt(meta, data, 2)[0], { label: "gd", color: "#000000", text: "diverged at step 2", diverged: true });
  assert.equal(formatNumber(0.000012345), "1.23e-5");
  assert.equal(formatNumber(2.5), "2.5");
  assert.equal(formatNumber(NaN), "nan");
});

test("matplotlib's points land on the pixels the transform gives (fixture from tests/test_js.py)", { skip: !process.env.LOSSVIZ_TRANSFORM_FIXTURE }, () => {
  const fixture = JSON.parse(readFileSync(process.env.LOSSVIZ_TRANSFORM_FIXTURE, "utf8"));
  for (const { axes, points } of fixture) {
    const t = axesTransform(axes, 1);
    for (const [x, y, px, py] of points) {
      close(t.x(x), px, 1e-6);
      close(t.y(y), py, 1e-6);
    }
  }
});

test("a curve over the steps keeps, per pixel column, its first, lowest, highest and last point", () => {
  // 1000 steps over 10 px, a sign that flips every step: each column keeps its band, ±1
  const X = (r) => r / 100, Y = (r) => (r % 2 ? 1 : -1) * (1 + r / 1000);
  const pts = columnPoints(X, Y, 999);
  assert.ok(pts.length <= 40, `${pts.length} points for 10 columns`);
  for (let c = 0; c < 10; c++) {
    const col = pts.filter((p) => p && Math.floor(p[0]) === c).map((p) => p[1]);
    const ys = Array.from({ length: 100 }, (_, i) => Y(c * 100 + i));
    assert.equal(Math.min(...col), Math.min(...ys));
    assert.equal(Math.max(...col), Math.max(...ys));
  }
  assert.deepEqual(pts[pts.length - 1], [9.99, Y(999)]); // ends on the last step
  assert.ok(columnPoints((r) => r, (r) => (r === 3 ? NaN : r), 6).includes(null)); // a gap lifts the pen
});

test("the step table's numbers: 4 significant digits, a real minus, — where nothing is defined", () => {
  assert.deepEqual([0.25, -0.125, 1234.567, -98765.4, 123456, 2.5e-7, -1e-5, 0, NaN, null, Infinity].map(formatCell),
    ["0.25", "−0.125", "1235", "−98770", "1.235e5", "2.5e−7", "−1e−5", "0", "—", "—", "∞"]);
});

test("the step table at step k: the row that holds k, per run and parameter θ, g, m, σ, η_t/σ, Δθ, and η_t, f", () => {
  // two runs, steps 0 … 3 (stride 1); every value is 100·run + 10·step + column, run b diverged at step 2
  const names = ["x", "y", "loss", "g/0", "g/1", "m/0", "m/1", "sigma/0", "sigma/1", "lr_over_sigma/0", "lr_over_sigma/1", "lr_t"];
  const columns = Object.fromEntries(names.slice(3).map((n) => [n, names.indexOf(n)]));
  const rowOf = (t, b) => names.map((n, i) => (b === 1 && t >= 2) || (t === 3 && i >= 5) ? NaN : 100 * b + 10 * t + i);
  const data = new Float32Array([0, 1, 2, 3].flatMap((t) => rowOf(t, 0)).concat([0, 1, 2, 3].flatMap((t) => rowOf(t, 1))));
  const meta = { steps: 3, stride: 1, rows: 4, columns: names, inspect: { columns },
    runs: [{ label: "a", color: "#111", offset: 0, exit: "", exit_at: -1 }, { label: "b", color: "#222", offset: 48, exit: "diverged", exit_at: 2 }] };
  assert.deepEqual(TABLE_HEADINGS, ["θ", "g", "m", "σ", "η_t/σ", "Δθ"]);
  const t = tableAt(meta, data, 1);
  assert.equal(t.step, 1);
  const [p1, p2] = t.runs[0].parameters;
  // θ₁ = x (col 0), g₁ (3), m₁ (5), σ₁ (7), η/σ₁ (9), Δθ₁ = −(η/σ₁)·m₁; θ₂ from columns 1, 4, 6, 8, 10
  assert.deepEqual(p1.values, [10, 13, 15, 17, 19, -19 * 15]);
  assert.deepEqual(p2.values, [11, 14, 16, 18, 20, -20 * 16]);
  assert.deepEqual([p1.name, p2.name, p1.text[5], t.runs[0].lr, t.runs[0].f], ["θ₁", "θ₂", "−285", 21, 12]);
  assert.equal(t.runs[1].parameters[0].text[0], "110");
  const later = tableAt(meta, data, 2); // b diverged at step 2: no numbers, and says so
  assert.ok(later.runs[1].diverged && later.runs[1].parameters.every((p) => p.text.every((c) => c === "—")));
  assert.deepEqual([later.runs[1].fText, later.runs[1].note], ["diverged", "diverged at step 2"]);
  const end = tableAt(meta, data, 3); // step T: θ, g and f, but no update (m, σ, η, Δθ are —)
  assert.ok(end.end && end.runs[0].parameters[0].text[0] === "30" && end.runs[0].fText === "32");
  assert.deepEqual(end.runs[0].parameters[0].text.slice(2), ["—", "—", "—", "—"]);
  const long = { ...meta, steps: 9, stride: 3, rows: 4 }; // rows at steps 0, 3, 6, 9: k = 5 shows the row of step 3
  assert.equal(tableAt(long, data, 5).step, 3);
  assert.equal(tableAt({ ...meta, inspect: undefined }, data, 1), null); // the table's columns not (yet) sent
});

test("the summary's rows as text", () => {
  const meta = { runs: [{ color: "#111" }, { color: "#222" }], inspect: { summary: { tol: 1e-3, f_star: 0, text: "within tol", rows: [
    { run: "a", final_loss: 7.888609e-31, best_loss: 7.888609e-31, best_step: 50, tol_step: 5, stay_step: 7, diverged_at: -1, escaped_at: -1 },
    { run: "b", final_loss: null, best_loss: 1, best_step: 0, tol_step: -1, stay_step: -1, diverged_at: 35, escaped_at: -1 }] } } };
  const s = summaryRows(meta);
  assert.deepEqual(s.rows.map((r) => r.cells), [["7.889e−31", "7.889e−31 @ 50", "5", "7", "—", "—"], ["diverged", "1 @ 0", "—", "—", "35", "—"]]);
  assert.ok(s.rows[1].diverged && s.rows[1].color === "#222");
  meta.inspect.summary.f_star = null; // a surface without a listed minimum
  assert.equal(summaryRows(meta).rows[0].cells[2], "no f*");
});
