"""The ``pgweyl`` command (ARCHITECTURE.md, "The pgweyl command").

    pgweyl envs                          the catalog, with each family's knobs
    pgweyl value ENV --theta ...         V, ∇V, the value distribution; --symbolic/--latex
    pgweyl check ENV                     closed form against simulation (exit 1 if they disagree)
    pgweyl maxima ENV                    local maxima with certificates
    pgweyl converge ENV --theta0 ... --lr ... --updates ... --runs ... [--method auto|mc|chain|both]
    pgweyl sweep ENV --param level=4:16  convergence probability against difficulty
    pgweyl demo [OUT]                    the main job on the built-in default
    pgweyl warmup                        compile and cache the kernels (once per install)

The command only parses and formats. One module per command (:mod:`pgweyl.cli.value`,
…) declares its arguments (``add_arguments``) and computes a result with library calls
(``run(args)`` → :class:`pgweyl.cli.output.Outcome`); the options they share and their
map to :class:`pgweyl.landscape.settings.RunSettings` are in :mod:`pgweyl.cli.options`;
:func:`main` checks the output paths and numbers before any work, runs the command,
and writes the files in one transaction and prints (:func:`pgweyl.cli.output.emit`).

**Exit codes** (the contract): 0 success; 1 a disagreement found by ``check`` (or the
checks of ``demo``) and nothing else; 2 bad input or a refusal (one line on stderr
``pgweyl: error: …``, no traceback, no file written); 130 interrupted (Ctrl-C,
``pgweyl: interrupted``). A traceback is a bug in pgweyl: please report it.
"""

from __future__ import annotations

import os
import sys

from pgweyl._version import __version__
from pgweyl.cli import (
    check,
    compare,
    converge,
    demo,
    envs,
    grade,
    maxima,
    plot_sweep,
    sweep,
    value,
    warmup,
)
from pgweyl.cli.options import (
    InputError,
    Parser,
    add_common_options,
    check_outputs,
    validate_numbers,
)
from pgweyl.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    emit,
)
from pgweyl.errors import PgweylError

#: The commands, in the order of ``pgweyl --help``: name → module (``HELP``,
#: ``add_arguments``, ``run``; ``ENV`` False when it declares its own positional
#: arguments; ``COMMON``: which common options it takes, None for none, absent for all).
COMMANDS = {
    "envs": envs,
    "value": value,
    "check": check,
    "maxima": maxima,
    "converge": converge,
    "compare": compare,
    "sweep": sweep,
    "plot-sweep": plot_sweep,
    "grade": grade,
    "demo": demo,
    "warmup": warmup,
}


def build_parser() -> Parser:
    p = Parser(
        prog="pgweyl",
        description="Policy gradient on exactly solvable POMDPs.",
        epilog="Exit codes: 0 ok, 1 disagreement (check, demo), 2 bad input or refusal, "
        "130 interrupted.",
    )
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", parser_class=Parser)
    for name, module in COMMANDS.items():
        sp = sub.add_parser(name, help=module.HELP)
        if getattr(module, "ENV", True):
            sp.add_argument("env", metavar="ENV")
        module.add_arguments(sp)
        common = getattr(module, "COMMON", {})
        if common is not None:  # the common options go last in each --help
            add_common_options(sp, **common)
        sp.set_defaults(func=module.run)
    return p


def _error(prog: str, err: BaseException) -> int:
    msg = str(err).splitlines()[0] if str(err) else type(err).__name__
    print(f"{prog}: error: {msg}", file=sys.stderr)
    user = getattr(err, "user_traceback", "")  # an AgentError: the user's own frames below
    if user:
        print(user, file=sys.stderr)
    return EXIT_BAD_INPUT


def main(argv=None) -> int:
    """Run the command; return the exit code (module docstring).

    Only pgweyl's own errors (:class:`PgweylError`, :class:`InputError`) become the
    one-line exit 2; an unexpected exception propagates with its traceback (a bug)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.version:
            print(f"pgweyl {__version__}")
            return EXIT_OK
        if args.command is None:
            raise InputError(f"missing command; one of {', '.join(COMMANDS)} (see pgweyl --help)")
        check_outputs(args)
        validate_numbers(args)
        outcome = args.func(args)
        emit(args, outcome)
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


__all__ = ["COMMANDS", "build_parser", "entry", "main", "run_script"]
