"""The look of every lossviz figure, in one place: palette, line styles, sizes, labels.

Stills, GIFs and the Explorer's snapshot all read this module, so Adam is the same colour
and the same dash in every notebook, GIF and PNG, and every figure can be projected:

* colours: the Okabe–Ito palette (safe under the common colour-vision deficiencies), one
  fixed colour per optimizer (`optimizer_color`, the single name → colour lookup), plain
  '#rrggbb' strings (the Explorer sends them to the browser);
* line styles: one dash pattern per optimizer *family* (`optimizer_dashes`), so two runs
  stay apart even in greyscale;
* runs that differ in one value only (RMSprop at α = 0.1 … 0.99) get an ordered
  sequential palette instead (`sequential_colors`): darkest for the smallest value;
* sizes: figures are 13.33 × 7.5 in, saved at 120 dpi as stills (1600 × 900 px) and at
  96 dpi as GIF frames (1280 × 720 px); no text is smaller than 11 pt.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

# Okabe & Ito (2008), "Color Universal Design": eight colours told apart by people with
# protanopia, deuteranopia and tritanopia. Yellow (#F0E442) is too light for a line on a
# pale contour and is left out of the run colours.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#e69f00",
    "sky_blue": "#56b4e9",
    "green": "#009e73",
    "yellow": "#f0e442",
    "blue": "#0072b2",
    "vermillion": "#d55e00",
    "purple": "#cc79a7",
}

# One fixed colour per registry name (optimizers.OPTIMIZERS).
COLORS: dict[str, str] = {
    "gd": OKABE_ITO["blue"],
    "momentum": OKABE_ITO["orange"],
    "nesterov": OKABE_ITO["vermillion"],
    "adagrad": OKABE_ITO["green"],
    "adagrad_mean": OKABE_ITO["purple"],
    "rmsprop": OKABE_ITO["sky_blue"],
    "rmsprop_lecture": OKABE_ITO["vermillion"],
    "adam": OKABE_ITO["black"],
    "amsgrad": "#7f7f7f",
}

# For a second run of the same optimizer (and unknown names): the other palette colours.
SPARE_COLORS: tuple[str, ...] = (
    OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["green"], OKABE_ITO["purple"],
    OKABE_ITO["sky_blue"], OKABE_ITO["vermillion"], OKABE_ITO["black"], "#7f7f7f",
)

# Line style per optimizer family: a matplotlib dash tuple (offset, (on, off, ...)) in units
# of the line width, or "solid".
FAMILY: dict[str, str] = {
    "gd": "gd", "momentum": "gd", "nesterov": "gd",
    "adagrad": "adagrad", "adagrad_mean": "adagrad_mean",  # the lecture's Adagrad solid, torch's dashed: one look in every figure
    "rmsprop": "rmsprop", "rmsprop_lecture": "rmsprop",
    "adam": "adam", "amsgrad": "adam",
}
FAMILY_DASHES: dict[str, str | tuple] = {
    "gd": "solid",
    "adagrad": (0, (5.0, 1.6)),
    "adagrad_mean": "solid",
    "rmsprop": (0, (5.0, 1.4, 1.2, 1.4)),
    "adam": (0, (1.6, 1.2)),
}

# Runs that differ in one value: colours sampled from a perceptually ordered map.
SEQUENTIAL_CMAP = "inferno"
SEQUENTIAL_RANGE = (0.08, 0.75)  # black-purple to orange: the light yellow end vanishes on a pale contour

DIVERGED_COLOR = OKABE_ITO["vermillion"]  # the ✕ and the "diverged at step k" text
ESCAPED_COLOR = "#555555"  # a run that left the window without diverging: a neutral mark
MINIMUM_STYLE = dict(marker="*", markersize=20, color="#f0e442", markeredgecolor="black", markeredgewidth=1.2, linestyle="none")
SADDLE_STYLE = dict(marker="D", markersize=11, color="white", markeredgecolor="black", markeredgewidth=2.0, linestyle="none")
DIVERGED_MARK = dict(marker="X", markersize=16, color=DIVERGED_COLOR, markeredgecolor="white", markeredgewidth=1.2, linestyle="none")
ESCAPED_MARK = dict(marker=">", markersize=13, color=ESCAPED_COLOR, markeredgecolor="white", markeredgewidth=1.0, linestyle="none")
MARKER_ZORDER = 8  # minima and saddles are drawn above every path
CONTOUR_CMAP = "Greys"  # a pale grey background: the coloured paths are what stands out
CONTOUR_CMAP_RANGE = (0.0, 0.4)  # white at the minimum to a mid grey on the walls
CONTOUR_ALPHA = 0.8
CONTOUR_LEVELS = 30
CONTOUR_LINE_STYLE = dict(colors="black", linewidths=0.5, alpha=0.3)
PATH_WIDTH = 2.6
DENSE_PATH_WIDTH = 1.2  # a path of over DENSE_STEPS steps: thin, its even and its odd steps joined (a bounce's edges) …
DENSE_STEPS = 300
DENSE_PATH_ALPHA = 0.22  # … and the path itself faint: the zig-zag between the edges, never a filled block
HEAD_SIZE = 10
CURSOR_STYLE = dict(color="0.35", linewidth=1.0, linestyle=":")
LIMIT_STYLE = dict(color="0.2", linewidth=1.4, linestyle=(0, (4, 2)))  # the stability limit 2/λ
# §5: the crescent's steep stretches (‖g‖ above a threshold): a line on the contour, grey spans over t
STEEP_LINE_STYLE = dict(colors="0.5", linewidths=1.3, linestyles=[(0, (5, 3))])  # grey: told apart from a near-black path
STEEP_SPAN_STYLE = dict(color="#8c8c8c", alpha=0.35, lw=0)
STEEP_MARK = dict(marker="^", markersize=10, markeredgecolor="black", markeredgewidth=1.2, linestyle="none")

# Sizes (inches, points, dpi): one figure size, two resolutions.
FIGSIZE = (40 / 3, 7.5)  # 1600 × 900 px at STILL_DPI, 1280 × 720 at GIF_DPI
FIGSIZE_NO_PANELS = (9.0, 7.5)
STILL_DPI = 120  # 1600 px wide
GIF_DPI = 96  # 1280 px wide
FONT_SIZE = 13  # tick labels, legend, panel titles
TITLE_SIZE = 15
SMALL_SIZE = 11.5  # the smallest text there is (notes on the contour)
GIF_HOLD_SECONDS = 1.5  # how long a GIF's last frame stays on screen

# The lecture's symbols (docs/lecture.md) for what is not a hyperparameter slider; each
# slider's symbol (β, β₁, β₂, α, ε, and any a registered optimizer brings) lives in
# optimizers.HYPERPARAMETERS. `symbol(key)` reads both.
SYMBOLS: dict[str, str] = {
    "lr": "η",
    "betas": "(β₁, β₂)",
    "sigma": "σ",
    "theta1": "θ₁",
    "theta2": "θ₂",
}


def symbol(key: str) -> str:
    """The lecture's symbol for `key` (a slider key, "lr", "betas", ...), else the key itself."""
    from optimizers import HYPERPARAMETERS

    meta = HYPERPARAMETERS.get(key)
    return meta.symbol if meta else SYMBOLS.get(key, key)


PANEL_TITLES: dict[str, str] = {
    "loss": "loss f(θ)",
    "grad_norm": "gradient norm ‖g‖",
    "effective_lr": "η/σ per parameter (θ₁ thick, θ₂ thin)",
    "lr": r"learning rate $\eta_t$",
    "grad2": "g₂, the gradient across (signed)",
    "abs_theta2": "|θ₂|, the distance across the valley",
    "theta2": "θ₂, across the valley (signed)",
    "loss_ratio": "loss f(θ)/f(θ₀)",
    "step_length": "step length |Δθᵢ|/η (θ₁ thick, θ₂ thin)",
    "longest_step": "step length maxᵢ |Δθᵢ|/η",
    "used_grad": "‖ĝ‖, the gradient each step used",
}

PANELS = tuple(PANEL_TITLES)  # every side panel there is (lossviz.draw plots them)

STEP_LABEL = "step t"
X_LABEL = "θ₁"
Y_LABEL = "θ₂"
# surfaces whose parameters have their own names (the regression of lecture §9: y = w·x + b)
AXIS_LABELS: dict[str, tuple[str, str]] = {"regression": ("w", "b")}


def axis_labels(surface_name: str) -> tuple[str, str]:
    """The names of a surface's two parameters on its axes: (θ₁, θ₂) unless it has its own."""
    return AXIS_LABELS.get(surface_name, (X_LABEL, Y_LABEL))


def _colors() -> dict[str, str]:
    """COLORS, with the colour given to `optimizers.register(..., color=...)` taking
    precedence (read now, so an optimizer registered after import has its colour)."""
    from optimizers.registry import ENTRIES

    return {**COLORS, **{name: e.color for name, e in ENTRIES.items() if e.color}}


def optimizer_color(name: str) -> str | None:
    """The fixed colour of an optimizer (registry name), '#rrggbb' — a colour given to
    `optimizers.register` first — or None for a name without one. The one place where a
    name becomes a colour."""
    return _colors().get(name)


def optimizer_dashes(name: str) -> str | tuple:
    """The dash pattern of an optimizer's family: "solid" or (offset, (on, off, …))."""
    return FAMILY_DASHES[FAMILY.get(name, "gd")]


def sequential_colors(n: int) -> list[str]:
    """n colours from dark to light, for runs that differ in one value (sorted by it)."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps[SEQUENTIAL_CMAP]
    lo, hi = SEQUENTIAL_RANGE
    if n == 1:
        return [to_hex(cmap(lo))]
    return [to_hex(cmap(lo + (hi - lo) * i / (n - 1))) for i in range(n)]


def spare_colors(n: int) -> list[str]:
    """n colours for runs no fixed colour fits: the palette, then evenly spaced hues
    (a list of exactly n, so asking for 2000 never loops for ever)."""
    import colorsys

    out = list(SPARE_COLORS[:n])
    extra = n - len(out)
    for i in range(max(extra, 0)):
        r, g, b = colorsys.hsv_to_rgb((i * 0.618033988749895) % 1.0, 0.8, 0.6 + 0.3 * ((i // 7) % 2))
        out.append(f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}")
    return out


def run_colors(optimizers: Sequence[str | None], given: Sequence[str | None] = (), order: Sequence[float] | None = None) -> list[str]:
    """One colour per run: a given colour first; with `order` (the one value the runs differ
    in) a sequential palette ranked by it; else the optimizer's colour, or the next free
    spare colour when that one is taken. Bounded work for any number of runs."""
    n = len(optimizers)
    given = list(given) + [None] * (n - len(given))
    if order is not None and n > 1:
        ranks = sorted(range(n), key=lambda i: order[i])
        seq = sequential_colors(n)
        out = [""] * n
        for rank, i in enumerate(ranks):
            out[i] = given[i] or seq[rank]
        return out
    used = {c.lower() for c in given if c}
    spares = iter(c for c in spare_colors(n + len(SPARE_COLORS)) if c not in used)
    out = []
    for name, color in zip(optimizers, given):
        if color is None:
            color = optimizer_color(name) if name else None
            if color is None or color in used:
                color = next(spares, None) or SPARE_COLORS[len(out) % len(SPARE_COLORS)]
        used.add(color.lower())
        out.append(color)
    return out


def colors_for(labels: Iterable[str], given: Mapping[str, str] | None = None,
               optimizers: Sequence[str | None] = ()) -> dict[str, str]:
    """A colour per run label: the given ones, else the colour of the run's optimizer
    (`optimizers[i]`, the registry name of run i), never the same twice while free colours
    remain."""
    labels = list(labels)
    given = dict(given or {})
    names = list(optimizers) + [None] * (len(labels) - len(optimizers))
    colors = run_colors(names, [given.get(label) for label in labels])
    return dict(zip(labels, colors))


def mathtext(formula: str) -> str:
    """A surface formula ready for a title: wrapped in $…$ unless it already is."""
    formula = formula.strip()
    if not formula:
        return ""
    return formula if "$" in formula else f"${formula}$"
