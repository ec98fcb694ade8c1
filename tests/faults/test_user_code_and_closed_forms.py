"""Issue 26, classes 4 and 5: user code in ``grade``, and closed forms / symbolic work.

Class 4 — an agent's faults are the agent's: a factory that raises, returns None, has a
syntax error or fails at import, ``sys.exit`` anywhere in agent code, settings with a
learning rate that is not a finite real > 0 — each ends with one line ``pgweyl: error:
agent NAME: …`` and then the agent's own traceback (none of pgweyl's frames), exit 2;
in the API a :class:`pgweyl.AgentError`. A non-pgweyl Gymnasium id is one line; a huge
``--seeds`` is refused by a time estimate (``--force`` goes ahead); counts take ``1e3``.

Class 5 — step probabilities must be a probability vector (every entry finite, in [0, 1],
the sum exactly 1): otherwise :class:`pgweyl.ArgumentError` / one line and exit 2, never
zoo/nan/oo with exit 0 nor ZeroDivisionError. Long symbolic work is estimated and
refused (:class:`pgweyl.TimeBudgetError`, ``--force``/``force=True``), shows progress
when run and stops on Ctrl-C (exit 130); big exact integers print.

Subprocess cases run ``python -m pgweyl`` from this worktree in a fresh folder, as
tests/test_faults.py does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.test_faults import sigint_after

ROOT = Path(__file__).resolve().parents[2]
PGWEYL_DIR = str(ROOT / "pgweyl")
ENV = {
    **{k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS", "DISPLAY")},
    "PYTHONPATH": str(ROOT),
    "PGWEYL_MEMORY_BUDGET": "2G",
    "MPLBACKEND": "Agg",
}
E = "pgweyl: error: "
# A refusal comes before any work; a loaded machine takes seconds to start Python alone.
REFUSAL_SECONDS = 30.0
SMALL = "corridor:level=4,trap_distance=1"


def _default_sigint():  # a background shell may have left SIGINT ignored
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run(args, cwd, extra_env=None, timeout=120):
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "pgweyl", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**ENV, **(extra_env or {})},
        timeout=timeout,
        preexec_fn=_default_sigint,
    )
    r.seconds = time.perf_counter() - t0
    return r


def write_agent(folder: Path, name: str, source: str) -> str:
    (folder / f"{name}.py").write_text(textwrap.dedent(source))
    return f"{name}:make_agent"


GOOD_AGENT_CLASS = """
    import numpy as np

    class Agent:
        settings = {SETTINGS}

        def train(self, env, seed):
            pass

        def policy(self):
            return np.array([0.5, 0.5])

    def make_agent(env):
        return Agent()
"""


def settings_agent(settings: str) -> str:
    return GOOD_AGENT_CLASS.replace("{SETTINGS}", settings)


# -- class 4: user code in grade (subprocess) ---------------------------------------------------
AGENT_TRACEBACK_CASES = [
    (
        "factory_raises",
        """
        def helper():
            raise RuntimeError("boom in factory")

        def make_agent(env):
            return helper()
        """,
        "make_agent(env) raised RuntimeError: boom in factory",
        ["in make_agent", "in helper", "RuntimeError: boom in factory"],
    ),
    (
        "syntax_error",
        """
        def make_agent(env)
            return None
        """,
        "importing 'syntax_error' raised SyntaxError: ",
        ["syntax_error.py", "line 2", "SyntaxError"],
    ),
    (
        "import_fails",
        """
        import no_such_module_for_pgweyl_tests

        def make_agent(env):
            return None
        """,
        "importing 'import_fails' raised ModuleNotFoundError: No module named "
        "'no_such_module_for_pgweyl_tests'",
        ["import_fails.py", "import no_such_module_for_pgweyl_tests"],
    ),
    (
        "exits_in_train",
        """
        import sys
        import numpy as np

        class Agent:
            settings = {"lr": 1.0, "n_updates": 5}

            def train(self, env, seed):
                sys.exit(0)

            def policy(self):
                return np.array([0.5, 0.5])

        def make_agent(env):
            return Agent()
        """,
        "agent.train(env, seed=0) called sys.exit(0)",
        ["exits_in_train.py", "sys.exit(0)", "SystemExit: 0"],
    ),
    (
        "exits_at_import",
        """
        import sys
        sys.exit("bye")
        """,
        "importing 'exits_at_import' called sys.exit('bye')",
        ["exits_at_import.py", "SystemExit: bye"],
    ),
]


@pytest.mark.parametrize(
    "module,source,what,in_traceback",
    AGENT_TRACEBACK_CASES,
    ids=[c[0] for c in AGENT_TRACEBACK_CASES],
)
def test_agent_code_that_fails_is_reported_as_the_agents_error(
    module, source, what, in_traceback, tmp_path
):
    """One pgweyl line naming the agent and what it did, then the agent's own traceback:
    its frames and its exception, none of pgweyl's (nor importlib's) frames; exit 2 —
    sys.exit included (it used to end the run with exit 0 and no output)."""
    agent = write_agent(tmp_path, module, source)
    r = run(["grade", SMALL, "--agent", agent, "--seeds", "2", "--predict", ""], tmp_path)
    lines = r.stderr.splitlines()
    assert r.returncode == 2, r.stderr
    assert lines[0] == f"{E}agent {agent}: {what}" or (
        module == "syntax_error" and lines[0].startswith(f"{E}agent {agent}: {what}")
    ), lines[0]
    rest = "\n".join(lines[1:])
    for text in in_traceback:
        assert text in rest, (text, r.stderr)
    assert PGWEYL_DIR not in rest and "importlib" not in rest, r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize(
    "source,line",
    [
        (
            "def make_agent(env):\n    return None\n",
            "make_agent(env) returned None, not an agent (it has no train() and no policy(); "
            "the protocol is train(env, seed) and policy())",
        ),
        (settings_agent('{"lr": -1.0, "n_updates": 5}'), "settings['lr'] = -1.0 is refused: "),
        (settings_agent('{"lr": "fast", "n_updates": 5}'), "settings['lr'] = 'fast' is refused: "),
        (settings_agent('{"lr": float("nan"), "n_updates": 5}'), "settings['lr'] = nan is "),
        (settings_agent('{"lr": True, "n_updates": 5}'), "settings['lr'] = True is refused"),
        (settings_agent('{"lr": 1.0, "n_updates": 2.5}'), "settings['n_updates'] = 2.5 is "),
        (settings_agent('"lr=1"'), "settings must be a dict, got str"),
    ],
    ids=["returns-none", "lr-negative", "lr-text", "lr-nan", "lr-bool", "updates-2.5", "str"],
)
def test_agent_results_are_validated_in_one_line(source, line, tmp_path):
    """H0: what the agent reports is what pgweyl's own arguments would accept; a result
    that is not is one line naming the agent (no traceback: nothing raised), exit 2."""
    agent = write_agent(tmp_path, "reports", source)
    r = run(["grade", SMALL, "--agent", agent, "--seeds", "2"], tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(f"{E}agent {agent}: {line}"), r.stderr
    assert len(r.stderr.splitlines()) == 1, r.stderr


def test_agent_output_stays_off_the_json(tmp_path):
    """An agent that prints (at import and while training) writes to stderr: the JSON on
    stdout stays whole."""
    import json

    agent = write_agent(
        tmp_path,
        "chatty",
        """
        print("imported")
        import numpy as np

        class Agent:
            settings = {"lr": 1.0, "n_updates": 2}

            def train(self, env, seed):
                print("training", seed)

            def policy(self):
                return np.array([0.5, 0.5])

        def make_agent(env):
            return Agent()
        """,
    )
    r = run(
        ["grade", SMALL, "--agent", agent, "--seeds", "2", "--predict", "", "--json", "--quiet"],
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["seeds"] == [0, 1]
    assert r.stderr.splitlines() == ["imported", "training 0", "training 1"]


def test_ctrl_c_in_agent_code_is_exit_130(tmp_path):
    agent = write_agent(
        tmp_path,
        "interrupted",
        """
        import numpy as np

        class Agent:
            settings = {"lr": 1.0, "n_updates": 5}

            def train(self, env, seed):
                raise KeyboardInterrupt

            def policy(self):
                return np.array([0.5, 0.5])

        def make_agent(env):
            return Agent()
        """,
    )
    r = run(["grade", SMALL, "--agent", agent, "--seeds", "2"], tmp_path)
    assert (r.returncode, r.stderr, r.stdout) == (130, "pgweyl: interrupted\n", "")


def test_a_foreign_gymnasium_id_is_one_line(tmp_path):
    pytest.importorskip("gymnasium")
    r = run(["grade", "CartPole-v1", "--seeds", "2"], tmp_path)
    assert r.returncode == 2
    assert r.stderr == (
        f"{E}CartPole-v1 is a Gymnasium id but not a pgweyl environment: grade takes a pgweyl "
        "id (pgweyl/Corridor-v0, ...) or a pgweyl ENV spec (corridor:level=4)\n"
    )


def test_huge_seeds_refused_by_an_estimate(tmp_path):
    """99999 seeds of the reference agent (1000 updates of E[T] = 12 steps) are hours:
    refused before any training, in seconds, naming the estimate and --force."""
    r = run(["grade", "corridor", "--seeds", "99999"], tmp_path)
    assert r.returncode == 2 and r.seconds < REFUSAL_SECONDS, (r.seconds, r.stderr)
    assert r.stderr.startswith(f"{E}training 99999 agents (1000 updates each): estimated at ")
    assert r.stderr.endswith("; pass --force (force=True) to go ahead\n")
    assert len(r.stderr.splitlines()) == 1
    # a count beyond sys.maxsize: one line, not an OverflowError from len(range(...))
    r = run(["grade", "corridor", "--seeds", "1e19"], tmp_path)
    assert (r.returncode, r.stderr) == (
        2,
        f"{E}seeds: 10000000000000000000 agents to train; at most 100000 (one agent per seed)\n",
    )


def test_api_seeds_beyond_maxsize(pg):
    import pgweyl as pw

    with pytest.raises(pw.ArgumentError, match=f"seeds: more than {sys.maxsize} agents"):
        pg.grade(lambda env: None, "pgweyl/Corridor-v0", seeds=range(10**20), predict=())


@pytest.mark.slow
def test_grade_force_goes_past_the_time_budget(tmp_path):
    """With a budget of 0.1 ms even 3 seeds of 2 updates are refused (estimated 0.5 ms
    before training); --force runs them (exit 0). About 15 s on a busy machine."""
    import json

    tiny = {"PGWEYL_TIME_BUDGET": "0.0001"}
    args = ["grade", SMALL, "--seeds", "3", "--updates", "2", "--predict", "", "--quiet"]
    r = run(args, tmp_path, tiny)
    assert r.returncode == 2 and "training 3 agents (2 updates each): estimated" in r.stderr
    r = run([*args, "--force", "--json"], tmp_path, tiny)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["seeds"] == [0, 1, 2]


@pytest.mark.slow
def test_seeds_take_the_count_syntax_of_the_other_commands(tmp_path):
    """``--seeds 1e1`` is 10 seeds, as ``--runs 1e3`` is 1000 runs (options.count). About
    20 s on a busy machine (10 agents trained, then the local maxima)."""
    import json

    r = run(
        ["grade", SMALL, "--seeds", "1e1", "--updates", "2", "--predict", "", "--json"], tmp_path
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["seeds"] == list(range(10))
    r = run(["grade", SMALL, "--seeds", "1.5e0"], tmp_path)
    assert (r.returncode, r.stderr) == (
        2,
        f"{E}argument --seeds: expected an integer, got '1.5e0'\n",
    )


# -- class 4: the API ---------------------------------------------------------------------------
gym = None


@pytest.fixture(scope="module")
def pg():
    pytest.importorskip("gymnasium")
    import pgweyl.gym as pg

    return pg


def _grade(pg, factory, **kw):
    return pg.grade(factory, "pgweyl/Corridor-v0", seeds=2, predict=(), level=4, **kw)


class _Agent:
    settings = {"lr": 1.0, "n_updates": 3}

    def train(self, env, seed):
        pass

    def policy(self):
        import numpy as np

        return np.array([0.5, 0.5])


def test_api_agent_error_carries_the_users_traceback(pg):
    import pgweyl as pw

    def make_agent(env):
        return {}["missing"]

    with pytest.raises(pw.AgentError) as info:
        _grade(pg, make_agent)
    err = info.value
    assert isinstance(err, pw.ArgumentError) and isinstance(err, pw.PgweylError)
    assert str(err).endswith("make_agent(env) raised KeyError: 'missing'")
    assert err.agent.endswith("make_agent")
    tb = err.user_traceback
    assert tb.startswith("Traceback (most recent call last):") and "in make_agent" in tb
    assert tb.rstrip().endswith("KeyError: 'missing'") and PGWEYL_DIR not in tb


@pytest.mark.parametrize(
    "factory,match",
    [
        (lambda env: None, r"make_agent\(env\) returned None, not an agent"),
        (lambda env: object(), r"it has no train\(\) and no policy\(\)"),
        (lambda env: sys.exit(3), r"make_agent\(env\) called sys.exit\(3\)"),
        (
            lambda env: type("A", (_Agent,), {"settings": {"lr": -1.0, "n_updates": 3}})(),
            r"settings\['lr'\] = -1.0 is refused: lr must be > 0",
        ),
        (
            lambda env: type("A", (_Agent,), {"settings": {"lr": [1.0], "n_updates": 3}})(),
            r"settings\['lr'\] = \[1.0\] is refused",
        ),
        (
            lambda env: type("A", (_Agent,), {"settings": {"lr": 1.0, "n_updates": "5"}})(),
            r"settings\['n_updates'\] = '5' is refused",
        ),
        (
            lambda env: type("A", (_Agent,), {"policy": lambda self: [float("nan"), 1.0]})(),
            r"agent.policy\(\) returned \[nan, 1.0\] after seed 0",
        ),
    ],
    ids=["none", "no-protocol", "sys-exit", "lr-negative", "lr-list", "updates-str", "nan-policy"],
)
def test_api_agent_faults_are_agent_errors(pg, factory, match):
    import pgweyl as pw

    with pytest.raises(pw.AgentError, match=match):
        _grade(pg, factory)


def test_api_foreign_env_refused_before_user_code(pg):
    import pgweyl as pw

    called = []
    with pytest.raises(pw.ArgumentError, match="CartPole-v1 is not a pgweyl environment"):
        pg.grade(lambda env: called.append(1), "CartPole-v1", seeds=2, predict=())
    assert called == []


def test_api_time_budget_refuses_before_training_and_force_runs(pg, monkeypatch):
    import pgweyl as pw
    import pgweyl.estimate

    trained = []

    class Agent(_Agent):
        def train(self, env, seed):
            trained.append(seed)

    monkeypatch.setattr(pgweyl.estimate, "TIME_BUDGET", 1e-9)
    with pytest.raises(pw.TimeBudgetError, match=r"training 2 agents \(3 updates each\)") as info:
        _grade(pg, lambda env: Agent())
    assert trained == [] and info.value.budget == 1e-9 and info.value.seconds > 1e-9
    res = _grade(pg, lambda env: Agent(), force=True)
    assert trained == [0, 1] and res.n_seeds == 2


def test_training_estimate_scales_with_seeds_updates_and_exact_mean_time(pg):
    """The a-priori estimate is seeds × updates × (E_θ0[T] + 1) × STEP_SECONDS, with E[T]
    the exact mean exit time: on the corridor of level 4 from 1 at the uniform policy,
    the gambler's ruin gives E[T] = z(a − z) = 3."""
    import pgweyl as pw
    from pgweyl.gym.exact import ExactAnswers
    from pgweyl.gym.grading import STEP_SECONDS, training_estimate

    exact = ExactAnswers(pw.make_env("corridor", level=4, trap_distance=1))
    got = training_estimate(exact, 7, 11)
    assert got == pytest.approx(7 * 11 * (3 + 1) * STEP_SECONDS, rel=1e-3)


# -- class 5: probabilities that are not a distribution --------------------------------------------
def _corridor():
    import pgweyl as pw

    return pw.make_env("corridor", level=4, trap_distance=1)


def _bad_probs():
    import sympy

    r2 = sympy.sqrt(2)
    return [
        ([r2 / 2, r2 / 2], r"probs must sum to 1 exactly .* = sqrt\(2\) = 1.41421356"),
        ([sympy.pi / 5, 1 - sympy.pi / 4], r"probs must sum to 1 exactly .* = 0.8429203673"),
        ([r2 / 2, 1 - r2 / 2 + sympy.Rational(1, 10**40)], r"sum to 1 exactly .* = 1000000"),
        (
            [sympy.sin(1) ** 2, sympy.cos(1) ** 2],  # 1, but no cheap exact proof: refused
            r"cannot be shown to be exactly 1 \(write the last one as 1 minus the others\)",
        ),
        ([r2, 1 - r2], r"probs\[0\] = sqrt\(2\) is not allowed: .* in \[0, 1\]"),
        ([sympy.nan, 1], r"probs\[0\] must be finite, got nan"),
        ([sympy.oo, 0], r"probs\[0\] must be finite, got oo"),
        ([sympy.zoo, 0], r"probs\[0\] must be finite, got zoo"),
        ([sympy.S(1) / 0, 0], r"probs\[0\] must be finite, got zoo"),
        ([sympy.Float("nan"), 1], r"probs\[0\] must be finite"),
        ([float("nan"), 0.5], r"probs\[0\] must be finite, got nan"),
        ([float("inf"), 0], r"probs\[0\] must be finite, got inf"),
        (["1/0", "1"], r"probs\[0\] '1/0' divides by zero"),
        (["0/0", "1"], r"probs\[0\] '0/0' divides by zero"),
        (["3/2", "-1/2"], r"probs\[0\] = 3/2 is not allowed: .* in \[0, 1\]"),
        ([sympy.I, 1 - sympy.I], r"probs\[0\] = I is not a real number"),
        (["1e-400", "1"], r"probs must sum to 1 exactly .*1/1000000000"),
    ]


@pytest.mark.parametrize("k", range(17))
@pytest.mark.parametrize("fn", ["exit_probabilities", "mean_exit_time", "closed_form_value"])
def test_api_probabilities_must_be_a_distribution(k, fn):
    """Never zoo/nan/oo, never ZeroDivisionError: an ArgumentError naming the entry or
    the sum (a 400-digit number cut short: one short line)."""
    import pgweyl as pw

    probs, match = _bad_probs()[k]
    with pytest.raises(pw.ArgumentError, match=match) as info:
        getattr(pw, fn)(_corridor(), probs)
    assert "\n" not in str(info.value) and len(str(info.value)) < 300


def test_api_irrational_distribution_is_exact_and_matches_gamblers_ruin():
    """H0: P(exit at the far wall) of the walk stepping up with p = √2/2 from 1 in (0, 4)
    is the gambler's ruin (1 − r)/(1 − r⁴), r = (1 − p)/p (an independent formula); the
    exit law sums to exactly 1."""
    import math

    import sympy

    import pgweyl as pw

    r2 = sympy.sqrt(2)
    law = pw.exit_probabilities(_corridor(), [r2 / 2, 1 - r2 / 2])
    assert sympy.cancel(sympy.radsimp(sum(law.values()) - 1)) == 0
    p = math.sqrt(2) / 2
    r = (1 - p) / p
    assert float(law[(4, 0)]) == pytest.approx((1 - r) / (1 - r**4), abs=1e-12)


@pytest.mark.parametrize(
    "probs,line",
    [
        ("1/0,0", "probs[0] '1/0' divides by zero"),
        ("nan,1", "probs[0] 'nan' is not a number such as '2/5' or '0.4'"),
        ("inf,0", "probs[0] 'inf' is not a number such as '2/5' or '0.4'"),
        ("1/2,1/3", "probs must sum to 1 exactly (a probability vector), got 1/2 + 1/3 = 5/6"),
        ("3/2,-1/2", "probs[0] = 3/2 is not allowed: step probabilities are numbers in [0, 1]"),
    ],
)
def test_cli_probs_not_a_distribution_is_one_line(probs, line, tmp_path):
    r = run(["value", "corridor", "--probs", probs], tmp_path)
    assert (r.returncode, r.stderr, r.stdout) == (2, E + line + "\n", "")


# -- class 5: long symbolic work ---------------------------------------------------------------
def test_api_long_closed_forms_are_refused_by_an_estimate():
    """Each refused in well under a second (nothing computed), naming its estimate."""
    import pgweyl as pw
    from pgweyl.exact.symbolic import value_latex

    cases = [
        (lambda: pw.survival(pw.make_env("corridor"), 10**6), "P(T > 1000000) by transfer"),
        (lambda: pw.make_env("corridor", level=200).symbolic_value(), "the symbolic value"),
        (lambda: value_latex(pw.make_env("simplex", level=12)), "the symbolic value"),
        (
            lambda: pw.closed_form_report(pw.make_env("corridor", level=3000), "1/3,2/3"),
            "the closed forms on A1 at level 3000 (2999 interior points): estimated at about",
        ),
        (
            lambda: pw.exit_probabilities(pw.make_env("corridor", level=3000), ["1/3", "2/3"]),
            "the exit generating functions on A1 at level 3000",
        ),
    ]
    for call, text in cases:
        t0 = time.perf_counter()
        with pytest.raises(pw.TimeBudgetError, match="pass --force") as info:
            call()
        assert text in str(info.value) and time.perf_counter() - t0 < 5.0
        assert info.value.seconds > info.value.budget


def test_estimates_tell_seconds_from_hours():
    """The cost model against a measurement: the symbolic value of a corridor of level 30
    is estimated within a factor 10 of its measured time (about 0.5 s either way, alone;
    a machine loaded 5-fold stays inside), and the budget of 10 min lies between it and
    level 200 (about an hour)."""
    import sympy  # noqa: F401  (imported before the clock starts)

    import pgweyl as pw
    from pgweyl.estimate import TIME_BUDGET
    from pgweyl.exact.symbolic import symbolic_seconds

    env = pw.make_env("corridor", level=30, trap_distance=2)
    estimate = symbolic_seconds(env)
    t0 = time.perf_counter()
    env.symbolic_value()
    measured = time.perf_counter() - t0
    assert estimate / 10 < measured < estimate * 10, (estimate, measured)
    assert estimate < TIME_BUDGET < symbolic_seconds(pw.make_env("corridor", level=200))


def test_api_force_goes_past_the_budget(monkeypatch):
    """With a budget of 1 ns everything is refused; force=True computes, and the answer
    is the one an independent route gives: P(T > 2) = p_0 p_1 on the corridor of level
    3 (the walk 1 → 2 → 1 or back), and E[T] = 11/5 for p = (1/3, 2/3) at level 4 from
    1 (gambler's ruin: E[T] = (z − a (1 − r^z)/(1 − r^a)) / (q − p), r = q/p)."""
    from fractions import Fraction

    import sympy

    import pgweyl as pw
    import pgweyl.estimate

    monkeypatch.setattr(pgweyl.estimate, "TIME_BUDGET", 1e-9)
    env3 = pw.make_env("corridor", level=3, trap_distance=1)
    with pytest.raises(pw.TimeBudgetError):
        pw.survival(env3, 2)
    p0, p1 = sympy.symbols("p_0 p_1")
    assert sympy.expand(pw.survival(env3, 2, force=True) - p0 * p1) == 0
    with pytest.raises(pw.TimeBudgetError):
        pw.mean_exit_time(_corridor(), ["1/3", "2/3"])
    p, q = Fraction(1, 3), Fraction(2, 3)  # up, down
    r = q / p
    expected = (1 - 4 * (1 - r) / (1 - r**4)) / (q - p)
    got = pw.mean_exit_time(_corridor(), ["1/3", "2/3"], force=True)
    assert got == sympy.Rational(expected.numerator, expected.denominator) == sympy.Rational(11, 5)


def test_cli_estimate_refusal(tmp_path):
    r = run(["value", "corridor:level=200", "--symbolic"], tmp_path)
    assert r.returncode == 2 and r.seconds < REFUSAL_SECONDS and r.stdout == ""
    assert r.stderr.startswith(f"{E}the closed forms (--symbolic) of A1 at level 200: estimated")
    assert r.stderr.endswith("use a smaller level; pass --force (force=True) to go ahead\n")
    assert len(r.stderr.splitlines()) == 1


@pytest.mark.slow
def test_cli_estimate_refusals_and_force(tmp_path):
    """--latex on a large simplex, exact --probs at level 3000 refused; with a budget of
    1 ns even the small corridor is, and --force answers it (1/15 and 11/5 by the
    gambler's ruin, test_api_force_goes_past_the_budget). About 15 s when busy."""
    r = run(["value", "simplex:level=12", "--latex"], tmp_path)
    assert r.returncode == 2 and "the closed forms (--latex) of A3 at level 12" in r.stderr
    r = run(["value", "corridor:level=3000", "--probs", "1/3,2/3"], tmp_path)
    assert r.returncode == 2 and "the closed forms (--probs) of A1 at level 3000" in r.stderr

    tiny = {"PGWEYL_TIME_BUDGET": "1e-9"}
    args = ["value", SMALL, "--probs", "1/3,2/3"]
    r = run(args, tmp_path, tiny)
    assert r.returncode == 2 and "estimated at about" in r.stderr
    r = run([*args, "--force"], tmp_path, tiny)
    assert r.returncode == 0, r.stderr
    assert "exit [4, 0]: E[s^T; b] = " in r.stdout and "P(b) = 1/15" in r.stdout
    assert "E[T] = 11/5" in r.stdout


def test_cli_ctrl_c_during_long_symbolic_work(tmp_path):
    """The closed form of a corridor of level 200 (about an hour) with --force: progress
    lines while it runs (stderr piped), a real SIGINT ends it, exit 130, one line."""
    p = subprocess.Popen(
        [sys.executable, "-m", "pgweyl", "value", "corridor:level=200", "--symbolic", "--force"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        preexec_fn=_default_sigint,
    )
    out, err, waited = sigint_after(p, 6.0, timeout=60)
    assert p.returncode == 130, err
    lines = err.splitlines()
    assert lines[-1] == "pgweyl: interrupted" and out == ""
    assert all(ln.startswith("[0/1] ") for ln in lines[:-1]), err  # the phase running
    assert waited < 30.0, waited


def _fresh(code: str):
    r = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    return [ln.split() for ln in r.stdout.splitlines()]


def test_big_exact_integers_print_in_a_fresh_interpreter():
    """Beyond Python's default limit of 4300 digits on int <-> str, in a fresh process:
    a step probability a = 1/10^20000 written out in full is read, and P(T > 2) = a(1 − a)
    on the corridor of level 3 (the walk 1 → 2 → 1 takes one step each way), with 20 000
    nines over 1 and 40 000 zeros, prints; so does P(T > 10000) = (2/9)^5000 at
    p = (1/3, 2/3), whose denominator 3^10000 has 4772 digits (an independent route:
    integer powers)."""
    rows = _fresh(
        """
        import pgweyl as pw
        env = pw.make_env("corridor", level=3, trap_distance=1)
        big = "1" + "0" * 20000
        v = str(pw.survival(env, 2, ["1/" + big, "9" * 20000 + "/" + big]))
        num, den = v.split("/")
        print(len(num), len(den), num == "9" * 20000, den == "1" + "0" * 40000)
        num, den = str(pw.survival(env, 10000, ["1/3", "2/3"])).split("/")
        print(len(num), len(den), int(num) == 2**5000, int(den) == 3**10000)
        """
    )
    assert rows == [["20000", "40001", "True", "True"], ["1506", "4772", "True", "True"]]


@pytest.mark.slow
def test_survival_at_20000_prints():
    """P(T > 20000) = (2/9)^10000 at p = (1/3, 2/3) on the corridor of level 3 (9543-digit
    denominator) computes (about 10 s, as estimated) and prints in a fresh process."""
    rows = _fresh(
        """
        import pgweyl as pw
        env = pw.make_env("corridor", level=3, trap_distance=1)
        num, den = str(pw.survival(env, 20000, ["1/3", "2/3"])).split("/")
        print(len(num), len(den), int(num) == 2**10000, int(den) == 3**20000)
        """
    )
    assert rows == [["3011", "9543", "True", "True"]]
