"""Local maxima against a brute-force scan of V over the policy simplex (with faces)."""

import importlib
import itertools

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.landscape import local_maxima, total_variation
from tests import naive


def _wall_reward(env):
    name, level = str(env.cartan), env.level

    def reward_of(x):
        return max(env.wall_rewards[j] for j in naive.walls(name, level, x))

    return reward_of


def _table_reward(table):
    return lambda x: table.get(tuple(x), 0.0)


def _simplex_grid_maxima(env, reward_of, N):
    """Grid points of the simplex {π ≥ 0, Σπ = 1} (resolution 1/N, faces included) whose
    value is ≥ that of every grid neighbour π ± (e_i − e_j)/N."""
    k = len(env.steps.vectors)
    name, level, kind = str(env.cartan), env.level, env.steps.kind
    start = tuple(int(v) for v in env.start)
    values = {}
    for c in itertools.product(range(N + 1), repeat=k - 1):
        if sum(c) <= N:
            key = c + (N - sum(c),)
            probs = [x / N for x in key]
            values[key] = naive.policy_value(name, level, kind, start, probs, reward_of, env.gamma)
    maxima = []
    for key, v in values.items():
        nbrs = []
        for i, j in itertools.permutations(range(k), 2):
            q = list(key)
            q[i] += 1
            q[j] -= 1
            if q[j] >= 0:
                nbrs.append(values[tuple(q)])
        if all(v >= w - 1e-15 for w in nbrs):
            maxima.append((np.array(key) / N, v))
    return maxima


@pytest.mark.parametrize(
    "name, knobs, table, N",
    [
        ("corridor", {}, None, 2000),
        ("corridor", {"trap_distance": 4, "trap_reward": 0.8}, None, 2000),
        ("triangle", {}, None, 60),
        # optimum inside the edge {e1, e2}; the small rewards keep the vertices off flat zeros
        ("triangle", {}, {(3, 3, 0): 1.0, (2, 2, 0): 0.05, (1, 0, 0): 0.1}, 60),
    ],
)
def test_maxima_match_brute_force_scan(name, knobs, table, N):
    if table is None:
        env = pw.make_env(name, **knobs)
        reward_of = _wall_reward(env)
    else:
        env = pw.AlcoveWalkEnv("A2", 6, "unit", (2, 1, 0), reward_table=table, gamma=0.95)
        reward_of = _table_reward(table)
    found = local_maxima(env, basin_samples=0)
    grid = _simplex_grid_maxima(env, reward_of, N)
    assert len(found) == len(grid)
    for m in found:
        # each reported maximum has a grid maximum within the grid resolution ...
        tv, v = min((total_variation(m.policy, p), v) for p, v in grid)
        assert tv <= 1.0 / N + 1e-12
        assert m.value >= v - 1e-12  # ... which it does not fall below
        exact = naive.policy_value(
            str(env.cartan),
            env.level,
            env.steps.kind,
            tuple(int(x) for x in env.start),
            m.policy,
            reward_of,
            env.gamma,
        )
        assert m.value == pytest.approx(exact, abs=1e-12)


def test_edge_maximum_is_at_one_third():
    # Only (3,3,0) pays: on the edge {e1, e2} V = γ² p (1 − p)², maximal at p = 1/3.
    env = pw.AlcoveWalkEnv("A2", 6, "unit", (2, 1, 0), reward_table={(3, 3, 0): 1.0}, gamma=0.95)
    edge = [m for m in local_maxima(env, basin_samples=0) if len(m.support) == 2]
    assert len(edge) == 1
    m = edge[0]
    assert m.support == (0, 1)
    assert m.policy == pytest.approx([1 / 3, 2 / 3, 0.0], abs=1e-7)
    assert m.value == pytest.approx(0.95**2 * (1 / 3) * (2 / 3) ** 2, abs=1e-12)
    cert = m.certificate
    assert cert["face_dim"] == 1 and cert["gradient_norm"] < 1e-6
    assert cert["hessian_max_eig"] < 0 and cert["gain_rate"] <= 0
    assert cert["perturbation_gain"] <= 0
    # the flat vertices (V = 0 with a second-order gain) are not reported
    assert all(m.value > 0 for m in local_maxima(env, basin_samples=0))


def _best_nearby_value(env, support, rng):
    """Largest V found near the face ``support`` of a signed env, inside its exp family
    (mixtures would leave it): θ = c u + noise, u = Σ of the face's steps (a normal of
    that face of the cross-polytope conv(S)), c ∈ {10, 14}, so π_θ is within ~e^{-8}
    of the face."""
    u = env.steps.vectors[list(support)].sum(axis=0).astype(float)
    thetas = [c * u + rng.normal(size=env.theta_dim) for c in (10.0, 14.0) for _ in range(30)]
    return max(env.value(t) for t in thetas)


@pytest.mark.parametrize("name", ["corridor", "triangle", "triangle-signed", "simplex"])
def test_reported_maxima_are_not_saddles(name):
    # Random small moves inside the closure never increase V beyond rounding.
    env = pw.make_env(name)
    rng = np.random.default_rng(5)
    k = len(env.steps.vectors)
    maxima = local_maxima(env, basin_samples=0)
    assert maxima
    for m in maxima:
        if env.steps.kind == "signed":
            assert _best_nearby_value(env, m.support, rng) <= m.value + 1e-12
            continue
        for _ in range(30):
            q = rng.dirichlet(np.ones(k))
            for eps in (1e-3, 1e-5):
                p = (1 - eps) * m.policy + eps * q
                assert pw.landscape.faces.policy_value(env, p) <= m.value + 1e-12


def test_nearby_search_finds_the_gain_at_a_vertex_that_is_no_maximum():
    # The signed check above can fail: −e2 alone exits at once on wall 2 (V = 0.3), but
    # policies near it that sometimes step ±e1 or +e2 first do better.
    env = pw.make_env("triangle-signed")
    assert all(m.support != (3,) for m in local_maxima(env, basin_samples=0))
    v_vertex = pw.landscape.faces.policy_value(env, np.array([0.0, 0.0, 0.0, 1.0]))
    assert v_vertex == pytest.approx(0.3, abs=1e-12)
    assert _best_nearby_value(env, (3,), np.random.default_rng(5)) > v_vertex + 1e-6


def test_signed_vertices_are_local_maxima_within_the_family():
    env = pw.make_env("triangle-signed")
    for m in local_maxima(env, basin_samples=0):
        if m.flat:
            continue  # the ridge {−e1, +e2}: see test_flat_ridge_is_one_maximum
        (s,) = m.support
        direction = env.steps.vectors[s].astype(float)
        rng = np.random.default_rng(1)
        for _ in range(20):
            u = rng.normal(size=2)
            theta = 30.0 * direction + 3.0 * u  # deep in the exp family, near the vertex
            assert env.value(theta) <= m.value + 1e-12


def test_to_dict_holds_every_field_and_replace_keeps_the_rest():
    import dataclasses
    import json

    env = pw.make_env("triangle-signed")
    maxima = local_maxima(env, basin_samples=0)
    for m in maxima:
        d = json.loads(json.dumps(m.to_dict(), allow_nan=False))
        assert set(d) == {f.name for f in dataclasses.fields(m)}
        assert d["flat"] is m.flat and d["support"] == list(m.support)
        assert d["policy"] == m.policy.tolist() and d["value"] == m.value
    assert any(m.to_dict()["flat"] for m in maxima)  # the ridge {−e1, +e2}
    m = dataclasses.replace(maxima[0], basin_share=0.25, basin_ci=(0.1, 0.5))
    assert (m.support, m.value, m.flat) == (maxima[0].support, maxima[0].value, maxima[0].flat)
    assert m.to_dict()["basin_ci"] == [0.1, 0.5]
    with pytest.raises(TypeError):  # keyword construction only
        type(m)(m.support, m.policy, m.value, m.certificate)


def test_basin_shares_and_deterministic_basin():
    env = pw.make_env("corridor")
    maxima = local_maxima(env, basin_samples=8, seed=3)
    assert sum(m.basin_share for m in maxima) == pytest.approx(1.0)
    # From the uniform policy the exact gradient points up (toward the treasure)?
    # Decide by the sign of dV/dθ_1 − dV/dθ_2 at θ = 0 and check the flow agrees.
    g = env.value_grad([0.0, 0.0])
    j = pw.landscape.deterministic_basin(env, [0.0, 0.0], maxima)
    up = int(np.argmax([m.policy[0] for m in maxima]))
    assert (j == up) == (g[0] - g[1] > 0)
    assert pw.landscape.deterministic_basin(env, [6.0, -6.0], maxima) == up
    assert pw.landscape.deterministic_basin(env, [-6.0, 6.0], maxima) == 1 - up


def test_flat_ridge_is_one_maximum():
    # In triangle-signed, −e1 and +e2 both exit at once on wall 1 (reward 0.6): V = 0.6
    # on the whole edge {−e1, +e2}, a ridge of non-strict maxima reported as one.
    env = pw.make_env("triangle-signed")
    maxima = local_maxima(env, basin_samples=12, seed=2)
    flat = [m for m in maxima if m.flat]
    assert len(flat) == 1 and flat[0].support == (1, 2)
    assert flat[0].value == pytest.approx(0.6, abs=1e-12)
    assert flat[0].certificate["gain_rate"] < 0
    on_edge = np.array([0.0, 0.3, 0.7, 0.0])
    assert flat[0].distances(on_edge) == pytest.approx(0.0)
    assert flat[0].distances(np.array([0.1, 0.3, 0.6, 0.0])) == pytest.approx(0.1)
    # every gradient-flow sample ends on a maximum: no basin is left unresolved
    assert sum(m.basin_share for m in maxima) == pytest.approx(1.0)

    # and V really is constant on the edge (independent route: the naive linear solve)
    def reward_of(x):
        return max(env.wall_rewards[j] for j in naive.walls("B2", 7, x))

    for q in (0.1, 0.5, 0.9):
        v = naive.policy_value("B2", 7, "signed", (2, 1), [0, q, 1 - q, 0], reward_of, 0.95)
        assert v == pytest.approx(0.6, abs=1e-14)


def test_reinforce_stops_on_a_flat_target():
    from pgweyl.sim import reinforce

    env = pw.make_env("triangle-signed")
    # θ = (−6, 6): π puts ~all mass on −e1 and +e2, split evenly (far from either vertex).
    theta0 = [-6.0, 6.0]
    target = [[0.0, 0.5, 0.5, 0.0]]
    flat = reinforce(env, theta0, 0.1, 5, 3, targets=target, eps=1e-3, target_flat=[True])
    point = reinforce(env, theta0, 0.1, 5, 3, targets=[[0.0, 1.0, 0.0, 0.0]], eps=1e-3)
    assert np.all(flat.stopped_at == 0) and np.all(flat.target_index == 0)
    assert np.all(point.stopped_at == -1)


def test_two_flat_faces_sharing_a_vertex():
    # With r1 = r2 = 0.6 on the signed triangle from (2, 1), −e1 → (1, 1) (wall 1),
    # +e2 → (2, 2) (wall 1) and −e2 → (2, 0) (wall 2) all exit at once paying 0.6, so the
    # edges {−e1, +e2} and {−e1, −e2} are two ridges of maxima (V = 0.6 on each, by
    # hand) that share the vertex −e1; +e1 alone reaches the far wall x1 + x2 = 7 in 4 steps.
    env = pw.make_env("triangle-signed", level=7, r2=0.6)
    maxima = pw.local_maxima(env)
    flat = sorted(m.support for m in maxima if m.flat)
    assert flat == [(1, 2), (1, 3)]
    assert all(m.value == pytest.approx(0.6, abs=1e-12) for m in maxima if m.flat)
    top = [m for m in maxima if not m.flat]
    assert [m.support for m in top] == [(0,)] and top[0].value == pytest.approx(0.95**3)


def test_a_repeated_search_is_remembered_and_its_copies_are_the_callers(monkeypatch):
    """The memo of local_maxima: the same environment (by its constructor arguments)
    and settings give the maxima of a fresh search, without searching again; a caller
    changing what it got changes nothing for the next; other settings (and another τ
    for J_τ's maxima) search anew."""
    maxima_module = importlib.import_module("pgweyl.landscape.maxima")
    env = pw.make_env("corridor")
    real, real_entropy = maxima_module._search, maxima_module.entropy_maxima
    calls, entropy_calls = [], []
    monkeypatch.setattr(maxima_module, "_MEMO", maxima_module._Memo(maxima_module.MEMO_SIZE))
    monkeypatch.setattr(maxima_module, "_search", lambda *a: calls.append(a) or real(*a))
    monkeypatch.setattr(
        maxima_module,
        "entropy_maxima",
        lambda *a, **kw: entropy_calls.append(a) or real_entropy(*a, **kw),
    )
    first = pw.local_maxima(env)
    first[0].policy[:] = -1.0  # the caller's copy
    first[0].certificate["gradient_norm"] = "changed"
    again = pw.local_maxima(pw.make_env("corridor"))  # an equal environment
    assert len(calls) == 1
    pw.local_maxima(env, seed=1)
    pw.local_maxima(pw.make_env("corridor", level=9))
    assert len(calls) == 3
    a = pw.local_maxima(env, rule="entropy:tau=0.05")
    b = pw.local_maxima(env, rule="entropy:tau=0.05,baseline=mean")  # the same J_τ
    pw.local_maxima(env, rule="entropy:tau=0.0500001")
    assert len(entropy_calls) == 2
    assert [m.value for m in a] == [m.value for m in b]
    fresh = real(env, 4, 0, 0, 1.0, False)
    assert len(again) == len(fresh)
    for m, f in zip(again, fresh):
        assert m.support == f.support and m.value == f.value
        assert np.array_equal(m.policy, f.policy) and m.certificate == f.certificate


@pytest.mark.parametrize("name", ["corridor", "triangle", "triangle-signed"])
def test_one_solve_gives_the_bits_of_value_and_derivative_apart(name):
    """The maxima searches ask for (V, ∂V/∂φ) from one linear solve: the same bits as
    policy_value and policy_derivative called apart, inside the family and on a face
    (zero probabilities)."""
    env = pw.make_env(name)
    rng = np.random.default_rng(5)
    k = len(env.steps.vectors)
    for zeros in (0, 1):
        p = rng.dirichlet(np.ones(k))
        p[:zeros] = 0.0
        p /= p.sum()
        jac = rng.normal(size=(k, 2))
        v, g = env.solver.policy_value_derivative(p, jac)
        assert v == env.solver.policy_value(p)
        assert g.tobytes() == env.solver.policy_derivative(p, jac).tobytes()
