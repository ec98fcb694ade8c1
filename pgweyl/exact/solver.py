"""ExactSolver: every exact quantity of one environment, with an error bound.

Two routes that share no code compute V and ∇V:

- ``"table"`` (policy ``exp``): tilt the first-passage log table (THEORY §4),
  P = F · exp((θ, b − λ) − n A(θ)), and sum the cells up to the smallest N whose
  truncation and rounding bounds (:mod:`pgweyl.exact.bounds`) are within tol; ∇V by the
  policy-gradient identity ∇V = Σ P G ((b − λ) − n ∇A(θ)) (THEORY §5). For γ < 1 the
  discount alone caps N (the *discount horizon*), whatever the tail.
- ``"linear"`` (any policy): the absorbing-chain solve and its adjoint
  (:mod:`pgweyl.exact.linear`), with bounds from residuals in extended precision.

``method="auto"`` picks the cheaper route per environment and request (γ = 1, softmax,
or a table that would not fit → linear; otherwise table) and falls back to the other when
the first cannot reach tol. No number is returned whose bound exceeds tol:
:class:`pgweyl.AccuracyError` says what was reached instead.

The same solver owns the batched tilt used by the layers above (the chain solver, the
exact sampler, plots): :meth:`ExactSolver.tilt`, :meth:`~ExactSolver.cells`,
:meth:`~ExactSolver.log_cell_probs`, :meth:`~ExactSolver.log_tails`,
:meth:`~ExactSolver.common_truncation`, :meth:`~ExactSolver.sampler_tables`. Which
truncation each uses: V and ∇V — the error bound; the value distribution, the chain
solver and the sampler — the tail mass P(T > N) ≤ tol (they need the law itself; the
sampler walks on beyond its table, so its law is exact for any N).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from pgweyl import config, validate
from pgweyl.budget import limit, require
from pgweyl.errors import AccuracyError, ArgumentError, ResourceError
from pgweyl.exact import bounds
from pgweyl.exact.distribution import ValueDistribution
from pgweyl.exact.tables import LogTable, first_passage_reflection, first_passage_transfer
from pgweyl.exact.tilted import TiltedTransfer, TruncationWarning

COUNT_METHODS = ("transfer", "reflection")
VALUE_METHODS = ("auto", "table", "linear")
_EPS = bounds.EPS
#: Relative error (to |A| + 1) of Ā = A − log|S| computed in longdouble (a few ulps).
_ABAR_ERROR = 4e-19


@dataclass(frozen=True, repr=False)
class ExactValue:
    """V(θ) and ∇V(θ) with the bounds the route guarantees.

    ``error_value`` bounds |V − value| and ``error_grad`` every |∂_k V − grad[k]|; both
    are ≤ ``tol``. ``method`` is the route used ("table" or "linear"), ``n_max`` the
    last table row used (table route)."""

    theta: np.ndarray
    value: float
    grad: np.ndarray | None
    error_value: float
    error_grad: float | None
    method: str
    n_max: int | None
    tol: float

    def to_dict(self) -> dict:
        return {
            "theta": self.theta.tolist(),
            "value": self.value,
            "grad": None if self.grad is None else self.grad.tolist(),
            "error_value": self.error_value,
            "error_grad": self.error_grad,
            "method": self.method,
            "n_max": self.n_max,
            "tol": self.tol,
        }

    def __repr__(self) -> str:
        g = "" if self.grad is None else f", grad={np.array2string(self.grad, precision=10)}"
        return (
            f"ExactValue(value={self.value:.15g}{g}, error ≤ {self.error_value:.2g}, "
            f"method={self.method!r})"
        )


@dataclass(frozen=True)
class Cells:
    """θ-independent data of the cells (n, b) with F_n(b) > 0 and n ≤ ``n_max``, ordered
    by n then exit index: ``n``, ``exit`` (row of env.exit_points), ``logq`` =
    log(F_n(b)/|S|^n) = log(w · 2^scale) (``w`` the mantissa), ``disp`` = b − λ in full
    coordinates, ``delta`` = rep(b) − rep(λ) (the tilt direction for gauge-fixed θ),
    ``reward`` R(b),
    ``ret`` G(b, n), ``mag`` (a bound of |G| for the rounding bound), ``dnorm`` = ‖δ‖₂,
    ``logq_absmax`` (running max of |log q|)."""

    n_max: int
    n: np.ndarray
    exit: np.ndarray
    logq: np.ndarray
    w: np.ndarray
    scale: np.ndarray
    disp: np.ndarray
    delta: np.ndarray
    reward: np.ndarray
    ret: np.ndarray
    mag: np.ndarray
    dnorm: np.ndarray
    logq_absmax: np.ndarray

    def __len__(self) -> int:
        return len(self.n)


@dataclass(frozen=True)
class SamplerTables:
    """What the exact sampler of :mod:`pgweyl.sim` needs (tilted in its kernel at each θ):
    the cells up to ``n_table`` (``cells``, exit points ``cell_pt`` in full coordinates)
    and the survival row ``n_table`` (``state_logq``, ``state_delta``, full coordinates
    ``state_pt`` and wall slacks ``state_slack``) to walk on from."""

    n_table: int
    cells: Cells
    cell_pt: np.ndarray
    state_logq: np.ndarray
    state_delta: np.ndarray
    state_pt: np.ndarray
    state_slack: np.ndarray
    gauge: bool
    log_k: float
    vectors_f: np.ndarray


def _check_tol(tol) -> float:
    return validate.tol(tol)


def _tail_criterion(tol: float) -> tuple:
    """The truncation criterion S_N ≤ tol of :meth:`ExactSolver._search` (γ = 1, no
    cost, R_max = 1: the bound on V is the tail itself)."""
    return (1.0, 0.0, 1.0, 0.0, tol, False)


class ExactSolver:
    """Exact value distribution, V and ∇V (with bounds) and the batched tilt of one env."""

    def __init__(self, env):
        self.env = env
        self.graph = env.graph
        self.k = len(env.steps.vectors)
        self.log_k = math.log(self.k)
        self.vectors_f = np.ascontiguousarray(env.steps.vectors, dtype=float)
        self.exp = env.policy_kind == "exp"
        self.gauge = bool(env.gauge) and self.exp
        alc = env.alcove
        lam = alc.representative(env.start).astype(float)
        self.exit_delta = np.ascontiguousarray(alc.representative(env.exit_points) - lam)
        self.state_delta = np.ascontiguousarray(env.states.astype(float) - lam)
        self.exit_delta.setflags(write=False)
        self.state_delta.setflags(write=False)
        self.r_max = float(np.abs(env.exit_rewards).max()) if len(env.exit_rewards) else 0.0
        self.delta_absmax = float(np.abs(self.state_delta).max()) if self.graph.n_states else 0.0
        self.delta_absmax = max(self.delta_absmax, float(np.abs(self.exit_delta).max()))
        self._table = None
        self._tilted = None
        self._linear = None
        self._cells = None
        self._hint = 16
        self._caps = {}
        self._vectors_ld = self.vectors_f.astype(np.longdouble)
        self._log_k_ld = np.log(np.longdouble(self.k))
        self._prefix = {}
        self._dist_parts = {}
        self._orders = {}
        self._scratch = np.zeros(env.alcove.dim)

    # -- the routes' data --------------------------------------------------------------------
    @property
    def table(self) -> LogTable:
        if self._table is None:
            self._table = LogTable(self.graph, self.k)
        return self._table

    @property
    def tilted(self) -> TiltedTransfer:
        if self._tilted is None:
            self._tilted = TiltedTransfer(self.env)
        return self._tilted

    @property
    def linear(self):
        if self._linear is None:
            from pgweyl.exact.linear import LinearRoute

            self._linear = LinearRoute(self.env)
        return self._linear

    # -- integer tables ----------------------------------------------------------------------
    def first_passage_counts(self, n_max, method="transfer"):
        method = validate.choice("method", method, COUNT_METHODS)
        route = first_passage_transfer if method == "transfer" else first_passage_reflection
        return self.env.exit_points.copy(), route(self.env, n_max)

    # -- the batched tilt (the only place the formula is evaluated) -------------------------------
    def _require_exp(self, what: str) -> None:
        if not self.exp:
            raise ArgumentError(
                f"{what} tilts the first-passage table, which is the law only for policy "
                "'exp'; softmax uses the linear route or the weighted transfer"
            )

    def tilt(self, thetas):
        """(θ_c, Ā) for a stack of θ (m×d or d): gauge-fixed θ and Ā = A(θ_c) − log|S|."""
        from pgweyl.exact.kernels import tilt_rows

        self._require_exp("the tilt")
        th = np.ascontiguousarray(np.atleast_2d(np.asarray(thetas, dtype=float)))
        out = np.empty_like(th)
        abar = np.empty(len(th))
        tilt_rows(th, self.gauge, self.vectors_f, self.log_k, out, abar)
        return out, abar

    def ensure_rows(self, rows: int) -> None:
        """Grow the log table to at least ``rows`` rows."""
        if self.table.rows < rows:
            self.table.extend(max(rows, min(2 * self.table.rows, config.MAX_TABLE_ROWS)))
            if self.table.rows < rows:
                raise ResourceError(
                    f"the first-passage table is capped at {self.table.rows} rows "
                    "(pgweyl.config.MAX_TABLE_ROWS)"
                )

    def cells(self, n_max: int) -> Cells:
        """The θ-independent cell data for rows ≤ n_max (cached; prefixes are slices)."""
        n_max = int(n_max)
        self.ensure_rows(n_max + 1)
        if self._cells is None or self._cells.n_max < n_max:
            env = self.env
            top = max(n_max, 2 * (self._cells.n_max if self._cells else 0))
            top = min(top, self.table.rows - 1)
            n, j, logq = self.table.cells(top)
            w, scale = self.table.cell_mantissas(top)
            reward = env.exit_rewards[j]
            h = n.astype(float) if env.gamma == 1.0 else np.full(len(n), 1.0 / (1.0 - env.gamma))
            self._cells = Cells(
                n_max=top,
                n=n,
                exit=j,
                logq=logq,
                w=w,
                scale=scale,
                disp=np.ascontiguousarray(
                    env.full_points(env.exit_points[j], n) - env.start, dtype=float
                ),
                delta=np.ascontiguousarray(self.exit_delta[j], dtype=float),
                reward=reward,
                ret=env.returns(reward, n),
                mag=self.r_max + env.step_cost * np.minimum(n, h),
                dnorm=np.sqrt((self.exit_delta[j] ** 2).sum(axis=1)),
                logq_absmax=np.maximum.accumulate(np.abs(logq)) if len(logq) else logq,
            )
        c = self._cells
        if c.n_max == n_max:
            return c
        if (c.n_max, n_max) in self._prefix:
            return self._prefix[(c.n_max, n_max)]
        if len(self._prefix) > 64:
            self._prefix.clear()
        end = self.table.cell_count(n_max)
        self._prefix[(c.n_max, n_max)] = Cells(
            n_max,
            *(
                getattr(c, f)[:end]
                for f in ("n", "exit", "logq", "w", "scale", "disp", "delta", "reward", "ret")
            ),
            c.mag[:end],
            c.dnorm[:end],
            c.logq_absmax[:end],
        )
        return self._prefix[(c.n_max, n_max)]

    def log_cell_probs(self, thetas, n_max: int):
        """(cells, log P) with log P[i, j] = log P_{θ_i}(cell j) for the cells n ≤ n_max."""
        from pgweyl.exact.kernels import log_probs_many, log_probs_rows, use_threads

        tc, abar = self.tilt(thetas)
        cells = self.cells(n_max)
        out = np.empty((len(tc), len(cells)))
        require(out.nbytes, f"log probabilities of {len(tc)} policies × {len(cells)} cells")
        kernel = log_probs_many if use_threads(len(tc), len(cells)) else log_probs_rows
        kernel(tc, abar, cells.n, cells.logq, cells.delta, out)
        return cells, out

    def log_tails(self, thetas, n: int) -> np.ndarray:
        """log P_θ(T > n) for each θ of a stack (from the survival row n)."""
        from pgweyl.exact.kernels import log_tails_many, log_tails_rows, use_threads

        tc, abar = self.tilt(thetas)
        self.ensure_rows(n + 1)
        idx, logq = self.table.survival_row(n)
        out = np.empty(len(tc))
        kernel = log_tails_many if use_threads(len(tc), len(idx)) else log_tails_rows
        kernel(tc, abar, n, idx, logq, self.state_delta, out)
        return out

    def common_truncation(self, thetas, tol, guess: int = 64) -> int:
        """Smallest N with P_θ(T > N) ≤ tol for every θ of a stack (the search starts at
        ``guess`` and doubles; :meth:`_search`)."""
        tol = _check_tol(tol)
        tc, abar = self.tilt(thetas)
        n = self._search(tc, abar, config.MAX_TABLE_ROWS - 1, _tail_criterion(tol), guess)
        if n is None:
            raise AccuracyError(
                f"the tail P(T > N) stays above tol = {tol:g} up to the table cap of "
                f"{config.MAX_TABLE_ROWS} rows; raise tol"
            )
        return n

    def sampler_tables(self, theta0, tol) -> SamplerTables:
        """Cells and the survival row at the tail truncation of θ_0 (see module doc)."""
        env = self.env
        n_table = self.common_truncation(np.atleast_2d(env.check_theta(theta0)), tol)
        cells = self.cells(n_table)
        idx, logq = self.table.survival_row(n_table)
        state_pt = env.full_points(env.states[idx], n_table)
        normals = np.asarray(env.alcove.inward_normals, dtype=np.int64)
        offsets = np.asarray(env.alcove.inward_offsets, dtype=np.int64)
        c64 = np.ascontiguousarray
        d = env.alcove.dim
        return SamplerTables(
            n_table=int(n_table),
            cells=cells,
            cell_pt=c64(env.full_points(env.exit_points[cells.exit], cells.n), dtype=np.int64),
            state_logq=c64(logq, dtype=float),
            state_delta=c64(self.state_delta[idx], dtype=float).reshape(len(idx), d),
            state_pt=c64(state_pt, dtype=np.int64).reshape(len(idx), d),
            state_slack=c64(state_pt @ normals.T - offsets, dtype=np.int64).reshape(len(idx), -1),
            gauge=self.gauge,
            log_k=self.log_k,
            vectors_f=self.vectors_f,
        )

    # -- the table route ---------------------------------------------------------------------
    def _tail(self, theta_c, abar, n: int, mean_delta=None) -> float:
        """log S_n for one θ (and E[δ_{X_n} | T > n] into ``mean_delta``)."""
        from pgweyl.exact.kernels import survival_moments

        idx, logq = self.table.survival_row(n)
        out = self._scratch if mean_delta is None else mean_delta
        return survival_moments(theta_c, abar, n, idx, logq, self.state_delta, out)

    def _search(self, thetas_c, abars, cap: int, criterion, start=None) -> int | None:
        """Smallest N ≤ cap whose truncation ``criterion`` (γ, cost, R_max, D, budget,
        need ∇; :func:`pgweyl.exact.kernels.truncation_search`) holds for every θ of the
        gauge-fixed stack; None when N = cap fails. The one search of the solver: it
        grows the table by doubling from ``start`` (default: the last answer), and the
        bisection runs compiled over the stored survival rows."""
        from pgweyl.exact.kernels import truncation_search

        lo, hi = 0, min(max(self._hint if start is None else int(start), 8), cap)
        while True:
            self.ensure_rows(hi + 1)
            table = self.table
            n = truncation_search(
                thetas_c,
                abars,
                lo,
                hi,
                table.surv_ptr,
                table.surv_idx,
                table.surv_val,
                self.state_delta,
                *criterion,
            )
            if n >= 0:
                self._hint = max(n, 8)
                return int(n)
            if hi >= cap:
                return None
            lo, hi = hi + 1, min(2 * hi, cap)

    def _table_cap(self, tol, d_max: float, need_grad: bool) -> int:
        """No table needs more rows than the discount horizon (γ < 1), whatever θ: it is
        computed for D = 2 max‖s‖ ≥ every D(θ), and cached."""
        env = self.env
        cap = config.MAX_TABLE_ROWS - 1
        if env.gamma < 1.0:
            key = (tol, need_grad)
            if key not in self._caps:
                d_all = 2.0 * float(np.sqrt((self.vectors_f**2).sum(axis=1)).max())
                self._caps[key] = bounds.discount_horizon(
                    tol, env.gamma, env.step_cost, self.r_max, d_all if need_grad else 0.0
                )
            cap = min(cap, self._caps[key])
        return cap

    def _table_policy(self, theta):
        """(θ_c, Ā(θ_c), ∇A(θ), D = max_s ‖s − ∇A‖₂, (Ā_hi, Ā_lo)) of one (checked) θ.

        Ā = A − log|S| is computed in longdouble and kept as a double-double for the θ
        given (the cells' exponents carry n Ā, so its error must not be ε |A|); θ_c is θ
        minus its mean where there is a gauge, and Ā(θ_c) = Ā(θ) − mean(θ) there (every
        unit step has coordinate sum 1)."""
        t = np.asarray(theta, dtype=float)
        logits = self._vectors_ld @ t.astype(np.longdouble)
        ab = np.logaddexp.reduce(logits) - self._log_k_ld
        hi = float(ab)
        lo = float(ab - np.longdouble(hi))
        probs = np.exp(logits - (ab + self._log_k_ld)).astype(float)
        grad_a = probs @ self.vectors_f
        d_max = float(np.sqrt(((self.vectors_f - grad_a) ** 2).sum(axis=1)).max())
        if self.gauge:
            mean = t.mean()
            tc = t - mean
            abar = float(ab - np.longdouble(mean))
        else:
            tc, abar = t.copy(), hi
        return tc, abar, grad_a, d_max, (hi, lo)

    def _table_value(self, theta, tol: float, need_grad: bool) -> ExactValue:
        self._require_exp("method 'table'")
        env = self.env
        gamma, cost = env.gamma, env.step_cost
        if gamma == 1.0 and (cost > 0.0 or need_grad):
            raise AccuracyError(
                "at gamma = 1 the table route bounds V only without a step cost "
                "(∇V and the cost need E[T; T > N]); use method='linear'"
            )
        pol = self._table_policy(theta)
        tc, abar, _, d_max, _ = pol
        half = 0.5 * tol  # the other half is for rounding
        N = self._truncate(tc, abar, d_max, half, need_grad)
        cap = self._table_cap(half, d_max, need_grad)
        if N is None:
            raise AccuracyError(
                f"the table route cannot bound V within tol = {tol:g} in {cap} rows; "
                "use method='linear' or raise tol"
            )
        res, rounding = self._table_at(theta, N, pol)
        if not (np.isfinite(res.value) and np.all(np.isfinite(res.grad))):
            raise AccuracyError(
                f"the table route overflows at θ = {np.asarray(theta).tolist()} (the tilt of "
                "the table exceeds the float range); use method='linear'"
            )
        worst = max(res.error_value, res.error_grad if need_grad else 0.0)
        if worst > tol:
            # Rounding took more than its half: give truncation what rounding leaves and
            # cut later (rounding hardly depends on N once the mass is covered).
            spare = tol - 1.25 * max(rounding[0], rounding[1] if need_grad else 0.0)
            if spare > 0:
                N2 = self._truncate(tc, abar, d_max, spare, need_grad)
                if N2 is not None and N2 > N:
                    N = N2
                    res, rounding = self._table_at(theta, N, pol)
                    worst = max(res.error_value, res.error_grad if need_grad else 0.0)
        if not worst <= tol:  # (NaN bounds refuse too)
            raise AccuracyError(
                f"the table route's rounding bound {worst:.2g} exceeds tol = {tol:g} "
                f"({N} rows); use method='linear' or raise tol"
            )
        return ExactValue(
            res.theta,
            res.value,
            res.grad if need_grad else None,
            res.error_value,
            res.error_grad if need_grad else None,
            "table",
            int(N),
            tol,
        )

    def _truncate(self, tc, abar, d_max: float, budget: float, need_grad: bool) -> int | None:
        """Smallest N with truncation bounds ≤ budget (growing the table; None: not within
        the cap)."""
        env = self.env
        cap = self._table_cap(budget, d_max, need_grad)
        criterion = (env.gamma, env.step_cost, self.r_max, d_max, budget, need_grad)
        return self._search(tc[None, :], np.array([abar]), cap, criterion)

    def table_value_at(self, theta, n_max: int) -> ExactValue:
        """V_N, g_N of the table route truncated after row N = ``n_max``, with the bounds
        of :mod:`pgweyl.exact.bounds` (truncation + rounding; ``inf`` where the table
        cannot bound it). ``tol`` of the result is None: nothing is refused here."""
        return self._table_at(theta, n_max)[0]

    def _table_at(self, theta, n_max: int, pol=None):
        """(:meth:`table_value_at`'s result, (rounding bound of V, of ∇V))."""
        from pgweyl.exact.kernels import PassCells, PassPolicy, value_grad_pass

        self._require_exp("method 'table'")
        env = self.env
        gamma, cost = env.gamma, env.step_cost
        N = validate.nonnegative_int("n_max", n_max, config.MAX_TABLE_ROWS - 1)
        tc, abar, grad_a, d_max, (ab_hi, ab_lo) = pol or self._table_policy(theta)
        cells = self.cells(N)
        d = len(tc)
        grad = np.zeros(d)
        v_n, _, _, round_v, round_g = value_grad_pass(
            np.asarray(theta, dtype=float),
            PassPolicy(ab_hi, ab_lo, _ABAR_ERROR * (abs(ab_hi) + 1.0), grad_a),
            PassCells(
                cells.n,
                cells.w,
                cells.scale,
                cells.disp,
                cells.delta,
                cells.ret,
                cells.mag,
                cells.dnorm,
            ),
            len(cells),
            self.table.relative_error(N),
            3 * _EPS,
            (self.k + 6) * _EPS,
            grad,
        )
        mean_delta = np.zeros(d)
        # S_N from its log-space row: relative error far below 1e−9, inflated for the bound
        tail = math.exp(self._tail(tc, abar, N, mean_delta))
        h_n = N if gamma == 1.0 else (1.0 - gamma**N) / (1.0 - gamma)
        # Every surviving path has paid the cost h_N; its score's mean is known exactly.
        value = v_n - cost * tail * h_n
        grad -= cost * h_n * tail * (mean_delta - N * grad_a)
        if self.gauge:
            grad -= grad.mean()
        err_v, err_g = bounds.truncation_bounds(
            N, tail * (1 + 1e-9), gamma, cost, self.r_max, d_max
        )
        corr = cost * tail * h_n  # the known-part corrections, rounded once more
        round_v += 8 * _EPS * corr
        round_g += 8 * _EPS * corr * (self.delta_absmax + N * float(np.abs(grad_a).sum()))
        res = ExactValue(
            np.array(theta, dtype=float),
            float(value),
            grad,
            float(err_v + round_v),
            float(err_g + round_g),
            "table",
            N,
            None,
        )
        return res, (round_v, round_g)

    # -- the linear route --------------------------------------------------------------------
    def _policy_hp(self, theta):
        """π_θ to ~2^−128 as (float64, (hi, lo) longdouble pair): the model the linear
        route solves (computed with mpmath; the steps are few)."""
        import mpmath

        from pgweyl.exact.linear import split_policy

        t = self.env.check_theta(theta)
        with mpmath.workprec(160):
            th = [mpmath.mpf(float(x)) for x in t]
            if self.exp:
                logits = [
                    mpmath.fsum(int(v) * c for v, c in zip(row, th))
                    for row in self.env.steps.vectors
                ]
            else:
                logits = th
            top = max(logits)
            w = [mpmath.exp(x - top) for x in logits]
            z = mpmath.fsum(w)
            probs = [x / z for x in w]
            hi, lo = split_policy(probs)
        return np.array([float(p) for p in probs]), (hi, lo)

    def _linear_value(self, theta, tol: float, need_grad: bool) -> ExactValue:
        env = self.env
        probs, hp = self._policy_hp(theta)
        jac = env.policy_jacobian(theta) if need_grad else None
        res = self.linear.solve(probs, jac, gamma=env.gamma, cost=env.step_cost, probs_hp=hp)
        grad = res.grad
        if grad is not None and self.gauge:
            grad = grad - grad.mean()
        worst = max(res.error_value, res.error_grad if need_grad else 0.0)
        if not worst <= tol:
            raise AccuracyError(
                f"the linear route's error bound {worst:.2g} exceeds tol = {tol:g} "
                "(the system is ill-conditioned); raise tol"
            )
        return ExactValue(
            np.array(theta, dtype=float),
            res.value,
            grad,
            res.error_value,
            res.error_grad if need_grad else None,
            "linear",
            None,
            tol,
        )

    # -- V and ∇V ----------------------------------------------------------------------------
    def _auto_order(self, tol) -> tuple[str, ...]:
        if tol not in self._orders:
            self._orders[tol] = self._choose_order(tol)
        return self._orders[tol]

    def _choose_order(self, tol) -> tuple[str, ...]:
        env = self.env
        if not self.exp or env.gamma == 1.0:
            return ("linear",)
        # Rows up to the discount horizon, each holding at most the states within n steps.
        d_max = 2.0 * float(np.sqrt((self.vectors_f**2).sum(axis=1)).max())
        horizon = bounds.discount_horizon(0.5 * tol, env.gamma, env.step_cost, self.r_max, d_max)
        if horizon >= config.MAX_TABLE_ROWS:  # γ → 1: no table this long; size nothing by it
            return ("linear",)
        rank = env.alcove.root_system.rank
        n = np.arange(horizon + 1, dtype=float)
        entries = np.minimum(self.graph.n_states, (2 * n + 1) ** rank).sum()
        entries += (horizon + 1) * self.graph.n_exits
        if 16 * entries > limit() / 2:
            return ("linear", "table")
        return ("table", "linear")

    def value_and_grad(self, theta, tol=config.DEFAULT_TOL, method="auto", need_grad=True):
        """:class:`ExactValue` at θ: V, ∇V and their bounds (both ≤ tol), by ``method``."""
        tol = _check_tol(tol)
        method = validate.choice("method", method, VALUE_METHODS)
        theta = self.env.check_theta(theta)
        order = self._auto_order(tol) if method == "auto" else (method,)
        failures = []
        for route in order:
            try:
                if route == "table":
                    return self._table_value(theta, tol, need_grad)
                return self._linear_value(theta, tol, need_grad)
            except (AccuracyError, ResourceError) as err:
                if method != "auto":
                    raise
                failures.append(f"{route}: {err}")
        raise AccuracyError(f"no route reaches tol = {tol:g}: " + " | ".join(failures))

    def value(self, theta, tol=config.DEFAULT_TOL, method="auto") -> float:
        return self.value_and_grad(theta, tol, method, need_grad=False).value

    def value_grad(self, theta, tol=config.DEFAULT_TOL, method="auto") -> np.ndarray:
        return self.value_and_grad(theta, tol, method).grad

    def mean_exit_time(self, theta, tol=config.DEFAULT_TOL) -> float:
        """E_θ[T] by the linear route ((I − M_π) τ = 1), within tol · max(1, E[T])."""
        tol = _check_tol(tol)
        probs, hp = self._policy_hp(theta)
        res = self.linear.solve(probs, None, gamma=1.0, cost=-1.0, probs_hp=hp, no_rewards=True)
        if res.error_value > tol * max(1.0, abs(res.value)):
            raise AccuracyError(
                f"E[T] = {res.value:.6g} could not be bounded within tol = {tol:g} "
                f"(relative); the bound reached is {res.error_value:.2g}"
            )
        return float(res.value)

    # -- the value distribution ------------------------------------------------------------------
    def value_distribution(self, theta, tol=config.DEFAULT_TOL, n_max=None) -> ValueDistribution:
        """The law of (exit point, exit time), cut at the smallest N with P(T > N) ≤ tol.

        With ``n_max`` the law is cut there instead (a TruncationWarning when its tail then
        exceeds tol); without it, a tail that cannot reach tol within the budget raises
        :class:`pgweyl.AccuracyError`."""
        env = self.env
        tol = _check_tol(tol)
        theta = env.check_theta(theta)
        if n_max is not None:
            n_max = validate.nonnegative_int("n_max", n_max, config.MAX_TABLE_ROWS - 1)
        if not self.exp:
            cap = config.MAX_TABLE_ROWS if n_max is None else n_max
            times, idx, probs, _, tail = self.tilted.run(env.policy(theta), None, tol, cap=cap)
            if tail > tol:
                self._too_long(tail, tol, cap, n_max is not None)
            n_top = int(times.max()) if len(times) else 0
            return self._result(theta, times, idx, probs, tail, n_top, tol)
        tcs, abars = self.tilt(theta)
        tc, abar = tcs[0], abars[0]
        if n_max is None:
            N = self._search(tcs, abars, config.MAX_TABLE_ROWS - 1, _tail_criterion(tol))
            if N is None:
                self._too_long(math.exp(self._tail(tc, abar, self.table.rows - 1)), tol, 0, False)
        else:
            N = n_max
            self.ensure_rows(N + 1)
        tail = math.exp(self._tail(tc, abar, N))
        if tail > tol:
            self._too_long(tail, tol, N, True)
        _, logp = self.log_cell_probs(theta[None, :], N)
        # At extreme θ (|θ| near the float limit) the tilt n·Ā and (θ, Σ steps) overflow or
        # cancel: cells come out NaN, positive log-probabilities, or a mass that is not
        # 1 − tail. Refuse as the table route of V does.
        lp = logp[0]
        sane = bool(np.all(lp <= 1e-9))  # NaN compares False
        mass = float(np.exp(np.minimum(lp, 0.0)).sum()) if sane else math.nan
        if not (sane and np.isfinite(tail) and abs(mass + tail - 1.0) <= 1e-6):
            raise AccuracyError(
                f"the law's table overflows at θ = {theta.tolist()} (the tilt of the table "
                "exceeds the float range); V, ∇V and E[T] are available by the linear route"
            )
        cells = self.cells(N)
        return self._result(theta, cells.n, cells.exit, np.exp(logp[0]), tail, N, tol, cells)

    @staticmethod
    def _too_long(tail, tol, n, explicit: bool) -> None:
        if explicit:
            warnings.warn(
                f"value distribution cut at n_max = {n} steps with tail {tail:.3g} > tol {tol:g}",
                TruncationWarning,
                stacklevel=4,
            )
            return
        raise AccuracyError(
            f"the tail P(T > N) is still {tail:.3g} > tol = {tol:g} at the table limit; "
            "raise tol, or pass n_max to accept a truncated law"
        )

    def _result(self, theta, times, idx, probs, tail, n_max, tol, cells=None) -> ValueDistribution:
        """The law as a ValueDistribution. With ``cells`` (the table route's prefix of the
        cell table) the θ-independent parts — points, rewards, returns — are sliced from
        arrays computed once per cell table and copied into the result (computing them
        was most of a one-θ call)."""
        env = self.env
        if cells is not None:
            full = self._dist_parts.get(self._cells.n_max)
            if full is None:
                c = self._cells
                rewards = env.exit_rewards[c.exit]
                full = (
                    env.full_points(env.exit_points[c.exit], c.n),
                    np.asarray(c.n, dtype=np.int64),
                    np.asarray(c.exit, dtype=np.int64),
                    rewards,
                    env.returns(rewards, c.n),
                )
                self._dist_parts = {self._cells.n_max: full}  # only the current table
            parts = tuple(a[: len(cells)] for a in full)
        else:
            rewards = env.exit_rewards[idx]
            parts = (
                env.full_points(env.exit_points[idx], times),
                np.asarray(times, dtype=np.int64),
                np.asarray(idx, dtype=np.int64),
                rewards,
                env.returns(rewards, times),
            )
        points, times, idx, rewards, returns = (a.copy() for a in parts)
        return ValueDistribution(
            theta=np.array(theta, dtype=float),
            points=points,
            times=times,
            probs=probs,
            tail=float(tail),
            exit_index=idx,
            rewards=rewards,
            returns=returns,
            exit_points=env.exit_points,
            exit_walls=env.exit_walls,
            n_max=int(n_max),
            tol=tol,
        )

    # -- any policy, any direction (faces of the policy polytope) ---------------------------------
    def value_grad_transfer(self, theta, tol=config.DEFAULT_TOL) -> np.ndarray:
        """∇V by forward-mode derivatives of the policy-weighted transfer matrix (any
        policy): an independent route against which the PG identity is tested."""
        env = self.env
        tol = _check_tol(tol)
        theta = env.check_theta(theta)
        times, idx, _, dP, _ = self.tilted.run(env.policy(theta), env.policy_jacobian(theta), tol)
        return env.returns(env.exit_rewards[idx], times) @ dP

    def policy_value(self, probs) -> float:
        """V(π) for any distribution π over the steps (zero probabilities allowed), by the
        linear route."""
        env = self.env
        return self.linear.solve(probs, None, gamma=env.gamma, cost=env.step_cost).value

    def policy_derivative(self, probs, jac) -> np.ndarray:
        """Σ_s (∂V/∂π(s)) jac[s, :]: the derivative of V along any parametrisation or
        direction through π (``jac`` = ∂π/∂φ, k×p), by the linear route's adjoint."""
        return self.policy_value_derivative(probs, jac)[1]

    def policy_value_derivative(self, probs, jac) -> tuple[float, np.ndarray]:
        """(:meth:`policy_value`, :meth:`policy_derivative`) from one linear solve: the
        same bits as the two calls (V does not depend on whether the adjoint is solved),
        at half the cost — what the maxima searches' optimisers ask for."""
        env = self.env
        res = self.linear.solve(probs, jac, gamma=env.gamma, cost=env.step_cost)
        return res.value, res.grad

    def symbolic_value(self, symbolic_params=False, binary=False, force=False):
        from pgweyl.exact.symbolic import symbolic_value

        return symbolic_value(self.env, symbolic_params, binary=binary, force=force)


def score_weighted_sum(env, dist: ValueDistribution, weights) -> np.ndarray:
    """Σ_{b,n} P(b, n) w(b, n) ((b − λ) − n ∇A(θ)) for ``exp`` policies (full coordinates).

    With w = G this is ∇V truncated to the cells of ``dist`` (THEORY §5)."""
    grad_a = env.mean_step(dist.theta)
    score = (dist.points - env.start) - dist.times[:, None] * grad_a[None, :]
    return (dist.probs * np.asarray(weights, dtype=float)) @ score


__all__ = ["Cells", "ExactSolver", "ExactValue", "SamplerTables", "score_weighted_sum"]
