"""Where a REINFORCE update's time goes (issue 25, item 1): each part of an update timed
alone in a small Numba loop over the updates of real runs of the worked example.

    python benchmarks/bench_update_parts.py [--runs 40] [--rounds 3]

The worked example: ``pw.make_env("corridor")``, θ_0 = 0, α = 1, batch 1, stopping at the
two vertex maxima at ε = σ(−8). The runs are made once with ``record_every=1``; the θ_k
of every update they made are the inputs of the loops below, so every part sees the
policies, walks and returns of the real runs. One thread, CPU time of the calling
thread; ns per update, median over the rounds.

Parts, each in the form the lean kernel had before issue 25 ("slack", "arrays") and the
form it has now ("graph", "tuple"):

- ``rng``: the uniforms alone (as many per update as the runs drew), the RNG bound;
- ``policy``: π_θ, its CDF and the mass off the top from θ_k (one exp, two divisions);
- ``walk``: one episode at π_θk, random numbers included — the slack walk with its step
  counts and exit point, or the walk on the step graph (exit e, T, Σ lift); the graph
  walk also with the branch-free step count, to separate the scan from the graph;
- ``target``: the test of π against the targets (skipped while the mass off the top
  exceeds 4ε);
- ``return``: R(b) (reward box, or reward[e]) and G = γ^{T−1} R;
- ``score+step``: ∇A(θ) = E_π[s] and θ += α G ((x − λ) − T ∇A).

Then the whole update: the lean kernel (``_run_lean``) and the general one (``_run``, the
same bits), and two loops written for the corridor alone with θ, π in scalars, which
differ only in how the step is chosen: a branch-free count (u ≥ cdf₀ as a number) or a
branch. The parts alone add up to less than the whole: an update is one chain of
dependent operations θ → logits → exp → division → ∇A → θ, and its length (latency), not
the number of operations, sets the time; see docs/performance.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import time

import numba
import numpy as np
from numba import njit

import pgweyl as pw
from pgweyl.sim import kernels as K
from pgweyl.sim.arrays import graph_walk, payoff, walk_arrays
from pgweyl.sim.records import Targets

NJ = {"nogil": True, "error_model": "numpy"}


# -- the parts, each alone ----------------------------------------------------------------
@njit(**NJ)
def _rng(st, n):
    s0, s1, s2, s3 = st[0], st[1], st[2], st[3]
    acc = 0.0
    for _ in range(n):
        r, s0, s1, s2, s3 = K._xoshiro(s0, s1, s2, s3)
        acc += float(r >> K._U11) * K._TWO_M53
    return acc


@njit(**NJ)
def _policy_arrays(vf, thetas):
    k = vf.shape[0]
    logits, p, cdf, theta = np.empty(k), np.empty(k), np.empty(k), np.empty(thetas.shape[1])
    acc = 0.0
    for n in range(thetas.shape[0]):
        for c in range(theta.shape[0]):  # θ in a buffer, as in the kernel (no row views)
            theta[c] = thetas[n, c]
        acc += K._policy_probs(0, vf, theta, logits, p, cdf) + cdf[0]
    return acc


@njit(**NJ)
def _policy_tuples(vf, thetas, zeros_k, zeros_d):
    acc = 0.0
    for n in range(thetas.shape[0]):
        th = zeros_d
        for c in range(len(zeros_d)):
            th = K.tuple_setitem(th, c, thetas[n, c])
        p, cdf, off = K._policy_tuple(vf, th, zeros_k)
        acc += off + cdf[0]
    return acc


@njit(**NJ)
def _walk_slack(walk, cdfs, st, times):
    start, vectors, delta, slack0 = walk.start, walk.vectors, walk.delta, walk.slack0
    slack = np.empty(slack0.shape[0], np.int64)
    counts = np.empty(vectors.shape[0], np.int64)
    x = np.empty(vectors.shape[1], np.int64)
    cdf = np.empty(cdfs.shape[1])
    s0, s1, s2, s3 = st[0], st[1], st[2], st[3]
    for n in range(cdfs.shape[0]):
        for i in range(cdf.shape[0]):
            cdf[i] = cdfs[n, i]
        T, s0, s1, s2, s3 = K._walk_registers(
            start, vectors, delta, slack0, cdf, s0, s1, s2, s3, slack, counts, x
        )
        times[n] = T + x[0]


@njit(**NJ)
def _walk_on_graph(gw, cdfs, zeros_k, st, times, exits, lifts):
    succ, lift = gw.succ, gw.lift
    s0, s1, s2, s3 = st[0], st[1], st[2], st[3]
    for n in range(cdfs.shape[0]):
        cdf = zeros_k
        for i in range(len(zeros_k)):
            cdf = K.tuple_setitem(cdf, i, cdfs[n, i])
        T, e, lifted, s0, s1, s2, s3 = K._walk_graph(succ, lift, cdf, s0, s1, s2, s3)
        times[n] = T
        exits[n] = e
        lifts[n] = lifted


@njit(**NJ)
def _walk_on_graph_count(gw, cdfs, zeros_k, st, times):
    """:func:`_walk_on_graph` with the branch-free step count of the slack walk."""
    succ, lift = gw.succ, gw.lift
    s0, s1, s2, s3 = st[0], st[1], st[2], st[3]
    k = len(zeros_k)
    for n in range(cdfs.shape[0]):
        s, T, lifted = 0, 0, 0
        while True:
            r, s0, s1, s2, s3 = K._xoshiro(s0, s1, s2, s3)
            u = float(r >> K._U11) * K._TWO_M53
            i = 0
            for j in range(k - 1):
                i += 1 if u >= cdfs[n, j] else 0
            nxt = succ[s, i]
            lifted += lift[i]
            T += 1
            if nxt < 0:
                break
            s = nxt
        times[n] = T + 0 * lifted


@njit(**NJ)
def _target(ps, offs, targets):
    policies, flat, eps = targets.policies, targets.flat, targets.eps
    far = K._target_far(policies, eps)
    hits = 0
    for n in range(ps.shape[0]):
        if not offs[n] > far:  # as _reached: the full test only within reach of a target
            hits += K._match_target(ps[n], policies, flat, eps)
    return hits


@njit(**NJ)
def _return_box(pay, prism, xs, times):
    acc = 0.0
    x = np.empty(xs.shape[1], np.int64)
    lo, shape, strides, table = pay.lo, pay.shape, pay.strides, pay.table
    for n in range(times.shape[0]):
        for c in range(x.shape[0]):
            x[c] = xs[n, c]
        R = K._exit_reward(x, prism, lo, shape, strides, table)
        acc += K._payoff_return(pay.gamma, pay.step_cost, pay.gpow, R, times[n])
    return acc


@njit(**NJ)
def _return_graph(pay, reward, exits, times):
    acc = 0.0
    for n in range(times.shape[0]):
        acc += K._payoff_return(pay.gamma, pay.step_cost, pay.gpow, reward[exits[n]], times[n])
    return acc


@njit(**NJ)
def _step_arrays(vf, ps, disps, times, gs, theta):
    mean = np.empty(theta.shape[0])
    p = np.empty(ps.shape[1])
    for n in range(ps.shape[0]):
        for i in range(p.shape[0]):
            p[i] = ps[n, i]
        K._mean_step(p, vf, mean)
        for c in range(theta.shape[0]):
            theta[c] += 1e-9 * (0.0 + gs[n] * (disps[n, c] - times[n] * mean[c]))


@njit(**NJ)
def _step_tuples(vf, ps, disps, times, gs, zeros_k, zeros_d):
    th = zeros_d
    for n in range(ps.shape[0]):
        for c in range(len(zeros_d)):
            mean = 0.0
            for i in range(len(zeros_k)):
                mean += ps[n, i] * vf[i, c]
            v = th[c] + 1e-9 * (0.0 + gs[n] * (disps[n, c] - times[n] * mean))
            th = K.tuple_setitem(th, c, v)
    return th[0]


# -- the whole update for the corridor alone, θ and π in scalars -------------------------
def _dedicated(branch: bool):
    @njit(**NJ)
    def run(gw, gpow, eps, st, n_updates, out):
        succ, disp, reward, lift = gw.succ, gw.disp, gw.reward, gw.lift
        updates = 0
        for r in range(st.shape[0]):
            s0, s1, s2, s3 = st[r, 0], st[r, 1], st[r, 2], st[r, 3]
            th0, th1 = 0.0, 0.0
            for it in range(n_updates + 1):
                if th0 >= th1:
                    e1 = np.exp(th1 - th0)
                    tot = 1.0 + e1
                    p0, p1, off = 1.0 / tot, e1 / tot, e1 / tot
                else:
                    e0 = np.exp(th0 - th1)
                    tot = 1.0 + e0
                    p0, p1, off = e0 / tot, 1.0 / tot, e0 / tot
                if off <= eps or it == n_updates:
                    break
                updates += 1
                s, T, lifted = 0, 0, 0
                while True:
                    q, s0, s1, s2, s3 = K._xoshiro(s0, s1, s2, s3)
                    u = float(q >> K._U11) * K._TWO_M53
                    if branch:
                        if u >= p0:
                            nxt = succ[s, 1]
                            lifted += lift[1]
                            out[0] += 1  # a store: the choice cannot become a select
                        else:
                            nxt = succ[s, 0]
                            lifted += lift[0]
                    else:
                        i = 1 if u >= p0 else 0
                        nxt = succ[s, i]
                        lifted += lift[i]
                    T += 1
                    if nxt < 0:
                        break
                    s = nxt
                e = -1 - nxt
                G = gpow[T] * reward[e]
                th0 += 0.0 + G * ((disp[e, 0] + lifted) - T * p0)
                th1 += 0.0 + G * ((disp[e, 1] + lifted) - T * p1)
        return updates

    return run


_DEDICATED = {"count": _dedicated(False), "branch": _dedicated(True)}


# -- inputs from real runs ----------------------------------------------------------------
def _inputs(n_runs: int, n_updates: int = 100_000) -> dict:
    env = pw.make_env("corridor")
    eps = pw.config.DEFAULT_EPS
    res = pw.reinforce(
        env,
        [0.0, 0.0],
        1.0,
        n_updates,
        n_runs,
        seed=1,
        targets=np.eye(2),
        eps=eps,
        record_every=1,
    )
    stops = np.where(res.stopped_at >= 0, res.stopped_at, n_updates)
    thetas = np.concatenate([res.trajectory[r, : stops[r]] for r in range(n_runs)])
    walk = walk_arrays(env)
    gw = graph_walk(env, walk)
    k = len(walk.vectors)
    ps, cdfs, offs = np.empty((len(thetas), k)), np.empty((len(thetas), k)), np.empty(len(thetas))
    logits = np.empty(k)
    for n, th in enumerate(thetas):  # the kernel's own policy, in Python, once
        offs[n] = K._policy_probs.py_func(0, walk.vectors_f, th, logits, ps[n], cdfs[n])
    return {
        "env": env,
        "walk": walk,
        "gw": gw,
        "pay": payoff(env),
        "targets": Targets(np.eye(2), np.zeros(2, np.int64), eps),
        "thetas": np.ascontiguousarray(thetas),
        "ps": ps,
        "cdfs": cdfs,
        "offs": offs,
        "states": pw.sim.arrays.stream_states(1, n_runs),
        "n_runs": n_runs,
        "n_updates": n_updates,
    }


def _timed(fn, *args) -> tuple[float, object]:
    t0 = time.thread_time()
    out = fn(*args)
    return time.thread_time() - t0, out


def _whole(kernel_name: str, d: dict) -> tuple[float, int]:
    """Seconds and updates of the worked example's runs through the kernel reinforce
    picks (lean) or the general one."""
    rmod = importlib.import_module("pgweyl.sim.reinforce")
    grabbed = {}

    def grab(kernel, n_rows, *args, threads=None):
        grabbed["args"] = args

    real = rmod.run_rows
    rmod.run_rows = grab
    try:
        rmod.reinforce(
            d["env"], [0.0, 0.0], 1.0, d["n_updates"], d["n_runs"], seed=1,
            targets=np.eye(2), eps=d["targets"].eps,
        )  # fmt: skip
    finally:
        rmod.run_rows = real
    walk, gw, pay, rule, tau, targets, theta0, n_up, rec, states, out = grabbed["args"]
    fresh = type(out)(*(np.zeros_like(a) for a in out))
    if kernel_name == "lean":
        kernel = K._reinforce_rows_lean
        args = (walk, gw, pay, rule, tau, targets, theta0, n_up, rec)
    else:
        kernel = K._reinforce_rows
        graph = sampler = None  # vanilla on the lattice walk
        args = (walk, pay, rule, graph, targets, sampler, theta0, n_up, rec)
    kernel(*args, states.copy(), fresh, 0, 1)
    t, _ = _timed(kernel, *args, states.copy(), fresh, 0, len(states))
    return t, int(np.where(fresh.stopped_at >= 0, fresh.stopped_at, n_up).sum())


def bench_update_parts(n_runs: int = 40, rounds: int = 3) -> dict:
    numba.set_num_threads(1)
    d = _inputs(n_runs)
    n = len(d["thetas"])
    walk, gw, pay = d["walk"], d["gw"], d["pay"]
    vf, zk, zd = walk.vectors_f, gw.zeros_k, gw.zeros_d
    st = d["states"][0].copy()
    times, exits, lifts = (np.empty(n, np.int64) for _ in range(3))
    _walk_on_graph(gw, d["cdfs"], zk, st, times, exits, lifts)  # compile; T, e, Σ lift
    n_draws = int(times.sum())
    xs = np.ascontiguousarray(d["env"].exit_points[exits])  # b_e, for the reward box
    gs = np.ascontiguousarray(gw.reward[exits] * pay.gpow[times])
    disps = (gw.disp[exits] + lifts[:, None]).astype(np.float64)  # x − λ
    parts = {
        "rng": (_rng, (st, n_draws)),
        "policy, arrays (before)": (_policy_arrays, (vf, d["thetas"])),
        "policy, tuple (now)": (_policy_tuples, (vf, d["thetas"], zk, zd)),
        "walk, slack (before)": (_walk_slack, (walk, d["cdfs"], st, np.empty(n, np.int64))),
        "walk, graph (now)": (
            _walk_on_graph, (gw, d["cdfs"], zk, st, times.copy(), exits.copy(), lifts.copy())
        ),
        "walk, graph with branch-free count": (
            _walk_on_graph_count, (gw, d["cdfs"], zk, st, np.empty(n, np.int64))
        ),
        "target test": (_target, (d["ps"], d["offs"], d["targets"])),
        "return, reward box (before)": (_return_box, (pay, walk.prism, xs, times)),
        "return, reward[e] (now)": (_return_graph, (pay, gw.reward, exits, times)),
        "score+step, arrays (before)": (_step_arrays, (vf, d["ps"], disps, times, gs, np.zeros(2))),
        "score+step, tuple (now)": (_step_tuples, (vf, d["ps"], disps, times, gs, zk, zd)),
    }  # fmt: skip
    for fn, args in parts.values():
        fn(*args)  # compile
    for fn in _DEDICATED.values():
        fn(gw, pay.gpow, d["targets"].eps, d["states"][:1].copy(), 10, np.zeros(1, np.int64))
    res = {name: [] for name in parts}
    for _ in range(rounds):
        for name, (fn, args) in parts.items():
            t, _ = _timed(fn, *args)
            res[name].append(t / n * 1e9)
        for name in ("lean", "general"):
            t, upd = _whole(name, d)
            res.setdefault(f"whole update, {name} kernel", []).append(t / upd * 1e9)
        for name, fn in _DEDICATED.items():
            t, upd = _timed(
                fn, gw, pay.gpow, d["targets"].eps, d["states"].copy(), d["n_updates"],
                np.zeros(1, np.int64),
            )  # fmt: skip
            res.setdefault(f"corridor-only loop, step by {name}", []).append(t / upd * 1e9)
    out = {name: round(float(np.median(v)), 2) for name, v in res.items()}
    print(f"\nREINFORCE update by parts (worked example, {n} updates of {n_runs} runs, "
          f"{n_draws / n:.2f} draws per update; ns per update, median of {rounds})")  # fmt: skip
    for name, v in out.items():
        print(f"  {name:45s} {v:7.2f}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    print(json.dumps(bench_update_parts(args.runs, args.rounds)))


if __name__ == "__main__":
    main()
