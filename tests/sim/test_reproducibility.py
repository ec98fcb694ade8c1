"""Same seed → the same bits, with 1 or 2 Numba threads (each run owns its RNG stream)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import pgweyl as pw
from pgweyl.sim import reinforce, simulate_episodes

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import hashlib, numba, numpy as np
import pgweyl as pw
from pgweyl.sim import reinforce, simulate_episodes
env = pw.make_env("triangle")
res = reinforce(env, (0.1, 0.0, -0.1), 0.7, 200, 64, batch=2, baseline="mean", seed=123)
pts, ts = simulate_episodes(env, (0.1, 0.0, -0.1), 5000, seed=123)
h = hashlib.sha256()
for a in (res.final_theta, pts, ts):
    h.update(np.ascontiguousarray(a).tobytes())
print(numba.get_num_threads(), h.hexdigest())
"""


def _digest_in_process() -> str:
    env = pw.make_env("triangle")
    res = reinforce(env, (0.1, 0.0, -0.1), 0.7, 200, 64, batch=2, baseline="mean", seed=123)
    pts, ts = simulate_episodes(env, (0.1, 0.0, -0.1), 5000, seed=123)
    h = hashlib.sha256()
    for a in (res.final_theta, pts, ts):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _run(threads: int) -> tuple[int, str]:
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    n, digest = out.stdout.split()[-2:]
    return int(n), digest


def test_same_seed_same_bits_with_one_and_two_threads():
    one = _run(1)
    two = _run(2)
    assert one[0] == 1 and two[0] == 2
    assert one[1] == two[1] == _digest_in_process()


def test_different_seed_different_bits():
    env = pw.make_env("triangle")
    a = reinforce(env, (0.1, 0.0, -0.1), 0.7, 50, 16, seed=123).final_theta
    b = reinforce(env, (0.1, 0.0, -0.1), 0.7, 50, 16, seed=124).final_theta
    assert not np.array_equal(a, b)
