"""Maxima of J_τ = V + τH (the entropy rule's objective) against an independent route.

The reference evaluates J_τ with the scipy.sparse absorbing-chain peer
(``tests/sparse_peer.py``: no pgweyl solver) and finds its maxima by a dense grid (the
corridor: one effective coordinate y = θ1 − θ2, π(e1) = σ(y)) or by Nelder–Mead from a
grid of starts (the triangle). Maxima next to a vertex sit at distance ≈ e^{−1−c/τ}
from it (the entropy's −δ log δ against V's drop cδ), so the grid reaches y = ±40.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize, minimize_scalar
from scipy.special import expit, softmax

import pgweyl as pw
from tests.sparse_peer import SparsePeer


def entropy(p):
    p = np.asarray(p)
    nz = p > 0
    return float(-(p[nz] * np.log(p[nz])).sum())


def peer_objective(env, tau):
    peer = SparsePeer(env)
    return lambda p: peer.policy_value_grad(p)[0] + tau * entropy(p)


def corridor_policy(y):
    # σ(y) and σ(−y) each computed directly: 1 − σ(y) would lose σ(−y) below 1e-16
    return np.array([expit(y), expit(-y)])


def corridor_reference(env, tau):
    """(y, policy, J) of every local maximum of J_τ(σ(y)) on y ∈ [−40, 40]."""
    J = peer_objective(env, tau)
    ys = np.linspace(-40.0, 40.0, 8001)
    js = np.array([J(corridor_policy(y)) for y in ys])
    out = []
    # ±1 in y: a maximum stands > 5e-13 above one of them; the peer's rounding noise in
    # the flat tails (|y| > 25, J_τ within 1e-13 of a vertex's V) does not
    w = 100
    for i in range(1, len(ys) - 1):
        ends = min(js[max(0, i - w)], js[min(len(ys) - 1, i + w)])
        if js[i] > js[i - 1] and js[i] >= js[i + 1] and js[i] > ends + 5e-13:
            res = minimize_scalar(
                lambda y: -J(corridor_policy(y)),
                bounds=(ys[i - 1], ys[i + 1]),
                method="bounded",
                options={"xatol": 1e-10},
            )
            p = corridor_policy(res.x)
            if all(0.5 * np.abs(p - q).sum() > 1e-6 for _, q, _ in out):
                out.append((res.x, p, -res.fun))
    return out


@pytest.mark.parametrize(
    "spec, tau",
    [("corridor", 0.02), ("corridor", 0.1), ("corridor", 0.5), ("corridor:level=4", 0.02)],
)
def test_corridor_maxima_match_a_dense_grid_of_the_peer(spec, tau):
    env = pw.load_env(spec)
    found = pw.local_maxima(env, rule=f"entropy:tau={tau}")
    ref = corridor_reference(env, tau)
    assert len(found) == len(ref), (found, ref)
    for m, (_y, p, j) in zip(found, sorted(ref, key=lambda r: -r[2])):
        assert 0.5 * np.abs(m.policy - p).sum() <= 1e-6, (m.policy, p)
        assert m.value == pytest.approx(j, abs=1e-10)
        assert m.certificate["objective"] == f"entropy:tau={tau:g}"


def test_a_maximum_next_to_the_treasure_vertex_is_found():
    # τ = 0.02 on the worked example: the treasure-side maximum of J_τ lies at
    # π(e2) ≈ 1.5e-10 (y ≈ 22.6), above the vertex by ≈ τ·π(e2) ≈ 3e-12 — the case a
    # search that treats "within 1e-9 of a face" as "on it" used to lose.
    env = pw.make_env("corridor")
    found = pw.local_maxima(env, rule="entropy:tau=0.02")
    treasure = max(found, key=lambda m: m.policy[0])
    assert 1e-11 < treasure.policy[1] < 1e-9
    assert treasure.value > pw.local_maxima(env)[0].value + 1e-12


@pytest.mark.slow
def test_triangle_maxima_are_local_maxima_and_every_ascent_ends_at_one():
    env = pw.make_env("triangle")
    tau = 0.1
    found = pw.local_maxima(env, rule=f"entropy:tau={tau}")
    J = peer_objective(env, tau)
    rng = np.random.default_rng(4)
    for m in found:
        p, base = m.policy, J(m.policy)
        assert base == pytest.approx(m.value, abs=1e-10)
        for _ in range(20):  # random directions in the simplex (Σd = 0)
            d = rng.normal(size=3)
            d -= d.mean()
            for eps in (1e-4, 1e-3, 1e-2):
                q = p + eps * d
                if q.min() >= 0:
                    assert J(q) <= base + 1e-12
    # independent ascents: Nelder–Mead on logits from a grid of starts
    ends = []
    for z1 in (-3.0, 0.0, 3.0):
        for z2 in (-3.0, 0.0, 3.0):
            res = minimize(
                lambda z: -J(softmax(np.r_[z, 0.0])),
                [z1, z2],
                method="Nelder-Mead",
                options={"xatol": 1e-9, "fatol": 1e-14, "maxiter": 4000},
            )
            ends.append(softmax(np.r_[res.x, 0.0]))
    for p in ends:
        if p.min() > 1e-6:  # ended inside: a maximum of J_τ there must be reported
            tv = min(0.5 * np.abs(p - m.policy).sum() for m in found)
            assert tv < 1e-4, (p, [m.policy for m in found])


def test_entropy_maxima_refuse_a_rule_without_tau():
    env = pw.make_env("corridor")
    with pytest.raises(pw.RuleError, match="entropy needs its weight"):
        pw.local_maxima(env, rule="entropy")
