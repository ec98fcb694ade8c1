"""Memoryless policies over a step set (THEORY §4).

``exp`` (default): π_θ(s) = exp((θ, s) − A(θ)), A(θ) = log Σ_s exp((θ, s)), θ ∈ R^d.
Every path of n steps from λ to b then has probability exp((θ, b − λ) − n A(θ)).
∇A(θ) = E_π[s] and ∂π(s)/∂θ = π(s) (s − ∇A(θ)).

``softmax``: one logit per step, π_θ(s) = exp(θ_s) / Σ_t exp(θ_t), θ ∈ R^{|S|}
(in ``steps.vectors`` order); ∂π(s)/∂θ_t = π(s) (δ_st − π(t)). It is not a tilt of
the first-passage table for signed steps (the path probability depends on how often
each step was taken, not only on the end point).

Gauge: for ``exp`` on A_n every step has the same coordinate sum c, so θ and
θ + a(1, …, 1) give the same policy; for ``softmax`` θ and θ + a(1, …, 1) always do.
:meth:`Policy.canonical` removes that direction (reports θ with Σθ = 0).

>>> import numpy as np
>>> p = Policy("exp", np.array([[1, 0], [0, 1]]))
>>> p.probs(np.array([np.log(3.0), 0.0])).round(6).tolist()
[0.75, 0.25]
"""

from __future__ import annotations

import numpy as np

from pgweyl.errors import ArgumentError, DimensionError

POLICY_KINDS = ("exp", "softmax")


def _logsumexp(x: np.ndarray) -> float:
    top = np.max(x)
    with np.errstate(over="ignore"):  # x − top → −∞ at |θ| ~ 1e308: exp gives the exact 0
        return float(top + np.log(np.sum(np.exp(x - top))))


class Policy:
    """A policy family over the rows of ``vectors`` (k×d integer steps)."""

    def __init__(self, kind: str, vectors: np.ndarray, gauge: bool | None = None):
        if kind not in POLICY_KINDS:
            raise ArgumentError(
                f"unknown policy {kind!r}; expected one of {', '.join(POLICY_KINDS)}"
            )
        self.kind = kind
        self.vectors = np.asarray(vectors, dtype=np.int64)
        self.vectors_f = self.vectors.astype(float)
        self.dim = self.vectors.shape[1] if kind == "exp" else self.vectors.shape[0]
        sums = self.vectors.sum(axis=1)
        if gauge is None:
            gauge = kind == "softmax" or bool(np.all(sums == sums[0]))
        self.gauge = gauge  # True when θ + a·1 gives the same policy

    def check(self, theta) -> np.ndarray:
        """θ as a float vector of the right length, or a specific error."""
        try:
            t = np.asarray(theta, dtype=float)
        except (TypeError, ValueError):
            raise DimensionError(f"theta {theta!r} is not a vector of numbers") from None
        if t.shape != (self.dim,):
            raise DimensionError(
                f"theta must have {self.dim} entries for policy '{self.kind}', got shape {t.shape}"
            )
        if not np.all(np.isfinite(t)):
            raise ArgumentError(f"theta has a non-finite entry: {t.tolist()}")
        return t

    def logits(self, theta) -> np.ndarray:
        t = self.check(theta)
        return self.vectors_f @ t if self.kind == "exp" else t

    def log_partition(self, theta) -> float:
        """A(θ) = log Σ_s exp(logit_s)."""
        return _logsumexp(self.logits(theta))

    def log_probs(self, theta) -> np.ndarray:
        lg = self.logits(theta)
        with np.errstate(over="ignore"):  # −∞ where a step's probability underflows: exact
            return lg - _logsumexp(lg)

    def probs(self, theta) -> np.ndarray:
        """π_θ over the steps (sums to 1)."""
        return np.exp(self.log_probs(theta))

    def probs_many(self, thetas) -> np.ndarray:
        """π_θ for each row of ``thetas`` (n×dim), vectorised and shifted like :meth:`probs`."""
        thetas = np.asarray(thetas, dtype=float)
        logits = thetas @ self.vectors_f.T if self.kind == "exp" else thetas
        with np.errstate(over="ignore"):  # −∞ at |θ| ~ 1e308: exp gives the exact 0
            logits = logits - logits.max(axis=-1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=-1, keepdims=True)

    def mean_step(self, theta) -> np.ndarray:
        """E_π[s] (= ∇A(θ) for ``exp``)."""
        return self.probs(theta) @ self.vectors_f

    def jacobian(self, theta) -> np.ndarray:
        """J[s, k] = ∂π(s)/∂θ_k (k×dim)."""
        p = self.probs(theta)
        if self.kind == "exp":
            return p[:, None] * (self.vectors_f - p @ self.vectors_f)
        return np.diag(p) - np.outer(p, p)

    def canonical(self, theta) -> np.ndarray:
        """θ with the gauge direction removed (Σθ = 0) where the family has one."""
        t = self.check(theta)
        return t - t.mean() if self.gauge else t


__all__ = ["Policy", "POLICY_KINDS"]
