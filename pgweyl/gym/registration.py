"""Gymnasium ids of pgweyl's environments; :func:`register_envs` runs on ``import pgweyl.gym``.

==========================  ===================================================
id                          environment (``gym.make`` kwargs)
==========================  ===================================================
``pgweyl/Corridor-v0``      catalog ``corridor`` (its knobs: level, trap_distance, …)
``pgweyl/Triangle-v0``      catalog ``triangle`` (level, r0, r1, r2, gamma, …)
``pgweyl/TriangleSigned-v0``  catalog ``triangle-signed``
``pgweyl/Simplex-v0``       catalog ``simplex``
``pgweyl/AlcoveWalk-v0``    any: ``spec="corridor:level=12"``, ``pgweyl_env=...`` or the
                            :class:`pgweyl.AlcoveWalkEnv` arguments (cartan, level, …)
==========================  ===================================================

Every id also takes ``observation`` ("blind" or "position") and ``render_mode``
("rgb_array", "ansi" or "human"); ``max_episode_steps`` is Gymnasium's own step limit
(none by default).

>>> sorted(GYM_IDS)[0]
'pgweyl/AlcoveWalk-v0'
"""

from __future__ import annotations

from pgweyl.gym._deps import require_gymnasium

ENTRY_POINT = "pgweyl.gym.envs:AlcoveWalkGymEnv"

#: id → catalog family (None: the general environment).
GYM_IDS = {
    "pgweyl/Corridor-v0": "corridor",
    "pgweyl/Triangle-v0": "triangle",
    "pgweyl/TriangleSigned-v0": "triangle-signed",
    "pgweyl/Simplex-v0": "simplex",
    "pgweyl/AlcoveWalk-v0": None,
}


def register_envs() -> list[str]:
    """Register the ids that are not registered yet; return every pgweyl id."""
    gym = require_gymnasium()
    for env_id, family in GYM_IDS.items():
        if env_id not in gym.registry:
            kwargs = {} if family is None else {"family": family}
            gym.register(id=env_id, entry_point=ENTRY_POINT, kwargs=kwargs)
    return list(GYM_IDS)


__all__ = ["ENTRY_POINT", "GYM_IDS", "register_envs"]
