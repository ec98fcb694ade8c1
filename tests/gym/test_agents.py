"""The reference REINFORCE agent: one update by hand, and its mean update is lr·∇V."""

from __future__ import annotations

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

import pgweyl.gym  # noqa: E402, F401
from pgweyl.errors import ArgumentError  # noqa: E402
from pgweyl.gym import ReinforceAgent  # noqa: E402


class Recorder(gym.Wrapper):
    """Records the actions and rewards of every step."""

    def __init__(self, env):
        super().__init__(env)
        self.actions, self.rewards = [], []

    def step(self, action):
        out = self.env.step(action)
        self.actions.append(int(action))
        self.rewards.append(out[1])
        return out


@pytest.mark.parametrize("seed", range(5))
def test_one_update_by_hand(seed):
    env = Recorder(gym.make("pgweyl/Corridor-v0", gamma=0.9, step_cost=0.05))
    theta0 = np.array([0.3, -0.2])
    agent = ReinforceAgent(lr=0.7, n_updates=1, gamma=0.9, theta0=theta0)
    agent.train(env, seed)
    T = len(env.actions)
    G = sum(0.9**t * r for t, r in enumerate(env.rewards))
    pi = np.exp(theta0) / np.exp(theta0).sum()
    counts = np.bincount(env.actions, minlength=2)
    assert agent.theta == pytest.approx(theta0 + 0.7 * G * (counts - T * pi), abs=1e-12)


N_AGENTS = 20_000


@pytest.mark.parametrize(
    "env_id, kwargs, theta0, signed",
    [
        ("pgweyl/Corridor-v0", {"level": 6, "step_cost": 0.02}, [0.3, -0.1], False),
        ("pgweyl/TriangleSigned-v0", {}, [0.2, -0.3], True),
    ],
)
def test_mean_update_is_lr_times_grad_v(env_id, kwargs, theta0, signed):
    """H0: E[θ_1 − θ_0] = lr ∇V(θ_0) (THEORY §5), with ∇V from pgweyl's exact tables.
    2·10⁴ one-update agents (seeds 0..), each coordinate within 4.5 standard errors."""
    env = gym.make(env_id, **kwargs)
    base = env.unwrapped
    feats = base.step_vectors if signed else None
    lr = 0.5
    deltas = np.empty((N_AGENTS, len(theta0)))
    for seed in range(N_AGENTS):
        agent = ReinforceAgent(lr=lr, n_updates=1, gamma=base.gamma, theta0=theta0, features=feats)
        agent.train(env, seed)
        deltas[seed] = agent.theta - theta0
    expected = lr * base.pgweyl_env.value_grad(theta0)
    se = deltas.std(axis=0, ddof=1) / np.sqrt(N_AGENTS)
    z = (deltas.mean(axis=0) - expected) / se
    assert np.all(np.abs(z) < 4.5), z
    assert np.linalg.norm(expected) > 10 * se.max()  # the gradient is resolved, not ~0


def test_settings_and_errors():
    agent = ReinforceAgent(lr=2.0, n_updates=10, gamma=0.9)
    assert agent.settings == {
        "rule": "vanilla",
        "lr": 2.0,
        "n_updates": 10,
        "theta0": None,
        "gamma": 0.9,
        "features": None,
    }
    with pytest.raises(ArgumentError, match="call train"):
        agent.policy()
    with pytest.raises(ArgumentError, match="lr must be"):
        ReinforceAgent(lr=0)
    with pytest.raises(ArgumentError, match="features has 2 rows for 4 actions"):
        ReinforceAgent(features=np.eye(2)).train(gym.make("pgweyl/TriangleSigned-v0"), 0)


def test_same_seed_same_policy():
    env = gym.make("pgweyl/Triangle-v0")
    a, b = ReinforceAgent(n_updates=40), ReinforceAgent(n_updates=40)
    a.train(env, 9)
    b.train(env, 9)
    assert np.array_equal(a.policy(), b.policy())
