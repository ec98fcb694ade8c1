"""The step graph of a walk in an alcove, as integer arrays (vectorised construction).

States are the interior lattice points reachable from the start λ (for A_n the
representatives with x_{n+1} = 0, where the walk lives modulo (1, …, 1)), state 0 being
λ; ``succ[i, s]`` is the state reached from state i by step s, or ``−1 − j`` when that
step leaves the open alcove at exit point j (a row of ``exit_points``, sorted
lexicographically). Every numeric route of the exact layer (tables, sparse solves,
the policy-weighted transfer) reads this one structure.

It is built from the closed-form-checked point enumeration with NumPy: successors by a
sorted-key lookup, reachability by a breadth-first search over the sparse graph. The
size is estimated from :func:`pgweyl.weyl.sizes.interior_point_count` and refused above
the memory budget before anything is allocated.

>>> from pgweyl.weyl.alcove import Alcove
>>> from pgweyl.weyl.steps import StepSet
>>> g = StepGraph(Alcove("A1", 4), StepSet("unit", "A1"), (1, 0))
>>> g.states.tolist(), g.succ.tolist(), g.exit_points.tolist()
([[1, 0], [2, 0], [3, 0]], [[1, -1], [2, 0], [-2, 1]], [[0, 0], [4, 0]])
"""

from __future__ import annotations

import numpy as np

from pgweyl.budget import require
from pgweyl.weyl.lattice import IntegerLattice

#: Bytes per interior point while the graph is built (points, keys, successors for a
#: few steps, temporaries) — a generous constant for the budget estimate.
BYTES_PER_POINT = 64


class _KeyIndex:
    """Row lookup for integer points: mixed-radix int64 keys, or a dict when the box is
    too large for int64."""

    def __init__(self, points: np.ndarray):
        self.lo = points.min(axis=0) - 1
        span = points.max(axis=0) + 2 - self.lo  # one spare on each side for successors
        self.strides = np.ones(points.shape[1], dtype=np.int64)
        volume = 1
        for c in range(points.shape[1] - 1, -1, -1):
            self.strides[c] = volume
            volume *= int(span[c])
        self.hi = self.lo + span
        self.use_keys = volume < 2**62
        if self.use_keys:
            keys = (points - self.lo) @ self.strides
            self.order = np.argsort(keys, kind="stable")
            self.sorted_keys = keys[self.order]
        else:
            self.table = {tuple(p): i for i, p in enumerate(points.tolist())}

    def find(self, queries: np.ndarray) -> np.ndarray:
        """Row of each query point, or −1."""
        if not self.use_keys:
            return np.array([self.table.get(tuple(q), -1) for q in queries.tolist()])
        inside = np.all((queries >= self.lo) & (queries < self.hi), axis=1)
        keys = (np.where(inside[:, None], queries, self.lo) - self.lo) @ self.strides
        pos = np.clip(np.searchsorted(self.sorted_keys, keys), 0, len(self.sorted_keys) - 1)
        hit = inside & (self.sorted_keys[pos] == keys)
        return np.where(hit, self.order[pos], -1)


class StepGraph:
    """Reachable interior states, successors per step and exit points (see module doc).

    Attributes: ``states`` (N×d int64), ``succ`` (N×k int64), ``exit_points`` (E×d
    int64), ``n_states``, ``n_exits``, ``k``; ``exit_pairs`` lists (state, step, exit)
    of every exiting move. All arrays are read-only.
    """

    def __init__(self, alcove, steps, start):
        n_est = alcove.point_counts()[0]
        require(
            n_est * (BYTES_PER_POINT + 16 * len(steps.vectors)),
            f"the step graph of {alcove.cartan} at level {alcove.level} ({n_est} interior points)",
            "choose a smaller level",
        )
        vecs = np.asarray(steps.vectors, dtype=np.int64)
        prism = alcove.is_prism
        lam = alcove.representative(np.asarray(start, dtype=np.int64))
        pts = alcove.interior_points()
        gens = vecs.tolist() + ([[1] * alcove.dim] if prism else [])
        pts = pts[IntegerLattice(gens).contains_many(pts - lam)]  # the walk's coset
        index = _KeyIndex(pts)
        k = len(vecs)
        nxt = np.empty((len(pts), k), dtype=np.int64)
        leaving = []
        for s in range(k):
            q = alcove.representative(pts + vecs[s])
            j = index.find(q)
            inside = np.all(alcove._slack(q) > 0, axis=1)
            j[~inside] = -1
            nxt[:, s] = j
            out = np.flatnonzero(~inside)
            leaving.append((out, np.full(len(out), s), q[out]))
        order = self._reachable(nxt, int(index.find(lam[None, :])[0]))
        relabel = np.full(len(pts), -1, dtype=np.int64)
        relabel[order] = np.arange(len(order))
        self.states = pts[order]
        succ = nxt[order]
        interior = succ >= 0
        succ[interior] = relabel[succ[interior]]
        # Exit points: the targets of leaving moves from reachable states.
        src = np.concatenate([o for o, _, _ in leaving])
        step = np.concatenate([s for _, s, _ in leaving])
        target = np.concatenate([t for _, _, t in leaving]).reshape(-1, alcove.dim)
        keep = relabel[src] >= 0
        src, step, target = relabel[src[keep]], step[keep], target[keep]
        self.exit_points, exit_of = np.unique(target, axis=0, return_inverse=True)
        exit_of = np.ravel(exit_of)
        succ[src, step] = -1 - exit_of
        self.succ = succ
        self.exit_pairs = np.stack([src, step, exit_of], axis=1)
        self.n_states, self.n_exits, self.k = len(self.states), len(self.exit_points), k
        for arr in (self.states, self.succ, self.exit_points, self.exit_pairs):
            arr.setflags(write=False)

    @staticmethod
    def _reachable(nxt: np.ndarray, start: int) -> np.ndarray:
        """States reachable from ``start`` in breadth-first order (start first)."""
        import scipy.sparse as sp
        from scipy.sparse.csgraph import breadth_first_order

        n, k = nxt.shape
        rows = np.repeat(np.arange(n), k)
        cols = nxt.ravel()
        ok = cols >= 0
        graph = sp.csr_matrix((np.ones(int(ok.sum())), (rows[ok], cols[ok])), shape=(n, n))
        return breadth_first_order(graph, start, directed=True, return_predecessors=False)

    def __len__(self) -> int:
        return self.n_states

    def interior_edges(self):
        """(source, step, target) arrays of the moves that stay inside."""
        src, step = np.nonzero(self.succ >= 0)
        return src, step, self.succ[src, step]


__all__ = ["StepGraph"]
