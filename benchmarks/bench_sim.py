"""Timings of the simulation layer (imported by run.py; not part of the test run).

- ``bench_walk``: lattice steps per second of the Numba walk sampler, and the ratio to a
  plain C loop doing the same walk with the same PRNG (xoshiro256**, same streams, same
  inverse-CDF rule), compiled now with the system ``gcc -O2``. Both are single-threaded
  (Numba limited to 1 thread) so the ratio compares like with like; the C program's
  checksums must equal Numba's, which proves the two did the same work.
- ``bench_convergence``: ``convergence_probabilities`` on the worked example against the
  vectorised NumPy peer of ``peer_numpy_mc.py``, as the ratio pgweyl / peer in one process.
- ``bench_reinforce``: ``pgweyl.sim.reinforce`` against a straightforward NumPy/Python
  REINFORCE of the same algorithm on the same env and budget; the NumPy one runs fewer
  runs and is extrapolated linearly in the number of runs.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numba
import numpy as np

import pgweyl as pw
from pgweyl.sim import kernels, reinforce
from pgweyl.sim.arrays import step_cdf, stream_states, walk_arrays
from pgweyl.sim.config import EPISODES_PER_STREAM

C_WALK_SOURCE = r"""
#define _POSIX_C_SOURCE 199309L  /* clock_gettime under -std=c99 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t rotl(const uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t next_u64(uint64_t *s) {  /* xoshiro256** 1.0 */
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static inline double uniform(uint64_t *s) { return (double)(next_u64(s) >> 11) * 0x1.0p-53; }

int main(void) {
    long k, d, nw, n, per_stream, n_streams, repeat;
    if (scanf("%ld %ld %ld %ld %ld %ld %ld", &k, &d, &nw, &n, &per_stream, &n_streams,
              &repeat) != 7) return 2;
    int64_t *vectors = malloc(sizeof(int64_t) * k * d), *delta = malloc(sizeof(int64_t) * k * nw);
    int64_t *slack0 = malloc(sizeof(int64_t) * nw), *start = malloc(sizeof(int64_t) * d);
    double *cdf = malloc(sizeof(double) * k);
    uint64_t *states = malloc(sizeof(uint64_t) * 4 * n_streams);
    for (long i = 0; i < k * d; i++) if (scanf("%" SCNd64, &vectors[i]) != 1) return 2;
    for (long i = 0; i < k * nw; i++) if (scanf("%" SCNd64, &delta[i]) != 1) return 2;
    for (long i = 0; i < nw; i++) if (scanf("%" SCNd64, &slack0[i]) != 1) return 2;
    for (long i = 0; i < d; i++) if (scanf("%" SCNd64, &start[i]) != 1) return 2;
    for (long i = 0; i < k; i++) if (scanf("%lf", &cdf[i]) != 1) return 2;
    for (long i = 0; i < 4 * n_streams; i++) if (scanf("%" SCNu64, &states[i]) != 1) return 2;
    int64_t *points = malloc(sizeof(int64_t) * n * d), *times = malloc(sizeof(int64_t) * n);
    int64_t *slack = malloc(sizeof(int64_t) * nw), *counts = malloc(sizeof(int64_t) * k);
    double best = 1e300;
    for (long rep = 0; rep < repeat; rep++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long s = 0; s < n_streams; s++) {
            uint64_t st[4] = {states[4 * s], states[4 * s + 1], states[4 * s + 2],
                              states[4 * s + 3]};
            long hi = (s + 1) * per_stream < n ? (s + 1) * per_stream : n;
            for (long e = s * per_stream; e < hi; e++) {
                for (long j = 0; j < nw; j++) slack[j] = slack0[j];
                for (long i = 0; i < k; i++) counts[i] = 0;
                int64_t T = 0;
                for (;;) {
                    double u = uniform(st);
                    long i = 0;
                    for (long j = 0; j < k - 1; j++) i += u >= cdf[j];  /* branch-free */
                    counts[i]++;
                    T++;
                    int outside = 0;
                    for (long j = 0; j < nw; j++) {
                        int64_t v = slack[j] + delta[i * nw + j];
                        slack[j] = v;
                        if (v <= 0) outside = 1;
                    }
                    if (outside) break;
                }
                times[e] = T;
                for (long c = 0; c < d; c++) {
                    int64_t v = start[c];
                    for (long i = 0; i < k; i++) v += counts[i] * vectors[i * d + c];
                    points[e * d + c] = v;
                }
            }
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double sec = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
        if (sec < best) best = sec;
    }
    long long steps = 0, pts = 0;
    for (long e = 0; e < n; e++) {
        steps += times[e];
        for (long c = 0; c < d; c++) pts += (long long)points[e * d + c] * (c + 1);
    }
    printf("%lld %lld %.9f\n", steps, pts, best);
    return 0;
}
"""

WALK_CASES = [
    # (label, env, θ): starts far from the walls so that walks are long and the time is
    # spent in the step loop, not in per-episode overhead.
    (
        "B2 level 60 signed, start (30, 10), uniform",
        lambda: pw.AlcoveWalkEnv("B2", 60, start=(30, 10), wall_rewards=(1, 0, 0)),
        (0.0, 0.0),
    ),
    (
        "A3 level 24 unit, start (18, 12, 6, 0), uniform",
        lambda: pw.AlcoveWalkEnv("A3", 24, start=(18, 12, 6, 0), wall_rewards=(1, 0, 0, 0)),
        (0.0, 0.0, 0.0, 0.0),
    ),
]


def _compile_c(tmp: str) -> str | None:
    gcc = shutil.which("gcc")
    if gcc is None:
        return None
    src = os.path.join(tmp, "walk.c")
    exe = os.path.join(tmp, "walk")
    with open(src, "w") as f:
        f.write(C_WALK_SOURCE)
    try:
        subprocess.run([gcc, "-O2", "-std=c99", "-o", exe, src], check=True, capture_output=True)
    except (subprocess.CalledProcessError, OSError):
        return None
    return exe


def _c_input(w, cdf, states, n, repeat) -> str:
    k, d = w.vectors.shape
    head = [k, d, len(w.slack0), n, EPISODES_PER_STREAM, len(states), repeat]
    parts = [" ".join(map(str, head))]
    for arr in (w.vectors, w.delta, w.slack0, w.start):
        parts.append(" ".join(str(int(v)) for v in np.ravel(arr)))
    parts.append(" ".join(repr(float(v)) for v in cdf))
    parts.append(" ".join(str(int(v)) for v in np.ravel(states)))
    return "\n".join(parts) + "\n"


def _numba_walk(w, cdf, states, n):
    points = np.empty((n, len(w.start)), dtype=np.int64)
    times = np.empty(n, dtype=np.int64)
    t0 = time.perf_counter()
    kernels._simulate_walk(
        w.start, w.vectors, w.delta, w.slack0, cdf, states, EPISODES_PER_STREAM, points, times
    )
    return time.perf_counter() - t0, points, times


_FIRST_CALL = """
import time
t0 = time.perf_counter()
import pgweyl as pw
from pgweyl.sim import reinforce, simulate_episodes
env = pw.make_env("triangle")
t1 = time.perf_counter()
simulate_episodes(env, (0.0, 0.0, 0.0), 10)
reinforce(env, (0.0, 0.0, 0.0), 1.0, 2, 2)
print(t1 - t0, time.perf_counter() - t1)
"""


def first_call_seconds() -> tuple[float, float]:
    """Seconds of the first simulate_episodes + reinforce call in a fresh process: with an
    empty Numba cache (compilation) and again with the cache it left (loading)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        runs = [
            subprocess.run(
                [sys.executable, "-c", _FIRST_CALL],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            for _ in range(2)
        ]
    cold, warm = (float(r.stdout.split()[-1]) for r in runs)
    return cold, warm


def bench_walk(quick: bool) -> dict:
    """Walk sampler throughput; Numba against C on one thread."""
    target_steps = 2e7 if quick else 1e8
    repeat = 3 if quick else 5
    rows, out, ratios = [], {}, []
    all_threads = numba.get_num_threads()
    with tempfile.TemporaryDirectory() as tmp:
        exe = _compile_c(tmp)
        for label, make, theta in WALK_CASES:
            env = make()
            w = walk_arrays(env)
            cdf = step_cdf(env.policy(theta))
            pilot = stream_states(0, 4)
            _, _, pilot_times = _numba_walk(w, cdf, pilot, 4 * EPISODES_PER_STREAM)  # compiles
            n = int(target_steps / pilot_times.mean())
            states = stream_states(1, -(-n // EPISODES_PER_STREAM))
            numba.set_num_threads(1)
            try:
                t1 = min(_numba_walk(w, cdf, states, n)[0] for _ in range(repeat))
            finally:
                numba.set_num_threads(all_threads)
            t_all, points, times = min(
                (_numba_walk(w, cdf, states, n) for _ in range(repeat)), key=lambda r: r[0]
            )
            steps = int(times.sum())
            pts = int((points * np.arange(1, points.shape[1] + 1)).sum())
            rate1, rate_all = steps / t1, steps / t_all
            rate_c = ratio = None
            if exe is not None:
                res = subprocess.run(
                    [exe],
                    input=_c_input(w, cdf, states, n, repeat),
                    capture_output=True,
                    text=True,
                    check=True,
                )
                c_steps, c_pts, c_time = res.stdout.split()
                if (int(c_steps), int(c_pts)) != (steps, pts):
                    raise RuntimeError(f"C walk differs from Numba on {label}: not the same work")
                rate_c = steps / float(c_time)
                ratio = rate1 / rate_c
                ratios.append(ratio)
            rows.append((label, steps, rate1, rate_all, rate_c, ratio))
    print(
        f"\n{'walk sampler (steps/s)':48s} {'steps':>11s} {'numba 1 thr':>12s} "
        f"{f'numba {all_threads} thr':>12s} {'C -O2 1 thr':>12s} {'numba/C':>8s}"
    )
    for label, steps, r1, ra, rc, ratio in rows:
        c_txt = "n/a" if rc is None else f"{rc:12.3e}"
        q_txt = "n/a" if ratio is None else f"{ratio:8.3f}"
        print(f"{label:48s} {steps:11d} {r1:12.3e} {ra:12.3e} {c_txt:>12s} {q_txt:>8s}")
    print("  (numba/C: both single-threaded, same PRNG and streams; checksums equal)")
    cold, warm = first_call_seconds()
    print(
        f"first call (simulate_episodes + reinforce): compile {cold:.2f} s, from cache {warm:.2f} s"
    )
    out["sim_first_call_compile_s"] = round(cold, 2)
    out["sim_first_call_cached_s"] = round(warm, 2)
    out["walk_steps_per_s"] = round(min(r[3] for r in rows))
    out["walk_steps_per_s_1thread"] = round(min(r[2] for r in rows))
    out["walk_vs_c"] = round(min(ratios), 3) if ratios else None
    return out


# -- REINFORCE -----------------------------------------------------------------------------
def numpy_reinforce(env, theta0, lr, n_updates, n_runs, seed=0, chunk=32):
    """A straightforward NumPy REINFORCE (B = 1, no baseline, constant α) of THEORY §5:
    each episode draws steps in vectorised chunks and finds the first exit by cumsum."""
    rng = np.random.default_rng(seed)
    S = env.steps.vectors
    Sf = S.astype(float)
    normals = env.alcove.inward_normals
    offsets = env.alcove.inward_offsets
    start = env.start
    rewards = {tuple(b): r for b, r in zip(env.exit_points.tolist(), env.exit_rewards)}
    finals = np.empty((n_runs, len(theta0)))
    for r in range(n_runs):
        theta = np.array(theta0, dtype=float)
        for _ in range(n_updates):
            logits = Sf @ theta
            p = np.exp(logits - logits.max())
            p /= p.sum()
            x, T = start, 0
            while True:
                path = x + np.cumsum(S[rng.choice(len(p), size=chunk, p=p)], axis=0)
                out = np.any(path @ normals.T <= offsets, axis=1)
                if out.any():
                    i = int(np.argmax(out))
                    b, T = path[i], T + i + 1
                    break
                x, T = path[-1], T + chunk
            R = rewards[tuple(env.alcove.representative(b).tolist())]
            G = env.gamma ** (T - 1) * R - env.step_cost * sum(env.gamma**t for t in range(T))
            theta += lr * G * ((b - start) - T * (p @ Sf))
        finals[r] = theta
    return finals


def bench_reinforce(quick: bool) -> dict:
    """reinforce() against the NumPy version on the THEORY §7 corridor (α = 1, θ_0 = 0)."""
    env = pw.make_env("corridor")
    n_updates = 1000 if quick else 5000
    n_runs = 4000 if quick else 20000
    np_runs = 4 if quick else 10
    reinforce(env, (0.0, 0.0), 1.0, 10, 2)  # compile / load the cache
    run = functools.partial(reinforce, env, (0.0, 0.0), 1.0, n_updates, n_runs)
    t_nb = min(_timed(functools.partial(run, seed=s)) for s in (1, 2))
    all_threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        t_nb1 = _timed(functools.partial(run, seed=1))
    finally:
        numba.set_num_threads(all_threads)
    t_np_small = _timed(
        functools.partial(numpy_reinforce, env, (0.0, 0.0), 1.0, n_updates, np_runs)
    )
    t_np = t_np_small * n_runs / np_runs
    ratio, ratio1 = t_np / t_nb, t_np / t_nb1
    upd = n_updates * n_runs
    print(
        f"\n{'REINFORCE, corridor, B=1, lr=1, theta0=0':48s} {'updates':>11s} {'seconds':>10s} "
        f"{'updates/s':>11s}"
    )
    label = f"pgweyl reinforce ({all_threads} threads)"
    print(f"{label:48s} {upd:11d} {t_nb:10.3f} {upd / t_nb:11.3e}")
    print(f"{'pgweyl reinforce (1 thread)':48s} {upd:11d} {t_nb1:10.3f} {upd / t_nb1:11.3e}")
    print(
        f"{f'NumPy loop ({np_runs} runs, extrapolated)':48s} {upd:11d} {t_np:10.3f} "
        f"{upd / t_np:11.3e}"
    )
    print(f"  reinforce_vs_numpy = {ratio:.0f} ({all_threads} threads), {ratio1:.0f} (1 thread)")
    return {
        "reinforce_updates_per_s": round(upd / t_nb),
        "reinforce_vs_numpy": round(ratio, 1),
        "reinforce_vs_numpy_1thread": round(ratio1, 1),
    }


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# -- convergence Monte Carlo against a NumPy peer --------------------------------------------
def _updates_done(res, n_updates: int) -> float:
    """Updates the runs of a ConvergenceResult made: a stopped run its stop index, an
    open one all n_updates."""
    return res.mean_stop_update * res.n_absorbed + (res.n_runs - res.n_absorbed) * n_updates


def bench_convergence(quick: bool) -> dict:
    """convergence_probabilities on the worked example (corridor, θ_0 = 0, α = 1, ε = σ(−8))
    against the vectorised NumPy peer (``peer_numpy_mc.py``, written independently), each
    pair timed back to back in this process, 3 times, with 1 thread and with all threads;
    the ratio is pgweyl / peer (lower is faster; issue 13 asks ≤ 0.1). The exact sampler
    is timed the same way."""
    from peer_numpy_mc import numpy_convergence

    env = pw.make_env("corridor")
    mx = pw.local_maxima(env, basin_samples=0)
    eps = pw.config.DEFAULT_EPS
    n_updates, runs = 200_000, 1000 if quick else 4000
    conv = functools.partial(
        pw.convergence_probabilities, env, [0, 0], 1.0, maxima=mx, progress=False
    )
    for sampler in ("walk", "exact"):
        conv(1000, 10, sampler=sampler)  # compile / load the cache
    all_threads = numba.get_num_threads()
    out, rows = {}, []
    for sampler, threads in (("walk", 1), ("walk", all_threads), ("exact", 1)):
        numba.set_num_threads(threads)
        ratios, per_update = [], []
        try:
            for _ in range(3):
                t0 = time.perf_counter()
                res = conv(n_updates, runs, seed=1, sampler=sampler)
                t1 = time.perf_counter()
                numpy_convergence(env, mx, [0.0, 0.0], 1.0, n_updates, runs, eps, seed=1)
                t2 = time.perf_counter()
                ratios.append((t1 - t0) / (t2 - t1))
                per_update.append((t1 - t0) / _updates_done(res, n_updates) * 1e9)
        finally:
            numba.set_num_threads(all_threads)
        rows.append((sampler, threads, min(ratios), float(np.median(ratios)), min(per_update)))
        key = f"convergence_{sampler}_{threads}thread_vs_peer"
        out[key] = round(float(np.median(ratios)), 4)
        out[f"convergence_{sampler}_{threads}thread_ns_per_update"] = round(min(per_update), 1)
    print(
        f"\n{f'convergence MC, corridor, {runs} runs':40s} {'threads':>8s} "
        f"{'pgweyl/peer min':>16s} {'median':>8s} {'ns/update':>10s}"
    )
    for sampler, threads, lo, med, ns in rows:
        print(f"{f'sampler {sampler!r}':40s} {threads:8d} {lo:16.4f} {med:8.4f} {ns:10.1f}")
    print("  (peer: vectorised NumPy over the live runs, benchmarks/peer_numpy_mc.py)")
    return out
