"""The θ-chain solver under the update rules of :mod:`pgweyl.rules` (natural gradient,
entropy bonus, constant baseline).

Two independent routes per rule:

- the mean move of the chain's kernel at a node, Σ_c P_θ(c) dy_c, against
  :func:`pgweyl.rules.expected_update` (∇V from the exact engine's value route, F(θ) with
  E_θ[T] from a linear solve, ∇H from the policy Jacobian) — no code shared with
  ``_displacements``;
- the absorption probability against pgweyl's Numba REINFORCE. Null hypothesis: the
  Monte Carlo share of runs at a maximum is a binomial proportion whose mean is the
  chain's answer; accepted within 4 standard errors plus the chain's ``grid_error``.
  Seeds are fixed.
"""

import math

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.errors import ArgumentError
from pgweyl.landscape.chain import chain_absorption, chain_refusal
from pgweyl.landscape.chain.transitions import _displacements
from pgweyl.rules import RuleError, expected_update, parse_rule

RULES = ["natural", "entropy:tau=0.1", "vanilla:baseline=0.3"]


@pytest.mark.parametrize("family", ["corridor", "triangle"])
@pytest.mark.parametrize("spec", RULES)
def test_mean_move_of_the_kernel_is_the_exact_expected_update(family, spec):
    env = pw.make_env(family)
    rule = parse_rule(spec)
    L = env.effective_map()
    ys = (
        np.array([[0.0], [1.3], [-2.1]])
        if L.shape[0] == 1
        else np.array([[0.0, 0.0], [1.2, -0.7], [-2.0, 0.5]])
    )
    thetas = env.lift(ys)
    s = env.solver
    cells, logp = s.log_cell_probs(thetas, s.common_truncation(thetas, 1e-15))
    prob = np.exp(logp)
    beta = rule.baseline or 0.0
    dy = _displacements(env, thetas, cells, prob, lr=0.7, baseline=beta, L=L, rule=rule)
    mean = np.einsum("nc,ncd->nd", prob, dy)
    for th, m in zip(thetas, mean):
        exact = L @ expected_update(env, th, rule, lr=0.7)
        assert np.abs(m - exact).max() <= 1e-9 * max(1.0, np.abs(exact).max())


def test_the_rule_changes_the_kernel():
    # the test above can fail: natural and entropy moves differ from vanilla's
    env = pw.make_env("corridor")
    L = env.effective_map()
    th = env.lift(np.array([[1.3]]))
    cells, logp = env.solver.log_cell_probs(th, env.solver.common_truncation(th, 1e-12))
    prob = np.exp(logp)
    base = _displacements(env, th, cells, prob, lr=1.0, baseline=0.0, L=L)
    for spec in ("natural", "entropy:tau=0.1"):
        other = _displacements(
            env, th, cells, prob, lr=1.0, baseline=0.0, L=L, rule=parse_rule(spec)
        )
        assert np.abs(other - base).max() > 1e-3


def _mc(env, rule, lr, runs, seed):
    maxima = pw.local_maxima(env, basin_samples=0, rule=rule)
    mc = pw.convergence_probabilities(
        env,
        np.zeros(env.theta_dim),
        lr,
        200_000,
        runs,
        seed=seed,
        eps=0.01,
        maxima=maxima,
        rule=rule,
        progress=False,
    )
    return maxima, mc


@pytest.mark.parametrize(
    "spec, lr",
    [
        # about 10 s each (Monte Carlo under the natural and entropy rules): in -m slow
        pytest.param("natural", 1.0, marks=pytest.mark.slow),
        pytest.param("entropy:tau=0.1", 1.0, marks=pytest.mark.slow),
        ("vanilla:baseline=0.5", 0.5),
    ],
)
def test_chain_matches_monte_carlo_on_the_corridor(spec, lr):
    env = pw.make_env("corridor")
    maxima, mc = _mc(env, spec, lr, 20_000, seed=11)
    assert mc.unresolved == 0
    ch = chain_absorption(env, lr, eps=0.01, maxima=maxima, rule=spec, progress=False)
    assert ch.rule == str(parse_rule(spec))
    p, err = ch.at([0.0, 0.0]), ch.grid_error([0.0, 0.0])
    se = np.sqrt(p * (1 - p) / mc.n_runs)
    assert np.all(np.abs(mc.probabilities - p) <= 4 * se + err), (mc.probabilities, p, se, err)
    # and the rule matters here: vanilla's answer is outside that band
    van = chain_absorption(env, lr, eps=0.01, progress=False).at([0.0, 0.0])
    assert np.abs(van - p).max() > 4 * se.max() + err.max() + 0.01


def test_chain_with_a_baseline_matches_monte_carlo_on_the_triangle():
    env = pw.make_env("triangle")
    spec, lr = "vanilla:baseline=0.3", 1.0
    maxima, mc = _mc(env, spec, lr, 5_000, seed=3)
    ch = chain_absorption(env, lr, eps=0.01, grid=97, maxima=maxima, rule=spec, progress=False)
    t0 = np.zeros(3)
    p, err = ch.at(t0), ch.grid_error(t0)
    se = np.sqrt(p * (1 - p) / mc.n_runs)
    assert mc.unresolved < 0.01
    assert np.all(np.abs(mc.probabilities - p) <= 4 * se + err + mc.unresolved)


def test_entropy_margin_is_inside_the_grid_error():
    # The 1-D box of the entropy rule gets a margin (its maxima are interior and the
    # chain may step beyond them); a box twice as wide moves the answer by less than
    # the reported grid error.
    env = pw.make_env("corridor")
    spec = "entropy:tau=0.1"
    maxima = pw.local_maxima(env, basin_samples=0, rule=spec)
    a = chain_absorption(env, 1.0, eps=0.01, maxima=maxima, rule=spec, progress=False)
    half = math.log(99) + 8
    b = chain_absorption(
        env,
        1.0,
        eps=0.01,
        maxima=maxima,
        rule=spec,
        bounds=(-half, half),
        grid=3201,
        progress=False,
    )
    t0 = [0.0, 0.0]
    assert np.abs(a.at(t0) - b.at(t0)).max() <= a.grid_error(t0).max()


def test_vanilla_rule_is_the_default_chain():
    env = pw.make_env("corridor")
    a = chain_absorption(env, 1.0, grid=201, refine=False, progress=False)
    b = chain_absorption(env, 1.0, grid=201, refine=False, progress=False, rule="vanilla")
    c = chain_absorption(env, 1.0, grid=201, refine=False, progress=False, baseline=0.5)
    d = chain_absorption(
        env, 1.0, grid=201, refine=False, progress=False, rule="vanilla:baseline=0.5"
    )
    assert np.array_equal(a.h, b.h) and np.array_equal(c.h, d.h)
    assert not np.array_equal(a.h, c.h)
    assert a.to_dict()["rule"] == "vanilla" and d.to_dict()["rule"] == "vanilla:baseline=0.5"


def test_refusals():
    corridor, triangle = pw.make_env("corridor"), pw.make_env("triangle")
    with pytest.raises(RuleError, match="Markov chain"):
        chain_absorption(corridor, 1.0, rule="vanilla:baseline=mean")
    with pytest.raises(RuleError, match="Markov chain"):
        chain_absorption(corridor, 1.0, rule="natural:schedule=decay")
    with pytest.raises(ArgumentError, match="bounds do not apply to the natural rule"):
        chain_absorption(triangle, 1.0, rule="natural", bounds=(-5.0, 5.0))
    with pytest.raises(ArgumentError, match="disagrees with the rule's baseline"):
        chain_absorption(corridor, 1.0, baseline=0.2, rule="vanilla:baseline=0.5")
    assert chain_refusal(corridor, "natural") is None
    assert chain_refusal(triangle, "entropy:tau=0.1") is None
    simplex = pw.make_env("simplex")
    assert chain_refusal(simplex, "vanilla") is None  # effective dimension 3 (issue 24)
    assert "natural rule in effective dimension 3" in chain_refusal(simplex, "natural")
    rewards = (1.0, 0.6, 0.5, 0.4, 0.3)
    a4 = pw.AlcoveWalkEnv(
        cartan="A4", level=6, steps="unit", start=(4, 3, 2, 1, 0), wall_rewards=rewards
    )
    assert "effective dimension 1 to 3, not 4" in chain_refusal(a4, "vanilla")


@pytest.mark.slow
def test_chain_with_entropy_brackets_monte_carlo_on_the_triangle():
    # J_τ's two maxima on the triangle: near the vertex e1 and inside the edge e1–e2.
    # Runs still unresolved after the budget may end at either, so the chain's answer
    # must lie in [p_mc − band, p_mc + unresolved + band], band = 4 SE + grid error.
    env = pw.make_env("triangle")
    spec = "entropy:tau=0.02"
    maxima, mc = _mc(env, spec, 1.0, 2_000, seed=3)
    assert len(maxima) == 2
    ch = chain_absorption(env, 1.0, eps=0.01, grid=97, maxima=maxima, rule=spec, progress=False)
    t0 = np.zeros(3)
    p, err = ch.at(t0), ch.grid_error(t0)
    band = 4 * np.sqrt(p * (1 - p) / mc.n_runs) + err
    assert np.all(mc.probabilities - band <= p)
    assert np.all(p <= mc.probabilities + mc.unresolved + band)
