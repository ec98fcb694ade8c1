"""V(θ) in closed form from the generating functions (THEORY §4).

    Φ_b(z) = Σ_n F_n(λ, b) z^n = z e_λᵀ (I − zM)^{−1} B e_b = N_b(z) / D(z),
    D(z) = det(I − zM),   deg N_b ≤ |I|,

so N_b is the truncation to degree |I| of D(z) · Σ_{n ≤ |I|} F_n(b) z^n, with the F_n
taken from the reflection route (exact integers) and D from the characteristic
polynomial of the interior transfer matrix M. With u = γ e^{−A(θ)}:

    V(θ) = Σ_b R(b) e^{(θ, b−λ)} Φ_b(u)/γ − c (1 − Σ_b e^{(θ, b−λ)} Φ_b(u)) / (1 − γ),

and for γ = 1 the cost term is −c E[T] = −c Σ_b e^{(θ, b−λ)} u Φ_b'(u). On A_n θ enters
through its gauge-fixed part θ − mean(θ)(1, …, 1), so the expression is exactly
gauge invariant. Exact rationals throughout (γ = 0.95 is 19/20); nothing is simplified
with ``simplify`` (it can hang): each Φ_b is ``cancel``-ed.
"""

from __future__ import annotations

import numpy as np

from pgweyl.errors import ArgumentError
from pgweyl.exact.tables import first_passage_reflection


def _rational(x):
    import sympy

    return sympy.Rational(repr(float(x)))


def generating_functions(env):
    """(z, [Φ_b(z) for b in env.exit_points]) as cancelled sympy rational functions.

    Checks the rational form against the next |I| + 1 coefficients of the series."""
    import sympy

    g = env.graph
    n_states = len(g.states)
    M = sympy.zeros(n_states, n_states)
    for i, row in enumerate(g.succ):
        for k in row:
            if k >= 0:
                M[i, k] += 1
    z, lam = sympy.symbols("z lambda_")
    charpoly = M.charpoly(lam).as_expr()  # det(λI − M)
    D = sympy.Poly(sympy.expand(z**n_states * charpoly.subs(lam, 1 / z)), z)
    n_check = 2 * n_states + 2
    F = first_passage_reflection(env, n_check)
    phis = []
    for j in range(F.shape[1]):
        series = sympy.Poly(sum(int(F[n, j]) * z**n for n in range(1, n_check + 1)), z)
        prod = (D * series).all_coeffs()[::-1]  # ascending powers
        # Coefficients of degree |I|+1 .. 2|I|+2 of D·Φ_b must vanish: the rational form
        # reproduces the series well beyond the terms used to build it.
        if any(c != 0 for c in prod[n_states + 1 : n_check + 1]):
            raise ArithmeticError("generating function check failed: D·Φ_b is not a polynomial")
        numer = sympy.Poly(list(reversed(prod[: n_states + 1])), z)
        phis.append(sympy.cancel(numer.as_expr() / D.as_expr()))
    return z, phis


def theta_symbols(env):
    import sympy

    return sympy.symbols(f"theta_0:{env.theta_dim}", real=True)


def symbolic_value(env, symbolic_params: bool = False):
    """V(θ) as a sympy expression in theta_0, theta_1, … (policy ``exp``).

    ``symbolic_params=True`` keeps γ (``gamma``), the step cost (``c``) and the wall
    rewards (``r_0``, …) as symbols; the γ < 1 formula is then used."""
    import sympy

    if env.policy_kind != "exp":
        raise ArgumentError(
            "symbolic_value is built for policy 'exp' (the path probability "
            "is a tilt of F); softmax has no closed form here"
        )
    z, phis = generating_functions(env)
    theta = theta_symbols(env)
    tvec = sympy.Matrix(theta)
    if env.gauge:
        tvec = tvec - sympy.ones(len(theta), 1) * sum(theta) / len(theta)
    steps = env.steps.vectors.tolist()
    Z = sum(sympy.exp(sum(int(si) * ti for si, ti in zip(s, tvec))) for s in steps)
    if symbolic_params:
        gamma, cost = sympy.symbols("gamma c", positive=True)
    else:
        gamma, cost = _rational(env.gamma), _rational(env.step_cost)
    u = gamma / Z
    lam = env.alcove.representative(env.start)
    deltas = env.alcove.representative(env.exit_points) - lam
    weights = [sympy.exp(sum(int(di) * ti for di, ti in zip(d, tvec))) for d in deltas.tolist()]
    rewards = _symbolic_rewards(env, symbolic_params)
    value = sum(r * w * phi.subs(z, u) for r, w, phi in zip(rewards, weights, phis)) / gamma
    if symbolic_params or env.step_cost != 0.0:
        if not symbolic_params and env.gamma == 1.0:
            expected_t = sum(
                w * (z * sympy.diff(phi, z)).subs(z, u) for w, phi in zip(weights, phis)
            )
            value -= cost * expected_t
        else:
            survival = 1 - sum(w * phi.subs(z, u) for w, phi in zip(weights, phis))
            value -= cost * survival / (1 - gamma)
    return value


def _symbolic_rewards(env, symbolic_params: bool):
    import sympy

    if not symbolic_params or env.wall_rewards is None:
        return [_rational(r) for r in env.exit_rewards]
    r = sympy.symbols(f"r_0:{len(env.alcove.walls)}")
    combine = {
        "max": lambda xs: sympy.Max(*xs),
        "min": lambda xs: sympy.Min(*xs),
        "sum": lambda xs: sum(xs),
        "mean": lambda xs: sum(xs) / len(xs),
    }[env.corner]
    return [combine([r[j] for j in walls]) for walls in env.exit_walls]


def value_function(env, expr=None):
    """A fast numeric evaluator θ ↦ V(θ) of the symbolic value (``lambdify`` with cse)."""
    import sympy

    expr = symbolic_value(env) if expr is None else expr
    theta = theta_symbols(env)
    f = sympy.lambdify([theta], expr, modules="numpy", cse=True)
    return lambda t: float(f(np.asarray(t, dtype=float)))


def value_latex(env, expr=None) -> str:
    """LaTeX of the symbolic value."""
    import sympy

    return sympy.latex(symbolic_value(env) if expr is None else expr)


__all__ = ["generating_functions", "symbolic_value", "value_function", "value_latex"]
