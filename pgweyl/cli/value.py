"""``pgweyl value ENV``: V, ∇V and the value distribution at θ; closed forms with
``--symbolic``, ``--latex`` or ``--probs``."""

from __future__ import annotations

from pgweyl.cli.options import huge_theta_overflow_ok, parse_env, parse_theta, progress, real
from pgweyl.cli.output import EXIT_DISAGREE, EXIT_OK, Outcome, vec
from pgweyl.config import DEFAULT_TOL
from pgweyl.errors import AccuracyError, ResourceError
from pgweyl.landscape.settings import provenance

HELP = "V, grad V and the value distribution at theta"


def add_arguments(parser) -> None:
    parser.add_argument("--theta", type=real, nargs="+", help="theta (default 0)")
    parser.add_argument(
        "--tol",
        type=real,
        default=DEFAULT_TOL,
        help=f"error bound of V and grad V, and tail of the law (default {DEFAULT_TOL:g})",
    )
    parser.add_argument("--symbolic", action="store_true", help="also the closed form of V")
    parser.add_argument("--latex", action="store_true", help="also the closed form as LaTeX")
    parser.add_argument(
        "--probs",
        default=None,
        metavar="P0,P1,...",
        help="exact closed forms (exit law, E[T], V) for these step probabilities, e.g. "
        "2/5,1/10,3/10,1/5 (any distribution; --symbolic alone: symbols p_i)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="compute closed forms even when estimated to take longer than the time budget "
        "(PGWEYL_TIME_BUDGET seconds, default 600)",
    )


def run(args) -> Outcome:
    env = parse_env(args.env)
    theta = parse_theta(env, args.theta)
    force = getattr(args, "force", False)
    closed = args.symbolic or args.latex or args.probs is not None
    if closed:  # the closed forms' inputs and their time, checked before any work
        _check_closed_forms(env, args, force)
    with huge_theta_overflow_ok():
        exact = env.value_and_grad(theta, tol=args.tol)
        mean_time = env.mean_exit_time(theta, tol=args.tol)
        try:  # the law itself may need more rows than the budget allows (huge levels)
            dist, law_note = env.value_distribution(theta, tol=args.tol), None
        except (AccuracyError, ResourceError) as err:
            dist, law_note = None, str(err)
    grad = exact.grad
    out = {
        **provenance(env.to_dict()),
        "env_repr": repr(env),
        "theta": theta,
        "policy": env.policy(theta),
        "value": exact.value,
        "grad": grad,
        "error_value": exact.error_value,
        "error_grad": exact.error_grad,
        "method": exact.method,
        "mean_time": mean_time,
        "exit_points": env.exit_points,
        "tail": None if dist is None else dist.tail,
        "n_max": None if dist is None else dist.n_max,
        "exit_probabilities": None if dist is None else dist.exit_probabilities(),
        "wall_probabilities": (
            None if dist is None else dist.wall_probabilities(len(env.alcove.walls))
        ),
        "law_note": law_note,
    }
    code = EXIT_OK
    if closed:
        import sympy

        from pgweyl.exact.closed_forms import closed_form_report

        if args.probs is None:
            from pgweyl.progress import Progress

            where = f"{env.alcove.cartan} at level {env.alcove.level}"
            with Progress(1, f"symbolic value of {where}", "phase", progress(args)) as bar:
                bar.update(0, note="V(theta) ...")
                expr = env.symbolic_value(force=True)  # estimated above
                bar.update(1)
            out["symbolic"] = str(expr)
            if args.latex:
                out["latex"] = sympy.latex(expr)
        # Exact exit law, E[T] and V for the step probabilities (symbols p_i by default),
        # by first-step elimination, checked against the reflection route where it applies.
        out["closed_form"] = closed_form_report(
            env, probs=args.probs, force=True, progress=progress(args)
        )
        if out["closed_form"].get("routes_agree") is False:
            code = EXIT_DISAGREE
    return Outcome(out, fmt, code)


def _check_closed_forms(env, args, force: bool) -> None:
    """The step probabilities (a probability vector, exactly) and the estimated time of
    the closed forms asked for: one line and exit 2 for either, before the numerics."""
    from pgweyl.estimate import require_time
    from pgweyl.exact.closed_forms import check_probs, report_seconds
    from pgweyl.exact.symbolic import symbolic_seconds

    probs = check_probs(env, args.probs)
    seconds = report_seconds(env, probs)
    if args.probs is None:
        seconds += symbolic_seconds(env)
    if not force:
        what = "--symbolic" if args.symbolic else "--latex" if args.latex else "--probs"
        require_time(
            seconds,
            f"the closed forms ({what}) of {env.alcove.cartan} at level {env.alcove.level}",
            "use a smaller level",
        )


def fmt(d) -> list[str]:
    lines = [
        d["env_repr"],
        f"theta  = {vec(d['theta'])}   policy = {vec(d['policy'])}",
        f"V      = {d['value']:.15g}   (|error| <= {d['error_value']:.1e}, {d['method']})",
        f"grad V = {vec(d['grad'], 10)}",
        f"E[T]   = {d['mean_time']:.12g}   (linear route, relative error <= tol)",
    ]
    rewards = d["env"]["wall_rewards"]
    if d["wall_probabilities"] is None:
        lines.append(f"law of (exit point, exit time) not computed: {d['law_note']}")
    else:
        lines.append(f"law of (exit point, exit time): n <= {d['n_max']}, tail {d['tail']:.3g}")
        for j, p in enumerate(d["wall_probabilities"]):
            r = rewards[j] if rewards else "table"
            lines.append(f"P(exit on wall {j}) = {p:.12g}   (r_{j} = {r})")
    if "latex" in d:
        lines.append(f"LaTeX: {d['latex']}")
    elif "symbolic" in d:
        lines.append(f"V(theta) = {d['symbolic']}")
    cf = d.get("closed_form")
    if cf is not None:
        tex = "latex" in d
        probs = cf.get("probabilities")
        lines.append(
            "closed forms for step probabilities "
            + ("p_0, p_1, ... (symbols)" if probs is None else "(" + ", ".join(probs) + ")")
        )
        for e in cf["exits"]:
            gf = e["generating_function_latex" if tex else "generating_function"]
            pr = e["probability_latex" if tex else "probability"]
            lines.append(f"  exit {e['point']}: E[s^T; b] = {gf};  P(b) = {pr}")
        lines.append(f"  E[T] = {cf['mean_exit_time_latex' if tex else 'mean_exit_time']}")
        lines.append(f"  V = {cf['value_latex' if tex else 'value']}")
        agree = cf.get("routes_agree")
        if agree is not None:
            lines.append(
                f"  checked by the {cf['checked_by']} route: {'agree' if agree else 'DISAGREE'}"
            )
    return lines
