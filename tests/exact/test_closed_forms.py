"""Closed forms for any step probabilities, held exactly (not in floats) against textbook
formulas and against absorbing chains solved here by plain Gaussian elimination over
``fractions.Fraction``; the two library routes (first-step linear algebra and reflection
counts) against each other; numeric agreement with ``env.value`` to 1e-12."""

import json
from fractions import Fraction

import numpy as np
import pytest
import sympy

import pgweyl as pw
from tests import naive

F = Fraction
R = sympy.Rational

# -- an independent absorbing-chain solver (nothing from pgweyl) -------------------------------


def gauss_solve(A, B):
    """Solve A X = B (lists of Fractions; B a list of right-hand-side rows) by Gaussian
    elimination with row swaps."""
    n = len(A)
    M = [list(A[i]) + list(B[i]) for i in range(n)]
    for col in range(n):
        piv = next(r for r in range(col, n) if M[r][col] != 0)
        M[col], M[piv] = M[piv], M[col]
        inv = 1 / M[col][col]
        M[col] = [v * inv for v in M[col]]
        for r in range(n):
            if r != col and M[r][col] != 0:
                f = M[r][col]
                M[r] = [a - f * b for a, b in zip(M[r], M[col])]
    return [row[n:] for row in M]


class Chain:
    """The walk of one env written from THEORY §1 (tests/naive inequalities), with exact
    step probabilities: states, step matrix, exits."""

    def __init__(self, name, level, kind, start, probs):
        d = naive.dim_of(name)
        self.steps = naive.steps(kind, d)
        self.probs = [F(p) for p in probs]
        self.name, self.level = name, level
        canon = (lambda p: tuple(v - p[-1] for v in p)) if name[0] == "A" else tuple
        self.canon = canon
        start = canon(tuple(start))
        self.states, index, queue = [start], {start: 0}, [start]
        while queue:
            x = queue.pop()
            for s in self.steps:
                y = canon(tuple(a + b for a, b in zip(x, s)))
                if naive.interior(name, level, y) and y not in index:
                    index[y] = len(self.states)
                    self.states.append(y)
                    queue.append(y)
        self.index = index
        self.exits = sorted(
            {
                canon(tuple(a + b for a, b in zip(x, s)))
                for x in self.states
                for s in self.steps
                if not naive.interior(name, level, canon(tuple(a + b for a, b in zip(x, s))))
            }
        )

    def system(self, s=1):
        """(I − sP, s·R) with R[x][b] the probability of leaving x at exit b."""
        n = len(self.states)
        A = [[F(int(i == j)) for j in range(n)] for i in range(n)]
        Rm = [[F(0)] * len(self.exits) for _ in range(n)]
        for i, x in enumerate(self.states):
            for st, p in zip(self.steps, self.probs):
                y = self.canon(tuple(a + b for a, b in zip(x, st)))
                if y in self.index:
                    A[i][self.index[y]] -= s * p
                else:
                    Rm[i][self.exits.index(y)] += s * p
        return A, Rm

    def exit_gf(self, s):
        A, Rm = self.system(s)
        return dict(zip(self.exits, gauss_solve(A, Rm)[0]))

    def mean_time(self):
        A, _ = self.system()
        return gauss_solve(A, [[F(1)] for _ in A])[0][0]

    def value(self, gamma, reward, cost=0):
        """h(x) = Σ_s p_s (R(x+s) if it exits else γ h(x+s)) − c."""
        A, Rm = self.system(gamma)
        rhs = [[sum(r * reward[b] for r, b in zip(row, self.exits)) / gamma - cost] for row in Rm]
        return gauss_solve(A, rhs)[0][0]

    def survival(self, n_max):
        v = {self.states[0]: F(1)}
        out = [F(1)]
        for _ in range(n_max):
            nxt = {}
            for x, w in v.items():
                for st, p in zip(self.steps, self.probs):
                    y = self.canon(tuple(a + b for a, b in zip(x, st)))
                    if y in self.index and p:
                        nxt[y] = nxt.get(y, 0) + w * p
            v = nxt
            out.append(sum(v.values(), F(0)))
        return out


def as_fraction(x):
    x = sympy.Rational(x)
    return F(int(x.p), int(x.q))


# -- gambler's ruin, Feller vol. I ch. XIV ------------------------------------------------------


def feller_ruin_probability(p, q, z, a):
    if p == q:
        return 1 - F(z, a)
    r = q / p
    return (r**a - r**z) / (r**a - 1)


def feller_duration(p, q, z, a):
    if p == q:
        return F(z * (a - z))
    r = q / p
    return F(z) / (q - p) - F(a) / (q - p) * (1 - r**z) / (1 - r**a)


def feller_generating_functions(p, q, s, z, a):
    """(U_z, V_z): E[s^T; ruin] and E[s^T; reach a] from λ_{1,2} = (1 ± √(1 − 4pqs²))/(2ps)
    (XIV.4): U_z = (λ1^a λ2^z − λ1^z λ2^a)/(λ1^a − λ2^a), V_z = (λ1^z − λ2^z)/(λ1^a − λ2^a).
    Both are odd in the root √D, so they are reduced modulo (√D)² = D to rationals."""
    root = sympy.Symbol("root")
    D = 1 - 4 * p * q * s**2
    l1, l2 = (1 + root) / (2 * p * s), (1 - root) / (2 * p * s)

    def reduce(expr):
        num, den = sympy.fraction(sympy.together(expr))
        num = sympy.rem(sympy.expand(num), root**2 - D, root)
        return num, den

    def ratio(top, bottom):
        (nt, dt), (nb, db) = reduce(top), reduce(bottom)
        # nt = at·root, nb = ab·root: the root cancels
        at, ab = sympy.expand(nt / root), sympy.expand(nb / root)
        assert not at.has(root) and not ab.has(root)
        return sympy.cancel(at * db / (ab * dt))

    U = ratio(l1**a * l2**z - l1**z * l2**a, l1**a - l2**a)
    V = ratio(l1**z - l2**z, l1**a - l2**a)
    return U, V


RUIN_CASES = [(2, 8), (1, 4), (3, 5)]  # (z, a)


@pytest.mark.parametrize("z, a", RUIN_CASES)
@pytest.mark.parametrize("method", ["linear", "reflection"])
def test_gamblers_ruin_absorption_and_duration(z, a, method):
    env = pw.make_env("corridor", level=a, trap_distance=z)
    ruin, gain = (0, 0), (a, 0)
    for p in [F(1, 3), F(2, 5), F(1, 2), F(3, 4), F(9, 10)]:
        q = 1 - p
        probs = pw.exit_probabilities(env, [p, q], method=method)
        assert probs[ruin] == feller_ruin_probability(p, q, z, a)
        assert probs[gain] == 1 - feller_ruin_probability(p, q, z, a)
        assert isinstance(probs[ruin], sympy.Rational)
        assert pw.mean_exit_time(env, [p, q], method=method) == feller_duration(p, q, z, a)


@pytest.mark.parametrize("z, a", RUIN_CASES)
@pytest.mark.parametrize("method", ["linear", "reflection"])
def test_gamblers_ruin_generating_functions_symbolic(z, a, method):
    env = pw.make_env("corridor", level=a, trap_distance=z)
    p, q, s = sympy.symbols("p q s")
    U, V = feller_generating_functions(p, q, s, z, a)
    got = pw.exit_generating_functions(env, [p, q], s, method=method)
    assert sympy.cancel(got[(0, 0)] - U) == 0
    assert sympy.cancel(got[(a, 0)] - V) == 0
    # with the library's own symbols: p_0 = P(step e1) = P(x1 − x2 goes up)
    p0, p1 = sympy.symbols("p_0 p_1")
    free = pw.exit_generating_functions(env, method=method)
    assert sympy.cancel(free[(a, 0)] - V.subs({p: p0, q: p1})) == 0
    # absorption probability and duration as rational functions of p (q = 1 − p)
    pp = sympy.Symbol("p")
    ruin = pw.exit_probabilities(env, [pp, 1 - pp], method=method)[(0, 0)]
    r = (1 - pp) / pp
    assert sympy.cancel(ruin - (r**a - r**z) / (r**a - 1)) == 0
    duration = pw.mean_exit_time(env, [pp, 1 - pp], method=method)
    feller = z / (1 - 2 * pp) - a / (1 - 2 * pp) * (1 - r**z) / (1 - r**a)
    assert sympy.cancel(duration - feller) == 0


@pytest.mark.parametrize("method", ["linear", "reflection"])
def test_gamblers_ruin_generating_functions_at_rational_points(method):
    z, a = 2, 8
    env = pw.make_env("corridor")
    p_, q_, s_ = sympy.symbols("p q s")
    U, V = feller_generating_functions(p_, q_, s_, z, a)
    for p, s in [(R(1, 3), R(1, 2)), (R(1, 2), R(9, 10)), (R(4, 5), 1), (R(1, 7), R(1, 3))]:
        got = pw.exit_generating_functions(env, [p, 1 - p], s, method=method)
        assert got[(0, 0)] == U.subs({p_: p, q_: 1 - p, s_: s})
        assert got[(8, 0)] == V.subs({p_: p, q_: 1 - p, s_: s})


# -- the B2 triangle with a policy outside the exponential family -------------------------------

B2_PROBS = [F(2, 5), F(1, 10), F(3, 10), F(1, 5)]


@pytest.fixture(scope="module")
def b2():
    env = pw.make_env("triangle-signed")
    assert env.steps.vectors.tolist() == [[1, 0], [-1, 0], [0, 1], [0, -1]]
    chain = Chain("B2", env.level, "signed", tuple(env.start.tolist()), B2_PROBS)
    assert [list(b) for b in chain.exits] == env.exit_points.tolist()
    return env, chain


def test_b2_non_exp_absorbing_chain(b2):
    env, chain = b2
    # p(+e1) p(−e1) = 1/25 ≠ 3/50 = p(+e2) p(−e2): not in the exp family
    probs = pw.exit_probabilities(env, B2_PROBS)
    ref = chain.exit_gf(F(1))
    assert {k: as_fraction(v) for k, v in probs.items()} == ref
    assert sum(ref.values()) == 1
    assert as_fraction(pw.mean_exit_time(env, B2_PROBS)) == chain.mean_time()
    for s in [F(1, 2), F(3, 4), F(19, 20)]:
        got = pw.exit_generating_functions(env, B2_PROBS, s)
        assert {k: as_fraction(v) for k, v in got.items()} == chain.exit_gf(s)
    symbolic_s = pw.exit_generating_functions(env, B2_PROBS)
    s = sympy.Symbol("s")
    for k, expr in symbolic_s.items():
        assert expr.free_symbols == {s}
        assert as_fraction(expr.subs(s, R(3, 4))) == chain.exit_gf(F(3, 4))[k]
    survival = chain.survival(8)
    for n in range(9):
        assert as_fraction(pw.survival(env, n, B2_PROBS)) == survival[n]


def test_b2_non_exp_value_with_discount_and_cost(b2):
    env, chain = b2
    walls = {b: naive.walls("B2", env.level, b) for b in chain.exits}
    wall_reward = [F(1), F(3, 5), F(3, 10)]
    reward = {b: max(wall_reward[j] for j in w) for b, w in walls.items()}
    v = pw.closed_form_value(env, B2_PROBS)  # env: γ = 0.95, c = 0, corner max
    assert as_fraction(v) == chain.value(F(19, 20), reward)
    v = pw.closed_form_value(env, B2_PROBS, gamma="1/2", step_cost="1/20")
    assert as_fraction(v) == chain.value(F(1, 2), reward, F(1, 20))
    # γ = 1: V = Σ R P − c E[T]
    v1 = pw.closed_form_value(env, B2_PROBS, gamma=1, step_cost="1/20")
    assert as_fraction(v1) == chain.value(F(1), reward, F(1, 20))
    # the report the command line prints carries the same exact value
    report = pw.closed_form_report(env, B2_PROBS)
    assert as_fraction(report["value"]) == chain.value(F(19, 20), reward)
    assert report["checked_by"] is None and "exp-family" in report["check_note"]


def test_b2_non_exp_is_refused_by_the_reflection_route(b2):
    env, _ = b2
    with pytest.raises(pw.ArgumentError, match="exp-family policy on signed steps"):
        pw.exit_probabilities(env, B2_PROBS, method="reflection")
    with pytest.raises(pw.ArgumentError, match="exp-family"):
        pw.survival(env, 3, B2_PROBS, method="reflection")


# -- the two routes against each other --------------------------------------------------------


@pytest.mark.parametrize("name", ["corridor", "triangle", "simplex"])
def test_routes_agree_symbolically_on_unit_steps(name):
    env = pw.make_env(name)
    lin = pw.exit_generating_functions(env, method="linear")
    refl = pw.exit_generating_functions(env, method="reflection")
    assert lin == refl  # the same canonical form, term for term
    assert pw.exit_probabilities(env) == pw.exit_probabilities(env, method="reflection")
    # K(γ) = E[Σ_{t<T} γ^t] by (I − γP)⁻¹ against (1 − Σ G_b)/(1 − Σp γ)
    kwargs = {"gamma": None, "step_cost": 1, "rewards": {}}
    assert pw.closed_form_value(env, **kwargs) == pw.closed_form_value(
        env, method="reflection", **kwargs
    )
    # E[T]: K(1) against Σ_b G_b'(1), equal on the simplex p_{k−1} = 1 − Σ the others
    ps = sympy.symbols(f"p_0:{len(env.steps)}")
    on_simplex = {ps[-1]: 1 - sum(ps[:-1])}
    a = pw.mean_exit_time(env).subs(on_simplex)
    b = pw.mean_exit_time(env, method="reflection").subs(on_simplex)
    assert sympy.cancel(a - b) == 0
    for n in range(6):
        assert sympy.expand(pw.survival(env, n) - pw.survival(env, n, method="reflection")) == 0


def test_routes_agree_on_signed_steps_in_the_exp_family():
    env = pw.make_env("triangle-signed")
    a, b, c = sympy.symbols("a b c", positive=True)
    probs = [a, c / a, b, c / b]  # p(+e_i) p(−e_i) = c for both i
    lin = pw.exit_generating_functions(env, probs)
    refl = pw.exit_generating_functions(env, probs, method="reflection")
    assert all(sympy.cancel(lin[k] - refl[k]) == 0 for k in lin)
    theta = [sympy.log(2), sympy.log(3)]
    exact = pw.policy_probabilities(env, theta)
    assert all(isinstance(p, sympy.Rational) for p in exact)
    for method_pair in [("linear", "reflection")]:
        g = [pw.exit_generating_functions(env, exact, method=m) for m in method_pair]
        assert g[0] == g[1]
        t = [pw.mean_exit_time(env, exact, method=m) for m in method_pair]
        assert t[0] == t[1] and t[0].is_Rational
        v = [pw.closed_form_value(env, exact, step_cost="1/7", method=m) for m in method_pair]
        assert v[0] == v[1]
    for n in range(7):
        assert pw.survival(env, n, exact) == pw.survival(env, n, exact, method="reflection")


@pytest.mark.parametrize("name", ["corridor", "triangle", "triangle-signed", "simplex"])
def test_routes_agree_at_random_rational_exp_policies(name):
    env = pw.make_env(name)
    rng = np.random.default_rng(3)
    for _ in range(3):
        theta = [sympy.log(R(int(v), 7)) for v in rng.integers(1, 20, size=env.theta_dim)]
        probs = pw.policy_probabilities(env, theta)
        a = pw.exit_generating_functions(env, probs)
        b = pw.exit_generating_functions(env, probs, method="reflection")
        assert a == b
        assert pw.mean_exit_time(env, probs) == pw.mean_exit_time(env, probs, method="reflection")


# -- numbers: symbolic against numeric ----------------------------------------------------------


def _lambdified_value(env):
    expr = pw.closed_form_value(env)
    ps = sympy.symbols(f"p_0:{len(env.steps)}")
    assert expr.free_symbols <= set(ps)
    return sympy.lambdify([ps], expr, modules="numpy", cse=True)


@pytest.mark.parametrize(
    "name, knobs",
    [
        ("corridor", {}),
        ("triangle", {}),
        ("triangle-signed", {}),
        ("simplex", {}),
        ("corridor", {"step_cost": 0.05, "gamma": 1.0}),
        ("triangle-signed", {"step_cost": 0.03}),
    ],
)
def test_symbolic_in_p_equals_env_value(name, knobs):
    env = pw.make_env(name, **knobs)
    f = _lambdified_value(env)
    rng = np.random.default_rng(17)
    for _ in range(5):
        theta = rng.normal(size=env.theta_dim)
        assert f(env.policy(theta)) == pytest.approx(env.value(theta, tol=1e-15), abs=1e-12)


def float_chain_value(env, probs):
    """V by a float absorbing-chain solve over the env's states (numpy, nothing symbolic)."""
    name, level = str(env.cartan), env.level
    kind = "unit" if name[0] == "A" else "signed"
    ch = Chain(name, level, kind, tuple(env.start.tolist()), [0] * len(probs))
    n = len(ch.states)
    A, rhs = np.eye(n), np.zeros(n)
    walls_reward = env.wall_rewards
    for i, x in enumerate(ch.states):
        for st, p in zip(ch.steps, probs):
            y = ch.canon(tuple(a + b for a, b in zip(x, st)))
            if y in ch.index:
                A[i, ch.index[y]] -= env.gamma * p
            else:
                rhs[i] += p * max(walls_reward[j] for j in naive.walls(name, level, y))
        rhs[i] -= env.step_cost
    return float(np.linalg.solve(A, rhs)[0])


@pytest.mark.parametrize("knobs", [{}, {"step_cost": 0.02}, {"gamma": 1.0, "step_cost": 0.02}])
def test_symbolic_in_p_equals_float_chain_for_non_exp_policies(knobs):
    env = pw.make_env("triangle-signed", **knobs)
    f = _lambdified_value(env)
    rng = np.random.default_rng(23)
    for _ in range(5):
        probs = rng.dirichlet(np.ones(4))
        assert f(probs) == pytest.approx(float_chain_value(env, probs), abs=1e-12)


# -- γ = 1 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["corridor", "triangle-signed"])
def test_gamma_one_limits(name):
    env = pw.make_env(name, gamma=1.0, step_cost=0.1)
    probs = [R(1, 2), R(1, 2)] if name == "corridor" else [R(2, 5), R(1, 10), R(3, 10), R(1, 5)]
    g = sympy.Symbol("gamma")
    symbolic = pw.closed_form_value(env, probs, gamma=None)
    assert symbolic.free_symbols == {g}
    at_one = symbolic.subs(g, 1)
    assert at_one.is_Rational  # regular at γ = 1: no 0/0, no nan
    assert at_one == sympy.limit(symbolic, g, 1, "-")
    direct = pw.closed_form_value(env, probs)  # env γ = 1
    assert direct == at_one
    ep = pw.exit_probabilities(env, probs)
    rewards = dict(zip(ep, pw.exact.closed_forms.exit_rewards(env)))
    by_parts = sum(rewards[k] * ep[k] for k in ep) - R(1, 10) * pw.mean_exit_time(env, probs)
    assert direct == by_parts
    # E[T] from the derivative of the generating functions at s = 1
    s = sympy.Symbol("s")
    G = pw.exit_generating_functions(env, probs, s)
    assert sum(sympy.diff(v, s).subs(s, 1) for v in G.values()) == pw.mean_exit_time(env, probs)
    assert float(direct) == pytest.approx(
        float_chain_value(env, [float(p) for p in probs]), abs=1e-12
    )


# -- symbols, rewards, LaTeX, report, validation ------------------------------------------------


def test_symbol_conventions():
    env = pw.make_env("triangle")
    v = pw.closed_form_value(env, gamma=None, step_cost=None, rewards=None)
    names = {str(x) for x in v.free_symbols}
    assert names == {"p_0", "p_1", "p_2", "gamma", "c", "r_0", "r_1", "r_2"}
    table = pw.AlcoveWalkEnv("A1", 3, start=(1, 0), reward_table={(3, 0): 2.0}, gamma=0.5)
    v = pw.closed_form_value(table, ["1/2", "1/2"], rewards=None)
    assert {str(x) for x in v.free_symbols} == {"R_(0,0)", "R_(3,0)"}
    # G(½)/½ at p = ½: ruin weight 2s/(4 − s²)/s = 2/(15/4) = 8/15, gain s/(4 − s²) = 2/15
    R0, R3 = sympy.Symbol("R_(0,0)"), sympy.Symbol("R_(3,0)")
    assert sympy.expand(v - (R(8, 15) * R0 + R(2, 15) * R3)) == 0
    assert pw.closed_form_value(table, ["1/2", "1/2"]) == R(4, 15)  # 2 · 2/15, (0,0) pays 0
    assert pw.closed_form_value(table, ["1/2", "1/2"], rewards={(0, 0): 1}) == R(8, 15)
    assert pw.closed_form_value(table, ["1/2", "1/2"], rewards=[3, 0]) == R(6, 15)


def test_latex_export():
    env = pw.make_env("corridor", level=3, trap_distance=1)
    tex = pw.exit_generating_functions(env, latex=True)
    assert set(tex) == {(0, 0), (3, 0)} and all(r"\frac" in t for t in tex.values())
    assert pw.closed_form_latex(pw.mean_exit_time(env)).startswith(r"\frac")
    assert pw.closed_form_value(env, latex=True).count("p_{0}") > 0
    assert pw.survival(env, 2, latex=True) == "p_{0} p_{1}"


def test_report_is_json_ready():
    env = pw.make_env("corridor")
    rep = pw.closed_form_report(env, "1/3,2/3")
    json.dumps(rep, allow_nan=False)
    assert rep["routes_agree"] is True and rep["checked_by"] == "reflection"
    ruin = next(e for e in rep["exits"] if e["point"] == [0, 0])
    assert ruin["probability"] == str(feller_ruin_probability(F(1, 3), F(2, 3), 2, 8))
    assert ruin["walls"] == [1] and "frac" in ruin["generating_function_latex"]
    assert rep["mean_exit_time_float"] == pytest.approx(
        float(feller_duration(F(1, 3), F(2, 3), 2, 8))
    )
    sym = pw.closed_form_report(env)
    json.dumps(sym, allow_nan=False)
    assert "p_0" in sym["value"] and sym["routes_agree"] is True
    assert "value_float" not in sym


@pytest.mark.parametrize(
    "probs, error, match",
    [
        ([1], pw.DimensionError, "must have 2 entries"),
        (["1/2", "1/3"], pw.ArgumentError, "sum to 1 exactly"),
        ([-1, 2], pw.ArgumentError, r"probs\[0\] = -1 is not allowed"),
        ([True, 0], pw.ArgumentError, "must be a number"),
        ([float("nan"), 1], pw.ArgumentError, "must be finite"),
        (["half", "1/2"], pw.ArgumentError, "'half' is not a number"),
        (3, pw.DimensionError, "not a sequence"),
    ],
)
def test_bad_probs(probs, error, match):
    env = pw.make_env("corridor")
    with pytest.raises(error, match=match):
        pw.exit_probabilities(env, probs)


def test_bad_arguments():
    env = pw.make_env("corridor")
    with pytest.raises(pw.ArgumentError, match=r"s must be .* in \[0, 1\]"):
        pw.exit_generating_functions(env, s=2)
    with pytest.raises(pw.ArgumentError, match="unknown method 'magic'"):
        pw.exit_probabilities(env, method="magic")
    with pytest.raises(pw.ArgumentError, match="unknown method 'linear'"):
        pw.survival(env, 2, method="linear")
    with pytest.raises(pw.ArgumentError, match="non-negative integer"):
        pw.survival(env, -1)
    with pytest.raises(pw.ArgumentError, match=r"gamma must be in \(0, 1\]"):
        pw.closed_form_value(env, gamma=2)
    with pytest.raises(pw.RewardError, match=r"rewards key \[5, 5\] is not an exit point"):
        pw.closed_form_value(env, rewards={(5, 5): 1})
    with pytest.raises(pw.RewardError, match="rewards must have 2 entries"):
        pw.closed_form_value(env, rewards=[1, 2, 3])
    custom = pw.AlcoveWalkEnv("A1", 5, steps=[[1, 0], [0, 1]], start=(2, 0), wall_rewards=(1, 0))
    assert custom.steps.kind == "custom"
    pw.exit_probabilities(custom, ["1/2", "1/2"])  # linear covers any step set
    with pytest.raises(pw.ArgumentError, match="use method 'linear'"):
        pw.exit_probabilities(custom, ["1/2", "1/2"], method="reflection")


def test_float_and_fraction_inputs_are_exact():
    env = pw.make_env("corridor")
    a = pw.exit_probabilities(env, [0.3, 0.7])
    b = pw.exit_probabilities(env, [F(3, 10), F(7, 10)])
    c = pw.exit_probabilities(env, "3/10, 7/10")
    assert a == b == c and all(isinstance(v, sympy.Rational) for v in a.values())
    r = F(7, 3)
    assert a[(0, 0)] == (r**8 - r**2) / (r**8 - 1)


def test_zero_probabilities():
    # always stepping up: the walk reaches the treasure in exactly level − z steps
    env = pw.make_env("corridor")
    s = sympy.Symbol("s")
    assert pw.exit_generating_functions(env, [1, 0]) == {(0, 0): 0, (8, 0): s**6}
    assert pw.exit_generating_functions(env, [1, 0], method="reflection") == {
        (0, 0): 0,
        (8, 0): s**6,
    }
    assert pw.mean_exit_time(env, [1, 0]) == 6
    assert pw.survival(env, 5, [1, 0]) == 1 and pw.survival(env, 6, [1, 0]) == 0


def test_docs_page_code_runs():
    from tests.test_docs import DOCS, NOT_RUN, python_blocks

    blocks = python_blocks(DOCS / "closed_forms.md")
    assert len(blocks) >= 4
    namespace = {"__name__": "docs.closed_forms"}
    for line, code in blocks:
        if code.lstrip().startswith(NOT_RUN):
            continue
        exec(compile(code, f"docs/closed_forms.md, block at line {line}", "exec"), namespace)


def test_catalog_envs_at_default_levels_are_fast():
    # exact rationals for the catalog envs in seconds (here: well under, all four together)
    import time

    t0 = time.perf_counter()
    for name in ["corridor", "triangle", "triangle-signed", "simplex"]:
        env = pw.make_env(name)
        k = len(env.steps)
        probs = [R(1, k)] * k
        pw.exit_probabilities(env, probs)
        pw.mean_exit_time(env, probs)
        pw.closed_form_value(env, probs)
        pw.exit_generating_functions(env)
    assert time.perf_counter() - t0 < 30
