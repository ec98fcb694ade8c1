"""Symbolic V (generating functions) against numeric V (tilted log table)."""

import numpy as np
import pytest
import sympy

import pgweyl as pw
from pgweyl.exact.symbolic import generating_functions, value_function, value_latex


@pytest.mark.parametrize(
    "name, knobs",
    [
        ("corridor", {}),
        ("triangle", {}),
        ("triangle-signed", {}),
        ("corridor", {"step_cost": 0.05}),
        ("triangle", {"step_cost": 0.02, "gamma": 1.0}),
    ],
)
def test_symbolic_equals_numeric(name, knobs):
    env = pw.make_env(name, **knobs)
    expr = env.symbolic_value()
    f = value_function(env, expr)
    theta_syms = sorted(expr.free_symbols, key=str)
    assert [str(s) for s in theta_syms] == [f"theta_{i}" for i in range(env.theta_dim)]
    rng = np.random.default_rng(11)
    for _ in range(4):
        theta = rng.normal(size=env.theta_dim)
        numeric = env.value(theta, tol=1e-15)
        assert f(theta) == pytest.approx(numeric, abs=1e-12)
        # and at 30 digits, free of any floating-point evaluation of the closed form
        exact = expr.evalf(
            30, subs={s: sympy.Float(float(t), 30) for s, t in zip(theta_syms, theta)}
        )
        assert float(exact) == pytest.approx(numeric, abs=1e-12)


def test_generating_function_series_matches_table():
    env = pw.make_env("triangle")
    z, phis = generating_functions(env)
    _, F = env.first_passage_counts(30)
    for j, phi in enumerate(phis):
        series = sympy.series(phi, z, 0, 31).removeO()
        coeffs = [int(series.coeff(z, n)) for n in range(31)]
        assert coeffs == [int(x) for x in F[:, j]]


def test_symbolic_parameters_and_latex():
    env = pw.make_env("corridor")
    expr = env.symbolic_value(symbolic_params=True)
    names = {str(s) for s in expr.free_symbols}
    assert {"gamma", "c", "r_0", "r_1", "theta_0", "theta_1"} <= names
    g, c, r0, r1 = sympy.symbols("gamma c r_0 r_1", positive=True)
    subs = {
        s: v
        for s in expr.free_symbols
        for name, v in [
            ("gamma", sympy.Rational(19, 20)),
            ("c", 0),
            ("r_0", 1),
            ("r_1", sympy.Rational(1, 2)),
        ]
        if str(s) == name
    }
    numeric_expr = expr.subs(subs)
    th = {
        s: v
        for s in expr.free_symbols
        for name, v in [("theta_0", 0.3), ("theta_1", -0.4)]
        if str(s) == name
    }
    assert float(numeric_expr.evalf(30, subs=th)) == pytest.approx(
        env.value([0.3, -0.4], tol=1e-15), abs=1e-12
    )
    assert "theta" in value_latex(env)


def test_gauge_invariance_of_the_closed_form():
    env = pw.make_env("triangle")
    f = value_function(env)
    theta = np.array([0.4, -0.3, 0.1])
    assert f(theta + 5.0) == pytest.approx(f(theta), abs=1e-13)


def test_softmax_closed_form_equals_numeric():
    # softmax on signed steps is not a tilt of F; the first-step route covers it anyway
    env = pw.make_env("triangle-signed", policy="softmax")
    f = value_function(env)
    rng = np.random.default_rng(5)
    for _ in range(3):
        theta = rng.normal(size=env.theta_dim)
        assert f(theta) == pytest.approx(env.value(theta, tol=1e-15), abs=1e-12)


def test_log_theta_gives_rationals_without_roots():
    # θ = (log p, log q) used to produce sqrt(p/q) through the gauge fixing
    env = pw.make_env("corridor")
    expr = env.symbolic_value()
    t0, t1 = sorted(expr.free_symbols, key=str)
    v = expr.xreplace({t0: sympy.log(3), t1: sympy.log(1)})
    v = sympy.cancel(v)
    assert v.is_Rational and not v.has(sympy.sqrt(3))
    assert float(v) == pytest.approx(env.value([np.log(3), 0.0], tol=1e-15), abs=1e-12)


def test_gamma_one_is_a_limit_not_nan():
    env = pw.make_env("triangle", gamma=1.0, step_cost=0.02)
    expr = env.symbolic_value(symbolic_params=True)
    names = {str(x): x for x in expr.free_symbols}
    at_one = expr.subs({names["gamma"]: 1, names["c"]: sympy.Rational(1, 50)})
    at_one = at_one.subs({names["r_0"]: 1, names["r_1"]: sympy.Rational(3, 5)})
    at_one = at_one.subs({names["r_2"]: sympy.Rational(3, 10)})
    theta = [0.2, -0.1, 0.4]
    th = {names[f"theta_{i}"]: sympy.Float(t, 30) for i, t in enumerate(theta)}
    got = at_one.evalf(30, subs=th)
    assert got.is_finite and float(got) == pytest.approx(env.value(theta, tol=1e-15), abs=1e-12)


def test_reward_table_rewards_become_symbols():
    env = pw.AlcoveWalkEnv(
        "A1", 4, start=(1, 0), reward_table={(4, 0): 1.0, (0, 0): 0.25}, gamma=0.9
    )
    expr = env.symbolic_value(symbolic_params=True)
    names = {str(x) for x in expr.free_symbols}
    assert {"R_(0,0)", "R_(4,0)", "gamma", "c"} <= names
