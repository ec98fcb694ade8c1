"""Numba kernel of the chain solver's smoother (imported lazily: ``import pgweyl`` stays
free of Numba)."""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True)
def gauss_seidel(indptr, indices, data, diag, x, b, order, forward):
    """One Gauss–Seidel sweep on A x = b (CSR) visiting rows in ``order`` (reversed when
    not ``forward``): x_i ← (b_i − Σ_{j≠i} A_ij x_j) / A_ii, in place."""
    n = order.shape[0]
    for kk in range(n):
        i = order[kk] if forward else order[n - 1 - kk]
        s = b[i]
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if j != i:
                s -= data[p] * x[j]
        x[i] = s / diag[i]
