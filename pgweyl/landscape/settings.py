"""What a convergence study runs, validated once: :class:`RunSettings`.

Every result that answers "with what probability does policy gradient from θ_0 end at
each local maximum?" — :class:`pgweyl.ConvergenceResult`, :func:`pgweyl.compare`,
:func:`pgweyl.study.difficulty_sweep`, each point of :func:`pgweyl.sweep`, the
predictions of :func:`pgweyl.gym.grade` — keeps one ``RunSettings`` as its
``settings``; its :meth:`~RunSettings.to_dict` is what JSON outputs and sweep stores
carry, and ``RunSettings.from_dict(record)`` gives it back, to rerun the result
bit-identically. The defaults live here, once:

- ``theta0`` None: θ_0 = 0 (the uniform policy), of the environment's dimension;
- ``lr`` 1.0, ``rule`` vanilla REINFORCE (:mod:`pgweyl.rules`), ``batch`` 1,
  ``sampler`` "walk";
- ``n_updates`` :data:`DEFAULT_N_UPDATES` per run, ``n_runs`` :data:`DEFAULT_N_RUNS`
  runs, ``seed`` 0 (run r uses stream r of ``SeedSequence(seed)``);
- ``eps`` σ(−8) (:data:`pgweyl.config.DEFAULT_EPS`), the total-variation radius of the
  absorbing regions of both routes; ``classify_tol`` None: ``eps``;
- ``method`` "auto" (:data:`METHODS`): Monte Carlo, and the θ-chain solver where it
  applies, up to effective dimension :data:`AUTO_CHAIN_MAX_DIM` (:meth:`RunSettings.routes`);
- ``scheme`` "auto" (:data:`SCHEMES`): how Monte Carlo runs are simulated;
- ``grid`` None: the chain solver's own default (:func:`pgweyl.chain_absorption`),
  resolved per environment; a result whose chain ran records the grid it used.

>>> s = RunSettings(lr=0.5, rule="natural", n_runs=200)
>>> s.rule.kind, s.eps == RunSettings().eps, s.n_updates
('natural', True, 200000)
>>> RunSettings.from_dict(s.to_dict()) == s
True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from pgweyl import config, validate
from pgweyl._version import __version__
from pgweyl.errors import ArgumentError
from pgweyl.landscape.chain import chain_refusal
from pgweyl.rules import Rule, parse_rule
from pgweyl.sim.config import MAX_UPDATES

#: Updates per policy-gradient run when not given.
DEFAULT_N_UPDATES = 200_000
#: Monte Carlo runs when not given.
DEFAULT_N_RUNS = 10_000

#: Which routes run: auto — Monte Carlo, and the chain solver where it applies;
#: mc — Monte Carlo only; chain — the chain solver only; both — both, and the chain
#: solver must apply.
METHODS = ("auto", "mc", "chain", "both")

#: ``method`` "auto" runs the chain solver up to this effective dimension; beyond it
#: (3-D: the simplex, B3, C3) only on request ("chain" or "both"). Measured on the
#: simplex (lr 1, two cores shared): the default 3-D chain at ε = 0.01 takes 1–2 minutes
#: and 1.2 GB (49³ + 25³ + 13³), and at the default ε = σ(−8) its box (±12) needs 73³
#: nodes, beyond the default memory budget; 10⁴ Monte Carlo runs take a few seconds.
AUTO_CHAIN_MAX_DIM = 2

#: How Monte Carlo runs are simulated: plain — every update; event — quiet stretches near a
#: vertex in one move (:mod:`pgweyl.sim.events`); auto — event below
#: :data:`pgweyl.landscape.convergence.EVENT_EPS` where it applies, else plain.
SCHEMES = ("auto", "plain", "event")

#: Smallest chain grid: a degree-2 stencil on each of the three refinement grids.
MIN_GRID = 9


@dataclass(frozen=True)
class RunSettings:
    """The settings of one convergence study (module docstring), validated when built.

    Attributes: ``theta0`` (a tuple of floats, or None for θ_0 = 0), ``lr``, ``rule``
    (a parsed :class:`pgweyl.Rule`; a spec string is parsed), ``n_updates``,
    ``n_runs``, ``seed``, ``eps`` (None is resolved to σ(−8)), ``method``, ``grid``
    (None: the chain solver's default), ``batch``, ``sampler``, ``classify_tol``,
    ``scheme`` (:data:`SCHEMES`; a result records the one that ran).
    :meth:`replace` gives a changed (revalidated) copy."""

    theta0: tuple | None = None
    lr: float = 1.0
    rule: Rule = Rule()
    n_updates: int = DEFAULT_N_UPDATES
    n_runs: int = DEFAULT_N_RUNS
    seed: int = 0
    eps: float | None = None
    method: str = "auto"
    grid: int | None = None
    batch: int = 1
    sampler: str = "walk"
    classify_tol: float | None = None
    scheme: str = "auto"

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)

        if self.theta0 is not None:
            try:
                theta0 = tuple(float(v) for v in np.ravel(np.asarray(self.theta0, dtype=float)))
            except (TypeError, ValueError):
                raise ArgumentError(f"theta0 {self.theta0!r} is not a vector of numbers") from None
            if not theta0 or not all(np.isfinite(theta0)):
                raise ArgumentError(f"theta0 must be a finite vector, got {self.theta0!r}")
            put("theta0", theta0)
        put("lr", validate.positive_real("lr", self.lr))
        put("rule", parse_rule(self.rule))
        put("n_updates", validate.positive_int("n_updates", self.n_updates, MAX_UPDATES))
        put("n_runs", validate.positive_int("n_runs", self.n_runs))
        put("seed", validate.seed(self.seed))
        put("eps", validate.eps(self.eps))
        put("method", validate.choice("method", self.method, METHODS))
        if self.grid is not None:
            put("grid", validate.integer("grid", self.grid, lo=MIN_GRID))
        put("batch", validate.positive_int("batch", self.batch))
        put("sampler", validate.choice("sampler", self.sampler, config.SAMPLERS))
        if self.classify_tol is not None:  # a classification radius, not an absorbing one
            tol = validate.finite_real("classify_tol", self.classify_tol, 0.0, 1.0, lo_open=True)
            put("classify_tol", tol)
        put("scheme", validate.choice("scheme", self.scheme, SCHEMES))

    def replace(self, **changes) -> RunSettings:
        """A copy with ``changes`` (validated like the original)."""
        return dataclasses.replace(self, **changes)

    # -- the record ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Every field, JSON-ready (θ_0 a list, the rule its spec)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["theta0"] = None if self.theta0 is None else list(self.theta0)
        out["rule"] = str(self.rule)
        return out

    @classmethod
    def from_dict(cls, record: dict) -> RunSettings:
        """The settings of a record made by :meth:`to_dict` (absent keys: the defaults);
        an unknown key is refused."""
        if not isinstance(record, dict):
            raise ArgumentError(f"a settings record is a dict, got {type(record).__name__}")
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(record) - set(names))
        if unknown:
            raise ArgumentError(
                f"unknown setting {unknown[0]!r}; the settings are {', '.join(names)}"
            )
        return cls(**record)

    # -- what the settings mean for one environment ---------------------------------------------
    def theta_for(self, env) -> np.ndarray:
        """θ_0 for ``env``: zeros for None, else checked against its dimension and refused
        (:class:`pgweyl.ArgumentError`) when the policy's logits (s, θ_0) spread beyond the
        float range — max − min overflows (``-1e308 0 1e308`` on the triangle), so the
        chain's effective coordinates and the runs' policies would be ±inf. Entries as
        large as ±1e308 whose logits stay within range are answered."""
        if self.theta0 is None:
            return np.zeros(env.theta_dim)
        theta = env.check_theta(self.theta0)
        with np.errstate(over="ignore", invalid="ignore"):
            exp = env.policy_kind == "exp"  # else softmax: the logits are θ itself
            logits = env.steps.vectors.astype(float) @ theta if exp else theta
            spread = float(logits.max() - logits.min())
        if not np.isfinite(spread):
            raise ArgumentError(
                f"theta0 {theta.tolist()}: the steps' logits (s, theta0) differ by more than "
                "the float range, so its policy gradient cannot be computed; scale theta0 down "
                "(its policy is the same deterministic one)"
            )
        return theta

    def chain_refusal(self, env) -> str | None:
        """Why the chain solver does not take ``env`` under this rule (one line), or None
        (:func:`pgweyl.landscape.chain.chain_refusal`)."""
        return chain_refusal(env, self.rule)

    def routes(self, env, where: str = "") -> tuple[bool, bool]:
        """(Monte Carlo runs, the chain solver runs) on ``env`` under ``method`` ("auto":
        the chain where it applies, up to effective dimension :data:`AUTO_CHAIN_MAX_DIM`).

        Raises :class:`pgweyl.ArgumentError` — the one refusal text, naming ``where``
        (e.g. the environment) — when ``method`` is "chain" or "both" and the chain
        solver does not apply."""
        why = self.chain_refusal(env)
        if why is not None and self.method in ("chain", "both"):
            at = f" ({where})" if where else ""
            raise ArgumentError(
                f"method {self.method!r}: {why.removesuffix('; use Monte Carlo')}{at}; "
                "use method 'auto' or 'mc'"
            )
        chain = self.method != "mc" and why is None
        if self.method == "auto" and env.effective_dim > AUTO_CHAIN_MAX_DIM:
            chain = False  # taken on request only: see AUTO_CHAIN_MAX_DIM
        return self.method != "chain", chain


def settings_of(settings, **keywords) -> RunSettings:
    """The settings of one call of a study: ``settings`` (a :class:`RunSettings`) or the
    run keywords, the names of its fields (those left None take their defaults), not
    both — validated here, once; an unknown keyword is refused.

    >>> settings_of(None, lr=0.5, seed=None).lr
    0.5
    """
    names = [f.name for f in dataclasses.fields(RunSettings)]
    unknown = sorted(set(keywords) - set(names))
    if unknown:
        raise ArgumentError(f"unknown setting {unknown[0]!r}; the settings are {', '.join(names)}")
    given = {k: v for k, v in keywords.items() if v is not None}
    if settings is None:
        return RunSettings(**given)
    if not isinstance(settings, RunSettings):
        raise ArgumentError(f"settings must be a RunSettings, got {type(settings).__name__}")
    if given:
        raise ArgumentError(
            f"give either settings or the run keywords, not both (got settings and "
            f"{', '.join(sorted(given))})"
        )
    return settings


def provenance(env_record) -> dict:
    """``pgweyl_version`` and ``env`` (the environment's spec or description): what every
    JSON output and result record carries beside its settings."""
    return {"pgweyl_version": __version__, "env": env_record}


__all__ = [
    "AUTO_CHAIN_MAX_DIM",
    "DEFAULT_N_RUNS",
    "DEFAULT_N_UPDATES",
    "METHODS",
    "MIN_GRID",
    "RunSettings",
    "SCHEMES",
    "provenance",
    "settings_of",
]
