"""No Numba kernel in pgweyl takes more than 14 positional parameters (records instead:
STYLE, "a kernel with dozens of positional arguments is a sign that records are
missing")."""

import importlib
import inspect
import pkgutil

from numba.core.registry import CPUDispatcher

import pgweyl

MAX_PARAMS = 14


def _kernels():
    for info in pkgutil.walk_packages(pgweyl.__path__, "pgweyl."):
        if info.name.endswith("__main__"):
            continue
        try:
            mod = importlib.import_module(info.name)
        except ImportError:  # an optional dependency (Dask, Gymnasium) is missing
            continue
        for name, obj in vars(mod).items():
            if isinstance(obj, CPUDispatcher) and obj.py_func.__module__ == mod.__name__:
                yield f"{mod.__name__}.{name}", len(inspect.signature(obj.py_func).parameters)


def test_kernels_are_found():
    names = dict(_kernels())
    assert "pgweyl.exact.kernels.advance_rows" in names
    assert "pgweyl.sim.kernels._reinforce_rows" in names


def test_no_kernel_has_more_than_14_parameters():
    over = {name: n for name, n in _kernels() if n > MAX_PARAMS}
    assert not over, f"kernels over {MAX_PARAMS} positional parameters: {over}"
