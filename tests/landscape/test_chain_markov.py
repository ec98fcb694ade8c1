"""The θ-chain as a Markov chain (pgweyl.landscape.chain.markov): its kernel against a
construction by hand from the integer first-passage table, law_after / absorbed_by
against explicit matrix–vector products, mean_updates against the forward sum of
survival probabilities, and (slow) absorbed_by / mean_updates against Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.landscape.chain.markov import ThetaChain, theta_chain

SIGMA8 = 1.0 / (1.0 + math.exp(8.0))


@pytest.fixture(scope="module")
def corridor():
    return pw.make_env("corridor")


@pytest.fixture(scope="module")
def maxima(corridor):
    return pw.local_maxima(corridor, basin_samples=0)


@pytest.fixture(scope="module")
def small(corridor, maxima):
    """A small order-1 chain on the corridor (every cell kept: min_prob 0)."""
    return theta_chain(corridor, 1.0, grid=65, order=1, maxima=maxima, min_prob=0.0)


@pytest.fixture(scope="module")
def small2(corridor, maxima):
    """The same grid with the solver's degree-2 stencils."""
    return theta_chain(corridor, 1.0, grid=65, order=2, maxima=maxima)


def test_rows_sum_to_one(small, small2):
    for chain in (small, small2):
        for level in range(len(chain.levels)):
            K = chain.level_kernel(level)
            rows = np.asarray(K.sum(axis=1)).ravel()
            assert np.abs(rows - 1.0).max() < 1e-12
            k = len(chain.maxima)
            tail = K[-k:].toarray()
            assert np.array_equal(tail[:, -k:], np.eye(k))  # absorbing states stay
            assert not tail[:, :-k].any()
    # order 1 is a stochastic matrix; degree 2 has negative Lagrange weights
    assert small.kernel.data.min() >= 0.0
    assert small2.kernel.data.min() < 0.0
    # degree 2: a landing point a node or more away puts the origin at the far end of
    # its stencil, so P_ii itself can be negative (and must be kept for the row sums)
    assert small2.kernel.diagonal().min() < -1e-3


def _weights_by_hand(axis, yc, order):
    """(nodes, weights) of degree-``order`` Lagrange interpolation at yc on ``axis``
    (1 or 2; the stencil rule of pgweyl.landscape.chain.grid, written out again)."""
    h = axis[1] - axis[0]
    u = (yc - axis[0]) / h
    if order == 1:
        i = min(int(math.floor(u)), len(axis) - 2)
        return [i, i + 1], [1.0 - (u - i), u - i]
    i0 = min(max(int(np.rint(u)) - 1, 0), len(axis) - 3)
    t = u - i0
    w = [(t - 1) * (t - 2) / 2, -t * (t - 2), t * (t - 1) / 2]
    return [i0, i0 + 1, i0 + 2], w


def _row_by_hand(env, maxima, chain, y, n_max=400):
    """The kernel's row at node y built from the exact integer table F (not the solver's
    log-probabilities): P(b, n) = F_n(λ, b) e^{(θ, b−λ) − n A(θ)}, Δθ = α G (b − λ −
    n ∇A), the landing label by total variation, Lagrange weights of the chain's degree
    at the landing point y + Δy formed as a sum (the short steps of these nodes are far
    above ulp(y))."""
    lev = chain.levels[0]
    axis = lev.grid.axes[0]
    theta = np.array([y, 0.0])
    vec = env.steps.vectors.astype(float)
    logits = vec @ theta
    log_a = max(logits) + math.log(sum(math.exp(v - max(logits)) for v in logits))
    pi = np.exp(logits - log_a)
    grad_a = pi @ vec
    reps, F = env.first_passage_counts(n_max)
    rewards = env.rewards_at(reps)
    row = {}
    absorbed = np.zeros(len(maxima))
    for n in range(1, n_max + 1):
        for j, rep in enumerate(reps):
            count = int(F[n, j])
            if count == 0:
                continue
            b = env.full_point(rep, n)
            disp = (b - env.start).astype(float)
            p = math.exp(math.log(count) + float(theta @ disp) - n * log_a)
            ret = env.gamma ** (n - 1) * rewards[j]
            dtheta = chain.lr * ret * (disp - n * grad_a)
            y2 = y + dtheta[0] - dtheta[1]
            pol = np.exp(vec @ np.array([y2, 0.0]))
            pol /= pol.sum()
            hit = [
                i for i, m in enumerate(maxima) if 0.5 * np.abs(pol - m.policy).sum() <= chain.eps
            ]
            if hit:
                absorbed[hit[0]] += p
                continue
            yc = min(max(y2, axis[0]), axis[-1])
            for node, w in zip(*_weights_by_hand(axis, yc, chain.order)):
                if lev.pos[node] >= 0:
                    row[node] = row.get(node, 0.0) + p * w
                else:  # beyond the ghost band: its maximum's value
                    absorbed[lev.label[node]] += p * w
    return row, absorbed


@pytest.mark.parametrize("node", [10, 32, 47, 60])
def test_kernel_row_matches_construction_by_hand(corridor, maxima, small, node):
    lev = small.levels[0]
    assert lev.label[node] < 0 or lev.pos[node] >= 0
    y = float(lev.grid.axes[0][node])
    row, absorbed = _row_by_hand(corridor, maxima, small, y)
    r = lev.pos[node]
    Q = lev.Q.getrow(r).toarray().ravel()
    expected = np.zeros(lev.n_states)
    for nd, v in row.items():
        expected[lev.pos[nd]] += v
    assert np.abs(Q - expected).max() < 1e-11
    assert np.abs(lev.B[r] - absorbed).max() < 1e-11


def test_degree2_rows_match_construction_by_hand(corridor, maxima):
    """Degree 2, every cell kept: Q's diagonal (P_ii, negative where the origin is the far
    end of a stencil) and off-diagonal entries against the construction by hand."""
    chain = theta_chain(corridor, 1.0, grid=65, order=2, maxima=maxima, min_prob=0.0)
    lev = chain.levels[0]
    diag = lev.Q.diagonal()
    negative = int(np.argmin(diag))
    assert diag[negative] < -1e-3
    for r in sorted({negative, lev.pos[32], lev.pos[47]}):
        node = int(lev.unknown[r])
        row, absorbed = _row_by_hand(corridor, maxima, chain, float(lev.grid.axes[0][node]))
        expected = np.zeros(lev.n_states)
        for nd, v in row.items():
            expected[lev.pos[nd]] += v
        assert np.abs(lev.Q.getrow(r).toarray().ravel() - expected).max() < 1e-11
        assert np.abs(lev.B[r] - absorbed).max() < 1e-11


@pytest.mark.parametrize("chain_name", ["small", "small2"])
def test_law_after_equals_explicit_products(request, chain_name):
    chain: ThetaChain = request.getfixturevalue(chain_name)
    theta0 = [0.3, -0.1]
    for level in range(len(chain.levels)):
        lev = chain.levels[level]
        w, a = chain.start(theta0, level)
        explicit = {}
        for n in range(0, 76):
            explicit[n] = (w.copy(), a.copy())
            a = a + w @ lev.B
            w = lev.Q.T @ w
        ns = [0, 1, 2, 3, 7, 8, 50, 75]
        got = chain._powers(theta0, np.array(ns), level)
        for i, n in enumerate(ns):
            assert np.abs(got[0][i] - explicit[n][0]).max() < 1e-12
            assert np.abs(got[1][i] - explicit[n][1]).max() < 1e-12
    law = chain.law_after(theta0, 50)
    w, a = chain.start(theta0, 0)
    for _ in range(50):
        a = a + w @ chain.levels[0].B
        w = chain.levels[0].Q.T @ w
    w50, a50 = w, a
    assert np.abs(law.mass.ravel()[chain.levels[0].unknown] - w50).max() < 1e-12
    assert np.abs(law.absorbed - a50).max() < 1e-12
    by = chain.absorbed_by(theta0, [50, 3])
    assert np.abs(by.probabilities[0] - a50).max() < 1e-12
    assert by.n.tolist() == [50, 3]


def test_mean_updates_equals_sum_of_survival(small2):
    """E[τ] = Σ_{n≥0} P(τ > n), summed forward on the coarsest grid until the mass left
    is below 1e−13, against the LU solve of (I − Q) t = 1."""
    theta0 = [0.0, 0.0]
    got = small2.mean_updates(theta0)
    level = len(small2.levels) - 1
    lev = small2.levels[level]
    w, a = small2.start(theta0, level)
    total = 0.0
    qt = lev.Q.toarray().T  # small: dense products are quicker
    for _ in range(2_000_000):
        mass = w.sum()
        if abs(mass) < 1e-13:
            break
        total += mass
        w = qt @ w
    assert abs(mass) < 1e-13
    assert got.levels[level] == pytest.approx(total, rel=1e-9)
    assert got.error >= 2 * abs(got.levels[0] - got.levels[1])
    assert np.all(got.absorbed > 1 - 1e-8)


def test_absorbed_by_grows_to_the_solver_answer(corridor, maxima):
    chain = theta_chain(corridor, 1.0, grid=257, maxima=maxima)
    res = chain.absorbed_by([0.0, 0.0], [0, 10, 1000, 10**6])
    p = res.probabilities
    assert np.all(p[0] == 0.0)
    assert np.all(np.diff(p.sum(axis=1)) >= -1e-12)
    solver = pw.chain_absorption(corridor, 1.0, grid=257, maxima=maxima, progress=False)
    # the same transitions solved by a linear solve: absorbed_by(∞) = h(θ₀)
    assert np.abs(p[-1] - solver.at([0.0, 0.0])).max() < 1e-9
    law = chain.law_after([0.0, 0.0], 10**6)
    assert law.transient < 1e-9
    assert np.all(res.error >= res.truncation[:, None])


def test_absorbing_start_and_infinite_mean(corridor, maxima):
    chain = theta_chain(corridor, 1.0, grid=65, maxima=maxima)
    res = chain.absorbed_by([9.0, 0.0], 5)
    assert res.probabilities[0].tolist() == [1.0, 0.0]
    assert chain.mean_updates([9.0, 0.0]).value == 0.0
    # a chain that is never absorbed: no absorbing state reachable (B = 0, A = I − Q = 0)
    import dataclasses

    import scipy.sparse as sp

    levels = tuple(
        dataclasses.replace(lev, A=sp.csr_matrix(lev.A.shape), B=np.zeros_like(lev.B))
        for lev in chain.levels
    )
    stuck = dataclasses.replace(chain, levels=levels)
    m = stuck.mean_updates([0.0, 0.0])
    assert m.value == math.inf and m.error == math.inf


def test_refusals(corridor):
    with pytest.raises(pw.ArgumentError):
        theta_chain(corridor, 1.0, grid=3)
    with pytest.raises(pw.ArgumentError):
        theta_chain(corridor, -1.0)
    chain = theta_chain(corridor, 1.0, grid=33)
    with pytest.raises(pw.ArgumentError):
        chain.absorbed_by([0.0, 0.0], -1)
    with pytest.raises(pw.ArgumentError):
        chain.law_after([0.0, 0.0], [1, 2])
    with pytest.raises(pw.ArgumentError):
        theta_chain(corridor, 1.0, rule="vanilla:baseline=mean")


def test_deep_vertex_keeps_leaving_rates_below_ulp(corridor, maxima):
    """ε = 1e−17: nodes deep in a vertex leave at rates below ulp(1), so Q_ii rounds to 1.
    The squaring (carried as I − Q^m from the solver's leaving mass) and the LU of
    mean_updates (the solver's matrix itself) must keep those rates: P(absorbed by update
    2⁶²) ≫ E[updates] equals the solver's linear solve on the same grid, and
    E[updates] at a node equals the solver's (I − P) t = 1 (rows scaled by the leaving
    mass, another factorisation). Squaring Q itself gives absorbed mass 10¹⁵ here."""
    eps = 1e-17
    chain = theta_chain(corridor, 1.0, grid=129, eps=eps, maxima=maxima)
    lev = chain.levels[0]
    assert lev.A.diagonal().min() < 1e-16 and lev.Q.diagonal().max() == 1.0
    solver = pw.chain_absorption(
        corridor, 1.0, grid=129, eps=eps, maxima=maxima, refine=False, progress=False
    )
    mean = chain.mean_updates([0.0, 0.0])
    assert 1e16 < mean.value < 2.0**62 / 20  # so that 2⁶² updates absorb all but e^{−20}
    got = chain.absorbed_by([0.0, 0.0], 2**62).probabilities[0]
    assert np.abs(got - solver.at([0.0, 0.0])).max() < 1e-8
    (axis,) = solver.expected_axes
    assert len(axis) == 129 and axis[64] == 0.0  # the solver's smallest grid is this one
    assert mean.levels[0] == pytest.approx(solver.expected_updates.ravel()[64], rel=1e-9)


def test_eps_zero_is_refused_with_a_pointer_to_the_limit(corridor):
    with pytest.raises(pw.ArgumentError, match=r"chain_absorption\(env, lr, eps=0\)"):
        theta_chain(corridor, 1.0, eps=0.0, grid=33)
    with pytest.raises(pw.ArgumentError):
        theta_chain(corridor, 1.0, eps=-1e-3, grid=33)


def _mc_compare(env, chain, theta0, eps, n_runs, seed, ns, n_updates):
    """absorbed_by and mean_updates against Monte Carlo: |chain − MC| ≤ 4 SE + bound.

    Null hypothesis: the chain's P(absorbed at j by update n) and E[updates] are the
    Monte Carlo run's (REINFORCE, stopped at the first θ_k within ε) up to the chain's
    reported bound."""
    targets = np.array([m.policy for m in chain.maxima])
    flat = [m.flat for m in chain.maxima]
    mc = pw.reinforce(
        env,
        theta0,
        chain.lr,
        n_updates,
        n_runs,
        seed=seed,
        targets=targets,
        eps=eps,
        target_flat=flat,
    )
    stop, idx = mc.stopped_at, mc.target_index
    res = chain.absorbed_by(theta0, ns)
    for i, n in enumerate(ns):
        for j in range(len(chain.maxima)):
            p_mc = float(np.mean((stop >= 0) & (stop <= n) & (idx == j)))
            se = math.sqrt(max(p_mc * (1 - p_mc), 1.0 / n_runs) / n_runs)
            diff = abs(res.probabilities[i, j] - p_mc)
            assert diff <= 4 * se + res.error[i, j], (n, j, res.probabilities[i, j], p_mc)
    assert np.all(stop >= 0)  # every run absorbed: the mean stopping update is E[τ]
    mean = chain.mean_updates(theta0)
    se = float(np.std(stop)) / math.sqrt(n_runs)
    assert abs(mean.value - stop.mean()) <= 4 * se + mean.error, (mean, stop.mean(), se)


@pytest.mark.slow
def test_corridor_against_monte_carlo(corridor, maxima):
    chain = theta_chain(corridor, 1.0, eps=SIGMA8, maxima=maxima)
    _mc_compare(
        corridor, chain, [0.0, 0.0], SIGMA8, 20_000, 21, [100, 1000, 10_000, 100_000], 10**6
    )


@pytest.mark.slow
@pytest.mark.parametrize("eps", [0.01, SIGMA8])
def test_triangle_against_monte_carlo(eps):
    env = pw.make_env("triangle")
    chain = theta_chain(env, 1.0, eps=eps)
    _mc_compare(
        env,
        chain,
        np.zeros(env.theta_dim),
        eps,
        20_000,
        22,
        [100, 1000, 10_000, 100_000],
        10**6,
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"lr": 0.0},
        {"lr": float("nan")},
        {"eps": 0.7},
        {"tol": -1.0},
        {"order": 4},
        {"chunk": 0},
        {"min_prob": 1.0},
        {"bounds": (2.0, -2.0)},
        {"grid": 8},
        {"rule": "vanilla:baseline=mean"},
    ],
)
def test_chain_and_solver_refuse_the_same_settings_alike(bad):
    """theta_chain and chain_absorption check their shared settings once, in one place:
    each bad value is refused by both, with the same message (and before any maxima are
    searched: these take milliseconds)."""
    bad = dict(bad)
    env = pw.make_env(bad.pop("env", "corridor"))
    kw = {"lr": 1.0} | bad
    lr = kw.pop("lr")
    errors = []
    for build in (theta_chain, pw.chain_absorption):
        with pytest.raises((pw.ArgumentError, pw.RuleError)) as err:
            build(env, lr, **kw)
        errors.append((type(err.value), str(err.value)))
    assert errors[0] == errors[1]


def test_chain_frame_labels_and_coordinates_by_the_environment(corridor, maxima, small2):
    """The frame both chain objects share (pgweyl.landscape.chain.result.ChainFrame)
    against the environment's own route: y = Lθ by env.effective_map(), and the label of
    y by env.policies(env.lift(y)) within ε of a maximum in total variation."""
    solver = pw.chain_absorption(corridor, 1.0, grid=65, maxima=maxima, progress=False)
    for chain in (small2, solver):
        assert chain.effective_map.tolist() == corridor.effective_map().tolist()
        assert (chain.gauge, chain.theta_dim) == (corridor.gauge, corridor.theta_dim)
        assert (chain.lr, chain.eps, chain.order) == (1.0, solver.eps, 2)
    rng = np.random.default_rng(7)
    theta = rng.normal(scale=6.0, size=(400, corridor.theta_dim))
    ys = theta @ corridor.effective_map().T
    p = corridor.policies(corridor.lift(ys))
    dist = np.stack([m.distances(p) for m in maxima], axis=1)
    inside = dist <= small2.eps
    expect = np.where(inside.any(axis=1), inside.argmax(axis=1), -1)
    assert 0 < (expect >= 0).sum() < len(expect)  # both kinds of points are drawn
    for chain in (small2, solver):
        assert np.array_equal(chain._labels(ys), expect)
        assert np.allclose(chain.effective(theta[0]), ys[0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("rule", ["natural", "vanilla:baseline=0.3", "entropy:tau=0.05"])
def test_any_rule_absorbed_by_infinity_is_the_solver_answer(corridor, rule):
    """The kernel is the solver's for every rule it takes: P(absorbed by update 2⁴⁰) by
    squaring equals the solver's linear solve of (I − Q) h = B on the same grid."""
    maxima = pw.local_maxima(corridor, basin_samples=0, rule=pw.parse_rule(rule))
    chain = theta_chain(corridor, 1.0, grid=129, rule=rule, maxima=maxima)
    solver = pw.chain_absorption(
        corridor, 1.0, grid=129, rule=rule, maxima=maxima, refine=False, progress=False
    )
    got = chain.absorbed_by([0.2, 0.0], 2**40).probabilities[0]
    assert np.abs(got - solver.at([0.2, 0.0])).max() < 1e-8
    assert chain.rule == str(pw.parse_rule(rule))


def test_dense_powers_refused_over_the_memory_budget(corridor, maxima, monkeypatch):
    chain = theta_chain(corridor, 1.0, grid=257, maxima=maxima)
    assert np.isfinite(chain.mean_updates([0.0, 0.0]).value)  # an LU: no dense powers
    monkeypatch.setattr(pw.config, "MEMORY_BUDGET", 1 << 20)
    with pytest.raises(pw.ResourceError, match="dense powers"):
        chain.absorbed_by([0.0, 0.0], 10)
