"""Layer 5: local maxima, convergence probabilities, the θ-chain solver."""

from pgweyl.landscape.chain import ChainResult, chain_absorption
from pgweyl.landscape.chain.markov import ThetaChain, theta_chain
from pgweyl.landscape.convergence import (
    ConvergenceResult,
    convergence_probabilities,
    wilson_interval,
)
from pgweyl.landscape.maxima import (
    LocalMaximum,
    deterministic_basin,
    local_maxima,
    total_variation,
)
from pgweyl.landscape.sweep import SweepResult, difficulty_sweep

__all__ = [
    "ChainResult",
    "ConvergenceResult",
    "LocalMaximum",
    "SweepResult",
    "ThetaChain",
    "chain_absorption",
    "convergence_probabilities",
    "deterministic_basin",
    "difficulty_sweep",
    "local_maxima",
    "theta_chain",
    "total_variation",
    "wilson_interval",
]
