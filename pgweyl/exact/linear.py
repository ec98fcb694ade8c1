"""Route 2 to V and ∇V: the absorbing-chain linear system and its adjoint (any policy).

With M_π the substochastic step matrix on the interior states (M_π[x, x + s] = π(s))
and one-step payoffs r_π(x) = Σ_s π(s) ([x + s exits] R(x + s)) − c,

    (I − γ M_π) v = r_π,      V = v(λ),
    (I − γ M_π)ᵀ y = e_λ,     ∂V/∂θ = Σ_s (∂π(s)/∂θ) · Σ_x y(x) q_s(x),

where q_s(x) = −c + R(x + s) if the step exits and −c + γ v(x + s) otherwise (the
adjoint method: one extra transposed solve gives every component of ∇V). This holds for
every policy — exp, softmax, or a probability vector with zeros (faces of the policy
polytope) — and for γ = 1, where (I − M_π) is invertible because the walk exits.

Accuracy. The matrix is factored once in float64 (SuperLU); the policy and the
residuals are kept in extended precision (``numpy.longdouble``, 64-bit mantissa on x86)
and each solution is refined until its residual stops shrinking (mixed-precision
iterative refinement). Because (I − γM)^{−1} ≥ 0 entrywise, the errors are bounded from
the residuals ρ (first order; y ≥ 0, τ = (I − γM)^{−1} 1):

    |V − v̂(λ)| ≤ ‖y‖₁ ‖ρ_v‖_∞,
    |∂_k V − ĝ_k| ≤ Σ_s |J_sk| (τ_max ‖ρ_y‖₁ ‖q_s‖_∞ + ‖y‖₁ γ τ_max ‖ρ_v‖_∞),

with ‖y‖₁ and τ_max = ‖(I − γM)^{−1}‖_∞ themselves bounded from their computed values
and residuals. These bounds are what :class:`LinearResult` reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgweyl.errors import AccuracyError, ArgumentError

_LD = np.longdouble
_EPS_LD = float(np.finfo(np.longdouble).eps)
#: Iterative refinement stops after this many corrections.
MAX_REFINE = 4


@dataclass(frozen=True)
class LinearResult:
    """V, ∇V (w.r.t. the parameters of ``jac``) and E[Σ_{t<T} γ^t] at λ, with bounds."""

    value: float
    grad: np.ndarray | None
    error_value: float
    error_grad: float
    discounted_time: float


class LinearRoute:
    """The θ-independent structure of the linear system of one environment."""

    def __init__(self, env):
        import scipy.sparse as sp  # lazily

        self._sp = sp
        g = env.graph
        self.n = g.n_states
        self.k = g.k
        self.succ = np.asarray(g.succ)
        self.exit_rewards = np.asarray(env.exit_rewards, dtype=float)
        # Interior moves (x, s, x + s) and exiting moves (x, s, b).
        self.src, self.step, self.dst = g.interior_edges()
        self.ex_src, self.ex_step, self.ex_j = (np.asarray(a) for a in g.exit_pairs.T)

    # -- assembly ---------------------------------------------------------------------------
    def _restrict(self, probs) -> np.ndarray | None:
        """States reachable from λ through steps of positive probability (None: all)."""
        if np.all(probs > 0):
            return None
        from scipy.sparse.csgraph import breadth_first_order

        ok = probs[self.step] > 0
        graph = self._sp.csr_matrix(
            (np.ones(int(ok.sum())), (self.src[ok], self.dst[ok])), shape=(self.n, self.n)
        )
        return np.sort(breadth_first_order(graph, 0, directed=True, return_predecessors=False))

    def _system(self, probs_ld, gamma, cost, keep, no_rewards=False):
        """(A in float64 CSC, A in longdouble CSR, r in longdouble, index of λ) on ``keep``."""
        sp = self._sp
        n = self.n
        src, step, dst = self.src, self.step, self.dst
        ex_src, ex_step, ex_j = self.ex_src, self.ex_step, self.ex_j
        relabel = None
        if keep is not None:
            relabel = np.full(n, -1, dtype=np.int64)
            relabel[keep] = np.arange(len(keep))
            m = (relabel[src] >= 0) & (relabel[dst] >= 0)
            src, step, dst = relabel[src[m]], step[m], relabel[dst[m]]
            m = relabel[ex_src] >= 0
            ex_src, ex_step, ex_j = relabel[ex_src[m]], ex_step[m], ex_j[m]
            n = len(keep)
        w = -_LD(gamma) * probs_ld[step]
        keep_w = w != 0
        rows = np.concatenate([np.arange(n), src[keep_w]])
        cols = np.concatenate([np.arange(n), dst[keep_w]])
        data_ld = np.concatenate([np.ones(n, dtype=_LD), w[keep_w]])
        A_ld = sp.csr_matrix((data_ld, (rows, cols)), shape=(n, n))
        A64 = sp.csc_matrix((data_ld.astype(float), (rows, cols)), shape=(n, n))
        r = np.zeros(n, dtype=_LD)
        if not no_rewards:
            np.add.at(r, ex_src, probs_ld[ex_step] * self.exit_rewards[ex_j].astype(_LD))
        r -= _LD(cost)
        return A64, A_ld, r, (src, step, dst, ex_src, ex_step, ex_j)

    @staticmethod
    def _refined(solve, A_ld, b_ld, trans: bool):
        """x with A x = b (or Aᵀ x = b), refined in longdouble; returns (x, residual)."""
        op = A_ld.T if trans else A_ld
        x = solve(b_ld.astype(float), trans="T" if trans else "N")
        res = b_ld - op @ x.astype(_LD)
        best = float(np.abs(res).max()) if len(res) else 0.0
        for _ in range(MAX_REFINE):
            if best == 0.0:
                break
            dx = solve(res.astype(float), trans="T" if trans else "N")
            x_new = x + dx
            res_new = b_ld - op @ x_new.astype(_LD)
            norm = float(np.abs(res_new).max())
            if not norm < 0.5 * best:
                if norm < best:
                    x, res, best = x_new, res_new, norm
                break
            x, res, best = x_new, res_new, norm
        return x, res

    # -- the solve --------------------------------------------------------------------------
    def solve(self, probs, jac=None, *, gamma: float, cost: float, probs_ld=None, no_rewards=False):
        """V (and ∇V = Jᵀ g when ``jac`` (k×p) = ∂π/∂θ is given) with error bounds.

        ``probs_ld``: the policy in extended precision when it was computed from θ (else
        the float ``probs`` are the model exactly); ``no_rewards`` drops R(b) (with
        cost −1 and γ = 1 the solution is E[T])."""
        import scipy.sparse.linalg as sla

        probs = np.asarray(probs, dtype=float)
        if probs_ld is None:
            probs_ld = probs.astype(_LD)
        keep = self._restrict(probs)
        A64, A_ld, r, (src, step, dst, ex_src, ex_step, ex_j) = self._system(
            probs_ld, gamma, cost, keep, no_rewards
        )
        n = A64.shape[0]
        try:
            lu = sla.splu(A64)
        except RuntimeError as err:  # "Factor is exactly singular"
            raise ArgumentError(
                f"the walk does not exit under policy {np.round(probs, 6).tolist()}: "
                f"I − γM is singular ({err})"
            ) from None
        v, res_v = self._refined(lu.solve, A_ld, r, trans=False)
        e0 = np.zeros(n, dtype=_LD)
        e0[0] = 1  # λ is state 0, and stays 0 after restriction (it is reachable)
        y, res_y = self._refined(lu.solve, A_ld, e0, trans=True)
        tau, res_t = self._refined(lu.solve, A_ld, np.ones(n, dtype=_LD), trans=False)
        rv = float(np.abs(res_v).max()) + _EPS_LD * 8 * (
            float(np.abs(r).max()) + 2 * float(np.abs(v).max())
        )
        ry = float(np.abs(res_y).sum()) + _EPS_LD * 8 * (1 + 2 * float(np.abs(y).sum()))
        rt = float(np.abs(res_t).max()) + _EPS_LD * 8 * (1 + 2 * float(np.abs(tau).max()))
        if not (rt < 0.5 and np.all(np.isfinite(v)) and np.all(np.isfinite(y))):
            raise AccuracyError(
                "the linear system is too ill-conditioned to bound its solution "
                f"(residual {rt:.2g}); use method='table'"
            )
        tau_max = float(np.abs(tau).max()) / (1.0 - rt)
        y_l1 = float(np.abs(y).sum()) + tau_max * ry
        err_v = y_l1 * rv
        value = float(v[0])
        if jac is None:
            return LinearResult(value, None, err_v, 0.0, float(tau[0]))
        # g_s = Σ_x y(x) q_s(x), q_s(x) = −c + R(b) (exit) or −c + γ v(x + s) (interior).
        # Sums over all states in extended precision: their rounding stays negligible.
        g_ld = np.zeros(self.k, dtype=_LD)
        qmax = np.zeros(self.k)
        gam = _LD(gamma)
        np.add.at(g_ld, step, y[src] * (gam * v[dst].astype(_LD) - _LD(cost)))
        np.add.at(g_ld, ex_step, y[ex_src] * (self.exit_rewards[ex_j].astype(_LD) - _LD(cost)))
        g = g_ld.astype(float)
        if len(step):
            np.maximum.at(qmax, step, np.abs(gamma * v[dst] - cost))
        if len(ex_step):
            np.maximum.at(qmax, ex_step, np.abs(self.exit_rewards[ex_j] - cost))
        jac = np.asarray(jac, dtype=float)
        grad = jac.T @ g
        err_g_s = tau_max * ry * qmax + y_l1 * gamma * tau_max * rv
        err_g = float((np.abs(jac).T @ err_g_s).max()) if jac.size else 0.0
        # The float products above add relative rounding of a few ε per term.
        err_g += 4 * (self.k + 2) * 2.0**-53 * float((np.abs(jac).T @ np.abs(g)).max())
        return LinearResult(value, grad, err_v, err_g, float(tau[0]))


__all__ = ["LinearResult", "LinearRoute"]
