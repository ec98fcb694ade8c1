"""REINFORCE on the walk POMDP, many independent runs in parallel (THEORY §5).

One update from θ_k, with B episodes (b_j, T_j) drawn under π_θk:

    θ_{k+1} = θ_k + α_k (1/B) Σ_j (G_j − β_k) g_j,
    G = γ^{T−1} R(b) − c Σ_{t<T} γ^t,
    g = ∇_θ log P_θ(path) = (b − λ) − T ∇A(θ)       (policy "exp", b in full coordinates)
    g = counts − T π_θ                              (policy "softmax"; counts_s = number
                                                     of times step s was taken)

with ∇A(θ) = E_π[s]. Step sizes: α_k = α_0 ("constant") or α_k = α_0 / (1 + k/τ)^p
("decay"). Baseline β_k: None (0), a constant, or "mean": the mean of every return the
run has seen before update k (0 before the first update). The updates are Euclidean
steps in the chosen parametrization, so the same α means different chains for
different parametrizations of one policy family (THEORY §7).

Run r draws from its own xoshiro256** stream ``SeedSequence(seed).spawn(n_runs)[r]``:
the same seed gives bit-identical results at every Numba thread count.

>>> import pgweyl as pw
>>> env = pw.make_env("corridor")
>>> res = reinforce(env, [0.0, 0.0], lr=1.0, n_updates=50, n_runs=4, seed=1)
>>> res.final_theta.shape, res.stopped_at.tolist()
((4, 2), [-1, -1, -1, -1])
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numba
import numpy as np

from pgweyl import validate
from pgweyl.env.environment import AlcoveWalkEnv
from pgweyl.errors import ArgumentError, PgweylError
from pgweyl.rules import KIND_CODES, parse_rule
from pgweyl.sim import kernels, records
from pgweyl.sim.arrays import (
    check_env,
    exact_sampler,
    graph_walk,
    payoff,
    stream_states,
    walk_arrays,
)
from pgweyl.sim.config import (
    EXACT_SAMPLER_TOL,
    LEAN_MAX_SIZE,
    MAX_TRAJECTORY_FLOATS,
    MAX_UPDATES,
    SAMPLERS,
)
from pgweyl.sim.natural import exit_time_graph, require_work
from pgweyl.sim.threads import run_rows

_TARGET_SUM_TOL = 1e-9

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from pgweyl.rules import Rule


@dataclass(frozen=True, eq=False, repr=False)
class ReinforceResult:
    """Outcome of :func:`reinforce`: final parameters of every run and its settings.

    ``final_theta[r]`` is θ at the end of run r (at its stop when it stopped early);
    ``stopped_at[r]`` the update index k of the first θ_k within total variation
    ``eps`` of a target policy (−1 if none), ``target_index[r]`` that target's row (−1
    if none); ``trajectory[r, i] = θ_{i·record_every}`` when recorded (frozen after a
    stop). ``settings`` holds the keyword arguments of :func:`reinforce` (``env`` as its
    dict), enough to rerun: :meth:`rerun`.
    """

    final_theta: np.ndarray
    stopped_at: np.ndarray
    target_index: np.ndarray
    trajectory: np.ndarray | None
    settings: dict

    def rerun(self) -> ReinforceResult:
        """Run again with the same settings (bit-identical result)."""
        kw = dict(self.settings)
        env = AlcoveWalkEnv.from_dict(kw.pop("env"))
        return reinforce(env, **kw)

    def to_dict(self) -> dict:
        """JSON-ready: the settings plus the result arrays as nested lists."""
        out = dict(self.settings)
        out["final_theta"] = self.final_theta.tolist()
        out["stopped_at"] = self.stopped_at.tolist()
        out["target_index"] = self.target_index.tolist()
        out["trajectory"] = None if self.trajectory is None else self.trajectory.tolist()
        return out

    def __repr__(self) -> str:
        s = self.settings
        env = s["env"]
        where = f"{env['cartan']} level {env['level']} {env['policy']}"
        stop = ""
        if s["targets"] is not None:
            stop = f", stopped {int(np.sum(self.stopped_at >= 0))}/{s['n_runs']} at a target"
        base = "none" if s["baseline"] is None else s["baseline"]
        mean = np.array2string(self.final_theta.mean(axis=0), precision=4, separator=", ")
        return (
            f"ReinforceResult({where}: {s['n_runs']} runs × {s['n_updates']} updates, "
            f"batch {s['batch']}, lr {s['lr']:g} ({s['schedule']}), baseline {base}, "
            f"seed {s['seed']}{stop}; mean final θ {mean})"
        )


def _graph_for(env, rule):
    """The step graph and elimination plan the natural rule needs (None otherwise: the
    kernel is then compiled without the natural step): E_θ[T] at every update by
    :func:`pgweyl.sim.natural.mean_exit_time`, in O(n w²) per update for n interior
    states and envelope width w, with no size limit beyond the memory budget (one work
    array per run running at once)."""
    if rule.kind != "natural":
        return None
    graph = exit_time_graph(env)
    require_work(graph, numba.get_num_threads())
    return graph


def _lean(rule, batch: int, sampler: str, env) -> bool:
    """Whether :func:`pgweyl.sim.kernels._run_lean` covers the runs: batch 1, the vanilla
    or entropy rule, the lattice walk, policy "exp", at most ``LEAN_MAX_SIZE`` steps and dimensions
    (it gives the same bits as the general kernel)."""
    k, d = np.shape(env.steps.vectors)
    small = max(k, d) <= LEAN_MAX_SIZE
    return (
        batch == 1
        and rule.kind in ("vanilla", "entropy")
        and sampler == "walk"
        and env.policy_kind == "exp"
        and small
    )


def _check_baseline(baseline):
    if baseline is None:
        return records.BASELINE_NONE, 0.0, None
    if isinstance(baseline, str):
        if baseline == "mean":
            return records.BASELINE_MEAN, 0.0, "mean"
        raise ArgumentError(f"unknown baseline {baseline!r}; expected None, a number or 'mean'")
    if (
        isinstance(baseline, bool)
        or not isinstance(baseline, numbers.Real)
        or not np.isfinite(baseline)
    ):
        raise ArgumentError(f"baseline must be None, a finite number or 'mean', got {baseline!r}")
    return records.BASELINE_CONSTANT, float(baseline), float(baseline)


def _check_targets(targets, k: int) -> np.ndarray:
    if targets is None:
        return np.empty((0, k))
    try:
        t = np.array(targets, dtype=np.float64, ndmin=2)
    except (TypeError, ValueError):
        raise ArgumentError("targets must be an array of policies over the steps") from None
    if t.ndim != 2 or t.shape[1] != k or t.shape[0] == 0:
        raise ArgumentError(
            f"targets must be an m×{k} array (one policy over the {k} steps per row), "
            f"got shape {t.shape}"
        )
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ArgumentError("targets must hold finite probabilities >= 0")
    if np.any(np.abs(t.sum(axis=1) - 1.0) > _TARGET_SUM_TOL):
        raise ArgumentError("every row of targets must sum to 1")
    return np.ascontiguousarray(t)


def _check_target_flat(target_flat, n_targets: int) -> np.ndarray:
    if target_flat is None:
        return np.zeros(n_targets, dtype=np.int64)
    try:
        f = np.array(target_flat, dtype=bool).reshape(-1)
    except (TypeError, ValueError):
        raise ArgumentError("target_flat must be a sequence of booleans") from None
    if len(f) != n_targets:
        raise ArgumentError(f"target_flat must have one entry per target ({n_targets})")
    return f.astype(np.int64)


def _raise_run_errors(errors) -> None:
    """Raise for the first run whose kernel wrote an error code (``records.ERROR_*``)."""
    if not np.any(errors):
        return
    bad = int(np.flatnonzero(errors)[0])
    if errors[bad] == records.ERROR_NONFINITE:
        raise ArgumentError(f"run {bad}: theta overflowed to a non-finite value; lower lr")
    if errors[bad] == records.ERROR_NO_REWARD:
        raise PgweylError(
            f"run {bad}: the walk exited at a point missing from env.exit_points (internal error)"
        )
    raise PgweylError(f"run {bad}: internal error {int(errors[bad])}")


def _run_settings(env, theta0, lr, n_updates, n_runs) -> dict:
    """The settings every result of runs records first (the rest follow, so that it can
    be rerun): ``env`` as its dict, θ_0 as floats, lr, n_updates, n_runs."""
    return {
        "env": env.to_dict(),
        "theta0": [float(v) for v in theta0],
        "lr": lr,
        "n_updates": n_updates,
        "n_runs": n_runs,
    }


def _target_settings(targets, target_arr, eps, target_flat, flat_arr) -> dict:
    """The stopping settings as given: targets (None or rows), eps, target_flat."""
    return {
        "targets": None if targets is None else target_arr.tolist(),
        "eps": eps,
        "target_flat": None if target_flat is None else [bool(v) for v in flat_arr],
    }


def reinforce(
    env: AlcoveWalkEnv,
    theta0: ArrayLike,
    lr: float,
    n_updates: int,
    n_runs: int,
    *,
    batch: int = 1,
    rule: Rule | str | None = None,
    baseline: float | str | None = None,
    seed: int = 0,
    sampler: str = "walk",
    schedule: str | None = None,
    tau: float | None = None,
    power: float | None = None,
    targets: ArrayLike | None = None,
    eps: float | None = None,
    target_flat: ArrayLike | None = None,
    record_every: int = 0,
    run_offset: int = 0,
) -> ReinforceResult:
    """Run ``n_runs`` independent policy-gradient runs of ``n_updates`` updates from θ_0.

    Update (module docstring): θ_{k+1} = θ_k + α_k (1/B) Σ_j (G_j − β_k) g_j with the
    score g = (b − λ) − T ∇A(θ_k) ("exp") or counts − T π_θk ("softmax"), transformed by
    ``rule`` (:mod:`pgweyl.rules`: "vanilla" (default), "natural", "entropy:tau=T").

    Parameters
    ----------
    env : an :class:`~pgweyl.AlcoveWalkEnv`.
    theta0 : θ_0, ``env.theta_dim`` finite numbers.
    lr : α_0 > 0.   n_updates, n_runs, batch : positive integers (batch = B).
    rule : an update-rule spec or :class:`pgweyl.rules.Rule` (default "vanilla"); its
        options ``baseline``/``schedule``/``decay``/``power`` may also be given as the
        keyword arguments below (they must not contradict the spec).
    baseline : None, a number, or "mean" (running mean of the run's past returns).
    seed : non-negative integer; run r uses stream r of ``SeedSequence(seed)``.
    sampler : "walk" (the lattice walk) or "exact" (policy "exp" only): each update tilts
        the first-passage table at θ_k and draws (b, T) from it, walking on from X_N
        when T exceeds the table's N rows, so the law is exact.
    schedule : "constant" (α_k = α_0, default) or "decay" (α_k = α_0 / (1 + k/tau)^power,
        tau = 100 and power = 1 by default).
    targets : optional m×|S| array of policies; a run stops at the first θ_k whose
        policy is within total variation ``eps`` (½ Σ_s |π − target|) of a row (``eps``
        None: σ(−8), :data:`pgweyl.config.DEFAULT_EPS`).
    target_flat : optional booleans, one per target: a flat target stands for the whole
        face of its support (V constant there) and is reached when the mass π puts
        outside that support is at most ``eps``.
    record_every : store θ every this many updates (0: no trajectory).
    run_offset : run r uses stream run_offset + r, so a long job split into chunks of
        runs gives exactly the runs of one call.
    """
    check_env(env)
    theta0 = env.check_theta(theta0)
    lr = validate.positive_real("lr", lr)
    n_updates = validate.positive_int("n_updates", n_updates, MAX_UPDATES)
    n_runs = validate.positive_int("n_runs", n_runs)
    batch = validate.positive_int("batch", batch)
    if tau is not None:  # the schedule's τ (named decay in rule specs)
        tau = validate.positive_real("tau", tau)
    if power is not None:
        power = validate.positive_real("power", power)
    rule = parse_rule(rule, baseline=baseline, schedule=schedule, decay=tau, power=power)
    baseline_kind, baseline_value, baseline = _check_baseline(rule.baseline)
    schedule, tau, power = rule.schedule, rule.decay, rule.power
    seed = validate.seed(seed)
    sampler = validate.choice("sampler", sampler, SAMPLERS)
    if sampler == "exact" and env.policy_kind != "exp":
        raise ArgumentError(
            "sampler 'exact' draws from the tilted first-passage table, which is the law "
            "only for policy 'exp'; use sampler 'walk' for softmax"
        )
    k = len(env.steps.vectors)
    target_arr = _check_targets(targets, k)
    flat_arr = _check_target_flat(target_flat, len(target_arr))
    eps = validate.eps(eps)
    record_every = validate.nonnegative_int("record_every", record_every)
    run_offset = validate.nonnegative_int("run_offset", run_offset)
    dim = len(theta0)
    n_records = n_updates // record_every + 1 if record_every else 0
    if n_runs * n_records * dim > MAX_TRAJECTORY_FLOATS:
        raise ArgumentError(
            f"trajectory of {n_runs}×{n_records}×{dim} floats is too large; "
            "raise record_every or lower n_runs"
        )

    walk = walk_arrays(env)
    # None: the lattice walk (the kernel is then compiled without the exact sampler)
    sampler_rec = exact_sampler(env, theta0, EXACT_SAMPLER_TOL) if sampler == "exact" else None
    rule_rec = records.Rule(
        lr,
        records.SCHEDULE_CONSTANT if schedule == "constant" else records.SCHEDULE_DECAY,
        tau,
        power,
        batch,
        baseline_kind,
        baseline_value,
        KIND_CODES[rule.kind],
        float(rule.tau),
    )
    graph = _graph_for(env, rule)
    states = stream_states(seed, n_runs, run_offset)
    out = records.Outputs(
        np.empty((n_runs, dim)),
        np.empty(n_runs, dtype=np.int64),
        np.empty(n_runs, dtype=np.int64),
        np.empty((n_runs, n_records, dim)),
        np.zeros(n_runs, dtype=np.int64),
    )
    target_rec = records.Targets(target_arr, flat_arr, eps)
    theta0_arr = np.ascontiguousarray(theta0, dtype=np.float64)
    if _lean(rule, batch, sampler, env):
        # The lean twin: same bits, and it compiles without the rules and sampler it
        # does not use (what convergence_probabilities runs first).
        tau = float(rule.tau) if rule.kind == "entropy" else None  # None: vanilla, pruned
        args = (walk, graph_walk(env, walk), payoff(env), rule_rec, tau, target_rec, theta0_arr)
        run_rows(kernels._reinforce_rows_lean, n_runs, *args, n_updates, record_every, states, out)
    else:
        args = (walk, payoff(env), rule_rec, graph, target_rec, sampler_rec, theta0_arr)
        run_rows(kernels._reinforce_rows, n_runs, *args, n_updates, record_every, states, out)
    _raise_run_errors(out.errors)
    for arr in out[:4]:
        arr.setflags(write=False)
    settings = _run_settings(env, theta0, lr, n_updates, n_runs) | {
        "batch": batch,
        "rule": str(rule),
        "baseline": baseline,
        "seed": seed,
        "sampler": sampler,
        "schedule": schedule,
        "tau": tau,
        "power": power,
        **_target_settings(targets, target_arr, eps, target_flat, flat_arr),
        "record_every": record_every,
        "run_offset": run_offset,
    }
    return ReinforceResult(
        final_theta=out.final_theta,
        stopped_at=out.stopped_at,
        target_index=out.target_index,
        trajectory=out.trajectory if record_every else None,
        settings=settings,
    )


__all__ = ["ReinforceResult", "reinforce"]
