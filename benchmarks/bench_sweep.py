"""Issue 25 item 6: a sweep on the Dask default against a plain loop over the same points.

    python benchmarks/bench_sweep.py [--before DIR] [--rounds 1] [--runs 12000] [--gammas G ...]
    python benchmarks/bench_sweep.py --floors [--runs 12000] [--gammas G ...]

**What is compared.** The same grid — the corridor at levels 6…13 (8 points, one
environment each; with ``--gammas``, times each discount given: 32 points for four, to
separate the sweep's fixed cost from its cost per point), Monte Carlo only, ``--runs``
REINFORCE runs per point, each point 1–3 s — computed four ways, each in a fresh Python
process started by this script:

- ``loop``: a plain Python loop in one process over ``grid.task(idx)`` calling the
  sweep's own per-point functions (``env_maxima`` then ``compute_point``), no store;
- ``pool``: the same per-point function mapped over ``N`` processes by
  ``concurrent.futures.ProcessPoolExecutor`` (N = the Dask default's worker count, with
  the same ``NUMBA_NUM_THREADS``): the fair peer for wall time;
- ``here``: ``pw.sweep(..., workers=0)`` into a store on disk (the loop plus the
  engine's store writes and progress lines: ``here / loop`` is their cost);
- ``dask``: ``pw.sweep(...)`` with no ``workers``/``client`` — what ``pgweyl sweep``
  does by default, a LocalCluster of N processes — into a store on disk.

Every variant starts from the same state (a new interpreter, Numba's on-disk cache
warm: one untimed warm-up run of ``loop`` first), so imports and cache loading are
counted once per process that needs them. Figures per variant:

- **CPU s**: user + system time of the variant's process and all its descendants
  (``os.wait4`` of the variant: the kernel adds every reaped descendant — Dask's
  nannies reap their workers — to it); cross-checked by polling the process tree with
  psutil every 0.1 s (``cpu_poll``: a lower bound, it misses the last < 0.1 s of each
  process);
- **wall s**: from start to exit of the variant's process.

Ratios printed: CPU ``dask / loop`` (the issue's "≤ 1.1×"), wall ``dask / pool`` (same
parallelism), and ``here / loop``. The points' Monte Carlo probabilities are compared
across variants and must be the same bits (seeds are keyed by values). Rounds alternate
the variants (and ``--before``'s checkout, run with its own ``PYTHONPATH``) so they see
the same load; the median over rounds is reported.

**The floor** (``--floors``). What the Dask default must do that the loop does not, before
any cluster, store or point: its process imports distributed, xarray and zarr (to start
a cluster and return a Dataset), and each worker is a new interpreter that imports
distributed and pgweyl. Each is timed in fresh interpreters (CPU s of the child, median
of 5), the loop once as above, and the lowest ratio the Dask default could reach is
printed: (loop + those imports) / loop, for N worker processes and for a threaded
in-process cluster (no worker interpreters).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LEVELS = [6, 7, 8, 9, 10, 11, 12, 13]
SEED = 7


def _axes(gammas) -> dict:
    return {"level": LEVELS, **({"gamma": list(gammas)} if gammas else {})}


def _grid(runs: int, gammas=()):
    from pgweyl.study.sweep.grid import make_grid

    return make_grid("corridor", _axes(gammas), runs=runs, seed=SEED, method="mc")


def _point(task) -> list:
    """The per-point work of a sweep, as the engine runs it (maxima, then the point)."""
    from pgweyl.study.sweep.compute import compute_point, env_maxima

    maxima = env_maxima(task.spec, task.settings.rule)
    return compute_point(task, maxima, None)["probability"].tolist()


def _variant(name: str, runs: int, workers: int, gammas=()) -> dict:
    """Run one variant in this process; the probabilities of every point, in grid order."""
    t0 = time.perf_counter()
    if name in ("loop", "pool"):
        grid = _grid(runs, gammas)
        tasks = [grid.task(idx) for idx in grid.indices()]
        if name == "loop":
            probs = [_point(t) for t in tasks]
        else:
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context

            # spawn, as Dask's nannies do: each worker imports pgweyl itself.
            with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
                probs = list(pool.map(_point, tasks))
    else:
        import pgweyl as pw

        with tempfile.TemporaryDirectory() as tmp:
            kw = {"workers": 0} if name == "here" else {}
            ds = pw.sweep(
                "corridor",
                _axes(gammas),
                runs=runs,
                seed=SEED,
                method="mc",
                store=os.path.join(tmp, "s.zarr"),
                progress=False,
                **kw,
            )
            p = ds["probability"].values.reshape(-1, ds.sizes["maximum"])
            n_max = ds.n_maxima.values.reshape(-1)
            probs = [[float(x) for x in row[: int(n)]] for row, n in zip(p, n_max)]
    return {"probs": probs, "inner_wall": time.perf_counter() - t0}


def _poll_tree(pid: int, seen: dict, stop: threading.Event) -> None:
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    while not stop.is_set():
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for p in procs:
            try:
                c = p.cpu_times()
                seen[p.pid] = c.user + c.system
            except psutil.NoSuchProcess:
                pass
        stop.wait(0.1)


def _measure(name: str, root: str, runs: int, workers: int, gammas=()) -> dict:
    """Start ``name`` in a fresh interpreter with ``root`` on PYTHONPATH; CPU and wall."""
    env = dict(os.environ, PYTHONPATH=root)
    env["NUMBA_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        cmd = [sys.executable, __file__, "--variant", name, "--runs", str(runs)]
        cmd += ["--workers", str(workers), "--out", out.name]
        cmd += ["--gammas", *map(str, gammas)] if gammas else []
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=HERE)
        seen: dict = {}
        stop = threading.Event()
        poller = threading.Thread(target=_poll_tree, args=(proc.pid, seen, stop), daemon=True)
        poller.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        poller.join()
        if proc.returncode:
            raise SystemExit(f"variant {name} ({root}) exited with {proc.returncode}")
        res = json.load(out)
    res.update(cpu=usage.ru_utime + usage.ru_stime, cpu_poll=sum(seen.values()), wall=wall)
    return res


#: Imports timed by ``--floors``: what the loop's process needs, what the Dask default's
#: process needs, what each of its workers needs.
FLOOR_IMPORTS = {
    "loop": "import pgweyl.study.sweep.compute",
    "sweep": "import pgweyl.study.sweep.compute, distributed, xarray, zarr, dask.array",
    "worker": "import distributed, pgweyl.study.sweep.compute",
}


def _child_cpu(code: str, env: dict) -> float:
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=HERE)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def floors(runs: int, workers: int, gammas=()) -> dict:
    """The imports the Dask default adds to the loop, and the ratio they alone impose."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    env["NUMBA_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    cpu = {
        name: statistics.median(_child_cpu(code, env) for _ in range(5))
        for name, code in FLOOR_IMPORTS.items()
    }
    _measure("loop", ROOT, runs, workers, gammas)  # Numba's cache warm, untimed
    loop = _measure("loop", ROOT, runs, workers, gammas)["cpu"]
    parent = cpu["sweep"] - cpu["loop"]
    out = {
        "imports_cpu_s": {k: round(v, 3) for k, v in cpu.items()},
        "loop_cpu_s": round(loop, 2),
        "workers": workers,
        "floor, worker processes": round((loop + parent + workers * cpu["worker"]) / loop, 3),
        "floor, threaded cluster": round((loop + parent) / loop, 3),
    }
    for k, v in out.items():
        print(f"{k}: {v}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", help="a checkout of an earlier version to measure too")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--runs", type=int, default=12000)
    ap.add_argument("--workers", type=int, default=0, help="0: the Dask default's count")
    ap.add_argument("--gammas", type=float, nargs="*", default=[], help="a second axis")
    ap.add_argument("--floors", action="store_true", help="the imports' floor of the ratio")
    ap.add_argument("--variant", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.variant:
        with open(a.out, "w") as fh:
            json.dump(_variant(a.variant, a.runs, a.workers, a.gammas), fh)
        return
    from pgweyl.budget import max_workers

    workers = a.workers or max_workers()
    if a.floors:
        print(json.dumps(floors(a.runs, workers, a.gammas)))
        return
    roots = {"after": ROOT}
    if a.before:
        roots = {"before": os.path.abspath(a.before), **roots}
    names = ("loop", "pool", "here", "dask")
    for root in roots.values():  # Numba's cache warm for every version, untimed
        _measure("loop", root, a.runs, workers, a.gammas)
    got = {(v, n): [] for v in roots for n in names}
    for r in range(a.rounds):
        for v, root in roots.items():
            for n in names:
                m = _measure(n, root, a.runs, workers, a.gammas)
                got[v, n].append(m)
                print(
                    f"round {r} {v:6} {n:5} CPU {m['cpu']:6.2f} s (poll {m['cpu_poll']:6.2f})"
                    f"  wall {m['wall']:6.2f} s",
                    flush=True,
                )
    ref = got["after", "loop"][0]["probs"]
    same = all(m["probs"] == ref for ms in got.values() for m in ms)
    points = len(LEVELS) * max(1, len(a.gammas))
    summary = {"workers": workers, "runs": a.runs, "points": points, "same_bits": same}
    summary["load_average"] = os.getloadavg()
    for v in roots:
        med = {
            n: {k: statistics.median(m[k] for m in got[v, n]) for k in ("cpu", "wall")}
            for n in names
        }
        summary[v] = {
            "median": med,
            "cpu dask/loop": med["dask"]["cpu"] / med["loop"]["cpu"],
            "wall dask/pool": med["dask"]["wall"] / med["pool"]["wall"],
            "cpu here/loop": med["here"]["cpu"] / med["loop"]["cpu"],
            "cpu pool/loop": med["pool"]["cpu"] / med["loop"]["cpu"],
        }
        print(
            f"{v}: CPU dask/loop {summary[v]['cpu dask/loop']:.3f}, wall dask/pool "
            f"{summary[v]['wall dask/pool']:.3f}, CPU here/loop {summary[v]['cpu here/loop']:.3f}"
            f", CPU pool/loop {summary[v]['cpu pool/loop']:.3f}"
        )
    print(f"same bits across variants: {same}; load average {os.getloadavg()}")
    print(json.dumps(summary))
    if not same:
        raise SystemExit("the variants disagree on some point's probabilities")


if __name__ == "__main__":
    main()
