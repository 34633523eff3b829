"""Write the lecture notebooks (notebooks/*.ipynb) from one readable source.

    .venv/bin/python notebooks/_make_notebooks.py

Each notebook: the lecture's formula and what to look at (Markdown), then code cells that only
call the library: a static figure (a PNG, visible on GitHub, nbviewer and in a PDF), the
Explorer on the same scene, and one line exporting that scene's GIF. Every setting comes from
the named scenes in `lossviz/lecture.py`, which tests/test_lecture.py asserts on.
tests/test_notebooks.py checks that the committed notebooks equal what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lossviz.lecture import NOTEBOOKS as LECTURE

HERE = Path(__file__).resolve().parent

SETUP = """\
from lossviz import SCENES, Explorer, save_gif
from lossviz.lecture import static_figure"""


def explore_and_export(notebook: str, hint: str) -> list[tuple[str, str]]:
    """The two closing sections of a lecture notebook: the Explorer and the GIF, on the scenes
    `lossviz.lecture.NOTEBOOKS` names for it."""
    entry = next(e for e in LECTURE if e.notebook == notebook)
    scene, gif = entry.explorer_scene, entry.gif_scene
    return [
        ("md", f"## Explore it\n\nThe scene with a knob for every symbol. {hint}"),
        ("code", f'Explorer.from_scene(SCENES["{scene}"])'),
        ("md", "## Take it home\n\nOne line writes the animation next to this notebook (the command line does the same: "
               f"`lossviz gif --scene {gif} -o {gif}.gif`)."),
        ("code", f'save_gif(SCENES["{gif}"], "{gif}.gif")'),
    ]


def figure(scene: str) -> tuple[str, str]:
    return ("code", f'static_figure(SCENES["{scene}"])')


BOWL = r"""The elongated bowl (`surfaces.SURFACES["bowl"]`):

$$f(\theta) = \tfrac{1}{2}\,\lambda\,\theta_1^2 + k\,\delta^2\left(\sqrt{1 + (\theta_2/\delta)^2} - 1\right),
\qquad \lambda = 1,\ k = 1000,\ \delta = 0.1,$$

flat along $\theta_1$, steep across $\theta_2$. Its Hessian at the minimum has eigenvalues
$1$ and $1000$ (condition number $\kappa = 1000$), so gradient descent settles only for
$\eta < 2/\lambda_{\max} = 2\cdot10^{-3}$; the walls level off away from the floor, so a
larger $\eta$ does not diverge — it bounces."""

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "00_explorer.ipynb": [
        ("md", """\
# lossviz — the explorer

Every surface, optimizer and schedule on one canvas. Pick a **surface** (or type a formula),
choose **optimizers**, move **η** (log slider) and the optimizers' own knobs (β, β₁, β₂, α, ε),
pick a **schedule**, add **gradient noise** or a **mini-batch size**, and **click on the contour**
to move the start. **Play** animates; the side panels show the loss, the gradient norm, η/σ per
parameter and η_t. **Export GIF** writes the animation next to this notebook.

The lecture, point by point, is in notebooks `01_…` to `09_…`; every lecture scene opens here
too, e.g. `Explorer.from_scene("p07_adagrad_burst")`."""),
        ("code", """\
from lossviz import Explorer

Explorer(surface="rosenbrock", optimizers=["gd", "momentum", "adam"], steps=300, lr=1e-3)"""),
    ],
    "01_stall_is_not_a_small_gradient.ipynb": [
        ("md", rf"""# §1 A stalled loss does not mean a small gradient

Gradient descent, $\theta \leftarrow \theta - \eta\, g$ with $g = \nabla f(\theta)$, at
$\eta = 10^{{-2}}$.

{BOWL}

**Look at** the two panels on the right: the loss flattens out at about 40, while the gradient
norm $\lVert g \rVert$ stays near 98 — as large as at the start. Training has stalled, yet the
gradient is anything but small: the path bounces between the two walls of the valley."""),
        ("code", SETUP),
        figure("p01_stall"),
        *explore_and_export("01_stall_is_not_a_small_gradient.ipynb", "Lower η below 2·10⁻³ and the bouncing stops."),
    ],
    "02_one_learning_rate.ipynb": [
        ("md", rf"""# §2 One learning rate cannot fit an elongated convex bowl

{BOWL}

Plain gradient descent $\theta \leftarrow \theta - \eta\, g$ with the lecture's two learning rates:

* $\eta = 10^{{-2}}$: the step across the valley overshoots, so the path **zig-zags** across it
  for good and the loss stops falling while the gradient is still large;
* $\eta = 10^{{-7}}$: no zig-zag, but the path **crawls** along the flat floor — after
  100,000 updates it has moved about 1 % of the way to the minimum.

The convex surface is easy, and fixed-η gradient descent still fails on it."""),
        ("code", SETUP),
        ("md", "## η = 10⁻²: zig-zag\n\n**Look at** the path bouncing between the walls and the flat loss curve."),
        figure("p02_zigzag"),
        ("md", "## η = 10⁻⁷: crawl\n\n100,000 steps, computed here in a few seconds (the GIF at the end "
               "animates them on log-spaced frames). **Look at** the path: it drops to the floor, then "
               "barely moves towards the ★ — after 100,000 steps it is still 99 % of the way away."),
        ("code", 'crawl = SCENES["p02_crawl"]\nruns = crawl.run()  # 100,000 steps\nstatic_figure(crawl, runs)'),
        *explore_and_export("02_one_learning_rate.ipynb", "Try η between the two: is there one that reaches the ★ within these 1000 steps?"),
    ],
    "03_adagrad.ipynb": [
        ("md", r"""# §3, §4 A learning rate per parameter: Adagrad

§3 — give every parameter its own step size:

$$\theta_i \leftarrow \theta_i - \frac{\eta}{\sigma_i}\, g_i .$$

A steep direction has a large $\sigma_i$ and takes small steps; a flat one has a small
$\sigma_i$ and takes large steps.

§4 — Adagrad makes $\sigma_i$ the root mean square of all past gradients:

$$\sigma_i^t = \sqrt{\frac{1}{t+1}\sum_{k=0}^{t} \left(g_i^k\right)^2}
\quad\text{(lecture: adagrad\_mean)},\qquad
\sigma_i^t = \sqrt{\sum_{k=0}^{t} \left(g_i^k\right)^2}
\quad\text{(torch.optim.Adagrad: adagrad)}.$$

The sum form's σ never shrinks, so its η/σ only falls; the mean form forgets."""),
        ("code", SETUP),
        ("md", "## One η for both parameters vs η/σᵢ per parameter\n\n**Look at** the η/σ panel "
               "(θ₁ solid, θ₂ dashed): across the valley (θ₂, steep) η/σ is small, along it (θ₁, flat) "
               "it is large, so Adagrad goes straight down the wall while gradient descent zig-zags."),
        figure("p03_per_parameter"),
        ("md", "## Root mean square (lecture) vs root of the sum (torch)\n\n**Look at** η/σ: the sum "
               "form's falls at every step, the mean form's grows again once the gradients get small — "
               "so the mean form keeps moving along the floor, the sum form slows to a crawl."),
        figure("p04_adagrad_mean_vs_sum"),
        *explore_and_export("03_adagrad.ipynb", "Run more steps and watch the mean form's η/σ across the valley (dashed) keep growing: notebook 06 shows where that leads."),
    ],
    "04_rmsprop_crescent_valley.ipynb": [
        ("md", r"""# §5 RMSprop: recent gradients weigh more

$$\sigma_i^0 = \left|g_i^0\right|,\qquad
\sigma_i^t = \sqrt{\alpha\left(\sigma_i^{t-1}\right)^2 + (1-\alpha)\left(g_i^t\right)^2},
\qquad 0 < \alpha < 1 .$$

Rosenbrock's crescent valley $f = (1-x)^2 + 100\,(y - x^2)^2$: along one and the same
direction the slope is gentle in one region and steep in another, so even one parameter needs
a step size that changes over time. A small α reacts to the current gradient at once (it brakes
as soon as the slope steepens: the step $\eta\,g/\sigma$ never exceeds $\eta/\sqrt{1-\alpha}$);
a large α remembers long."""),
        ("code", SETUP),
        ("md", "## α from small to large\n\n**Look at** the η/σ panel: with α = 0.1 it follows the "
               "gradient step by step (every step is about η long); with α = 0.99 it lags behind, "
               "so steps grow where the slope steepens and shrink where it flattens."),
        figure("p05_rmsprop_alpha"),
        ("md", r"""## How σ starts: σ⁰ = |g⁰| (lecture) vs v = 0 (torch)

`torch.optim.RMSprop` starts from $v = 0$, so its first $\sigma$ is $\sqrt{1-\alpha}\,|g^0|$ and its
first step is $1/\sqrt{1-\alpha}$ times larger — 10× at its default α = 0.99. **Look at** the
first step of each path."""),
        figure("p05_rmsprop_v0"),
        *explore_and_export("04_rmsprop_crescent_valley.ipynb", "Move α and watch how fast η/σ follows the gradient."),
    ],
    "05_adam.ipynb": [
        ("md", r"""# §6 Adam = RMSprop + momentum

Momentum (heavy ball, as `torch.optim.SGD`): $m \leftarrow \beta\, m + g,\ \theta \leftarrow \theta - \eta\, m$.

Adam:

$$m \leftarrow \beta_1 m + (1-\beta_1)\, g,\qquad v \leftarrow \beta_2 v + (1-\beta_2)\, g^2,$$
$$\hat m = \frac{m}{1-\beta_1^t},\qquad \hat v = \frac{v}{1-\beta_2^t},\qquad
\theta \leftarrow \theta - \eta\,\frac{\hat m}{\sqrt{\hat v} + \varepsilon},$$

with $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\varepsilon = 10^{-8}$. Every method here is the lecture's
general form $\theta_i \leftarrow \theta_i - \frac{\eta^t}{\sigma_i^t}\, m_i^t$: momentum keeps
the **sign** of past gradients (a direction, $m$), σ keeps only their **size** — so the two do
not cancel, and Adam has both."""),
        ("code", SETUP),
        ("md", "**Look at** the paths in the crescent valley: momentum overshoots and swings, "
               "RMSprop takes steps of about η in each coordinate, Adam combines the steady step "
               "size with the memory of the direction."),
        figure("p06_adam"),
        *explore_and_export("05_adam.ipynb", "Set β₁ = 0 and Adam becomes RMSprop (with bias correction); set β₂ close to 0 and σ forgets at once."),
    ],
    "06_burst_and_schedules.ipynb": [
        ("md", r"""# §7, §8 The Adagrad burst, and learning-rate schedules that tame it

§7 — On the elongated bowl, Adagrad's mean form
$\sigma_i^t = \sqrt{\frac{1}{t+1}\sum_{k\le t} (g_i^k)^2}$ goes straight down the steep
direction, turns and travels along the flat floor. There the gradient across the valley is
tiny for many steps, so the mean of squares across shrinks, $\eta/\sigma$ across grows, and
the path suddenly **shoots off across the valley** — small gradients accumulate and the step
explodes — then comes back as σ grows again.

§8 — Let time change η:

* decay: $\eta^t = \eta/\sqrt{t+1}$ (also $\eta/(1+k\,t)$, $\gamma^t\eta$, step decay);
* warm-up: η rises first, then decays — σ is a statistic, and small first steps give it time
  to see the surface;
* cosine annealing: $\eta^t = \eta_{\min} + \tfrac{1}{2}(\eta_{\max} - \eta_{\min})\left(1 + \cos\frac{\pi t}{T}\right)$."""),
        ("code", SETUP),
        ("md", "## The burst\n\n**Look at** the η/σ panel: across the valley (dashed) η/σ of the mean "
               "form climbs while the path rests on the floor — until the burst near step 164. "
               "torch's sum form never bursts, but its η/σ only falls and it barely moves."),
        figure("p07_adagrad_burst"),
        ("md", "## Schedules tame it\n\nFour runs of the same Adagrad: constant η (the burst), decay "
               "η = 0.5/√(t+1), a warm-up to 0.1 over 10 steps followed by 0.1/(1 + 0.01 t), and cosine "
               "annealing from 0.07 to 0. **Look at** the η_t panel and the paths: with a schedule, η/σ "
               "across never gets large enough to throw the path off the floor. The decay run starts at a "
               "large η and zig-zags for its first steps; the warm-up run starts small and does not."),
        figure("p08_schedules"),
        *explore_and_export("06_burst_and_schedules.ipynb", "Switch the schedule menu between constant, inverse_sqrt and cosine_annealing."),
    ],
    "07_batch_minibatch_stochastic.ipynb": [
        ("md", r"""# §9 Batch, mini-batch and stochastic gradients

A real model: linear regression $y = w\,x + b$ fitted to 48 points drawn from
$y = 2x + 3 + \text{noise}$. The loss over $\theta = (w, b)$,

$$L(w, b) = \frac{1}{N}\sum_{i=1}^{N}\left(w\,x_i + b - y_i\right)^2,$$

is a real convex bowl. Full-batch gradient descent follows the true gradient; a mini-batch
gradient $\frac{1}{|B|}\sum_{i\in B}\nabla L_i$ is a noisy but unbiased estimate of it, and
the smaller the batch, the noisier the path."""),
        ("code", SETUP),
        ("md", "**Look at** the paths: the full batch glides to the least-squares fit ★, the "
               "mini-batch of 8 wobbles around it, the single sample (batch 1) jitters most. All "
               "of them end up near ★."),
        figure("p09_batch_size"),
        *explore_and_export("07_batch_minibatch_stochastic.ipynb", "Change the batch size, or the seed, and watch the noise."),
    ],
    "08_saddle_points.ipynb": [
        ("md", r"""# §10 Saddle points

At a saddle the gradient vanishes, but it is not a minimum. Gradient descent started on the
saddle's **stable manifold** walks into the saddle and stops there: $g \to 0$, the loss stops
falling, and yet lower ground is right next to it. A small **offset** of the start,
**momentum** (with an offset) or gradient **noise** escapes.

Three surfaces: $x^2 - y^2$; the monkey saddle $x^3 - 3xy^2$ (flat: its Hessian is zero at the
saddle); and a double well $(x^2 - 1)^2 + y^2$ with two minima and a saddle between them.
The first two have no bottom, so a run that escapes slides away for ever — when it leaves
radius $10^6$ it is marked ✕ (diverged)."""),
        ("code", SETUP),
        ("md", "## x² − y²\n\n**Look at** the gradient-norm panel: on the stable manifold (y = 0) it "
               "falls to almost nothing while the loss sits at the saddle's value 0."),
        figure("p10_saddle"),
        ("md", "## Monkey saddle\n\n**Look at** how slowly everything moves near the flat saddle — "
               "and how the offset run still gets away in the end."),
        figure("p10_monkey_saddle"),
        ("md", "## Double well\n\n**Look at** where each run ends: at the saddle (loss 1) on the "
               "stable manifold, in one of the two minima (loss 0) otherwise."),
        figure("p10_double_well"),
        *explore_and_export("08_saddle_points.ipynb", "Click on the contour to start elsewhere: anywhere off the y-axis escapes."),
    ],
    "09_which_learning_rate.ipynb": [
        ("md", r"""# Which learning rate? Sweeps over η (and β)

η is the hyperparameter to tune first. One batched run per optimizer tries a whole grid of η on
the elongated bowl (§2) and keeps the final loss after 500 steps. For gradient descent no η
works: the ones below $2/\lambda_{\max}$ crawl, the ones above zig-zag. Momentum works in a
narrow window, Adam in a wide one. The heatmap varies η and the momentum β together."""),
        ("code", "from lossviz import SCENES, Explorer, save_gif\n"
                 "from lossviz.lecture import SWEEPS, as_image, static_figure"),
        ("md", "## Final loss against η, per optimizer\n\n**Look at** the lowest point of each curve "
               "and how wide the valley around it is; hatched or missing points diverged."),
        ("code", 'as_image(SWEEPS["which_lr"].figure())'),
        ("md", "## η × β for momentum\n\n**Look at** where the final loss is low: at β = 0 (plain "
               "gradient descent) no η gets there in 500 steps; a momentum β of about 0.7 to 0.95 opens "
               "a window, and the good η tends to shrink as β grows (the step is about η/(1 − β))."),
        ("code", 'as_image(SWEEPS["which_lr_momentum"].figure())'),
        ("md", "## The best η of each optimizer, side by side"),
        figure("best_lr_bowl"),
        *explore_and_export("09_which_learning_rate.ipynb", "Move η by one notch either way and watch the best setting fall apart."),
    ],
}


def build(name: str) -> nbformat.NotebookNode:
    """The notebook `name` (no outputs)."""
    cells = [new_markdown_cell(text) if kind == "md" else new_code_cell(text) for kind, text in NOTEBOOKS[name]]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{Path(name).stem[:2]}-{i:02d}"  # stable ids, so regenerating changes nothing
    return nb


def main(argv: list[str] | None = None) -> None:
    out = Path(argv[0]) if argv else HERE
    for name in NOTEBOOKS:
        nbformat.write(build(name), out / name)


if __name__ == "__main__":
    main(sys.argv[1:])
