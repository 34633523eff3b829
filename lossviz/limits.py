"""The budget: how much work any one input may ask for, checked before the work starts.

Every number a user can type (CLI option, scene file, formula box, slider, Python argument)
is bounded here, so that no input can hang lossviz or exhaust memory: the worst accepted
input finishes in about a minute on a laptop and stays under a few GB. A value outside its
bound is a ValueError that names the limit and the number asked for; the CLI prints it as
one line and exits with status 2. Sliders and menus (the Explorer) take their ranges from
here too.

The limits of the numerical core live next to the code that enforces them (`optimizers`
and `surfaces` import only numpy, never lossviz) and are repeated here by name, so this
module is the one table a reader needs; `docs/budget.md` explains the choices. The
defaults of the same inputs (a scene's steps, seed, frames, fps) sit beside their ranges.
"""

from __future__ import annotations

from optimizers.run import MAX_CELLS, MAX_SEED, MAX_STEPS
from optimizers.sweep import MAX_CONFIGS, MAX_UPDATES as MAX_SWEEP_UPDATES
from surfaces.expression import MAX_DEPTH as MAX_FORMULA_DEPTH
from surfaces.expression import MAX_EXPONENT as MAX_FORMULA_POWER
from surfaces.expression import MAX_LENGTH as MAX_FORMULA_LENGTH
from surfaces.expression import MAX_NUMBER_LENGTH, MAX_NUMBER_MAGNITUDE

# -- runs (optimizers.run, Scene) ---------------------------------------------------------
STEPS_RANGE = (1, MAX_STEPS)  # updates T of one run
MAX_RUNS = 100  # runs in one scene or one SceneView (a legend of more is unreadable anyway)
# runs × steps of a whole scene: each run is its own loop of ~10–25 µs a step, and a drawn
# step costs ~0.5 kB, so 1,000,000 is ≤ ~25 s and < 1 GB (one 10⁶-step run, or 10 × 10⁵)
MAX_SCENE_STEPS = 1_000_000
SEED_RANGE = (0, MAX_SEED)
DEFAULT_STEPS = 200  # a scene's T when none is given
DEFAULT_SEED = 0
BATCH_SIZE_RANGE = (1, 10**9)  # and at most the surface's data size

# η of a sweep's grid: a log axis over more decades than float64 can pad overflows
SWEEP_LR_RANGE = (1e-30, 1e30)

# -- exports (GIF / MP4 / PNG) ------------------------------------------------------------
FRAMES_RANGE = (2, 2000)
FPS_RANGE = (1, 100)
DEFAULT_FRAMES = 120  # at most this many frames (long runs get log-spaced ones)
DEFAULT_FPS = 20
DPI_RANGE = (20, 600)
FIGSIZE_RANGE = (1.0, 40.0)  # inches, each of width and height
# pixels × frames of an animation: Pillow holds every GIF frame (~1 byte a pixel) until it
# writes the file, and rendering costs time per pixel. 1e9 is ~1.2 GB and ~40 s at 200 dpi,
# ~0.3 GB and ~12 s for 1500 frames of the default 1100 × 600 picture (measured).
MAX_PIXEL_FRAMES = 1_000_000_000
MAX_PIXELS = 40_000_000  # pixels of one picture (a PNG, or one frame): 600 dpi × 11 × 6 in is 23.8e6

# -- text ---------------------------------------------------------------------------------
MAX_TITLE_LENGTH = 200  # characters of a scene's title
MAX_LABEL_LENGTH = 100  # characters of a run's label
MAX_NAME_LENGTH = 100  # characters of a name (surface, optimizer, schedule, colour)

# -- files and nesting --------------------------------------------------------------------
MAX_SCENE_FILE_BYTES = 1_000_000  # a scene file (or scene text) is read only below this size
MAX_NESTING = 8  # lists and tables inside one another in a scene (a join of joins of …)
MAX_LIST_LENGTH = 1000  # items of one list in a scene (join schedules, boundaries, a tuple)
MAX_ECHO_LENGTH = 100  # characters of a value repeated in an error message
MAX_MESSAGE_LENGTH = 500  # characters of the one line the CLI prints for an error

__all__ = [
    "BATCH_SIZE_RANGE",
    "DEFAULT_FPS",
    "DEFAULT_FRAMES",
    "DEFAULT_SEED",
    "DEFAULT_STEPS",
    "DPI_RANGE",
    "FIGSIZE_RANGE",
    "FPS_RANGE",
    "FRAMES_RANGE",
    "MAX_CELLS",
    "MAX_CONFIGS",
    "MAX_FORMULA_DEPTH",
    "MAX_FORMULA_LENGTH",
    "MAX_FORMULA_POWER",
    "MAX_LABEL_LENGTH",
    "MAX_ECHO_LENGTH",
    "MAX_LIST_LENGTH",
    "MAX_MESSAGE_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_NESTING",
    "MAX_NUMBER_LENGTH",
    "MAX_NUMBER_MAGNITUDE",
    "MAX_PIXELS",
    "MAX_PIXEL_FRAMES",
    "MAX_RUNS",
    "MAX_SCENE_FILE_BYTES",
    "MAX_SCENE_STEPS",
    "MAX_STEPS",
    "MAX_SWEEP_UPDATES",
    "MAX_TITLE_LENGTH",
    "SEED_RANGE",
    "SWEEP_LR_RANGE",
    "STEPS_RANGE",
]
