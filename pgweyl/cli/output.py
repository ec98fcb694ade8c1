"""The output of a ``pgweyl`` command: :class:`Outcome` and the one writer.

A command returns an :class:`Outcome`; :func:`emit` writes its files — the JSON and the
figure — in one atomic transaction (:func:`pgweyl.serialize.write_files`: written only
when the whole run succeeded; devices such as ``/dev/null`` in place), then prints the
JSON or the text. Every JSON a command writes carries ``pgweyl_version``, the
environment and, for the convergence studies, the resolved settings.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from pgweyl.serialize import figure_bytes, figure_paths, json_text, write_files

EXIT_OK, EXIT_DISAGREE, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass
class Outcome:
    """What a command computed: ``data`` (JSON-ready, printed by ``--json``), the text
    formatter, the exit code and an optional figure for ``--plot``."""

    data: dict | list
    format: object
    code: int = EXIT_OK
    figure: object = None


def emit(args, outcome: Outcome) -> None:
    """Write the files of a finished command (one transaction), then print."""
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


# -- text formatting shared by the commands ----------------------------------------------------
def steps_label(env, support) -> str:
    """A face of conv(S) by its steps, e.g. "{+e1, −e2}" (:meth:`StepSet.labels`)."""
    return "{" + ", ".join(env.steps.labels(support)) + "}"


def pm(err: float) -> str:
    """A grid error with one significant digit: ``± 4e-05``, never ``± 0.0000``."""
    return "± 0" if err == 0 else f"± {err:.1g}"


def vec(x, precision=6) -> str:
    return np.array2string(np.asarray(x, dtype=float), precision=precision)


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_DISAGREE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "Outcome",
    "emit",
    "pm",
    "steps_label",
    "vec",
]
