"""Layer 2: the POMDP (alcove + steps + start + rewards + γ) and the catalog."""

from pgweyl.env.catalog import FAMILIES, EnvFamily, list_envs, make_env
from pgweyl.env.environment import AlcoveWalkEnv
from pgweyl.env.policy import POLICY_KINDS, Policy
from pgweyl.env.rewards import CORNER_RULES, episode_returns
from pgweyl.env.spec import EnvSpec, load_env, parse_env_spec

__all__ = [
    "AlcoveWalkEnv",
    "CORNER_RULES",
    "EnvFamily",
    "EnvSpec",
    "FAMILIES",
    "POLICY_KINDS",
    "Policy",
    "episode_returns",
    "list_envs",
    "load_env",
    "make_env",
    "parse_env_spec",
]
