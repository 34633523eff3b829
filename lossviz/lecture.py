"""The lecture (docs/lecture.md) as named scenes, shared by the notebooks and the tests.

Every number a notebook shows comes from here, and `tests/test_lecture.py` asserts each
phenomenon on the very same scene, so a notebook and its test cannot drift apart:

    from lossviz import SCENES
    runs = SCENES["p07_adagrad_burst"].run()      # label → Trajectory

The bowl's settings are the ones its docstring (surfaces/bowl.py) derives: eigenvalues 1e-3
and 1000 at the minimum (κ = 10⁶), GD stable for η < 2e-3; η = 1e-2 zig-zags, every stable η
crawls, Adagrad's mean form at η = 0.07 bursts near step 162.

Also here: `NOTEBOOKS` (lecture point → notebook → scenes and sweeps) and `SWEEPS` (the
"which η works?" grids). This module is data only: figures for notebooks are drawn by
`lossviz.display`, the README's tables by `tools/readme.py`, the gallery by
`tools/make_gallery.py`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from lossviz.draw.panels import TARGET_RATIO
from lossviz.scenes import SCENES, RunSpec, Scene

# ------------------------------------------------------------------------------------------
# the numbers of the lecture

BOWL_ZIGZAG_LR = 1e-2  # §1, §2: above 2/λ_max = 2e-3, so GD zig-zags for good
BOWL_STABLE_LR = 1.9e-3  # §3: GD's best stable η, just below 2/λ_max
BOWL_CRAWL_LRS = (1e-3, 1e-7)  # §2: the largest stable η of the decade grid, and the lecture's
BOWL_CRAWL_STEPS = 100_000
BOWL_ADAGRAD_LR = 0.07  # §3, §4, §7: Adagrad's mean form bursts near step 160
BURST_STEPS = 450
SCHEDULE_LR = 0.2  # §8: the peak η of every schedule
SCHEDULE_STEPS = 10_000
WARMUP_STEPS = 500  # §8: 5 % of the run
ADAM_SCENE_LRS = {"momentum": 2e-3, "rmsprop": 0.0316, "adam": 0.1}  # §6: momentum and RMSprop at their best η of the "which_lr" sweep (momentum: its best without a bounce)
# §6: Adam's σ remembers |g| for ~1/(1 − β₂) steps. At torch's β₂ = 0.999 σ across forgets the
# early gradients within ~1,000 steps while g₂ ≈ 0 on the floor, so η/σ across grows past the
# stability limit and Adam bursts on its own from t ≈ 4,000 (the §7 mechanism); at 0.9999 σ
# remembers for the whole run and Adam stays on the floor.
ADAM_BETAS = (0.9, 0.9999)
TAIL_STEPS = 1000  # robust end-of-run numbers: the median over the last 10 % of a 10,000-step run
TARGET = TARGET_RATIO  # §2, §8: "reaching the minimum" = the loss below 1e-3 of its start (the "loss_ratio" panel's dashed line)
ROSENBROCK_RMSPROP_LR = 0.01  # §5
RMSPROP_ALPHAS = (0.1, 0.5, 0.9, 0.99)  # §5: small α → large α
REGRESSION_LR = 0.05  # §9: below 2/λ_max ≈ 0.26 of the regression bowl
MINIBATCH_SIZES = (8, 1)  # §9: mini-batch and stochastic (full batch is the first run)
SADDLE_LR = 0.05  # §10
SADDLE_OFFSET = 1e-3  # §10: how far off the stable manifold the "offset" runs start
SADDLE_NOISE = 0.1  # §10: standard deviation of the gradient noise
SADDLE_MOMENTUM = 0.9
GIF_FRAMES = 60  # per exported GIF (notebooks and `lossviz gif --scene …`): a 4-second loop
GIF_FPS = 15


def _scene(**settings: Any) -> Scene:
    """A lecture scene: the given settings, animated with GIF_FRAMES frames at GIF_FPS."""
    return Scene(**{"frames": GIF_FRAMES, "fps": GIF_FPS, **settings})


def _saddle_scene(surface: str, start: tuple[float, float], offset: tuple[float, float], steps: int, title: str) -> Scene:
    """Four runs from (next to) the saddle's stable manifold: stuck, offset, momentum, noise."""
    moved = (start[0] + offset[0], start[1] + offset[1])
    return _scene(
        surface=surface,
        runs=[
            RunSpec("gd", SADDLE_LR, start=start, label="gd on the stable manifold"),
            RunSpec("gd", SADDLE_LR, start=moved, label=f"gd, start offset {SADDLE_OFFSET:g}"),
            RunSpec("momentum", SADDLE_LR, {"momentum": SADDLE_MOMENTUM}, start=moved, label=f"momentum β={SADDLE_MOMENTUM:g}, offset {SADDLE_OFFSET:g}"),
            RunSpec("gd", SADDLE_LR, start=start, grad_noise=SADDLE_NOISE, label=f"gd + gradient noise σ={SADDLE_NOISE:g}"),
        ],
        steps=steps,
        title=title,
        panels=("loss", "grad_norm"),
    )


def _cosine(lr: float, steps: int) -> dict:
    return {"name": "cosine_annealing", "lr_max": lr, "total_steps": steps}


LECTURE_SCENES: dict[str, Scene] = {
    # §1 — the loss is flat, the gradient is not
    "p01_stall": _scene(
        surface="bowl",
        runs=[RunSpec("gd", BOWL_ZIGZAG_LR, label="gd η=1e-2")],
        steps=60,
        title="§1 A stalled loss is not a small gradient: GD at η = 1e-2 on the elongated bowl",
        panels=("loss", "grad_norm", "grad2"),
    ),
    # §2 — one η cannot fit the elongated bowl
    "p02_zigzag": _scene(
        surface="bowl",
        runs=[RunSpec("gd", BOWL_ZIGZAG_LR, label="gd η=1e-2 (zig-zag)")],
        steps=1000,
        title="§2 η = 1e-2 > 2/λ_max: zig-zag across the valley for good",
        panels=("loss", "grad_norm", "theta2"),
    ),
    "p02_crawl": _scene(
        surface="bowl",
        runs=[RunSpec("gd", lr, label=f"gd η={lr:g} ({'largest stable η of 10ᵏ' if lr == BOWL_CRAWL_LRS[0] else 'the lecture'})")
              for lr in BOWL_CRAWL_LRS],
        steps=BOWL_CRAWL_STEPS,
        # its frames are log-spaced over the 100,000 steps (lossviz.export.frame_indices)
        title="§2 η < 2/λ_max: no zig-zag, but 100,000 steps crawl along the floor",
        panels=("loss", "abs_theta2"),
    ),
    # §3 — a learning rate per parameter
    "p03_per_parameter": _scene(
        surface="bowl",
        runs=[
            RunSpec("gd", BOWL_STABLE_LR, label=f"gd: one η = {BOWL_STABLE_LR:g} for both"),
            RunSpec("adagrad_mean", BOWL_ADAGRAD_LR, label=f"adagrad_mean: η/σᵢ per parameter, η = {BOWL_ADAGRAD_LR:g}"),
        ],
        steps=150,
        title="§3 One η for both parameters vs η/σᵢ per parameter",
        panels=("loss", "effective_lr"),
    ),
    # §4 — Adagrad: the lecture's root mean square vs torch's root of the sum
    "p04_adagrad_mean_vs_sum": _scene(
        surface="bowl",
        runs=[
            RunSpec("adagrad_mean", BOWL_ADAGRAD_LR, label="adagrad_mean: σ = √(mean g²)"),
            RunSpec("adagrad", BOWL_ADAGRAD_LR, label="adagrad (torch): σ = √(Σ g²)"),
        ],
        steps=150,
        title="§4 Adagrad: root mean square (lecture) vs root of the sum (torch)",
        panels=("loss", "effective_lr"),
    ),
    # §5 — RMSprop in Rosenbrock's crescent valley
    "p05_rmsprop_alpha": _scene(
        surface="rosenbrock",
        runs=[RunSpec("rmsprop_lecture", ROSENBROCK_RMSPROP_LR, {"alpha": a}, label=f"rmsprop α={a:g}") for a in RMSPROP_ALPHAS],
        steps=1000,
        title="§5 RMSprop from small α (brakes at once) to large α (remembers long)",
        panels=("grad_norm", "longest_step"),  # the notebook's still: lossviz.braking.braking_figure
    ),
    "p05_rmsprop_v0": _scene(
        surface="rosenbrock",
        runs=[
            RunSpec("rmsprop_lecture", ROSENBROCK_RMSPROP_LR, {"alpha": 0.99}, label="σ⁰ = |g⁰| (lecture)"),
            RunSpec("rmsprop", ROSENBROCK_RMSPROP_LR, {"alpha": 0.99}, label="v = 0 (torch)"),
        ],
        steps=300,
        title="§5 RMSprop's start: σ⁰ = |g⁰| vs v = 0 (first step 1/√(1 − α) = 10× larger)",
        panels=("step_length", "loss"),
    ),
    # §6 — Adam = RMSprop + momentum, each at its best η of the "which_lr" sweep
    "p06_adam": _scene(
        surface="bowl",
        runs=[
            RunSpec("momentum", ADAM_SCENE_LRS["momentum"], {"momentum": 0.9}, label=f"momentum β=0.9, η={ADAM_SCENE_LRS['momentum']:g}"),
            RunSpec("rmsprop", ADAM_SCENE_LRS["rmsprop"], {"alpha": 0.99}, label=f"rmsprop (torch form, v = 0) α=0.99, η={ADAM_SCENE_LRS['rmsprop']:g}"),
            RunSpec("adam", ADAM_SCENE_LRS["adam"], {"betas": ADAM_BETAS},
                    label=f"adam β₁={ADAM_BETAS[0]:g}, β₂={ADAM_BETAS[1]:g}, η={ADAM_SCENE_LRS['adam']:g}"),
        ],
        steps=SCHEDULE_STEPS,
        title="§6 Adam = RMSprop's σ (travels the floor) + momentum's m (damps the bounce)",
        panels=("loss", "abs_theta2"),
    ),
    # §7 — the Adagrad burst
    "p07_adagrad_burst": _scene(
        surface="bowl",
        runs=[
            RunSpec("adagrad_mean", BOWL_ADAGRAD_LR, label=f"adagrad_mean η={BOWL_ADAGRAD_LR:g} (bursts)"),
            RunSpec("adagrad", BOWL_ADAGRAD_LR, label=f"adagrad (torch sum) η={BOWL_ADAGRAD_LR:g}"),
        ],
        steps=BURST_STEPS,
        frames=BURST_STEPS // 3,  # 3 steps a frame: the jump across (steps 162–165) gets frames of its own
        fps=25,
        title="§7 The Adagrad burst: η/σ across crosses the stability limit, |θ₂| grows silently, then the path shoots off",
        panels=("abs_theta2", "effective_lr", "loss"),
    ),
    # §8 — schedules: all from the same peak η, 10,000 steps
    "p08_schedules": _scene(
        surface="bowl",
        runs=[
            RunSpec("adagrad_mean", SCHEDULE_LR, label=f"constant η={SCHEDULE_LR:g}"),
            RunSpec("adagrad_mean", {"name": "inverse_sqrt", "lr": SCHEDULE_LR}, label=f"decay {SCHEDULE_LR:g}/√(t+1)"),
            RunSpec("adagrad_mean", _cosine(SCHEDULE_LR, SCHEDULE_STEPS), label=f"cosine {SCHEDULE_LR:g} → 0"),
            RunSpec(
                "adagrad_mean",
                {
                    "name": "join",
                    "schedules": [
                        {"name": "linear_warmup", "lr": SCHEDULE_LR, "warmup_steps": WARMUP_STEPS, "start_lr": SCHEDULE_LR / 10},
                        _cosine(SCHEDULE_LR, SCHEDULE_STEPS - WARMUP_STEPS),
                    ],
                    "boundaries": [WARMUP_STEPS],
                },
                label=f"warm-up {WARMUP_STEPS} steps, then cosine",
            ),
        ],
        steps=SCHEDULE_STEPS,
        title=f"§8 Letting time change η: four schedules with the same peak η = {SCHEDULE_LR:g} (Adagrad, mean form)",
        panels=("lr", "loss_ratio", "abs_theta2"),
    ),
    # §9 — full batch, mini-batch, stochastic
    "p09_batch_size": _scene(
        surface="regression",
        runs=[
            RunSpec("gd", REGRESSION_LR, label="full batch (48 points)"),
            *(
                RunSpec("gd", REGRESSION_LR, batch_size=b, label="stochastic (batch 1)" if b == 1 else f"mini-batch of {b}")
                for b in MINIBATCH_SIZES
            ),
        ],
        steps=300,
        seed=0,
        title="§9 Fitting y = w·x + b: full batch, mini-batch and stochastic gradients",
        panels=("loss", "used_grad"),
    ),
    # notebook 09: the best η of each optimizer in the "which_lr" sweep, side by side
    "best_lr_bowl": _scene(
        surface="bowl",
        runs=[
            RunSpec("gd", 1.78e-3, label="gd η=1.78e-3"),
            # the sweep's best for momentum (median of the last 1,000 steps), 2.37e-3, keeps bouncing
            # across the valley; 2e-3 settles and ends as low (0.32 of the start's loss)
            RunSpec("momentum", ADAM_SCENE_LRS["momentum"], {"momentum": 0.9},
                    label=f"momentum β=0.9, η={ADAM_SCENE_LRS['momentum']:g} (best without a bounce)"),
            RunSpec("adam", 0.075, label="adam η=0.075, β₂=0.999: its own burst from t ≈ 4,150"),
        ],
        steps=SCHEDULE_STEPS,
        title=f"The best η of each optimizer after {SCHEDULE_STEPS:,} steps on the elongated bowl (torch's defaults)",
        panels=("loss",),
    ),
    # §10 — saddle points
    "p10_saddle": _saddle_scene("saddle", (-1.5, 0.0), (0.0, SADDLE_OFFSET), 100, "§10 x² − y²: stuck on the stable manifold (y = 0), escape by offset, momentum or noise"),
    "p10_monkey_saddle": _saddle_scene("monkey_saddle", (1.5, 0.0), (0.0, SADDLE_OFFSET), 150, "§10 Monkey saddle x³ − 3xy²: flat, degenerate, still escapable"),
    "p10_double_well": _saddle_scene("double_well", (0.0, 1.5), (SADDLE_OFFSET, 0.0), 150, "§10 Double well: the saddle between two minima"),
}

SCENES.update(LECTURE_SCENES)
# not a lecture point: the example scene of the CLI's help (`lossviz png --scene rosenbrock_race`)
SCENES["rosenbrock_race"] = Scene(
    surface="rosenbrock",
    runs=[
        RunSpec("gd", 1e-3),
        RunSpec("momentum", 1e-3, {"momentum": 0.9}),
        RunSpec("rmsprop", 1e-2),
        RunSpec("adam", 5e-2),
    ],
    steps=300,
    title="Four optimizers in Rosenbrock's crescent valley",
)


# ------------------------------------------------------------------------------------------
# sweeps: which η works? (notebook 09)


@dataclass(frozen=True)
class SweepSpec:
    """A grid of runs summarised by final loss (lossviz.sweeps.sweep_figure's arguments)."""

    surface: str
    optimizers: tuple[str, ...]
    lr: tuple[float, ...]
    steps: int
    heatmap: str | None = None  # a hyperparameter key ("momentum", "beta1", ...) for an η × key grid
    values: tuple[float, ...] | None = None
    relative: bool = False  # final loss over the start's loss
    target: float | None = None  # a line at this ratio
    regions: bool = False  # name the crawl and zig-zag regions either side of 2/λ_max
    median_of: int = 1  # the loss summarised: 1 = the last step's, k = the median over the last k steps
    title: str = ""

    def key(self) -> str:
        """The sweep's settings as canonical JSON: what its stored results are filed under."""
        return json.dumps({k: v for k, v in asdict(self).items() if k != "title"}, sort_keys=True)

    def results(self) -> dict:
        """Optimizer name → optimizers.SweepResult (what the figure draws): the final losses
        stored in SWEEP_STORE for exactly these settings (a 100,000-step sweep costs seconds
        a notebook should not wait), else `compute()`. tests/test_lecture.py checks that the
        stored results equal a fresh computation; tools/make_gallery.py writes them."""
        stored = _load_sweep_store().get(self.key())
        if stored is None:
            return self.compute()
        results = _results_from_plain(stored)
        return {name: results[name] for name in self.optimizers}  # in the spec's order (the figure's colours)

    def compute(self) -> dict:
        """Optimizer name → optimizers.SweepResult, computed now."""
        import optimizers
        import surfaces
        from lossviz.sweeps import sweep_grid

        surface = surfaces.get(self.surface)
        grid = {}
        out = {}
        for name in self.optimizers:
            if self.heatmap is not None:
                grid = sweep_grid(name, self.heatmap, self.values)
            out[name] = optimizers.sweep(surface, name, steps=self.steps, lr=list(self.lr), median_of=self.median_of, **grid)
        return out

    def figure(self, dpi: float = 120):
        """The sweep drawn by lossviz.sweeps.sweep_figure (an Agg Figure)."""
        import surfaces
        from lossviz.sweeps import sweep_figure

        return sweep_figure(
            surfaces.get(self.surface),
            list(self.optimizers),
            results=self.results(),
            lr=list(self.lr),
            steps=self.steps,
            heatmap=self.heatmap,
            values=None if self.values is None else list(self.values),
            dpi=dpi,
            relative=self.relative,
            target=self.target,
            regions=self.regions,
            median_of=self.median_of,
        )


SWEEP_STORE = Path(__file__).with_name("lecture_sweeps.json")


def _load_sweep_store() -> dict:
    """SweepSpec.key() → its results as plain data (empty when the file is missing)."""
    try:
        return json.loads(SWEEP_STORE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def _results_to_plain(results: Mapping[str, Any]) -> dict:
    return {name: {"names": list(r.names), "values": [list(v) for v in r.values],
                   "final_loss": np.asarray(r.final_loss).tolist(), "diverged": np.asarray(r.diverged).tolist(),
                   "median_of": r.median_of}
            for name, r in results.items()}


def _results_from_plain(plain: Mapping[str, Any]) -> dict:
    from optimizers.sweep import SweepResult

    return {name: SweepResult(optimizer=name, names=tuple(r["names"]), values=tuple(tuple(v) for v in r["values"]),
                              final_loss=np.asarray(r["final_loss"], dtype=float), diverged=np.asarray(r["diverged"], dtype=bool),
                              median_of=int(r.get("median_of", 1)))
            for name, r in plain.items()}


def write_sweep_store(specs: Sequence["SweepSpec"], path: Path | None = None) -> Path:
    """Compute every sweep of `specs` afresh and store its results (atomically)."""
    from lossviz.files import atomic_path

    target = Path(path or SWEEP_STORE)
    data = {spec.key(): _results_to_plain(spec.compute()) for spec in specs}
    with atomic_path(target) as tmp:
        Path(tmp).write_text(json.dumps(data, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    return target


def _geomspace(low: float, high: float, n: int) -> tuple[float, ...]:
    return tuple(float(v) for v in np.geomspace(low, high, n))


SWEEPS: dict[str, SweepSpec] = {
    # §2: every fixed η of GD, 4 per decade from 1e-8 to 1, for 100,000 steps
    "p02_no_lr_fits": SweepSpec(
        surface="bowl",
        optimizers=("gd",),
        lr=_geomspace(1e-8, 1.0, 33),
        steps=BOWL_CRAWL_STEPS,
        relative=True,
        target=TARGET,
        regions=True,
    ),
    "which_lr": SweepSpec(
        surface="bowl",
        optimizers=("gd", "momentum", "adagrad_mean", "rmsprop", "adam"),
        lr=_geomspace(1e-5, 1.0, 41),
        steps=SCHEDULE_STEPS,
        relative=True,
        target=TARGET,
        median_of=TAIL_STEPS,
    ),
    "which_lr_momentum": SweepSpec(
        surface="bowl",
        optimizers=("momentum",),
        lr=_geomspace(1e-5, 1e-1, 33),
        steps=SCHEDULE_STEPS,
        heatmap="momentum",
        values=(0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999),
        relative=True,
        target=TARGET,
        median_of=TAIL_STEPS,
    ),
}


# ------------------------------------------------------------------------------------------
# the notebooks, in lecture order


@dataclass(frozen=True)
class LectureNotebook:
    """One notebook of the lecture: its file, the lecture points it shows and its scenes."""

    notebook: str
    points: str  # "§7, §8" (empty for the explorer)
    topic: str
    scenes: tuple[str, ...] = ()  # drawn as static figures, in this order
    sweeps: tuple[str, ...] = ()
    explorer: str | None = None  # the scene the Explorer opens (default: the first)
    exported: str | None = None  # the scene whose GIF the last cell writes (default: the first)

    @property
    def explorer_scene(self) -> str | None:
        return self.explorer or (self.scenes[0] if self.scenes else None)

    @property
    def gif_scene(self) -> str | None:
        return self.exported or (self.scenes[0] if self.scenes else None)

    @property
    def gif(self) -> str | None:
        """The GIF the notebook's last cell writes (next to the notebook)."""
        return f"{self.gif_scene}.gif" if self.gif_scene else None


NOTEBOOKS: tuple[LectureNotebook, ...] = (
    LectureNotebook("00_explorer.ipynb", "", "the playground: every surface, optimizer and schedule"),
    LectureNotebook("01_stall_is_not_a_small_gradient.ipynb", "§1", "the loss is flat while ‖g‖ stays large", ("p01_stall",)),
    LectureNotebook("02_one_learning_rate.ipynb", "§2", "the elongated bowl (κ = 10⁶): η = 1e-2 zig-zags, every stable η crawls for 100,000 steps, no fixed η reaches the minimum", ("p02_zigzag", "p02_crawl"), ("p02_no_lr_fits",), exported="p02_crawl"),
    LectureNotebook("03_adagrad.ipynb", "§3, §4", "η/σ per parameter: Adagrad's steps along the floor 120× GD's best η; the mean form beside torch's sum form", ("p03_per_parameter", "p04_adagrad_mean_vs_sum"), explorer="p04_adagrad_mean_vs_sum", exported="p04_adagrad_mean_vs_sum"),
    LectureNotebook("04_rmsprop_crescent_valley.ipynb", "§5", "RMSprop on Rosenbrock, a strip per α: α = 0.1 keeps every step within 0.74–1.05 η; α = 0.99 shrinks to 0.02 η after the steep descent for 640 steps and overshoots to 7 η at the next wall; σ⁰ = |g⁰| vs v = 0", ("p05_rmsprop_alpha", "p05_rmsprop_v0")),
    LectureNotebook("05_adam.ipynb", "§6", "Adam = RMSprop + momentum: it travels the floor like RMSprop and damps the bounce like momentum (β₂ = 0.9999: no burst of its own)", ("p06_adam",)),
    LectureNotebook("06_burst_and_schedules.ipynb", "§7, §8", "the Adagrad burst (η/σ past 2/λ_max, silent growth, then the jump); decay, cosine and warm-up from one peak η", ("p07_adagrad_burst", "p08_schedules"), explorer="p07_adagrad_burst", exported="p07_adagrad_burst"),
    LectureNotebook("07_batch_minibatch_stochastic.ipynb", "§9", "linear regression over (w, b): batch size from full to 1, and the noisy gradient each step used", ("p09_batch_size",)),
    LectureNotebook("08_saddle_points.ipynb", "§10", "stuck on the stable manifold; escape (▶, not divergence) by offset, momentum, noise", ("p10_saddle", "p10_monkey_saddle", "p10_double_well"), explorer="p10_double_well", exported="p10_double_well"),
    LectureNotebook("09_which_learning_rate.ipynb", "§2, §8", "sweeps over 10,000 steps: the median loss of the last 1,000 against η per optimizer, η × β heatmap; Adam's own burst at β₂ = 0.999", ("best_lr_bowl",), ("which_lr", "which_lr_momentum")),
)


# ------------------------------------------------------------------------------------------
# the notebooks show figures with lossviz.display (kept importable from here, as their set-up
# cell does); the README's tables and the gallery docs/lecture/ are made by tools/

from lossviz.display import as_image, png_bytes, static_figure  # noqa: E402


__all__ = [
    "LECTURE_SCENES",
    "NOTEBOOKS",
    "SWEEPS",
    "LectureNotebook",
    "SweepSpec",
    "as_image",
    "png_bytes",
    "static_figure",
]
