"""First-passage tables F_n(λ, b) (THEORY §4).

    F_n(λ, b) = Σ_{s ∈ S, b − s interior} C_{n−1}(λ, b − s)

is the number of n-step paths from λ that stay in the open alcove at steps 0..n−1 and
are at the exit point b at step n. Two routes, sharing no code:

- :func:`first_passage_transfer`: e_λᵀ M^{n−1} B on the reachable interior graph, in
  exact Python integers;
- :func:`first_passage_reflection`: the reflection-principle counts C_{n−1}(λ, ·) of
  :mod:`pgweyl.weyl.reflection`, summed over the predecessors b − s.

:class:`LogTable` is the numeric form used for every θ: rows of
log q_n(b) = log(F_n(b) / |S|^n) (the exit law of the uniform policy) and of the
survival counts log(C_n(λ, x) / |S|^n), extended on demand.
"""

from __future__ import annotations

import math

import numpy as np

from pgweyl import config
from pgweyl.errors import ArgumentError
from pgweyl.weyl.paths import endpoints_at
from pgweyl.weyl.reflection import count_paths_reflection

LN2 = math.log(2.0)


def _check_n_max(n_max) -> int:
    if isinstance(n_max, bool) or not isinstance(n_max, (int, np.integer)) or n_max < 0:
        raise ArgumentError(f"n_max must be a non-negative integer, got {n_max!r}")
    return int(n_max)


class _Pull:
    """Index arrays so that one transfer step is a gather-and-sum (works on object arrays).

    ``interior[k]`` lists the states i with an edge i → k (padded with the sentinel N,
    whose value is kept 0); ``exits[j]`` lists the states i with a step leaving to exit
    point j, once per such step."""

    def __init__(self, env):
        g = env.graph
        n_states = len(g.states)
        exit_index = {tuple(b): j for j, b in enumerate(env.exit_points.tolist())}
        into = [[] for _ in range(n_states)]
        out = [[] for _ in range(len(exit_index))]
        for i, (row, ex) in enumerate(zip(g.succ, g.exits)):
            for k, e in zip(row, ex):
                if k >= 0:
                    into[k].append(i)
                else:
                    out[exit_index[e]].append(i)
        self.n_states = n_states
        self.interior = self._pad(into, n_states)
        self.exits = self._pad(out, n_states)

    @staticmethod
    def _pad(lists, sentinel) -> np.ndarray:
        width = max(1, max((len(x) for x in lists), default=1))
        arr = np.full((len(lists), width), sentinel, dtype=np.int64)
        for r, x in enumerate(lists):
            arr[r, : len(x)] = x
        return arr


def first_passage_transfer(env, n_max) -> np.ndarray:
    """F[n, j] for n = 0..n_max and exit point j of ``env.exit_points`` (exact ints)."""
    n_max = _check_n_max(n_max)
    pull = _Pull(env)
    F = np.zeros((n_max + 1, len(env.exit_points)), dtype=object)
    F[:] = 0
    v = np.zeros(pull.n_states + 1, dtype=object)
    v[:] = 0
    v[0] = 1  # state 0 is the start
    for n in range(1, n_max + 1):
        F[n] = v[pull.exits].sum(axis=1)
        v[:-1] = v[pull.interior].sum(axis=1)
    return F


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


def _log_ratio(x: int, denom: int, denom_bits: int) -> float:
    """log(x / denom) for big integers, correctly rounded quotient before the log."""
    if x == 0:
        return -math.inf
    s = denom_bits - x.bit_length()
    return math.log((x << s) / denom) - s * LN2 if s >= 0 else math.log(x / denom)


class LogTable:
    """Growing rows of log(F_n / |S|^n) (exits) and log(C_n / |S|^n) (interior states).

    Rows are exact (big-integer arithmetic, logs of correctly rounded quotients) while
    |S|^n has at most ``config.EXACT_BITS_LIMIT`` bits, then continue in floats scaled by
    powers of two (no underflow; relative error ≤ (n − n0)(|S| − 1)ε beyond row n0).
    Row n = 0 has log q = −inf for every exit and 0 at the start state."""

    def __init__(self, env):
        self.pull = _Pull(env)
        self.k = len(env.steps.vectors)
        self.n_exit = len(env.exit_points)
        self.n_states = self.pull.n_states
        self.exit_rows = [np.full(self.n_exit, -math.inf)]
        start_row = np.full(self.n_states, -math.inf)
        start_row[0] = 0.0
        self.surv_rows = [start_row]
        self._v = np.zeros(self.n_states + 1, dtype=object)
        self._v[:] = 0
        self._v[0] = 1
        self._float = None  # (w, e): survival = w · 2^e / ... once in float mode
        self.exact_rows = None  # last exact row once the float continuation began
        self._cache = None

    @property
    def rows(self) -> int:
        """Number of rows (n = 0..rows−1)."""
        return len(self.exit_rows)

    def max_rows(self) -> int:
        per_row = self.n_states + self.n_exit
        return int(min(config.MAX_TABLE_ROWS, config.MAX_TABLE_ENTRIES // max(per_row, 1)))

    def extend(self, rows: int) -> None:
        """Grow the table to ``rows`` rows (capped by :meth:`max_rows`)."""
        rows = min(rows, self.max_rows())
        pull = self.pull
        while self.rows < rows:
            n = self.rows  # computing row n from the survival vector at n − 1
            if self._float is None and n * math.log2(self.k) <= config.EXACT_BITS_LIMIT:
                v = self._v
                denom = self.k**n
                dbits = denom.bit_length()
                ex = v[pull.exits].sum(axis=1)
                v[:-1] = v[pull.interior].sum(axis=1)
                self.exit_rows.append(np.array([_log_ratio(x, denom, dbits) for x in ex]))
                self.surv_rows.append(np.array([_log_ratio(x, denom, dbits) for x in v[:-1]]))
                continue
            if self._float is None:
                self._float = self._to_scaled(self._v[:-1], self.k ** (n - 1))
                self.exact_rows = n - 1
            w, e = self._float
            # One step of the uniform walk: exit and survival mass both get a factor 1/|S|.
            w_ext = np.append(w, 0.0)
            ex = w_ext[pull.exits].sum(axis=1) / self.k
            w = w_ext[pull.interior].sum(axis=1) / self.k
            top = w.max()
            if 0.0 < top < 2.0**-600:  # renormalise by an exact power of two
                shift = -int(math.floor(math.log2(top)))
                w = np.ldexp(w, shift)
                ex = np.ldexp(ex, shift)
                e -= shift
            with np.errstate(divide="ignore"):
                self.exit_rows.append(np.log(ex) + e * LN2)
                self.surv_rows.append(np.log(w) + e * LN2)
            self._float = (w, e)
        self._cache = None

    @staticmethod
    def _to_scaled(ints, denom: int):
        """C/denom as w · 2^e with w floats of order ≤ 1 (correctly rounded)."""
        top = max(int(x).bit_length() for x in ints)
        e = top - denom.bit_length()
        if e <= 0:
            w = np.array([(int(x) << -e) / denom for x in ints])
        else:
            w = np.array([int(x) / (denom << e) for x in ints])
        return w, e

    def arrays(self):
        """(exit log table rows×n_exit, survival log table rows×n_states), cached."""
        if self._cache is None or self._cache[0].shape[0] != self.rows:
            self._cache = (np.vstack(self.exit_rows), np.vstack(self.surv_rows))
        return self._cache


__all__ = ["LogTable", "first_passage_reflection", "first_passage_transfer"]
