"""JSON-ready conversion shared by the command, the demo and the examples."""

from __future__ import annotations

import math

import numpy as np


def jsonable(x):
    """NumPy scalars/arrays and tuples to plain Python; NaN and ±inf to None (strict JSON).

    >>> jsonable({"a": np.array([1.0, np.nan]), "b": (np.int64(2),)})
    {'a': [1.0, None], 'b': [2]}
    """
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


__all__ = ["jsonable"]
