"""Numba kernels of the chain solver's smoother and GMRES (imported lazily: ``import
pgweyl`` stays free of Numba).

The smoother reads a level's off-diagonal entries stored row by row in the order the
sweep visits them (:func:`pgweyl.landscape.chain.linear.visit_rows`): the Gauss–Seidel
order follows the distance to the absorbing set, not the grid's numbering, and rows
gathered from all over the matrix left the memory prefetcher idle (16 ms against 6.4 ms
per sweep on the 305² triangle grid, 4.7 million entries). The backward sweep reads each
row from its end, so that memory is read in one direction there too.

GMRES's vector work is written out here instead of NumPy's dot and norm: those call
OpenBLAS, whose threads spin after each call and doubled the CPU time of a solve without
shortening it."""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True, nogil=True)
def gs_forward(indptr, indices, data, diag, x, b, order):
    """One forward Gauss–Seidel sweep on A x = b, in place: for kk = 0, 1, …, with
    i = order[kk], x_i ← (b_i − Σ_j O_kk,j x_j) / diag_kk, where row kk of the CSR
    (indptr, indices, data) holds A's off-diagonal entries of row i and diag_kk = A_ii."""
    for kk in range(order.shape[0]):
        i = order[kk]
        s = b[i]
        for p in range(indptr[kk], indptr[kk + 1]):
            s -= data[p] * x[indices[p]]
        x[i] = s / diag[kk]


@njit(cache=True, nogil=True)
def gs_backward(indptr, indices, data, diag, x, b, order):
    """The sweep of :func:`gs_forward` in reverse: kk = n − 1, …, 0, each row summed from
    its last entry."""
    n = order.shape[0]
    for m in range(n):
        kk = n - 1 - m
        i = order[kk]
        s = b[i]
        for p in range(indptr[kk + 1] - 1, indptr[kk] - 1, -1):
            s -= data[p] * x[indices[p]]
        x[i] = s / diag[kk]


@njit(cache=True, nogil=True)
def norm2(x):
    """‖x‖₂ (serial sum of squares)."""
    s = 0.0
    for t in range(x.shape[0]):
        s += x[t] * x[t]
    return math.sqrt(s)


@njit(cache=True, nogil=True)
def arnoldi(V, w, H, j):
    """Modified Gram–Schmidt of w against V[0..j] into column j of H, and
    V[j+1] = w / H[j+1, j] when that norm is positive (w is overwritten)."""
    n = w.shape[0]
    for i in range(j + 1):
        s = 0.0
        for t in range(n):
            s += w[t] * V[i, t]
        H[i, j] = s
        for t in range(n):
            w[t] -= s * V[i, t]
    h = norm2(w)
    H[j + 1, j] = h
    if h > 0:
        for t in range(n):
            V[j + 1, t] = w[t] / h


@njit(cache=True, nogil=True)
def add_combination(x, y, Z):
    """x += Σ_i y_i Z[i], in place."""
    for i in range(y.shape[0]):
        yi = y[i]
        for t in range(x.shape[0]):
            x[t] += yi * Z[i, t]
