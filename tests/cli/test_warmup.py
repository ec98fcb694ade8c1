"""``pgweyl warmup``: its calls cover the README tour, and after it a fresh process
compiles no cached kernel to run them again (every signature is a cache hit)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pgweyl.cli import warmup

ROOT = Path(__file__).resolve().parents[2]

#: Tour calls that compile no Numba kernel (sympy, constructors).
NOT_COMPILED = {
    "pw.make_env",
    "pw.AlcoveWalkEnv",
    "env.symbolic_value",
    "pw.exit_probabilities",
    "pw.mean_exit_time",
}


def _tour_calls() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = text.split("## 30-second tour", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    return set(re.findall(r"\b((?:pw|env)\.[a-zA-Z_]+)\(", tour))


def test_warmup_calls_cover_the_readme_tour():
    calls = _tour_calls()
    assert {"env.value", "pw.convergence_probabilities", "pw.compare"} <= calls  # parsed
    labels = " ".join(label for label, _ in warmup.CALLS)
    missing = sorted(c for c in calls - NOT_COMPILED if not re.search(rf"{c}\b", labels))
    assert not missing, f"pgweyl warmup does not run {missing}"


_SECOND_RUN = """
import json, numba
from numba.core.registry import CPUDispatcher
import pgweyl as pw, pgweyl.cli.warmup as w, importlib, pkgutil
env = pw.make_env("corridor")
for _, call in w.CALLS:
    call(pw, env)
misses = {}
for info in pkgutil.walk_packages(pw.__path__, "pgweyl."):
    if info.name.endswith("__main__"):
        continue
    try:
        mod = importlib.import_module(info.name)
    except ImportError:
        continue
    for name, obj in vars(mod).items():
        if isinstance(obj, CPUDispatcher) and obj.stats.cache_path and obj.stats.cache_misses:
            misses[info.name + "." + name] = len(obj.stats.cache_misses)
print(json.dumps(misses))
"""


@pytest.mark.slow
def test_after_warmup_a_fresh_process_compiles_nothing(tmp_path):
    """H0: every cached kernel the warmup calls need was compiled and stored by
    ``pgweyl warmup``; a second process running the same calls reports no cache miss."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    first = subprocess.run(
        [sys.executable, "-m", "pgweyl", "warmup", "--json", "-"],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert [r["call"] for r in data["calls"]] == [label for label, _ in warmup.CALLS]
    assert data["cache_dir"] == str(tmp_path / "cache")
    second = subprocess.run(
        [sys.executable, "-c", _SECOND_RUN], env=env, capture_output=True, text=True, timeout=900
    )
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout.strip().splitlines()[-1]) == {}
