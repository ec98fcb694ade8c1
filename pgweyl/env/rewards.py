"""Terminal rewards R(b) and the return G (THEORY §3).

R(b) comes either from per-wall rewards r_0..r_r combined over the walls containing b
by a corner rule (``max`` default, ``min``, ``sum``, ``mean``), or from an explicit
table b ↦ R(b) (points absent pay 0; for A_n keys are representatives with last
coordinate 0). With discount γ and step cost c the return of an episode ending at b
at time T is

    G = γ^{T−1} R(b) − c Σ_{t<T} γ^t = γ^{T−1} R(b) − c (1 − γ^T)/(1 − γ)   (γ < 1)
                                      = R(b) − c T                           (γ = 1).
"""

from __future__ import annotations

import numbers

import numpy as np

from pgweyl.errors import RewardError

CORNER_RULES = ("max", "min", "sum", "mean")


def check_wall_rewards(wall_rewards, n_walls: int) -> tuple:
    try:
        vals = tuple(float(v) for v in wall_rewards)
    except (TypeError, ValueError):
        raise RewardError(f"wall_rewards {wall_rewards!r} must be a sequence of numbers") from None
    if len(vals) != n_walls:
        raise RewardError(
            f"wall_rewards must have {n_walls} entries (walls 0..{n_walls - 1}), got {len(vals)}"
        )
    if not all(np.isfinite(vals)):
        raise RewardError(f"wall_rewards must be finite, got {list(vals)}")
    return vals


def corner_reward(walls: tuple, wall_rewards: tuple, corner: str) -> float:
    """Combine the rewards of the walls containing a point by the corner rule."""
    vals = [wall_rewards[j] for j in walls]
    if corner == "max":
        return max(vals)
    if corner == "min":
        return min(vals)
    if corner == "sum":
        return float(sum(vals))
    return float(sum(vals) / len(vals))


def check_reward_table(table, alcove) -> dict:
    """Validate {boundary point: reward}; return it keyed by representative tuples."""
    if not hasattr(table, "items"):
        raise RewardError("reward_table must be a mapping {boundary point: reward}")
    boundary = {tuple(p) for p in alcove.boundary_points().tolist()}
    out = {}
    for key, val in table.items():
        try:
            pt = tuple(int(v) for v in key)
            ok = len(pt) == alcove.dim and all(float(v) == int(v) for v in key)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise RewardError(f"reward_table key {key!r} is not an integer point of Z^{alcove.dim}")
        if alcove.is_prism and pt[-1] != 0:
            raise RewardError(
                f"reward_table key {list(pt)}: for {alcove.cartan} key points by their "
                "representative with last coordinate 0"
            )
        if pt not in boundary:
            raise RewardError(f"reward_table key {list(pt)} is not a boundary point of {alcove!r}")
        if isinstance(val, bool) or not isinstance(val, numbers.Real) or not np.isfinite(val):
            raise RewardError(f"reward_table value for {list(pt)} must be a finite number")
        out[pt] = float(val)
    return out


def episode_returns(rewards, times, gamma: float, step_cost: float) -> np.ndarray:
    """G(b, T) for arrays of terminal rewards R(b) and exit times T (T ≥ 1)."""
    rewards = np.asarray(rewards, dtype=float)
    times = np.asarray(times, dtype=float)
    if gamma == 1.0:
        return rewards - step_cost * times
    disc = gamma ** (times - 1.0)
    return disc * rewards - step_cost * (1.0 - gamma * disc) / (1.0 - gamma)


__all__ = [
    "CORNER_RULES",
    "corner_reward",
    "check_reward_table",
    "check_wall_rewards",
    "episode_returns",
]
