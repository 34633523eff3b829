"""The optimizer registry and the slider metadata of every hyperparameter.

`register(name, factory, title=...)` is the one way to add an entry: it checks the factory
and fills every table below in one call, so the entry appears wherever a registry is read
(the CLI's `list` and `--run`, scenes, sweeps, the README tables, the Explorer's menus).
Every reader looks the tables up when it runs, never keeps a copy from import time.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Mapping

import numpy as np

from optimizers.adadelta import adadelta
from optimizers.adagrad import adagrad
from optimizers.adam import adam, adamw
from optimizers.adamax import adamax
from optimizers.base import STEP_INPUTS, Direction, Optimizer
from optimizers.gd import gd
from optimizers.lion import lion
from optimizers.nadam import nadam
from optimizers.newton import newton
from optimizers.radam import radam
from optimizers.rmsprop import rmsprop
from optimizers.rprop import rprop


@dataclass(frozen=True)
class Hyperparameter:
    """How one slider looks: the lecture's symbol, its range and whether it is log-scaled."""

    key: str  # slider key: momentum, beta1, beta2, alpha, eps, ...
    symbol: str
    low: float
    high: float
    log: bool = False


@dataclass(frozen=True)
class Entry:
    """One registered optimizer: its factory and what is shown for it."""

    name: str
    factory: Callable[..., Optimizer]
    title: str
    color: str | None  # "#rrggbb", or None: lossviz.style picks one
    family: str  # adam, amsgrad, adamw, ... are of the "adam" family
    builtin: bool


# The tables `register` fills (name → ...), read at call time by every user.
ENTRIES: dict[str, Entry] = {}
OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {}
TITLES: dict[str, str] = {}

HYPERPARAMETERS: dict[str, Hyperparameter] = {
    "momentum": Hyperparameter("momentum", "β", 0.0, 0.999),
    "beta1": Hyperparameter("beta1", "β₁", 0.0, 0.999),
    "beta2": Hyperparameter("beta2", "β₂", 0.0, 0.999),
    "alpha": Hyperparameter("alpha", "α", 0.0, 0.999),
    "eps": Hyperparameter("eps", "ε", 1e-10, 1e-1, log=True),
}

NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def _hyperparameter(key: str, spec: Any) -> Hyperparameter:
    """A slider spec: a Hyperparameter, or (symbol, low, high) / (symbol, low, high, log)."""
    if isinstance(spec, Hyperparameter):
        meta = spec if spec.key == key else Hyperparameter(key, spec.symbol, spec.low, spec.high, spec.log)
    else:
        try:
            symbol, low, high, *log = spec
            meta = Hyperparameter(key, str(symbol), float(low), float(high), bool(log[0]) if log else False)
        except (TypeError, ValueError):
            raise ValueError(f"symbols[{key!r}] must be (symbol, low, high) or (symbol, low, high, log), got {spec!r}") from None
        if len(log) > 1 or not isinstance(symbol, str):
            raise ValueError(f"symbols[{key!r}] must be (symbol, low, high) or (symbol, low, high, log), got {spec!r}")
    if not (np.isfinite([meta.low, meta.high]).all() and meta.low < meta.high) or (meta.log and meta.low <= 0):
        raise ValueError(f"symbols[{key!r}]: the slider range must be finite with low < high (and low > 0 on a log scale), got {spec!r}")
    return meta


def _keywords(name: str, factory: Callable[..., Optimizer]) -> dict[str, Any]:
    """The factory's keyword arguments and defaults; every one must have a default."""
    base = factory.func if isinstance(factory, partial) else factory
    try:
        params = inspect.signature(base).parameters
    except (TypeError, ValueError):
        raise ValueError(f"register({name!r}): cannot read the factory's keyword arguments") from None
    values = {}
    for key, p in params.items():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            raise ValueError(f"register({name!r}): the factory's arguments must be plain keywords, not {p}")
        if p.default is p.empty and not (isinstance(factory, partial) and key in factory.keywords):
            raise ValueError(f"register({name!r}): keyword {key!r} of the factory needs a default (the registry makes default instances)")
        values[key] = p.default
    if isinstance(factory, partial):
        values.update(factory.keywords)
    return values


def _probe(name: str, factory: Callable[..., Optimizer]) -> Optimizer:
    """Build the default instance and take three steps on two runs: shapes, purity of the
    protocol and finite numbers, so a broken factory fails here and not in a widget."""
    try:
        opt = factory()
    except Exception as error:  # whatever the student's code raises, say where
        raise ValueError(f"register({name!r}): calling the factory with its defaults failed: {type(error).__name__}: {error}") from None
    if not isinstance(opt, Optimizer):
        raise ValueError(f"register({name!r}): the factory must return optimizers.Optimizer(init, update), got {type(opt).__name__}")
    bad = [n for n in opt.needs if n not in STEP_INPUTS]
    if bad:
        raise ValueError(f"register({name!r}): needs may name only {', '.join(STEP_INPUTS)}, got {bad[0]!r}")
    theta = np.array([[-1.5, 2.0], [0.5, -0.25]])
    extra = {"theta": theta, "lr": 1e-2, "hess": np.array([[[2.0, 0.5], [0.5, 1.0]]] * 2)}
    try:
        state = opt.init(theta.copy())
        for g in ([[1.0, -2.0], [0.5, 0.25]], [[0.5, -1.0], [-0.5, 0.25]], [[0.25, 0.5], [1.0, -3.0]]):
            out = opt.update(np.array(g), state, **{k: extra[k] for k in opt.needs})
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError("update must return (Direction(m, sigma), new_state)")
            direction, state = out
            m, sigma = (np.asarray(x, dtype=float) for x in direction)
            if m.shape != (2, 2) or np.broadcast_shapes(sigma.shape, (2, 2)) != (2, 2):
                raise TypeError(f"Direction(m, sigma) for θ of shape (2, 2) has shapes {m.shape} and {sigma.shape}")
            if not (np.isfinite(m).all() and np.isfinite(sigma).all() and (sigma > 0).all()):
                raise TypeError(f"Direction(m, sigma) must be finite with σ > 0, got m={m.tolist()}, σ={sigma.tolist()}")
    except Exception as error:
        raise ValueError(f"register({name!r}): the optimizer failed a trial step: {type(error).__name__}: {error}") from None
    if not isinstance(direction, Direction):
        raise ValueError(f"register({name!r}): update must return optimizers.Direction(m, sigma) as its first value")
    return opt


def _without_keywords(opt: Optimizer) -> Callable[[], Optimizer]:
    """A factory for one fixed Optimizer (an entry without keyword arguments)."""

    def factory() -> Optimizer:
        return opt

    return factory


def register(
    name: str,
    factory: Callable[..., Optimizer] | Optimizer,
    *,
    title: str,
    symbols: Mapping[str, Any] | None = None,
    color: str | None = None,
    family: str | None = None,
    builtin: bool = False,
) -> Entry:
    """Add an optimizer to the registry, with everything shown for it, in one call.

    Example (a student's plain gradient descent with a decay):

        def my_gd(decay=0.1):
            def init(theta): return 0
            def update(g, t): return Direction(g, np.ones_like(g) * (1 + decay * t)), t + 1
            return Optimizer(init, update)
        register("my_gd", my_gd, title="GD, σ = 1 + decay·t", symbols={"decay": ("d", 0.0, 1.0)})

    Args:
      name: the registry key: lower-case letters, digits and _, starting with a letter.
      factory: a function of keyword arguments (each with a default) returning an
        `Optimizer`, or one `Optimizer` (an entry without keywords).
      title: what menus and tables call it.
      symbols: slider metadata for keywords that have no slider yet, keyword →
        (symbol, low, high) or (symbol, low, high, log) or a `Hyperparameter`. A keyword
        already in HYPERPARAMETERS must agree with it (one slider per key).
      color: "#rrggbb" for its paths; None lets the look (lossviz.style) choose.
      family: the family it belongs to (default: its own name); `lossviz list` shows it, and
        sweep plots draw heavy-ball theory only for the "gd" family.
      builtin: the package's own entries; they cannot be replaced or unregistered.

    Registering an existing name again replaces it (re-running a notebook cell), except a
    built-in one. Raises ValueError naming the problem when the factory does not build a
    working optimizer with its defaults.
    """
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValueError(f"register: name must be lower-case letters, digits and _ (starting with a letter, ≤ 40), got {name!r}")
    if name in ENTRIES and ENTRIES[name].builtin and not builtin:
        raise ValueError(f"register: {name!r} is a built-in optimizer; choose another name")
    if isinstance(factory, Optimizer):
        factory = _without_keywords(factory)
    if not callable(factory):
        raise ValueError(f"register({name!r}): factory must be a function returning an Optimizer, got {factory!r}")
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"register({name!r}): title must be a non-empty text")
    if color is not None and not (isinstance(color, str) and COLOR.fullmatch(color)):
        raise ValueError(f"register({name!r}): color must be '#rrggbb', got {color!r}")
    if family is not None and not (isinstance(family, str) and NAME.fullmatch(family)):
        raise ValueError(f"register({name!r}): family must be a name like 'adam', got {family!r}")
    keywords = _keywords(name, factory)
    sliders = {}
    for key, spec in dict(symbols or {}).items():
        if key not in keywords and not (key in ("beta1", "beta2") and "betas" in keywords):
            raise ValueError(f"register({name!r}): symbols names {key!r}, which is not a keyword of the factory ({', '.join(keywords) or 'none'})")
        meta = _hyperparameter(key, spec)
        if key in HYPERPARAMETERS and HYPERPARAMETERS[key] != meta:
            raise ValueError(f"register({name!r}): the slider {key!r} already exists as {HYPERPARAMETERS[key]}; leave it out of symbols")
        sliders[key] = meta
    _probe(name, factory)
    entry = Entry(name, factory, title.strip(), color, family or name, builtin)
    HYPERPARAMETERS.update(sliders)
    ENTRIES[name] = entry
    OPTIMIZERS[name] = factory
    TITLES[name] = entry.title
    return entry


def unregister(name: str) -> None:
    """Remove an entry added with `register` (built-in entries stay)."""
    get_optimizer(name)
    if ENTRIES[name].builtin:
        raise ValueError(f"unregister: {name!r} is a built-in optimizer")
    del ENTRIES[name], OPTIMIZERS[name], TITLES[name]


def registered_color(name: str) -> str | None:
    """The colour given to `register` for this name, if any."""
    entry = ENTRIES.get(name)
    return entry.color if entry else None


def _builtin(name, factory, title, *, color=None, family=None, symbols=None):
    register(name, factory, title=title, color=color, family=family, symbols=symbols, builtin=True)


_builtin("gd", gd, "gradient descent")
_builtin("momentum", partial(gd, momentum=0.9), "momentum (heavy ball)", family="gd")
_builtin("nesterov", partial(gd, momentum=0.9, nesterov=True), "Nesterov momentum", family="gd")
_builtin("adagrad", adagrad, "Adagrad (torch: √ of the sum)")
_builtin("adagrad_mean", partial(adagrad, mean=True), "Adagrad (lecture: root mean square)", family="adagrad")
_builtin("rmsprop", rmsprop, "RMSprop (torch: v₀ = 0)")
_builtin("rmsprop_lecture", partial(rmsprop, v0="first_grad"), "RMSprop (lecture: σ⁰ = |g⁰|)", family="rmsprop")
_builtin("adam", adam, "Adam")
_builtin("amsgrad", partial(adam, amsgrad=True), "AMSGrad", family="adam")
# the rest of torch.optim that fits 2-D, Lion, and Newton's method
_builtin("adamw", adamw, "AdamW (decoupled weight decay λ)", color="#c0504d", family="adam",
         symbols={"weight_decay": ("λ", 0.0, 0.5)})
_builtin("nadam", nadam, "NAdam (Adam with Nesterov momentum)", color="#d98c5f", family="adam")
_builtin("radam", radam, "RAdam (rectified Adam: σ only once v is trusted)", color="#a3562b", family="adam")
_builtin("adamax", adamax, "Adamax (σ = decaying max of |g|)", color="#6b3e26", family="adam")
_builtin("adadelta", adadelta, "Adadelta (σ = RMS of g over RMS of past steps; η = 1)", color="#6a51a3", family="rmsprop",
         symbols={"rho": ("ρ", 0.0, 0.999)})
_builtin("rprop", rprop, "Rprop (sign of g, a step size per parameter)", color="#41ab5d", family="rprop")
_builtin("lion", lion, "Lion (sign of interpolated momentum; not in torch)", color="#e7298a", family="lion")
_builtin("newton", newton, "Newton's method (exact Hessian H⁻¹g)", color="#252525", family="newton")


def unknown_optimizer(name: Any) -> str:
    """The message for a name that is not registered (here, or in a fresh session that has not
    registered a student's optimizer yet): it names it, lists the valid ones and says how."""
    valid = ", ".join(repr(n) for n in OPTIMIZERS)
    return (
        f"unknown optimizer {name!r}; valid: {valid} (an optimizer of your own must be registered "
        "in this session first: optimizers.register(name, factory, title=...))"
    )


def get_optimizer(name: str) -> Callable[..., Optimizer]:
    """The factory registered under `name`; an unknown name lists the valid ones."""
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ValueError(unknown_optimizer(name))
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
    return _keywords(name, get_optimizer(name))


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


def with_sliders(name: str, hyper: Mapping[str, Any], sliders: Mapping[str, float]) -> dict[str, Any]:
    """`hyper` (keyword arguments of the named optimizer) with slider values set on top: the
    one translation between slider keys and factory keywords, used by the Explorer, the CLI
    and sweeps. A slider key names its keyword (momentum, alpha, eps, ...) except β₁ and β₂,
    which set one half of `betas` (the other half kept from `hyper`, else the default).
    A key that is not one of the optimizer's sliders is a ValueError naming its sliders."""
    used = slider_params(name)
    kwargs = dict(hyper)
    for key, value in sliders.items():
        if key not in used:
            raise ValueError(f"optimizer {name!r} has no slider {key!r}; its sliders: {', '.join(used) or 'none'}")
        if key in ("beta1", "beta2"):
            betas = list(kwargs.get("betas", defaults(name)["betas"]))
            betas[0 if key == "beta1" else 1] = float(value)
            kwargs["betas"] = tuple(betas)
        else:
            kwargs[key] = float(value)
    return kwargs


def factory_kwargs(name: str, sliders: dict[str, float]) -> dict[str, Any]:
    """Keyword arguments for the named optimizer from slider values (keys it has no slider for
    are ignored: one set of sliders serves several optimizers)."""
    used = slider_params(name)
    return with_sliders(name, {}, {k: v for k, v in sliders.items() if k in used})
