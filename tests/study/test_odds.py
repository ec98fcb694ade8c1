"""One record and one computation of P(ends at a maximum) by both routes
(:mod:`pgweyl.study.odds`), and the shares record (:class:`Shares`).

The odds must be exactly the numbers the two routes give when called directly with the
settings the study records: a mis-wired seed, budget, ε or rule changes them."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

import pgweyl as pw
from pgweyl.landscape.settings import RunSettings
from pgweyl.landscape.shares import Shares, share_fields
from pgweyl.study.odds import ODDS, _read_only_arrays, apart, global_odds, limit_refusal, point_odds

SETTINGS = RunSettings(lr=0.5, n_updates=1500, n_runs=300, seed=7, eps=0.05, grid=101)


@pytest.fixture(scope="module")
def corridor():
    env = pw.make_env("corridor", level=4)
    return env, pw.local_maxima(env, basin_samples=0)


def test_point_odds_are_the_two_routes_called_directly(corridor):
    env, maxima = corridor
    t0 = np.zeros(env.theta_dim)
    odds = point_odds(env, SETTINGS, maxima, chain=True, progress=False)
    mc = pw.convergence_probabilities(
        env, t0, 0.5, 1500, 300, seed=7, eps=0.05, maxima=maxima, progress=False
    )
    ch = pw.chain_absorption(env, 0.5, grid=101, eps=0.05, maxima=maxima, progress=False)
    assert np.array_equal(odds["p_mc"], mc.probabilities)
    assert np.array_equal(odds["ci_low"], mc.ci_low) and np.array_equal(odds["ci_high"], mc.ci_high)
    assert odds["unresolved"] == mc.unresolved
    assert np.array_equal(odds["p_chain"], ch.at(t0, env))
    assert np.array_equal(odds["grid_error"], ch.grid_error(t0, env))
    assert odds["grid"] == 101
    # a different seed is a different Monte Carlo sample (the seed is really used)
    other = point_odds(env, SETTINGS.replace(seed=8), maxima, progress=False)
    assert not np.array_equal(other["p_mc"], odds["p_mc"])


def test_a_route_not_run_is_nan_and_global_odds_picks_the_maximum(corridor):
    env, maxima = corridor
    settings = SETTINGS.replace(lr=1.0)
    only_chain = point_odds(env, settings, maxima, mc=False, chain=True, progress=False)
    assert np.isnan(only_chain["p_mc"]).all() and math.isnan(only_chain["unresolved"])
    assert np.isfinite(only_chain["p_chain"]).all()
    for j in range(len(maxima)):
        g = global_odds(env, settings, maxima, j, mc=False, chain=True, progress=False)
        assert set(g) == set(ODDS) | {"grid"}
        assert g["p_chain"] == only_chain["p_chain"][j] and math.isnan(g["p_mc"])


def test_point_odds_carry_the_limit_beside_first_entry(corridor):
    """The limit columns are ``chain_absorption(eps=0.0)`` read at θ_0 (wiring), and the
    limit lies below first entry at the treasure (a run that enters the treasure's ball
    may still leave it; never the other way on the corridor), beyond both bounds."""
    env, maxima = corridor
    settings = SETTINGS.replace(lr=1.0, grid=201)
    t0 = np.zeros(env.theta_dim)
    odds = point_odds(env, settings, maxima, mc=False, chain=True, limit=True, progress=False)
    lim = pw.chain_absorption(env, 1.0, grid=201, eps=0.0, maxima=maxima, progress=False)
    assert np.array_equal(odds["p_limit"], lim.at(t0, env))
    assert np.array_equal(odds["limit_error"], lim.grid_error(t0, env))
    assert np.isfinite(odds["p_chain"]).all()
    treasure = int(np.argmax([m.value for m in maxima]))
    gap = odds["p_chain"][treasure] - odds["p_limit"][treasure]
    assert gap > odds["grid_error"][treasure] + odds["limit_error"][treasure]
    # "auto" solves it where it applies; a solved limit is read as is
    auto = point_odds(env, settings, maxima, mc=False, limit="auto", progress=False)
    assert np.array_equal(auto["p_limit"], odds["p_limit"]) and np.isnan(auto["p_chain"]).all()
    again = global_odds(env, settings, maxima, treasure, mc=False, limit=lim, progress=False)
    assert again["p_limit"] == odds["p_limit"][treasure]
    # a result at ε > 0 is not the limit
    first = pw.chain_absorption(env, 1.0, grid=201, eps=0.05, maxima=maxima, progress=False)
    with pytest.raises(pw.ArgumentError, match="eps=0.0"):
        point_odds(env, settings, maxima, mc=False, limit=first, progress=False)


def test_the_limit_is_nan_where_it_does_not_apply():
    tri = pw.make_env("triangle", level=3)
    maxima = pw.local_maxima(tri, basin_samples=0)
    assert "dimension 2" in limit_refusal(tri, "vanilla")
    settings = SETTINGS.replace(lr=1.0, eps=0.05, grid=25)
    odds = point_odds(tri, settings, maxima, mc=False, limit="auto", progress=False)
    assert np.isnan(odds["p_limit"]).all() and np.isnan(odds["limit_error"]).all()
    with pytest.raises(pw.ArgumentError, match="dimension 2"):
        point_odds(tri, settings, maxima, mc=False, limit=True, progress=False)
    env = pw.make_env("corridor", level=4)
    assert "entropy" in limit_refusal(env, "entropy:tau=0.1")
    assert limit_refusal(env, "vanilla") is None


def test_a_difficulty_sweep_reruns_from_its_settings():
    res = pw.study.difficulty_sweep(
        "corridor", [4], n_updates=1000, n_runs=200, seed=3, eps=0.05, method="mc", progress=False
    )
    s = res.settings
    env = pw.make_env("corridor", level=4)
    maxima = pw.local_maxima(env, basin_samples=0)
    best = int(np.argmax([m.value for m in maxima]))
    again = pw.convergence_probabilities(
        env,
        np.zeros(env.theta_dim),
        s.lr,
        s.n_updates,
        s.n_runs,
        seed=s.seed,
        eps=s.eps,
        maxima=maxima,
        progress=False,
    )
    assert res.p_mc[0] == again.probabilities[best]
    assert isinstance(res, pw.study.SweepResult) and np.isnan(res.p_chain[0])


def test_shares_record_is_shared_and_sums_to_one():
    counts, n_unres, n = np.array([5, 3]), 2, 10
    shares = Shares(**share_fields(counts, n_unres, n))
    assert shares.probabilities.sum() + shares.unresolved == pytest.approx(1.0, abs=1e-15)
    assert (shares.ci_low <= shares.probabilities).all()
    assert (shares.probabilities <= shares.ci_high).all()
    assert issubclass(pw.ConvergenceResult, Shares)


def test_a_copy_for_another_thread_shares_no_cache_and_gives_kernels_the_same_types():
    """apart(env) must not share the exact solver's lazily grown caches (two threads
    raced on them), but its arrays must reach the kernels with the types of the
    original's: a read-only array copied is writeable, another Numba type, and every
    kernel it reaches compiles again (the table kernel did, 1.4 s, in each compare)."""
    env = pw.make_env("triangle", level=5)
    env.value(np.zeros(env.theta_dim))
    twin = apart(env)
    assert twin._solver_obj is not env._solver_obj
    assert twin._solver_obj.table is not env._solver_obj.table
    assert twin.graph.succ is env.graph.succ and twin.start is env.start
    shared = {id(a) for a in _read_only_arrays(env)}
    assert len(shared) >= 10  # the graph, alcove, steps, start, rewards, the solver's deltas
    assert {id(a) for a in _read_only_arrays(twin)} == shared
    theta = np.array([0.2, -0.1, -0.1])
    assert twin.value(theta) == env.value(theta)
    assert numba.typeof(twin.graph.succ) == numba.typeof(env.graph.succ)
