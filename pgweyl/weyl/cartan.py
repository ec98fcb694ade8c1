"""Parsing of Cartan type names: the one place where "B3" becomes ("B", 3).

Names are parsed with a regular expression (never ``eval``), and "A34" is A_34. The
families and rank ranges follow THEORY §1: A_n (n ≥ 1), B_n (n ≥ 2), C_n (n ≥ 2),
D_n (n ≥ 4).

>>> parse_cartan("b3")
CartanType(family='B', rank=3)
>>> str(parse_cartan(" A34 "))
'A34'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pgweyl.errors import CartanTypeError

_MIN_RANK = {"A": 1, "B": 2, "C": 2, "D": 4}
_PATTERN = re.compile(r"^\s*([A-Za-z])\s*_?\s*([0-9]+)\s*$")


@dataclass(frozen=True)
class CartanType:
    """A Cartan type of the classical families: a family letter and a rank.

    ``CartanType(family, rank)``; :attr:`dim` is the ambient dimension and ``str()``
    gives the canonical name (``"B3"``).
    """

    family: str
    rank: int

    @property
    def dim(self) -> int:
        """Dimension d of the ambient space V = R^d (n + 1 for A_n, n otherwise)."""
        return self.rank + 1 if self.family == "A" else self.rank

    def __str__(self) -> str:
        return f"{self.family}{self.rank}"


def parse_cartan(name) -> CartanType:
    """Parse "A2", "B3", "C_4", "d5" (or a :class:`CartanType`) into a :class:`CartanType`.

    The one place where type names are parsed. Raises :class:`CartanTypeError` for
    anything else, naming the input.

    >>> str(parse_cartan(" b_3 "))
    'B3'
    """
    if isinstance(name, CartanType):
        return name
    if not isinstance(name, str):
        raise CartanTypeError(f"Cartan type must be a string like 'A2' or 'B3', got {name!r}")
    match = _PATTERN.match(name)
    if match is None:
        raise CartanTypeError(
            f"{name!r} is not a valid Cartan type; expected a family letter A, B, C or D "
            "followed by the rank, e.g. 'A2', 'B3'"
        )
    family, rank = match.group(1).upper(), int(match.group(2))
    if family not in _MIN_RANK:
        raise CartanTypeError(
            f"{name!r} is not a supported Cartan type: family {family} is not one of A, B, C, D"
        )
    if rank < _MIN_RANK[family]:
        raise CartanTypeError(
            f"{name!r} is not a valid Cartan type: {family}_n needs n >= {_MIN_RANK[family]}"
        )
    return CartanType(family, rank)
