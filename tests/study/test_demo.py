"""pgweyl demo completes in a temporary folder with a small budget."""

import json
import math
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_demo_quick(tmp_path):
    out = tmp_path / "demo"
    r = subprocess.run(
        [sys.executable, "-m", "pgweyl", "demo", str(out), "--quick", "--quiet"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["checks_agree"] is True
    names = {
        "alcove_corridor",
        "alcove_triangle",
        "value_distribution_triangle",
        "landscape_triangle",
        "difficulty_corridor",
        "basins_triangle",
        "eps_corridor",
        "absorbed_by_corridor",
    }
    for name in names:
        for ext in ("png", "pdf"):
            f = out / f"{name}.{ext}"
            assert f.exists() and f.stat().st_size > 1000, f
    from pgweyl.study.demo import OUTPUT_NAMES

    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_NAMES)  # no staging left
    we = summary["worked_example"]
    assert we["p_treasure_chain"] == pytest.approx(0.371, abs=0.005)  # THEORY §7
    assert we["treasure_value"] > we["trap_value"]
    # chain and Monte Carlo within 4 SE + grid error + unresolved share (fixed seed)
    assert we["routes_agree"] is True and summary["triangle"]["routes_agree"] is True
    sweep = summary["sweep"]
    assert sweep["values"] == [4, 8] and sweep["p_mc"][0] > sweep["p_mc"][1]
    assert r.stdout == ""  # --quiet
    _check_limit(summary)


def _check_limit(summary):
    """The demo's limit is an independent ``chain_absorption(eps=0)`` call's, and lies
    below first entry at σ(−8) beyond both bounds; first entry falls with ε toward it; and
    P(absorbed by update 10⁶) from the law of θ_n (matrix powers) reaches first entry from
    the absorption solve (a linear solve) within their two bounds."""
    import pgweyl as pw

    we = summary["worked_example"]
    assert we["limit"] == "limit n → ∞ (ε → 0)"
    assert we["first_entry"] == "first entry into the ε-ball (ε = 3.35e-04)"
    env = pw.make_env("corridor")
    lim = pw.chain_absorption(env, 1.0, grid=we["limit_grid"], eps=0.0, progress=False)
    assert we["p_treasure_limit"] == pytest.approx(lim.at([0.0, 0.0])[0], abs=1e-12)
    assert we["limit_error"] == pytest.approx(lim.grid_error([0.0, 0.0])[0], abs=1e-15)
    gap = we["p_treasure_chain"] - we["p_treasure_limit"]
    assert gap > we["grid_error"] + we["limit_error"]
    curve = summary["eps_curve"]
    assert curve["eps"][0] == 1e-2 and curve["eps"][-1] == 1e-30
    p, err = curve["p_treasure"], curve["error"]
    assert all(a > b for a, b in zip(p, p[1:]))  # smaller balls, fewer first entries
    assert abs(p[-1] - curve["limit"]) <= err[-1] + curve["limit_error"]
    by = summary["absorbed_by"]
    assert by["n"][0] == 1 and by["n"][-1] == 1_000_000
    final = by["probabilities"][-1][0]
    assert math.isclose(by["eps"], 1 / (1 + math.exp(8)), rel_tol=1e-15)
    assert abs(final - we["p_treasure_chain"]) <= by["error"][-1][0] + we["grid_error"]
    assert sweep_limit_below(summary["sweep"])


def sweep_limit_below(sweep):
    return all(
        lim + le + ge < ch
        for lim, le, ge, ch in zip(
            sweep["p_limit"], sweep["limit_error"], sweep["grid_error"], sweep["p_chain"]
        )
    )
