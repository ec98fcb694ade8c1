"""pgweyl — policy gradient on exactly solvable POMDPs.

A blind agent walks in an alcove of an affine Weyl group; the value distribution is an
integer table of first-passage counts (reflection principle) tilted by the policy.
Import the public API from here: ``import pgweyl as pw``.
"""

from pgweyl import (
    config,
    landscape,
    study,  # noqa: F401  (pw.study.difficulty_sweep; __all__ unchanged)
)
from pgweyl._version import __version__  # noqa: E402  (one place: results record it)
from pgweyl.env import AlcoveWalkEnv, EnvSpec, list_envs, load_env, make_env, parse_env_spec
from pgweyl.errors import (
    AccuracyError,
    AgentError,
    ArgumentError,
    CartanTypeError,
    DimensionError,
    LevelError,
    NotReflectableError,
    PgweylError,
    ResourceError,
    RewardError,
    SpecError,
    StartError,
    StepSetError,
    TimeBudgetError,
)
from pgweyl.exact import TruncationWarning, ValueDistribution
from pgweyl.exact import closed_forms as _closed_forms
from pgweyl.exact.closed_forms import *  # noqa: F403  (the closed forms: their __all__)
from pgweyl.landscape import (
    ChainResult,
    ConvergenceResult,
    LocalMaximum,
    ThetaChain,
    chain_absorption,
    convergence_probabilities,
    deterministic_basin,
    local_maxima,
    theta_chain,
)
from pgweyl.rules import Rule, RuleError, expected_update, parse_rule
from pgweyl.weyl import (
    Alcove,
    CartanType,
    RootSystem,
    StepSet,
    WeylGroup,
    check_reflectable,
    count_paths,
    parse_cartan,
)

_LAZY = {"ReinforceResult", "reinforce", "simulate_episodes"}


def __getattr__(name):
    # The simulation layer imports Numba (~0.15 s); load it on first use only.
    if name in _LAZY:
        from pgweyl import sim

        return getattr(sim, name)
    # The studies pull in the simulation layer, and sweeps dask, xarray and zarr (imported
    # when a sweep runs): loaded on first use.
    if name in ("compare", "CompareResult"):
        from pgweyl.study import compare as module
    elif name in ("sweep", "open_sweep"):
        from pgweyl.study import sweep as module
    else:
        raise AttributeError(f"module 'pgweyl' has no attribute {name!r}")
    return getattr(module, name)


__all__ = [
    "AccuracyError",
    "CompareResult",
    "Rule",
    "RuleError",
    "compare",
    "expected_update",
    "parse_rule",
    "Alcove",
    "AlcoveWalkEnv",
    "ArgumentError",
    "CartanType",
    "AgentError",
    "CartanTypeError",
    "ChainResult",
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
    "SpecError",
    "RootSystem",
    "StartError",
    "StepSet",
    "StepSetError",
    "TimeBudgetError",
    "ThetaChain",
    "TruncationWarning",
    "ValueDistribution",
    "WeylGroup",
    "__version__",
    "chain_absorption",
    "check_reflectable",
    "config",
    "convergence_probabilities",
    "count_paths",
    "deterministic_basin",
    "landscape",
    "list_envs",
    "load_env",
    "local_maxima",
    "make_env",
    "open_sweep",
    "parse_env_spec",
    "parse_cartan",
    "reinforce",
    "simulate_episodes",
    "sweep",
    "theta_chain",
]
__all__ += _closed_forms.__all__  # the closed forms, named once (closed_forms)
