"""The ε → 0 limit of the θ-chain, rows without cancellation, and bounds that bound.

Independent routes: the depth walk's parameters against paths enumerated by hand; the
Lundberg root against the Lambert-W closed form of the one-kick equation; the limit and
P(ε) against a first-entry solver written here from scratch (multilinear weights on its
own grid, absorbing at |y| ≥ log((1−ε)/ε), Richardson over two spacings) that shares
nothing with pgweyl.landscape.chain but the exact cell probabilities of pgweyl.exact.
"""

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as sla

import pgweyl as pw
from pgweyl.landscape.chain import chain_absorption
from pgweyl.landscape.chain.grid import Grid
from pgweyl.landscape.chain.limit import depth_walk, lundberg_root
from pgweyl.landscape.chain.transitions import _displacements, _scores
from pgweyl.rules import parse_rule

SIGMA8 = 1.0 / (1.0 + math.exp(8.0))


@pytest.fixture(scope="module")
def corridor():
    env = pw.make_env("corridor")
    return env, pw.local_maxima(env, basin_samples=0)


@pytest.fixture(scope="module")
def limit_result(corridor):
    env, maxima = corridor
    return chain_absorption(env, 1.0, eps=0.0, maxima=maxima, progress=False)


# -- an independent first-entry solver (shares only pgweyl.exact's cell probabilities) ----


def _corridor_score_y(cells, y):
    """y-component of the score, g_up − g_down = (c_up − c_down) − n tanh(y/2), written as
    (c_up − c_down ∓ n) ± 2n σ(∓y) so that nothing cancels (c = step counts)."""
    up, down = cells.disp[:, 0], cells.disp[:, 1]
    n = cells.n.astype(float)
    diff = (up - down)[None, :]
    y = y[:, None]
    pos = (diff - n) + 2 * n / (1 + np.exp(y))  # y ≥ 0: 1 − tanh(y/2) = 2σ(−y)
    neg = (diff + n) - 2 * n / (1 + np.exp(-y))
    return np.where(y >= 0, pos, neg)


def first_entry(env, lr, half, nodes):
    """P(the chain from y = 0 first reaches y ≥ half before y ≤ −half): linear weights on
    ``nodes`` nodes over [−half, half] (the end nodes absorbing), each row written as the
    mass that leaves its node."""
    ax = np.linspace(-half, half, nodes)
    step = ax[1] - ax[0]
    inner = np.arange(1, nodes - 1)
    th = np.stack([ax[inner], np.zeros(len(inner))], axis=1)
    s = env.solver
    n_max = s.common_truncation(th, 1e-14)
    rows, cols, vals = [], [], []
    diag = np.zeros(len(inner))
    rhs = np.zeros(len(inner))
    for lo in range(0, len(inner), 2000):
        idx = inner[lo : lo + 2000]
        cells, logp = s.log_cell_probs(th[lo : lo + 2000], n_max)
        prob = np.exp(logp)
        dy = lr * cells.ret[None, :] * _corridor_score_y(cells, ax[idx])
        # drop cells below 1e−17 of the mass of the non-quiet ones (near a vertex all
        # of them are far below 1e−17 of the total, and they are all the chain does)
        rest = prob.copy()
        rest[np.arange(len(prob)), prob.argmax(axis=1)] = 0.0
        keep = prob > 1e-17 * rest.sum(axis=1, keepdims=True)
        r, c = np.nonzero(keep)
        p, d = prob[r, c], dy[r, c]
        node = idx[r]
        o = d / step
        m = np.floor(o)
        f = o - m
        land = node + m.astype(np.int64)
        up = (land >= nodes - 1) | ((land == nodes - 2) & (f > 0) & (ax[-2] + (f * step) >= half))
        down = land <= 0
        mid = ~(up | down)
        np.add.at(rhs, lo + r[up], p[up])
        np.add.at(diag, lo + r[up | down], p[up | down])
        r, p, land, f, node, o = r[mid], p[mid], land[mid], f[mid], node[mid], o[mid]
        # just below the node (m = −1) the weight on the node below is −o, not 1 − f
        # (f = 1 + o rounds to 1 once |o| < ulp(1))
        w_lo, w_hi = np.where(land + 1 == node, -o, 1.0 - f), np.where(land + 1 == node, 1.0 + o, f)
        # the mass leaving the node: f when it lands just above it, −o just below
        leave = np.where(land == node, f, np.where(land + 1 == node, -o, 1.0))
        np.add.at(diag, lo + r, p * leave)
        for target, w in ((land, w_lo), (land + 1, w_hi)):
            off = target != node
            end = target == nodes - 1
            np.add.at(rhs, lo + r[off & end], (p * w)[off & end])
            ok = off & ~end & (target >= 1)
            rows.append(lo + r[ok])
            cols.append(target[ok] - 1)
            vals.append(-(p * w)[ok])
    A = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(inner), len(inner)),
    )
    A = sp.diags(1.0 / diag) @ (A + sp.diags(diag))
    h = sla.splu(A.tocsc()).solve(rhs / diag)
    return float(np.interp(0.0, ax[inner], h))


def independent(env, lr, eps, spacing=0.008):
    """Richardson (first order) over spacings ≈ Δ and Δ/2: (estimate, error estimate)."""
    half = math.log((1 - eps) / eps)
    n = int(math.ceil(2 * half / spacing)) + 1
    a, b = (first_entry(env, lr, half, m) for m in (n, 2 * n - 1))
    return 2 * b - a, abs(b - a)


# -- the depth walk ----------------------------------------------------------------------


def _paths(level_up, level_down, n):
    """Words of n steps (+1/−1) from 0 that first reach +level_up at step n, never
    touching −level_down."""
    out = []
    for w in itertools.product((1, -1), repeat=n):
        x = 0
        for i, s in enumerate(w):
            x += s
            if x <= -level_down or (x >= level_up and i < n - 1):
                break
        else:
            if x == level_up:
                out.append(w)
    return out


def test_depth_walk_of_the_treasure_from_enumerated_paths(corridor):
    # Treasure at distance 6, trap at 2, γ = 0.95: the quiet episode is 6 up-steps
    # (T = 6, G = γ^5) with y-score 2·6·q; the rare ones have one down-step, T = 8,
    # G = γ^7, y-score −2 (to O(q)), one per admissible position of the down-step.
    env, maxima = corridor
    g = 0.95
    rare = _paths(6, 2, 8)
    assert all(sum(1 for s in w if s < 0) == 1 for w in rare)
    for lr in (0.5, 2.0):
        w = depth_walk(
            env, maxima, 0, lr=lr, baseline=0.0, rule=parse_rule("vanilla"), L=env.effective_map()
        )
        assert w.side == 1
        assert w.push == pytest.approx(lr * g**5 * 12, rel=1e-12)
        assert w.hazard == pytest.approx(len(rare), rel=1e-9)
        assert w.kicks.tolist() == pytest.approx([2 * lr * g**7], rel=1e-12)
        assert w.rate == pytest.approx(len(rare) / (lr * g**5 * 12), rel=1e-9)
        assert w.drift > 0


def test_lundberg_root_against_lambert_w():
    # One kick D: 1 + R/ρ = e^{RD}, whose positive root is −ρ − W₋₁(−ρD e^{−ρD})/D.
    from scipy.special import lambertw

    for rho, d in ((0.646, 1.3967), (1.05, 0.857), (3.0, 0.2), (0.9, 1.1)):
        z = -rho * d * math.exp(-rho * d)
        exact = float((-rho - lambertw(z, -1) / d).real)
        assert lundberg_root(rho, [d], [1.0]) == pytest.approx(exact, rel=1e-12)
    # several kicks: the root makes the moment generating function of the step 1
    kicks, weights = np.array([0.5, 1.5, -0.2]), np.array([0.3, 0.5, 0.2])
    r = lundberg_root(1.0, kicks, weights)  # drift 1/ρ − E[D] = 1 − 0.86 > 0
    assert r > 0
    assert float(weights @ np.exp(r * kicks)) == pytest.approx(1 + r, rel=1e-12)
    assert lundberg_root(1.0, [-0.5], [1.0]) == math.inf  # no kick points outward


@pytest.mark.slow
def test_escape_decays_at_the_lundberg_rate(corridor, limit_result):
    # The chain solved on ever deeper boxes (absorbing at |y| = b, no tail used): the
    # deficit 1 − h_treasure(y) deep inside falls like e^{−R y}, R from the depth walk.
    env, maxima = corridor
    walk = next(w for w in limit_result.walks if w.maximum == 0)
    eps = math.exp(-60.0)
    res = chain_absorption(env, 1.0, eps=eps, maxima=maxima, refine=False, progress=False)
    y = np.array([14.0, 18.0, 22.0, 26.0])
    deficit = np.array([1 - res.at_effective([v])[0] for v in y])
    slopes = -np.diff(np.log(deficit)) / np.diff(y)
    assert slopes == pytest.approx(np.full(3, walk.root), rel=0.01)
    # and the first entry at ε approaches the limit at that rate (boxes b = 24, 32, 40)
    lim = limit_result.at([0.0, 0.0])[0]
    gaps = []
    for b in (24.0, 32.0, 40.0):
        r = chain_absorption(
            env, 1.0, eps=1 / (1 + math.exp(b)), maxima=maxima, refine=False, progress=False
        )
        gaps.append(r.at([0.0, 0.0])[0] - lim)
    rates = -np.log(np.array(gaps[1:]) / np.array(gaps[:-1])) / 8.0
    assert np.all(np.array(gaps) > 0)
    assert rates == pytest.approx(np.full(2, walk.root), rel=0.05)


# -- the limit and P(ε) against the independent solver ------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "knobs, lr",
    [({}, 1.0), ({"level": 10}, 0.5), ({"level": 6, "trap_distance": 3, "gamma": 0.9}, 1.0)],
)
def test_limit_agrees_with_an_independent_first_entry_solver(knobs, lr):
    env = pw.make_env("corridor", **knobs)
    res = chain_absorption(env, lr, eps=0.0, progress=False)
    walk = next(w for w in res.walks if w.maximum == 0)
    # the reference is the first entry at a depth b where what is left to escape,
    # ψ(b) ≤ C e^{−R b} (C < 1 here), is below 1e−5
    b = min(90.0, math.log(1e5) / min(w.root for w in res.walks))
    assert all(w.constant < 1 for w in res.walks)
    ref, ref_err = independent(env, lr, 1 / (1 + math.exp(b)))
    p, bound = res.at([0.0, 0.0])[0], res.grid_error([0.0, 0.0])[0]
    assert walk.root > 0
    assert abs(p - ref) < 1e-3
    assert abs(p - ref) <= bound + ref_err + 2e-5


@pytest.mark.slow
def test_first_entry_probabilities_from_1e_2_to_1e_30(corridor):
    env, maxima = corridor
    lim = chain_absorption(env, 1.0, eps=0.0, maxima=maxima, progress=False).at([0.0, 0.0])[0]
    last = 1.0
    for eps in (1e-2, 1e-3, SIGMA8, 1e-4, 1e-6, 1e-10, 1e-20, 1e-30):
        res = chain_absorption(env, 1.0, eps=eps, maxima=maxima, progress=False)
        p, bound = res.at([0.0, 0.0])[0], res.grid_error([0.0, 0.0])[0]
        ref, ref_err = independent(env, 1.0, eps)
        assert abs(p - ref) < 1e-3
        assert abs(p - ref) <= bound + ref_err
        assert lim < p < last  # first entry falls toward the limit
        last = p


def test_first_entry_values_quoted_in_issue_21(corridor):
    # P(treasure) on the worked example at ε = 1e−2, 1e−3, σ(−8), 1e−4, 1e−5, 1e−6 (the
    # solver before this change) and the limit below all of them.
    env, maxima = corridor
    quoted = {1e-2: 0.391, 1e-3: 0.377, SIGMA8: 0.371, 1e-4: 0.365, 1e-5: 0.355, 1e-6: 0.347}
    for eps, value in quoted.items():
        res = chain_absorption(env, 1.0, eps=eps, maxima=maxima, progress=False)
        assert res.at([0.0, 0.0])[0] == pytest.approx(value, abs=6e-4)


def test_the_limit_of_the_worked_example(limit_result):
    res = limit_result
    p = res.at([0.0, 0.0])
    assert res.limit and res.eps == 0.0 and len(res.walks) == 2
    assert p.sum() == pytest.approx(1.0, abs=1e-9)
    assert p[0] == pytest.approx(0.3254, abs=5e-4)  # below every first-entry value
    err = res.grid_error([0.0, 0.0])
    assert np.all(err < 1e-4)
    rep = res.error_report([0.0, 0.0])
    assert rep["eps_tail"] == 0.0 and rep["staircase"] == 0.0 and not rep["capped"]
    assert 0 < max(rep["box_error"]) < 1e-5


def test_depth_walks_in_the_result_record_every_field_as_strict_json(limit_result):
    import json
    from dataclasses import fields

    from pgweyl.landscape.chain.limit import DepthWalk

    for w, d in zip(limit_result.walks, limit_result.to_dict()["walks"]):
        assert list(d) == [f.name for f in fields(DepthWalk)]
        assert d["kicks"] == w.kicks.tolist() and d["weights"] == w.weights.tolist()
        assert (d["maximum"], d["side"], d["root"]) == (w.maximum, w.side, w.root)
    # no outward kick: R = ∞ and C = NaN, which strict JSON writes as null
    w = DepthWalk(0, 1, 0.5, 0.1, 0.2, np.array([-1.0]), np.array([1.0]), 0.4, math.inf, math.nan)
    d = w.to_dict()
    assert d["root"] is None and d["constant"] is None and d["kicks"] == [-1.0]
    json.dumps(d, allow_nan=False)


# -- precision near a vertex --------------------------------------------------------------


def test_tiny_eps_matches_the_limit_with_bounded_cost(corridor, limit_result):
    env, maxima = corridor
    lim = limit_result.at([0.0, 0.0])
    for eps in (1e-40, 1e-300):
        res = chain_absorption(env, 1.0, eps=eps, maxima=maxima, progress=False)
        assert res.levels[0].size == limit_result.levels[0].size  # the box stops growing
        p, bound = res.at([0.0, 0.0]), res.grid_error([0.0, 0.0])
        assert np.all(np.abs(p - lim) <= bound)
        assert np.all(bound < 1e-4) and np.all((p >= 0) & (p <= 1))
    # a point deep in the treasure's ball at ε = 1e−300 (y ≥ 690.8) answers e_0
    assert res.at_effective([700.0]).tolist() == [1.0, 0.0]


def test_scores_keep_the_quiet_push_far_below_ulp(corridor):
    # At y = 40 the off-vertex mass is q = σ(−40) ≈ 4e−18 < ulp(1): the quiet episode's
    # y-score 12 q must survive (the form (b − λ) − n∇A gives exactly 0).
    env, _ = corridor
    th = env.lift(np.array([[40.0], [-40.0]]))
    s = env.solver
    cells, logp = s.log_cell_probs(th, 8)
    pi = env.policies(th)
    _, score = _scores(env, pi, cells)
    q = 1 / (1 + math.exp(40.0))
    quiet_up = int(np.argmax(logp[0]))
    assert cells.n[quiet_up] == 6
    assert score[0, quiet_up] == pytest.approx([6 * q, -6 * q], rel=1e-12)
    quiet_down = int(np.argmax(logp[1]))
    assert score[1, quiet_down] == pytest.approx([-2 * q, 2 * q], rel=1e-12)
    dy = _displacements(env, th, cells, np.exp(logp), lr=1.0, baseline=0.0, L=env.effective_map())
    assert dy[0, quiet_up, 0] == pytest.approx(12 * q * 0.95**5, rel=1e-12)


def test_offset_stencil_keeps_tiny_displacements():
    g = Grid.uniform(1, 1.0, 9)  # nodes −1, −0.75, …, 1
    origin = np.array([[4], [4], [8], [0], [3], [8]])
    offset = np.array([[1e-200], [-0.3], [1e-250], [-1e-250], [2.7], [-1e-250]])
    idx, w, keep = g.offset_stencil(origin, offset, 2)
    # an ordinary offset: the same stencil as the absolute landing point
    pts = g.axes[0][origin[:, 0]] + offset[:, 0] * g.spacing
    idx2, w2 = g.stencil(pts[:, None], 2)
    assert idx[1].tolist() == idx2[1].tolist() and w[1] == pytest.approx(w2[1], abs=1e-15)
    # centred at u = 1e−200: weights (u(u−1)/2, 1 − u², u(u+1)/2); 1 − w_self = u²
    # underflows to 0, the off-node weights ±u/2 are kept (y + u·Δ would round to y)
    assert keep[0] == 0.0
    assert w[0, 0] == pytest.approx(-0.5e-200, rel=1e-12)
    assert w[0, 2] == pytest.approx(0.5e-200, rel=1e-12)
    assert keep[2] == 0.0 and keep[3] == 0.0  # beyond an end: clamped onto the end node
    assert keep[4] == 1.0  # 2.7 nodes away: the origin is not in the stencil
    # the end node, stepping back by u = 1e−250 (one-sided stencil on nodes 6, 7, 8):
    # w_self = (2 − u)(1 − u)/2, so 1 − w_self = 1.5 u − u²/2
    assert keep[5] == pytest.approx(1.5e-250, rel=1e-12)


def test_step_sizes_the_grid_cannot_resolve_are_refused(corridor):
    env, maxima = corridor
    with pytest.raises(pw.ArgumentError, match="too small for the chain's grid"):
        chain_absorption(env, 1e-300, maxima=maxima, progress=False)
    with pytest.raises(pw.ArgumentError, match="too small for the chain's grid"):
        chain_absorption(env, 1e-300, eps=0.0, maxima=maxima, progress=False)


def test_the_limit_is_refused_where_it_is_not_built(corridor):
    env, maxima = corridor
    with pytest.raises(pw.ArgumentError, match="effective dimension 1"):
        chain_absorption(pw.make_env("triangle"), 1.0, eps=0.0, grid=41, progress=False)
    with pytest.raises(pw.ArgumentError, match="entropy"):
        chain_absorption(env, 1.0, eps=0.0, rule="entropy:tau=0.1", progress=False)


@pytest.mark.slow
@pytest.mark.parametrize("level", [6, 10, 14])
@pytest.mark.parametrize("lr", [0.5, 1.0, 2.0])
def test_one_dimensional_bound_covers_a_four_times_finer_solve(level, lr):
    # Issue 21 item 4: with lr ≥ 1 the three refinement grids are all coarser than the
    # last quiet step into the balls and agreed with each other to 1e−7 while a 4× finer
    # grid moved the answer by up to 6e−5; the staircase term covers it.
    env = pw.make_env("corridor", level=level)
    maxima = pw.local_maxima(env, basin_samples=0)
    res = chain_absorption(env, lr, maxima=maxima, progress=False)
    fine = chain_absorption(
        env, lr, maxima=maxima, grid=4 * (res.levels[0].size - 1) + 1, refine=False, progress=False
    )
    t0 = [0.0, 0.0]
    diff = np.abs(res.at(t0) - fine.at(t0))
    bound = res.grid_error(t0)
    assert np.all(diff <= bound) and np.all(bound < 1e-2)


def test_beyond_the_box_the_limit_follows_the_tail(limit_result):
    res = limit_result
    walk = next(w for w in res.walks if w.maximum == 0)
    end = res.axes[0][-1]
    inside = res.at_effective([end])
    far = res.at_effective([end + 10.0])
    assert 1 - far[0] == pytest.approx((1 - inside[0]) * math.exp(-10 * walk.root), rel=1e-12)
    assert far.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.slow
def test_natural_gradient_limit_against_deeper_boxes(corridor):
    # Under the natural rule a quiet update moves y by a fixed c = α G* (F⁺ cancels the
    # O(q) score) and a rare one throws θ across the line: ψ(z) ∝ q(z), R = 1. The first
    # entry on boxes absorbing at |y| = b approaches the limit like e^{−b}.
    env, maxima = corridor
    kw = dict(maxima=maxima, rule="natural", progress=False)
    lim = chain_absorption(env, 1.0, eps=0.0, **kw)
    treasure = next(w for w in lim.walks if w.maximum == 0)
    assert treasure.root == pytest.approx(1.0, rel=1e-9)
    assert treasure.push == pytest.approx(0.95**5, rel=1e-9)  # c = α G*
    p0 = lim.at([0.0, 0.0])[0]
    gaps = [
        chain_absorption(env, 1.0, eps=1 / (1 + math.exp(b)), **kw).at([0.0, 0.0])[0] - p0
        for b in (12.0, 20.0)
    ]
    assert gaps[0] > 0 and gaps[1] > 0
    assert math.log(gaps[0] / gaps[1]) / 8.0 == pytest.approx(1.0, rel=0.05)
    assert p0 == pytest.approx(0.5301, abs=5e-4) and lim.grid_error([0.0, 0.0])[0] < 1e-4


def test_the_bound_never_exceeds_one_without_saying_so(limit_result):
    import dataclasses

    t0 = [0.0, 0.0]
    assert not limit_result.error_report(t0)["capped"]
    wide = dataclasses.replace(limit_result, staircase=3.0)  # a bound that says nothing
    assert wide.grid_error(t0).tolist() == [1.0, 1.0]
    assert wide.error_report(t0)["capped"] and wide.bound_capped(t0)
