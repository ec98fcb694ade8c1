"""``pgweyl compare ENV``: update rules compared — P(policy gradient ends at the global
maximum) per rule, against the step size (``--lr``) or a knob (``--param``)
(:func:`pgweyl.compare`). The JSON is the result's record: its settings, resolved, with
``pgweyl_version`` and the environment's spec."""

from __future__ import annotations

from pgweyl.cli.options import InputError, add_run_options, progress, real, run_settings
from pgweyl.cli.output import EXIT_OK, Outcome
from pgweyl.env.spec import parse_scalar

HELP = "update rules compared: P(global maximum) per rule"

#: The step sizes of the x axis when neither --lr nor --param is given.
DEFAULT_LRS = (0.5, 1.0, 2.0)


def add_arguments(parser) -> None:
    parser.add_argument(
        "--rules",
        default="vanilla,natural,entropy:tau=0.01",
        help="comma-separated rule specs (default vanilla,natural,entropy:tau=0.01)",
    )
    parser.add_argument("--lr", type=real, nargs="+", default=None, help="step sizes (x axis)")
    parser.add_argument("--param", default=None, help="knob=v1,v2,... as the x axis instead of lr")
    add_run_options(parser)


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


def run(args) -> Outcome:
    from pgweyl.plot.rules import compare_figure  # matplotlib: only when drawn
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
        lrs=None if param is not None else (args.lr or list(DEFAULT_LRS)),
        param=param,
        values=values,
        settings=run_settings(args).replace(lr=args.lr[0]) if args.lr else run_settings(args),
        progress=progress(args),
    )
    figure = compare_figure(res) if args.plot else None
    return Outcome(res.to_dict(), lambda _d: res.table(), EXIT_OK, figure)
