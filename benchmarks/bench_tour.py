"""The README's 30-second tour, timed statement by statement in a fresh process.

    python benchmarks/bench_tour.py [--warm] [--profile N] [--before DIR] [--rounds R]

Reads the tour's code block from README.md (so it times what a newcomer copies), runs
it in a new interpreter with ``NUMBA_CACHE_DIR`` an empty folder (cold: every kernel
compiles) or, with ``--warm``, a folder that ``pgweyl warmup`` filled first, and prints
the process CPU seconds of each statement and of the whole tour (issue 25 item 4: cold
≤ 12 CPU s). ``--profile N`` prints the N largest cumulative entries of a cProfile of
the tour instead. ``--before DIR`` (a ``git archive`` of an earlier commit) times that
version too, on ``PYTHONPATH``, alternating with this one over ``--rounds`` rounds, both
with this README's tour; the medians are printed last.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]


def tour_statements() -> list[str]:
    """The statements of the README block that follows the '30-second tour' heading."""
    text = (ROOT / "README.md").read_text()
    block = text.split("## 30-second tour", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    tree = ast.parse(block)
    return [ast.get_source_segment(block, node) for node in tree.body]


_CHILD = r"""
import json, sys, time
stmts = json.loads(sys.argv[1])
prof = int(sys.argv[2])
t_all = time.process_time()
rows = []
if prof:
    import cProfile, pstats
    pr = cProfile.Profile(); pr.enable()
ns = {}
for s in stmts:
    t0 = time.process_time()
    exec(s, ns)
    rows.append((s.splitlines()[0][:70], time.process_time() - t0))
if prof:
    pr.disable(); pstats.Stats(pr).sort_stats("cumulative").print_stats(prof)
print(json.dumps({"rows": rows, "total": time.process_time() - t_all}))
"""


def run_tour(cache: str, profile: int = 0, path: str | None = None) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONHASHSEED="0")
    if path:
        env["PYTHONPATH"] = path
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(tour_statements()), str(profile)],
        env=env,
        cwd=cache,  # not this checkout: `python -c` puts the working folder first on sys.path
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if profile:
        print(out.rsplit("\n", 2)[0])
    return json.loads(out.strip().splitlines()[-1])


def one_tour(warm: bool, profile: int = 0, path: str | None = None) -> dict:
    """The tour in a fresh process with a new Numba cache (filled first by ``pgweyl
    warmup`` of the same version when ``warm``)."""
    with tempfile.TemporaryDirectory() as cache:
        if warm:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache)
            if path:
                env["PYTHONPATH"] = path
            warmup = [sys.executable, "-m", "pgweyl", "warmup"]
            subprocess.run(warmup, env=env, cwd=cache, check=True, capture_output=True)
        return run_tour(cache, profile, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--warm", action="store_true", help="run `pgweyl warmup` first")
    ap.add_argument("--profile", type=int, default=0)
    ap.add_argument("--before", help="a checkout of an earlier version to time alongside")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    kind = "warm" if args.warm else "cold"
    now, before = [], []
    for _ in range(args.rounds):
        if args.before:
            before.append(one_tour(args.warm, 0, args.before)["total"])
        res = one_tour(args.warm, args.profile)
        now.append(res["total"])
    for label, sec in res["rows"]:
        print(f"{sec:8.2f}  {label}")
    print(f"{res['total']:8.2f}  the tour ({kind}), CPU s")
    out = {"tour_cpu_s": round(statistics.median(now), 2), "warm": args.warm}
    if before:
        out["before_cpu_s"] = round(statistics.median(before), 2)
        med = f"{out['tour_cpu_s']} s, before {out['before_cpu_s']} s"
        print(f"median over {args.rounds} rounds: {med}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
