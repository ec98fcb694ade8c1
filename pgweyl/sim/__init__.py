"""Layer 4: Numba simulation — walks, the exact-table sampler, REINFORCE runs.

Kernels live in :mod:`pgweyl.sim.kernels` (private, array-driven); the public entry
points are :func:`simulate_episodes` and :func:`reinforce`.
"""

from pgweyl.sim.episodes import simulate_episodes
from pgweyl.sim.reinforce import ReinforceResult, reinforce

__all__ = ["ReinforceResult", "reinforce", "simulate_episodes"]
