"""``pgweyl.compare`` and ``pgweyl compare``: rules side by side on one landscape.

The Monte Carlo column is checked against the θ-chain solver (an independent route: a
linear solve on a grid, no simulated walk). Null hypothesis of the statistical test: the
Monte Carlo share is a binomial estimate of the chain's absorption probability; the
tolerance is 4 standard errors plus the chain's stated grid error.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.errors import ArgumentError
from pgweyl.rules import RuleError

Z = 4.0


@pytest.fixture(scope="module")
def small():
    return pw.compare(
        "corridor:level=4",
        ["vanilla", "natural", "entropy:tau=0.05"],
        lrs=[0.5, 2.0],
        n_runs=1500,
        n_updates=20_000,
        eps=0.02,
        seed=3,
        method="mc",
        progress=False,
    )


def test_shapes_and_rule_names(small):
    assert small.rules == ["vanilla", "natural", "entropy:tau=0.05"]
    assert small.x_name == "lr" and small.x_values == [0.5, 2.0]
    for name in ("p_mc", "ci_low", "ci_high", "unresolved", "global_value", "global_distance"):
        assert getattr(small, name).shape == (3, 2), name
    assert np.isnan(small.p_chain).all()  # method "mc" never runs the chain
    assert np.all((small.ci_low <= small.p_mc) & (small.p_mc <= small.ci_high))
    assert np.all((0 <= small.p_mc) & (small.p_mc + small.unresolved <= 1 + 1e-12))


def test_global_maximum_is_vs_own_for_v_rules_and_nearby_for_entropy(small):
    # vanilla and natural ascend V itself: their global maximum is V's (distance 0);
    # J_τ's maximum is interior, so its policy differs from V's vertex by a positive TV.
    assert np.all(small.global_distance[:2] == 0.0)
    assert np.all((small.global_distance[2] > 0) & (small.global_distance[2] < 0.5))
    env = pw.load_env("corridor:level=4")
    assert small.global_value[0, 0] == pytest.approx(pw.local_maxima(env)[0].value, abs=1e-12)


def test_vanilla_row_is_convergence_probabilities_of_the_global_maximum(small):
    env = pw.load_env("corridor:level=4")
    maxima = pw.local_maxima(env, basin_samples=0)
    mc = pw.convergence_probabilities(
        env, [0.0, 0.0], 2.0, 20_000, 1500, seed=3, eps=0.02, maxima=maxima, progress=False
    )
    assert small.p_mc[0, 1] == mc.probabilities[0]
    assert small.unresolved[0, 1] == mc.unresolved


def test_vanilla_monte_carlo_agrees_with_the_chain_solver():
    res = pw.compare(
        "corridor:level=4",
        ["vanilla"],
        lrs=[1.0],
        n_runs=4000,
        n_updates=50_000,
        eps=0.02,
        seed=7,
        method="both",
        progress=False,
    )
    p_mc, p_chain, grid = res.p_mc[0, 0], res.p_chain[0, 0], res.grid_error[0, 0]
    assert np.isfinite(p_chain) and np.isfinite(grid)
    assert res.unresolved[0, 0] == 0.0
    se = np.sqrt(p_chain * (1 - p_chain) / 4000)
    assert abs(p_mc - p_chain) <= Z * se + grid, (p_mc, p_chain, se, grid)


def test_chain_columns_are_the_solver_called_directly_however_the_solves_ran(monkeypatch):
    # compare queues every cell's chain solve in a background thread (within half the
    # memory budget) beside the Monte Carlo runs, takes back the solves not started yet
    # and solves them itself (from the last), and solves again alone any refused its
    # half of the budget. Every way, the columns must be exactly chain_absorption's at
    # θ_0, and the Monte Carlo columns those of method "mc".
    from pgweyl import budget

    kw = dict(lrs=[0.5, 1.0, 2.0], n_runs=400, n_updates=5000, eps=0.02, seed=7, grid=201)
    env = pw.load_env("corridor:level=4")
    maxima = pw.local_maxima(env, basin_samples=0)
    g = int(np.argmax([m.value for m in maxima]))
    direct = [
        pw.chain_absorption(env, lr, grid=201, eps=0.02, maxima=maxima, progress=False)
        for lr in kw["lrs"]
    ]
    p_direct = [ch.at([0.0, 0.0], env)[g] for ch in direct]
    err_direct = [ch.grid_error([0.0, 0.0], env)[g] for ch in direct]
    mc = pw.compare("corridor:level=4", ["vanilla"], method="mc", progress=False, **kw)
    res = pw.compare("corridor:level=4", ["vanilla"], method="both", progress=False, **kw)
    assert list(res.p_chain[0]) == p_direct and list(res.grid_error[0]) == err_direct
    assert np.array_equal(res.p_mc, mc.p_mc) and np.array_equal(res.ci_low, mc.ci_low)

    # without runs the caller reaches the queue at once: it takes back the last solves
    taken = []  # (thread, parts) of every share of the budget asked for
    share = budget.share

    def record(parts):
        taken.append((threading.current_thread() is threading.main_thread(), parts))
        return share(parts)

    monkeypatch.setattr(budget, "share", record)
    only = pw.compare("corridor:level=4", ["vanilla"], method="chain", progress=False, **kw)
    assert (True, 2) in taken and {parts for _, parts in taken} == {2}  # the caller took one
    monkeypatch.setattr(budget, "share", share)
    assert list(only.p_chain[0]) == p_direct and np.isnan(only.p_mc).all()

    # no solve fits its share: each is refused, then solved alone with the whole budget
    shares = []
    budget_share = budget.share

    def refuse(parts):
        shares.append(parts)
        return budget_share(10**12)

    monkeypatch.setattr(budget, "share", refuse)
    again = pw.compare("corridor:level=4", ["vanilla"], method="both", progress=False, **kw)
    assert shares and set(shares) == {2}
    assert list(again.p_chain[0]) == p_direct and list(again.grid_error[0]) == err_direct


def test_knob_axis():
    res = pw.compare(
        "corridor",
        "vanilla",
        param="level",
        values=[3, 5],
        lr=1.0,
        n_runs=300,
        n_updates=5000,
        eps=0.05,
        method="mc",
        progress=False,
    )
    assert res.x_name == "level" and res.x_values == [3, 5]
    assert res.settings.lr == 1.0
    # the global maximum's value changes with the corridor's length
    assert res.global_value[0, 0] != res.global_value[0, 1]


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        ({"rules": []}, ArgumentError, "at least one rule"),
        ({"rules": ["sideways"]}, RuleError, "sideways"),
        ({"lrs": [1.0], "param": "level", "values": [3]}, ArgumentError, "not both"),
        ({"lrs": [-1.0]}, ArgumentError, "lr"),
        ({"method": "guess"}, ArgumentError, "method"),
        ({"rules": ["vanilla:baseline=mean"], "method": "chain"}, ArgumentError, "Markov"),
    ],
)
def test_bad_arguments(kwargs, error, fragment):
    kw = {"rules": ["vanilla"], "n_runs": 10, "n_updates": 10, "progress": False} | kwargs
    rules = kw.pop("rules")
    with pytest.raises(error, match=fragment):
        pw.compare("corridor:level=3", rules, **kw)


def _cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "pgweyl", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def test_cli_writes_table_json_and_figure(tmp_path):
    r = _cli(
        "compare",
        "corridor:level=4",
        "--rules",
        "vanilla,natural",
        "--lr",
        "0.5",
        "1",
        "--runs",
        "200",
        "--updates",
        "3000",
        "--eps",
        "0.05",
        "--method",
        "mc",
        "--quiet",
        "--json",
        "out.json",
        "--plot",
        "fig",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert "P(policy gradient ends at the global maximum)" in r.stdout
    data = json.loads((tmp_path / "out.json").read_text())
    assert data["rules"] == ["vanilla", "natural"] and data["x_values"] == [0.5, 1.0]
    assert np.asarray(data["p_mc"]).shape == (2, 2)
    for ext in ("png", "pdf"):
        assert (tmp_path / f"fig.{ext}").stat().st_size > 1000


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--rules", "sideways"], "sideways"),
        (["--rules", ","], "--rules gives no rule"),
        (["--rules", "vanilla", "--param", "level"], "knob=v1,v2"),
        (["--rules", "vanilla", "--param", "level=3,4", "--lr", "1", "2"], "at most one --lr"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path, args, fragment):
    r = _cli("compare", "corridor:level=3", *args, "--runs", "5", "--updates", "5", cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert fragment in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_figure_draws_one_band_and_line_per_rule(small):
    import matplotlib.pyplot as plt

    from pgweyl.plot import compare_figure

    fig = compare_figure(small)
    ax = fig.axes[0]
    assert len(ax.lines) == 3 and len(ax.collections) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        f"{r} (Monte Carlo)" for r in small.rules
    ]
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), small.p_mc[1])
    plt.close(fig)
