"""The θ-chain deep inside a vertex maximum: the depth walk and its Lundberg root.

Near a vertex maximum j (the policy "always take s*") let q = 1 − π(s*) be the
off-vertex mass and z the depth (z = ±y in 1-D, so that q ≈ c e^{−z}). One update is

- *quiet* with probability 1 − O(q): the episode takes only s*, its score is
  n*(π(s*) − 1)… = O(q), and z moves deeper by a deterministic δ(z) = a q + O(q²);
- *rare* with probability k_c q + O(q²) for each cell c with exactly one other step: its
  score is O(1), and z is kicked back by D_c = O(α), a limit independent of z.

Between rare episodes the quiet pushes add up: after m quiet updates z has grown by
about m a q(z), and the chance that none of them was rare is Π(1 − k q) ≈ exp(−k Σ q).
In the depth coordinate Σ q dz-steps is ∫ dz / a, so the depth gained between two rare
episodes is exponential with rate

    ρ = k / a,   k = Σ_c k_c,

independent of z (to O(q)). Seen at its rare episodes the chain is therefore a random
walk Z_{i+1} = Z_i + E_i − D_i, E_i ~ Exp(ρ), D_i ~ (k_c/k) — the compound-Poisson
surplus process of Cramér and Lundberg, with premium ≡ quiet push and claims ≡ kicks.
When it drifts inward (1/ρ > E[D]) the probability ψ(L) that it ever climbs back by L
decays geometrically, ψ(L) ~ C e^{−R L}, with R > 0 the root of Lundberg's equation

    E[e^{R D}] = 1 + R/ρ        (the moment generating function of −(E − D) equals 1:
                                  E[e^{−R(E−D)}] = ρ/(ρ+R) · E[e^{R D}])

and, for kicks D ≥ 0, C = (1/ρ − E[D]) / (E[D e^{R D}] − 1/ρ). Hence the absorption
probabilities of the ε → 0 limit satisfy h(z) = e_j + O(e^{−R z}) and, beyond a depth
where the walk is already in this regime, h(z + x) − e_j = e^{−R x} (h(z) − e_j) to
relative order e^{−(R₂ − R) z} (R₂ the next root) and O(q): the boundary condition of
the box used by :func:`pgweyl.landscape.chain.chain_absorption` with ``eps=0``.

The rates are taken from the exact kernel at a reference depth (q ≈ 1e−16), where the
O(q) corrections are below rounding; the scores there are formed without cancellation
(:func:`pgweyl.landscape.chain.transitions._scores`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pgweyl.config import DEFAULT_TOL
from pgweyl.errors import ArgumentError
from pgweyl.landscape.chain.transitions import _chunk_probs, _displacements, distances
from pgweyl.serialize import dataclass_to_dict

#: Depth (in y) at which the depth walk's parameters are read off the exact kernel.
REFERENCE_DEPTH = 36.0


@dataclass(frozen=True)
class DepthWalk:
    """The depth walk of one vertex maximum (see the module docstring).

    ``maximum`` (index), ``side`` (+1: the vertex lies at y → +∞, −1 at y → −∞),
    ``push`` a (quiet move per unit q), ``hazard`` k (rare episodes per update per unit
    q), ``rate`` ρ = k/a (per unit depth), ``kicks`` D_c and ``weights`` k_c/k, ``drift``
    1/ρ − E[D] (depth gained per rare episode, > 0), ``root`` R (Lundberg), ``constant``
    C (Cramér–Lundberg; NaN when some kick points inward)."""

    maximum: int
    side: int
    push: float
    hazard: float
    rate: float
    kicks: np.ndarray
    weights: np.ndarray
    drift: float
    root: float
    constant: float

    def escape(self, depth) -> np.ndarray:
        """C e^{−R L}: the Cramér–Lundberg approximation of P(the walk ever climbs back
        by L = ``depth``)."""
        return self.constant * np.exp(-self.root * np.asarray(depth, dtype=float))

    def to_dict(self) -> dict:
        """Every field, JSON-ready (:func:`pgweyl.serialize.dataclass_to_dict`: arrays as
        lists; a NaN ``constant`` or an infinite ``root`` as None)."""
        return dataclass_to_dict(self)


def lundberg_root(rate: float, kicks, weights) -> float:
    """The positive root R of E[e^{R D}] = 1 + R/ρ (∞ when no kick points outward).

    f(R) = Σ w expm1(R D) − R/ρ is convex with f(0) = 0 and f'(0) = E[D] − 1/ρ < 0, so
    the root is unique; it is bracketed by doubling and found by Brent's method."""
    from scipy.optimize import brentq

    kicks = np.asarray(kicks, dtype=float)
    weights = np.asarray(weights, dtype=float)
    if not (kicks > 0).any():
        return math.inf

    def f(r):
        return float(weights @ np.expm1(np.minimum(r * kicks, 700.0))) - r / rate

    hi = 1.0
    while f(hi) < 0:
        hi *= 2.0
    lo = hi / 2.0
    while f(lo) >= 0 and lo > 1e-300:
        lo /= 2.0
    try:
        return float(brentq(f, lo, hi, xtol=1e-300, rtol=1e-15, maxiter=200))
    except (RuntimeError, ValueError):  # f too coarse in floats (kicks ~ lr ~ 1e150)
        raise ArgumentError(
            f"the depth walk's Lundberg root was not found (kicks up to {kicks.max():.3g}, "
            f"rate {rate:.3g}): the ε → 0 limit is not available at this step size"
        ) from None


def depth_walk(env, maxima, j, *, lr, baseline, rule, L, tol=DEFAULT_TOL) -> DepthWalk:
    """The :class:`DepthWalk` of vertex maximum ``j`` of a 1-D chain, read off the exact
    kernel at depth :data:`REFERENCE_DEPTH` and checked there against depth + 4 (the
    parameters must agree to 1e−9; a rule whose kicks grow with depth, such as the
    natural gradient, has no such walk and is refused)."""
    m = maxima[j]
    if m.flat or len(m.support) != 1:
        raise ArgumentError(
            f"maximum {j} is not a vertex: the ε → 0 limit is built for vertex maxima"
        )
    star = env.steps.vectors[m.support[0]].astype(float)
    direction = float((L @ star)[0])
    side = 1 if direction > 0 else -1

    def read(depth):
        y = np.array([[side * depth]])
        th = env.lift(y)
        n0 = env.solver.common_truncation(th, tol)
        cells, prob, top, sigma, _, _ = _chunk_probs(env.solver, th, n0, tol, True)
        dy = _displacements(env, th, cells, prob, lr=lr, baseline=baseline, L=L, rule=rule)
        q = float(distances(m, env.policies(th))[0])
        quiet = int(top[0])
        push = side * float(dy[0, quiet, 0]) / q
        rare = np.ones(prob.shape[1], dtype=bool)
        rare[quiet] = False
        rare &= prob[0] > 1e-9 * sigma[0]  # O(q²) cells vanish in the limit
        k_c = prob[0, rare] / q
        kicks = -side * dy[0, rare, 0]
        return push, k_c, kicks, q

    if rule is not None and rule.kind == "natural":
        return _natural_walk(j, side, read)
    push, k_c, kicks, _ = read(REFERENCE_DEPTH)
    push2, k_c2, kicks2, _ = read(REFERENCE_DEPTH + 4.0)
    same = (
        len(k_c) == len(k_c2)
        and abs(push - push2) <= 1e-9 * abs(push)
        and np.allclose(k_c, k_c2, rtol=1e-9, atol=0)
        and np.allclose(kicks, kicks2, rtol=1e-9, atol=1e-12)
    )
    if not same:
        raise ArgumentError(
            f"the chain near maximum {j} has no depth walk with fixed kicks under rule "
            f"{rule}: its moves change with depth; the ε → 0 limit is built for vanilla "
            "REINFORCE with a constant baseline and for the natural gradient"
        )
    if not push > 0:
        raise ArgumentError(
            f"quiet episodes push the chain out of maximum {j} (quiet push {push:.3g}): "
            "it is not an attractor of the chain under this rule and baseline"
        )
    hazard = float(k_c.sum())
    rate = hazard / push
    weights = k_c / hazard
    drift = 1.0 / rate - float(weights @ kicks)
    if not drift > 0:
        raise ArgumentError(
            f"the depth walk of maximum {j} does not drift inward (1/ρ − E[D] = "
            f"{drift:.3g} ≤ 0): the chain leaves it almost surely and never converges there"
        )
    root = lundberg_root(rate, kicks, weights)
    if (kicks >= 0).all() and math.isfinite(root):
        denom = float(weights @ (kicks * np.exp(root * kicks))) - 1.0 / rate
        constant = drift / denom
    else:
        constant = math.nan
    return DepthWalk(
        maximum=j,
        side=side,
        push=push,
        hazard=hazard,
        rate=rate,
        kicks=kicks,
        weights=weights,
        drift=drift,
        root=root,
        constant=constant,
    )


def _natural_walk(j, side, read) -> DepthWalk:
    """The natural gradient near a vertex: F(θ)⁺ = O(1/q) turns the O(q) quiet score
    into a fixed move c = O(α) per update (``push``), and an O(1) rare score into a kick
    of O(α/q) that throws θ across the whole line, deep into the other vertex. From depth
    z the chain thus escapes with probability ψ(z) = Σ_i k q(z + i c) ≈ k q(z)/(1 − e^{−c})
    (and then converges elsewhere), so ψ falls like q: R = −d log q/dz (1 on the
    corridor), read off the two reference depths; ``kicks`` holds q·D_c, ``rate`` and
    ``constant`` are NaN, ``drift`` is c."""
    push, k_c, kicks, q = read(REFERENCE_DEPTH)
    push2, k_c2, kicks2, q2 = read(REFERENCE_DEPTH + 4.0)
    c, c2 = push * q, push2 * q2  # the quiet move itself, not per unit q
    same = (
        len(k_c) == len(k_c2)
        and abs(c - c2) <= 1e-9 * abs(c)
        and np.allclose(k_c, k_c2, rtol=1e-9, atol=0)
        and np.allclose(kicks * q, kicks2 * q2, rtol=1e-9, atol=1e-12)
    )
    if not same:
        raise ArgumentError(
            f"the natural-gradient chain near maximum {j} does not settle into fixed "
            "quiet moves and 1/q kicks; the ε → 0 limit is not built for it"
        )
    if not c > 0:
        raise ArgumentError(
            f"quiet episodes push the chain out of maximum {j} (quiet move {c:.3g}): "
            "it is not an attractor of the chain under this rule and baseline"
        )
    hazard = float(k_c.sum())
    return DepthWalk(
        maximum=j,
        side=side,
        push=c,
        hazard=hazard,
        rate=math.nan,
        kicks=kicks * q,
        weights=k_c / hazard,
        drift=c,
        root=math.log(q / q2) / 4.0,
        constant=math.nan,
    )


def boundary_step(env, maxima, j, settings, lo, hi):
    """(η, δ) at the edge of the ε-ball of vertex maximum ``j`` in 1-D: η the probability
    of an episode other than the quiet one, δ the quiet move toward the vertex; None when
    the edge lies outside [lo, hi] or the quiet move does not point inward."""
    eps = settings["eps"]
    L = settings["L"]
    m = maxima[j]
    star = env.steps.vectors[m.support[0]].astype(float)
    side = 1 if float((L @ star)[0]) > 0 else -1
    edge = side * math.log((1 - eps) / eps)
    if not lo <= edge <= hi:
        return None
    th = env.lift(np.array([[edge]]))
    n0 = env.solver.common_truncation(th, settings["tol"])
    cells, prob, top, sigma, _, _ = _chunk_probs(env.solver, th, n0, settings["tol"], True)
    dy = _displacements(
        env,
        th,
        cells,
        prob,
        lr=settings["lr"],
        baseline=settings["baseline"],
        L=L,
        rule=settings["rule"],
    )
    delta = side * float(dy[0, int(top[0]), 0])
    if not delta > 0:
        return None
    return float(sigma[0]), delta


__all__ = ["REFERENCE_DEPTH", "DepthWalk", "boundary_step", "depth_walk", "lundberg_root"]
