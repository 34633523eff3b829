"""One test per phenomenon of docs/lecture.md, each on the very scene its notebook shows
(`lossviz.SCENES`), so a notebook and its test cannot drift apart. Thresholds are loose
(orders of magnitude): they check the phenomenon, not the last digit.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

import optimizers
import surfaces
from lossviz import SCENES
from lossviz.lecture import NOTEBOOKS, RMSPROP_ALPHAS, SADDLE_OFFSET, SWEEPS

REPO = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=None)
def runs_of(name: str) -> dict:
    """label → Trajectory of the named scene (computed once per test session)."""
    return SCENES[name].run()


def only(name: str):
    """The single run of a one-run scene, as (theta (T+1, 2), trajectory)."""
    (traj,) = runs_of(name).values()
    return traj.theta[:, 0], traj


def run_labelled(name: str, startswith: str):
    matches = [t for label, t in runs_of(name).items() if label.startswith(startswith)]
    assert len(matches) == 1, f"{name}: no single run labelled {startswith!r}…: {list(runs_of(name))}"
    return matches[0]


def hessian(surface, p, h=1e-5):
    """Central differences of the exact gradient: the Hessian at p, shape (2, 2)."""
    p = np.asarray(p, dtype=float)
    e = np.eye(2) * h
    cols = [(surface.grad(p + e[i]) - surface.grad(p - e[i])) / (2 * h) for i in range(2)]
    H = np.stack(cols, axis=-1)
    return (H + H.T) / 2


# ---------------------------------------------------------------------------------- §1


def test_p01_loss_stalls_while_the_gradient_stays_large():
    theta, traj = only("p01_stall")
    loss, gnorm = traj.loss[:, 0], traj.grad_norm[:, 0]
    late = slice(300, None)
    # the loss curve is flat: it changes by less than 1 % over the last 200 steps …
    assert np.ptp(loss[late]) < 1e-2 * loss[late].mean()
    assert loss[late].mean() > 10  # … far above the minimum 0
    # … while the gradient norm stays as large as at the start (≈ 98) instead of vanishing
    assert gnorm[late].min() > 0.5 * gnorm[0]
    # and it oscillates: the gradient across the valley flips sign at (almost) every step
    across = traj.grad[late, 0, 1]
    assert np.mean(np.sign(across[1:]) != np.sign(across[:-1])) > 0.95


# ---------------------------------------------------------------------------------- §2


def test_p02_large_lr_zigzags_for_good():
    theta, traj = only("p02_zigzag")
    assert traj.lr[0, 0] == pytest.approx(1e-2)
    bowl = SCENES["p02_zigzag"].make_surface()
    lam_max = np.linalg.eigvalsh(hessian(bowl, bowl.minima[0])).max()
    assert traj.lr[0, 0] > 2 / lam_max  # above the GD stability limit of the bowl
    y = theta[:, 1]
    last = slice(-200, None)
    assert np.all(np.sign(y[last][1:]) != np.sign(y[last][:-1]))  # across the valley, every step
    assert np.abs(y[last]).min() > 0.1  # and it does not die out
    loss = traj.loss[:, 0]
    assert np.ptp(loss[last]) < 1e-3 * loss[last].mean()  # the loss stopped falling …
    assert traj.grad_norm[-1, 0] > 10  # … with the gradient still large
    assert traj.diverged_at[0] == -1


def test_p02_tiny_lr_crawls_and_is_still_far_after_100000_steps():
    theta, traj = only("p02_crawl")
    assert traj.steps == 100_000 and traj.lr[0, 0] == pytest.approx(1e-7)
    y = theta[:, 1]
    assert np.all(np.diff(y) <= 0) and np.all(y >= 0)  # no zig-zag: straight down to the floor
    assert abs(y[-1]) < 1e-2 < abs(y[0])  # it reached the valley floor …
    distance = np.hypot(*theta[-1])
    start_distance = np.hypot(*theta[0])
    assert distance > 0.9 * start_distance  # … but moved less than 10 % of the way along it
    assert traj.loss[-1, 0] > 10  # the minimum is 0


def test_p02_export_uses_log_spaced_frames_for_the_crawl():
    from lossviz.export import frame_indices

    scene = SCENES["p02_crawl"]
    frames = frame_indices(scene.steps, scene.frames)
    assert frames[0] == 0 and frames[-1] == scene.steps and len(frames) <= scene.frames
    assert frames[len(frames) // 2] < scene.steps / 100  # half the frames in the first 1 %


# ------------------------------------------------------------------------------- §3, §4


def test_p03_eta_over_sigma_is_small_across_and_large_along():
    gd = run_labelled("p03_per_parameter", "gd")
    ada = run_labelled("p03_per_parameter", "adagrad_mean")
    rate = ada.effective_lr[:10, 0]  # (steps, [along θ₁, across θ₂]) while descending the wall
    # steep direction → large σ → small step; flat direction → small σ → large step
    assert np.all(rate[:, 1] < rate[:, 0] / 3)
    # plain GD has one η for both: its η/σ is the same for every parameter
    np.testing.assert_allclose(gd.effective_lr[:, 0, 0], gd.effective_lr[:, 0, 1])
    # per-parameter rates reach the floor; one η for both keeps bouncing across it
    assert abs(ada.theta[-1, 0, 1]) < 1e-3
    assert abs(gd.theta[-1, 0, 1]) > 0.1


def test_p04_adagrad_mean_form_forgets_and_sum_form_only_falls():
    mean = run_labelled("p04_adagrad_mean_vs_sum", "adagrad_mean")
    total = run_labelled("p04_adagrad_mean_vs_sum", "adagrad (torch)")
    g = mean.grad[:-1, 0]
    # σ is the root mean square (mean form) or the root of the sum (torch) of all past gradients
    t = np.arange(1, mean.steps + 1)[:, None]
    np.testing.assert_allclose(mean.sigma[:, 0], np.sqrt(np.cumsum(g**2, axis=0) / t) + 1e-10, rtol=1e-9)
    g_sum = total.grad[:-1, 0]
    np.testing.assert_allclose(total.sigma[:, 0], np.sqrt(np.cumsum(g_sum**2, axis=0)) + 1e-10, rtol=1e-9)
    # the sum form's η/σ never grows; the mean form's grows by orders of magnitude across
    rate_sum, rate_mean = total.effective_lr[:, 0], mean.effective_lr[:, 0]
    assert np.all(np.diff(rate_sum, axis=0) <= 1e-15)
    assert rate_mean[-1, 1] > 3 * rate_mean[:5, 1].min()
    assert rate_mean[-1, 0] > rate_mean[0, 0]
    # so the mean form keeps moving along the floor while the sum form slows down
    assert np.abs(mean.theta[-1, 0, 0]) < 0.6 * np.abs(total.theta[-1, 0, 0])


# ---------------------------------------------------------------------------------- §5


def test_p05_small_alpha_brakes_as_soon_as_the_slope_steepens():
    runs = runs_of("p05_rmsprop_alpha")
    worst = {}
    for spec, traj in zip(SCENES["p05_rmsprop_alpha"].runs, runs.values()):
        alpha = spec.hyper["alpha"]
        ratio = np.abs(traj.m[:, 0] / traj.sigma[:, 0])  # the step in units of η, per parameter
        # σ² ≥ (1 − α) g²: no step is ever longer than η/√(1 − α) — the brake
        assert ratio.max() <= 1 / np.sqrt(1 - alpha) + 1e-9
        worst[alpha] = ratio.max()
    small, large = min(RMSPROP_ALPHAS), max(RMSPROP_ALPHAS)
    assert worst[small] < 1.1  # reacts at once: every step about η long
    assert worst[large] > 3 * worst[small]  # remembers long: where the slope steepens the steps grow
    assert list(worst.values()) == sorted(worst.values())  # the larger α, the later it brakes


def test_p05_torch_start_v0_zero_takes_a_first_step_1_over_sqrt_1_minus_alpha_larger():
    lecture = run_labelled("p05_rmsprop_v0", "σ⁰ = |g⁰|")
    torch_ = run_labelled("p05_rmsprop_v0", "v = 0")
    alpha = SCENES["p05_rmsprop_v0"].runs[1].hyper["alpha"]
    step_lecture = lecture.theta[1, 0] - lecture.theta[0, 0]
    step_torch = torch_.theta[1, 0] - torch_.theta[0, 0]
    np.testing.assert_allclose(step_torch / step_lecture, 1 / np.sqrt(1 - alpha), rtol=1e-6)
    np.testing.assert_allclose(np.abs(step_lecture), lecture.lr[0, 0], rtol=1e-6)  # σ⁰ = |g⁰|: a step of η


# ---------------------------------------------------------------------------------- §6


def bias_corrected_ema(x, beta):
    """(1 − β) Σ β^(t−k) x_k / (1 − β^(t+1)) for every t, along axis 0."""
    out = np.empty_like(x)
    acc = np.zeros_like(x[0])
    for t in range(len(x)):
        acc = beta * acc + (1 - beta) * x[t]
        out[t] = acc / (1 - beta ** (t + 1))
    return out


def test_p06_adam_is_rmsprop_sigma_plus_momentum_direction():
    scene = SCENES["p06_adam"]
    adam = run_labelled("p06_adam", "adam")
    b1, b2 = optimizers.defaults("adam")["betas"]
    g = adam.grad[:-1, 0]
    # Adam's direction m is momentum's running average of g, its σ is RMSprop's root mean square
    np.testing.assert_allclose(adam.m[:, 0], bias_corrected_ema(g, b1), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(adam.sigma[:, 0], np.sqrt(bias_corrected_ema(g**2, b2)) + 1e-8, rtol=1e-9)
    # with β₁ = 0 the momentum is gone: m = g, as in RMSprop (whose σ Adam bias-corrects)
    spec = next(r for r in scene.runs if r.optimizer == "adam")
    no_momentum = optimizers.run(
        scene.make_surface(), optimizers.make_optimizer("adam", betas=(0.0, b2)), lr=spec.lr, steps=scene.steps
    )
    np.testing.assert_array_equal(no_momentum.m[:, 0], no_momentum.grad[:-1, 0])
    g0 = no_momentum.grad[:-1, 0]
    np.testing.assert_allclose(no_momentum.sigma[:, 0], np.sqrt(bias_corrected_ema(g0**2, b2)) + 1e-8, rtol=1e-9)


def test_p06_momentum_keeps_the_sign_sigma_keeps_only_the_size():
    def flipped(traj):
        """Fraction of steps where the direction m points against this step's gradient."""
        return np.mean(np.sign(traj.m[:, 0]) == -np.sign(traj.grad[:-1, 0]))

    rms = run_labelled("p06_adam", "rmsprop")
    assert flipped(rms) == 0  # RMSprop's direction is the gradient itself
    for prefix in ("momentum", "adam"):
        traj = run_labelled("p06_adam", prefix)
        assert flipped(traj) > 0.01, prefix  # the memory of past signs sometimes outvotes g
        assert np.all(traj.sigma[:, 0] > 0)  # σ: a size, never a sign
    # every run of the scene gets closer to Rosenbrock's minimum than where it started
    for traj in runs_of("p06_adam").values():
        assert traj.loss[-1, 0] < 0.1 * traj.loss[0, 0]


# ---------------------------------------------------------------------------------- §7


def test_p07_adagrad_mean_form_bursts_and_sum_form_does_not():
    mean = np.abs(run_labelled("p07_adagrad_burst", "adagrad_mean").theta[:, 0, 1])
    total = np.abs(run_labelled("p07_adagrad_burst", "adagrad (torch").theta[:, 0, 1])
    settled = np.argmax(mean < 1e-10)  # first step on the floor
    assert 0 < settled < 100
    later = mean[settled:]
    assert later.max() > 1e-2  # … and then it shoots off across the valley
    burst = settled + np.argmax(later > 1e-2)
    assert 100 < burst < 300
    # η/σ across grew by orders of magnitude on the floor, while the gradient was tiny
    rate = run_labelled("p07_adagrad_burst", "adagrad_mean").effective_lr[:, 0, 1]
    assert rate[burst - 5] > 3 * rate[0]
    # torch's sum form: once near the floor it only gets closer
    assert total.min() < 1e-10
    k = np.argmax(total < 1e-3)
    assert np.all(total[k + 1 :] <= total[k:-1])


# ---------------------------------------------------------------------------------- §8


def test_p08_decay_warmup_and_cosine_each_tame_the_burst():
    runs = runs_of("p08_schedules")
    scene = SCENES["p08_schedules"]
    later = slice(150, None)  # after the constant-η run has reached the floor and before its burst
    excursion = {label: np.nanmax(np.abs(t.theta[later, 0, 1])) for label, t in runs.items()}
    constant, *tamed = scene.labels()
    assert excursion[constant] > 1e-2  # the burst
    for label in tamed:
        assert excursion[label] < 1e-3 * excursion[constant], label
        assert runs[label].loss[-1, 0] < 0.05 * runs[label].loss[0, 0], label  # and it still gets somewhere
    # the schedules are what the labels say
    lr = {label: t.lr[:, 0] for label, t in runs.items()}
    assert np.ptp(lr[constant]) == 0
    decay, warmup, cosine = tamed
    assert np.all(np.diff(lr[decay]) < 0)
    warmup_steps = scene.runs[2].lr["schedules"][0]["warmup_steps"]
    assert lr[warmup][0] == 0 and np.argmax(lr[warmup]) == warmup_steps
    assert np.all(np.diff(lr[warmup][:warmup_steps]) > 0) and np.all(np.diff(lr[warmup][warmup_steps:]) < 0)
    np.testing.assert_allclose(lr[cosine][[0, scene.steps // 2]], [0.07, 0.035])


# ---------------------------------------------------------------------------------- §9


def regression_data(surface):
    """The regression surface's data, drawn again as its docstring describes."""
    p = surface.params
    rng = np.random.default_rng(p["seed"])
    x = rng.uniform(0.0, 3.0, p["n_data"])
    y = 2.0 * x + 3.0 + p["noise"] * rng.standard_normal(p["n_data"])
    return x, y


def test_p09_smaller_batches_give_noisier_paths_to_the_same_least_squares_fit():
    scene = SCENES["p09_batch_size"]
    surface = scene.make_surface()
    x, y = regression_data(surface)
    assert surface.f(np.array([1.0, 1.0])) == pytest.approx(np.mean((x + 1 - y) ** 2))
    fit, *_ = np.linalg.lstsq(np.stack([x, np.ones_like(x)], axis=1), y, rcond=None)
    runs = runs_of("p09_batch_size")
    sizes = [r.batch_size or surface.n_data for r in scene.runs]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] == surface.n_data and sizes[-1] == 1
    full = next(iter(runs.values())).theta[:, 0]
    deviation = []
    for traj in runs.values():
        theta = traj.theta[:, 0]
        deviation.append(np.linalg.norm(theta - full, axis=1).mean())
        # every run approaches the least-squares fit (it starts ≈ 3.6 away)
        assert np.linalg.norm(theta[-50:] - fit, axis=1).mean() < 0.1 * np.linalg.norm(theta[0] - fit)
    assert np.linalg.norm(full[-1] - fit) < 1e-2  # full batch: right onto it
    # the smaller the batch, the further the path strays from the full-batch one
    assert deviation[0] == 0 and all(a < b for a, b in zip(deviation, deviation[1:]))


# ---------------------------------------------------------------------------------- §10


@pytest.mark.parametrize("name", ["p10_saddle", "p10_monkey_saddle", "p10_double_well"])
def test_p10_gd_stops_at_the_saddle_and_offset_momentum_noise_escape(name):
    scene = SCENES[name]
    surface = scene.make_surface()
    saddle = np.array(surface.saddles[0])
    saddle_loss = float(surface.f(saddle))
    runs = runs_of(name)
    stuck, offset, momentum, noise = runs.values()

    # exact GD from the stable manifold walks into the saddle and stops there …
    end = stuck.theta[-1, 0]
    assert np.linalg.norm(end - saddle) < 0.05
    assert stuck.grad_norm[-1, 0] < 1e-2 * stuck.grad_norm[0, 0]  # g → 0
    # … yet it is not a minimum: lower ground right next to it, an indefinite Hessian
    eig = np.linalg.eigvalsh(hessian(surface, end))
    assert eig.min() < 0 < eig.max()
    angles = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    ring = end + 0.05 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    assert surface.f(ring).min() < stuck.loss[-1, 0] - 1e-5

    # a small offset, momentum (with the offset) or noise escapes: far lower loss, or off to −∞
    for traj in (offset, momentum, noise):
        last = traj.last()[0]
        escaped = traj.diverged[0] or traj.loss[last, 0] < saddle_loss - 0.5
        assert escaped, traj.labels
        assert np.linalg.norm(traj.theta[last, 0] - saddle) > 0.5, traj.labels
    d0 = np.subtract(offset.theta[0, 0], stuck.theta[0, 0])
    assert np.abs(d0).max() == pytest.approx(SADDLE_OFFSET)
    assert noise.theta[0, 0].tolist() == stuck.theta[0, 0].tolist()  # noise alone, from the manifold


def test_p10_double_well_escapes_end_in_a_minimum():
    surface = SCENES["p10_double_well"].make_surface()
    stuck, *escapes = runs_of("p10_double_well").values()
    assert stuck.loss[-1, 0] == pytest.approx(surface.f(np.array(surface.saddles[0])), rel=1e-6)
    minima = np.array(surface.minima)
    for traj in escapes:
        assert np.linalg.norm(minima - traj.theta[-1, 0], axis=1).min() < 0.1


# ------------------------------------------------------------------------ notebook 09


def test_which_lr_sweep_shows_no_fixed_lr_fits_gd_and_a_window_for_adam():
    spec = SWEEPS["which_lr"]
    results = spec.results()
    assert set(results) == set(spec.optimizers)
    best = {name: np.nanmin(r.final_loss) for name, r in results.items()}
    start_loss = float(surfaces.get(spec.surface).f(np.array(surfaces.get(spec.surface).start)))
    assert best["gd"] > 1e-2 * start_loss  # §2: no η brings plain GD near the minimum in time
    assert best["adam"] < 1e-6 * best["gd"]
    good = {name: np.nan_to_num(r.final_loss, nan=np.inf) < 1e-3 * start_loss for name, r in results.items()}
    assert good["adam"].sum() >= 4  # a window of η values, not a lucky one …
    assert 0 < good["momentum"].sum() < good["adam"].sum()  # … wider than momentum's


def test_best_lr_scene_uses_the_sweep_optimum():
    results = SWEEPS["which_lr"].results()
    for spec in SCENES["best_lr_bowl"].runs:
        r = results[spec.optimizer]
        lrs = np.asarray(r.values[0])
        i = int(np.argmin(np.abs(np.log(lrs / spec.lr))))
        assert r.final_loss[i] < 10 * np.nanmin(r.final_loss) + 1e-12, spec


def test_which_lr_momentum_heatmap_momentum_opens_a_window_that_shifts_with_beta():
    spec = SWEEPS["which_lr_momentum"]
    (r,) = spec.results().values()
    assert r.shape == (len(spec.lr), len(spec.values))
    lr, beta = np.asarray(r.values[0]), np.asarray(r.values[1])
    good = np.nan_to_num(r.final_loss, nan=np.inf) < 1e-3
    assert not good[:, beta == 0].any()  # β = 0 is plain GD: no η works within the steps
    assert good.any() and np.nanmin(r.final_loss) < 1e-6
    # where momentum works, the largest good η tends to shrink as β grows (the step is about η/(1 − β))
    works = [j for j in range(len(beta)) if good[:, j].any()]
    largest = [lr[good[:, j]].max() for j in works]
    assert len(works) >= 3
    assert np.corrcoef(beta[works], np.log(largest))[0, 1] < 0


# ------------------------------------------------------------------------ bookkeeping


def test_every_lecture_point_has_a_scene_a_test_and_a_notebook():
    tests = {name for name in globals() if name.startswith("test_p")}
    for point in range(1, 11):
        assert any(t.startswith(f"test_p{point:02d}_") for t in tests), f"no test for §{point}"
        assert any(s.startswith(f"p{point:02d}_") for s in SCENES), f"no scene for §{point}"
        assert any(f"§{point}" in nb.points.replace(" ", "").split(",") for nb in NOTEBOOKS), f"no notebook for §{point}"
    for nb in NOTEBOOKS:
        assert (REPO / "notebooks" / nb.notebook).is_file(), nb.notebook
        for name in (*nb.scenes, nb.explorer_scene, nb.gif_scene):
            assert name is None or name in SCENES, name
        for name in nb.sweeps:
            assert name in SWEEPS, name


@pytest.mark.parametrize("name", sorted(SCENES))
def test_scenes_round_trip_through_toml_and_json(name):
    scene = SCENES[name]
    assert type(scene).from_toml(scene.to_toml()) == scene
    assert type(scene).from_json(scene.to_json()) == scene
