"""Layer 3: first-passage tables, value distributions, V, ∇V, symbolic V."""

from pgweyl.exact import closed_forms
from pgweyl.exact.closed_forms import *  # noqa: F403  (the closed forms: closed_forms.__all__)
from pgweyl.exact.distribution import ValueDistribution
from pgweyl.exact.solver import ExactSolver, score_weighted_sum
from pgweyl.exact.symbolic import generating_functions, value_function, value_latex
from pgweyl.exact.tables import LogTable, first_passage_reflection, first_passage_transfer
from pgweyl.exact.tilted import TiltedTransfer, TruncationWarning

__all__ = [
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
]
__all__ += closed_forms.__all__
