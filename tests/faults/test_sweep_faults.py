"""Faults of ``pgweyl sweep`` by class (issue 26): damaged stores, processes left behind,
clusters that cannot serve. Every case runs the real ``python -m pgweyl …`` in a fresh
process (this checkout first on PYTHONPATH) and checks the contract: a refusal is exit
code 2 and exactly one line ``pgweyl: error: …`` on stderr (no traceback), no case
hangs, no worker outlives its sweep, and the store is left resumable — a resumed or
repaired store holds the same bits as an undamaged sweep (computed before the fault,
by another process: the two share no state).
"""

from __future__ import annotations

import http.server
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import pgweyl as pw
from pgweyl.study.sweep.integrity import JOURNAL
from pgweyl.study.sweep.lock import lock_path
from tests.study.sweep.conftest import ROOT, child_env

xr = pytest.importorskip("xarray")
distributed = pytest.importorskip("distributed")

#: Cheap points (Monte Carlo only, short runs): these tests are about the faults.
CHEAP = ["--runs", "40", "--updates", "300", "--method", "mc"]
LEVELS = ["--param", "level=4,5,6"]
#: Points of several seconds each even on an idle machine (3000 runs took 0.6 s there,
#: and the sweep ended before the signal), so that a signal lands mid-sweep.
SLOW_POINTS = ["--param", "level=6,8,10,12", "--runs", "60000", "--updates", "50000"]
SLOW_POINTS += ["--method", "mc"]
#: A hang guard: every case here ends in seconds when it works.
TIMEOUT = 180


def _env(**extra) -> dict:
    env = {k: v for k, v in child_env().items() if k != "PYTHONWARNINGS"}
    env["MPLBACKEND"] = "Agg"
    env.update(extra)
    return env


def start(args, cwd) -> subprocess.Popen:
    """``python -m pgweyl ARGS`` started in the background (stdout discarded, stderr
    piped as text), for the cases that signal or race a running sweep."""
    return subprocess.Popen(
        [sys.executable, "-m", "pgweyl", *map(str, args)],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def cli(args, cwd, env=None, preexec_fn=None, timeout=TIMEOUT):
    return subprocess.run(
        [sys.executable, "-m", "pgweyl", *map(str, args)],
        cwd=cwd,
        env=env or _env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=preexec_fn,
    )


def refused(r, *fragments) -> str:
    """Exit 2 and one line ``pgweyl: error: …`` holding every fragment."""
    lines = r.stderr.splitlines()
    assert r.returncode == 2, (r.returncode, r.stderr[-3000:])
    assert len(lines) == 1 and lines[0].startswith("pgweyl: error: "), r.stderr[-3000:]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def _sweep_args(store):
    return ["sweep", "corridor", *LEVELS, *CHEAP, "--workers", "0", "--quiet", "--store", store]


# ============================================================================================
# Class 1: stores under damage, two sweeps at once, full disks, symbolic links
# ============================================================================================
@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """An undamaged store of three points, made by the command (the reference)."""
    d = tmp_path_factory.mktemp("whole")
    r = cli(_sweep_args(d / "s.zarr"), d)
    assert r.returncode == 0, r.stderr
    return d / "s.zarr"


def _flip(path: Path):
    data = bytearray(path.read_bytes())
    for i in range(10, min(40, len(data))):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


#: damage name → (how, a fragment the refusal must name)
DAMAGE = {
    "corrupt-chunk": (lambda s: _flip(s / "probability" / "c" / "0" / "0"), "probability/c/0/0"),
    "deleted-shard": (lambda s: (s / "value" / "c" / "0" / "0").unlink(), "value/c/0/0 missing"),
    "truncated-shard": (
        lambda s: os.truncate(s / "n_maxima" / "c" / "0", 20),
        "n_maxima/c/0 unreadable",
    ),
    "deleted-done": (lambda s: (s / "done" / "c" / "0").unlink(), "done"),
    "deleted-metadata": (lambda s: (s / "support" / "zarr.json").unlink(), "support/zarr.json"),
    "deleted-journal": (lambda s: (s / JOURNAL).unlink(), f"{JOURNAL} missing"),
    "corrupt-coordinate": (lambda s: _flip(s / "level" / "c" / "0"), "level/c/0 unreadable"),
}
QUICK = ("corrupt-chunk", "deleted-shard")


@pytest.mark.parametrize(
    "damage",
    [d if d in QUICK else pytest.param(d, marks=pytest.mark.slow) for d in DAMAGE],
)
def test_a_damaged_store_is_refused_then_repaired(damage, whole, tmp_path):
    # Before: a corrupt chunk was a zstd/blosc traceback, a truncated shard a checksum
    # traceback, and a deleted shard, done flag or metadata file was resumed or plotted
    # with exit 0 and rows missing or NaN.
    store = tmp_path / "s.zarr"
    shutil.copytree(whole, store)
    how, fragment = DAMAGE[damage]
    how(store)
    line = refused(cli(["plot-sweep", store, "--plot", tmp_path / "fig"], tmp_path), fragment)
    assert "--repair" in line and "is damaged" in line
    assert not list(tmp_path.glob("fig*"))  # no figure of a damaged store
    refused(cli(_sweep_args(store), tmp_path), fragment, "--repair")
    r = cli([*_sweep_args(store), "--repair"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "3 of 3 points done" in r.stdout
    # The lost points computed again: the same bits as the undamaged store.
    xr.testing.assert_identical(pw.open_sweep(store).load(), pw.open_sweep(whole).load())


def test_a_store_without_its_description_is_refused(whole, tmp_path):
    store = tmp_path / "s.zarr"
    shutil.copytree(whole, store)
    os.truncate(store / "zarr.json", 100)
    for r in (cli(["plot-sweep", store], tmp_path), cli(_sweep_args(store), tmp_path)):
        refused(r, "is damaged", "use another store")


def test_a_store_left_aside_by_a_killed_swap_is_not_replaced(whole, tmp_path):
    # Killed between the two renames of an extension's swap: the store is beside its path.
    shutil.copytree(whole, tmp_path / ".s.zarr.old-12345")
    refused(cli(_sweep_args(tmp_path / "s.zarr"), tmp_path), "rename that folder back")
    assert not (tmp_path / "s.zarr").exists()  # no fresh store over it


def test_a_second_sweep_is_refused_and_a_killed_ones_lock_does_not_block(tmp_path):
    # Before: two sweeps creating one store raced (a traceback from the folder swap).
    store = tmp_path / "s.zarr"
    args = ["sweep", "corridor", *SLOW_POINTS, "--workers", "0", "--store", store]
    first = start(args, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not lock_path(store).exists():
            assert first.poll() is None and time.monotonic() < deadline, first.stderr.read()
            time.sleep(0.1)
        line = refused(cli(args, tmp_path), "in use by another sweep", f"pid {first.pid}")
        assert str(lock_path(store)) in line
    finally:
        first.kill()  # SIGKILL: no finally runs, the lock file stays behind
        first.wait()
    assert lock_path(store).exists()
    cheap = ["sweep", "corridor", *LEVELS, *CHEAP, "--workers", "0", "--store", store]
    r = cli([*cheap, "--quiet"], tmp_path)
    assert r.returncode == 0, r.stderr  # the dead holder's lock is taken over
    assert not lock_path(store).exists()


@pytest.mark.parametrize("kind", ["dangling", "to-a-folder"])
def test_a_store_path_that_is_a_symbolic_link(kind, tmp_path):
    # Before: a traceback from the rename onto the link (or rmtree of a link).
    target = tmp_path / "real"
    if kind == "to-a-folder":
        target.mkdir()
    (tmp_path / "s.zarr").symlink_to(target)
    refused(cli(_sweep_args(tmp_path / "s.zarr"), tmp_path), "is a symbolic link")
    assert (tmp_path / "s.zarr").is_symlink()
    assert not target.exists() or not any(target.iterdir())


def _file_size_limit(nbytes):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))

    return apply


def test_a_file_size_limit_leaves_the_store_as_it_was(whole, tmp_path):
    # RLIMIT_FSIZE: a write past it is EFBIG (SIGXFSZ would kill a process that does not
    # ignore it). Extending rewrites the store's description (27 KB): it cannot.
    store = tmp_path / "s.zarr"
    shutil.copytree(whole, store)
    before = pw.open_sweep(store).load()
    r = cli(
        [*_sweep_args(store), "--extend", "level=7"], tmp_path, preexec_fn=_file_size_limit(8000)
    )
    refused(r, "file size limit exceeded", "nothing changed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.zarr"]  # no temporary folder
    xr.testing.assert_identical(pw.open_sweep(store).load(), before)
    r = cli([*_sweep_args(store), "--extend", "level=7"], tmp_path)
    assert r.returncode == 0 and "4 of 4 points done" in r.stdout, r.stderr


#: Runs the command with zarr's file writer failing with ENOSPC on the second point's
#: shard of ``probability``: a disk that fills up mid-sweep.
ENOSPC_RUN = """
import errno, sys
import zarr.storage._local as local
real, seen = local._put, []
def put(path, value, exclusive=False):
    if "probability" in str(path) and "/c/" in str(path).replace("\\\\", "/"):
        seen.append(path)
        if len(seen) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
    return real(path, value, exclusive)
local._put = put
from pgweyl.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_full_disk_mid_sweep_keeps_the_points_written(whole, tmp_path):
    store = tmp_path / "s.zarr"
    r = subprocess.run(
        [sys.executable, "-c", ENOSPC_RUN, *map(str, _sweep_args(store))],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    refused(r, "cannot write point level=5", "no space left on the device", "resume")
    partial = pw.open_sweep(store).load()  # checked whole: not damaged
    assert partial["done"].values.tolist() == [True, False, False]
    r = cli(_sweep_args(store), tmp_path)
    assert r.returncode == 0, r.stderr
    xr.testing.assert_identical(pw.open_sweep(store).load(), pw.open_sweep(whole).load())


# ============================================================================================
# Class 2: no process outlives its sweep
# ============================================================================================
def _descendants(pid: int) -> dict:
    """{pid: start time} of every descendant of ``pid`` (psutil, else /proc)."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            return {c.pid: c.create_time() for c in psutil.Process(pid).children(recursive=True)}
        except psutil.NoSuchProcess:
            return {}
    children, out = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append((int(entry.name), int(fields[19])))
    todo = [pid]
    while todo:
        for child, start in children.get(todo.pop(), []):
            out[child] = start
            todo.append(child)
    return out


def _alive(procs: dict) -> list:
    """The processes of ``procs`` (pid → start time) still running (not zombies)."""
    try:
        import psutil
    except ImportError:
        psutil = None
    out = []
    for pid, start in procs.items():
        if psutil is not None:
            try:
                p = psutil.Process(pid)
                if p.create_time() == start and p.status() != psutil.STATUS_ZOMBIE:
                    out.append(pid)
            except psutil.NoSuchProcess:
                pass
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[19]) == start and fields[0] != "Z":
            out.append(pid)
    return out


def _gone_within(procs: dict, seconds: float) -> list:
    deadline = time.monotonic() + seconds
    while (left := _alive(procs)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


SIGNALS = {"SIGINT": 130, "SIGTERM": 143, "SIGKILL": -signal.SIGKILL}


@pytest.mark.parametrize(
    "name",
    [
        "SIGKILL",
        "SIGINT",
        pytest.param("SIGTERM", marks=pytest.mark.slow),
        pytest.param("normal-end", marks=pytest.mark.slow),  # ~25 s: a cluster's start and end
    ],
)
def test_no_worker_outlives_the_sweep(name, tmp_path):
    # Null hypothesis: every process the sweep started is gone within 10 s of its end.
    store = tmp_path / "s.zarr"
    points = SLOW_POINTS if name != "normal-end" else [*LEVELS, *CHEAP]
    args = ["sweep", "corridor", *points, "--workers", "2", "--store", store]
    proc = start(args, tmp_path)
    seen: dict = {}
    groups = set()
    try:
        deadline = time.monotonic() + 90
        workers_since = None
        while proc.poll() is None and time.monotonic() < deadline:
            new = _descendants(proc.pid)
            for pid in set(new) - set(seen):
                try:
                    groups.add(os.getpgid(pid))
                except ProcessLookupError:
                    pass
            seen.update(new)
            if workers_since is None and len(seen) >= 2:
                workers_since = time.monotonic()
            if name != "normal-end" and workers_since and time.monotonic() - workers_since > 4:
                break  # the workers are up and computing
            time.sleep(0.1)
        assert len(seen) >= 2, f"no workers seen: {proc.stderr.read() if proc.poll() else ''}"
        if name != "normal-end":
            proc.send_signal(getattr(signal, name))
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    left = _gone_within(seen, 10)
    for pid in left:  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} of {len(seen)} processes survive {name}"
    assert groups == {os.getpgid(0)}, groups  # all in the sweep's process group (this one's)
    assert proc.returncode == SIGNALS.get(name, 0), (proc.returncode, err[-2000:])
    if name in ("SIGINT", "SIGTERM"):
        assert err.splitlines()[-1] in ("pgweyl: interrupted", "pgweyl: terminated"), err
    if store.exists():  # whatever was written is a sound store to resume
        pw.open_sweep(store)


#: A stop signal that lands while Python runs a ``__del__`` (or a gc callback, as
#: distributed's GCDiagnosis is): the handler's raise is only printed, "Exception
#: ignored in …". The sweep's next wait must raise it again.
SWALLOWED = """
import os, signal, sys
from pgweyl.study.sweep import engine

class Swallows:
    def __del__(self):
        os.kill(os.getpid(), getattr(signal, sys.argv[1]))  # the handler runs in here

try:
    with engine._terminate_as_exit():
        Swallows()
        print("swallowed", file=sys.stderr, flush=True)
        engine._stop_if_asked()  # what each wait of the sweep does
        print("ran on", file=sys.stderr)
except KeyboardInterrupt:
    sys.exit(130)
"""


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_a_stop_signal_whose_raise_was_swallowed_still_stops(name, tmp_path):
    # Null hypothesis: a signal that lands in a __del__ ends the sweep at its next wait.
    proc = subprocess.run(
        [sys.executable, "-c", SWALLOWED, name],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Exception ignored in" in proc.stderr and "swallowed" in proc.stderr, proc.stderr
    assert "ran on" not in proc.stderr, proc.stderr
    assert proc.returncode == SIGNALS[name], (proc.returncode, proc.stderr)


#: A parent that starts a child and sleeps; the child runs the worker watchdog (or not).
ORPHAN = """
import subprocess, sys, time
child = (
    "import os, time\\n"
    + ("from pgweyl.study.sweep.watchdog import ParentWatchdog\\n"
       "ParentWatchdog(os.getppid()).setup()\\n" if sys.argv[1] == "watched" else "")
    + f"open({sys.argv[2]!r}, 'w').close()\\n"  # ready: imported and watching
    + "time.sleep(120)\\n"
)
subprocess.Popen([sys.executable, "-c", child])
time.sleep(120)
"""


@pytest.mark.parametrize("watched", [True, False])
def test_the_watchdog_ends_an_orphan_and_the_check_sees_one(watched, tmp_path):
    # The watchdog alone (Dask's own pipe is not there): its worker ends within seconds
    # of its parent's SIGKILL. Without it the orphan lives on, and the check that the
    # sweep tests use must see it (so that they can fail).
    parent = subprocess.Popen(
        [sys.executable, "-c", ORPHAN, "watched" if watched else "bare", tmp_path / "ready"],
        env=_env(),
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "ready").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        kids = _descendants(parent.pid)
        assert kids and (tmp_path / "ready").exists()
    finally:
        parent.kill()
        parent.wait()
    left = _gone_within(kids, 10 if watched else 2)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert (left == []) is watched, (watched, left)


# ============================================================================================
# Class 3: clusters that cannot serve
# ============================================================================================
@pytest.fixture
def servers():
    """tcp addresses of: a socket that listens but never accepts, an HTTP server, and a
    server that answers with garbage (threads of this process)."""
    made, threads = [], []

    def listener():
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        made.append(s)
        return s

    silent = listener()
    garbage = listener()

    def spew():
        while True:
            try:
                c, _ = garbage.accept()
            except OSError:
                return
            with c:
                c.sendall(b"\xff" * 64 + b"garbage" * 100)
                time.sleep(0.5)

    threads.append(threading.Thread(target=spew, daemon=True))
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threads.append(threading.Thread(target=web.serve_forever, daemon=True))
    for t in threads:
        t.start()
    yield {
        "silent": f"tcp://127.0.0.1:{silent.getsockname()[1]}",
        "http": f"tcp://127.0.0.1:{web.server_address[1]}",
        "garbage": f"tcp://127.0.0.1:{garbage.getsockname()[1]}",
    }
    web.shutdown()
    for s in made:
        s.close()


@pytest.mark.parametrize(
    "address, fragment",
    [
        ("silent", "no Dask handshake within 3 s"),
        ("http", "no Dask handshake within 3 s"),
        ("garbage", "does not speak Dask's protocol"),
        ("foo://127.0.0.1:1", "unsupported protocol 'foo'"),
        ("garbage::::", "scheduler address 'garbage::::'"),
    ],
)
def test_a_scheduler_that_cannot_serve(address, fragment, servers, tmp_path):
    # Before: a silent socket or an HTTP server hung past any timeout (> 100 s).
    address = servers.get(address, address)
    t0 = time.monotonic()
    r = cli(
        ["sweep", "corridor", *LEVELS, *CHEAP, "--scheduler", address, "--store", "s.zarr"],
        tmp_path,
        env=_env(PGWEYL_CONNECT_TIMEOUT="3"),
        timeout=60,
    )
    refused(r, fragment)
    assert time.monotonic() - t0 < 45
    assert not (tmp_path / "s.zarr").exists()


def _dask(*args):
    exe = shutil.which("dask", path=os.path.dirname(sys.executable)) or shutil.which("dask")
    return [exe, *args] if exe else [sys.executable, "-m", "dask", *args]


def _start(cmd, log, env):
    return subprocess.Popen(
        cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(proc, sig=signal.SIGTERM):
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class _Cluster:
    """A ``dask scheduler`` and one ``dask worker`` (the worker's environment given)."""

    def __init__(self, folder: Path, worker_env: dict):
        self.folder = folder
        info = folder / "scheduler.json"
        self.slog = open(folder / "scheduler.log", "w")
        self.wlog = open(folder / "worker.log", "w")
        self.scheduler = _start(
            _dask("scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address",
                  "127.0.0.1:0", "--scheduler-file", str(info)),
            self.slog,
            _env(),
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not info.exists() or not info.read_text().strip():
            assert self.scheduler.poll() is None, (folder / "scheduler.log").read_text()
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        time.sleep(0.2)
        self.address = json.loads(info.read_text())["address"]
        self.worker = _start(
            _dask("worker", self.address, "--nworkers", "1", "--nthreads", "1",
                  "--dashboard-address", "127.0.0.1:0", "--local-directory", str(folder)),
            self.wlog,
            worker_env,
        )  # fmt: skip
        with distributed.Client(self.address, timeout=30) as c:
            c.wait_for_workers(1, timeout=60)

    def close(self):
        for p in (self.worker, self.scheduler):
            _stop(p)
        self.slog.close()
        self.wlog.close()


@pytest.mark.slow  # a scheduler, a worker and a sweep: ~30 s
def test_the_only_worker_dies_mid_sweep(tmp_path):
    cluster = _Cluster(tmp_path, _env())
    store = tmp_path / "s.zarr"
    try:
        args = ["sweep", "corridor", *SLOW_POINTS, "--scheduler", cluster.address]
        proc = subprocess.Popen(
            [sys.executable, "-m", "pgweyl", *map(str, args), "--store", str(store)],
            cwd=tmp_path,
            env=_env(PGWEYL_WORKER_GRACE="5"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            first = proc.stderr.readline()  # piped: one line per finished point
            assert first.startswith("[1/4] level="), first + proc.stderr.read()
            _stop(cluster.worker, signal.SIGKILL)  # the worker and its nanny
            _out, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    finally:
        cluster.close()
    lines = err.splitlines()
    assert proc.returncode == 2 and lines[-1].startswith("pgweyl: error: "), err
    assert "no worker for 5 s" in lines[-1] and "resume" in lines[-1]
    assert not any("Traceback" in ln for ln in lines)
    partial = pw.open_sweep(store).load()  # checked whole: sound
    assert 1 <= int(partial["done"].sum()) < 4


@pytest.mark.slow  # a scheduler, a worker and a sweep: ~25 s
def test_a_worker_that_cannot_import_pgweyl(tmp_path):
    # Before: the sweep hung, or ended in a traceback of Dask's deserialisation.
    fake = tmp_path / "fake"
    (fake / "pgweyl").mkdir(parents=True)
    (fake / "pgweyl" / "__init__.py").write_text("raise ImportError('a broken pgweyl')\n")
    worker_env = {**_env(), "PYTHONPATH": str(fake)}
    cluster = _Cluster(tmp_path, worker_env)
    try:
        r = cli(
            ["sweep", "corridor", *LEVELS, *CHEAP, "--scheduler", cluster.address,
             "--store", tmp_path / "s.zarr"],
            tmp_path,
            timeout=120,
        )  # fmt: skip
    finally:
        cluster.close()
    refused(r, "cannot import pgweyl")


def test_root_is_this_checkout():
    assert (ROOT / "pgweyl" / "study" / "sweep" / "integrity.py").exists()


def test_a_start_beyond_the_float_range_is_refused_before_any_worker(tmp_path):
    """Numbers at their extremes (class 7) reach the sweep too: a θ0 whose logits spread
    beyond the float range is refused while the grid is built — one line, no store, no
    worker started (it was refused only inside each point, after the cluster came up)."""
    store = tmp_path / "s.zarr"
    r = cli(
        ["sweep", "triangle", "--param", "theta0=0,0,0;-1e308,0,1e308", "--runs", "10",
         "--workers", "2", "--store", store],
        tmp_path,
        timeout=60,
    )  # fmt: skip
    refused(r, "theta0 [-1e+308, 0.0, 1e+308]", "float range")
    assert not store.exists()
