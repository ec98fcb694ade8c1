"""Exception types of pgweyl.

Every error a user can provoke with bad input is a subclass of :class:`PgweylError`
and of the built-in exception that fits it (mostly :class:`ValueError`), so callers
can catch either. Messages are one line and name the offending value.
"""

from __future__ import annotations


class PgweylError(Exception):
    """Base class of every error pgweyl raises on purpose."""


class CartanTypeError(PgweylError, ValueError):
    """Unknown Cartan type, or a rank outside the family's range (e.g. "B1", "D3")."""


class LevelError(PgweylError, ValueError):
    """Alcove level not a positive integer, or too small to have an interior lattice point."""


class DimensionError(PgweylError, ValueError):
    """A vector has the wrong length for the ambient space, or is not a vector of finite numbers."""


class StartError(PgweylError, ValueError):
    """A start point that is not an integer point, not on the walk lattice, or not interior."""


class StepSetError(PgweylError, ValueError):
    """A step set that cannot be built for the requested type (e.g. signed steps on A_n)."""


class NotReflectableError(PgweylError, ValueError):
    """The step set violates (R1), (R2) or (R3) of THEORY §2 for this alcove.

    Raised by :func:`pgweyl.check_reflectable` (and so by environments and
    ``count_paths(method="reflection")``).

    Attributes
    ----------
    condition : str
        "R1", "R2" or "R3".
    witness : dict
        The concrete failing data (step, point, root, ...), as plain Python values.
    """

    def __init__(self, condition: str, message: str, witness: dict):
        super().__init__(f"{condition} fails: {message}")
        self.condition = condition
        self.witness = witness
        self._args = (condition, message, witness)

    def __reduce__(self):  # picklable, so it crosses process boundaries (Dask workers)
        return (type(self), self._args)


class ArgumentError(PgweylError, ValueError):
    """A plain argument out of its domain (γ ∉ (0, 1], negative step count, unknown method,
    unknown catalog knob, ...)."""


class RewardError(PgweylError, ValueError):
    """Rewards that cannot define an environment (wrong count, non-finite, bad table key)."""


class SpecError(PgweylError, ValueError):
    """A malformed environment spec (``name:key=value,...`` or a TOML file)."""


class ResourceError(PgweylError, MemoryError):
    """A request whose estimated memory exceeds the budget ``pgweyl.config.MEMORY_BUDGET``.

    Raised *before* anything large is allocated; the message names the estimate, the
    budget and what to change. Attributes: ``needed`` and ``budget`` in bytes."""

    def __init__(self, message: str, needed: float = float("nan"), budget: float = float("nan")):
        super().__init__(message)
        self.needed = needed
        self.budget = budget

    def __reduce__(self):  # picklable, so it crosses process boundaries (Dask workers)
        return (type(self), (str(self), self.needed, self.budget))


class AccuracyError(PgweylError, ArithmeticError):
    """No route can deliver the requested tolerance within the budget.

    The message says what error bound was reached and what to change (a larger
    ``tol``, a larger memory budget, another ``method``)."""


class MissingDependencyError(PgweylError, ImportError):
    """An optional dependency is not installed: the message names it and the extra that
    brings it (``pip install 'pgweyl[sweep]'`` for dask, distributed, xarray and zarr;
    ``'pgweyl[gym]'`` for gymnasium)."""


class AgentError(ArgumentError):
    """User code run by :func:`pgweyl.gym.grade` failed: an agent factory or agent that
    raised (or called ``sys.exit``), a module that does not import, a factory that returned
    no agent, or results (``settings``, ``policy()``) that are not what the protocol asks.

    The message is one line naming the agent and what went wrong; ``user_traceback`` is
    the agent's own traceback (its frames only, none of pgweyl's; "" when the fault is a
    result, not an exception). Attributes: ``agent`` (its name), ``user_traceback``.
    A subclass of :class:`ArgumentError`: the agent is an argument of ``grade``."""

    def __init__(self, message: str, agent: str = "", user_traceback: str = ""):
        super().__init__(message)
        self.agent = agent
        self.user_traceback = user_traceback

    def __reduce__(self):  # picklable, so it crosses process boundaries
        return (type(self), (str(self), self.agent, self.user_traceback))


class TimeBudgetError(PgweylError, RuntimeError):
    """A request whose estimated run time exceeds ``pgweyl.estimate.TIME_BUDGET``.

    Raised *before* the work starts (or, where only a first piece can tell, right after
    it); the message names the estimate, the budget and ``--force`` (``force=True`` in the
    API) to go ahead. Attributes: ``seconds`` (the estimate) and ``budget``."""

    def __init__(self, message: str, seconds: float = float("nan"), budget: float = float("nan")):
        super().__init__(message)
        self.seconds = seconds
        self.budget = budget

    def __reduce__(self):
        return (type(self), (str(self), self.seconds, self.budget))
