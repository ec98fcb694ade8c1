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
from dataclasses import dataclass, field

import numpy as np

from pgweyl.errors import ArgumentError
from pgweyl.serialize import dataclass_to_dict


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

    def value_grad(self, phi) -> tuple[float, np.ndarray]:
        """(:meth:`value`, :meth:`grad`) from one linear solve (the same bits)."""
        return self.env.solver.policy_value_derivative(self.probs(phi), self.jacobian(phi))

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


def gauge_basis(dim: int) -> np.ndarray:
    """Orthonormal basis of {φ : Σφ = 0} (columns)."""
    q, _ = np.linalg.qr(np.eye(dim)[:, :-1] - 1.0 / dim)
    return q[:, : dim - 1]


def gain_directions(env, faces, support, policy) -> list:
    """Directions D (Σ D = 0) from π on a face into each bigger face: δ_s − π for a step
    s that extends the face, and for signed steps on a facet the direction into the
    interior exp family (mass ∝ 1/π(σ_i e_i) on each antipodal step)."""
    k = len(env.steps.vectors)
    directions = []
    for g in neighbour_faces(faces, support):
        (s,) = set(g) - set(support)
        d = -policy.copy()
        d[s] += 1.0
        directions.append(d)
    if env.steps.kind == "signed" and len(support) == env.alcove.dim and len(support) < k:
        vecs = env.steps.vectors
        d = np.zeros(k)
        for i in support:
            j = int(np.flatnonzero((vecs == -vecs[i]).all(axis=1))[0])
            d[j] = 1.0 / policy[i]
        directions.append(d - d.sum() * policy)
    return directions


@dataclass(frozen=True, repr=False, kw_only=True)
class LocalMaximum:
    """One attractor of gradient ascent in the compactified policy space.

    Attributes: ``support`` (indices of the steps of its face of conv(S)), ``policy``
    (π over the steps), ``value`` (V there), ``certificate`` (within-face gradient norm
    and Hessian, gain rates into bigger faces), ``basin_share`` and ``basin_ci`` (share
    of gradient-flow starts ending here and its Wilson 95% interval, None when not
    estimated), ``theta`` (a finite θ for a maximum inside the full family, else None:
    it lies at infinity, toward its face), ``flat`` (the whole face is a ridge of
    maxima). Built by keyword; ``dataclasses.replace`` gives a changed copy.

    The ``certificate`` dict holds ``face_dim``, ``gradient_norm``,
    ``hessian_max_eig``, ``gain_rate`` and ``perturbation_gain`` (``flat`` for flat
    faces). :attr:`is_vertex` is True for a one-step support; :meth:`distances` measures
    policies against the maximum; :meth:`to_dict` gives every field."""

    support: tuple
    policy: np.ndarray
    value: float
    certificate: dict
    basin_share: float | None = None
    theta: np.ndarray | None = field(default=None)  # a finite θ for interior maxima
    flat: bool = False  # the whole face of ``support`` is a ridge of maxima (V constant)
    basin_ci: tuple | None = None  # Wilson 95% interval of basin_share (few flow starts)

    @property
    def is_vertex(self) -> bool:
        """True when the support is a single step (a deterministic policy)."""
        return len(self.support) == 1

    def distances(self, probs) -> np.ndarray:
        """Distance of policies (…×|S|) to this maximum: total variation to ``policy``,
        or for a flat face the mass outside its support (the TV to the nearest policy
        of the face)."""
        probs = np.asarray(probs, dtype=float)
        if self.flat:
            outside = np.ones(probs.shape[-1], dtype=bool)
            outside[list(self.support)] = False
            return probs[..., outside].sum(axis=-1)
        return 0.5 * np.abs(probs - self.policy).sum(axis=-1)

    def to_dict(self) -> dict:
        """Every field, JSON-ready (:func:`pgweyl.serialize.dataclass_to_dict`)."""
        return dataclass_to_dict(self)

    def __repr__(self) -> str:
        p = ", ".join(f"{x:.4g}" for x in self.policy)
        share = ""
        if self.basin_share is not None:
            share = f", basin_share={self.basin_share:.3g}"
            if self.basin_ci is not None:
                share += f" [{self.basin_ci[0]:.3g}, {self.basin_ci[1]:.3g}]"
        flat = ", flat face" if self.flat else ""
        return (
            f"LocalMaximum(support={self.support}, policy=[{p}], value={self.value:.10g}"
            f"{flat}{share})"
        )


def total_variation(p, q) -> float:
    return 0.5 * float(np.abs(np.asarray(p) - np.asarray(q)).sum())


__all__ = [
    "Face",
    "LocalMaximum",
    "enumerate_faces",
    "gain_directions",
    "gauge_basis",
    "neighbour_faces",
    "policy_value",
    "total_variation",
]
