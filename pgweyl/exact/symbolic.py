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


def generating_functions(env, force: bool = False):
    """(z, [Φ_b(z) for b in env.exit_points]): Φ_b(z) = Σ_n F_n(λ, b) z^n, the counting
    generating functions (every step weighted 1), cancelled rational functions of z.
    Estimated first like every closed form (TimeBudgetError unless ``force=True``).

    >>> import pgweyl as pw
    >>> generating_functions(pw.make_env("corridor", level=3, trap_distance=1))[1]
    [z/(1 - z**2), z**2/(1 - z**2)]
    """
    import sympy

    from pgweyl.exact.closed_forms import _require_closed_form_time, solve_seconds
    from pgweyl.exact.first_step import FirstStepSystem

    ones = [sympy.Integer(1)] * len(env.steps.vectors)
    seconds = solve_seconds(env, ones, s_symbolic=True)
    _require_closed_form_time(seconds, env, "the counting generating functions", force)
    z = sympy.Symbol("z")
    system = FirstStepSystem(env.alcove, env.steps, env.start, env.exit_points.tolist())
    phis, _ = system.solve(ones, z)
    return z, phis


def theta_symbols(env):
    import sympy

    return sympy.symbols(f"theta_0:{env.theta_dim}", real=True)


def symbolic_value(env, symbolic_params: bool = False, binary: bool = False, force: bool = False):
    """V(θ) as a sympy expression in theta_0, theta_1, … (policies ``exp`` and ``softmax``).

    ``symbolic_params=True`` keeps γ (``gamma``), the step cost (``c``) and the rewards
    (``r_0``, … or ``R_(point)``) as symbols; V stays regular at γ = 1. Otherwise they are
    the env's floats read as their shortest decimals (γ = 0.95 is 19/20), or with
    ``binary=True`` as the exact binary values the numerics and the simulation use
    (0.95 is 8556839201071923/9007199254740992): the model to hold the numerics against
    to the last digit (at γ = 1 − 2⁻⁵³ the decimal reading moves V by 1e-16).

    The work grows fast with the alcove (a corridor of level 60 takes seconds, of level
    200 an hour): it is estimated first (:func:`pgweyl.exact.closed_forms.solve_seconds`)
    and refused beyond :data:`pgweyl.estimate.TIME_BUDGET` with
    :class:`pgweyl.TimeBudgetError` unless ``force=True``."""
    from fractions import Fraction

    from pgweyl.exact.closed_forms import (
        _keys,
        _require_closed_form_time,
        closed_form_value,
        policy_probabilities,
        step_symbols,
    )

    _require_closed_form_time(
        symbolic_seconds(env, symbolic_params), env, "the symbolic value V(theta)", force
    )

    if symbolic_params:
        gamma = cost = rewards = None
    elif binary:  # Fraction(float) is the float's exact value
        gamma, cost = Fraction(env.gamma), Fraction(env.step_cost)
        if env.wall_rewards is None:
            rewards = {k: Fraction(env.reward_table.get(k, 0.0)) for k in _keys(env)}
        else:
            rewards = [Fraction(r) for r in env.wall_rewards]
    else:
        gamma = cost = rewards = "env"
    value = closed_form_value(env, None, gamma=gamma, step_cost=cost, rewards=rewards, force=True)
    probs = policy_probabilities(env, theta_symbols(env))
    return value.xreplace(dict(zip(step_symbols(env), probs)))


def symbolic_seconds(env, symbolic_params: bool = False) -> float:
    """Estimated seconds of :func:`symbolic_value`: the first-step solve in the step
    probabilities as symbols (γ a symbol too with ``symbolic_params``), twice (the exit
    terms and K(γ)) — :func:`pgweyl.exact.closed_forms.solve_seconds`."""
    from pgweyl.exact.closed_forms import solve_seconds, step_symbols

    return solve_seconds(env, step_symbols(env), s_symbolic=symbolic_params, routes=2)


def value_function(env, expr=None, force: bool = False):
    """A fast numeric evaluator θ ↦ V(θ) of the symbolic value (``lambdify`` with cse).

    Compiles ``expr`` (default: :func:`symbolic_value` of ``env``, exact rationals, small
    alcoves only) with ``sympy.lambdify(..., cse=True)`` into a function of θ.

    >>> import pgweyl as pw
    >>> env = pw.make_env("corridor")
    >>> round(value_function(env)([0.0, 0.0]), 12) == round(env.value([0.0, 0.0]), 12)
    True
    """
    import sympy

    expr = symbolic_value(env, force=force) if expr is None else expr
    theta = theta_symbols(env)
    f = sympy.lambdify([theta], expr, modules="numpy", cse=True)
    return lambda t: float(f(np.asarray(t, dtype=float)))


#: Working precisions (bits) tried in turn by :func:`certified_value`.
CERTIFIED_PRECISIONS = (64, 128, 256, 512, 1024, 2048, 4096, 8192)


def _interval(expr, values: dict, iv, memo: dict):
    """An mpmath interval enclosing ``expr`` with its symbols set to ``values`` (exact
    binary numbers). Every operation rounds outward, so the enclosure is rigorous
    whatever the cancellation: the width is the certified error."""
    import mpmath
    import sympy

    if expr in memo:
        return memo[expr]
    if expr.is_Symbol:
        out = values[expr]
    elif expr.is_Integer:
        out = iv.mpf(int(expr))
    elif expr.is_Rational:
        out = iv.mpf(int(expr.p)) / iv.mpf(int(expr.q))
    elif expr.is_Float:
        out = iv.mpf(mpmath.mp.make_mpf(expr._mpf_))  # a binary float, rounded outward
    elif expr is sympy.E:
        out = iv.e
    elif expr is sympy.pi:
        out = iv.pi
    elif expr.is_Add or expr.is_Mul:
        parts = [_interval(a, values, iv, memo) for a in expr.args]
        out = parts[0]
        for x in parts[1:]:
            out = out + x if expr.is_Add else out * x
    elif expr.is_Pow and expr.exp.is_Integer:
        base = _interval(expr.base, values, iv, memo)
        out = base ** int(expr.exp)
    elif isinstance(expr, sympy.exp):
        out = iv.exp(_interval(expr.args[0], values, iv, memo))
    elif isinstance(expr, sympy.log):
        out = iv.log(_interval(expr.args[0], values, iv, memo))
    else:
        raise NotImplementedError(f"no interval rule for {type(expr).__name__}")
    memo[expr] = out
    return out


def certified_value(expr, theta, rel: float = 1e-20) -> tuple[float, float]:
    """(v, r) with the exact value of ``expr`` at θ in [v − r, v + r], rigorously.

    θ_k (floats, exact binary numbers) replace ``theta_k``; the expression is evaluated
    in mpmath interval arithmetic (outward rounding, :mod:`mpmath.iv`) at 64, 128, …,
    8192 bits until the enclosure's half-width is ≤ ``rel`` · max(1, |midpoint|). Float
    evaluation of the same expression loses digits to cancellation (the closed form of a
    corridor of 40 states loses 6–8); the enclosure cannot. ``r`` also covers rounding
    the midpoint to float. :class:`ArithmeticError` when 8192 bits do not suffice (or the
    enclosure is unbounded, e.g. a pole)."""
    import math

    import mpmath

    names = {str(x): x for x in expr.free_symbols}
    theta = [float(t) for t in np.asarray(theta, dtype=float).ravel()]
    radius = math.inf
    for bits in CERTIFIED_PRECISIONS:
        iv = mpmath.iv
        old = iv.prec
        iv.prec = bits
        try:
            values = {
                names[f"theta_{k}"]: iv.mpf(t) for k, t in enumerate(theta) if f"theta_{k}" in names
            }
            missing = set(names.values()) - set(values)
            if missing:
                raise ValueError(f"symbols without a value: {sorted(map(str, missing))}")
            box = _interval(expr, values, iv, {})
        finally:
            iv.prec = old
        # the endpoints exactly (make_mpf does not round); the arithmetic below at a
        # precision well above theirs, its own rounding covered by the last term of r
        lo, hi = (mpmath.mp.make_mpf(e) for e in box._mpi_)
        if not (mpmath.isfinite(lo) and mpmath.isfinite(hi)):
            continue
        with mpmath.workprec(2 * bits + 64):
            mid = (lo + hi) / 2
            v = float(mid)
            # |exact − v| ≤ (hi − lo)/2 + |mid − v|, rounded up to a float
            half = float((hi - lo) / 2) * (1 + 2.0**-50)
            r = half + float(abs(mid - mpmath.mpf(v))) * (1 + 2.0**-50)
        r += 2.0 ** -(bits + 8) * abs(v)
        radius = half
        if half <= rel * max(1.0, abs(v)):
            return v, r
    raise ArithmeticError(
        f"the closed form could not be enclosed to {rel:g} at 8192 bits (half-width {radius:.3g})"
    )


def value_latex(env, expr=None, force: bool = False) -> str:
    """LaTeX of the symbolic value: of ``expr``, default :func:`symbolic_value` of ``env``
    (estimated and refused like it unless ``force=True``)."""
    import sympy

    return sympy.latex(symbolic_value(env, force=force) if expr is None else expr)


__all__ = [
    "certified_value",
    "generating_functions",
    "symbolic_seconds",
    "symbolic_value",
    "value_function",
    "value_latex",
]
