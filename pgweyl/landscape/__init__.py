"""Layer 5: the analysis of a landscape — local maxima, convergence probabilities, the θ-chain
solver. The studies built on it are in :mod:`pgweyl.study`."""

from pgweyl.landscape.chain import ChainResult, chain_absorption
from pgweyl.landscape.chain.markov import ThetaChain, theta_chain
from pgweyl.landscape.convergence import ConvergenceResult, convergence_probabilities
from pgweyl.landscape.maxima import (
    LocalMaximum,
    deterministic_basin,
    local_maxima,
    total_variation,
)
from pgweyl.landscape.shares import wilson_interval

__all__ = [
    "ChainResult",
    "ConvergenceResult",
    "LocalMaximum",
    "ThetaChain",
    "chain_absorption",
    "convergence_probabilities",
    "deterministic_basin",
    "local_maxima",
    "theta_chain",
    "total_variation",
    "wilson_interval",
]
