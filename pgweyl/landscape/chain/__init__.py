"""The θ-chain of policy gradient on a grid, solved for absorption probabilities (§5, §7).

REINFORCE with one episode per update and constant step size α moves θ by

    θ' = θ + α (G(b, n) − β) ((b − λ) − n ∇A(θ))   with probability P_θ(b, n),

so θ is a Markov chain whose kernel is the value distribution. In effective coordinates
y = Lθ (A_n: y_i = θ_i − θ_{n+1}, the gauge removed; otherwise y = θ) it lives in R^1,
R^2 or R^3, and h_j(y) = P(the chain from y first enters the ε-neighbourhood of maximum j)
solves

    h_j(y) = Σ_{cells c} P_y(c) H_j(y + dy_c(y)),   H_j = 1 on region j, 0 on the other
    regions, h_j elsewhere.

**Discretisation.** A uniform grid of spacing Δ over the box [−b, b]^dim (default
b = log((1−ε)/ε) in 1-D, where the absorbing regions of vertex maxima are exactly
|y| ≥ b, and b + 4 in 2-D, where the transient region is unbounded along the edges of
the policy simplex; answers change by < 1e−6 for margins from 3 to 10; b + 4 in 3-D too,
where the margin does move answers, by ~1e−3 on the simplex, and the bound has a box
term, ``BOX_EXTRA_3D``). Unknowns are
the transient nodes and a *ghost band* of ``order`` + 1 nodes inside the absorbing
regions. Every landing point y' = y + dy_c(y) of an unknown node gets its exact label:
absorbed into j iff π(θ(y')) is within ε of maximum j (sub-grid absorption: no landing
point is ever absorbed because a grid node near it is). A transient landing point is
clamped into the box and written as a degree-q tensor Lagrange combination of the
unknowns (q = ``order``, default 2):

    H(y') ≈ Σ_i w_i(y') x_i,   Σ_i w_i = 1,

where x solves the chain equation at transient nodes *and* at ghost nodes. At a ghost
node the equation gives the smooth continuation of h across the absorbing boundary (the
same formula evaluated beyond it), so interpolation never mixes h with the jump to 1 at
the boundary. The system is (I − P) x = b_j with b_j the one-step absorption into j.

Why degree 2: near a vertex maximum the update is small (the score (b − λ) − n∇A(θ)
vanishes as π becomes deterministic), so the chain creeps into the absorbing region in
many steps much shorter than Δ. Multilinear interpolation turns each such step into a
random move of size Δ (numerical diffusion): the error is first order, ≈ 0.06 Δ on the
triangle. A degree-2 stencil reproduces a short step to O(Δ³ h''') per step. Measured on
the triangle (lr 1, ε = 0.01) against 9·10⁶ Monte Carlo runs (0.3345 ± 0.0002):
multilinear 0.367 / 0.348 / 0.339 at Δ = 0.36 / 0.18 / 0.09, degree 2 0.3359 / 0.3363 /
0.3357, and 0.3351 at Δ = 0.045 (docs/performance.md). What remains is a first-order
part from the kink of h at the absorbing boundary (steep outside, where the creep may
still branch away; flat inside) and a part that depends on where the nodes fall
relative to the boundaries.

**Errors.** With ``refine`` (default) the same chain is solved on grids of spacing Δ, 2Δ,
4Δ (answers a₀, a₁, a₂); :meth:`ChainResult.grid_error` is 2|a₀ − a₁| + |a₁ − a₂|/4 plus
the leak bound, the box error of the ε → 0 limit, the ε-tail of tiny ε and, in 1-D where
the grid is coarser than the last quiet step into a ball, the staircase term
(docs/theory.md §12; capped at 1, :meth:`ChainResult.error_report` says when) — an
empirical bound, checked against long Monte Carlo runs at several step sizes and radii
(tests/landscape/test_chain_mc.py) and against an independent first-entry solver and
4× finer grids in 1-D (tests/landscape/test_chain_limit.py); the Richardson estimate is
reported (:meth:`ChainResult.error_report`) only where the observed order is asymptotic.
Cells below ``min_prob`` at a node (in 1-D: below ``min_prob`` times σ, the probability
of the non-quiet episodes there) are lumped into one landing point at their mean (mass
kept; the answer moves by < 10⁻⁷ between 10⁻¹⁰ and 10⁻⁸ on the triangle).

**Solvers** (:mod:`pgweyl.landscape.chain.linear`): sparse LU on small grids, GMRES with
a geometric multigrid preconditioner above; interruptible (Ctrl-C), progress on stderr.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pgweyl import validate
from pgweyl.config import DEFAULT_TOL
from pgweyl.errors import ArgumentError
from pgweyl.landscape.chain.compact import compact_absorption, compact_refusal
from pgweyl.landscape.chain.limit import boundary_step, depth_walk
from pgweyl.landscape.chain.linear import Progress
from pgweyl.landscape.chain.result import ChainLevel, ChainResult, frame_fields, solved_fields
from pgweyl.landscape.chain.solve import (
    MAX_PECLET,
    MIN_NODES,
    Plan,
    box_grid,
    finer_grid,
    plan,
    solve_levels,
    worst_peclet,
)
from pgweyl.landscape.chain.transitions import (
    _chunk_probs,
    _displacements,
    _labels,
    nodes_per_chunk,
)
from pgweyl.landscape.maxima import local_maxima
from pgweyl.rules import Rule, RuleError, parse_rule

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pgweyl.env.environment import AlcoveWalkEnv
    from pgweyl.landscape.maxima import LocalMaximum

#: Default grid spacing per effective dimension (nodes follow from the box): in 1-D 2001
#: nodes over the default box of the corridor (Δ = 0.008); in 2-D Δ ≈ 0.08.
DEFAULT_SPACING = {1: 0.008, 2: 0.08, 3: 0.36}

#: Cells below this probability at a node are lumped (per effective dimension): 1-D
#: systems are cheap, so the lumped mass (and its bound, :meth:`ChainResult.leak_error`)
#: is kept negligible; in 2-D 1e−8 cuts a fifth of the nonzeros and moves answers < 1e−7.
DEFAULT_MIN_PROB = {1: 1e-12, 2: 1e-8, 3: 1e-7}

#: Nodes whose transitions are assembled at once, at most (the memory budget may lower it:
#: :func:`pgweyl.landscape.chain.transitions.nodes_per_chunk`); the default of both
#: :func:`chain_absorption` and :func:`~pgweyl.landscape.chain.markov.theta_chain`.
DEFAULT_CHUNK = 512

#: Default box margin beyond log((1−ε)/ε), per effective dimension.
DEFAULT_MARGIN = {1: 0.0, 2: 4.0, 3: 4.0}

#: Default half width of the box of the ε → 0 limit (1-D): beyond it the depth walk's
#: tail e^{−R x} (:mod:`pgweyl.landscape.chain.limit`) is the boundary condition.
LIMIT_DEPTH = 24.0

#: Below ε = e^{−EPS_BOX_MAX} (1-D) the box is the limit's, ±LIMIT_DEPTH, and the first
#: entry is the limit within the bound ``eps_tail`` (the cost stays bounded as ε → 0).
EPS_BOX_MAX = 80.0

#: The box error of the limit: the coarsest grid solved again on a box this much deeper.
LIMIT_EXTRA = 8.0

#: The box error in 3-D: the coarsest grid solved again on a box this much deeper per
#: side. Clamping at the faces of the 3-D box matters (unlike 2-D): on the simplex (lr 1,
#: ε = 0.01, Δ = 0.54) P(maximum 0) is 0.3637 / 0.3506 / 0.3495 / 0.3488 / 0.3484 for
#: margins 1.9 / 2.9 / 4.0 / 5.1 / 6.1 beyond log((1−ε)/ε).
BOX_EXTRA_3D = 2.0

#: Refinement solves this many grids (spacings Δ, 2Δ, 4Δ).
REFINEMENT_LEVELS = 3

ORDERS = (1, 2, 3)
SOLVERS = ("auto", "direct", "iterative")


def _is_limit(eps) -> bool:
    """True for ``eps=0`` (the ε → 0 limit), False for anything else (validated later)."""
    if eps is None or isinstance(eps, (bool, np.bool_)):
        return False
    try:
        return float(eps) == 0.0
    except (TypeError, ValueError):
        return False


def limit_refusal(env, rule="vanilla") -> str | None:
    """Why :func:`chain_absorption` with ``eps=0`` (the ε → 0 limit) would refuse ``env``
    under ``rule`` (one line), or None when it takes them: the chain applies
    (:func:`chain_refusal`), the effective dimension is 1, and the rule has no entropy
    term.

    >>> import pgweyl as pw
    >>> limit_refusal(pw.make_env("corridor")) is None
    True
    >>> limit_refusal(pw.make_env("triangle"))[:65]
    'the chain solver refuses the ε → 0 limit in effective dimension 2'
    """
    rule = parse_rule("vanilla" if rule is None else rule)
    why = chain_refusal(env, rule)
    if why is not None:
        return why
    dim = env.effective_dim
    if dim != 1:
        return (
            f"the chain solver refuses the ε → 0 limit in effective dimension {dim}: it is "
            "built for effective dimension 1 (in 2-D and 3-D the chain creeps along the edges "
            "of the policy simplex toward flat faces, which have no one-dimensional depth walk)"
        )
    if rule.kind == "entropy":
        return (
            "the ε → 0 limit does not exist under the entropy rule: its maxima are "
            "interior and the chain keeps moving around them"
        )
    return None


def effective_map(env) -> np.ndarray:
    """L with y = Lθ (:meth:`AlcoveWalkEnv.effective_map`), for ``exp`` policies."""
    if env.policy_kind != "exp":
        raise ArgumentError("the chain solver is built for policy 'exp'")
    return env.effective_map()


def lift(env, y) -> np.ndarray:
    """θ(y) (:meth:`AlcoveWalkEnv.lift`)."""
    return env.lift(y)


def default_half_width(dim: int, eps: float) -> float:
    """Half width of the default box: log((1−ε)/ε) + ``DEFAULT_MARGIN[dim]``."""
    return math.log((1 - eps) / eps) + DEFAULT_MARGIN[dim]


def default_grid(dim: int, half: float) -> int:
    """Nodes per axis for ``DEFAULT_SPACING[dim]`` over [−half, half], rounded up to
    1 mod 8 (the three refinement grids are then nested and y = 0 is a node of each)."""
    n = int(math.ceil(2 * half / DEFAULT_SPACING[dim] - 1e-9)) + 1
    return n + (-(n - 1)) % 8


def chain_refusal(env, rule="vanilla") -> str | None:
    """Why :func:`chain_absorption` would refuse ``env`` under ``rule`` (one line), or
    None when it takes them: policy ``exp``, effective dimension 1 to 3, a rule under
    which θ is a Markov chain, and for the natural rule: 1-D, or 2-D in a family with
    compact face coordinates (:func:`pgweyl.landscape.chain.compact.compact_refusal`:
    unit steps on A2, signed steps on B2/C2 — every 2-D family of the catalog).

    >>> import pgweyl as pw
    >>> chain_refusal(pw.make_env("corridor"), "natural") is None
    True
    >>> chain_refusal(pw.make_env("triangle"), "natural") is None
    True
    >>> chain_refusal(pw.make_env("simplex"), "natural")[:54]
    'the chain solver does not take the natural rule in eff'
    """
    rule = parse_rule("vanilla" if rule is None else rule)
    dim = env.effective_dim
    if env.policy_kind != "exp":
        return "the chain solver is built for policy 'exp'"
    if dim > 3:
        return f"the chain solver handles effective dimension 1 to 3, not {dim}"
    if dim == 3 and rule.kind == "natural":
        # the 3-D chain is posed in θ, where F(θ)⁺ makes steps unbounded along the faces
        return (
            "the chain solver does not take the natural rule in effective dimension 3 (its "
            "steps grow without bound along the faces of the simplex); use Monte Carlo"
        )
    if not rule.markov():
        return _not_markov(rule)
    if rule.kind == "natural" and dim == 2:
        # F(θ)⁺ grows like 1/min π along the faces, where the chain in y = Lθ is
        # transient out to infinity: it is solved in compact face coordinates instead
        # (chain/compact.py), which exist for the catalog's 2-D families
        return compact_refusal(env)
    return None


def _not_markov(rule) -> str:
    """The one refusal text of a rule under which θ is not a Markov chain."""
    return (
        f"the chain solver needs θ to be a Markov chain, which it is not under rule "
        f"{rule} (a running-mean baseline or a decaying step); use Monte Carlo"
    )


def _chain_rule(rule):
    """The parsed rule, refused (:class:`pgweyl.rules.RuleError`) unless θ is Markov."""
    rule = parse_rule("vanilla" if rule is None else rule)
    if not rule.markov():
        raise RuleError(_not_markov(rule))
    return rule


def _check_bounds(bounds, dim):
    try:
        lo, hi = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise ArgumentError(f"bounds must be (low, high), got {bounds!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ArgumentError(f"bounds must be finite with low < high, got {bounds!r}")
    return lo, hi


@dataclass(frozen=True, eq=False)
class _Setup:
    """The settings :func:`chain_absorption` and
    :func:`~pgweyl.landscape.chain.markov.theta_chain` share, checked once by
    :func:`_setup`: ``lr``, ``eps`` (0.0 for the ε → 0 limit, ``limit``), ``rule`` (a
    :class:`Rule` under which θ is Markov), ``baseline`` (the rule's, when it has one),
    ``order``, ``tol``, ``min_prob`` (the caller's default for the dimension when not
    given), ``chunk`` and ``L`` (y = Lθ) of an environment the chain solver takes."""

    lr: float
    eps: float
    limit: bool
    rule: Rule
    baseline: float
    order: int
    tol: float
    min_prob: float
    chunk: int
    L: np.ndarray

    @property
    def dim(self) -> int:
        return self.L.shape[0]

    def default_half_width(self) -> float:
        """Half width of the default box: log((1−ε)/ε) + the margin of the dimension (the
        2-D one under the entropy rule, whose maxima are interior, so the chain may leave
        the box on either side of them), a few ulps beyond, so that the end nodes are
        surely absorbing (a landing point past a transient end would be clamped onto it
        forever)."""
        half = default_half_width(2 if self.rule.kind == "entropy" else self.dim, self.eps)
        return half + 16 * math.ulp(half)

    def box(self, bounds, half=None) -> tuple[float, float]:
        """(low, high) of ``bounds``, checked; None: ±``half`` (default
        :meth:`default_half_width`)."""
        if bounds is None:
            half = self.default_half_width() if half is None else half
            bounds = (-half, half)
        return _check_bounds(bounds, self.dim)

    def nodes(self, grid, default: int, n_levels: int) -> int:
        """Nodes per axis of the finest grid, ``default`` when ``grid`` is None: the
        coarsest of ``n_levels`` nested grids needs a whole stencil (order + 1 nodes)."""
        smallest = self.order * 2 ** (n_levels - 1) + 1
        return validate.integer("grid", default if grid is None else grid, lo=smallest)

    def maxima(self, env, maxima) -> list:
        """The absorbing maxima: ``maxima`` as a list, default :func:`local_maxima` of the
        rule's objective; at least one."""
        if maxima is None:
            maxima = local_maxima(env, basin_samples=0, rule=self.rule)
        maxima = list(maxima)
        if not maxima:
            raise ArgumentError("the environment has no local maximum to be absorbed at")
        return maxima

    def assembly(self) -> dict:
        """The keywords of the transitions' assembly
        (:func:`pgweyl.landscape.chain.transitions.assemble`) these settings fix."""
        return {
            "eps": self.eps,
            "lr": self.lr,
            "baseline": self.baseline,
            "L": self.L,
            "tol": self.tol,
            "min_prob": self.min_prob,
            "chunk": self.chunk,
            "order": self.order,
            "rule": self.rule,
        }

    def begin(self, env, grid, default: int, n_levels: int, progress, maxima):
        """What a chain solve starts with: (nodes per axis of the finest grid —
        :meth:`nodes` —, the progress display — on a terminal when ``progress`` is None
        —, the start time, the absorbing maxima — :meth:`maxima`)."""
        grid = self.nodes(grid, default, n_levels)
        bar = Progress(sys.stderr.isatty() if progress is None else progress)
        return grid, bar, time.perf_counter(), self.maxima(env, maxima)

    def plan(self, env, maxima, lo, hi, grid, n_levels, solver) -> Plan:
        """:func:`pgweyl.landscape.chain.solve.plan` of ``n_levels`` answered grids of
        ``grid`` nodes per axis over [lo, hi]^dim with these settings (the memory check
        before any large allocation)."""
        return plan(
            env,
            maxima,
            eps=self.eps,
            lo=lo,
            hi=hi,
            n=grid,
            n_answer=n_levels,
            order=self.order,
            solver=solver,
            tol=self.tol,
            min_prob=self.min_prob,
        )

    def fields(self, env, maxima) -> dict:
        """The fields a chain result derives from ``env`` and these settings
        (:func:`pgweyl.landscape.chain.result.frame_fields`)."""
        return frame_fields(
            env, self.L, maxima, lr=self.lr, eps=self.eps, rule=self.rule, order=self.order
        )


def _setup(env, lr, eps, rule, baseline, tol, order, chunk, min_prob, default_min_prob) -> _Setup:
    """Check the settings the chain's public functions share, once (:class:`_Setup`):
    ``eps=0`` is the limit (the caller refuses it where it has none); a baseline other
    than 0 must agree with the rule's; ``min_prob`` None is ``default_min_prob[dim]``.
    Raises ArgumentError (RuleError for a rule under which θ is not Markov) with the
    solver's one refusal text (:func:`chain_refusal`) for an environment it does not take."""
    lr = validate.positive_real("lr", lr)
    limit = _is_limit(eps)
    eps = 0.0 if limit else validate.eps(eps)
    baseline = validate.finite_real("baseline", baseline)
    tol = validate.tol(tol)
    if min_prob is not None:
        min_prob = validate.finite_real("min_prob", min_prob, 0.0, 1.0, hi_open=True)
    order = int(validate.choice("order", str(order), tuple(str(o) for o in ORDERS)))
    chunk = validate.positive_int("chunk", chunk)
    rule = _chain_rule(rule)
    if rule.baseline is not None:
        if baseline not in (0.0, rule.baseline):
            raise ArgumentError(
                f"baseline {baseline:g} disagrees with the rule's baseline {rule.baseline:g}"
            )
        baseline = float(rule.baseline)
    L = effective_map(env)
    why = chain_refusal(env, rule)
    if why is not None:
        raise ArgumentError(why)
    if min_prob is None:
        min_prob = default_min_prob[L.shape[0]]
    return _Setup(lr, eps, limit, rule, baseline, order, tol, min_prob, chunk, L)


def chain_absorption(
    env: AlcoveWalkEnv,
    lr: float,
    grid: int | None = None,
    eps: float | None = None,
    bounds: tuple[float, float] | None = None,
    maxima: Sequence[LocalMaximum] | None = None,
    baseline: float = 0.0,
    tol: float = DEFAULT_TOL,
    min_prob: float | None = None,
    refine: bool = True,
    chunk: int = DEFAULT_CHUNK,
    *,
    order: int = 2,
    solver: str = "auto",
    progress: bool | None = None,
    rule: Rule | str | None = None,
    _box_check: bool = True,
) -> ChainResult:
    """Absorption probabilities of the θ-chain (batch 1, constant step size ``lr``).

    ``grid``: nodes per effective axis of the finest grid (default: spacing
    ``DEFAULT_SPACING[dim]`` over the box, 2001 nodes on the corridor, 217² on the triangle
    and 49³ on the simplex at ε = 0.01); ``bounds``: (low, high) of the box in each y
    coordinate (default ±log((1−ε)/ε) in 1-D, ±(log((1−ε)/ε) + 4) in 2-D and 3-D); ``eps``:
    total-variation radius of the absorbing regions (default σ(−8)); ``baseline``: β;
    ``tol``: tail P(T > N) left out of each node's value distribution; ``min_prob``: cells
    below it are lumped (default ``DEFAULT_MIN_PROB[dim]``); ``refine``: also solve on grids
    of spacing 2Δ and 4Δ (error estimates); ``chunk``: nodes assembled at once, at most
    (``DEFAULT_CHUNK``; the memory budget may lower it);
    ``order``: degree of the interpolation stencils (1, 2 or 3); ``solver``: "auto"
    (LU on small grids, GMRES + multigrid above), "direct" or "iterative"; ``progress``:
    phases on stderr (default: on a terminal); ``rule``: the update rule
    (:mod:`pgweyl.rules`; default vanilla REINFORCE) — any rule under which θ is a Markov
    chain (:meth:`Rule.markov`: a constant baseline, a constant step). The natural rule
    in effective dimension 2 is solved on compact face coordinates
    (:func:`pgweyl.landscape.chain.compact.compact_absorption`: ``grid`` nodes per axis
    over u ∈ [−1, 1]², default 201; ``bounds`` do not apply) and returns a
    :class:`~pgweyl.landscape.chain.compact.CompactChainResult`. Its baseline is β
    (``baseline`` must then be left at 0 or agree); with ``entropy`` the maxima are those
    of J_τ (passed ``maxima`` must be too) and the default 1-D box gets the 2-D margin,
    since the maxima are interior and the chain may leave the box on either side of
    them. The displacement of each rule is in
    :func:`pgweyl.landscape.chain.transitions._displacements`.

    ``eps=0.0`` (1-D; vanilla with a constant baseline, or natural) gives the ε → 0 limit,
    P(θ_n → maximum j as n → ∞): the box is ±``LIMIT_DEPTH`` and beyond it each vertex's
    depth walk (:mod:`pgweyl.landscape.chain.limit`) continues h geometrically at the
    Lundberg rate; the result's ``walks`` hold the walks and :meth:`ChainResult.grid_error`
    adds the box error. In 1-D any ε > 0 works down to 1e−300 at bounded cost: below
    e^{−``EPS_BOX_MAX``} the box is the limit's and the bound adds ``eps_tail``. Step sizes
    the grid cannot resolve are refused (ArgumentError, see ``MAX_PECLET``). The meaning
    of the three numbers — first entry at ε, the limit, finite n — is docs/theory.md §12.

    >>> import pgweyl as pw
    >>> env = pw.make_env("corridor")
    >>> res = chain_absorption(env, 1.0, grid=401, progress=False)
    >>> round(float(res.at([0.0, 0.0])[0]), 2)        # P(treasure), THEORY §7
    0.37
    """
    setup = _setup(env, lr, eps, rule, baseline, tol, order, chunk, min_prob, DEFAULT_MIN_PROB)
    solver = validate.choice("solver", solver, SOLVERS)
    if not isinstance(refine, (bool, np.bool_)):
        raise ArgumentError(f"refine must be True or False, got {refine!r}")
    limit, rule, dim = setup.limit, setup.rule, setup.dim
    if limit:
        why = limit_refusal(env, rule)
        if why is not None:
            raise ArgumentError(f"{why}; pass eps > 0")
    if rule.kind == "natural" and dim == 2:
        if bounds is not None:
            raise ArgumentError(
                "bounds do not apply to the natural rule in effective dimension 2: its grid "
                "covers all of θ in compact face coordinates (chain/compact.py)"
            )
        return compact_absorption(
            env, setup, grid=grid, maxima=maxima, refine=refine, solver=solver, progress=progress
        )
    # Below ε = e^{−EPS_BOX_MAX} the 1-D box stops growing: it is the limit's box, and the
    # first entry at ε differs from the limit by the depth walk's tail (eps_tail).
    tail_mode = limit or (
        dim == 1
        and bounds is None
        and rule.kind != "entropy"
        and default_half_width(1, setup.eps) > EPS_BOX_MAX
    )
    lo, hi = setup.box(bounds, LIMIT_DEPTH if tail_mode else None)
    n_levels = REFINEMENT_LEVELS if refine else 1
    default = max(default_grid(dim, (hi - lo) / 2), (MIN_NODES - 1) * 2 ** (n_levels - 1) + 1)
    grid, bar, t_start, maxima = setup.begin(env, grid, default, n_levels, progress, maxima)
    _check_resolution(env, maxima, setup, lo, hi, grid)
    walks = ()
    tails = None
    if tail_mode:
        walks = tuple(
            depth_walk(env, maxima, j, lr=setup.lr, baseline=setup.baseline, rule=rule, L=setup.L)
            for j in range(len(maxima))
        )
        if sorted(w.side for w in walks) != [-1, 1]:
            raise ArgumentError(
                "the ε → 0 limit needs one vertex maximum at each end of the 1-D chain, got "
                f"{len(walks)} maxima"
            )
        tails = {w.side: (w.maximum, w.root) for w in walks}
    settings = setup.assembly() | {"tails": tails, "relative": dim == 1}
    try:
        p = setup.plan(env, maxima, lo, hi, grid, n_levels, solver)
        solved = solve_levels(env, maxima, p, settings, bar)
        answers = solved[0]
        box_check = None
        if tail_mode and refine and _box_check:
            box_check = _deeper_box(env, p, maxima, settings, lo, hi, bar, LIMIT_EXTRA)
        elif dim == 3 and refine and _box_check:
            # in 3-D the clamping at the box's faces moves answers by ~1e−3 (module doc)
            box_check = _deeper_box(env, p, maxima, settings, lo, hi, bar, BOX_EXTRA_3D)
    finally:
        bar.close()
    eps_tail = 0.0
    if tail_mode and not limit:
        eps_tail = _eps_tail(answers[0], walks, default_half_width(1, setup.eps), lo, hi)
    staircase = 0.0
    if dim == 1 and not tail_mode and rule.kind != "entropy":
        staircase = _staircase(env, maxima, answers[0], settings, lo, hi)
    seconds = time.perf_counter() - t_start
    return ChainResult(
        **solved_fields(setup.fields(env, maxima), setup.baseline, solved, seconds),
        limit=bool(limit),
        walks=walks,
        box_check=box_check,
        eps_tail=float(eps_tail),
        staircase=float(staircase),
    )


#: Nodes per axis of the probe that checks it, per effective dimension (33³ took 9 s of
#: every 3-D call, and delayed a memory refusal by as much; 17³ takes ~1 s).
RESOLUTION_PROBE = {1: 33, 2: 33, 3: 17}


def _check_resolution(env, maxima, setup: _Setup, lo, hi, grid) -> None:
    """Refuse (ArgumentError) a step size whose chain the grid cannot resolve.

    The chain moves by dy with mean m = E[dy] = α L∇V (to first order) and second moment
    s = E[|dy|²] = O(α²); its absorption probabilities vary on the diffusion length
    ℓ = s/|m| = O(α). Interpolating h on a grid of spacing Δ ≫ ℓ is a centred scheme for
    a pure drift (cell Péclet number Δ/ℓ ≫ 1): its solution oscillates and leaves
    [0, 1] (at α = 1e−300 every row of I − P vanishes and the system is singular). The
    smallest Δ/ℓ over a probe of ``RESOLUTION_PROBE[dim]`` nodes per axis must stay below
    ``MAX_PECLET``."""
    lr, L, tol = setup.lr, setup.L, setup.tol
    dim = setup.dim
    probe = box_grid(dim, lo, hi, RESOLUTION_PROBE[dim])
    th = env.lift(probe.mesh())
    th = th[_labels(env, th, maxima, setup.eps) < 0]
    if not len(th):
        return
    solver = env.solver
    n_max = solver.common_truncation(th, tol)
    # the probe's nodes in chunks that fit the budget, as the assembly's (a long value
    # distribution — a large alcove, γ near 1 — has ~10^5 cells per node)
    step = nodes_per_chunk(env, len(solver.cells(n_max).n), len(th))
    mean = np.empty((len(th), dim))
    second = np.empty(len(th))
    for a in range(0, len(th), step):
        part = th[a : a + step]
        cells, prob, _, _, _, _ = _chunk_probs(solver, part, n_max, tol, False)
        dy = _displacements(
            env, part, cells, prob, lr=lr, baseline=setup.baseline, L=L, rule=setup.rule
        )
        with np.errstate(over="ignore", invalid="ignore"):  # a huge lr: refused below
            mean[a : a + step] = np.einsum("nc,ncd->nd", prob, dy)
            second[a : a + step] = np.einsum("nc,ncd,ncd->n", prob, dy, dy)
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(second))):
        raise ArgumentError(
            f"lr {lr:g} is too large for the chain solver: the moments of one update "
            "E|dy|² overflow the float range; use Monte Carlo (--method mc)"
        )
    spacing = (hi - lo) / (grid - 1)
    # Where the chain is nearly deterministic (a slow creep) the degree-2 stencils follow
    # it exactly; only a chain unresolved at every node is refused.
    worst = worst_peclet(mean, second, spacing)
    if not worst <= MAX_PECLET:
        ell = spacing / worst
        finer = finer_grid((hi - lo) * worst / MAX_PECLET / spacing)
        raise ArgumentError(
            f"lr {lr:g} is too small for the chain's grid: the chain diffuses over "
            f"ℓ = E|dy|²/|E dy| ≈ {ell:.2g}, below the spacing Δ = {spacing:.2g} divided by "
            f"{MAX_PECLET:g}; pass {finer} or use Monte Carlo"
        )


def _deeper_box(env, p, maxima, settings, lo, hi, bar, depth):
    """The coarsest answered grid solved again on a box deeper by ``depth`` on each side
    (rounded up to whole nodes, same spacing): its difference from the answer there
    bounds the box error (:meth:`ChainResult.box_error`)."""
    coarse = p.grids[p.n_answer - 1]
    spacing = coarse.spacing
    extra = int(math.ceil(depth / spacing))
    size = coarse.shape[0] + 2 * extra
    lo, hi = lo - extra * spacing, hi + extra * spacing
    if coarse.dim == 1:
        deeper = Plan([box_grid(1, lo, hi, size)], [size], 1, [False], [False])
    else:  # planned as any grid: refused before allocating, multigrid when large
        deeper = plan(
            env,
            maxima,
            eps=settings["eps"],
            lo=lo,
            hi=hi,
            n=size,
            n_answer=1,
            order=settings["order"],
            solver="auto",
            tol=settings["tol"],
            min_prob=settings["min_prob"],
        )
    answers, _, _ = solve_levels(env, maxima, deeper, settings, bar)
    return answers[0]


def _eps_tail(level, walks, depth, lo, hi) -> float:
    """Bound of |first entry at ε − limit| for a box that ends short of the ε-balls at
    depth ``depth``: Σ_j 2 ψ_j(Y) e^{−R_j (depth − Y)}, ψ_j(Y) = 1 − h_j at the box end
    of side j (the probability of ever leaving j from there, which the depth walk
    continues geometrically; the factor 2 covers the Cramér–Lundberg approximation).
    A run that first enters ball k but converges elsewhere must escape from depth ≥ the
    ball's, and so must a run that converges to j without entering ball j first."""
    out = 0.0
    for w in walks:
        end = hi if w.side > 0 else lo
        psi = 1.0 - float(level.h[w.maximum][-1 if w.side > 0 else 0])
        out += 2.0 * max(psi, 0.0) * math.exp(-w.root * (depth - abs(end)))
    return out


def _staircase(env, maxima, level, settings, lo, hi) -> float:
    """The error of a grid that does not resolve the last quiet steps into a vertex
    ball (docs/theory.md §12, "The scale of the creep"): Σ_j η_j / 2 over the vertex
    maxima j whose quiet step δ_j at the ball's edge is shorter than 2Δ, with η_j the
    probability of a non-quiet episode there. Approaching the ball in quiet steps of
    length δ, the chain's h at distance x is v + (1 − v)(1 − η)^⌈x/δ⌉ — a staircase; a
    run arrives at a uniform phase, so on average (1 − η/2)(1 − η)^{x/δ}. A grid coarser
    than δ sees a smooth envelope that leaves the ball's edge somewhere between 1 − η
    (the value one quiet step out, which its ghost nodes carry) and 1, so it is off by at
    most η/2 of (1 − v) ≤ 1. (With δ ≥ 2Δ the finest grid follows the steps and the
    coarser grids' differences show the rest.)"""
    spacing = float(level.axes[0][1] - level.axes[0][0])
    out = 0.0
    for j, m in enumerate(maxima):
        if m.flat or len(m.support) != 1:
            continue
        got = boundary_step(env, maxima, j, settings, lo, hi)
        if got is None:
            continue
        eta, delta = got
        if delta < 2.0 * spacing:
            out += 0.5 * eta
    return out


__all__ = [
    "ChainLevel",
    "ChainResult",
    "chain_absorption",
    "chain_refusal",
    "effective_map",
    "lift",
    "limit_refusal",
]
