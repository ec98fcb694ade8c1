"""Local maxima of the objective an update rule ascends (:mod:`pgweyl.rules`).

Vanilla and natural policy gradient both ascend V (the natural gradient only
preconditions it), so their attractors are :func:`pgweyl.local_maxima`'s. The entropy
rule ascends J_τ(θ) = V(θ) + τ H(π_θ). Its maxima are found face by face over the
closure of the policy family, as :func:`pgweyl.local_maxima` does for V: on each face F
(a simplex of steps with softmax coordinates, or the full exp family), the critical
points of J_τ restricted to F (BFGS on −J_τ, then Newton's method on ∇J_τ = 0) that are
maxima within F (no Hessian eigenvalue above ``HESS_TOL``). Off a face the entropy
pulls inward with infinite slope (−ε log ε), so every maximum of J_τ is, strictly,
interior; but next to a face on which V drops at rate c it lies at a distance ≈ e^{−c/τ},
beyond double precision when c/τ is large. A maximum of J_τ on F is therefore kept when
no direction D into a bigger face raises J_τ visibly — J(π + εD) ≤ J(π) + 1e−13 for
ε = 1e−12 … 1e−3 — and reported on F (certificate ``at_face`` when F is not the whole
family); otherwise the maximum belongs to the bigger face and is found there. ``value``
is J_τ; the certificate records V and H.
"""

from __future__ import annotations

import numpy as np

from pgweyl.landscape import faces as fc
from pgweyl.rules import parse_rule

GRAD_TOL = 1e-7
#: A maximum's Hessian may have ~0 eigenvalues along steps of probability ~0 (beyond
#: double precision); a positive one above this is a saddle.
HESS_TOL = 1e-9
#: The distance (along ± each coordinate of a face) of the far starts of the search.
FAR_START = 8.0
#: A step of a face below this probability counts as ~0 (its direction is tested).
FACE_TOL = 1e-9


def _policy_entropy(p) -> float:
    nz = p > 0
    return float(-(p[nz] * np.log(p[nz])).sum())


def _face_objective(face, tau):
    """(J, ∇J) of J_τ = V + τH on a face's family, in the face's coordinates φ, and
    ∇J alone (what the root finder and the Hessian ask for: one linear solve each, the
    same bits as the pair's)."""

    def entropy_terms(phi):
        p = face.probs(phi)
        nz = p > 0
        logp = np.zeros_like(p)
        logp[nz] = np.log(p[nz])
        return -float((p * logp).sum()), face.jacobian(phi).T @ logp

    def fun(phi):
        h, dh = entropy_terms(phi)
        v, g = face.value_grad(phi)
        return v + tau * h, g - tau * dh

    def grad(phi):
        return face.grad(phi) - tau * entropy_terms(phi)[1]

    return fun, grad


def _face_maxima(face, tau, rng, n_starts):
    """Critical points of J_τ inside one face that are maxima within it."""
    from scipy.optimize import minimize, root

    fun, grad = _face_objective(face, tau)
    dim = face.dim
    out = []
    # Besides θ = 0 and random starts, one start far out along ± each coordinate: a
    # maximum next to a face sits where the gradient is ~e^{-c/τ}, which a start near 0
    # on the other side of a valley would never reach.
    starts = [np.zeros(dim)] + [s * FAR_START * e for e in np.eye(dim) for s in (1.0, -1.0)]
    starts += [1.5 * rng.normal(size=dim) for _ in range(n_starts)]
    for x0 in starts:
        res = minimize(
            lambda x: tuple(-v for v in fun(x)),
            x0,
            jac=True,
            method="BFGS",
            options={"gtol": 1e-12, "maxiter": 500},
        )
        sol = root(grad, res.x, method="hybr", options={"xtol": 1e-13})
        x = sol.x if np.all(np.isfinite(sol.x)) else res.x
        g = grad(x)
        if not np.linalg.norm(g) <= GRAD_TOL:
            continue
        h = 1e-5
        H = np.array([(grad(x + h * e) - grad(x - h * e)) / (2 * h) for e in np.eye(dim)])
        H = 0.5 * (H + H.T)
        if face.gauge:
            B = fc.gauge_basis(dim)
            H = B.T @ H @ B
        top = float(np.linalg.eigvalsh(H).max()) if H.size else -1.0
        if top > HESS_TOL:
            continue
        out.append((x, float(np.linalg.norm(g)), top))
    return out


def _rises(J, p, base, directions) -> bool:
    """Whether J(π + εD) > J(π) + 1e−13 for a direction D and ε ∈ [1e−12, 1e−3]."""
    for d in directions:
        for eps in np.geomspace(1e-12, 1e-3, 10):
            q = np.clip(p + eps * d, 0.0, None)
            if J(q / q.sum()) > base + 1e-13:
                return True
    return False


def entropy_maxima(env, rule, n_starts: int = 4, seed: int = 0) -> list:
    """Local maxima of J_τ = V + τH over the closure of the family, best first.

    Face by face (as :func:`pgweyl.local_maxima` does for V): critical points of J_τ
    inside each face that are maxima within it, kept when no direction into a bigger
    face raises J_τ visibly (J(π + εD) ≤ J(π) + 1e−13 for ε from 1e−12 to 1e−3) — the
    entropy's pull off a face is real but, below that, beyond double precision; such a
    maximum is reported on its face (certificate ``at_face``)."""

    rule = parse_rule(rule)
    tau = rule.tau
    rng = np.random.default_rng(seed)
    faces = fc.enumerate_faces(env)
    full = faces[-1]

    def J(p):
        return fc.policy_value(env, p) + tau * _policy_entropy(p)

    found: list = []
    refused: list = []  # (π, J_τ(π)) of points from which J_τ rises visibly
    for support in faces:
        face = fc.Face(env, support, full=(support == full))
        if len(support) == 1:
            cands = [(np.zeros(1), 0.0, None)]
        else:
            cands = _face_maxima(face, tau, rng, n_starts)
        for phi, gnorm, top in cands:
            p = face.probs(phi)
            if any(fc.total_variation(p, q.policy) <= 1e-6 for q in found):
                continue
            base = J(p)
            # A search can run off towards a smaller face, where the gradient in θ vanishes
            # only because ∂π/∂θ ~ π: such a point is (within 1e-6) one already refused
            # there, no higher. A true maximum next to a refused face point lies higher:
            # the refusal said J_τ rises visibly (> 1e-13) off that point.
            if any(fc.total_variation(p, q) <= 1e-6 and base <= jq + 1e-13 for q, jq in refused):
                continue
            # Off the face: directions into bigger faces; on a simplicial face also towards
            # each step of ~0 probability (the exp family of signed steps is not convex
            # in π: there the refused points above do that job).
            directions = list(fc.gain_directions(env, faces, support, p))
            if not face.exp_family:
                directions += [np.eye(len(p))[i] - p for i in support if p[i] < FACE_TOL]
            if _rises(J, p, base, directions):
                refused.append((p, base))
                continue
            theta = None
            if support == full:
                theta = phi if face.exp_family else phi - phi.mean()  # logits, gauge Σ = 0
            cert = {
                "objective": str(rule),
                "at_face": support != full,
                "gradient_norm": gnorm,
                "hessian_max_eig": top,
                "value_V": float(fc.policy_value(env, p)),
                "entropy": _policy_entropy(p),
            }
            found.append(
                fc.LocalMaximum(
                    support=tuple(support),
                    policy=p,
                    value=float(base),
                    certificate=cert,
                    theta=theta,
                )
            )
    found.sort(key=lambda q: -q.value)
    return found


__all__ = ["entropy_maxima"]
