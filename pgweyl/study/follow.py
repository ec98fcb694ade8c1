"""Which local maximum a study follows across a grid: the global one, the treasure, or one
named by its support.

Along a difficulty knob the *global* maximum can change: in the corridor (THEORY §7) the
treasure (wall 0) is the best maximum up to level 17 and the trap (wall 1) from level 18
on, so "P(ends at the global maximum)" silently switches maxima there. A study can
instead follow one maximum by name:

- ``"global"`` — the best maximum at each point (ties by support);
- ``"treasure"`` — the maximum whose walk ends on wall 0 most often: at the maximum's
  policy π*, argmax over maxima of P_{π*}(the exit point lies on wall 0) (the catalog
  puts the treasure at wall 0; a one-step support is a deterministic straight walk, a
  larger face is evaluated at π* clipped to :data:`CLIP` off the face);
- a support label ``"0"`` or ``"1,2"`` — the maximum on that face of the steps (indices
  into ``env.steps.vectors``), absent (NaN) where the point has no such maximum.

>>> import pgweyl as pw
>>> from pgweyl.landscape.maxima import local_maxima
>>> env = pw.make_env("corridor", level=18)
>>> maxima = local_maxima(env, basin_samples=0)
>>> [m.support for m in maxima], follow_index(env, maxima, "global")
([(1,), (0,)], 0)
>>> follow_index(env, maxima, "treasure"), follow_index(env, maxima, "0")
(1, 1)
"""

from __future__ import annotations

import numpy as np

from pgweyl.errors import ArgumentError

#: Probability given to the steps off a maximum's support when its exit law is evaluated.
CLIP = 1e-9
#: Exit-law tail at which a treasure test stops (the shares compared differ by O(1)).
TREASURE_TOL = 1e-9


def support_label(support) -> str:
    """ "0" or "1,2": the step indices of a maximum's support."""
    return ",".join(str(int(s)) for s in support)


def parse_follow(follow) -> str:
    """``"global"``, ``"treasure"`` or a canonical support label ("1,2"); anything else is
    an :class:`ArgumentError` naming what is allowed.

    >>> parse_follow(" 2, 1"), parse_follow("global")
    ('1,2', 'global')
    """
    if follow is None:
        return "global"
    if isinstance(follow, (tuple, list)):
        follow = ",".join(str(s) for s in follow)
    text = str(follow).strip()
    if text in ("global", "treasure"):
        return text
    try:
        steps = sorted({int(s) for s in text.replace(" ", "").split(",")})
    except ValueError:
        steps = []
    if not steps or steps[0] < 0:
        raise ArgumentError(
            f"follow {follow!r}: give 'global', 'treasure' or a support label such as '0' "
            "or '1,2' (step indices of the maximum's face)"
        )
    return support_label(steps)


def describe(follow) -> str:
    """Words for the followed maximum: "the global maximum", "the treasure", "the maximum
    on steps 1,2"."""
    follow = parse_follow(follow)
    if follow in ("global", "treasure"):
        return f"the {follow} maximum" if follow == "global" else "the treasure"
    return f"the maximum on steps {follow}"


def straight_exit(env, step) -> tuple:
    """The walls where the deterministic walk start, start + s, start + 2s, … first
    leaves the open alcove (() if it does not within 10·level + 10 steps)."""
    x = np.array(env.start, dtype=np.int64)
    s = np.asarray(step, dtype=np.int64)
    for _ in range(10 * int(env.alcove.level) + 10):
        x = x + s
        if not env.alcove.is_interior(x):
            return tuple(env.alcove.walls_at(x))
    return ()


def wall_share(env, maximum, wall: int = 0) -> float:
    """P(the walk ends on ``wall``) under the policy of ``maximum``. A one-step support is
    a deterministic straight walk (:func:`straight_exit`: 1 or 0); a larger face is
    evaluated exactly at its policy clipped to :data:`CLIP` off the face, which needs the
    exp family with one θ per step (NaN otherwise)."""
    steps = np.asarray(env.steps.vectors)
    if len(maximum.support) == 1:
        return float(wall in straight_exit(env, steps[int(maximum.support[0])]))
    if env.theta_dim != len(steps) or env.policy_kind != "exp":
        return float("nan")
    p = np.clip(np.asarray(maximum.policy, dtype=float), CLIP, None)
    theta = np.log(p / p.sum())
    dist = env.value_distribution(theta - theta.mean(), tol=TREASURE_TOL)
    return float(dist.wall_probabilities(len(env.alcove.walls))[wall])


def treasure_index(env, maxima) -> int:
    """Index in ``maxima`` of the treasure: the maximum whose walk ends on wall 0 most
    often (ties: the first; −1 when no maximum reaches wall 0 or none can be told)."""
    shares = np.array([wall_share(env, m, 0) for m in maxima], dtype=float)
    if not np.any(shares > 0):
        return -1
    return int(np.nanargmax(shares))


def follow_index(env, maxima, follow) -> int:
    """Index in ``maxima`` of the followed maximum (:func:`parse_follow`), −1 where a
    support label names no maximum of this environment."""
    follow = parse_follow(follow)
    if not maxima:
        return -1
    if follow == "global":
        keys = [(-m.value, tuple(int(s) for s in m.support)) for m in maxima]
        return int(min(range(len(maxima)), key=keys.__getitem__))
    if follow == "treasure":
        return treasure_index(env, maxima)
    labels = [support_label(m.support) for m in maxima]
    return labels.index(follow) if follow in labels else -1


def changes(values, supports) -> list:
    """The values at which the followed (or global) support differs from the one at the
    value before: ``changes([4, 17, 18], ["0", "0", "1"]) == [18]``."""
    return [v for v, a, b in zip(values[1:], supports, supports[1:]) if a != b]


__all__ = [
    "CLIP",
    "changes",
    "describe",
    "follow_index",
    "parse_follow",
    "straight_exit",
    "support_label",
    "treasure_index",
    "wall_share",
]
