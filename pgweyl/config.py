"""Numerical thresholds of pgweyl in one place (STUMPY's config habit)."""

#: Default truncation of value distributions: stop at the smallest N with P(T > N) ≤ this.
DEFAULT_TOL = 1e-12

#: First-passage rows are computed in exact integers while |S|^n has at most this many
#: bits; beyond, the table continues in scaled floats (relative error ≤ (n − n0)(|S|−1)ε).
EXACT_BITS_LIMIT = 8192

#: Hard cap on the rows of a first-passage table (a truncation that needs more reports
#: its tail and warns instead).
MAX_TABLE_ROWS = 1_000_000

#: Memory budget of a log table, in float64 entries (rows × (interior + exit points)).
MAX_TABLE_ENTRIES = 20_000_000
