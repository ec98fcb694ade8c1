"""The catalog of environment families: ``make_env(name, **knobs)``, ``list_envs()``.

Every family has a start next to cheap "trap" walls and a far "treasure" wall 0; its
exploration difficulty is the ``level`` knob (the treasure moves away as it grows).

- ``corridor`` — A1, unit steps: the interval 0 < x_1 − x_2 < level. Start at distance
  ``trap_distance`` from wall 1 (the trap, reward ``trap_reward``) and
  ``level − trap_distance`` from wall 0 (the treasure, ``treasure_reward``). The worked
  example of THEORY §7 at its defaults.
- ``triangle`` — A2, unit steps, start (2, 1, 0) (one step from walls 1 and 2, level − 2
  from wall 0), wall rewards (r0, r1, r2).
- ``triangle-signed`` — B2, signed steps ±e_i, start (2, 1) (one step from walls 1
  and 2, level − 3 from wall 0), wall rewards (r0, r1, r2).
- ``simplex`` — A3, unit steps, start (3, 2, 1, 0), wall rewards (r0, r1, r2, r3).

>>> make_env("corridor").start.tolist()
[2, 0]
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from pgweyl.env.environment import AlcoveWalkEnv
from pgweyl.errors import ArgumentError
from pgweyl.serialize import dataclass_to_dict

_COMMON = {"gamma": 0.95, "step_cost": 0.0, "corner": "max", "policy": "exp"}


@dataclass(frozen=True)
class EnvFamily:
    """One catalog entry: its knobs with defaults and which knob is the difficulty."""

    name: str
    cartan: str
    steps: str
    summary: str
    knobs: dict = field(default_factory=dict)
    difficulty: str = "level"

    def to_dict(self) -> dict:
        return dataclass_to_dict(self)


FAMILIES = {
    "corridor": EnvFamily(
        "corridor",
        "A1",
        "unit",
        "interval 0 < x1-x2 < level; trap wall 1 at trap_distance, treasure wall 0 beyond",
        {"level": 8, "trap_distance": 2, "trap_reward": 0.5, "treasure_reward": 1.0, **_COMMON},
    ),
    "triangle": EnvFamily(
        "triangle",
        "A2",
        "unit",
        "triangle x1 > x2 > x3 > x1-level; start (2,1,0) by walls 1, 2; treasure wall 0",
        {"level": 6, "r0": 1.0, "r1": 0.6, "r2": 0.3, **_COMMON},
    ),
    "triangle-signed": EnvFamily(
        "triangle-signed",
        "B2",
        "signed",
        "triangle x1 > x2 > 0, x1+x2 < level with steps ±e_i; start (2,1); treasure wall 0",
        {"level": 7, "r0": 1.0, "r1": 0.6, "r2": 0.3, **_COMMON},
    ),
    "simplex": EnvFamily(
        "simplex",
        "A3",
        "unit",
        "tetrahedron x1 > x2 > x3 > x4 > x1-level; start (3,2,1,0); treasure wall 0",
        {"level": 6, "r0": 1.0, "r1": 0.6, "r2": 0.45, "r3": 0.3, **_COMMON},
    ),
}


def list_envs() -> list[EnvFamily]:
    """The catalog families, in a stable order (:func:`make_env` lists their knobs).

    Each :class:`EnvFamily` has ``name``, ``cartan``, ``steps``, ``summary``, ``knobs``
    (dict of defaults), ``difficulty`` and ``to_dict()``.

    >>> [f.name for f in list_envs()]
    ['corridor', 'triangle', 'triangle-signed', 'simplex']
    """
    return list(FAMILIES.values())


def _coerce(family: EnvFamily, key: str, value):
    default = family.knobs[key]
    if isinstance(default, bool) or isinstance(default, str):
        if not isinstance(value, str):
            raise ArgumentError(f"{family.name}: knob {key} must be a string, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
            return int(value)
        if (
            isinstance(value, numbers.Real)
            and not isinstance(value, (bool, np.bool_))
            and math.isfinite(value)
            and float(value).is_integer()
        ):
            return int(value)  # 8.0 from a TOML float
        raise ArgumentError(f"{family.name}: knob {key} must be an integer, got {value!r}")
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise ArgumentError(f"{family.name}: knob {key} must be a number, got {value!r}")
    return float(value)


def make_env(name: str, **knobs) -> AlcoveWalkEnv:
    """Build a catalog environment; unknown names or knobs raise ArgumentError.

    Every family shares the knobs ``gamma=0.95``, ``step_cost=0.0``, ``corner="max"``,
    ``policy="exp"``; its difficulty knob is ``level``.

    | family | type, steps | start | own knobs (defaults) |
    |---|---|---|---|
    | corridor | A1, unit | (trap_distance, 0) | level=8, trap_distance=2, |
    | | | | trap_reward=0.5, treasure_reward=1.0 |
    | triangle | A2, unit | (2, 1, 0) | level=6, r0=1.0, r1=0.6, r2=0.3 |
    | triangle-signed | B2, signed | (2, 1) | level=7, r0=1.0, r1=0.6, r2=0.3 |
    | simplex | A3, unit | (3, 2, 1, 0) | level=6, r0=1.0, r1=0.6, r2=0.45, r3=0.3 |

    In the corridor wall 1 (x_1 = x_2) is the trap and wall 0 the treasure (the worked
    example of THEORY §7).

    >>> make_env("corridor", level=10).level
    10
    """
    if name not in FAMILIES:
        raise ArgumentError(f"unknown environment {name!r}; known: {', '.join(FAMILIES)}")
    family = FAMILIES[name]
    unknown = sorted(set(knobs) - set(family.knobs))
    if unknown:
        raise ArgumentError(
            f"{name}: unknown knob(s) {', '.join(unknown)}; knobs are {', '.join(family.knobs)}"
        )
    k = {
        key: _coerce(family, key, knobs.get(key, default)) for key, default in family.knobs.items()
    }
    common = {key: k[key] for key in _COMMON}
    if k["level"] <= 0:  # before any knob that depends on it
        raise ArgumentError(f"{name}: level must be a positive integer, got {k['level']}")
    if name == "corridor":
        if not 1 <= k["trap_distance"] <= k["level"] - 1:
            raise ArgumentError(
                f"corridor: trap_distance must be between 1 and level-1 = "
                f"{k['level'] - 1}, got {k['trap_distance']}"
            )
        return AlcoveWalkEnv(
            "A1",
            k["level"],
            "unit",
            (k["trap_distance"], 0),
            wall_rewards=(k["treasure_reward"], k["trap_reward"]),
            **common,
        )
    rank = int(family.cartan[1:])
    rewards = tuple(k[f"r{j}"] for j in range(rank + 1))
    start = {"triangle": (2, 1, 0), "triangle-signed": (2, 1), "simplex": (3, 2, 1, 0)}[name]
    return AlcoveWalkEnv(
        family.cartan, k["level"], family.steps, start, wall_rewards=rewards, **common
    )


__all__ = ["EnvFamily", "FAMILIES", "list_envs", "make_env"]
