"""Layer 3: first-passage tables, value distributions, V, ∇V, symbolic V."""
