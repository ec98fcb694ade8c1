"""Shared test cases and the goodness-of-fit machinery of tests/sim."""

from __future__ import annotations

import importlib
from collections import Counter

import numpy as np
from scipy import stats

import pgweyl as pw
from tests.sim import naive_walk

# Decision threshold of every statistical test in tests/sim: reject when p < 1e-5
# (≈ 4.4σ two-sided); all seeds are fixed, so a pass is reproducible.
P_MIN = 1e-5
# Smallest expected count of a chi-square cell; sparser cells are pooled.
MIN_EXPECTED = 5.0


def captured_kernel(monkeypatch, env, theta0, kw):
    """The kernel ``reinforce(env, theta0, **kw)`` chose and its arguments, the kernel
    not run (``run_rows`` is replaced through ``monkeypatch``)."""
    reinforce_module = importlib.import_module("pgweyl.sim.reinforce")
    seen = {}

    def grab(kernel, n_rows, *args, threads=None):
        seen["kernel"], seen["args"] = kernel, args

    monkeypatch.setattr(reinforce_module, "run_rows", grab)
    reinforce_module.reinforce(env, theta0, **kw)
    return seen["kernel"], seen["args"]


def softmax_b2():
    return pw.AlcoveWalkEnv(
        "B2", 7, "signed", (2, 1), wall_rewards=(1.0, 0.6, 0.3), gamma=0.95, policy="softmax"
    )


def softmax_a2():
    return pw.AlcoveWalkEnv(
        "A2",
        5,
        "unit",
        (2, 1, 0),
        wall_rewards=(1.0, 0.6, 0.3),
        gamma=0.9,
        step_cost=0.05,
        policy="softmax",
    )


# (id, env factory, θ) — the walk is compared with the exact law at these points.
CASES = [
    ("corridor", lambda: pw.make_env("corridor"), (0.3, -0.1)),
    ("triangle", lambda: pw.make_env("triangle"), (0.25, -0.1, 0.0)),
    ("triangle-signed", lambda: pw.make_env("triangle-signed"), (0.2, -0.3)),
    ("B2-softmax", softmax_b2, (0.3, -0.2, 0.1, 0.0)),
    ("A2-softmax-cost", softmax_a2, (0.2, -0.3, 0.1)),
]


def env_desc(env) -> dict:
    """What the naive twins need, taken from the env's plain attributes."""
    return {
        "name": str(env.cartan),
        "level": env.level,
        "kind": env.policy_kind,
        "steps": [tuple(int(v) for v in s) for s in env.steps.vectors.tolist()],
        "start": [int(v) for v in env.start.tolist()],
        "reward": env.reward,
        "gamma": env.gamma,
        "cost": env.step_cost,
    }


def exact_law(env, theta, tol=1e-15):
    """The brute-force DP law of (b, T) under π_θ, with π written from its definition."""
    d = env_desc(env)
    probs = naive_walk.policy_probs(d["kind"], d["steps"], theta)
    inside = naive_walk.make_interior(d["name"], d["level"])
    return naive_walk.exit_law(d["start"], d["steps"], probs, inside, tol=tol)


def gof_pvalue(points, times, law, tail=0.0) -> float:
    """Pearson chi-square p-value of the sample of (b, T) cells against ``law``.

    Cells with expected count < MIN_EXPECTED are pooled into one cell together with the
    mass the law leaves out (``tail``); an observed cell outside the law's support fails
    at once (p = 0).
    """
    n = len(times)
    observed = Counter(zip(map(tuple, points.tolist()), times.tolist()))
    if any(cell not in law for cell in observed):
        return 0.0
    keep = [c for c, p in law.items() if n * p >= MIN_EXPECTED]
    obs = [observed.get(c, 0) for c in keep]
    exp = [n * law[c] for c in keep]
    rest_obs = n - sum(obs)
    rest_exp = n - sum(exp)
    if rest_exp >= MIN_EXPECTED:
        obs.append(rest_obs)
        exp.append(rest_exp)
    else:  # too little mass to stand alone: merge with the smallest kept cell
        j = int(np.argmin(exp))
        obs[j] += rest_obs
        exp[j] += rest_exp
    exp = np.array(exp) * (n / np.sum(exp))  # absorb float rounding of Σ law ≈ 1
    return float(stats.chisquare(obs, exp).pvalue)


def homogeneity_pvalue(sample_a, sample_b) -> float:
    """Chi-square test that two samples of hashable cells come from one law; cells with
    a combined count below 2·MIN_EXPECTED are pooled."""
    ca, cb = Counter(sample_a), Counter(sample_b)
    cells = set(ca) | set(cb)
    big = [c for c in cells if ca[c] + cb[c] >= 2 * MIN_EXPECTED]
    rows = [[ca[c] for c in big], [cb[c] for c in big]]
    rest = [sum(ca.values()) - sum(rows[0]), sum(cb.values()) - sum(rows[1])]
    if sum(rest) > 0:
        rows[0].append(rest[0])
        rows[1].append(rest[1])
    return float(stats.chi2_contingency(np.array(rows)).pvalue)
