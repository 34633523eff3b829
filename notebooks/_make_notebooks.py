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
from lossviz.lecture import LectureNotebook

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
\qquad \lambda = 10^{-3},\ k = 1000,\ \delta = 0.1,$$

very flat along $\theta_1$, steep across $\theta_2$. Its Hessian at the minimum has eigenvalues
$10^{-3}$ and $1000$ (condition number $\kappa = 10^6$), so gradient descent settles only for
$\eta < 2/\lambda_{\max} = 2\cdot10^{-3}$; the walls level off away from the floor, so a
larger $\eta$ does not diverge — it bounces. The start $(-300, 0.6)$ lies far along the
valley (loss 95.8: 45 along the floor, 50.8 up the wall). The valley is 360 long and 1.4 wide,
so the figures stretch $\theta_2$ (their x label says by how much)."""

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

**Look at** the three panels on the right, all on linear axes from 0: after 40 steps the loss
is flat at about 85 (it started at 95.8), while the gradient norm $\lVert g \rVert$ stays at 98 —
as large as at the start. The bottom panel shows why: $g_2$, the gradient across the valley,
flips sign at every step (about ±98): the path bounces between the two walls of the valley,
as the vertical line on the contour shows. Training has stalled, yet the gradient is anything
but small."""),
        ("code", SETUP),
        figure("p01_stall"),
        *explore_and_export("01_stall_is_not_a_small_gradient.ipynb", "Lower η below 2·10⁻³ and the bouncing stops."),
    ],
    "02_one_learning_rate.ipynb": [
        ("md", rf"""# §2 One learning rate cannot fit an elongated convex bowl

{BOWL}

Plain gradient descent $\theta \leftarrow \theta - \eta\, g$:

* $\eta = 10^{{-2}}$: the step across the valley overshoots, so the path **zig-zags** across it
  for good and the loss stops falling while the gradient is still large;
* lower η until the zig-zag stops — on the lecture's surface that takes $\eta = 10^{{-7}}$; on
  this bowl it stops at $\eta < 2/\lambda_{{\max}} = 2\cdot 10^{{-3}}$, because a step across
  multiplies the offset by $1 - \eta k$, which shrinks it only while $\eta k < 2$. Below that the
  path **crawls**: along the floor each step shrinks the distance only by the factor
  $1 - \eta\lambda \ge 1 - 2\cdot10^{{-6}}$. After 100,000 updates GD at $\eta = 10^{{-3}}$ is still
  90 % of the way from the minimum, at the lecture's $10^{{-7}}$ 100 %.

The convex surface is easy, and fixed-η gradient descent still fails on it: the sweep at the end
tries every η from $10^{{-8}}$ to 1 (four per decade) and none gets the loss below $10^{{-3}}$ of
its start within 100,000 steps."""),
        ("code", SETUP),
        ("md", "## η = 10⁻²: zig-zag\n\n**Look at** the loss and ‖g‖ (both flat, far above 0) and θ₂, signed: "
               "it flips sign at every step, so over 1000 steps its curve fills the band from +0.49 to −0.49 — the path "
               "settles on a bounce of ±0.49 from wall to wall (the vertical line on the contour) and never gets closer "
               "to the floor."),
        figure("p02_zigzag"),
        ("md", "## η = 10⁻³ and 10⁻⁷: crawl\n\n100,000 steps each, computed here in a few seconds (the GIF at the end "
               "animates them on log-spaced frames). **Look at** |θ₂| (log axis; its bottom row is exactly 0): no zig-zag, "
               "both fall straight towards the floor — η = 10⁻³ reaches |θ₂| = 0 at step 10 and stays there, η = 10⁻⁷ "
               "gets to 10⁻³ in 100,000 steps. Along the floor both barely move towards the ★: η = 10⁻³ gets from "
               "θ₁ = −300 to −271, η = 10⁻⁷ does not move along at all (its path lies under the orange one)."),
        ("code", 'crawl = SCENES["p02_crawl"]\nruns = crawl.run()  # 2 × 100,000 steps\nstatic_figure(crawl, runs)'),
        ("md", "## No fixed η fits\n\nFinal loss after 100,000 steps over the loss at the start, for 33 values of η. "
               "**Look at** the dashed target line at 10⁻³: left of 2/λ_max every η crawls (the best, 1.8·10⁻³, ends at "
               "0.33), right of it every η zig-zags; the curve never comes near the target."),
        ("code", 'from lossviz.lecture import SWEEPS, as_image\nas_image(SWEEPS["p02_no_lr_fits"].figure())'),
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
        ("md", "## One η for both parameters vs η/σᵢ per parameter\n\nGradient descent at its best stable "
               "η = 1.9·10⁻³ (just below 2/λ_max) beside Adagrad's mean form at η = 0.07. **Look at** the η/σ panel "
               "(θ₁ thick, θ₂ thin): GD's one η is the same for both; Adagrad's η/σ across the valley (θ₂, steep) "
               "is small, along it (θ₁, flat) it is 0.24 — about 120× GD's η, whose line lies just under the dashed "
               "limit 2/λ_max. In the same 150 steps Adagrad travels 10 units along the floor, GD 0.1. (Adagrad's η/σ "
               "across keeps growing and passes the limit at t = 59, the dot: notebook 06 shows where that leads.)"),
        figure("p03_per_parameter"),
        ("md", "## Root mean square (lecture) vs root of the sum (torch)\n\n**Look at** η/σ: the sum "
               "form's falls at every step, the mean form's along the floor stays put and across it grows again "
               "once the gradients get small — so in 150 steps the mean form travels more than 3× as far along "
               "the floor as the sum form."),
        figure("p04_adagrad_mean_vs_sum"),
        *explore_and_export("03_adagrad.ipynb", "Run more steps and watch the mean form's η/σ across the valley (thin) keep growing: notebook 06 shows where that leads."),
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
        ("md", "## α from small to large: the braking view\n\n"
               "The start lies on the crescent's steep descent wall (‖g‖ = 163); inside the dashed line on the contour "
               "the floor is gentle (‖g‖ < 15). On the right, one strip per α (dark = small α, on top): the step length "
               "maxᵢ |Δθᵢ|/η over t, grey where the step starts on a steep stretch (‖g‖ ≥ 15), the dashed line at the cap "
               "η/√(1 − α). **Look at** the strips after the grey descent:\n\n"
               "* α = 0.1: every step is 0.74–1.05 η long, steep or gentle — σ follows |g| at once, so it brakes at once "
               "and never runs ahead of the slope. (Its steps of η bounce across the narrow floor, so it gets the least far.)\n"
               "* α = 0.5 and 0.9: σ remembers the wall for a while: steps fall to 0.18 η and 0.04 η and are back at η/2 "
               "by step 13 and 62. Where α = 0.9 runs into a wall at t = 85 (▲ on the contour) its step is 2.99 η.\n"
               "* α = 0.99 remembers long: on the gentle floor its steps shrink to 0.019 η — σ still holds the wall's "
               "‖g‖ — and are back at η/2 only after 640 steps; where it meets the wall of the bend at t = 936 (▲) its "
               "step shoots to 7.15 η before σ catches up.\n\n"
               "On the contour the four paths lie on one another down the wall and along the floor; the strips tell them apart."),
        ("code", "from lossviz.braking import braking_figure, first_step_figure\n"
                 "from lossviz.lecture import as_image\n"
                 'as_image(braking_figure(SCENES["p05_rmsprop_alpha"]))'),
        ("md", r"""## How σ starts: σ⁰ = |g⁰| (lecture) vs v = 0 (torch)

`torch.optim.RMSprop` starts from $v = 0$, so its first $\sigma$ is $\sqrt{1-\alpha}\,|g^0|$ and its
first step is $1/\sqrt{1-\alpha}$ times larger — 10× at its default α = 0.99. **Look at** the inset
(a zoom on the start): both first steps as arrows, 1 η per coordinate for the lecture's form, 10 η for
torch's; the step-length panel at t = 0 shows the same."""),
        ("code", 'as_image(first_step_figure(SCENES["p05_rmsprop_v0"]))'),
        *explore_and_export("04_rmsprop_crescent_valley.ipynb", "Move α and watch how fast the step length follows the slope."),
    ],
    "05_adam.ipynb": [
        ("md", rf"""# §6 Adam = RMSprop + momentum

Momentum (heavy ball, as `torch.optim.SGD`): $m \leftarrow \beta\, m + g,\ \theta \leftarrow \theta - \eta\, m$.

Adam:

$$m \leftarrow \beta_1 m + (1-\beta_1)\, g,\qquad v \leftarrow \beta_2 v + (1-\beta_2)\, g^2,$$
$$\hat m = \frac{{m}}{{1-\beta_1^t}},\qquad \hat v = \frac{{v}}{{1-\beta_2^t}},\qquad
\theta \leftarrow \theta - \eta\,\frac{{\hat m}}{{\sqrt{{\hat v}} + \varepsilon}},$$

with $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\varepsilon = 10^{{-8}}$. Every method here is the lecture's
general form $\theta_i \leftarrow \theta_i - \frac{{\eta^t}}{{\sigma_i^t}}\, m_i^t$: momentum keeps
the **sign** of past gradients (a direction, $m$), σ keeps only their **size** — so the two do
not cancel, and Adam has both.

{BOWL}"""),
        ("code", SETUP),
        ("md", "Momentum and RMSprop at their best η from the sweep of notebook 09 (momentum: its best without a "
               "bounce), Adam at η = 0.1 with β₂ = 0.9999, 10,000 steps; the numbers are medians over the last 1,000 "
               "steps. **Look at** the paths and |θ₂|: momentum (one η for both directions) settles across the valley "
               "but crawls along it (θ₁ = −294 after 1,000 steps; ends at 0.32 of the start's loss). RMSprop (torch's "
               "form, v = 0) travels the floor — its σ is per coordinate (θ₁ = −265 after 1,000 steps) — but bounces "
               "across at ±η/2 = 0.016 every step of the run: its path is the light-blue band, its |θ₂| the flat line; "
               "it ends at 1.5·10⁻³. Adam travels the floor faster still (θ₁ = −208 after 1,000 steps) and, once down, "
               "lies on it: its m averages the alternating gradient across the valley away, and |θ₂| falls below "
               "10⁻⁴⁰ after step 2,000 and never comes back. Its loss falls smoothly below 10⁻³ of the start at "
               "step 5,648 and ends at 6·10⁻⁷ (between 2·10⁻⁷ and 2·10⁻⁶ over the last 1,000 steps), ahead of both.\n\n"
               "Why β₂ = 0.9999 and not torch's 0.999: σ remembers |g| for about 1/(1 − β₂) steps. At 0.999 σ across "
               "forgets the early gradients within ~1,000 steps while g₂ ≈ 0 on the floor, so η/σ across grows "
               "(×2.7 every 2,000 steps) until it passes the stability limit — the burst of §7 — and from step ≈ 4,000 "
               "Adam keeps leaving the floor and coming back: a sawtooth of the loss over 10 decades (notebook 09 "
               "shows it). At 0.9999 σ remembers for the whole run."),
        figure("p06_adam"),
        *explore_and_export("05_adam.ipynb", "Set β₁ = 0 and Adam becomes RMSprop (with bias correction): the bounce across comes back. "
                                             "Set β₂ = 0.999 and watch Adam's own burst begin near step 4,000."),
    ],
    "06_burst_and_schedules.ipynb": [
        ("md", r"""# §7, §8 The Adagrad burst, and learning-rate schedules

§7 — On the elongated bowl, Adagrad's mean form
$\sigma_i^t = \sqrt{\frac{1}{t+1}\sum_{k\le t} (g_i^k)^2}$ goes straight down the steep
direction, turns and travels along the flat floor. There the gradient across the valley is
tiny for many steps, so the mean of squares across shrinks and $\eta/\sigma$ across grows —
until it passes the stability limit $2/\lambda_{\max} = 2\cdot10^{-3}$: from then on every step
across *multiplies* the offset instead of shrinking it, silently at first (|θ₂| is $10^{-24}$),
until the path **shoots off across the valley** — small gradients accumulate and the step
explodes.

§8 — Let time change η:

* decay: $\eta^t = \eta/\sqrt{t+1}$ (also $\eta/(1+k\,t)$, $\gamma^t\eta$, step decay);
* warm-up: η rises first, then decays — σ is a statistic, and small first steps give it time
  to see the surface;
* cosine annealing: $\eta^t = \eta_{\min} + \tfrac{1}{2}(\eta_{\max} - \eta_{\min})\left(1 + \cos\frac{\pi t}{T}\right)$."""),
        ("code", SETUP),
        ("md", "## The burst\n\n**Look at** the η/σ panel: across the valley (thin) the mean form's η/σ rises "
               "through the dashed line 2/λ_max at step 59 (the dot), exactly when |θ₂| (top panel, log axis) stops "
               "falling at 10⁻²⁴. From there |θ₂| grows along a straight line — exponentially, invisible on "
               "the contour — until step 162, when the path shoots off to |θ₂| = 0.12. It then comes back "
               "towards the floor but not onto it: σ across has now seen the burst's gradients, each step "
               "across is η long, and the path bounces at ±η/2 = 0.035 for good. torch's sum form (dashed) never "
               "bursts — its η/σ only falls. Both runs drop to the floor down the same line; the mean form's shows "
               "between the dashes of torch's."),
        figure("p07_adagrad_burst"),
        ("md", "## Schedules\n\nFour runs of the same Adagrad (mean form), all with the same peak η = 0.2, for "
               "10,000 steps. **Look at** the η_t panel, the loss over its start (dashed: the 10⁻³ target) and |θ₂| "
               "(log axis; its bottom row is exactly 0; a curve lying on another is dashed):\n\n"
               "* constant η: the burst, then a bounce across that never ends — the loss stays at 4·10⁻² of its start;\n"
               "* decay 0.2/√(t+1): no burst — |θ₂| falls to 0 by step 226 and stays there — but η falls so fast that it "
               "crawls again: after 10,000 steps it is at θ₁ = −261, the loss at 0.36 of its start;\n"
               "* cosine 0.2 → 0: it bursts like the constant run, but as η → 0 the bounce dies (|θ₂| is 0 from step "
               "6,104) — the loss falls below the target at step 4,358, the first run to get there, and the path ends "
               "at the ★ (its end marker lies under it, at θ₁ = −0.28);\n"
               "* warm-up over 500 steps (from 0.02) then cosine: it gets below the target too, but 223 steps later "
               "(4,581) and after a larger burst (|θ₂| up to 0.28), and also ends under the ★ (θ₁ = −0.58): here warm-up "
               "gains nothing — the mean form's σ⁰ = |g⁰| is already a fair statistic at step 0. Warm-up pays where σ "
               "starts badly (torch's v = 0)."),
        figure("p08_schedules"),
        *explore_and_export("06_burst_and_schedules.ipynb", "Switch the schedule menu from constant to inverse_sqrt or cosine_annealing: does the burst still come?"),
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
        ("md", "**Look at** the paths over (w, b): the full batch glides to the least-squares fit ★, the "
               "mini-batch of 8 wobbles around it, the single sample (batch 1) jitters most; all of them end "
               "up near ★. The loss (log axis): all three fall from 45 to within 5 % of the least-squares loss f* = 1.04 "
               "by step 82; then the full batch stays on it, the mini-batch of 8 wobbles just above (median 1.05 over "
               "the last 100 steps; dashed where it lies on the full batch's curve) and the single sample jumps up to "
               "2.9 (median 1.11). The lower panel shows the gradient each step actually used, ‖ĝ‖: the full batch's "
               "falls steadily towards 0 (0.006 over the last 100 steps), the mini-batch and single-sample "
               "gradients stay noisy even at the fit, where the true gradient is 0 (median 1.1 for the batch "
               "of 8, 2.7 for a single sample)."),
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
The first two have no bottom, so a run that escapes slides away for ever. Leaving the window
is not divergence: such a run is marked ▶ (grey) "left the window at step k" where it left;
a red ✕ "diverged" is kept for a run that blew up (an overflow or an instability, its loss
rising). The saddle is a ◇, a minimum a ★, both drawn above the paths."""),
        ("code", SETUP),
        ("md", "## x² − y²\n\n**Look at** the gradient-norm panel: on the stable manifold (y = 0) it "
               "falls to almost nothing (below 10⁻⁴ after 100 steps) while the loss sits at the saddle's value 0; the "
               "offset, momentum and noise runs leave the window downhill (▶), their loss heading to −∞."),
        figure("p10_saddle"),
        ("md", "## Monkey saddle\n\n**Look at** how slowly everything moves near the flat saddle — "
               "and how the offset run still gets away in the end."),
        figure("p10_monkey_saddle"),
        ("md", "## Double well\n\n**Look at** where each run ends: at the saddle (loss 1) on the "
               "stable manifold, in one of the two minima (loss 0) otherwise. Then at ‖g‖: it falls to 0 at a saddle "
               "and at a minimum alike — the stuck run and the offset run (dashed where it lies on the stuck one) end "
               "with the same ‖g‖ = 4·10⁻⁷, one on the saddle, one in a minimum. The gradient alone cannot tell them apart."),
        figure("p10_double_well"),
        *explore_and_export("08_saddle_points.ipynb", "Click on the contour to start elsewhere: anywhere off the y-axis escapes."),
    ],
    "09_which_learning_rate.ipynb": [
        ("md", r"""# Which learning rate? Sweeps over η (and β)

η is the hyperparameter to tune first. One batched run per optimizer tries a whole grid of η on
the elongated bowl (§2, κ = 10⁶) for 10,000 steps and keeps the median of the loss over the last
1,000 of them, divided by the start's: a run that ends in a bounce or a sawtooth is summarised by
where it mostly is, not by where its last step happens to fall. For gradient descent no η works:
the ones below $2/\lambda_{\max}$ crawl, the ones above zig-zag (best: 0.45 of the start). Momentum
at β = 0.9 does little better (0.32), Adagrad's mean form and RMSprop get within a factor of 6 and
1.5 of the 10⁻³ target, and Adam reaches it for η from 0.042 to 0.42. The heatmap varies η and the
momentum β together."""),
        ("code", "from lossviz import SCENES, Explorer, save_gif\n"
                 "from lossviz.lecture import SWEEPS, as_image, static_figure"),
        ("md", "## Median loss against η, per optimizer\n\n**Look at** the lowest point of each curve, "
               "the dashed 10⁻³ target, and how wide the window below it is. No run diverges, so every point is "
               "drawn. For η ≥ 0.1 Adagrad's mean form and RMSprop end at the same loss (to 0.01 %): both settle "
               "into the same bounce across the valley, so RMSprop's line is drawn dashed with hollow markers over "
               "Adagrad's, and the legend says so."),
        ("code", 'as_image(SWEEPS["which_lr"].figure())'),
        ("md", "## η × β for momentum\n\n**Look at** the cells outlined in white: the only ones whose median loss "
               "is below 10⁻³ of the start's. For β up to 0.998 no η gets there in 10,000 steps (β = 0.998 comes "
               "closest, 1.2·10⁻³); β = 0.999 does for five η between 3.2·10⁻⁴ and 1.8·10⁻³ (best 2.7·10⁻⁵). The "
               "rows sit at their true distance 1 − β from 1, on a log scale. Momentum's speed-up along the floor "
               "is about 1/(1 − β), and a condition number of 10⁶ asks for about √κ = 1000 of it."),
        ("code", 'as_image(SWEEPS["which_lr_momentum"].figure())'),
        ("md", "## The best η of each optimizer, side by side\n\n10,000 steps each, at torch's defaults; medians "
               "over the last 1,000 steps. **Look at** where the paths end and at Adam's loss: GD (η = 1.78·10⁻³) "
               "gets to 0.45 of the start's loss, momentum to 0.32. Momentum runs at its best η without a bounce, "
               "2·10⁻³: the sweep's lowest point for it, η = 2.4·10⁻³, keeps bouncing across the valley. Adam "
               "(η = 0.075, β₂ = 0.999) has a median of 6·10⁻⁹, but its loss is a sawtooth from step ≈ 4,150 on, "
               "spanning 2·10⁻¹⁵ … 7·10⁻⁴ over the last 1,000 steps: Adam's own burst, the §7 mechanism (σ across "
               "forgets while the path lies on the floor, η/σ passes the stability limit, the path is kicked "
               "across, the fresh gradient refills σ). Notebook 05 runs Adam at β₂ = 0.9999, which keeps it on the floor."),
        figure("best_lr_bowl"),
        *explore_and_export("09_which_learning_rate.ipynb", "Move η by one notch either way and watch the best setting fall apart."),
    ],
}

# ------------------------------------------------------------------ 10: write your own optimizer
# The three exercise cells ship with `...` blanks: valid Python, so the notebook runs headless,
# and check_update reports them as "not filled in yet". The solutions sit in one hidden cell.

EXERCISE_SETUP = """\
import numpy as np

from lossviz import Explorer, check_update, save_gif
from optimizers import Direction, Optimizer"""

MOMENTUM_EXERCISE = """\
def my_momentum(momentum=0.9):
    beta = momentum

    def init(theta):
        return 0, np.zeros_like(theta)  # t (gradients seen), the velocity v

    def update(g, state):
        t, v = state
        v = ...  # your code: g at the first step (t == 0), then β v + g
        sigma = np.ones_like(g)  # momentum has one step size for every parameter
        return Direction(v, sigma), (t + 1, v)

    return Optimizer(init, update, name="my_momentum")"""

RMSPROP_EXERCISE = """\
def my_rmsprop(alpha=0.99, eps=1e-8):
    def init(theta):
        return np.zeros_like(theta)  # v, the moving average of g² (torch starts it at 0)

    def update(g, v):
        v = ...  # your code: α v + (1 − α) g²
        sigma = ...  # your code: √v + ε
        return Direction(g, sigma), v

    return Optimizer(init, update, name="my_rmsprop")"""

ADAM_EXERCISE = """\
def my_adam(betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas

    def init(theta):
        zeros = np.zeros_like(theta)
        return 0, zeros, zeros  # t, m, v

    def update(g, state):
        t, m, v = state
        t = t + 1  # t counts the gradients seen, from 1
        m = ...  # your code: β₁ m + (1 − β₁) g
        v = ...  # your code: β₂ v + (1 − β₂) g²
        m_hat = ...  # your code: m / (1 − β₁ᵗ)
        sigma = ...  # your code: √(v / (1 − β₂ᵗ)) + ε
        return Direction(m_hat, sigma), (t, m, v)

    return Optimizer(init, update, name="my_adam")"""

SOLUTIONS = """\
# Solutions: try the exercises first. (JupyterLab hides this cell's code: click the bar to show it.)

def solution_momentum(momentum=0.9):
    def init(theta):
        return 0, np.zeros_like(theta)

    def update(g, state):
        t, v = state
        v = g if t == 0 else momentum * v + g
        return Direction(v, np.ones_like(g)), (t + 1, v)

    return Optimizer(init, update, name="solution_momentum")


def solution_rmsprop(alpha=0.99, eps=1e-8):
    def init(theta):
        return np.zeros_like(theta)

    def update(g, v):
        v = alpha * v + (1 - alpha) * g * g
        return Direction(g, np.sqrt(v) + eps), v

    return Optimizer(init, update, name="solution_rmsprop")


def solution_adam(betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas

    def init(theta):
        zeros = np.zeros_like(theta)
        return 0, zeros, zeros

    def update(g, state):
        t, m, v = state
        t = t + 1
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        sigma = np.sqrt(v / (1 - beta2**t)) + eps
        return Direction(m_hat, sigma), (t, m, v)

    return Optimizer(init, update, name="solution_adam")


for solution, reference in ((solution_momentum, "momentum"), (solution_rmsprop, "rmsprop"), (solution_adam, "adam")):
    print(check_update(solution, reference).verdict, "-", solution.__name__)"""

NOTEBOOKS["10_write_your_own.ipynb"] = [
    ("md", r"""# Write your own optimizer: momentum, RMSprop and Adam

Every optimizer of the lecture proposes, at step $t$, a **direction** $m^t$ and a
**per-parameter scale** $\sigma^t$; the runner alone moves the parameters,

$$\theta_i \leftarrow \theta_i - \frac{\eta^t}{\sigma_i^t}\, m_i^t .$$

In code an optimizer is two pure functions: `init(theta) -> state` and
`update(g, state) -> (Direction(m, sigma), new_state)`, wrapped as `Optimizer(init, update)`.
θ and g are arrays of shape (B, 2) (B runs of two parameters); numpy's elementwise `*`, `/` and
`np.sqrt` work on all of them at once. Here are the three rules in torch's conventions
(`torch.optim.SGD`, `RMSprop`, `Adam`, no weight decay):

| | m (direction) | σ (scale) |
| --- | --- | --- |
| momentum | $v^0 = g^0,\ v^t = \beta v^{t-1} + g^t$, $m = v$ | $1$ |
| RMSprop | $g$ | $v^t = \alpha v^{t-1} + (1-\alpha)(g^t)^2$ from $v = 0$, $\sigma = \sqrt{v} + \varepsilon$ |
| Adam | $m^t = \beta_1 m^{t-1} + (1-\beta_1) g^t$, $\hat m = m / (1-\beta_1^t)$ | $v^t = \beta_2 v^{t-1} + (1-\beta_2)(g^t)^2$, $\sigma = \sqrt{v / (1-\beta_2^t)} + \varepsilon$ |

with $t$ counted from 1 in Adam's bias correction. Two traps are worth knowing: torch's momentum
adds the whole gradient ($v = \beta v + g$, not the moving average $\beta v + (1-\beta) g$), and
torch's RMSprop starts from $v = 0$ (the lecture's `rmsprop_lecture` starts at $\sigma^0 = |g^0|$).

Fill in each `...` below, run the cell, then run the check under it.
`check_update(yours, "adam", **hyper)` runs your optimizer and the built-in one on three
surfaces for 40 steps and says "matches step for step", or shows the first step where they part —
θ, g, m and σ of both side by side — and the likely cause when it is a known mistake."""),
    ("code", EXERCISE_SETUP),
    ("md", "## 1. Momentum (heavy ball, as `torch.optim.SGD`)"),
    ("code", MOMENTUM_EXERCISE),
    ("code", 'check_update(my_momentum, "momentum", momentum=0.9)'),
    ("md", "## 2. RMSprop (as `torch.optim.RMSprop`: v starts at 0)"),
    ("code", RMSPROP_EXERCISE),
    ("code", 'check_update(my_rmsprop, "rmsprop", alpha=0.99, eps=1e-8)'),
    ("md", "## 3. Adam"),
    ("code", ADAM_EXERCISE),
    ("code", 'check_update(my_adam, "adam", betas=(0.9, 0.999), eps=1e-8)'),
    ("md", "## Solutions\n\nThe cell below holds a solution to each exercise (its code is hidden in JupyterLab: "
           "click the bar to show it) and checks them; the race uses the solution's Adam until yours matches."),
    ("hidden", SOLUTIONS),
    ("md", "## The race\n\nYour Adam against the built-in Adam and momentum on Himmelblau's surface (four minima ★), "
           "all at η = 10⁻². **Look at** your path: it lies under the dashed built-in Adam for every one of the 300 "
           "steps — the check above, drawn — and heads straight for the minimum at (−2.8, 3.1), while momentum "
           "gets there first by circling it. Move β₁, β₂ or ε: both Adams follow, since your factory takes "
           "torch's keywords."),
    ("code", 'racer = my_adam if check_update(my_adam, "adam").ok else solution_adam\n'
             'print("racing", "your Adam" if racer is my_adam else "the solution\'s Adam (yours does not match the built-in one yet)")'),
    ("code", 'race = Explorer(surface="himmelblau", optimizers=[racer, "adam", "momentum"], steps=300, lr=1e-2)\nrace'),
    ("md", "## Take it home\n\nA GIF of the race for your slides (40 frames, 1280 px wide), written next to this notebook."),
    ("code", 'from IPython.display import Image\n\n'
             'gif = save_gif(race, "my_adam_race.gif", frames=40)\n'
             'Image(filename=gif)'),
]

# Notebooks that are not a lecture point (the README lists them after the lecture's).
EXERCISES = (
    LectureNotebook("10_write_your_own.ipynb", "§6", "exercise: write momentum, RMSprop and Adam yourself; "
                    "check_update compares them step for step with the built-in ones; race and export a GIF"),
)


def _cell(kind: str, text: str):
    """A Markdown cell ("md"), a code cell ("code") or a code cell whose source JupyterLab
    hides until clicked ("hidden": the exercise's solutions)."""
    if kind == "md":
        return new_markdown_cell(text)
    if kind == "hidden":
        return new_code_cell(text, metadata={"jupyter": {"source_hidden": True}})
    return new_code_cell(text)


def build(name: str) -> nbformat.NotebookNode:
    """The notebook `name` (no outputs)."""
    cells = [_cell(kind, text) for kind, text in NOTEBOOKS[name]]
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
