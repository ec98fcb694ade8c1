"""env.rewards_at: R(b) of many exit points at once, against the walls written out by hand
(tests.naive.walls) and the corner rule, or the reward table."""

import numpy as np
import pytest

import pgweyl as pw
from tests import naive


def _by_hand(env, b):
    walls = naive.walls(str(env.cartan), env.level, list(b))
    r = [env.wall_rewards[j] for j in walls]
    return {"max": max, "min": min, "sum": sum, "mean": lambda v: sum(v) / len(v)}[env.corner](r)


@pytest.mark.parametrize(
    "make",
    [
        lambda: pw.make_env("corridor"),
        lambda: pw.make_env("triangle"),
        lambda: pw.make_env("triangle-signed"),
        lambda: pw.AlcoveWalkEnv("C2", 6, wall_rewards=(1.0, 0.5, 0.2), corner="sum"),
        lambda: pw.AlcoveWalkEnv("A2", 6, wall_rewards=(1.0, 0.5, 0.2), corner="min"),
    ],
)
def test_rewards_of_simulated_exits_match_the_walls_by_hand(make):
    env = make()
    points, _ = pw.simulate_episodes(env, np.zeros(env.theta_dim), 400, seed=4)
    got = env.rewards_at(points)
    assert got.shape == (400,)
    assert got.tolist() == [_by_hand(env, b) for b in points.tolist()]
    # representatives give the same answer (A_n: x − x_{n+1}(1, …, 1))
    reps = env.alcove.representative(points)
    assert env.rewards_at(reps).tolist() == got.tolist()


def test_reward_table_and_shapes():
    table = {(5, 1, 0): 1.0, (3, 3, 0): 0.5}
    env = pw.AlcoveWalkEnv("A2", 5, start=(2, 1, 0), reward_table=table)
    pts = np.array([[[5, 1, 0], [8, 4, 3]], [[4, 4, 1], [0, 0, 0]]])  # (2, 2, 3)
    assert env.rewards_at(pts).tolist() == [[1.0, 1.0], [0.5, 0.0]]
    assert env.rewards_at(np.zeros((0, 3), dtype=int)).shape == (0,)
    assert env.rewards_at([5, 1, 0]) == 1.0  # one point: a 0-d array


def test_points_off_the_walls_are_refused():
    env = pw.make_env("triangle")
    with pytest.raises(pw.ArgumentError, match=r"\[2, 1, 0\] is not on a wall"):
        env.rewards_at([[6, 0, 0], [2, 1, 0]])
    with pytest.raises(pw.ArgumentError, match="3 coordinates"):
        env.rewards_at([[1, 2]])
