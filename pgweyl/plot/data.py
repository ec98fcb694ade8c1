"""Data of the figures, without matplotlib: plain arrays in small frozen dataclasses.

Each figure function of :mod:`pgweyl.plot` draws one of these and computes nothing
else, so what a figure shows can be checked (and reused) without drawing it:

- :func:`value_distribution_data` — exact P(T = n, exit on wall j) and Monte Carlo
  frequencies, V exact and the mean simulated return;
- :func:`landscape_data` — V and the effective gradient L∇V on a grid of y = Lθ, and
  where each local maximum lies (a point, or a direction at infinity);
- :func:`basin_data` — the θ-chain's absorption probabilities on a grid, and the
  absorbing regions (policies within ε of a maximum).

Conventions (THEORY §1, §4, §6, §7): the effective coordinates are y = Lθ
(:meth:`AlcoveWalkEnv.effective_map`; A_n with unit steps y_i = θ_i − θ_{n+1}, else
y = θ), and θ(y) = :meth:`AlcoveWalkEnv.lift`; walls are numbered 0..r, wall 0 the far
wall (x, θ̃) = m. Grids are indexed (y1, y2) ("ij", like ``ChainResult.h``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgweyl import validate
from pgweyl.errors import ArgumentError


# -- value distribution ---------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class ValueDistributionData:
    """Exit-time laws per wall at one θ. ``walls``: the walls with exit mass (exact or
    simulated); ``times``: 0..t_show, up to the 99.9% quantile of T; ``exact[k, n]`` =
    P_θ(T = n, X_T on wall ``walls[k]``) and ``mc[k, n]`` the fraction of the
    ``n_episodes`` simulated episodes doing so (a corner point counts for each of its
    walls); ``wall_mass[k]`` = P_θ(exit on wall ``walls[k]``) over all times;
    ``wall_rewards[k]``: r_j (None with a reward table); ``value``: V(θ) exact;
    ``mc_mean``/``mc_se``: mean simulated return and its standard error."""

    theta: np.ndarray
    policy: np.ndarray
    walls: tuple
    times: np.ndarray
    exact: np.ndarray
    mc: np.ndarray
    wall_mass: np.ndarray
    wall_rewards: tuple | None
    value: float
    mc_mean: float
    mc_se: float
    n_episodes: int
    seed: int


def value_distribution_data(env, theta, *, n_episodes=20000, seed=0) -> ValueDistributionData:
    """The exact value distribution at θ (``env.value_distribution``) per wall and exit
    time, beside ``n_episodes`` episodes of :func:`pgweyl.simulate_episodes` (``seed``)
    counted the same way; returns from :meth:`AlcoveWalkEnv.rewards_at`."""
    from pgweyl.sim import simulate_episodes

    theta = env.check_theta(theta)
    n_episodes = validate.positive_int("n_episodes", n_episodes)
    seed = validate.seed(seed)
    dist = env.value_distribution(theta)
    points, times = simulate_episodes(env, theta, n_episodes, seed=seed)
    n_walls = len(env.alcove.walls)
    width = max(int(dist.times.max()) if len(dist.times) else 1, int(times.max())) + 1
    cell_walls = [dist.exit_walls[i] for i in dist.exit_index]
    uniq, inverse = np.unique(points, axis=0, return_inverse=True)
    episode_walls = [env.alcove.walls_at(b) for b in uniq]
    exact, mc = np.zeros((n_walls, width)), np.zeros((n_walls, width))
    for j in range(n_walls):
        cells = np.array([j in w for w in cell_walls], dtype=bool)
        exact[j] = np.bincount(dist.times[cells], dist.probs[cells], minlength=width)
        hit = np.array([j in w for w in episode_walls], dtype=bool)[np.ravel(inverse)]
        mc[j] = np.bincount(times[hit], minlength=width) / n_episodes
    walls = tuple(j for j in range(n_walls) if exact[j].sum() > 1e-9 or mc[j].sum() > 0)
    cdf = np.cumsum(exact.sum(axis=0))
    t_show = min(int(np.searchsorted(cdf, 0.999 * cdf[-1])) + 1, width - 1)
    G = env.returns(env.rewards_at(points), times)
    rewards = None if env.wall_rewards is None else tuple(env.wall_rewards[j] for j in walls)
    return ValueDistributionData(
        theta=theta,
        policy=env.policy(theta),
        walls=walls,
        times=np.arange(t_show + 1),
        exact=exact[list(walls), : t_show + 1],
        mc=mc[list(walls), : t_show + 1],
        wall_mass=exact[list(walls)].sum(axis=1),
        wall_rewards=rewards,
        value=float(dist.value),
        mc_mean=float(G.mean()),
        mc_se=float(G.std(ddof=1) / np.sqrt(len(G))) if len(G) > 1 else float("nan"),
        n_episodes=n_episodes,
        seed=seed,
    )


# -- where a maximum lies ---------------------------------------------------------------------
def face_direction(env, support) -> np.ndarray | None:
    """A unit u in θ-space with (u, s) largest exactly on the steps ``support`` (a
    normal of that face of conv(S)), or None if there is none: as t → ∞, π_{θ + t u}
    concentrates on the face. For the catalog step sets (simplex, cross-polytope) the
    barycentre of the face minus that of S is such a normal; other step sets get one
    from a linear program (largest margin, |u_k| ≤ 1)."""
    vecs = env.steps.vectors.astype(float)
    face = np.zeros(len(vecs), dtype=bool)
    face[list(support)] = True
    if face.all():
        return None  # the whole family: a finite maximum

    def separates(u):
        dots = vecs @ u
        return np.ptp(dots[face]) < 1e-9 and dots[face][0] - dots[~face].max() > 1e-9

    u = vecs[face].mean(axis=0) - vecs.mean(axis=0)
    if not separates(u):
        from scipy.optimize import linprog

        d, s0 = vecs.shape[1], vecs[face][0]
        # maximise δ: (u, s − s0) + δ ≤ 0 off the face, (u, s − s0) = 0 on it, |u_k| ≤ 1
        res = linprog(
            np.append(np.zeros(d), -1.0),
            A_ub=np.hstack([vecs[~face] - s0, np.ones((int((~face).sum()), 1))]),
            b_ub=np.zeros(int((~face).sum())),
            A_eq=np.hstack([vecs[face] - s0, np.zeros((int(face.sum()), 1))]),
            b_eq=np.zeros(int(face.sum())),
            bounds=[(-1, 1)] * d + [(None, 1)],
        )
        if res.status != 0 or -res.fun <= 1e-9:
            return None
        u = res.x[:d]
    return u / np.linalg.norm(u)


def _face_anchor(env, m) -> np.ndarray:
    """A θ whose policy restricted to the face of ``m`` is m's policy there:
    (θ, s) = log π(s) + const on the face (least squares, minimal norm)."""
    support = list(m.support)
    vecs = env.steps.vectors[support].astype(float)
    logp = np.log(np.asarray(m.policy, dtype=float)[support])
    A = np.hstack([vecs, np.ones((len(support), 1))])
    return np.linalg.lstsq(A, logp, rcond=None)[0][:-1]


@dataclass(frozen=True, kw_only=True)
class MaximumMark:
    """Where local maximum ``index`` is drawn in a window [−span, span]^dim of y.

    A finite maximum (``at_infinity`` False: ``m.theta`` given) sits at ``y`` = Lθ; if
    that is outside the window, ``edge`` is where the segment from 0 to ``y`` leaves it
    and ``direction`` points there. A maximum on a face of conv(S) lies at infinity in
    θ: ``y`` is L of a θ with the right policy on the face, ``direction`` the unit
    vector L u / |L u| (u = :func:`face_direction`) and ``edge`` where the ray
    ``y + t direction`` leaves the window. ``label``: the face, "{e1}"."""

    index: int
    support: tuple
    label: str
    value: float
    at_infinity: bool
    y: np.ndarray
    direction: np.ndarray | None
    edge: np.ndarray | None


def _ray_exit(y0, v, span) -> np.ndarray:
    y0 = np.clip(y0, -span, span)
    t = min((np.sign(vk) * span - yk) / vk for yk, vk in zip(y0, v) if abs(vk) > 1e-12)
    return y0 + max(t, 0.0) * v


def maximum_mark(env, m, index: int, span: float) -> MaximumMark:
    """The :class:`MaximumMark` of maximum ``m`` (see there)."""
    L = env.effective_map()
    label = "{" + ", ".join(env.steps.labels(m.support)) + "}"
    common = dict(index=index, support=tuple(m.support), label=label, value=float(m.value))
    u = None if m.theta is not None else face_direction(env, m.support)
    if u is None:  # finite (or a face without a normal: drawn where its θ is)
        theta = m.theta if m.theta is not None else _face_anchor(env, m)
        y = L @ np.asarray(theta, dtype=float)
        if np.all(np.abs(y) <= span):
            return MaximumMark(**common, at_infinity=False, y=y, direction=None, edge=None)
        v = y / np.linalg.norm(y)
        return MaximumMark(
            **common, at_infinity=False, y=y, direction=v, edge=_ray_exit(0 * y, v, span)
        )
    y0, v = L @ _face_anchor(env, m), L @ u
    v = v / np.linalg.norm(v)
    return MaximumMark(**common, at_infinity=True, y=y0, direction=v, edge=_ray_exit(y0, v, span))


# -- value landscape -------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class LandscapeData:
    """V on a grid of the effective coordinates. ``axes``: one array per coordinate
    (``resolution`` points on [−span, span]); ``values[i1, (i2)]`` = V(θ(y)) and
    ``grads[i1, (i2), :]`` = L ∇V(θ(y)) (the gradient flow dθ/dt = ∇V seen in y);
    ``maxima`` and their ``marks`` (:class:`MaximumMark`)."""

    axes: tuple
    values: np.ndarray
    grads: np.ndarray
    maxima: list
    marks: list
    span: float


def landscape_data(env, maxima=None, *, span=6.0, resolution=81) -> LandscapeData:
    """V and L∇V at every point of the grid (``env.value_and_grad`` at θ(y)), and where
    the maxima lie (default ``local_maxima(env, basin_samples=0)``). Needs policy
    "exp" and effective dimension 1 or 2 (else ArgumentError)."""
    from pgweyl.landscape.maxima import local_maxima

    if env.policy_kind != "exp":
        raise ArgumentError("landscape_figure draws the exponential family (policy 'exp')")
    L = env.effective_map()
    dim = L.shape[0]
    if dim > 2:
        raise ArgumentError(
            f"landscape_figure draws effective dimension 1 or 2, not {dim} ({env.cartan})"
        )
    resolution = validate.integer("resolution", resolution, lo=2)
    span = validate.positive_real("span", span)
    maxima = local_maxima(env, basin_samples=0) if maxima is None else list(maxima)
    axis = np.linspace(-span, span, resolution)
    ys = np.stack(np.meshgrid(*[axis] * dim, indexing="ij"), axis=-1)
    thetas = env.lift(ys)
    values, grads = np.empty(ys.shape[:-1]), np.empty(ys.shape)
    for idx in np.ndindex(values.shape):
        ev = env.value_and_grad(thetas[idx])
        values[idx], grads[idx] = ev.value, L @ ev.grad
    marks = [maximum_mark(env, m, j, span) for j, m in enumerate(maxima)]
    return LandscapeData(
        axes=(axis,) * dim, values=values, grads=grads, maxima=maxima, marks=marks, span=span
    )


# -- basins of the θ-chain --------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class BasinData:
    """Absorption probabilities of the θ-chain on a drawing grid.

    ``axes``: the chain's grid of y refined ``upsample`` times per axis (its nodes
    included); ``h[j]`` on that grid = P(policy gradient from θ(y) ends at maximum j),
    the chain's multilinear interpolation between its nodes (what ``ChainResult`` answers
    between nodes); ``absorbing``: on the same grid, the index of the maximum whose
    policy is within ``eps`` (total variation) of π_θ(y), else −1 (None without an env);
    ``index``: the maximum a 2-D figure shows; ``lr``, ``eps``, ``maxima`` as solved."""

    axes: tuple
    h: np.ndarray
    absorbing: np.ndarray | None
    index: int
    maxima: list
    lr: float
    eps: float


def basin_data(chain, index=0, *, env=None, upsample=None) -> BasinData:
    """:class:`BasinData` of a :class:`pgweyl.landscape.ChainResult`, read only through
    ``chain.axes``, ``chain.h``, ``chain.maxima``, ``chain.lr``, ``chain.eps`` and, between
    the nodes, ``chain.at_points`` (the solver's own interpolation).
    ``upsample``: drawing points per grid cell and axis (default 1 in 1-D; in 2-D enough
    for about 400 points per axis). ``env`` (optional) gives the absorbing regions."""
    dim, n_max = len(chain.axes), len(chain.maxima)
    if dim not in (1, 2):
        raise ArgumentError(f"basin_figure draws 1-D and 2-D chains, not {dim}-D")
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise ArgumentError(f"index must be an integer in 0..{n_max - 1}, got {index!r}")
    if not 0 <= int(index) < n_max:
        raise ArgumentError(f"index must be in 0..{n_max - 1}, got {index}")
    nodes = [np.asarray(a, dtype=float) for a in chain.axes]
    compact = getattr(chain, "coordinates", None) is not None
    if compact:
        # the natural chain's grids are over compact coordinates u (chain/compact.py):
        # draw over a box in y through its own interpolation
        half = float(np.log((1 - chain.eps) / chain.eps)) + 4.0
        nodes = [np.linspace(-half, half, 401) for _ in range(dim)]
        upsample = 1
    if upsample is None:
        upsample = 1 if dim == 1 else max(1, -(-400 // (len(nodes[0]) - 1)))
    upsample = validate.positive_int("upsample", upsample, 64)
    axes = tuple(np.linspace(a[0], a[-1], (len(a) - 1) * upsample + 1) for a in nodes)
    h = None if compact else np.array(chain.h, dtype=float)
    if upsample > 1 or compact:  # the chain's own interpolation (degree ``order``, absorbing exact)
        ys = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, dim)
        h = chain.at_points(ys).reshape((n_max,) + tuple(len(a) for a in axes))
    absorbing = None
    if env is not None:
        from pgweyl.landscape.chain.transitions import first_within

        ys = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
        p = env.policies(env.lift(ys.reshape(-1, dim)))
        absorbing = first_within(chain.maxima, p, chain.eps).reshape(ys.shape[:-1])
    return BasinData(
        axes=axes,
        h=h,
        absorbing=absorbing,
        index=int(index),
        maxima=list(chain.maxima),
        lr=float(chain.lr),
        eps=float(chain.eps),
    )


__all__ = [
    "BasinData",
    "LandscapeData",
    "MaximumMark",
    "ValueDistributionData",
    "basin_data",
    "face_direction",
    "landscape_data",
    "maximum_mark",
    "value_distribution_data",
]
