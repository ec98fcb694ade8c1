"""The grading harness: it reproduces pgweyl's convergence probabilities, and reports well."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

import pgweyl as pw  # noqa: E402
import pgweyl.gym as pg  # noqa: E402
from pgweyl.errors import ArgumentError  # noqa: E402

CORRIDOR = {"level": 4, "trap_distance": 1}  # γ = 0.95, trap r = 0.5 at 1, treasure at 3
EPS = 0.05


def reinforce(lr, n_updates, **kw):
    def make_agent(env):
        return pg.ReinforceAgent(lr=lr, n_updates=n_updates, gamma=env.unwrapped.gamma, **kw)

    return make_agent


def pgweyl_final_shares(penv, lr, n_updates, n_runs, seed, theta0=None):
    """pgweyl's own REINFORCE (Numba), independent of the harness and the Gymnasium env:
    shares of runs whose policy after ``n_updates`` is within TV EPS of each maximum, then
    unresolved. Its absorbing radius 1e-12 stops only runs that are already there for good."""
    theta0 = np.zeros(penv.theta_dim) if theta0 is None else theta0
    mc = pw.convergence_probabilities(
        penv, theta0, lr, n_updates, n_runs, seed=seed, eps=1e-12, classify_tol=EPS
    )
    return np.append(mc.probabilities, mc.unresolved)


def assert_agrees(result, p, n_runs, k=4.0):
    """|agent share − pgweyl share| < k·SE for every maximum and unresolved, with
    SE² = p(1−p)(1/n_seeds + 1/n_runs) under H0: same distribution."""
    se = np.sqrt(p * (1 - p) * (1 / result.n_seeds + 1 / n_runs))
    diff = np.abs(result.shares() - p)
    assert np.all((diff < k * se) | ((p == 0) & (diff == 0))), (result.shares(), p, diff / se)


def test_harness_reproduces_pgweyl_convergence_probabilities():
    """H0: the Gymnasium REINFORCE agent, trained through the harness on the Gymnasium env,
    ends at each local maximum (final policy within TV 0.05) with pgweyl's probability.
    400 seeds (0..399) of 300 updates at lr 2 against 2·10⁴ pgweyl runs (seed 11); every
    share within 4 SE. Measured: agent (0.545, 0.445, 0.010) vs pgweyl (0.525, 0.466, 0.009)."""
    lr, n_updates = 2.0, 300
    res = pg.grade(
        reinforce(lr, n_updates), "pgweyl/Corridor-v0", seeds=400, eps=EPS, predict=(), **CORRIDOR
    )
    penv = pw.make_env("corridor", **CORRIDOR)
    p = pgweyl_final_shares(penv, lr, n_updates, 20_000, seed=11)
    assert_agrees(res, p, 20_000)
    assert p[:2].min() > 0.3  # both maxima are reached often: the comparison has teeth


@pytest.mark.slow
def test_harness_reproduces_pgweyl_convergence_probabilities_long():
    """As above with 2,000 seeds at lr 1 (measured z: +0.55, −0.49, −0.19), and on the
    signed triangle (B2, features = the step vectors, 2-D θ), 1,000 seeds (measured z:
    −0.10, +0.05, +0.13). About 40 s."""
    res = pg.grade(reinforce(1.0, 300), "pgweyl/Corridor-v0", seeds=2000, predict=(), **CORRIDOR)
    p = pgweyl_final_shares(pw.make_env("corridor", **CORRIDOR), 1.0, 300, 20_000, seed=12)
    assert_agrees(res, p, 20_000)

    def signed(env):
        base = env.unwrapped
        return pg.ReinforceAgent(1.0, 300, base.gamma, features=base.step_vectors)

    res = pg.grade(signed, "pgweyl/TriangleSigned-v0", seeds=1000, predict=())
    p = pgweyl_final_shares(pw.make_env("triangle-signed"), 1.0, 300, 20_000, seed=13)
    assert_agrees(res, p, 20_000)


def test_predictions_are_pgweyls_own_numbers():
    lr, n_updates = 2.0, 40
    res = pg.grade(
        reinforce(lr, n_updates),
        "pgweyl/Corridor-v0",
        seeds=[3, 4, 5],
        predict="mc,chain",
        mc_runs=500,
        mc_seed=7,
        chain_grid=201,
        **CORRIDOR,
    )
    penv = pw.make_env("corridor", **CORRIDOR)
    mc = pw.convergence_probabilities(
        penv, [0, 0], lr, n_updates, 500, seed=7, eps=1e-12, classify_tol=EPS
    )
    assert res.predicted["mc"]["probabilities"] == mc.probabilities.tolist()
    assert res.predicted["mc"]["unresolved"] == mc.unresolved
    chain = pw.chain_absorption(penv, lr, grid=201, eps=EPS)
    assert res.predicted["chain"]["probabilities"] == pytest.approx(chain.at([0, 0], penv))
    s = res.settings
    assert (str(s.rule), s.lr, s.n_updates, s.theta0) == ("vanilla", lr, n_updates, (0.0, 0.0))
    assert (s.n_runs, s.seed, s.eps, s.grid, s.method) == (500, 7, EPS, 201, "both")
    assert res.seeds == (3, 4, 5)


class FixedAgent:
    """Does not learn: its policy is given."""

    def __init__(self, probs):
        self.probs = np.asarray(probs, dtype=float)

    def train(self, env, seed):
        env.reset(seed=seed)

    def policy(self):
        return self.probs


def test_classification_and_regret_of_known_policies():
    """Two seeds at the trap vertex, one uniform: shares (0, 2/3), unresolved 1/3, and the
    regret V* − V with V from pgweyl's exp-family route (interior policies) and by hand
    (the trap vertex: one step to wall 1, which pays 0.5)."""
    policies = {0: [0.01, 0.99], 1: [0.0, 1.0], 2: [0.5, 0.5]}

    res = pg.grade(
        lambda env: _Seeded(policies), "pgweyl/Corridor-v0", seeds=[0, 1, 2], predict=(), **CORRIDOR
    )
    assert res.assignments.tolist() == [1, 1, -1]
    assert res.counts.tolist() == [0, 2] and res.unresolved == pytest.approx(1 / 3)
    v_star = 0.95**2  # three steps up to the treasure
    penv = pw.make_env("corridor", **CORRIDOR)
    v = [penv.value(np.log(policies[0])), 0.5, penv.value([0.0, 0.0])]
    assert res.global_value == pytest.approx(v_star)
    assert res.final_values == pytest.approx(v, abs=1e-10)
    assert res.regret == pytest.approx(v_star - np.mean(v), abs=1e-10)
    assert res.regret_se == pytest.approx(np.std(v, ddof=1) / np.sqrt(3), abs=1e-10)
    assert res.settings is None and res.predicted == {}


class _Seeded(FixedAgent):
    def __init__(self, table):
        self.table = table

    def train(self, env, seed):
        self.probs = np.asarray(self.table[seed], dtype=float)


def test_result_object():
    res = pg.grade(
        reinforce(2.0, 20), "pgweyl/Corridor-v0", seeds=4, predict="mc", mc_runs=200, **CORRIDOR
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.eps = 0.1
    d = res.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text)["labels"] == ["{+e1}", "{+e2}"]
    assert set(d) >= {"probabilities", "ci_low", "ci_high", "unresolved", "regret", "predicted"}
    assert repr(res).startswith("GradeResult(pgweyl/Corridor-v0, 4 seeds, eps=0.05; {+e1}: ")
    table = res.format_table()
    assert "[0] {+e1}" in table and "unresolved" in table and "pgweyl MC, n=200" in table
    assert "regret E[V* - V(final)]" in table
    assert np.all(res.ci_low <= res.probabilities) and np.all(res.probabilities <= res.ci_high)
    z = res.z_scores("mc")
    assert z.shape == (3,)
    with pytest.raises(ArgumentError, match="unknown source 'chain'"):
        res.z_scores("chain")


def test_errors_are_one_line_and_specific():
    ok = reinforce(1.0, 5)
    cases = [
        (dict(rule="naturel"), "unknown update rule 'naturel'; expected one of vanilla"),
        (dict(rule="vanilla:baseline=mean", predict="chain"), "needs θ to be a Markov chain"),
        (dict(predict="mc,exact"), "unknown predict 'exact'; expected one of mc, chain"),
        (dict(seeds=0), "seeds must be a positive integer"),
        (dict(seeds=[]), "seeds must not be empty"),
        (dict(seeds=[1, -2]), "seed must be a non-negative integer"),
        (dict(eps=0.7), "eps must be <"),
    ]
    for kwargs, msg in cases:
        with pytest.raises(ArgumentError, match=msg):
            pg.grade(ok, "pgweyl/Corridor-v0", **{"seeds": 1, **kwargs})
    with pytest.raises(ArgumentError, match="unknown Gymnasium id 'CartPole-v9'"):
        pg.grade(ok, "CartPole-v9", seeds=1)
    with pytest.raises(ArgumentError, match="observation='blind'"):
        pg.grade(ok, "pgweyl/Corridor-v0", seeds=1, observation="position")
    with pytest.raises(ArgumentError, match="discounts with gamma=0.99"):
        pg.grade(lambda env: pg.ReinforceAgent(1.0, 5, 0.99), "pgweyl/Corridor-v0", seeds=1)
    with pytest.raises(ArgumentError, match="features .* are not pgweyl's 'exp'"):
        pg.grade(lambda env: pg.ReinforceAgent(1.0, 5), "pgweyl/TriangleSigned-v0", seeds=1)
    with pytest.raises(ArgumentError, match="needs the agent's lr and n_updates"):
        pg.grade(lambda env: FixedAgent([0.5, 0.5]), "pgweyl/Corridor-v0", seeds=1)
    with pytest.raises(ArgumentError, match="sum to 1"):
        pg.grade(lambda env: FixedAgent([0.5, 0.6]), "pgweyl/Corridor-v0", seeds=1, predict=())
    with pytest.raises(
        ArgumentError,
        match="method 'chain': the chain solver does not take the natural rule in effective "
        "dimension 3",
    ):
        pg.grade(ok, "pgweyl/Simplex-v0", seeds=1, predict="chain", rule="natural")
    with pytest.raises(ArgumentError, match="make_agent must be a callable"):
        pg.grade(None, "pgweyl/Corridor-v0", seeds=1)


def test_explicit_settings_override_the_agents():
    res = pg.grade(
        lambda env: FixedAgent([0.5, 0.5]),
        "pgweyl/Corridor-v0",
        seeds=2,
        lr=1.5,
        n_updates=10,
        theta0=[0.1, -0.1],
        mc_runs=100,
        **CORRIDOR,
    )
    s = res.settings.to_dict()
    assert {k: s[k] for k in ("rule", "lr", "n_updates", "theta0")} == {
        "rule": "vanilla",
        "lr": 1.5,
        "n_updates": 10,
        "theta0": [0.1, -0.1],
    }


# -- every seed, intervals named, scores, power --------------------------------------------------
def test_every_seed_gets_its_nearest_maximum_and_distance():
    """The corridor's maxima are the vertices {+e1} (best, index 0) and {+e2}: the TV
    distance of p to vertex e_j is 1 − p_j, so the nearest is argmax p (a tie goes to the
    better maximum) — computed here by hand, for resolved and unresolved seeds alike."""
    policies = {0: [0.01, 0.99], 1: [0.0, 1.0], 2: [0.5, 0.5], 3: [0.7, 0.3], 4: [0.96, 0.04]}
    res = pg.grade(
        lambda env: _Seeded(policies), "pgweyl/Corridor-v0", seeds=range(5), predict=(), **CORRIDOR
    )
    p = np.array([policies[s] for s in range(5)])
    assert res.nearest.tolist() == [1, 1, 0, 0, 0]
    np.testing.assert_allclose(res.nearest_distance, 1 - p.max(axis=1), rtol=0, atol=1e-15)
    assert res.assignments.tolist() == [1, 1, -1, -1, 0]
    records = res.per_seed()
    assert [r["resolved"] for r in records] == [True, True, False, False, True]
    assert records[3] == {
        "seed": 3,
        "nearest": 0,
        "label": "{+e1}",
        "distance": pytest.approx(0.3),
        "resolved": False,
        "value": pytest.approx(res.final_values[3]),
        "normalized_score": pytest.approx(res.normalized_scores[3]),
    }
    table = res.format_table()
    assert "unresolved seeds: 2; nearest maximum [0] x2; TV distance to it 0.300 to 0.500" in table
    d = res.to_dict()
    assert d["nearest"] == [1, 1, 0, 0, 0] and len(d["nearest_distance"]) == 5


def test_regret_interval_is_students_t_and_scores_are_normalised():
    """The regret's 95% interval is scipy's one-sample t confidence interval of the same
    numbers; the normalised scores use V(uniform) from the exp-family route (θ = 0), not the
    softmax twin the harness evaluates policies on."""
    from scipy.stats import ttest_1samp

    policies = {0: [0.01, 0.99], 1: [0.0, 1.0], 2: [0.5, 0.5], 3: [0.9, 0.1], 4: [1.0, 0.0]}
    res = pg.grade(
        lambda env: _Seeded(policies), "pgweyl/Corridor-v0", seeds=range(5), predict=(), **CORRIDOR
    )
    regret = res.global_value - res.final_values
    ci = ttest_1samp(regret, 0.0).confidence_interval(0.95)
    assert res.regret_ci == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert res.regret_ci[0] < res.regret < res.regret_ci[1]
    penv = pw.make_env("corridor", **CORRIDOR)
    v_u = penv.value([0.0, 0.0])
    assert res.random_value == pytest.approx(v_u, abs=1e-12)
    v_star = 0.95**2
    expected = (res.final_values - v_u) / (v_star - v_u)
    np.testing.assert_allclose(res.normalized_scores, expected, rtol=0, atol=1e-12)
    assert res.normalized_scores[4] == pytest.approx(1.0, abs=1e-12)  # the treasure vertex
    assert res.normalized_scores[2] == pytest.approx(0.0, abs=1e-12)  # the random agent
    assert res.normalized_scores[1] == pytest.approx((0.5 - v_u) / (v_star - v_u), abs=1e-12)
    d = res.to_dict()
    assert d["regret_ci_method"].startswith("Student t") and "95%" in d["regret_ci_method"]
    assert d["ci_method"] == "Wilson score interval, 95%"
    table = res.format_table()
    assert "agent [Wilson 95%]" in table and "95% CI [" in table and "Student t, 4 df" in table
    one = pg.grade(
        lambda env: _Seeded(policies), "pgweyl/Corridor-v0", seeds=[0], predict=(), **CORRIDOR
    )
    assert all(np.isnan(one.regret_ci))  # no interval from one seed


def test_score_matrix_is_runs_by_tasks():
    def fixed(p):
        return lambda env: FixedAgent(p)

    a = pg.grade(fixed([0.5, 0.5]), "pgweyl/Corridor-v0", seeds=3, predict=(), **CORRIDOR)
    b = pg.grade(fixed([1 / 3] * 3), "pgweyl/Triangle-v0", seeds=3, predict=())
    m = pg.score_matrix([a, b])
    assert m.shape == (3, 2)
    np.testing.assert_array_equal(m[:, 0], a.normalized_scores)
    np.testing.assert_allclose(m, 0.0, atol=1e-12)  # both agents are the uniform policy
    c = pg.grade(fixed([0.5, 0.5]), "pgweyl/Corridor-v0", seeds=2, predict=(), **CORRIDOR)
    with pytest.raises(ArgumentError, match="same number of seeds"):
        pg.score_matrix([a, c])
    with pytest.raises(ArgumentError, match="non-empty sequence of GradeResult"):
        pg.score_matrix([])


# Cases (p1, p2, alpha, power) for the power helper.
POWER_CASES = [
    (0.37, 0.5, 0.05, 0.8),
    (0.5, 0.3, 0.05, 0.8),
    (0.2, 0.1, 0.05, 0.8),
    (0.6, 0.75, 0.05, 0.8),
    (0.37, 0.5, 0.01, 0.9),
    (0.05, 0.2, 0.05, 0.8),
    (0.9, 0.7, 0.05, 0.9),
]
POWER_TOL = 0.04  # the normal approximation against the exact binomial power (measured ≤ 0.035)


def exact_power_one_sample(n, p1, p2, alpha):
    """P(reject H0: share = p1) when the true share is p2: the two-sided z-test with the
    null standard error, summed exactly over the binomial law of the count."""
    from scipy.stats import binom, norm

    k = np.arange(n + 1)
    reject = np.abs(k / n - p1) > norm.ppf(1 - alpha / 2) * np.sqrt(p1 * (1 - p1) / n)
    return float(binom.pmf(k, n, p2)[reject].sum())


def exact_power_two_sample(n, p1, p2, alpha):
    """The pooled two-sample z-test with n seeds per agent, summed exactly over both
    binomial laws."""
    from scipy.stats import binom, norm

    k = np.arange(n + 1)
    k1, k2 = np.meshgrid(k, k, indexing="ij")
    pooled = (k1 + k2) / (2 * n)
    se = np.sqrt(pooled * (1 - pooled) * 2 / n)
    reject = (se > 0) & (np.abs(k1 - k2) / n > norm.ppf(1 - alpha / 2) * se)
    return float(np.outer(binom.pmf(k, n, p1), binom.pmf(k, n, p2))[reject].sum())


@pytest.mark.parametrize("p1, p2, alpha, power", POWER_CASES)
def test_seeds_needed_gives_the_power_asked_for(p1, p2, alpha, power):
    """The exact binomial power of the z-test at the returned n is the power asked for,
    within POWER_TOL; at n/2 it is far below (n is not generous)."""
    n = pg.seeds_needed(p1, p2, alpha, power)
    assert abs(exact_power_one_sample(n, p1, p2, alpha) - power) < POWER_TOL
    assert exact_power_one_sample(n // 2, p1, p2, alpha) < power - 0.15
    n2 = pg.seeds_needed(p1, p2, alpha, power, two_sample=True)
    assert abs(exact_power_two_sample(n2, p1, p2, alpha) - power) < POWER_TOL
    assert n2 > n  # two estimated shares need more seeds than one against a known share


def test_power_check_has_teeth():
    """A planted bug — the one-sided quantile z_{1−α} for the two-sided test — gives an n
    whose exact power misses by more than POWER_TOL in every α = 0.05 case."""
    import math

    from scipy.stats import norm

    for p1, p2, alpha, power in POWER_CASES:
        if alpha != 0.05:
            continue
        za, zb = norm.ppf(1 - alpha), norm.ppf(power)
        root = za * math.sqrt(p1 * (1 - p1)) + zb * math.sqrt(p2 * (1 - p2))
        n_bug = math.ceil(root**2 / (p1 - p2) ** 2)
        assert exact_power_one_sample(n_bug, p1, p2, alpha) < power - POWER_TOL


def test_seeds_needed_refuses_what_has_no_answer():
    with pytest.raises(ArgumentError, match="p1 and p2 must differ"):
        pg.seeds_needed(0.3, 0.3)
    with pytest.raises(ArgumentError, match="strictly between 0 and 1"):
        pg.seeds_needed(0.0, 0.2)
    with pytest.raises(ArgumentError, match="power must be"):
        pg.seeds_needed(0.3, 0.4, power=1.0)
    with pytest.raises(ArgumentError, match="alpha must be"):
        pg.seeds_needed(0.3, 0.4, alpha=0)
    assert pg.seeds_needed(0.0, 0.2, two_sample=True) > 0
