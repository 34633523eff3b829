"""A sweep of 10,000 Adam runs (100 η × 100 β1) × 500 steps on Rosenbrock.

    .venv/bin/python benchmarks/bench_sweep.py [--repeats 5]

What is timed (best of N, the candidates interleaved in every repeat so that a busy machine
slows them alike; wall clock, and the process's CPU time next to it):
  ours       optimizers.sweep(SURFACES["rosenbrock"], "adam", steps=500, lr=100 values,
             betas=[(β1, 0.999) for 100 values of β1]) → final_loss of shape (100, 100).
  numpy      a hand-written in-place numpy Adam over (10000, 2) arrays, as a straightforward
             implementation would write it (m *= β1; ...; β^t recomputed over the whole batch
             every step), with the same surface gradient. Goal: ours ≤ 0.75× its time.
  optax      jax.vmap of optax.adam under jax.jit, compile time included (only if jax and
             optax are installed; otherwise a note says it is skipped).
No asserts: it prints the times and the ratios.
"""

from __future__ import annotations

import argparse

import numpy as np

import optimizers
from surfaces import SURFACES
from _timing import best_of  # benchmarks/_timing.py

STEPS = 500
LRS = np.geomspace(1e-4, 1.0, 100)
BETA1S = np.linspace(0.0, 0.99, 100)
BETA2, EPS = 0.999, 1e-8


def ours():
    surface = SURFACES["rosenbrock"]
    return optimizers.sweep(surface, "adam", steps=STEPS, lr=LRS, betas=[(b1, BETA2) for b1 in BETA1S]).final_loss


def numpy_adam():
    surface = SURFACES["rosenbrock"]
    lr = np.repeat(LRS, len(BETA1S))[:, None]  # (B, 1), the same order as the sweep's grid
    b1 = np.tile(BETA1S, len(LRS))[:, None]
    theta = np.tile(np.asarray(surface.start, dtype=float), (len(lr), 1))
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    with np.errstate(all="ignore"):
        for t in range(1, STEPS + 1):
            g = surface.grad(theta)
            m *= b1
            m += (1 - b1) * g
            v *= BETA2
            v += (1 - BETA2) * g * g
            m_hat = m / (1 - b1**t)
            v_hat = v / (1 - BETA2**t)
            theta -= lr * m_hat / (np.sqrt(v_hat) + EPS)
        return surface.f(theta).reshape(len(LRS), len(BETA1S))


def optax_adam():
    import jax
    import jax.numpy as jnp
    import optax

    jax.config.update("jax_enable_x64", True)

    def f(p):
        return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2

    def one(lr, b1):
        opt = optax.adam(lr, b1=b1, b2=BETA2, eps=EPS)
        p = jnp.array([-1.5, 2.0])

        def step(carry, _):
            p, state = carry
            updates, state = opt.update(jax.grad(f)(p), state)
            return (optax.apply_updates(p, updates), state), None

        (p, _), _ = jax.lax.scan(step, (p, opt.init(p)), None, length=STEPS)
        return f(p)

    lr, b1 = np.meshgrid(LRS, BETA1S, indexing="ij")
    fn = jax.jit(jax.vmap(one))  # compiled anew each call: the timing includes compilation
    return np.asarray(fn(jnp.asarray(lr.ravel()), jnp.asarray(b1.ravel())).block_until_ready()).reshape(lr.shape)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    candidates = {"ours": ours, "numpy": numpy_adam}
    try:
        import jax  # noqa: F401
        import optax  # noqa: F401

        candidates["optax"] = optax_adam
    except ImportError:
        print("jax/optax are not installed: the optax jit+vmap comparison is skipped")

    # no warm-up: optax's timing includes its compilation
    wall, cpu, results = best_of(candidates, args.repeats, warmup=False)

    n = len(LRS) * len(BETA1S)
    print(f"{n:,} Adam runs × {STEPS} steps on Rosenbrock, best of {args.repeats} (wall / CPU):")
    for name in candidates:
        print(f"  {name:6s} {wall[name]:7.3f} s / {cpu[name]:7.3f} s")
    print(
        f"ours / numpy = {wall['ours'] / wall['numpy']:.2f} (wall), {cpu['ours'] / cpu['numpy']:.2f} (CPU)"
        "   goal ≤ 0.75"
    )
    if "optax" in candidates:
        print(f"ours / optax = {wall['ours'] / wall['optax']:.2f} (wall, optax incl. compile)")
    a, b = results["ours"], results["numpy"]
    both = np.isfinite(a) & np.isfinite(b)
    close = np.isclose(a[both], b[both], rtol=1e-6, atol=1e-12).mean()
    print(f"same final loss as the numpy reference (rtol 1e-6) for {close:.1%} of {both.sum():,} finite runs"
          " (the rest are chaotic, large-η runs where rounding order matters)")


if __name__ == "__main__":
    main()
