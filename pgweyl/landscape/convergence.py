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

import sys
from dataclasses import dataclass

import numpy as np

from pgweyl import validate
from pgweyl.landscape.maxima import local_maxima

Z95 = 1.959963984540054


def wilson_interval(k, n: int, z: float = Z95):
    """Wilson score interval for k successes in n trials (vectorised over k)."""
    k = np.asarray(k, dtype=float)
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


@dataclass(frozen=True, repr=False)
class ConvergenceResult:
    """Shares of runs ending at each maximum (aligned with ``maxima``) and unresolved."""

    maxima: list
    counts: np.ndarray
    probabilities: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    unresolved: float
    unresolved_ci: tuple
    n_runs: int
    n_absorbed: int
    mean_stop_update: float
    settings: dict

    def standard_errors(self) -> np.ndarray:
        p = self.probabilities
        return np.sqrt(p * (1 - p) / self.n_runs)

    def to_dict(self) -> dict:
        return {
            "maxima": [m.to_dict() for m in self.maxima],
            "counts": self.counts.tolist(),
            "probabilities": self.probabilities.tolist(),
            "ci_low": self.ci_low.tolist(),
            "ci_high": self.ci_high.tolist(),
            "unresolved": self.unresolved,
            "unresolved_ci": list(self.unresolved_ci),
            "n_runs": self.n_runs,
            "n_absorbed": self.n_absorbed,
            "mean_stop_update": self.mean_stop_update,
            "settings": dict(self.settings),
        }

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


def convergence_probabilities(
    env,
    theta0,
    lr,
    n_updates,
    n_runs,
    seed=0,
    eps=None,
    classify_tol=None,
    maxima=None,
    batch=1,
    baseline=None,
    schedule="constant",
    sampler="walk",
    chunks=None,
    progress=None,
) -> ConvergenceResult:
    """P(policy gradient from θ_0 ends at each local maximum), by Monte Carlo.

    ``eps``: absorbing radius in total variation (default σ(−8) ≈ 3.4e−4, as in THEORY
    §7); ``progress``: show a tqdm bar (default: only on a terminal). Results do not
    depend on ``chunks`` or on the thread count: run r always uses RNG stream r."""
    from pgweyl.sim import reinforce

    eps = validate.eps(eps)
    if classify_tol is not None:  # a classification radius, not an absorbing one: up to 1
        classify_tol = validate.finite_real("classify_tol", classify_tol, 0.0, 1.0, lo_open=True)
    classify_tol = eps if classify_tol is None else classify_tol
    n_runs = validate.positive_int("n_runs", n_runs)
    maxima = local_maxima(env, basin_samples=0) if maxima is None else list(maxima)
    targets = np.array([m.policy for m in maxima])
    if chunks is None:
        chunks = max(1, min(20, n_runs // 5000))
    bounds = np.linspace(0, n_runs, chunks + 1).astype(int)
    if progress is None:
        progress = sys.stderr.isatty()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_runs, unit="run", desc="policy gradient runs")
    finals, stops, hits = [], [], []
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b <= a:
            continue
        res = reinforce(
            env,
            theta0,
            lr,
            n_updates,
            int(b - a),
            batch=batch,
            baseline=baseline,
            seed=seed,
            sampler=sampler,
            schedule=schedule,
            targets=targets,
            eps=eps,
            run_offset=int(a),
            target_flat=[m.flat for m in maxima],
        )
        finals.append(res.final_theta)
        stops.append(res.stopped_at)
        hits.append(res.target_index)
        if bar is not None:
            bar.update(int(b - a))
    if bar is not None:
        bar.close()
    final = np.vstack(finals)
    stopped = np.concatenate(stops)
    label = np.concatenate(hits).copy()
    open_runs = np.flatnonzero(label < 0)
    if len(open_runs):
        p = env.policies(final[open_runs])
        dist = np.stack([m.distances(p) for m in maxima], axis=1)
        nearest = dist.argmin(axis=1)
        ok = dist[np.arange(len(open_runs)), nearest] <= classify_tol
        label[open_runs[ok]] = nearest[ok]
    counts = np.bincount(label[label >= 0], minlength=len(maxima))
    lo, hi = wilson_interval(counts, n_runs)
    n_unres = int((label < 0).sum())
    u_lo, u_hi = wilson_interval(n_unres, n_runs)
    absorbed = stopped >= 0
    settings = {
        "env": env.to_dict(),
        "theta0": [float(v) for v in np.ravel(theta0)],
        "lr": float(lr),
        "n_updates": int(n_updates),
        "n_runs": int(n_runs),
        "seed": int(seed),
        "eps": eps,
        "classify_tol": classify_tol,
        "batch": batch,
        "baseline": baseline,
        "schedule": schedule,
        "sampler": sampler,
    }
    return ConvergenceResult(
        maxima=maxima,
        counts=counts,
        probabilities=counts / n_runs,
        ci_low=lo,
        ci_high=hi,
        unresolved=n_unres / n_runs,
        unresolved_ci=(float(u_lo), float(u_hi)),
        n_runs=n_runs,
        n_absorbed=int(absorbed.sum()),
        mean_stop_update=float(stopped[absorbed].mean()) if absorbed.any() else float("nan"),
        settings=settings,
    )


__all__ = ["ConvergenceResult", "convergence_probabilities", "wilson_interval"]
