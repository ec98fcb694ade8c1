"""The peer of pgweyl's Monte Carlo: convergence probabilities of REINFORCE by a
vectorised NumPy simulation a user would write (every run advanced as arrays; written
independently of pgweyl's kernels — it uses only the env's description and its maxima).

Per update, all live runs draw one episode together: the walks advance one step per
array operation until every one has left the alcove (by the wall slacks), then
θ += lr G ((b − λ) − T ∇A(θ)); a run stops at the first θ whose policy is within total
variation ε of a maximum's policy.
"""

from __future__ import annotations

import numpy as np


def numpy_convergence(env, maxima, theta0, lr, n_updates, n_runs, eps, seed=0):
    """(counts per maximum, unresolved count) for batch-1 vanilla REINFORCE (exp policy)."""
    rng = np.random.default_rng(seed)
    V = env.steps.vectors.astype(float)
    Vi = env.steps.vectors
    a = np.asarray(env.alcove.inward_normals)
    b = np.asarray(env.alcove.inward_offsets)
    delta = Vi @ a.T  # how each step changes each wall slack
    lam = env.start.astype(float)
    slack0 = a @ env.start - b
    targets = np.array([m.policy for m in maxima])
    reward = {tuple(p): r for p, r in zip(env.exit_points.tolist(), env.exit_rewards)}
    prism = env.cartan.family == "A"
    gamma, cost = env.gamma, env.step_cost
    theta = np.tile(np.asarray(theta0, dtype=float), (n_runs, 1))
    live = np.arange(n_runs)
    counts = np.zeros(len(maxima), dtype=np.int64)
    for it in range(n_updates + 1):
        logits = theta[live] @ V.T
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        tv = 0.5 * np.abs(p[:, None, :] - targets[None, :, :]).sum(axis=2)
        near = tv.min(axis=1) <= eps
        if near.any():
            np.add.at(counts, tv[near].argmin(axis=1), 1)
            live, p = live[~near], p[~near]
        if it == n_updates or len(live) == 0:
            break
        n = len(live)
        cdf = np.cumsum(p, axis=1)
        slack = np.tile(slack0, (n, 1))
        steps = np.zeros((n, len(V)), dtype=np.int64)
        T = np.zeros(n, dtype=np.int64)
        walking = np.arange(n)
        while len(walking):
            u = rng.random(len(walking))
            s = (u[:, None] >= cdf[walking]).sum(axis=1)
            np.add.at(steps, (walking, s), 1)
            T[walking] += 1
            slack[walking] += delta[s]
            walking = walking[(slack[walking] > 0).all(axis=1)]
        ends = env.start + steps @ Vi
        keys = ends - ends[:, -1:] if prism else ends
        R = np.array([reward[tuple(k)] for k in keys.tolist()])
        G = gamma ** (T - 1.0) * R - cost * (T if gamma == 1.0 else (1 - gamma**T) / (1 - gamma))
        score = (ends - lam) - T[:, None] * (p @ V)
        theta[live] += lr * G[:, None] * score
    return counts, len(live)
