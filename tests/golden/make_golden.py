"""Regenerate the torch.optim golden trajectories that tests/test_torch_parity.py compares against.

How the committed files were made (run from the repository root):

    .venv/bin/python tests/golden/make_golden.py

with torch 2.13.0+cpu, float64 (parameters and torch's default dtype), on CPU. It writes

    tests/golden/torch_optim.json   the configurations below and the torch version (readable)
    tests/golden/torch_optim.npz    for each configuration id, θ_0 … θ_T of torch's run,
                                    shape (T+1, 2), float64

Each configuration steps `torch.optim.<Class>([p], lr=lr, **torch_kwargs)` for `steps` steps on
a 2-D surface: at every step the analytic gradient below (the same arithmetic as the numpy
surface the test builds) is assigned to `p.grad`, then `opt.step()` runs. So the golden values
test the update rules only, not autograd. Torch's Adagrad `lr_decay` is the schedule
`inverse_time(lr, lr_decay)` on our side (`schedule` in the configuration).

`compare` is the number of steps compared: all of them, except for configurations that are
chaotic (centered RMSprop deep in Rosenbrock's valley, RMSprop with α = 0.9, Adam with
β = (0.5, 0.9), Adadelta on Rosenbrock, Adamax on the quadratic), where torch's fused
multiply-adds (1-ulp differences) are amplified; there only the well-conditioned first steps
are compared (docs/design.md). `make_golden.py --check` prints, per configuration, how much a
1e-15 relative change of θ_0 grows, over the compared steps and over the whole run — the
evidence for each `compare`.

This module imports torch only inside `torch_trajectory`, so the tests import CONFIGS and the
surface formulas from here without torch.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
GOLDEN_JSON = HERE / "torch_optim.json"
GOLDEN_NPZ = HERE / "torch_optim.npz"

# registry name → torch.optim class and the keyword arguments that make our defaults torch's
TORCH_FORM: dict[str, tuple[str, dict]] = {
    "gd": ("SGD", {}),
    "momentum": ("SGD", {"momentum": 0.9}),
    "nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "adagrad": ("Adagrad", {}),
    "rmsprop": ("RMSprop", {}),
    "adam": ("Adam", {}),
    "amsgrad": ("Adam", {"amsgrad": True}),
    "adamw": ("AdamW", {}),
    "nadam": ("NAdam", {}),
    "radam": ("RAdam", {}),
    "adamax": ("Adamax", {}),
    "adadelta": ("Adadelta", {}),
    "rprop": ("Rprop", {}),
}


# ---- surfaces: one formula for numpy arrays and torch tensors (same operations, same order) ----


def rosenbrock_xy(x, y):
    """f = (1 − x)² + 100 (y − x²)² and its gradient, for scalars/arrays/tensors."""
    r = y - x * x
    return (1 - x) ** 2 + 100 * r**2, -2 * (1 - x) - 400 * x * r, 200 * r


def quadratic_xy(x, y):
    """f = ½ (x² + 25 y²): a convex bowl with condition number 25."""
    return 0.5 * (x * x + 25 * y * y), 1.0 * x, 25 * y


SURFACE_XY = {"rosenbrock": rosenbrock_xy, "quadratic": quadratic_xy}
STARTS = {"rosenbrock": (-1.5, 2.0), "quadratic": (-2.0, 1.0)}


def _config(id, optimizer, surface, lr, steps=150, hyper=None, torch_only=None, schedule=None, compare=None):
    return {
        "id": id,
        "optimizer": optimizer,  # registry name
        "hyper": hyper or {},  # keyword arguments for both sides (torch names)
        "torch_only": torch_only or {},  # torch keywords with no counterpart in the factory
        "schedule": schedule,  # our side's lr schedule, e.g. ["inverse_time", {"lr_decay": 0.01}]
        "surface": surface,
        "start": list(STARTS[surface]),
        "lr": lr,
        "steps": steps,
        "compare": steps if compare is None else compare,
    }


CONFIGS = [
    # torch.optim.SGD
    _config("gd-rosenbrock", "gd", "rosenbrock", 1e-3, steps=200),
    _config("gd-quadratic", "gd", "quadratic", 0.05),
    _config("gd-momentum-dampening", "gd", "rosenbrock", 1e-3, hyper={"momentum": 0.5, "dampening": 0.5}),
    _config("momentum-rosenbrock", "momentum", "rosenbrock", 5e-4, steps=200),
    _config("momentum-quadratic", "momentum", "quadratic", 0.02),
    _config("momentum-0.3-quadratic", "momentum", "quadratic", 0.05, hyper={"momentum": 0.3}),
    _config("nesterov-rosenbrock", "nesterov", "rosenbrock", 5e-4, steps=200),
    _config("nesterov-quadratic", "nesterov", "quadratic", 0.02),
    # torch.optim.Adagrad
    _config("adagrad-rosenbrock", "adagrad", "rosenbrock", 0.1, steps=200),
    _config("adagrad-quadratic", "adagrad", "quadratic", 0.5),
    _config("adagrad-init-acc", "adagrad", "rosenbrock", 0.1, hyper={"initial_accumulator_value": 0.5}),
    _config("adagrad-eps", "adagrad", "quadratic", 0.3, hyper={"eps": 1e-3}),
    _config(
        "adagrad-lr-decay",
        "adagrad",
        "rosenbrock",
        0.3,
        torch_only={"lr_decay": 0.01},
        schedule=["inverse_time", {"lr_decay": 0.01}],
    ),
    # torch.optim.RMSprop
    _config("rmsprop-rosenbrock", "rmsprop", "rosenbrock", 1e-3, steps=200),
    _config("rmsprop-quadratic", "rmsprop", "quadratic", 1e-2),
    _config("rmsprop-alpha", "rmsprop", "rosenbrock", 1e-2, hyper={"alpha": 0.9}, compare=40),
    _config("rmsprop-momentum", "rmsprop", "rosenbrock", 1e-4, hyper={"momentum": 0.9}),
    _config("rmsprop-momentum-quadratic", "rmsprop", "quadratic", 1e-2, hyper={"momentum": 0.5, "alpha": 0.9}),
    _config("rmsprop-centered", "rmsprop", "rosenbrock", 1e-3, steps=200, hyper={"centered": True}),
    # deep in the valley: chaotic after ~170 steps (an ulp at θ_0 grows ×1e13 by step 300)
    _config("rmsprop-centered-deep", "rmsprop", "rosenbrock", 1e-2, steps=300, hyper={"centered": True}, compare=140),
    _config("rmsprop-centered-quadratic", "rmsprop", "quadratic", 1e-2, hyper={"centered": True}),
    _config(
        "rmsprop-centered-momentum",
        "rmsprop",
        "quadratic",
        1e-3,
        hyper={"centered": True, "momentum": 0.8, "eps": 1e-6},
    ),
    # torch.optim.Adam
    _config("adam-rosenbrock", "adam", "rosenbrock", 1e-2, steps=200),
    _config("adam-rosenbrock-lr0.1", "adam", "rosenbrock", 0.1, steps=200),
    _config("adam-quadratic", "adam", "quadratic", 0.1),
    _config("adam-betas-eps", "adam", "rosenbrock", 5e-2, hyper={"betas": [0.5, 0.9], "eps": 1e-6}, compare=110),
    _config("amsgrad-rosenbrock", "amsgrad", "rosenbrock", 1e-2, steps=200),
    _config("amsgrad-quadratic", "amsgrad", "quadratic", 0.1, hyper={"betas": [0.8, 0.99]}),
    # torch.optim.AdamW (decoupled weight decay; torch's default λ = 1e-2)
    _config("adamw-rosenbrock", "adamw", "rosenbrock", 1e-2, steps=200),
    _config("adamw-quadratic", "adamw", "quadratic", 0.1, hyper={"weight_decay": 0.3}),
    _config("adamw-amsgrad", "adamw", "quadratic", 0.05, hyper={"amsgrad": True, "betas": [0.8, 0.99], "weight_decay": 0.1}),
    # torch.optim.NAdam
    _config("nadam-rosenbrock", "nadam", "rosenbrock", 1e-2, steps=200),
    _config("nadam-quadratic", "nadam", "quadratic", 0.1, hyper={"momentum_decay": 0.02, "betas": [0.8, 0.99]}),
    # torch.optim.RAdam (plain momentum steps while ρ_t ≤ 5)
    _config("radam-rosenbrock", "radam", "rosenbrock", 1e-2, steps=200),
    _config("radam-quadratic", "radam", "quadratic", 0.1, hyper={"betas": [0.9, 0.9], "eps": 1e-6}),
    # torch.optim.Adamax
    _config("adamax-rosenbrock", "adamax", "rosenbrock", 1e-2, steps=200),
    # chaotic after ~64 steps: which of β2 u and |g| + ε is the maximum flips on an ulp
    _config("adamax-quadratic", "adamax", "quadratic", 0.1, hyper={"betas": [0.5, 0.9], "eps": 1e-3}, compare=60),
    # torch.optim.Adadelta (torch's default η = 1)
    # deep in the valley an ulp at θ_0 grows past ×1e4 after step 136
    _config("adadelta-rosenbrock", "adadelta", "rosenbrock", 1.0, steps=200, compare=130),
    _config("adadelta-quadratic", "adadelta", "quadratic", 1.0, hyper={"rho": 0.95, "eps": 1e-4}),
    # torch.optim.Rprop
    _config("rprop-rosenbrock", "rprop", "rosenbrock", 1e-3, steps=200),
    _config("rprop-quadratic", "rprop", "quadratic", 0.01, hyper={"etas": [0.3, 1.5], "step_sizes": [1e-4, 0.5]}),
]


def torch_kwargs(config: dict) -> tuple[str, dict]:
    """The torch.optim class name and its keyword arguments for one configuration."""
    cls, base = TORCH_FORM[config["optimizer"]]
    hyper = {k: tuple(v) if isinstance(v, list) else v for k, v in config["hyper"].items()}
    return cls, {**base, **hyper, **config["torch_only"]}


def torch_trajectory(config: dict, start=None) -> np.ndarray:
    """θ_0 … θ_T of torch.optim on the configuration's surface, shape (T+1, 2), float64."""
    import torch

    # float64 for torch's scalar state too: NAdam keeps its μ product in the default dtype,
    # which in float32 makes the steps differ by ~1e-8 from the float64 formula
    torch.set_default_dtype(torch.float64)
    cls, kwargs = torch_kwargs(config)
    xy = SURFACE_XY[config["surface"]]
    p = torch.tensor(config["start"] if start is None else start, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, cls)([p], lr=config["lr"], **kwargs)
    path = [p.detach().clone()]
    for _ in range(config["steps"]):
        with torch.no_grad():
            _, gx, gy = xy(p[0], p[1])
            p.grad = torch.stack([gx, gy])
        opt.step()
        path.append(p.detach().clone())
    return torch.stack(path).numpy()


def sensitivity(config: dict) -> np.ndarray:
    """Per step, how much a 1e-15 relative change of one coordinate of θ_0 grows in torch's run.

    The error is measured as |Δθ| / (|θ| + 1e-3), the worst over both coordinates and signs.
    Where it stays ≤ 1e4, ulp-level differences in the arithmetic stay far below 1e-9.
    """
    a = torch_trajectory(config)
    worst = np.zeros(len(a))
    for sign in (1, -1):
        for k in range(2):
            start = np.array(config["start"], dtype=float)
            start[k] *= 1 + sign * 1e-15
            b = torch_trajectory(config, start=start)
            worst = np.maximum(worst, np.max(np.abs(a - b) / (np.abs(a) + 1e-3), axis=1) / 1e-15)
    return worst


def load() -> tuple[dict, dict[str, np.ndarray]]:
    """The committed golden files: ({"torch": version, "configs": [...]}, {id: θ (T+1, 2)})."""
    with np.load(GOLDEN_NPZ) as npz:
        thetas = {key: npz[key] for key in npz.files}
    return json.loads(GOLDEN_JSON.read_text()), thetas


def main(argv: list[str]) -> None:
    import torch

    if "--check" in argv:
        for config in CONFIGS:
            growth = sensitivity(config)
            bad = np.flatnonzero(growth > 1e4)
            horizon = bad[0] - 1 if bad.size else config["steps"]
            print(
                f"{config['id']:28s} compare {config['compare']:3d}/{config['steps']:3d}"
                f"  growth ×{growth[: config['compare'] + 1].max():8.3g} there"
                f"  (×{growth.max():8.3g} over all; ≤ ×1e4 up to step {horizon})"
            )
        return
    thetas = {}
    for config in CONFIGS:
        thetas[config["id"]] = theta = torch_trajectory(config)
        if not np.isfinite(theta).all():
            raise SystemExit(f"{config['id']}: torch diverged; pick a smaller lr")
    meta = {"torch": torch.__version__, "dtype": "float64", "made_by": "tests/golden/make_golden.py"}
    lines = ",\n".join("  " + json.dumps(config) for config in CONFIGS)
    GOLDEN_JSON.write_text(json.dumps(meta)[:-1] + ', "configs": [\n' + lines + "\n]}\n")
    np.savez_compressed(GOLDEN_NPZ, **thetas)
    print(f"wrote {len(CONFIGS)} configurations to {GOLDEN_JSON.name} and {GOLDEN_NPZ.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
