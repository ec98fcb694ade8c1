"""Layer 2: the POMDP (alcove + steps + start + rewards + γ) and the catalog."""

from pgweyl.env.catalog import FAMILIES, EnvFamily, list_envs, make_env
from pgweyl.env.environment import AlcoveWalkEnv
from pgweyl.env.policy import POLICY_KINDS, Policy
from pgweyl.env.rewards import CORNER_RULES, episode_returns

__all__ = [
    "AlcoveWalkEnv",
    "CORNER_RULES",
    "EnvFamily",
    "FAMILIES",
    "POLICY_KINDS",
    "Policy",
    "episode_returns",
    "list_envs",
    "make_env",
]
