"""Local maxima of V in the compactified policy space (THEORY §6).

Policy gradient either converges to a finite critical point or drifts to infinity
toward a face of conv(S) and settles inside it. ``local_maxima`` therefore searches
every face's family for relative-interior critical points (BFGS with exact gradients;
a vertex is its own single point) and keeps those that are local maxima of the closure:

- within the face: gradient norm ≈ 0 and every eigenvalue of the Hessian (in the
  face's coordinates, gauge direction removed) negative;
- against bigger faces: the first-order gain rate d/dε V(π + ε D) ≤ 0 for every
  direction D that enters a bigger face — D = δ_s − π for each step s that extends the
  support to a bigger face, and, for signed steps on a facet, the direction into the
  interior exp family (mass ∝ 1/π(σ_i e_i) on each antipodal step, which keeps
  π(+e_i) π(−e_i) equal across i). Rates are exact (forward-mode derivatives);
- and, because a zero rate is inconclusive (a gain of second order, as when two
  deviating steps are needed to reach a paying wall), no finite perturbation
  (1 − ε) π + ε q with q random on a bigger simplicial face and ε ∈ {1e-2, 1e-3} may
  raise V by more than ``VALUE_TOL``.

The deterministic basin of a maximum — the α → 0 limit of policy gradient — is the set
of starts θ_0 whose gradient flow dθ/dt = ∇V(θ) ends there; it is estimated by
following the flow's orbit with arc-length-normalised Euler steps from sampled starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pgweyl.landscape.faces import Face, enumerate_faces, neighbour_faces, policy_value

GRAD_TOL = 1e-6  # within-face gradient norm accepted as critical
HESS_TOL = -1e-9  # largest within-face Hessian eigenvalue must be below this
GAIN_TOL = 1e-9  # largest first-order gain rate into a bigger face
VALUE_TOL = 1e-12  # largest value gain found by finite perturbations into bigger faces
MIN_PROB = 1e-5  # a critical point of a face must give every face step at least this


@dataclass(frozen=True, repr=False)
class LocalMaximum:
    """One attractor of gradient ascent in the compactified policy space."""

    support: tuple
    policy: np.ndarray
    value: float
    certificate: dict
    basin_share: float | None = None
    theta: np.ndarray | None = field(default=None)  # a finite θ for interior maxima

    @property
    def is_vertex(self) -> bool:
        return len(self.support) == 1

    def to_dict(self) -> dict:
        return {
            "support": list(self.support),
            "policy": self.policy.tolist(),
            "value": self.value,
            "certificate": dict(self.certificate),
            "basin_share": self.basin_share,
            "theta": None if self.theta is None else self.theta.tolist(),
        }

    def __repr__(self) -> str:
        p = ", ".join(f"{x:.4g}" for x in self.policy)
        share = "" if self.basin_share is None else f", basin_share={self.basin_share:.3g}"
        return f"LocalMaximum(support={self.support}, policy=[{p}], value={self.value:.10g}{share})"


def total_variation(p, q) -> float:
    return 0.5 * float(np.abs(np.asarray(p) - np.asarray(q)).sum())


def _gauge_basis(dim: int) -> np.ndarray:
    """Orthonormal basis of {φ : Σφ = 0} (columns)."""
    q, _ = np.linalg.qr(np.eye(dim)[:, :-1] - 1.0 / dim)
    return q[:, : dim - 1]


def _hessian(face: Face, phi: np.ndarray, h: float = 1e-5) -> np.ndarray:
    cols = [(face.grad(phi + h * e) - face.grad(phi - h * e)) / (2 * h) for e in np.eye(face.dim)]
    H = np.array(cols).T
    H = 0.5 * (H + H.T)
    if face.gauge:
        B = _gauge_basis(face.dim)
        H = B.T @ H @ B
    return H


def _gain_rates(env, faces, support, policy) -> list[float]:
    """Exact d/dε V(π + ε D) at ε = 0 for each direction D into a bigger face."""
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
    rates = []
    for d in directions:
        times, idx, _, dP, _ = env.solver.tilted.run(policy, d[:, None], 1e-14)
        rates.append(float(env.returns(env.exit_rewards[idx], times) @ dP[:, 0]))
    return rates


def _perturbation_gain(env, faces, support, policy, value, rng, draws: int = 6) -> float | None:
    """Largest V((1 − ε)π + εq) − V(π) over random q on bigger simplicial faces."""
    simplicial = [
        f
        for f in faces
        if set(support) < set(f) and not (env.steps.kind == "signed" and f == faces[-1])
    ]
    best = None
    for f in simplicial:
        for _ in range(draws):
            q = np.zeros(len(policy))
            q[list(f)] = rng.dirichlet(np.ones(len(f)))
            for eps in (1e-2, 1e-3):
                gain = policy_value(env, (1 - eps) * policy + eps * q) - value
                best = gain if best is None else max(best, gain)
    return best


def _face_critical_points(face: Face, rng, n_starts: int) -> list[np.ndarray]:
    from scipy.optimize import minimize

    starts = [np.zeros(face.dim)] + [1.5 * rng.normal(size=face.dim) for _ in range(n_starts)]
    found = []
    for x0 in starts:
        res = minimize(
            lambda x: (-face.value(x), -face.grad(x)),
            x0,
            jac=True,
            method="BFGS",
            options={"gtol": 1e-10, "maxiter": 400},
        )
        x = res.x - (res.x.mean() if face.gauge else 0.0)
        p = face.probs(x)
        if p[list(face.support)].min() < MIN_PROB:
            continue  # drifting to a smaller face: found there
        if np.linalg.norm(face.grad(x)) > GRAD_TOL:
            continue
        if all(total_variation(p, face.probs(y)) > 1e-6 for y in found):
            found.append(x)
    return found


def local_maxima(
    env, n_starts: int = 4, basin_samples: int = 0, seed: int = 0, basin_scale: float = 1.0
) -> list[LocalMaximum]:
    """Every local maximum of V over the closure of the policy family, best first.

    ``basin_samples`` > 0 also estimates each maximum's share of deterministic basins
    from θ_0 ~ N(0, basin_scale² I) (and θ_0 = 0), following the gradient flow."""
    rng = np.random.default_rng(seed)
    faces = enumerate_faces(env)
    full = faces[-1]
    candidates = []
    for support in faces:
        face = Face(env, support, full=(support == full))
        if len(support) == 1:
            p = face.probs(np.zeros(1))
            candidates.append((face, None, p))
            continue
        for phi in _face_critical_points(face, rng, n_starts):
            candidates.append((face, phi, face.probs(phi)))
    maxima = []
    for face, phi, p in candidates:
        cert = {
            "face_dim": 0 if phi is None else face.dim - int(face.gauge),
            "gradient_norm": 0.0,
            "hessian_max_eig": None,
        }
        if phi is not None:
            cert["gradient_norm"] = float(np.linalg.norm(face.grad(phi)))
            H = _hessian(face, phi)
            cert["hessian_max_eig"] = float(np.linalg.eigvalsh(H).max()) if H.size else None
            if cert["hessian_max_eig"] is not None and cert["hessian_max_eig"] >= HESS_TOL:
                continue  # a saddle or a degenerate point of the face
        rates = _gain_rates(env, faces, face.support, p)
        cert["gain_rate"] = max(rates) if rates else None
        if rates and max(rates) > GAIN_TOL:
            continue
        value = policy_value(env, p)
        gain = _perturbation_gain(env, faces, face.support, p, value, rng)
        cert["perturbation_gain"] = gain
        if gain is not None and gain > VALUE_TOL:
            continue
        theta = None
        if phi is not None and face.support == full:
            theta = phi if face.exp_family else _theta_of(env, p)
        maxima.append(LocalMaximum(face.support, p, value, cert, None, theta))
    maxima.sort(key=lambda m: -m.value)
    if basin_samples > 0:
        starts = [np.zeros(env.theta_dim)] + [
            basin_scale * rng.normal(size=env.theta_dim) for _ in range(basin_samples - 1)
        ]
        labels = [deterministic_basin(env, t0, maxima) for t0 in starts]
        maxima = [
            LocalMaximum(
                m.support, m.policy, m.value, m.certificate, labels.count(j) / len(labels), m.theta
            )
            for j, m in enumerate(maxima)
        ]
    return maxima


def _theta_of(env, probs) -> np.ndarray:
    """θ of a full-support policy of a unit-step exp env (θ_i = log π_i, Σθ = 0)."""
    t = np.log(probs)
    return t - t.mean()


def deterministic_basin(
    env, theta0, maxima=None, step: float = 0.05, max_steps: int = 20_000, tv_tol: float = 1e-3
) -> int:
    """Index (in ``maxima``) of the attractor the gradient flow from θ_0 reaches, or −1.

    Follows the orbit of dθ/dt = ∇V(θ) with Euler steps of length ≤ ``step``
    (θ ← θ + step · ∇V / max(|∇V|, step)): the orbit, not the speed, decides the basin,
    so the slow logarithmic drift toward a face costs O(|θ|/step) steps."""
    if maxima is None:
        maxima = local_maxima(env)
    theta = env.check_theta(theta0).copy()
    for _ in range(max_steps):
        p = env.policy(theta)
        dists = [total_variation(p, m.policy) for m in maxima]
        j = int(np.argmin(dists))
        if dists[j] < tv_tol:
            return j
        g = env.value_grad(theta)
        theta = theta + step * g / max(float(np.linalg.norm(g)), step)
    return -1


__all__ = ["LocalMaximum", "deterministic_basin", "local_maxima", "total_variation"]
