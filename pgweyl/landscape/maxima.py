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
  raise V by more than ``VALUE_TOL``;
- a face on which V is constant and which no direction leaves with a gain (a ridge, as
  when two steps exit at once on the same wall) is reported as one flat maximum: its
  distance to a policy is the mass outside the face.

The deterministic basin of a maximum — the α → 0 limit of policy gradient — is the set
of starts θ_0 whose gradient flow dθ/dt = ∇V(θ) ends there; it is estimated by
following the flow's orbit, reparametrised by arc length and integrated with an adaptive
Runge–Kutta method (RK45, :func:`scipy.integrate.solve_ivp`), from sampled starts.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import OrderedDict

import numpy as np

from pgweyl import validate
from pgweyl.landscape.faces import (
    Face,
    LocalMaximum,
    enumerate_faces,
    gain_directions,
    gauge_basis,
    policy_value,
    total_variation,
)
from pgweyl.landscape.objective import entropy_maxima
from pgweyl.landscape.shares import wilson_interval
from pgweyl.progress import Progress
from pgweyl.rules import parse_rule

GRAD_TOL = 1e-6  # within-face gradient norm accepted as critical
HESS_TOL = -1e-9  # largest within-face Hessian eigenvalue must be below this
GAIN_TOL = 1e-9  # largest first-order gain rate into a bigger face
VALUE_TOL = 1e-12  # largest value gain found by finite perturbations into bigger faces
MIN_PROB = 1e-5  # a critical point of a face must give every face step at least this
#: The tolerances above are absolute, for values of order one. When every vertex's |V| is
#: below VALUE_SCALE (γ = 1e-14 discounts every exit of the corridor below 1e-14, and the
#: corridor looked flat), they are applied to V / s instead, s = max |V(vertex)| /
#: VALUE_SCALE: the landscape's shape does not depend on the unit of reward.
VALUE_SCALE = 1e-3
#: Largest ``basin_samples``: each start integrates one orbit (0.1–0.3 s), so 10 000 starts
#: take about half an hour and pin a share to ±0.01.
MAX_BASIN_SAMPLES = 10_000


def _hessian(face: Face, phi: np.ndarray, h: float = 1e-5) -> np.ndarray:
    cols = [(face.grad(phi + h * e) - face.grad(phi - h * e)) / (2 * h) for e in np.eye(face.dim)]
    H = np.array(cols).T
    H = 0.5 * (H + H.T)
    if face.gauge:
        B = gauge_basis(face.dim)
        H = B.T @ H @ B
    return H


def _gain_rates(env, faces, support, policy) -> list[float]:
    """Exact d/dε V(π + ε D) at ε = 0 for each direction D into a bigger face."""
    directions = gain_directions(env, faces, support, policy)
    return [float(env.solver.policy_derivative(policy, d[:, None])[0]) for d in directions]


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


def _value_scale(env, faces) -> float:
    """s of :data:`VALUE_SCALE`: max |V(vertex)| / VALUE_SCALE when that is in (0, 1),
    else 1 (the tolerances as they are)."""
    k = len(env.steps.vectors)
    top = 0.0
    for f in faces:
        if len(f) == 1:
            p = np.zeros(k)
            p[f[0]] = 1.0
            top = max(top, abs(policy_value(env, p)))
    s = top / VALUE_SCALE
    return s if 0.0 < s < 1.0 else 1.0


def _face_critical_points(face: Face, rng, n_starts: int, scale: float = 1.0) -> list[np.ndarray]:
    from scipy.optimize import minimize

    starts = [np.zeros(face.dim)] + [1.5 * rng.normal(size=face.dim) for _ in range(n_starts)]
    found = []

    def objective(x):  # −V/scale and its gradient, from one solve
        v, g = face.value_grad(x)
        return -v / scale, -g / scale

    for x0 in starts:
        res = minimize(
            objective,
            x0,
            jac=True,
            method="BFGS",
            options={"gtol": 1e-10, "maxiter": 400},
        )
        x = res.x - (res.x.mean() if face.gauge else 0.0)
        p = face.probs(x)
        if p[list(face.support)].min() < MIN_PROB:
            continue  # drifting to a smaller face: found there
        if np.linalg.norm(face.grad(x)) > GRAD_TOL * scale:
            continue
        if all(total_variation(p, face.probs(y)) > 1e-6 for y in found):
            found.append(x)
    return found


def local_maxima(
    env,
    *,
    n_starts: int = 4,
    basin_samples: int = 0,
    seed: int = 0,
    basin_scale: float = 1.0,
    rule=None,
    progress=False,
) -> list[LocalMaximum]:
    """Every local maximum of V over the closure of the policy family, best first.

    ``rule`` (:mod:`pgweyl.rules`): the maxima of the objective the rule ascends — V for
    vanilla and natural gradient, J_τ = V + τH for entropy
    (:func:`pgweyl.landscape.objective.entropy_maxima`; no basin shares then).

    Each maximum's ``basin_share`` is the fraction of ``basin_samples`` starts
    (θ_0 = 0 and θ_0 ~ N(0, basin_scale² I)) whose gradient flow ends there, with its
    Wilson 95% interval ``basin_ci`` (a share from 16 starts is known to about ±0.25;
    ±0.05 needs about 400); the fraction that reaches no maximum is the remainder
    (0: skip, shares are None). ``basin_samples`` is at most ``MAX_BASIN_SAMPLES``
    (each start integrates one gradient-flow orbit, 0.1–0.3 s).

    The families of all faces of conv(S) are searched (``unit`` and ``signed`` step
    sets), with ``n_starts`` random optimiser starts per face. ``progress``: the faces
    searched, then the basin starts, on stderr (:mod:`pgweyl.progress`; default off).

    The search is deterministic: the last :data:`MEMO_SIZE` are remembered, keyed by the
    environment's ``to_dict()`` and these settings, and a repeated call returns copies of
    the same maxima at once (the chain solver, Monte Carlo and compare each ask).

    >>> import pgweyl as pw
    >>> maxima = local_maxima(pw.make_env("corridor"))
    >>> [(m.support, round(m.value, 6)) for m in maxima]   # (treasure, trap)
    [((0,), 0.773781), ((1,), 0.475)]
    """
    n_starts = validate.positive_int("n_starts", n_starts)
    env_key = json.dumps(env.to_dict(), sort_keys=True)
    if rule is not None:
        rule = parse_rule(rule)
        if rule.kind == "entropy":  # the attractors of J_τ = V + τH, not of V
            seed = validate.seed(seed)
            key = (env_key, "entropy", float(rule.tau), seed)  # J_τ depends on τ alone
            return _MEMO.copies(key, lambda: entropy_maxima(env, rule, seed=seed))
    basin_samples = validate.nonnegative_int("basin_samples", basin_samples, MAX_BASIN_SAMPLES)
    seed = validate.seed(seed)
    basin_scale = validate.positive_real("basin_scale", basin_scale)
    key = (env_key, n_starts, basin_samples, seed, basin_scale)
    return _MEMO.copies(
        key, lambda: _search(env, n_starts, basin_samples, seed, basin_scale, progress)
    )


class _Memo:
    """The last :data:`MEMO_SIZE` searches of :func:`local_maxima`, keyed by the
    environment's constructor arguments (``to_dict``: everything V depends on) and the
    search's settings (τ for the maxima of J_τ). The search is deterministic given
    those, and a study asks for the same environment's maxima several times (the chain
    solver, Monte Carlo's targets, compare's global maximum: six searches in the README
    tour, 0.3 s each; J_τ's on the triangle take about 4 s, once per chain solve in compare)."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def copies(self, key, search) -> list[LocalMaximum]:
        """Copies of the maxima remembered under ``key``, from ``search()`` (then
        remembered) when there are none."""
        found = self.get(key)
        if found is None:
            found = search()
            self.put(key, found)
        return [_copy(m) for m in found]


#: How many searches :func:`local_maxima` remembers (least recently used dropped first).
MEMO_SIZE = 32
_MEMO = _Memo(MEMO_SIZE)


def _copy(m: LocalMaximum) -> LocalMaximum:
    """A copy of a remembered maximum that its caller may change freely."""
    theta = None if m.theta is None else m.theta.copy()
    return dataclasses.replace(
        m, policy=m.policy.copy(), theta=theta, certificate=dict(m.certificate)
    )


def _search(env, n_starts, basin_samples, seed, basin_scale, progress) -> list[LocalMaximum]:
    """:func:`local_maxima` (of V) for validated settings, computed."""
    rng = np.random.default_rng(seed)
    faces = enumerate_faces(env)
    full = faces[-1]
    scale = _value_scale(env, faces)
    candidates = []
    with Progress(len(faces), "local maxima: faces", "face", progress) as bar:
        for support in faces:
            face = Face(env, support, full=(support == full))
            bar.update(1)
            if len(support) == 1:
                p = face.probs(np.zeros(1))
                candidates.append((face, None, p))
                continue
            for phi in _face_critical_points(face, rng, n_starts, scale):
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
            if cert["hessian_max_eig"] is not None and cert["hessian_max_eig"] >= HESS_TOL * scale:
                continue  # a saddle or a degenerate point of the face
        rates = _gain_rates(env, faces, face.support, p)
        cert["gain_rate"] = max(rates) if rates else None
        if rates and max(rates) > GAIN_TOL * scale:
            continue
        value = policy_value(env, p)
        gain = _perturbation_gain(env, faces, face.support, p, value, rng)
        cert["perturbation_gain"] = gain
        if gain is not None and gain > VALUE_TOL * scale:
            continue
        theta = None
        if phi is not None and face.support == full:
            theta = phi if face.exp_family else _theta_of(env, p)
        maxima.append(
            LocalMaximum(support=face.support, policy=p, value=value, certificate=cert, theta=theta)
        )
    maxima = _merge_flat_faces(env, faces, maxima, rng, scale)
    maxima.sort(key=lambda m: -m.value)
    if basin_samples > 0:
        starts = [np.zeros(env.theta_dim)] + [
            basin_scale * rng.normal(size=env.theta_dim) for _ in range(basin_samples - 1)
        ]

        labels = []
        with Progress(len(starts), "local maxima: basin starts", "start", progress) as bar:
            for t0 in starts:
                labels.append(deterministic_basin(env, t0, maxima))
                bar.update(1)
        maxima = [
            dataclasses.replace(
                m,
                basin_share=labels.count(j) / len(labels),
                basin_ci=tuple(float(v) for v in wilson_interval(labels.count(j), len(labels))),
            )
            for j, m in enumerate(maxima)
        ]
    return maxima


def _merge_flat_faces(env, faces, maxima, rng, scale: float = 1.0) -> list:
    """Replace the maxima inside a flat face by one maximum standing for the face.

    A simplicial face F (|F| ≥ 2) is flat when every vertex of F is a reported maximum,
    all with the same value, V equals that value at random policies on F (to 1e-12),
    and no direction out of F gains (first-order rates and finite perturbations from its
    barycentre). Then the whole face is a ridge of non-strict maxima: gradient ascent
    ends anywhere on it, so it is one attractor. The largest such faces are kept."""
    k = len(env.steps.vectors)
    vertex_value = {m.support[0]: m.value for m in maxima if len(m.support) == 1}
    simplicial = faces[:-1] if env.steps.kind == "signed" else faces
    flat = []
    for f in sorted(simplicial, key=len, reverse=True):
        if len(f) < 2 or any(s not in vertex_value for s in f):
            continue
        if any(set(f) <= set(g) for g, *_ in flat):
            continue
        vals = [vertex_value[s] for s in f]
        if max(vals) - min(vals) > VALUE_TOL * scale:
            continue
        on_face = []
        for _ in range(5):
            q = np.zeros(k)
            q[list(f)] = rng.dirichlet(np.ones(len(f)))
            on_face.append(abs(policy_value(env, q) - vals[0]) <= VALUE_TOL * scale)
        if not all(on_face):
            continue
        centre = np.zeros(k)
        centre[list(f)] = 1.0 / len(f)
        rates = _gain_rates(env, faces, f, centre)
        gain = _perturbation_gain(env, faces, f, centre, vals[0], rng)
        if (rates and max(rates) > GAIN_TOL * scale) or (
            gain is not None and gain > VALUE_TOL * scale
        ):
            continue
        flat.append((f, centre, rates, gain))
    if not flat:
        return maxima
    kept = [m for m in maxima if not any(set(m.support) <= set(f) for f, *_ in flat)]
    for f, centre, rates, gain in flat:
        cert = {
            "face_dim": len(f) - 1,
            "flat": True,
            "gradient_norm": 0.0,
            "hessian_max_eig": 0.0,
            "gain_rate": max(rates) if rates else None,
            "perturbation_gain": gain,
        }
        kept.append(
            LocalMaximum(
                support=tuple(f),
                policy=centre,
                value=policy_value(env, centre),
                certificate=cert,
                flat=True,
            )
        )
    return kept


def _theta_of(env, probs) -> np.ndarray:
    """θ of a full-support policy of a unit-step exp env (θ_i = log π_i, Σθ = 0)."""
    t = np.log(probs)
    return t - t.mean()


def deterministic_basin(
    env, theta0, maxima=None, *, tol: float = 1e-3, max_length: float = 600.0
) -> int:
    """Index (in ``maxima``) of the attractor the gradient flow from θ_0 reaches, or −1.

    Integrates the orbit of dθ/dt = ∇V(θ) reparametrised by arc length,
    dθ/ds = ∇V / max(|∇V|, 0.05) (RK45, rtol 1e-6), until the policy is within ``tol``
    of a maximum (:meth:`LocalMaximum.distances`). The orbit, not the speed, decides
    the basin, so the slow logarithmic drift toward a face costs O(|θ|) length.

    This is the α → 0 limit of policy gradient. −1 when no maximum is reached within
    ``max_length`` of arc length; ``maxima=None`` computes them (:func:`local_maxima`).

    >>> import pgweyl as pw
    >>> deterministic_basin(pw.make_env("corridor"), [0.0, 0.0])   # the treasure
    0
    """
    from scipy.integrate import solve_ivp

    if maxima is None:
        maxima = local_maxima(env, basin_samples=0)
    theta0 = env.check_theta(theta0)

    def nearest(theta):
        p = env.policy(theta)
        d = [float(m.distances(p)) for m in maxima]
        j = int(np.argmin(d))
        return j, d[j]

    def rhs(_, theta):
        g = env.value_grad(theta)
        return g / max(float(np.linalg.norm(g)), 0.05)

    def arrived(_, theta):
        return nearest(theta)[1] - tol

    arrived.terminal = True
    sol = solve_ivp(
        rhs, (0.0, max_length), theta0, events=arrived, rtol=1e-6, atol=1e-8, max_step=2.0
    )
    j, d = nearest(sol.y[:, -1])
    return j if d <= tol * (1 + 1e-6) else -1


__all__ = ["LocalMaximum", "deterministic_basin", "local_maxima", "total_variation"]
