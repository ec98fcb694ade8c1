"""The policy-weighted transfer matrix: route 2 to the value distribution, any policy.

With M_π = Σ_s π(s) A_s (A_s the 0/1 matrix of step s between interior states) and
B_π = Σ_s π(s) E_s (step s leaving to exit point b),

    P_θ(X_T = b, T = n) = (e_λᵀ M_π^{n−1} B_π)_b,

iterated in floats until the surviving mass P(T > n) is at most ``tol``. Derivatives
are carried forward alongside (forward mode): with u_n = M_πᵀ u_{n−1} and
J = ∂π/∂θ, ∂u_n = M_πᵀ ∂u_{n−1} + [A_1ᵀ u_{n−1}, …, A_kᵀ u_{n−1}] J.
This is the only exact route for ``softmax`` on signed steps (not a tilt of F), and an
independent check of the tilt for ``exp``.
"""

from __future__ import annotations

import numpy as np

from pgweyl import config


class TruncationWarning(UserWarning):
    """A value distribution was cut before its tail fell below the requested tolerance.

    A ``UserWarning``, issued when ``value_distribution(theta, tol, n_max=N)`` is cut at
    the given N with P(T > N) > tol (without ``n_max`` such a tail raises
    :class:`pgweyl.AccuracyError` instead); the message reports the tail.
    """


class TiltedTransfer:
    """Per-step sparse incidence of the reachable interior graph of an environment."""

    def __init__(self, env):
        import scipy.sparse as sp  # lazily: keeps `import pgweyl` fast

        g = env.graph
        n_states, k, n_exit = g.n_states, g.k, g.n_exits
        src, step, dst = g.interior_edges()
        ex_src, ex_step, ex_j = g.exit_pairs.T
        self.A_T, self.E_T = [], []  # transposed so that a step is one product
        for s in range(k):
            m = step == s
            self.A_T.append(
                sp.csr_matrix((np.ones(int(m.sum())), (dst[m], src[m])), shape=(n_states, n_states))
            )
            m = ex_step == s
            self.E_T.append(
                sp.csr_matrix(
                    (np.ones(int(m.sum())), (ex_j[m], ex_src[m])), shape=(n_exit, n_states)
                )
            )
        self.A_stack = sp.vstack(self.A_T).tocsr()  # (k·N) × N
        self.E_stack = sp.vstack(self.E_T).tocsr()  # (k·n_exit) × N
        self.n_states, self.n_exit, self.k = n_states, n_exit, k

    def run(self, probs, jac=None, tol: float = config.DEFAULT_TOL, cap: int | None = None):
        """Exit law cell by cell: returns (times, exit_index, P, dP or None, tail).

        Iterates until the surviving mass is at most ``tol`` or ``cap`` steps (default
        ``config.MAX_TABLE_ROWS``) were taken; the caller decides what a larger tail means.
        ``jac`` (k×p) = ∂π/∂θ switches on forward-mode derivatives dP (cells×p)."""
        probs = np.asarray(probs, dtype=float)
        M_T = sum(p * a for p, a in zip(probs, self.A_T))
        B_T = sum(p * e for p, e in zip(probs, self.E_T))
        u = np.zeros(self.n_states)
        u[0] = 1.0
        U = None if jac is None else np.zeros((self.n_states, jac.shape[1]))
        times, idx, P, dP = [], [], [], []
        n = 0
        cap = config.MAX_TABLE_ROWS if cap is None else cap
        # With derivatives, mass of zero probability can carry a non-zero derivative (a
        # deviating step from a deterministic policy), so both must die out.
        while (u.sum() > tol or (U is not None and np.abs(U).sum() > tol)) and n < cap:
            n += 1
            e = B_T @ u
            if U is None:
                nz = np.flatnonzero(e > 0.0)
            else:
                per_step_e = (self.E_stack @ u).reshape(self.k, self.n_exit).T  # n_exit × k
                dE = B_T @ U + per_step_e @ jac
                nz = np.flatnonzero((e > 0.0) | np.any(dE != 0.0, axis=1))
                dP.append(dE[nz])
                per_step_u = (self.A_stack @ u).reshape(self.k, self.n_states).T
                U = M_T @ U + per_step_u @ jac
            times.append(np.full(len(nz), n))
            idx.append(nz)
            P.append(e[nz])
            u = M_T @ u
        tail = float(u.sum())
        dPs = None
        if U is not None:
            dPs = np.concatenate(dP) if dP else np.zeros((0, jac.shape[1]))
        return _cat(times, np.int64), _cat(idx, np.int64), _cat(P, float), dPs, tail


def _cat(chunks, dtype) -> np.ndarray:
    return np.concatenate(chunks).astype(dtype) if chunks else np.zeros(0, dtype)


__all__ = ["TiltedTransfer", "TruncationWarning"]
