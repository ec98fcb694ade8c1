"""The peer of the exact layer: the absorbing-chain solve a user would write with
scipy.sparse (about 40 lines, independent of pgweyl's engine; vectorised per θ).

Setup (once per environment): breadth-first search over the interior lattice points
from λ with the alcove's inward normals, index arrays of the moves. Per θ: π, the sparse
matrix I − γM_π and r_π from the index arrays, one LU, the solve for v and the adjoint
solve for y, ∇V = Σ_s ∇π(s) · yᵀ q_s. Only ``env``'s description and ``env.policy`` are
used.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla


class SparsePeer:
    def __init__(self, env):
        a, b = np.asarray(env.alcove.inward_normals), np.asarray(env.alcove.inward_offsets)
        prism = env.cartan.family == "A"
        steps = np.asarray(env.steps.vectors)
        key = (lambda x: tuple(x - x[-1])) if prism else tuple
        start = np.asarray(env.start)
        index, queue = {key(start): 0}, deque([start])
        src, step, dst, ex_src, ex_step, ex_rew = [], [], [], [], [], []
        while queue:
            x = queue.popleft()
            i = index[key(x)]
            for s, y in enumerate(x + steps):
                if np.all(a @ y - b > 0):
                    if key(y) not in index:
                        index[key(y)] = len(index)
                        queue.append(y)
                    src.append(i), step.append(s), dst.append(index[key(y)])
                else:
                    ex_src.append(i), ex_step.append(s), ex_rew.append(env.reward(y))
        self.n = len(index)
        self.src, self.step, self.dst = map(np.array, (src, step, dst))
        self.ex_src, self.ex_step, self.ex_rew = map(np.array, (ex_src, ex_step, ex_rew))
        self.vectors = steps.astype(float)
        self.env = env

    def value_grad(self, theta):
        env, n, g, c = self.env, self.n, self.env.gamma, self.env.step_cost
        pi = env.policy(theta)
        M = sp.csc_matrix((g * pi[self.step], (self.src, self.dst)), shape=(n, n))
        r = np.bincount(self.ex_src, pi[self.ex_step] * self.ex_rew, minlength=n) - c
        lu = sla.splu((sp.identity(n, format="csc") - M).tocsc())
        v = lu.solve(r)
        e0 = np.zeros(n)
        e0[0] = 1.0
        y = lu.solve(e0, trans="T")
        k = len(pi)
        gs = np.bincount(self.step, y[self.src] * (g * v[self.dst] - c), minlength=k)
        gs += np.bincount(self.ex_step, y[self.ex_src] * (self.ex_rew - c), minlength=k)
        jac = pi[:, None] * (self.vectors - pi @ self.vectors)  # exp family
        grad = jac.T @ gs
        if env.gauge:
            grad -= grad.mean()
        return float(v[0]), grad
