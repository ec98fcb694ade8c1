"""The ``pgweyl`` command (ARCHITECTURE.md, "The pgweyl command"); see :mod:`pgweyl.cli.main`."""

from pgweyl.cli.main import (
    EXIT_BAD_INPUT,
    EXIT_DISAGREE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    InputError,
    Outcome,
    Parser,
    build_parser,
    count,
    entry,
    main,
    parse_env,
    real,
    run_script,
)

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
    "entry",
    "main",
    "parse_env",
    "real",
    "run_script",
]
