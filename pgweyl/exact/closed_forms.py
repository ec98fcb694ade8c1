"""Closed forms for any step probabilities: exit laws, generating functions, E[T], P(T > n), V.

For step probabilities p = (p_0, …, p_{k−1}) aligned with ``env.steps.vectors`` (any
probability vector, in the exponential family or not) and the exit time T and exit point
X_T of the walk from λ:

    G_b(s) = E[s^T; X_T = b] = Σ_{paths λ → b} Π_t p_{step t} · s^{length}   (exit point b)
    K(s)   = E[Σ_{t<T} s^t]  = Σ_n P(T > n) s^n
    P(X_T = b) = G_b(1),   E[T] = K(1) = Σ_b G_b'(1),
    V = Σ_b R(b) G_b(γ)/γ − c K(γ)                                       (THEORY §3)

All are rational functions of p and s, returned as sympy expressions: exact
``sympy.Rational`` values when p (and s) are rational, else num/den with the denominator
1 at p = 0, s = 0 (lowest terms). K is computed directly, never as (1 − Σ_b G_b)/(1 − γ),
so γ = 1 needs no limit: V(γ = 1) = Σ_b R(b) P(X_T = b) − c E[T].

Conventions
-----------
- keys: the exit points as tuples, as in ``env.exit_points`` (representatives with last
  coordinate 0 on A_n);
- symbols (plain ``sympy.Symbol``, no assumptions): ``p_0 … p_{k−1}`` for the step
  probabilities when ``probs`` is None, ``s``, ``gamma``, ``c`` (step cost), ``r_0 … r_r``
  (wall rewards, combined at corners by the env's rule: ``Max``, ``Min``, sum, mean),
  ``R_(x,y,…)`` (one per exit point for ``reward_table`` environments);
- free symbols p_j are formal: the generating functions hold as power series in the p_j
  whatever their sum. E[T] (and K(1)) is meant on the simplex Σ p_j = 1, where both
  routes agree; off it their formulas differ;
- ``probs`` accepts ints, ``fractions.Fraction``, sympy numbers or expressions, strings
  such as ``"2/5"`` (or one comma-separated string) and floats (read as their shortest
  decimal, 0.1 → 1/10). Numbers must be ≥ 0 and, when all are rational, sum to 1 exactly.

Routes (``method``), sharing no code and held equal in the tests:

- ``"linear"`` (any probabilities): first-step linear algebra over ℚ(p, s) on the
  interior graph, :mod:`pgweyl.exact.first_step`;
- ``"reflection"`` (exp family: ``unit`` steps with any p; ``signed`` steps with
  p(+e_i) p(−e_i) equal for all i): reflection counts and Padé reconstruction,
  :mod:`pgweyl.exact.reflection_series`. For P(T > n) the routes are ``"transfer"``
  (iterating the step matrix) and ``"reflection"`` (weighted interior counts C_n).

>>> import pgweyl as pw
>>> env = pw.make_env("corridor", level=4, trap_distance=1)   # gambler's ruin, a = 4, z = 1
>>> exit_probabilities(env, ["1/3", "2/3"])                   # ruin at (0, 0), gain at (4, 0)
{(0, 0): 14/15, (4, 0): 1/15}
>>> mean_exit_time(env, ["1/3", "2/3"]), survival(env, 2, ["1/3", "2/3"])
(11/5, 1/3)
>>> exit_generating_functions(env)[(4, 0)]
p_0**3*s**3/(-2*p_0*p_1*s**2 + 1)
"""

from __future__ import annotations

import numbers
import weakref
from fractions import Fraction

import numpy as np

from pgweyl import validate
from pgweyl.errors import ArgumentError, DimensionError, RewardError

METHODS = ("linear", "reflection")
SURVIVAL_METHODS = ("transfer", "reflection")

_SYSTEMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# -- symbols and exact inputs ----------------------------------------------------------------
def step_symbols(env) -> tuple:
    """The symbols p_0 … p_{k−1} of the step probabilities (rows of ``env.steps.vectors``)."""
    import sympy

    return tuple(sympy.Symbol(f"p_{j}") for j in range(len(env.steps.vectors)))


def reward_symbol(point):
    """The symbol ``R_(x,y,…)`` of the reward at an exit point (``reward_table`` envs)."""
    import sympy

    return sympy.Symbol("R_(" + ",".join(str(int(v)) for v in point) + ")")


def _exact(name: str, value):
    """A sympy number or expression for ``value``; floats by their shortest decimal."""
    import sympy

    if isinstance(value, (bool, np.bool_)):
        raise ArgumentError(f"{name} must be a number or a sympy expression, got {value!r}")
    if isinstance(value, sympy.Basic):
        if not isinstance(value, sympy.Expr):
            raise ArgumentError(f"{name} must be a number or a sympy expression, got {value!r}")
        if value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo) or (
            isinstance(value, sympy.Float) and not value.is_finite
        ):
            raise ArgumentError(f"{name} must be finite, got {_short(value)}")
        if isinstance(value, sympy.Float):
            return sympy.Rational(str(value))
        return value
    if isinstance(value, numbers.Integral):
        return sympy.Integer(int(value))
    if isinstance(value, (Fraction, numbers.Rational)):
        return sympy.Rational(int(value.numerator), int(value.denominator))
    if isinstance(value, numbers.Real):
        v = float(value)
        if not np.isfinite(v):
            raise ArgumentError(f"{name} must be finite, got {value!r}")
        return sympy.Rational(repr(v))
    if isinstance(value, str):
        try:
            return sympy.Rational(value.strip())
        except ZeroDivisionError:
            raise ArgumentError(f"{name} {_short(value)!r} divides by zero") from None
        except (TypeError, ValueError):
            pass
        raise ArgumentError(f"{name} {_short(value)!r} is not a number such as '2/5' or '0.4'")
    raise ArgumentError(f"{name} must be a number or a sympy expression, got {value!r}")


def check_probs(env, probs) -> tuple:
    """Validate step probabilities (see the module docstring); None gives the symbols."""
    import sympy

    k = len(env.steps.vectors)
    if probs is None:
        return step_symbols(env)
    _big_ints()  # an exact probability may be written with 10⁴ digits
    if isinstance(probs, str):
        probs = [t for t in probs.split(",") if t.strip()]
    try:
        probs = list(probs)
    except TypeError:
        raise DimensionError(f"probs {probs!r} is not a sequence of {k} numbers") from None
    if len(probs) != k:
        raise DimensionError(
            f"probs must have {k} entries (one per step, in env.steps.vectors order), "
            f"got {len(probs)}"
        )
    out = tuple(_exact(f"probs[{j}]", p) for j, p in enumerate(probs))
    for j, p in enumerate(out):
        if p.is_number:
            _check_unit_interval(f"probs[{j}]", p)
    total = sympy.expand(sympy.Add(*out))
    if not total.free_symbols and total != 1:
        # exact for rationals; for other numbers (√2/2, π/4 …) 1 − Σ must vanish exactly:
        # a sum that is 1 numerically but not provably is refused, not guessed
        approx = total.evalf(30)
        if total.is_Rational:
            got = _short(total)
        elif approx.is_real and abs(approx - 1) > 1e-25:
            got = f"{_short(total)}" + ("" if total.is_Rational else f" = {float(approx):.17g}")
        elif not _provably_one(total):
            got = (
                f"{_short(total)}, which cannot be shown to be exactly 1 (write the last "
                "one as 1 minus the others)"
            )
        else:
            got = None
        if got is not None:
            terms = " + ".join(_short(p, 30) for p in out)
            raise ArgumentError(
                f"probs must sum to 1 exactly (a probability vector), got {_short(terms, 120)} "
                f"= {got}"
            )
    return out


def _short(x, limit: int = 60) -> str:
    """``str(x)`` cut to ``limit`` characters (a 10⁴-digit number stays one short line)."""
    text = str(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_unit_interval(name: str, p) -> None:
    """A numeric probability must be a real number in [0, 1] (decided exactly where sympy
    can, else by 30-digit evaluation away from the ends)."""
    import sympy

    if p.is_extended_real is False or p.has(sympy.I):
        raise ArgumentError(
            f"{name} = {_short(p)} is not a real number: probabilities are in [0, 1]"
        )
    if p.is_Rational:
        bad = p < 0 or p > 1
    else:
        lo, hi = p.is_negative, (p - 1).is_positive
        if lo is None or hi is None:
            v = p.evalf(30)
            if not v.is_real or not v.is_finite:
                raise ArgumentError(f"{name} = {_short(p)} is not a finite real number")
            lo, hi = bool(v < -1e-25), bool(v > 1 + 1e-25)
        bad = bool(lo) or bool(hi)
    if bad:
        raise ArgumentError(
            f"{name} = {_short(p)} is not allowed: step probabilities are numbers in [0, 1]"
        )


def _provably_one(total) -> bool:
    import sympy

    for simplify in (sympy.cancel, sympy.radsimp):
        try:
            if simplify(total - 1) == 0:
                return True
        except (TypeError, ValueError, NotImplementedError):
            pass
    return False


def _check_s(s):
    import sympy

    if s is None:
        return sympy.Symbol("s")
    if isinstance(s, sympy.Symbol):
        return s
    v = _exact("s", s)
    if not isinstance(v, sympy.Rational) or not 0 <= v <= 1:
        raise ArgumentError(f"s must be a sympy Symbol or a rational number in [0, 1], got {s!r}")
    return v


def _check_method(method, choices):
    return validate.choice("method", method, choices)


def policy_probabilities(env, theta) -> tuple:
    """Exact step probabilities π_θ of the env's policy family from θ (numbers or sympy).

    ``exp``: π(s_j) = exp((θ, s_j)) / Σ_i exp((θ, s_i)); ``softmax``: exp(θ_j)/Σ exp(θ_i).
    θ is taken as given, not gauge-fixed, so θ = (log 2, log 3) gives rationals (no √).

    >>> import sympy, pgweyl as pw
    >>> policy_probabilities(pw.make_env("triangle-signed"), [sympy.log(2), sympy.log(3)])
    (12/35, 3/35, 18/35, 2/35)
    """
    import sympy

    vecs = env.steps.vectors.tolist()
    dim = env.theta_dim
    try:
        theta = list(theta)
    except TypeError:
        raise DimensionError(f"theta {theta!r} is not a vector") from None
    if len(theta) != dim:
        raise DimensionError(f"theta must have {dim} entries, got {len(theta)}")
    theta = [_exact(f"theta[{i}]", t) for i, t in enumerate(theta)]
    if env.policy_kind == "exp":
        logits = [sympy.Add(*[int(v) * t for v, t in zip(s, theta)]) for s in vecs]
    else:
        logits = theta
    weights = [sympy.exp(x) for x in logits]
    total = sympy.Add(*weights)
    return tuple(w / total for w in weights)


# -- time estimates ---------------------------------------------------------------------------
# Measured on two busy cores (sympy 1.14, pure-Python ground types): seconds of one
# first-step solve at N0 interior states and the growth exponent in N, by the number g of
# polynomial generators (symbolic step probabilities, plus s when it is a symbol). Rational
# probabilities with a symbol s are g = 1: corridor N = 59 2.2 s, triangle N = 55 4.6 s,
# simplex N = 35 1.1 s. Symbols: corridor (g = 3) N = 39, 59: 0.9, 5.0 s; triangle
# (g = 4) N = 36, 55: 3.6, 121 s; simplex (g = 5) N = 20, 35: 0.6, 22.5 s.
_SOLVE_COST = {0: (4.6, 55, 3.5), 1: (4.6, 55, 3.5), 2: (5.0, 59, 4.2), 3: (5.0, 59, 4.2)}
_SOLVE_COST_MANY = (121.0, 55, 8.0)  # g ≥ 4
# The reflection route's Padé reconstruction, rational probabilities: corridor N = 59 3.6 s,
# triangle N = 36 6.1 s, simplex N = 35 23 s: about 2.2e-5 |W| N³ (|W| = 2, 6, 24 …).
_REFLECTION_COST = 2.2e-5
# P(T > n) by transfer: n sweeps of E edges, on numbers (rational p) or polynomials (symbols)
# of size O(n): corridor (E = 12) n = 3000 0.5 s rational, 4.1 s symbolic; triangle (E = 18)
# 0.86 s, 4.0 s. By reflection (counts over the lattice ball of radius n, rank r): corridor
# n = 3000 1.0 s, triangle n = 1000 21.6 s.
_SURVIVAL_COST = {"rational": 6e-9, "symbolic": 4e-8}
_SURVIVAL_REFLECTION = {1: 1e-9, 2: 1.2e-10}


def _states(env) -> int:
    from pgweyl.weyl.sizes import interior_point_count

    return max(1, interior_point_count(env.alcove.cartan, env.alcove.level))


def _generators(probs, s_symbolic: bool) -> int:
    import sympy

    return sum(not isinstance(p, sympy.Rational) for p in probs) + int(bool(s_symbolic))


def solve_seconds(env, probs, s_symbolic: bool = True, routes: int = 1) -> float:
    """Estimated seconds of ``routes`` first-step solves of ``env`` for ``probs`` (the
    validated probabilities: Rationals or expressions) with s a symbol or a number — a
    rough model measured on the catalog (comments above): c · (N/N0)^a in the interior
    point count N, c and a by the number of polynomial generators."""
    g = _generators(probs, s_symbolic)
    c, n0, a = _SOLVE_COST.get(g, _SOLVE_COST_MANY)
    return routes * c * (_states(env) / n0) ** a


def _weyl_order(env) -> int:
    import math

    from pgweyl.weyl.weyl_group import WeylGroup

    rank, fam = env.alcove.cartan.rank, env.alcove.cartan.family
    sizes = {
        "A": math.factorial(rank + 1),
        "B": 2**rank * math.factorial(rank),
        "C": 2**rank * math.factorial(rank),
        "D": 2 ** (rank - 1) * math.factorial(rank),
    }
    return sizes.get(fam) or len(WeylGroup(env.alcove.cartan))


def reflection_seconds(env) -> float:
    """Estimated seconds of the reflection route's generating functions (Padé
    reconstruction): about 2.2e-5 · |W| · N³ s."""
    return _REFLECTION_COST * _weyl_order(env) * float(_states(env)) ** 3


def report_seconds(env, probs, method: str = "linear", check: bool = True) -> float:
    """Estimated seconds of :func:`closed_form_report` (``probs`` validated): three
    solves by ``method`` (G(s), E[T], V) and, with ``check``, the other route's G(s)."""
    linear = solve_seconds(env, probs, True, routes=3)
    reflection = reflection_seconds(env)
    own, other = (linear, reflection) if method == "linear" else (reflection, linear)
    return own + (other if check else 0.0)


def survival_seconds(env, n: int, probs, method: str = "transfer") -> float:
    """Estimated seconds of P(T > n): transfer c · E · n² (E edges of the interior step
    graph, bounded by N · k), reflection c_r · n^(r + 1.5) (rank r)."""
    n = float(n)
    if method == "reflection":
        rank = env.alcove.cartan.rank
        c = _SURVIVAL_REFLECTION.get(rank, _SURVIVAL_REFLECTION[2])
        return c * n ** (rank + 1.5)
    edges = _states(env) * len(env.steps.vectors)
    kind = "rational" if _generators(probs, False) == 0 else "symbolic"
    return _SURVIVAL_COST[kind] * edges * n * n


def _require_closed_form_time(seconds: float, env, what: str, force: bool) -> None:
    if not force:
        from pgweyl.estimate import require_time

        require_time(seconds, f"{what} on {_env_text(env)} ({_states(env)} interior points)")


def _env_text(env) -> str:
    return f"{env.alcove.cartan} at level {env.alcove.level}"


def _big_ints() -> None:
    """Exact answers are big integers (P(T > 20000) has ~10⁴ digits): lift Python's limit
    on int ↔ decimal string conversion (3.11+, default 4300 digits) so they print. The
    limit guards parsers of untrusted text; pgweyl's own exact numbers are not that."""
    import sys

    get = getattr(sys, "get_int_max_str_digits", None)
    if get is not None and get() != 0:
        sys.set_int_max_str_digits(0)


# -- the two routes, cached per environment ---------------------------------------------------
def _system(env, which: str):
    cache = _SYSTEMS.setdefault(env, {})
    if which not in cache:
        ex = env.exit_points.tolist()
        if which == "linear":
            from pgweyl.exact.first_step import FirstStepSystem

            cache[which] = FirstStepSystem(env.alcove, env.steps, env.start, ex)
        else:
            from pgweyl.exact.reflection_series import ReflectionSeries

            cache[which] = ReflectionSeries(env.alcove, env.steps, env.start, ex)
    return cache[which]


def _keys(env):
    return [tuple(int(v) for v in b) for b in env.exit_points.tolist()]


def _gfs(env, probs, s, method, divide_by_s=False):
    if method == "linear":
        return _system(env, "linear").solve(probs, s, divide_by_s=divide_by_s)[0]
    return _system(env, "reflection").exit_gf(probs, s, divide_by_s=divide_by_s)


def _expected_steps(env, probs, s, method):
    """K(s) = E[Σ_{t<T} s^t] by the chosen route (s a Symbol or a rational)."""
    import sympy

    if method == "linear":
        return _system(env, "linear").solve(probs, s)[1]
    sym = s if isinstance(s, sympy.Symbol) else sympy.Dummy("s")
    K = _system(env, "reflection").expected_steps_gf(probs, sym)
    return K if sym is s else _normal_form(K.subs(sym, s))


def _normal_form(expr):
    """A number, or num/den in lowest terms with integer coefficients of content 1."""
    from pgweyl.exact.reflection_series import primitive_form

    return expr if not expr.free_symbols else primitive_form(expr)


def closed_form_latex(obj):
    """LaTeX of a closed form: an expression, or a dict/list of them (keys kept).

    >>> import sympy
    >>> closed_form_latex({(0, 0): sympy.Rational(14, 15)})
    {(0, 0): '\\\\frac{14}{15}'}
    """
    import sympy

    if isinstance(obj, dict):
        return {k: closed_form_latex(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(closed_form_latex(v) for v in obj)
    return sympy.latex(obj)


def _maybe_latex(obj, latex: bool):
    return closed_form_latex(obj) if latex else obj


# -- public closed forms ------------------------------------------------------------------------
def exit_generating_functions(
    env, probs=None, s=None, *, method="linear", latex=False, force=False
) -> dict:
    """{exit point: E[s^T; X_T = b]} as rational functions of s and the step probabilities.

    G_b(s) = Σ_n P(T = n, X_T = b) s^n; ``s`` None gives the symbol ``s``, a Symbol is
    used as is, a rational in [0, 1] evaluates there. ``probs`` None gives p_0 … p_{k−1}.

    >>> import pgweyl as pw
    >>> env = pw.make_env("corridor", level=3, trap_distance=1)
    >>> exit_generating_functions(env, ["1/2", "1/2"])
    {(0, 0): 2*s/(4 - s**2), (3, 0): s**2/(4 - s**2)}
    """
    import sympy

    probs = check_probs(env, probs)
    s = _check_s(s)
    method = _check_method(method, METHODS)
    if method == "linear":
        seconds = solve_seconds(env, probs, isinstance(s, sympy.Symbol))
    else:
        seconds = reflection_seconds(env)
    _require_closed_form_time(seconds, env, "the exit generating functions", force)
    _big_ints()
    gfs = _gfs(env, probs, s, method)
    return _maybe_latex(dict(zip(_keys(env), gfs)), latex)


def exit_probabilities(env, probs=None, *, method="linear", latex=False, force=False) -> dict:
    """{exit point: P(X_T = b)} = G_b(1), exact (sympy.Rational for rational probs).

    >>> import pgweyl as pw
    >>> exit_probabilities(pw.make_env("corridor", level=3, trap_distance=1))[(3, 0)]
    p_0**2/(-p_0*p_1 + 1)
    """
    import sympy

    return exit_generating_functions(
        env, probs, sympy.Integer(1), method=method, latex=latex, force=force
    )


def mean_exit_time(env, probs=None, *, method="linear", latex=False, force=False):
    """E[T], exact: K(1) = e_λᵀ (I − P)^{-1} 1 (``linear``) or Σ_b G_b'(1), the derivative
    of the generating functions at s = 1 (``reflection``); equal on the simplex Σ p = 1.

    >>> import pgweyl as pw
    >>> mean_exit_time(pw.make_env("corridor"), ["1/2", "1/2"])   # z (a − z) = 2 · 6
    12
    """
    import sympy

    probs = check_probs(env, probs)
    method = _check_method(method, METHODS)
    seconds = solve_seconds(env, probs, False) if method == "linear" else reflection_seconds(env)
    _require_closed_form_time(seconds, env, "E[T]", force)
    _big_ints()
    if method == "linear":
        out = _system(env, "linear").solve(probs, sympy.Integer(1))[1]
    else:
        s = sympy.Dummy("s")
        total = [sympy.diff(g, s).subs(s, 1) for g in _gfs(env, probs, s, "reflection")]
        out = _normal_form(sympy.Add(*total))
    return _maybe_latex(out, latex)


def survival(env, n, probs=None, *, method="transfer", latex=False, force=False):
    """P(T > n), exact: a polynomial of degree n in the p_j (a Rational for rational p).

    ``transfer``: e_λᵀ P^n 1 on the interior graph; ``reflection``: Σ_x C_n(λ, x) times
    the probability of one path λ → x (exp family only). Work that is estimated to take
    longer than :data:`pgweyl.estimate.TIME_BUDGET` (:func:`survival_seconds`: n = 10⁶
    is days) raises :class:`pgweyl.TimeBudgetError` unless ``force=True``; the answer is
    a big rational (P(T > 20000) at p = (1/3, 2/3) has ~10⁴ digits) that prints.

    >>> import pgweyl as pw
    >>> survival(pw.make_env("corridor", level=3, trap_distance=1), 2)
    p_0*p_1
    """
    n = validate.nonnegative_int("n", n)
    probs = check_probs(env, probs)
    method = _check_method(method, SURVIVAL_METHODS)
    _require_closed_form_time(
        survival_seconds(env, n, probs, method), env, f"P(T > {n}) by {method}", force
    )
    _big_ints()
    if method == "transfer":
        out = _system(env, "linear").survival(probs, n)[-1]
    else:
        out = _system(env, "reflection").survival(probs, n)
    return _maybe_latex(out, latex)


def exit_rewards(env, rewards="env") -> list:
    """R(b) for each exit point (``env.exit_points`` order) as sympy objects.

    ``"env"``: the env's rewards, exact (floats read as decimals); None: symbols (r_j
    combined by the corner rule, or R_(point) for a reward table); a sequence of per-wall
    rewards (combined by the corner rule); or a dict {exit point: reward} (others 0)."""
    import sympy

    walls = env.exit_walls
    keys = _keys(env)
    if isinstance(rewards, str) and rewards == "env":
        if env.wall_rewards is None:
            return [_exact("reward", env.reward_table.get(k, 0.0)) for k in keys]
        per_wall = [_exact("wall reward", r) for r in env.wall_rewards]
    elif rewards is None:
        if env.wall_rewards is None:
            return [reward_symbol(k) for k in keys]
        per_wall = list(sympy.symbols(f"r_0:{len(env.alcove.walls)}"))
    elif isinstance(rewards, dict):
        table = {tuple(int(v) for v in k): v for k, v in rewards.items()}
        unknown = sorted(set(table) - set(keys))
        if unknown:
            raise RewardError(
                f"rewards key {list(unknown[0])} is not an exit point; exit points are "
                f"{', '.join(str(list(k)) for k in keys)}"
            )
        return [_exact(f"rewards[{k}]", table.get(k, 0)) for k in keys]
    else:
        per_wall = [_exact("rewards", r) for r in rewards]
        if len(per_wall) != len(env.alcove.walls):
            raise RewardError(
                f"rewards must have {len(env.alcove.walls)} entries (walls 0..), "
                f"got {len(per_wall)}"
            )
    combine = {
        "max": lambda xs: sympy.Max(*xs),
        "min": lambda xs: sympy.Min(*xs),
        "sum": lambda xs: sympy.Add(*xs),
        "mean": lambda xs: sympy.Add(*xs) / len(xs),
    }[env.corner]
    return [combine([per_wall[j] for j in w]) for w in walls]


def _env_or_symbol(name: str, given, env_value, symbol: str):
    """ "env" → the env's value as an exact number, None → the sympy Symbol ``symbol``,
    anything else → that value as an exact number (:func:`_exact`)."""
    import sympy

    if isinstance(given, str) and given == "env":
        return _exact(name, env_value)
    if given is None:
        return sympy.Symbol(symbol)
    return _exact(name, given)


def closed_form_value(
    env,
    probs=None,
    *,
    gamma="env",
    step_cost="env",
    rewards="env",
    method="linear",
    latex=False,
    force=False,
):
    """V = E[γ^{T−1} R(X_T) − c Σ_{t<T} γ^t] = Σ_b R(b) G_b(γ)/γ − c K(γ), exact.

    Each of ``gamma``, ``step_cost``, ``rewards``: ``"env"`` (the env's value, exact),
    None (a symbol: ``gamma``, ``c``, ``r_j`` or ``R_(point)``) or a value. γ = 1 is no
    special case: K(1) = E[T] directly, and a symbolic γ may be set to 1 afterwards.

    >>> import pgweyl as pw
    >>> env = pw.make_env("corridor", level=4, trap_distance=1)
    >>> closed_form_value(env, ["1/3", "2/3"], gamma=1, step_cost="1/10")  # 7/15 + 1/15 − 11/50
    47/150
    """
    import sympy

    probs = check_probs(env, probs)
    method = _check_method(method, METHODS)
    g = _env_or_symbol("gamma", gamma, env.gamma, "gamma")
    if g.is_number and not (0 < g <= 1):
        raise ArgumentError(f"gamma must be in (0, 1], got {gamma!r}")
    c = _env_or_symbol("step_cost", step_cost, env.step_cost, "c")
    if c.is_number and c.is_negative:
        raise ArgumentError(f"step_cost must be >= 0, got {step_cost!r}")
    R = exit_rewards(env, rewards)
    if not isinstance(g, (sympy.Symbol, sympy.Rational)):
        raise ArgumentError(f"gamma must be a Symbol or a rational number, got {gamma!r}")
    seconds = solve_seconds(env, probs, isinstance(g, sympy.Symbol), routes=1 + (c != 0))
    if method != "linear":
        seconds = reflection_seconds(env)
    _require_closed_form_time(seconds, env, "the closed-form value", force)
    _big_ints()
    P = _gfs(env, probs, g, method, divide_by_s=True)  # G_b(γ)/γ
    total = sympy.Add(*[r * p for r, p in zip(R, P)])
    if c != 0:
        total -= c * _expected_steps(env, probs, g, method)
    return _maybe_latex(_normal_form(total), latex)


def closed_form_report(
    env, probs=None, *, method="linear", check=True, force=False, progress=None
) -> dict:
    """Everything ``pgweyl value ENV --symbolic [--probs …]`` prints, JSON-ready.

    Keys: ``env``, ``method``, ``probabilities`` (strings, aligned with ``steps``),
    ``steps``, ``symbols`` (what each symbol means), ``exits`` (per exit point: ``point``,
    ``walls``, ``reward``, ``generating_function`` and ``probability`` with their
    ``*_latex``; ``probability_float`` when numeric), ``mean_exit_time`` and ``value``
    (V at the env's γ, rewards and step cost) with ``*_latex`` (and ``*_float`` when
    numeric), ``checked_by`` (the other route, or None when it does not apply, with
    ``check_note``) and ``routes_agree`` (True/False, None when not checked).

    Estimated first (:func:`solve_seconds`, :func:`reflection_seconds`): work beyond
    :data:`pgweyl.estimate.TIME_BUDGET` raises :class:`pgweyl.TimeBudgetError` unless
    ``force=True``; ``progress`` (as everywhere, :mod:`pgweyl.progress`) reports its
    phases, and Ctrl-C stops it (KeyboardInterrupt).

    >>> import pgweyl as pw
    >>> r = closed_form_report(pw.make_env("triangle-signed"), "2/5,1/10,3/10,1/5")
    >>> r["value"], r["checked_by"], r["exits"][0]["point"]
    ('129493364118/251799338873', None, [1, 1])
    """
    import sympy

    from pgweyl.progress import Progress

    probs = check_probs(env, probs)
    method = _check_method(method, METHODS)
    check = bool(check)
    alt = "reflection" if method == "linear" else "linear"
    _require_closed_form_time(
        report_seconds(env, probs, method, check), env, "the closed forms", force
    )
    _big_ints()
    s = sympy.Symbol("s")
    phases = ["generating functions", "exit law", "E[T]", "value"] + (
        [f"check by the {alt} route"] if check else []
    )
    bar = Progress(len(phases), f"closed forms of {_env_text(env)}", "phase", progress)
    with bar:

        def phase(k):  # a line as each phase starts: the long one shows what runs
            bar.update(int(k > 0), note=f"{phases[k]} ...")

        phase(0)
        gfs = exit_generating_functions(env, probs, s, method=method, force=True)
        phase(1)
        pr = exit_probabilities(env, probs, method=method, force=True)
        phase(2)
        et = mean_exit_time(env, probs, method=method, force=True)
        phase(3)
        value = closed_form_value(env, probs, method=method, force=True)
        rewards = exit_rewards(env)
        numeric = all(isinstance(p, sympy.Rational) for p in probs)

        other, note, agree = None, None, None
        if check:
            phase(4)
            try:
                alt_gfs = exit_generating_functions(env, probs, s, method=alt, force=True)
                alt_et = mean_exit_time(env, probs, method=alt, force=True)
            except ArgumentError as err:  # the reflection route needs the exp family
                note = str(err)
            else:
                other = alt
                # both routes return the canonical form: equal expressions are the rule;
                # cancel only decides what differs in form
                agree = all(
                    gfs[k] == alt_gfs[k] or sympy.cancel(gfs[k] - alt_gfs[k]) == 0 for k in gfs
                )
                if numeric:  # E[T] routes agree on the simplex
                    agree = agree and (et == alt_et or sympy.cancel(et - alt_et) == 0)
        bar.update(1)

    exits = []
    for (key, gf), r, walls in zip(gfs.items(), rewards, env.exit_walls):
        row = {
            "point": list(key),
            "walls": list(walls),
            "reward": str(r),
            "generating_function": str(gf),
            "generating_function_latex": sympy.latex(gf),
            "probability": str(pr[key]),
            "probability_latex": sympy.latex(pr[key]),
        }
        if numeric:
            row["probability_float"] = float(pr[key])
        exits.append(row)
    names = [str(p) for p in step_symbols(env)]
    out = {
        "env": env.to_dict(),
        "method": method,
        "steps": env.steps.vectors.tolist(),
        "probabilities": [str(p) for p in probs],
        "symbols": {
            "s": "E[s^T; X_T = b] is the generating function of exit point b",
            **({} if numeric else {n: f"probability of step {i}" for i, n in enumerate(names)}),
        },
        "exits": exits,
        "mean_exit_time": str(et),
        "mean_exit_time_latex": sympy.latex(et),
        "value": str(value),
        "value_latex": sympy.latex(value),
        "checked_by": other,
        "check_note": note,
        "routes_agree": agree,
    }
    if numeric:
        out["mean_exit_time_float"] = float(et)
        out["value_float"] = float(value)
    return out


#: The closed forms offered to users — the one list of them: :mod:`pgweyl.exact` and
#: :mod:`pgweyl` re-export exactly these (``from … import *``). The helpers the sibling
#: modules and the command use (``METHODS``, ``check_probs``, ``step_symbols``, …) are
#: imported by name.
__all__ = [
    "closed_form_latex",
    "closed_form_report",
    "closed_form_value",
    "exit_generating_functions",
    "exit_probabilities",
    "mean_exit_time",
    "policy_probabilities",
    "survival",
]
