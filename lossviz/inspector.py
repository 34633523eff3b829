"""The step inspector and the run summaries as people read them: text for the terminal,
HTML for the notebook, CSV for a spreadsheet, plain data for the Explorer's front end.

    summary = scene.summary(tol=1e-3)    # per run: final and best loss, first step within tol, …
    print(summary.text())
    print(step_table_text(scene.run(), k=3))

"Within tol" is the lecture's notion of having arrived: the gap to the lowest loss the surface
has, f(θ_t) − f* ≤ tol, where f* is the lowest f over the surface's listed minima (0 for the
bowl and Rosenbrock, the noise floor for the regression's MSE). A surface without a listed
minimum (a saddle) has no f*, so no run is ever "within tol" of it. The numbers come from
`Trajectory.summary` and `Trajectory.table`; how a run ended (diverged or left the window)
from `lossviz.draw.run_exits`, so the summary says what the picture draws.
"""

from __future__ import annotations

import csv
import html
import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from optimizers import Trajectory
from optimizers.base import check_positive

DEFAULT_TOL = 1e-3  # f(θ_t) − f* ≤ 10⁻³: the loss curve's last decade before the floor, on its log axis

DASH = "—"


def number(value: float | None, digits: int = 4) -> str:
    """A number with `digits` significant digits ('—' for NaN or missing)."""
    if value is None or not math.isfinite(value):
        return DASH if value is None or math.isnan(value) else ("inf" if value > 0 else "-inf")
    return f"{value:.{digits}g}" if value else "0"  # −0.0 (g of a coordinate at 0) reads as 0


def step_text(step: int | None) -> str:
    return DASH if step is None or step < 0 else str(step)


def lowest_loss(surface) -> float | None:
    """f* = the lowest f over the surface's listed minima; None when it lists none."""
    minima = np.asarray(getattr(surface, "minima", ()), dtype=float).reshape(-1, 2)
    if not len(minima):
        return None
    values = np.asarray(surface.f(minima), dtype=float)
    return float(values.min()) if np.isfinite(values).all() else None


def check_tol(tol) -> float:
    """tol: a finite number > 0 (the gap f − f* counted as arrived)."""
    if isinstance(tol, bool):
        raise ValueError(f"tol must be a finite number > 0, got {tol!r}")
    check_positive("tol", tol)
    return float(tol)


@dataclass(frozen=True)
class Summary:
    """Per run of a scene: final loss, best loss and its step, the first step within `tol` of
    f*, and the step it diverged at or left the window at (−1 / None: never / not defined)."""

    rows: tuple[dict, ...]
    tol: float
    f_star: float | None

    COLUMNS = ("run", "final_loss", "best_loss", "best_step", "tol_step", "stay_step", "diverged_at", "escaped_at")
    HEADINGS = ("run", "final f", "best f", "at step", "within tol at", "stays within from", "diverged at", "left window at")

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def tolerance_text(self) -> str:
        if self.f_star is None:
            return f"within tol: f − f* ≤ {self.tol:g}, but this surface lists no minimum (no f*)"
        return f"within tol: f − f* ≤ {self.tol:g}, f* = {number(self.f_star)} (the lowest minimum)"

    def cells(self, row: dict) -> list[str]:
        return [row["run"], number(row["final_loss"]), number(row["best_loss"]), step_text(row["best_step"]),
                step_text(row["tol_step"]) if row["tol_step"] is not None else DASH,
                step_text(row["stay_step"]) if row["stay_step"] is not None else DASH,
                step_text(row["diverged_at"]), step_text(row["escaped_at"])]

    def text(self) -> str:
        """An aligned plain-text table (the CLI prints it)."""
        table = [list(self.HEADINGS)] + [self.cells(r) for r in self.rows]
        widths = [max(len(line[i]) for line in table) for i in range(len(self.HEADINGS))]
        lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))).rstrip()
                 for line in table]
        return "\n".join(["summary · " + self.tolerance_text(), *lines])

    def __str__(self) -> str:
        return self.text()

    def html(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.HEADINGS)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in self.cells(r)) + "</tr>" for r in self.rows)
        return (f'<table class="lv-summary"><caption>{html.escape(self.tolerance_text())}</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")

    def _repr_html_(self) -> str:
        return self.html()

    def plain(self) -> dict:
        """JSON-safe (NaN → None), for the front end."""
        def safe(v):
            return None if isinstance(v, float) and not math.isfinite(v) else v

        return {"tol": self.tol, "f_star": self.f_star, "text": self.tolerance_text(),
                "rows": [{k: safe(v) for k, v in r.items()} for r in self.rows]}


def summarize(surface, trajectories: Mapping[str, Trajectory], tol: float = DEFAULT_TOL) -> Summary:
    """The Summary of label → Trajectory (B = 1 each) on `surface`. How a run ended is what
    the picture draws (`run_exits`): a run that left the escape radius going downhill (off a
    saddle) is counted as having left the window, not as diverged."""
    from lossviz.draw import run_exits

    tol = check_tol(tol)
    f_star = lowest_loss(surface)
    rows = []
    for label, traj in trajectories.items():
        for b, (row, (kind, at)) in enumerate(zip(traj.summary(tol, f_star), run_exits(traj, surface.bounds))):
            row["run"] = label if traj.batch == 1 else row["run"]
            row["diverged_at"] = at if kind == "diverged" else -1
            row["escaped_at"] = at if kind == "escaped" else -1
            rows.append({c: row[c] for c in Summary.COLUMNS})
    return Summary(tuple(rows), tol, f_star)


# ------------------------------------------------------------------ the step table

TABLE_HEADINGS = {"run": "run", "parameter": "", "theta": "θ", "g": "g", "m": "m", "sigma": "σ", "lr": "η_t",
                  "lr_over_sigma": "η_t/σ", "delta_theta": "Δθ", "f": "f"}


def step_table_text(trajectories: Mapping[str, Trajectory], k: int) -> str:
    """Every number of update k of every run, as an aligned text table (θ, g, m, σ, η_t,
    η_t/σ, Δθ = θ_{k+1} − θ_k, f at θ_k); '—' where nothing is defined (after a divergence, or
    at k = T, where no update is left)."""
    keys = [c for c in Trajectory.TABLE_COLUMNS if c != "step"]
    table = [[TABLE_HEADINGS[c] for c in keys]]
    for label, traj in trajectories.items():
        for i, row in enumerate(traj.table(k)):
            cells = [str(row[c]) if c in ("run", "parameter") else number(row[c]) for c in keys]
            cells[0] = (label if traj.batch == 1 else cells[0]) if i % 2 == 0 else ""
            if i % 2:  # f belongs to the point, not to a parameter: once per run
                cells[-1] = ""
            table.append(cells)
    widths = [max(len(line[i]) for line in table) for i in range(len(keys))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))).rstrip()
             for line in table]
    return f"step {k}: θ ← θ − (η_t/σ)·m\n" + "\n".join(lines)


def write_csv(trajectories: Mapping[str, Trajectory], path) -> None:
    """Every step's table of every run in one CSV file (Trajectory.TABLE_COLUMNS; step-major),
    written atomically: a failure leaves nothing behind."""
    from lossviz.files import atomic_path, check_output

    target = check_output(path, (".csv",))
    with atomic_path(target) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=Trajectory.TABLE_COLUMNS)
            writer.writeheader()
            steps = max(t.steps for t in trajectories.values())
            for k in range(steps + 1):
                for label, traj in trajectories.items():
                    if k <= traj.steps:
                        rows = traj.table(k)
                        if traj.batch == 1:
                            for row in rows:
                                row["run"] = label
                        writer.writerows(rows)
