"""The README's 30-second tour, timed statement by statement in a fresh process.

    python benchmarks/bench_tour.py [--warm] [--profile N] [--before DIR] [--rounds R]
                                    [--numba-opt N]

Reads the tour's code block from README.md (so it times what a newcomer copies), runs
it in a new interpreter with ``NUMBA_CACHE_DIR`` an empty folder (cold: every kernel
compiles) or, with ``--warm``, a folder that ``pgweyl warmup`` filled first, and prints
the process CPU seconds of each statement and of the whole tour (issue 25 item 4: cold
≤ 12 CPU s). ``--profile N`` prints the N largest cumulative entries of a cProfile of
the tour instead. ``--before DIR`` (a ``git archive`` of an earlier commit) times that
version too, on ``PYTHONPATH``, alternating with this one over ``--rounds`` rounds, both
with this README's tour; the medians are printed last. Each statement's row also gives
the CPU seconds Numba spent compiling in it (its ``numba:compile`` events, outermost
only). ``--numba-opt N`` runs the tour with ``NUMBA_OPT=N`` (0: no LLVM optimisation, so
what is left of the compile is Numba's own typing and lowering — the floor of a cold
first call whatever LLVM is asked to do).
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
from numba.core import event
compiling = [0, 0.0, 0.0]  # depth, start, total


class Compiles(event.Listener):
    def on_start(self, ev):
        if compiling[0] == 0:
            compiling[1] = time.process_time()
        compiling[0] += 1

    def on_end(self, ev):
        compiling[0] -= 1
        if compiling[0] == 0:
            compiling[2] += time.process_time() - compiling[1]


event.register("numba:compile", Compiles())
t_all = time.process_time()
rows = []
if prof:
    import cProfile, pstats
    pr = cProfile.Profile(); pr.enable()
ns = {}
for s in stmts:
    t0, c0 = time.process_time(), compiling[2]
    exec(s, ns)
    rows.append((s.splitlines()[0][:70], time.process_time() - t0, compiling[2] - c0))
if prof:
    pr.disable(); pstats.Stats(pr).sort_stats("cumulative").print_stats(prof)
total = time.process_time() - t_all
print(json.dumps({"rows": rows, "total": total, "compile": compiling[2]}))
"""


def run_tour(cache: str, profile: int = 0, path: str | None = None, opt=None) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONHASHSEED="0")
    if opt is not None:
        env["NUMBA_OPT"] = str(opt)
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


def one_tour(warm: bool, profile: int = 0, path: str | None = None, opt=None) -> dict:
    """The tour in a fresh process with a new Numba cache (filled first by ``pgweyl
    warmup`` of the same version when ``warm``)."""
    with tempfile.TemporaryDirectory() as cache:
        if warm:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache)
            if path:
                env["PYTHONPATH"] = path
            warmup = [sys.executable, "-m", "pgweyl", "warmup"]
            subprocess.run(warmup, env=env, cwd=cache, check=True, capture_output=True)
        return run_tour(cache, profile, path, opt)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--warm", action="store_true", help="run `pgweyl warmup` first")
    ap.add_argument("--profile", type=int, default=0)
    ap.add_argument("--before", help="a checkout of an earlier version to time alongside")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--numba-opt", type=int, choices=range(4), help="NUMBA_OPT of the tour")
    args = ap.parse_args()
    kind = "warm" if args.warm else "cold"
    now, before, compiled, compiled_before = [], [], [], []
    for _ in range(args.rounds):
        if args.before:
            res = one_tour(args.warm, 0, args.before, args.numba_opt)
            before.append(res["total"])
            compiled_before.append(res["compile"])
        res = one_tour(args.warm, args.profile, None, args.numba_opt)
        now.append(res["total"])
        compiled.append(res["compile"])
    print(f"{'CPU s':>8}  {'compile':>8}  statement")
    for label, sec, comp in res["rows"]:
        print(f"{sec:8.2f}  {comp:8.2f}  {label}")
    print(f"{res['total']:8.2f}  {res['compile']:8.2f}  the tour ({kind}), CPU s")
    out = {
        "tour_cpu_s": round(statistics.median(now), 2),
        "compile_cpu_s": round(statistics.median(compiled), 2),
        "warm": args.warm,
        "numba_opt": args.numba_opt,
    }
    if before:
        out["before_cpu_s"] = round(statistics.median(before), 2)
        out["before_compile_cpu_s"] = round(statistics.median(compiled_before), 2)
        med = f"{out['tour_cpu_s']} s, before {out['before_cpu_s']} s"
        med += f" (compiling {out['compile_cpu_s']} s, before {out['before_compile_cpu_s']} s)"
        print(f"median over {args.rounds} rounds: {med}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
