"""The lean kernel's walk on the step graph (``arrays.graph_walk``, ``kernels._walk_graph``)
against the slack walk (``kernels._walk_registers``): from the same generator state and
step table they must take the same walk — the same T, the same exit point in full
coordinates (x − λ = disp[e] + Σ lift, exact integers), the same reward as the reward
box gives, and the same generator state afterwards. The two share no code: one follows
wall slacks and counts steps, the other follows the successor table of
:class:`pgweyl.weyl.step_graph.StepGraph`."""

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.sim import kernels
from pgweyl.sim.arrays import graph_walk, payoff, step_cdf, stream_states, walk_arrays

ENVS = [
    ("corridor", lambda: pw.make_env("corridor")),
    ("triangle", lambda: pw.make_env("triangle")),
    ("triangle-signed", lambda: pw.make_env("triangle-signed")),
    # type A with λ_d ≠ 0: the exit point's full coordinates need λ_d + Σ lift
    ("A2 start (3, 2, 1)", lambda: pw.AlcoveWalkEnv("A2", 6, "unit", (3, 2, 1),
                                                    wall_rewards=(1.0, 0.6, 0.3))),
    ("B2 signed", lambda: pw.AlcoveWalkEnv("B2", 7, "signed", (2, 1),
                                           wall_rewards=(1.0, 0.6, 0.3))),
]  # fmt: skip


@pytest.mark.parametrize("name, make", ENVS, ids=[e[0] for e in ENVS])
def test_graph_walk_takes_the_slack_walk(name, make):
    env = make()
    walk = walk_arrays(env)
    gw = graph_walk(env, walk)
    pay = payoff(env)
    k, d = walk.vectors.shape
    rng = np.random.default_rng(11)
    slack = np.empty(len(walk.slack0), np.int64)
    counts = np.empty(k, np.int64)
    x = np.empty(d, np.int64)
    exits_seen = set()
    for episode, st in enumerate(stream_states(5, 300)):
        # near-uniform and near-deterministic step laws, as REINFORCE meets them
        probs = rng.dirichlet(np.full(k, 0.3 if episode % 2 else 3.0))
        cdf = step_cdf(probs)
        T1, *st1 = kernels._walk_registers(
            walk.start, walk.vectors, walk.delta, walk.slack0, cdf, *st, slack, counts, x
        )
        T2, e, lifted, *st2 = kernels._walk_graph(gw.succ, gw.lift, tuple(cdf), *st)
        assert T1 == T2 == counts.sum()
        assert st1 == st2  # the same draws
        assert np.array_equal(x - walk.start, gw.disp[e] + lifted)
        box = kernels._exit_reward(x, walk.prism, pay.lo, pay.shape, pay.strides, pay.table)
        assert gw.reward[e] == box
        exits_seen.add(int(e))
    assert len(exits_seen) > 1  # informative only when the walks end at several exits


def test_graph_walk_record_sizes():
    env = pw.make_env("triangle")
    walk = walk_arrays(env)
    gw = graph_walk(env, walk)
    assert gw.zeros_k == (0.0,) * 3 and gw.zeros_d == (0.0,) * 3
    assert gw.succ.shape == (env.graph.n_states, 3)
    assert gw.disp.shape == (len(env.exit_points), 3) and gw.reward.shape == (len(env.exit_points),)
