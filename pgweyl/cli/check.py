"""``pgweyl check ENV``: the closed forms against simulation (exit 1 when they disagree)."""

from __future__ import annotations

from pgweyl.cli.options import count, huge_theta_overflow_ok, parse_env, parse_theta, progress, real
from pgweyl.cli.output import EXIT_DISAGREE, EXIT_OK, Outcome, vec
from pgweyl.landscape.settings import provenance

HELP = "closed forms against simulation (exit 1 on disagreement)"


def add_arguments(parser) -> None:
    parser.add_argument("--theta", type=real, nargs="+", help="theta (default 0)")
    parser.add_argument(
        "--episodes", type=count, default=100_000, help="simulated episodes (>= 100)"
    )


def run(args) -> Outcome:
    from pgweyl.study.checks import P_MIN, Z_MAX, check_closed_forms

    env = parse_env(args.env)
    theta = parse_theta(env, args.theta)
    with huge_theta_overflow_ok():
        report = check_closed_forms(
            env, theta, n_episodes=args.episodes, seed=args.seed, progress=progress(args)
        )
    out = {**provenance(env.to_dict()), "env_repr": repr(env), "p_min": P_MIN, "z_max": Z_MAX}
    out.update(report.to_dict())
    return Outcome(out, fmt, EXIT_OK if report.ok else EXIT_DISAGREE)


def _stat_text(r) -> str:
    if r["statistic"] == "chi2":
        return f"chi2={r['value']:.2f} p={r['p_value']:.3g}"
    if r["statistic"] == "binom":
        return f"binom k={r['value']:.0f} p={r['p_value']:.3g}"
    if r["statistic"] == "z" and r["p_value"] is not None:
        return f"z={r['value']:+.3g} p<={r['p_value']:.2g}"
    if r.get("tolerance") is not None:  # an exact identity: the certified bound of both sides
        return f"diff={r['value']:+.2g} tol={r['tolerance']:.2g}"
    return f"{r['statistic']}={r['value']:+.3g}"


def fmt(d) -> list[str]:
    lines = [
        d["env_repr"],
        f"theta = {vec(d['theta'])}, {d['n_episodes']} simulated episodes (seed {d['seed']})",
        f"null hypothesis: {d['null_hypothesis']}; a row fails at p < {d['p_min']:g} "
        f"(chi2, exact binomial, Bernstein bound for means) or |z| > {d['z_max']:g} "
        "(wall rows, exact standard error); symbolic rows fail beyond the certified error "
        "of both sides (tol)",
        *(
            [
                "route: linear (no table of the law here, so its chi2 row is left out); "
                "V and E[T] rows use the sample standard deviation"
            ]
            if d.get("route") == "linear"
            else []
        ),
        f"{'quantity':42s} {'exact':>14s} {'simulated':>14s} {'statistic':>22s} {'':>6s}",
    ]
    for r in d["rows"]:
        chi2 = r["statistic"] == "chi2"
        exact = f"dof {r['exact']:.0f}" if chi2 else f"{r['exact']:.10g}"
        sim = f"{r['simulated']:.2f}" if chi2 else f"{r['simulated']:.10g}"
        lines.append(
            f"{r['quantity']:42s} {exact:>14s} {sim:>14s} {_stat_text(r):>22s} "
            f"{'ok' if r['ok'] else 'FAIL':>6s}"
        )
    lines.append("agree" if d["ok"] else "DISAGREE")
    return lines
