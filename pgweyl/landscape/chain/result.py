"""ChainResult: absorption probabilities of the θ-chain on a hierarchy of grids."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from pgweyl import validate
from pgweyl.errors import ArgumentError
from pgweyl.landscape.chain.grid import Grid
from pgweyl.landscape.chain.transitions import first_within

#: The observed order of convergence log2(|a₂ − a₁| / |a₁ − a₀|) must lie in this range
#: (the degree-2 scheme is second order) and the two differences must have one sign for
#: the Richardson estimate to be used.
ASYMPTOTIC_ORDER = (1.5, 3.0)


@dataclass(frozen=True, repr=False)
class ChainLevel:
    """The solution on one grid.

    ``axes``: node coordinates per effective axis; ``label`` (grid shape): −1 on
    transient nodes, j on nodes absorbing for maximum j; ``h`` (maxima × grid shape): the
    absorption probability at each node (e_j on nodes absorbing for maximum j);
    ``extended``: the field interpolated between nodes — h on transient nodes, the chain
    equation's value Σ P(cell) H(landing point) on the ghost band just inside the
    absorbing regions (the smooth continuation of h), e_j beyond; ``solver`` ("splu" or
    "gmres+vcycle"), ``iterations`` (GMRES), ``residual`` (max |b − (I − P) x|),
    ``unknowns``, ``nonzeros`` (of I − P), ``seconds`` (assembly and solve)."""

    axes: tuple
    label: np.ndarray
    h: np.ndarray
    extended: np.ndarray
    solver: str
    iterations: int
    residual: float
    unknowns: int
    nonzeros: int
    seconds: float

    @property
    def grid(self) -> Grid:
        return Grid(tuple(self.axes))

    @property
    def size(self) -> int:
        return len(self.axes[0])

    def to_dict(self, values: bool = False) -> dict:
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "axes":
                v = [a.tolist() for a in v]
            elif isinstance(v, np.ndarray):
                if not values:
                    continue
                v = v.tolist()
            out[f.name] = v
        return out


class ChainFrame:
    """What both θ-chain objects (:class:`ChainResult`, :class:`ThetaChain
    <pgweyl.landscape.chain.markov.ThetaChain>`) keep of the environment to take θ in its
    coordinates and to label an effective point by its own policy: the fields
    ``maxima``, ``eps``, ``effective_map`` (L, y = Lθ), ``gauge`` (type A: θ = (y, 0)),
    ``theta_dim`` and ``step_vectors``; :func:`frame_fields` derives them."""

    def effective(self, theta) -> np.ndarray:
        """y = Lθ for θ in the env's coordinates (length ``theta_dim``)."""
        theta = validate.real_vector("theta", theta, self.theta_dim)
        return self.effective_map @ theta

    def _labels(self, ys: np.ndarray) -> np.ndarray:
        """Index of the maximum whose ε-region holds π(y), −1 if none, for rows of ys
        (the first in ``maxima`` order where regions touch)."""
        theta = np.concatenate([ys, np.zeros((len(ys), 1))], axis=1) if self.gauge else ys
        logits = theta @ self.step_vectors.T
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        return first_within(self.maxima, p, self.eps)


def frame_fields(env, L, maxima, *, lr, eps, rule, order) -> dict:
    """The fields a :class:`ChainFrame` derives from ``env`` (for policy ``exp``, L its
    effective map) and the chain's checked settings, as the result objects store them:
    ``maxima`` (a list), ``lr``, ``eps``, ``rule`` (its string), ``order``,
    ``effective_map``, ``gauge``, ``theta_dim``, ``step_vectors`` (floats)."""
    return {
        "maxima": list(maxima),
        "lr": float(lr),
        "eps": float(eps),
        "rule": str(rule),
        "order": int(order),
        "effective_map": L,
        "gauge": bool(env.gauge),
        "theta_dim": int(env.theta_dim),
        "step_vectors": np.asarray(env.steps.vectors, dtype=float),
    }


def solved_fields(frame: dict, baseline, solved, seconds: float) -> dict:
    """The fields of a :class:`ChainResult` from one :func:`~pgweyl.landscape.chain.solve.
    solve_levels` call: ``frame`` (:func:`frame_fields`), the baseline β, ``solved`` =
    (answered levels, (leak, lumped, defect ratio), (axes, E[updates], E[events])) and
    the seconds the solve took."""
    answers, (leak, lumped, defect_ratio), (expected_axes, expected, events) = solved
    return {
        "levels": tuple(answers),
        **frame,
        "baseline": float(baseline),
        "leak": float(leak),
        "lumped": float(lumped),
        "expected_updates": expected,
        "expected_axes": expected_axes,
        "seconds": float(seconds),
        "expected_events": events,
        "defect_ratio": float(defect_ratio),
    }


@dataclass(frozen=True, repr=False)
class ChainResult(ChainFrame):
    """Absorption probabilities of the θ-chain (THEORY §5, §7) on grids of y = Lθ.

    Attributes
    ----------
    levels : tuple of :class:`ChainLevel`, finest first; with refinement the next two
        have spacing 2Δ and 4Δ (the coarse answers are public: :meth:`coarse_at`,
        :meth:`levels_at`, ``coarse_axes``/``coarse_h``).
    maxima : the local maxima, aligned with every probability vector.
    lr, eps, baseline, order : step size, absorbing radius (TV), baseline β, degree of
        the interpolation stencils.
    effective_map, gauge, theta_dim, step_vectors : what :meth:`at` needs to take θ in
        the env's coordinates (y = Lθ) and to label a point by its own policy.
    leak : largest probability per update left out (the truncated tail P(T > N)).
    lumped : largest probability per update of the small cells (below ``min_prob``)
        moved to their mean landing point. An answer moves by at most
        (leak + lumped) × E[number of updates] (:meth:`leak_error`).
    expected_updates, expected_axes : E_y[number of updates until absorption] on the
        smallest grid of the solve (its nodes ``expected_axes``), for :meth:`leak_error`.
    estimate : what :meth:`at` returns — the finest grid's value (never extrapolated;
        :meth:`extrapolated` gives the Richardson value where its assumptions hold).
    seconds : wall time of the whole computation.
    rule : the update rule (:mod:`pgweyl.rules`) whose chain was solved.
    expected_events : E_y[Σ_k σ(θ_k)] on the smallest grid, σ the probability of the
        non-quiet episodes (the updates that move θ by O(α)); with ``defect_ratio``, the
        largest (truncated + lumped mass)/σ of a row, it gives :meth:`leak_error`.
    limit : True for the ε → 0 limit (``eps=0``).
    walks : the :class:`pgweyl.landscape.chain.limit.DepthWalk` of each vertex where the
        box carries their tails (the limit, and 1-D ε below e^{−EPS_BOX_MAX}).
    box_check : the coarsest grid solved on a deeper box (:meth:`box_error`), or None.
    eps_tail : bound of |first entry at ε − limit| where the box stops short of the balls.
    staircase : the 1-D term for grids coarser than the last quiet step into a ball.
    """

    levels: tuple
    maxima: list
    lr: float
    eps: float
    baseline: float
    order: int
    effective_map: np.ndarray
    gauge: bool
    theta_dim: int
    step_vectors: np.ndarray
    leak: float
    lumped: float
    expected_updates: np.ndarray | None
    expected_axes: tuple | None
    estimate: str = "finest grid"
    seconds: float = float("nan")
    rule: str = "vanilla"
    expected_events: np.ndarray | None = None
    defect_ratio: float = 0.0
    limit: bool = False
    walks: tuple = ()
    box_check: ChainLevel | None = None
    eps_tail: float = 0.0
    staircase: float = 0.0

    # -- the grids ---------------------------------------------------------------------
    @property
    def axes(self) -> tuple:
        return self.levels[0].axes

    @property
    def h(self) -> np.ndarray:
        return self.levels[0].h

    @property
    def coarse_axes(self) -> tuple | None:
        return self.levels[1].axes if len(self.levels) > 1 else None

    @property
    def coarse_h(self) -> np.ndarray | None:
        return self.levels[1].h if len(self.levels) > 1 else None

    @property
    def residual(self) -> float:
        return max(lev.residual for lev in self.levels)

    # -- answers -----------------------------------------------------------------------
    def at_points(self, ys, level: int = 0) -> np.ndarray:
        """:meth:`at_effective` at many effective points: ``ys`` (P, dim) → (maxima, P)."""
        dim = len(self.levels[0].axes)
        ys = np.asarray(ys, dtype=float).reshape(-1, dim)
        if not np.isfinite(ys).all():
            raise ArgumentError("effective points must be finite")
        lev = self.levels[level]
        flat = lev.extended.reshape(len(self.maxima), -1)
        out = lev.grid.interpolate(flat, self._grid_points(ys), self.order)
        # beyond an end that carries a depth walk's tail: e_j + e^{−R x} (h(end) − e_j)
        ax = lev.axes[0]
        for w in self.walks if dim == 1 else ():
            end = ax[-1] if w.side > 0 else ax[0]
            x = (ys[:, 0] - end) * w.side
            far = x > 0
            if far.any():
                e = np.zeros(len(self.maxima))
                e[w.maximum] = 1.0
                edge = flat[:, -1 if w.side > 0 else 0]
                out[:, far] = e[:, None] + np.exp(-w.root * x[far])[None, :] * (edge - e)[:, None]
        labels = self._labels(ys)
        hit = labels >= 0
        out[:, hit] = np.eye(len(self.maxima))[:, labels[hit]]
        return out

    def _grid_points(self, ys) -> np.ndarray:
        """The grids' coordinates of effective points (rows): y itself here; the compact
        chain's u (:class:`pgweyl.landscape.chain.compact.CompactChainResult`)."""
        return ys

    def at_effective(self, y, level: int = 0) -> np.ndarray:
        """Absorption probabilities from the effective point y (aligned with ``maxima``):
        e_j when π(y) is within ε of maximum j, else the degree-``order`` interpolation of
        the ``level``'s extended field (y clamped into the box, as the chain clamps;
        beyond an end that carries a depth walk, its geometric tail)."""
        y = validate.real_vector("y", y, len(self.levels[0].axes))
        return self.at_points(y[None, :], level)[:, 0]

    def at(self, theta, env=None) -> np.ndarray:
        """Absorption probabilities from θ (env coordinates), on the finest grid.

        ``env`` is accepted for compatibility and not needed (the result stores L)."""
        del env
        return self.at_effective(self.effective(theta))

    def coarse_at(self, theta) -> np.ndarray:
        """The same on the first coarser grid (spacing 2Δ); needs refinement."""
        self._need_refinement()
        return self.at_effective(self.effective(theta), level=1)

    def levels_at(self, theta) -> np.ndarray:
        """Answers on every level at θ (levels × maxima), finest first."""
        y = self.effective(theta)
        return np.array([self.at_effective(y, k) for k in range(len(self.levels))])

    def _need_refinement(self, n: int = 2) -> None:
        from pgweyl.errors import ArgumentError

        if len(self.levels) < n:
            raise ArgumentError("no refinement was computed (refine=False)")

    # -- error estimates -----------------------------------------------------------------
    def observed_order(self, theta) -> float:
        """log2(|a₂ − a₁| / |a₁ − a₀|) at θ for the levels a₀ (finest), a₁, a₂, taken on
        the maximum with the largest fine–coarse difference; NaN when undefined."""
        self._need_refinement(3)
        a = self.levels_at(theta)
        j = int(np.argmax(np.abs(a[0] - a[1])))
        d1, d2 = a[0, j] - a[1, j], a[1, j] - a[2, j]
        if d1 == 0 or d2 == 0:
            return float("nan")
        return math.log2(abs(d2) / abs(d1))

    def _asymptotic(self, theta) -> tuple[bool, float]:
        a = self.levels_at(theta)
        j = int(np.argmax(np.abs(a[0] - a[1])))
        d1, d2 = a[0, j] - a[1, j], a[1, j] - a[2, j]
        p = self.observed_order(theta)
        ok = ASYMPTOTIC_ORDER[0] <= p <= ASYMPTOTIC_ORDER[1] and d1 * d2 > 0
        return bool(ok), p

    def error_estimate(self, theta) -> np.ndarray:
        """Signed estimate of (answer of :meth:`at`) − (limit Δ → 0), per maximum.

        Richardson, (a₀ − a₁)/(2^p − 1) with the observed order p, when the three levels
        are in the asymptotic regime (p in ``ASYMPTOTIC_ORDER``, differences of one sign);
        otherwise a₀ − a₁ (the fine–coarse difference, as for a first-order error)."""
        self._need_refinement(3)
        a = self.levels_at(theta)
        ok, p = self._asymptotic(theta)
        return (a[0] - a[1]) / (2.0**p - 1.0) if ok else a[0] - a[1]

    def grid_error(self, theta, env=None) -> np.ndarray:
        """A bound of |answer − limit| per maximum:

            2 |a₀ − a₁| + |a₁ − a₂| / 4 + leak_error.

        In 2-D the error has a first-order part (the kink of h at the absorbing boundary,
        where the chain creeps in by steps shorter than Δ) and a part that depends on how
        the grid sits on the boundaries (±0.0003 at Δ = 0.18 on the triangle); the fine–
        coarse difference alone once fell short of the error measured against 9·10⁶
        Monte Carlo runs, twice that difference did not (docs/performance.md has the
        table). Needs refinement; ``env`` is accepted for compatibility."""
        del env
        self._need_refinement(3)
        a = self.levels_at(theta)
        d = 2.0 * np.abs(a[0] - a[1]) + 0.25 * np.abs(a[1] - a[2])
        d = d + self.leak_error(theta) + self.box_error(theta) + self.eps_tail + self.staircase
        return np.minimum(d, 1.0)

    def bound_capped(self, theta) -> bool:
        """True when :meth:`grid_error` at θ was capped at 1 (the bound says nothing)."""
        self._need_refinement(3)
        a = self.levels_at(theta)
        d = 2.0 * np.abs(a[0] - a[1]) + 0.25 * np.abs(a[1] - a[2])
        d = d + self.leak_error(theta) + self.box_error(theta) + self.eps_tail + self.staircase
        return bool((d > 1.0).any())

    def box_error(self, theta) -> np.ndarray:
        """2 |a₂ − a₂'| per maximum, a₂ the coarsest answered grid and a₂' the same grid
        on a box deeper per side (by ``LIMIT_EXTRA`` where a 1-D box carries the depth
        walk's tail, by ``BOX_EXTRA_3D`` in 3-D, where clamping at the box's faces moves
        answers; 0 elsewhere)."""
        if self.box_check is None:
            return np.zeros(len(self.maxima))
        y = self.effective(theta)
        here = self.at_effective(y, level=len(self.levels) - 1)
        lev = self.box_check
        there = lev.grid.interpolate(
            lev.extended.reshape(len(self.maxima), -1), y[None, :], self.order
        )
        return 2.0 * np.abs(here - there[:, 0])

    def leak_error(self, theta) -> float:
        """The most the probability not represented exactly (the truncated tail and the
        lumped cells) can move an answer: per update it misplaces at most a fraction
        ``defect_ratio`` of σ (the mass of the episodes that are not quiet), so the
        answer moves by at most defect_ratio × E_θ[Σ_k σ(θ_k)] (smallest grid), and also by
        at most (leak + lumped) × E_θ[number of updates]: the smaller of the two. (Near a
        vertex the second is e^{depth} times the first.)"""
        if self.expected_updates is None:
            return 0.0
        grid = Grid(tuple(self.expected_axes))
        y = self.effective(theta)
        y = self._grid_points(y[None, :])[0]
        steps = grid.interpolate(self.expected_updates.reshape(1, -1), y[None, :], 1)[0, 0]
        per_update = float((self.leak + self.lumped) * max(steps, 1.0))
        if self.expected_events is None:
            return per_update
        events = grid.interpolate(self.expected_events.reshape(1, -1), y[None, :], 1)[0, 0]
        # both bound the same sum Σ_k E[defect(θ_k)]; the smaller one holds
        return min(per_update, float(self.defect_ratio * max(events, 1.0)))

    def extrapolated(self, theta, env=None) -> np.ndarray:
        """a₀ − :meth:`error_estimate`: the Richardson value in the asymptotic regime; the
        finest answer a₀ otherwise (see :meth:`error_report`, key ``estimate``)."""
        del env
        ok, _ = self._asymptotic(theta)
        a0 = self.at(theta)
        return a0 - self.error_estimate(theta) if ok else a0

    def error_report(self, theta) -> dict:
        """Everything the error estimate uses at θ (JSON-ready)."""
        self._need_refinement(3)
        a = self.levels_at(theta)
        ok, p = self._asymptotic(theta)
        return {
            "answers": a.tolist(),
            "sizes": [lev.size for lev in self.levels],
            "observed_order": p,
            "asymptotic": ok,
            "estimate": "richardson" if ok else "grid difference",
            "error_estimate": self.error_estimate(theta).tolist(),
            "grid_error": self.grid_error(theta).tolist(),
            "leak_error": self.leak_error(theta),
            "box_error": self.box_error(theta).tolist(),
            "eps_tail": self.eps_tail,
            "staircase": self.staircase,
            "capped": self.bound_capped(theta),
        }

    @property
    def refinement(self) -> dict | None:
        """Sizes of the levels and the largest difference of h between the two finest
        grids on their common nodes (None without refinement)."""
        if len(self.levels) < 2:
            return None
        fine, coarse = self.levels[0], self.levels[1]
        pts = coarse.grid.mesh()
        k = len(self.maxima)
        on_fine = fine.grid.interpolate(fine.h.reshape(k, -1), pts, 1)
        diff = np.abs(on_fine - coarse.h.reshape(k, -1))
        return {
            "grid": fine.size,
            "coarse_grid": coarse.size,
            "grids": [lev.size for lev in self.levels],
            "max_abs_difference": float(diff.max()),
        }

    # -- serialisation -----------------------------------------------------------------
    def to_dict(self, values: bool = False) -> dict:
        """JSON-ready dict built on the fields; the grids' arrays (h, extended, label,
        E[updates]) only with ``values=True``. ``axes`` repeats the finest grid's nodes
        (what the command line reads)."""
        out = {"axes": [a.tolist() for a in self.axes]}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "levels":
                v = [lev.to_dict(values) for lev in v]
            elif f.name == "maxima":
                v = [m.to_dict() for m in v]
            elif f.name == "expected_axes":
                v = None if v is None else [a.tolist() for a in v]
            elif f.name == "walks":
                v = [w.to_dict() for w in v]
            elif f.name == "box_check":
                v = None if v is None else v.to_dict(values)
            elif isinstance(v, np.ndarray):
                if not values and f.name in ("expected_updates", "expected_events"):
                    continue
                v = v.tolist()
            out[f.name] = v
        out["refinement"] = self.refinement
        return out

    def __repr__(self) -> str:
        sizes = ", ".join("×".join(str(len(a)) for a in lev.axes) for lev in self.levels)
        return (
            f"ChainResult(grids=[{sizes}], maxima={len(self.maxima)}, lr={self.lr:g}, "
            f"eps={self.eps:.3g}, order={self.order}, solver={self.levels[0].solver}, "
            f"estimate={self.estimate!r})"
        )


__all__ = ["ASYMPTOTIC_ORDER", "ChainFrame", "ChainLevel", "ChainResult", "frame_fields"]
