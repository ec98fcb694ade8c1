"""Shared helpers of the sweep tests: tiny budgets, the worktree on every PYTHONPATH."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

#: A sweep small enough for a test: 4 points, a few hundred short runs, a coarse chain.
TINY = {"runs": 200, "n_updates": 2000, "grid": 41, "progress": False}


def child_env() -> dict:
    """The environment of a subprocess or Dask worker: this checkout's pgweyl first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    env.setdefault("NUMBA_NUM_THREADS", "1")
    return env


@pytest.fixture
def tiny():
    return dict(TINY)
