"""``pgweyl warmup``: compile the Numba kernels the README tour and the demo use, once, so
that later processes load them from Numba's on-disk cache instead of compiling them.

Numba caches a compiled kernel per signature next to pgweyl's sources (``__pycache__``)
or, when ``NUMBA_CACHE_DIR`` is set, under that directory. On a cluster, where the
installation is often read-only and every job would otherwise compile the same kernels
(tens of CPU seconds per fresh process), point ``NUMBA_CACHE_DIR`` at a directory the
jobs share and can read, run ``pgweyl warmup`` once per installation and CPU type (a
cache entry is specific to the CPU it was compiled for), and the jobs start in about a
second. Each call here is a README tour call at a small size: the kernels and their
signatures depend on the environment's kind and numbers of steps and dimensions, not
on the sizes, so the same entries serve the full-size calls.
"""

from __future__ import annotations

import time

from pgweyl.cli.output import Outcome

ENV = False  # no environment
COMMON = {"seed": False}

HELP = "compile and cache the kernels of the README tour and the demo (run once per install)"

#: (label, call) for every call of the README tour that compiles kernels, at a small
#: size; the demo's triangle adds its own kernel signatures (three steps, three dims).
#: ``tests/cli/test_warmup.py`` holds this list to the README's tour.
CALLS = (
    ("env.value", lambda pw, env: env.value([0.0, 0.0])),
    ("env.value_grad", lambda pw, env: env.value_grad([0.0, 0.0])),
    ("env.value_distribution", lambda pw, env: env.value_distribution([0.3, -0.3])),
    ("env.first_passage_counts", lambda pw, env: env.first_passage_counts(20)),
    ("pw.simulate_episodes", lambda pw, env: pw.simulate_episodes(env, [0.3, -0.3], 100)),
    ("pw.local_maxima", lambda pw, env: pw.local_maxima(env)),
    ("pw.chain_absorption", lambda pw, env: pw.chain_absorption(env, lr=1.0, grid=201)),
    ("pw.chain_absorption eps=0", lambda pw, env: pw.chain_absorption(env, lr=1.0, eps=0.0)),
    ("pw.theta_chain", lambda pw, env: pw.theta_chain(env, lr=1.0).absorbed_by([0, 0], [10])),
    (
        "pw.convergence_probabilities",
        lambda pw, env: pw.convergence_probabilities(
            env, [0.0, 0.0], lr=1.0, n_updates=200, n_runs=20, progress=False
        ),
    ),
    (
        "pw.compare",
        lambda pw, env: pw.compare(
            "corridor",
            ["vanilla", "natural", "vanilla:baseline=0.5"],
            lrs=[1.0],
            n_runs=4,
            n_updates=50,
            progress=False,
        ),
    ),
    (
        "triangle: value, convergence_probabilities",
        lambda pw, env: _triangle(pw),
    ),
)


def _triangle(pw):
    tri = pw.make_env("triangle")
    tri.value_grad([0.0, 0.0, 0.0])
    zero = [0.0, 0.0, 0.0]
    pw.convergence_probabilities(tri, zero, lr=1.0, n_updates=50, n_runs=4, progress=False)


def add_arguments(parser) -> None:
    """No arguments beyond ``--quiet`` and ``--json``."""


def run(args) -> Outcome:
    import numba

    import pgweyl as pw

    env = pw.make_env("corridor")
    rows = []
    start = time.process_time()
    for label, call in CALLS:
        t0 = time.process_time()
        call(pw, env)
        rows.append({"call": label, "cpu_seconds": round(time.process_time() - t0, 2)})
    data = {
        "cache_dir": numba.config.CACHE_DIR or "next to the sources (__pycache__)",
        "calls": rows,
        "cpu_seconds": round(time.process_time() - start, 2),
    }
    return Outcome(data, fmt)


def fmt(d) -> list[str]:
    lines = [f"Numba cache: {d['cache_dir']}"]
    lines += [f"  {r['call']:44s} {r['cpu_seconds']:7.2f} CPU s" for r in d["calls"]]
    lines.append(f"compiled and cached in {d['cpu_seconds']:.1f} CPU s")
    return lines
