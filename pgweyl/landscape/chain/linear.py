"""Linear solvers for the chain's systems (I − P) x = b, interruptible, with progress.

Measured on the triangle (ε = 0.01, degree-2 stencils, ~300 nonzeros per row before
lumping): a sparse LU (SuperLU) of 29 000 unknowns takes ~3 minutes and holds the GIL
for up to 25 s at a time, so it can neither be the large-grid solver nor be interrupted;
ILU(1e−4)+GMRES reaches only 6e−7 in 500 iterations; pyamg's smoothed aggregation,
Ruge–Stüben and AIR fail on these non-symmetric, long-range matrices (NaN in the coarse
levels, or no convergence). What works is geometric:

- **direct** (``splu``) on grids with few unknowns (the base of the hierarchy, and every
  1-D grid, whose matrices are narrow);
- **GMRES, right-preconditioned by a multigrid V-cycle** otherwise. The V-cycle runs on
  the grids of the hierarchy (each twice as coarse) with the *multilinear* operator of
  each grid (same landing points, weights ≥ 0: an M-matrix), symmetric Gauss–Seidel
  smoothing in the order of the distance to the absorbing set (so the slow drift into a
  maximum's neighbourhood is swept downstream, where Richardson or Jacobi stall) on the
  operator's rows stored in that order without their smallest weights, bilinear
  prolongation, averaging restriction, and an LU at the base. GMRES corrects the
  difference between the degree-2 operator it solves and the multilinear one inside the
  preconditioner (defect correction); that difference, not the V-cycle, sets the
  iteration count (four V-cycles per iteration instead of one: 117 iterations against
  119 on the 305² triangle grid). 201² (30 000 unknowns): ~100 iterations.

Long work runs in a worker thread while the main thread waits in short timeouts, so
Ctrl-C is delivered within a fraction of a second (GMRES checks a cancel flag each
iteration; the LU is only used where it is quick).
"""

from __future__ import annotations

import math
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from pgweyl.errors import AccuracyError

#: Unknowns up to which a grid is solved by sparse LU, per effective dimension. In 1-D
#: the matrices are banded (LU of 8 000 unknowns in well under a second); in 2-D the
#: long jumps make the fill explode (3 000 unknowns: ~0.3 s, 8 000: ~3 s, 29 000: 3 min).
DIRECT_LIMIT = {1: 40_000, 2: 3_000, 3: 3_000}

#: GMRES stops when ‖b − A x‖₂ ≤ RTOL · max(1, ‖b‖₂).
RTOL = 1e-11
RESTART = 40
MAX_ITERATIONS = 1_500

#: The smoother leaves out off-diagonal entries below this fraction of their row's
#: diagonal: on the 305² triangle grid (vanilla, lr 1, ε = σ(−8)) that is 70 % of the
#: entries and at most 0.3 % of a row's weight; GMRES took 119 iterations either way
#: (its residual test is on the full degree-2 operator: the smoother only preconditions)
#: and its solve went 5.8 → 3.4 s.
SMOOTHER_DROP = 1e-4


_LOCAL = threading.local()


class Progress:
    """Phases of one chain solve: a tqdm bar on a terminal, one stderr line per phase when
    piped, nothing when disabled. ``cancel``: the event of a solve running in the
    background (:class:`Background`), checked at every update (chunks of the
    assembly, GMRES iterations); None in the foreground, where Ctrl-C stops the solve."""

    def __init__(self, enabled):
        self.enabled = bool(enabled)
        self.tty = self.enabled and sys.stderr.isatty()
        self.bar = None
        self.t0 = time.perf_counter()
        self.cancel = getattr(_LOCAL, "cancel", None)

    def phase(self, name: str, total: int | None = None) -> None:
        self.close()
        if not self.enabled:
            return
        if self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=f"chain: {name}", leave=False)
        else:
            elapsed = time.perf_counter() - self.t0
            print(f"chain: {name} (at {elapsed:.1f} s)", file=sys.stderr, flush=True)

    def update(self, n: int = 1) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled
        if self.bar is not None:
            self.bar.update(n)

    def note(self, text: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(text, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def interruptible(cancel: threading.Event | None, fn, *args):
    """Run ``fn(*args)`` in a daemon thread; wait in 0.1 s steps so that KeyboardInterrupt
    reaches the caller at once (and sets ``cancel`` for the worker to stop)."""
    out = {}

    def target():
        try:
            out["value"] = fn(*args)
        except BaseException as exc:  # handed to the caller's thread
            out["error"] = exc

    worker = threading.Thread(target=target, daemon=True, name="pgweyl-chain")
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        if cancel is not None:
            cancel.set()
        raise
    if "error" in out:
        raise out["error"]
    return out["value"]


class Cancelled(Exception):
    """The caller was interrupted; the worker stops."""


def wait(future):
    """The value of a :class:`concurrent.futures.Future` (its exception raised here),
    waited for in 0.1 s steps so that Ctrl-C reaches the caller at once."""
    from concurrent.futures import TimeoutError as Pending

    while True:
        try:
            return future.result(timeout=0.1)
        except Pending:
            continue


class Background:
    """Calls started in up to ``workers`` daemon threads, to run beside work in this one:
    the chain solves of a study's cells beside their Monte Carlo runs. A solve is
    single-threaded (its batches serial, :func:`pgweyl.exact.kernels.serial_batches`)
    while the runs use every core, so on two cores a solve and the runs together take
    about the runs' time plus half the solve's instead of the sum, and two solves side
    by side about one's. Each worker's requests are checked against 1/``parts`` of the
    memory budget (default: one part per worker; :func:`pgweyl.budget.share`), so that
    the solves together — with the caller's, when it solves beside them — stay within it.

    :meth:`submit` returns a :class:`concurrent.futures.Future`; :meth:`result` waits
    for it in 0.1 s steps (Ctrl-C reaches the caller at once, and cancels);
    :meth:`cancel` stops every call at its next progress update (chunks of an
    assembly, GMRES iterations) and drops those not started. Used as a context manager
    it cancels when the block raises, and otherwise waits for its calls."""

    def __init__(self, workers: int = 1, parts: int | None = None):
        import queue

        self.parts = int(parts or workers)  # the budget's shares (pgweyl.budget.share)
        self.event = threading.Event()
        self.jobs = queue.SimpleQueue()
        self.futures = []
        self.threads = [
            threading.Thread(target=self._work, daemon=True, name=f"pgweyl-background-{i}")
            for i in range(max(1, int(workers)))
        ]
        for t in self.threads:
            t.start()

    @contextmanager
    def beside(self):
        """How a call runs beside the others — its batches serial, its share of the
        memory budget — in the workers, and in the caller's thread when it takes one on."""
        from pgweyl.budget import share
        from pgweyl.exact.kernels import serial_batches

        with serial_batches(), share(self.parts):
            yield

    def _work(self):
        _LOCAL.cancel = self.event
        with self.beside():
            while (job := self.jobs.get()) is not None:
                future, fn, args = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(fn(*args))
                except BaseException as exc:  # handed to the caller's thread
                    future.set_exception(exc)

    def submit(self, fn, *args):
        """Start ``fn(*args)`` when a worker is free; its Future."""
        from concurrent.futures import Future

        future = Future()
        self.futures.append(future)
        self.jobs.put((future, fn, args))
        return future

    def result(self, future):
        """The value of ``future`` (:func:`wait`); Ctrl-C cancels every call."""
        try:
            return wait(future)
        except KeyboardInterrupt:
            self.cancel()
            raise

    def close(self) -> None:
        """Wait for every call submitted, and end the workers."""
        for _ in self.threads:
            self.jobs.put(None)
        for t in self.threads:
            t.join()

    def cancel(self) -> None:
        """Stop the running calls, drop the waiting ones, and end the workers."""
        self.event.set()
        for f in self.futures:
            f.cancel()
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is None:
            self.close()
        else:
            self.cancel()
        return False


def lu(A):
    """SuperLU factorisation of A (any sparse format)."""
    import scipy.sparse.linalg as sla

    try:
        return sla.splu(A.tocsc())
    except RuntimeError as exc:  # SuperLU: "Factor is exactly singular"
        raise AccuracyError(
            f"the chain's system (I − P) of {A.shape[0]} unknowns is singular ({exc}): "
            "some nodes never leave and never absorb"
        ) from None


@dataclass
class Level:
    """One grid of the V-cycle: the multilinear operator ``A`` (CSR, sorted), its
    diagonal, the Gauss–Seidel order, and the transfer to the next coarser level
    (``prolong``: coarse unknowns → these unknowns; ``restrict``: its transpose,
    rows normalised). ``rows``: A's off-diagonal entries in the order the sweeps visit
    them, the smallest left out (:func:`visit_rows`), built on the first sweep (the base
    of the V-cycle is solved by its LU and never swept)."""

    A: object
    diag: np.ndarray
    order: np.ndarray
    prolong: object = None
    restrict: object = None

    @cached_property
    def rows(self) -> tuple:
        return visit_rows(self.A, self.order)


def visit_rows(A, order, drop: float = SMOOTHER_DROP) -> tuple:
    """(indptr, indices, data, diagonal) of the smoother: A's off-diagonal entries with
    |A_ij| ≥ ``drop`` |A_ii|, row kk that of unknown ``order[kk]``, columns ascending,
    and its diagonal entry. The sweeps then read memory in one direction and skip the
    far landing points' tiny weights (:data:`SMOOTHER_DROP`); the residual the V-cycle
    restricts is still formed with all of A."""
    import scipy.sparse as sp

    C = sp.csr_matrix(A).tocoo()
    diag = A.diagonal()
    keep = (C.row != C.col) & (np.abs(C.data) >= drop * np.abs(diag[C.row]))
    O = sp.csr_matrix((C.data[keep], (C.row[keep], C.col[keep])), shape=A.shape)[order]
    O.sort_indices()
    return O.indptr, O.indices, O.data, np.ascontiguousarray(diag[order])


def gs_order(system) -> np.ndarray:
    """Unknowns by increasing distance (in nodes) to the absorbing set."""
    from scipy import ndimage

    grid = system.grid
    absorbing = (system.label >= 0).reshape(grid.shape)
    if not absorbing.any():
        return np.arange(len(system.unknown), dtype=np.int64)
    dist = ndimage.distance_transform_edt(~absorbing).ravel()[system.unknown]
    return np.argsort(dist, kind="stable").astype(np.int64)


def transfer(fine, coarse):
    """Bilinear prolongation from ``coarse`` unknowns to ``fine`` unknowns (coarse nodes
    that are not unknowns carry no correction) and the averaging restriction."""
    import scipy.sparse as sp

    pts = fine.grid.mesh()[fine.unknown]
    idx, w = coarse.grid.stencil(pts, 1)
    col = coarse.pos[idx]
    ok = col >= 0
    rows = np.broadcast_to(np.arange(len(pts))[:, None], idx.shape)[ok]
    prolong = sp.csr_matrix((w[ok], (rows, col[ok])), shape=(len(pts), len(coarse.unknown)))
    restrict = prolong.T.tocsr()
    sums = np.asarray(restrict.sum(axis=1)).ravel()
    sums[sums == 0] = 1.0
    restrict = sp.diags(1.0 / sums) @ restrict
    return prolong, restrict.tocsr()


class VCycle:
    """x ≈ A₀⁻¹ r by one V-cycle over ``levels`` (finest first) with an LU at the base."""

    def __init__(self, levels, base_lu, sweeps: int = 1):
        self.levels = levels
        self.base = base_lu
        self.sweeps = sweeps

    def _smooth(self, lev, x, r):
        from pgweyl.landscape.chain._kernels import gs_backward, gs_forward

        for _ in range(self.sweeps):
            gs_forward(*lev.rows, x, r, lev.order)
            gs_backward(*lev.rows, x, r, lev.order)

    def apply(self, r, k: int = 0):
        if k == len(self.levels):
            return self.base.solve(r)
        lev = self.levels[k]
        x = np.zeros_like(r)
        self._smooth(lev, x, r)
        x += lev.prolong @ self.apply(lev.restrict @ (r - lev.A @ x), k + 1)
        self._smooth(lev, x, r)
        return x


def gmres(A, b, precond, x0, cancel, on_iteration=None):
    """Right-preconditioned restarted GMRES(RESTART) on A x = b from x0.

    Returns (x, iterations, converged). Stops when ‖b − A x‖₂ ≤ RTOL·max(1, ‖b‖₂)."""
    from pgweyl.landscape.chain._kernels import add_combination, arnoldi, norm2

    n = len(b)
    b = np.ascontiguousarray(b, dtype=float)
    target = RTOL * max(1.0, norm2(b))
    x = np.array(x0, dtype=float)
    its = 0
    while its < MAX_ITERATIONS:
        r = b - A @ x
        beta = norm2(r)
        if beta <= target:
            return x, its, True
        m = RESTART
        V = np.zeros((m + 1, n))
        Z = np.zeros((m, n))
        H = np.zeros((m + 1, m))
        cs, sn = np.zeros(m), np.zeros(m)
        g = np.zeros(m + 1)
        g[0] = beta
        V[0] = r / beta
        j_done = 0
        for j in range(m):
            if cancel is not None and cancel.is_set():
                raise Cancelled
            Z[j] = precond(V[j])
            arnoldi(V, A @ Z[j], H, j)
            for i in range(j):  # apply the previous rotations
                t = cs[i] * H[i, j] + sn[i] * H[i + 1, j]
                H[i + 1, j] = -sn[i] * H[i, j] + cs[i] * H[i + 1, j]
                H[i, j] = t
            denom = math.hypot(H[j, j], H[j + 1, j])
            cs[j], sn[j] = (1.0, 0.0) if denom == 0 else (H[j, j] / denom, H[j + 1, j] / denom)
            H[j, j] = denom
            H[j + 1, j] = 0.0
            g[j + 1] = -sn[j] * g[j]
            g[j] = cs[j] * g[j]
            its += 1
            j_done = j + 1
            if on_iteration is not None:
                on_iteration(abs(g[j + 1]))
            if abs(g[j + 1]) <= target or H[j, j] == 0:
                break
        if j_done:
            y = np.linalg.solve(np.triu(H[:j_done, :j_done]), g[:j_done])
            add_combination(x, y, Z)
    return x, its, norm2(b - A @ x) <= target


def solve_direct(A, B):
    """X with A X = B by sparse LU (all right-hand sides at once)."""
    return lu(A).solve(np.asarray(B, dtype=float))


def solve_iterative(A, B, precond, X0, cancel, progress):
    """Each column of B by :func:`gmres`; returns (X, iterations) or raises AccuracyError.

    The columns are absorption probabilities into each maximum, which sum to 1 up to the
    leak: the last one starts from 1 − (sum of the others) and needs few iterations."""
    X = np.array(X0, dtype=float, copy=True)
    total = 0
    for j in range(B.shape[1]):
        if j == B.shape[1] - 1 and j > 0:
            X[:, j] = 1.0 - X[:, :j].sum(axis=1)
        x, its, ok = gmres(
            A,
            B[:, j],
            precond,
            X[:, j],
            cancel,
            on_iteration=lambda res: (progress.update(1), progress.note(f"residual {res:.1e}")),
        )
        total += its
        if not ok:
            raise AccuracyError(
                f"GMRES did not reach a residual of {RTOL:g} in {MAX_ITERATIONS} iterations "
                f"({A.shape[0]} unknowns)"
            )
        X[:, j] = x
    return X, total


__all__ = [
    "DIRECT_LIMIT",
    "Background",
    "Cancelled",
    "Level",
    "Progress",
    "VCycle",
    "gmres",
    "gs_order",
    "interruptible",
    "lu",
    "solve_direct",
    "solve_iterative",
    "transfer",
    "visit_rows",
    "wait",
]
