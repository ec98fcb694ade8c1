"""Event-driven against plain Monte Carlo on the worked example, at ε = 1e−3 and 1e−8.

The corridor, θ_0 = 0, α = 1: ``convergence_probabilities`` with ``scheme="plain"`` and
``scheme="event"`` (pgweyl.sim.events), timed in this process after a warm-up call. At
ε = 1e−8 a plain run needs ~10⁸ updates, so plain is timed on runs capped at 10⁶ updates
and its full cost extrapolated from ns per update × the mean stopping update of the
event runs; the chain solver's P(ε) (``chain_absorption(eps=1e−8)``) is printed beside
the event estimate with its grid_error.
"""

from __future__ import annotations

import math
import time

import pgweyl as pw


def _conv(env, mx, eps, runs, scheme, n_updates=10**10, seed=1):
    t0 = time.perf_counter()
    res = pw.convergence_probabilities(
        env,
        [0.0, 0.0],
        1.0,
        n_updates,
        runs,
        eps=eps,
        maxima=mx,
        scheme=scheme,
        seed=seed,
        progress=False,
    )
    return res, time.perf_counter() - t0


def bench_events(quick: bool) -> dict:
    """Seconds of the event-driven and plain schemes at ε = 1e−3 and 1e−8 (corridor)."""
    env = pw.make_env("corridor")
    mx = pw.local_maxima(env, basin_samples=0)
    _conv(env, mx, 1e-3, 8, "plain", 1000)  # compile / load the caches
    _conv(env, mx, 1e-3, 8, "event", 1000)
    out, rows = {}, []
    runs = 2000 if quick else 10_000
    for eps in (1e-3, 1e-8):
        ev, t_ev = _conv(env, mx, eps, runs, "event")
        se = float(ev.standard_errors()[0])
        if eps >= 1e-5:
            pl, t_pl = _conv(env, mx, eps, runs, "plain", seed=2)
            p_pl, how = float(pl.probabilities[0]), "measured"
        else:  # plain runs of ~1e8 updates: time capped runs, extrapolate
            cap, few = 10**6, 50 if quick else 100
            pl, t_cap = _conv(env, mx, eps, few, "plain", n_updates=cap)
            stopped = pl.n_absorbed * pl.mean_stop_update if pl.n_absorbed else 0.0
            done = stopped + (few - pl.n_absorbed) * cap
            t_pl = t_cap / done * ev.mean_stop_update * runs
            p_pl, how = float("nan"), "extrapolated"
        rows.append((eps, runs, t_ev, t_pl, how, float(ev.probabilities[0]), se, p_pl))
        key = f"events_eps{eps:g}"
        out[f"{key}_event_s"] = round(t_ev, 3)
        out[f"{key}_plain_s"] = round(t_pl, 3)
        out[f"{key}_plain_timing"] = how
        out[f"{key}_p_treasure_event"] = round(float(ev.probabilities[0]), 5)
        out[f"{key}_p_treasure_se"] = round(se, 5)
        out[f"{key}_mean_stop_update"] = round(float(ev.mean_stop_update), 1)
        if how == "measured":
            out[f"{key}_p_treasure_plain"] = round(p_pl, 5)
    t0 = time.perf_counter()
    chain = pw.chain_absorption(env, 1.0, eps=1e-8, maxima=mx, progress=False)
    t_chain = time.perf_counter() - t0
    p_chain = float(chain.at([0.0, 0.0])[0])
    err = float(chain.grid_error([0.0, 0.0])[0])
    out["events_eps1e-08_chain_p_treasure"] = round(p_chain, 5)
    out["events_eps1e-08_chain_grid_error"] = float(f"{err:.3g}")
    out["events_eps1e-08_chain_s"] = round(t_chain, 2)
    p_ev, se_ev = out["events_eps1e-08_p_treasure_event"], out["events_eps1e-08_p_treasure_se"]
    out["events_eps1e-08_z_vs_chain"] = round(abs(p_ev - p_chain) / math.hypot(se_ev, 1e-12), 2)
    print(
        f"\n{'event-driven vs plain MC, corridor':40s} {'runs':>6s} {'event s':>9s} "
        f"{'plain s':>10s} {'speed-up':>9s} {'P(treasure) event':>18s} {'plain':>8s}"
    )
    for eps, n, a, b, how, p, se, q in rows:
        label = f"eps {eps:g} (plain {how})"
        print(f"{label:40s} {n:6d} {a:9.2f} {b:10.1f} {b / a:9.1f} {p:11.4f} ± {se:.4f} {q:8.4f}")
    print(
        f"{'chain solver P(treasure) at eps 1e-8':40s} {p_chain:.4f} (grid_error {err:.2g}, "
        f"{t_chain:.1f} s); |event − chain| / SE = {out['events_eps1e-08_z_vs_chain']}"
    )
    return out


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(bench_events("--quick" in sys.argv)))
