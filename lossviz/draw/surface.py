"""The surface: filled contour on a cached grid, contour lines, minima ★ and saddles ✕, and
the Hessian's eigen-directions drawn at a point."""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple, Sequence

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.artist import Artist
from matplotlib.axes import Axes

from lossviz import style


class Grid(NamedTuple):
    X: np.ndarray
    Y: np.ndarray
    Z: np.ma.MaskedArray
    levels: np.ndarray


_GRID_CACHE: "OrderedDict[tuple, Grid]" = OrderedDict()
_GRID_CACHE_SIZE = 24


def surface_key(surface, n: int = 200, nlevels: int = style.CONTOUR_LEVELS) -> tuple:
    """What identifies a contour grid: the surface's name, formula, parameters and window."""
    params = tuple(sorted((str(k), repr(v)) for k, v in dict(surface.params or {}).items()))
    bounds = tuple(tuple(float(v) for v in pair) for pair in surface.bounds)
    return (surface.name, surface.formula, params, bounds, surface.contour_scale, int(n), int(nlevels))


def contour_levels(Z: np.ndarray, scale: str = "linear", n: int = style.CONTOUR_LEVELS) -> np.ndarray:
    """`n + 1` increasing level boundaries covering the finite values of Z.

    "log": the first level is min Z and the others are min Z + a geometric sequence spanning
    five decades up to max Z (so levels[1:] − levels[0] is log-spaced, fine near the valley
    floor, coarse on the walls; min Z may be zero or negative). "linear": evenly spaced.
    """
    finite = np.asarray(Z, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return np.linspace(0.0, 1.0, n + 1)
    lo, hi = float(finite.min()), float(finite.max())
    span = hi - lo
    if not span > 0 or not np.isfinite(span):
        pad = max(1.0, abs(lo)) * 1e-3
        return np.linspace(lo - pad, lo + pad, n + 1)
    if scale == "log":
        return np.concatenate([[lo], lo + np.geomspace(span * 1e-5, span, n)])
    return np.linspace(lo, hi, n + 1)


def surface_grid(surface, n: int = 200, nlevels: int = style.CONTOUR_LEVELS) -> Grid:
    """X, Y, f(X, Y) on an n × n grid over the surface's bounds, and its contour levels.

    Cached per surface name, formula, parameters and bounds: redrawing the same surface
    (a new η, a new start, another optimizer) never evaluates f on the grid again.
    """
    key = surface_key(surface, n, nlevels)
    hit = _GRID_CACHE.get(key)
    if hit is not None:
        _GRID_CACHE.move_to_end(key)
        return hit
    with np.errstate(all="ignore"):
        X, Y, Z = surface.grid(n)
    Z = np.ma.masked_invalid(np.asarray(Z, dtype=float))
    levels = contour_levels(Z.compressed(), surface.contour_scale, nlevels)
    grid = Grid(X, Y, Z, levels)
    _GRID_CACHE[key] = grid
    while len(_GRID_CACHE) > _GRID_CACHE_SIZE:
        _GRID_CACHE.popitem(last=False)
    return grid


def draw_surface(
    ax: Axes,
    surface,
    *,
    n: int = 200,
    levels: int = style.CONTOUR_LEVELS,
    cmap: str = style.CONTOUR_CMAP,
    alpha: float = style.CONTOUR_ALPHA,
    lines: bool = True,
    markers: bool = True,
) -> list[Artist]:
    """Filled contour of `surface` on `ax`, limits fixed to its bounds; returns the artists.

    Returns [filled contour set, contour line set (if `lines`), minima ★, saddles ✕].
    """
    grid = surface_grid(surface, n, levels)
    norm = mcolors.BoundaryNorm(grid.levels, 256)  # every band its own colour, log levels too
    if cmap == style.CONTOUR_CMAP:  # only the pale part of the map: a background, not a picture
        from matplotlib import colormaps

        lo, hi = style.CONTOUR_CMAP_RANGE
        cmap = mcolors.ListedColormap(colormaps[cmap](np.linspace(lo, hi, 256)))
    artists: list[Artist] = []
    filled = ax.contourf(grid.X, grid.Y, grid.Z, levels=grid.levels, cmap=cmap, norm=norm, alpha=alpha, zorder=0)
    artists.append(filled)
    if lines:
        artists.append(ax.contour(grid.X, grid.Y, grid.Z, levels=grid.levels[1::2], zorder=1, **style.CONTOUR_LINE_STYLE))
    if markers:
        for points, look, label in ((surface.minima, style.MINIMUM_STYLE, "minimum"), (surface.saddles, style.SADDLE_STYLE, "saddle")):
            pts = np.asarray(points, dtype=float).reshape(-1, 2)
            (mark,) = ax.plot(pts[:, 0], pts[:, 1], zorder=style.MARKER_ZORDER, label=f"_{label}", clip_on=False, **look)
            artists.append(mark)
    (x0, x1), (y0, y1) = surface.bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    xlabel, ylabel = style.axis_labels(surface.name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return artists


def draw_eigendirections(ax: Axes, surface, point: Sequence[float] | None = None, *, color: str = "0.1") -> list[Artist]:
    """Double arrows along the Hessian's eigenvectors at `point` (default: the first minimum),
    each labelled with its eigenvalue λ.

    An arrow's half-length is proportional to 1/√|λ|, like the semi-axes of the contour
    ellipse there: long along the flat direction, short along the steep one. Lengths are
    measured in fractions of the window (so a wide window like the bowl's still shows both):
    the longest is 30 % of it; none is shorter than 8 %, so that a very steep direction
    stays visible (its label still gives λ). On the quadratic surface the decomposition is
    its exact one (surfaces.quadratic_theory); elsewhere it is the
    exact Hessian's, from `surface.hess`.
    """
    import surfaces

    if point is None:
        if not surface.minima:
            raise ValueError(f"draw_eigendirections: surface {surface.name!r} lists no minimum; pass point=(x, y)")
        point = surface.minima[0]
    p = np.asarray(point, dtype=float)
    try:
        theory = surfaces.quadratic_theory(surface, tuple(p))
        lam, vectors = np.asarray(theory.eigenvalues), theory.eigenvectors
    except ValueError:  # not a minimum (a saddle): still the exact Hessian's eigen-directions
        if surface.hess is None:
            raise ValueError(f"draw_eigendirections: surface {surface.name!r} has no Hessian") from None
        lam, vectors = np.linalg.eigh(surface.hess(p))
    span = np.array([b[1] - b[0] for b in surface.bounds], dtype=float)
    inv = 1.0 / np.sqrt(np.maximum(np.abs(lam), 1e-300))
    fraction = np.maximum(0.30 * inv / inv.max(), 0.08)  # of the window, along each arrow
    artists: list[Artist] = []
    for i in range(2):
        unit = vectors[:, i]
        e = unit * fraction[i] / np.linalg.norm(unit / span)
        arrow = ax.annotate(
            "", xy=p + e, xytext=p - e,
            arrowprops=dict(arrowstyle="<->", color=color, lw=1.6, shrinkA=0, shrinkB=0), zorder=6,
        )
        label = ax.annotate(  # λ₁ at one tip, λ₂ at the other arrow's opposite tip: no overlap
            f"λ{'₁₂'[i]} = {lam[i]:.3g}", xy=p + e if i == 0 else p - e, xytext=(5, 5) if i == 0 else (5, -16),
            textcoords="offset points", fontsize=style.SMALL_SIZE, color=color, zorder=6,
            bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.75),
        )
        artists += [arrow, label]
    return artists
