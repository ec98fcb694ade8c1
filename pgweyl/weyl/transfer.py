"""Route 2 to restricted path counts: powers of the transfer matrix.

I = interior lattice points reachable from λ (for A_n: representatives modulo
(1, …, 1)), M the I×I 0/1 matrix of single steps x → x + s. Then

    C_k(λ, μ) = (e_λᵀ M^k)_μ,

computed by k vector–matrix products in exact Python integers. Shares no code with
the reflection route: it needs neither the Weyl group nor reflectability.
"""

from __future__ import annotations

from collections import deque

import numpy as np


class InteriorGraph:
    """The step graph on the interior points reachable from ``start``.

    ``states`` lists them (representatives for A_n), ``index`` maps a state tuple to
    its position, ``succ[i]`` lists, per step in ``steps.vectors`` order, the index of
    the next interior state or −1 when that step leaves the alcove, and
    ``exit_points[i][s]`` the point reached (as a representative) in the latter case.
    """

    def __init__(self, alcove, steps, start):
        self.alcove = alcove
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
        self.succ: list[list[int]] = []
        self.exits: list[list] = []
        queue = deque([s0])
        while queue:
            p = queue.popleft()
            row, ex = [], []
            for s in vecs:
                q = canon(tuple(a + b for a, b in zip(p, s)))
                if inside(q):
                    if q not in self.index:
                        self.index[q] = len(self.states)
                        self.states.append(q)
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
    """C_n(start, μ) for every row μ of ``ends`` (full coordinates) by e_λᵀ M^n."""
    graph = InteriorGraph(alcove, steps, start)
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


__all__ = ["InteriorGraph", "count_paths_transfer"]
