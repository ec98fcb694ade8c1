"""The Gymnasium environments: API conformance, registration, returns, the exact exit law."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

import pgweyl as pw  # noqa: E402
import pgweyl.gym as pg  # noqa: E402
from pgweyl.errors import ArgumentError, PgweylError  # noqa: E402

# Every registered id with the gym.make kwargs used to check it (AlcoveWalk needs an env).
MAKE_KWARGS = {
    "pgweyl/Corridor-v0": {},
    "pgweyl/Triangle-v0": {},
    "pgweyl/TriangleSigned-v0": {},
    "pgweyl/Simplex-v0": {},
    "pgweyl/AlcoveWalk-v0": {"spec": "corridor:level=5,trap_distance=2"},
}


def test_every_id_is_registered_and_checked_here():
    assert set(pg.GYM_IDS) == set(MAKE_KWARGS)
    assert all(i in gym.registry for i in MAKE_KWARGS)


def _check_env_strict(env):
    from gymnasium.utils.env_checker import check_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any checker warning fails the test
        check_env(env.unwrapped)


@pytest.mark.parametrize("env_id", sorted(MAKE_KWARGS))
def test_check_env_passes(env_id):
    _check_env_strict(gym.make(env_id, **MAKE_KWARGS[env_id]))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"observation": "position"},
        {"observation": "position", "render_mode": "ansi"},
        {"level": 7, "step_cost": 0.1, "gamma": 0.9},
    ],
)
def test_check_env_passes_with_options(kwargs):
    _check_env_strict(gym.make("pgweyl/TriangleSigned-v0", **kwargs))
    _check_env_strict(gym.make("pgweyl/Triangle-v0", **kwargs))


def test_alcove_walk_takes_env_arguments_spec_or_instance():
    a = gym.make("pgweyl/AlcoveWalk-v0", cartan="B2", level=7, start=(2, 1), wall_rewards=(1, 0, 0))
    assert a.unwrapped.pgweyl_env.level == 7 and a.action_space.n == 4
    _check_env_strict(a)
    b = gym.make("pgweyl/AlcoveWalk-v0", spec="triangle:level=5")
    assert b.unwrapped.pgweyl_env.level == 5
    env = pw.make_env("simplex", level=5)
    c = gym.make("pgweyl/AlcoveWalk-v0", pgweyl_env=env)
    assert c.unwrapped.pgweyl_env is env
    with pytest.raises(ArgumentError, match="cartan and level required"):
        gym.make("pgweyl/AlcoveWalk-v0")
    with pytest.raises(ArgumentError, match="unknown argument"):
        gym.make("pgweyl/AlcoveWalk-v0", cartan="A1", level=4, colour="red")
    with pytest.raises(ArgumentError, match="one of family, spec, pgweyl_env"):
        gym.make("pgweyl/Corridor-v0", spec="corridor")
    with pytest.raises(pw.SpecError):
        gym.make("pgweyl/AlcoveWalk-v0", spec="corridor:lvl=3")


def test_catalog_knobs_and_bad_arguments():
    env = gym.make("pgweyl/Corridor-v0", level=12, trap_distance=3)
    assert env.unwrapped.pgweyl_env.level == 12
    assert env.unwrapped.pgweyl_env.start.tolist() == [3, 0]
    with pytest.raises(ArgumentError, match="unknown knob"):
        gym.make("pgweyl/Corridor-v0", r0=1.0)
    with pytest.raises(ArgumentError, match="observation 'pixels'; expected one of blind"):
        gym.make("pgweyl/Corridor-v0", observation="pixels")


def test_spaces_and_observations():
    env = gym.make("pgweyl/Triangle-v0")
    vecs = env.unwrapped.pgweyl_env.steps.vectors
    assert env.action_space == gym.spaces.Discrete(len(vecs))
    assert np.array_equal(env.unwrapped.step_vectors, vecs)
    assert env.unwrapped.action_labels == ("+e1", "+e2", "+e3")
    obs, info = env.reset(seed=1)
    assert obs == 0 and info == {} and env.observation_space == gym.spaces.Discrete(1)
    pos = gym.make("pgweyl/Triangle-v0", observation="position")
    obs, _ = pos.reset(seed=1)
    assert obs.tolist() == [2, 1, 0]
    obs, *_ = pos.step(0)
    assert obs.tolist() == [3, 1, 0]
    obs, *_ = pos.step(2)  # (3, 1, 1): on wall 2 (x2 = x3); shown as the representative
    assert obs.tolist() == [2, 0, 0]


def test_episode_info_and_order():
    env = gym.make("pgweyl/Corridor-v0")  # A1, level 8, start (2, 0); wall 1 at distance 2
    env.reset(seed=0)
    out = env.step(1)
    assert out[1:4] == (0.0, False, False) and out[4] == {}
    obs, r, term, trunc, info = env.step(1)
    assert (r, term, trunc) == (0.5, True, False)
    assert info["wall"] == (1,) and info["T"] == 2
    assert info["exit_point"].tolist() == [2, 2] and info["exit_point"].dtype == np.int64
    with pytest.raises(ArgumentError, match="terminated; call reset"):
        env.step(0)
    env.reset()
    with pytest.raises(ArgumentError, match=r"action must be an integer in 0\.\.1"):
        env.step(2)
    with pytest.raises(ArgumentError, match="reset options are not supported"):
        env.reset(options={"start": (3, 0)})


@pytest.mark.parametrize("gamma, cost", [(0.95, 0.0), (0.9, 0.1), (1.0, 0.25)])
def test_discounted_rewards_sum_to_pgweyl_return(gamma, cost):
    """Σ γ^t r_t = γ^{T−1} R(b) − c Σ_{t<T} γ^t, with the right side written out by hand."""
    env = gym.make("pgweyl/Corridor-v0", gamma=gamma, step_cost=cost)
    # treasure: 6 steps up from distance 2 (wall 0, R = 1); trap: down, up, down, down
    for actions, R in (([0] * 6, 1.0), ([1, 0, 1, 1], 0.5)):
        env.reset(seed=0)
        total, T = 0.0, 0
        for a in actions:
            _, r, term, _, info = env.step(a)
            total += gamma**T * r
            T += 1
        assert term and info["T"] == len(actions)
        expected = gamma ** (T - 1) * R - cost * sum(gamma**t for t in range(T))
        assert total == pytest.approx(expected, abs=1e-12)


def test_step_limit_truncates():
    env = gym.make("pgweyl/TriangleSigned-v0", max_episode_steps=3, observation="position")
    env.reset(seed=0)
    flags = [env.step(a)[2:4] for a in (0, 1, 0)]  # +e1, -e1, +e1: inside for 3 steps
    assert flags == [(False, False), (False, False), (False, True)]


def test_render_ansi():
    env = gym.make("pgweyl/Corridor-v0", render_mode="ansi")
    env.reset(seed=0)
    env.step(1)
    env.step(1)
    assert env.render() == "t=2 x=[2, 2] on wall(s) (1,)"


def test_vector_env_runs_and_reports_exits():
    vec = gym.make_vec("pgweyl/Corridor-v0", num_envs=3, vectorization_mode="sync", level=4)
    obs, _ = vec.reset(seed=5)
    assert obs.tolist() == [0, 0, 0]
    # env 0 walks up (3 steps to the treasure, level 4 from distance 2... wall 0 at 2),
    # env 1 down (2 steps to the trap), env 2 alternates.
    _, r, term, trunc, info = vec.step(np.array([0, 1, 0]))
    assert term.tolist() == [False, False, False]
    _, r, term, trunc, info = vec.step(np.array([0, 1, 1]))
    assert term.tolist() == [True, True, False] and not trunc.any()
    assert r.tolist() == [1.0, 0.5, 0.0]
    assert info["_T"].tolist() == [True, True, False]
    assert info["T"][:2].tolist() == [2, 2]
    assert info["wall"][0] == (0,) and info["wall"][1] == (1,)
    vec.close()
    sync = gym.vector.SyncVectorEnv([lambda: gym.make("pgweyl/Triangle-v0")] * 2)
    sync.reset(seed=0)
    sync.step(np.array([0, 2]))
    sync.close()


def test_import_pgweyl_does_not_import_gymnasium():
    code = "import sys, pgweyl; assert 'gymnasium' not in sys.modules, 'gymnasium imported'"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_without_gymnasium_the_command_imports_and_names_fail_clearly():
    code = (
        "import sys; sys.modules['gymnasium'] = None\n"
        "import argparse, pgweyl.gym, pgweyl.cli.grade as c\n"
        "c.add_arguments(argparse.ArgumentParser())\n"
        "try:\n    pgweyl.gym.grade\nexcept ImportError as e:\n    print(type(e).__name__, e)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("MissingDependencyError pgweyl.gym needs gymnasium")
    assert "pip install 'pgweyl[gym]'" in proc.stdout


# -- the exit law against pgweyl's exact law ---------------------------------------------
N_EPISODES = 20_000
Z_MAX = 4.5

LAW_CASES = [
    ("pgweyl/Corridor-v0", {"level": 6, "step_cost": 0.05}, [0.2, -0.2]),
    ("pgweyl/Triangle-v0", {"level": 5}, [0.3, -0.1, -0.2]),
    ("pgweyl/TriangleSigned-v0", {}, [0.2, -0.3]),
    ("pgweyl/Simplex-v0", {"level": 5}, [0.1, 0.2, -0.2, -0.1]),
]


def _run_episodes(env, probs, n, seed):
    """Exit-wall tuples, exit times and discounted returns of n episodes under probs."""
    rng = np.random.default_rng(seed)
    gamma = env.unwrapped.gamma
    walls, times, returns = [], np.empty(n, dtype=np.int64), np.empty(n)
    cdf = np.cumsum(probs)
    env.reset(seed=seed)
    for i in range(n):
        if i:
            env.reset()
        total, disc = 0.0, 1.0
        while True:
            a = int(min(np.searchsorted(cdf, rng.random(), side="right"), len(cdf) - 1))
            _, r, term, trunc, info = env.step(a)
            total += disc * r
            disc *= gamma
            if term:
                break
            assert not trunc
        walls.append(info["wall"])
        times[i] = info["T"]
        returns[i] = total
    return walls, times, returns


def _law_by_walls(dist):
    """P(exit on exactly the walls w) from pgweyl's value distribution (exp-family tilt)."""
    law = {}
    for w, p in zip(dist.exit_walls, dist.exit_probabilities()):
        law[tuple(w)] = law.get(tuple(w), 0.0) + float(p)
    return law


def _z(counts, law, n):
    """Per-category z of the counts against the law (categories with p = 0: count must be 0)."""
    z = {}
    for w in set(law) | set(counts):
        p = law.get(w, 0.0)
        k = counts.get(w, 0)
        z[w] = (k - n * p) / np.sqrt(n * p * (1 - p)) if 0 < p < 1 else (0.0 if k == 0 else np.inf)
    return z


@pytest.mark.parametrize("env_id, kwargs, theta", LAW_CASES)
def test_exit_law_matches_the_exact_law(env_id, kwargs, theta):
    """H0: the Gymnasium env's (exit walls, T, return) under π_θ follow pgweyl's exact value
    distribution. 2·10⁴ episodes, fixed seed; each wall-tuple count, the mean exit time and
    the mean return within 4.5 standard errors. The expected numbers come from the
    first-passage tables (env.value_distribution), not from stepping the Gymnasium env."""
    env = gym.make(env_id, **kwargs)
    penv = env.unwrapped.pgweyl_env
    probs = penv.policy(theta)
    dist = penv.value_distribution(theta)
    walls, times, returns = _run_episodes(env, probs, N_EPISODES, seed=2024)
    counts = {}
    for w in walls:
        counts[w] = counts.get(w, 0) + 1
    law = _law_by_walls(dist)
    assert len(law) >= 2 and abs(sum(law.values()) - 1) < 1e-9
    z = _z(counts, law, N_EPISODES)
    assert max(abs(v) for v in z.values()) < Z_MAX, z
    se_t = times.std(ddof=1) / np.sqrt(N_EPISODES)
    assert abs(times.mean() - dist.mean_time) < Z_MAX * se_t
    se_g = returns.std(ddof=1) / np.sqrt(N_EPISODES)
    assert abs(returns.mean() - penv.value(theta)) < Z_MAX * se_g
    # The test can fail: the same counts reject the law of a nearby policy.
    shifted = np.asarray(theta) + 0.15 * (np.arange(len(theta)) == 0)
    z_wrong = _z(counts, _law_by_walls(penv.value_distribution(shifted)), N_EPISODES)
    assert max(abs(v) for v in z_wrong.values()) > Z_MAX


def test_exit_law_catches_a_planted_reward_bug(monkeypatch):
    """A wrong reward table in the env (walls swapped) is caught by the return check."""
    env = gym.make("pgweyl/Corridor-v0", level=6)
    penv = env.unwrapped.pgweyl_env
    base = env.unwrapped
    swapped = {k: 1.5 - v for k, v in base._exit_reward.items()}  # 1 ↔ 0.5
    monkeypatch.setattr(base, "_exit_reward", swapped)
    theta = [0.2, -0.2]
    _, _, returns = _run_episodes(env, penv.policy(theta), 2000, seed=1)
    se = returns.std(ddof=1) / np.sqrt(len(returns))
    assert abs(returns.mean() - penv.value(theta)) > Z_MAX * se


def test_a_walk_off_the_exit_table_is_an_error(monkeypatch):
    env = gym.make("pgweyl/Corridor-v0", level=4)
    monkeypatch.setattr(env.unwrapped, "_exit_reward", {})
    env.reset(seed=0)
    env.step(1)
    with pytest.raises(PgweylError, match="not an exit point"):
        env.step(1)


# -- actions as agents give them ------------------------------------------------------------
def test_integer_like_actions_are_accepted_exactly_when_the_space_contains_them():
    env = gym.make("pgweyl/Corridor-v0", level=40, trap_distance=20)
    space = env.action_space
    env.reset(seed=0)
    accepted = [1, np.int64(0), np.int32(1), np.array(0), np.array(1, dtype=np.uint8)]
    x = [20, 0]
    for a in accepted:
        assert space.contains(a)
        env.step(a)
        x[int(a)] += 1
    assert env.unwrapped._x == tuple(x)
    refused = [1.0, np.array([0]), np.array(0.0), np.float64(1), "0", None, 2, np.array(-1)]
    for a in refused:
        assert not space.contains(a)
        with pytest.raises(ArgumentError, match=r"action must be an integer in 0\.\.1"):
            env.step(a)


def test_a_predicted_action_of_shape_zero_steps():
    """What ``model.predict(obs)[0]`` returns for one Discrete observation: a 0-d int64."""
    env = gym.make("pgweyl/Triangle-v0")
    obs, _ = env.reset(seed=0)
    action = np.array(np.argmax([0.7, 0.1, 0.2]))
    assert action.shape == () and action.dtype.kind == "i"
    out = env.step(action)
    assert env.unwrapped._x == (3, 1, 0) and out[2] is False


# -- pickling and deep copies at every point of the life of an environment ---------------------
def _roundtrips(env):
    """Pickle and deep-copy ``env``; both copies step on exactly as the original does."""
    import copy
    import pickle

    twins = [pickle.loads(pickle.dumps(env)), copy.deepcopy(env)]
    base = env.unwrapped
    for twin in twins:
        t = twin.unwrapped
        assert (t._x, t._t, t._done) == (base._x, base._t, base._done)
        assert t.pgweyl_env.to_dict() == base.pgweyl_env.to_dict()
    return twins


def test_environments_pickle_and_deepcopy_at_every_point_of_their_life():
    """After construction, reset, mid-episode, an rgb_array frame, V and ∇V, the value of
    a policy, the local maxima (the linear route once kept scipy.sparse on the instance)
    and grading; each copy goes on like the original and its answers are the same."""
    import pickle

    env = gym.make("pgweyl/Corridor-v0", render_mode="rgb_array")
    _roundtrips(env)
    env.reset(seed=0)
    env.step(0)
    twins = _roundtrips(env)  # mid-episode: the copies continue the same walk
    for _ in range(3):  # (3, 0) → (3, 3): on the trap wall x1 = x2 at T = 4
        outs = [twin.step(1) for twin in twins]
        out = env.step(1)
        assert all(o[1:4] == out[1:4] for o in outs)
    assert out[1:3] == (0.5, True) and all(o[4]["T"] == out[4]["T"] == 4 for o in outs)
    env.render()
    ex = env.unwrapped.exact
    v = ex.value([0.3, -0.3])
    g = ex.value_grad([0.3, -0.3])
    vp = ex.value_of_policy([0.0, 1.0])
    maxima = ex.local_maxima()
    for twin in _roundtrips(env):
        tex = twin.unwrapped.exact
        assert tex.value([0.3, -0.3]) == v and np.array_equal(tex.value_grad([0.3, -0.3]), g)
        assert tex.value_of_policy([0.0, 1.0]) == vp
        assert [m.support for m in tex.local_maxima()] == [m.support for m in maxima]
    made = []

    def make_agent(e):
        made.append(e)
        return pg.ReinforceAgent(lr=1.0, n_updates=10, gamma=e.unwrapped.gamma)

    res = pg.grade(make_agent, "pgweyl/Corridor-v0", seeds=2, mc_runs=50, level=4)
    for e in made:
        _roundtrips(e)
    back = pickle.loads(pickle.dumps(res))
    assert back.to_dict() == res.to_dict()
