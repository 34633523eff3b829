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
from lossviz import SCENES, style
from lossviz.lecture import NOTEBOOKS, RMSPROP_ALPHAS, SADDLE_OFFSET, SCHEDULE_LR, SWEEPS, TAIL_STEPS, TARGET, WARMUP_STEPS

REPO = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=None)
def runs_of(name: str) -> dict:
    """label → Trajectory of the named scene (computed once per test session)."""
    return SCENES[name].run()


@lru_cache(maxsize=None)
def fresh_sweep(name: str) -> dict:
    """optimizer → SweepResult of the named sweep, computed now (not the stored results)."""
    return SWEEPS[name].compute()


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
    late = slice(40, None)
    # the loss curve is flat: it changes by less than 1 % over the last 20 steps …
    assert np.ptp(loss[late]) < 1e-2 * loss[late].mean()
    assert loss[late].mean() > 80  # … far above the minimum 0 (it started at 95.8)
    # … while the gradient norm stays as large as at the start (≈ 98) instead of vanishing
    assert gnorm[late].min() > 0.9 * gnorm[0] and gnorm[0] > 90
    # and it oscillates: the gradient across the valley, g₂ (its own panel), flips sign at
    # every step with a size near its wall value kδ = 100
    across = traj.grad[late, 0, 1]
    assert np.all(np.sign(across[1:]) != np.sign(across[:-1]))
    assert np.abs(across).min() > 90
    # the figure shows it: loss and ‖g‖ from 0 on linear axes, signed g₂ beside them
    assert SCENES["p01_stall"].panels == ("loss", "grad_norm", "grad2")


# ---------------------------------------------------------------------------------- §2


def panel_curves(name: str, kind: str):
    """The CurveArtists of one side panel of the scene's still, as the gallery draws it."""
    from lossviz import style as look
    from lossviz.display import _scene_view

    view = _scene_view(SCENES[name], runs_of(name), dpi=look.STILL_DPI, figsize=None, panels=None)
    view.show(view.steps)
    return view.curves[kind]


def bowl_and_limit():
    bowl = SCENES["p02_zigzag"].make_surface()
    lam = np.linalg.eigvalsh(hessian(bowl, bowl.minima[0]))
    return bowl, lam, 2 / lam.max()


def test_p02_bowl_is_long_and_thin_with_a_huge_condition_number():
    bowl, lam, limit = bowl_and_limit()
    assert lam.max() / lam.min() > 3e5  # κ = 10⁶
    assert limit == pytest.approx(2e-3, rel=1e-6)
    (x0, x1), (y0, y1) = bowl.bounds
    assert (x1 - x0) / (y1 - y0) > 100  # the window: a long, thin valley (the figure says "not to scale")


def test_p02_large_lr_zigzags_for_good():
    theta, traj = only("p02_zigzag")
    _, _, limit = bowl_and_limit()
    assert traj.lr[0, 0] == pytest.approx(1e-2) and traj.lr[0, 0] > limit
    y = theta[:, 1]
    last = slice(-200, None)
    assert np.all(np.sign(y[last][1:]) != np.sign(y[last][:-1]))  # across the valley, every step
    assert np.abs(y[last]).min() > 0.4  # on the orbit v* = 0.49: it does not die out
    loss = traj.loss[:, 0]
    assert np.ptp(loss[last]) < 1e-2 * loss[last].mean()  # the loss stopped falling …
    assert loss[-1] > 0.8 * loss[0]
    assert traj.grad_norm[-1, 0] > 90  # … with the gradient still large
    assert traj.diverged_at[0] == -1
    # the figure plots θ₂ signed (linear), so the bounce from +0.49 to −0.49 is what it shows
    curves = panel_curves("p02_zigzag", "theta2")
    assert curves.scale == "linear"
    (line,) = curves.bold
    assert line.get_ydata().max() > 0.45 and line.get_ydata()[-200:].min() < -0.45


def test_p02_every_stable_decade_lr_is_still_far_from_the_minimum_after_100000_steps():
    bowl, _, limit = bowl_and_limit()
    decades = [10.0**k for k in range(-8, 1)]
    stable = [lr for lr in decades if lr < limit]
    assert stable[-1] == 1e-3
    runs = optimizers.run(bowl, "gd", lr=np.array(stable), steps=100_000)
    distance = np.hypot(*runs.theta[-1].T) / np.hypot(*bowl.start)
    assert np.all(distance >= 0.3), dict(zip(stable, distance))
    assert np.all(np.diff(runs.theta[:, :, 1], axis=0) <= 0)  # no zig-zag: straight down to the floor
    # the scene shows the largest of them and the lecture's 1e-7
    theta, traj = None, runs_of("p02_crawl")
    for label, t in traj.items():
        assert t.steps == 100_000
        assert np.hypot(*t.theta[-1, 0]) > 0.9 * np.hypot(*t.theta[0, 0])
        assert t.loss[-1, 0] > 0.3 * t.loss[0, 0]
    # η = 1e-3 lies exactly on the floor from step 10 (|θ₂| = 0: the log panel's "0" row), 1e-7 gets to 1e-3
    large, small = traj.values()
    across = np.abs(large.theta[:, 0, 1])
    assert int(np.flatnonzero(across == 0)[0]) == 10 and np.all(across[10:] == 0)
    assert 1e-3 < abs(small.theta[-1, 0, 1]) < 2e-3
    curves = panel_curves("p02_crawl", "abs_theta2")
    row = curves.zero_row
    assert row is not None and row < 1e-12 and curves.ax.get_ylim()[0] < row
    assert np.all(curves.bold[0].get_ydata()[curves.bold[0].get_xdata() >= 10] == row)  # drawn on it, not left out
    assert "0" in [t.get_text() for t in curves.ax.get_yticklabels()]


def test_p02_sweep_no_fixed_lr_reaches_the_target_within_100000_steps():
    spec = SWEEPS["p02_no_lr_fits"]
    assert spec.steps == 100_000 and spec.target == 1e-3
    lr = np.asarray(spec.lr)
    assert lr.min() <= 1e-8 and lr.max() >= 1.0 and len(lr) >= 4 * 8 + 1  # ≥ 4 per decade
    (result,) = fresh_sweep("p02_no_lr_fits").values()
    bowl, _, limit = bowl_and_limit()
    ratio = np.nan_to_num(result.final_loss, nan=np.inf) / float(bowl.f(np.array(bowl.start)))
    assert ratio.min() > 0.3  # nowhere near 1e-3: crawl on the left, zig-zag on the right
    assert np.all(ratio[lr > limit] > 0.3) and np.all(ratio[lr < limit] > 0.3)


def test_p02_export_uses_log_spaced_frames_for_the_crawl():
    from lossviz.export import frame_indices

    scene = SCENES["p02_crawl"]
    frames = frame_indices(scene.steps, scene.frames)
    assert frames[0] == 0 and frames[-1] == scene.steps and len(frames) <= scene.frames
    assert frames[len(frames) // 2] < scene.steps / 100  # half the frames in the first 1 %


# ------------------------------------------------------------------------------- §3, §4


def test_p03_adagrad_steps_along_the_floor_far_larger_than_gds_best_stable_lr():
    gd = run_labelled("p03_per_parameter", "gd")
    ada = run_labelled("p03_per_parameter", "adagrad_mean")
    _, _, limit = bowl_and_limit()
    eta = gd.lr[0, 0]
    assert 0.9 * limit < eta < limit  # GD at its best stable η
    rate = ada.effective_lr[:, 0]  # (steps, [along θ₁, across θ₂])
    # steep direction → large σ → small step; flat direction → small σ → large step
    assert np.all(rate[:, 1] < rate[:, 0] / 10)
    assert rate[20:, 0].min() > 10 * eta  # along the floor: ≥ 10× GD's η (about 120×)
    # plain GD has one η for both: its η/σ is the same for every parameter
    np.testing.assert_allclose(gd.effective_lr[:, 0, 0], gd.effective_lr[:, 0, 1])
    # in the same 150 steps Adagrad travels 10 units along the floor, GD 0.1
    along = {name: abs(t.theta[-1, 0, 0] - t.theta[0, 0, 0]) for name, t in (("gd", gd), ("ada", ada))}
    assert along["ada"] > 50 * along["gd"] and along["ada"] > 5
    assert abs(ada.theta[-1, 0, 1]) < 1e-3  # and it is on the floor
    # adagrad_mean is drawn solid here as in p04 and p07 (one optimizer, one look); the limit line
    # is drawn above GD's η/σ line just under it
    for name in ("p03_per_parameter", "p04_adagrad_mean_vs_sum", "p07_adagrad_burst"):
        scene = SCENES[name]
        assert {style for spec, style in zip(scene.runs, scene.line_styles().values()) if spec.optimizer == "adagrad_mean"} == {"solid"}
    curves = panel_curves("p03_per_parameter", "effective_lr")
    limit_line = next(a for a in curves.artists if a.get_linestyle() == "--" and a.get_ydata()[0] == pytest.approx(limit))
    assert limit_line.get_zorder() > max(line.get_zorder() for line in curves.bold)


def test_p04_adagrad_mean_form_forgets_and_sum_form_only_falls():
    mean = run_labelled("p04_adagrad_mean_vs_sum", "adagrad_mean")
    total = run_labelled("p04_adagrad_mean_vs_sum", "adagrad (torch)")
    g = mean.grad[:-1, 0]
    # σ is the root mean square (mean form) or the root of the sum (torch) of all past gradients
    t = np.arange(1, mean.steps + 1)[:, None]
    np.testing.assert_allclose(mean.sigma[:, 0], np.sqrt(np.cumsum(g**2, axis=0) / t) + 1e-10, rtol=1e-9)
    g_sum = total.grad[:-1, 0]
    np.testing.assert_allclose(total.sigma[:, 0], np.sqrt(np.cumsum(g_sum**2, axis=0)) + 1e-10, rtol=1e-9)
    # the sum form's η/σ never grows; the mean form's grows across
    rate_sum, rate_mean = total.effective_lr[:, 0], mean.effective_lr[:, 0]
    assert np.all(np.diff(rate_sum, axis=0) <= 1e-15)
    assert rate_mean[-1, 1] > 3 * rate_mean[:5, 1].min()
    # so the mean form keeps its pace along the floor while the sum form slows down
    along = {name: abs(t.theta[-1, 0, 0] - t.theta[0, 0, 0]) for name, t in (("mean", mean), ("sum", total))}
    assert along["mean"] > 3 * along["sum"]


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
    assert worst[small] < 1.1  # reacts at once: no step longer than 1.05 η
    assert worst[large] > 6  # α = 0.99: steps up to 7 η where the slope changed faster than σ
    assert worst[large] > 3 * worst[small]  # remembers long: where the slope steepens the steps grow
    assert list(worst.values()) == sorted(worst.values())  # the larger α, the later it brakes


def test_p05_braking_view_small_alpha_follows_the_slope_large_alpha_remembers_the_wall():
    """What notebook 04 says of the braking figure (lossviz.braking), on its scene: after the
    steep descent (‖g‖ ≥ STEEP_GRAD) the larger α shrinks its steps further and for longer, and
    where a run meets a steep wall again its step overshoots η by more."""
    from lossviz.braking import STEEP_GRAD, braking_figure

    scene = SCENES["p05_rmsprop_alpha"]
    runs = runs_of("p05_rmsprop_alpha")
    found = {}
    for spec, traj in zip(scene.runs, runs.values()):
        step = (np.abs(np.diff(traj.theta[:, 0], axis=0)) / traj.lr[:, 0, None]).max(axis=1)
        steep = traj.grad_norm[:-1, 0] >= STEEP_GRAD
        assert steep[0] and traj.grad_norm[0, 0] > 150  # every run starts on the descent wall (‖g‖ = 163)
        end = int(np.flatnonzero(~steep)[0])  # the first step on the gentle floor
        low = end + int(np.argmin(step[end : end + 300]))
        back = low + int(np.flatnonzero(step[low:] >= 0.5)[0])
        again = steep & (np.arange(len(step)) > end)
        found[spec.hyper["alpha"]] = dict(end=end, low=step[low], back=back, max=step.max(), min=step.min(),
                                          far=float(np.hypot(*(traj.theta[-1, 0] - 1.0))),
                                          flips=float(np.mean(np.diff(np.sign(traj.grad[:, 0, 1])) != 0)),
                                          wall=step[again].max() if again.any() else None, t_max=int(np.argmax(step)))
    small, large = found[0.1], found[0.99]
    assert small["end"] <= 10 and large["end"] <= 20  # the descent lasts 7 to 15 steps
    assert small["min"] > 0.7 and small["max"] < 1.06  # α = 0.1: every step 0.74 … 1.05 η, steep or gentle
    # … bouncing across the floor (g₂ flips sign at most steps), so it ends farthest from the minimum
    assert small["flips"] > 0.4 and small["far"] == max(f["far"] for f in found.values())
    assert found[0.5]["low"] < 0.2 and found[0.5]["back"] <= 20  # 0.18 η, back to η/2 at step 13
    assert found[0.9]["low"] < 0.05 and found[0.9]["back"] <= 80  # 0.04 η, back at step 62
    assert large["low"] < 0.03  # α = 0.99: down to 0.019 η on the floor: σ remembers ‖g‖ = 163
    assert large["back"] > 500  # … and back to η/2 only after 640 steps
    assert large["wall"] is not None and large["wall"] > 6 and large["t_max"] > 900  # the wall at t = 936: 7.15 η
    assert found[0.9]["wall"] > 2.5 and found[0.9]["t_max"] < 100  # α = 0.9 meets a wall at t = 85: 2.99 η
    alphas = sorted(found)
    for key in ("back", "max"):
        assert [found[a][key] for a in alphas] == sorted(found[a][key] for a in alphas), key
    assert [found[a]["low"] for a in alphas] == sorted((found[a]["low"] for a in alphas), reverse=True)
    # the figure draws exactly these step lengths, one strip per α, smallest α on top
    fig = braking_figure(scene, runs)
    strips = [ax for ax in fig.axes if ax.get_ylabel().startswith("α = ")]
    assert [ax.get_ylabel() for ax in strips] == [f"α = {a:g}" for a in alphas]
    for ax, a in zip(strips, alphas):
        traj = runs[f"rmsprop α={a:g}"]
        (line,) = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == traj.lr.shape[0]]
        np.testing.assert_allclose(line.get_ydata(), (np.abs(np.diff(traj.theta[:, 0], axis=0)) / traj.lr[:, 0, None]).max(axis=1))
        shaded = sum(p.get_width() if hasattr(p, "get_width") else 0 for p in ax.patches)
        assert shaded == int((traj.grad_norm[:-1, 0] >= STEEP_GRAD).sum())  # the grey spans: the steep steps


def test_p05_gif_and_explorer_panel_is_the_longest_step_one_line_per_alpha():
    from lossviz.export import build_view

    view, _ = build_view(SCENES["p05_rmsprop_alpha"])
    try:
        lines = view.curves["longest_step"].bold
        assert len(lines) == len(RMSPROP_ALPHAS)  # one curve per α, not one per α and parameter
        for line, traj in zip(lines, runs_of("p05_rmsprop_alpha").values()):
            x, y = line.get_data()
            step = (np.abs(np.diff(traj.theta[:, 0], axis=0)) / traj.lr[:, 0, None]).max(axis=1)
            np.testing.assert_allclose(y, step[np.asarray(x, dtype=int)])
    finally:
        view.figure.clear()


def test_p05_torch_start_v0_zero_takes_a_first_step_1_over_sqrt_1_minus_alpha_larger():
    lecture = run_labelled("p05_rmsprop_v0", "σ⁰ = |g⁰|")
    torch_ = run_labelled("p05_rmsprop_v0", "v = 0")
    alpha = SCENES["p05_rmsprop_v0"].runs[1].hyper["alpha"]
    step_lecture = lecture.theta[1, 0] - lecture.theta[0, 0]
    step_torch = torch_.theta[1, 0] - torch_.theta[0, 0]
    np.testing.assert_allclose(step_torch / step_lecture, 1 / np.sqrt(1 - alpha), rtol=1e-6)
    np.testing.assert_allclose(np.abs(step_lecture), lecture.lr[0, 0], rtol=1e-6)  # σ⁰ = |g⁰|: a step of η
    # the figure's inset draws both first steps as arrows from the start, labelled in units of η
    from lossviz.braking import first_step_figure

    fig = first_step_figure(SCENES["p05_rmsprop_v0"], runs_of("p05_rmsprop_v0"))
    (inset,) = [c for ax in fig.axes for c in ax.child_axes if c.get_title(loc="left").startswith("the first step")]
    arrows = {tuple(np.round(a.xy, 9)): np.asarray(a.xyann) for a in inset.texts if a.arrow_patch is not None}
    for traj in (lecture, torch_):
        np.testing.assert_allclose(arrows[tuple(np.round(traj.theta[1, 0], 9))], traj.theta[0, 0])
    labels = sorted(a.get_text() for a in inset.texts if a.arrow_patch is None)
    assert labels == ["v = 0: 10 η", "σ⁰ = |g⁰|: 1 η"], labels


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
    b1, b2 = next(r for r in scene.runs if r.optimizer == "adam").hyper["betas"]
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

    for prefix in ("momentum", "adam"):
        traj = run_labelled("p06_adam", prefix)
        assert flipped(traj) > 0.01, prefix  # the memory of past signs sometimes outvotes g
        assert np.all(traj.sigma[:, 0] > 0)  # σ: a size, never a sign


def tail_ratio(traj, steps: int = TAIL_STEPS) -> np.ndarray:
    """The loss over the last `steps` steps, divided by the start's (robust end-of-run numbers
    are taken from it, never from the last step alone)."""
    return traj.loss[-steps:, 0] / traj.loss[0, 0]


def test_p06_adam_shows_both_halves_and_ends_ahead_of_both():
    momentum, rms, adam = (run_labelled("p06_adam", p) for p in ("momentum", "rmsprop", "adam"))
    assert "torch form, v = 0" in SCENES["p06_adam"].labels()[1]  # the RMSprop run says its form
    median = {name: np.median(tail_ratio(t)) for name, t in (("momentum", momentum), ("rms", rms), ("adam", adam))}
    # Adam ends ahead of both, over the whole last 10 %: median 5.9e-7 of the start's loss
    # against 1.5e-3 (RMSprop) and 0.32 (momentum); its worst step there (1.8e-6) is 700×
    # below RMSprop's best (1.3e-3): no sawtooth
    assert median["adam"] < 1e-5 and tail_ratio(adam).max() < 1e-5
    assert 1e-3 < median["rms"] < 3e-3 and 0.3 < median["momentum"] < 0.35
    assert tail_ratio(adam).max() < 1e-2 * tail_ratio(rms).min()
    assert tail_ratio(adam).max() < 20 * tail_ratio(adam).min()
    # RMSprop's half: σ per coordinate, so it travels the flat floor — Adam too, momentum not
    along = {name: abs(t.theta[1000, 0, 0] - t.theta[0, 0, 0]) for name, t in (("momentum", momentum), ("rms", rms), ("adam", adam))}
    assert along["adam"] > 10 * along["momentum"] and along["rms"] > 5 * along["momentum"]
    # momentum's half: m averages the alternating gradient across the valley away — RMSprop
    # bounces at ±η/2 for the whole run, Adam lies on the floor and never leaves it again
    across_rms = np.abs(rms.theta[1000:, 0, 1])
    across_adam = np.abs(adam.theta[2000:, 0, 1])
    assert np.median(across_rms) == pytest.approx(rms.lr[0, 0] / 2, rel=0.05) and across_rms.min() > 0.01
    assert across_adam.max() < 1e-40  # no burst of its own: |θ₂| never comes back
    assert (tail_ratio(adam, 5000) < 1e-3).mean() > 0.85  # below the target from step 5,648 on, for good


def test_p06_adam_at_torchs_beta2_bursts_on_its_own():
    """Why §6 runs Adam at β₂ = 0.9999: at torch's 0.999 σ across forgets the early gradients
    while g₂ ≈ 0 on the floor, η/σ across grows past the stability limit and |θ₂| comes back
    above 1e-3 again and again from t ≈ 4,000 (the §7 mechanism): a sawtooth of the loss."""
    scene = SCENES["p06_adam"]
    spec = next(r for r in scene.runs if r.optimizer == "adam")
    assert spec.hyper["betas"] == (0.9, 0.9999)
    default = optimizers.run(scene.make_surface(), optimizers.make_optimizer("adam", betas=(0.9, 0.999)), lr=spec.lr, steps=scene.steps)
    th2 = np.abs(default.theta[:, 0, 1])
    back = np.flatnonzero((th2[1:] > 1e-3) & (th2[:-1] <= 1e-3)) + 1
    assert (back > 2000).sum() > 50 and back[back > 2000].min() > 3000
    ratio = tail_ratio(default)
    assert ratio.max() > 1e3 * np.median(ratio)  # the sawtooth: its peaks far above where it mostly is
    eff = default.effective_lr[:, 0, 1]  # η/σ across: grows while the path lies on the floor
    assert eff[3000] > 3 * eff[1000]  # ≈ e: σ falls by √β₂ a step, e⁻¹ over 2,000 steps


# ---------------------------------------------------------------------------------- §7


def test_p07_adagrad_mean_form_bursts_and_sum_form_does_not():
    from lossviz.view import stability_limit

    scene = SCENES["p07_adagrad_burst"]
    mean_run = run_labelled("p07_adagrad_burst", "adagrad_mean")
    mean = np.abs(mean_run.theta[:, 0, 1])
    total = np.abs(run_labelled("p07_adagrad_burst", "adagrad (torch").theta[:, 0, 1])
    limit = stability_limit(scene.make_surface())
    assert limit == pytest.approx(2e-3, rel=1e-6)
    # down the wall and onto the floor: |θ₂| shrinks geometrically to 1e-24 …
    low = int(np.argmin(mean))
    assert mean[low] < 1e-20 and 30 < low < 100
    # … because η/σ across rises through the stability limit 2/λ exactly there
    rate = mean_run.effective_lr[:, 0, 1]
    crossing = int(np.argmax(rate > limit))
    assert abs(crossing - low) <= 1 and rate[0] < limit
    # the η/σ panel marks that crossing ("t = 59") and its limit label sits where no curve runs
    curves = panel_curves("p07_adagrad_burst", "effective_lr")
    assert [(k, note.get_text()) for k, _, note in curves.crossings] == [(crossing, f"t = {crossing}")] and crossing == 59
    assert curves.limit_note.get_ha() == "right" and curves.limit_note.get_va() == "top"  # below the line, on the right
    # the two paths share their descent: torch's is dashed, so the mean form's shows between the dashes
    assert SCENES["p07_adagrad_burst"].line_styles() == {"adagrad_mean η=0.07 (bursts)": "solid",
                                                          "adagrad (torch sum) η=0.07": style.optimizer_dashes("adagrad")}
    # then |θ₂| grows silently (a straight line on the log panel) for about 100 steps …
    growth = np.diff(np.log(mean[low + 5 : low + 95]))
    assert np.all(growth > 0)
    burst = low + int(np.argmax(mean[low:] > 1e-2))
    assert 80 < burst - low < 150
    # … and the path shoots off across the valley to |θ₂| ≈ 0.12
    peak = low + int(np.argmax(mean[low:]))
    assert 0.1 < mean[peak] < 0.2
    # then comes back towards the floor, but not onto it: σ across has seen the burst, every
    # step across is now η long (|g|/σ = 1), and it bounces at ±η/2 = 0.035 for good
    eta = mean_run.lr[0, 0]
    late = mean[-50:]
    np.testing.assert_allclose(late, eta / 2, rtol=1e-3)
    assert late.max() < 0.5 * mean[peak]
    # torch's sum form: once near the floor it only gets closer
    assert total.min() < 1e-30
    k = int(np.argmax(total < 1e-3))
    assert np.all(total[k + 1 :] <= total[k:-1])
    assert scene.panels == ("abs_theta2", "effective_lr", "loss")


# ---------------------------------------------------------------------------------- §8


def test_p08_schedules_from_one_peak_what_each_costs_and_gains():
    runs = runs_of("p08_schedules")
    scene = SCENES["p08_schedules"]
    constant, decay, cosine, warmup = scene.labels()
    lr = {label: t.lr[:, 0] for label, t in runs.items()}
    ratio = {label: t.loss[:, 0] / t.loss[0, 0] for label, t in runs.items()}
    across = {label: np.abs(t.theta[100:, 0, 1]).max() for label, t in runs.items()}
    first = {label: int(np.argmax(r < TARGET)) if (r < TARGET).any() else None for label, r in ratio.items()}
    # every schedule peaks at the same η
    for label in scene.labels():
        assert lr[label].max() == pytest.approx(SCHEDULE_LR), label
    # the warm-up is 5 % of the run and starts above 0
    assert WARMUP_STEPS >= 0.05 * scene.steps and lr[warmup][0] == pytest.approx(SCHEDULE_LR / 10)
    assert np.all(np.diff(lr[warmup][: WARMUP_STEPS + 1]) > 0) and np.argmax(lr[warmup]) == WARMUP_STEPS
    # constant η: the burst, then a bounce across that never ends (4e-2 of the start's loss)
    assert across[constant] > 0.05 and first[constant] is None and ratio[constant][-1] > 1e-2
    # decay 0.2/√(t+1): the burst is tamed (|θ₂| < 1e-3 after step 100) but η falls so fast
    # that GD-like crawling is back: after 10,000 steps it is 87 % of the way from the minimum
    assert across[decay] < 1e-3
    assert ratio[decay][-1] > 0.3 and abs(runs[decay].theta[-1, 0, 0]) > 0.8 * abs(runs[decay].theta[0, 0, 0])
    # cosine: bursts like the constant run, then η → 0 takes the bounce away — below the
    # 1e-3 target in about 4,400 steps, the only way on this bowl within 10,000
    assert across[cosine] > 0.05 and first[cosine] is not None and first[cosine] < 5000
    assert ratio[cosine][-1] < 1e-5
    # warm-up then cosine: here it costs (later, larger burst) and gains nothing — Adagrad's
    # mean form trusts σ⁰ = |g⁰| from the first step
    assert first[warmup] is not None and first[cosine] < first[warmup] < first[cosine] + 500
    assert across[warmup] > across[cosine]
    assert (first[cosine], first[warmup]) == (4358, 4581)
    # both reach the ★ (their end markers lie under it); the constant run ends on θ₁ ≈ 0 but 0.1 across
    assert abs(runs[cosine].theta[-1, 0, 0]) < 0.5 and abs(runs[warmup].theta[-1, 0, 0]) < 1
    assert abs(runs[constant].theta[-1, 0, 1]) == pytest.approx(0.1, rel=0.05)
    # |θ₂| is exactly 0: decay from step 226, cosine from 6,104 (the panel's "0" row)
    zero = {label: int(np.flatnonzero(t.theta[:, 0, 1] == 0)[0]) for label, t in runs.items() if (t.theta[:, 0, 1] == 0).any()}
    assert zero == {decay: 226, cosine: 6104, warmup: 6258} and np.all(runs[decay].theta[226:, 0, 1] == 0)
    curves = panel_curves("p08_schedules", "abs_theta2")
    assert curves.zero_row == pytest.approx(1e-15) and curves.ax.get_ylim()[0] < 1e-15
    ratio_panel = panel_curves("p08_schedules", "loss_ratio")
    assert ratio_panel.scale == "log" and ratio_panel.limit == (TARGET, f"target: {TARGET:g} × f(θ₀)")
    for line, label in zip(ratio_panel.bold, scene.labels()):
        np.testing.assert_allclose(line.get_ydata()[-1], ratio[label][-1])


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
    # the panel shows the gradient each step used (m = ĝ for plain GD): noisy at the fit
    used = [np.median(np.hypot(*t.m[-100:, 0].T)) for t in runs.values()]
    assert used[0] < 0.01 and 0.5 < used[1] < used[2]
    assert "used_grad" in scene.panels
    # the loss panel is logarithmic; all three get within 5 % of the least-squares loss by step 82,
    # then the full batch stays on it, the mini-batch wobbles just above, the single sample most
    fstar = float(surface.f(fit))
    assert fstar == pytest.approx(1.04, abs=0.005)
    assert max(int(np.argmax(t.loss[:, 0] < 1.05 * fstar)) for t in runs.values()) == 82
    medians = [np.median(t.loss[-100:, 0]) for t in runs.values()]
    assert medians[0] < 1.001 * fstar and medians[0] < medians[1] < 1.06 < medians[2] < 1.12
    assert 2.8 < max(t.loss[20:, 0].max() for t in runs.values()) < 3
    assert panel_curves("p09_batch_size", "loss").scale == "log"
    from lossviz import style

    assert style.axis_labels(scene.surface) == ("w", "b")
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
    # drawn as what they are: leaving the window downhill is an escape, not a divergence
    from lossviz.draw import run_exits

    exits = [run_exits(t, surface.bounds)[0][0] for t in (stuck, offset, momentum, noise)]
    assert exits[0] == "" and all(kind == "escaped" for kind in exits[1:]) if name != "p10_double_well" else exits == [""] * 4
    d0 = np.subtract(offset.theta[0, 0], stuck.theta[0, 0])
    assert np.abs(d0).max() == pytest.approx(SADDLE_OFFSET)
    assert noise.theta[0, 0].tolist() == stuck.theta[0, 0].tolist()  # noise alone, from the manifold


def test_p10_double_well_grad_norm_vanishes_at_the_saddle_and_at_the_minimum_alike():
    stuck, offset = (run_labelled("p10_double_well", p) for p in ("gd on the stable", "gd, start offset"))
    assert stuck.loss[-1, 0] == pytest.approx(1.0) and offset.loss[-1, 0] < 1e-12  # the saddle, a minimum
    assert stuck.grad_norm[-1, 0] == pytest.approx(offset.grad_norm[-1, 0], rel=1e-3) and stuck.grad_norm[-1, 0] < 1e-6
    # the panel dashes the offset run where it lies on the stuck one, so that both show
    curves = panel_curves("p10_double_well", "grad_norm")
    styles = [line.get_linestyle() for line in curves.bold]
    assert styles[0] == "-" and styles[1] == "--"


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
    assert spec.median_of == TAIL_STEPS and all(r.median_of == TAIL_STEPS for r in results.values())
    surface = surfaces.get(spec.surface)
    start_loss = float(surface.f(np.array(surface.start)))
    ratio = {name: r.final_loss / start_loss for name, r in results.items()}
    good = {name: np.nan_to_num(v, nan=np.inf) < TARGET for name, v in ratio.items()}
    best = {name: np.nanmin(v) for name, v in ratio.items()}
    assert not any(r.diverged.any() for r in results.values())  # nothing diverges: every point is drawn
    assert best["gd"] > 0.3  # §2: no η brings plain GD near the minimum in 10,000 steps
    assert not good["momentum"].any()  # nor momentum at its default β = 0.9
    assert 1e-3 < best["rmsprop"] < 2e-3 and 5e-3 < best["adagrad_mean"] < 7e-3
    # Adam: a window of 9 η values (0.042 … 0.42) below the target, its best 1.3e-9; with the
    # median the curve falls and rises smoothly on both sides of its best η (no last-step zig-zag)
    lr = np.asarray(spec.lr)
    assert good["adam"].sum() >= 6 and best["adam"] < 1e-8
    i = int(np.nanargmin(ratio["adam"]))
    window = np.log(ratio["adam"][i - 3 : i + 8])
    assert (np.diff(window[:4]) < 0).all() and (np.diff(window[3:]) > 0).all(), ratio["adam"][i - 3 : i + 8]
    assert lr[i] == pytest.approx(0.075, rel=0.01)


def test_which_lr_figure_tells_coincident_lines_apart_and_says_what_it_plots():
    """adagrad_mean and RMSprop end at the same loss for η ≥ 0.1: the figure draws RMSprop's
    line dashed with hollow markers on top and says so in its legend."""
    from lossviz.sweeps import coincident_with

    spec = SWEEPS["which_lr"]
    results = spec.results()
    under = coincident_with(results)
    assert set(under) == {"rmsprop"} and under["rmsprop"][0] == "adagrad_mean"
    assert under["rmsprop"][1] == pytest.approx(0.1, rel=0.01)
    lr = np.asarray(spec.lr)
    top = lr >= 0.1
    np.testing.assert_allclose(results["adagrad_mean"].final_loss[top], results["rmsprop"].final_loss[top], rtol=1e-3)
    fig = spec.figure(dpi=60)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "rmsprop (= adagrad_mean for η ≥ 0.1)" in labels
    line = next(l for l in ax.get_lines() if l.get_label().startswith("rmsprop"))
    assert line.get_linestyle() == "--" and line.get_markerfacecolor() == "none"
    assert "median of f over the last 1,000 steps" in ax.get_ylabel()
    assert not any("diverged" in t.get_text() for t in ax.texts)


def test_best_lr_scene_uses_the_sweep_optimum():
    results = SWEEPS["which_lr"].results()
    for spec in SCENES["best_lr_bowl"].runs:
        r = results[spec.optimizer]
        lrs = np.asarray(r.values[0])
        i = int(np.argmin(np.abs(np.log(lrs / spec.lr))))
        assert r.final_loss[i] < 10 * np.nanmin(r.final_loss) + 1e-12, spec


def test_best_lr_scene_momentum_at_its_best_eta_without_a_bounce_and_adams_sawtooth():
    """Notebook 09's side-by-side: the sweep's lowest momentum point bounces across the whole
    valley (a solid block on the contour), so the scene takes its best η that settles; Adam at
    torch's β₂ = 0.999 has its own burst (a sawtooth), which the text names."""
    from lossviz.scenes import RunSpec

    runs = runs_of("best_lr_bowl")
    median = {label.split()[0]: np.median(tail_ratio(t)) for label, t in runs.items()}
    momentum = run_labelled("best_lr_bowl", "momentum")
    assert np.abs(momentum.theta[-1000:, 0, 1]).max() < 1e-6  # on the floor: no bounce
    assert 0.3 < median["momentum"] < 0.33 and 0.44 < median["gd"] < 0.46 and median["adam"] < 1e-7
    adam = run_labelled("best_lr_bowl", "adam")
    th2 = np.abs(adam.theta[:, 0, 1])
    back = np.flatnonzero((th2[1:] > 1e-3) & (th2[:-1] <= 1e-3)) + 1
    assert 4000 < back[back > 2000].min() < 4300 and (back > 2000).sum() > 100  # from t ≈ 4,150, > 100 kicks
    assert tail_ratio(adam).max() > 1e-4 and tail_ratio(adam).min() < 1e-13  # the sawtooth spans 10 decades
    (r,) = (SWEEPS["which_lr"].results()["momentum"],)
    lrs = np.asarray(r.values[0])
    best = float(lrs[np.nanargmin(r.final_loss)])
    surface = surfaces.get("bowl")
    bounce = optimizers.run(surface, RunSpec("momentum", best, {"momentum": 0.9}).make_optimizer(), lr=best, steps=10_000)
    assert best > 2.2e-3 and np.abs(bounce.theta[-1000:, 0, 1]).max() > 0.05  # 2.37e-3: keeps bouncing


def test_which_lr_momentum_heatmap_only_a_beta_near_1_reaches_the_floor():
    spec = SWEEPS["which_lr_momentum"]
    (r,) = spec.results().values()
    assert r.shape == (len(spec.lr), len(spec.values))
    beta = np.asarray(r.values[1])
    surface = surfaces.get(spec.surface)
    start_loss = float(surface.f(np.array(surface.start)))
    good = np.nan_to_num(r.final_loss, nan=np.inf) < TARGET * start_loss
    works = beta[good.any(axis=0)]
    # κ = 10⁶: momentum's speed-up needs 1 − β of about 1/√κ — only β = 0.999 gets there
    assert list(works) == [0.999] and good.sum() == 5
    assert not r.diverged.any()


def test_which_lr_momentum_heatmap_draws_ratio_target_and_true_beta_spacing():
    spec = SWEEPS["which_lr_momentum"]
    (r,) = spec.results().values()
    fig = spec.figure(dpi=60)
    ax, bar = fig.axes[0], fig.axes[1]
    assert "hatched" not in ax.get_title()  # nothing diverged, so nothing is hatched
    assert bar.get_ylabel().endswith("/ f(θ₀)")
    surface = surfaces.get(spec.surface)
    start_loss = float(surface.f(np.array(surface.start)))
    mesh = next(c for c in ax.collections if hasattr(c, "get_array") and c.get_array() is not None and c.get_array().size == r.final_loss.size)
    np.testing.assert_allclose(np.ma.filled(mesh.get_array(), np.nan).reshape(len(spec.values), len(spec.lr)),
                               r.final_loss.T / start_loss, rtol=1e-12)
    # the rows sit at 1 − β on a log axis, labelled with β
    assert ax.get_yscale() == "log"
    np.testing.assert_allclose(ax.get_yticks(), 1 - np.asarray(spec.values), rtol=1e-12)
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"{b:g}" for b in spec.values]
    # the 1e-3 target outlines exactly the cells below it: 5 cells of the β = 0.999 row
    (outline,) = [c for c in ax.collections if c.get_label() == "target"]
    good = r.final_loss / start_loss < TARGET
    segments = outline.get_segments()
    assert len(segments) == 8 + 4 + 4  # 3 islands along η: one of 3 cells (8 edges), two of 1 cell (4 each)
    assert good.sum() == 5


# ------------------------------------------------------------------------ bookkeeping


@pytest.mark.parametrize("name", sorted(SWEEPS))
def test_the_stored_sweep_results_the_notebooks_draw_equal_a_fresh_computation(name):
    from lossviz.lecture import _load_sweep_store

    stored = SWEEPS[name].results()
    assert SWEEPS[name].key() in _load_sweep_store(), f"{name} is not stored: run .venv/bin/python tools/make_gallery.py"
    fresh = fresh_sweep(name)
    assert list(stored) == list(fresh) == list(SWEEPS[name].optimizers)
    for optimizer, result in fresh.items():
        np.testing.assert_array_equal(stored[optimizer].final_loss, result.final_loss)
        np.testing.assert_array_equal(stored[optimizer].diverged, result.diverged)
        assert stored[optimizer].names == result.names
        np.testing.assert_array_equal(np.asarray(stored[optimizer].values, dtype=object), np.asarray(result.values, dtype=object))


def test_a_sweep_with_other_settings_is_computed_not_read_from_the_store():
    from dataclasses import replace

    spec = replace(SWEEPS["which_lr_momentum"], lr=(1e-3, 1e-2), steps=50, median_of=10)
    assert spec.key() != SWEEPS["which_lr_momentum"].key()
    (result,) = spec.results().values()
    assert result.final_loss.shape == (2, len(spec.values))



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
