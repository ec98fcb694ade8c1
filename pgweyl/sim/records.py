"""The records the REINFORCE kernel consumes: a few named tuples of plain arrays/scalars.

QuantEcon's habit: the Python layer validates and builds these once; the jitted kernel
only computes. Numba types a named tuple by its fields, so one compiled signature serves
every environment (arrays carry the sizes; nothing is closed over as a constant).

- :data:`Walk` — the walk: start λ, steps (int and float), ``delta[i, j] = (s_i, a_j)``,
  the wall slacks at λ, whether rewards are looked up modulo (1, …, 1) (type A), and the
  policy family code (``POLICY_EXP`` or ``POLICY_SOFTMAX``).
- :data:`Payoff` — R(b) on a dense box over exit-point representatives (NaN off the
  exit points), the return's γ and step cost, and γ^{T−1} tabulated for short episodes.
- :data:`Rule` — the update: step size α_k (constant or α_0/(1 + k/τ)^p), batch B,
  baseline (none, constant, running mean), and the rule (vanilla, natural with the exact
  Fisher E_θ[T]·Cov(S), entropy with weight ``ent_tau``; :mod:`pgweyl.rules`).
- :data:`Graph` — the interior step graph (succ table) and its elimination order and
  envelope, for E_θ[T] at every update (:mod:`pgweyl.sim.natural`).
- :data:`GraphWalk` — the walk as its step graph for the lean kernel: successors with
  exits coded −1 − e, each exit's displacement and reward, and zero tuples whose lengths
  (part of their Numba type) specialise the kernel to the number of steps and dimensions.
- :data:`Targets` — policies a run stops at (total variation ≤ eps; a flat target is a
  face of maxima, reached when the mass outside its support is ≤ eps).
- :data:`ExactSampler` — the tilted-table sampler's cells and survival row (the kernel
  gets None instead for the lattice walk, and ``graph`` None for rules other than natural).
- :data:`Outputs` — arrays the kernel writes per run.
"""

from __future__ import annotations

from collections import namedtuple

POLICY_EXP = 0
POLICY_SOFTMAX = 1
SCHEDULE_CONSTANT = 0
SCHEDULE_DECAY = 1
BASELINE_NONE = 0
BASELINE_CONSTANT = 1
BASELINE_MEAN = 2
ERROR_NO_REWARD = 1
ERROR_NONFINITE = 2

Walk = namedtuple("Walk", "start vectors vectors_f delta slack0 prism policy_kind")
Payoff = namedtuple("Payoff", "lo shape strides table gamma step_cost gpow")
Rule = namedtuple("Rule", "lr schedule tau power batch baseline_kind baseline_value kind ent_tau")
#: The step graph for the rules that need E_θ[T] at every update (natural gradient):
#: ``succ`` (state 0 = λ) and its elimination plan (:func:`pgweyl.sim.natural.exit_time_graph`).
Graph = namedtuple("Graph", "succ n_states band_succ width row_end col_end cols")
#: The lean kernel's walk (:func:`pgweyl.sim.arrays.graph_walk`).
GraphWalk = namedtuple("GraphWalk", "succ disp reward lift zeros_k zeros_d")
RULE_VANILLA = 0
RULE_NATURAL = 1
RULE_ENTROPY = 2
Targets = namedtuple("Targets", "policies flat eps")
ExactSampler = namedtuple(
    "ExactSampler",
    "gauge log_k n_table cell_logq cell_n cell_delta cell_pt "
    "state_logq state_delta state_pt state_slack",
)
Outputs = namedtuple("Outputs", "final_theta stopped_at target_index trajectory errors")

__all__ = [
    "ExactSampler",
    "Outputs",
    "Graph",
    "GraphWalk",
    "Payoff",
    "Rule",
    "Targets",
    "Walk",
]
