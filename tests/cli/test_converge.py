"""``pgweyl converge`` reports first entry at ε and the ε → 0 limit, each named, each with
its bound (issue 21): the JSON and the text say which number is which."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import pgweyl as pw

ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "pgweyl", "converge", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=600,
    )


def test_converge_json_carries_first_entry_and_the_limit_with_labels():
    r = run("corridor", "--method", "chain", "--grid", "401", "--quiet", "--json", "-")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["chain"]["quantity"] == "first entry into the ε-ball (ε = 3.35e-04)"
    lim = d["limit"]
    assert lim["quantity"] == "limit n → ∞ (ε → 0)" and lim["status"] == "solved"
    assert lim["grid"] == 401 and len(lim["at_theta0"]) == len(lim["grid_error"]) == 2
    # the numbers are the library's, called directly (independent of the command's wiring)
    env = pw.make_env("corridor")
    first = pw.chain_absorption(env, 1.0, grid=401, progress=False)
    limit = pw.chain_absorption(env, 1.0, grid=401, eps=0.0, progress=False)
    assert d["chain"]["at_theta0"] == pytest.approx(first.at([0, 0]).tolist(), abs=1e-12)
    assert lim["at_theta0"] == pytest.approx(limit.at([0, 0]).tolist(), abs=1e-12)
    assert lim["grid_error"] == pytest.approx(limit.grid_error([0, 0]).tolist(), abs=1e-15)
    # two different numbers: the treasure's limit lies below its first entry beyond both bounds
    gap = d["chain"]["at_theta0"][0] - lim["at_theta0"][0]
    assert gap > d["chain"]["grid_error"][0] + lim["grid_error"][0]
    assert np.sum(lim["at_theta0"]) == pytest.approx(1.0, abs=1e-9)


def test_converge_text_names_both_and_no_limit_skips_it():
    r = run("corridor:level=4", "--runs", "200", "--grid", "201", "--quiet")
    assert r.returncode == 0, r.stderr
    rows = [ln for ln in r.stdout.splitlines() if ln.startswith("[")]
    assert len(rows) == 2 and all(" chain 0." in ln and " limit 0." in ln for ln in rows)
    assert "MC and chain: first entry into the ε-ball (ε = 3.35e-04)" in r.stdout
    assert "limit: P(θ_n → the maximum as n → ∞), the ε → 0 limit of first entry" in r.stdout
    r = run("corridor:level=4", "--method", "chain", "--grid", "201", "--no-limit", "--json", "-")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["limit"] == {
        "quantity": "limit n → ∞ (ε → 0)",
        "status": "skipped",
        "reason": "--no-limit",
    }


def test_converge_says_the_limit_is_refused_in_2d():
    args = ("triangle:level=3", "--method", "chain", "--eps", "0.05", "--grid", "25", "--quiet")
    r = run(*args, "--json", "-")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["limit"]["status"] == "not available"
    assert "refuses the ε → 0 limit in effective dimension 2" in d["limit"]["reason"]
    assert d["chain"]["quantity"] == "first entry into the ε-ball (ε = 0.05)"
    r = run(*args)
    assert "limit n → ∞: not available (the chain solver refuses" in r.stdout
    assert " limit 0." not in r.stdout
