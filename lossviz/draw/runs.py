"""Runs as drawn lines: label → Trajectory flattened into one Run per line, its colour from
the optimizer it ran, the envelope of a long curve, and the plumbing of an artist group."""

from __future__ import annotations

from typing import Iterator, Mapping, NamedTuple, Sequence

import numpy as np
from matplotlib.artist import Artist

from lossviz import style


class Run(NamedTuple):
    key: str  # the line's label
    traj: object  # optimizers.Trajectory
    b: int  # index into its batch


def line_colors(runs: list[Run], given: Mapping[str, str] | None) -> dict[str, str]:
    """Label → colour, keyed by each run's optimizer (the name its Trajectory carries)."""
    return style.colors_for([r.key for r in runs], given, [getattr(r.traj, "optimizer", "") for r in runs])


def runs_of(trajectories: Mapping[str, object]) -> list[Run]:
    """Flatten label → Trajectory (B runs each) into one Run per drawn line."""
    out: list[Run] = []
    for label, traj in trajectories.items():
        B = traj.theta.shape[1]
        if B == 1:
            out.append(Run(str(label), traj, 0))
            continue
        names = tuple(getattr(traj, "labels", ()) or ())
        for b in range(B):
            name = str(names[b]) if len(names) == B else f"{label}[{b}]"
            out.append(Run(name, traj, b))
    seen: dict[str, int] = {}
    for i, run in enumerate(out):  # every line needs its own label
        n = seen.get(run.key, 0)
        seen[run.key] = n + 1
        if n:
            out[i] = run._replace(key=f"{run.key} ({n + 1})")
    return out


def finite(a: np.ndarray) -> np.ndarray:
    """The same values with ±inf replaced by NaN (a gap in the line, never a spike)."""
    a = np.asarray(a, dtype=float)
    return a if np.isfinite(a).all() else np.where(np.isfinite(a), a, np.nan)


ENVELOPE_BUCKETS = 600  # a long curve is drawn through at most 4 points per bucket of steps


def envelope(values: np.ndarray, buckets: int = ENVELOPE_BUCKETS) -> np.ndarray:
    """The indices of a long series worth drawing: per bucket of consecutive steps its first,
    last, lowest and highest point (per column of a 2-D series), so that every bounce keeps
    its full height while a 10,000-step line costs what 2,400 points cost."""
    v = np.asarray(values, dtype=float)
    v = v.reshape(len(v), -1)
    n = len(v)
    if n <= 4 * buckets:
        return np.arange(n)
    edges = np.linspace(0, n, buckets + 1).astype(int)
    keep = [edges[:-1], edges[1:] - 1]
    filled = np.where(np.isfinite(v), v, np.nan)
    for j in range(v.shape[1]):
        col = filled[:, j]
        for pick in (np.fmin, np.fmax):
            # the index of each bucket's extreme: reduceat finds the value, the first match its index
            ext = pick.reduceat(col, edges[:-1])
            hit = np.flatnonzero(col == np.repeat(ext, np.diff(edges)))
            bucket = np.searchsorted(edges, hit, side="right") - 1
            first = np.unique(bucket, return_index=True)[1]
            keep.append(hit[first])
    return np.unique(np.concatenate(keep))


def upto(idx: np.ndarray, k: int) -> np.ndarray:
    """The envelope indices up to step k, ending exactly on k."""
    m = int(np.searchsorted(idx, k, side="right"))
    head = idx[:m]
    return head if m and head[-1] == k else np.append(head, k)


def steps_of(runs: Sequence[Run]) -> int:
    return max((int(r.traj.lr.shape[0]) for r in runs), default=0)


class ArtistGroup:
    """Shared plumbing of the artist groups (iterable over their artists)."""

    artists: list[Artist]

    def __iter__(self) -> Iterator[Artist]:
        return iter(self.artists)

    def __len__(self) -> int:
        return len(self.artists)

    def __getitem__(self, i):
        return self.artists[i]

    def remove(self) -> None:
        for artist in self.artists:
            artist.remove()
        self.artists = []
