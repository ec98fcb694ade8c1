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
    json.dumps(res.to_dict())


def test_sweep_errors():
    with pytest.raises(pw.ArgumentError, match="unknown environment"):
        difficulty_sweep("maze", [4])
    with pytest.raises(pw.ArgumentError, match="unknown knob"):
        difficulty_sweep("corridor", [4], param="width")
    with pytest.raises(pw.ArgumentError, match="at least one"):
        difficulty_sweep("corridor", [])
