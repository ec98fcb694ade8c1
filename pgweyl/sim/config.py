"""Numba flags and numerical settings of the simulation layer, in one place.

``fastmath`` stays off everywhere: reassociating the cumulative-probability sums or the
θ updates would make results depend on vector width, and the same seed must give the
same bits on every machine thread count (STYLE: STUMPY PR #1048).
"""

from __future__ import annotations

from pgweyl.config import DEFAULT_TOL, SAMPLERS  # noqa: F401  (SAMPLERS: one place, pgweyl.config)

# Serial kernels (one episode, one run): cached on disk so the first call of a new
# process does not recompile.
NJIT = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}

# Drivers that loop over independent runs/streams with ``prange``.
NJIT_PARALLEL = {**NJIT, "parallel": True}

# Small helpers called once or twice per update of a REINFORCE run: inlined by Numba
# (in its IR, before LLVM), which saves the call and the reference counting of the
# arrays passed (measured: 241 → 190 ns per update on the corridor).
NJIT_INLINE = {**NJIT, "inline": "always"}

# ``simulate_episodes`` gives each block of this many consecutive episodes its own RNG
# stream. Fixed (not derived from n or the thread count), so episode i is the same
# draw whatever n is, and spawning a SeedSequence per episode is avoided.
EPISODES_PER_STREAM = 1024

# The most updates a run may take: the kernels visit θ_0 … θ_n, n + 1 points, in an int64
# loop (n = 2^63 − 1 wrapped to an empty loop: every run "unresolved" at once).
MAX_UPDATES = 2**63 - 2

# Words of SeedSequence state per stream: the whole xoshiro256** state (4 × 64 bits).
RNG_STATE_WORDS = 4


# Truncation of the exact law drawn by sampler="exact" (mass beyond is ≤ this).
EXACT_SAMPLER_TOL = DEFAULT_TOL

# The lean REINFORCE kernel keeps π (k steps) and θ (d coordinates) in registers and is
# compiled for each (k, d) with its loops unrolled; above this size the general kernel
# (the same bits) runs instead, so no shape unrolls into a huge kernel.
LEAN_MAX_SIZE = 8

# Largest trajectory (runs × records × dim floats) reinforce agrees to allocate.
MAX_TRAJECTORY_FLOATS = 200_000_000
