"""The statistics of ``pgweyl check`` (pgweyl.study.checks).

Expected values are worked out by hand in the comments. Statistical tests use fixed
seeds; their null hypothesis is that the simulated episodes are i.i.d. draws from the
exact value distribution (the module's), and the planted-bug test shows they can fail.
"""

import dataclasses
import math

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.progress import Progress
from pgweyl.study import checks
from pgweyl.study.checks import check_closed_forms, chi_square_law, mean_row, proportion_row


# -- the rows, on numbers worked out by hand -----------------------------------------------------
def test_proportion_uses_the_exact_standard_error_and_signs_a_deficit_negative():
    # n = 10 000, p = 1/4, k = 2400: z = (0.24 − 0.25) / √(0.1875 / 10 000) = −2.3094011
    row = proportion_row("wall", 0.25, 2400, 10_000)
    assert row.statistic == "z" and row.value == pytest.approx(-2.3094011, abs=1e-7)
    assert row.ok
    row = proportion_row("wall", 0.25, 2600, 10_000)
    assert row.value == pytest.approx(+2.3094011, abs=1e-7)


def test_an_unseen_rare_event_is_no_failure():
    # np = 1.5e-3: P(X = 0) = (1 − p)^n ≈ 0.9985 is the likeliest outcome, so the exact
    # two-sided p-value of k = 0 is 1 (the old sample-SD z-score was infinite).
    row = proportion_row("wall 0", 1.5e-8, 0, 100_000)
    assert row.statistic == "binom" and row.p_value == pytest.approx(1.0) and row.ok
    # seen 5 times where 0.0015 are expected: P(X ≥ 5) ≈ (np)^5/5! ≈ 6.3e-17 → fails
    row = proportion_row("wall 0", 1.5e-8, 5, 100_000)
    assert row.p_value < 1e-15 and not row.ok


def test_impossible_events():
    assert not proportion_row("w", 0.0, 1, 1000).ok  # p = 0 but seen
    assert proportion_row("w", 0.0, 0, 1000).ok
    assert proportion_row("w", 1.0, 1000, 1000).ok
    assert not proportion_row("w", 1.0, 999, 1000).ok


def test_mean_row_bernstein_bound_by_hand():
    # X ∈ {0, 1} with probability ½ each, n = 100, sample mean 0.6: μ = ½, σ² = ¼, M = ½,
    # t = 0.1: z = 0.1 / (0.5/10) = 2, bound = 2 exp(−100·0.01 / (0.5 + 2·0.5·0.1/3))
    #                                      = 2 exp(−1.875) = 0.306720
    row = mean_row("m", [0.0, 1.0], [0.5, 0.5], 60.0, 100)
    assert row.value == pytest.approx(2.0, abs=1e-12)
    assert row.p_value == pytest.approx(2 * math.exp(-1.875), abs=1e-12) and row.ok


def test_mean_row_rare_large_value_seen_once_is_no_failure():
    # P(X = 1) = 1e-7, once in 10^5 draws: z ≈ 9.9 (a normal test would fail), but
    # Bernstein: exponent 1e5·(9.9e-6)² / (2·1e-7 + 2·9.9e-6/3) ≈ 1.44, bound ≈ 0.47.
    row = mean_row("m", [0.0, 1.0], [1 - 1e-7, 1e-7], 1.0, 100_000)
    assert row.value > 4.5 and row.ok and 0.4 < row.p_value < 0.55


def test_mean_row_deterministic_quantity():
    assert mean_row("T", [6.0], [1.0], 6.0 * 1000, 1000).ok
    row = mean_row("T", [6.0], [1.0], 6.0 * 1000 + 1, 1000)
    assert not row.ok and row.value == math.inf


# -- the whole check -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["corridor", "triangle", "triangle-signed"])
def test_counts_per_cell_equal_the_direct_mapping(name):
    """The vectorised cell index of the streamed check against the plain dict mapping of
    chi_square_law on the same draws (n below one chunk: the draws of one call)."""
    env = pw.make_env(name)
    theta = np.linspace(0.3, -0.3, env.theta_dim)
    report = check_closed_forms(env, theta, n_episodes=20_000, seed=4, symbolic=False)
    points, times = pw.simulate_episodes(env, theta, 20_000, seed=4)
    direct = chi_square_law(env.value_distribution(theta), points, times)
    assert report.rows[0].value == pytest.approx(direct.value, rel=1e-12)
    assert report.rows[0].quantity == direct.quantity


def test_chunked_episodes_use_the_documented_seeds(monkeypatch):
    """n above one chunk: chunk c ≥ 1 draws with seed SeedSequence([seed, c]) (module
    docstring), so the check equals the law of the concatenated draws."""
    monkeypatch.setattr(checks, "MIN_CHUNK", 1024)
    monkeypatch.setattr(checks, "MAX_CHUNK", 1024)
    env = pw.make_env("corridor")
    theta = np.array([0.2, -0.2])
    report = check_closed_forms(env, theta, n_episodes=3000, seed=7, symbolic=False)
    parts = []
    for c, m in enumerate([1024, 1024, 952]):
        if c == 0:
            s = 7
        else:
            w = np.random.SeedSequence([7, c]).generate_state(2, dtype=np.uint64)
            s = int(w[0]) << 64 | int(w[1])
        parts.append(pw.simulate_episodes(env, theta, m, seed=s))
    points = np.vstack([p for p, _ in parts])
    times = np.concatenate([t for _, t in parts])
    direct = chi_square_law(env.value_distribution(theta), points, times)
    assert report.rows[0].value == pytest.approx(direct.value, rel=1e-12)
    assert report.n_episodes == 3000


def test_correct_model_passes_at_a_rare_event_policy():
    # Null hypothesis true; P(far wall) = 1.5e-8 at θ = (−1.5, 1.5).
    report = check_closed_forms(pw.make_env("corridor"), [-1.5, 1.5], n_episodes=50_000, seed=0)
    assert report.ok, [r for r in report.rows if not r.ok]
    wall0 = next(r for r in report.rows if r.quantity == "P(exit on wall 0)")
    assert wall0.statistic == "binom" and wall0.simulated == 0.0


def test_a_distorted_law_is_detected():
    """Planted bug: the far wall's cells inflated by 6%. With 10^5 episodes the shift
    0.015 in P(wall 0) = 0.25 → 0.265 is 10.7 standard errors (√(0.265·0.735/10^5) =
    0.0014): the check must fail, with a negative z (the simulation has a deficit)."""
    env = pw.make_env("corridor")
    true = env.value_distribution(np.zeros(2))
    far = np.array([0 in env.exit_walls[j] for j in true.exit_index])
    p = true.probs.copy()
    p[far] *= 1.06
    p[~far] *= (1 - p[far].sum()) / p[~far].sum()
    wrong = dataclasses.replace(true, probs=p)
    env.value_distribution = lambda theta, tol=1e-12: wrong  # this instance only
    report = check_closed_forms(env, np.zeros(2), n_episodes=100_000, seed=0, symbolic=False)
    assert not report.ok
    wall0 = next(r for r in report.rows if r.quantity == "P(exit on wall 0)")
    assert not wall0.ok and wall0.value < -4.5  # a deficit against the inflated law


def test_symbolic_row_at_overflowing_theta():
    # exp(3·700) overflows in float64; the closed form is then evaluated exactly:
    # always step e1, 6 steps to the treasure, V = 0.95^5 = 0.7737809375.
    report = check_closed_forms(pw.make_env("corridor"), [700.0, -700.0], n_episodes=1000)
    sym = report.rows[-1]
    assert sym.statistic == "diff" and sym.ok
    assert sym.exact == pytest.approx(0.95**5, abs=1e-12)


# -- the symbolic row: certified, never crying wolf ----------------------------------------------
def test_certified_value_encloses_the_exact_rational():
    """At θ = 0 every exp((θ, s)) is 1, so the closed form is a rational number that sympy
    computes exactly (a route that shares nothing with the interval evaluation): it must lie
    in [v − r, v + r], and r must be tiny."""
    from fractions import Fraction

    import sympy

    from pgweyl.exact.symbolic import certified_value

    for env in (pw.make_env("corridor", level=30, gamma=0.99), pw.make_env("triangle")):
        expr = env.symbolic_value()
        exact = expr.xreplace({x: sympy.Integer(0) for x in expr.free_symbols})
        assert exact.is_Rational
        v, r = certified_value(expr, np.zeros(env.theta_dim))
        exact = Fraction(int(exact.p), int(exact.q))
        assert abs(Fraction(v) - exact) <= Fraction(r)
        assert r <= 1e-15 * max(1.0, abs(v))


@pytest.mark.parametrize("level", [25, pytest.param(40, marks=pytest.mark.slow)])
def test_symbolic_row_passes_where_float_evaluation_fails(level):
    """Correct model, γ near 1: the float evaluation of the closed form is off by more than
    1e-9 (the old fixed tolerance cried wolf here), the certified row passes within a bound
    that is itself tiny."""
    from pgweyl.exact.symbolic import value_function

    env = pw.make_env("corridor", level=level, gamma=0.99)
    theta = np.array([0.3, -0.3]) if level == 40 else np.array([0.15, -0.15])
    row = checks.symbolic_row(env, theta)
    assert row.ok and row.tolerance < 1e-13, row
    float_v = value_function(env, env.symbolic_value())(theta)
    assert abs(float_v - row.simulated) > 1e-10  # the trap the old row fell into


@pytest.mark.slow
def test_symbolic_row_on_a_60_level_corridor_near_gamma_1():
    env = pw.make_env("corridor", level=60, gamma=0.999)
    expr = env.symbolic_value(binary=True)  # ~20 s: built once
    for theta in ([0.3, -0.3], [0.0, 0.0], [-1.0, 1.0]):
        row = checks.symbolic_row(env, np.array(theta), expr=expr)
        assert row.ok and row.tolerance < 1e-13, row


def test_symbolic_row_holds_the_floats_the_numerics_use():
    """γ = 0.9999999999999999 is 1 − 2⁻⁵³ + … in binary, 1 − 10⁻¹⁶ as a decimal: the two
    models differ in V by about 1e-16, more than the certified bound of both sides. The
    row compares the closed form of the binary model (what the numeric route solves),
    so it passes; the decimal model would cry wolf."""
    from pgweyl.exact.symbolic import certified_value

    env = pw.make_env("corridor", gamma=0.9999999999999999)
    row = checks.symbolic_row(env, np.zeros(2))
    assert row.ok, row
    v_dec, r_dec = certified_value(env.symbolic_value(), np.zeros(2))
    assert abs(v_dec - row.simulated) > row.tolerance  # the trap the binary model avoids


def test_symbolic_row_detects_a_planted_error_just_above_its_bound():
    """Planted bug: the closed form off by a relative 1e-12 — fails, since the certified
    bound of both sides is below that; and a correct closed form passes."""
    env = pw.make_env("corridor", level=8)
    theta = np.array([0.3, -0.3])
    good = checks.symbolic_row(env, theta)
    assert good.ok and good.tolerance < 1e-13
    expr = env.symbolic_value(binary=True)
    env.symbolic_value = lambda *a, **k: expr * (1 + 10**-12)  # this instance only
    bad = checks.symbolic_row(env, theta)
    assert not bad.ok and abs(bad.value) > bad.tolerance


def test_bad_arguments():
    env = pw.make_env("corridor")
    with pytest.raises(pw.ArgumentError, match="n_episodes must be >= 100"):
        check_closed_forms(env, n_episodes=99)
    with pytest.raises(pw.ArgumentError, match="seed"):
        check_closed_forms(env, n_episodes=100, seed=-1)


def test_progress_lines_mode_prints_one_line_per_phase(capsys):
    with Progress(10, "phase", "item", "lines") as bar:
        bar.update(4)
        bar.update(6)
    err = capsys.readouterr().err
    assert err.startswith("pgweyl: phase: 10/10 items (100%)") and err.count("\n") == 1
    with Progress(10, "phase", "item", "off") as bar:
        bar.update(10)
    assert capsys.readouterr().err == ""
