"""Event-driven REINFORCE runs for small ε: quiet stretches in one move (issue 21).

Near a vertex maximum "always step s*" almost every episode is the *dominant* one: T*
steps of s* until the walk first leaves the alcove (T* = T*(s*), the exit time of the
all-s* path; its cell (b*, T*) holds that one path, because s* is a vertex of conv(S)).
Its probability is π(s*)^{T*}, its return G*, and the update it causes is deterministic:

    θ ↦ θ + f(θ),   f(θ) = α (G* − β) ((b* − λ) − T* ∇A(θ)) = −α (G* − β) T* Σ_{s≠s*} π(s)(s − s*),

a move of order α e^{−depth}. Every other episode (*non-dominant*: a step other than s*
among the first T*) has probability

    r(θ) = 1 − π(s*)^{T*} = −expm1(−T* log1p(Σ_{s≠s*} e^{z_s})),   z_s = (θ, s − s*),

computed from the z_s directly, never as 1 − p. With s* the most likely step at θ_k, a
run here does, per stretch:

1. If r(θ_k) > ``R_EVENT`` or one quiet update moves θ by more than ``max_move`` (max
   norm), a **plain update**: one lattice-walk episode and its update, exactly as
   :func:`pgweyl.reinforce` (same law, other random numbers).
2. Otherwise a **quiet stretch** of K = ⌊max_move / max|f(θ_k)|⌋ updates (at most those
   left). Its end point θ_{k+K} is the **midpoint rule** for the K-fold quiet map,
   θ_{k+K} = θ_k + K f(θ_k + (K−1)/2 · f(θ_k)); inside the stretch θ_{k+i} is the linear
   interpolation between its ends. This is the one approximation of the scheme: the local
   error of the midpoint rule is O(K³ |f''| |f|²) = O(max_move³) per stretch on a quiet
   path whose f varies on the scale of one unit of θ, so O(max_move²) per unit of θ
   travelled. Measured against the exact iteration of 10⁶ quiet updates from θ = (3, −3)
   on the corridor (to depth 16): 4.1e−7 in θ at max_move = 1e−3 and 4.1e−5 at the
   default 1e−2 (it scales as max_move²; tests/sim/test_events.py holds it). The
   default is the larger one because it is 7× faster at ε = 1e−8 and its error, a shift
   of θ by < 1e−4, moves the hazard of a kick by as little.
3. The number of quiet updates before the next non-dominant episode is drawn **exactly
   by thinning**: with r̄ = r at z̄_s = max(z_s(θ_k), z_s(θ_{k+K})) — an upper bound of r
   on the whole segment, since r increases in every z_s and each z_s is linear, so
   monotone, along it — draw J ~ Geometric(r̄) on {0, 1, …} (J = ⌊log U / log1p(−r̄)⌋).
   If J ≥ K the whole stretch is quiet. Else θ moves to θ_{k+J} and update k+J is
   non-dominant with probability r(θ_{k+J}) / r̄ (then the episode is drawn from the
   law conditioned on being non-dominant, below), otherwise it is one more quiet update
   (θ + f(θ) exactly). The geometric law is memoryless, so the run simply goes on.
4. A **non-dominant episode** at θ: the first step other than s* is step t ∈ {1..T*}
   with P(t) ∝ π(s*)^{t−1} (inverse CDF from expm1(t log π(s*)) / expm1(T* log π(s*))),
   that step is s ≠ s* with P ∝ e^{z_s}, and from there the walk goes on under π_θ until
   it exits: exactly the conditional law. The update uses the score written apart from
   the large common part, (b − λ − T s*) − T Σ_{s≠s*} π(s)(s − s*).

A run stops at the first update index k whose θ_k is within ε of a target, as in
:func:`pgweyl.reinforce`; inside a quiet stretch that index is found by bisection on the
interpolated path (distance to a vertex target is monotone there). Rules: vanilla
REINFORCE, batch 1, constant step, no or a constant baseline, policy "exp" — θ is then
a Markov chain and the quiet move above is its dominant transition. Per-run streams as
in :mod:`pgweyl.sim.reinforce`: stream r of ``SeedSequence(seed)``, so the results are
the same bits at any thread count.

>>> import pgweyl as pw
>>> env = pw.make_env("corridor")
>>> res = reinforce_events(env, [0.0, 0.0], 1.0, 10**10, 4, targets=[[1, 0], [0, 1]],
...                        eps=1e-8, seed=0)
>>> bool((res.stopped_at > 0).all())
True
"""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
from numba import njit

from pgweyl import validate
from pgweyl.errors import ArgumentError
from pgweyl.sim import records
from pgweyl.sim.arrays import check_env, payoff, stream_states, walk_arrays
from pgweyl.sim.config import MAX_UPDATES, NJIT
from pgweyl.sim.kernels import (
    _exit_reward,
    _match_target,
    _payoff_return,
    _policy_probs,
    _run_buffers,
    _uniform,
    _walk_episode,
    _write_run,
)
from pgweyl.sim.reinforce import (
    _check_target_flat,
    _check_targets,
    _raise_run_errors,
    _run_settings,
    _target_settings,
)
from pgweyl.sim.threads import run_rows

#: Above this non-dominant probability every update is a plain one.
R_EVENT = 0.05

#: Default largest move (max norm of Δθ) of one quiet stretch.
MAX_MOVE = 1e-2

#: The all-s* path of each step: its exit time T*_s (0: it never exits) and return G*_s.
Quiet = namedtuple("Quiet", "tstar gstar")
#: Step size α, constant baseline β, largest quiet stretch move, plain-update threshold.
EventParams = namedtuple("EventParams", "lr beta max_move r_event")
#: What the kernel writes per run: as :data:`pgweyl.sim.records.Outputs` (no trajectory)
#: plus ``work[r]`` = (plain updates, quiet stretches, non-dominant episodes).
EventOutputs = namedtuple("EventOutputs", "final_theta stopped_at target_index errors work")


@njit(**NJIT)
def _tilt_logits(vectors_f, theta, top, z):
    """z_s = (θ, s − s*) for every step (z_{s*} = 0) and Σ_{s≠s*} e^{z_s}."""
    k, d = vectors_f.shape
    esum = 0.0
    for i in range(k):
        v = 0.0
        for c in range(d):
            v += (vectors_f[i, c] - vectors_f[top, c]) * theta[c]
        z[i] = v
        if i != top:
            esum += np.exp(v)
    z[top] = 0.0
    return esum


@njit(**NJIT)
def _quiet_move(vectors_f, theta, top, coef, z, out):
    """f(θ) = −coef Σ_{s≠s*} π(s)(s − s*) into ``out`` (coef = α (G* − β) T*); returns
    max |f_c|, or −1 when s* is not the most likely step at θ."""
    k, d = vectors_f.shape
    esum = _tilt_logits(vectors_f, theta, top, z)
    for i in range(k):
        if z[i] > 0.0:
            return -1.0
    for c in range(d):
        out[c] = 0.0
    for i in range(k):
        if i != top:
            w = np.exp(z[i]) / (1.0 + esum)
            for c in range(d):
                out[c] -= coef * w * (vectors_f[i, c] - vectors_f[top, c])
    big = 0.0
    for c in range(d):
        big = max(big, abs(out[c]))
    return big


@njit(**NJIT)
def _hazard(z, top, tstar):
    """r = 1 − π(s*)^{T*} from the z_s, and log π(s*)."""
    esum = 0.0
    for i in range(z.shape[0]):
        if i != top:
            esum += np.exp(z[i])
    log_pi = -np.log1p(esum)
    return -np.expm1(tstar * log_pi), log_pi


@njit(**NJIT)
def _interp(theta, end, frac, out):
    for c in range(theta.shape[0]):
        out[c] = theta[c] + frac * (end[c] - theta[c])


@njit(**NJIT)
def _policy_at(vectors_f, theta, logits, p, cdf):
    _policy_probs(0, vectors_f, theta, logits, p, cdf)


@njit(**NJIT)
def _quiet_path(vectors_f, theta, top, coef, n, max_move, out):
    """θ after ``n`` quiet updates by the stretches of the module docstring (no events,
    no targets): the scheme's only approximation, exposed for tests."""
    d = theta.shape[0]
    k = vectors_f.shape[0]
    z = np.empty(k)
    f = np.empty(d)
    fm = np.empty(d)
    mid = np.empty(d)
    for c in range(d):
        out[c] = theta[c]
    done = 0.0
    while done < n:
        big = _quiet_move(vectors_f, out, top, coef, z, f)
        if big < 0.0:
            break
        left = n - done
        K = left if big == 0.0 else min(left, max(1.0, math.floor(max_move / big)))
        if K == 1.0:
            for c in range(d):
                out[c] += f[c]
        else:
            for c in range(d):
                mid[c] = out[c] + 0.5 * (K - 1.0) * f[c]
            _quiet_move(vectors_f, mid, top, coef, z, fm)
            for c in range(d):
                out[c] += K * fm[c]
        done += K
    return done


@njit(**NJIT)
def _episode_from(walk, payoff, theta, top, t, dev, cdf, st, slack, counts, x):
    """The non-dominant episode whose first t − 1 steps are s*, step t is ``dev``,
    and the rest is the walk under π_θ (``cdf``); returns (T, G) with b in ``x``."""
    start, vectors, delta, slack0 = walk.start, walk.vectors, walk.delta, walk.slack0
    n_walls = slack0.shape[0]
    d = start.shape[0]
    for j in range(n_walls):
        slack[j] = slack0[j] + (t - 1) * delta[top, j] + delta[dev, j]
    for c in range(d):
        x[c] = start[c] + (t - 1) * vectors[top, c] + vectors[dev, c]
    T = t
    outside = False
    for j in range(n_walls):
        outside |= slack[j] <= 0
    while not outside:
        u = _uniform(st)
        i = 0
        while i < cdf.shape[0] - 1 and u >= cdf[i]:
            i += 1
        T += 1
        for c in range(d):
            x[c] += vectors[i, c]
        for j in range(n_walls):
            slack[j] += delta[i, j]
            outside |= slack[j] <= 0
    reward = _exit_reward(x, walk.prism, payoff.lo, payoff.shape, payoff.strides, payoff.table)
    return T, _payoff_return(payoff.gamma, payoff.step_cost, payoff.gpow, reward, T)


@njit(**NJIT)
def _apply(walk, theta, top, T, G, beta, lr, z, esum, x):
    """θ += α (G − β) [(b − λ − T s*) − T Σ_{s≠s*} π(s)(s − s*)]; False if not finite."""
    vectors_f, start = walk.vectors_f, walk.start
    k, d = vectors_f.shape
    ok = True
    for c in range(d):
        lin = (x[c] - start[c]) - T * vectors_f[top, c]
        acc = 0.0
        for i in range(k):
            if i != top:
                acc += np.exp(z[i]) / (1.0 + esum) * (vectors_f[i, c] - vectors_f[top, c])
        theta[c] += lr * (G - beta) * (lin - T * acc)
        ok &= np.isfinite(theta[c])
    return ok


@njit(**NJIT)
def _event_run(walk, payoff, quiet, params, targets, theta0, n_updates, st, r, out):
    """One run of the event-driven scheme (module docstring); writes row r of ``out``."""
    vectors, vectors_f = walk.vectors, walk.vectors_f
    tstar, gstar = quiet.tstar, quiet.gstar
    lr, beta, max_move, r_event = params.lr, params.beta, params.max_move, params.r_event
    policies, flat, eps = targets.policies, targets.flat, targets.eps
    n_targets = policies.shape[0]
    k, d = vectors.shape
    theta, logits, p, cdf, slack, counts, x = _run_buffers(theta0, vectors, walk.slack0.shape[0])
    # work rows of one run: three over the steps, five over θ's coordinates
    per_step, per_coord = np.empty((3, k)), np.empty((5, d))
    z, zb, dcdf = per_step[0], per_step[1], per_step[2]
    f, fm, mid, end, cand = per_coord[0], per_coord[1], per_coord[2], per_coord[3], per_coord[4]
    it = 0
    stop = -1
    hit = -1
    n_plain = n_stretch = n_event = 0
    while True:
        _policy_at(vectors_f, theta, logits, p, cdf)
        if n_targets > 0:
            hit = _match_target(p, policies, flat, eps)
            if hit >= 0:
                stop = it
                break
        if it >= n_updates:
            break
        top = 0
        for i in range(k):
            if logits[i] > logits[top]:
                top = i
        T_s = tstar[top]
        coef = lr * (gstar[top] - beta) * T_s
        big = _quiet_move(vectors_f, theta, top, coef, z, f) if T_s > 0 else -1.0
        rate = 1.0
        if big >= 0.0:
            rate, _ = _hazard(z, top, T_s)
        left = float(n_updates - it)
        K = 1.0
        if big > 0.0:
            K = min(left, max(1.0, math.floor(max_move / big)))
        elif big == 0.0:
            K = left
        if big < 0.0 or rate > r_event or K == 1.0:  # a plain update
            T = _walk_episode(
                walk.start, vectors, walk.delta, walk.slack0, cdf, st, slack, counts, x
            )
            reward = _exit_reward(
                x, walk.prism, payoff.lo, payoff.shape, payoff.strides, payoff.table
            )
            G = _payoff_return(payoff.gamma, payoff.step_cost, payoff.gpow, reward, T)
            esum = _tilt_logits(vectors_f, theta, top, z)
            if not _apply(walk, theta, top, T, G, beta, lr, z, esum, x):
                out.errors[r] = records.ERROR_NONFINITE
                break
            it += 1
            n_plain += 1
            continue
        n_stretch += 1
        # the stretch's end point by the midpoint rule
        for c in range(d):
            mid[c] = theta[c] + 0.5 * (K - 1.0) * f[c]
        if _quiet_move(vectors_f, mid, top, coef, zb, fm) < 0.0:
            K = 1.0  # s* changes inside the stretch: one exact quiet update at most
            for c in range(d):
                fm[c] = f[c]
        for c in range(d):
            end[c] = theta[c] + K * fm[c]
        # r̄: r at the larger end of every z_s (z is linear along the segment)
        _tilt_logits(vectors_f, end, top, zb)
        for i in range(k):
            zb[i] = max(zb[i], z[i])
        rbar, _ = _hazard(zb, top, T_s)
        u = 1.0 - _uniform(st)  # in (0, 1]
        J = K
        if rbar > 0.0:
            g = math.log(u) / math.log1p(-rbar)
            if g < K:
                J = math.floor(g)
        if J > 0.0 and n_targets > 0:  # does the path reach a target within J updates?
            _interp(theta, end, J / K, cand)
            _policy_at(vectors_f, cand, logits, p, cdf)
            if _match_target(p, policies, flat, eps) >= 0:
                lo, hi = 0.0, J  # no hit at lo, a hit at hi
                while hi - lo > 1.0:
                    m = math.floor(0.5 * (lo + hi))
                    _interp(theta, end, m / K, cand)
                    _policy_at(vectors_f, cand, logits, p, cdf)
                    if _match_target(p, policies, flat, eps) >= 0:
                        hi = m
                    else:
                        lo = m
                _interp(theta, end, hi / K, cand)
                for c in range(d):
                    theta[c] = cand[c]
                it += int(hi)
                continue  # the loop head records the stop
        if J >= K:
            for c in range(d):
                theta[c] = end[c]
            it += int(K)
            continue
        _interp(theta, end, J / K, cand)
        for c in range(d):
            theta[c] = cand[c]
        it += int(J)
        esum = _tilt_logits(vectors_f, theta, top, z)
        rate, log_pi = _hazard(z, top, T_s)
        if _uniform(st) * rbar < rate:  # a non-dominant episode at update it
            n_event += 1
            # first deviation t: P(t) ∝ π*^{t−1}, t = 1..T*
            v = _uniform(st)
            total = np.expm1(T_s * log_pi)
            t = 1
            while t < T_s and np.expm1(t * log_pi) / total <= v:
                t += 1
            # the deviating step, ∝ e^{z_s} over s ≠ s*
            acc = 0.0
            for i in range(k):
                acc += np.exp(z[i]) if i != top else 0.0
                dcdf[i] = acc
            v = _uniform(st) * acc
            dev = -1
            for i in range(k):
                if i != top and dev < 0 and v < dcdf[i]:
                    dev = i
            if dev < 0:  # v rounded up to the total: the last step other than s*
                dev = k - 1 if top != k - 1 else k - 2
            _policy_at(vectors_f, theta, logits, p, cdf)
            T, G = _episode_from(walk, payoff, theta, top, t, dev, cdf, st, slack, counts, x)
            if not _apply(walk, theta, top, T, G, beta, lr, z, esum, x):
                out.errors[r] = records.ERROR_NONFINITE
                break
        else:  # one more quiet update, exactly
            _quiet_move(vectors_f, theta, top, coef, z, f)
            for c in range(d):
                theta[c] += f[c]
        it += 1
    _write_run(theta, stop, hit, r, out)
    out.work[r, 0] = n_plain
    out.work[r, 1] = n_stretch
    out.work[r, 2] = n_event


@njit(**NJIT)
def _event_rows(walk, payoff, quiet, params, targets, theta0, n_updates, states, out, lo, hi):
    """Rows ``lo``..``hi − 1`` of independent event-driven runs (each its own stream)."""
    for r in range(lo, hi):
        st = states[r].copy()
        _event_run(walk, payoff, quiet, params, targets, theta0, n_updates, st, r, out)


def quiet_paths(env) -> Quiet:
    """The all-s path of every step s from λ: T*_s (first exit; 0 if it never exits) and
    G*_s (its return), as a :data:`Quiet` record."""
    walk = walk_arrays(env)
    pay = payoff(env)
    k = len(walk.vectors)
    tstar = np.zeros(k, dtype=np.int64)
    gstar = np.zeros(k)
    for s in range(k):
        dec = walk.delta[s] < 0
        if not dec.any():
            continue
        # first t with slack0 + t·delta ≤ 0 on some wall
        t = int(np.min(np.ceil(walk.slack0[dec] / -walk.delta[s, dec])))
        x = walk.start + t * walk.vectors[s]
        reward = _exit_reward(
            np.ascontiguousarray(x, dtype=np.int64),
            walk.prism,
            pay.lo,
            pay.shape,
            pay.strides,
            pay.table,
        )
        tstar[s] = t
        gstar[s] = _payoff_return(pay.gamma, pay.step_cost, pay.gpow, reward, t)
    return Quiet(tstar, gstar)


def event_refusal(env, rule=None, batch=1, sampler="walk") -> str | None:
    """Why :func:`reinforce_events` would refuse these settings (one line), or None."""
    from pgweyl.rules import parse_rule

    rule = parse_rule("vanilla" if rule is None else rule)
    if env.policy_kind != "exp":
        return "the event-driven scheme needs policy 'exp'"
    if rule.kind != "vanilla" or not rule.markov():
        return (
            f"the event-driven scheme runs vanilla REINFORCE with a constant step and no or "
            f"a constant baseline, not rule {rule}"
        )
    if batch != 1:
        return "the event-driven scheme runs batch 1"
    if sampler != "walk":
        return "the event-driven scheme draws its own episodes (sampler 'walk')"
    return None


@dataclass(frozen=True, eq=False, repr=False)
class EventResult:
    """Outcome of :func:`reinforce_events`: ``final_theta``, ``stopped_at``,
    ``target_index`` as :class:`pgweyl.sim.reinforce.ReinforceResult`; ``work`` (runs × 3:
    plain updates, quiet stretches, non-dominant episodes); ``settings``."""

    final_theta: np.ndarray
    stopped_at: np.ndarray
    target_index: np.ndarray
    work: np.ndarray
    settings: dict

    def __repr__(self) -> str:
        w = self.work.sum(axis=0)
        return (
            f"EventResult({len(self.stopped_at)} runs, stopped "
            f"{int((self.stopped_at >= 0).sum())}; plain {w[0]}, stretches {w[1]}, "
            f"events {w[2]})"
        )


def reinforce_events(
    env,
    theta0,
    lr,
    n_updates,
    n_runs,
    *,
    baseline=None,
    seed=0,
    targets=None,
    eps=None,
    target_flat=None,
    run_offset=0,
    max_move=MAX_MOVE,
) -> EventResult:
    """``n_runs`` vanilla REINFORCE runs (batch 1, constant ``lr``, baseline None or a
    number) by the event-driven scheme of the module docstring; the same law as
    :func:`pgweyl.reinforce` up to the quiet-path bound (``max_move``: largest move of
    one quiet stretch). Run r uses stream ``run_offset + r`` of ``SeedSequence(seed)``."""
    check_env(env)
    why = event_refusal(env)
    if why is not None:
        raise ArgumentError(why)
    theta0 = env.check_theta(theta0)
    lr = validate.positive_real("lr", lr)
    n_updates = validate.positive_int("n_updates", n_updates, MAX_UPDATES)
    n_runs = validate.positive_int("n_runs", n_runs)
    seed = validate.seed(seed)
    if baseline is not None:
        baseline = validate.finite_real("baseline", baseline)
    eps = validate.eps(eps)
    max_move = validate.finite_real("max_move", max_move, 0.0, 1.0, lo_open=True)
    run_offset = validate.nonnegative_int("run_offset", run_offset)
    k = len(env.steps.vectors)
    target_arr = _check_targets(targets, k)
    flat_arr = _check_target_flat(target_flat, len(target_arr))
    beta = 0.0 if baseline is None else float(baseline)
    walk = walk_arrays(env)
    quiet = quiet_paths(env)
    dim = len(theta0)
    out = EventOutputs(
        np.empty((n_runs, dim)),
        np.empty(n_runs, dtype=np.int64),
        np.empty(n_runs, dtype=np.int64),
        np.zeros(n_runs, dtype=np.int64),
        np.zeros((n_runs, 3), dtype=np.int64),
    )
    run_rows(
        _event_rows,
        n_runs,
        walk,
        payoff(env),
        quiet,
        EventParams(float(lr), beta, float(max_move), R_EVENT),
        records.Targets(target_arr, flat_arr, eps),
        np.ascontiguousarray(theta0, dtype=np.float64),
        n_updates,
        stream_states(seed, n_runs, run_offset),
        out,
    )
    _raise_run_errors(out.errors)
    settings = _run_settings(env, theta0, lr, n_updates, n_runs) | {
        "baseline": baseline,
        "seed": seed,
        **_target_settings(targets, target_arr, eps, target_flat, flat_arr),
        "run_offset": run_offset,
        "max_move": max_move,
    }
    return EventResult(out.final_theta, out.stopped_at, out.target_index, out.work, settings)


__all__ = [
    "EventResult",
    "MAX_MOVE",
    "R_EVENT",
    "event_refusal",
    "quiet_paths",
    "reinforce_events",
]
