"""Ctrl-C (SIGINT) stops a sweep; the same command resumes it and loses nothing."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

import pgweyl as pw
from tests.study.sweep.conftest import ROOT, child_env

xr = pytest.importorskip("xarray")

# Points of about a second each, so that the interrupt lands between the first and last.
PARAMS = ["--param", "level=6,8,10", "--runs", "1200", "--updates", "50000", "--method", "mc"]


def _command(store, workers):
    return [
        sys.executable,
        "-m",
        "pgweyl",
        "sweep",
        "corridor",
        *PARAMS,
        "--store",
        str(store),
        "--workers",
        str(workers),
    ]


def _interrupt_and_resume(tmp_path, workers):
    store = tmp_path / "s.zarr"
    cmd = _command(store, workers)
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stderr.readline()  # piped: one line per finished point
        assert first.startswith("[1/3] level="), first + proc.stderr.read()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130 and "interrupted" in err, (proc.returncode, err)
    partial = pw.open_sweep(store).load()
    n_done = int(partial["done"].sum())
    assert 1 <= n_done < 3, n_done
    assert partial["probability"].isnull().all("maximum").values.sum() == 3 - n_done
    r = subprocess.run(cmd, cwd=tmp_path, env=child_env(), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert f"[{n_done + 1}/3]" in r.stderr and "[1/3]" not in r.stderr  # only the rest ran
    assert "3 of 3 points done" in r.stdout
    resumed = pw.open_sweep(store).load()
    whole = pw.sweep(
        "corridor",
        {"level": [6, 8, 10]},
        runs=1200,
        n_updates=50000,
        method="mc",
        workers=0,
        progress=False,
    )
    xr.testing.assert_identical(resumed, whole)


@pytest.mark.slow
def test_sigint_then_resume_in_process(tmp_path):
    _interrupt_and_resume(tmp_path, workers=0)


@pytest.mark.slow
def test_sigint_then_resume_on_a_local_cluster(tmp_path):
    _interrupt_and_resume(tmp_path, workers=1)


def test_root_is_this_checkout():
    assert (ROOT / "pgweyl" / "study" / "sweep" / "engine.py").exists()
