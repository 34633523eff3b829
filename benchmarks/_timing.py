"""Timing shared by the benchmarks: best-of-N, candidates interleaved in every repeat."""

from __future__ import annotations

import time
from typing import Any, Callable


def best_of(
    candidates: dict[str, Callable[[], Any]], repeats: int, *, warmup: bool = True
) -> tuple[dict[str, float], dict[str, float], dict[str, Any]]:
    """Best wall-clock and CPU seconds of each candidate, and its last result.

    Every repeat runs all candidates in turn, so a busy machine slows them alike. Without
    `warmup` the first call is timed too (to count a compile step, say).
    """
    if warmup:
        for fn in candidates.values():
            fn()
    wall = {name: float("inf") for name in candidates}
    cpu = dict(wall)
    results: dict[str, Any] = {}
    for _ in range(repeats):
        for name, fn in candidates.items():
            t0, c0 = time.perf_counter(), time.process_time()
            results[name] = fn()
            wall[name] = min(wall[name], time.perf_counter() - t0)
            cpu[name] = min(cpu[name], time.process_time() - c0)
    return wall, cpu, results
