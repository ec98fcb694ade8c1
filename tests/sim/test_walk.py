"""The walk sampler against its naive twins and the exact (b, T) law.

Independent routes: a pure-Python xoshiro256** and walk (exact replay of the kernel's
random numbers), a ``random.Random`` walk (statistical), hand-counted straight walks,
and a brute-force dynamic program for the exact law of (exit point, exit time).
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.sim import kernels, simulate_episodes
from pgweyl.sim.config import EPISODES_PER_STREAM
from tests.sim import naive_walk
from tests.sim.helpers import CASES, P_MIN, env_desc, exact_law, gof_pvalue, homogeneity_pvalue

CASE_IDS = [c[0] for c in CASES]


# -- the random numbers ------------------------------------------------------------------
def test_xoshiro_kernel_matches_python_reference():
    state = np.array([1, 2, 3, 2**63 + 12345], dtype=np.uint64)
    ref = naive_walk.Xoshiro256ss(state.tolist())
    st = state.copy()
    for _ in range(2000):
        assert int(kernels._next_u64(st)) == ref.next()
    assert st.tolist() == ref.s
    # The first output of a known state, worked by hand from the algorithm:
    # s1 = 2: rotl(2·5, 7)·9 = 1280·9 = 11520.
    assert int(kernels._next_u64(np.array([0, 2, 0, 0], dtype=np.uint64))) == 11520


def test_uniform_is_53_bit_fraction():
    st = np.array([7, 11, 13, 17], dtype=np.uint64)
    ref = naive_walk.Xoshiro256ss(st.tolist())
    u = [kernels._uniform(st) for _ in range(1000)]
    assert u == [ref.random() for _ in range(1000)]
    assert 0.0 <= min(u) and max(u) < 1.0


# -- exact semantics ---------------------------------------------------------------------
@pytest.mark.parametrize("name, theta0", [(c[0], c[2]) for c in CASES])
def test_walk_replays_python_twin_exactly(name, theta0):
    """Same streams, same uniforms, same inverse-CDF rule → the same episodes, bit for
    bit, across a stream boundary (episode 1024 starts stream 1)."""
    env = dict((c[0], c[1]) for c in CASES)[name]()
    n, seed = EPISODES_PER_STREAM + 300, 7
    points, times = simulate_episodes(env, theta0, n, seed=seed)
    d = env_desc(env)
    probs = naive_walk.policy_probs(d["kind"], d["steps"], theta0)
    inside = naive_walk.make_interior(d["name"], d["level"])
    states = naive_walk.seed_states(seed, 2)
    for e in range(n):
        if e % EPISODES_PER_STREAM == 0:
            rng = naive_walk.Xoshiro256ss(states[e // EPISODES_PER_STREAM])
        b, T, _ = naive_walk.naive_walk(d["start"], d["steps"], probs, inside, rng)
        assert (tuple(points[e].tolist()), int(times[e])) == (b, T), f"episode {e}"


# Straight walks "always step s", counted by hand from the alcove inequalities.
STRAIGHT = [
    # corridor 0 < x1 − x2 < 8 from (2, 0)
    (lambda: pw.make_env("corridor"), (40.0, 0.0), (8, 0), 6),
    (lambda: pw.make_env("corridor"), (0.0, 40.0), (2, 2), 2),
    # triangle x1 > x2 > x3 > x1 − 6 from (2, 1, 0)
    (lambda: pw.make_env("triangle"), (40.0, 0.0, 0.0), (6, 1, 0), 4),
    (lambda: pw.make_env("triangle"), (0.0, 40.0, 0.0), (2, 2, 0), 1),
    (lambda: pw.make_env("triangle"), (0.0, 0.0, 40.0), (2, 1, 1), 1),
    # tetrahedron x1 > x2 > x3 > x4 > x1 − 6 from (3, 2, 1, 0)
    (lambda: pw.make_env("simplex"), (40.0, 0.0, 0.0, 0.0), (6, 2, 1, 0), 3),
    # B2: x1 > x2 > 0, x1 + x2 < 7 from (2, 1)
    (lambda: pw.make_env("triangle-signed"), (40.0, 0.0), (6, 1), 4),
    (lambda: pw.make_env("triangle-signed"), (-40.0, 0.0), (1, 1), 1),
    (lambda: pw.make_env("triangle-signed"), (0.0, -40.0), (2, 0), 1),
    # B2 at level 20: x1 runs from 2 to 19
    (
        lambda: pw.AlcoveWalkEnv("B2", 20, start=(2, 1), wall_rewards=(1, 0, 0)),
        (40, 0),
        (19, 1),
        17,
    ),
    # C2 at level 8: 2 x1 < 8 stops x1 at 4
    (lambda: pw.AlcoveWalkEnv("C2", 8, start=(2, 1), wall_rewards=(1, 0, 0)), (40, 0), (4, 1), 2),
    # D4 at level 10: x1 + x2 < 10 stops x1 at 8
    (
        lambda: pw.AlcoveWalkEnv("D4", 10, start=(3, 2, 1, 0), wall_rewards=(1, 0, 0, 0, 0)),
        (40, 0, 0, 0),
        (8, 2, 1, 0),
        5,
    ),
]


@pytest.mark.parametrize("make, theta, b, T", STRAIGHT)
def test_deterministic_policy_walks_straight(make, theta, b, T):
    env = make()
    points, times = simulate_episodes(env, theta, 50, seed=3)
    assert points.tolist() == [list(b)] * 50
    assert times.tolist() == [T] * 50


@pytest.mark.parametrize("step", range(4))
def test_softmax_straight_walk_counts_every_step(step):
    env = CASES[3][1]()  # B2 softmax, steps +e1, −e1, +e2, −e2
    hand = {0: ((6, 1), 4), 1: ((1, 1), 1), 2: ((2, 2), 1), 3: ((2, 0), 1)}[step]
    theta = np.zeros(4)
    theta[step] = 40.0
    cdf = np.cumsum(env.policy(theta))
    cdf[-1] = 1.0
    w = SimpleNamespace(
        start=env.start.astype(np.int64),
        vectors=env.steps.vectors.astype(np.int64),
    )
    normals, offsets = env.alcove.inward_normals, env.alcove.inward_offsets
    delta = w.vectors @ normals.T
    slack0 = normals @ w.start - offsets
    st = np.array([5, 6, 7, 8], dtype=np.uint64)
    slack, counts, x = np.empty(3, np.int64), np.empty(4, np.int64), np.empty(2, np.int64)
    T = kernels._walk_episode(w.start, w.vectors, delta, slack0, cdf, st, slack, counts, x)
    assert (tuple(x.tolist()), T) == hand
    assert counts.tolist() == [T if i == step else 0 for i in range(4)]


def test_zero_probability_step_is_never_taken():
    # softmax logits −inf are refused, but a step with probability exactly 0 can occur
    # through underflow: exp(−800) == 0.0. Steps −e1 and −e2 then must never appear.
    env = CASES[3][1]()
    theta = (0.0, -800.0, 0.0, -800.0)
    assert env.policy(theta)[1] == 0.0
    points, times = simulate_episodes(env, theta, 20000, seed=5)
    # With only +e1, +e2 the coordinates never decrease.
    assert np.all(points >= env.start)
    assert np.all(points.sum(axis=1) - env.start.sum() == times)


# -- statistics --------------------------------------------------------------------------
@pytest.mark.parametrize("name, make, theta", CASES, ids=CASE_IDS)
def test_walk_matches_random_random_twin(name, make, theta):
    """H0: the kernel's (b, T) and the ``random.Random`` twin's (b, T) have one law.
    Chi-square test of homogeneity on the (b, T) cells; reject when p < 1e-5."""
    env = make()
    d = env_desc(env)
    probs = naive_walk.policy_probs(d["kind"], d["steps"], theta)
    inside = naive_walk.make_interior(d["name"], d["level"])
    rng = random.Random(20240601)
    twin = []
    for _ in range(15000):
        b, T, _ = naive_walk.naive_walk(d["start"], d["steps"], probs, inside, rng)
        twin.append((b, T))
    points, times = simulate_episodes(env, theta, 60000, seed=11)
    ours = list(zip(map(tuple, points.tolist()), times.tolist()))
    assert homogeneity_pvalue(ours, twin) >= P_MIN


@pytest.mark.parametrize("name, make, theta", CASES, ids=CASE_IDS)
def test_walk_histogram_fits_exact_law(name, make, theta):
    """H0: the walk sampler's (b, T) are i.i.d. with the law P_θ(b, n) computed by the
    brute-force DP over interior states. Pearson chi-square on the (b, n) cells (cells
    with expected count < 5 pooled); reject when p < 1e-5 (≈ 4.4σ)."""
    env = make()
    law, tail = exact_law(env, theta)
    assert tail < 1e-14
    points, times = simulate_episodes(env, theta, 200_000, seed=2024)
    assert gof_pvalue(points, times, law, tail) >= P_MIN


def test_gof_detects_a_wrong_law():
    """The test above can fail: the corridor walk at θ against the law at a θ off by 0.05."""
    env = pw.make_env("corridor")
    law, tail = exact_law(env, (0.35, -0.1))
    points, times = simulate_episodes(env, (0.3, -0.1), 200_000, seed=2024)
    assert gof_pvalue(points, times, law, tail) < P_MIN


def test_exact_sampler_draws_table_cells(monkeypatch):
    """sampler="exact" draws (b, n) cells from env.value_distribution; with the DP law
    as that table, H0: the draws follow the law (chi-square, p ≥ 1e-5), and the
    walk and exact samplers agree (homogeneity, p ≥ 1e-5)."""
    env = pw.make_env("triangle")
    theta = (0.25, -0.1, 0.0)
    law, tail = exact_law(env, theta, tol=1e-13)
    cells = sorted(law)
    table = SimpleNamespace(
        points=np.array([c[0] for c in cells]),
        times=np.array([c[1] for c in cells]),
        probs=np.array([law[c] for c in cells]),
        tail=tail,
    )
    calls = []

    def fake(theta_, tol=1e-12):
        calls.append((tuple(theta_), tol))
        return table

    monkeypatch.setattr(env, "value_distribution", fake, raising=False)
    points, times = simulate_episodes(env, theta, 200_000, seed=9, sampler="exact")
    assert calls == [(theta, 1e-12)]
    assert points.dtype == np.int64 and times.dtype == np.int64
    assert gof_pvalue(points, times, law, tail) >= P_MIN
    wp, wt = simulate_episodes(env, theta, 100_000, seed=10)
    a = list(zip(map(tuple, points.tolist()), times.tolist()))
    b = list(zip(map(tuple, wp.tolist()), wt.tolist()))
    assert homogeneity_pvalue(a, b) >= P_MIN
    # Same seed → same draws; a cell of probability 0 is never drawn.
    p2, t2 = simulate_episodes(env, theta, 200_000, seed=9, sampler="exact")
    assert np.array_equal(points, p2) and np.array_equal(times, t2)
    table.probs = table.probs.copy()
    table.probs[:3] = 0.0
    p3, t3 = simulate_episodes(env, theta, 50_000, seed=9, sampler="exact")
    drawn = set(zip(map(tuple, p3.tolist()), t3.tolist()))
    assert not drawn & {(tuple(c[0]), c[1]) for c in cells[:3]}


# -- the public function -----------------------------------------------------------------
def test_simulate_episodes_outputs_exit_points_on_walls():
    env = pw.make_env("simplex")
    points, times = simulate_episodes(env, (0.1, 0.0, -0.1, 0.2), 5000, seed=1)
    assert points.shape == (5000, 4) and times.shape == (5000,)
    assert points.dtype == np.int64 and times.dtype == np.int64
    assert times.min() >= 1
    # Unit steps: Σx grows by one per step, so Σb = Σλ + T in full coordinates.
    assert np.array_equal(points.sum(axis=1), env.start.sum() + times)
    reps = {tuple(r) for r in env.exit_points.tolist()}
    assert {tuple(r) for r in env.alcove.representative(points).tolist()} <= reps


def test_same_seed_same_draws_and_prefix_is_stable():
    env = pw.make_env("triangle-signed")
    a = simulate_episodes(env, (0.1, 0.2), 3000, seed=4)
    b = simulate_episodes(env, (0.1, 0.2), 3000, seed=4)
    c = simulate_episodes(env, (0.1, 0.2), 1500, seed=4)
    other = simulate_episodes(env, (0.1, 0.2), 3000, seed=5)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert np.array_equal(a[0][:1500], c[0]) and np.array_equal(a[1][:1500], c[1])
    assert not np.array_equal(a[1], other[1])


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"n": 0}, pw.ArgumentError),
        ({"n": -3}, pw.ArgumentError),
        ({"n": 2.5}, pw.ArgumentError),
        ({"theta": (float("nan"), 0.0)}, pw.ArgumentError),
        ({"theta": (0.0, 0.0, 0.0)}, pw.DimensionError),
        ({"seed": -1}, pw.ArgumentError),
        ({"sampler": "gibbs"}, pw.ArgumentError),
    ],
)
def test_simulate_episodes_bad_arguments(kwargs, error):
    env = pw.make_env("corridor")
    args = {"theta": (0.0, 0.0), "n": 10, **kwargs}
    with pytest.raises(error):
        simulate_episodes(env, **args)
