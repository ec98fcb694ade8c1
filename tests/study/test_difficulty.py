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


def _follow_across_the_switch(levels, switch, trap_reward):
    # Corridor (trap_distance 2, treasure reward 1, γ 0.95, V = r·γ^(T−1)): a deterministic
    # walk reaches wall 0 in level − 2 steps and wall 1 in 2, so V(treasure) = 0.95^(level−3)
    # and V(trap) = 0.95·trap_reward; the global maximum switches from the treasure
    # (support (0,): step 0 leads to wall 0) to the trap at the first level where
    # 0.95^(level−3) < 0.95·trap_reward.
    kw = {
        "method": "chain",
        "grid": 41,
        "limit": False,
        "progress": False,
        "knobs": {"trap_reward": trap_reward},
    }
    glob = difficulty_sweep("corridor", levels, **kw)
    treasure = difficulty_sweep("corridor", levels, follow="treasure", **kw)
    by_label = difficulty_sweep("corridor", levels, follow="0", **kw)
    assert glob.global_support == ((0,), (0,), (1,), (1,))
    assert glob.global_changes == (switch,) == treasure.global_changes
    assert treasure.follow == "treasure" and treasure.followed_support == ((0,),) * 4
    np.testing.assert_allclose(treasure.followed_value, 0.95 ** (np.array(levels) - 3.0), 1e-9)
    np.testing.assert_allclose(glob.global_value[2:], 0.95 * trap_reward, rtol=1e-9)
    np.testing.assert_array_equal(treasure.p_chain, by_label.p_chain)
    np.testing.assert_array_equal(treasure.p_chain[:2], glob.p_chain[:2])
    # Beyond the switch "global" is the trap: the chain solver directly, maximum by maximum.
    for k in (2, 3):
        env = pw.make_env("corridor", level=levels[k], trap_reward=trap_reward)
        maxima = pw.local_maxima(env, basin_samples=0)
        chain = pw.chain_absorption(env, 1.0, grid=41, maxima=maxima, refine=True)
        at = chain.at(np.zeros(2), env)
        j = [m.support for m in maxima]
        assert treasure.p_chain[k] == at[j.index((0,))]
        assert glob.p_chain[k] == at[j.index((1,))]
    assert np.all(treasure.p_chain[1:] < treasure.p_chain[:-1])  # farther, rarer
    return treasure


@pytest.mark.slow
def test_following_the_treasure_across_the_switch_of_the_global_maximum():
    _follow_across_the_switch([5, 6, 7, 8], 7, trap_reward=0.9)  # 0.95^4 < 0.855 < 0.95^3


@pytest.mark.slow  # the default corridor (trap 0.5, V 0.475): the switch at level 18
def test_following_the_treasure_across_level_18():
    _follow_across_the_switch([16, 17, 18, 19], 18, trap_reward=0.5)


def test_following_an_absent_maximum_gives_nan_and_bad_follow_is_refused():
    res = difficulty_sweep("corridor", [3, 4], follow="1", method="chain", grid=101, limit=False)
    assert res.followed_support == (None, (1,))  # level 3: the trap is no maximum
    assert np.isnan(res.p_chain[0]) and np.isfinite(res.p_chain[1])
    with pytest.raises(pw.ArgumentError, match="support label"):
        difficulty_sweep("corridor", [4], follow="the trap")
