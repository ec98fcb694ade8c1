"""``pgweyl converge ENV``: P(policy gradient from θ_0 ends at each local maximum), by
Monte Carlo and by the θ-chain solver (``--method auto|mc|chain|both``); ``--plot``
draws the chain solver's basin map.

Two numbers answer "ends at maximum j", and the output names each (docs/theory.md §12):

- ``monte_carlo`` and ``chain``: the **first entry into the ε-ball** at the chosen ε
  (``--eps``, default σ(−8)), the chain's with its grid error bound;
- ``limit``: the **limit n → ∞** (ε → 0), P(θ_n → maximum j), the chain solved with
  ``eps=0.0`` (:func:`pgweyl.study.odds.solve_limit`) with its bound (grid, box and
  ε-tail), wherever the chain runs and the limit applies (effective dimension 1, no
  entropy); elsewhere ``limit.status`` says why it is absent. ``--no-limit`` skips it
  (on the corridor it costs about as much as the chain at ε: 4–6 s at the default
  grid; in 2-D the solver refuses it and nothing is spent).

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
from pgweyl.errors import ArgumentError
from pgweyl.landscape import convergence_probabilities, local_maxima
from pgweyl.landscape.settings import provenance
from pgweyl.study.odds import (
    LIMIT_LABEL,
    chain_grid,
    first_entry_label,
    limit_refusal,
    solve_chain,
    solve_limit,
)

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
    parser.add_argument(
        "--no-limit",
        dest="limit",
        action="store_false",
        help="skip the chain's eps -> 0 limit (P(theta_n -> each maximum as n -> inf))",
    )


def run(args) -> Outcome:
    env = parse_env(args.env)
    theta0 = parse_theta(env, args.theta0, "--theta0")
    settings = run_settings(args).replace(theta0=tuple(theta0))
    settings.theta_for(env)  # refuses a θ0 out of the float range before any work
    mc, chain_runs = settings.routes(env, args.env)
    if args.plot and (not chain_runs or env.effective_dim > 2):
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
    first_entry = first_entry_label(settings.eps)
    if mc:
        res = convergence_probabilities(
            env, settings=settings.replace(method="mc"), maxima=maxima, progress=progress(args)
        )
        out["monte_carlo"] = {
            "quantity": first_entry,  # within the update budget; "unresolved" is the rest
            **res.to_dict(),
        }
    out["limit"] = {"quantity": LIMIT_LABEL, **_limit(args, env, settings, maxima, chain_runs)}
    if chain_runs:
        chain = solve_chain(env, settings, maxima, progress(args))
        settings = settings.replace(grid=chain_grid(chain))
        out["chain"] = {
            "quantity": first_entry,
            **chain.to_dict(),
            "grid": chain.refinement["grid"],
            "grids": chain.refinement["grids"],
            "effective_dim": env.effective_dim,
            "at_theta0": chain.at(theta0, env),
            "grid_error": chain.grid_error(theta0, env),
        }
        out["chain"].pop("axes")
        if out["chain"].get("coordinates") is not None:  # the natural rule in 2-D
            out["chain"]["stuck"] = float(1.0 - out["chain"]["at_theta0"].sum())
        if args.plot:
            from pgweyl import plot

            figure = plot.basin_figure(chain, env=env)
    out["settings"] = settings.to_dict()
    return Outcome(out, fmt, EXIT_OK, figure)


def _limit(args, env, settings, maxima, chain_runs) -> dict:
    """The ε → 0 limit at θ_0: ``status`` "solved" with ``at_theta0``, ``grid_error`` (its
    bound: grid, box and ε-tail), ``grid``, ``grids``, ``seconds`` and the depth walks'
    Lundberg ``roots``; or "skipped"/"not available" with the ``reason``."""
    if not args.limit:
        return {"status": "skipped", "reason": "--no-limit"}
    if not chain_runs:
        return {"status": "skipped", "reason": "the chain solver does not run here"}
    why = limit_refusal(env, settings.rule)
    if why is not None:
        return {"status": "not available", "reason": why}
    try:
        lim = solve_limit(env, settings, maxima, progress(args))
    except ArgumentError as err:  # e.g. a baseline under which a maximum is no attractor
        return {"status": "not available", "reason": str(err)}
    theta0 = settings.theta_for(env)
    return {
        "status": "solved",
        "at_theta0": lim.at(theta0).tolist(),
        "grid_error": lim.grid_error(theta0).tolist(),
        "grid": chain_grid(lim),
        "grids": lim.refinement["grids"],
        "box": [float(lim.axes[0][0]), float(lim.axes[0][-1])],
        "roots": [w.root for w in lim.walks],
        "seconds": lim.seconds,
    }


def fmt(d) -> list[str]:
    lines = [
        d["env_repr"],
        f"theta0 = {vec(d['theta0'], 4)}, lr = {d['lr']}, rule {d['rule']}; "
        f"methods: {', '.join(d['methods'])}",
    ]
    mc, chain = d.get("monte_carlo"), d.get("chain")
    limit = d.get("limit", {})
    solved = limit.get("status") == "solved"
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
        if solved:
            line += f"   limit {limit['at_theta0'][j]:.4f} {pm(limit['grid_error'][j])}"
        lines.append(line)
    entry = (mc or chain or {}).get("quantity")
    if entry is not None:
        routes = " and ".join(k for k, v in (("MC", mc), ("chain", chain)) if v is not None)
        lines.append(f"{routes}: {entry}")
    if solved:
        lines.append("limit: P(θ_n → the maximum as n → ∞), the ε → 0 limit of first entry")
    elif limit:
        lines.append(f"limit n → ∞: {limit['status']} ({limit['reason']})")
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
        if chain.get("coordinates") is not None:
            lines.append(
                f"chain: grids over compact face coordinates; stuck at a vertex that is no "
                f"maximum {chain['stuck']:.4f} (Monte Carlo counts these runs as unresolved)"
            )
    if solved:
        lo, hi = limit["box"]
        lines.append(
            f"limit: grids {', '.join(str(g) for g in limit['grids'])} over [{lo:g}, {hi:g}], "
            "the depth walks' tails beyond; ± also covers the box and the ε-tail "
            f"({limit['seconds']:.1f} s; --no-limit skips it)"
        )
    return lines
