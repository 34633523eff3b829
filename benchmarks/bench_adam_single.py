"""One 2-D run of 1000 Adam steps on Rosenbrock: optimizers.run against torch.optim.Adam.

    .venv/bin/python benchmarks/bench_adam_single.py [--repeats 15]

What is timed (best of N repeats each, all in this one process, so the ratios compare like
with like even on a busy machine):
  ours      optimizers.run(SURFACES["rosenbrock"], "adam", lr=1e-3, steps=1000): the whole
            Trajectory (θ, loss, exact gradient, η, m, σ per step, divergence check).
  autograd  torch.optim.Adam written the way a teacher would: loss.backward(), opt.step(),
            opt.zero_grad(), positions recorded in a list (goal: ours ≥ 12× faster).
  analytic  torch.optim.Adam with the analytic gradient assigned to p.grad (goal: ≥ 4×).
  loop      a bare numpy loop of the same Adam with no recording (a floor, for reference).
The torch parts are skipped, with a note, when torch is not installed. No asserts: it prints.
"""

from __future__ import annotations

import argparse

import numpy as np

import optimizers
from surfaces import SURFACES
from _timing import best_of  # noqa: E402  (benchmarks/_timing.py)

STEPS, LR, START = 1000, 1e-3, (-1.5, 2.0)


def ours():
    return optimizers.run(SURFACES["rosenbrock"], "adam", lr=LR, steps=STEPS, start=START)


def numpy_floor():
    """Adam written inline on a (2,) array, gradient inline, nothing recorded."""
    theta, m, v = np.array(START), np.zeros(2), np.zeros(2)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(1, STEPS + 1):
        x, y = theta
        r = y - x * x
        g = np.array([-2 * (1 - x) - 400 * x * r, 200 * r])
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - LR * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return theta


def torch_autograd(torch):
    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=LR)
    path = [p.detach().clone()]
    for _ in range(STEPS):
        opt.zero_grad()
        loss = (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
        loss.backward()
        opt.step()
        path.append(p.detach().clone())
    return torch.stack(path)


def torch_analytic(torch):
    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=LR)
    path = [p.detach().clone()]
    for _ in range(STEPS):
        with torch.no_grad():
            x, y = p[0], p[1]
            r = y - x * x
            p.grad = torch.stack([-2 * (1 - x) - 400 * x * r, 200 * r])
        opt.step()
        path.append(p.detach().clone())
    return torch.stack(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    candidates = {"ours": ours, "floor": numpy_floor}
    try:
        import torch
    except ImportError:
        torch = None
        print("torch is not installed: the torch.optim comparisons are skipped")
    else:
        candidates["autograd"] = lambda: torch_autograd(torch)
        candidates["analytic"] = lambda: torch_analytic(torch)
        same = np.allclose(torch_autograd(torch)[-1].numpy(), ours().theta[-1, 0], rtol=1e-9)
        print(f"torch {torch.__version__}; same final θ as torch.optim.Adam (rtol 1e-9): {'yes' if same else 'NO'}")
    wall, cpu, _ = best_of(candidates, args.repeats)

    def line(name: str, text: str) -> str:
        return f"  {text:44s} {wall[name] * 1e3:7.2f} ms / {cpu[name] * 1e3:7.2f} ms"

    print(f"{STEPS} Adam steps on Rosenbrock, one run; best of {args.repeats} (wall / CPU):")
    print(line("ours", "optimizers.run (B = 1, full Trajectory)") + f"   {wall['ours'] / STEPS * 1e6:.1f} µs/step")
    print(line("floor", "bare numpy Adam loop, nothing recorded"))
    if torch is not None:
        for name, text, goal in (
            ("autograd", "torch.optim.Adam, autograd (teacher style)", 12),
            ("analytic", "torch.optim.Adam, analytic gradient", 4),
        ):
            speedup = f"ours {wall[name] / wall['ours']:5.1f}× faster (CPU {cpu[name] / cpu['ours']:.1f}×; goal ≥ {goal}×)"
            print(line(name, text) + "   " + speedup)


if __name__ == "__main__":
    main()
