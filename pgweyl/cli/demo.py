"""``pgweyl demo [OUT]``: the main job on the built-in default (:mod:`pgweyl.study.demo`)."""

from __future__ import annotations

import os

from pgweyl.cli.options import count, progress
from pgweyl.cli.output import EXIT_DISAGREE, EXIT_OK, Outcome
from pgweyl.serialize import check_output_path, prepare_folder

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
    from pgweyl.study.demo import OUTPUT_NAMES, run_demo

    out = prepare_folder("pgweyl-demo" if args.out is None else args.out, "output folder")
    for name in OUTPUT_NAMES:  # an existing directory named like an output, say
        check_output_path(os.path.join(out, name), "demo output")
    summary = run_demo(
        out,
        quick=args.quick,
        seed=args.seed,
        progress=progress(args),
        log=(lambda *a: None) if args.quiet else print,
    )
    return Outcome(summary, None, EXIT_OK if summary["checks_agree"] else EXIT_DISAGREE)
