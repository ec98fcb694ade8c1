"""The θ-chain as a Markov chain on the solver's grid: its kernel, the law of θ after n
updates, P(absorbed by update n), and the mean number of updates (§5, §7; issue 21).

:func:`theta_chain` assembles the same transitions as :func:`chain_absorption`
(:func:`pgweyl.landscape.chain.transitions.assemble`: exact landing points, exact
absorbing labels, Lagrange stencils of degree ``order``, a ghost band of ``order`` + 1
nodes inside each absorbing region) and keeps them. On one grid the chain has the states

    unknown nodes u (transient nodes and ghost nodes)  ∪  {absorbed at maximum j},

and the kernel

    K = [[Q, B], [0, I]],   Q = I − A (u × u),   B = b (u × maxima),

where A, b are the solver's system (I − P) x = b as :func:`assemble` writes it (before
the 1-D solver divides its rows by the diagonal): the same box and, in 1-D, the same
truncation and lumping relative to σ, the mass of the non-quiet episodes. A's diagonal
is the mass that leaves the node, written without cancellation; it is kept
(:attr:`ChainLevel.A`) and used wherever 1 − P_ii would lose it (the LU of
:meth:`ThetaChain.mean_updates`, the first squarings of the powers). A row of Q plus the
same row of B sums to 1 − (the tail P(T > N) of the node's value distribution, ≤
``tol``; in 1-D also ≤ ``tol``·σ within the table's rows). With ``order=2`` (the
solver's stencils and the default here) K has entries of both signs (the Lagrange
weights of a short step, e.g. −0.08 in :mod:`pgweyl.landscape.chain.grid`; on the
diagonal too, where a step of a node or more leaves the origin at the far end of its
stencil), rows still sum to 1 − tail, and the "law" on the nodes is a signed measure
whose integrals against smooth functions (absorbed mass, means) are accurate to high
order; single node masses need not lie in [0, 1]. With ``order=1`` every entry is ≥ 0: K
is a stochastic matrix (the multilinear discretisation) and the law of θ_n a probability
vector, at the price of numerical diffusion where the chain creeps by steps shorter than
Δ. Measured on the corridor (lr 1, ε = σ(−8), 2001 nodes): E[updates] = 2722 ± 58 with
order 1 against 2737.55 ± 0.53 with order 2 (Monte Carlo, 6·10⁴ runs: 2753 ± 10).

A ghost node (an absorbing node next to the boundary) is a state of this chain, not an
absorbed one: the solver gives it the smooth continuation of h, and so mass there moves
on with that node's row. As Δ → 0 the ghost band shrinks to the boundary.

**The law after n updates** from θ₀ (weights w₀ of θ₀'s stencil on the unknowns):

    w_n = w₀ Qⁿ,   a_n = w₀ S_n,   S_n = Σ_{k<n} Q^k B   (a_n: absorbed by update n).

Qⁿ is never built from n products: the transient block is squared, Q^{2^{j+1}} =
(Q^{2^j})², with S_{2^{j+1}} = S_{2^j} + Q^{2^j} S_{2^j}, and n is read bit by bit from
the lowest (v S_{m + 2^j} = v S_m + (v Q^m) S_{2^j}; powers of Q commute): ⌈log₂ n⌉
dense squarings, whatever n (fewer once the rows of |Q^{2^j}| sum below
``POWER_FLOOR``: the higher powers vanish in double precision). Near-deterministic
policies are the normal case: deep in a vertex a node leaves at a rate far below ulp(1),
so the squaring starts from E = I − Q = A (the solver's matrix, whose diagonal is the
leaving mass, never 1 − P_ii) and squares E_{2m} = 2E_m − E_m² until every node has
left with probability ≥ ½ over m updates; only then is Q^m = I − E_m formed. Why dense squaring: the
transient block's powers fill in (after ~10³ updates θ_n may be anywhere in the box), so
sparse squaring gains nothing;
Krylov methods for Qⁿv (there is no uniformisation for a discrete-time chain) need a
number of slow eigenvalues that is large here (on the triangle the five largest lie
within 3·10⁻⁵ of 1); and an eigendecomposition of this non-normal matrix costs more than
the squarings and is ill conditioned. Squaring costs 2·(unknowns)³ flops per bit, about
a second at 2000 unknowns on one core, so the default grids here are coarser than the
solver's (half its nodes in 1-D, ``DEFAULT_NODES_2D`` in 2-D) and the memory is checked
against the budget first. The powers are not kept between calls: ask
:meth:`ThetaChain.absorbed_by` for all the n at once.

**Errors.** Each quantity is computed on the grids of spacing Δ, 2Δ, 4Δ (a₀, a₁, a₂) and
reported with the solver's empirical bound 2|a₀ − a₁| + |a₁ − a₂|/4 plus the truncation
(tail + lumped mass per update) × n (× E[updates]² for :meth:`ThetaChain.mean_updates`).
In 2-D the default grid is coarse and the bound is honest rather than small: on the
triangle at ε = σ(−8), P(absorbed at maximum 0 by update 10⁴) = 0.353 ± 0.022 against
0.358 ± 0.003 from 2·10⁴ Monte Carlo runs (tests/landscape/test_chain_markov.py).

>>> import pgweyl as pw
>>> chain = pw.theta_chain(pw.make_env("corridor"), 1.0, grid=257)
>>> res = chain.absorbed_by([0.0, 0.0], [10, 100_000])
>>> bool(res.probabilities[0].sum() < res.probabilities[1].sum() <= 1.0)
True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from pgweyl import validate
from pgweyl.budget import require
from pgweyl.config import DEFAULT_TOL
from pgweyl.errors import ArgumentError
from pgweyl.landscape.chain import (
    DEFAULT_CHUNK,
    DEFAULT_MIN_PROB,
    _is_limit,
    _setup,
    chain_refusal,
    default_grid,
)
from pgweyl.landscape.chain.grid import Grid, refinement_sizes
from pgweyl.landscape.chain.result import ChainFrame
from pgweyl.landscape.chain.solve import box_grid
from pgweyl.landscape.chain.transitions import assemble

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pgweyl.env.environment import AlcoveWalkEnv
    from pgweyl.landscape.maxima import LocalMaximum
    from pgweyl.rules import Rule

#: Nodes per axis of the finest default grid in 2-D (the dense squarings cost
#: (unknowns)³; 49 nodes over the corridor-triangle box at ε = σ(−8) are ~2000 unknowns).
DEFAULT_NODES_2D = 49

#: Why :func:`theta_chain` refuses effective dimension 3 (the absorption probabilities of
#: :func:`~pgweyl.landscape.chain.chain_absorption` do take it). Its powers are dense
#: squarings, 2·(unknowns)³ flops per bit of n: the 3-D solver's grids have 10⁴–10⁵
#: unknowns, and a grid small enough to square (17³, 5 000 unknowns: 2.5·10¹¹ flops and
#: 0.2 GB per squaring) has spacing ≈ 1, where the solver's answers are off by 0.02–0.05.
THETA_CHAIN_3D = (
    "theta_chain handles effective dimension 1 or 2: its law after n updates squares the "
    "transient block densely, and a 3-D grid fine enough to be accurate (10⁴–10⁵ unknowns) "
    "is too large to square; use chain_absorption (no budget) or Monte Carlo"
)

#: Grids solved for the error estimate (spacings Δ, 2Δ, 4Δ), as in the solver.
LEVELS = 3

#: Cells below this probability at a node are lumped (per effective dimension): in 1-D the
#: solver's :data:`~pgweyl.landscape.chain.DEFAULT_MIN_PROB`; in 2-D 1e−10, below the
#: solver's, so that the truncation term (lumped mass per update × n) stays small over
#: 10⁶ updates.
DEFAULT_MIN_PROB_POWERS = {1: DEFAULT_MIN_PROB[1], 2: 1e-10}

#: Largest n accepted by :meth:`ThetaChain.law_after` / :meth:`ThetaChain.absorbed_by`.
MAX_UPDATES = 1 << 62

#: Once every row of |Q^{2^j}| sums below this, higher powers are taken as 0 (their
#: contribution to any answer is below this bound times the start's mass).
POWER_FLOOR = 1e-17

#: Absorption probabilities below 1 by more than this (beyond the truncation) mean the
#: chain is not surely absorbed: :meth:`ThetaChain.mean_updates` then reports ∞.
SURE_TOL = 1e-9


@dataclass(frozen=True, eq=False, repr=False)
class ChainLevel:
    """The chain on one grid: ``grid``, ``A`` (CSR, unknowns × unknowns: the solver's
    I − P, unscaled, its diagonal the probability of leaving the node, written without
    cancellation), ``B`` (unknowns × maxima: one-step absorption), ``unknown`` (flat node
    index of each row), ``pos`` (row of each node, −1 for absorbing nodes beyond the ghost
    band), ``label`` (−1 transient, j absorbing at maximum j, per node), ``tail`` (largest
    P(T > N) left out of a row), ``lumped`` (largest mass of cells lumped in one row),
    ``order`` (stencil degree). :attr:`Q` (the transient block, I − A) is derived."""

    grid: Grid
    A: object
    B: np.ndarray
    unknown: np.ndarray
    pos: np.ndarray
    label: np.ndarray
    tail: float
    lumped: float
    order: int

    @property
    def n_states(self) -> int:
        return int(self.A.shape[0])

    @cached_property
    def Q(self):
        """The transient block I − A (CSR). Off the diagonal Q_ij = −A_ij exactly; on it
        Q_ii = P_ii = 1 − leave_i, exact to an ulp of 1 (Sterbenz for leave ∈ [½, 2]).
        With degree ≥ 2 P_ii may be negative: a landing point a node or more away puts
        the origin at the far end of its stencil, whose Lagrange weight is negative
        (−0.094 on the corridor at 65 nodes), and that entry is kept, or the row would
        no longer sum to 1 − tail. With degree 1 every weight is ≥ 0, so P_ii ≥ 0 and a
        rounding to −1e−16 where nearly all the mass leaves is clipped to 0."""

        d = 1.0 - self.A.diagonal()
        if self.order == 1:
            d = np.maximum(d, 0.0)
        Q = (-self.A).tocsr()
        Q.setdiag(d)
        Q.eliminate_zeros()
        return Q


@dataclass(frozen=True, eq=False, repr=False)
class ChainLaw:
    """The law of θ_n from θ₀ (:meth:`ThetaChain.law_after`), on the finest grid.

    ``n``; ``axes`` (the grid's effective axes y = Lθ); ``mass`` (grid-shaped: the mass of
    the unknown nodes, transient and ghost; 0 on the absorbing nodes beyond the ghost
    band); ``absorbed`` (per maximum: P(absorbed at it by update n)); ``absorbed_error``
    (its bound, per maximum); ``transient`` (Σ mass) and ``transient_error``;
    ``tail`` (Σ of the mass the truncated value distributions left out, ≤ n · tail per
    update)."""

    n: int
    axes: tuple
    mass: np.ndarray
    absorbed: np.ndarray
    absorbed_error: np.ndarray
    transient: float
    transient_error: float
    tail: float

    def to_dict(self, values: bool = False) -> dict:
        out = {
            "n": self.n,
            "absorbed": self.absorbed.tolist(),
            "absorbed_error": self.absorbed_error.tolist(),
            "transient": self.transient,
            "transient_error": self.transient_error,
            "tail": self.tail,
        }
        if values:
            out["axes"] = [a.tolist() for a in self.axes]
            out["mass"] = self.mass.tolist()
        return out

    def __repr__(self) -> str:
        a = np.array2string(self.absorbed, precision=4, separator=", ")
        return f"ChainLaw(n={self.n}, absorbed={a}, transient={self.transient:.4g})"


@dataclass(frozen=True, eq=False, repr=False)
class AbsorbedBy:
    """P(the chain from θ₀ is absorbed at each maximum by update n), for each n
    (:meth:`ThetaChain.absorbed_by`).

    ``n`` (the updates asked for, as given, 1-D int array); ``probabilities``
    (len(n) × maxima, finest grid); ``error`` (the bound, same shape: 2|a₀ − a₁| +
    |a₁ − a₂|/4 + truncation); ``levels`` (grids × len(n) × maxima, finest first);
    ``truncation`` (len(n): (tail + lumped) · n)."""

    n: np.ndarray
    probabilities: np.ndarray
    error: np.ndarray
    levels: np.ndarray
    truncation: np.ndarray

    def to_dict(self) -> dict:
        return {
            "n": self.n.tolist(),
            "probabilities": self.probabilities.tolist(),
            "error": self.error.tolist(),
            "levels": self.levels.tolist(),
            "truncation": self.truncation.tolist(),
        }

    def __repr__(self) -> str:
        rows = "; ".join(
            f"n={n}: " + np.array2string(p, precision=4, separator=", ")
            for n, p in zip(self.n, self.probabilities)
        )
        return f"AbsorbedBy({rows})"


@dataclass(frozen=True, eq=False, repr=False)
class MeanUpdates:
    """E[number of updates until absorption] from θ₀ (:meth:`ThetaChain.mean_updates`).

    ``value`` (finest grid; ``inf`` when the chain is not surely absorbed), ``error`` (the
    bound: 2|t₀ − t₁| + |t₁ − t₂|/4 + (tail + lumped) t₀²; ``inf`` with an infinite
    value), ``levels`` (t per grid, finest first), ``absorbed`` (P(ever absorbed) per grid,
    finest first: 1 up to the truncation when the mean is finite)."""

    value: float
    error: float
    levels: np.ndarray
    absorbed: np.ndarray

    def to_dict(self) -> dict:
        from pgweyl.serialize import dataclass_to_dict

        return dataclass_to_dict(self)

    def __repr__(self) -> str:
        return f"MeanUpdates({self.value:.6g} ± {self.error:.2g})"


@dataclass(frozen=True, eq=False, repr=False)
class ThetaChain(ChainFrame):
    """The θ-chain of policy gradient on a grid (built by :func:`theta_chain`).

    Attributes: ``levels`` (:class:`ChainLevel` per grid, spacing Δ, 2Δ, 4Δ; finest
    first), ``maxima`` (the absorbing maxima, in the order of every per-maximum array),
    ``lr``, ``eps``, ``rule`` (its string), ``order`` (stencil degree), ``effective_map``
    (L, y = Lθ), ``theta_dim``, ``gauge``, ``step_vectors``, ``seconds`` (assembly).
    Methods: :attr:`kernel`, :meth:`start`, :meth:`law_after`, :meth:`absorbed_by`,
    :meth:`mean_updates`, and :meth:`~pgweyl.landscape.chain.result.ChainFrame.effective`
    (y = Lθ) as :class:`~pgweyl.ChainResult`."""

    levels: tuple
    maxima: list
    lr: float
    eps: float
    rule: str
    order: int
    effective_map: np.ndarray
    theta_dim: int
    gauge: bool
    step_vectors: np.ndarray
    seconds: float

    # -- the kernel --------------------------------------------------------------------
    @property
    def kernel(self):
        """K on the finest grid (CSR): rows and columns are the unknown nodes
        (``levels[0].unknown``) followed by one absorbing state per maximum (K[a, a] = 1).
        Rows sum to 1 − tail (≤ ``tol``)."""
        return self.level_kernel(0)

    def level_kernel(self, level: int = 0):
        """:attr:`kernel` on grid ``level`` (0 finest)."""
        import scipy.sparse as sp

        lev = self.levels[level]
        k = len(self.maxima)
        top = sp.hstack([lev.Q, sp.csr_matrix(lev.B)])
        bottom = sp.hstack([sp.csr_matrix((k, lev.n_states)), sp.identity(k)])
        return sp.vstack([top, bottom], format="csr")

    def start(self, theta0, level: int = 0):
        """(w₀ over the unknowns of ``level``, a₀ over the maxima): the chain's state at
        θ₀ — e_j on the absorbing side when π(θ₀) is within ε of maximum j, else the
        degree-``order`` stencil weights of y₀ = Lθ₀ (clamped into the box, as the chain
        clamps its landing points; a weight on a node beyond the ghost band is mass
        absorbed at that node's maximum, as in the solver)."""
        theta0 = validate.real_vector("theta0", theta0, self.theta_dim)
        y0 = (self.effective_map @ theta0)[None, :]
        lev = self.levels[level]
        w = np.zeros(lev.n_states)
        a = np.zeros(len(self.maxima))
        lab = int(self._labels(y0)[0])
        if lab >= 0:
            a[lab] = 1.0
            return w, a
        idx, wt = lev.grid.stencil(lev.grid.clamp(y0), self.order)
        col = lev.pos[idx[0]]
        inside = col >= 0
        np.add.at(w, col[inside], wt[0, inside])
        np.add.at(a, lev.label[idx[0, ~inside]], wt[0, ~inside])
        return w, a

    # -- powers ------------------------------------------------------------------------
    def _powers(self, theta0, ns: np.ndarray, level: int):
        """(w_n, a_n) for each n of ``ns`` on grid ``level`` by repeated squaring (module
        docstring): arrays (len(ns) × unknowns), (len(ns) × maxima)."""
        lev = self.levels[level]
        w0, a0 = self.start(theta0, level)
        m = lev.n_states
        require(
            3 * 8.0 * m * m,
            f"the dense powers of the θ-chain's transient block ({m} unknowns)",
            hint="use a smaller grid",
        )
        W = np.tile(w0, (len(ns), 1))
        Acc = np.tile(a0, (len(ns), 1))
        if m == 0:
            return W, Acc
        # While some node still keeps most of its mass over 2^j updates, the power is
        # carried as E_j = I − Q^{2^j} (E_0 = A, the leaving mass on its diagonal): a node
        # deep in a vertex leaves at a rate far below ulp(1), which Q_ii = 1 − leave would
        # round away. E_{j+1} = 2E_j − E_j² holds those rates (I − (1 − δ)² = 2δ − δ²
        # with δ itself stored), and vQ^{2^j} = v − vE_j. Once every diagonal entry of
        # E_j is ≥ ½, I − E_j is exact on the diagonal (Sterbenz) and the squaring goes
        # on with Q^{2^j} itself, whose entries can then fall below POWER_FLOOR.
        Ej = lev.A.toarray()
        Qj = None  # Q^{2^j} once switched
        Sj = np.asarray(lev.B, dtype=float).copy()  # S_{2^j} = Σ_{k<2^j} Q^k B
        rest = ns.astype(np.int64).copy()
        while rest.any():
            odd = (rest & 1).astype(bool)
            if odd.any():
                Acc[odd] += W[odd] @ Sj
                W[odd] = W[odd] @ Qj if Qj is not None else W[odd] - W[odd] @ Ej
            rest >>= 1
            if not rest.any():
                break
            if Qj is None:
                # S_{2m} = S_m + Q^m S_m = 2S_m − E_m S_m; E_{2m} = 2E_m − E_m²
                Sj = 2.0 * Sj - Ej @ Sj
                sq = Ej @ Ej
                sq -= Ej
                sq -= Ej
                np.negative(sq, out=sq)
                Ej = sq
                if Ej.diagonal().min() >= 0.5:
                    Qj = Ej
                    np.negative(Qj, out=Qj)
                    Qj[np.diag_indices(m)] += 1.0  # exact: −E_ii + 1 with E_ii ∈ [½, 2]
                    Ej = None
            else:
                Sj = Sj + Qj @ Sj
                Qj = Qj @ Qj
            if Qj is not None and np.abs(Qj).sum(axis=1).max() < POWER_FLOOR:
                # Q^{2^j} is below rounding: every higher power is 0 and S_{2^j} = S_∞ to
                # double precision, whatever bits of n are left.
                left = rest > 0
                Acc[left] += W[left] @ Sj
                W[left] = 0.0
                break
        return W, Acc

    def _check_ns(self, n) -> tuple[np.ndarray, bool]:
        arr = np.asarray(n)
        scalar = arr.ndim == 0
        flat = np.atleast_1d(arr).ravel()
        if not len(flat):
            raise ArgumentError("n must hold at least one number of updates")
        out = np.array(
            [validate.integer("n", v, lo=0, hi=MAX_UPDATES) for v in flat.tolist()],
            dtype=np.int64,
        )
        return out, scalar

    def _truncation(self, ns: np.ndarray) -> np.ndarray:
        per_update = max(lev.tail + lev.lumped for lev in self.levels)
        return per_update * ns.astype(float)

    @staticmethod
    def _bound(values: np.ndarray) -> np.ndarray:
        """2|a₀ − a₁| + |a₁ − a₂|/4 over the first axis (levels, finest first)."""
        d = 2.0 * np.abs(values[0] - values[1])
        if len(values) > 2:
            d = d + 0.25 * np.abs(values[1] - values[2])
        return d

    # -- answers -----------------------------------------------------------------------
    def law_after(self, theta0, n) -> ChainLaw:
        """The law of θ_n (n updates from θ₀) on the finest grid, with P(absorbed at each
        maximum by update n) and their error bounds (module docstring)."""
        ns, _ = self._check_ns(n)
        if len(ns) != 1:
            raise ArgumentError("law_after takes one n (absorbed_by takes many)")
        per_level = [self._powers(theta0, ns, k) for k in range(len(self.levels))]
        W, Acc = per_level[0]
        absorbed = np.array([acc[0] for _, acc in per_level])
        transient = np.array([w[0].sum() for w, _ in per_level])
        trunc = float(self._truncation(ns)[0])
        lev = self.levels[0]
        mass = np.zeros(lev.grid.size)
        mass[lev.unknown] = W[0]
        return ChainLaw(
            n=int(ns[0]),
            axes=lev.grid.axes,
            mass=mass.reshape(lev.grid.shape),
            absorbed=Acc[0],
            absorbed_error=self._bound(absorbed) + trunc,
            transient=float(transient[0]),
            transient_error=float(self._bound(transient)) + trunc,
            tail=float(max(1.0 - W[0].sum() - Acc[0].sum(), 0.0)),
        )

    def absorbed_by(self, theta0, n) -> AbsorbedBy:
        """P(absorbed at each maximum by update n) from θ₀, for one n or an array of n
        (each row of the result is one n), with the error bound of each."""
        ns, _ = self._check_ns(n)
        levels = np.array([self._powers(theta0, ns, k)[1] for k in range(len(self.levels))])
        trunc = self._truncation(ns)
        return AbsorbedBy(
            n=ns,
            probabilities=levels[0],
            error=self._bound(levels) + trunc[:, None],
            levels=levels,
            truncation=trunc,
        )

    def mean_updates(self, theta0) -> MeanUpdates:
        """E[updates until absorption] from θ₀: w₀ (I − Q)⁻¹ 1 (0 when θ₀ is absorbing),
        ``inf`` when P(ever absorbed) = w₀ (I − Q)⁻¹ B 1 + a₀ falls short of 1 by more
        than ``SURE_TOL`` beyond the truncation, or I − Q is singular (a closed class of
        states that is never absorbed)."""
        import scipy.sparse as sp
        from scipy.sparse.linalg import splu

        values, absorbed = [], []
        for k, lev in enumerate(self.levels):
            w0, a0 = self.start(theta0, k)
            if lev.n_states == 0 or not w0.any():
                values.append(0.0)
                absorbed.append(float(a0.sum()))
                continue
            # the solver's I − P itself (its diagonal is the leaving mass, not 1 − P_ii)
            try:
                lu = splu(sp.csc_matrix(lev.A))
                rhs = np.column_stack([np.ones(lev.n_states), lev.B.sum(axis=1)])
                x = lu.solve(rhs)
            except RuntimeError:  # exactly singular: a closed transient class
                values.append(math.inf)
                absorbed.append(float("nan"))
                continue
            t, h = float(w0 @ x[:, 0]), float(w0 @ x[:, 1] + a0.sum())
            lost = (lev.tail + lev.lumped) * max(abs(t), 1.0)
            sure = np.isfinite(t) and h >= 1.0 - SURE_TOL - lost and t >= 0
            values.append(t if sure else math.inf)
            absorbed.append(h)
        values = np.array(values)
        if not np.isfinite(values[0]):
            err = math.inf
        else:
            per_update = max(lev.tail + lev.lumped for lev in self.levels)
            grid_err = float(self._bound(values)) if np.isfinite(values).all() else math.inf
            err = grid_err + per_update * values[0] ** 2
        return MeanUpdates(
            value=float(values[0]), error=float(err), levels=values, absorbed=np.array(absorbed)
        )

    def to_dict(self) -> dict:
        return {
            "lr": self.lr,
            "eps": self.eps,
            "rule": self.rule,
            "order": self.order,
            "maxima": [m.to_dict() for m in self.maxima],
            "grids": [list(lev.grid.shape) for lev in self.levels],
            "states": [lev.n_states for lev in self.levels],
            "nonzeros": [int(lev.Q.nnz) for lev in self.levels],
            "tail": max(lev.tail for lev in self.levels),
            "lumped": max(lev.lumped for lev in self.levels),
            "seconds": self.seconds,
        }

    def __repr__(self) -> str:
        grids = ", ".join("×".join(map(str, lev.grid.shape)) for lev in self.levels)
        return (
            f"ThetaChain(lr={self.lr:g}, eps={self.eps:.3g}, rule={self.rule}, "
            f"order={self.order}, grids {grids}, {self.levels[0].n_states} states)"
        )


def theta_chain(
    env: AlcoveWalkEnv,
    lr: float,
    *,
    eps: float | None = None,
    rule: Rule | str | None = None,
    grid: int | None = None,
    bounds: tuple[float, float] | None = None,
    maxima: Sequence[LocalMaximum] | None = None,
    order: int = 2,
    tol: float = DEFAULT_TOL,
    min_prob: float | None = None,
    chunk: int = DEFAULT_CHUNK,
) -> ThetaChain:
    """The θ-chain of policy gradient (batch 1, constant step ``lr``) as a Markov chain
    on grids of spacing Δ, 2Δ, 4Δ (module docstring).

    ``eps``: absorbing radius in total variation (default σ(−8)); ``rule``: any rule the
    chain solver takes (:func:`chain_refusal`); ``grid``: nodes per axis of the finest
    grid (default: the solver's in 1-D, ``DEFAULT_NODES_2D`` in 2-D); ``bounds``: the
    box (default as :func:`chain_absorption`); ``order``: stencil degree (1: a stochastic
    kernel; 2 or 3: the solver's signed stencils); ``tol``: tail P(T > N) left out per
    node; ``min_prob``: cells below it are lumped (default ``DEFAULT_MIN_PROB_POWERS``:
    the solver's in 1-D, 1e−10 in 2-D, so that the truncation term stays small over 10⁶
    updates); ``chunk``: nodes assembled at once, at most (as :func:`chain_absorption`).
    """
    if _is_limit(eps):
        # absorbed_by(θ₀, n) at finite n is a first entry at a radius ε > 0; the limit
        # ε → 0 is reached only as n → ∞, which chain_absorption solves directly
        raise ArgumentError(
            "theta_chain needs eps > 0 (absorption by update n is first entry at radius ε); "
            "for the ε → 0 limit use chain_absorption(env, lr, eps=0)"
        )
    if chain_refusal(env, rule) is None and env.effective_dim > 2:
        raise ArgumentError(THETA_CHAIN_3D)
    setup = _setup(env, lr, eps, rule, 0.0, tol, order, chunk, min_prob, DEFAULT_MIN_PROB_POWERS)
    dim = setup.dim
    if setup.rule.kind == "natural" and dim == 2:
        # its grids are boxes in y, which the natural chain leaves (chain/compact.py)
        raise ArgumentError(
            "theta_chain takes the natural rule in effective dimension 1 only (in 2-D its "
            "steps leave any box in θ); chain_absorption solves it in compact coordinates"
        )
    lo, hi = setup.box(bounds)
    # 1-D: half the solver's nodes (degree-2 stencils are accurate to ~1e−6 there and the
    # squarings cost 8× less)
    default = (default_grid(dim, (hi - lo) / 2) - 1) // 2 + 1 if dim == 1 else DEFAULT_NODES_2D
    grid = setup.nodes(grid, default, LEVELS)
    t0 = time.perf_counter()
    maxima = setup.maxima(env, maxima)
    levels = []
    for size in refinement_sizes(grid, LEVELS):
        g = box_grid(dim, lo, hi, size)
        s = assemble(
            env,
            g,
            maxima,
            **setup.assembly(),
            band=setup.order + 1,
            linear=False,
            # as chain_absorption: in 1-D truncation and lumping relative to σ, the mass
            # of the non-quiet episodes (an absolute tol would swamp them near a vertex)
            relative=dim == 1,
        )
        levels.append(
            ChainLevel(
                grid=g,
                A=s.A,
                B=s.b,
                unknown=s.unknown,
                pos=s.pos,
                label=s.label,
                tail=float(s.tail),
                lumped=float(s.lumped),
                order=setup.order,
            )
        )
    return ThetaChain(
        levels=tuple(levels),
        **setup.fields(env, maxima),
        seconds=time.perf_counter() - t0,
    )


__all__ = [
    "AbsorbedBy",
    "ChainLaw",
    "ChainLevel",
    "DEFAULT_MIN_PROB_POWERS",
    "MeanUpdates",
    "ThetaChain",
    "theta_chain",
]
