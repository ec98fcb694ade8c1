"""The public names of ``pgweyl`` and ``pgweyl.exact`` (ARCHITECTURE's contract).

The top level derives the closed forms from ``pgweyl.exact.closed_forms.__all__`` (named
once there) and loads the simulation layer and the studies lazily; these tests pin the
set of names, so a name lost or gained by either derivation fails here.
"""

import subprocess
import sys

import pytest

import pgweyl
import pgweyl.exact
import pgweyl.exact.closed_forms as closed_forms

#: pgweyl.__all__ as the public contract lists it (docs/api.md), written out by hand.
TOP_LEVEL = {
    "AccuracyError",
    "AgentError",
    "Alcove",
    "AlcoveWalkEnv",
    "ArgumentError",
    "CartanType",
    "CartanTypeError",
    "ChainResult",
    "CompareResult",
    "ConvergenceResult",
    "DimensionError",
    "EnvSpec",
    "LevelError",
    "LocalMaximum",
    "NotReflectableError",
    "PgweylError",
    "ReinforceResult",
    "ResourceError",
    "RewardError",
    "RootSystem",
    "Rule",
    "RuleError",
    "SpecError",
    "TimeBudgetError",
    "StartError",
    "StepSet",
    "StepSetError",
    "ThetaChain",
    "TruncationWarning",
    "ValueDistribution",
    "WeylGroup",
    "__version__",
    "chain_absorption",
    "check_reflectable",
    "closed_form_latex",
    "closed_form_report",
    "closed_form_value",
    "compare",
    "config",
    "convergence_probabilities",
    "count_paths",
    "deterministic_basin",
    "exit_generating_functions",
    "exit_probabilities",
    "expected_update",
    "landscape",
    "list_envs",
    "load_env",
    "local_maxima",
    "make_env",
    "mean_exit_time",
    "open_sweep",
    "parse_cartan",
    "parse_env_spec",
    "parse_rule",
    "policy_probabilities",
    "reinforce",
    "simulate_episodes",
    "survival",
    "sweep",
    "theta_chain",
}

CLOSED_FORMS = {
    "closed_form_latex",
    "closed_form_report",
    "closed_form_value",
    "exit_generating_functions",
    "exit_probabilities",
    "mean_exit_time",
    "policy_probabilities",
    "survival",
}

EXACT = CLOSED_FORMS | {
    "ExactSolver",
    "LogTable",
    "TiltedTransfer",
    "TruncationWarning",
    "ValueDistribution",
    "first_passage_reflection",
    "first_passage_transfer",
    "generating_functions",
    "score_weighted_sum",
    "value_function",
    "value_latex",
}


def test_top_level_names_are_the_contract():
    assert len(pgweyl.__all__) == len(set(pgweyl.__all__))
    assert set(pgweyl.__all__) == TOP_LEVEL


def test_exact_names_are_unchanged():
    assert len(pgweyl.exact.__all__) == len(set(pgweyl.exact.__all__))
    assert set(pgweyl.exact.__all__) == EXACT
    assert set(closed_forms.__all__) == CLOSED_FORMS


@pytest.mark.parametrize("name", sorted(TOP_LEVEL))
def test_from_pgweyl_import_each_name(name):
    namespace = {}
    exec(f"from pgweyl import {name}", namespace)
    assert namespace[name] is getattr(pgweyl, name)


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_closed_forms_are_one_object_at_every_level(name):
    obj = getattr(closed_forms, name)
    assert getattr(pgweyl.exact, name) is obj
    assert getattr(pgweyl, name) is obj


def test_star_import_gives_exactly_all():
    # `from pgweyl import *` resolves every lazy name too, in a fresh interpreter
    code = (
        "ns = {}; exec('from pgweyl import *', ns); import pgweyl; "
        "print(sorted(set(ns) - {'__builtins__'}) == sorted(pgweyl.__all__))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_closed_form_helpers_stay_off_the_top_level():
    # closed_forms' helpers (imported by name by its siblings) are not re-exported
    for helper in ("METHODS", "SURVIVAL_METHODS", "check_probs", "step_symbols"):
        assert hasattr(closed_forms, helper)
        assert not hasattr(pgweyl, helper)
        assert helper not in pgweyl.exact.__all__
