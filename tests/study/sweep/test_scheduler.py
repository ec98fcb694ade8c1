"""The command against a scheduler started with the real `dask scheduler` / `dask worker`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

import pgweyl as pw
from pgweyl.cli import main
from tests.study.sweep.conftest import ROOT, child_env

distributed = pytest.importorskip("distributed")
xr = pytest.importorskip("xarray")


def _dask(*args):
    exe = shutil.which("dask", path=os.path.dirname(sys.executable)) or shutil.which("dask")
    return [exe, *args] if exe else [sys.executable, "-m", "dask", *args]


def _start(cmd, log):
    # A session of its own, so that the scheduler or worker and their children stop together.
    return subprocess.Popen(
        cmd, env=child_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """The address of a scheduler on a random localhost port with one worker process."""
    d = tmp_path_factory.mktemp("dask")
    info = d / "scheduler.json"
    procs = []
    with open(d / "scheduler.log", "w") as slog, open(d / "worker.log", "w") as wlog:
        try:
            procs.append(
                _start(
                    _dask(
                        "scheduler",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        "0",
                        "--dashboard-address",
                        "127.0.0.1:0",
                        "--scheduler-file",
                        str(info),
                    ),
                    slog,
                )
            )
            deadline = time.monotonic() + 60
            while not info.exists() or not info.read_text().strip():
                assert procs[0].poll() is None, (d / "scheduler.log").read_text()
                assert time.monotonic() < deadline, "the scheduler did not start"
                time.sleep(0.2)
            time.sleep(0.2)  # the file is written in one go, but be safe
            address = json.loads(info.read_text())["address"]
            procs.append(
                _start(
                    _dask(
                        "worker",
                        "--scheduler-file",
                        str(info),
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--dashboard-address",
                        "127.0.0.1:0",
                        "--local-directory",
                        str(d),
                    ),
                    wlog,
                )
            )
            with distributed.Client(address, timeout=30) as c:
                c.wait_for_workers(1, timeout=60)
                files = c.run(lambda: __import__("pgweyl").__file__)
            assert [os.path.realpath(f) for f in files.values()] == [
                os.path.realpath(ROOT / "pgweyl" / "__init__.py")
            ]
            yield address
        finally:
            for p in reversed(procs):
                _stop(p)


def test_command_against_dask_scheduler_and_worker(scheduler, tmp_path, capsys):
    store = tmp_path / "s.zarr"
    argv = [
        "sweep",
        "corridor",
        "--param",
        "level=3,6",
        "--param",
        "lr=0.5,1",
        "--runs",
        "200",
        "--updates",
        "2000",
        "--grid",
        "41",
        "--store",
        str(store),
        "--scheduler",
        scheduler,
        "--quiet",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "4 of 4 points done" in out and f"store {store}" in out
    remote = pw.open_sweep(store).load()
    here = pw.sweep(
        "corridor",
        {"level": [3, 6], "lr": [0.5, 1.0]},
        runs=200,
        n_updates=2000,
        grid=41,
        workers=0,
        progress=False,
    )
    xr.testing.assert_identical(remote, here)
    # Resuming a finished store against the scheduler computes nothing and changes nothing.
    assert main(argv + ["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["done"] == data["points"] == 4 and len(data["rows"]) == 4
    xr.testing.assert_identical(pw.open_sweep(store).load(), here)
