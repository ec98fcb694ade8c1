"""Convergence probabilities of policy gradient by Monte Carlo (THEORY §7).

N independent REINFORCE runs (Numba, parallel) start at θ_0; a run stops as soon as its
policy is within total variation ``eps`` of a local maximum's policy and is credited to
that maximum. A run that has not stopped after ``n_updates`` updates is classified by
the nearest maximum within ``classify_tol`` (default: ``eps``, i.e. only absorbed runs
count), else it is *unresolved* — always reported, never dropped. Each share comes with
a Wilson 95% interval:

    (p̂ + z²/2n ± z √(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n),   z = 1.959964.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from pgweyl import config, validate
from pgweyl.errors import ArgumentError
from pgweyl.landscape.maxima import local_maxima
from pgweyl.landscape.settings import RunSettings, provenance, settings_of
from pgweyl.landscape.shares import Shares, share_fields
from pgweyl.progress import Progress
from pgweyl.rules import parse_rule

#: Runs are simulated in chunks; a Numba call returns to Python (where Ctrl-C is seen and
#: progress reported) only between chunks. Chunk sizes adapt so that one chunk takes
#: about CHUNK_SECONDS, starting from FIRST_CHUNK_RUNS runs; results do not depend on
#: the chunking (run r always uses RNG stream r).
CHUNK_SECONDS = 0.5
FIRST_CHUNK_RUNS = 64
#: Upper bound on the runs of one chunk (besides the memory budget).
MAX_CHUNK_RUNS = 1 << 18


def _max_chunk_runs(env, n_maxima: int) -> int:
    """Runs per chunk that fit the memory budget: per run θ, its policy, the distances to
    the maxima, the RNG state and the kernel's bookkeeping (float64/int64 words)."""
    words = 4 * env.theta_dim + 3 * len(env.steps.vectors) + 2 * n_maxima + 16
    per_run = 8 * words
    return int(max(64, min(MAX_CHUNK_RUNS, config.MEMORY_BUDGET // (4 * per_run))))


@dataclass(frozen=True, repr=False, kw_only=True)
class ConvergenceResult(Shares):
    """Shares of runs ending at each maximum (aligned with ``maxima``) and unresolved.

    Attributes: ``maxima`` (the :class:`LocalMaximum` list, best first), the
    :class:`Shares` of the runs (``counts``, ``probabilities`` = counts / n_runs,
    ``ci_low``/``ci_high``, ``unresolved``, ``unresolved_ci``), ``n_runs``,
    ``n_absorbed`` (runs stopped within ε), ``mean_stop_update``, ``settings`` (the
    :class:`RunSettings` that ran, method "mc": ``RunSettings.from_dict`` of its record
    reruns the result), ``env`` (the environment's description) and ``pgweyl_version``.
    Built by keyword. :meth:`standard_errors` and :meth:`to_dict`."""

    maxima: list
    n_runs: int
    n_absorbed: int
    mean_stop_update: float
    settings: RunSettings
    env: dict
    pgweyl_version: str

    def standard_errors(self) -> np.ndarray:
        """Binomial standard errors √(p(1 − p)/n_runs) of ``probabilities``."""
        p = self.probabilities
        return np.sqrt(p * (1 - p) / self.n_runs)

    def to_dict(self) -> dict:
        """Every field, JSON-ready (NaN as None; :func:`pgweyl.serialize.dataclass_to_dict`)."""
        from pgweyl.serialize import dataclass_to_dict

        return dataclass_to_dict(self)

    def __repr__(self) -> str:
        parts = [
            f"{tuple(m.support)}: {p:.4f} [{lo:.4f}, {hi:.4f}]"
            for m, p, lo, hi in zip(self.maxima, self.probabilities, self.ci_low, self.ci_high)
        ]
        return (
            f"ConvergenceResult(n_runs={self.n_runs}, "
            + "; ".join(parts)
            + f"; unresolved: {self.unresolved:.4f})"
        )


#: ``scheme="auto"`` runs the event-driven scheme below this ε (it applies only to vanilla
#: REINFORCE with batch 1, a constant step and baseline, and the walk sampler).
EVENT_EPS = 1e-5


def _choose_scheme(env, scheme, rule, batch, sampler, eps) -> str:
    """The scheme to run, "plain" or "event" (refusing "event" where it does not apply)."""
    from pgweyl.sim.events import event_refusal  # Numba: loaded when runs are simulated

    why = event_refusal(env, rule, batch, sampler)
    if scheme == "event" and why is not None:
        raise ArgumentError(why)
    if scheme == "auto":
        return "event" if why is None and eps < EVENT_EPS else "plain"
    return scheme


def _reinforce_events(env, theta0, lr, n_updates, n_runs, *, batch, rule, sampler, **kw):
    """:func:`pgweyl.sim.events.reinforce_events` called as :func:`pgweyl.reinforce`
    (batch, rule and sampler were checked by :func:`_choose_scheme`)."""
    from pgweyl.sim.events import reinforce_events

    del batch, sampler
    return reinforce_events(env, theta0, lr, n_updates, n_runs, baseline=rule.baseline, **kw)


def convergence_probabilities(
    env,
    theta0=None,
    lr=None,
    n_updates=None,
    n_runs=None,
    *,
    maxima=None,
    baseline=None,
    schedule=None,
    chunks=None,
    progress=None,
    settings: RunSettings | None = None,
    **run,
) -> ConvergenceResult:
    """P(policy gradient from θ_0 ends at each local maximum), by Monte Carlo.

    The run settings are either ``theta0``, ``lr``, ``n_updates``, ``n_runs`` and the
    keywords ``run`` — ``seed``, ``eps``, ``classify_tol``, ``batch``, ``sampler``,
    ``rule`` (None or absent: the defaults of
    :class:`pgweyl.landscape.settings.RunSettings` — θ_0 = 0, ``lr`` 1, 200 000 updates,
    10 000 runs, seed 0, ε = σ(−8), batch 1, sampler "walk", vanilla) — or one
    ``settings`` record (e.g. ``RunSettings.from_dict(result.settings.to_dict())``,
    which reruns a result bit-identically), not both.

    ``rule`` (:mod:`pgweyl.rules`): the update rule (``baseline`` and ``schedule`` are
    merged into it); the maxima (default) are those of the objective it ascends (J_τ for
    entropy), and a run converges when it first enters the ε-neighbourhood of one of
    them.

    ``eps``: absorbing radius in total variation (THEORY §7); ``progress``: None (a
    tqdm bar on a terminal), True/"bar", False/"off" or "lines"
    (:mod:`pgweyl.progress`). Runs go in chunks (``chunks`` equal ones, else sized to
    last about ``CHUNK_SECONDS`` each) whose final θ are reduced to labels at once, so
    memory does not grow with ``n_runs`` and Ctrl-C is seen between chunks. Results do
    not depend on the chunks or on the thread count: run r always uses RNG stream r.

    ``n_runs`` REINFORCE runs (:func:`pgweyl.reinforce`; ``lr``, ``batch``, ``sampler``
    as there), each stopped as soon as its policy is within ``eps`` of a maximum. Runs
    still open after ``n_updates`` are credited to the nearest maximum within
    ``classify_tol`` (default ``eps``), else counted as unresolved. ``maxima`` default:
    :func:`local_maxima` (of the rule's objective).

    ``scheme`` (a run keyword; the result records the one that ran): "plain" (every
    update simulated, :func:`pgweyl.reinforce`), "event" (quiet stretches near a vertex
    in one move, :mod:`pgweyl.sim.events`: vanilla, batch 1, constant step and baseline,
    sampler "walk") or "auto": "event" when it applies and ``eps`` < ``EVENT_EPS``
    (where plain runs need ~1/ε updates), else "plain".

    >>> import pgweyl as pw
    >>> env = pw.make_env("corridor")
    >>> mc = convergence_probabilities(env, [0.0, 0.0], 1.0, 100_000, 500)  # doctest: +SKIP
    >>> mc.probabilities, mc.unresolved  # doctest: +SKIP
    (array([0.37, 0.63]), 0.0)
    """
    # Everything is validated here, once, before the (seconds-long) search for maxima.
    if settings is None:  # the rule's own options merged with baseline= and schedule=
        run["rule"] = parse_rule(run.get("rule"), baseline=baseline, schedule=schedule)
        run.setdefault("method", "mc")
    elif baseline is not None or schedule is not None:
        raise ArgumentError("give either settings or baseline/schedule (in its rule), not both")
    run.update(theta0=theta0, lr=lr, n_updates=n_updates, n_runs=n_runs)
    settings = settings_of(settings, **run)
    if chunks is not None:
        chunks = validate.positive_int("chunks", chunks)
    return _convergence(env, settings, maxima, chunks, progress)


def _convergence(env, settings: RunSettings, maxima, chunks, progress) -> ConvergenceResult:
    """The Monte Carlo study of :func:`convergence_probabilities` on trusted settings."""
    from pgweyl.sim import reinforce  # Numba: loaded when runs are simulated

    theta0 = settings.theta_for(env)
    rule, eps, n_runs = settings.rule, settings.eps, settings.n_runs
    classify_tol = eps if settings.classify_tol is None else settings.classify_tol
    scheme = _choose_scheme(env, settings.scheme, rule, settings.batch, settings.sampler, eps)
    settings = settings.replace(scheme=scheme)  # recorded as resolved
    maxima = local_maxima(env, basin_samples=0, rule=rule) if maxima is None else list(maxima)
    targets = np.array([m.policy for m in maxima])
    flat = [m.flat for m in maxima]
    max_chunk = _max_chunk_runs(env, len(maxima))
    if chunks is not None:  # fixed chunks (each still within the memory cap)
        bounds = np.linspace(0, n_runs, min(chunks, n_runs) + 1).astype(np.int64).tolist()
    counts = np.zeros(len(maxima), dtype=np.int64)
    n_unres = n_absorbed = 0
    stop_sum = 0.0
    done, size = 0, min(n_runs, FIRST_CHUNK_RUNS)
    with Progress(n_runs, "policy gradient runs", "run", progress) as bar:
        while done < n_runs:
            if chunks is not None:
                end = next(b for b in bounds if b > done)
                size = min(end - done, max_chunk)
            size = min(size, n_runs - done)
            t_chunk = time.perf_counter()
            run = reinforce if scheme == "plain" else _reinforce_events
            res = run(
                env,
                theta0,
                settings.lr,
                settings.n_updates,
                size,
                batch=settings.batch,
                rule=rule,
                seed=settings.seed,
                sampler=settings.sampler,
                targets=targets,
                eps=eps,
                run_offset=done,
                target_flat=flat,
            )
            # Reduce the chunk to labels at once: memory does not grow with n_runs.
            label = res.target_index.copy()
            open_runs = np.flatnonzero(label < 0)
            if len(open_runs):
                p = env.policies(res.final_theta[open_runs])
                dist = np.stack([m.distances(p) for m in maxima], axis=1)
                nearest = dist.argmin(axis=1)
                ok = dist[np.arange(len(open_runs)), nearest] <= classify_tol
                label[open_runs[ok]] = nearest[ok]
            counts += np.bincount(label[label >= 0], minlength=len(maxima))
            n_unres += int((label < 0).sum())
            absorbed = res.stopped_at >= 0
            n_absorbed += int(absorbed.sum())
            stop_sum += float(res.stopped_at[absorbed].sum(dtype=np.float64))
            done += size
            bar.update(size)
            if chunks is None:  # aim at CHUNK_SECONDS per chunk (Ctrl-C is seen between)
                rate = size / max(time.perf_counter() - t_chunk, 1e-3)
                size = int(min(max(rate * CHUNK_SECONDS, size / 4, 1), 4 * size, max_chunk))
    return ConvergenceResult(
        maxima=maxima,
        **share_fields(counts, n_unres, n_runs),
        n_runs=n_runs,
        n_absorbed=n_absorbed,
        mean_stop_update=stop_sum / n_absorbed if n_absorbed else float("nan"),
        settings=settings,
        **provenance(env.to_dict()),
    )


__all__ = ["EVENT_EPS", "ConvergenceResult", "convergence_probabilities"]
