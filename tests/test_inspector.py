"""The step inspector: every number of one update (Trajectory.table / to_csv / to_dataframe)."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

import optimizers
import surfaces


@pytest.fixture(scope="module")
def traj():
    return optimizers.run(surfaces.SURFACES["rosenbrock"], "adam", lr=np.array([1e-2, 5e-2]), steps=20, labels=("slow", "fast"))


def test_a_row_per_run_and_parameter_with_the_lectures_rule(traj):
    rows = traj.table(7)
    assert [(r["run"], r["parameter"]) for r in rows] == [("slow", "θ₁"), ("slow", "θ₂"), ("fast", "θ₁"), ("fast", "θ₂")]
    for r, (b, i) in zip(rows, [(0, 0), (0, 1), (1, 0), (1, 1)]):
        assert r["theta"] == traj.theta[7, b, i] and r["g"] == traj.grad[7, b, i] and r["f"] == traj.loss[7, b]
        assert r["lr_over_sigma"] == pytest.approx(r["lr"] / r["sigma"])
        # Δθ = −(η/σ)·m: the one line of the runner that moves θ
        assert r["delta_theta"] == pytest.approx(-r["lr_over_sigma"] * r["m"], rel=1e-12)
        assert r["lr"] == [1e-2, 5e-2][b]


def test_the_last_step_has_no_update(traj):
    last = traj.table(traj.steps)
    assert all(math.isnan(r["m"]) and math.isnan(r["delta_theta"]) and not math.isnan(r["theta"]) for r in last)
    with pytest.raises(ValueError, match="k"):
        traj.table(traj.steps + 1)


def test_csv_holds_every_step(traj, tmp_path):
    path = tmp_path / "adam.csv"
    traj.to_csv(path)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == (traj.steps + 1) * 2 * 2 and list(rows[0]) == list(traj.TABLE_COLUMNS)
    assert float(rows[4 * 3 + 1]["theta"]) == pytest.approx(traj.theta[3, 0, 1], rel=1e-15)
    assert [p.name for p in tmp_path.iterdir()] == ["adam.csv"]  # no temporary file left


def test_dataframe_when_pandas_is_there(traj):
    pd = pytest.importorskip("pandas")
    df = traj.to_dataframe()
    assert isinstance(df, pd.DataFrame) and len(df) == (traj.steps + 1) * 4


def test_without_pandas_the_error_says_what_to_install(traj, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)  # an import of pandas now fails
    with pytest.raises(ImportError, match="pip install pandas"):
        traj.to_dataframe()


# -- the summary per run: numbers worked by hand on runs whose every step is known in closed form

def _gd(surface, lr, steps, start, label):
    return optimizers.run(surface, "gd", lr=lr, steps=steps, start=start, labels=(label,))


@pytest.fixture(scope="module")
def bowl_runs():
    """GD on f = ½(x² + y²) from (1, 1): θ_t = (1 − η)^t θ₀. η = 0.5 halves θ (f_t = 4^−t);
    η = 2.5 multiplies it by −1.5, so |θ| first exceeds the escape radius 10⁶ at t = 35
    (1.5³⁴ ≈ 9.7e5, 1.5³⁵ ≈ 1.5e6)."""
    bowl = surfaces.quadratic(1.0, 1.0, 0.0)
    return bowl, {"settles": _gd(bowl, 0.5, 20, (1.0, 1.0), "settles"), "blows up": _gd(bowl, 2.5, 50, (1.0, 1.0), "blows up")}


def test_trajectory_summary_by_hand(bowl_runs):
    _, runs = bowl_runs
    (s,) = runs["settles"].summary(1e-3, f_star=0.0)
    assert s["final_loss"] == pytest.approx(0.25**20, rel=1e-12) and s["best_step"] == 20
    assert s["best_loss"] == s["final_loss"] and s["diverged_at"] == -1
    assert s["tol_step"] == 5  # 4⁻⁴ ≈ 3.9e-3 > 10⁻³ ≥ 4⁻⁵ ≈ 9.8e-4
    assert s["stay_step"] == 5  # and it never leaves again
    # the gap is to f*: with a floor f* = 0.01, 4^−t − 0.01 ≤ 10⁻³ first at t = 4 (4⁻³ ≈ 0.0156 > 0.011)
    assert runs["settles"].summary(1e-3, f_star=0.01)[0]["tol_step"] == 4
    (d,) = runs["blows up"].summary(1e-3)
    assert d["diverged_at"] == 35 and math.isnan(d["final_loss"]) and d["tol_step"] == -1 and d["stay_step"] == -1
    assert d["best_loss"] == 1.0 and d["best_step"] == 0  # f(θ₀) = ½(1 + 1); every later step is higher
    assert runs["settles"].summary(1e-3, f_star=None)[0]["tol_step"] is None


def test_trajectory_summary_rejects_bad_tol(bowl_runs):
    _, runs = bowl_runs
    for bad in (0.0, -1e-3, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="tol"):
            runs["settles"].summary(bad)


def test_scene_level_summary_with_window_and_minimum(bowl_runs):
    from lossviz.inspector import summarize

    bowl, runs = bowl_runs
    summary = summarize(bowl, runs, tol=1e-3)
    assert summary.f_star == 0.0 and summary.tol == 1e-3
    settles, blows = summary.rows
    assert (settles["run"], settles["tol_step"], settles["diverged_at"], settles["escaped_at"]) == ("settles", 5, -1, -1)
    assert (blows["diverged_at"], blows["escaped_at"]) == (35, -1)
    text = summary.text()
    assert "f − f* ≤ 0.001" in text and "settles" in text.splitlines()[2] and " 35 " in text.splitlines()[3] + " "
    assert "<td>35</td>" in summary.html() and summary.plain()["rows"][1]["final_loss"] is None  # NaN → null


def test_an_escaping_run_is_counted_as_leaving_the_window():
    """GD (η = 0.25) on the saddle x² − y² from (1, 10⁻³): x_t = 0.5^t, y_t = 10⁻³·1.5^t, which
    first leaves the window |y| ≤ 2 at t = 19 (1.5¹⁸ ≈ 1478, 1.5¹⁹ ≈ 2217) — downhill, so it
    escaped, it did not diverge. The saddle lists no minimum: no f*, no step within tol."""
    from lossviz.inspector import summarize

    saddle = surfaces.SURFACES["saddle"]
    (row,) = summarize(saddle, {"off the saddle": _gd(saddle, 0.25, 30, (1.0, 1e-3), "off the saddle")}).rows
    assert (row["escaped_at"], row["diverged_at"], row["tol_step"], row["best_step"]) == (19, -1, None, 30)
    assert row["final_loss"] == pytest.approx(0.25**30 - 1e-6 * 2.25**30, rel=1e-12)


def test_scene_summary_runs_the_scene():
    from lossviz.scenes import Scene

    scene = Scene(surface="quadratic", surface_params={"lam1": 1.0, "lam2": 1.0}, runs=[{"optimizer": "gd", "lr": 0.5}],
                  steps=20, start=(1.0, 1.0))
    (row,) = scene.summary(tol=1e-3).rows
    assert row["tol_step"] == 5 and row["final_loss"] == pytest.approx(0.25**20, rel=1e-12)
    with pytest.raises(ValueError, match="tol"):
        scene.summary(tol=-1)


def test_numbers_read_as_the_table_prints_them():
    from lossviz.inspector import number

    assert [number(v) for v in (0.25, -1234.5678, 2.5e-7, -0.0, float("nan"), None)] == ["0.25", "-1235", "2.5e-07", "0", "—", "—"]


def test_scene_csv_is_all_or_nothing(bowl_runs, tmp_path, monkeypatch):
    from lossviz.inspector import write_csv

    _, runs = bowl_runs
    write_csv(runs, tmp_path / "ok.csv")
    with open(tmp_path / "ok.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 * 21 + 2 * 30  # both runs to step 20, then 'blows up' alone to step 50
    assert [r["run"] for r in rows[:4]] == ["settles", "settles", "blows up", "blows up"]
    calls = []

    def failing(self, k):
        calls.append(k)
        if k == 7:
            raise RuntimeError("disk full")
        return original(self, k)

    original = optimizers.Trajectory.table
    monkeypatch.setattr(optimizers.Trajectory, "table", failing)
    with pytest.raises(RuntimeError):
        write_csv(runs, tmp_path / "broken.csv")
    assert 7 in calls and sorted(p.name for p in tmp_path.iterdir()) == ["ok.csv"]  # nothing half-written


def test_a_run_that_gets_within_tol_and_leaves_again_says_when_it_stays():
    """Within tol first at step 1, out again at step 2 (a bounce), within for good from step 3."""
    from optimizers import Trajectory

    loss = np.array([1.0, 1e-4, 0.5, 1e-4, 2e-4])[:, None]
    T = len(loss) - 1
    traj = Trajectory(theta=np.zeros((T + 1, 1, 2)), loss=loss, grad=np.zeros((T + 1, 1, 2)), lr=np.ones((T, 1)),
                      m=np.zeros((T, 1, 2)), sigma=np.ones((T, 1, 2)), diverged_at=np.array([-1]), labels=("bouncy",))
    (row,) = traj.summary(1e-3)
    assert (row["tol_step"], row["stay_step"]) == (1, 3)
    ends_out = Trajectory(theta=traj.theta, loss=np.array([1.0, 1e-4, 0.5, 1e-4, 0.5])[:, None], grad=traj.grad, lr=traj.lr,
                          m=traj.m, sigma=traj.sigma, diverged_at=traj.diverged_at)
    assert ends_out.summary(1e-3)[0]["stay_step"] == -1
