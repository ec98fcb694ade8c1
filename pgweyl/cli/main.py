"""The ``pgweyl`` command (ARCHITECTURE.md, "The pgweyl command").

    pgweyl envs                          the catalog, with each family's knobs
    pgweyl value ENV --theta ...         V, ∇V, the value distribution; --symbolic/--latex
    pgweyl check ENV                     closed form against simulation (exit 1 if they disagree)
    pgweyl maxima ENV                    local maxima with certificates
    pgweyl converge ENV --theta0 ... --lr ... --updates ... --runs ... [--method auto|mc|chain|both]
    pgweyl sweep ENV --param level=4:16  convergence probability against difficulty
    pgweyl demo [OUT]                    the main job on the built-in default

The command only parses and formats. Each ``cmd_*`` checks its output paths, validates
its numbers, computes a result (a JSON-ready dict) with library calls, and
:func:`main` writes the files (one transaction, :mod:`pgweyl.serialize`) and prints the
result as JSON or as text (``fmt_*``).

**Exit codes** (the contract): 0 success; 1 a disagreement found by ``check`` (or the
checks of ``demo``) and nothing else; 2 bad input or a refusal (one line on stderr
``pgweyl: error: …``, no traceback, no file written); 130 interrupted (Ctrl-C,
``pgweyl: interrupted``). A traceback is a bug in pgweyl: please report it.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from pgweyl import validate
from pgweyl.errors import PgweylError

EXIT_OK, EXIT_DISAGREE, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


class InputError(Exception):
    """Bad input detected by the command line layer (one line, exit code 2)."""


# -- parsing ---------------------------------------------------------------------------------
#: A number that starts with "-": argparse's own pattern misses 1e-3, -inf, -1e308, so
#: ``--theta 1e-3 -1e-3`` would be read as an unknown option.
_NEGATIVE_NUMBER = re.compile(
    r"^-(?:\d[\d_]*\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|inf(?:inity)?|nan)$", re.I
)


class Parser(argparse.ArgumentParser):
    """``argparse`` with one-line errors (raised as :class:`InputError`) and negative
    numbers in every numeric option (``--theta 1e-3 -1e-3``, ``-inf``). The examples
    use it too."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER

    def error(self, message):  # one line, no usage block
        raise InputError(message)


_Parser = Parser  # the name used before


def real(text: str) -> float:
    """argparse type: a finite real number (``1e-3``, ``-2.5``); inf and NaN refused."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return v


def count(text: str) -> int:
    """argparse type: an integer, also written ``1e6``; the range is checked later."""
    t = text.strip().replace("_", "")
    try:
        return int(t)
    except ValueError:
        pass
    try:
        v = float(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not math.isfinite(v) or not v.is_integer():
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}")
    return int(v)


def parse_env(spec: str):
    """``name:key=value,...`` or a TOML file → an AlcoveWalkEnv (:mod:`pgweyl.env.spec`)."""
    from pgweyl.env.spec import load_env

    return load_env(spec)


# -- outcome of a command ----------------------------------------------------------------------
@dataclass
class Outcome:
    """What a command computed: ``data`` (JSON-ready, printed by ``--json``), the text
    formatter, the exit code and an optional figure for ``--plot``."""

    data: dict | list
    format: object
    code: int = EXIT_OK
    figure: object = None


def _progress(args) -> str:
    """A bar on a terminal, a line per phase when stderr is piped, nothing with --quiet."""
    if getattr(args, "quiet", False):
        return "off"
    return "bar" if sys.stderr.isatty() else "lines"


def _check_outputs(args) -> None:
    """Every output path of the command, checked before any work."""
    from pgweyl.serialize import check_output_path, figure_paths

    if getattr(args, "json", None) not in (None, "-"):
        check_output_path(args.json, "JSON")
    if getattr(args, "plot", None) is not None:
        for path in figure_paths(args.plot):
            check_output_path(path, "figure")


def _validate_numbers(args) -> None:
    """The numeric options, validated before any work (names as on the command line)."""
    from pgweyl.landscape.maxima import MAX_BASIN_SAMPLES

    checks = {
        "seed": lambda v: validate.seed(v),
        "runs": lambda v: validate.positive_int("--runs", v),
        "updates": lambda v: validate.positive_int("--updates", v),
        "episodes": lambda v: validate.integer("--episodes", v, lo=100),
        "lr": lambda v: validate.positive_real("--lr", v),
        "eps": lambda v: validate.eps(v),
        "tol": lambda v: validate.tol(v),
        "grid": lambda v: validate.integer("--grid", v, lo=9),  # Δ, 2Δ, 4Δ: a stencil each
        "basin_samples": lambda v: validate.nonnegative_int(
            "--basin-samples", v, MAX_BASIN_SAMPLES
        ),
    }
    for name, check in checks.items():
        v = getattr(args, name, None)
        for item in v if isinstance(v, list) else [v]:  # compare takes several --lr
            if item is not None:
                check(item)


@contextmanager
def _huge_theta_overflow_ok():
    """Silence one understood warning: with |θ| near the float limit (``--theta -1e308
    0``), the exact layer's log-space tilt overflows to ±inf, which is the right limit
    (a step of probability 0); the numbers it returns are exact. Only this message from
    pgweyl.exact is silenced, and only here."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", r"(overflow|invalid value) encountered", RuntimeWarning, r"pgweyl\.exact"
        )
        yield


def _theta(env, values, name="--theta"):
    if values is None:
        return np.zeros(env.theta_dim)
    if len(values) != env.theta_dim:
        raise InputError(f"{name} needs {env.theta_dim} numbers for this env, got {len(values)}")
    return env.check_theta(values)


def _steps_label(env, support) -> str:
    """A face of conv(S) by its steps, e.g. "{+e1, −e2}" (:meth:`StepSet.labels`)."""
    return "{" + ", ".join(env.steps.labels(support)) + "}"


def _pm(err: float) -> str:
    """A grid error with one significant digit: ``± 4e-05``, never ``± 0.0000``."""
    return "± 0" if err == 0 else f"± {err:.1g}"


def _vec(x, precision=6) -> str:
    return np.array2string(np.asarray(x, dtype=float), precision=precision)


# -- envs ------------------------------------------------------------------------------------
def cmd_envs(args) -> Outcome:
    from pgweyl.env import list_envs

    return Outcome([f.to_dict() for f in list_envs()], fmt_envs)


def fmt_envs(families) -> list[str]:
    lines = []
    for f in families:
        knobs = ", ".join(f"{k}={v}" for k, v in f["knobs"].items())
        lines += [
            f"{f['name']:16s} {f['cartan']} {f['steps']:6s} difficulty: {f['difficulty']}",
            f"{'':16s} {f['summary']}",
            f"{'':16s} knobs: {knobs}",
        ]
    return lines


# -- value -----------------------------------------------------------------------------------
def cmd_value(args) -> Outcome:
    env = parse_env(args.env)
    theta = _theta(env, args.theta)
    from pgweyl.errors import AccuracyError, ResourceError

    with _huge_theta_overflow_ok():
        exact = env.value_and_grad(theta, tol=args.tol)
        mean_time = env.mean_exit_time(theta, tol=args.tol)
        try:  # the law itself may need more rows than the budget allows (huge levels)
            dist, law_note = env.value_distribution(theta, tol=args.tol), None
        except (AccuracyError, ResourceError) as err:
            dist, law_note = None, str(err)
    grad = exact.grad
    out = {
        "env": env.to_dict(),
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
    if args.symbolic or args.latex or args.probs is not None:
        import sympy

        from pgweyl.exact.closed_forms import closed_form_report

        if args.probs is None:
            expr = env.symbolic_value()
            out["symbolic"] = str(expr)
            if args.latex:
                out["latex"] = sympy.latex(expr)
        # Exact exit law, E[T] and V for the step probabilities (symbols p_i by default),
        # by first-step elimination, checked against the reflection route where it applies.
        out["closed_form"] = closed_form_report(env, probs=args.probs)
        if out["closed_form"].get("routes_agree") is False:
            code = EXIT_DISAGREE
    return Outcome(out, fmt_value, code)


def fmt_value(d) -> list[str]:
    lines = [
        d["env_repr"],
        f"theta  = {_vec(d['theta'])}   policy = {_vec(d['policy'])}",
        f"V      = {d['value']:.15g}   (|error| <= {d['error_value']:.1e}, {d['method']})",
        f"grad V = {_vec(d['grad'], 10)}",
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


# -- check -----------------------------------------------------------------------------------
def cmd_check(args) -> Outcome:
    from pgweyl.study.checks import P_MIN, Z_MAX, check_closed_forms

    env = parse_env(args.env)
    theta = _theta(env, args.theta)
    with _huge_theta_overflow_ok():
        report = check_closed_forms(
            env, theta, n_episodes=args.episodes, seed=args.seed, progress=_progress(args)
        )
    out = {"env": env.to_dict(), "env_repr": repr(env), "p_min": P_MIN, "z_max": Z_MAX}
    out.update(report.to_dict())
    return Outcome(out, fmt_check, EXIT_OK if report.ok else EXIT_DISAGREE)


def _stat_text(r) -> str:
    if r["statistic"] == "chi2":
        return f"chi2={r['value']:.2f} p={r['p_value']:.3g}"
    if r["statistic"] == "binom":
        return f"binom k={r['value']:.0f} p={r['p_value']:.3g}"
    if r["statistic"] == "z" and r["p_value"] is not None:
        return f"z={r['value']:+.3g} p<={r['p_value']:.2g}"
    return f"{r['statistic']}={r['value']:+.3g}"


def fmt_check(d) -> list[str]:
    lines = [
        d["env_repr"],
        f"theta = {_vec(d['theta'])}, {d['n_episodes']} simulated episodes (seed {d['seed']})",
        f"null hypothesis: {d['null_hypothesis']}; a row fails at p < {d['p_min']:g} "
        f"(chi2, exact binomial, Bernstein bound for means) or |z| > {d['z_max']:g} "
        "(wall rows, exact standard error)",
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


# -- maxima ----------------------------------------------------------------------------------
def cmd_maxima(args) -> Outcome:
    from pgweyl.landscape import local_maxima

    env = parse_env(args.env)
    maxima = local_maxima(env, basin_samples=args.basin_samples, seed=args.seed)
    out = {
        "env": env.to_dict(),
        "env_repr": repr(env),
        "basin_samples": args.basin_samples,
        "maxima": [
            {**m.to_dict(), "steps": _steps_label(env, m.support), "flat": m.flat} for m in maxima
        ],
    }
    return Outcome(out, fmt_maxima)


def fmt_maxima(d) -> list[str]:
    lines = [d["env_repr"]]
    for j, m in enumerate(d["maxima"]):
        c = m["certificate"]
        kind = (
            "flat face"
            if m["flat"]
            else ("vertex" if len(m["support"]) == 1 else f"face dim {c['face_dim']}")
        )
        share = ""
        if m["basin_share"] is not None:
            lo, hi = m["basin_ci"]
            share = (
                f"   basin share {m['basin_share']:.3f} [{lo:.2f}, {hi:.2f}] "
                f"(95%, {d['basin_samples']} flow starts)"
            )
        lines += [
            f"[{j}] support {m['steps']} ({kind})   V = {m['value']:.12g}{share}",
            f"    policy {_vec(m['policy'])}",
            f"    certificate: |grad| = {c['gradient_norm']:.2e}, max Hessian eig = "
            f"{c['hessian_max_eig']}, gain rate into bigger faces = {c.get('gain_rate')}, "
            f"perturbation gain = {c.get('perturbation_gain')}",
        ]
    return lines


# -- converge --------------------------------------------------------------------------------
def _chain_applies(env) -> bool:
    from pgweyl.landscape.chain import chain_refusal

    return chain_refusal(env) is None


def cmd_converge(args) -> Outcome:
    from pgweyl.landscape import chain_absorption, convergence_probabilities, local_maxima
    from pgweyl.landscape.chain import chain_refusal
    from pgweyl.rules import parse_rule
    from pgweyl.study.sweep.grid import rule_kwargs

    env = parse_env(args.env)
    theta0 = _theta(env, args.theta0, "--theta0")
    rule = parse_rule(args.rule)
    applies = _chain_applies(env)
    why = chain_refusal(env, rule) if applies else None
    chain_ok = applies and why is None
    methods = {
        "auto": ["mc", "chain"] if chain_ok else ["mc"],
        "mc": ["mc"],
        "chain": ["chain"],
        "both": ["mc", "chain"],
    }[args.method]
    if "chain" in methods and not applies:
        raise InputError(
            "the chain solver needs policy 'exp' and effective dimension 1 or 2 "
            f"(this env has {env.effective_dim}); use --method mc or auto"
        )
    if "chain" in methods and not chain_ok:
        raise InputError(why.replace("use Monte Carlo", "use --method mc or auto"))
    if args.plot and "chain" not in methods:
        raise InputError(
            "--plot draws the chain solver's basin map, which does not run here "
            "(--method mc, or an env of effective dimension > 2)"
        )
    grid = args.grid  # None: the solver's default spacing (2001 nodes on the corridor)
    if "chain" in methods and grid is not None:  # a rough size guard before the maxima
        from pgweyl.budget import require_chain_grid

        require_chain_grid(env.effective_dim, grid, refine=True)
    maxima = local_maxima(env, basin_samples=0, rule=rule)
    out = {
        "env": env.to_dict(),
        "env_repr": repr(env),
        "theta0": theta0,
        "rule": str(rule),
        "lr": args.lr,
        "updates": args.updates,
        "methods": methods,
        "maxima": [{**m.to_dict(), "steps": _steps_label(env, m.support)} for m in maxima],
    }
    figure = None
    if "mc" in methods:
        mc = convergence_probabilities(
            env,
            theta0,
            args.lr,
            args.updates,
            args.runs,
            seed=args.seed,
            eps=args.eps,
            maxima=maxima,
            progress=_progress(args),
            rule=rule,
        )
        out["monte_carlo"] = mc.to_dict()
    if "chain" in methods:
        chain = chain_absorption(
            env,
            args.lr,
            grid=grid,
            eps=args.eps,
            maxima=maxima,
            refine=True,
            **rule_kwargs(str(rule)),
        )
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
    return Outcome(out, fmt_converge, EXIT_OK, figure)


def fmt_converge(d) -> list[str]:
    lines = [
        d["env_repr"],
        f"theta0 = {_vec(d['theta0'], 4)}, lr = {d['lr']}, rule {d['rule']}; "
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
            line += f"   chain {chain['at_theta0'][j]:.4f} {_pm(chain['grid_error'][j])}"
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


# -- compare ---------------------------------------------------------------------------------
def split_rules(text: str) -> list[str]:
    """``vanilla,natural,entropy:tau=0.01,baseline=mean`` → the rule specs: a piece with
    ``=`` and no ``:`` continues the previous rule's options."""
    out: list[str] = []
    for piece in (p.strip() for p in text.split(",") if p.strip()):
        if out and "=" in piece and ":" not in piece:
            out[-1] += "," + piece
        else:
            out.append(piece)
    if not out:
        raise InputError("--rules gives no rule")
    return out


def cmd_compare(args) -> Outcome:
    from pgweyl.cli.sweep import run_keywords
    from pgweyl.env.spec import parse_scalar
    from pgweyl.plot.rules import compare_figure
    from pgweyl.study.compare import compare

    rules = split_rules(args.rules)
    param = values = None
    if args.param is not None:
        key, eq, rest = args.param.partition("=")
        values = [parse_scalar(v) for v in rest.split(",") if v.strip()]
        if not eq or not key.strip() or not values:
            raise InputError(f"--param {args.param!r}: expected knob=v1,v2,...")
        param = key.strip()
        if args.lr is not None and len(args.lr) > 1:
            raise InputError("with --param give at most one --lr")
    res = compare(
        args.env,
        rules,
        lrs=None if param is not None else (args.lr or [0.5, 1.0, 2.0]),
        param=param,
        values=values,
        lr=(args.lr or [1.0])[0],
        n_runs=args.runs,
        progress=_progress(args),
        **run_keywords(args),
    )
    figure = compare_figure(res) if args.plot else None
    return Outcome(res.to_dict(), lambda _d: res.table(), EXIT_OK, figure)


# -- demo ------------------------------------------------------------------------------------
def cmd_demo(args) -> Outcome:
    from pgweyl.serialize import check_output_path, prepare_folder
    from pgweyl.study.demo import OUTPUT_NAMES, run_demo

    out = prepare_folder("pgweyl-demo" if args.out is None else args.out, "output folder")
    for name in OUTPUT_NAMES:  # an existing directory named like an output, say
        check_output_path(os.path.join(out, name), "demo output")
    summary = run_demo(
        out,
        quick=args.quick,
        seed=args.seed,
        progress=_progress(args),
        log=(lambda *a: None) if args.quiet else print,
    )
    return Outcome(summary, None, EXIT_OK if summary["checks_agree"] else EXIT_DISAGREE)


# -- the parser ------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="pgweyl",
        description="Policy gradient on exactly solvable POMDPs.",
        epilog="Exit codes: 0 ok, 1 disagreement (check, demo), 2 bad input or refusal, "
        "130 interrupted.",
    )
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", parser_class=Parser)

    from pgweyl.cli import grade as grade_command  # both import no heavy engine
    from pgweyl.cli import sweep as sweep_command

    with_common = []  # the common options go last in each command's --help

    def command(name, helptext, func, *, env=True, common=True):
        """A subcommand running ``func``: its ENV argument first (when ``env``), the
        common options (--quiet, --seed, --json) last (when ``common``)."""
        sp = sub.add_parser(name, help=helptext)
        if env:
            sp.add_argument("env", metavar="ENV")
        sp.set_defaults(func=func)
        if common:
            with_common.append(sp)
        return sp

    def run_options(sp):  # what converge and compare share with sweep
        sweep_command.add_run_options(sp, int_type=count, real_type=real, updates=200_000)

    command("envs", "the catalog of environment families", cmd_envs, env=False)

    s = command("value", "V, grad V and the value distribution at theta", cmd_value)
    s.add_argument("--theta", type=real, nargs="+", help="theta (default 0)")
    s.add_argument(
        "--tol",
        type=real,
        default=1e-12,
        help="error bound of V and grad V, and tail of the law (default 1e-12)",
    )
    s.add_argument("--symbolic", action="store_true", help="also the closed form of V")
    s.add_argument("--latex", action="store_true", help="also the closed form as LaTeX")
    s.add_argument(
        "--probs",
        default=None,
        metavar="P0,P1,...",
        help="exact closed forms (exit law, E[T], V) for these step probabilities, e.g. "
        "2/5,1/10,3/10,1/5 (any distribution; --symbolic alone: symbols p_i)",
    )

    s = command("check", "closed forms against simulation (exit 1 on disagreement)", cmd_check)
    s.add_argument("--theta", type=real, nargs="+", help="theta (default 0)")
    s.add_argument("--episodes", type=count, default=100_000, help="simulated episodes (>= 100)")

    s = command("maxima", "local maxima with certificates and basin shares", cmd_maxima)
    s.add_argument(
        "--basin-samples",
        type=count,
        default=16,
        help="gradient-flow starts for the basin shares (default 16, at most 10000; 0 skips)",
    )

    s = command("converge", "convergence probabilities from theta0", cmd_converge)
    s.add_argument(
        "--rule",
        default="vanilla",
        metavar="RULE",
        help="update rule: vanilla (default), natural, entropy:tau=T, with options "
        "baseline=…, schedule=decay,decay=…,power=…",
    )
    s.add_argument("--lr", type=real, default=1.0, help="step size (default 1.0)")
    run_options(s)

    s = command("compare", "update rules compared: P(global maximum) per rule", cmd_compare)
    s.add_argument(
        "--rules",
        default="vanilla,natural,entropy:tau=0.01",
        help="comma-separated rule specs (default vanilla,natural,entropy:tau=0.01)",
    )
    s.add_argument("--lr", type=real, nargs="+", default=None, help="step sizes (x axis)")
    s.add_argument("--param", default=None, help="knob=v1,v2,... as the x axis instead of lr")
    run_options(s)

    # sweep and plot-sweep declare all their own arguments (their module runs alone too)
    sc = sweep_command
    for name, helptext, run, add_arguments in (
        (
            "sweep",
            "convergence probabilities over a grid of params (Dask, Zarr)",
            sc.run_sweep,
            sc.add_sweep_arguments,
        ),
        ("plot-sweep", "a figure from a sweep store", sc.run_plot, sc.add_plot_arguments),
    ):
        add_arguments(command(name, helptext, _pair(run), env=False, common=False))
    s = command(
        "grade",
        "grade an RL agent against pgweyl's exact answers",
        _pair(grade_command.run),
        env=False,
    )
    grade_command.add_arguments(s)
    for sp in with_common:
        sweep_command.add_common_options(sp, seed_type=count)

    s = command("demo", "the main job on the built-in default", cmd_demo, env=False, common=False)
    s.add_argument("out", nargs="?", metavar="OUT", help="output folder (./pgweyl-demo)")
    s.add_argument("--quick", action="store_true", help="small budgets (about 30 s)")
    s.add_argument("--quiet", action="store_true", help="no progress, no summary")
    s.add_argument("--seed", type=count, default=0, help="random seed (default 0)")
    return p


def _pair(run):
    """A command implemented elsewhere as ``run(args) -> (data, text)`` (sweep, grade);
    those write their own figures, so ``--plot`` is theirs."""

    def cmd(args) -> Outcome:
        data, text = run(args)
        return Outcome(data, lambda _d: [text], EXIT_OK)

    return cmd


def _emit(args, outcome: Outcome) -> None:
    """Write the files of a finished command (one transaction), then print."""
    from pgweyl.serialize import figure_bytes, figure_paths, json_text, write_files

    files = {}
    if outcome.figure is not None:
        import matplotlib.pyplot as plt

        try:
            for path in figure_paths(args.plot):
                files[path] = figure_bytes(outcome.figure, path.suffix[1:])
        finally:
            plt.close(outcome.figure)
    json_dest = getattr(args, "json", None)
    if json_dest not in (None, "-"):
        files[json_dest] = json_text(outcome.data)
    if files:
        write_files(files, "output")
    if json_dest == "-":
        sys.stdout.write(json_text(outcome.data))
    elif outcome.format is not None:
        print("\n".join(outcome.format(outcome.data)))
    sys.stdout.flush()


def _error(prog: str, err: BaseException) -> int:
    msg = str(err).splitlines()[0] if str(err) else type(err).__name__
    print(f"{prog}: error: {msg}", file=sys.stderr)
    return EXIT_BAD_INPUT


def main(argv=None) -> int:
    """Run the command; return the exit code (module docstring).

    Only pgweyl's own errors (:class:`PgweylError`, :class:`InputError`) become the
    one-line exit 2; an unexpected exception propagates with its traceback (a bug)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.version:
            from pgweyl import __version__

            print(f"pgweyl {__version__}")
            return EXIT_OK
        if args.command is None:
            raise InputError(
                "missing command; one of envs, value, check, maxima, converge, "
                "compare, sweep, plot-sweep, grade, demo (see pgweyl --help)"
            )
        _check_outputs(args)
        _validate_numbers(args)
        outcome = args.func(args)
        _emit(args, outcome)
        return outcome.code
    except (InputError, PgweylError) as err:
        return _error("pgweyl", err)
    except KeyboardInterrupt:
        print("pgweyl: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into a reader that stopped (e.g. head)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def run_script(script_main, argv=None) -> int:
    """Run an example script's ``main`` under the command's exit-code contract: pgweyl's
    own errors → one line ``<script>: error: …`` and 2, Ctrl-C → 130."""
    prog = os.path.basename(sys.argv[0]) or "script"
    try:
        return script_main(argv)
    except (InputError, PgweylError) as err:
        return _error(prog, err)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def entry() -> None:
    sys.exit(main())


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_DISAGREE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "InputError",
    "Outcome",
    "Parser",
    "build_parser",
    "count",
    "main",
    "parse_env",
    "real",
    "run_script",
]
