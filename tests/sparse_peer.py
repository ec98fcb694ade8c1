"""An absorbing-chain solve written independently of pgweyl's engine (the peer a user
would write: BFS over the lattice, scipy.sparse, one solve for V, one adjoint solve for ∇V).

It uses only the environment's description (start, steps, the alcove's inward normals
and offsets, R(b) per point, γ, c) and ``env.policy`` — none of pgweyl's graphs, tables
or solvers. Also timed by ``benchmarks/bench_exact.py`` as the peer of the exact layer.

    v(x) = Σ_s π(s) (−c + [x + s exits] R(x + s) + [x + s inside] γ v(x + s)),
    V = v(λ),   ∇V = Σ_s ∇π(s) · yᵀ q_s,   (I − γM)ᵀ y = e_λ.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla


class SparsePeer:
    def __init__(self, env):
        a = np.asarray(env.alcove.inward_normals)
        b = np.asarray(env.alcove.inward_offsets)
        prism = env.cartan.family == "A"
        steps = [tuple(int(v) for v in s) for s in env.steps.vectors]

        def key(x):
            return tuple(v - x[-1] for v in x) if prism else tuple(x)

        start = tuple(int(v) for v in env.start)
        index = {key(start): 0}
        points, queue = [start], deque([start])
        moves = []  # (i, s, j or None, reward)
        while queue:
            x = queue.popleft()
            i = index[key(x)]
            for s_i, s in enumerate(steps):
                y = tuple(u + v for u, v in zip(x, s))
                if np.all(a @ np.array(y) - b > 0):
                    if key(y) not in index:
                        index[key(y)] = len(points)
                        points.append(y)
                        queue.append(y)
                    moves.append((i, s_i, index[key(y)], 0.0))
                else:
                    moves.append((i, s_i, None, env.reward(y)))
        self.n = len(points)
        self.vectors = np.array(steps, dtype=float)
        self.moves = moves
        self.gamma, self.cost, self.exp = env.gamma, env.step_cost, env.policy_kind == "exp"
        self.gauge = env.gauge
        self.env = env

    def value_grad(self, theta):
        pi = self.env.policy(theta)
        v0, gs = self.policy_value_grad(pi)
        if self.exp:
            mean = pi @ self.vectors
            jac = pi[:, None] * (self.vectors - mean)
        else:
            jac = np.diag(pi) - np.outer(pi, pi)
        grad = jac.T @ gs
        if self.gauge:
            grad = grad - grad.mean()
        return v0, grad

    def policy_value_grad(self, pi):
        """V and ∂V/∂π(s) for any distribution π over the steps."""
        pi = np.asarray(pi, dtype=float)
        n, g, c = self.n, self.gamma, self.cost
        rows, cols, vals = [], [], []
        r = np.full(n, -c)
        for i, s, j, rew in self.moves:
            if j is None:
                r[i] += pi[s] * rew
            else:
                rows.append(i)
                cols.append(j)
                vals.append(g * pi[s])
        A = (sp.identity(n) - sp.csr_matrix((vals, (rows, cols)), shape=(n, n))).tocsc()
        v = sla.spsolve(A, r)
        e0 = np.zeros(n)
        e0[0] = 1.0
        y = sla.spsolve(A.T.tocsc(), e0)
        gs = np.zeros(len(pi))
        for i, s, j, rew in self.moves:
            gs[s] += y[i] * ((rew if j is None else g * v[j]) - c)
        return float(v[0]), gs
