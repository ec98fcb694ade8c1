"""env.unwrapped.exact: θ from probabilities, V of any policy, rules, forwarding."""

from __future__ import annotations

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

import pgweyl as pw  # noqa: E402
import pgweyl.gym as pg  # noqa: E402
from pgweyl.errors import ArgumentError  # noqa: E402
from pgweyl.rules import RuleError  # noqa: E402


def exact_of(env_id, **kw):
    return gym.make(env_id, **kw).unwrapped.exact


def test_exact_is_attached_and_cached():
    env = gym.make("pgweyl/Corridor-v0").unwrapped
    assert env.exact is env.exact
    assert env.exact.env is env.pgweyl_env


def test_theta_from_probs_unit_steps_gauge():
    ex = exact_of("pgweyl/Triangle-v0")
    p = np.array([0.5, 0.3, 0.2])
    theta = ex.theta_from_probs(p)
    # θ_i = log p_i − mean(log p): Σθ = 0 (the A_n gauge), written out by hand
    assert theta == pytest.approx(np.log(p) - np.log(p).mean(), abs=1e-12)
    assert ex.policy(theta) == pytest.approx(p, abs=1e-12)


def test_theta_from_probs_signed_steps():
    ex = exact_of("pgweyl/TriangleSigned-v0")
    vecs = ex.env.steps.vectors
    theta = np.array([0.4, -0.7])
    p = np.exp(vecs @ theta)
    p /= p.sum()
    assert ex.theta_from_probs(p) == pytest.approx(theta, abs=1e-10)
    # θ_i = ½ log(p(+e_i)/p(−e_i)) from the table by hand
    plus = [int(np.flatnonzero((vecs == np.eye(2)[i]).all(axis=1))[0]) for i in range(2)]
    minus = [int(np.flatnonzero((vecs == -np.eye(2)[i]).all(axis=1))[0]) for i in range(2)]
    assert theta == pytest.approx([0.5 * np.log(p[plus[i]] / p[minus[i]]) for i in range(2)])
    off = np.array([0.4, 0.1, 0.3, 0.2])  # p(+e1)p(−e1) ≠ p(+e2)p(−e2) in any order
    with pytest.raises(ArgumentError, match="not in the 'exp' family"):
        ex.theta_from_probs(off)


def test_theta_from_probs_refuses_faces_and_bad_vectors():
    ex = exact_of("pgweyl/Corridor-v0")
    with pytest.raises(ArgumentError, match="give 0 to action"):
        ex.theta_from_probs([1.0, 0.0])
    with pytest.raises(ArgumentError, match="sum to 1"):
        ex.theta_from_probs([0.5, 0.6])
    with pytest.raises(ArgumentError, match=">= 0"):
        ex.theta_from_probs([1.5, -0.5])
    with pytest.raises(pw.DimensionError):
        ex.theta_from_probs([0.2, 0.3, 0.5])


@pytest.mark.parametrize(
    "env_id, theta",
    [
        ("pgweyl/Corridor-v0", [0.3, -0.3]),
        ("pgweyl/Triangle-v0", [0.2, 0.1, -0.3]),
        ("pgweyl/TriangleSigned-v0", [0.25, -0.4]),
    ],
)
def test_value_of_policy_agrees_with_the_exp_route(env_id, theta):
    """Softmax transfer matrix (value_of_policy) against the tilted first-passage table."""
    ex = exact_of(env_id)
    assert ex.value_of_policy(ex.policy(theta)) == pytest.approx(ex.value(theta), abs=1e-10)
    assert ex.value_grad(theta) == pytest.approx(ex.env.value_grad(theta), abs=1e-14)


def test_value_of_policy_on_vertices_by_hand():
    ex = exact_of("pgweyl/Corridor-v0", level=5, trap_distance=2)  # γ = 0.95
    assert ex.value_of_policy([1.0, 0.0]) == pytest.approx(0.95**2 * 1.0, abs=1e-12)
    assert ex.value_of_policy([0.0, 1.0]) == pytest.approx(0.95 * 0.5, abs=1e-12)


def test_wall_law_sums_to_one_and_matches_distribution():
    ex = exact_of("pgweyl/Triangle-v0")
    law = ex.wall_law([0.1, 0.0, -0.1])
    assert set(law) <= {(0,), (1,), (2,), (0, 1), (0, 2), (1, 2)}
    assert sum(law.values()) == pytest.approx(1.0, abs=1e-10)


def test_local_maxima_global_and_classify():
    ex = exact_of("pgweyl/Corridor-v0", level=4, trap_distance=1)
    m = ex.local_maxima()
    assert [mm.support for mm in m] == [(0,), (1,)]
    assert ex.global_maximum.value == pytest.approx(0.95**2)  # 3 steps up to the treasure
    labels = ex.classify([[0.97, 0.03], [0.02, 0.98], [0.5, 0.5]], eps=0.05)
    assert labels.tolist() == [0, 1, -1]
    assert ex.chain_applies and exact_of("pgweyl/Simplex-v0").chain_applies  # 3-D: issue 24


def test_rules_in_one_place():
    assert pg.SUPPORTED_RULES == ("vanilla", "natural", "entropy")
    ex = exact_of("pgweyl/Corridor-v0", level=4, trap_distance=1)
    for call in (
        lambda: ex.convergence_probabilities([0, 0], 1.0, 10, 10, rule="naturel"),
        lambda: ex.chain_absorption(1.0, rule="entropy:tau=-1"),
    ):
        with pytest.raises(RuleError):
            call()


@pytest.mark.slow
def test_rules_forward_to_pgweyl():
    """A rule reaches pgweyl unchanged: the same counts and the same chain answers."""
    ex = exact_of("pgweyl/Corridor-v0", level=4, trap_distance=1)
    penv = ex.env
    for rule in ("natural", "entropy:tau=0.1", "vanilla:baseline=0.5"):
        a = ex.convergence_probabilities([0, 0], 1.0, 50, 100, seed=3, eps=0.05, rule=rule)
        mx = pw.local_maxima(penv, basin_samples=0, rule=rule)
        b = pw.convergence_probabilities(
            penv, [0, 0], 1.0, 50, 100, seed=3, eps=0.05, rule=rule, maxima=mx
        )
        assert a.counts.tolist() == b.counts.tolist()
        c = ex.chain_absorption(1.0, eps=0.05, grid=201, refine=False, rule=rule)
        d = pw.chain_absorption(penv, 1.0, eps=0.05, grid=201, refine=False, rule=rule)
        assert c.rule == d.rule == rule
        assert np.array_equal(c.at([0, 0], penv), d.at([0, 0], penv))
    with pytest.raises(RuleError, match="Markov"):
        ex.chain_absorption(1.0, rule="vanilla:baseline=mean")


def test_convergence_and_chain_forward_to_pgweyl():
    ex = exact_of("pgweyl/Corridor-v0", level=4, trap_distance=1)
    penv = ex.env
    a = ex.convergence_probabilities([0, 0], 2.0, 50, 200, seed=3, eps=0.05)
    b = pw.convergence_probabilities(penv, [0, 0], 2.0, 50, 200, seed=3, eps=0.05)
    assert a.counts.tolist() == b.counts.tolist()
    c = ex.chain_absorption(2.0, eps=0.05, grid=201, refine=False)
    d = pw.chain_absorption(penv, 2.0, eps=0.05, grid=201, refine=False)
    assert np.array_equal(c.at([0, 0], penv), d.at([0, 0], penv))
