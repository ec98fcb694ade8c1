"""pgweyl/cli/grade.py: the arguments and the run behind ``pgweyl grade``."""

from __future__ import annotations

import argparse
import json

import pytest

pytest.importorskip("gymnasium")

import pgweyl as pw  # noqa: E402
from pgweyl.cli import grade as command  # noqa: E402
from pgweyl.errors import ArgumentError  # noqa: E402


def grade_parser():
    """A ``grade`` subparser wired as the lead will wire it: the shared options of every
    pgweyl subcommand (--quiet, --seed, --json) plus add_arguments."""
    parser = argparse.ArgumentParser(prog="pgweyl")
    sub = parser.add_subparsers(dest="command")
    s = sub.add_parser("grade")
    s.add_argument("--quiet", action="store_true")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--json", nargs="?", const="-", default=None)
    command.add_arguments(s)  # must not redefine the shared options
    return parser


def run(*argv):
    out = command.run(grade_parser().parse_args(["grade", *argv, "--quiet"]))
    return out.data, "\n".join(out.format(out.data))


@pytest.mark.slow
def test_reference_agent_on_a_spec():
    data, text = run(
        "corridor:level=4,trap_distance=1",
        "--seeds",
        "4",
        "--updates",
        "20",
        "--lr",
        "2",
        "--mc-runs",
        "100",
        "--seed",
        "5",
    )
    json.dumps(data, allow_nan=False)
    assert data["env_id"] == "pgweyl/AlcoveWalk-v0" and data["seeds"] == [5, 6, 7, 8]
    s = data["settings"]
    assert {k: s[k] for k in ("rule", "lr", "n_updates", "theta0")} == {
        "rule": "vanilla",
        "lr": 2.0,
        "n_updates": 20,
        "theta0": [0, 0],
    }
    assert (s["n_runs"], s["seed"], s["eps"]) == (100, 5, 0.05) and data["pgweyl_version"]
    assert data["predicted"]["mc"]["n_runs"] == 100 and data["predicted"]["mc"]["seed"] == 5
    assert text.splitlines()[0] == "pgweyl/AlcoveWalk-v0  spec=corridor:level=4,trap_distance=1"
    assert "regret" in text


def test_registered_id_signed_steps_and_no_prediction():
    data, text = run("pgweyl/TriangleSigned-v0", "--seeds", "2", "--updates", "10", "--predict", "")
    assert data["predicted"] == {} and data["env_id"] == "pgweyl/TriangleSigned-v0"
    # the reference agent uses the step vectors as features: pgweyl's parametrisation
    assert len(data["final_policies"][0]) == 4


def test_user_factory():
    data, _ = run(
        "pgweyl/Corridor-v0",
        "--agent",
        "tests.gym.agents_for_cli:make_agent",
        "--seeds",
        "2",
        "--mc-runs",
        "50",
        "--eps",
        "0.1",
    )
    assert data["settings"]["lr"] == 2.0 and data["settings"]["n_updates"] == 15
    assert data["eps"] == 0.1


@pytest.mark.parametrize(
    "argv, error, msg",
    [
        (["corridor", "--agent", "nonsense"], ArgumentError, "MODULE:FACTORY"),
        (["corridor", "--agent", "no_such_module_x:f"], ArgumentError, "cannot import"),
        (["corridor", "--agent", "tests.gym.agents_for_cli:nope"], ArgumentError, "no attribute"),
        (
            ["corridor", "--agent", "tests.gym.agents_for_cli:NOT_CALLABLE"],
            ArgumentError,
            "not callable",
        ),
        (["corridr"], pw.SpecError, "unknown environment 'corridr'"),
        (["corridor", "--rule", "naturel"], ArgumentError, "expected one of vanilla"),
        (["corridor", "--seeds", "0"], ArgumentError, "seeds must be a positive"),
        (["corridor", "--lr", "-1"], ArgumentError, "lr must be > 0"),
    ],
)
def test_bad_input_is_one_specific_error(argv, error, msg):
    with pytest.raises(error, match=msg) as info:
        run(*argv)
    assert "\n" not in str(info.value)


def test_agent_module_in_the_current_folder_imports_from_the_console_script(tmp_path):
    """``pgweyl grade --agent mymod:make`` with mymod.py in the current folder: the console
    script starts with its own folder on sys.path (not the current one), so the command must
    add it, as ``python -m pgweyl`` does. Without the console script, ``python -P`` (no
    current folder on sys.path either) runs the same entry point."""
    import os
    import shutil
    import subprocess
    import sys

    (tmp_path / "mymod_for_grade.py").write_text(
        "from pgweyl.gym import ReinforceAgent\n\n\n"
        "def make(env):\n"
        "    return ReinforceAgent(lr=2.0, n_updates=5, gamma=env.unwrapped.gamma)\n"
    )
    argv = ["grade", "corridor", "--agent", "mymod_for_grade:make", "--seeds", "1"]
    argv += ["--predict", "", "--json", "--quiet"]
    script = shutil.which("pgweyl")
    if script:
        cmd = [script, *argv]
    else:
        cmd = [sys.executable, "-P", "-c", "from pgweyl.cli import entry; entry()", *argv]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    r = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["settings"]["n_updates"] == 5


def test_progress_goes_to_stderr_when_piped_and_quiet_silences_it(capsys):
    """Under pytest stderr is not a terminal: like every pgweyl command, ``grade`` then
    writes plain progress lines (one per phase at least, at most one per 10 s while it
    lasts); ``--quiet`` writes none."""
    argv = ["corridor:level=4,trap_distance=1", "--seeds", "3", "--updates", "10"]
    argv += ["--mc-runs", "50"]
    command.run(grade_parser().parse_args(["grade", *argv]))
    err = capsys.readouterr().err.splitlines()
    assert any(
        line.startswith("pgweyl: training on pgweyl/AlcoveWalk-v0: 3/3 seeds (100%)")
        for line in err
    ), err
    assert any(line.startswith("pgweyl: policy gradient runs: 50/50 runs") for line in err), err
    assert len(err) <= 6
    command.run(grade_parser().parse_args(["grade", *argv, "--quiet"]))
    assert capsys.readouterr().err == ""
