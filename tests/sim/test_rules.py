"""Update rules (issue 13): the natural gradient and the entropy bonus, one update at a
time against the exact law, and the rule specs.

The exact law of one update comes from the brute-force DP over step-count vectors of
tests/sim/naive_walk.py (never from pgweyl): with T, b and the score g of every cell, the
Fisher matrix is F = E[T] · Cov_π(S) (E[T] = Σ P T from the same law, Cov from π and the
steps), and the entropy gradient −Σ_s π_s log π_s ∂ log π_s/∂θ is written out here.
"""

from __future__ import annotations

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.rules import RuleError, expected_update, parse_rule
from pgweyl.sim import reinforce
from tests.sim import naive_walk
from tests.sim.helpers import CASES, env_desc

Z_MAX = 4.5  # |z| ≤ 4.5: a false alarm per comparison has probability ≈ 7e-6


def dp_law(env, theta):
    """(P, G, g, T) of every cell of the exact law at θ (tail < 1e-15)."""
    d = env_desc(env)
    probs = np.array(naive_walk.policy_probs(d["kind"], d["steps"], theta))
    inside = naive_walk.make_interior(d["name"], d["level"])
    law, tail = naive_walk.exit_law_counts(d["start"], d["steps"], probs, inside, tol=1e-15)
    assert tail < 1e-14
    S = np.array(d["steps"], dtype=float)
    lam = np.array(d["start"], dtype=float)
    P, G, g, T = [], [], [], []
    for counts, pr in law.items():
        c = np.array(counts, dtype=float)
        t = c.sum()
        b = lam + c @ S
        G.append(
            naive_walk.episode_return(
                d["reward"](tuple(int(v) for v in b)), int(t), d["gamma"], d["cost"]
            )
        )
        g.append((b - lam) - t * (probs @ S) if d["kind"] == "exp" else c - t * probs)
        P.append(pr)
        T.append(t)
    return np.array(P), np.array(G), np.array(g), np.array(T), probs, S, d["kind"]


def fisher_by_hand(P, T, probs, S, kind):
    if kind == "exp":
        c = S - probs @ S
        cov = (probs[:, None] * c).T @ c
    else:
        cov = np.diag(probs) - np.outer(probs, probs)
    return (P @ T) * cov


def entropy_grad_by_hand(probs, S, kind):
    """−Σ_s π_s log π_s ∂ log π_s/∂θ with ∂ log π_s/∂θ = s − E_π[s] (exp) or e_s − π."""
    score = S - probs @ S if kind == "exp" else np.eye(len(probs)) - probs
    return -(probs * np.log(probs)) @ score


def check_one_update(env, theta, lr, rule, n=60_000, seed=11):
    """H0: the increments θ_1 − θ_0 of independent runs are i.i.d. draws of the exact law
    of one update under ``rule``; each component of the sample mean lies within 4.5
    exact standard errors of the exact mean."""
    P, G, g, T, probs, S, kind = dp_law(env, theta)
    cells = G[:, None] * g
    rule = parse_rule(rule)
    if rule.kind == "natural":
        cells = cells @ np.linalg.pinv(fisher_by_hand(P, T, probs, S, kind), hermitian=True).T
    elif rule.kind == "entropy":
        cells = cells + rule.tau * entropy_grad_by_hand(probs, S, kind)
    cells = lr * cells
    mu = P @ cells
    var = P @ (cells - mu) ** 2
    res = reinforce(env, theta, lr, 1, n, rule=rule, seed=seed)
    delta = res.final_theta - np.asarray(theta)
    z = (delta.mean(axis=0) - mu) / np.sqrt(np.maximum(var, 1e-300) / n)
    assert np.all(np.abs(z) <= Z_MAX), z
    return mu


RULE_CASES = [
    (CASES[0][0], CASES[0][1], CASES[0][2]),  # corridor, exp
    (CASES[2][0], CASES[2][1], CASES[2][2]),  # triangle-signed, exp (no gauge)
    (CASES[3][0], CASES[3][1], CASES[3][2]),  # B2 softmax
]


@pytest.mark.parametrize("name, make, theta", RULE_CASES, ids=[c[0] for c in RULE_CASES])
@pytest.mark.parametrize("rule", ["natural", "entropy:tau=0.05"])
def test_one_update_mean_is_the_rules_exact_field(name, make, theta, rule):
    env = make()
    mu = check_one_update(env, theta, 0.5, rule)
    # The public exact mean update agrees with the DP law (engine vs brute force).
    np.testing.assert_allclose(expected_update(env, theta, rule, lr=0.5), mu, atol=1e-9)


def test_vanilla_rule_is_todays_reinforce_bit_for_bit():
    env = pw.make_env("triangle")
    a = reinforce(env, (0.1, 0.0, -0.1), 0.7, 50, 64, seed=3, baseline="mean")
    b = reinforce(env, (0.1, 0.0, -0.1), 0.7, 50, 64, seed=3, rule="vanilla:baseline=mean")
    assert np.array_equal(a.final_theta, b.final_theta)
    assert b.settings["rule"] == "vanilla:baseline=mean"
    again = b.rerun()
    assert np.array_equal(again.final_theta, b.final_theta)


def test_natural_gradient_gets_no_step_along_the_gauge():
    env = pw.make_env("triangle")
    res = reinforce(env, (0.3, -0.2, 0.1), 0.5, 20, 200, rule="natural", seed=5)
    drift = res.final_theta.sum(axis=1) - 0.2  # Σθ only moves along the gauge
    assert np.abs(drift).max() < 1e-9


@pytest.mark.parametrize(
    "spec, message",
    [
        ("sgd", "unknown update rule 'sgd'; expected one of vanilla, natural, entropy"),
        ("entropy", "entropy needs its weight"),
        ("entropy:tau=-1", "tau must be > 0"),
        ("natural:tau=0.1", "unknown option 'tau'; natural takes baseline, schedule"),
        ("vanilla:baseline=median", "unknown baseline 'median'"),
        ("vanilla:baseline", "malformed option 'baseline'"),
        ("vanilla:schedule=cosine", "unknown schedule 'cosine'"),
        ("entropy:tau=1,tau=2", "option 'tau' is given twice"),
    ],
)
def test_bad_rule_specs_are_refused_in_one_line(spec, message):
    with pytest.raises(RuleError, match=message.replace("(", r"\(")):
        parse_rule(spec)


def test_contradicting_options_are_refused():
    with pytest.raises(RuleError, match="sets baseline='mean' but baseline=0.2"):
        reinforce(
            pw.make_env("corridor"), (0, 0), 1.0, 2, 2, rule="vanilla:baseline=mean", baseline=0.2
        )
