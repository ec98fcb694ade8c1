"""Closed forms against simulation: the test behind ``pgweyl check``.

At a policy θ the exact value distribution P_θ(b, n) (truncated at N where
P(T > N) ≤ tol) is compared with n simulated episodes of the Numba lattice walk,
quantity by quantity, each with a test statistic. **Null hypothesis**: the simulated
episodes are i.i.d. draws from the exact law. Every row has a false-alarm probability
of at most about ``p_min`` under the null:

- the whole law of (exit point, exit time): Pearson chi-square, cells with expected
  count < 5 pooled into one bin, episodes beyond the table (T > N) in a bin of their
  own; p-value from χ²_{dof}; the row fails when p < ``p_min``;
- P(exit on wall j) for each wall: with k hits in n episodes and exact probability p,
  z = (k/n − p) / √(p(1 − p)/n) (the exact standard error: a rare event never seen
  is a small *negative* z, not −∞) when the expected counts np and n(1 − p) are both at
  least ``RARE_COUNT``, failing when |z| > ``z_max``; otherwise (rare events, p = 0
  or p = 1) the exact two-sided binomial test (:func:`scipy.stats.binomtest`), failing
  when its p-value < ``p_min``;
- V = E[G] and E[T]: z = (sample mean − exact mean) / (σ/√n) with σ² the exact
  variance from the value distribution (sign: simulated − exact, a deficit is
  negative). The row fails when Bernstein's inequality
  P(|X̄ − μ| ≥ t) ≤ 2 exp(−n t² / (2σ² + 2Mt/3)), M = max |x − μ| over the table's
  cells, bounds the probability of the observed deviation below ``p_min``. This
  holds without a normal approximation, so a rare large return seen once does not
  fail the row; in the normal regime it amounts to |z| > ~4.9 at p_min = 1e-5;
- for ``exp`` policies on small alcoves, the symbolic closed form of V against the
  numeric V: an exact identity, so no statistics. The closed form is enclosed in
  interval arithmetic (radius r_sym, certified), the numeric V carries its guaranteed
  bound e_num; the row fails only when |v_sym − v_num| > r_sym + e_num
  (:func:`symbolic_row`).

When the law's table does not fit (the memory budget, or no tail ≤ tol within the table
limit: long exit times, γ = 1 on a large alcove) the check takes the **linear route**
instead (``route`` "linear" in the report): V by :meth:`ExactSolver.value_and_grad`, E[T]
by :meth:`ExactSolver.mean_exit_time`, and P(exit on wall j) as the value at γ = 1 of the
same walk paying 1 on wall j and 0 elsewhere (corner rule "max", so an exit point on
several walls counts for each, as in the table's rows) — each from a sparse solve with a
certified bound. The law row is left out, and the rows of V and E[T] use the *sample*
standard deviation s (z = (X̄ − μ)/(s/√n), a large-sample test failing when |z| >
``z_max``; no exact variance without the law).

Episodes are simulated in chunks (about ``STEPS_PER_CHUNK`` lattice steps each) and
reduced at once to counts per cell, so memory does not grow with n and Ctrl-C is seen
between chunks. A run of n ≤ one chunk draws exactly ``simulate_episodes(env, θ, n,
seed)``; chunk c ≥ 1 of a longer run uses the seed ``SeedSequence([seed, c])``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pgweyl import config, validate
from pgweyl.errors import AccuracyError, ResourceError
from pgweyl.progress import Progress
from pgweyl.serialize import dataclass_to_dict

P_MIN = 1e-5
Z_MAX = 4.5
#: Expected counts below this (np or n(1 − p)) use the exact binomial test.
RARE_COUNT = 100
SYMBOLIC_MAX_STATES = 40  # the closed form is built only for alcoves this small
#: The numeric V of the symbolic row is computed to this guaranteed accuracy (to the
#: package default where no route reaches it): the row's tolerance is this plus the
#: enclosure of the closed form (~1e-17).
NUMERIC_TOL = 1e-14
#: Lattice steps simulated per chunk (≈ 0.1–0.6 s at 30–60 million steps per second).
STEPS_PER_CHUNK = 1 << 24
MIN_CHUNK, MAX_CHUNK = 1 << 12, 1 << 20


@dataclass(frozen=True)
class CheckRow:
    """One compared quantity. ``statistic``: "chi2" (``value`` the χ² statistic,
    ``exact`` the degrees of freedom), "z" (``value`` the z-score, simulated − exact),
    "binom" (``value`` the observed count) or "diff" (``value`` symbolic − numeric);
    ``p_value`` is the test's p-value (for "z" rows of means, Bernstein's bound; None
    for the wall "z" rows and "diff"); ``tolerance`` (rows "diff" only) the certified
    bound on |symbolic − numeric| from the error of both sides: the row fails beyond it."""

    quantity: str
    exact: float
    simulated: float
    statistic: str
    value: float
    p_value: float | None
    ok: bool
    tolerance: float | None = None

    def to_dict(self) -> dict:
        return dataclass_to_dict(self)


@dataclass(frozen=True)
class CheckReport:
    """The rows of one check; ``ok`` when every row passed. ``route``: "table" (the exact
    law of (exit point, exit time) and its χ² row) or "linear" (module docstring)."""

    theta: list
    n_episodes: int
    seed: int
    rows: list
    route: str = "table"

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def to_dict(self) -> dict:
        return {
            **dataclass_to_dict(self),
            "ok": self.ok,
            "null_hypothesis": "the simulated episodes are i.i.d. draws from the exact law",
        }


# -- the statistics ------------------------------------------------------------------------
def chi_square_counts(expected_probs, tail, observed, outside, p_min=P_MIN) -> CheckRow:
    """Pearson chi-square of observed cell counts (plus ``outside`` draws beyond the table)
    against the exact cell probabilities; cells with expected count < 5 pooled."""
    from scipy.stats import chi2

    observed = np.append(np.asarray(observed, dtype=float), float(outside))
    n = observed.sum()
    expected = np.append(np.asarray(expected_probs, dtype=float), max(tail, 0.0)) * n
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


def chi_square_law(dist, points, times, p_min=P_MIN) -> CheckRow:
    """Pearson chi-square of simulated (b, T) against the exact cells (sparse pooled)."""
    index = {
        (tuple(b), int(t)): i
        for i, (b, t) in enumerate(zip(dist.points.tolist(), dist.times.tolist()))
    }
    observed = np.zeros(len(dist.probs) + 1)  # last bin: outside the table
    for b, t in zip(np.asarray(points).tolist(), np.asarray(times).tolist()):
        observed[index.get((tuple(b), int(t)), len(dist.probs))] += 1
    return chi_square_counts(dist.probs, dist.tail, observed[:-1], observed[-1], p_min)


def proportion_row(name, p, k, n, p_min=P_MIN, z_max=Z_MAX) -> CheckRow:
    """k hits in n draws against the exact probability p (module docstring)."""
    from scipy.stats import binomtest

    p = min(max(float(p), 0.0), 1.0)
    k, n = int(k), int(n)
    if min(n * p, n * (1.0 - p)) >= RARE_COUNT:
        z = (k / n - p) / math.sqrt(p * (1.0 - p) / n)
        return CheckRow(name, p, k / n, "z", float(z), None, bool(abs(z) <= z_max))
    if p == 0.0 or p == 1.0:  # binomtest needs 0 < p < 1; the test is then exact anyway
        pv = 1.0 if k == round(n * p) else 0.0
    else:
        pv = float(binomtest(k, n, p).pvalue)
    return CheckRow(name, p, k / n, "binom", float(k), pv, bool(pv >= p_min))


def mean_row(name, values, probs, total, n, p_min=P_MIN) -> CheckRow:
    """Sample mean (``total``/n) of a quantity whose exact law is ``values`` with
    ``probs`` (module docstring: z with the exact σ, Bernstein's bound as p-value)."""
    probs = np.asarray(probs, dtype=float)
    values = np.asarray(values, dtype=float)
    mass = probs.sum()
    mu = float(probs @ values / mass)
    var = max(float(probs @ (values - mu) ** 2 / mass), 0.0)
    mean = total / n
    dev = mean - mu
    if var == 0.0:  # a deterministic quantity: any deviation is impossible under the null
        ok = abs(dev) <= 1e-12 * max(1.0, abs(mu))
        z = 0.0 if ok else math.copysign(math.inf, dev)
        return CheckRow(name, mu, mean, "z", z, 1.0 if ok else 0.0, ok)
    sigma = math.sqrt(var)
    z = dev / (sigma / math.sqrt(n))
    m = float(np.abs(values[probs > 0] - mu).max())
    t = abs(dev)
    bound = min(1.0, 2.0 * math.exp(-n * t * t / (2.0 * var + 2.0 * m * t / 3.0)))
    return CheckRow(name, mu, mean, "z", float(z), bound, bool(bound >= p_min))


# -- simulation in chunks --------------------------------------------------------------------
def _chunk_seed(seed: int, c: int) -> int:
    if c == 0:
        return seed
    words = np.random.SeedSequence([seed, c]).generate_state(2, dtype=np.uint64)
    return int(words[0]) << 64 | int(words[1])


class _CellIndex:
    """Maps simulated (exit point, time) to the cells of a value distribution."""

    def __init__(self, env, dist):
        self.env = env
        exits = np.asarray(env.exit_points, dtype=np.int64)
        self.lo = exits.min(axis=0)
        span = exits.max(axis=0) - self.lo + 1
        self.strides = np.append(np.cumprod(span[::-1])[:-1][::-1], 1)  # mixed radix
        self.span = span
        codes = (exits - self.lo) @ self.strides
        self.order = np.argsort(codes)
        self.codes = codes[self.order]
        self.rows = dist.n_max + 1
        keys = np.asarray(dist.exit_index, dtype=np.int64) * self.rows + dist.times
        self.key_order = np.argsort(keys)
        self.keys = keys[self.key_order]

    def exit_index(self, reps) -> np.ndarray:
        off = reps - self.lo
        inside = np.all((off >= 0) & (off < self.span), axis=1)
        code = np.where(inside, off @ self.strides, -1)
        pos = np.clip(np.searchsorted(self.codes, code), 0, len(self.codes) - 1)
        found = inside & (self.codes[pos] == code)
        return np.where(found, self.order[pos], -1)

    def cells(self, j, times) -> np.ndarray:
        """Cell index of each (exit index, time), −1 when it is not a cell of the table."""
        key = j * self.rows + times
        ok = (j >= 0) & (times < self.rows)
        pos = np.clip(np.searchsorted(self.keys, key), 0, len(self.keys) - 1)
        found = ok & (self.keys[pos] == key)
        return np.where(found, self.key_order[pos], -1)


def symbolic_row(env, theta, tol: float = NUMERIC_TOL, expr=None) -> CheckRow:
    """The closed form of V against the numeric V at θ, within the bound of both sides.

    The closed form (:meth:`symbolic_value` with γ, c and the rewards at the exact values
    of their floats, rational in exp((θ, s))) is enclosed
    rigorously in interval arithmetic (:func:`pgweyl.exact.symbolic.certified_value`:
    V ∈ [v_sym ± r_sym]); the numeric route returns V with its guaranteed bound
    (|V − v_num| ≤ e_num, :class:`pgweyl.exact.solver.ExactValue`). Both hold for the same V,
    so the row fails only when |v_sym − v_num| > r_sym + e_num (``tolerance``): a
    disagreement is then certain, not a rounding artefact (float evaluation of the same
    closed form loses 6–8 digits on a corridor of 40 states). ``expr``: the closed form
    ``env.symbolic_value(binary=True)`` when already built (it takes seconds on alcoves
    of 40–60 states: the binary γ has a 53-bit denominator)."""
    from pgweyl.exact.symbolic import certified_value

    # the floats' exact binary values: the model the numeric route solves
    if expr is None:
        expr = env.symbolic_value(binary=True)
    v_sym, r_sym = certified_value(expr, theta)
    theta = np.asarray(theta, dtype=float)
    try:
        num = env.solver.value_and_grad(theta, tol, need_grad=False)
    except AccuracyError:  # no route certifies tol here: the default bound, stated in the row
        num = env.solver.value_and_grad(theta, max(tol, config.DEFAULT_TOL), need_grad=False)
    diff = v_sym - num.value
    # the float subtraction rounds by at most ulp(diff)/2; count it on the tolerance side
    bound = (r_sym + num.error_value) * (1.0 + 2.0**-50) + abs(diff) * 2.0**-52
    return CheckRow(
        "symbolic V - numeric V",
        v_sym,
        num.value,
        "diff",
        float(diff),
        None,
        bool(abs(diff) <= bound),
        bound,
    )


def sample_mean_row(name, exact, dev_sum, dev_sq, n, z_max=Z_MAX) -> CheckRow:
    """Sample mean against the exact mean μ from the draws' deviations d = x − μ
    (``dev_sum`` = Σd, ``dev_sq`` = Σd²), z with the *sample* standard deviation s:
    z = d̄/(s/√n), failing when |z| > z_max — for the linear route, which has no exact
    variance."""
    dev = dev_sum / n
    mean = exact + dev
    var = max(dev_sq - dev_sum * dev, 0.0) / max(n - 1, 1)
    if var == 0.0:  # every draw alike: only the exact value itself agrees
        ok = abs(dev) <= 1e-12 * max(1.0, abs(exact))
        return CheckRow(
            name, exact, mean, "z", 0.0 if ok else math.copysign(math.inf, dev), None, ok
        )
    z = dev / math.sqrt(var / n)
    return CheckRow(name, float(exact), mean, "z", float(z), None, bool(abs(z) <= z_max))


def wall_indicator_env(env, wall: int):
    """The walk of ``env`` (alcove, steps, start, policy) paying 1 on wall ``wall`` and 0
    elsewhere, undiscounted and free of step costs, corner rule "max": its value at θ is
    P_θ(the exit point lies on that wall)."""
    d = env.to_dict()
    n_walls = len(env.alcove.walls)
    d.update(
        wall_rewards=[1.0 if j == wall else 0.0 for j in range(n_walls)],
        reward_table=None,
        gamma=1.0,
        step_cost=0.0,
        corner="max",
    )
    return type(env).from_dict(d)


def _check_linear(env, theta, n_episodes, seed, symbolic, p_min, z_max, progress, why):
    """:func:`check_closed_forms` by the linear route (module docstring); ``why``: the
    refusal of the table, raised again when the linear route does not fit either."""

    try:
        exact_v = env.solver.value_and_grad(theta, config.DEFAULT_TOL, need_grad=False).value
        exact_t = env.solver.mean_exit_time(theta)
        n_walls = len(env.alcove.walls)
        exact_walls = [wall_indicator_env(env, w).value(theta) for w in range(n_walls)]
    except (ResourceError, AccuracyError):
        raise why from None
    if symbolic is None:
        symbolic = env.policy_kind == "exp" and len(env.states) <= SYMBOLIC_MAX_STATES
    sums = np.zeros(4)  # Σ (G − V), Σ (G − V)², Σ (T − E[T]), Σ (T − E[T])²
    hits = np.zeros(n_walls)
    for reps, times in _episode_chunks(env, theta, n_episodes, seed, exact_t, progress):
        # deviations from the exact means: no cancellation in the variance
        g = np.asarray(env.returns(env.rewards_at(reps), times), dtype=float) - exact_v
        t = times.astype(float) - exact_t
        sums += (g.sum(), g @ g, t.sum(), t @ t)
        uniq, counts = np.unique(reps, axis=0, return_counts=True)
        for b, k in zip(uniq.tolist(), counts.tolist()):
            for w in env.alcove.walls_at(b):
                hits[w] += k
    n = n_episodes
    rows = [
        sample_mean_row("V = E[G]", exact_v, sums[0], sums[1], n, z_max),
        sample_mean_row("E[T]", exact_t, sums[2], sums[3], n, z_max),
    ]
    for w in range(n_walls):
        rows.append(
            proportion_row(f"P(exit on wall {w})", exact_walls[w], hits[w], n, p_min, z_max)
        )
    if symbolic:
        rows.append(symbolic_row(env, theta))
    return CheckReport([float(v) for v in theta], n_episodes, seed, rows, "linear")


def _episode_chunks(env, theta, n_episodes, seed, mean_time, progress):
    """Simulated episodes at θ in chunks of about ``STEPS_PER_CHUNK`` steps, chunk c from
    its own seed (:func:`_chunk_seed`): yields (exit points as alcove representatives,
    exit times) and advances one progress bar."""
    from pgweyl.sim import simulate_episodes

    chunk = _chunk_size(mean_time)
    done, c = 0, 0
    with Progress(n_episodes, "simulated episodes", "episode", progress) as bar:
        while done < n_episodes:
            m = min(chunk, n_episodes - done)
            points, times = simulate_episodes(env, theta, m, seed=_chunk_seed(seed, c))
            yield env.alcove.representative(points), times
            done += m
            c += 1
            bar.update(m)


def _chunk_size(mean_time: float) -> int:
    size = int(STEPS_PER_CHUNK / max(mean_time, 1.0))
    return max(MIN_CHUNK, min(MAX_CHUNK, size // 1024 * 1024))


def check_closed_forms(
    env,
    theta=None,
    n_episodes: int = 100_000,
    seed: int = 0,
    symbolic: bool | None = None,
    p_min: float = P_MIN,
    z_max: float = Z_MAX,
    progress=None,
) -> CheckReport:
    """Compare the exact layer with the simulation at θ (default 0); see module doc.

    ``progress``: as in :mod:`pgweyl.progress` (the simulated episodes)."""

    theta = np.zeros(env.theta_dim) if theta is None else env.check_theta(theta)
    n_episodes = validate.integer("n_episodes", n_episodes, lo=100)
    seed = validate.seed(seed)
    p_min = validate.finite_real("p_min", p_min, 0.0, 1.0, lo_open=True, hi_open=True)
    z_max = validate.positive_real("z_max", z_max)
    try:
        dist = env.value_distribution(theta)
    except (ResourceError, AccuracyError) as err:  # the law's table does not fit
        return _check_linear(env, theta, n_episodes, seed, symbolic, p_min, z_max, progress, err)
    index = _CellIndex(env, dist)
    n_walls = len(env.alcove.walls)
    cell_walls = np.zeros((len(dist.probs), n_walls))
    for c, j in enumerate(dist.exit_index.tolist()):
        cell_walls[c, list(env.exit_walls[j])] = 1.0

    observed = np.zeros(len(dist.probs), dtype=np.int64)
    outside = {"count": 0, "g": 0.0, "t": 0.0, "walls": np.zeros(n_walls)}
    for reps, times in _episode_chunks(env, theta, n_episodes, seed, dist.mean_time, progress):
        j = index.exit_index(reps)
        cell = index.cells(j, times)
        inside = cell >= 0
        observed += np.bincount(cell[inside], minlength=len(observed))
        if not inside.all():  # beyond the table (T > N, prob. ≤ tol): kept for the means
            late, late_t = reps[~inside], times[~inside]
            outside["count"] += len(late)
            outside["g"] += float(env.returns(env.rewards_at(late), late_t).sum())
            outside["t"] += float(late_t.sum())
            for b in late.tolist():
                for w in env.alcove.walls_at(b):
                    outside["walls"][w] += 1

    n = n_episodes
    rows = [chi_square_counts(dist.probs, dist.tail, observed, outside["count"], p_min)]
    obs = observed.astype(float)
    rows.append(
        mean_row(
            "V = E[G]",
            dist.returns,
            dist.probs,
            float(obs @ dist.returns) + outside["g"],
            n,
            p_min,
        )
    )
    times = dist.times.astype(float)
    rows.append(
        mean_row(
            "E[T]",
            times,
            dist.probs,
            float(obs @ times) + outside["t"],
            n,
            p_min,
        )
    )
    hits = observed @ cell_walls + outside["walls"]
    exact_walls = dist.wall_probabilities(n_walls)
    for w in range(n_walls):
        rows.append(
            proportion_row(f"P(exit on wall {w})", exact_walls[w], hits[w], n, p_min, z_max)
        )
    if symbolic is None:
        symbolic = env.policy_kind == "exp" and len(env.states) <= SYMBOLIC_MAX_STATES
    if symbolic:
        rows.append(symbolic_row(env, theta))
    return CheckReport([float(v) for v in theta], n_episodes, seed, rows)


__all__ = [
    "CheckReport",
    "CheckRow",
    "check_closed_forms",
    "chi_square_counts",
    "chi_square_law",
    "mean_row",
    "proportion_row",
    "sample_mean_row",
    "symbolic_row",
    "wall_indicator_env",
]
