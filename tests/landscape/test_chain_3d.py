"""The θ-chain solver in effective dimension 3 (issue 24): the simplex (A3), B3 and C3.

Two routes to each number: the chain's kernel against the exact layer's gradient (the
mean step), its two linear solvers against each other, and its absorption probabilities
against Monte Carlo runs that share no code with it. The Monte Carlo numbers are stored
constants, produced once by (``/tmp``-free, any machine)

    env = ENVS[name](); pw.convergence_probabilities(env, lr=LR, n_runs=N,
        n_updates=2_000_000, eps=0.01, seed=SEED, progress=False)

with pgweyl at the commit that added this file (the chain is not involved). Null
hypothesis of each comparison: the chain's answer at θ0 = 0 is within its ``grid_error``
of the true first-entry probability, and the Monte Carlo share is a binomial proportion
around the truth minus the runs still unresolved after the budget (which the chain counts
as eventually absorbed, at either maximum); we accept
p_mc − 4 SE − err ≤ p_chain ≤ p_mc + unresolved + 4 SE + err.
"""

import math
import time

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.landscape.chain import chain_absorption
from pgweyl.landscape.chain.grid import Grid
from pgweyl.landscape.chain.transitions import _displacements
from tests.landscape.conftest import assert_rows_conserve_probability, interrupt_after

Z = 4.0
REWARDS = (1.0, 0.6, 0.45, 0.3)


def _signed(cartan, level):
    return pw.AlcoveWalkEnv(
        cartan=cartan,
        level=level,
        steps="signed",
        start=(3, 2, 1),
        wall_rewards=REWARDS,
        gamma=0.95,
    )


#: The 3-D cases: the catalog's simplex and two rank-3 walks with signed steps, each with
#: two vertex maxima (B3 at level 6 from (3, 2, 1) has a single maximum, the flat face
#: toward wall 0, one step away: nothing to compare, so level 8).
ENVS = {
    "simplex": lambda: pw.make_env("simplex"),
    "B3:8": lambda: _signed("B3", 8),
    "C3:8": lambda: _signed("C3", 8),
}

#: (env, lr) -> (P(first maximum) by Monte Carlo, runs, seed, unresolved share), ε = 0.01,
#: 2·10⁶ updates per run.
MONTE_CARLO = {
    ("simplex", 1.0): (0.34194, 100_000, 0, 0.00646),
    ("simplex", 0.5): (0.41072, 100_000, 0, 0.00026),
    ("C3:8", 1.0): (0.807, 100_000, 0, 0.0082),
    # 3.9 % of the runs still creep along a face after 2·10⁶ updates (6.5 % after 2·10⁵)
    ("B3:8", 1.0): (0.50213, 100_000, 0, 0.03894),
}


@pytest.fixture(scope="module")
def simplex():
    env = ENVS["simplex"]()
    return env, pw.local_maxima(env, basin_samples=0)


def test_the_mean_step_of_the_3d_kernel_is_lr_times_the_exact_gradient():
    # THEORY §5: Σ P G score = ∇V, so the chain's mean move is α L ∇V(θ), with ∇V from
    # the exact layer's own value route (not the chain's cells)
    for name in ("simplex", "B3:8"):
        env = ENVS[name]()
        L = env.effective_map()
        assert L.shape[0] == 3
        ys = np.array([[0.0, 0.0, 0.0], [1.2, -0.7, 0.4], [-2.0, 0.5, 3.0]])
        thetas = env.lift(ys)
        s = env.solver
        n_max = s.common_truncation(thetas, 1e-14)
        cells, logp = s.log_cell_probs(thetas, n_max)
        prob = np.exp(logp)
        dy = _displacements(env, thetas, cells, prob, lr=0.7, baseline=0.0, L=L)
        mean = np.einsum("nc,ncd->nd", prob, dy)
        for th, m in zip(thetas, mean):
            assert m == pytest.approx(0.7 * L @ env.value_grad(th), abs=1e-9)


def test_degree_two_is_exact_on_quadratics_in_three_dimensions():
    g = Grid.uniform(3, 1.0, 7)
    mesh = g.mesh()
    pts = np.random.default_rng(0).uniform(-1, 1, size=(200, 3))

    def f(p):
        return 1 + p[:, 0] * p[:, 1] - 2 * p[:, 2] ** 2 + p[:, 1] * p[:, 2] - p[:, 0]

    got = g.interpolate(f(mesh)[None, :], pts, 2)[0]
    assert got == pytest.approx(f(pts), abs=1e-12)
    # and not on a cubic: the test can fail
    cubic = mesh[:, 0] ** 3
    assert np.abs(g.interpolate(cubic[None, :], pts, 2)[0] - pts[:, 0] ** 3).max() > 1e-4


def test_theta_chain_refuses_three_dimensions_with_its_reason():
    with pytest.raises(pw.ArgumentError, match="theta_chain handles effective dimension 1 or 2"):
        pw.theta_chain(ENVS["simplex"](), 1.0, eps=0.01)


@pytest.mark.slow
def test_rows_of_the_3d_system_conserve_probability(simplex):
    env, maxima = simplex
    assert_rows_conserve_probability(env, maxima, 8.6, 9, min_prob=1e-7)


@pytest.mark.slow
def test_direct_and_iterative_solvers_agree_in_three_dimensions(simplex, capsys):
    # sparse LU of the whole 17³ system against GMRES + the V-cycle down to 9³, at every
    # node; the piped progress names the 3-D grids
    env, maxima = simplex
    kw = dict(grid=17, eps=0.01, maxima=maxima, refine=False)
    direct = chain_absorption(env, 1.0, solver="direct", progress=False, **kw)
    iterative = chain_absorption(env, 1.0, solver="iterative", progress=True, **kw)
    assert "chain: transitions on 17^3" in capsys.readouterr().err
    assert direct.levels[0].solver == "splu" and iterative.levels[0].solver == "gmres+vcycle"
    assert np.abs(direct.h - iterative.h).max() < 1e-7
    p = direct.at(np.zeros(env.theta_dim))
    assert p.sum() == pytest.approx(1.0, abs=1e-6) and np.all(p > 0)


@pytest.mark.slow
def test_memory_is_refused_before_the_3d_work(simplex):
    env, maxima = simplex
    t0 = time.perf_counter()
    with pytest.raises(pw.ResourceError, match=r"chain's systems on grids 193\^3"):
        chain_absorption(env, 1.0, grid=193, eps=0.01, maxima=maxima, progress=False)
    assert time.perf_counter() - t0 < 5.0  # the probes (~1 s each on a loaded machine)


@pytest.mark.slow
def test_ctrl_c_stops_a_3d_solve_promptly(simplex):
    env, maxima = simplex
    fired = interrupt_after(3.0)
    with pytest.raises(KeyboardInterrupt):
        chain_absorption(env, 1.0, grid=49, eps=0.01, maxima=maxima, refine=False, progress=False)
    assert time.perf_counter() - fired["t"] < 1.5


def _check(name, lr, grid):
    p_mc, n, _, unresolved = MONTE_CARLO[(name, lr)]
    env = ENVS[name]()
    res = chain_absorption(env, lr, grid=grid, eps=0.01, progress=False)
    theta0 = np.zeros(env.theta_dim)
    p = float(res.at(theta0)[0])
    err = float(res.grid_error(theta0)[0])
    se = math.sqrt(p_mc * (1 - p_mc) / n)
    assert p_mc - Z * se - err <= p <= p_mc + unresolved + Z * se + err, (p, p_mc, err, se)
    return p, err


@pytest.mark.slow
@pytest.mark.parametrize("name, lr", sorted(MONTE_CARLO))
def test_3d_chain_against_monte_carlo(name, lr):
    # a coarse grid (33³, Δ ≈ 0.54): the bound is wide and must still cover
    _, err = _check(name, lr, 33)
    assert err < 0.1


@pytest.mark.slow
def test_3d_chain_with_entropy_against_monte_carlo():
    # J_τ on the simplex at τ = 0.01: the vertex e1 and a maximum inside the face e1–e2–e3
    # (0.003, 0.997, ~0, ~0). Monte Carlo, stored: convergence_probabilities(env, lr=1,
    # n_runs=20_000, n_updates=200_000, eps=0.01, rule=RULE, maxima=maxima, seed=0)
    # -> 0.36795 at the vertex, 0.17 % unresolved.
    rule = "entropy:tau=0.01"
    env = ENVS["simplex"]()
    p_mc, n, unresolved = 0.36795, 20_000, 0.0017
    res = chain_absorption(env, 1.0, grid=33, eps=0.01, rule=rule, progress=False)
    assert [m.support for m in res.maxima] == [(0,), (0, 1, 2)]
    theta0 = np.zeros(env.theta_dim)
    p, err = float(res.at(theta0)[0]), float(res.grid_error(theta0)[0])
    se = math.sqrt(p_mc * (1 - p_mc) / n)
    assert p_mc - Z * se - err <= p <= p_mc + unresolved + Z * se + err, (p, p_mc, err, se)
