"""What the ``pgweyl`` commands share: the parser, number types, ENV and θ, the common
options and the run options (→ :class:`pgweyl.landscape.settings.RunSettings`), the
progress mode, and the checks of outputs and numbers made before any work."""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import warnings
from contextlib import contextmanager

import numpy as np

from pgweyl import validate
from pgweyl.env.spec import load_env
from pgweyl.landscape.maxima import MAX_BASIN_SAMPLES
from pgweyl.landscape.settings import (
    DEFAULT_N_RUNS,
    DEFAULT_N_UPDATES,
    METHODS,
    MIN_GRID,
    settings_of,
)
from pgweyl.serialize import check_json_path, check_output_path, figure_paths
from pgweyl.sim.config import MAX_UPDATES


class InputError(Exception):
    """Bad input detected by the command line layer (one line, exit code 2)."""


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
    return load_env(spec)


def parse_theta(env, values, name="--theta"):
    """θ for ``env`` from the command line (None: 0), its length checked."""
    if values is None:
        return np.zeros(env.theta_dim)
    if len(values) != env.theta_dim:
        raise InputError(f"{name} needs {env.theta_dim} numbers for this env, got {len(values)}")
    return env.check_theta(values)


@contextmanager
def huge_theta_overflow_ok():
    """Silence one understood warning: with |θ| near the float limit (``--theta -1e308
    0``), the exact layer's log-space tilt overflows to ±inf, which is the right limit
    (a step of probability 0); the numbers it returns are exact. Only this message from
    pgweyl.exact is silenced, and only here."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", r"(overflow|invalid value) encountered", RuntimeWarning, r"pgweyl\.exact"
        )
        yield


def progress(args) -> str:
    """A bar on a terminal, a line per update (at a modest rate) when stderr is piped,
    nothing with --quiet (:mod:`pgweyl.progress`)."""
    if getattr(args, "quiet", False):
        return "off"
    return "bar" if sys.stderr.isatty() else "lines"


# -- options -----------------------------------------------------------------------------------
def add_common_options(parser, seed: bool = True, json: bool = True) -> None:
    """``--quiet``, ``--seed`` (when ``seed``) and ``--json`` (when ``json``): the options
    every pgweyl command shares; declared last, so they end each command's --help."""
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    if seed:
        parser.add_argument("--seed", type=count, default=0, help="random seed (default 0)")
    if json:
        parser.add_argument(
            "--json",
            nargs="?",
            const="-",
            default=None,
            metavar="FILE",
            help="JSON output (to stdout, or to FILE)",
        )


def add_run_options(parser) -> None:
    """``--theta0``, ``--updates``, ``--runs``, ``--method``, ``--eps``, ``--grid`` and
    ``--plot``: the run options ``pgweyl converge``, ``compare`` and ``sweep`` share
    (:func:`run_keywords` maps them to the library's keywords). Left out, each is the
    library's default (:class:`pgweyl.landscape.settings.RunSettings`)."""
    parser.add_argument("--theta0", type=real, nargs="+", help="start theta (default 0)")
    parser.add_argument(
        "--updates", type=count, default=None, help=f"updates per run (default {DEFAULT_N_UPDATES})"
    )
    parser.add_argument(
        "--runs", type=count, default=None, help=f"Monte Carlo runs (default {DEFAULT_N_RUNS})"
    )
    parser.add_argument(
        "--method",
        choices=METHODS,
        default=None,
        help="auto (default): Monte Carlo, and the chain solver where it applies",
    )
    parser.add_argument(
        "--eps",
        type=real,
        default=None,
        help="absorbing radius in total variation (default sigmoid(-8))",
    )
    parser.add_argument(
        "--grid", type=count, default=None, help="chain solver grid per axis (default: its own)"
    )
    parser.add_argument(
        "--plot", default=None, metavar="FILE", help="figure: FILE.png and FILE.pdf"
    )


def run_keywords(args) -> dict:
    """The library keywords of the run options a command parsed (:func:`add_run_options`,
    ``--seed``, and ``--lr``/``--rule`` where the command has one value of each): the one
    map from the command line to :class:`RunSettings`; None where not given."""
    lr = getattr(args, "lr", None)
    return {
        "theta0": args.theta0,
        "lr": None if isinstance(lr, list) else lr,
        "rule": getattr(args, "rule", None),
        "n_updates": args.updates,
        "n_runs": args.runs,
        "seed": getattr(args, "seed", None),
        "eps": args.eps,
        "method": args.method,
        "grid": args.grid,
    }


def run_settings(args):
    """The :class:`RunSettings` of a command's run options (:func:`run_keywords`)."""
    return settings_of(None, **run_keywords(args))


# -- checks before any work ---------------------------------------------------------------------
#: Attributes of the parsed arguments that name outputs, not inputs.
_OUTPUT_ARGS = ("json", "plot", "out")


def input_paths(args, folders: bool = False) -> list[str]:
    """The existing regular files named by the command's arguments (the ENV's TOML file,
    an agent's file, …): no output may be written onto them; with ``folders``, the
    existing folders named there instead (a sweep store): no output may go inside."""
    found = []
    test = os.path.isdir if folders else os.path.isfile
    for name, value in vars(args).items():
        if name in _OUTPUT_ARGS or callable(value):
            continue
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, str) and item not in ("", "-") and test(item):
                found.append(item)
    return found


def check_outputs(args) -> None:
    """Every output path of the command, checked before any work: writable and safe to
    replace (:func:`pgweyl.serialize.check_output_path`; never one of the command's input
    files), a JSON file not named like an image, a figure named FILE, FILE.png or
    FILE.pdf, and no two outputs the same file."""
    inputs = input_paths(args)
    outputs = []
    if getattr(args, "json", None) not in (None, "-"):
        check_json_path(args.json, "JSON")
        check_output_path(args.json, "JSON", inputs)
        outputs.append(args.json)
    if getattr(args, "plot", None) is not None:
        for path in figure_paths(args.plot):
            check_output_path(path, "figure", inputs)
            outputs.append(path)
    for folder in input_paths(args, folders=True):  # a store's own files, say
        inside = os.path.join(os.path.realpath(folder), "")
        for path in outputs:
            if os.path.realpath(path).startswith(inside):
                raise InputError(
                    f"cannot write {os.fspath(path)!r}: it is inside {folder!r}, which the "
                    "command reads; choose a place outside it"
                )
    seen = {}
    for path in outputs:  # e.g. --json through a link to the figure's name
        key = os.path.realpath(path)
        if key in seen and key != os.path.realpath(os.devnull):
            raise InputError(f"outputs {seen[key]!r} and {os.fspath(path)!r} are the same file")
        seen[key] = os.fspath(path)


def validate_numbers(args) -> None:
    """The numeric options, validated before any work (names as on the command line)."""
    checks = {
        "seed": lambda v: validate.seed(v),
        "runs": lambda v: validate.positive_int("--runs", v),
        "updates": lambda v: validate.positive_int("--updates", v, MAX_UPDATES),
        "episodes": lambda v: validate.integer("--episodes", v, lo=100),
        "lr": lambda v: validate.positive_real("--lr", v),
        "eps": lambda v: validate.eps(v),
        "tol": lambda v: validate.tol(v),
        "grid": lambda v: validate.integer("--grid", v, lo=MIN_GRID),  # Δ, 2Δ, 4Δ: a stencil each
        "basin_samples": lambda v: validate.nonnegative_int(
            "--basin-samples", v, MAX_BASIN_SAMPLES
        ),
    }
    for name, check in checks.items():
        v = getattr(args, name, None)
        for item in v if isinstance(v, list) else [v]:  # compare takes several --lr
            if item is not None:
                check(item)


__all__ = [
    "InputError",
    "Parser",
    "add_common_options",
    "add_run_options",
    "check_outputs",
    "huge_theta_overflow_ok",
    "input_paths",
    "count",
    "parse_env",
    "progress",
    "real",
    "run_keywords",
    "run_settings",
    "parse_theta",
    "validate_numbers",
]
