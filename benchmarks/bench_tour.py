"""The README's 30-second tour, timed statement by statement in a fresh process.

    python benchmarks/bench_tour.py [--warm] [--profile N]

Reads the tour's code block from README.md (so it times what a newcomer copies), runs
it in a new interpreter with ``NUMBA_CACHE_DIR`` an empty folder (cold: every kernel
compiles) or, with ``--warm``, a folder that ``pgweyl warmup`` filled first, and prints
the process CPU seconds of each statement and of the whole tour (issue 25 item 4: cold
≤ 12 CPU s). ``--profile N`` prints the N largest cumulative entries of a cProfile of
the tour instead.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import pathlib
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


def run_tour(cache: str, profile: int = 0) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONHASHSEED="0")
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(tour_statements()), str(profile)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if profile:
        print(out.rsplit("\n", 2)[0])
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--warm", action="store_true", help="run `pgweyl warmup` first")
    ap.add_argument("--profile", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        if args.warm:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache)
            subprocess.run(["pgweyl", "warmup"], env=env, check=True, capture_output=True)
        res = run_tour(cache, args.profile)
    for label, sec in res["rows"]:
        print(f"{sec:8.2f}  {label}")
    print(f"{res['total']:8.2f}  the tour ({'warm' if args.warm else 'cold'}), CPU s")
    print(json.dumps({"tour_cpu_s": round(res["total"], 2), "warm": args.warm}))


if __name__ == "__main__":
    main()
