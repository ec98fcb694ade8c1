"""``pgweyl envs``: the catalog of environment families, with each family's knobs."""

from __future__ import annotations

from pgweyl.cli.output import Outcome
from pgweyl.env import list_envs

ENV = False  # no environment

HELP = "the catalog of environment families"


def add_arguments(parser) -> None:
    """No arguments beyond the common ones."""


def run(args) -> Outcome:
    return Outcome([f.to_dict() for f in list_envs()], fmt)


def fmt(families) -> list[str]:
    lines = []
    for f in families:
        knobs = ", ".join(f"{k}={v}" for k, v in f["knobs"].items())
        lines += [
            f"{f['name']:16s} {f['cartan']} {f['steps']:6s} difficulty: {f['difficulty']}",
            f"{'':16s} {f['summary']}",
            f"{'':16s} knobs: {knobs}",
        ]
    return lines
