"""The natural-gradient θ-chain in effective dimension 2 (chain/compact.py).

Independent routes:

- the face coordinates against the policy itself (:meth:`AlcoveWalkEnv.policies`, no
  code shared with the map): z₁, z₂ are the log-ratios the module docstring names;
- the error bound against a much finer solve (the bound must bound);
- the absorption probabilities against pgweyl's Numba REINFORCE under the natural rule.
  Null hypothesis: the Monte Carlo share of runs at a maximum is a binomial proportion
  whose mean is the chain's answer; accepted within 4 standard errors plus the chain's
  ``grid_error``. Seeds are fixed. Runs that end stuck at a vertex that is no maximum
  are Monte Carlo's unresolved share and the chain's 1 − Σ_j h_j.
"""

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.errors import ArgumentError
from pgweyl.landscape.chain import chain_absorption, chain_refusal
from pgweyl.landscape.chain.compact import Z_SIDE, CompactChainResult, FaceCoordinates
from pgweyl.landscape.chain.markov import theta_chain

ENVS = ["triangle", "triangle-signed"]


def _z_from_policy(kind, pi):
    """The face logits from π (module docstring of chain/compact.py)."""
    if kind == "unit":
        return np.stack([np.log(pi[:, 0] / pi[:, 1]), np.log(pi[:, 2] / (pi[:, 0] + pi[:, 1]))], 1)
    # signed: π(±e_i) ∝ e^{±θ_i}, so θ_i = ½ log(π(+e_i)/π(−e_i))
    t1 = 0.5 * np.log(pi[:, 0] / pi[:, 1])
    t2 = 0.5 * np.log(pi[:, 2] / pi[:, 3])
    return np.stack([t1 + t2, t1 - t2], 1)


@pytest.mark.parametrize("name", ENVS)
def test_face_coordinates_are_the_log_ratios_of_the_policy(name):
    env = pw.make_env(name)
    c = FaceCoordinates.of(env)
    rng = np.random.default_rng(3)
    y = rng.normal(scale=3.0, size=(200, 2))
    pi = env.policies(env.lift(y))
    z = c.z_of_y(y)
    assert np.abs(z - _z_from_policy(c.kind, pi)).max() <= 1e-11
    # and back: u → y → u
    u = c.u_of_y(y)
    assert np.abs(c.y_of_u(u) - y).max() <= 1e-9
    assert np.abs(u).max() < 1.0


def test_sides_of_the_box_are_the_faces():
    tri = FaceCoordinates.of(pw.make_env("triangle"))
    env = pw.make_env("triangle")
    pol = lambda u: env.policies(env.lift(tri.y_of_u(np.array(u, dtype=float))))  # noqa: E731
    off = np.exp(-Z_SIDE + 1)
    # u₂ = −1: the edge {e1, e2} (π₃ ≈ 0); u₁ = 1: the edge {e1, e3}; u₂ = 1: the vertex e3
    assert pol([[0.3, -1.0]])[0, 2] < off
    assert pol([[1.0, 0.2]])[0, 1] < off
    p = pol([[-0.4, 1.0], [0.7, 1.0]])
    assert (p[:, 0] + p[:, 1] < off).all()
    # corners: vertices e1 (1, −1) and e2 (−1, −1)
    p = pol([[1.0, -1.0], [-1.0, -1.0]])
    assert p[0, 0] > 1 - 1e-12 and p[1, 1] > 1 - 1e-12


def test_refusals_and_what_takes_the_chain():
    tri = pw.make_env("triangle")
    assert chain_refusal(tri, "natural") is None
    assert chain_refusal(pw.make_env("triangle-signed"), "natural") is None
    assert "effective dimension" in chain_refusal(pw.make_env("simplex"), "natural")
    with pytest.raises(ArgumentError, match="theta_chain takes the natural rule"):
        theta_chain(tri, 1.0, rule="natural")
    with pytest.raises(ArgumentError, match="bounds do not apply"):
        chain_absorption(tri, 1.0, rule="natural", bounds=(-3.0, 3.0))
    # the vanilla chain keeps its y-grid (same grids as before)
    res = chain_absorption(tri, 1.0, grid=17, eps=0.01, progress=False, refine=False)
    assert not isinstance(res, CompactChainResult)


@pytest.fixture(scope="module")
def tri_41():
    env = pw.make_env("triangle")
    return env, chain_absorption(env, 1.0, grid=41, eps=0.01, rule="natural", progress=False)


def test_result_is_compact_and_reports_the_stuck_share(tri_41):
    env, res = tri_41
    assert isinstance(res, CompactChainResult)
    th = np.zeros(3)
    h = res.at(th)
    rep = res.error_report(th)
    assert 0.0 <= rep["stuck_error"] < 1e-6
    assert rep["stuck"] == pytest.approx(1.0 - h.sum())
    d = res.to_dict()
    assert d["coordinates"]["kind"] == "unit" and d["stuck_error"] == res.stuck_error
    # a start inside an absorbing region answers e_j exactly
    assert np.array_equal(res.at([20.0, 0.0, -20.0]), [1.0, 0.0])


def test_the_sink_can_matter(tri_41):
    # the stuck share is no rounding: from deep in the vertex e3 (no maximum) the chain
    # is stuck almost surely, from the uniform policy with a probability of ~0.1
    env, res = tri_41
    assert res.at([-12.0, -12.0, 12.0]).sum() < 1e-3
    assert 0.05 < 1.0 - res.at(np.zeros(3)).sum() < 0.3


@pytest.mark.slow
@pytest.mark.parametrize("name", ENVS)
def test_the_bound_covers_a_much_finer_solve(name):
    env = pw.make_env(name)
    th = np.zeros(env.theta_dim)
    coarse = chain_absorption(env, 1.0, grid=41, eps=0.01, rule="natural", progress=False)
    fine = chain_absorption(
        env, 1.0, grid=321, eps=0.01, rule="natural", progress=False, refine=False
    )
    diff = np.abs(coarse.at(th) - fine.at(th))
    assert (diff <= coarse.grid_error(th)).all(), (diff, coarse.grid_error(th))
    assert not coarse.bound_capped(th)


# (env, lr): Monte Carlo under the natural rule against the chain. Here 3·10⁴ runs and a
# 101² grid (CI's slow step); the cases at full size — 10⁵ runs, the default 201² grid —
# are benchmarks/bench_natural2d.py, whose numbers docs/performance.md gives.
MC_CASES = [(name, lr) for name in ENVS for lr in (0.25, 0.5, 1.0)]
MC_RUNS = 30_000
MC_GRID = 101


@pytest.mark.slow
@pytest.mark.parametrize(("name", "lr"), MC_CASES)
def test_chain_agrees_with_monte_carlo(name, lr):
    env = pw.make_env(name)
    th = np.zeros(env.theta_dim)
    res = chain_absorption(env, lr, grid=MC_GRID, eps=0.01, rule="natural", progress=False)
    n = MC_RUNS
    # 5000 updates: natural runs enter a ball within tens of updates or are stuck at a
    # vertex that is no maximum, where each update deepens them by O(α) in z (escape
    # from past depth 30 has probability < 1e−12); the default 200 000 would spend
    # nearly all the time on the stuck runs
    mc = pw.convergence_probabilities(
        env, lr=lr, n_runs=n, n_updates=5000, rule="natural", eps=0.01, seed=11,
        progress=False,
    )  # fmt: skip
    p_mc = np.asarray(mc.probabilities)
    p = res.at(th)
    band = 4.0 * np.sqrt(np.maximum(p * (1 - p), 1e-12) / n) + res.grid_error(th)
    assert (np.abs(p_mc - p) <= band).all(), (p, p_mc, band)
    stuck = 1.0 - p.sum()
    band_stuck = 4.0 * np.sqrt(max(stuck * (1 - stuck), 1e-12) / n) + res.grid_error(th).sum()
    assert abs(mc.unresolved - stuck) <= band_stuck, (stuck, mc.unresolved)


def test_basin_figure_of_the_compact_chain_is_drawn_in_y(tri_41):
    from pgweyl.plot.data import basin_data

    env, res = tri_41
    d = basin_data(res, env=env)
    assert d.axes[0][0] < -4.0 and d.axes[0][-1] > 4.0  # a box in y, not u ∈ [−1, 1]
    i = len(d.axes[0]) // 2  # y = 0
    assert np.allclose(d.h[:, i, i], res.at(np.zeros(3)), atol=1e-12)
