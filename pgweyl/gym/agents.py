"""A reference agent for :func:`pgweyl.gym.grade`: vanilla REINFORCE on the Gymnasium API.

It sees only what any Gymnasium agent sees (``reset``, ``step``, ``action_space``), is
written in NumPy, and is pgweyl's :func:`pgweyl.reinforce` with batch 1, no baseline and
a constant step size, computed from the actions it took:

    logits_a = (θ, φ_a),  π = softmax(logits),  G = Σ_{t<T} γ^t r_t,
    θ ← θ + lr · G · Σ_{t<T} (φ_{a_t} − E_π[φ])          (one episode per update)

With the default features φ = identity (one logit per action) this is pgweyl's
exponential family on unit-step environments (corridor, triangle, simplex): there
Σ_t φ_{a_t} = b − λ and E_π[φ] = ∇A(θ), the score of THEORY §5. On signed steps pass
``features=env.unwrapped.step_vectors``. ``gamma`` must be the environment's discount
(``env.unwrapped.gamma``) for G to be pgweyl's return.

The grading protocol (:func:`pgweyl.gym.grade`): ``agent.train(env, seed)``, then
``agent.policy()`` (probabilities over the actions); ``agent.settings`` tells the grader
what pgweyl should predict (rule, lr, n_updates, theta0, gamma).

>>> import gymnasium as gym, pgweyl.gym
>>> env = gym.make("pgweyl/Corridor-v0", level=4, trap_distance=1)
>>> agent = ReinforceAgent(lr=1.0, n_updates=50, gamma=0.95)
>>> agent.train(env, seed=3)
>>> p = agent.policy(); p.shape, bool(abs(p.sum() - 1) < 1e-12)
((2,), True)
"""

from __future__ import annotations

import numpy as np

from pgweyl import validate
from pgweyl.errors import ArgumentError


class ReinforceAgent:
    """Vanilla REINFORCE (batch 1, no baseline, constant ``lr``) on a Discrete action space.

    Parameters
    ----------
    lr : step size > 0.   n_updates : episodes (= updates) per :meth:`train`.
    gamma : discount in (0, 1] used for G (set it to the environment's).
    theta0 : initial θ (default 0, the uniform policy).
    features : |A|×d array φ (default: the identity, d = |A|).
    """

    def __init__(self, lr=1.0, n_updates=1000, gamma=0.95, theta0=None, features=None):
        self.lr = validate.positive_real("lr", lr)
        self.n_updates = validate.positive_int("n_updates", n_updates)
        self.gamma = validate.finite_real("gamma", gamma, lo=0.0, hi=1.0, lo_open=True)
        self.features = None if features is None else np.array(features, dtype=float)
        if self.features is not None and self.features.ndim != 2:
            raise ArgumentError(f"features must be an |A|×d array, got shape {self.features.shape}")
        self.theta0 = None if theta0 is None else np.array(theta0, dtype=float)
        self.theta = None

    def _setup(self, env) -> np.ndarray:
        n = getattr(env.action_space, "n", None)
        if n is None:
            raise ArgumentError(
                f"ReinforceAgent needs a Discrete action space, got {env.action_space}"
            )
        feats = np.eye(int(n)) if self.features is None else self.features
        if feats.shape[0] != n:
            raise ArgumentError(f"features has {feats.shape[0]} rows for {n} actions")
        d = feats.shape[1]
        theta0 = np.zeros(d) if self.theta0 is None else self.theta0
        self.theta = validate.real_vector("theta0", theta0, d).copy()
        self._features = feats
        return feats

    def _probs(self) -> np.ndarray:
        logits = self._features @ self.theta
        z = np.exp(logits - logits.max())
        return z / z.sum()

    def train(self, env, seed) -> None:
        """``n_updates`` episodes on ``env``; actions from ``np.random.default_rng(seed)``."""
        seed = validate.seed(seed)
        feats = self._setup(env)
        rng = np.random.default_rng(seed)
        gamma, lr = self.gamma, self.lr
        n_actions = len(feats)
        env.reset(seed=seed)
        for update in range(self.n_updates):
            probs = self._probs()
            cdf = np.cumsum(probs).tolist()
            counts = [0] * n_actions
            ret, disc, steps = 0.0, 1.0, 0
            if update:
                env.reset()
            while True:
                u = rng.random()
                a = 0
                while a < n_actions - 1 and u >= cdf[a]:
                    a += 1
                _, reward, terminated, truncated, _ = env.step(a)
                counts[a] += 1
                ret += disc * reward
                disc *= gamma
                steps += 1
                if terminated or truncated:
                    break
            score = feats.T @ (np.array(counts, dtype=float) - steps * probs)
            self.theta = self.theta + lr * ret * score
            if not np.all(np.isfinite(self.theta)):
                raise ArgumentError(
                    f"theta overflowed after {update + 1} updates (lr = {lr:g}); lower lr"
                )

    def policy(self) -> np.ndarray:
        """Probabilities over the actions at the current θ (after :meth:`train`)."""
        if self.theta is None:
            raise ArgumentError("call train(env, seed) before policy()")
        return self._probs()

    @property
    def settings(self) -> dict:
        """What pgweyl should predict for this agent (read by :func:`pgweyl.gym.grade`)."""
        return {
            "rule": "vanilla",
            "lr": self.lr,
            "n_updates": self.n_updates,
            "theta0": None if self.theta0 is None else self.theta0.tolist(),
            "gamma": self.gamma,
            "features": None if self.features is None else self.features.tolist(),
        }

    def __repr__(self) -> str:
        return f"ReinforceAgent(lr={self.lr:g}, n_updates={self.n_updates}, gamma={self.gamma:g})"


__all__ = ["ReinforceAgent"]
