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
