"""Closed forms against simulation: the test behind ``pgweyl check``.

At a policy θ the exact value distribution is compared with n simulated episodes
(the Numba lattice walk), quantity by quantity, each with a test statistic:

- the whole law of (exit point, exit time): Pearson chi-square, cells with expected
  count < 5 pooled (and the truncated tail in that pool), p-value from χ²_{dof};
- V(θ) = E[G]: z = (mean return − V) / (sample SD / √n);
- E[T] and P(exit on wall j) for each wall: z-scores likewise;
- for ``exp`` policies on small alcoves, the symbolic closed form of V against the
  numeric V (an exact identity: |difference| ≤ 1e-9).

Null hypothesis: the simulated episodes are i.i.d. draws from the exact law. A row
fails when p < ``p_min`` (default 1e-5, ≈ 4.4σ) or |z| > ``z_max`` (default 4.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgweyl.errors import ArgumentError

P_MIN = 1e-5
Z_MAX = 4.5
SYMBOLIC_MAX_STATES = 40  # the closed form is built only for alcoves this small


@dataclass(frozen=True)
class CheckRow:
    quantity: str
    exact: float
    simulated: float
    statistic: str  # "z", "chi2" or "diff"
    value: float
    p_value: float | None
    ok: bool

    def to_dict(self) -> dict:
        return {
            "quantity": self.quantity,
            "exact": self.exact,
            "simulated": self.simulated,
            "statistic": self.statistic,
            "value": self.value,
            "p_value": self.p_value,
            "ok": self.ok,
        }


@dataclass(frozen=True)
class CheckReport:
    theta: list
    n_episodes: int
    seed: int
    rows: list

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def to_dict(self) -> dict:
        return {
            "theta": self.theta,
            "n_episodes": self.n_episodes,
            "seed": self.seed,
            "ok": self.ok,
            "rows": [r.to_dict() for r in self.rows],
        }


def _z_row(name, exact, samples, z_max) -> CheckRow:
    samples = np.asarray(samples, dtype=float)
    sd = samples.std(ddof=1)
    mean = float(samples.mean())
    if sd == 0.0:
        ok = abs(mean - exact) <= 1e-12
        return CheckRow(name, float(exact), mean, "z", 0.0 if ok else float("inf"), None, ok)
    z = (mean - exact) / (sd / np.sqrt(len(samples)))
    return CheckRow(name, float(exact), mean, "z", float(z), None, bool(abs(z) <= z_max))


def chi_square_law(dist, points, times, p_min=P_MIN) -> CheckRow:
    """Pearson chi-square of simulated (b, T) against the exact cells (sparse pooled)."""
    from scipy.stats import chi2

    n = len(times)
    index = {
        (tuple(b), int(t)): i
        for i, (b, t) in enumerate(zip(dist.points.tolist(), dist.times.tolist()))
    }
    observed = np.zeros(len(dist.probs) + 1)  # last bin: outside the table
    for b, t in zip(points.tolist(), times.tolist()):
        observed[index.get((tuple(b), int(t)), len(dist.probs))] += 1
    expected = np.append(dist.probs, max(dist.tail, 0.0)) * n
    big = expected >= 5.0
    obs = np.append(observed[big], observed[~big].sum())
    exp = np.append(expected[big], expected[~big].sum())
    keep = exp > 0
    if np.any(obs[~keep] > 0):  # a draw where the exact law has no mass at all
        return CheckRow(
            "law of (exit point, exit time)", 1.0, 0.0, "chi2", float("inf"), 0.0, False
        )
    obs, exp = obs[keep], exp[keep]
    stat = float(((obs - exp) ** 2 / exp).sum())
    dof = max(len(obs) - 1, 1)
    p = float(chi2.sf(stat, dof))
    return CheckRow(
        f"law of (exit point, exit time), {len(obs)} bins",
        float(dof),
        stat,
        "chi2",
        stat,
        p,
        bool(p >= p_min),
    )


def check_closed_forms(
    env,
    theta=None,
    n_episodes: int = 100_000,
    seed: int = 0,
    symbolic: bool | None = None,
    p_min: float = P_MIN,
    z_max: float = Z_MAX,
) -> CheckReport:
    """Compare the exact layer with the simulation at θ (default 0); see module doc."""
    from pgweyl.sim import simulate_episodes

    theta = np.zeros(env.theta_dim) if theta is None else env.check_theta(theta)
    if isinstance(n_episodes, bool) or not isinstance(n_episodes, int) or n_episodes < 100:
        raise ArgumentError(f"n_episodes must be an integer >= 100, got {n_episodes!r}")
    dist = env.value_distribution(theta)
    points, times = simulate_episodes(env, theta, n_episodes, seed=seed, sampler="walk")
    rows = [chi_square_law(dist, points, times, p_min)]
    reps = env.alcove.representative(points)
    lookup = {tuple(b): r for b, r in zip(env.exit_points.tolist(), env.exit_rewards)}
    rewards = np.array([lookup[tuple(b)] for b in reps.tolist()])
    returns = env.returns(rewards, times)
    rows.append(_z_row("V = E[G]", dist.value, returns, z_max))
    rows.append(_z_row("E[T]", dist.mean_time, times, z_max))
    walls = [env.alcove.walls_at(b) for b in reps.tolist()]
    exact_walls = dist.wall_probabilities(len(env.alcove.walls))
    for j in range(len(env.alcove.walls)):
        hits = np.array([j in w for w in walls], dtype=float)
        rows.append(_z_row(f"P(exit on wall {j})", exact_walls[j], hits, z_max))
    if symbolic is None:
        symbolic = env.policy_kind == "exp" and len(env.states) <= SYMBOLIC_MAX_STATES
    if symbolic:
        from pgweyl.exact.symbolic import value_function

        v_sym = value_function(env)(theta)
        v_num = env.value(theta, tol=1e-13)
        diff = v_sym - v_num
        rows.append(
            CheckRow(
                "symbolic V - numeric V",
                v_sym,
                v_num,
                "diff",
                float(diff),
                None,
                bool(abs(diff) <= 1e-9),
            )
        )
    return CheckReport([float(v) for v in theta], n_episodes, seed, rows)


__all__ = ["CheckReport", "CheckRow", "check_closed_forms", "chi_square_law"]
