"""The optimizer registry and the slider metadata of every hyperparameter."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from optimizers.adagrad import adagrad
from optimizers.adam import adam
from optimizers.base import Optimizer, check_choice
from optimizers.gd import gd
from optimizers.rmsprop import rmsprop

OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {
    "gd": gd,
    "momentum": partial(gd, momentum=0.9),
    "nesterov": partial(gd, momentum=0.9, nesterov=True),
    "adagrad": adagrad,
    "adagrad_mean": partial(adagrad, mean=True),
    "rmsprop": rmsprop,
    "rmsprop_lecture": partial(rmsprop, v0="first_grad"),
    "adam": adam,
    "amsgrad": partial(adam, amsgrad=True),
}

TITLES = {
    "gd": "gradient descent",
    "momentum": "momentum (heavy ball)",
    "nesterov": "Nesterov momentum",
    "adagrad": "Adagrad (torch: √ of the sum)",
    "adagrad_mean": "Adagrad (lecture: root mean square)",
    "rmsprop": "RMSprop (torch: v₀ = 0)",
    "rmsprop_lecture": "RMSprop (lecture: σ⁰ = |g⁰|)",
    "adam": "Adam",
    "amsgrad": "AMSGrad",
}


@dataclass(frozen=True)
class Hyperparameter:
    """How one slider looks: the lecture's symbol, its range and whether it is log-scaled."""

    key: str  # slider key: momentum, beta1, beta2, alpha, eps
    symbol: str
    low: float
    high: float
    log: bool = False


HYPERPARAMETERS: dict[str, Hyperparameter] = {
    "momentum": Hyperparameter("momentum", "β", 0.0, 0.999),
    "beta1": Hyperparameter("beta1", "β₁", 0.0, 0.999),
    "beta2": Hyperparameter("beta2", "β₂", 0.0, 0.999),
    "alpha": Hyperparameter("alpha", "α", 0.0, 0.999),
    "eps": Hyperparameter("eps", "ε", 1e-10, 1e-1, log=True),
}


def get_optimizer(name: str) -> Callable[..., Optimizer]:
    """The factory registered under `name`; an unknown name lists the valid ones."""
    check_choice("optimizer", name, tuple(OPTIMIZERS))
    return OPTIMIZERS[name]


def make_optimizer(name: str, **kwargs: Any) -> Optimizer:
    """The registry's factory called with `kwargs`, carrying its registry name."""
    factory = get_optimizer(name)
    valid = defaults(name)
    for key in kwargs:
        if key not in valid:
            raise ValueError(f"optimizer {name!r} has no hyperparameter {key!r}; valid: {', '.join(valid)}")
    return factory(**kwargs)._replace(name=name)


def defaults(name: str) -> dict[str, Any]:
    """Every keyword argument of the named optimizer with its default (partials included)."""
    import inspect

    factory = get_optimizer(name)
    base = factory.func if isinstance(factory, partial) else factory
    values = {k: p.default for k, p in inspect.signature(base).parameters.items()}
    if isinstance(factory, partial):
        values.update(factory.keywords)
    return values


def slider_params(name: str) -> list[str]:
    """The slider keys (momentum, beta1, beta2, alpha, eps) the named optimizer uses."""
    keys = []
    for arg in defaults(name):
        if arg == "betas":
            keys += ["beta1", "beta2"]
        elif arg in HYPERPARAMETERS:
            keys.append(arg)
    return keys


def slider_values(name: str, **hyper: Any) -> dict[str, float]:
    """Slider key → value for the named optimizer, from its keyword arguments (defaults filled)."""
    values = {**defaults(name), **hyper}
    out = {}
    for key in slider_params(name):
        if key in ("beta1", "beta2"):
            out[key] = float(values["betas"][0 if key == "beta1" else 1])
        else:
            out[key] = float(values[key])
    return out


def factory_kwargs(name: str, sliders: dict[str, float]) -> dict[str, Any]:
    """Keyword arguments for the named optimizer from slider values (unused keys ignored)."""
    used = slider_params(name)
    kwargs: dict[str, Any] = {k: sliders[k] for k in used if k in sliders and k not in ("beta1", "beta2")}
    if "beta1" in used:
        b1, b2 = defaults(name)["betas"]
        kwargs["betas"] = (sliders.get("beta1", b1), sliders.get("beta2", b2))
    return kwargs
