"""Every registered surface (and a user formula): exact gradients, stationary points,
broadcasting, metadata; then what is special to the bowl, the regression loss and
`expression`."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.mathtext import MathTextParser

import surfaces
from surfaces import FACTORIES, SURFACES, Surface, expression, make

REQUIRED = {"bowl", "rosenbrock", "saddle", "monkey_saddle", "double_well", "regression", "himmelblau", "beale", "rastrigin", "quadratic"}
USER_FORMULA = "x**2 + 3*x*y + 10*y^2 + sin(2x) - exp(-y)"
ALL: dict[str, Surface] = {**SURFACES, "expression": expression(USER_FORMULA)}


@pytest.fixture(params=sorted(ALL))
def surface(request) -> Surface:
    return ALL[request.param]


def points_in_bounds(surface: Surface, rng: np.random.Generator, n: int = 25) -> np.ndarray:
    (x0, x1), (y0, y1) = surface.bounds
    return np.stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)], axis=-1)


def spans(surface: Surface) -> np.ndarray:
    return np.array([b[1] - b[0] for b in surface.bounds])


def ring(center, radius: float, n: int = 16) -> np.ndarray:
    phi = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    return np.asarray(center) + radius * np.stack([np.cos(phi), np.sin(phi)], axis=-1)


# --- the registry ---------------------------------------------------------------------


def test_registry_has_the_required_surfaces():
    assert set(SURFACES) == REQUIRED
    assert set(FACTORIES) == REQUIRED
    for name, s in SURFACES.items():
        assert s.name == name
        assert surfaces.get(name) is s


def test_make_rebuilds_each_surface_from_its_params(surface, rng):
    again = make(surface.name, **surface.params)
    p = points_in_bounds(surface, rng, 5)
    np.testing.assert_array_equal(again.f(p), surface.f(p))
    np.testing.assert_array_equal(again.grad(p), surface.grad(p))
    assert (again.bounds, again.start, again.minima, again.saddles) == (surface.bounds, surface.start, surface.minima, surface.saddles)


def test_unknown_surface_names_list_the_valid_ones():
    for call in (lambda: make("bowel"), lambda: surfaces.get("bowel")):
        with pytest.raises(ValueError, match="unknown surface 'bowel'") as err:
            call()
        assert all(repr(name) in str(err.value) for name in REQUIRED)


@pytest.mark.parametrize(
    ("name", "params", "fragments"),
    [
        ("bowl", {"width": -1.0}, ["width", "(0, inf)", "-1.0"]),
        ("bowl", {"across": float("nan")}, ["across", "nan"]),
        ("bowl", {"along": "steep"}, ["along", "'steep'"]),
        ("bowl", {"angle": 400}, ["angle", "[-360, 360]"]),
        ("rosenbrock", {"b": 0.0}, ["b", "(0, 1e+06]"]),
        ("double_well", {"a": True}, ["a must be"]),
        ("rastrigin", {"amplitude": -1}, ["amplitude", "[0, 100]"]),
        ("regression", {"n_data": 1}, ["n_data", "integer", "[2, 10000]"]),
        ("regression", {"n_data": 10.5}, ["n_data", "integer"]),
        ("regression", {"noise": -0.1}, ["noise"]),
        ("bowl", {"curvature": 3.0}, ["surface 'bowl' has no parameter 'curvature'", "along, across, width, angle"]),
        ("expression", {}, ["surface 'expression' needs text=...", "text, bounds, start"]),
        ("expression", {"bounds": ((0, 1), (0, 1))}, ["needs text=...", "text, bounds, start"]),
        ("expression", {"text": "x", "formula": "x"}, ["no parameter 'formula'", "text, bounds, start"]),
        ("saddle", {"a": 1.0}, ["no parameter 'a'", "no parameters"]),
    ],
)
def test_bad_parameters_are_named_with_their_range(name, params, fragments):
    with pytest.raises(ValueError) as err:
        make(name, **params)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_make_accepts_valid_parameters():
    s = make("rosenbrock", a=2.0, b=10.0)
    assert s.minima == ((2.0, 4.0),)
    assert s.params == {"a": 2.0, "b": 10.0}
    assert make("regression", n_data=16, seed=3).n_data == 16


# --- every surface --------------------------------------------------------------------


def test_gradient_matches_central_differences(surface, rng):
    p = points_in_bounds(surface, rng)
    h = 1e-6 * spans(surface)
    fd = np.empty_like(p)
    for i in range(2):
        e = np.zeros(2)
        e[i] = h[i]
        fd[:, i] = (surface.f(p + e) - surface.f(p - e)) / (2 * h[i])
    g = surface.grad(p)
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-6 * (1.0 + np.abs(g).max()))


def test_hessian_matches_central_differences_of_the_gradient(surface, rng):
    """Every surface has an exact Hessian (symbolic for a formula), symmetric, shape (..., 2, 2)."""
    assert surface.hess is not None, f"{surface.name} has no hess"
    p = np.concatenate([points_in_bounds(surface, rng), np.array(surface.minima + surface.saddles).reshape(-1, 2)])
    h = 1e-6 * spans(surface)
    fd = np.empty(p.shape + (2,))
    for j in range(2):
        e = np.zeros(2)
        e[j] = h[j]
        fd[..., :, j] = (surface.grad(p + e) - surface.grad(p - e)) / (2 * h[j])
    H = surface.hess(p)
    assert H.shape == (len(p), 2, 2)
    np.testing.assert_array_equal(H[..., 0, 1], H[..., 1, 0])
    np.testing.assert_allclose(H, fd, rtol=1e-5, atol=1e-6 * (1.0 + np.abs(H).max()))
    assert surface.hess(p[0]).shape == (2, 2)
    assert surface.hess(p[:4].reshape(2, 2, 2)).shape == (2, 2, 2, 2)


def test_minima_and_saddles_are_stationary(surface):
    for point in surface.minima + surface.saddles:
        assert np.abs(surface.grad(np.array(point))).max() <= 1e-12, point


def test_minima_are_local_minima(surface):
    for m in surface.minima:
        f_m = surface.f(np.array(m))
        for radius in 1e-3 * spans(surface).min() * np.array([1.0, 10.0]):
            assert (surface.f(ring(m, radius)) > f_m).all(), (m, radius)


def test_saddles_are_neither_minima_nor_maxima(surface):
    r = 1e-3 * spans(surface).min()
    for s in surface.saddles:
        f_s = surface.f(np.array(s))
        # a ring finds a degenerate (monkey) saddle; the Hessian's eigenvectors a very thin one
        _, vectors = np.linalg.eigh(hessian(surface, s))
        around = surface.f(np.concatenate([ring(s, r, n=24), s + r * vectors.T, s - r * vectors.T]))
        assert (around > f_s).any() and (around < f_s).any(), s


@pytest.mark.parametrize("lead", [(3, 4), (5,), ()], ids=["grid", "batch", "point"])
def test_f_and_grad_broadcast_over_leading_axes(surface, rng, lead):
    p = points_in_bounds(surface, rng, math.prod(lead)).reshape(*lead, 2)
    f, g = surface.f(p), surface.grad(p)
    assert f.shape == lead and g.shape == (*lead, 2)
    flat = p.reshape(-1, 2)
    np.testing.assert_allclose(f.reshape(-1), [surface.f(q) for q in flat], rtol=1e-12)
    np.testing.assert_allclose(g.reshape(-1, 2), [surface.grad(q) for q in flat], rtol=1e-12, atol=1e-300)


def test_start_is_finite_and_inside_bounds(surface):
    start = np.array(surface.start)
    assert np.isfinite(surface.f(start)) and np.isfinite(surface.grad(start)).all()
    (x0, x1), (y0, y1) = surface.bounds
    assert x0 < x1 and y0 < y1
    assert x0 <= start[0] <= x1 and y0 <= start[1] <= y1
    for point in surface.minima + surface.saddles:
        assert x0 <= point[0] <= x1 and y0 <= point[1] <= y1


def test_grid_covers_the_bounds(surface):
    X, Y, Z = surface.grid(30)
    assert X.shape == Y.shape == Z.shape == (30, 30)
    assert np.isfinite(Z).all()
    (x0, x1), (y0, y1) = surface.bounds
    assert (X[0, 0], X[0, -1], Y[0, 0], Y[-1, 0]) == (x0, x1, y0, y1)


def test_metadata_is_complete(surface):
    assert surface.contour_scale in ("linear", "log")
    assert surface.formula.startswith("$")
    MathTextParser("path").parse(surface.formula)  # matplotlib can draw it as a title
    assert surface.description and "\n" not in surface.description
    assert isinstance(surface.params, dict)


# --- the bowl (lecture §1, §2, §7) ----------------------------------------------------


def hessian(surface: Surface, p, h: float = 1e-5) -> np.ndarray:
    cols = []
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        cols.append((surface.grad(np.asarray(p) + e) - surface.grad(np.asarray(p) - e)) / (2 * h))
    return np.array(cols)


def test_bowl_hessian_at_the_minimum_is_as_documented():
    bowl = SURFACES["bowl"]
    np.testing.assert_allclose(np.linalg.eigvalsh(hessian(bowl, (0.0, 0.0))), [1e-3, 1000.0], rtol=1e-6)
    assert "2/k" in elongated_doc() and "eigenvalues" in elongated_doc()
    assert bowl.minima == ((0.0, 0.0),) and bowl.f(np.zeros(2)) == 0.0


def elongated_doc() -> str:
    return surfaces.elongated_bowl.__doc__ or ""


def test_rotated_bowl_is_the_same_bowl_turned():
    flat, turned = SURFACES["bowl"], make("bowl", angle=30.0)
    phi = math.radians(30.0)
    R = np.array([[math.cos(phi), -math.sin(phi)], [math.sin(phi), math.cos(phi)]])
    p = np.array([[-300.0, 0.6], [3.0, -0.2], [0.5, 0.05]])
    np.testing.assert_allclose(turned.f(p @ R.T), flat.f(p), rtol=1e-12)
    np.testing.assert_allclose(turned.grad(p @ R.T), flat.grad(p) @ R.T, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(turned.start, R @ np.array(flat.start))
    np.testing.assert_allclose(np.linalg.eigvalsh(hessian(turned, (0.0, 0.0))), [1e-3, 1000.0], rtol=1e-3)  # differences leak ~1e-7 across


def test_bowl_loss_is_exact_on_the_floor_and_finite_far_away():
    bowl = SURFACES["bowl"]
    # k δ² (√(1 + (y/δ)²) − 1) ≈ k y²/2 near the floor, without cancellation
    assert bowl.f(np.array([0.0, 1e-12])) == pytest.approx(1000 * 1e-24 / 2, rel=1e-12)
    assert np.isfinite(bowl.f(np.array([0.0, 1e200]))) and np.isfinite(bowl.grad(np.array([0.0, 1e200]))).all()


def test_bowl_gd_zigzag_settles_on_the_documented_orbit():
    """Plain GD at η = 1e-2 (ηk = 10): v* = δ√((ηk/2)² − 1), loss k δ² (ηk/2 − 1), |g| = 2v*/η."""
    bowl = SURFACES["bowl"]
    eta, k, delta = 1e-2, 1000.0, 0.1
    theta = np.array([0.0, bowl.start[1]])  # x = 0: only the zig-zag across is left
    for _ in range(400):
        theta = theta - eta * bowl.grad(theta)
    v_star = delta * math.sqrt((eta * k / 2) ** 2 - 1)
    assert abs(theta[1]) == pytest.approx(v_star, rel=1e-9)
    assert bowl.f(theta) == pytest.approx(k * delta**2 * (eta * k / 2 - 1), rel=1e-9)
    assert np.linalg.norm(bowl.grad(theta)) == pytest.approx(2 * v_star / eta, rel=1e-9)


def test_bowl_adagrad_mean_form_bursts():
    """Lecture §7 with a few lines of Adagrad (mean form) at η = 0.07 from the default start."""
    bowl = SURFACES["bowl"]
    eta, theta, squares = 0.07, np.array(bowl.start), np.zeros(2)
    ys, rates = [], []
    for t in range(400):
        g = bowl.grad(theta)
        squares += g**2
        sigma = np.sqrt(squares / (t + 1)) + 1e-10
        theta = theta - eta * g / sigma
        ys.append(theta[1])
        rates.append(eta / sigma[1])
    ay = np.abs(ys)
    low = int(np.argmin(ay))
    assert ay[low] < 1e-15  # on the floor the offset across shrinks geometrically
    assert ay[low:].max() > 0.1  # ... and then shoots off across the valley
    assert max(rates[low:]) > 3 * rates[10]  # because η/σ across kept growing


# --- the regression loss (lecture §9) ---------------------------------------------------


def test_regression_batch_gradients_average_to_the_full_gradient(rng):
    reg = SURFACES["regression"]
    p = points_in_bounds(reg, rng, 7)
    partition = rng.permutation(reg.n_data).reshape(4, -1)  # 4 equal batches
    batch = np.stack([reg.batch_grad(p, np.broadcast_to(idx, (7, idx.size))) for idx in partition])
    np.testing.assert_allclose(batch.mean(axis=0), reg.grad(p), rtol=1e-12, atol=1e-12)
    everything = np.broadcast_to(np.arange(reg.n_data), (7, reg.n_data))
    np.testing.assert_allclose(reg.batch_grad(p, everything), reg.grad(p), rtol=1e-12, atol=1e-12)


def test_regression_sample_grad_shapes_and_noise(rng):
    reg = SURFACES["regression"]
    assert reg.sample_grad(np.zeros((5, 2)), rng, 8).shape == (5, 2)
    assert reg.sample_grad(np.zeros(2), rng, 8).shape == (2,)
    full = reg.grad(np.zeros((3, 2)))
    np.testing.assert_allclose(reg.sample_grad(np.zeros((3, 2)), rng, reg.n_data), full, rtol=1e-12)
    single = reg.sample_grad(np.zeros((200, 2)), rng, 1)  # stochastic gradients scatter around the full one
    assert single.std(axis=0).min() > 1.0
    np.testing.assert_allclose(single.mean(axis=0), full[0], rtol=0.2)


@pytest.mark.parametrize("bad", [0, 49, 2.5, True, None])
def test_regression_rejects_bad_batch_sizes(rng, bad):
    reg = SURFACES["regression"]
    with pytest.raises(ValueError, match=r"batch_size must be an integer in \[1, 48\]"):
        reg.sample_grad(np.zeros((2, 2)), rng, bad)


def test_regression_data_are_fixed_by_the_seed():
    a, b, c = make("regression"), make("regression"), make("regression", seed=1)
    assert a.minima == b.minima != c.minima
    (w, b_), = a.minima
    assert abs(w - 2.0) < 0.5 and abs(b_ - 3.0) < 0.5  # the data come from y = 2x + 3 + noise


def test_surfaces_without_data_refuse_mini_batches(rng):
    with pytest.raises(ValueError, match="no data"):
        SURFACES["bowl"].sample_grad(np.zeros(2), rng, 4)


# --- user formulas ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "f", "grad"),
    [
        ("x**2 + 10*y**2", lambda x, y: x**2 + 10 * y**2, lambda x, y: (2 * x, 20 * y)),
        ("sin(x)*cos(y)", lambda x, y: np.sin(x) * np.cos(y), lambda x, y: (np.cos(x) * np.cos(y), -np.sin(x) * np.sin(y))),
        ("2x^2 - 3x y + exp(-y/2)", lambda x, y: 2 * x**2 - 3 * x * y + np.exp(-y / 2), lambda x, y: (4 * x - 3 * y, -3 * x - np.exp(-y / 2) / 2)),
        ("abs(x) + sqrt(y**2 + 1) + log(1 + x^2)", lambda x, y: abs(x) + np.sqrt(y**2 + 1) + np.log(1 + x**2),
         lambda x, y: (np.sign(x) + 2 * x / (1 + x**2), y / np.sqrt(y**2 + 1))),
        ("tanh(x) + tan(y/4) + pi*E", lambda x, y: np.tanh(x) + np.tan(y / 4) + np.pi * np.e,
         lambda x, y: (1 - np.tanh(x) ** 2, 1 / (4 * np.cos(y / 4) ** 2))),
    ],
)
def test_expression_values_and_gradient(text, f, grad, rng):
    s = expression(text)
    p = points_in_bounds(s, rng, 12)
    x, y = p[:, 0], p[:, 1]
    np.testing.assert_allclose(s.f(p), f(x, y), rtol=1e-12)
    np.testing.assert_allclose(s.grad(p), np.stack(grad(x, y), axis=-1), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("text", ["3", "pi", "x", "2*y + 1"])
def test_expression_constant_parts_still_broadcast(text):
    s = expression(text)
    for lead in [(3, 4), (5,), ()]:
        p = np.ones((*lead, 2))
        assert s.f(p).shape == lead and s.grad(p).shape == (*lead, 2)
        assert s.f(p).dtype == s.grad(p).dtype == np.float64


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("x +", "could not read the formula"),
        ("(x + y", "could not read the formula"),
        ("(x + y", "unbalanced parentheses: '(' at position 1 is never closed"),
        ("x)", "unbalanced parentheses: ')' at position 2 has no '('"),
        ("sin(x)) * (y", "')' at position 7 has no '('"),
        ("((x + y) * 2", "'(' at position 1 is never closed"),
        ("x + [y", "'[' is not allowed"),
        ("z**2 + x", "unknown name 'z'"),
        ("foo(x)", "unknown name 'foo'"),
        ("__import__('os').system('true')", "unknown name '__import__'"),
        ("x.__class__", "'.' is not allowed"),
        ("lambda: x", "keyword 'lambda'"),
        ("[x for x in y]", "'[' is not allowed"),
        ("x; y", "';' is not allowed"),
        ("e**x", "use E or exp"),
        ("sin + x", "must be called with parentheses"),
        ("1j * x", "number '1j' is not allowed"),
        ("2 3", "two numbers in a row"),
        ("sqrt(-1) * x", "complex values"),
        ("x / 0", "divides by zero"),
        ("x / (y - y)", "not finite"),
        ("9**9**9", "out of range"),
        ("(9**999)**999 * x", "out of range"),
        ("(-8)**(1/3) * x", "not finite and real"),
        ("log(x)", "not finite and real on the whole window"),
        ("x" + "+x" * 300, "too long"),
    ],
)
def test_expression_rejects_bad_text_with_a_clear_message(text, fragment):
    with pytest.raises(ValueError) as err:
        expression(text)
    assert fragment in str(err.value)
    assert "Traceback" not in str(err.value)


def test_expression_bounds_start_and_make():
    s = expression("log(x) + y**2", bounds=((0.5, 4.0), (-1.0, 1.0)), start=(3.0, 0.5))
    assert s.bounds == ((0.5, 4.0), (-1.0, 1.0)) and s.start == (3.0, 0.5)
    assert make("expression", text="x**2 + y**2").f(np.array([1.0, 2.0])) == 5.0
    for kwargs, fragment in [
        ({"bounds": ((1.0, -1.0), (0.0, 1.0))}, "bounds"),
        ({"bounds": "wide"}, "bounds"),
        ({"start": (0.0, float("inf"))}, "start"),
        ({"start": 3.0}, "start"),
    ]:
        with pytest.raises(ValueError, match=fragment):
            expression("x**2 + y**2", **kwargs)
    with pytest.raises(ValueError, match="must be a string"):
        expression(3.0)
