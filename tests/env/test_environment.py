import json
import math

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.env.rewards import episode_returns

FAMILIES = ["corridor", "triangle", "triangle-signed", "simplex"]


def test_catalog_lists_families_with_difficulty_knob():
    names = [f.name for f in pw.list_envs()]
    assert names == FAMILIES
    for fam in pw.list_envs():
        assert fam.difficulty in fam.knobs
        json.dumps(fam.to_dict())


def test_corridor_is_the_worked_example():
    env = pw.make_env("corridor")
    assert str(env.cartan) == "A1" and env.level == 8 and env.gamma == 0.95
    assert env.start.tolist() == [2, 0]
    assert env.wall_rewards == (1.0, 0.5)  # wall 0 treasure, wall 1 trap
    # exits: (0,0) on wall 1 (x1 = x2), (8,0) on wall 0 (x1 - x2 = 8)
    assert env.exit_points.tolist() == [[0, 0], [8, 0]]
    assert env.exit_walls == ((1,), (0,))


@pytest.mark.parametrize("name", FAMILIES)
def test_every_family_builds_and_round_trips(name):
    env = pw.make_env(name)
    clone = pw.AlcoveWalkEnv.from_dict(json.loads(json.dumps(env.to_dict())))
    assert np.array_equal(clone.exit_points, env.exit_points)
    assert np.array_equal(clone.exit_rewards, env.exit_rewards)
    bigger = pw.make_env(name, level=env.level + 2)
    assert len(bigger.states) > len(env.states)


def test_corner_rules_and_reward_table():
    kw = dict(cartan="A2", level=6, start=(2, 1, 0), gamma=0.9)
    rewards = (1.0, 0.6, 0.3)
    corner = (6, 0, 0)  # on walls 0 and 2
    expect = {"max": 1.0, "min": 0.3, "sum": 1.3, "mean": 0.65}
    for rule, val in expect.items():
        env = pw.AlcoveWalkEnv(**kw, wall_rewards=rewards, corner=rule)
        assert env.reward(corner) == pytest.approx(val, abs=1e-15)
        assert env.reward((8, 2, 2)) == pytest.approx(val, abs=1e-15)  # same point, shifted
    env = pw.AlcoveWalkEnv(**kw, reward_table={(6, 0, 0): 2.0, (3, 3, 0): -1.0})
    assert env.reward(corner) == 2.0 and env.reward((3, 3, 0)) == -1.0
    assert env.reward((4, 0, 0)) == 0.0  # absent points pay 0


@pytest.mark.parametrize(
    "kwargs, err, fragment",
    [
        (dict(gamma=0.0), pw.ArgumentError, "gamma must be > 0"),
        (dict(gamma=1.5), pw.ArgumentError, "gamma must be <= 1"),
        (dict(gamma=float("nan")), pw.ArgumentError, "gamma must be a finite"),
        (dict(step_cost=-1.0), pw.ArgumentError, "step_cost must be >= 0"),
        (dict(corner="median"), pw.ArgumentError, "unknown corner rule"),
        (dict(policy="greedy"), pw.ArgumentError, "unknown policy"),
        (dict(wall_rewards=(1.0, 0.5)), pw.RewardError, "3 entries"),
        (dict(wall_rewards=(1.0, math.inf, 0.0)), pw.RewardError, "finite"),
        (dict(wall_rewards=None), pw.RewardError, "exactly one"),
        (dict(reward_table={(2, 1, 0): 1.0}), pw.RewardError, "not a boundary point"),
        (dict(reward_table={(7, 1, 1): 1.0}), pw.RewardError, "last coordinate 0"),
        (dict(start=(6, 1, 0)), pw.StartError, "not in the open alcove"),
        (dict(start=(2, 1)), pw.DimensionError, "3 coordinates"),
        (dict(steps="signed"), pw.StepSetError, "Σx free"),
        (dict(level=2), pw.LevelError, "no interior"),
    ],
)
def test_constructor_errors(kwargs, err, fragment):
    base = dict(cartan="A2", level=6, start=(2, 1, 0), wall_rewards=(1.0, 0.6, 0.3), gamma=0.95)
    if "reward_table" in kwargs:
        base["wall_rewards"] = None
    base.update(kwargs)
    with pytest.raises(err, match=fragment):
        pw.AlcoveWalkEnv(**base)


def test_c_odd_level_env_refused():
    with pytest.raises(pw.NotReflectableError, match="R3"):
        pw.AlcoveWalkEnv("C2", 9, "signed", (2, 1), wall_rewards=(1, 0, 0))


@pytest.mark.parametrize(
    "name, knobs, fragment",
    [
        ("maze", {}, "unknown environment"),
        ("corridor", {"width": 3}, "unknown knob"),
        ("corridor", {"trap_distance": 8}, "between 1 and level-1"),
        ("corridor", {"level": 7.5}, "must be an integer"),
        ("triangle", {"gamma": "high"}, "must be a number"),
    ],
)
def test_catalog_errors(name, knobs, fragment):
    with pytest.raises(pw.ArgumentError, match=fragment):
        pw.make_env(name, **knobs)


def test_theta_validation():
    env = pw.make_env("triangle")
    with pytest.raises(pw.DimensionError, match="3 entries"):
        env.policy([0.0, 1.0])
    with pytest.raises(pw.ArgumentError, match="non-finite"):
        env.value([0.0, np.nan, 1.0])
    soft = pw.make_env("triangle-signed", policy="softmax")
    assert soft.theta_dim == 4


def test_policy_families_and_gauge():
    env = pw.make_env("triangle")
    th = np.array([0.3, -1.2, 0.5])
    p = env.policy(th)
    assert p == pytest.approx(np.exp(th) / np.exp(th).sum(), abs=1e-15)
    assert env.policy(th + 7.0) == pytest.approx(p, abs=1e-15)  # gauge direction
    assert env.canonical_theta(th).sum() == pytest.approx(0.0, abs=1e-15)
    signed = pw.make_env("triangle-signed")
    q = signed.policy([0.4, -0.1])
    # pi(+e_i) pi(-e_i) is the same for every i in the signed exp family
    assert q[0] * q[1] == pytest.approx(q[2] * q[3], abs=1e-15)
    assert signed.mean_step([0.4, -0.1]) == pytest.approx([q[0] - q[1], q[2] - q[3]], abs=1e-15)
    # large logits stay finite
    assert np.all(np.isfinite(signed.policy([800.0, -900.0])))


def test_returns_formula_by_hand():
    # gamma^(T-1) R - c (1 + gamma + ... + gamma^(T-1))
    g = episode_returns([1.0, 2.0], [1, 3], gamma=0.5, step_cost=0.1)
    assert g == pytest.approx([1.0 - 0.1, 0.25 * 2.0 - 0.1 * 1.75], abs=1e-15)
    assert episode_returns([1.0], [4], gamma=1.0, step_cost=0.25) == pytest.approx([0.0])


def test_full_points_on_the_prism():
    env = pw.make_env("triangle")  # start (2,1,0), sum 3; unit steps raise the sum by 1
    assert env.full_point((4, 0, 0), 1).tolist() == [4, 0, 0]  # sum 4 = 3 + 1
    assert env.full_point((4, 0, 0), 4).tolist() == [5, 1, 1]  # sum 7 = 3 + 4
    with pytest.raises(pw.ArgumentError, match="cannot be occupied"):
        env.full_point((4, 0, 0), 2)
