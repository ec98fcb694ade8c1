"""Value distribution, V and ∇V: every identity is checked against an independent route."""

import math
import warnings

import numpy as np
import pytest

import pgweyl as pw

FAMILIES = ["corridor", "triangle", "triangle-signed", "simplex"]
SOFTMAX_ENVS = [
    dict(
        cartan="B2",
        level=7,
        steps="signed",
        start=(2, 1),
        wall_rewards=(1.0, 0.6, 0.3),
        gamma=0.95,
        step_cost=0.02,
        policy="softmax",
    ),
    dict(
        cartan="A2",
        level=6,
        start=(2, 1, 0),
        wall_rewards=(1.0, 0.6, 0.3),
        gamma=0.9,
        policy="softmax",
    ),
]


def _thetas(env, seed, count=3, scale=1.0):
    rng = np.random.default_rng(seed)
    return [scale * rng.normal(size=env.theta_dim) for _ in range(count)]


@pytest.mark.parametrize("name", FAMILIES)
def test_probabilities_sum_to_one_minus_tail(name):
    env = pw.make_env(name)
    for theta in _thetas(env, 1):
        dist = env.value_distribution(theta, tol=1e-12)
        assert 0.0 <= dist.tail <= 1e-12
        assert dist.probs.sum() == pytest.approx(1.0 - dist.tail, abs=1e-13)
        assert np.all(dist.probs > 0) and dist.times.min() >= 1
        for b in dist.points[:20]:  # exit points are on walls, in full coordinates
            assert env.alcove.walls_at(b)


@pytest.mark.parametrize("name", FAMILIES)
def test_gradient_matches_finite_differences(name):
    env = pw.make_env(name, step_cost=0.01)
    h = 1e-5
    for theta in _thetas(env, 2):
        fd = [
            (env.value(theta + h * e, tol=1e-13) - env.value(theta - h * e, tol=1e-13)) / (2 * h)
            for e in np.eye(env.theta_dim)
        ]
        assert env.value_grad(theta, tol=1e-13) == pytest.approx(fd, abs=1e-7)


@pytest.mark.parametrize("name", FAMILIES)
def test_policy_gradient_identity(name):
    # THEORY §5: Σ P G (b − λ − n ∇A) (from the tilted table) equals ∇V computed by
    # forward-mode derivatives of the policy-weighted transfer matrix (no table, no score).
    env = pw.make_env(name, step_cost=0.01)
    for theta in _thetas(env, 3):
        pg = env.value_grad(theta, tol=1e-13)
        direct = env.solver.value_grad_transfer(theta, tol=1e-15)
        assert pg == pytest.approx(direct, abs=1e-10)


@pytest.mark.parametrize("name", FAMILIES)
def test_tilted_table_equals_weighted_transfer_cell_by_cell(name):
    env = pw.make_env(name)
    for theta in _thetas(env, 4, scale=2.0):
        dist = env.value_distribution(theta, tol=1e-14)
        times, idx, probs, _, tail = env.solver.tilted.run(env.policy(theta), None, 1e-14)
        ref = {(int(n), int(j)): p for n, j, p in zip(times, idx, probs)}
        got = {(int(n), int(j)): p for n, j, p in zip(dist.times, dist.exit_index, dist.probs)}
        for key in set(ref) | set(got):
            assert got.get(key, 0.0) == pytest.approx(ref.get(key, 0.0), rel=1e-11, abs=1e-16)
        assert dist.tail == pytest.approx(tail, rel=1e-8, abs=1e-16)


@pytest.mark.parametrize("p_up", [0.5, 0.3, 0.62])
def test_gamblers_ruin_on_the_corridor(p_up):
    # Classical: from i in (0, m), with P(up) = p, q = 1 − p, r = q/p,
    # P(hit m first) = (1 − r^i)/(1 − r^m) and E[T] = i/(q−p) − (m/(q−p)) (1 − r^i)/(1 − r^m);
    # for p = q: i/m and i(m − i).
    i, m = 3, 8
    q = 1.0 - p_up
    theta = np.array([math.log(p_up), math.log(q)])
    win = pw.make_env(
        "corridor", level=m, trap_distance=i, treasure_reward=1.0, trap_reward=0.0, gamma=1.0
    )
    dur = pw.make_env(
        "corridor",
        level=m,
        trap_distance=i,
        treasure_reward=0.0,
        trap_reward=0.0,
        gamma=1.0,
        step_cost=1.0,
    )
    if p_up == 0.5:
        p_win, e_t = i / m, i * (m - i)
    else:
        r = q / p_up
        p_win = (1 - r**i) / (1 - r**m)
        e_t = i / (q - p_up) - (m / (q - p_up)) * p_win
    assert win.value(theta, tol=1e-13) == pytest.approx(p_win, abs=1e-13)
    assert dur.value(theta, tol=1e-13) == pytest.approx(-e_t, abs=1e-11)
    dist = win.value_distribution(theta, tol=1e-15)
    assert dist.mean_time == pytest.approx(e_t, abs=1e-11)
    assert dist.wall_probabilities(2) == pytest.approx([p_win, 1 - p_win], abs=1e-13)


def test_softmax_equals_exp_on_unit_steps():
    # On A_n with unit steps, softmax logits θ_s and the exp family (θ, e_s) coincide.
    kw = dict(
        cartan="A2",
        level=7,
        start=(2, 1, 0),
        wall_rewards=(1.0, 0.6, 0.3),
        gamma=0.9,
        step_cost=0.05,
    )
    e_exp = pw.AlcoveWalkEnv(**kw, policy="exp")
    e_soft = pw.AlcoveWalkEnv(**kw, policy="softmax")
    for theta in _thetas(e_exp, 5):
        assert e_soft.value(theta, tol=1e-13) == pytest.approx(
            e_exp.value(theta, tol=1e-13), abs=1e-13
        )
        assert e_soft.value_grad(theta, tol=1e-13) == pytest.approx(
            e_exp.value_grad(theta, tol=1e-13), abs=1e-12
        )
        d1, d2 = e_exp.value_distribution(theta), e_soft.value_distribution(theta)
        assert d1.exit_probabilities() == pytest.approx(d2.exit_probabilities(), abs=1e-12)


@pytest.mark.parametrize("kw", SOFTMAX_ENVS)
def test_softmax_gradient_matches_finite_differences(kw):
    env = pw.AlcoveWalkEnv(**kw)
    h = 1e-5
    for theta in _thetas(env, 6):
        fd = [
            (env.value(theta + h * e, tol=1e-13) - env.value(theta - h * e, tol=1e-13)) / (2 * h)
            for e in np.eye(env.theta_dim)
        ]
        assert env.value_grad(theta, tol=1e-13) == pytest.approx(fd, abs=1e-7)
        dist = env.value_distribution(theta, tol=1e-13)
        assert dist.probs.sum() == pytest.approx(1 - dist.tail, abs=1e-13)


# (family, step index, exit time T, reward R of the straight walk), counted by hand:
# triangle from (2,1,0): e1 reaches x1 − x3 = 6 after 4 steps (wall 0, R = 1.0); e2 makes
# x1 = x2 at once (wall 1, 0.6); e3 makes x2 = x3 at once (wall 2, 0.3).
# triangle-signed from (2,1): +e1 reaches x1 + x2 = 7 after 4 steps (wall 0); −e1 gives (1,1)
# (wall 1); +e2 gives (2,2) (wall 1); −e2 gives (2,0) (wall 2).
# corridor from distance 2: up reaches 8 after 6 steps; down reaches 0 after 2 steps.
STRAIGHT = [
    ("triangle", 0, 4, 1.0),
    ("triangle", 1, 1, 0.6),
    ("triangle", 2, 1, 0.3),
    ("triangle-signed", 0, 4, 1.0),
    ("triangle-signed", 1, 1, 0.6),
    ("triangle-signed", 2, 1, 0.6),
    ("triangle-signed", 3, 1, 0.3),
    ("corridor", 0, 6, 1.0),
    ("corridor", 1, 2, 0.5),
    ("simplex", 0, 3, 1.0),
    ("simplex", 3, 1, 0.3),
]


@pytest.mark.parametrize("name, step, T, R", STRAIGHT)
def test_deterministic_limit_is_the_straight_walk(name, step, T, R):
    env = pw.make_env(name)
    s = env.steps.vectors[step].astype(float)
    theta = 50.0 * s  # π concentrates on step s: the other steps have weight ≤ e^-50
    others = np.delete(env.policy(theta), step)
    assert others.sum() < 1e-20
    assert env.value(theta) == pytest.approx(0.95 ** (T - 1) * R, abs=1e-12)
    dist = env.value_distribution(theta)
    assert np.all(np.isfinite(dist.probs))
    assert dist.probs.sum() == pytest.approx(1.0 - dist.tail, abs=1e-13)


def test_large_theta_stays_finite():
    env = pw.make_env("triangle-signed")
    rng = np.random.default_rng(7)
    for _ in range(5):
        u = rng.normal(size=2)
        theta = 50.0 * u / np.linalg.norm(u)
        dist = env.value_distribution(theta)
        assert np.all(np.isfinite(dist.probs)) and np.isfinite(dist.value)
        assert dist.probs.sum() == pytest.approx(1.0 - dist.tail, abs=1e-12)
        assert np.all(np.isfinite(env.value_grad(theta)))


def test_long_horizon_stays_exact():
    # Uniform walk in a corridor of level 60: the tail falls below 1e-12 only after
    # ~2·10^4 float rows (relative error ≤ n(|S|+1)ε). P(treasure) = i/m exactly.
    env = pw.make_env(
        "corridor", level=60, trap_distance=20, treasure_reward=1.0, trap_reward=0.0, gamma=1.0
    )
    dist = env.value_distribution([0.0, 0.0], tol=1e-12)
    assert dist.n_max > 10_000
    assert env.solver.table.relative_error(dist.n_max) < 1e-10
    assert dist.value == pytest.approx(20 / 60, abs=1e-11)
    assert dist.probs.sum() == pytest.approx(1.0 - dist.tail, abs=1e-12)
    assert dist.mean_time == pytest.approx(20 * 40, rel=1e-10)


@pytest.mark.slow
def test_horizon_of_a_hundred_thousand_steps():
    env = pw.make_env(
        "corridor", level=130, trap_distance=30, treasure_reward=1.0, trap_reward=0.0, gamma=1.0
    )
    dist = env.value_distribution([0.0, 0.0], tol=1e-12)
    assert dist.n_max > 90_000
    assert dist.value == pytest.approx(30 / 130, abs=1e-10)
    assert dist.mean_time == pytest.approx(30 * 100, rel=1e-9)


def test_table_is_built_once_and_reused():
    env = pw.make_env("triangle")
    env.value([0.1, 0.2, -0.3])
    table = env.solver.table
    rows = table.rows
    for theta in _thetas(env, 8):
        env.value_distribution(theta)
    assert env.solver.table is table and table.rows >= rows


def test_a_law_that_cannot_reach_tol_is_refused_unless_truncation_is_asked(monkeypatch):
    env = pw.make_env("corridor", level=40)
    monkeypatch.setattr(pw.config, "MAX_TABLE_ROWS", 100)
    with pytest.raises(pw.AccuracyError, match=r"tail P\(T > N\) is still 0\.\d+ > tol"):
        env.value_distribution([0.0, 0.0], tol=1e-12)
    with pytest.warns(pw.TruncationWarning, match="tail"):
        dist = env.value_distribution([0.0, 0.0], tol=1e-12, n_max=90)
    assert dist.tail > 1e-12 and dist.n_max == 90
    assert dist.probs.sum() == pytest.approx(1.0 - dist.tail, abs=1e-12)


@pytest.mark.parametrize("tol", [0.0, 1.0, -1e-3, float("nan"), "small"])
def test_bad_tolerance(tol):
    with pytest.raises(pw.ArgumentError, match="tol must be"):
        pw.make_env("corridor").value_distribution([0.0, 0.0], tol=tol)


def test_distribution_to_dict_is_json_ready():
    import json

    dist = pw.make_env("corridor").value_distribution([0.2, -0.1])
    d = json.loads(json.dumps(dist.to_dict()))
    assert d["value"] == pytest.approx(dist.value) and len(d["cells"]["probs"]) == len(dist.probs)
    assert "value=" in repr(dist)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pw.make_env("corridor").value([0.0, 0.0])
