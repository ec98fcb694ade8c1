"""Stable-Baselines3 out of the box: its two entry points with default arguments on pgweyl's
ids (SB3 asks for render_mode="rgb_array" and steps with 0-d arrays). Needs the ``sb3``
extra; skipped without it. Marked slow: importing torch and one PPO rollout of 2048 steps
with 10 epochs of training take about 12 s on one thread."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytestmark = pytest.mark.slow

sb3 = pytest.importorskip("stable_baselines3")
torch = pytest.importorskip("torch")
gym = pytest.importorskip("gymnasium")

import pgweyl.gym  # noqa: E402, F401


@pytest.fixture(autouse=True)
def one_thread():
    # a 64-unit network: threads only contend on a shared 2-core machine
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_ppo_learns_on_an_id_with_default_arguments():
    from stable_baselines3 import PPO

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no render_mode (or other) warning
        model = PPO("MlpPolicy", "pgweyl/Corridor-v0")
    model.learn(256)
    assert model.num_timesteps >= 256
    env = model.get_env()
    assert env.render_mode == "rgb_array"
    frame = env.render()  # SB3's VecEnv.render: the frames of its envs, tiled
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    # the single-env habit: env.step(model.predict(obs)[0]) with a 0-d array
    single = gym.make("pgweyl/Corridor-v0")
    obs, _ = single.reset(seed=0)
    action, _ = model.predict(obs)
    assert isinstance(action, np.ndarray) and action.shape == ()
    single.step(action)


def test_make_vec_env_with_default_arguments():
    from stable_baselines3.common.env_checker import check_env
    from stable_baselines3.common.env_util import make_vec_env

    vec = make_vec_env("pgweyl/Triangle-v0", 2)
    assert vec.num_envs == 2
    obs = vec.reset()
    assert obs.shape == (2,)
    obs, rewards, dones, infos = vec.step(np.array([0, 2]))
    assert rewards.shape == (2,) and len(infos) == 2
    vec.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        check_env(gym.make("pgweyl/Triangle-v0").unwrapped)  # SB3's own checker


def test_subprocess_vector_env_pickles_the_environments():
    """SubprocVecEnv sends each env factory to a new process (forkserver: nothing imported
    there), so the id names the module that registers it, Gymnasium's "module:id" form."""
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import SubprocVecEnv

    vec = make_vec_env("pgweyl.gym:pgweyl/Corridor-v0", 2, vec_env_cls=SubprocVecEnv)
    try:
        vec.reset()
        _, rewards, dones, _ = vec.step(np.array([1, 1]))
        _, rewards, dones, _ = vec.step(np.array([1, 1]))  # both on the trap wall at T = 2
        assert dones.tolist() == [True, True] and rewards.tolist() == [0.5, 0.5]
    finally:
        vec.close()
