"""Event-driven REINFORCE (pgweyl.sim.events): the quiet path against the exact
iteration, the same bits at any thread count and any chunking, and the same law as the
plain scheme (two-sample tests, fixed seeds)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.sim.events import MAX_MOVE, _quiet_path, event_refusal, quiet_paths, reinforce_events


@pytest.fixture(scope="module")
def corridor():
    return pw.make_env("corridor")


@pytest.fixture(scope="module")
def targets(corridor):
    return np.array([m.policy for m in pw.local_maxima(corridor, basin_samples=0)])


def test_quiet_paths_by_hand(corridor):
    # corridor: start 2 from the trap (step 1), 6 from the treasure (step 0), γ = 0.95
    q = quiet_paths(corridor)
    assert q.tstar.tolist() == [6, 2]
    assert q.gstar[0] == pytest.approx(0.95**5 * 1.0, rel=1e-15)
    assert q.gstar[1] == pytest.approx(0.95 * 0.5, rel=1e-15)


def test_quiet_path_against_exact_iteration(corridor):
    """The stretches' midpoint rule against n exact quiet updates θ ← θ + α G* (b* − λ
    − T* ∇A(θ)) computed the textbook way (∇A = E_π[s])."""
    q = quiet_paths(corridor)
    vec = corridor.steps.vectors.astype(float)
    theta0 = np.array([2.5, -2.5])
    n = 200_000
    th = theta0.copy()
    disp = q.tstar[0] * vec[0]  # b* − λ
    for _ in range(n):
        logits = vec @ th
        p = np.exp(logits - logits.max())
        p /= p.sum()
        th = th + 1.0 * q.gstar[0] * (disp - q.tstar[0] * (p @ vec))
    out = np.empty(2)
    coef = 1.0 * q.gstar[0] * q.tstar[0]
    done = _quiet_path(vec, theta0, 0, coef, float(n), 1e-3, out)
    assert done == n
    assert np.abs(out - th).max() < 1e-6
    _quiet_path(vec, theta0, 0, coef, float(n), MAX_MOVE, out)  # the default
    assert np.abs(out - th).max() < 1e-4
    assert np.abs(th - theta0).max() > 1.0  # the path went somewhere
    # a coarse stretch is visibly worse: the comparison can fail
    _quiet_path(vec, theta0, 0, 1.0 * q.gstar[0] * q.tstar[0], float(n), 0.3, out)
    assert np.abs(out - th).max() > 1e-4


def test_same_bits_any_threads_and_chunks(corridor, targets):
    import numba

    kw = dict(targets=targets, eps=1e-6, seed=5, max_move=1e-2)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = reinforce_events(corridor, [0.0, 0.0], 1.0, 10**8, 24, **kw)
        numba.set_num_threads(max(2, before))
        many = reinforce_events(corridor, [0.0, 0.0], 1.0, 10**8, 24, **kw)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(one.final_theta, many.final_theta)
    assert np.array_equal(one.stopped_at, many.stopped_at)
    part = reinforce_events(corridor, [0.0, 0.0], 1.0, 10**8, 10, run_offset=14, **kw)
    assert np.array_equal(part.final_theta, one.final_theta[14:])
    assert np.all(one.stopped_at > 0) and one.work[:, 1].sum() > 0


def test_refusals(corridor):
    assert event_refusal(corridor) is None
    assert "batch" in event_refusal(corridor, batch=2)
    assert "rule" in event_refusal(corridor, "natural")
    assert "rule" in event_refusal(corridor, "vanilla:baseline=mean")
    with pytest.raises(pw.ArgumentError):
        pw.convergence_probabilities(
            corridor, [0.0, 0.0], 1.0, 100, 10, scheme="event", batch=2, progress=False
        )
    with pytest.raises(pw.ArgumentError):
        pw.convergence_probabilities(corridor, [0.0, 0.0], 1.0, 100, 10, scheme="fast")


def _two_sample(a_stop, a_idx, b_stop, b_idx, ns):
    """Largest |z| over: P(target j), P(stopped by n), and the mean stopping update."""
    zs = []
    na, nb = len(a_stop), len(b_stop)
    events = [(a_idx == j, b_idx == j) for j in (0, 1)]
    events += [(a_stop <= n, b_stop <= n) for n in ns]
    for ea, eb in events:
        pa, pb = ea.mean(), eb.mean()
        pool = (ea.sum() + eb.sum()) / (na + nb)
        se = math.sqrt(max(pool * (1 - pool), 1e-12) * (1 / na + 1 / nb))
        zs.append(abs(pa - pb) / se)
    se = math.sqrt(a_stop.var() / na + b_stop.var() / nb)
    zs.append(abs(a_stop.mean() - b_stop.mean()) / se)
    return max(zs)


@pytest.mark.parametrize("n_runs", [4000, pytest.param(20_000, marks=pytest.mark.slow)])
def test_same_law_as_plain_at_eps_1e3(corridor, targets, n_runs):
    """Null hypothesis: event-driven and plain runs at ε = 1e−3 have the same law of
    (maximum reached, stopping update). max_move 0.05 so that quiet stretches, thinned
    candidates and non-dominant episodes all occur at this ε. Each statistic's |z| ≤ 4."""
    ev = reinforce_events(
        corridor,
        [0.0, 0.0],
        1.0,
        10**6,
        n_runs,
        targets=targets,
        eps=1e-3,
        seed=11,
        max_move=0.05,
    )
    pl = pw.reinforce(corridor, [0.0, 0.0], 1.0, 10**6, n_runs, targets=targets, eps=1e-3, seed=12)
    assert np.all(ev.stopped_at >= 0) and np.all(pl.stopped_at >= 0)
    work = ev.work.sum(axis=0)
    assert work[1] > 0 and work[2] > 0  # stretches and non-dominant episodes happened
    z = _two_sample(
        ev.stopped_at, ev.target_index, pl.stopped_at, pl.target_index, [300, 1000, 3000]
    )
    assert z <= 4.0


def test_convergence_probabilities_scheme(corridor):
    auto = pw.convergence_probabilities(
        corridor, [0.0, 0.0], 1.0, 10**9, 40, eps=1e-7, progress=False
    )
    assert auto.settings.scheme == "event"
    assert auto.unresolved == 0.0
    plain = pw.convergence_probabilities(corridor, [0.0, 0.0], 1.0, 1000, 20, progress=False)
    assert plain.settings.scheme == "plain"


@pytest.mark.slow
def test_same_law_as_plain_at_eps_1e4_default_stretches(corridor, targets):
    """Null hypothesis: at ε = 1e−4, with the default max_move (quiet stretches of up to
    ~10² updates near the vertices), event-driven and plain runs have the same law of
    (maximum reached, stopping update); each statistic's |z| ≤ 4."""
    n_runs = 8000
    ev = reinforce_events(
        corridor, [0.0, 0.0], 1.0, 10**8, n_runs, targets=targets, eps=1e-4, seed=13
    )
    pl = pw.reinforce(corridor, [0.0, 0.0], 1.0, 10**8, n_runs, targets=targets, eps=1e-4, seed=14)
    assert np.all(ev.stopped_at >= 0) and np.all(pl.stopped_at >= 0)
    assert ev.work[:, 1].sum() > 10 * n_runs and ev.work[:, 2].sum() > 0
    z = _two_sample(
        ev.stopped_at, ev.target_index, pl.stopped_at, pl.target_index, [2000, 10_000, 30_000]
    )
    assert z <= 4.0
