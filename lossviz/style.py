"""The look of every lossviz figure: one colour per optimizer, the lecture's symbols as labels.

Adam is the same colour in every notebook, GIF and PNG: `COLORS` is the single source.
Labels use the lecture's notation (η learning rate, σ per-parameter scale, θ parameters).
"""

from __future__ import annotations

from typing import Iterable, Iterator, Mapping

# One fixed colour per registry name (optimizers.OPTIMIZERS); variants of a family get a
# related shade. Pure red is kept free for the divergence mark.
COLORS: dict[str, str] = {
    "gd": "#1f4e9c",  # deep blue
    "momentum": "#ff7f0e",  # orange
    "nesterov": "#b8860b",  # dark goldenrod
    "adagrad": "#2ca02c",  # green
    "adagrad_mean": "#17becf",  # teal
    "rmsprop": "#9467bd",  # purple
    "rmsprop_lecture": "#e377c2",  # pink
    "adam": "#8c1c13",  # dark red-brown (distinct from the bright red ✕)
    "amsgrad": "#7f7f7f",  # grey
}

# For labels that are not registry names, and for a second run of the same optimizer.
FALLBACK_COLORS: tuple[str, ...] = (
    "#1f77b4", "#d4a017", "#006d5b", "#a05195", "#5b3a29", "#4d4d4d",
    "#bcbd22", "#003f5c", "#ff9da7", "#6a3d9a",
)

DIVERGED_COLOR = "#e41a1c"  # the ✕ and the "diverged at step k" text
MINIMUM_STYLE = dict(marker="*", markersize=15, color="gold", markeredgecolor="black", markeredgewidth=0.8, linestyle="none")
SADDLE_STYLE = dict(marker="x", markersize=10, color="black", markeredgewidth=2.0, linestyle="none")
CONTOUR_CMAP = "viridis"
CONTOUR_ALPHA = 0.55  # pale background so the coloured paths stand out
CONTOUR_LEVELS = 30
CONTOUR_LINE_STYLE = dict(colors="black", linewidths=0.35, alpha=0.35)
PATH_WIDTH = 1.8
HEAD_SIZE = 7
FAINT_ALPHA = 0.22  # the full curve behind the revealed part in the side panels
CURSOR_STYLE = dict(color="0.35", linewidth=0.8, linestyle=":")

# The lecture's symbols (docs/lecture.md): what axes and legends say.
SYMBOLS: dict[str, str] = {
    "lr": "η",
    "momentum": "β",
    "beta1": "β₁",
    "beta2": "β₂",
    "betas": "(β₁, β₂)",
    "alpha": "α",
    "eps": "ε",
    "sigma": "σ",
    "theta1": "θ₁",
    "theta2": "θ₂",
}

PANEL_TITLES: dict[str, str] = {
    "loss": "loss f(θ)",
    "grad_norm": "gradient norm ‖g‖",
    "effective_lr": "η/σ per parameter (θ₁ solid, θ₂ dashed)",
    "lr": r"learning rate $\eta_t$",
}

PANEL_YLABELS: dict[str, str] = {
    "loss": "f(θ)",
    "grad_norm": "‖g‖",
    "effective_lr": "η/σ",
    "lr": r"$\eta_t$",
}

STEP_LABEL = "step t"
X_LABEL = "θ₁"
Y_LABEL = "θ₂"


def _colors() -> dict[str, str]:
    """COLORS, with the colour given to `optimizers.register(..., color=...)` taking
    precedence (read now, so an optimizer registered after import has its colour)."""
    from optimizers.registry import ENTRIES

    return {**COLORS, **{name: e.color for name, e in ENTRIES.items() if e.color}}


def optimizer_of(label: str) -> str | None:
    """The registry name a run label starts with ("adam lr=0.01" → "adam"), if any."""
    colors = _colors()
    head = label.split()[0].split(":")[0].split("(")[0].strip().lower() if label.strip() else ""
    if head in colors:
        return head
    # the longest registry name the label starts with ("rmsprop_lecture_fast" → "rmsprop_lecture")
    matches = [name for name in colors if label.lower().startswith(name)]
    return max(matches, key=len) if matches else None


def optimizer_color(name: str) -> str:
    """The fixed colour of a registry name (or of the registry name a label starts with);
    an unknown name gets the first fallback colour."""
    colors = _colors()
    key = name if name in colors else optimizer_of(name)
    return colors[key] if key else FALLBACK_COLORS[0]


def color_cycle() -> Iterator[str]:
    """Spare colours for repeated optimizers: the fallback list, then endless new hues."""
    yield from FALLBACK_COLORS
    import colorsys

    h = 0.0
    while True:  # golden-ratio steps around the hue circle never repeat
        h = (h + 0.618033988749895) % 1.0
        r, g, b = colorsys.hsv_to_rgb(h, 0.75, 0.7)
        yield f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


SPARE_COLORS = 600  # distinct spare colours; past them (hundreds of runs) colours repeat


def spare_colors(used: set[str]) -> Iterator[str]:
    """Spare colours not in `used` (checked as each is taken, so `used` may grow), from
    `color_cycle`; once all SPARE_COLORS are taken, they repeat in order. Never loops forever."""
    import itertools

    pool = list(dict.fromkeys(itertools.islice(color_cycle(), SPARE_COLORS)))
    for color in pool:
        if color not in used:
            yield color
    yield from itertools.cycle(pool)


def colors_for(labels: Iterable[str], given: Mapping[str, str] | None = None) -> dict[str, str]:
    """A colour per run label: the given ones, else the optimizer's, never the same twice."""
    given = dict(given or {})
    out: dict[str, str] = {}
    used: set[str] = set()
    labels = list(labels)
    for label in labels:
        if label in given:
            out[label] = given[label]
            used.add(given[label])
    spare = spare_colors(used)
    for label in labels:
        if label in out:
            continue
        name = optimizer_of(label)
        color = _colors().get(name) if name else None
        if color is None or color in used:
            color = next(spare)
        out[label] = color
        used.add(color)
    return {label: out[label] for label in labels}


def mathtext(formula: str) -> str:
    """A surface formula ready for a title: wrapped in $…$ unless it already is."""
    formula = formula.strip()
    if not formula:
        return ""
    return formula if "$" in formula else f"${formula}$"
