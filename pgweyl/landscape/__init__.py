"""Layer 5: local maxima, convergence probabilities, the θ-chain solver."""

from pgweyl.landscape.chain import ChainResult, chain_absorption
from pgweyl.landscape.maxima import (
    LocalMaximum,
    deterministic_basin,
    local_maxima,
    total_variation,
)

__all__ = [
    "ChainResult",
    "LocalMaximum",
    "chain_absorption",
    "deterministic_basin",
    "local_maxima",
    "total_variation",
]
