"""``pgweyl converge ENV``: P(policy gradient from θ_0 ends at each local maximum), by
Monte Carlo and by the θ-chain solver (``--method auto|mc|chain|both``); ``--plot``
draws the chain solver's basin map.

The run options are mapped to one :class:`pgweyl.landscape.settings.RunSettings`
(:func:`pgweyl.cli.options.run_settings`); the JSON carries it, resolved (``grid`` the
one the chain used), with ``pgweyl_version`` and the environment.
"""

from __future__ import annotations

from pgweyl.budget import require_chain_grid
from pgweyl.cli.options import (
    InputError,
    add_run_options,
    parse_env,
    parse_theta,
    progress,
    real,
    run_settings,
)
from pgweyl.cli.output import EXIT_OK, Outcome, pm, steps_label, vec
from pgweyl.landscape import convergence_probabilities, local_maxima
from pgweyl.landscape.settings import provenance
from pgweyl.study.odds import chain_grid, solve_chain

HELP = "convergence probabilities from theta0"


def add_arguments(parser) -> None:
    parser.add_argument(
        "--rule",
        default=None,
        metavar="RULE",
        help="update rule: vanilla (default), natural, entropy:tau=T, with options "
        "baseline=…, schedule=decay,decay=…,power=…",
    )
    parser.add_argument("--lr", type=real, default=None, help="step size (default 1.0)")
    add_run_options(parser)


def run(args) -> Outcome:
    env = parse_env(args.env)
    theta0 = parse_theta(env, args.theta0, "--theta0")
    settings = run_settings(args).replace(theta0=tuple(theta0))
    mc, chain_runs = settings.routes(env, args.env)
    if args.plot and not chain_runs:
        raise InputError(
            "--plot draws the chain solver's basin map, which does not run here "
            "(--method mc, or an env of effective dimension > 2)"
        )
    if chain_runs and settings.grid is not None:  # a rough size guard before the maxima
        require_chain_grid(env.effective_dim, settings.grid, refine=True)
    maxima = local_maxima(env, basin_samples=0, rule=settings.rule)
    methods = ["mc"] * mc + ["chain"] * chain_runs
    out = {
        **provenance(env.to_dict()),
        "env_repr": repr(env),
        "theta0": theta0,
        "rule": str(settings.rule),
        "lr": settings.lr,
        "updates": settings.n_updates,
        "methods": methods,
        "maxima": [{**m.to_dict(), "steps": steps_label(env, m.support)} for m in maxima],
    }
    figure = None
    if mc:
        res = convergence_probabilities(
            env, settings=settings.replace(method="mc"), maxima=maxima, progress=progress(args)
        )
        out["monte_carlo"] = res.to_dict()
    if chain_runs:
        chain = solve_chain(env, settings, maxima, progress(args))
        settings = settings.replace(grid=chain_grid(chain))
        out["chain"] = {
            **chain.to_dict(),
            "grid": chain.refinement["grid"],
            "grids": chain.refinement["grids"],
            "effective_dim": env.effective_dim,
            "at_theta0": chain.at(theta0, env),
            "grid_error": chain.grid_error(theta0, env),
        }
        out["chain"].pop("axes")
        if args.plot:
            from pgweyl import plot

            figure = plot.basin_figure(chain, env=env)
    out["settings"] = settings.to_dict()
    return Outcome(out, fmt, EXIT_OK, figure)


def fmt(d) -> list[str]:
    lines = [
        d["env_repr"],
        f"theta0 = {vec(d['theta0'], 4)}, lr = {d['lr']}, rule {d['rule']}; "
        f"methods: {', '.join(d['methods'])}",
    ]
    mc, chain = d.get("monte_carlo"), d.get("chain")
    for j, m in enumerate(d["maxima"]):
        name = "J" if d["rule"].startswith("entropy") else "V"  # J_τ = V + τH is ascended
        line = f"[{j}] {m['steps']:18s} {name} = {m['value']:.6f}"
        if mc is not None:
            line += (
                f"   MC {mc['probabilities'][j]:.4f} "
                f"[{mc['ci_low'][j]:.4f}, {mc['ci_high'][j]:.4f}]"
            )
        if chain is not None:
            line += f"   chain {chain['at_theta0'][j]:.4f} {pm(chain['grid_error'][j])}"
        lines.append(line)
    if mc is not None:
        lines.append(
            f"unresolved (MC): {mc['unresolved']:.4f} of {mc['n_runs']} runs after "
            f"{d['updates']} updates"
        )
    if chain is not None:
        grids = ", ".join(f"{g}^{chain['effective_dim']}" for g in chain["grids"])
        lines.append(
            f"chain: grids {grids} (spacing Δ, 2Δ, 4Δ); ± is the grid error bound "
            "2|a0 − a1| + |a1 − a2|/4 + the leak bound"
        )
    return lines
