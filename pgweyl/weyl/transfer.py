"""Route 2 to restricted path counts: powers of the transfer matrix.

I = interior lattice points reachable from λ (for A_n: representatives modulo
(1, …, 1)), M the I×I 0/1 matrix of single steps x → x + s. Then

    C_k(λ, μ) = (e_λᵀ M^k)_μ,

computed by k vector–matrix products in exact Python integers. Shares no code with
the reflection route: it needs neither the Weyl group nor reflectability.

In the Weyl chamber (``Alcove(cartan, level=None)``) the interior is infinite, so the
graph is the ball of points reachable in at most ``max_depth`` steps; e_λᵀ M^k is exact
for every k ≤ ``max_depth``.
"""

from __future__ import annotations

import math
import numbers
from collections import deque

import numpy as np

from pgweyl.budget import require
from pgweyl.errors import ArgumentError


def ball_size_bound(n_steps: int, k: int, dim: int) -> int:
    """An upper bound on the points reachable in at most n steps from k steps in Z^dim:
    the multisets of at most n steps, C(n + k, k), capped by the box (2n + 1)^dim."""
    return min(math.comb(n_steps + k, k), (2 * n_steps + 1) ** dim)


class InteriorGraph:
    """The step graph on the interior points reachable from ``start``.

    ``states`` lists them (representatives for A_n) in breadth-first order, ``index``
    maps a state tuple to its position, ``depth[i]`` is the fewest steps from the start,
    ``succ[i]`` lists, per step in ``steps.vectors`` order, the index of the next interior
    state or −1 when that step leaves the alcove, and ``exits[i][s]`` the point reached
    (as a representative) in the latter case, else None.

    ``max_depth`` (required in the Weyl chamber) keeps the states within that many steps;
    the successors of the states at depth ``max_depth`` are not recorded (−1 and None).
    """

    def __init__(self, alcove, steps, start, max_depth=None):
        if max_depth is None and alcove.is_chamber:
            raise ArgumentError(
                f"the Weyl chamber of {alcove.cartan} has an infinite interior: give "
                "max_depth (the step graph is then the ball reachable in that many steps)"
            )
        if max_depth is not None:
            if (
                isinstance(max_depth, bool)
                or not isinstance(max_depth, numbers.Integral)
                or max_depth < 0
            ):
                raise ArgumentError(f"max_depth must be a non-negative integer, got {max_depth!r}")
            bound = ball_size_bound(max_depth, len(steps.vectors), alcove.dim)
            # Each state holds a tuple, two lists of k entries and a dict slot (~100 B each).
            require(
                bound * (100 + 16 * len(steps.vectors) + 8 * alcove.dim),
                f"the step graph within {max_depth} steps of the start ({bound} points at most)",
                "ask for fewer steps",
            )
        self.alcove = alcove
        self.max_depth = None if max_depth is None else int(max_depth)
        max_depth = self.max_depth
        self.prism = alcove.is_prism
        vecs = [tuple(int(v) for v in s) for s in steps.vectors.tolist()]
        normals = alcove.inward_normals.tolist()
        offsets = alcove.inward_offsets.tolist()

        def inside(p):
            return all(
                sum(a * b for a, b in zip(nrm, p)) > off for nrm, off in zip(normals, offsets)
            )

        def canon(p):
            return tuple(x - p[-1] for x in p) if self.prism else tuple(p)

        s0 = canon(tuple(int(x) for x in start))
        self.index = {s0: 0}
        self.states = [s0]
        self.depth = [0]
        self.succ: list[list[int]] = []
        self.exits: list[list] = []
        queue = deque([s0])
        k = len(vecs)
        while queue:
            p = queue.popleft()
            here = self.depth[self.index[p]]
            if max_depth is not None and here >= max_depth:
                self.succ.append([-1] * k)
                self.exits.append([None] * k)
                continue
            row, ex = [], []
            for s in vecs:
                q = canon(tuple(a + b for a, b in zip(p, s)))
                if inside(q):
                    if q not in self.index:
                        self.index[q] = len(self.states)
                        self.states.append(q)
                        self.depth.append(here + 1)
                        queue.append(q)
                    row.append(self.index[q])
                    ex.append(None)
                else:
                    row.append(-1)
                    ex.append(q)
            self.succ.append(row)
            self.exits.append(ex)

    def __len__(self) -> int:
        return len(self.states)

    def step(self, vec: list[int]) -> list[int]:
        """One multiplication v ↦ vᵀ M (exact)."""
        out = [0] * len(self.states)
        for i, c in enumerate(vec):
            if c:
                for j in self.succ[i]:
                    if j >= 0:
                        out[j] += c
        return out

    def state_of(self, point):
        """Index of a point (full coordinates) among the states, or None."""
        p = tuple(int(x) for x in point)
        if self.prism:
            p = tuple(x - p[-1] for x in p)
        return self.index.get(p)


def count_paths_transfer(alcove, steps, start, ends, n: int) -> list[int]:
    """C_n(start, μ) for every row μ of ``ends`` (full coordinates) by e_λᵀ M^n (in the
    Weyl chamber on the ball of points reachable in n steps)."""
    graph = InteriorGraph(alcove, steps, start, max_depth=n if alcove.is_chamber else None)
    vec = [0] * len(graph)
    vec[0] = 1
    for _ in range(n):
        vec = graph.step(vec)
    ends = np.atleast_2d(np.asarray(ends, dtype=np.int64))
    out = []
    total0 = int(np.sum(start))
    csum = steps.coordinate_sum
    for mu in ends.tolist():
        # For A_n the representative forgets Σx; the walk fixes it at Σλ + n·c.
        if graph.prism and sum(mu) != total0 + n * csum:
            out.append(0)
            continue
        i = graph.state_of(mu)
        out.append(0 if i is None else vec[i])
    return out


__all__ = ["InteriorGraph", "ball_size_bound", "count_paths_transfer"]
