"""The walk POMDP of THEORY §3 as a Gymnasium environment that carries its exact answers.

One episode is one blind walk from the start λ:

- action a ∈ {0, …, |S|−1} is the step ``env.step_vectors[a]`` (the rows of
  ``pgweyl_env.steps.vectors``); x ← x + s_a;
- the episode is ``terminated`` at the first step that leaves the open alcove (the walk
  is then on ≥ 1 wall); ``truncated`` only by a step limit, ``gym.make(...,
  max_episode_steps=N)`` (none by default: every policy exits with probability 1);
- reward per step: −c (the step cost), plus R(b) on the terminating step, so that

      Σ_{t<T} γ^t r_t = γ^{T−1} R(b) − c Σ_{t<T} γ^t = G,

  pgweyl's return, whose mean under a policy π is V(π) (discount ``env.gamma``);
- observation ``"blind"`` (default): the constant 0 in ``Discrete(1)``. This is the POMDP
  pgweyl solves exactly. ``observation="position"`` shows the lattice point instead
  (``Box(−m, m, (d,), int64)``; on A_n the representative with last coordinate 0): an
  MDP, for which pgweyl's exact answers (blind memoryless policies) do **not** hold;
- ``info`` is empty except on the terminating step: ``wall`` (tuple of wall ids, 0 = the
  far wall), ``exit_point`` (full coordinates of b, int64) and ``T`` (the exit time);
- actions: exactly what ``action_space.contains`` accepts — a Python int, a NumPy
  integer or a 0-d integer array such as ``model.predict(obs)[0]`` (floats and arrays
  of shape (1,) are refused);
- rendering: ``"rgb_array"`` returns an ``H×W×3`` ``uint8`` picture of the alcove, its
  walls in colour and the walk so far (:mod:`pgweyl.gym.render`; a strip for rank 1, the
  triangle for rank 2, a projection for rank ≥ 3), ``"ansi"`` one line of text,
  ``"human"`` prints that line on stdout at every reset and step (a text display: no
  window; Gymnasium's ``HumanRendering`` wrapper shows ``rgb_array`` frames in one).
  An unsupported mode is warned about, as Gymnasium does, and ``render()`` then
  returns None;
- the environment pickles and deep-copies at any point of its life (mid-episode, after
  its exact answers are computed), as subprocess vector environments and Dask need.

The transitions are deterministic given the actions, so all randomness is the agent's;
``reset(seed=...)`` seeds ``self.np_random`` as Gymnasium requires (the blind walk draws
nothing from it). ``env.unwrapped.pgweyl_env`` is the :class:`pgweyl.AlcoveWalkEnv` and
``env.unwrapped.exact`` its :class:`~pgweyl.gym.exact.ExactAnswers`.

>>> env = AlcoveWalkGymEnv(family="corridor", level=4, trap_distance=1)
>>> obs, info = env.reset(seed=0)
>>> env.step(1)[1:]  # +e2: x1 - x2 = 0 is wall 1 (the trap, reward 0.5)
(0.5, True, False, {'wall': (1,), 'exit_point': array([1, 1]), 'T': 1})
"""

from __future__ import annotations

import numpy as np

from pgweyl import validate
from pgweyl.env.catalog import FAMILIES, make_env
from pgweyl.env.environment import AlcoveWalkEnv
from pgweyl.env.spec import CUSTOM_KEYS, load_env
from pgweyl.errors import ArgumentError, PgweylError
from pgweyl.gym._deps import require_gymnasium

gym = require_gymnasium()
spaces = gym.spaces

#: Observation modes: "blind" is the exactly solvable POMDP, "position" is not.
OBSERVATIONS = ("blind", "position")
RENDER_MODES = ("ansi", "rgb_array", "human")


def build_pgweyl_env(family=None, spec=None, pgweyl_env=None, **kwargs) -> AlcoveWalkEnv:
    """The :class:`pgweyl.AlcoveWalkEnv` behind a Gymnasium env, from one of four sources.

    ``family`` (a catalog name, ``kwargs`` its knobs), ``spec`` (an ENV spec such as
    ``"corridor:level=12"`` or a TOML file, :func:`pgweyl.load_env`), ``pgweyl_env`` (an
    instance), or ``kwargs`` alone: the :class:`~pgweyl.AlcoveWalkEnv` arguments.

    >>> build_pgweyl_env(spec="corridor:level=5").level
    5
    """
    sources = {"family": family, "spec": spec, "pgweyl_env": pgweyl_env}
    given = [name for name, value in sources.items() if value is not None]
    if len(given) > 1:
        raise ArgumentError(f"give one of family, spec, pgweyl_env; got {', '.join(given)}")
    if family is not None:
        validate.choice("family", family, tuple(FAMILIES))
        return make_env(family, **kwargs)
    if (spec is not None or pgweyl_env is not None) and kwargs:
        raise ArgumentError(
            f"{given[0]} defines the whole environment; unexpected argument(s) "
            f"{', '.join(sorted(kwargs))}"
        )
    if spec is not None:
        return load_env(spec)
    if pgweyl_env is not None:
        if not isinstance(pgweyl_env, AlcoveWalkEnv):
            raise ArgumentError(
                f"pgweyl_env must be a pgweyl.AlcoveWalkEnv, got {type(pgweyl_env).__name__}"
            )
        return pgweyl_env
    unknown = sorted(set(kwargs) - set(CUSTOM_KEYS))
    if unknown or "cartan" not in kwargs or "level" not in kwargs:
        what = f"unknown argument(s) {', '.join(unknown)}" if unknown else "no environment given"
        raise ArgumentError(
            f"{what}; give spec='corridor:level=12', pgweyl_env=..., or the AlcoveWalkEnv "
            f"arguments ({', '.join(CUSTOM_KEYS)}; cartan and level required)"
        )
    return AlcoveWalkEnv(**kwargs)


def step_label(vector) -> str:
    """``+e1``, ``-e2`` for (signed) unit steps, else the vector: ``(1, -1, 0)``.

    >>> step_label([0, -1]), step_label([1, 1])
    ('-e2', '(1, 1)')
    """
    v = [int(x) for x in vector]
    nz = [i for i, x in enumerate(v) if x]
    if len(nz) == 1 and abs(v[nz[0]]) == 1:
        return f"{'+' if v[nz[0]] > 0 else '-'}e{nz[0] + 1}"
    return "(" + ", ".join(str(x) for x in v) + ")"


class AlcoveWalkGymEnv(gym.Env):
    """A pgweyl walk environment under the Gymnasium API (module docstring: the contract).

    Parameters
    ----------
    family, spec, pgweyl_env, **kwargs : the environment (:func:`build_pgweyl_env`);
        the registered ids fix ``family`` and take its knobs as ``gym.make`` kwargs.
    observation : "blind" (default; exactly solvable) or "position" (not).
    render_mode : None, "rgb_array" (``render()`` returns a picture, ``uint8`` H×W×3),
        "ansi" (one line of text) or "human" (that line printed at every step); another
        value is warned about and renders nothing.

    Attributes
    ----------
    pgweyl_env, exact : the :class:`~pgweyl.AlcoveWalkEnv` and its exact answers.
    step_vectors, action_labels : the steps (|A|×d) and their names.
    gamma, step_cost : of the return G.
    observation : the observation mode.
    """

    metadata = {"render_modes": list(RENDER_MODES), "render_fps": 4}

    def __init__(
        self,
        family=None,
        spec=None,
        pgweyl_env=None,
        observation="blind",
        render_mode=None,
        **kwargs,
    ):
        self.observation = validate.choice("observation", observation, OBSERVATIONS)
        if render_mode is not None and render_mode not in RENDER_MODES:
            # Gymnasium warns (gym.make too) and goes on; Stable-Baselines3 asks for
            # "rgb_array" whether or not anything will be rendered.
            gym.logger.warn(
                f"render_mode {render_mode!r} is not supported by {type(self).__name__} "
                f"(supported: {', '.join(RENDER_MODES)}); render() will return None"
            )
        self.render_mode = render_mode
        penv = build_pgweyl_env(family, spec, pgweyl_env, **kwargs)
        self.pgweyl_env = penv
        self.step_vectors = np.array(penv.steps.vectors, dtype=np.int64)
        self.step_vectors.setflags(write=False)
        self.action_labels = tuple(step_label(v) for v in self.step_vectors)
        self.gamma = float(penv.gamma)
        self.step_cost = float(penv.step_cost)
        self._step_reward = 0.0 - self.step_cost  # 0.0, not -0.0, without a cost
        self._steps = [tuple(int(x) for x in v) for v in self.step_vectors]
        self._start = tuple(int(x) for x in penv.start)
        self._prism = penv.cartan.family == "A"  # positions compared modulo (1, …, 1)
        # Exit points (representatives on A_n) → reward R(b); the walls come from the
        # alcove itself (walls_at), the reward from the env's corner rule or table.
        self._exit_reward = {
            tuple(int(x) for x in b): float(r) for b, r in zip(penv.exit_points, penv.exit_rewards)
        }
        self._interior: dict[tuple, bool] = {}  # memo of alcove.is_interior by representative
        self.action_space = spaces.Discrete(len(self._steps))
        dim = len(self._start)
        if self.observation == "blind":
            self.observation_space = spaces.Discrete(1)
        else:
            m = int(penv.level)
            self.observation_space = spaces.Box(-m, m, shape=(dim,), dtype=np.int64)
        self._exact = None
        self._x = None
        self._t = 0
        self._done = False
        self._path = None  # positions of this episode, kept only for rgb_array frames
        self._episode = 0  # resets so far: tells the picture that a new walk began
        self._picture = None  # the WalkPicture, built at the first rgb_array frame

    # -- exact answers -----------------------------------------------------------------
    @property
    def exact(self):
        """The :class:`~pgweyl.gym.exact.ExactAnswers` of ``pgweyl_env`` (built on first use)."""
        if self._exact is None:
            from pgweyl.gym.exact import ExactAnswers

            self._exact = ExactAnswers(self.pgweyl_env)
        return self._exact

    # -- Gymnasium API -----------------------------------------------------------------
    def _rep(self, x: tuple) -> tuple:
        if self._prism:
            last = x[-1]
            return tuple(v - last for v in x)
        return x

    def _observe(self):
        if self.observation == "blind":
            return np.int64(0)
        return np.array(self._rep(self._x), dtype=np.int64)

    def reset(self, *, seed=None, options=None):
        """Start a new walk at λ; ``seed`` seeds ``self.np_random`` (Gymnasium's contract)."""
        super().reset(seed=seed)
        if options:
            raise ArgumentError(
                f"reset options are not supported, got {sorted(options)}; the start is "
                "part of the environment (pass start=... to gym.make)"
            )
        self._x = self._start
        self._t = 0
        self._done = False
        self._episode += 1
        if self.render_mode == "rgb_array":
            self._path = [self._start]
        if self.render_mode == "human":
            self.render()
        return self._observe(), {}

    def _action_index(self, action) -> int:
        """The index of ``action``: accepted exactly when ``action_space.contains`` it (an
        int, a NumPy integer, a 0-d integer array such as ``model.predict(obs)[0]``)."""
        if type(action) is int and 0 <= action < len(self._steps):  # the common case, fast
            return action
        if not self.action_space.contains(action):
            raise ArgumentError(
                f"action must be an integer in 0..{len(self._steps) - 1} "
                f"(a row of step_vectors), got {action!r}"
            )
        return int(action)

    def step(self, action):
        """One lattice step; reward −c, plus R(b) when the step reaches a wall."""
        if self._x is None:
            raise ArgumentError("call reset() before step()")
        if self._done:
            raise ArgumentError("the episode has terminated; call reset() before step()")
        s = self._steps[self._action_index(action)]
        x = tuple(a + b for a, b in zip(self._x, s))
        self._x = x
        self._t += 1
        if self._path is not None:
            self._path.append(x)
        rep = self._rep(x)
        inside = self._interior.get(rep)
        if inside is None:
            inside = bool(self.pgweyl_env.alcove.is_interior(rep))
            self._interior[rep] = inside
        if inside:
            if self.render_mode == "human":
                self.render()
            return self._observe(), self._step_reward, False, False, {}
        self._done = True
        if rep not in self._exit_reward:  # R3 guarantees exits are listed exit points
            raise PgweylError(f"the walk left the alcove at {list(x)}, not an exit point")
        info = {
            "wall": tuple(self.pgweyl_env.alcove.walls_at(rep)),
            "exit_point": np.array(x, dtype=np.int64),
            "T": self._t,
        }
        reward = self._exit_reward[rep] - self.step_cost
        if self.render_mode == "human":
            self.render()
        return self._observe(), reward, True, False, info

    def _walls_now(self) -> tuple:
        if not self._done:
            return ()
        return tuple(self.pgweyl_env.alcove.walls_at(self._rep(self._x)))

    def render(self):
        """The frame of ``render_mode``: a ``uint8`` H×W×3 picture ("rgb_array"; the alcove
        alone before the first reset), one line of text — time, position, walls touched —
        ("ansi"; None before the first reset), or None after printing that line ("human")."""
        mode = self.render_mode
        if mode == "rgb_array":
            if self._picture is None:
                from pgweyl.gym.render import WalkPicture

                self._picture = WalkPicture(self.pgweyl_env.alcove)
            return self._picture.frame(self._path or [], self._walls_now(), self._episode)
        if mode not in ("ansi", "human"):
            gym.logger.warn(
                "render() called with render_mode "
                f"{mode!r}; pass render_mode='rgb_array', 'ansi' or 'human' to gym.make"
            )
            return None
        if self._x is None:
            return None
        walls = self._walls_now()
        where = f" on wall(s) {walls}" if walls else ""
        text = f"t={self._t} x={list(self._x)}{where}"
        if mode == "human":
            print(text)
            return None
        return text

    def __repr__(self) -> str:
        return f"AlcoveWalkGymEnv({self.pgweyl_env!r}, observation='{self.observation}')"


__all__ = ["OBSERVATIONS", "AlcoveWalkGymEnv", "build_pgweyl_env", "step_label"]
