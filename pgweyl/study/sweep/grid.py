"""The grid of a sweep: its params, fixed run settings, points and per-point seeds.

A sweep varies any number of *params* over the cartesian product of their values:

- knobs of the environment: for a catalog family its knobs (``level``,
  ``trap_distance``, ``r0``, ``gamma``, …, see ``pgweyl envs``); for a TOML file of a
  custom environment its scalar keys (``level``, ``gamma``, ``step_cost``, ``corner``);
- run settings: ``lr`` (step size), ``theta0`` (start θ, a vector per value), ``rule``
  (the update rule), ``eps`` (absorbing radius) and ``n_updates`` (update budget).

A *point* is one combination, named by its index tuple ``(i_1, …, i_k)`` into the
value lists in the order the params are given. Its Monte Carlo seed is keyed by its
*values*, not its index: ``SeedSequence(seed, spawn_key=words)`` where ``words`` are the
eight 32-bit words of SHA-256 of the canonical text of {param: value} (:func:`point_key`,
:func:`point_seed`). So a point's numbers do not depend on which worker computes it, in
which order, whether the sweep was resumed — nor on which grid it sits in: a sweep
extended with new values computes exactly the points a fresh sweep over them would.

Everything is validated here, before any cluster starts: one-line errors name the bad
param or value and what is allowed.

>>> g = make_grid("corridor", {"level": [4, 6], "lr": [0.5, 1.0]}, runs=100, n_updates=500)
>>> g.names, g.shape, g.size
(('level', 'lr'), (2, 2), 4)
>>> t = g.task((1, 0))
>>> str(t.spec), t.settings.lr, t.label
('corridor:level=6', 0.5, 'level=6, lr=0.5')
>>> t.settings.seed == point_seed(0, {"level": 6, "lr": 0.5})
True
"""

from __future__ import annotations

import itertools
import json
import math
import numbers
from dataclasses import dataclass

import numpy as np

from pgweyl.budget import (
    MAX_PARAM_VALUES,
    MAX_SWEEP_POINTS,
    require_chain_grid,
    require_count,
)
from pgweyl.env.catalog import FAMILIES
from pgweyl.env.spec import EnvSpec, parse_env_spec, parse_scalar
from pgweyl.errors import ArgumentError, PgweylError
from pgweyl.landscape.settings import RunSettings, settings_of
from pgweyl.rules import parse_rule

#: Run settings that may be swept (or fixed) beside the knobs of the environment.
RUN_PARAMS = ("lr", "theta0", "rule", "eps", "n_updates")

#: ``method``: which solvers run at each point (:data:`pgweyl.landscape.settings.METHODS`):
#: auto — Monte Carlo everywhere, the chain solver where it applies (policy exp,
#: effective dimension ≤ 2); mc — Monte Carlo only; chain — the chain solver only;
#: both — both, and every point must admit the chain solver.

#: Keys of a custom (TOML) environment that a sweep may vary: the scalar ones.
CUSTOM_SCALAR_KEYS = ("level", "gamma", "step_cost", "corner", "policy", "steps", "cartan")


def objective_key(rule) -> str:
    """Which objective a rule ascends: "V" (vanilla, natural) or the entropy rule's spec
    (J_τ): points sharing it share their maxima."""
    r = parse_rule(rule)
    return f"entropy:tau={r.tau!r}" if r.kind == "entropy" else "V"


def _canonical(value):
    """A value as it enters a point's key: reals as ``repr(float)`` (4 and 4.0 are one
    value, as they are one knob value), θ_0 vectors as lists of those, text as text."""
    if isinstance(value, (tuple, list)):
        return [_canonical(v) for v in value]
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return repr(float(value))
    return str(value)


def point_key(values: dict) -> str:
    """The canonical text of a point's values {param: value}: JSON, params sorted by name.

    >>> point_key({"lr": 0.5, "level": 6})
    '{"level": "6.0", "lr": "0.5"}'
    """
    return json.dumps({str(k): _canonical(v) for k, v in values.items()}, sort_keys=True)


def point_seed(seed: int, values: dict) -> int:
    """The Monte Carlo seed of the point with values ``values`` ({param: value}): 64 bits of
    ``SeedSequence(seed, spawn_key=words)``, ``words`` the eight big-endian 32-bit words of
    SHA-256(:func:`point_key`). It depends on the sweep seed and the point's values only —
    not on its grid index, the other values of the grid, or scheduling.

    >>> a = point_seed(0, {"level": 6, "lr": 0.5})
    >>> a == point_seed(0, {"lr": 0.5, "level": 6.0}) != point_seed(0, {"level": 6, "lr": 1})
    True
    """
    import hashlib

    digest = hashlib.sha256(point_key(values).encode()).digest()
    words = tuple(int.from_bytes(digest[i : i + 4], "big") for i in range(0, 32, 4))
    ss = np.random.SeedSequence(int(seed), spawn_key=words)
    return int(ss.generate_state(1, dtype=np.uint64)[0])


def theta_label(theta) -> str:
    """The coordinate label of a start θ: its entries joined by commas ("0.0,-1.5")."""
    return ",".join(repr(float(v)) for v in theta)


def parse_param(text: str):
    """``name=v1,v2,…`` or ``name=start:stop[:step]`` (integers, both ends included) →
    (name, values); for ``theta0`` the vectors are separated by ``;`` and their entries
    by ``,`` (``theta0=0,0;1,-1``).

    >>> parse_param("level=4:8:2")
    ('level', [4, 6, 8])
    >>> parse_param("lr=0.5,1")
    ('lr', [0.5, 1])
    >>> parse_param("theta0=0,0;1,-1")
    ('theta0', [(0.0, 0.0), (1.0, -1.0)])
    """
    if not isinstance(text, str):
        raise ArgumentError(f"a param must be a string name=values, got {text!r}")
    name, eq, rest = text.partition("=")
    name = name.strip()
    if not eq or not name:
        raise ArgumentError(
            f"param {text!r}: expected name=v1,v2,... or name=start:stop[:step] "
            "(theta0=a,b;c,d for start vectors)"
        )
    rest = rest.strip()
    if name == "theta0":
        values = []
        for item in rest.split(";"):
            if not item.strip():
                continue
            try:
                values.append(tuple(float(v) for v in item.replace(" ", ",").split(",") if v))
            except ValueError:
                raise ArgumentError(
                    f"param {text!r}: theta0 values are vectors a,b;c,d of numbers"
                ) from None
    elif ":" in rest:
        try:
            parts = [int(p) for p in rest.split(":")]
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] <= 0):
                raise ValueError
        except ValueError:
            raise ArgumentError(
                f"param {text!r}: a range is integers start:stop[:step] with step > 0"
            ) from None
        step = parts[2] if len(parts) == 3 else 1
        values = range(parts[0], parts[1] + 1, step)  # lazy: its length is checked first
        require_count(
            len(values),
            MAX_PARAM_VALUES,
            f"param {text!r} gives {{n}} values; at most {{limit}} per param "
            "(use a step: start:stop:step)",
        )
        values = list(values)
    else:
        values = [parse_scalar(v) for v in rest.split(",") if v.strip()]
    if not values:
        raise ArgumentError(f"param {text!r} gives no values")
    require_count(
        len(values),
        MAX_PARAM_VALUES,
        f"param {text!r} gives {{n}} values; at most {{limit}} per param",
    )
    return name, values


@dataclass(frozen=True)
class PointTask:
    """Everything a worker needs to compute one point (picklable, small).

    ``index``: the point's index tuple; ``spec``: the environment with this point's
    knobs; ``settings``: the point's :class:`RunSettings` (its swept values, and as
    ``seed`` the point's own :func:`point_seed` of its values); ``mc``/``chain``: which solvers run;
    ``label``: "level=6, lr=0.5"."""

    index: tuple
    spec: EnvSpec
    settings: RunSettings
    mc: bool
    chain: bool
    label: str

    @property
    def chain_key(self) -> tuple:
        """Points with equal keys share one chain solve (it does not depend on θ_0)."""
        s = self.settings
        return (spec_key(self.spec), s.lr, s.eps, str(s.rule), s.grid)


@dataclass(frozen=True)
class SweepGrid:
    """A validated sweep: the env spec, the params (name → values, in order) and the
    :class:`RunSettings` of every point before its swept values and seed are put in
    (``seed`` there is the sweep's seed; a swept setting has its default there).

    ``names``/``shape``/``size``: the grid's dimensions; ``indices()``: every point's
    index tuple in C order; ``task(index)``: the :class:`PointTask` of a point;
    ``record()``: the JSON-ready description stored with the results and compared on
    resume; ``coords()``: the coordinate arrays (``theta0`` as text labels)."""

    spec: EnvSpec
    params: tuple  # ((name, tuple(values)), ...)
    settings: RunSettings
    chain_envs: frozenset  # (spec_key, rule) of the points where the chain solver runs

    @property
    def names(self) -> tuple:
        return tuple(name for name, _ in self.params)

    @property
    def shape(self) -> tuple:
        return tuple(len(values) for _, values in self.params)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def indices(self):
        return itertools.product(*(range(n) for n in self.shape))

    def values_at(self, index) -> dict:
        return {name: values[i] for (name, values), i in zip(self.params, index)}

    def task(self, index) -> PointTask:
        index = tuple(int(i) for i in index)
        at = self.values_at(index)
        run = {k: v for k, v in at.items() if k in RUN_PARAMS}
        knobs = {k: v for k, v in at.items() if k not in RUN_PARAMS}
        spec = self.spec.with_knobs(**knobs) if knobs else self.spec
        settings = self.settings.replace(**run, seed=point_seed(self.settings.seed, at))
        method = settings.method
        label = ", ".join(f"{k}={theta_label(v) if k == 'theta0' else v}" for k, v in at.items())
        return PointTask(
            index=index,
            spec=spec,
            settings=settings,
            mc=method != "chain",
            chain=method in ("chain", "both")
            or (method == "auto" and (spec_key(spec), str(settings.rule)) in self.chain_envs),
            label=label,
        )

    def coords(self) -> dict:
        out = {}
        for name, values in self.params:
            if name == "theta0":
                out[name] = np.array([theta_label(v) for v in values])
            else:
                out[name] = np.array(values)
        return out

    def record(self) -> dict:
        params = {
            name: [list(v) if name == "theta0" else v for v in values]
            for name, values in self.params
        }
        swept = set(self.names)
        settings = {k: v for k, v in self.settings.to_dict().items() if k not in swept}
        return {"env": spec_record(self.spec), "params": params, "settings": settings}


def spec_record(spec: EnvSpec) -> dict:
    """The JSON-ready content of a spec (family and knobs; a reward table as pairs)."""
    knobs = {}
    for k, v in spec.knobs.items():
        if k == "reward_table":
            v = [[list(p), r] for p, r in sorted(v.items())]
        elif isinstance(v, tuple):
            v = list(v)
        knobs[k] = v
    return {"family": spec.family, "knobs": knobs}


def spec_key(spec: EnvSpec) -> str:
    """A text that two specs share exactly when they build the same environment."""
    return json.dumps(spec_record(spec), sort_keys=True)


def _plain(value):
    """NumPy scalars to Python scalars; anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def _check_values(name: str, values, env_spec: EnvSpec) -> tuple:
    """The values of one param, validated for their kind, as a tuple."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ArgumentError(f"param {name!r}: give a list of values, got {values!r}")
    # counted before anything is built: a range(10**9) has a length, a generator is cut
    sized = hasattr(values, "__len__")
    if not sized:
        values = list(itertools.islice(values, MAX_PARAM_VALUES + 1))
    require_count(
        len(values),
        MAX_PARAM_VALUES,
        f"param {name!r} has {{n}}{'' if sized else ' or more'} values; "
        "at most {limit} per param",
    )
    values = [_plain(v) for v in values]
    if not values:
        raise ArgumentError(f"param {name!r} has no values")
    if name == "eps" and any(v is None for v in values):
        raise ArgumentError("param 'eps': give numbers (the default is sigma(-8))")
    if name in RUN_PARAMS:  # validated as RunSettings validates them (θ0 vectors as tuples)
        values = [getattr(RunSettings(**{name: v}), name) for v in values]
        if name == "rule":
            values = [str(v) for v in values]
    else:
        kinds = set()
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (numbers.Real, str)):
                raise ArgumentError(f"param {name!r}: values must be numbers or strings, got {v!r}")
            if isinstance(v, numbers.Real) and not np.isfinite(float(v)):
                raise ArgumentError(f"param {name!r}: value {v!r} is not finite")
            kinds.add(str if isinstance(v, str) else numbers.Real)
        if len(kinds) > 1:
            raise ArgumentError(f"param {name!r} mixes numbers and strings: {values!r}")
    seen = set()
    for v in values:
        if v in seen:
            shown = theta_label(v) if name == "theta0" else v
            raise ArgumentError(f"param {name!r}: value {shown} is given twice")
        seen.add(v)
    return tuple(values)


def _allowed_knobs(spec: EnvSpec) -> tuple:
    if spec.family is not None:
        return tuple(FAMILIES[spec.family].knobs)
    return CUSTOM_SCALAR_KEYS


def make_grid(
    env_spec, params: dict, runs: int | None = None, seed: int | None = None, **settings
) -> SweepGrid:
    """Validate a sweep and return its :class:`SweepGrid` (see the module docstring).

    ``settings``: the keywords of :func:`pgweyl.sweep` that fix the runs — the run
    settings :data:`RUN_PARAMS` not swept, ``method`` and ``grid`` (None or absent: the
    defaults of :class:`RunSettings`), or ``settings=`` one :class:`RunSettings` (its
    ``n_runs`` and ``seed`` are the sweep's; params override its fields). An unknown
    keyword is refused.

    Builds the environment of every knob combination (cheap: tables are made lazily) so
    that a bad knob value, a θ_0 of the wrong length, or a ``method`` that needs the chain
    solver where it does not apply fails here, before any work starts."""
    spec = parse_env_spec(env_spec)
    if not isinstance(params, dict) or not params:
        raise ArgumentError(
            "params must be a non-empty dict {name: values}, e.g. {'level': [4, 6, 8]}"
        )
    base = settings.pop("settings", None)
    unknown = sorted(set(settings) - set(RUN_PARAMS) - {"method", "grid"})
    if unknown:
        raise ArgumentError(
            f"unknown sweep setting {unknown[0]!r}; the settings are "
            f"{', '.join(RUN_PARAMS)}, method and grid"
        )
    allowed = _allowed_knobs(spec)
    checked = []
    for name, values in params.items():
        if not isinstance(name, str):
            raise ArgumentError(f"param names are strings, got {name!r}")
        if name not in allowed and name not in RUN_PARAMS:
            where = spec.family or "a custom environment"
            raise ArgumentError(
                f"unknown param {name!r}; {where} has knobs {', '.join(allowed)}, "
                f"and the run settings are {', '.join(RUN_PARAMS)}"
            )
        if name in RUN_PARAMS and settings.get(name) is not None:
            raise ArgumentError(f"{name} is both swept (params) and fixed ({name}=...)")
        checked.append((name, _check_values(name, values, spec)))
    points = math.prod(len(v) for _, v in checked)
    require_count(
        points,
        MAX_SWEEP_POINTS,
        "the sweep has {n} points (the product of its params' value counts); at most {limit}",
    )
    base = settings_of(base, n_runs=runs, seed=seed, **settings)
    chain_envs = set()
    rules = dict(checked).get("rule", (str(base.rule),))
    knob_params = [(n, v) for n, v in checked if n not in RUN_PARAMS]
    thetas = dict(checked).get("theta0", (base.theta0,))
    for combo in itertools.product(*(values for _, values in knob_params)):
        knobs = {n: v for (n, _), v in zip(knob_params, combo)}
        sub = spec.with_knobs(**knobs) if knobs else spec
        env = _build(sub)
        for t0 in thetas:
            if t0 is not None and len(t0) != env.theta_dim:
                raise ArgumentError(
                    f"theta0 {theta_label(t0)} has {len(t0)} entries; {sub} needs {env.theta_dim}"
                )
            base.replace(theta0=t0).theta_for(env)  # refused here, not in a worker
        for r in rules:
            _, chain = base.replace(rule=r).routes(env, f"{sub}, rule {r}")
            if chain:
                chain_envs.add((spec_key(sub), r))
                if base.grid is not None:  # the chain's size, refused before any worker
                    require_chain_grid(env.effective_dim, base.grid, True)
    return SweepGrid(spec, tuple(checked), base, frozenset(chain_envs))


def _build(spec: EnvSpec):
    try:
        return spec.build()
    except PgweylError:
        raise
    except (TypeError, ValueError) as err:
        raise ArgumentError(f"{spec}: {err}") from None


__all__ = [
    "RUN_PARAMS",
    "PointTask",
    "SweepGrid",
    "make_grid",
    "parse_param",
    "point_key",
    "point_seed",
    "spec_key",
    "spec_record",
    "theta_label",
]
