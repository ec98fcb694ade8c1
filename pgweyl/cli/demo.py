"""``pgweyl demo [OUT]``: the main job on the built-in default (:mod:`pgweyl.study.demo`)."""

from __future__ import annotations

from pgweyl.cli.options import count, progress
from pgweyl.cli.output import EXIT_DISAGREE, EXIT_OK, Outcome

#: The demo declares its own --quiet and --seed, and writes its own folder (no --json).
ENV = False
COMMON = None

HELP = "the main job on the built-in default"


def add_arguments(parser) -> None:
    parser.add_argument("out", nargs="?", metavar="OUT", help="output folder (./pgweyl-demo)")
    parser.add_argument(
        "--quick", action="store_true", help="small budgets and coarse grids (about a minute)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress, no summary")
    parser.add_argument("--seed", type=count, default=0, help="random seed (default 0)")


def run(args) -> Outcome:
    from pgweyl.study.demo import run_demo

    # run_demo checks the folder and every file it will write before any work
    summary = run_demo(
        "pgweyl-demo" if args.out is None else args.out,
        quick=args.quick,
        seed=args.seed,
        progress=progress(args),
        log=(lambda *a: None) if args.quiet else print,
    )
    return Outcome(summary, None, EXIT_OK if summary["checks_agree"] else EXIT_DISAGREE)
