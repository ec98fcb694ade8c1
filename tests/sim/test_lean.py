"""The lean REINFORCE kernel (batch 1, vanilla or entropy, policy "exp", lattice walk)
against the general one: the same records through both give the same bits — final θ,
stops, targets, trajectories and the generator states they leave."""

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.sim import kernels
from pgweyl.sim.config import LEAN_MAX_SIZE
from tests.sim.helpers import captured_kernel

CASES = [
    (
        "corridor, vertex targets, trajectory",
        lambda: pw.make_env("corridor"),
        (0.0, 0.0),
        dict(lr=1.0, n_updates=3000, n_runs=12, targets=np.eye(2), eps=1e-3, record_every=50),
    ),
    (
        "triangle, mean baseline, decaying step, face target",
        lambda: pw.make_env("triangle", step_cost=0.01),
        (0.1, -0.2, 0.1),
        dict(
            lr=2.0, n_updates=400, n_runs=8, baseline="mean", schedule="decay",
            targets=[[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]], target_flat=[False, True], eps=0.02,
        ),
    ),
    (
        "B2 signed, constant baseline, γ = 1",
        lambda: pw.AlcoveWalkEnv("B2", 7, "signed", (2, 1), wall_rewards=(1.0, 0.6, 0.3),
                                 gamma=1.0),
        (0.2, -0.1),
        dict(lr=0.5, n_updates=300, n_runs=6, baseline=0.4, seed=7),
    ),
    (
        "A2 with λ_d = 1 (exit points need the lift), vertex targets",
        lambda: pw.AlcoveWalkEnv("A2", 6, "unit", (3, 2, 1), wall_rewards=(1.0, 0.6, 0.3)),
        (0.0, 0.0, 0.0),
        dict(lr=2.0, n_updates=2000, n_runs=8, targets=np.eye(3), eps=0.01, seed=3),
    ),
    (
        "entropy, triangle, vertex targets, trajectory",
        lambda: pw.make_env("triangle"),
        (0.0, 0.0, 0.0),
        dict(lr=1.0, n_updates=3000, n_runs=12, targets=np.eye(3), eps=0.05, record_every=60,
             rule="entropy:tau=0.01", seed=4),
    ),
    (
        "entropy, A2 with λ_d = 1, mean baseline, decaying step (power 0.7)",
        lambda: pw.AlcoveWalkEnv("A2", 6, "unit", (3, 2, 1), wall_rewards=(1.0, 0.6, 0.3)),
        (0.4, -0.2, 0.1),
        dict(lr=2.0, n_updates=1500, n_runs=8, rule="entropy:tau=0.1", baseline="mean",
             schedule="decay", power=0.7, seed=6),
    ),
]  # fmt: skip


def _fresh(out):
    return type(out)(*(np.zeros_like(a) for a in out))


@pytest.mark.parametrize("name, make, theta0, kw", CASES, ids=[c[0] for c in CASES])
def test_lean_kernel_equals_the_general_kernel_bitwise(monkeypatch, name, make, theta0, kw):
    env = make()
    kernel, args = captured_kernel(monkeypatch, env, theta0, kw)
    assert kernel is kernels._reinforce_rows_lean
    walk, gw, pay, rule, tau, targets, theta0_arr, n_updates, record_every, states, out = args
    assert (tau is None) == (rule.kind != kernels.RULE_ENTROPY)
    n = len(states)
    lean_states, lean_out = states.copy(), _fresh(out)
    kernels._reinforce_rows_lean(
        walk, gw, pay, rule, tau, targets, theta0_arr, n_updates, record_every, lean_states,
        lean_out, 0, n,
    )  # fmt: skip
    graph = sampler = None  # neither the natural rule nor the exact sampler
    gen_states, gen_out = states.copy(), _fresh(out)
    kernels._reinforce_rows(
        walk, pay, rule, graph, targets, sampler, theta0_arr, n_updates, record_every,
        gen_states, gen_out, 0, n,
    )  # fmt: skip
    for a, b in zip(lean_out, gen_out):
        assert a.tobytes() == b.tobytes()
    assert np.array_equal(lean_states, gen_states)
    assert not np.array_equal(lean_states, states)  # the runs drew numbers
    if "targets" in kw:  # informative only when some runs stop
        assert np.any(lean_out.stopped_at >= 0)


def test_other_runs_take_the_general_kernel(monkeypatch):
    env = pw.make_env("corridor")
    for kw in (dict(batch=2), dict(rule="natural"), dict(sampler="exact"),
               dict(rule="entropy:tau=0.1", batch=2)):  # fmt: skip
        kernel, _ = captured_kernel(
            monkeypatch, env, (0.0, 0.0), dict(lr=1.0, n_updates=5, n_runs=2, **kw)
        )
        assert kernel is kernels._reinforce_rows, kw
    soft = pw.AlcoveWalkEnv("B2", 7, "signed", (2, 1), wall_rewards=(1.0, 0.6, 0.3),
                            policy="softmax")  # fmt: skip
    kernel, _ = captured_kernel(monkeypatch, soft, (0.0,) * 4, dict(lr=1.0, n_updates=5, n_runs=2))
    assert kernel is kernels._reinforce_rows
    # 9 steps > LEAN_MAX_SIZE: the lean kernel would unroll too much; the general one runs
    big = pw.AlcoveWalkEnv("A8", 11, "unit", tuple(range(10, 1, -1)),
                           wall_rewards=(1.0,) + (0.5,) * 8)  # fmt: skip
    assert len(big.steps.vectors) > LEAN_MAX_SIZE
    kernel, _ = captured_kernel(monkeypatch, big, (0.0,) * 9, dict(lr=1.0, n_updates=5, n_runs=2))
    assert kernel is kernels._reinforce_rows
