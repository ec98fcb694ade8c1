"""Every result reruns bit-identically from its settings record.

Each result of a convergence study keeps its :class:`RunSettings`; the record goes
through JSON (as the CLI writes it) and ``RunSettings.from_dict`` must give back the
same settings, and running again with them the same numbers, bit for bit — a mis-wired
seed, budget, ε, rule or grid changes them (the first test shows that a changed seed
does)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.errors import ArgumentError
from pgweyl.landscape.settings import RunSettings


def _through_json(record: dict) -> RunSettings:
    return RunSettings.from_dict(json.loads(json.dumps(record)))


def test_settings_are_validated_once_and_round_trip():
    s = RunSettings(theta0=[0.5, -0.5], lr=2, rule="entropy:tau=0.1", n_runs=7, grid=101)
    assert s.theta0 == (0.5, -0.5) and s.lr == 2.0 and s.rule == pw.parse_rule("entropy:tau=0.1")
    assert s.eps == pw.config.DEFAULT_EPS  # None resolved, and recorded so
    assert _through_json(s.to_dict()) == s
    for bad, fragment in [
        ({"lr": 0}, "lr must be > 0"),
        ({"eps": 0.5}, "eps must be < 0.5"),
        ({"method": "exact"}, "unknown method"),
        ({"grid": 5}, "grid must be >= 9"),
        ({"rule": "sgd"}, "unknown update rule"),
        ({"theta0": [1.0, float("nan")]}, "finite"),
    ]:
        with pytest.raises(ArgumentError, match=fragment):
            RunSettings(**bad)
    with pytest.raises(ArgumentError, match="unknown setting 'runs'"):
        RunSettings.from_dict({"runs": 3})


def test_routes_refuse_with_one_text():
    simplex = pw.make_env("simplex")
    assert RunSettings().routes(simplex) == (True, False)  # auto: Monte Carlo only in 3-D
    assert RunSettings(method="both").routes(simplex) == (True, True)  # on request
    assert RunSettings(method="mc").routes(pw.make_env("corridor")) == (True, False)
    assert RunSettings().routes(pw.make_env("corridor")) == (True, True)
    with pytest.raises(ArgumentError, match=r"^method 'both': the chain solver does not .* \(x\)"):
        RunSettings(method="both", rule="natural").routes(simplex, "x")


def test_convergence_reruns_from_its_record():
    env = pw.make_env("corridor", level=4)
    res = pw.convergence_probabilities(
        env, [0.2, -0.2], 0.7, 3000, 300, seed=11, eps=0.02, rule="natural", progress=False
    )
    d = json.loads(json.dumps(res.to_dict()))
    assert d["pgweyl_version"] == pw.__version__ and d["env"] == env.to_dict()
    again = pw.convergence_probabilities(env, settings=_through_json(d["settings"]), progress=False)
    assert np.array_equal(again.counts, res.counts) and again.unresolved == res.unresolved
    assert again.mean_stop_update == res.mean_stop_update
    other = pw.convergence_probabilities(
        env, settings=res.settings.replace(seed=12), progress=False
    )
    assert not np.array_equal(other.counts, res.counts)  # the seed is really used
    with pytest.raises(ArgumentError, match="not both"):
        pw.convergence_probabilities(env, lr=1.0, settings=res.settings)


def test_compare_reruns_from_its_record():
    kw = {"lrs": [0.5, 1.0], "progress": False}
    res = pw.compare(
        "corridor:level=4",
        ["vanilla", "entropy:tau=0.05"],
        n_runs=200,
        n_updates=3000,
        eps=0.02,
        seed=5,
        grid=101,
        **kw,
    )
    d = json.loads(json.dumps(res.to_dict()))
    assert d["pgweyl_version"] == pw.__version__ and d["env"] == "corridor:level=4"
    again = pw.compare(d["env"], d["rules"], settings=_through_json(d["settings"]), **kw)
    for name in ("p_mc", "unresolved", "p_chain", "grid_error"):
        assert np.array_equal(getattr(again, name), getattr(res, name), equal_nan=True), name


def test_difficulty_sweep_reruns_from_its_record_with_the_grid_resolved():
    res = pw.study.difficulty_sweep(
        "corridor", [3, 5], n_runs=200, n_updates=3000, eps=0.05, seed=2, progress=False
    )
    d = json.loads(json.dumps(res.to_dict()))
    settings = _through_json(d["settings"])
    assert settings.grid is not None  # None resolved to the solver's default, and recorded
    again = pw.study.difficulty_sweep(
        d["env"]["family"], d["values"], param=d["param"], settings=settings, progress=False
    )
    for name in ("p_mc", "ci_low", "p_chain", "grid_error"):
        assert np.array_equal(getattr(again, name), getattr(res, name)), name


def test_a_sweep_point_reruns_from_its_settings():
    pytest.importorskip("xarray")
    from pgweyl.study.sweep.grid import make_grid

    params = {"level": [4, 5], "lr": [0.5, 1.0]}
    kw = {"runs": 150, "n_updates": 2000, "eps": 0.05, "grid": 41, "seed": 9}
    ds = pw.sweep("corridor", params, workers=0, progress=False, **kw)
    grid = make_grid("corridor", params, **kw)
    index = (1, 0)
    settings = _through_json(grid.task(index).settings.to_dict())
    assert settings.seed == int(ds.point_seed.values[index])  # the point's own stream
    env = pw.make_env("corridor", level=5)
    maxima = sorted(pw.local_maxima(env, basin_samples=0), key=lambda m: -m.value)
    again = pw.convergence_probabilities(env, settings=settings, maxima=maxima, progress=False)
    n = len(maxima)
    assert np.array_equal(ds.probability.values[index][:n], again.probabilities)
    assert ds.unresolved.values[index] == again.unresolved


def test_grade_reruns_from_its_record():
    pytest.importorskip("gymnasium")
    import pgweyl.gym as pg

    def run(**kw):
        return pg.grade(
            lambda env: pg.ReinforceAgent(lr=1.0, n_updates=30),
            "pgweyl/Corridor-v0",
            seeds=[1, 2],
            predict="mc,chain",
            progress=False,
            level=4,
            trap_distance=1,
            **kw,
        )

    res = run(mc_runs=200, mc_seed=4, chain_grid=101)
    d = json.loads(json.dumps(res.to_dict()))
    assert d["pgweyl_version"] == pw.__version__ and d["settings"]["grid"] == 101
    again = run(settings=_through_json(d["settings"]))
    assert again.predicted == res.predicted
    assert np.array_equal(again.final_policies, res.final_policies)
