"""pgweyl demo completes in a temporary folder with a small budget."""

import json
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
