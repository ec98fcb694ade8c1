"""REINFORCE runs: one-update moments against the exact law, a replay twin, the result.

The exact moments come from the brute-force DP over step-count vectors (which fix b, T
and the softmax score), never from pgweyl: the mean of one update is α ∇V(θ) and its
covariance is α² (E[(G − β)² g gᵀ] − ∇V ∇Vᵀ)/B.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.sim import ReinforceResult, reinforce
from tests.sim import naive_walk
from tests.sim.helpers import CASES, env_desc

CASE_IDS = [c[0] for c in CASES]
# Tolerance of the moment tests, in standard errors (|z| ≤ 4.5: a false alarm per
# comparison has probability ≈ 7e-6; seeds are fixed).
Z_MAX = 4.5


def exact_update_law(env, theta, lr, baseline=0.0):
    """Cells of one update Δ = lr (G − β) g with their probabilities (DP, tol 1e-15)."""
    d = env_desc(env)
    probs = naive_walk.policy_probs(d["kind"], d["steps"], theta)
    inside = naive_walk.make_interior(d["name"], d["level"])
    law, tail = naive_walk.exit_law_counts(d["start"], d["steps"], probs, inside, tol=1e-15)
    S = np.array(d["steps"], dtype=float)
    lam = np.array(d["start"], dtype=float)
    mean_step = np.array(probs) @ S
    P, deltas, G_all = [], [], []
    for counts, pr in law.items():
        c = np.array(counts, dtype=float)
        T = c.sum()
        b = lam + c @ S
        G = naive_walk.episode_return(
            d["reward"](tuple(int(v) for v in b)), int(T), d["gamma"], d["cost"]
        )
        g = (b - lam) - T * mean_step if d["kind"] == "exp" else c - T * np.array(probs)
        P.append(pr)
        deltas.append(lr * (G - baseline) * g)
        G_all.append(G)
    return np.array(P), np.array(deltas), np.array(G_all), tail


def dp_value(env, theta):
    P, _, G, _ = exact_update_law(env, theta, 1.0)
    return float(P @ G)


@pytest.mark.parametrize("name, make, theta", CASES, ids=CASE_IDS)
def test_exact_score_identity_on_dp_law(name, make, theta):
    """Σ P (G) g = ∇V: the DP law against central differences of V (checks the reference
    the moment tests rely on)."""
    env = make()
    P, deltas, _, tail = exact_update_law(env, theta, 1.0)
    assert tail < 1e-14
    h = 1e-5
    fd = []
    for i in range(len(theta)):
        e = np.zeros(len(theta))
        e[i] = h
        fd.append((dp_value(env, np.add(theta, e)) - dp_value(env, np.subtract(theta, e))) / 2 / h)
    np.testing.assert_allclose(P @ deltas, fd, atol=1e-8)


MOMENT_CASES = [(c[0], c[1], c[2], 0.5, None, 1) for c in CASES] + [
    ("corridor-baseline", CASES[0][1], (0.3, -0.1), 0.7, 0.4, 1),
    ("triangle-signed-baseline", CASES[2][1], (0.2, -0.3), 1.3, -0.2, 1),
]


@pytest.mark.parametrize(
    "name, make, theta, lr, baseline, batch", MOMENT_CASES, ids=[c[0] for c in MOMENT_CASES]
)
def test_one_update_mean_and_covariance(name, make, theta, lr, baseline, batch):
    """H0: the single-update increments Δ_r = θ_1 − θ_0 of independent runs are i.i.d.
    with the exact law of lr (G − β) g. Each component of the sample mean, and each
    entry of the sample covariance (centred at the exact mean), lies within 4.5
    standard errors of its exact value; the standard errors are exact too
    (Var Δ_i / N and Var[(Δ_i − μ_i)(Δ_j − μ_j)] / N)."""
    env = make()
    n = 80_000
    res = reinforce(env, theta, lr, 1, n, batch=batch, baseline=baseline, seed=314)
    _assert_one_update_moments(env, theta, lr, baseline, res, n)


def _assert_one_update_moments(env, theta, lr, baseline, res, n):
    delta = res.final_theta - np.asarray(theta)
    P, cells, _, _ = exact_update_law(env, theta, lr, 0.0 if baseline is None else baseline)
    mu = P @ cells
    centred = cells - mu
    cov = (P[:, None, None] * centred[:, :, None] * centred[:, None, :]).sum(axis=0)
    fourth = (P[:, None, None] * centred[:, :, None] ** 2 * centred[:, None, :] ** 2).sum(axis=0)
    se_mean = np.sqrt(np.diag(cov) / n)
    z_mean = (delta.mean(axis=0) - mu) / np.maximum(se_mean, 1e-300)
    assert np.all(np.abs(z_mean) <= Z_MAX), z_mean
    d = delta - mu
    cov_hat = d.T @ d / n
    se_cov = np.sqrt(np.maximum(fourth - cov**2, 0.0) / n)
    z_cov = (cov_hat - cov) / np.maximum(se_cov, 1e-300)
    assert np.all(np.abs(z_cov) <= Z_MAX), z_cov
    # lr ∇V by finite differences of the DP value, when there is no baseline.
    if baseline is None:
        h = 1e-5
        grad = [
            (dp_value(env, np.add(theta, h * e)) - dp_value(env, np.subtract(theta, h * e)))
            / (2 * h)
            for e in np.eye(len(theta))
        ]
        np.testing.assert_allclose(mu, lr * np.array(grad), atol=1e-7)


EXACT_CASES = [c for c in MOMENT_CASES if c[1]().policy_kind == "exp" and c[5] == 1]


@pytest.mark.parametrize(
    "name, make, theta, lr, baseline, batch", EXACT_CASES, ids=[c[0] for c in EXACT_CASES]
)
def test_one_update_moments_with_the_exact_sampler(name, make, theta, lr, baseline, batch):
    """H0 as above, with (b, T) drawn from the tilted first-passage table at θ_0."""
    env = make()
    n = 80_000
    res = reinforce(env, theta, lr, 1, n, baseline=baseline, seed=2718, sampler="exact")
    assert res.settings["sampler"] == "exact"
    _assert_one_update_moments(env, theta, lr, baseline, res, n)


def test_exact_sampler_walks_on_past_a_short_table(monkeypatch):
    """H0 as above when the table stops where P(T > N) ≈ 0.3: draws past row N come from
    the tilted survival row and the walk continues, so the law stays exact."""
    import importlib

    mod = importlib.import_module("pgweyl.sim.reinforce")  # the module, not the function
    monkeypatch.setattr(mod, "EXACT_SAMPLER_TOL", 0.3)
    name, make, theta, lr, baseline, batch = EXACT_CASES[0]
    env = make()
    table = mod.exact_sampler(env, np.asarray(theta, dtype=float), 0.3)
    assert len(table.state_logq) > 0  # the walk-on branch has mass
    n = 80_000
    res = reinforce(env, theta, lr, 1, n, baseline=baseline, seed=4, sampler="exact")
    _assert_one_update_moments(env, theta, lr, baseline, res, n)


def test_exact_sampler_refuses_softmax():
    env = pw.AlcoveWalkEnv(
        "B2", 7, "signed", (2, 1), wall_rewards=(1.0, 0.6, 0.3), gamma=0.95, policy="softmax"
    )
    with pytest.raises(pw.ArgumentError, match="only for policy 'exp'"):
        reinforce(env, np.zeros(4), 0.1, 1, 2, sampler="exact")


def test_one_update_with_batch_averages_the_episodes():
    """H0: with B = 4 the increment is the mean of 4 i.i.d. single-episode increments:
    mean α∇V, covariance Σ/4. Sample mean within 4.5 exact SE; sample covariance within
    4.5 empirical SE (fourth moments estimated from the sample)."""
    name, make, theta = CASES[1]
    env = make()
    n, batch, lr = 60_000, 4, 0.8
    res = reinforce(env, theta, lr, 1, n, batch=batch, seed=99)
    delta = res.final_theta - np.asarray(theta)
    P, cells, _, _ = exact_update_law(env, theta, lr)
    mu = P @ cells
    cov = ((P[:, None] * (cells - mu)).T @ (cells - mu)) / batch
    z_mean = (delta.mean(axis=0) - mu) / np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(z_mean) <= Z_MAX), z_mean
    d = delta - mu
    prods = d[:, :, None] * d[:, None, :]
    z_cov = (prods.mean(axis=0) - cov) / (prods.std(axis=0) / np.sqrt(n))
    assert np.all(np.abs(z_cov) <= Z_MAX), z_cov


def test_moment_test_detects_a_wrong_step_size():
    """The moment test can fail: increments at lr = 0.5 against the law at lr = 0.55."""
    name, make, theta = CASES[0]
    env = make()
    n = 80_000
    delta = reinforce(env, theta, 0.5, 1, n, seed=314).final_theta - np.asarray(theta)
    P, cells, _, _ = exact_update_law(env, theta, 0.55)
    mu = P @ cells
    var = P @ (cells - mu) ** 2
    z = (delta.mean(axis=0) - mu) / np.sqrt(var / n)
    assert np.max(np.abs(z)) > Z_MAX


# -- exact replay of whole runs ------------------------------------------------------------
REPLAY = [
    (
        "corridor",
        dict(lr=0.5, n_updates=60, n_runs=5, batch=2, baseline="mean", schedule="decay",
             tau=20.0, power=0.7, record_every=7),
    ),
    (
        "B2-softmax",
        dict(lr=3.0, n_updates=120, n_runs=6, batch=3, baseline=0.3,
             targets=[[1, 0, 0, 0], [0, 0, 1, 0]], eps=0.05, record_every=10),
    ),
    (
        "triangle",
        dict(lr=4.0, n_updates=150, n_runs=6, targets=np.eye(3), eps=0.02, record_every=1),
    ),
    ("A2-softmax-cost", dict(lr=1.0, n_updates=80, n_runs=4, baseline="mean")),
    ("triangle-signed", dict(lr=2.0, n_updates=50, n_runs=4, schedule="decay", seed=5)),
]  # fmt: skip


@pytest.mark.parametrize("name, kw", REPLAY, ids=[r[0] for r in REPLAY])
def test_reinforce_replays_python_twin(name, kw):
    """Same streams and inverse-CDF rule: the plain-loop twin of THEORY §5 must give the
    same runs — stops and targets exactly, θ to rounding."""
    make, theta0 = {c[0]: (c[1], c[2]) for c in CASES}[name]
    env = make()
    res = reinforce(env, theta0, **kw)
    twin_kw = {k: v for k, v in kw.items()}
    if "targets" in twin_kw:
        twin_kw["targets"] = np.asarray(twin_kw["targets"], dtype=float).tolist()
    final, stops, hits, traj = naive_walk.replay_reinforce(env_desc(env), theta0, **twin_kw)
    np.testing.assert_allclose(res.final_theta, final, rtol=1e-9, atol=1e-9)
    assert res.stopped_at.tolist() == stops.tolist()
    assert res.target_index.tolist() == hits.tolist()
    if kw.get("record_every"):
        np.testing.assert_allclose(res.trajectory, traj, rtol=1e-9, atol=1e-9)
        assert np.array_equal(res.trajectory[:, 0], np.tile(theta0, (kw["n_runs"], 1)))
    else:
        assert res.trajectory is None
    if "targets" in kw:  # the case is only informative when some runs stop and some not
        assert 0 < np.sum(res.stopped_at >= 0)


# -- early stopping ---------------------------------------------------------------------
def test_worked_example_stops_at_targets_with_theory_probability():
    """THEORY §7: corridor, α = 1, θ_0 = 0, absorb when one step has ≥ 1 − σ(−8).
    H0: P(treasure) = 0.371 (the chain solver's value); the share of the 4000 runs
    ending at the treasure lies within 4.5 binomial SE of it."""
    env = pw.make_env("corridor")
    eps = 1.0 / (1.0 + np.exp(8.0))
    res = reinforce(env, (0.0, 0.0), 1.0, 200_000, 4000, targets=[[1, 0], [0, 1]], eps=eps, seed=17)
    assert np.all(res.stopped_at > 0)
    share = np.mean(res.target_index == 0)  # "always e_1" walks to wall 0, the treasure
    assert abs(share - 0.371) <= Z_MAX * np.sqrt(0.371 * 0.629 / 4000)
    # At its stop a run's policy is within eps of the target it reports.
    pol = np.array([env.policy(t) for t in res.final_theta])
    tgt = np.array([[1, 0], [0, 1]])[res.target_index]
    assert np.all(0.5 * np.abs(pol - tgt).sum(axis=1) <= eps)


@pytest.mark.slow
def test_worked_example_probability_with_many_runs():
    """As above with 10^5 runs: within 4.5 SE (± 0.0069) of 0.371."""
    env = pw.make_env("corridor")
    eps = 1.0 / (1.0 + np.exp(8.0))
    res = reinforce(
        env, (0.0, 0.0), 1.0, 500_000, 100_000, targets=[[1, 0], [0, 1]], eps=eps, seed=18
    )
    assert np.all(res.stopped_at > 0)
    share = np.mean(res.target_index == 0)
    assert abs(share - 0.371) <= Z_MAX * np.sqrt(0.371 * 0.629 / 100_000)


def test_start_inside_target_stops_at_update_zero():
    env = pw.make_env("corridor")
    res = reinforce(env, (20.0, 0.0), 1.0, 10, 3, targets=[[0, 1], [1, 0]], eps=1e-3, seed=1)
    assert res.stopped_at.tolist() == [0, 0, 0]
    assert res.target_index.tolist() == [1, 1, 1]
    assert np.array_equal(res.final_theta, np.tile([20.0, 0.0], (3, 1)))


# -- the result object ------------------------------------------------------------------
def test_result_is_frozen_serialisable_and_reruns_identically():
    env = pw.make_env("triangle-signed")
    res = reinforce(env, (0.1, -0.1), 0.5, 30, 8, baseline="mean", seed=21, record_every=10)
    assert isinstance(res, ReinforceResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.settings = {}
    assert not res.final_theta.flags.writeable
    d = json.loads(json.dumps(res.to_dict()))
    assert d["final_theta"] == res.final_theta.tolist()
    assert d["env"] == env.to_dict() and d["seed"] == 21 and d["baseline"] == "mean"
    assert np.array(d["trajectory"]).shape == (8, 4, 2)
    again = res.rerun()
    assert np.array_equal(again.final_theta, res.final_theta)
    assert np.array_equal(again.trajectory, res.trajectory)
    text = repr(res)
    assert text.startswith("ReinforceResult(B2 level 7 exp: 8 runs × 30 updates")
    assert "seed 21" in text


def test_different_seeds_differ_and_runs_are_distinct():
    env = pw.make_env("corridor")
    a = reinforce(env, (0.0, 0.0), 1.0, 20, 50, seed=1).final_theta
    b = reinforce(env, (0.0, 0.0), 1.0, 20, 50, seed=2).final_theta
    assert not np.array_equal(a, b)
    assert len({tuple(r) for r in a.tolist()}) > 10


# -- bad arguments ----------------------------------------------------------------------
BAD = [
    ({"n_runs": 0}, pw.ArgumentError, "n_runs"),
    ({"n_runs": -2}, pw.ArgumentError, "n_runs"),
    ({"n_runs": 3.0}, pw.ArgumentError, "n_runs"),
    ({"n_updates": 0}, pw.ArgumentError, "n_updates"),
    ({"batch": 0}, pw.ArgumentError, "batch"),
    ({"lr": 0.0}, pw.ArgumentError, "lr"),
    ({"lr": -1.0}, pw.ArgumentError, "lr"),
    ({"lr": float("nan")}, pw.ArgumentError, "lr"),
    ({"lr": float("inf")}, pw.ArgumentError, "lr"),
    ({"theta0": (float("nan"), 0.0)}, pw.ArgumentError, "theta"),
    ({"theta0": (0.0, float("inf"))}, pw.ArgumentError, "theta"),
    ({"theta0": (0.0, 0.0, 0.0)}, pw.DimensionError, "theta"),
    ({"sampler": "gibbs"}, pw.ArgumentError, "sampler"),
    ({"baseline": "median"}, pw.ArgumentError, "baseline"),
    ({"baseline": float("nan")}, pw.ArgumentError, "baseline"),
    ({"schedule": "cosine"}, pw.ArgumentError, "schedule"),
    ({"schedule": "decay", "tau": 0.0}, pw.ArgumentError, "tau"),
    ({"power": -1.0}, pw.ArgumentError, "power"),
    ({"targets": [[1.0, 0.0, 0.0]]}, pw.ArgumentError, "targets"),
    ({"targets": [[0.7, 0.7]]}, pw.ArgumentError, "sum to 1"),
    ({"targets": [[1.0, 0.0]], "eps": 0.0}, pw.ArgumentError, "eps"),
    ({"targets": [[1.0, 0.0]], "eps": 1.5}, pw.ArgumentError, "eps"),
    ({"record_every": -1}, pw.ArgumentError, "record_every"),
    ({"seed": -1}, pw.ArgumentError, "seed"),
    ({"seed": 1.5}, pw.ArgumentError, "seed"),
]


@pytest.mark.parametrize("kwargs, error, word", BAD, ids=[str(b[0]) for b in BAD])
def test_bad_arguments_raise_one_line_errors(kwargs, error, word):
    env = pw.make_env("corridor")
    args = {"theta0": (0.0, 0.0), "lr": 1.0, "n_updates": 5, "n_runs": 2, **kwargs}
    with pytest.raises(error) as info:
        reinforce(env, **args)
    msg = str(info.value)
    assert word in msg and "\n" not in msg


def test_overflowing_theta_is_reported_not_returned():
    env = pw.make_env("corridor")
    with pytest.raises(pw.ArgumentError, match="non-finite"):
        reinforce(env, (0.0, 0.0), 1.7e308, 5, 20)


def test_env_must_be_an_environment():
    with pytest.raises(pw.ArgumentError, match="env"):
        reinforce("corridor", (0.0, 0.0), 1.0, 5, 2)


def test_chunks_of_runs_with_run_offset_equal_one_call():
    env = CASES[0][1]()
    whole = reinforce(env, [0.0] * env.theta_dim, 0.5, 20, 10, seed=9)
    a = reinforce(env, [0.0] * env.theta_dim, 0.5, 20, 4, seed=9)
    b = reinforce(env, [0.0] * env.theta_dim, 0.5, 20, 6, seed=9, run_offset=4)
    assert np.array_equal(np.vstack([a.final_theta, b.final_theta]), whole.final_theta)
    assert np.array_equal(b.rerun().final_theta, b.final_theta)
