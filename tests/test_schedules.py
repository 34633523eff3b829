"""Learning-rate schedules: closed forms, join boundaries, purity, validation, doctests (lecture §8)."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import optimizers.schedules
from optimizers.schedules import (
    SCHEDULES,
    constant,
    cosine_annealing,
    exponential,
    inverse_sqrt,
    inverse_time,
    join,
    linear_warmup,
    step_decay,
)

STEPS = [0, 1, 2, 5, 9, 10, 11, 17, 99, 100, 101, 1000]

# name → (keyword arguments, the closed form η_t written out with math)
CLOSED_FORMS = {
    "constant": (dict(lr=0.3), lambda t: 0.3),
    "step_decay": (dict(lr=0.5, step_size=10, gamma=0.3), lambda t: 0.5 * 0.3 ** (t // 10)),
    "exponential": (dict(lr=0.2, gamma=0.95), lambda t: 0.2 * 0.95**t),
    "inverse_time": (dict(lr=0.4, lr_decay=0.05), lambda t: 0.4 / (1 + 0.05 * t)),
    "inverse_sqrt": (dict(lr=0.7), lambda t: 0.7 / math.sqrt(t + 1)),
    "cosine_annealing": (
        dict(lr_max=0.1, total_steps=100, lr_min=0.01),
        lambda t: 0.01 + 0.5 * (0.1 - 0.01) * (1 + math.cos(math.pi * min(t, 100) / 100)),
    ),
    "linear_warmup": (dict(lr=0.5, warmup_steps=10, start_lr=0.1), lambda t: 0.1 + (0.5 - 0.1) * min(t, 10) / 10),
    "join": (
        dict(schedules=[linear_warmup(0.1, warmup_steps=10), cosine_annealing(0.1, total_steps=90)], boundaries=[10]),
        lambda t: 0.1 * t / 10 if t < 10 else 0.5 * 0.1 * (1 + math.cos(math.pi * min(t - 10, 90) / 90)),
    ),
}


def test_closed_forms_cover_the_registry():
    assert set(CLOSED_FORMS) == set(SCHEDULES)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_closed_form_values_for_int_steps(name):
    kwargs, formula = CLOSED_FORMS[name]
    schedule = SCHEDULES[name](**kwargs)
    for t in STEPS:
        value = schedule(t)
        assert isinstance(value, float), (name, t, type(value))
        assert value == pytest.approx(formula(t), rel=1e-13, abs=1e-300), (name, t)
        assert schedule(np.int64(t)) == value


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_array_of_steps_gives_every_value_at_once(name):
    kwargs, formula = CLOSED_FORMS[name]
    schedule = SCHEDULES[name](**kwargs)
    expected = np.array([formula(t) for t in STEPS])
    np.testing.assert_allclose(schedule(np.array(STEPS)), expected, rtol=1e-13)
    column = schedule(np.array(STEPS)[:, None])  # the runner asks with a (T, 1) column
    assert column.shape == (len(STEPS), 1)
    np.testing.assert_allclose(column[:, 0], expected, rtol=1e-13)
    np.testing.assert_array_equal(schedule(np.array(STEPS)), [schedule(t) for t in STEPS])


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedules_are_pure_and_order_independent(name):
    kwargs, _ = CLOSED_FORMS[name]
    schedule = SCHEDULES[name](**kwargs)
    late_first = [schedule(t) for t in reversed(STEPS)][::-1]
    in_order = [schedule(t) for t in STEPS]
    assert late_first == in_order
    assert [schedule(t) for t in STEPS] == in_order  # asking again changes nothing
    fresh = SCHEDULES[name](**kwargs)
    assert [fresh(t) for t in STEPS] == in_order


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedules_are_positive_where_the_lecture_needs_them(name):
    kwargs, _ = CLOSED_FORMS[name]
    values = SCHEDULES[name](**kwargs)(np.arange(2000))
    assert np.isfinite(values).all() and (values >= 0).all()


def test_join_boundaries():
    s = join([constant(1.0), constant(0.5), exponential(0.25, gamma=0.5)], boundaries=[3, 5])
    assert [s(t) for t in range(8)] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.125, 0.0625]
    # each schedule sees t − boundary: a warm-up after a join starts from its own step 0
    s = join([constant(1.0), linear_warmup(1.0, warmup_steps=4)], boundaries=[2])
    assert [s(t) for t in range(8)] == [1.0, 1.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    np.testing.assert_array_equal(s(np.arange(8)), [1.0, 1.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0])


def test_join_accepts_numpy_integer_boundaries():
    s = join([constant(1.0), constant(0.5)], boundaries=np.array([2]))
    assert [s(t) for t in range(4)] == [1.0, 1.0, 0.5, 0.5]


def test_warmup_then_cosine_rises_then_decays():
    s = join([linear_warmup(0.1, warmup_steps=10), cosine_annealing(0.1, total_steps=90)], boundaries=[10])
    eta = s(np.arange(120))
    assert eta[0] == 0.0 and eta[10] == pytest.approx(0.1)
    assert (np.diff(eta[:11]) > 0).all() and (np.diff(eta[10:101]) < 0).all()
    assert (eta[100:] == pytest.approx(0.0, abs=1e-18))


def test_inverse_time_is_torch_adagrad_lr_decay():
    """torch: clr = lr / (1 + (step − 1) · lr_decay) with step counted from 1."""
    s = inverse_time(0.3, lr_decay=0.01)
    for step in range(1, 50):
        assert s(step - 1) == pytest.approx(0.3 / (1 + (step - 1) * 0.01), rel=1e-15)


def test_step_decay_and_cosine_examples():
    assert [step_decay(1.0, step_size=10, gamma=0.5)(t) for t in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    s = cosine_annealing(0.1, total_steps=10)
    assert (s(0), s(10), s(1000)) == (pytest.approx(0.1), pytest.approx(0.0, abs=1e-18), pytest.approx(0.0, abs=1e-18))
    assert inverse_sqrt(1.0)(3) == 0.5


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: constant(0.0), "lr"),
        (lambda: constant(-1.0), "lr"),
        (lambda: constant(math.nan), "lr"),
        (lambda: constant(math.inf), "lr"),
        (lambda: step_decay(0.1, step_size=0), "step_size"),
        (lambda: step_decay(0.1, step_size=2.5), "step_size"),
        (lambda: step_decay(0.1, step_size=10, gamma=0.0), "gamma"),
        (lambda: step_decay(0.1, step_size=10, gamma=1.5), "gamma"),
        (lambda: exponential(0.1, gamma=-0.5), "gamma"),
        (lambda: exponential(0.1, gamma=math.nan), "gamma"),
        (lambda: inverse_time(0.1, lr_decay=-0.1), "lr_decay"),
        (lambda: inverse_sqrt(0.0), "lr"),
        (lambda: cosine_annealing(0.1, total_steps=0), "total_steps"),
        (lambda: cosine_annealing(0.1, total_steps=10, lr_min=0.2), "lr_min"),
        (lambda: cosine_annealing(-0.1, total_steps=10), "lr_max"),
        (lambda: linear_warmup(0.1, warmup_steps=0), "warmup_steps"),
        (lambda: linear_warmup(0.1, warmup_steps=5, start_lr=0.5), "start_lr"),
        (lambda: join([constant(1.0)], boundaries=[3]), "boundar"),
        (lambda: join([constant(1.0), constant(0.5)], boundaries=[]), "boundar"),
        (lambda: join([constant(1.0), constant(0.5), constant(0.1)], boundaries=[5, 3]), "boundaries"),
        (lambda: join([constant(1.0), constant(0.5)], boundaries=[0]), "boundaries"),
        (lambda: join([constant(1.0), constant(0.5)], boundaries=[1.5]), r"boundaries\[0\] must be an integer"),
        (lambda: join([constant(1.0), constant(0.5)], boundaries=[True]), r"boundaries\[0\] must be an integer"),
        (lambda: join([constant(1.0), constant(0.5), constant(0.1)], boundaries=[2, 3.5]), r"boundaries\[1\]"),
        (lambda: join([constant(1.0), constant(0.5)], boundaries=3), "boundaries must be a list"),
        (lambda: constant(True), "lr must be a number"),
        (lambda: step_decay(0.1, step_size=10, gamma="0.5"), "gamma must be a number"),
        (lambda: join([constant(1.0), 0.5], boundaries=[3]), "schedule"),
    ],
)
def test_bad_arguments_raise_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("t", [1.5, -1, np.array([0, -3]), np.array([0.5])])
def test_bad_steps_raise(t):
    for name, (kwargs, _) in CLOSED_FORMS.items():
        with pytest.raises(ValueError, match="t must be"):
            SCHEDULES[name](**kwargs)(t)


def test_whole_float_steps_are_accepted():
    assert inverse_sqrt(1.0)(3.0) == 0.5


def test_doctests_of_schedules_pass():
    result = doctest.testmod(optimizers.schedules, verbose=False)
    assert result.attempted >= 3
    assert result.failed == 0
