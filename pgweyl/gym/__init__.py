"""Gymnasium environments that carry their exact answers, and a harness grading RL agents.

``import pgweyl.gym`` registers ``pgweyl/Corridor-v0``, ``pgweyl/Triangle-v0``,
``pgweyl/TriangleSigned-v0``, ``pgweyl/Simplex-v0`` (catalog knobs as ``gym.make``
kwargs) and ``pgweyl/AlcoveWalk-v0`` (any environment). Each env follows the Gymnasium
API (:mod:`pgweyl.gym.envs`: actions = steps, blind observation, reward R(b) at the
first wall touched minus a step cost per step, so Σ γ^t r_t = G) and carries
``env.unwrapped.pgweyl_env`` and ``env.unwrapped.exact`` (V, ∇V, the law of (exit
point, exit time), local maxima, convergence probabilities: :mod:`pgweyl.gym.exact`).
:func:`grade` trains an agent per seed and sets its final policies beside pgweyl's
predictions (:mod:`pgweyl.gym.grading`); :func:`seeds_needed` tells how many seeds tell
two shares apart, :func:`score_matrix` stacks normalised scores for rliable;
:class:`ReinforceAgent` is a reference agent. ``render_mode="rgb_array"`` draws the walk
(:mod:`pgweyl.gym.render`); Stable-Baselines3 takes the ids as they are
(``PPO("MlpPolicy", "pgweyl/Corridor-v0")``; extra ``pgweyl[sb3]``).

Needs gymnasium (``pip install 'pgweyl[gym]'``); ``import pgweyl`` does not import it.
Without gymnasium this package still imports (so :mod:`pgweyl.cli.grade` can declare
its arguments), but registers nothing and every name raises
:class:`MissingDependencyError` with the install command.

>>> import gymnasium as gym
>>> env = gym.make("pgweyl/Corridor-v0")             # THEORY §7's worked example
>>> round(env.unwrapped.exact.global_maximum.value, 12)   # the treasure: 0.95^5
0.7737809375
"""

from pgweyl.gym._deps import MissingDependencyError, require_gymnasium

try:
    require_gymnasium()
except MissingDependencyError as _missing:
    _MISSING = _missing
else:
    _MISSING = None
    from pgweyl.gym.agents import ReinforceAgent
    from pgweyl.gym.envs import OBSERVATIONS, AlcoveWalkGymEnv, build_pgweyl_env
    from pgweyl.gym.exact import SUPPORTED_RULES, ExactAnswers
    from pgweyl.gym.grading import GradeResult, grade, score_matrix, seeds_needed
    from pgweyl.gym.registration import GYM_IDS, register_envs

    register_envs()


def __getattr__(name):
    # Only reached without gymnasium (the names above are bound otherwise).
    if _MISSING is not None and name in __all__:
        raise MissingDependencyError(str(_MISSING))
    raise AttributeError(f"module 'pgweyl.gym' has no attribute {name!r}")


__all__ = [
    "GYM_IDS",
    "OBSERVATIONS",
    "SUPPORTED_RULES",
    "AlcoveWalkGymEnv",
    "ExactAnswers",
    "GradeResult",
    "MissingDependencyError",
    "ReinforceAgent",
    "build_pgweyl_env",
    "grade",
    "register_envs",
    "require_gymnasium",
    "score_matrix",
    "seeds_needed",
]
