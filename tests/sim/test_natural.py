"""E_θ[T] at every update of the natural rule (:mod:`pgweyl.sim.natural`, issue 25 item 5)
against routes that share no code with it:

- the dense Gaussian elimination the runs used before (``dense_mean_exit_time``);
- the exact engine's linear route (``env.mean_exit_time``: the policy to 160 bits by
  mpmath, a sparse LU with residuals in extended precision);
- on the corridor, the gambler's-ruin duration with drift, in closed form (mpmath, 50
  digits; written out here);
- whole runs: the same seed gives 1e−12-close trajectories with the dense route while the
  policy stays away from the faces; on graphs over 256 states (refused before) one
  update's mean is the exact natural step within 4.5 standard errors.
"""

from __future__ import annotations

import importlib

import mpmath
import numpy as np
import pytest

import pgweyl as pw
from pgweyl.rules import expected_update
from pgweyl.sim.arrays import walk_arrays
from pgweyl.sim.natural import (
    dense_graph,
    dense_mean_exit_time,
    exit_time_graph,
    exit_time_work,
    mean_exit_time,
    natural_direction,
    natural_step,
    step_covariance,
)
from tests.sim.helpers import captured_kernel, softmax_b2

reinforce_module = importlib.import_module("pgweyl.sim.reinforce")

Z_MAX = 4.5  # |z| ≤ 4.5 per component: a false alarm has probability ≈ 7e−6

ENVS = [
    ("corridor", {}),
    ("corridor", {"level": 30, "trap_distance": 7}),
    ("triangle", {}),
    ("triangle", {"level": 11}),
    ("triangle-signed", {}),
    ("simplex", {}),
]


def _thetas(env, seed):
    """θ from near-uniform to near-deterministic: N(0, s² I) for s = 0.3, 3, 10, 30."""
    rng = np.random.default_rng(seed)
    return [rng.normal(size=env.theta_dim) * s for s in (0.3, 3.0, 10.0, 30.0) for _ in range(6)]


def _new(env, p):
    g = exit_time_graph(env)
    return mean_exit_time(g, np.asarray(p, dtype=float), exit_time_work(g))


@pytest.mark.parametrize("name, knobs", ENVS)
def test_mean_exit_time_equals_the_dense_solve(name, knobs):
    env = pw.make_env(name, **knobs)
    g, gd = exit_time_graph(env), dense_graph(env)
    w, wd = exit_time_work(g), exit_time_work(gd)
    for theta in _thetas(env, 1):
        p = env.policy(theta)
        new = mean_exit_time(g, p, w)
        dense = dense_mean_exit_time(gd, p, wd)
        assert new == pytest.approx(dense, rel=1e-12, abs=0), (theta, new, dense)


@pytest.mark.parametrize("name, knobs", ENVS)
def test_mean_exit_time_equals_the_exact_linear_route(name, knobs):
    env = pw.make_env(name, **knobs)
    for theta in _thetas(env, 2)[::3]:
        exact = env.mean_exit_time(theta)
        assert _new(env, env.policy(theta)) == pytest.approx(exact, rel=1e-13, abs=0), theta


def _gamblers_ruin(z, a, y):
    """E[T] of the walk on 0 < x < a from x = z stepping +1 with probability p = 1/(1 + e^y)
    and −1 with q = 1 − p: E[T] = z/(q − p) − a/(q − p) · (1 − r^z)/(1 − r^a) with
    r = q/p = e^y, and z (a − z) at y = 0 (Feller I, XIV.3; 50 digits)."""
    with mpmath.workdps(50):
        y = mpmath.mpf(float(y))
        if y == 0:
            return float(z * (a - z))
        p = 1 / (1 + mpmath.exp(y))
        q = 1 - p
        r = mpmath.exp(y)
        return float(z / (q - p) - a / (q - p) * (1 - r**z) / (1 - r**a))


@pytest.mark.parametrize("level, trap", [(8, 2), (40, 13), (400, 2)])
def test_corridor_mean_exit_time_is_the_gamblers_ruin_duration(level, trap):
    # The corridor: x = x1 − x2 ∈ (0, level) from x = trap; step e1 (x + 1) has
    # probability 1/(1 + e^(θ2 − θ1)). level 400 has 399 states (refused before).
    env = pw.make_env("corridor", level=level, trap_distance=trap)
    g = exit_time_graph(env)
    w = exit_time_work(g)
    for y in (0.0, 1e-3, -0.2, 0.7, -3.0, 8.0, -25.0, 40.0, -300.0):
        theta = np.array([-y / 2, y / 2])  # θ2 − θ1 = y
        exact = _gamblers_ruin(trap, level, y)
        got = mean_exit_time(g, env.policy(theta), w)
        assert got == pytest.approx(exact, rel=1e-12, abs=0), (y, got, exact)


def test_a_walk_that_cannot_exit_has_infinite_mean_exit_time():
    # Every catalog walk exits under any policy; with no mass on any step (not a policy,
    # but what underflow could leave) nothing moves, a pivot is 0, and E[T] = ∞, not NaN.
    env = pw.make_env("triangle-signed")
    g = exit_time_graph(env)
    assert mean_exit_time(g, np.zeros(4), exit_time_work(g)) == np.inf


def test_elimination_envelope_is_narrow_and_holds_every_step():
    env = pw.make_env("triangle", level=20)
    g = exit_time_graph(env)
    n = g.n_states
    assert g.width <= 20 < n - 1  # about the level, against n − 1 = 170 for a dense band
    rows = np.repeat(np.arange(n), g.band_succ.shape[1])
    cols = g.band_succ.reshape(-1)
    rows, cols = rows[cols >= 0], cols[cols >= 0]
    assert np.all(np.abs(cols - rows) <= g.width)
    # pivot k reaches every row and column with an entry in its column and row
    assert np.all(cols <= g.col_end[rows]) and np.all(rows <= g.row_end[cols])


def _runs(env, theta0, lr, n_updates, n_runs, route, monkeypatch, seed=3):
    if route == "dense":
        monkeypatch.setattr(reinforce_module, "_graph_for", lambda env, rule: dense_graph(env))
    try:
        return reinforce_module.reinforce(
            env, theta0, lr, n_updates, n_runs, rule="natural", seed=seed, record_every=1
        )
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize(
    "name, theta0, lr, n_updates",
    [("corridor", (0.0, 0.0), 0.2, 150), ("triangle", (0.2, 0.0, -0.2), 0.1, 60)],
)
def test_runs_follow_the_dense_routes_trajectories(monkeypatch, name, theta0, lr, n_updates):
    # Same seed, same draws: the two routes' E[T] differ by rounding only, so the θ
    # trajectories agree to 1e−12 (relative to max(1, |θ|)) while the policy stays away
    # from the faces (near a face the natural step grows like 1/min π and amplifies any
    # last-bit difference).
    env = pw.make_env(name)
    new = _runs(env, theta0, lr, n_updates, 64, "new", monkeypatch)
    dense = _runs(env, theta0, lr, n_updates, 64, "dense", monkeypatch)
    assert new.trajectory.shape == dense.trajectory.shape
    assert np.abs(new.trajectory).max() < 12  # π stays off the faces (min π > e^−24)
    gap = np.abs(new.trajectory - dense.trajectory)
    assert np.all(gap <= 1e-12 * np.maximum(1.0, np.abs(dense.trajectory))), gap.max()
    moved = np.abs(new.final_theta - np.asarray(theta0)).max(axis=1)
    assert np.median(moved) > 0.5  # the runs went somewhere


@pytest.mark.parametrize(
    "name, knobs, theta",
    [
        ("corridor", {"level": 400}, (0.0, 0.0)),
        ("corridor", {"level": 400}, (-0.6, 0.6)),
        ("triangle", {"level": 30}, (1.0, -0.5, -0.5)),
    ],
)
def test_one_update_on_a_large_graph_is_the_exact_natural_step(name, knobs, theta):
    # H0: the increments θ_1 − θ_0 of independent runs are i.i.d. with mean the exact
    # natural step lr F(θ)⁺ ∇V(θ) (expected_update: ∇V and E[T] from the exact engine);
    # each component of the sample mean is within 4.5 sample standard errors of it.
    env = pw.make_env(name, **knobs)
    assert env.graph.n_states > 256  # refused before issue 25
    n, lr = 20_000, 0.5
    res = reinforce_module.reinforce(env, theta, lr, 1, n, rule="natural", seed=17)
    delta = res.final_theta - np.asarray(theta)
    mu = expected_update(env, theta, "natural", lr=lr)
    se = delta.std(axis=0, ddof=1) / np.sqrt(n)
    keep = se > 0  # the gauge direction gets no step (both sides are 0 there)
    z = (delta.mean(axis=0)[keep] - mu[keep]) / se[keep]
    assert np.all(np.abs(z) <= Z_MAX), (z, mu)
    assert np.abs(mu).max() > 3 * se.max()  # the mean is resolved: the test can fail


def test_natural_step_memo_gives_the_bits_of_a_fresh_computation():
    # The memo reuses E[T] (θ unchanged bit for bit) and the step (θ and score unchanged);
    # every reuse must equal a computation from scratch, bit for bit, and a changed θ or
    # score must not be served from the memo.
    env = pw.make_env("triangle")
    walk = walk_arrays(env)
    g = exit_time_graph(env)
    work = exit_time_work(g)
    dim = env.theta_dim
    memo = np.zeros(2 + 3 * dim + 2 * dim * dim)
    for theta in ((-496.539, -496.539, 248.394), (0.4, -0.1, -0.3), (0.4, -0.1, -0.3)):
        theta = np.array(theta)
        p = env.policy(theta)
        for grad in ([1e-320, 2e-320, -3e-320], [0.3, -0.1, -0.2], [0.3, -0.1, -0.2]):
            grad = np.array(grad)
            got, fresh = np.empty(3), np.empty(3)
            natural_step(walk, g, theta, p, grad, memo, work, got)
            exp_t = mean_exit_time(g, p, work)
            natural_direction(walk, p, grad, exp_t, fresh, np.empty(2 * dim * dim))
            assert got.tobytes() == fresh.tobytes()
            assert memo[0] == 1.0 and memo[1] == exp_t


@pytest.mark.parametrize("name", ["triangle", "triangle-signed", "simplex", "softmax"])
def test_step_covariance_keeps_its_relative_accuracy_near_a_vertex(name):
    # Cov_π(S) by the pairwise form against a 50-digit Σ_s π(s)(s − E s)(s − E s)ᵀ (softmax:
    # diag(π) − ππᵀ), entry by entry *relative* to each entry: near a vertex the face's
    # variances are ~ min π and s − E_π[s] = 1 − π(s) by subtraction would leave them an
    # absolute error of 1e−16, i.e. a relative one up to 1e−16 / min π.
    env = softmax_b2() if name == "softmax" else pw.make_env(name)
    walk = walk_arrays(env)
    dim = env.theta_dim
    v = np.eye(dim, dtype=int) if name == "softmax" else env.steps.vectors
    for scale in (1.0, 8.0, 20.0):
        theta = np.linspace(1.0, -1.0, dim) * scale
        p = env.policy(theta)
        with mpmath.workdps(50):
            pm = [mpmath.mpf(float(x)) for x in p]
            k = len(pm)
            mean = [mpmath.fsum(pm[i] * int(v[i, a]) for i in range(k)) for a in range(dim)]
            ref = [
                [
                    float(
                        mpmath.fsum(
                            pm[i] * (int(v[i, a]) - mean[a]) * (int(v[i, b]) - mean[b])
                            for i in range(k)
                        )
                    )
                    for b in range(dim)
                ]
                for a in range(dim)
            ]
        cov = np.empty((dim, dim))
        step_covariance(walk, p, cov)
        ref = np.array(ref)
        assert np.all(np.abs(cov - ref) <= 1e-13 * np.abs(ref)), (scale, cov, ref)


@pytest.mark.parametrize("depth", [5.0, 20.0, 40.0])
def test_quiet_natural_step_at_a_non_maximum_vertex_keeps_its_direction(depth):
    # On the triangle at θ = (−d, −d − 1, d) nearly all mass is on e3 (no maximum): the
    # quiet episode takes e3 once and exits at the wall x2 = x3 (reward 0.3, γ⁰), and with
    # Cov·(e3/π3) = e3 − π = g the natural step is Δθ = αG/(E[T]π3)·e3 + gauge, i.e.
    # dy = L Δθ = −αG (1, 1) up to O(e^{−2d}). The score formed as (b − λ) − T∇A cancels
    # to the last bit there and F⁺ multiplies that by e^{2d}: at d = 40 the step was
    # (−0.16, +0.07), pointing out of the vertex.
    env = pw.make_env("triangle")
    th0 = np.array([-depth, -depth - 1.0, depth])
    res = pw.reinforce(env, th0, 1.0, 1, 64, rule="natural", seed=5)
    dy = (res.final_theta - th0) @ env.effective_map().T
    quiet = np.abs(dy - (-0.3)).max(axis=1) <= 1e-9 + 1e-3 * np.exp(-depth)
    assert quiet.all(), dy[~quiet][:3]


def test_a_frozen_run_keeps_its_policy_with_the_bits_of_recomputing_it(monkeypatch):
    # Natural runs on the triangle from θ0 = 0 at α = 2 freeze at a vertex (π off it
    # underflows): θ stays the same to the bit for the rest of the budget, and the kernel
    # keeps π, its table, ∇A and the lean instead of recomputing them, and once an update
    # has left θ as it was with walks that took only the top step, it checks the next
    # update's draws instead of computing it (the quiet path, _quiet_again). Against the
    # same runs with both shortcuts off (the kernel's own Python loop,
    # kernels._run.py_func, calling the compiled helpers, with same_bits answering
    # "moved" every time): the same final θ, stops, trajectories and generator states,
    # bit for bit (the generator states fail when the quiet path draws one too few).
    kernels = importlib.import_module("pgweyl.sim.kernels")
    env = pw.make_env("triangle")
    kw = dict(lr=2.0, n_updates=1000, n_runs=6, rule="natural", seed=5, record_every=1)
    _, args = captured_kernel(monkeypatch, env, (0.0, 0.0, 0.0), kw)
    monkeypatch.undo()
    walk, pay, rule, graph, targets, sampler, theta0, n_up, every, states, out = args
    fresh = [type(out)(*(np.zeros_like(a) for a in out)) for _ in range(2)]
    fast_states, slow_states = states.copy(), states.copy()
    kernels._reinforce_rows(
        walk, pay, rule, graph, targets, sampler, theta0, n_up, every, fast_states, fresh[0],
        0, len(states),
    )  # fmt: skip
    monkeypatch.setattr(kernels, "same_bits", lambda a, memo, off: False)
    for r in range(len(states)):
        kernels._run.py_func(
            walk, pay, rule, graph, targets, sampler, theta0, n_up, every, slow_states[r], r,
            fresh[1],
        )  # fmt: skip
    traj = fresh[0].trajectory
    frozen = np.all(traj[:, -100:] == traj[:, -1:], axis=(1, 2))
    assert frozen.sum() >= 2, frozen  # runs froze (all do by about update 950)
    for a, b in zip(fresh[0], fresh[1]):
        assert a.tobytes() == b.tobytes()
    assert np.array_equal(fast_states, slow_states)
