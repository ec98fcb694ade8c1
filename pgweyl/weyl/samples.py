"""Representative (type, level, steps) triples for generic property checks.

Every invariant of the geometry layer is run over these in the tests (SageMath's
``samples()`` habit): two levels per type, type A with ``unit`` steps, types B, C, D
with ``signed`` steps (C only at even levels, where signed steps are reflectable).
"""

from __future__ import annotations

import numpy as np

SAMPLES = (
    ("A1", 6, "unit"),
    ("A1", 9, "unit"),
    ("A2", 6, "unit"),
    ("A2", 9, "unit"),
    ("A3", 6, "unit"),
    ("A3", 8, "unit"),
    ("B2", 7, "signed"),
    ("B2", 10, "signed"),
    ("B3", 8, "signed"),
    ("B3", 11, "signed"),
    ("C2", 8, "signed"),
    ("C2", 12, "signed"),
    ("C3", 10, "signed"),
    ("C3", 14, "signed"),
    ("D4", 8, "signed"),
    ("D4", 10, "signed"),
)


def sample_start(alcove) -> tuple:
    """A deterministic interior start near the walls' corner: the interior point
    (representative for A_n) with the smallest coordinates in lexicographic order."""
    pts = alcove.interior_points()
    order = np.lexsort(pts.T[::-1])
    return tuple(int(v) for v in pts[order[0]])


__all__ = ["SAMPLES", "sample_start"]
