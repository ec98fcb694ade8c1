"""Layer 3: first-passage tables, value distributions, V, ∇V, symbolic V."""

from pgweyl.exact.closed_forms import (
    closed_form_latex,
    closed_form_report,
    closed_form_value,
    exit_generating_functions,
    exit_probabilities,
    mean_exit_time,
    policy_probabilities,
    survival,
)
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
    "closed_form_latex",
    "closed_form_report",
    "closed_form_value",
    "exit_generating_functions",
    "exit_probabilities",
    "first_passage_reflection",
    "first_passage_transfer",
    "generating_functions",
    "mean_exit_time",
    "policy_probabilities",
    "score_weighted_sum",
    "survival",
    "value_function",
    "value_latex",
]
