"""The ``pgweyl`` command (ARCHITECTURE.md, "The pgweyl command").

    pgweyl envs                          the catalog, with each family's knobs
    pgweyl value ENV --theta ...         V, ∇V, the value distribution; --symbolic/--latex
    pgweyl check ENV                     closed form against simulation (exit 1 if they disagree)
    pgweyl maxima ENV                    local maxima with certificates
    pgweyl converge ENV --theta0 ... --lr ... --updates ... --runs ... [--method mc|chain|both]
    pgweyl sweep ENV --param level=4:16  convergence probability against difficulty
    pgweyl demo [OUT]                    the main job on the built-in default

ENV is a catalog name with options (``corridor:level=8,trap_distance=2``) or a TOML
file. Bad input ends with one line on stderr and exit code 2; files are written only
when the whole computation succeeded (atomically).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import warnings

import numpy as np

from pgweyl.serialize import jsonable

EXIT_OK, EXIT_DISAGREE, EXIT_BAD_INPUT = 0, 1, 2


class InputError(Exception):
    """Bad input detected by the command line layer (one line, exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage block
        raise InputError(message)


# -- ENV parsing ---------------------------------------------------------------------------
def parse_env(spec: str):
    """``name:key=value,...`` or a TOML file → an AlcoveWalkEnv (:mod:`pgweyl.env.spec`)."""
    from pgweyl.env.spec import load_env

    return load_env(spec)


# -- output ----------------------------------------------------------------------------------
def _check_output(path: str | None, what: str) -> None:
    """Fail before computing when an output path cannot be written."""
    if path is None or path == "-":
        return
    parent = os.path.dirname(os.path.abspath(path)) or "."
    if os.path.isdir(path):
        raise InputError(f"{what} path {path!r} is a directory")
    if not os.path.isdir(parent):
        raise InputError(f"cannot write {what} to {path!r}: folder {parent!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError(f"cannot write {what} to {path!r}: folder {parent!r} is not writable")


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _write_atomic(path: str, text: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".pgweyl-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, _umask_mode())  # mkstemp creates 0600; outputs follow the umask
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _emit_json(data, dest: str | None) -> None:
    text = json.dumps(jsonable(data), indent=2, allow_nan=False)
    if dest in (None, "-"):
        print(text)
    else:
        _write_atomic(dest, text + "\n")


def _save_plot(fig, path: str) -> None:
    """PNG and PDF next to each other, atomically (:func:`pgweyl.plot.save_figure`)."""
    import matplotlib.pyplot as plt

    from pgweyl.plot import save_figure

    try:
        save_figure(fig, path)
    finally:
        plt.close(fig)


def _progress(args) -> bool:
    return not args.quiet and sys.stderr.isatty()


def _steps_label(env, support) -> str:
    return "{" + ", ".join(_step_name(env, s) for s in support) + "}"


def _step_name(env, s: int) -> str:
    v = env.steps.vectors[s]
    (i,) = np.flatnonzero(v)
    return f"{'+' if v[i] > 0 else '-'}e{i + 1}"


# -- subcommands -----------------------------------------------------------------------------
def cmd_envs(args) -> int:
    from pgweyl.env import list_envs

    fams = list_envs()
    if args.json is not None:
        _emit_json([f.to_dict() for f in fams], args.json)
        return EXIT_OK
    for f in fams:
        knobs = ", ".join(f"{k}={v}" for k, v in f.knobs.items())
        print(f"{f.name:16s} {f.cartan} {f.steps:6s} difficulty: {f.difficulty}")
        print(f"{'':16s} {f.summary}")
        print(f"{'':16s} knobs: {knobs}")
    return EXIT_OK


def _theta(env, values, name="--theta"):
    if values is None:
        return np.zeros(env.theta_dim)
    if len(values) != env.theta_dim:
        raise InputError(f"{name} needs {env.theta_dim} numbers for this env, got {len(values)}")
    return env.check_theta(values)


def cmd_value(args) -> int:
    env = parse_env(args.env)
    theta = _theta(env, args.theta)
    exact = env.value_and_grad(theta, tol=args.tol)
    dist = env.value_distribution(theta, tol=args.tol)
    grad = exact.grad
    out = {
        "env": env.to_dict(),
        "theta": theta,
        "policy": env.policy(theta),
        "value": exact.value,
        "grad": grad,
        "error_value": exact.error_value,
        "error_grad": exact.error_grad,
        "method": exact.method,
        "tail": dist.tail,
        "n_max": dist.n_max,
        "mean_time": dist.mean_time,
        "exit_points": env.exit_points,
        "exit_probabilities": dist.exit_probabilities(),
        "wall_probabilities": dist.wall_probabilities(len(env.alcove.walls)),
    }
    if args.symbolic or args.latex:
        import sympy

        expr = env.symbolic_value()
        out["symbolic"] = str(expr)
        if args.latex:
            out["latex"] = sympy.latex(expr)
    if args.json is not None:
        _emit_json(out, args.json)
        return EXIT_OK
    print(env)
    print(
        f"theta  = {np.array2string(theta, precision=6)}   policy = "
        f"{np.array2string(env.policy(theta), precision=6)}"
    )
    print(f"V      = {exact.value:.15g}   (|error| ≤ {exact.error_value:.1e}, {exact.method})")
    print(f"grad V = {np.array2string(grad, precision=10)}")
    print(
        f"E[T]   = {dist.mean_time:.12g}   truncated at n = {dist.n_max} with tail {dist.tail:.3g}"
    )
    for j, p in enumerate(out["wall_probabilities"]):
        print(
            f"P(exit on wall {j}) = {p:.12g}   (r_{j} = "
            f"{env.wall_rewards[j] if env.wall_rewards else 'table'})"
        )
    if "latex" in out:
        print("LaTeX:", out["latex"])
    elif "symbolic" in out:
        print("V(theta) =", out["symbolic"])
    return EXIT_OK


def cmd_check(args) -> int:
    from pgweyl.checks import check_closed_forms

    env = parse_env(args.env)
    theta = _theta(env, args.theta)
    report = check_closed_forms(env, theta, n_episodes=args.episodes, seed=args.seed)
    if args.json is not None:
        _emit_json({"env": env.to_dict(), **report.to_dict()}, args.json)
    else:
        print(env)
        print(
            f"theta = {np.array2string(theta, precision=6)}, {args.episodes} simulated "
            f"episodes (seed {args.seed}); fail at p < 1e-5 or |z| > 4.5"
        )
        print(f"{'quantity':42s} {'exact':>14s} {'simulated':>14s} {'statistic':>16s} {'':>6s}")
        for r in report.rows:
            stat = (
                f"chi2={r.value:.2f} p={r.p_value:.3g}"
                if r.statistic == "chi2"
                else f"{r.statistic}={r.value:+.3g}"
            )
            exact = f"dof {r.exact:.0f}" if r.statistic == "chi2" else f"{r.exact:.10g}"
            sim = f"{r.simulated:.2f}" if r.statistic == "chi2" else f"{r.simulated:.10g}"
            print(
                f"{r.quantity:42s} {exact:>14s} {sim:>14s} {stat:>16s} "
                f"{'ok' if r.ok else 'FAIL':>6s}"
            )
        print("agree" if report.ok else "DISAGREE")
    return EXIT_OK if report.ok else EXIT_DISAGREE


def cmd_maxima(args) -> int:
    from pgweyl.landscape import local_maxima

    env = parse_env(args.env)
    maxima = local_maxima(env, basin_samples=args.basin_samples, seed=args.seed)
    if args.json is not None:
        _emit_json({"env": env.to_dict(), "maxima": [m.to_dict() for m in maxima]}, args.json)
        return EXIT_OK
    print(env)
    for j, m in enumerate(maxima):
        c = m.certificate
        kind = "flat face" if m.flat else ("vertex" if m.is_vertex else f"face dim {c['face_dim']}")
        share = "" if m.basin_share is None else f"   basin share {m.basin_share:.3f}"
        print(f"[{j}] support {_steps_label(env, m.support)} ({kind})   V = {m.value:.12g}{share}")
        print(f"    policy {np.array2string(m.policy, precision=6)}")
        print(
            f"    certificate: |grad| = {c['gradient_norm']:.2e}, max Hessian eig = "
            f"{c['hessian_max_eig']}, gain rate into bigger faces = {c.get('gain_rate')}, "
            f"perturbation gain = {c.get('perturbation_gain')}"
        )
    return EXIT_OK


def _maxima_for(env):
    from pgweyl.landscape import local_maxima

    return local_maxima(env, basin_samples=0)


def cmd_converge(args) -> int:
    from pgweyl.landscape import chain_absorption, convergence_probabilities
    from pgweyl.landscape.chain import effective_map

    env = parse_env(args.env)
    theta0 = _theta(env, args.theta0, "--theta0")
    _check_output(args.json if args.json not in (None, "-") else None, "JSON")
    _check_output(args.plot, "plot")
    if args.method in ("chain", "both") and (
        env.policy_kind != "exp" or effective_map(env).shape[0] > 2
    ):
        raise InputError(
            "the chain solver needs policy 'exp' and effective dimension 1 or 2 "
            "(corridor, triangle, triangle-signed); use --method mc"
        )
    if args.plot and args.method == "mc":
        raise InputError("--plot draws the chain solver's basin map; use --method chain or both")
    maxima = _maxima_for(env)
    out = {
        "env": env.to_dict(),
        "theta0": theta0,
        "lr": args.lr,
        "maxima": [m.to_dict() for m in maxima],
    }
    mc = chain = None
    if args.method in ("mc", "both"):
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
        )
        out["monte_carlo"] = mc.to_dict()
    if args.method in ("chain", "both"):
        dim = effective_map(env).shape[0]
        grid = args.grid or (2001 if dim == 1 else 101)
        chain = chain_absorption(env, args.lr, grid=grid, eps=args.eps, maxima=maxima, refine=True)
        out["chain"] = {
            **chain.to_dict(),
            "at_theta0": chain.at(theta0, env),
            "grid_error": chain.grid_error(theta0, env),
        }
        out["chain"].pop("axes")
    if args.plot:
        from pgweyl import plot

        _save_plot(plot.basin_figure(chain, env=env), args.plot)
    if args.json is not None:
        _emit_json(out, args.json)
        if args.json in (None, "-"):
            return EXIT_OK
    print(env)
    print(f"theta0 = {np.array2string(theta0, precision=4)}, lr = {args.lr}")
    for j, m in enumerate(maxima):
        line = f"[{j}] {_steps_label(env, m.support):18s} V = {m.value:.6f}"
        if mc is not None:
            line += f"   MC {mc.probabilities[j]:.4f} [{mc.ci_low[j]:.4f}, {mc.ci_high[j]:.4f}]"
        if chain is not None:
            line += (
                f"   chain {chain.at(theta0, env)[j]:.4f} ± {chain.grid_error(theta0, env)[j]:.4f}"
            )
        print(line)
    if mc is not None:
        print(
            f"unresolved (MC): {mc.unresolved:.4f} of {mc.n_runs} runs after {args.updates} updates"
        )
    return EXIT_OK


def _parse_param(text: str):
    from pgweyl.env.spec import parse_scalar

    key, eq, rng = text.partition("=")
    if not eq or not key.strip():
        raise InputError(f"--param {text!r}: expected knob=start:stop[:step] or knob=a,b,c")
    try:
        if ":" in rng:
            parts = [int(p) for p in rng.split(":")]
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] <= 0):
                raise ValueError
            start, stop = parts[0], parts[1]
            step = parts[2] if len(parts) == 3 else 1
            values = list(range(start, stop + 1, step))
        else:
            values = [parse_scalar(v) for v in rng.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"--param {text!r}: expected integers start:stop[:step]") from None
    if not values:
        raise InputError(f"--param {text!r} gives no values")
    return key.strip(), values


def cmd_sweep(args) -> int:
    from pgweyl.env.spec import parse_env_spec
    from pgweyl.landscape import difficulty_sweep

    spec = parse_env_spec(args.env)
    if spec.family is None:
        raise InputError("sweep varies a catalog knob; give a family (name or TOML with family)")
    base = spec.build()  # validates the family and the fixed knobs
    family, knobs = spec.family, dict(spec.knobs)
    param, values = _parse_param(args.param)
    _check_output(args.json if args.json not in (None, "-") else None, "JSON")
    _check_output(args.plot, "plot")
    theta0 = None if args.theta0 is None else _theta(base, args.theta0, "--theta0")
    res = difficulty_sweep(
        family,
        values,
        param=param,
        knobs=knobs,
        theta0=theta0,
        lr=args.lr,
        n_updates=args.updates,
        n_runs=args.runs,
        seed=args.seed,
        eps=args.eps,
        method=args.method,
        grid=args.grid or 401,
        progress=_progress(args),
    )
    if args.plot:
        from pgweyl import plot

        _save_plot(plot.difficulty_figure(res), args.plot)
    if args.json is not None:
        _emit_json(res.to_dict(), args.json)
        if args.json in (None, "-"):
            return EXIT_OK
    print(f"{family}: P(policy gradient ends at the global maximum) against {param}")
    print(
        f"{param:>8s} {'V*':>9s} {'MC':>8s} {'95% CI':>17s} {'unres.':>7s} {'chain':>8s} "
        f"{'± grid':>7s}"
    )
    for i, v in enumerate(res.values.tolist()):
        print(
            f"{v!s:>8s} {res.global_value[i]:9.5f} {res.p_mc[i]:8.4f} "
            f"[{res.ci_low[i]:.4f}, {res.ci_high[i]:.4f}] {res.unresolved[i]:7.4f} "
            f"{res.p_chain[i]:8.4f} {res.grid_error[i]:7.4f}"
        )
    return EXIT_OK


def cmd_demo(args) -> int:
    from pgweyl.demo import run_demo

    out = args.out or "pgweyl-demo"
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create output folder {out!r}: {err.strerror}") from None
    if not os.access(out, os.W_OK):
        raise InputError(f"output folder {out!r} is not writable")
    summary = run_demo(
        out,
        quick=args.quick,
        seed=args.seed,
        progress=_progress(args),
        log=(lambda *a: None) if args.quiet else print,
    )
    return EXIT_OK if summary["checks_agree"] else EXIT_DISAGREE


# -- the parser ------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="pgweyl", description="Policy gradient on exactly solvable POMDPs.")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    def common(sp, json_file=False):
        sp.add_argument("--quiet", action="store_true", help="no progress bars")
        sp.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        sp.add_argument(
            "--json",
            nargs="?",
            const="-",
            default=None,
            metavar="FILE",
            help="JSON output (to stdout, or to FILE)",
        )

    s = sub.add_parser("envs", help="the catalog of environment families")
    common(s)
    s.set_defaults(func=cmd_envs)

    s = sub.add_parser("value", help="V, grad V and the value distribution at theta")
    s.add_argument("env", metavar="ENV")
    s.add_argument("--theta", type=float, nargs="+", help="theta (default 0)")
    s.add_argument("--tol", type=float, default=1e-12, help="tail tolerance (default 1e-12)")
    s.add_argument("--symbolic", action="store_true", help="also the closed form of V")
    s.add_argument("--latex", action="store_true", help="also the closed form as LaTeX")
    common(s)
    s.set_defaults(func=cmd_value)

    s = sub.add_parser("check", help="closed forms against simulation (exit 1 on disagreement)")
    s.add_argument("env", metavar="ENV")
    s.add_argument("--theta", type=float, nargs="+", help="theta (default 0)")
    s.add_argument("--episodes", type=int, default=100_000, help="simulated episodes")
    common(s)
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("maxima", help="local maxima with certificates and basin shares")
    s.add_argument("env", metavar="ENV")
    s.add_argument("--basin-samples", type=int, default=16, help="flow starts for basins")
    common(s)
    s.set_defaults(func=cmd_maxima)

    for name, helptext in (
        ("converge", "convergence probabilities from theta0"),
        ("sweep", "convergence probability against difficulty"),
    ):
        s = sub.add_parser(name, help=helptext)
        s.add_argument("env", metavar="ENV")
        if name == "sweep":
            s.add_argument("--param", required=True, help="knob=start:stop[:step] or knob=a,b")
        s.add_argument("--theta0", type=float, nargs="+", help="start theta (default 0)")
        s.add_argument("--lr", type=float, default=1.0, help="step size (default 1.0)")
        s.add_argument("--updates", type=int, default=200_000, help="updates per run")
        s.add_argument("--runs", type=int, default=10_000, help="Monte Carlo runs")
        s.add_argument("--method", choices=("mc", "chain", "both"), default="both")
        s.add_argument(
            "--eps",
            type=float,
            default=None,
            help="absorbing radius in total variation (default sigmoid(-8))",
        )
        s.add_argument("--grid", type=int, default=None, help="chain solver grid per axis")
        s.add_argument("--plot", default=None, metavar="FILE", help="figure (PNG and PDF)")
        common(s)
        s.set_defaults(func=cmd_converge if name == "converge" else cmd_sweep)

    s = sub.add_parser("demo", help="the main job on the built-in default")
    s.add_argument("out", nargs="?", metavar="OUT", help="output folder (./pgweyl-demo)")
    s.add_argument("--quick", action="store_true", help="small budgets (about 30 s)")
    s.add_argument("--quiet", action="store_true", help="no progress bars, no summary")
    s.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    s.set_defaults(func=cmd_demo)
    return p


def main(argv=None) -> int:
    from pgweyl.errors import PgweylError

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
                "sweep, demo (see pgweyl --help)"
            )
        for name in ("lr", "eps", "tol"):
            v = getattr(args, name, None)
            if v is not None and not math.isfinite(v):
                raise InputError(f"--{name} must be a finite number, got {v}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            return args.func(args)
    except (InputError, PgweylError, ValueError) as err:
        msg = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(f"pgweyl: error: {msg}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("pgweyl: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a reader that stopped (e.g. head)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def entry() -> None:
    sys.exit(main())


__all__ = ["build_parser", "main", "parse_env"]
