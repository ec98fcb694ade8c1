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
  far wall), ``exit_point`` (full coordinates of b, int64) and ``T`` (the exit time).

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
RENDER_MODES = ("ansi",)


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
    render_mode : None or "ansi" (``render()`` returns one line of text).

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
        if render_mode is not None:
            validate.choice("render_mode", render_mode, RENDER_MODES)
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
        return self._observe(), {}

    def step(self, action):
        """One lattice step; reward −c, plus R(b) when the step reaches a wall."""
        if self._x is None:
            raise ArgumentError("call reset() before step()")
        if self._done:
            raise ArgumentError("the episode has terminated; call reset() before step()")
        if (
            isinstance(action, (bool, np.bool_))
            or not isinstance(action, (int, np.integer))
            or not 0 <= action < len(self._steps)
        ):
            raise ArgumentError(
                f"action must be an integer in 0..{len(self._steps) - 1} "
                f"(a row of step_vectors), got {action!r}"
            )
        s = self._steps[int(action)]
        x = tuple(a + b for a, b in zip(self._x, s))
        self._x = x
        self._t += 1
        rep = self._rep(x)
        inside = self._interior.get(rep)
        if inside is None:
            inside = bool(self.pgweyl_env.alcove.is_interior(rep))
            self._interior[rep] = inside
        if inside:
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
        return self._observe(), reward, True, False, info

    def render(self):
        """One line of text (``render_mode="ansi"``): time, position, walls touched."""
        if self.render_mode is None or self._x is None:
            return None
        walls = self.pgweyl_env.alcove.walls_at(self._rep(self._x)) if self._done else ()
        where = f" on wall(s) {tuple(walls)}" if walls else ""
        return f"t={self._t} x={list(self._x)}{where}"

    def __repr__(self) -> str:
        return f"AlcoveWalkGymEnv({self.pgweyl_env!r}, observation='{self.observation}')"


__all__ = ["OBSERVATIONS", "AlcoveWalkGymEnv", "build_pgweyl_env", "step_label"]
