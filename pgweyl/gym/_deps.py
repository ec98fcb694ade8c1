"""The optional dependency of :mod:`pgweyl.gym`: gymnasium (``pip install 'pgweyl[gym]'``).

Kept apart so that the command-line glue (:mod:`pgweyl.cli.grade`) can be imported, and
its arguments declared, on an installation without gymnasium; the error then comes when
the command runs, as one line.

>>> require_gymnasium().__name__
'gymnasium'
"""

from __future__ import annotations

from pgweyl.errors import MissingDependencyError

INSTALL_HINT = "python -m pip install 'pgweyl[gym]'"


def require_gymnasium():
    """The ``gymnasium`` module, or :class:`MissingDependencyError` naming the install."""
    try:
        import gymnasium
    except ImportError:
        raise MissingDependencyError(
            f"pgweyl.gym needs gymnasium (>= 1.0), which is not installed: {INSTALL_HINT}"
        ) from None
    return gymnasium


__all__ = ["INSTALL_HINT", "MissingDependencyError", "require_gymnasium"]
