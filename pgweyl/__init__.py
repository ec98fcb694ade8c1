"""pgweyl — policy gradient on exactly solvable POMDPs.

A blind agent walks in an alcove of an affine Weyl group; the value distribution is an
integer table of first-passage counts (reflection principle) tilted by the policy.
Import the public API from here: ``import pgweyl as pw``.
"""

from pgweyl.errors import (
    ArgumentError,
    CartanTypeError,
    DimensionError,
    LevelError,
    NotReflectableError,
    PgweylError,
    StartError,
    StepSetError,
)
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

__version__ = "0.1.0"

__all__ = [
    "Alcove",
    "ArgumentError",
    "CartanType",
    "CartanTypeError",
    "DimensionError",
    "LevelError",
    "NotReflectableError",
    "PgweylError",
    "RootSystem",
    "StartError",
    "StepSet",
    "StepSetError",
    "WeylGroup",
    "check_reflectable",
    "count_paths",
    "parse_cartan",
    "__version__",
]

from pgweyl.env import AlcoveWalkEnv, list_envs, make_env  # noqa: E402

__all__ += ["AlcoveWalkEnv", "list_envs", "make_env"]
