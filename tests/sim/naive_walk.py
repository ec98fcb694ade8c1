"""Slow, obvious twins of the simulation layer (nothing here imports pgweyl.sim).

- :func:`naive_walk`: one episode with ``random.Random``, the alcove written out as the
  inequalities of THEORY §1 (``tests.naive.interior``);
- :func:`exit_law`: the exact joint law of (exit point, exit time) by brute-force
  dynamic programming over the reachable interior points, mass pushed step by step;
- :class:`Xoshiro256ss`: xoshiro256** in Python integers, from Blackman & Vigna's
  reference C code, to replay the kernels' random numbers exactly;
- :func:`replay_reinforce`: REINFORCE of THEORY §5 written as a plain loop, consuming
  the same random numbers as the kernel (same streams, same inverse-CDF rule).
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from tests import naive

MASK64 = (1 << 64) - 1


def make_interior(name: str, level: int):
    def inside(x):
        return naive.interior(name, level, x)

    return inside


def policy_probs(kind: str, steps, theta) -> list[float]:
    """π_θ straight from the definitions: logits (θ, s) for exp, θ_s for softmax."""
    if kind == "exp":
        logits = [sum(t * v for t, v in zip(theta, s)) for s in steps]
    else:
        logits = list(theta)
    top = max(logits)
    e = [math.exp(v - top) for v in logits]
    z = sum(e)
    return [v / z for v in e]


def draw(probs, u: float) -> int:
    """First index whose cumulative probability exceeds u."""
    acc = 0.0
    last = max(i for i, p in enumerate(probs) if p > 0)
    for i, p in enumerate(probs):
        acc += p
        if u < acc or i >= last:
            return i
    return last


def naive_walk(start, steps, probs, inside, rng):
    """One episode: returns (exit point, T, counts) with ``rng.random()`` uniforms."""
    x = list(start)
    counts = [0] * len(steps)
    T = 0
    while True:
        i = draw(probs, rng.random())
        counts[i] += 1
        T += 1
        x = [a + b for a, b in zip(x, steps[i])]
        if not inside(x):
            return tuple(x), T, counts


def exit_law(start, steps, probs, inside, tol=1e-15, n_max=100_000):
    """{(b, n): P(X_T = b, T = n)} and the mass still inside when the DP stopped."""
    mass = {tuple(start): 1.0}
    law: dict = defaultdict(float)
    n = 0
    while mass and sum(mass.values()) > tol and n < n_max:
        n += 1
        nxt: dict = defaultdict(float)
        for x, m in mass.items():
            for s, p in zip(steps, probs):
                if p == 0.0:
                    continue
                y = tuple(a + b for a, b in zip(x, s))
                if inside(y):
                    nxt[y] += m * p
                else:
                    law[(y, n)] += m * p
        mass = nxt
    return dict(law), sum(mass.values())


def episode_return(reward: float, T: int, gamma: float, cost: float) -> float:
    """G = γ^{T−1} R − c Σ_{t<T} γ^t, summing the discounted costs term by term."""
    return gamma ** (T - 1) * reward - cost * sum(gamma**t for t in range(T))


class Xoshiro256ss:
    """xoshiro256** 1.0 (Blackman & Vigna, prng.di.unimi.it), Python integers."""

    def __init__(self, state):
        self.s = [int(v) & MASK64 for v in state]

    @staticmethod
    def _rotl(x: int, k: int) -> int:
        return ((x << k) | (x >> (64 - k))) & MASK64

    def next(self) -> int:
        s = self.s
        result = (self._rotl((s[1] * 5) & MASK64, 7) * 9) & MASK64
        t = (s[1] << 17) & MASK64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return result

    def random(self) -> float:
        return (self.next() >> 11) * 2.0**-53


def seed_states(seed: int, n: int):
    """The documented stream convention: SeedSequence(seed).spawn(n)[i], 4 uint64 words."""
    return [
        [int(v) for v in c.generate_state(4, dtype=np.uint64)]
        for c in np.random.SeedSequence(seed).spawn(n)
    ]


def replay_reinforce(
    env_desc,
    theta0,
    lr,
    n_updates,
    n_runs,
    batch=1,
    baseline=None,
    seed=0,
    schedule="constant",
    tau=100.0,
    power=1.0,
    targets=None,
    eps=1e-3,
    record_every=0,
):
    """THEORY §5 as a loop. ``env_desc`` = dict(name, level, kind, steps, start, reward,
    gamma, cost) with ``reward(b)`` the terminal reward of an exit point."""
    inside = make_interior(env_desc["name"], env_desc["level"])
    steps = env_desc["steps"]
    start = env_desc["start"]
    kind = env_desc["kind"]
    finals, stops, hits, trajs = [], [], [], []
    for state in seed_states(seed, n_runs):
        rng = Xoshiro256ss(state)
        theta = [float(v) for v in theta0]
        returns_seen = []
        traj = []
        stop, hit = -1, -1
        for k in range(n_updates + 1):
            p = policy_probs(kind, steps, theta)
            if record_every and k % record_every == 0:
                traj.append(list(theta))
            if targets is not None:
                tvs = [0.5 * sum(abs(a - b) for a, b in zip(p, t)) for t in targets]
                close = [j for j, tv in enumerate(tvs) if tv <= eps]
                if close:
                    stop, hit = k, close[0]
                    break
            if k == n_updates:
                break
            alpha = lr if schedule == "constant" else lr / (1.0 + k / tau) ** power
            if baseline is None:
                beta = 0.0
            elif baseline == "mean":
                beta = sum(returns_seen) / len(returns_seen) if returns_seen else 0.0
            else:
                beta = float(baseline)
            mean_step = [sum(pi * s[c] for pi, s in zip(p, steps)) for c in range(len(start))]
            grad = [0.0] * len(theta)
            batch_returns = []
            for _ in range(batch):
                b, T, counts = naive_walk(start, steps, p, inside, rng)
                G = episode_return(env_desc["reward"](b), T, env_desc["gamma"], env_desc["cost"])
                batch_returns.append(G)
                if kind == "exp":
                    g = [(b[c] - start[c]) - T * mean_step[c] for c in range(len(start))]
                else:
                    g = [counts[i] - T * p[i] for i in range(len(steps))]
                grad = [a + (G - beta) * v for a, v in zip(grad, g)]
            theta = [t + alpha / batch * v for t, v in zip(theta, grad)]
            returns_seen.extend(batch_returns)
        if record_every:
            n_rec = n_updates // record_every + 1
            traj += [list(theta)] * (n_rec - len(traj))
        finals.append(theta)
        stops.append(stop)
        hits.append(hit)
        trajs.append(traj)
    return np.array(finals), np.array(stops), np.array(hits), np.array(trajs)


def exit_law_counts(start, steps, probs, inside, tol=1e-15, n_max=100_000):
    """{counts: P(the episode takes step i counts[i] times and exits)}: the DP above on
    step-count vectors, which fix b = λ + Σ counts_i s_i and T = Σ counts_i and are what
    the softmax score needs. Returns the law and the mass still inside."""
    zero = tuple(0 for _ in steps)
    mass = {zero: 1.0}
    law: dict = defaultdict(float)
    n = 0
    while mass and sum(mass.values()) > tol and n < n_max:
        n += 1
        nxt: dict = defaultdict(float)
        for cnt, m in mass.items():
            x = [a + sum(c * s[j] for c, s in zip(cnt, steps)) for j, a in enumerate(start)]
            for i, (s, p) in enumerate(zip(steps, probs)):
                if p == 0.0:
                    continue
                y = [a + b for a, b in zip(x, s)]
                new = cnt[:i] + (cnt[i] + 1,) + cnt[i + 1 :]
                if inside(y):
                    nxt[new] += m * p
                else:
                    law[new] += m * p
        mass = nxt
    return dict(law), sum(mass.values())
