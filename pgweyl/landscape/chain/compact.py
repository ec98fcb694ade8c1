"""The natural-gradient θ-chain in effective dimension 2, on compact face coordinates.

The natural rule moves θ by Δθ = α F(θ)⁺ (G − β) g. Along a face of the policy family's
closure where π_s → 0, F⁺ grows like 1/π_s: the quiet episodes (no s) move y = Lθ by
O(α) toward the face, so the chain is transient out to infinity in y, and an episode
that takes s jumps by O(α/π_s). Any box in y is left, and clamping would change the chain.

The natural gradient does not depend on the parametrisation, so the chain is posed in
coordinates where every landing point lies in a fixed box and the faces are its sides.
With the *face logits* z (two per family) and a scale s,

    u = tanh(z / s) ∈ [−1, 1]²,

- unit steps (A2, π over e1, e2, e3): z₁ = θ₁ − θ₂ = log(π₁/π₂) and
  z₂ = log π₃ − log(π₁ + π₂) (the vertex e3 blown up to the side u₂ = 1; the edge
  {e1, e2} is the side u₂ = −1, the edges {e1, e3}, {e2, e3} the sides u₁ = ±1);
- signed steps (B2, C2): z₁ = θ₁ + θ₂ and z₂ = θ₁ − θ₂ (the four edges of the family's
  square are the four sides, the four vertices its corners).

A quiet natural step is O(α) in z (z is θ up to a 1-Lipschitz map), the rare jump lands
inside [−1, 1]², and nothing is clamped. Near a side, h − h_face is O(e^{−c|z|}) =
O(((1 − |u|)/2)^{cs/2}) for the rate c of the return jumps, smooth in u for s ≥ 4. Nodes
on the sides carry |z| = ``Z_SIDE`` (the face chain: off-face mass e^{−60}).

**Stuck.** A vertex that is no maximum can hold the chain for ever: its quiet episodes
push it deeper (G > 0) at a linear rate in z, so the rare episodes that would take it out
have summable probabilities. Landing points within ``STUCK`` (total variation) of such a
vertex are absorbed into "stuck" (H = 0 for every maximum; Monte Carlo reports these runs
as unresolved), and :attr:`CompactChainResult.stuck_error` bounds what that moves: from
a point θ₀ in the sink the chain follows the quiet path θ_{k+1} = θ_k + Δθ(quiet cell)
until its first other episode, so P(it ever reaches a maximum) ≤ Σ_k σ(θ_k), σ the mass of
every cell but the quiet one (:func:`escape_bound`).

The grids, stencils, solvers and error estimates are those of the y-chain
(:mod:`pgweyl.landscape.chain`); only the node → θ map and the landing → node offset
differ, in :func:`assemble_compact`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial

import numpy as np

from pgweyl.errors import ArgumentError
from pgweyl.landscape.chain.grid import Grid
from pgweyl.landscape.chain.result import ChainResult, solved_fields
from pgweyl.landscape.chain.solve import (
    MAX_PECLET,
    MIN_NODES,
    finer_grid,
    solve_levels,
    worst_peclet,
)
from pgweyl.landscape.chain.transitions import (
    System,
    _chunk_probs,
    _displacements,
    assemble,
    first_within,
)

#: Default scale s of u = tanh(z/s) (h is smooth at the sides for s ≥ 4; s = 2, 4, 8 agree
#: within the grid error, docs/performance.md).
DEFAULT_SCALE = 4.0

#: Default nodes per axis of the finest grid over [−1, 1]² (≡ 1 mod 8: nested refinements).
DEFAULT_NODES = 201

#: |z| of the nodes on the sides of the box (u = ±1): off-face mass e^{−60}. (Measured:
#: 25 and 300 give the same answers to 1e−8 on the triangle.)
Z_SIDE = 60.0

#: Radius (total variation) of the sink around a vertex that is no maximum. (Measured:
#: 1e−4 moves the triangle's answers by < 1e−7, with a bound of 4e−4 instead of 4e−9.)
STUCK = 1e-9

#: Quiet-path updates followed at most by :func:`escape_bound`.
ESCAPE_STEPS = 4000

#: Sink points whose escape is followed, shallowest first (the rest are bounded through
#: the largest ratio Σσ/m₀ of these, :func:`escape_bound`).
ESCAPE_SAMPLE = 96


def compact_refusal(env) -> str | None:
    """Why the compact coordinates do not exist for ``env`` (one line), or None: they are
    built for the two-dimensional families of the catalog, unit steps on A2 (three steps)
    and signed steps on B2/C2 (±e1, ±e2)."""
    kind = _kind(env)
    if kind is None:
        return (
            "the chain solver takes the natural rule in effective dimension 2 for unit steps "
            "on A2 and signed steps on B2/C2 only (its compact face coordinates); use Monte Carlo"
        )
    return None


def _kind(env) -> str | None:
    v = np.asarray(env.steps.vectors)
    if env.effective_dim != 2:
        return None
    if v.shape == (3, 3) and np.array_equal(v, np.eye(3, dtype=v.dtype)) and env.gauge:
        return "unit"
    signed = np.array([[1, 0], [-1, 0], [0, 1], [0, -1]])
    if v.shape == (4, 2) and np.array_equal(v, signed) and not env.gauge:
        return "signed"
    return None


@dataclass(frozen=True)
class FaceCoordinates:
    """u = tanh(z/s) with the face logits z of the family ``kind`` ("unit" or "signed",
    module docstring) and scale ``scale``; maps rows of effective points y = Lθ."""

    kind: str
    scale: float = DEFAULT_SCALE

    @classmethod
    def of(cls, env, scale: float = DEFAULT_SCALE) -> FaceCoordinates:
        kind = _kind(env)
        if kind is None:
            raise ArgumentError(compact_refusal(env))
        return cls(kind, float(scale))

    def z_of_y(self, y) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        y1, y2 = y[..., 0], y[..., 1]
        if self.kind == "unit":
            # y = (θ₁ − θ₃, θ₂ − θ₃): log π₃ − log(π₁ + π₂) = −logaddexp(y₁, y₂)
            return np.stack([y1 - y2, -np.logaddexp(y1, y2)], axis=-1)
        return np.stack([y1 + y2, y1 - y2], axis=-1)

    def y_of_z(self, z) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        z1, z2 = z[..., 0], z[..., 1]
        if self.kind == "unit":
            # logaddexp(y₂ + z₁, y₂) = y₂ + logaddexp(z₁, 0) = −z₂
            y2 = -z2 - np.logaddexp(z1, 0.0)
            return np.stack([y2 + z1, y2], axis=-1)
        return np.stack([(z1 + z2) / 2, (z1 - z2) / 2], axis=-1)

    def u_of_y(self, y) -> np.ndarray:
        return np.tanh(self.z_of_y(y) / self.scale)

    def y_of_u(self, u) -> np.ndarray:
        """y at grid points u ∈ [−1, 1]²; ±1 (a side) is |z| = ``Z_SIDE``."""
        u = np.asarray(u, dtype=float)
        with np.errstate(divide="ignore"):
            z = self.scale * np.arctanh(u)
        return self.y_of_z(np.clip(z, -Z_SIDE, Z_SIDE))

    def to_dict(self) -> dict:
        return {"kind": self.kind, "scale": self.scale, "z_side": Z_SIDE, "stuck": STUCK}


class Sink:
    """The vertices that are no maximum (within ``eps`` of none), each with the sink of
    radius ``STUCK`` around it (:meth:`holds`)."""

    def __init__(self, env, maxima, eps):
        k = env.steps.vectors.shape[0]
        vertices = np.eye(k)
        lab = first_within(maxima, vertices, eps)
        self.vertices = [int(s) for s in np.flatnonzero(lab < 0)]
        self.radius = STUCK

    def holds(self, policies) -> np.ndarray:
        """True where the mass off a non-maximum vertex (summed directly) is ≤ ``radius``."""
        out = np.zeros(len(policies), dtype=bool)
        for s in self.vertices:
            off = np.delete(policies, s, axis=1).sum(axis=1)
            out |= off <= self.radius
        return out

    def off_mass(self, policies) -> np.ndarray:
        """Mass off the nearest non-maximum vertex, per row."""
        best = np.full(len(policies), np.inf)
        for s in self.vertices:
            best = np.minimum(best, np.delete(policies, s, axis=1).sum(axis=1))
        return best


class CompactHooks:
    """What :func:`pgweyl.landscape.chain.transitions.assemble` needs to build the chain
    on the grid of u (its ``compact``): the coordinates, the sink, and the list ``sunk``
    of landing points absorbed into the sink ((off-vertex mass, y) pairs, the shallowest
    ``ESCAPE_SAMPLE`` per chunk, for :func:`escape_bound`; None: not kept)."""

    def __init__(self, coords: FaceCoordinates, sink: Sink, sunk: list | None):
        self.coords = coords
        self.sink = sink
        self.sunk = sunk

    def in_sink(self, label, policies) -> np.ndarray:
        """Nodes inside the sink (transient and within its radius of a non-maximum vertex)."""
        return (label < 0) & self.sink.holds(policies)

    def sinks(self, label, policies, ys) -> np.ndarray:
        """Landing points absorbed into the sink (noted in ``sunk``)."""
        gone = self.in_sink(label, policies)
        if self.sunk is not None and gone.any():
            # keep the shallowest few per chunk: escape_bound follows only those
            m0, yg = self.sink.off_mass(policies[gone]), ys[gone]
            if len(m0) > ESCAPE_SAMPLE:
                keep_top = np.argpartition(-m0, ESCAPE_SAMPLE - 1)[:ESCAPE_SAMPLE]
                m0, yg = m0[keep_top], yg[keep_top]
            self.sunk.append((m0, yg))
        return gone


def assemble_compact(env, grid, maxima, *, coords, sink, sunk=None, **settings) -> System:
    """:func:`pgweyl.landscape.chain.transitions.assemble` on a grid of u (module
    docstring, :class:`CompactHooks`): node u → y(u) → θ; a landing point y' = y + dy
    gets its exact label (maximum j, or the sink: absorbed, H = 0), otherwise its offset
    (u(y') − u)/Δ on the stencil. Nothing is clamped: u(y') ∈ [−1, 1]². Rows of sink
    nodes are x = 0. The compact chain has no depth walk and truncates absolutely
    (``tails`` and ``relative`` are ignored)."""
    settings = settings | {"tails": None, "relative": False}
    return assemble(env, grid, maxima, compact=CompactHooks(coords, sink, sunk), **settings)


def escape_bound(env, maxima, eps, sink: Sink, sunk, *, lr, baseline, L, rule, tol) -> float:
    """A bound of P(the chain from a sink point ever reaches a maximum), over the points
    in ``sunk`` ((off-vertex mass, y) pairs from :func:`assemble_compact`).

    From θ₀ the chain follows the quiet path (the most likely cell at every update) until
    its first other episode, so P(escape) ≤ Σ_k σ(θ_k) + P(T > N) terms, σ the mass of every
    other cell. The sum is followed for the ``ESCAPE_SAMPLE`` points of largest off-vertex
    mass m₀ (the shallowest) for up to ``ESCAPE_STEPS`` updates and its geometric tail
    added with the last ratio σ_{k+1}/σ_k (doubled); the bound is max over them of
    Σσ/m₀ times the largest m₀ of all. Returns 1.0 when a quiet path leaves the sink or
    does not decay (the bound then says nothing)."""
    if not sunk:
        return 0.0
    m0 = np.concatenate([s[0] for s in sunk])
    ys = np.concatenate([s[1] for s in sunk])
    if not len(m0):
        return 0.0
    order = np.argsort(-m0, kind="stable")[:ESCAPE_SAMPLE]
    m0_all = float(m0.max())
    y = ys[order].copy()
    start = m0[order]
    solver = env.solver
    th = env.lift(y)
    n_max = solver.common_truncation(th, tol)
    total = np.zeros(len(y))
    last = np.full(len(y), np.nan)
    ratio = np.full(len(y), np.nan)
    done = np.zeros(len(y), dtype=bool)
    for _ in range(ESCAPE_STEPS):
        act = np.flatnonzero(~done)
        if not len(act):
            break
        th = env.lift(y[act])
        pol = env.policies(th)
        if np.any(sink.off_mass(pol) > start[act] * (1 + 1e-9) + 1e-300):
            return 1.0  # the quiet path climbs out of the vertex: no bound from it
        cells, prob, top, sigma, tail, _ = _chunk_probs(solver, th, n_max, tol, False)
        s = sigma + tail
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio[act] = np.where(last[act] > 0, s / last[act], np.nan)
        last[act] = s
        total[act] += s
        dy = _displacements(env, th, cells, prob, lr=lr, baseline=baseline, L=L, rule=rule)
        y[act] = y[act] + dy[np.arange(len(act)), top]
        # stop once the terms are negligible against the sum and shrink geometrically
        done[act] = (s <= 1e-6 * total[act]) & (ratio[act] < 1.0)
        done[act] |= s == 0.0
    rho = np.where(np.isfinite(ratio), ratio, 1.0)
    if np.any((rho >= 1.0) & (last > 0)):
        return 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        tail_sum = np.where(last > 0, 2.0 * last * rho / (1.0 - rho), 0.0)
        per = (total + tail_sum) / np.maximum(start, np.finfo(float).tiny)
    return float(min(1.0, per.max() * m0_all))


@dataclass(frozen=True, repr=False)
class CompactChainResult(ChainResult):
    """A :class:`ChainResult` whose grids are over u = tanh(z/s) ∈ [−1, 1]²
    (:class:`FaceCoordinates`, ``coordinates``) instead of y; ``stuck_error`` bounds
    what the sink around non-maximum vertices moves an answer (:func:`escape_bound`),
    and is part of :meth:`grid_error`. 1 − Σ_j h_j is the probability of being stuck at
    a non-maximum vertex (Monte Carlo's unresolved runs) up to the grid error."""

    coordinates: FaceCoordinates | None = None
    stuck_error: float = 0.0

    def _grid_points(self, ys) -> np.ndarray:
        return self.coordinates.u_of_y(ys)

    def _bound(self, theta) -> np.ndarray:
        """2 |a₀ − a₁| + |a₁ − a₂| + leak_error + stuck_error, uncapped."""
        self._need_refinement(3)
        a = self.levels_at(theta)
        d = 2.0 * np.abs(a[0] - a[1]) + np.abs(a[1] - a[2])
        return d + self.leak_error(theta) + self.stuck_error

    def grid_error(self, theta, env=None) -> np.ndarray:
        """A bound of |answer − limit| per maximum:

            2 |a₀ − a₁| + |a₁ − a₂| + leak_error + stuck_error.

        The coarse difference enters at full weight, not a quarter as in the y-chain: on
        the compact grids the answers do not converge at a clean order (where the nodes
        fall relative to the absorbing boundaries changes irregularly with Δ), and with a
        quarter the bound of the 161² triangle-signed solve (0.0003) fell short of its
        distance to a 321² solve (0.00034); with full weight every grid from 41² to 201²
        covers it with room (docs/performance.md). ``env`` is accepted for compatibility."""
        del env
        return np.minimum(self._bound(theta), 1.0)

    def bound_capped(self, theta) -> bool:
        return bool((self._bound(theta) > 1.0).any())

    def error_report(self, theta) -> dict:
        out = super().error_report(theta)
        out["stuck_error"] = self.stuck_error
        out["stuck"] = float(1.0 - self.at(theta).sum())
        return out

    def to_dict(self, values: bool = False) -> dict:
        out = super().to_dict(values)
        out["coordinates"] = self.coordinates.to_dict() if self.coordinates else None
        return out


class _GridEnv:
    """``env`` whose :meth:`lift` takes grid points u (what the planner's counts and
    memory estimate call, :func:`pgweyl.landscape.chain.solve.plan`); all else is env's."""

    def __init__(self, env, coords: FaceCoordinates):
        self._env = env
        self._coords = coords

    def lift(self, u):
        return self._env.lift(self._coords.y_of_u(u))

    def __getattr__(self, name):
        return getattr(self._env, name)


def compact_absorption(
    env, setup, *, grid, maxima, refine, solver, progress, scale=DEFAULT_SCALE
) -> CompactChainResult:
    """The natural rule's absorption probabilities in effective dimension 2, for
    :func:`pgweyl.landscape.chain.chain_absorption` (``setup``: its checked settings):
    grids of ``grid`` nodes per axis (default ``DEFAULT_NODES``) over u ∈ [−1, 1]² and,
    with ``refine``, spacing 2Δ and 4Δ; the same planner (memory estimate, ResourceError
    before allocating), solvers, progress and Ctrl-C as the y-chain."""
    coords = FaceCoordinates.of(env, scale)
    n_levels = 3 if refine else 1
    default = max(DEFAULT_NODES, (MIN_NODES - 1) * 2 ** (n_levels - 1) + 1)
    grid, bar, t_start, maxima = setup.begin(env, grid, default, n_levels, progress, maxima)
    sink = Sink(env, maxima, setup.eps)
    check_resolution(env, maxima, setup, coords, sink, grid)
    sunk: list = []
    settings = setup.assembly() | {"tails": None, "relative": False}
    settings["assemble"] = partial(assemble_compact, coords=coords, sink=sink, sunk=sunk)
    try:
        p = setup.plan(_GridEnv(env, coords), maxima, -1.0, 1.0, grid, n_levels, solver)
        solved = solve_levels(env, maxima, p, settings, bar)
        bar.phase("escape bound of the sink")
        stuck = escape_bound(
            env, maxima, setup.eps, sink, sunk, lr=setup.lr, baseline=setup.baseline,
            L=setup.L, rule=setup.rule, tol=setup.tol,
        )  # fmt: skip
    finally:
        bar.close()
    seconds = time.perf_counter() - t_start
    return CompactChainResult(
        **solved_fields(setup.fields(env, maxima), setup.baseline, solved, seconds),
        coordinates=coords,
        stuck_error=float(stuck),
    )


def check_resolution(env, maxima, setup, coords: FaceCoordinates, sink: Sink, grid: int):
    """:func:`pgweyl.landscape.chain._check_resolution` in u: refuse (ArgumentError) a
    step size whose chain the grid cannot resolve — the smallest cell Péclet number
    Δ |E du| / E|du|² over a 33² probe of transient nodes must stay below
    ``MAX_PECLET``."""
    probe = Grid(tuple(np.linspace(-1.0, 1.0, 33) for _ in range(2)))
    mesh = probe.mesh()
    mesh = mesh[(np.abs(mesh) < 1.0).all(axis=1)]
    ys = coords.y_of_u(mesh)
    th = env.lift(ys)
    pol = env.policies(th)
    keep = (first_within(maxima, pol, setup.eps) < 0) & ~sink.holds(pol)
    th, ys, mesh = th[keep], ys[keep], mesh[keep]
    if not len(th):
        return
    solver = env.solver
    n_max = solver.common_truncation(th, setup.tol)
    cells, prob, _, _, _, _ = _chunk_probs(solver, th, n_max, setup.tol, False)
    dy = _displacements(
        env, th, cells, prob, lr=setup.lr, baseline=setup.baseline, L=setup.L, rule=setup.rule
    )
    with np.errstate(over="ignore", invalid="ignore"):
        du = coords.u_of_y(ys[:, None, :] + dy) - mesh[:, None, :]
        mean = np.einsum("nc,ncd->nd", prob, du)
        second = np.einsum("nc,ncd,ncd->n", prob, du, du)
    spacing = 2.0 / (grid - 1)
    worst = worst_peclet(mean, second, spacing)
    if not worst <= MAX_PECLET:
        finer = finer_grid(2.0 * worst / MAX_PECLET / spacing)
        raise ArgumentError(
            f"lr {setup.lr:g} is too small for the natural chain's grid: the chain diffuses "
            f"over less than the spacing Δu = {spacing:.2g} divided by {MAX_PECLET:g}; pass "
            f"{finer} or use Monte Carlo"
        )


__all__ = [
    "CompactChainResult",
    "FaceCoordinates",
    "Sink",
    "assemble_compact",
    "compact_absorption",
    "compact_refusal",
    "escape_bound",
]
