import json

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.study import difficulty_sweep


def test_corridor_sweep_falls_with_difficulty_and_methods_agree():
    res = difficulty_sweep("corridor", [4, 8], n_runs=4000, n_updates=200_000, grid=401, seed=1)
    assert res.param == "level" and res.values.tolist() == [4, 8]
    assert res.global_support == ((0,), (0,))  # the treasure: always up
    assert res.p_mc[0] > res.p_mc[1]  # harder exploration, less treasure
    se = np.sqrt(res.p_chain * (1 - res.p_chain) / 4000)
    assert np.all(np.abs(res.p_mc - res.p_chain) <= 4 * se + res.grid_error)
    assert np.all(res.unresolved == 0)
    # the ε → 0 limit beside first entry: below it at the treasure, beyond both bounds
    assert np.all(res.p_limit + res.limit_error + res.grid_error < res.p_chain)
    lim = pw.chain_absorption(pw.make_env("corridor", level=8), 1.0, grid=401, eps=0.0)
    assert res.p_limit[1] == lim.at([0.0, 0.0])[0]
    assert res.limit_error[1] == lim.grid_error([0.0, 0.0])[0]
    d = res.to_dict()
    assert len(d["p_limit"]) == 2 and len(d["limit_error"]) == 2
    json.dumps(d)
    skipped = difficulty_sweep("corridor", [4], method="chain", grid=101, limit=False)
    assert np.isnan(skipped.p_limit).all() and np.isfinite(skipped.p_chain).all()


def test_sweep_errors():
    with pytest.raises(pw.ArgumentError, match="unknown environment"):
        difficulty_sweep("maze", [4])
    with pytest.raises(pw.ArgumentError, match="unknown knob"):
        difficulty_sweep("corridor", [4], param="width")
    with pytest.raises(pw.ArgumentError, match="at least one"):
        difficulty_sweep("corridor", [])
    with pytest.raises(pw.ArgumentError, match="limit must be True or False"):
        difficulty_sweep("corridor", [4], limit="yes")
