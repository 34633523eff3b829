"""Where the notes of a run's exit go: pure geometry in pixels (y down), the same rule as
lossviz/static/renderer.js (`exitCrossing`, `occupancy`, `placeLabels`), so the still and
the Explorer put every note in the same place.

* `exit_crossing` — where a path last leaves the window and in which direction (the ▶
  points along it);
* `occupancy` — which cells of a grid over the window some path (or marker) covers;
* `place_labels` — per note, of the boxes around its mark the one that covers the fewest
  path cells, nearest to its mark, inside the window and clear of every other note and mark.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

CELL_PT = 4.0  # the occupancy grid's cell
STEP_PT = 8.0  # candidate boxes are tried on a grid of this step around the mark …
REACH = 18  # … ±REACH steps in x and in y
CELL_COST_PT = 30.0  # covering one path cell costs as much as moving the note this far away
GAP_PT = 3.0  # the clearance kept from the window's edge, from other notes and from marks
BLOCKED = 1e6  # the cost of overlapping another note or mark (taken only when nothing else fits)

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 (pixels, y down)


def exit_crossing(points: np.ndarray, box: Box) -> tuple[tuple[float, float], tuple[float, float]]:
    """((x, y), (dx, dy)) for a path of pixel points (rows; non-finite rows are skipped): the
    point where it last leaves `box` (on the edge) and the unit direction of the segment that
    leaves; when its last point is inside, that point and the direction of its last segment;
    when it never was inside, the nearest box point to its last point."""
    x0, y0, x1, y1 = box
    p = np.asarray(points, dtype=float).reshape(-1, 2)
    p = p[np.isfinite(p).all(axis=1)]
    if len(p) == 0:
        return ((x0 + x1) / 2, (y0 + y1) / 2), (1.0, 0.0)
    inside = (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
    if inside[-1] or not inside.any():
        a, b = (p[-2], p[-1]) if len(p) > 1 else (p[-1], p[-1])
        point = (float(min(max(p[-1, 0], x0), x1)), float(min(max(p[-1, 1], y0), y1)))
        return point, _unit(b[0] - a[0], b[1] - a[1])
    i = int(np.flatnonzero(inside)[-1])
    (ax_, ay), (bx, by) = p[i], p[i + 1]
    s = 1.0  # the largest s in [0, 1] with a + s (b − a) still in the box
    for a, b, lo, hi in ((ax_, bx, x0, x1), (ay, by, y0, y1)):
        d = b - a
        if d > 0 and b > hi:
            s = min(s, (hi - a) / d)
        elif d < 0 and b < lo:
            s = min(s, (lo - a) / d)
    return (float(ax_ + s * (bx - ax_)), float(ay + s * (by - ay))), _unit(bx - ax_, by - ay)


def _unit(dx: float, dy: float) -> tuple[float, float]:
    n = math.sqrt(dx * dx + dy * dy)
    return (float(dx / n), float(dy / n)) if n > 0 else (1.0, 0.0)


def occupancy(box: Box, polylines: Sequence[np.ndarray], cell: float, squares: Sequence[tuple[float, float, float]] = ()) -> np.ndarray:
    """A (rows, columns) grid of cells `cell` pixels wide over `box`: True where a polyline
    (pixel points; a non-finite point lifts the pen) passes — each segment sampled every half
    cell — or a square (x, y, half side) lies."""
    x0, y0, x1, y1 = box
    nx, ny = max(1, math.ceil((x1 - x0) / cell)), max(1, math.ceil((y1 - y0) / cell))
    grid = np.zeros((ny, nx), dtype=bool)
    samples = []
    for line in polylines:
        p = np.asarray(line, dtype=float).reshape(-1, 2)
        ok = np.isfinite(p).all(axis=1)
        samples.append(p[ok])  # every point, also one without a neighbour
        seg = ok[:-1] & ok[1:]
        a, b = p[:-1][seg], p[1:][seg]
        if len(a):
            d = b - a
            n = np.maximum(1, np.ceil(np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]) / (cell / 2))).astype(int)
            rep = np.repeat(np.arange(len(a)), n + 1)
            frac = _fractions(n)
            samples.append(a[rep] + (b - a)[rep] * frac[:, None])
    for x, y, r in squares:
        k = np.arange(math.floor(2 * r / (cell / 2)) + 1)  # every half cell from −r to r
        xs, ys = x - r + k * (cell / 2), y - r + k * (cell / 2)
        samples.append(np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2))
    if samples:
        s = np.concatenate(samples)
        c, r = np.floor((s[:, 0] - x0) / cell).astype(int), np.floor((s[:, 1] - y0) / cell).astype(int)
        keep = (s[:, 0] >= x0) & (s[:, 0] <= x1) & (s[:, 1] >= y0) & (s[:, 1] <= y1)
        grid[np.minimum(r[keep], ny - 1), np.minimum(c[keep], nx - 1)] = True
    return grid


def _fractions(n: np.ndarray) -> np.ndarray:
    """0/k, 1/k, …, k/k for every k in n, concatenated (vectorised)."""
    starts = np.repeat(np.cumsum(n + 1) - (n + 1), n + 1)
    j = np.arange(int((n + 1).sum())) - starts
    return j / np.repeat(n, n + 1)


def place_labels(box: Box, anchors: Sequence[tuple[float, float]], sizes: Sequence[tuple[float, float]], grid: np.ndarray,
                 unit: float, keep_clear: Sequence[Box] = ()) -> list[Box]:
    """A box (x0, y0, x1, y1) per note, placed in order: of the boxes of its size centred at
    anchor + (i, j)·STEP (|i|, |j| ≤ REACH; moved into the window, GAP from its edge) the one
    of least cost = path cells it covers × CELL_COST + its distance from the anchor, plus
    BLOCKED per note already placed or `keep_clear` box (the marks) it overlaps. `unit`:
    pixels per point. The first of equal costs wins."""
    x0, y0, x1, y1 = box
    cell, step, gap = CELL_PT * unit, STEP_PT * unit, GAP_PT * unit
    ny, nx = grid.shape
    summed = np.zeros((ny + 1, nx + 1), dtype=np.int64)
    summed[1:, 1:] = grid.astype(np.int64).cumsum(0).cumsum(1)
    S = summed.tolist()
    clear = [tuple(map(float, b)) for b in keep_clear]
    placed: list[Box] = []

    def cells(left, top, right, bottom) -> int:
        c0, c1 = _index(left, x0, cell, nx), _index(right, x0, cell, nx)
        r0, r1 = _index(top, y0, cell, ny), _index(bottom, y0, cell, ny)
        return S[r1 + 1][c1 + 1] - S[r0][c1 + 1] - S[r1 + 1][c0] + S[r0][c0]

    for (ax_, ay), (w, h) in zip(anchors, sizes):
        best, best_cost = None, math.inf
        for i in range(-REACH, REACH + 1):
            left = _into(ax_ + i * step - w / 2, w, x0 + gap, x1 - gap)
            right = left + w
            for j in range(-REACH, REACH + 1):
                top = _into(ay + j * step - h / 2, h, y0 + gap, y1 - gap)
                bottom = top + h
                dx = max(left - ax_, 0.0, ax_ - right)
                dy = max(top - ay, 0.0, ay - bottom)
                cost = cells(left, top, right, bottom) * CELL_COST_PT * unit + math.sqrt(dx * dx + dy * dy)
                for q in (*clear, *placed):
                    if left < q[2] + gap and q[0] - gap < right and top < q[3] + gap and q[1] - gap < bottom:
                        cost += BLOCKED
                if cost < best_cost:
                    best, best_cost = (left, top, right, bottom), cost
        placed.append(best)
    return placed


def _index(v: float, origin: float, cell: float, n: int) -> int:
    return min(max(math.floor((v - origin) / cell), 0), n - 1)


def _into(start: float, size: float, lo: float, hi: float) -> float:
    """A span's start moved so that [start, start + size] lies in [lo, hi] (at lo when it is wider)."""
    return max(min(start, hi - size), lo)
