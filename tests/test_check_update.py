"""lossviz.check_update: a student's optimizer against the registry's, step for step.

The students here are written the way notebook 10 asks (pure init/update, numpy), each with
one deliberate mistake; the notebook's own exercise and solution cells are read from the
generated notebook, never copied.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

import optimizers
from lossviz import check_update
from lossviz.check import CASES, MISTAKES, NOT_FILLED, RTOL, _adam, _momentum, _rmsprop, first_parting, variants
from optimizers import Direction, Optimizer

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = "10_write_your_own.ipynb"
CAUSE = {m.key: m.cause for m in MISTAKES}


@pytest.fixture(autouse=True)
def _registry_restored():
    """The notebook's race registers the student's optimizer (my_adam, solution_adam): take
    it out again, so that later tests (the README's tables) see the built-in registry."""
    before = set(optimizers.OPTIMIZERS)
    yield
    for name in set(optimizers.OPTIMIZERS) - before:
        optimizers.unregister(name)


# ------------------------------------------------------------------ students, one mistake each

def student_adam(mistake: str | None = None):
    """Adam as a student writes it (the power β^t, not a running product); `mistake` is one of
    eps_inside, no_correction, no_correction_m, no_correction_v, t_from_0, t_from_2, no_root,
    betas_swapped."""

    def factory(betas=(0.9, 0.999), eps=1e-8):
        beta2, beta1 = betas if mistake == "betas_swapped" else betas[::-1]

        def init(theta):
            t0 = 1 if mistake == "t_from_2" else 0  # a t that starts at 1 and is incremented first
            return t0, np.zeros_like(theta), np.zeros_like(theta)

        def update(g, state):
            t, m, v = state
            if mistake != "t_from_0":  # t_from_0 increments after the correction: 1 − β⁰ first
                t = t + 1
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g**2
            m_hat = m if mistake in ("no_correction", "no_correction_m") else m / (1 - beta1**t)
            v_hat = v if mistake in ("no_correction", "no_correction_v") else v / (1 - beta2**t)
            if mistake == "eps_inside":
                sigma = np.sqrt(v_hat + eps)
            else:
                sigma = (v_hat if mistake == "no_root" else np.sqrt(v_hat)) + eps
            if mistake == "t_from_0":
                t = t + 1
            return Direction(m_hat, sigma), (t, m, v)

        return Optimizer(init, update, name="student_adam")

    return factory


def student_rmsprop(mistake: str | None = None):
    """torch's RMSprop (v from 0) as a student writes it; `mistake`: sigma0_first_grad,
    eps_inside, alpha_swapped, no_root."""

    def factory(alpha=0.99, eps=1e-8):
        def init(theta):
            return None  # no v yet

        def update(g, v):
            if v is None and mistake == "sigma0_first_grad":
                v = g * g  # the lecture's σ⁰ = |g⁰|
            else:
                v = np.zeros_like(g) if v is None else v
                if mistake == "alpha_swapped":
                    v = (1 - alpha) * v + alpha * g * g
                else:
                    v = alpha * v + (1 - alpha) * g * g
            if mistake == "eps_inside":
                sigma = np.sqrt(v + eps)
            else:
                sigma = (v if mistake == "no_root" else np.sqrt(v)) + eps
            return Direction(g, sigma), v

        return Optimizer(init, update, name="student_rmsprop")

    return factory


def student_rmsprop_lecture_from_zero(alpha=0.99, eps=1e-8):
    """Checked against rmsprop_lecture (σ⁰ = |g⁰|), this student starts v at 0 as torch does."""

    def update(g, v):
        v = alpha * v + (1 - alpha) * g * g
        return Direction(g, np.sqrt(v) + eps), v

    return Optimizer(lambda theta: np.zeros_like(theta), update, name="zero_start")


def student_momentum(mistake: str | None = None):
    """Heavy ball; `mistake`: ema (v = βv + (1 − β)g from v = 0), ema_from_g (the same, v⁰ = g⁰)."""

    def factory(momentum=0.9):
        def init(theta):
            return {"v": None}

        def update(g, state):
            v = state["v"]
            if v is None:
                v = (1 - momentum) * g if mistake == "ema" else g
            elif mistake in ("ema", "ema_from_g"):
                v = momentum * v + (1 - momentum) * g
            else:
                v = momentum * v + g
            return Direction(v, 1.0), {"v": v}

        return Optimizer(init, update, name="student_momentum")

    return factory


# mistake key (lossviz.check.MISTAKES) -> (student, reference, surface and step where they part)
WRONG = {
    "adam_eps_inside": (student_adam("eps_inside"), "adam", "bowl", 0),
    "adam_no_correction": (student_adam("no_correction"), "adam", "bowl", 0),
    "adam_no_correction_m": (student_adam("no_correction_m"), "adam", "bowl", 0),
    "adam_no_correction_v": (student_adam("no_correction_v"), "adam", "bowl", 0),
    "adam_correction_t_minus_1": (student_adam("t_from_0"), "adam", "bowl", 0),
    "adam_correction_t_plus_1": (student_adam("t_from_2"), "adam", "bowl", 0),
    "adam_no_root": (student_adam("no_root"), "adam", "bowl", 0),
    "adam_betas_swapped": (student_adam("betas_swapped"), "adam", "bowl", 1),  # m⁰ = g⁰ and σ⁰ = |g⁰| for any β
    "momentum_ema": (student_momentum("ema"), "momentum", "bowl", 0),
    "momentum_ema_from_g": (student_momentum("ema_from_g"), "momentum", "bowl", 1),  # v⁰ = g⁰ agrees
    "rmsprop_sigma0": (student_rmsprop("sigma0_first_grad"), "rmsprop", "bowl", 0),
    "rmsprop_sigma0_zero": (student_rmsprop_lecture_from_zero, "rmsprop_lecture", "bowl", 0),
    "rmsprop_eps_inside": (student_rmsprop("eps_inside"), "rmsprop", "bowl", 0),
    "rmsprop_alpha_swapped": (student_rmsprop("alpha_swapped"), "rmsprop", "bowl", 0),
    "rmsprop_no_root": (student_rmsprop("no_root"), "rmsprop", "bowl", 0),
}


def test_every_known_mistake_has_a_test():
    assert set(WRONG) == set(CAUSE)


@pytest.mark.parametrize("student, reference", [
    (student_adam(), "adam"), (student_rmsprop(), "rmsprop"), (student_momentum(), "momentum"),
])
def test_a_correct_student_matches_step_for_step(student, reference):
    result = check_update(student, reference)
    assert result.ok, str(result)
    assert result.step is None and result.cause is None and result.rows == []
    assert result.cases == len(CASES) and result.steps == 40
    assert "matches step for step" in str(result)


def test_correct_at_other_hyperparameters_and_wrong_at_mismatched_ones():
    assert check_update(student_adam(), "adam", betas=(0.8, 0.99), eps=1e-6).ok
    assert check_update(student_momentum(), "gd", momentum=0.5).ok
    # the student's defaults (β = 0.9) against the registry's "gd" at β = 0.5: a real difference
    mine = student_momentum()()
    result = check_update(mine, "gd", momentum=0.5)
    assert not result.ok and result.step == 1  # v⁰ = g⁰ for every β; v¹ = βv⁰ + g¹ differs


@pytest.mark.parametrize("key", sorted(WRONG))
def test_a_known_mistake_is_named_with_its_first_step(key):
    student, reference, surface, step = WRONG[key]
    result = check_update(student, reference)
    assert not result.ok
    assert result.cause == CAUSE[key], str(result)
    assert (result.surface, result.step) == (surface, step), str(result)
    assert {row["step"] for row in result.rows} == ({step - 1, step} if step else {0})
    parted = [row for row in result.rows if row["step"] == step and row["differs"]]
    assert parted, "the table marks nothing at the parting step"


def test_the_table_holds_both_sides_numbers():
    result = check_update(student_momentum("ema"), "momentum")
    beta, (x, y) = 0.9, CASES[0][1]
    g = optimizers.run(__import__("surfaces").SURFACES["bowl"], "gd", lr=1e-3, steps=1, start=(x, y)).grad[0, 0]
    row = next(r for r in result.rows if r["step"] == 0 and r["parameter"] == "θ₁")
    assert row["theta"] == row["theta_ref"] == x
    assert row["g"] == row["g_ref"] == pytest.approx(g[0], rel=1e-15)
    assert row["m_ref"] == pytest.approx(g[0], rel=1e-15)  # torch: v⁰ = g⁰
    assert row["m"] == pytest.approx((1 - beta) * g[0], rel=1e-15)  # EMA from 0: (1 − β) g⁰
    assert row["sigma"] == row["sigma_ref"] == 1.0
    assert row["differs"] == ["m"]
    text = str(result)
    assert "likely cause: momentum in the EMA form" in text and "≠" in text
    assert len(text.splitlines()) == 1 + 1 + 1 + 2 + 1  # verdict, cause, header, two rows, legend


def test_no_known_cause_is_none_and_the_step_is_still_found():
    def beta1_hardcoded(betas=(0.9, 0.999), eps=1e-8):
        return student_adam()(betas=(0.8, betas[1]), eps=eps)

    result = check_update(beta1_hardcoded, "adam")
    assert not result.ok and result.cause is None and result.step == 1  # m̂⁰ = g⁰ for every β₁


def test_the_same_steps_split_differently_into_m_and_sigma():
    base = optimizers.adam()

    def update(g, state):
        (m_hat, sigma), state = base.update(g, state)
        return Direction(m_hat / sigma, np.ones_like(g)), state

    result = check_update(Optimizer(base.init, update, name="folded"), "adam")
    assert not result.ok and result.step == 0
    assert result.cause.startswith("θ matches step for step, but m and σ are split differently")


# ------------------------------------------------------------------ blanks, shapes, NaN, errors

def exercise_cells() -> dict[str, str]:
    """The notebook's own exercise cells (with their blanks), by the factory they define."""
    cells = [c for c in _generator().build(NOTEBOOK).cells if c.cell_type == "code"]
    return {m.group(1): c.source for c in cells if (m := re.match(r"def (my_\w+)\(", c.source))}


def _generator():
    spec = importlib.util.spec_from_file_location("_make_notebooks", REPO / "notebooks" / "_make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _namespace(*sources: str) -> dict:
    namespace: dict = {}
    for source in (_setup_cell(), *sources):
        exec(source, namespace)
    return namespace


def _setup_cell() -> str:
    cells = [c for c in _generator().build(NOTEBOOK).cells if c.cell_type == "code"]
    return next(c.source for c in cells if "import check_update" in c.source or "check_update," in c.source)


@pytest.mark.parametrize("name, reference", [("my_momentum", "momentum"), ("my_rmsprop", "rmsprop"), ("my_adam", "adam")])
def test_the_notebooks_blanks_are_not_filled_in_and_do_not_raise(name, reference):
    source = exercise_cells()[name]
    assert "..." in source
    result = check_update(_namespace(source)[name], reference)
    assert not result.ok and result.blank
    assert result.cause.startswith(NOT_FILLED) and str(result).endswith(result.cause)
    assert NOT_FILLED in result._repr_html_()


def test_a_blank_inside_an_expression_is_not_filled_in():
    def half(betas=(0.9, 0.999), eps=1e-8):
        def update(g, state):
            t, m, v = state
            m = 0.9 * m + ...  # the student's blank, half written
            return Direction(m, np.ones_like(g)), (t + 1, m, v)

        return Optimizer(lambda theta: (0, np.zeros_like(theta), np.zeros_like(theta)), update)

    result = check_update(half, "adam")
    assert result.blank and "ellipsis" in result.cause and result.step == 0


@pytest.mark.parametrize("returns, words", [
    (lambda g, m, s: (Direction(m.sum(), s), None), "m of shape ()"),
    (lambda g, m, s: (Direction(m, np.ones(3)), None), "σ of shape (3,)"),
    (lambda g, m, s: ((m, s), None), "Direction(m, sigma) first"),
    (lambda g, m, s: Direction(m, s), "(Direction(m, sigma), new_state)"),
    (lambda g, m, s: (Direction(m, "one"), None), "Direction(m, sigma) at step 0 raised ValueError"),
])
def test_a_wrong_return_is_said_as_such(returns, words):
    def update(g, state):
        return returns(g, g, np.ones_like(g))

    result = check_update((lambda theta: None, update), "gd")
    assert not result.ok and not result.blank and result.step == 0
    assert words in result.cause, result.cause


def test_an_exception_in_the_students_update_is_reported_with_its_step():
    def update(g, t):
        if t == 3:
            raise KeyError("velocity")
        return Direction(g, np.ones_like(g)), t + 1

    result = check_update((lambda theta: 0, update), "gd")
    assert not result.ok and result.step == 3
    assert result.cause == "your update at step 3 raised KeyError: 'velocity'"


def test_nan_and_a_non_positive_sigma_are_said_as_such():
    def nan_at_5(g, t):
        return Direction(g if t != 5 else g * np.nan, np.ones_like(g)), t + 1

    result = check_update((lambda theta: 0, nan_at_5), "gd")
    assert result.step == 5 and "not a finite number at step 5" in result.cause

    def negative(g, t):
        return Direction(-g, -np.ones_like(g)), t + 1  # the same step η m/σ, but σ < 0

    result = check_update((lambda theta: 0, negative), "gd")
    assert result.step == 0 and result.cause.startswith("σ must be > 0")


def test_bad_arguments_are_errors_naming_the_argument():
    with pytest.raises(TypeError, match=r"^student must be an optimizers\.Optimizer, a factory .* got int"):
        check_update(42, "adam")
    with pytest.raises(TypeError, match=r"^student: a pair must be two functions \(init, update\)"):
        check_update((1, 2), "adam")
    with pytest.raises(TypeError, match=r"^reference must be a registry name such as 'adam', got int"):
        check_update(student_adam(), 3)
    with pytest.raises(ValueError, match=r"^reference: unknown optimizer 'adma'; valid: 'gd', .*'adam'"):
        check_update(student_adam(), "adma")
    with pytest.raises(ValueError, match=r"has no hyperparameter 'beta1'; valid: betas, eps, amsgrad"):
        check_update(student_adam(), "adam", beta1=0.9)
    with pytest.raises(ValueError, match=r"^steps must be an integer in \[1, 10000\]"):
        check_update(student_adam(), "adam", steps=0)
    with pytest.raises(ValueError, match=r"^lr must be a finite number in \(0, inf\)"):
        check_update(student_adam(), "adam", lr=-1.0)


def test_a_factory_that_cannot_take_the_keywords_is_reported():
    def no_keywords():
        return optimizers.adam()

    result = check_update(no_keywords, "adam", eps=1e-6)
    assert not result.ok and result.cause.startswith("calling your factory raised TypeError")


def test_html_is_escaped_and_shades_the_differing_cells():
    wrong = student_adam("eps_inside")()._replace(name="<b>mine</b>")
    page = check_update(wrong, "adam")._repr_html_()
    assert "<b>mine</b>" not in page and "&lt;b&gt;mine&lt;/b&gt;" in page
    assert page.count('title="differs"') == 1  # σ₁ at step 0 (σ₂ differs by less than RTOL there)
    assert "√(v̂ + ε)" in page


# ------------------------------------------------------------------ the variants are the reference's

@pytest.mark.parametrize("variant, reference", [
    (_adam((0.9, 0.999), 1e-8), "adam"),
    (_rmsprop(0.99, 1e-8), "rmsprop"),
    (_rmsprop(0.99, 1e-8, first_grad=True), "rmsprop_lecture"),
    (_momentum(0.9), "momentum"),
])
def test_a_variant_without_its_mistake_is_the_reference(variant, reference):
    import surfaces

    for name, start, lr in CASES:
        a = optimizers.run(surfaces.SURFACES[name], variant, lr=lr, steps=40, start=start)
        b = optimizers.run(surfaces.SURFACES[name], reference, lr=lr, steps=40, start=start)
        assert first_parting(a, b) is None
        np.testing.assert_allclose(a.theta, b.theta, rtol=RTOL, atol=0)


def test_variants_apply_to_the_plain_forms_only():
    assert {m.key for m, _ in variants("adam")} == {k for k in CAUSE if k.startswith("adam_")}
    assert variants("adam", amsgrad=True) == [] and variants("nesterov") == [] and variants("gd") == []
    assert {m.key for m, _ in variants("rmsprop_lecture")} == {"rmsprop_sigma0_zero", "rmsprop_eps_inside", "rmsprop_alpha_swapped", "rmsprop_no_root"}
    assert variants("rmsprop", centered=True) == [] and variants("rmsprop", momentum=0.5) == []


# ------------------------------------------------------------------ notebook 10, end to end

ADAM_ANSWERS = {  # what a student types into the blanks of the notebook's Adam cell
    "m": "beta1 * m + (1 - beta1) * g",
    "v": "beta2 * v + (1 - beta2) * g**2",
    "m_hat": "m / (1 - beta1**t)",
    "sigma": "np.sqrt(v / (1 - beta2**t)) + eps",
}


def filled_in(source: str, answers: dict[str, str]) -> str:
    for name, code in answers.items():
        source, n = re.subn(rf"^(\s*){name} = \.\.\.  # your code: .*$", rf"\g<1>{name} = {code}", source, flags=re.M)
        assert n == 1, f"the blank of {name} is not in the cell any more"
    assert "..." not in source
    return source


def notebook_code(answers: dict[str, str] | None = None) -> list[str]:
    """The code cells of notebook 10 in order, the Adam cell filled in with `answers`."""
    cells = [c.source for c in _generator().build(NOTEBOOK).cells if c.cell_type == "code"]
    return [filled_in(c, answers) if answers and c.startswith("def my_adam(") else c for c in cells]


def run_notebook_code(sources, folder, monkeypatch) -> dict:
    monkeypatch.chdir(folder)
    namespace: dict = {}
    for source in sources:
        exec(compile(source, NOTEBOOK, "exec"), namespace)
    return namespace


def test_the_solution_cell_is_hidden_and_its_solutions_match():
    cells = _generator().build(NOTEBOOK).cells
    hidden = [c for c in cells if c.get("metadata", {}).get("jupyter", {}).get("source_hidden")]
    assert len(hidden) == 1 and hidden[0].cell_type == "code"
    namespace = _namespace(hidden[0].source)
    for name, reference in (("solution_momentum", "momentum"), ("solution_rmsprop", "rmsprop"), ("solution_adam", "adam")):
        assert check_update(namespace[name], reference).ok, name
    # the committed notebook hides it too (tests/test_notebooks.py compares sources only)
    import nbformat

    committed = nbformat.read(REPO / "notebooks" / NOTEBOOK, as_version=4)
    assert [c.metadata.get("jupyter", {}) for c in committed.cells] == [c.metadata.get("jupyter", {}) for c in cells]


def _gif_frames(path):
    from PIL import Image

    with Image.open(path) as image:
        frames = []
        for i in range(image.n_frames):
            image.seek(i)
            frames.append(np.asarray(image.convert("RGB"), dtype=int))
        return image.format, frames


def _pixels_near(frame, color: str) -> int:
    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(frame - rgb).sum(axis=-1) < 80).sum())  # GIF palettes shift a colour a little


def test_a_students_adam_from_the_notebook_is_checked_races_and_exports_a_gif(tmp_path, monkeypatch, capsys):
    ns = run_notebook_code(notebook_code(ADAM_ANSWERS), tmp_path, monkeypatch)
    try:
        assert check_update(ns["my_adam"], "adam", betas=(0.9, 0.999), eps=1e-8).ok
        assert ns["racer"] is ns["my_adam"] and "racing your Adam" in capsys.readouterr().out
        race = ns["race"]
        assert race.last_error is None
        assert [r.optimizer for r in race.scene.runs] == ["my_adam", "adam", "momentum"]
        mine, builtin = race.trajectories["my_adam"], race.trajectories["adam"]
        assert mine.steps == 300
        np.testing.assert_allclose(mine.theta, builtin.theta, rtol=1e-9, atol=0)  # the same race, step for step
        assert np.abs(mine.theta[-1] - race.trajectories["momentum"].theta[-1]).max() > 0.1  # a different one
        gif = Path(ns["gif"]).resolve()
        assert gif == tmp_path.resolve() / "my_adam_race.gif" and not (REPO / "notebooks" / "my_adam_race.gif").exists()
        kind, frames = _gif_frames(gif)
        assert kind == "GIF" and len(frames) == 40
        assert frames[0].shape == (720, 1280, 3)  # style.FIGSIZE at style.GIF_DPI: readable on a slide
        assert np.abs(frames[0] - frames[-1]).sum(axis=-1).astype(bool).mean() > 0.01  # it moves
        # the student's colour: its legend line in the first frame, and its path by the last
        color = race.scene.colors()["my_adam"]
        assert _pixels_near(frames[-1], color) > _pixels_near(frames[0], color) + 50
    finally:
        ns["race"].close()


def test_with_the_blanks_the_notebook_races_the_solution_and_says_so(tmp_path, monkeypatch, capsys):
    ns = run_notebook_code(notebook_code(), tmp_path, monkeypatch)
    try:
        assert ns["racer"] is ns["solution_adam"]
        assert "racing the solution's Adam (yours does not match the built-in one yet)" in capsys.readouterr().out
        assert [r.optimizer for r in ns["race"].scene.runs] == ["solution_adam", "adam", "momentum"]
        assert len(_gif_frames(ns["gif"])[1]) == 40
    finally:
        ns["race"].close()


# ------------------------------------------------------------------ how fine the check is

def test_a_ten_percent_error_in_eps_parts_and_rounding_differences_do_not():
    # student_adam writes β^t as a power and g**2 (the registry: a running product and g*g):
    # the same numbers up to rounding, which must pass; ε 10 % off must not (σ₁ = 0.003 + ε on
    # the bowl's floor: a relative change of 3·10⁻⁷)
    assert check_update(student_adam(), "adam").ok
    off = check_update(lambda betas=(0.9, 0.999), eps=1e-8: student_adam()(betas, 1.1e-8), "adam")
    assert not off.ok and (off.surface, off.step) == ("bowl", 0) and off.cause is None
    assert next(r for r in off.rows if r["parameter"] == "θ₁")["differs"] == ["sigma"]


def test_sigma_alone_is_compared_where_it_moves_nothing():
    # σ = 1 where v = 0 (no gradient seen): on the saddle's ridge g₂ = 0, so m₂ = 0 and θ₂ stays
    # put either way; only σ₂ (ε for torch) tells the two apart
    def update(g, v):
        v = 0.99 * v + 0.01 * g * g
        return Direction(g, np.where(v == 0, 1.0, np.sqrt(v) + 1e-8)), v

    result = check_update((np.zeros_like, update), "rmsprop")
    assert not result.ok and (result.surface, result.step) == ("saddle", 0)
    row = next(r for r in result.rows if r["parameter"] == "θ₂")
    assert row["differs"] == ["sigma"] and (row["sigma"], row["sigma_ref"]) == (1.0, 1e-8)


def test_an_init_whose_state_update_cannot_unpack_says_they_must_agree():
    def factory(betas=(0.9, 0.999), eps=1e-8):
        def update(g, state):
            t, m, v = state  # three values; init gave one array
            return Direction(g, np.ones_like(g)), (t, m, v)

        return Optimizer(lambda theta: np.zeros_like(theta), update, name="mismatched")

    result = check_update(factory, "adam")
    assert not result.ok and result.step == 0
    assert "must be what update unpacks" in result.cause and "unpack" in result.cause
