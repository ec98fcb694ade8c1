"""Monte Carlo convergence probabilities against the θ-chain solver (THEORY §7).

Null hypothesis of each statistical test: the Monte Carlo share of runs ending at a
maximum is a binomial proportion whose mean is the chain solver's absorption
probability; we accept within 4 standard errors plus the chain's reported grid error
(from its answers on three grids of spacing Δ, 2Δ, 4Δ: ChainResult.grid_error). Seeds are
fixed.
"""

import dataclasses
import math

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.landscape.chain import chain_absorption
from pgweyl.landscape.convergence import convergence_probabilities
from pgweyl.landscape.shares import wilson_interval

Z = 4.0


def test_wilson_interval_known_values():
    # 50/100: the textbook interval [0.4038, 0.5962]; 0/20: [0, 0.1611].
    lo, hi = wilson_interval(50, 100)
    assert (lo, hi) == pytest.approx((0.40383, 0.59617), abs=1e-5)
    lo, hi = wilson_interval(0, 20)
    assert lo == pytest.approx(0.0, abs=1e-15) and hi == pytest.approx(0.16113, abs=1e-5)


@pytest.fixture(scope="module")
def corridor():
    env = pw.make_env("corridor")
    maxima = pw.local_maxima(env, basin_samples=0)
    chain = chain_absorption(env, lr=1.0, grid=1001, maxima=maxima, refine=True)
    return env, maxima, chain


def _check_against_chain(mc, chain, env, theta0):
    p_chain = chain.at(theta0, env)
    grid_err = chain.grid_error(theta0, env)
    se = np.sqrt(p_chain * (1 - p_chain) / mc.n_runs)
    assert mc.unresolved == 0.0
    assert np.all(np.abs(mc.probabilities - p_chain) <= Z * se + grid_err), (
        mc.probabilities,
        p_chain,
        se,
        grid_err,
    )


def test_worked_example_monte_carlo_agrees_with_chain(corridor):
    env, maxima, chain = corridor
    mc = convergence_probabilities(env, [0.0, 0.0], 1.0, 200_000, 10_000, seed=11, maxima=maxima)
    assert [m.support for m in mc.maxima] == [(0,), (1,)]
    _check_against_chain(mc, chain, env, [0.0, 0.0])
    assert np.all(mc.ci_low <= mc.probabilities) and np.all(mc.probabilities <= mc.ci_high)


@pytest.mark.slow
def test_worked_example_with_a_hundred_thousand_runs(corridor):
    env, maxima, chain = corridor
    mc = convergence_probabilities(env, [0.0, 0.0], 1.0, 400_000, 100_000, seed=12, maxima=maxima)
    _check_against_chain(mc, chain, env, [0.0, 0.0])
    assert mc.probabilities[0] == pytest.approx(
        0.371, abs=Z * math.sqrt(0.371 * 0.629 / 1e5) + 0.005
    )


def test_triangle_monte_carlo_agrees_with_chain():
    env = pw.make_env("triangle")
    maxima = pw.local_maxima(env, basin_samples=0)
    eps = 0.01
    chain = chain_absorption(env, lr=1.0, grid=46, eps=eps, maxima=maxima, refine=True)
    mc = convergence_probabilities(
        env, np.zeros(3), 1.0, 200_000, 10_000, seed=5, eps=eps, maxima=maxima
    )
    _check_against_chain(mc, chain, env, np.zeros(3))


def test_results_do_not_depend_on_chunks(corridor):
    env, maxima, _ = corridor
    a = convergence_probabilities(env, [0.2, 0.0], 1.0, 2000, 600, seed=3, maxima=maxima, chunks=1)
    b = convergence_probabilities(env, [0.2, 0.0], 1.0, 2000, 600, seed=3, maxima=maxima, chunks=7)
    assert np.array_equal(a.counts, b.counts) and a.unresolved == b.unresolved


def test_unresolved_runs_are_reported(corridor):
    env, maxima, _ = corridor
    res = convergence_probabilities(env, [0.0, 0.0], 1.0, 3, 500, seed=1, maxima=maxima)
    assert res.unresolved == 1.0 and res.counts.sum() == 0
    assert res.unresolved_ci[0] > 0.99
    loose = convergence_probabilities(
        env, [0.0, 0.0], 1.0, 3, 500, seed=1, maxima=maxima, classify_tol=0.5
    )
    assert loose.unresolved < 1.0  # a looser end-of-budget classification resolves runs
    assert loose.counts.sum() + round(loose.unresolved * 500) == 500


def test_progress_bar_and_json(corridor, capsys):
    import json

    env, maxima, _ = corridor
    res = convergence_probabilities(
        env, [0.0, 0.0], 1.0, 50, 100, seed=2, maxima=maxima, progress=True
    )
    assert "runs" in capsys.readouterr().err
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert d["n_runs"] == 100 and len(d["probabilities"]) == 2
    assert set(d) == {f.name for f in dataclasses.fields(res)}  # one to_dict, every field
    assert d["maxima"][0]["flat"] is False and d["settings"]["seed"] == 2
    assert "unresolved" in repr(res)


@pytest.mark.parametrize(
    "kw, fragment",
    [
        ({"n_runs": 0}, "n_runs"),
        ({"eps": 1.5}, "eps"),
        ({"classify_tol": 0.0}, "classify_tol"),
        ({"lr": -1.0}, "lr"),
    ],
)
def test_bad_arguments(corridor, kw, fragment):
    env, maxima, _ = corridor
    args = dict(theta0=[0.0, 0.0], lr=1.0, n_updates=10, n_runs=10, maxima=maxima)
    args.update(kw)
    with pytest.raises(pw.ArgumentError, match=fragment):
        convergence_probabilities(env, **args)


def test_runs_on_a_flat_ridge_stop_early():
    # triangle-signed: V = 0.6 on the edge {−e1, +e2}. Starting deep on that ridge at
    # π ≈ (0, 0.8, 0.2, 0) — TV 0.3 from its barycentre and far from both vertices —
    # every run is absorbed at update 0 by the flat maximum (mass outside the face ~1e-6).
    env = pw.make_env("triangle-signed")
    maxima = pw.local_maxima(env, basin_samples=0)
    j = next(i for i, m in enumerate(maxima) if m.flat)
    theta0 = [-7.7, 6.3]
    assert env.policy(theta0)[1] == pytest.approx(0.8, abs=0.01)
    res = convergence_probabilities(env, theta0, 0.5, 50, 200, seed=1, maxima=maxima)
    assert res.n_absorbed == 200 and res.mean_stop_update == 0.0
    assert res.probabilities[j] == 1.0


def test_policy_probs_many_matches_probs():
    for env in (pw.make_env("triangle-signed"), pw.make_env("triangle", policy="softmax")):
        thetas = np.random.default_rng(0).normal(size=(5, env.theta_dim)) * 30
        many = env.policies(thetas)
        for t, p in zip(thetas, many):
            assert p == pytest.approx(env.policy(t), abs=1e-14)
