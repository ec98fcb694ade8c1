"""The ``pgweyl`` command (ARCHITECTURE.md, "The pgweyl command"): :mod:`pgweyl.cli.main`
runs it; one module per command; :mod:`pgweyl.cli.options` holds the options they share
(→ :class:`pgweyl.landscape.settings.RunSettings`), :mod:`pgweyl.cli.output` the one
writer. ``Parser``, ``count``, ``real`` and ``run_script`` serve the example scripts."""

from pgweyl.cli.main import build_parser, entry, main, run_script
from pgweyl.cli.options import InputError, Parser, count, parse_env, real
from pgweyl.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_DISAGREE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Outcome,
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
