"""V(θ) in closed form for a parametrised policy (THEORY §4), on top of the closed forms.

V is first built as an exact rational function of the step probabilities p_0 … p_{k−1}
(:func:`pgweyl.exact.closed_forms.closed_form_value`, first-step linear algebra over
ℚ(p, s)), then the policy's probabilities are substituted:

    exp:      p_j = exp((θ, s_j)) / Σ_i exp((θ, s_i)),      softmax:  p_j = exp(θ_j) / Σ_i exp(θ_i).

θ enters through the p_j only, so V is exactly gauge invariant with no gauge fixing and
no square roots (θ = (log 2, log 3) gives rationals). γ, c and the rewards are the env's
exact values (γ = 0.95 is 19/20) or, with ``symbolic_params=True``, the symbols
``gamma``, ``c``, ``r_0, …`` (wall rewards) or ``R_(point)`` (reward tables). The step
cost enters through K(γ) = E[Σ_{t<T} γ^t] computed directly, so γ = 1 is regular
(−c E[T]) and a symbolic γ may be set to 1. Nothing is ``simplify``-ed.

>>> import pgweyl as pw
>>> env = pw.make_env("corridor", level=3, trap_distance=1, gamma=1.0)
>>> sorted(map(str, symbolic_value(env, symbolic_params=True).subs("gamma", 1).free_symbols))
['c', 'r_0', 'r_1', 'theta_0', 'theta_1']
"""

from __future__ import annotations

import numpy as np


def generating_functions(env):
    """(z, [Φ_b(z) for b in env.exit_points]): Φ_b(z) = Σ_n F_n(λ, b) z^n, the counting
    generating functions (every step weighted 1), cancelled rational functions of z.

    >>> import pgweyl as pw
    >>> generating_functions(pw.make_env("corridor", level=3, trap_distance=1))[1]
    [z/(1 - z**2), z**2/(1 - z**2)]
    """
    import sympy

    from pgweyl.exact.first_step import FirstStepSystem

    z = sympy.Symbol("z")
    system = FirstStepSystem(env.alcove, env.steps, env.start, env.exit_points.tolist())
    phis, _ = system.solve([sympy.Integer(1)] * len(env.steps.vectors), z)
    return z, phis


def theta_symbols(env):
    import sympy

    return sympy.symbols(f"theta_0:{env.theta_dim}", real=True)


def symbolic_value(env, symbolic_params: bool = False):
    """V(θ) as a sympy expression in theta_0, theta_1, … (policies ``exp`` and ``softmax``).

    ``symbolic_params=True`` keeps γ (``gamma``), the step cost (``c``) and the rewards
    (``r_0``, … or ``R_(point)``) as symbols; V stays regular at γ = 1."""
    from pgweyl.exact.closed_forms import closed_form_value, policy_probabilities, step_symbols

    given = None if symbolic_params else "env"
    value = closed_form_value(env, None, gamma=given, step_cost=given, rewards=given)
    probs = policy_probabilities(env, theta_symbols(env))
    return value.xreplace(dict(zip(step_symbols(env), probs)))


def value_function(env, expr=None):
    """A fast numeric evaluator θ ↦ V(θ) of the symbolic value (``lambdify`` with cse).

    Compiles ``expr`` (default: :func:`symbolic_value` of ``env``, exact rationals, small
    alcoves only) with ``sympy.lambdify(..., cse=True)`` into a function of θ.

    >>> import pgweyl as pw
    >>> env = pw.make_env("corridor")
    >>> round(value_function(env)([0.0, 0.0]), 12) == round(env.value([0.0, 0.0]), 12)
    True
    """
    import sympy

    expr = symbolic_value(env) if expr is None else expr
    theta = theta_symbols(env)
    f = sympy.lambdify([theta], expr, modules="numpy", cse=True)
    return lambda t: float(f(np.asarray(t, dtype=float)))


def value_latex(env, expr=None) -> str:
    """LaTeX of the symbolic value: of ``expr``, default :func:`symbolic_value` of ``env``."""
    import sympy

    return sympy.latex(symbolic_value(env) if expr is None else expr)


__all__ = ["generating_functions", "symbolic_value", "value_function", "value_latex"]
