"""ExactSolver: the exact methods of an :class:`~pgweyl.env.AlcoveWalkEnv`.

One solver per environment holds the first-passage log table (computed once, grown on
demand) and answers every θ by tilting it:

- ``exp``: P = F · exp((θ, b − λ) − n A(θ)) from the log table (THEORY §4), and
  ∇V = Σ_{b,n} P G ((b − λ) − n ∇A(θ)) (the policy-gradient identity of §5);
- ``softmax``: the policy-weighted transfer matrix, with ∇V by forward-mode
  derivatives (:mod:`pgweyl.exact.tilted`).
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from pgweyl import config
from pgweyl.errors import ArgumentError
from pgweyl.exact.distribution import ValueDistribution
from pgweyl.exact.tables import LogTable, first_passage_reflection, first_passage_transfer
from pgweyl.exact.tilted import TiltedTransfer, TruncationWarning

METHODS = ("transfer", "reflection")


def _check_tol(tol) -> float:
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0.0 < tol < 1.0:
        raise ArgumentError(f"tol must be a number in (0, 1), got {tol!r}")
    return float(tol)


def _logsumexp(x: np.ndarray) -> float:
    top = np.max(x)
    if not np.isfinite(top):
        return -math.inf
    return float(top + np.log(np.sum(np.exp(x - top))))


class ExactSolver:
    """Exact value distribution, V and ∇V for one environment."""

    def __init__(self, env):
        self.env = env
        self.log_k = math.log(len(env.steps.vectors))
        alc = env.alcove
        lam = alc.representative(env.start).astype(float)
        # (θ, x − λ) with gauge-fixed θ only needs representatives.
        self.delta_exit = alc.representative(env.exit_points).astype(float) - lam
        self.delta_state = env.states.astype(float) - lam
        self._table = None
        self._tilted = None

    @property
    def table(self) -> LogTable:
        if self._table is None:
            self._table = LogTable(self.env)
        return self._table

    @property
    def tilted(self) -> TiltedTransfer:
        if self._tilted is None:
            self._tilted = TiltedTransfer(self.env)
        return self._tilted

    # -- integer tables --------------------------------------------------------------------
    def first_passage_counts(self, n_max, method="transfer"):
        if method not in METHODS:
            raise ArgumentError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
        route = first_passage_transfer if method == "transfer" else first_passage_reflection
        return self.env.exit_points.copy(), route(self.env, n_max)

    # -- exp: tilt of the log table --------------------------------------------------------
    def _tilt(self, theta):
        env = self.env
        t = env.canonical_theta(theta)
        abar = env.log_partition(t) - self.log_k
        return t, abar

    def _log_tail(self, t, abar, n: int) -> float:
        surv = self.table.arrays()[1][n]
        return _logsumexp(surv + self.delta_state @ t - n * abar)

    def truncation(self, theta, tol) -> tuple[int, float]:
        """Smallest N with P_θ(T > N) ≤ tol (growing the table as needed) and that tail."""
        t, abar = self._tilt(theta)
        table, log_tol = self.table, math.log(tol)
        if table.rows < 64:
            table.extend(64)
        while self._log_tail(t, abar, table.rows - 1) > log_tol:
            if table.rows >= table.max_rows():
                n = table.rows - 1
                tail = math.exp(self._log_tail(t, abar, n))
                warnings.warn(
                    f"value distribution cut at the table limit of {n} steps with "
                    f"tail {tail:.3g} > tol {tol:g}",
                    TruncationWarning,
                    stacklevel=3,
                )
                return n, tail
            table.extend(2 * table.rows)
        lo, hi = 0, table.rows - 1  # tail(hi) ≤ tol; P(T > n) is non-increasing in n
        while lo < hi:
            mid = (lo + hi) // 2
            if self._log_tail(t, abar, mid) <= log_tol:
                hi = mid
            else:
                lo = mid + 1
        return hi, math.exp(self._log_tail(t, abar, hi))

    def value_distribution(self, theta, tol=config.DEFAULT_TOL) -> ValueDistribution:
        env = self.env
        tol = _check_tol(tol)
        theta = env.check_theta(theta)
        if env.policy_kind == "softmax":
            times, idx, probs, _, tail = self.tilted.run(env.policy(theta), None, tol)
            n_max = int(times.max()) if len(times) else 0
            return self._result(theta, times, idx, probs, tail, n_max, tol)
        n_max, tail = self.truncation(theta, tol)
        t, abar = self._tilt(theta)
        logq = self.table.arrays()[0][: n_max + 1]
        logp = logq + (self.delta_exit @ t)[None, :] - np.arange(n_max + 1)[:, None] * abar
        times, idx = np.nonzero(np.isfinite(logq))
        probs = np.exp(logp[times, idx])
        return self._result(theta, times, idx, probs, tail, n_max, tol)

    def _result(self, theta, times, idx, probs, tail, n_max, tol) -> ValueDistribution:
        env = self.env
        rewards = env.exit_rewards[idx]
        return ValueDistribution(
            theta=np.array(theta, dtype=float),
            points=env.full_points(env.exit_points[idx], times),
            times=times.astype(np.int64),
            probs=probs,
            tail=float(tail),
            exit_index=idx,
            rewards=rewards,
            returns=env.returns(rewards, times),
            exit_points=env.exit_points,
            exit_walls=env.exit_walls,
            n_max=int(n_max),
            tol=tol,
        )

    # -- V and ∇V ----------------------------------------------------------------------------
    def value(self, theta, tol=config.DEFAULT_TOL) -> float:
        return self.value_distribution(theta, tol).value

    def value_grad(self, theta, tol=config.DEFAULT_TOL) -> np.ndarray:
        if self.env.policy_kind == "softmax":
            return self.value_grad_transfer(theta, tol)
        dist = self.value_distribution(theta, tol)
        return score_weighted_sum(self.env, dist, dist.returns)

    def value_grad_transfer(self, theta, tol=config.DEFAULT_TOL) -> np.ndarray:
        """∇V by forward-mode derivatives of the policy-weighted transfer matrix (any
        policy): the independent route against which the PG identity is tested."""
        env = self.env
        tol = _check_tol(tol)
        theta = env.check_theta(theta)
        return self.policy_derivative(env.policy(theta), env.policy_jacobian(theta), tol)

    def policy_value(self, probs, tol: float = 1e-14) -> float:
        """V(π) for any distribution π over the steps (zero probabilities allowed)."""
        times, idx, P, _, _ = self.tilted.run(np.asarray(probs, dtype=float), None, tol)
        return float(P @ self.env.returns(self.env.exit_rewards[idx], times))

    def policy_derivative(self, probs, jac, tol: float = 1e-14) -> np.ndarray:
        """Σ_{b,n} G(b, n) ∂P/∂φ for the policy π with ∂π/∂φ = ``jac`` (k×p): the derivative
        of V along any parametrisation or direction through π (forward mode)."""
        times, idx, _, dP, _ = self.tilted.run(np.asarray(probs, dtype=float), jac, tol)
        return self.env.returns(self.env.exit_rewards[idx], times) @ dP

    def symbolic_value(self, symbolic_params=False):
        from pgweyl.exact.symbolic import symbolic_value

        return symbolic_value(self.env, symbolic_params)


def score_weighted_sum(env, dist: ValueDistribution, weights) -> np.ndarray:
    """Σ_{b,n} P(b, n) w(b, n) ((b − λ) − n ∇A(θ)) for ``exp`` policies (full coordinates).

    With w = G this is ∇V (THEORY §5)."""
    grad_a = env.mean_step(dist.theta)
    score = (dist.points - env.start) - dist.times[:, None] * grad_a[None, :]
    return (dist.probs * np.asarray(weights, dtype=float)) @ score


__all__ = ["ExactSolver", "score_weighted_sum"]
