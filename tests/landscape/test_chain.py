"""The θ-chain solver (THEORY §5, §7): the worked example, the discretisation, the API."""

import json
import math
import time

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.landscape.chain import chain_absorption, effective_map, lift
from pgweyl.landscape.chain.grid import Grid
from pgweyl.landscape.chain.transitions import _displacements, assemble
from tests.landscape.conftest import assert_rows_conserve_probability, interrupt_after


@pytest.fixture(scope="module")
def corridor_result():
    env = pw.make_env("corridor")
    return env, chain_absorption(env, lr=1.0, grid=2001, refine=True, progress=False)


def test_worked_example_of_theory(corridor_result):
    # THEORY §7: corridor level 8, trap at 2 (r = 0.5), treasure at 6 (r = 1), γ = 0.95,
    # B = 1, no baseline, θ0 = 0, α = 1, absorb at |θ1 − θ2| ≥ 8: P(treasure) ≈ 0.371.
    env, res = corridor_result
    assert [m.support for m in res.maxima] == [(0,), (1,)]  # treasure (up) first
    assert res.maxima[0].value == pytest.approx(0.95**5)
    assert res.eps == pytest.approx(1 / (1 + math.exp(8)))
    p = res.at([0.0, 0.0])
    assert p[0] == pytest.approx(0.371, abs=0.005)
    assert p.sum() == pytest.approx(1.0, abs=1e-6)
    assert res.at([0.0, 0.0], env) == pytest.approx(p, abs=0)  # env is accepted, not needed


def test_refinement_report(corridor_result):
    _, res = corridor_result
    ref = res.refinement
    # refinement solves the requested grid and grids of spacing 2Δ and 4Δ
    assert ref["grid"] == 2001 and ref["coarse_grid"] == 1001 and ref["grids"] == [2001, 1001, 501]
    assert ref["max_abs_difference"] < 0.005
    assert res.residual < 1e-10 and res.leak < 1e-9
    # 1-D: the three grids agree to 1e-4, but all are coarser than the last quiet step
    # into the balls (δ ≈ 9.3 ε at the treasure, 1.9 ε at the trap): the bound carries
    # the staircase term, half the non-quiet probability at the balls' edges (6ε + 2ε)/2
    a = res.levels_at([0.0, 0.0])
    assert np.all(np.abs(a[0] - a[1]) < 1e-4)
    assert res.staircase == pytest.approx(4 * res.eps, rel=1e-3)
    assert np.all(res.grid_error([0.0, 0.0]) < 1.5e-3)
    assert res.error_report([0.0, 0.0])["staircase"] == res.staircase


def test_absorption_is_monotone_and_bounded(corridor_result):
    _, res = corridor_result
    h_treasure = res.h[0]
    assert np.all(np.diff(h_treasure) >= -1e-9)  # more θ toward "up", more treasure
    assert h_treasure[0] == 0.0 and h_treasure[-1] == 1.0  # absorbing ends
    assert np.all((res.h >= -1e-9) & (res.h <= 1 + 1e-9))
    assert np.allclose(res.h.sum(axis=0), 1.0, atol=1e-6)


def test_the_same_chain_in_the_logit_parametrization():
    # THEORY §7: α = 1 on θ ∈ R^2 equals α = 0.5 on the 1-D logit t with π(up) = σ(2t);
    # our effective coordinate is y = θ1 − θ2 = 2t, and the chain does not depend on the
    # split of y between θ1 and θ2.
    env = pw.make_env("corridor")
    L = effective_map(env)
    assert L.tolist() == [[1.0, -1.0]]
    assert env.policy(lift(env, np.array([0.7])))[0] == pytest.approx(1 / (1 + math.exp(-0.7)))
    res = chain_absorption(env, lr=1.0, grid=801, refine=False, progress=False)
    assert res.at([0.35, 0.0]) == pytest.approx(res.at([0.0, -0.35]), abs=1e-12)
    assert res.at([0.35, 0.0]) == pytest.approx(res.at_effective([0.35]), abs=0)


@pytest.mark.parametrize("name", ["triangle", "triangle-signed"])
def test_two_dimensional_chain_small_grid(name):
    env = pw.make_env(name)
    res = chain_absorption(env, lr=1.0, grid=41, refine=False, progress=False)
    p = res.at(np.zeros(env.theta_dim))
    assert len(p) == len(res.maxima) >= 2
    assert np.all(p >= -1e-6) and p.sum() == pytest.approx(1.0, abs=1e-6)
    assert res.residual < 1e-10


def test_direct_and_iterative_solvers_agree(triangle):
    # Two routes to the same linear system: sparse LU, and GMRES preconditioned by the
    # multigrid V-cycle (multilinear operators, Gauss–Seidel). They must agree to the
    # solver tolerance at every node, not just at θ0.
    env, maxima = triangle
    kw = dict(grid=65, eps=0.01, maxima=maxima, refine=False, progress=False)
    direct = chain_absorption(env, 1.0, solver="direct", **kw)
    iterative = chain_absorption(env, 1.0, solver="iterative", **kw)
    assert direct.levels[0].solver == "splu" and iterative.levels[0].solver == "gmres+vcycle"
    assert iterative.levels[0].iterations > 0
    # GMRES stops at ‖r‖₂ ≤ 1e−11; E[updates] ~ 3000 in the e3 corner amplifies that
    assert np.abs(direct.h - iterative.h).max() < 1e-7


def test_mean_step_of_the_kernel_is_lr_times_the_exact_gradient(triangle):
    # The chain's transitions come from the exact layer's cells; their mean move must be
    # α L ∇V(θ) (THEORY §5: Σ P G score = ∇V; a baseline adds α β E[score] = 0), with
    # ∇V from ExactSolver's own value route, not from the chain.
    env, maxima = triangle
    L = env.effective_map()
    thetas = env.lift(np.array([[0.0, 0.0], [1.2, -0.7], [-2.0, 0.5]]))
    s = env.solver
    n_max = s.common_truncation(thetas, 1e-14)
    cells, logp = s.log_cell_probs(thetas, n_max)
    prob = np.exp(logp)
    for beta in (0.0, 0.3):
        dy = _displacements(env, thetas, cells, prob, lr=0.7, baseline=beta, L=L)
        mean = np.einsum("nc,ncd->nd", prob, dy)
        for th, m in zip(thetas, mean):
            assert m == pytest.approx(0.7 * L @ env.value_grad(th), abs=1e-9)


def test_rows_of_the_system_conserve_probability(triangle):
    env, maxima = triangle
    assert_rows_conserve_probability(env, maxima, 8.6, 33, min_prob=1e-8)


def test_a_small_budget_shrinks_the_chunk_not_the_answer(triangle, monkeypatch):
    """The nodes assembled at once are capped by the memory budget (a long value
    distribution must not allocate gigabytes per chunk); rows are independent, so the
    system is the same matrix whatever the chunk. One node that alone exceeds the
    budget is refused before allocating."""
    from pgweyl import config
    from pgweyl.landscape.chain import transitions

    env, maxima = triangle
    grid = Grid.uniform(2, 8.6, 17)
    kw = dict(eps=0.01, lr=1.0, baseline=0.0, L=env.effective_map(), order=2, band=3)
    kw |= dict(tol=1e-12, min_prob=1e-8, chunk=512, linear=False)
    full = assemble(env, grid, maxima, **kw)
    n_cells = len(env.solver.cells(full.n_max).n)
    per_node = n_cells * transitions.cell_bytes(env)
    monkeypatch.setattr(config, "MEMORY_BUDGET", 6 * per_node)  # 3 nodes per chunk
    assert transitions.nodes_per_chunk(env, n_cells, 512) == 3
    seen = []
    small = assemble(env, grid, maxima, **kw, on_chunk=seen.append)
    assert max(seen) == 3 and sum(seen) == len(full.unknown)
    assert (small.A != full.A).nnz == 0 and np.array_equal(small.b, full.b)
    monkeypatch.setattr(config, "MEMORY_BUDGET", per_node)
    with pytest.raises(pw.ResourceError, match="one node of the chain's transitions"):
        transitions.nodes_per_chunk(env, n_cells, 512)


def test_degree_two_is_exact_on_quadratics():
    g = Grid.uniform(2, 1.0, 9)
    mesh = g.mesh()
    pts = np.random.default_rng(0).uniform(-1, 1, size=(200, 2))
    for f in (lambda x, y: 1 + 0 * x, lambda x, y: x * y - y * y, lambda x, y: 3 * x * x - y):
        vals = f(mesh[:, 0], mesh[:, 1])
        got = g.interpolate(vals[None, :], pts, 2)[0]
        assert got == pytest.approx(f(pts[:, 0], pts[:, 1]), abs=1e-12)


def test_result_api(triangle):
    env, maxima = triangle
    res = chain_absorption(env, 1.0, grid=41, eps=0.01, maxima=maxima, progress=False)
    theta = np.array([0.3, -0.2, 0.5])  # env coordinates; y = Lθ = (−0.2, −0.7)
    assert res.at(theta) == pytest.approx(res.at_effective(env.effective_map() @ theta))
    assert res.at(theta) == pytest.approx(res.at(theta + 4.0))  # the gauge direction
    assert res.coarse_at(theta) == pytest.approx(res.levels_at(theta)[1])
    assert res.coarse_axes[0].size == 21 and res.coarse_h.shape == (2, 21, 21)
    assert res.levels[0].label.shape == (41, 41)
    # a point inside an absorbing region answers e_j exactly
    deep = np.array([20.0, 0.0, 0.0])
    assert res.at(deep).tolist() == [1.0, 0.0]
    rep = res.error_report(theta)
    assert rep["estimate"] in ("richardson", "grid difference") and len(rep["answers"]) == 3
    assert np.all(res.grid_error(theta) >= np.abs(res.at(theta) - res.coarse_at(theta)))
    d = json.loads(json.dumps(res.to_dict(values=True)))
    assert d["lr"] == 1.0 and len(d["levels"]) == 3 and d["refinement"]["grid"] == 41
    assert np.array(d["levels"][0]["h"]) == pytest.approx(res.h)
    assert "h" not in res.to_dict()["levels"][0] and len(res.to_dict()["axes"][0]) == 41
    text = repr(res)
    assert "41×41" in text and "estimate='finest grid'" in text
    with pytest.raises(pw.DimensionError):
        res.at([0.0, 0.0])  # θ has theta_dim = 3 entries
    assert not any(isinstance(v, pw.AlcoveWalkEnv) for v in vars(res).values())


def test_no_refinement_means_no_error_estimate(triangle):
    env, maxima = triangle
    res = chain_absorption(env, 1.0, grid=21, eps=0.01, maxima=maxima, refine=False, progress=False)
    assert res.refinement is None and res.coarse_h is None
    with pytest.raises(pw.ArgumentError, match="refine"):
        res.grid_error(np.zeros(3))


def test_progress_lines_when_piped(triangle, capsys):
    env, maxima = triangle
    chain_absorption(env, 1.0, grid=33, eps=0.01, maxima=maxima, progress=True)
    err = capsys.readouterr().err
    assert "chain: transitions on 33^2" in err and "chain: LU on 9^2" in err
    chain_absorption(env, 1.0, grid=33, eps=0.01, maxima=maxima, progress=False)
    assert capsys.readouterr().err == ""


def test_memory_is_refused_before_the_work(triangle):
    env, maxima = triangle
    t0 = time.perf_counter()
    with pytest.raises(pw.ResourceError, match="chain's systems"):
        chain_absorption(env, 1.0, grid=4001, eps=0.01, maxima=maxima, progress=False)
    assert time.perf_counter() - t0 < 1.0


def test_ctrl_c_stops_a_long_solve_promptly(triangle):
    env, maxima = triangle
    chain_absorption(env, 1.0, grid=65, eps=0.01, maxima=maxima, progress=False)  # compile
    fired = interrupt_after(1.5)
    with pytest.raises(KeyboardInterrupt):
        chain_absorption(env, 1.0, grid=257, eps=0.01, maxima=maxima, refine=False, progress=False)
    assert time.perf_counter() - fired["t"] < 1.0


def test_bad_arguments():
    env = pw.make_env("corridor")
    with pytest.raises(pw.ArgumentError, match="lr must be"):
        chain_absorption(env, lr=0.0)
    with pytest.raises(pw.ArgumentError, match="eps must be"):
        chain_absorption(env, lr=1.0, eps=0.7)
    with pytest.raises(pw.ArgumentError, match="natural rule in effective dimension 3"):
        chain_absorption(pw.make_env("simplex"), lr=1.0, rule="natural")
    with pytest.raises(pw.ArgumentError, match="policy 'exp'"):
        chain_absorption(pw.make_env("triangle", policy="softmax"), lr=1.0)
    with pytest.raises(pw.ArgumentError, match="grid must be >= 9"):
        chain_absorption(env, lr=1.0, grid=8)  # 8, 4, 2 nodes: no room for a stencil
    with pytest.raises(pw.ArgumentError, match="order"):
        chain_absorption(env, lr=1.0, order=4)
    with pytest.raises(pw.ArgumentError, match="solver"):
        chain_absorption(env, lr=1.0, solver="amg")
    with pytest.raises(pw.ArgumentError, match="bounds"):
        chain_absorption(env, lr=1.0, bounds=(1.0, -1.0))
    with pytest.raises(pw.ArgumentError, match="refine"):
        chain_absorption(env, lr=1.0, refine="yes")
