"""The POMDP of THEORY §3: a blind walk in an alcove that ends on the walls.

- hidden state: a lattice point x (start λ in the open alcove);
- actions: the steps s ∈ S, x ← x + s;
- termination: the first time x leaves the open alcove (it is then on ≥ 1 wall);
- observation: constant, so a policy is one distribution π over S;
- reward: R(b) at the exit point b, a step cost c per step, discount γ ∈ (0, 1].

The exact quantities (first-passage tables, value distribution, V, ∇V, symbolic V)
are computed by the layer above, :class:`pgweyl.exact.ExactSolver`; the methods here
are conveniences that import it on first use (a lazy dependency, so that this layer
loads without it and ``import pgweyl`` stays fast).

Policy contract used by every higher layer (never the private ``Policy`` object):
:meth:`~AlcoveWalkEnv.policy`, :meth:`~AlcoveWalkEnv.policies` (a stack of θ),
:meth:`~AlcoveWalkEnv.policy_jacobian`, :attr:`~AlcoveWalkEnv.gauge`,
:meth:`~AlcoveWalkEnv.canonical_theta`, and the effective coordinates
y = Lθ (:meth:`~AlcoveWalkEnv.effective_map`, :meth:`~AlcoveWalkEnv.lift`).

>>> env = AlcoveWalkEnv("A1", 4, start=(1, 0), wall_rewards=(1.0, 0.0), gamma=0.9)
>>> env.exit_points.tolist(), env.exit_rewards.tolist()
([[0, 0], [4, 0]], [0.0, 1.0])
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np

from pgweyl import validate
from pgweyl.config import DEFAULT_TOL
from pgweyl.env.policy import POLICY_KINDS, Policy
from pgweyl.env.rewards import (
    CORNER_RULES,
    check_reward_table,
    check_wall_rewards,
    corner_reward,
    episode_returns,
)
from pgweyl.errors import ArgumentError, LevelError, PgweylError, RewardError
from pgweyl.weyl.alcove import Alcove
from pgweyl.weyl.reflectable import check_reflectable
from pgweyl.weyl.root_system import RootSystem
from pgweyl.weyl.samples import sample_start
from pgweyl.weyl.step_graph import StepGraph
from pgweyl.weyl.steps import StepSet

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from numpy.typing import ArrayLike

    from pgweyl.weyl.cartan import CartanType


def _smallest_usable_level(alcove_error_level: int, cartan, steps, limit: int = 64):
    """Smallest level above ``alcove_error_level`` whose alcove has an interior point and
    for which the step set is reflectable (R1–R3 on the whole lattice), or None within
    ``limit`` levels. C_n with signed steps at level 5 → 8, not 7 (R3 fails at odd m)."""
    for m in range(alcove_error_level + 1, alcove_error_level + 1 + limit):
        try:
            alcove = Alcove(cartan, m)
            step_set = steps if isinstance(steps, StepSet) else StepSet(steps, alcove.root_system)
            check_reflectable(alcove, step_set)
        except PgweylError:
            continue
        return m
    return None


def _alcove_or_level_hint(cartan, level, steps):
    """``Alcove(cartan, level)``; when the level has no interior point, the LevelError
    names the smallest level at which this environment can be built."""
    try:
        return Alcove(cartan, level)
    except LevelError as err:
        if "no interior lattice point" not in str(err):
            raise
        alcove_rs = RootSystem(cartan) if not isinstance(cartan, RootSystem) else cartan
        kind = (
            steps if steps is not None else ("unit" if alcove_rs.cartan.family == "A" else "signed")
        )
        best = _smallest_usable_level(int(level), alcove_rs, kind)
        if best is None:
            raise
        name = kind if isinstance(kind, str) else "the given"
        raise LevelError(
            f"alcove of {alcove_rs.cartan} at level {level} has no interior lattice point; "
            f"the smallest level with one at which {name} steps are reflectable is {best}"
        ) from None


class AlcoveWalkEnv:
    """A blind-walk POMDP in the alcove of ``cartan`` at ``level``.

    Reflectability, the start and the rewards are validated on construction.

    >>> env = AlcoveWalkEnv("A1", 8, start=(2, 0), wall_rewards=(1.0, 0.5), gamma=0.95)
    >>> round(env.value([0.0, 0.0]), 12)
    0.382213896824

    Parameters
    ----------
    cartan, level : the alcove (THEORY §1), e.g. ``"A2", 6``.
    steps : "unit" (default on type A), "signed" (default on B, C, D) or a k×d array.
    start : interior lattice point λ, full coordinates (default: the interior point
        next to the corner of walls 1..r).
    wall_rewards : r_0..r_r, one per wall (wall 0 = far wall); or
    reward_table : {boundary point: reward}; absent points pay 0 (A_n: key by the
        representative with last coordinate 0). Exactly one of the two.
    gamma : discount in (0, 1].   step_cost : c ≥ 0 per step.
    corner : how per-wall rewards combine on a point of several walls
        ("max", "min", "sum", "mean").
    policy : "exp" (θ ∈ R^d, the exponential family) or "softmax" (one logit per step).

    Attributes
    ----------
    alcove, steps : the :class:`Alcove` and the :class:`StepSet`.
    start : λ (full coordinates).   gamma, step_cost : γ and c.
    theta_dim : length of θ (d for ``exp``, |S| for ``softmax``).
    states : the reachable interior points.
    exit_points, exit_walls, exit_rewards : where the walk can end (representatives on
        type A), the walls of each and R there.
    """

    def __init__(
        self,
        cartan: CartanType | str,
        level: int,
        steps: StepSet | str | ArrayLike | None = None,
        start: ArrayLike | None = None,
        wall_rewards: Sequence[float] | None = None,
        reward_table: Mapping[tuple, float] | None = None,
        gamma: float = 1.0,
        step_cost: float = 0.0,
        corner: str = "max",
        policy: str = "exp",
    ) -> None:
        if level is None or isinstance(level, bool) or not isinstance(level, numbers.Integral):
            # The walk must end: an environment needs a finite level (no Weyl chamber).
            raise LevelError(f"level must be a positive integer, got {level!r}")
        self.alcove = _alcove_or_level_hint(cartan, level, steps)
        self.cartan = self.alcove.cartan
        self.level = self.alcove.level
        if steps is None:
            steps = "unit" if self.cartan.family == "A" else "signed"
        self.steps = (
            steps if isinstance(steps, StepSet) else StepSet(steps, self.alcove.root_system)
        )
        if start is None:
            start = sample_start(self.alcove)
        check_reflectable(self.alcove, self.steps, start)
        self.start = np.array(start, dtype=np.int64)
        self.start.setflags(write=False)
        self.gamma = validate.finite_real("gamma", gamma, lo=0.0, hi=1.0, lo_open=True)
        self.step_cost = validate.finite_real("step_cost", step_cost, lo=0.0)
        if corner not in CORNER_RULES:
            raise ArgumentError(
                f"unknown corner rule {corner!r}; expected one of {', '.join(CORNER_RULES)}"
            )
        self.corner = corner
        if policy not in POLICY_KINDS:
            raise ArgumentError(
                f"unknown policy {policy!r}; expected one of {', '.join(POLICY_KINDS)}"
            )
        self.policy_kind = policy
        self._policy = Policy(policy, self.steps.vectors)
        self.theta_dim = self._policy.dim

        if (wall_rewards is None) == (reward_table is None):
            raise RewardError("give exactly one of wall_rewards and reward_table")
        n_walls = len(self.alcove.walls)
        self.wall_rewards = (
            None if wall_rewards is None else check_wall_rewards(wall_rewards, n_walls)
        )
        self.reward_table = (
            None if reward_table is None else check_reward_table(reward_table, self.alcove)
        )

        # The reachable interior states and the points where the walk can exit.
        self.graph = StepGraph(self.alcove, self.steps, self.start)
        self.states = self.graph.states
        self.exit_points = self.graph.exit_points
        self.exit_walls = tuple(self.alcove.walls_at(b) for b in self.exit_points)
        if self.reward_table is not None:
            # A table none of whose points the walk can exit at pays nothing: V = 0 for
            # every policy. (Some unreachable points, such as corners, are harmless.)
            reachable = {tuple(b) for b in self.exit_points.tolist()}
            keys = sorted(tuple(k) for k in self.reward_table)
            if keys and not any(k in reachable for k in keys):
                shown = ", ".join(str(list(k)) for k in keys[:4])
                more = f" and {len(keys) - 4} more" if len(keys) > 4 else ""
                raise RewardError(
                    f"reward_table pays only at points the walk from {self.start.tolist()} "
                    f"never exits at ({shown}{more}), so V = 0 for every policy; the "
                    f"{len(reachable)} reachable exit points are env.exit_points"
                )
        self.exit_rewards = np.array(
            [
                self._reward_of(tuple(b), w)
                for b, w in zip(self.exit_points.tolist(), self.exit_walls)
            ]
        )
        self.exit_rewards.setflags(write=False)
        self._exit_reward_of = None  # {exit point: R}, built by rewards_at on first use
        self._solver_obj = None

    # -- the POMDP ---------------------------------------------------------------------
    def _reward_of(self, rep: tuple, walls: tuple) -> float:
        if self.reward_table is not None:
            return self.reward_table.get(rep, 0.0)
        return corner_reward(walls, self.wall_rewards, self.corner)

    def reward(self, b) -> float:
        """R(b) for a boundary point b (full coordinates, or a representative on A_n)."""
        rep = tuple(int(v) for v in self.alcove.representative(np.asarray(b, dtype=np.int64)))
        walls = self.alcove.walls_at(rep)
        if not walls:
            raise ArgumentError(f"{list(rep)} is not on a wall of {self.alcove!r}")
        return self._reward_of(rep, walls)

    def rewards_at(self, points) -> np.ndarray:
        """R(b) for a stack of boundary points (…×d, full coordinates or, on A_n,
        representatives), vectorised: the exit points' rewards (``exit_rewards``) by
        lookup, any other wall point by :meth:`reward`; a point on no wall raises
        ArgumentError.

        >>> env = AlcoveWalkEnv("A1", 4, start=(1, 0), wall_rewards=(1.0, 0.0))
        >>> env.rewards_at([[4, 0], [0, 0], [7, 3]]).tolist()
        [1.0, 0.0, 1.0]
        """
        pts = np.asarray(points, dtype=np.int64)
        if pts.ndim == 0 or pts.shape[-1] != self.alcove.dim:
            raise ArgumentError(
                f"points must have {self.alcove.dim} coordinates each, got shape {pts.shape}"
            )
        reps = self.alcove.representative(pts.reshape(-1, self.alcove.dim))
        if self._exit_reward_of is None:
            self._exit_reward_of = dict(
                zip(map(tuple, self.exit_points.tolist()), self.exit_rewards.tolist())
            )
        uniq, inverse = np.unique(reps, axis=0, return_inverse=True)
        known = self._exit_reward_of
        vals = [known.get(b) for b in map(tuple, uniq.tolist())]
        vals = np.array([self.reward(b) if v is None else v for b, v in zip(uniq, vals)], float)
        return vals[np.ravel(inverse)].reshape(pts.shape[:-1])

    def returns(self, rewards, times) -> np.ndarray:
        """G = γ^{T−1} R − c Σ_{t<T} γ^t for arrays of terminal rewards and exit times."""
        return episode_returns(rewards, times, self.gamma, self.step_cost)

    def full_points(self, reps, times) -> np.ndarray:
        """Full coordinates at times n of points given by representatives (vectorised).

        On A_n, Σx = Σλ + n·c fixes the shift along (1, …, 1); on B, C, D the points are
        returned unchanged."""
        reps = np.atleast_2d(np.asarray(reps, dtype=np.int64))
        if not self.alcove.is_prism:
            return reps.copy()
        times = np.broadcast_to(np.asarray(times, dtype=np.int64), (len(reps),))
        total = int(self.start.sum()) + times * self.steps.coordinate_sum
        shift, rem = np.divmod(total - reps.sum(axis=1), self.alcove.dim)
        if np.any(rem):
            bad = int(np.flatnonzero(rem)[0])
            raise ArgumentError(f"{reps[bad].tolist()} cannot be occupied at time {times[bad]}")
        return reps + shift[:, None]

    def full_point(self, rep, n: int) -> np.ndarray:
        """Full coordinates of one representative at time n (see :meth:`full_points`)."""
        return self.full_points([rep], [n])[0]

    # -- the policy --------------------------------------------------------------------
    def policy(self, theta) -> np.ndarray:
        """Probabilities over the rows of ``env.steps.vectors``."""
        return self._policy.probs(theta)

    def mean_step(self, theta) -> np.ndarray:
        """E_π[s]; for ``exp`` this is ∇A(θ)."""
        return self._policy.mean_step(theta)

    def log_partition(self, theta) -> float:
        """A(θ) = log Σ_s exp(logit_s)."""
        return self._policy.log_partition(theta)

    def canonical_theta(self, theta) -> np.ndarray:
        """θ with the gauge direction removed: Σθ = 0 where θ + a(1,…,1) is the same policy."""
        return self._policy.canonical(theta)

    def check_theta(self, theta) -> np.ndarray:
        """θ as a float vector of length ``theta_dim``, or DimensionError/ArgumentError."""
        return self._policy.check(theta)

    def policies(self, thetas) -> np.ndarray:
        """π_θ for every row of ``thetas`` (…×theta_dim), vectorised: (…×|S|)."""
        return self._policy.probs_many(thetas)

    def policy_jacobian(self, theta) -> np.ndarray:
        """J[s, k] = ∂π_θ(s)/∂θ_k (|S|×theta_dim): π(s)(s − ∇A(θ))_k for ``exp``,
        π(s)(δ_sk − π(k)) for ``softmax``."""
        return self._policy.jacobian(theta)

    @property
    def gauge(self) -> bool:
        """True when θ and θ + a(1, …, 1) give the same policy (``exp`` on A_n with unit
        steps, and ``softmax``); such θ are reported with Σθ = 0."""
        return self._policy.gauge

    @property
    def effective_dim(self) -> int:
        """Dimension of the policy family: ``theta_dim`` minus 1 when there is a gauge."""
        return self.theta_dim - int(self.gauge)

    def effective_map(self) -> np.ndarray:
        """L (effective_dim × theta_dim) with effective coordinates y = Lθ.

        With a gauge y_i = θ_i − θ_last (i < theta_dim), so that y determines the policy
        and θ(y) = (y, 0) (:meth:`lift`); otherwise L is the identity."""
        d = self.theta_dim
        if self.gauge:
            return np.hstack([np.eye(d - 1), -np.ones((d - 1, 1))])
        return np.eye(d)

    def lift(self, y) -> np.ndarray:
        """θ(y) with L θ(y) = y: (y, 0) with a gauge, y otherwise (broadcasts over rows)."""
        y = np.asarray(y, dtype=float)
        if self.gauge:
            return np.concatenate([y, np.zeros(y.shape[:-1] + (1,))], axis=-1)
        return y

    # -- exact layer ---------------------------------------------------------------------
    @property
    def solver(self):
        """The :class:`pgweyl.exact.ExactSolver` of this environment (built on first use)."""
        if self._solver_obj is None:
            from pgweyl.exact.solver import ExactSolver  # the layer above, loaded lazily

            self._solver_obj = ExactSolver(self)
        return self._solver_obj

    def first_passage_counts(self, n_max: int, method: str = "transfer"):
        """(exit points, F) with F[n, j] the exact number of n-step paths from λ that stay
        interior for steps 0..n−1 and exit at exit point j at step n (object array of
        Python ints, rows n = 0..n_max). On A_n the exit points are representatives;
        the full point at time n is :meth:`full_point`."""
        return self.solver.first_passage_counts(n_max, method)

    def value_distribution(self, theta, tol: float = DEFAULT_TOL, n_max=None):
        """Joint law of (exit point, exit time) under π_θ, cut at the smallest N with
        P(T > N) ≤ tol (or at ``n_max`` when given; see :meth:`ExactSolver.value_distribution`)."""
        return self.solver.value_distribution(theta, tol, n_max)

    def value(self, theta, tol: float = DEFAULT_TOL, method: str = "auto") -> float:
        """V(θ) = E_θ[G], with |error| ≤ tol guaranteed (else :class:`AccuracyError`).

        ``method``: "auto", "table" (tilt of the first-passage table, policy exp) or
        "linear" (absorbing-chain solve, any policy); see :mod:`pgweyl.exact.solver`."""
        return self.solver.value(theta, tol, method)

    def value_grad(self, theta, tol: float = DEFAULT_TOL, method: str = "auto") -> np.ndarray:
        """∇V(θ), every component within tol (policy-gradient identity or adjoint solve)."""
        return self.solver.value_grad(theta, tol, method)

    def value_and_grad(self, theta, tol: float = DEFAULT_TOL, method: str = "auto"):
        """V, ∇V, their error bounds and the route used (:class:`pgweyl.ExactValue`)."""
        return self.solver.value_and_grad(theta, tol, method)

    def mean_exit_time(self, theta, tol: float = DEFAULT_TOL) -> float:
        """E_θ[T], within tol · max(1, E[T]) (linear route)."""
        return self.solver.mean_exit_time(theta, tol)

    def symbolic_value(
        self, symbolic_params: bool = False, binary: bool = False, force: bool = False
    ):
        """V as a sympy expression in theta_0, theta_1, … (THEORY §4 generating functions).

        With ``symbolic_params`` γ, c and the rewards stay symbols (gamma, c, r_0, …);
        otherwise they are read as decimals (0.95 is 19/20), or with ``binary`` as the
        exact values of the floats the numerics use. Exact rational functions: small
        alcoves only — larger ones are estimated and refused with
        :class:`pgweyl.TimeBudgetError` unless ``force=True``."""
        return self.solver.symbolic_value(symbolic_params, binary=binary, force=force)

    # -- description -------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The constructor arguments, JSON-ready: ``AlcoveWalkEnv(**env.to_dict())``."""
        steps = self.steps.kind if self.steps.kind != "custom" else self.steps.vectors.tolist()
        table = None
        if self.reward_table is not None:
            table = [[list(k), v] for k, v in sorted(self.reward_table.items())]
        return {
            "cartan": str(self.cartan),
            "level": self.level,
            "steps": steps,
            "start": self.start.tolist(),
            "wall_rewards": None if self.wall_rewards is None else list(self.wall_rewards),
            "reward_table": table,
            "gamma": self.gamma,
            "step_cost": self.step_cost,
            "corner": self.corner,
            "policy": self.policy_kind,
        }

    @classmethod
    def from_dict(cls, d: dict) -> AlcoveWalkEnv:
        """The environment of :meth:`to_dict`'s output (reward-table keys as lists)."""
        d = dict(d)
        if d.get("reward_table") is not None:
            d["reward_table"] = {tuple(k): v for k, v in d["reward_table"]}
        return cls(**d)

    def __repr__(self) -> str:
        rewards = (
            f"wall_rewards={self.wall_rewards}"
            if self.wall_rewards is not None
            else f"reward_table=<{len(self.reward_table)} points>"
        )
        return (
            f"AlcoveWalkEnv('{self.cartan}', level={self.level}, steps='{self.steps.kind}', "
            f"start={tuple(self.start.tolist())}, {rewards}, gamma={self.gamma}, "
            f"step_cost={self.step_cost}, policy='{self.policy_kind}')"
        )


__all__ = ["AlcoveWalkEnv"]
