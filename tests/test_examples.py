"""Every script in examples/ runs with --quick, writes its figures and a JSON with its
numbers, and the numbers are the ones the theory predicts at the quick settings.

The quick runs take about 50 s together on two idle cores (each pays a fresh process and
its compilation), so all but one are marked slow — the default run keeps
closed_form_vs_simulation as its smoke test; CI runs the rest with ``-m slow``. The
Stable-Baselines3 example needs an optional extra (CI installs it)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# script -> (figure stems, JSON name, keys the JSON must hold)
CASES = {
    "closed_form_vs_simulation": (
        ["closed_form_vs_simulation"],
        "closed_form_vs_simulation.json",
        {"example", "theory", "quick", "settings", "closed_form", "rows", "agree", "figures"},
    ),
    "corridor_difficulty": (
        ["corridor_difficulty"],
        "corridor_difficulty.json",
        {"example", "theory", "quick", "settings", "rows", "sweep", "trap_value", "figures"},
    ),
    "triangle_landscape": (
        ["triangle_landscape", "triangle_alcove"],
        "triangle_landscape.json",
        {
            "example",
            "theory",
            "quick",
            "env",
            "settings",
            "maxima",
            "chain",
            "monte_carlo",
            "figures",
        },
    ),
    "symbolic_vs_simulation": (
        ["symbolic_vs_simulation", "value_distribution"],
        "symbolic_vs_simulation.json",
        {"example", "theory", "latex", "rational_in_p", "rows", "agree", "figures"},
    ),
    "step_size": (
        ["step_size"],
        "step_size.json",
        {"example", "theory", "settings", "treasure", "gradient_flow_limit", "rows", "figures"},
    ),
    "update_rules": (
        ["update_rules"],
        "update_rules.json",
        {"example", "theory", "quick", "settings", "rows", "drift", "figures"},
    ),
    "grade_reinforce_agent": (
        ["grade_reinforce_agent"],
        "grade_reinforce_agent.json",
        {"example", "theory", "quick", "settings", "rows", "regret", "agrees", "figures"},
    ),
    "train_sb3_ppo": (
        ["train_sb3_ppo"],
        "train_sb3_ppo.json",
        {"example", "theory", "quick", "settings", "rows", "final_values", "regret", "figures"},
    ),
}

# Examples that need an optional extra: run only when it is installed, and marked slow
# (Stable-Baselines3 imports torch and trains a network: about 20 s with --quick).
OPTIONAL = {"train_sb3_ppo": "stable_baselines3"}


#: The one example the default (fast) run keeps.
FAST = {"closed_form_vs_simulation"}


def _example_param(name):
    if name in FAST:
        return name
    return pytest.param(name, marks=pytest.mark.slow)


def run_example(name, outdir):
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["MPLBACKEND"] = "Agg"
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), str(outdir), "--quick"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module", params=[_example_param(n) for n in sorted(CASES)])
def ran(request, tmp_path_factory):
    name = request.param
    if name in OPTIONAL:
        pytest.importorskip(OPTIONAL[name])
    outdir = tmp_path_factory.mktemp(name) / "out"  # not there yet: the script creates it
    proc = run_example(name, outdir)
    data = None
    json_path = outdir / CASES[name][1]
    if proc.returncode == 0 and json_path.exists():
        data = json.loads(json_path.read_text())  # strict JSON: no NaN tokens
    return name, outdir, proc, data


def test_example_runs_and_writes_its_files(ran):
    name, outdir, proc, data = ran
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout}\n{proc.stderr}"
    assert proc.stdout.strip(), "the script prints a summary"
    stems, json_name, keys = CASES[name]
    for stem in stems:
        for ext in ("png", "pdf"):
            path = outdir / f"{stem}.{ext}"
            assert path.exists() and path.stat().st_size > 0, path
    assert data is not None, f"{json_name} missing or not JSON"
    assert keys <= set(data), f"missing keys {keys - set(data)}"
    assert data["example"] == name and data["quick"] is True
    assert all(Path(p).exists() for p in data["figures"])


def test_example_numbers(ran):
    name, _, proc, data = ran
    assert proc.returncode == 0, proc.stderr
    if name == "corridor_difficulty":
        rows = {r["level"]: r for r in data["rows"]}
        # THEORY §7: level 8, α = 1 gives P(treasure) ≈ 0.371 by the chain solver
        assert abs(rows[8]["p_chain"] - 0.371) < 0.005
        for r in rows.values():
            assert r["ci_low"] - 0.02 <= r["p_chain"] <= r["ci_high"] + 0.02
        p = [rows[k]["p_chain"] for k in sorted(rows)]
        assert all(a > b for a, b in zip(p, p[1:]))  # harder as the treasure moves away
    elif name == "triangle_landscape":
        values = [m["value"] for m in data["maxima"]]
        assert values == sorted(values, reverse=True)
        assert abs(values[0] - 0.95**3) < 1e-9  # treasure: 4 straight steps, γ^3
        assert abs(sum(data["chain"]["at_theta0"]) - 1) < 1e-6
        shares = [m["basin_share"] for m in data["maxima"]]
        assert all(s is not None for s in shares) and sum(shares) <= 1 + 1e-12
    elif name == "symbolic_vs_simulation":
        assert data["agree"] is True
        assert data["latex"].count("theta") > 0
        for r in data["rows"]:
            # the certified bound of both sides, itself no looser than the old 1e-9
            assert r["abs_difference"] <= r["tolerance"] < 1e-9 and abs(r["z"]) < 4
            assert r["abs_difference_rational"] <= r["tolerance_rational"] < 1e-9
    elif name == "closed_form_vs_simulation":
        assert data["agree"] is True
        # exact rationals, independently solved in tests/exact/test_closed_forms.py
        assert data["closed_form"]["mean_exit_time"] == "10725/5069"
        assert sum(r["exact_float"] for r in data["rows"]) == pytest.approx(1, abs=1e-12)
        assert all(abs(r["z"]) < 4 for r in data["rows"])
    elif name == "step_size":
        rows = {r["lr"]: r for r in data["rows"]}
        assert abs(rows[1.0]["p_chain"] - 0.371) < 0.005
        assert data["gradient_flow_limit"]["ends_at_treasure"] is True
        for r in rows.values():
            if r["n_updates"] is not None:
                assert r["ci_low"] - 0.02 <= r["p_chain"] <= r["ci_high"] + 0.02
    elif name == "update_rules":
        rows = data["rows"]
        assert {r["rule"] for r in rows} >= {"vanilla", "natural", "entropy:tau=0.02"}
        for r in rows:
            assert r["p_mc"] + r["unresolved"] <= 1 + 1e-12
            if r["p_chain"] is not None:  # the chain solver ran: it agrees with Monte Carlo
                assert r["ci_low"] - 0.02 <= r["p_chain"] <= r["ci_high"] + 0.02
            # V's rules share V's global maximum; J_τ's lies off the treasure vertex
            assert (r["global_distance"] > 0) == r["rule"].startswith("entropy")
        assert any(r["p_chain"] is not None for r in rows if r["rule"] == "vanilla")
        d = data["drift"]
        grad, nat = np.array(d["grad_v"]), np.array(d["natural"])
        np.testing.assert_allclose(d["vanilla"], grad, rtol=0, atol=1e-15)
        # a constant baseline leaves the mean step unchanged (E[∇log π] = 0)
        np.testing.assert_allclose(d["vanilla:baseline=0.5"], grad, rtol=1e-12, atol=1e-15)
        # in one effective dimension F⁺ is a positive scalar: natural ascends where V does
        assert np.all(np.sign(nat) == np.sign(grad))
    elif name == "grade_reinforce_agent":
        # the Gymnasium agent against pgweyl's REINFORCE (same budget): every share within
        # 4 SE (the z of the harness); the shares and pgweyl's each sum to 1
        assert data["agrees"] is True and all(abs(r["z"]) < 4 for r in data["rows"])
        assert abs(sum(r["agent"] for r in data["rows"]) - 1) < 1e-12
        assert abs(sum(r["pgweyl_mc"] for r in data["rows"]) - 1) < 1e-12
        assert abs(data["global_value"] - 0.95**2) < 1e-12  # level 4: 3 steps to the treasure
        assert 0 < data["regret"] < data["global_value"] - 0.5  # some at the trap, some not
    elif name == "train_sb3_ppo":
        # PPO's final policies, scored exactly: V* − V(final) ≥ 0 on the corridor (every
        # policy's V is at most the treasure's), the shares and the regret consistent
        assert abs(data["global_value"] - 0.95**2) < 1e-12
        values = np.array(data["final_values"])
        assert np.all(values <= data["global_value"] + 1e-12)
        assert data["regret"] == pytest.approx(data["global_value"] - values.mean(), abs=1e-12)
        assert sum(r["share"] for r in data["rows"]) == pytest.approx(1, abs=1e-12)
        for p in data["final_policies"]:
            assert sum(p) == pytest.approx(1, abs=1e-6) and min(p) >= 0


def test_every_example_is_tested_and_documented():
    scripts = {p.stem for p in EXAMPLES.glob("*.py")}
    assert scripts == set(CASES)
    readme = (EXAMPLES / "README.md").read_text()
    for name in scripts:
        assert f"python examples/{name}.py" in readme
