"""First-passage tables F_n(λ, b) (THEORY §4).

    F_n(λ, b) = Σ_{s ∈ S, b − s interior} C_{n−1}(λ, b − s)

is the number of n-step paths from λ that stay in the open alcove at steps 0..n−1 and
are at the exit point b at step n. Two routes, sharing no code:

- :func:`first_passage_transfer`: e_λᵀ M^{n−1} B on the reachable step graph
  (:class:`pgweyl.weyl.step_graph.StepGraph`), in exact Python integers;
- :func:`first_passage_reflection`: the reflection-principle counts C_{n−1}(λ, ·) of
  :mod:`pgweyl.weyl.reflection`, summed over the predecessors b − s.

:class:`LogTable` is the numeric form used for every θ: rows of
log q_n(b) = log(F_n(b) / |S|^n) (the exit law of the uniform policy) and of the
survival counts log(C_n(λ, x) / |S|^n), extended on demand, in floats with a stated
relative error.
"""

from __future__ import annotations

import math

import numpy as np

from pgweyl import config
from pgweyl.budget import require
from pgweyl.errors import ArgumentError
from pgweyl.weyl.paths import endpoints_at
from pgweyl.weyl.reflection import count_paths_reflection


def _check_n_max(n_max) -> int:
    if isinstance(n_max, bool) or not isinstance(n_max, (int, np.integer)) or n_max < 0:
        raise ArgumentError(f"n_max must be a non-negative integer, got {n_max!r}")
    return int(n_max)


def first_passage_transfer(env, n_max) -> np.ndarray:
    """F[n, j] for n = 0..n_max and exit point j of ``env.exit_points`` (exact ints).

    Python integers on the step graph: the survival counts v_n = e_λᵀ M^n, and
    F_{n+1}(b) = Σ over moves x → b of v_n(x)."""
    n_max = _check_n_max(n_max)
    g = env.graph
    _require_int_table(env, n_max)
    src, step, dst = g.interior_edges()
    ex_src, _, ex_j = g.exit_pairs.T
    F = np.zeros((n_max + 1, g.n_exits), dtype=object)
    F[:] = 0
    v = np.zeros(g.n_states, dtype=object)
    v[:] = 0
    v[0] = 1  # state 0 is the start
    for n in range(1, n_max + 1):
        row = np.zeros(g.n_exits, dtype=object)
        row[:] = 0
        np.add.at(row, ex_j, v[ex_src])
        F[n] = row
        nxt = np.zeros(g.n_states, dtype=object)
        nxt[:] = 0
        np.add.at(nxt, dst, v[src])
        v = nxt
    return F


def _require_int_table(env, n_max: int) -> None:
    """An exact table holds (n_max + 1) × exits Python ints of up to n log2|S| bits."""
    k = len(env.steps.vectors)
    bits = n_max * math.log2(k) + 64
    cells = (n_max + 1) * (len(env.exit_points) + len(env.states) / max(n_max, 1))
    require(
        cells * (bits / 8 + 32),
        f"an exact first-passage table of {n_max + 1} rows × {len(env.exit_points)} exit points",
        "ask for fewer rows (n_max)",
    )


def first_passage_reflection(env, n_max) -> np.ndarray:
    """F[n, j] by the reflection route: C_{n−1}(λ, b − s) summed over steps s."""
    n_max = _check_n_max(n_max)
    alcove, steps, lam = env.alcove, env.steps, env.start
    F = np.zeros((n_max + 1, len(env.exit_points)), dtype=object)
    F[:] = 0
    preds = [[alcove.representative(b - s) for s in steps.vectors] for b in env.exit_points]
    for n in range(1, n_max + 1):
        ends = endpoints_at(alcove, steps, lam, n - 1)
        counts = count_paths_reflection(alcove, steps, lam, ends, n - 1)
        by_rep = {tuple(alcove.representative(mu).tolist()): c for mu, c in zip(ends, counts)}
        for j, plist in enumerate(preds):
            F[n, j] = sum(by_rep.get(tuple(p.tolist()), 0) for p in plist)
    return F


#: Unit roundoff of float64 (2^−53).
UNIT_ROUNDOFF = 2.0**-53


def _enlarge(arr: np.ndarray, size: int) -> np.ndarray:
    """A larger copy of ``arr`` (the tail uninitialised: it is written before it is read)."""
    out = np.empty(size, dtype=arr.dtype)
    out[: len(arr)] = arr
    return out


class LogTable:
    """Growing rows of the uniform walk: log q_n(b) = log(F_n(b)/|S|^n) at the exit
    points (the *cells*) and log(C_n(λ, x)/|S|^n) at the interior states (the survival
    rows), n = 0..rows−1, stored sparsely (only non-zero entries, CSR by row).

    Rows are computed by :func:`pgweyl.exact.kernels.advance_rows` in double-double
    arithmetic and rounded once when stored, so every entry is within
    :meth:`relative_error` ≈ ε = 2^−53 of the exact ratio; masses are renormalised by exact
    powers of two, so nothing underflows. Cells are kept both as logs (for the batched
    tilt) and as mantissa × 2^scale (for V and ∇V, whose rounding bound then does not grow
    with |log q|). Row 0 is the start state
    with log q = 0 and no cell. Memory is checked against ``config.MEMORY_BUDGET``
    before every growth.

    Attributes (read them through :meth:`cells` and :meth:`survival_row`):
    ``exit_ptr``, ``exit_idx``, ``exit_val`` and ``surv_ptr``, ``surv_idx``, ``surv_val``.
    """

    def __init__(self, graph, k: int):
        self.graph = graph
        self.k = int(k)
        n = graph.n_states
        self._w = np.zeros((n, 2))  # double-double masses (hi, lo)
        self._w[0, 0] = 1.0
        self._w_next = np.zeros((n, 2))
        self._active = np.zeros(2 * n, dtype=np.int64)
        self._n_active = 1
        self._scale = 0
        self._mark = np.full(n, -1, dtype=np.int64)
        self._exit_acc = np.zeros((graph.n_exits, 2))
        self._exit_mark = np.full(graph.n_exits, -1, dtype=np.int64)
        self._exit_list = np.zeros(graph.n_exits, dtype=np.int64)
        self.surv_ptr = np.zeros(2, dtype=np.int64)
        self.surv_idx = np.zeros(max(16, n), dtype=np.int64)
        self.surv_val = np.zeros(max(16, n))
        self.surv_ptr[1] = 1  # row 0: the start
        self.exit_ptr = np.zeros(2, dtype=np.int64)
        self.exit_idx = np.zeros(max(16, graph.n_exits), dtype=np.int64)
        self.exit_val = np.zeros(max(16, graph.n_exits))
        self.exit_w = np.zeros(max(16, graph.n_exits))
        self.row_scale = np.zeros(2, dtype=np.int64)
        self._rows = 1

    @property
    def rows(self) -> int:
        """Number of rows (n = 0..rows−1)."""
        return self._rows

    def relative_error(self, n: int) -> float:
        """Bound on the relative error of any stored mantissa of rows ≤ n: one rounding of
        a double-double accumulation (relative error ≤ n (2|S| + 4) ε² before it)."""
        return UNIT_ROUNDOFF + n * (2 * self.k + 4) * UNIT_ROUNDOFF**2

    def nbytes(self) -> int:
        arrays = (self.surv_idx, self.surv_val, self.exit_idx, self.exit_val, self.exit_w)
        return sum(a.nbytes for a in arrays)

    def max_rows(self) -> int:
        return int(config.MAX_TABLE_ROWS)

    def _grow(self, surv_need: int, exit_need: int, rows_need: int) -> None:
        """Enlarge the buffers (doubling) after a budget check."""
        new_s = max(len(self.surv_idx), 1)
        while new_s < surv_need:
            new_s *= 2
        new_e = max(len(self.exit_idx), 1)
        while new_e < exit_need:
            new_e *= 2
        require(
            16 * new_s + 24 * new_e + 24 * rows_need,
            f"a first-passage table of {rows_need} rows over {self.graph.n_states} states",
            "raise tol, lower gamma, or use method='linear'",
        )
        if new_s > len(self.surv_idx):
            self.surv_idx = _enlarge(self.surv_idx, new_s)
            self.surv_val = _enlarge(self.surv_val, new_s)
        if new_e > len(self.exit_idx):
            self.exit_idx = _enlarge(self.exit_idx, new_e)
            self.exit_val = _enlarge(self.exit_val, new_e)
            self.exit_w = _enlarge(self.exit_w, new_e)
        if rows_need + 1 > len(self.surv_ptr):
            size = max(rows_need + 1, 2 * len(self.surv_ptr))
            self.surv_ptr = _enlarge(self.surv_ptr, size)
            self.exit_ptr = _enlarge(self.exit_ptr, size)
            self.row_scale = _enlarge(self.row_scale, size)

    def extend(self, rows: int) -> None:
        """Grow the table to at least ``rows`` rows (capped by :meth:`max_rows`)."""
        from pgweyl.exact.kernels import RowOut, RowWork, advance_rows

        rows = min(int(rows), self.max_rows())
        g = self.graph
        if rows > self._rows:
            # Refuse before computing: the survival support rarely shrinks, so the rows to
            # come hold at least about half the current row's entries each.
            used = int(self.surv_ptr[self._rows]) + int(self.exit_ptr[self._rows])
            ahead = (rows - self._rows) * (self._n_active // 2)
            require(
                16 * (used + ahead),
                f"a first-passage table of {rows} rows over {g.n_states} states",
                "raise tol, lower gamma, or use method='linear'",
            )
        while self._rows < rows:
            todo = rows - self._rows
            s_used = int(self.surv_ptr[self._rows])
            e_used = int(self.exit_ptr[self._rows])
            # Room for all the rows asked (the support grows by at most one layer of
            # states per row), within the budget; the kernel stops early if it is short.
            per_row = min(g.n_states, self._n_active * self.k + todo)
            self._grow(
                max(s_used + per_row * todo + 16, len(self.surv_idx)),
                max(e_used + g.n_exits * todo + 16, len(self.exit_idx)),
                rows,
            )
            done, self._n_active, self._scale, _, _ = advance_rows(
                g.succ,
                self.k,
                self._scale,
                self._n_active,
                self._rows,
                todo,
                RowWork(
                    self._w,
                    self._active,
                    self._w_next,
                    self._mark,
                    self._exit_acc,
                    self._exit_mark,
                    self._exit_list,
                ),
                RowOut(
                    self.surv_ptr,
                    self.surv_idx,
                    self.surv_val,
                    self.exit_ptr,
                    self.exit_idx,
                    self.exit_val,
                    self.exit_w,
                    self.row_scale,
                ),
            )
            self._rows += done
            if done == 0:  # no room for even one row: force a larger buffer next time
                self._grow(2 * len(self.surv_idx), 2 * len(self.exit_idx), rows)

    def cells(self, n_max: int):
        """(n, exit index, log q) of every cell with n ≤ n_max, by row then exit index."""
        end = int(self.exit_ptr[n_max + 1])
        counts = np.diff(self.exit_ptr[: n_max + 2])
        n = np.repeat(np.arange(n_max + 1, dtype=np.int64), counts)
        return n, self.exit_idx[:end], self.exit_val[:end]

    def cell_mantissas(self, n_max: int):
        """(mantissa, power of two) of every cell with n ≤ n_max: q = w · 2^scale."""
        end = int(self.exit_ptr[n_max + 1])
        counts = np.diff(self.exit_ptr[: n_max + 2])
        return self.exit_w[:end], np.repeat(self.row_scale[: n_max + 1], counts)

    def cell_count(self, n_max: int) -> int:
        return int(self.exit_ptr[n_max + 1])

    def survival_row(self, n: int):
        """(state indices, log(C_n(λ, x)/|S|^n)) of row n."""
        a, b = int(self.surv_ptr[n]), int(self.surv_ptr[n + 1])
        return self.surv_idx[a:b], self.surv_val[a:b]

    def dense_exit_rows(self, n_max: int) -> np.ndarray:
        """Rows 0..n_max of log q_n(b) as a dense array (−inf where F_n(b) = 0); tests."""
        out = np.full((n_max + 1, self.graph.n_exits), -math.inf)
        n, j, v = self.cells(n_max)
        out[n, j] = v
        return out


__all__ = ["LogTable", "first_passage_reflection", "first_passage_transfer"]
