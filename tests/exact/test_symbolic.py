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


def test_softmax_has_no_closed_form():
    env = pw.make_env("triangle-signed", policy="softmax")
    with pytest.raises(pw.ArgumentError, match="softmax"):
        env.symbolic_value()
