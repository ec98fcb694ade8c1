"""Independent episodes of the walk POMDP: ``simulate_episodes``.

An episode under the memoryless policy π_θ starts at λ, adds steps s ~ π_θ and ends at
the first time T ≥ 1 that X_T is not in the open alcove; it is summarised by the exit
point b = X_T (full coordinates, also for A_n) and the exit time T (THEORY §3). Two
samplers of (b, T):

- ``"walk"``: the lattice walk itself, step by step (Numba);
- ``"exact"``: draws of the cells (b, n) of the value distribution
  P_θ(b, n) = F_n(λ, b) exp((θ, b − λ) − n A(θ)) from the exact layer, truncated where
  P(T > N) ≤ 1e-12 and renormalised (so it is off from the true law by at most that
  much in total variation).

Both use the same streams: episodes [1024·s, 1024·(s+1)) come from stream s of
``SeedSequence(seed)``, so episode i is the same draw for every n > i and every thread
count.

>>> import pgweyl as pw
>>> env = pw.make_env("corridor")
>>> b, T = simulate_episodes(env, [40.0, 0.0], 3)   # "always e_1": straight to wall 0
>>> b.tolist(), T.tolist()
([[8, 0], [8, 0], [8, 0]], [6, 6, 6])
"""

from __future__ import annotations

import numpy as np

from pgweyl import budget, validate
from pgweyl.errors import ArgumentError
from pgweyl.sim import kernels
from pgweyl.sim.arrays import (
    check_env,
    step_cdf,
    stream_states,
    walk_arrays,
)
from pgweyl.sim.config import EPISODES_PER_STREAM, EXACT_SAMPLER_TOL, SAMPLERS
from pgweyl.sim.threads import run_rows


def require_episodes(env, n: int) -> None:
    """Refuse (:class:`pgweyl.ResourceError`) ``n`` episodes of ``env`` in one
    :func:`simulate_episodes` call when their arrays exceed the memory budget: the exit
    points (n × d) and times, 8 bytes each, plus the RNG states (4 words per stream of
    ``EPISODES_PER_STREAM`` episodes). Callers check it before other work."""
    budget.require(
        n * (len(env.start) + 1) * 8 + -(-n // EPISODES_PER_STREAM) * 32,
        f"{n} simulated episodes",
        "simulate fewer episodes per call (pgweyl.study.checks streams them in chunks)",
    )


def simulate_episodes(env, theta, n, seed=0, sampler="walk"):
    """Draw n independent episodes under π_θ; return (exit points, exit times).

    Returns ``points`` (n×d int64, b = X_T in full coordinates) and ``times`` ((n,)
    int64, T ≥ 1, the first time X_T leaves the open alcove).
    """
    check_env(env)
    theta = env.check_theta(theta)
    n = validate.positive_int("n", n)
    seed = validate.seed(seed)
    sampler = validate.choice("sampler", sampler, SAMPLERS)
    require_episodes(env, n)
    n_streams = -(-n // EPISODES_PER_STREAM)
    states = stream_states(seed, n_streams)
    if sampler == "exact":
        return _simulate_exact(env, theta, n, states)
    w = walk_arrays(env)
    points = np.empty((n, len(w.start)), dtype=np.int64)
    times = np.empty(n, dtype=np.int64)
    cdf = step_cdf(env.policy(theta))
    # Streams dealt to threads by run_rows (a serial kernel compiles in a fraction of the
    # prange one's time); each stream owns its episodes, so the draws do not depend on it.
    args = (w.start, w.vectors, w.delta, w.slack0, cdf, states, EPISODES_PER_STREAM)
    run_rows(kernels._simulate_walk_rows, n_streams, *args, points, times)
    return points, times


def _simulate_exact(env, theta, n, states):
    dist = env.value_distribution(theta, tol=EXACT_SAMPLER_TOL)
    cells = np.asarray(dist.points, dtype=np.int64)
    cell_times = np.asarray(dist.times, dtype=np.int64)
    probs = np.asarray(dist.probs, dtype=np.float64)
    if cells.ndim != 2 or cells.shape[0] != probs.shape[0] or cell_times.shape != probs.shape:
        raise ArgumentError(
            "value distribution has inconsistent shapes: points "
            f"{cells.shape}, times {cell_times.shape}, probs {probs.shape}"
        )
    cdf = step_cdf(probs)
    idx = np.empty(n, dtype=np.int64)
    run_rows(kernels._simulate_table_rows, len(states), cdf, states, EPISODES_PER_STREAM, idx)
    return cells[idx], cell_times[idx]


__all__ = ["require_episodes", "simulate_episodes"]
