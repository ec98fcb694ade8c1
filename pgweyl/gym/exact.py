"""The exact answers a pgweyl Gymnasium environment carries: ``env.unwrapped.exact``.

Everything forwards to pgweyl's public API on ``env.unwrapped.pgweyl_env``: V(θ), ∇V(θ)
and the law of (exit point, exit time) (THEORY §4), the local maxima (§6) and the
convergence probabilities of policy gradient (§7, Monte Carlo and the θ-chain).

Policies and θ. An agent acting on ``Discrete(|S|)`` has probabilities p over the
actions = the rows s of ``step_vectors``. pgweyl's family (``policy="exp"``) is
π_θ(s) = exp((θ, s) − A(θ)); :meth:`ExactAnswers.theta_from_probs` solves
log p(s) = (θ, s) − A for θ (least squares, refusing p outside the family):

- unit steps on A_n (corridor, triangle, simplex): every full-support p is in the family,
  θ = log p up to the gauge θ + a(1, …, 1), reported with Σθ = 0;
- signed steps ±e_i (triangle-signed): θ_i = ½ log(p(+e_i)/p(−e_i)), and p is in the
  family only when p(+e_i) p(−e_i) is the same for every i.

:meth:`ExactAnswers.value_of_policy` gives V for *any* distribution over the actions
(zeros allowed), so an agent's final policy is scored whatever its parametrisation.

Update rules. Predictions are made for the update rule the agent uses, spelt as in
:mod:`pgweyl.rules` ("vanilla", "natural", "entropy:tau=0.1", "vanilla:baseline=0.5",
schedules …), parsed once into the :class:`pgweyl.landscape.settings.RunSettings` of the
predictions; the chain solver takes only rules under which θ is Markov.

>>> import pgweyl as pw
>>> ex = ExactAnswers(pw.make_env("corridor", level=4, trap_distance=1))
>>> theta = ex.theta_from_probs([0.75, 0.25])
>>> theta.round(4).tolist(), round(ex.value(theta), 6) == round(ex.value_of_policy([0.75, 0.25]), 6)
([0.5493, -0.5493], True)
"""

from __future__ import annotations

import numpy as np

from pgweyl import validate
from pgweyl.config import DEFAULT_TOL
from pgweyl.env.environment import AlcoveWalkEnv
from pgweyl.errors import ArgumentError
from pgweyl.landscape import chain_absorption, convergence_probabilities, local_maxima
from pgweyl.landscape.chain import chain_refusal
from pgweyl.rules import RULE_KINDS, parse_rule

#: Update-rule kinds pgweyl can predict (options as in :mod:`pgweyl.rules`).
SUPPORTED_RULES = RULE_KINDS

#: The θ of a policy must reproduce its log-probabilities to this (max abs error).
THETA_ATOL = 1e-8

#: Probabilities below this count as 0 when a policy is evaluated (log p stays finite).
_TINY = 1e-300


class ExactAnswers:
    """V, ∇V, the value distribution, local maxima and convergence probabilities of one
    :class:`pgweyl.AlcoveWalkEnv`, in the action order of its Gymnasium environment.

    The maxima are computed once per objective (``pw.local_maxima(env, rule=...)``, best
    first) and cached.
    """

    def __init__(self, pgweyl_env: AlcoveWalkEnv):
        if not isinstance(pgweyl_env, AlcoveWalkEnv):
            raise ArgumentError(
                f"ExactAnswers needs a pgweyl.AlcoveWalkEnv, got {type(pgweyl_env).__name__}"
            )
        self.env = pgweyl_env
        self._maxima: dict = {}
        self._any_policy_env = None
        k = len(pgweyl_env.steps.vectors)
        feats = pgweyl_env.steps.vectors if pgweyl_env.policy_kind == "exp" else np.eye(k)
        self._features = np.asarray(feats, dtype=float)

    # -- the policy family ---------------------------------------------------------------
    @property
    def n_actions(self) -> int:
        return len(self._features)

    def policy(self, theta) -> np.ndarray:
        """π_θ: probabilities over the actions (the rows of ``steps.vectors``)."""
        return self.env.policy(theta)

    def check_probs(self, probs) -> np.ndarray:
        """``probs`` as a float vector over the actions: finite, ≥ 0, summing to 1 (±1e-6).

        >>> import pgweyl as pw
        >>> ExactAnswers(pw.make_env("corridor")).check_probs([0.5, 0.6])
        Traceback (most recent call last):
        pgweyl.errors.ArgumentError: probabilities must sum to 1, got sum 1.1 for [0.5, 0.6]
        """
        p = validate.real_vector("probabilities", probs, self.n_actions)
        if np.any(p < 0):
            raise ArgumentError(f"probabilities must be >= 0, got {p.tolist()}")
        if abs(p.sum() - 1.0) > 1e-6:
            raise ArgumentError(
                f"probabilities must sum to 1, got sum {p.sum():.6g} for {p.tolist()}"
            )
        return p / p.sum()

    def theta_from_probs(self, probs, atol: float = THETA_ATOL) -> np.ndarray:
        """θ with π_θ = ``probs`` (canonical: Σθ = 0 where there is a gauge).

        Solves log p(s) = (θ, s) − A in least squares (softmax policies: θ_s = log p(s));
        refuses a policy with a zero probability (it lies on a face: no finite θ) or
        outside the family (residual > ``atol``)."""
        p = self.check_probs(probs)
        if np.any(p <= 0):
            zero = [i for i in range(len(p)) if p[i] <= 0]
            raise ArgumentError(
                f"probabilities {p.tolist()} give 0 to action(s) {zero}: a face of the family "
                "with no finite theta; use value_of_policy for its value"
            )
        logp = np.log(p)
        design = np.hstack([self._features, -np.ones((len(p), 1))])
        sol = np.linalg.lstsq(design, logp, rcond=None)[0]
        theta = self.env.canonical_theta(sol[:-1])
        residual = float(np.abs(np.log(self.env.policy(theta)) - logp).max())
        if residual > atol:
            raise ArgumentError(
                f"probabilities {p.tolist()} are not in the '{self.env.policy_kind}' family of "
                f"this environment (log-probability residual {residual:.3g} > {atol:g}; signed "
                "steps need p(+e_i) p(-e_i) equal for all i)"
            )
        return theta

    # -- values ------------------------------------------------------------------------------
    def value(self, theta, tol: float = DEFAULT_TOL) -> float:
        """V(θ) = E_θ[G]."""
        return self.env.value(theta, tol)

    def value_grad(self, theta, tol: float = DEFAULT_TOL) -> np.ndarray:
        """∇V(θ) (policy-gradient identity, THEORY §5)."""
        return self.env.value_grad(theta, tol)

    def value_distribution(self, theta, tol: float = DEFAULT_TOL):
        """Law of (exit point, exit time) under π_θ: a :class:`pgweyl.ValueDistribution`."""
        return self.env.value_distribution(theta, tol)

    def wall_law(self, theta, tol: float = DEFAULT_TOL) -> dict:
        """P(the exit point lies on exactly the walls w) for each tuple w of wall ids.

        These events partition the exits (a corner is its own tuple), as ``info["wall"]``.
        """
        dist = self.value_distribution(theta, tol)
        out: dict = {}
        for walls, p in zip(dist.exit_walls, dist.exit_probabilities()):
            out[tuple(walls)] = out.get(tuple(walls), 0.0) + float(p)
        return out

    def value_of_policy(self, probs, tol: float = DEFAULT_TOL) -> float:
        """V(p) for any distribution p over the actions (zeros allowed).

        Evaluated on the softmax twin of the environment (same walk, one logit per
        action), so p need not lie in the exp family."""
        p = self.check_probs(probs)
        if self._any_policy_env is None:
            if self.env.policy_kind == "softmax":
                self._any_policy_env = self.env
            else:
                self._any_policy_env = AlcoveWalkEnv.from_dict(
                    {**self.env.to_dict(), "policy": "softmax"}
                )
        logits = np.log(np.maximum(p, _TINY))
        return self._any_policy_env.value(logits - logits.mean(), tol)

    # -- landscape -------------------------------------------------------------------------
    def local_maxima(self, rule="vanilla") -> list:
        """Local maxima of the objective ``rule`` ascends over the closed policy family
        (V; J_τ = V + τH for entropy), in :func:`pgweyl.local_maxima`'s order (cached)."""
        parsed = parse_rule(rule)
        key = ("entropy", parsed.tau) if parsed.kind == "entropy" else ("V",)
        if key not in self._maxima:
            self._maxima[key] = local_maxima(self.env, basin_samples=0, rule=parsed)
        return list(self._maxima[key])

    @property
    def global_maximum(self):
        """The best local maximum (its ``value`` is V*)."""
        return self.local_maxima()[0]

    def nearest(self, probs, rule="vanilla") -> tuple[np.ndarray, np.ndarray]:
        """(index, distance) of the nearest local maximum (of ``rule``'s objective) to each
        policy (rows of ``probs``), however far: the distance is the total variation
        ½ Σ_s |p(s) − π_j(s)|, or for a flat face of maxima the mass outside the face
        (:meth:`pgweyl.LocalMaximum.distances`); ties go to the better maximum."""
        p = np.atleast_2d(np.asarray(probs, dtype=float))
        maxima = self.local_maxima(rule)
        dist = np.stack([m.distances(p) for m in maxima], axis=1)
        nearest = dist.argmin(axis=1)
        return nearest, dist[np.arange(len(p)), nearest]

    def classify(self, probs, eps: float, rule="vanilla") -> np.ndarray:
        """Index of the nearest local maximum (of ``rule``'s objective) within total
        variation ``eps`` of each policy (rows of ``probs``), else −1 (unresolved)
        (:meth:`nearest`)."""
        eps = validate.finite_real("eps", eps, lo=0.0, hi=1.0, lo_open=True)
        nearest, dist = self.nearest(probs, rule)
        return np.where(dist <= eps, nearest, -1)

    @property
    def chain_applies(self) -> bool:
        """True when the θ-chain solver applies: policy "exp", effective dimension ≤ 3
        (:func:`pgweyl.landscape.chain.chain_refusal` for the default rule)."""
        return chain_refusal(self.env) is None

    def convergence_probabilities(
        self, theta0, lr, n_updates, n_runs, seed=0, eps=None, rule="vanilla", **kwargs
    ):
        """:func:`pgweyl.convergence_probabilities` for ``rule`` (Monte Carlo, Wilson CIs)."""
        kwargs.setdefault("maxima", self.local_maxima(rule))
        return convergence_probabilities(
            self.env,
            theta0,
            lr,
            n_updates,
            n_runs,
            seed=seed,
            eps=eps,
            rule=rule,
            **kwargs,
        )

    def chain_absorption(self, lr, eps=None, rule="vanilla", **kwargs):
        """:func:`pgweyl.chain_absorption` for ``rule``; ``.at(theta0, env)`` answers."""
        kwargs.setdefault("maxima", self.local_maxima(rule))
        return chain_absorption(self.env, lr, eps=eps, rule=rule, **kwargs)

    def __repr__(self) -> str:
        return f"ExactAnswers({self.env!r})"


__all__ = ["SUPPORTED_RULES", "THETA_ATOL", "ExactAnswers"]
