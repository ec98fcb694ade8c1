"""Faces of conv(S) and the policy family on each (THEORY §6).

As θ → ∞ along u, π_θ concentrates on the face of conv(S) maximising (u, s); the
closure of the policy family is the union of the families of the faces.

- ``unit`` steps: conv(S) is a simplex; every non-empty subset of steps is a face, and
  its family is every distribution with that support.
- ``signed`` steps ±e_i: conv(S) is the cross-polytope; its proper faces are
  {σ_i e_i : σ_i ≠ 0} for sign vectors σ ∈ {−1, 0, 1}^d \\ {0} (simplices, family = all
  distributions on them); the whole of S carries the d-dimensional exp family.

A :class:`Face` evaluates V and ∇V in its own coordinates: softmax logits φ ∈ R^{|F|}
on a simplicial face, θ itself for the full exp family. Values come from the
absorbing-chain linear solve and its adjoint (zero-probability steps allowed).
"""

from __future__ import annotations

import itertools

import numpy as np

from pgweyl.errors import ArgumentError


def enumerate_faces(env) -> list[tuple]:
    """All faces as sorted tuples of step indices, smallest first; the last is the full S."""
    kind = env.steps.kind
    k = len(env.steps.vectors)
    if kind == "unit":
        faces = [c for r in range(1, k + 1) for c in itertools.combinations(range(k), r)]
    elif kind == "signed":
        index = {tuple(v): i for i, v in enumerate(env.steps.vectors.tolist())}
        d = env.alcove.dim
        faces = []
        for sigma in itertools.product((-1, 0, 1), repeat=d):
            if any(sigma):
                idx = []
                for i, sg in enumerate(sigma):
                    if sg:
                        e = [0] * d
                        e[i] = sg
                        idx.append(index[tuple(e)])
                faces.append(tuple(sorted(idx)))
        faces.append(tuple(range(k)))
    else:
        raise ArgumentError(
            "local maxima are implemented for the catalog step sets "
            "'unit' and 'signed', not custom steps"
        )
    return sorted(set(faces), key=lambda f: (len(f), f))


class Face:
    """The policy family on one face, with V and ∇V in its own coordinates."""

    def __init__(self, env, support: tuple, full: bool):
        self.env = env
        self.support = tuple(support)
        self.k = len(env.steps.vectors)
        # The full face of an exp environment is the env's own θ family; every other
        # face (and the full face of a unit-step env, also a simplex) uses softmax logits.
        self.exp_family = full and env.policy_kind == "exp" and env.steps.kind == "signed"
        self.dim = env.theta_dim if self.exp_family else len(self.support)
        self.gauge = not self.exp_family  # softmax logits: φ + a·1 is the same policy

    def probs(self, phi) -> np.ndarray:
        if self.exp_family:
            return self.env.policy(phi)
        phi = np.asarray(phi, dtype=float)
        w = np.exp(phi - phi.max())
        p = np.zeros(self.k)
        p[list(self.support)] = w / w.sum()
        return p

    def jacobian(self, phi) -> np.ndarray:
        """∂π/∂φ, k × dim."""
        if self.exp_family:
            return self.env.policy_jacobian(phi)
        q = self.probs(phi)[list(self.support)]
        J = np.zeros((self.k, self.dim))
        J[list(self.support), :] = np.diag(q) - np.outer(q, q)
        return J

    def value(self, phi) -> float:
        return policy_value(self.env, self.probs(phi))

    def grad(self, phi) -> np.ndarray:
        return self.env.solver.policy_derivative(self.probs(phi), self.jacobian(phi))

    def to_face_coords(self, probs) -> np.ndarray:
        """Logits φ of a policy supported on this face (softmax faces only)."""
        q = np.asarray(probs, dtype=float)[list(self.support)]
        phi = np.log(q)
        return phi - phi.mean()


def policy_value(env, probs) -> float:
    """V(π) for any distribution π over the steps (zeros allowed; the linear route)."""
    return env.solver.policy_value(probs)


def neighbour_faces(faces: list[tuple], support: tuple) -> list[tuple]:
    """Faces with exactly one more step than ``support`` and containing it."""
    s = set(support)
    return [f for f in faces if len(f) == len(s) + 1 and s <= set(f)]


__all__ = ["Face", "enumerate_faces", "neighbour_faces", "policy_value"]
