"""The θ-chain solver (THEORY §5, §7)."""

import math

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.landscape.chain import chain_absorption, effective_map, lift


@pytest.fixture(scope="module")
def corridor_result():
    env = pw.make_env("corridor")
    return env, chain_absorption(env, lr=1.0, grid=2001, refine=True)


def test_worked_example_of_theory(corridor_result):
    # THEORY §7: corridor level 8, trap at 2 (r = 0.5), treasure at 6 (r = 1), γ = 0.95,
    # B = 1, no baseline, θ0 = 0, α = 1, absorb at |θ1 − θ2| ≥ 8: P(treasure) ≈ 0.371.
    env, res = corridor_result
    assert [m.support for m in res.maxima] == [(0,), (1,)]  # treasure (up) first
    assert res.maxima[0].value == pytest.approx(0.95**5)
    assert res.eps == pytest.approx(1 / (1 + math.exp(8)))
    p = res.at([0.0, 0.0], env)
    assert p[0] == pytest.approx(0.371, abs=0.005)
    assert p.sum() == pytest.approx(1.0, abs=1e-6)


def test_refinement_report(corridor_result):
    _, res = corridor_result
    ref = res.refinement
    # refinement solves the requested grid and grids of spacing 2Δ and 4Δ
    assert ref["grid"] == 2001 and ref["coarse_grid"] == 1001 and ref["grids"] == [2001, 1001, 501]
    assert ref["max_abs_difference"] < 0.005
    assert res.residual < 1e-10 and res.leak < 1e-9


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
    res = chain_absorption(env, lr=1.0, grid=801, refine=False)
    assert res.at([0.35, 0.0], env) == pytest.approx(res.at([0.0, -0.35], env), abs=1e-12)


@pytest.mark.parametrize("name", ["triangle", "triangle-signed"])
def test_two_dimensional_chain_small_grid(name):
    env = pw.make_env(name)
    res = chain_absorption(env, lr=1.0, grid=41, refine=False)
    p = res.at(np.zeros(env.theta_dim), env)
    assert len(p) == len(res.maxima) >= 2
    assert np.all(p >= -1e-9) and p.sum() == pytest.approx(1.0, abs=1e-6)
    assert res.residual < 1e-10


def test_bad_arguments():
    env = pw.make_env("corridor")
    with pytest.raises(pw.ArgumentError, match="lr must be"):
        chain_absorption(env, lr=0.0)
    with pytest.raises(pw.ArgumentError, match="eps must be"):
        chain_absorption(env, lr=1.0, eps=0.7)
    with pytest.raises(pw.ArgumentError, match="effective dimension"):
        chain_absorption(pw.make_env("simplex"), lr=1.0)
    with pytest.raises(pw.ArgumentError, match="policy 'exp'"):
        chain_absorption(pw.make_env("triangle", policy="softmax"), lr=1.0)
