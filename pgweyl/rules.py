"""Update rules of policy gradient: vanilla REINFORCE, natural gradient, entropy bonus,
with baselines and step-size schedules — one spelling everywhere.

A rule is written like an ENV spec, ``name`` or ``name:key=value,...``:

- ``"vanilla"`` — REINFORCE (THEORY §5): Δθ = α_k (1/B) Σ_j (G_j − β) g_j with the score
  g = (b − λ) − T ∇A(θ) (exp) or counts − T π (softmax).
- ``"natural"`` — the natural gradient: Δθ = α_k F(θ)⁺ ĝ, with ĝ the REINFORCE estimate
  and F the exact Fisher information of the episode law. For a blind policy the score is
  a sum of T i.i.d. increments s_t − ∇A, so by Wald's identity
  F(θ) = E_θ[T] · Cov_{π_θ}(S) (exp; diag(π) − ππᵀ for softmax logits), computed exactly
  at every update (E_θ[T] by a linear solve); ⁺ is the pseudo-inverse (the gauge
  direction of A_n has zero variance and gets no step).
- ``"entropy:tau=T"`` — ascent on J_τ(θ) = V(θ) + τ H(π_θ), H = −Σ_s π(s) log π(s) the
  per-step policy entropy: Δθ = α_k (ĝ + τ ∇H(θ)), ∇H exact
  (exp: ∇H = −Σ_s π(s) log π(s) (s − ∇A)). Its maxima, certificates and basins are those
  of J_τ (interior points: the entropy pushes off every face), and a run converges when
  its policy first enters the ε-neighbourhood (total variation) of a maximum of J_τ.

Options shared by every rule: ``baseline`` (``none``, a number, or ``mean`` — the mean of
the run's past returns), ``schedule`` (``constant`` or ``decay``: α_k = α_0/(1 + k/decay)^power
with ``decay`` and ``power``). The θ of a run is a Markov chain — so the chain solver
applies — exactly when the baseline is not ``mean`` and the schedule is constant (with
batch 1): :meth:`Rule.markov`.

>>> r = parse_rule("entropy:tau=0.01,baseline=mean")
>>> r.kind, r.tau, r.baseline, r.markov()
('entropy', 0.01, 'mean', False)
>>> str(parse_rule("natural"))
'natural'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgweyl import validate
from pgweyl.config import DEFAULT_TOL
from pgweyl.errors import ArgumentError

RULE_KINDS = ("vanilla", "natural", "entropy")
SCHEDULES = ("constant", "decay")
#: Codes shared with the Numba kernels (``pgweyl.sim.records.Rule.kind``).
KIND_CODES = {"vanilla": 0, "natural": 1, "entropy": 2}

_OPTIONS = {
    "vanilla": ("baseline", "schedule", "decay", "power"),
    "natural": ("baseline", "schedule", "decay", "power"),
    "entropy": ("tau", "baseline", "schedule", "decay", "power"),
}


class RuleError(ArgumentError):
    """A malformed or unknown update-rule spec."""


@dataclass(frozen=True)
class Rule:
    """A parsed update rule (see the module docstring for the formulas).

    ``kind`` ("vanilla", "natural", "entropy"); ``tau`` the entropy weight (entropy only);
    ``baseline`` None, a float or "mean"; ``schedule`` "constant" or "decay" with ``decay``
    (α_k = α_0/(1 + k/decay)^power) and ``power``."""

    kind: str = "vanilla"
    tau: float = 0.0
    baseline: float | str | None = None
    schedule: str = "constant"
    decay: float = 100.0
    power: float = 1.0

    def markov(self) -> bool:
        """True when θ alone is a Markov chain under this rule (with batch 1)."""
        return self.baseline != "mean" and self.schedule == "constant"

    def __str__(self) -> str:
        opts = []
        if self.kind == "entropy":
            opts.append(f"tau={self.tau:g}")
        if self.baseline is not None:
            b = self.baseline
            opts.append(f"baseline={b if isinstance(b, str) else format(b, 'g')}")
        if self.schedule != "constant":
            opts += [f"schedule={self.schedule}", f"decay={self.decay:g}", f"power={self.power:g}"]
        return self.kind + (":" + ",".join(opts) if opts else "")

    def to_dict(self) -> dict:
        return {
            "spec": str(self),
            "kind": self.kind,
            "tau": self.tau,
            "baseline": self.baseline,
            "schedule": self.schedule,
            "decay": self.decay,
            "power": self.power,
        }


def _value(text: str):
    from pgweyl.env.spec import parse_scalar

    return parse_scalar(text)


def parse_rule(spec=None, **overrides) -> Rule:
    """A :class:`Rule` from ``"name:key=value,..."`` (or a Rule, or None for vanilla);
    ``overrides`` (baseline=, schedule=, decay=, power=) apply on top and must not
    contradict the spec."""
    if isinstance(spec, Rule):
        rule = spec
        given: dict = {}
    else:
        if spec is None:
            spec = "vanilla"
        if not isinstance(spec, str) or not spec.strip():
            raise RuleError(f"an update rule must be a string like 'natural', got {spec!r}")
        name, _, opts = spec.strip().partition(":")
        name = name.strip()
        if name not in RULE_KINDS:
            raise RuleError(
                f"unknown update rule {name!r}; expected one of {', '.join(RULE_KINDS)}"
            )
        given = {}
        for item in (o for o in opts.split(",") if o.strip()) if opts.strip() else ():
            key, eq, val = item.partition("=")
            key = key.strip()
            if not eq or not key or not val.strip():
                raise RuleError(
                    f"rule {spec!r}: malformed option {item.strip()!r}; expected key=value"
                )
            if key not in _OPTIONS[name]:
                raise RuleError(
                    f"rule {spec!r}: unknown option {key!r}; "
                    f"{name} takes {', '.join(_OPTIONS[name])}"
                )
            if key in given:
                raise RuleError(f"rule {spec!r}: option {key!r} is given twice")
            given[key] = _value(val)
        if name == "entropy" and "tau" not in given:
            raise RuleError(f"rule {spec!r}: entropy needs its weight, e.g. 'entropy:tau=0.01'")
        rule = Rule(kind=name)
    for key, val in overrides.items():
        if val is None or key not in ("baseline", "schedule", "decay", "power"):
            continue
        if key in given and given[key] != val:
            raise RuleError(
                f"rule {spec!r} sets {key}={given[key]!r} but {key}={val!r} was also given"
            )
        given.setdefault(key, val)
    kw = {
        "kind": rule.kind,
        "tau": rule.tau,
        "baseline": rule.baseline,
        "schedule": rule.schedule,
        "decay": rule.decay,
        "power": rule.power,
    }
    for key, val in given.items():
        kw[key] = val
    try:
        return _checked(Rule(**kw))
    except RuleError:
        raise
    except ArgumentError as err:
        raise RuleError(f"rule {str(spec)!r}: {err}") from None


def _checked(rule: Rule) -> Rule:
    tau = rule.tau
    if rule.kind == "entropy":
        tau = validate.finite_real("tau", tau, lo=0.0, lo_open=True)
    b = rule.baseline
    if isinstance(b, str):
        if b == "none":
            b = None
        elif b != "mean":
            raise RuleError(f"unknown baseline {b!r}; expected none, a number or mean")
    elif b is not None:
        b = validate.finite_real("baseline", b)
    schedule = validate.choice("schedule", rule.schedule, SCHEDULES)
    decay = validate.positive_real("decay", rule.decay)
    power = validate.positive_real("power", rule.power)
    return Rule(rule.kind, float(tau), b, schedule, decay, power)


# -- the exact quantities a rule needs ---------------------------------------------------------
def step_covariance(env, theta) -> np.ndarray:
    """Cov_{π_θ}(S) of one step: Σ_s π(s)(s − ∇A)(s − ∇A)ᵀ (exp; θ-space d×d), or
    diag(π) − ππᵀ for softmax logits."""
    p = env.policy(theta)
    if env.policy_kind == "exp":
        v = env.steps.vectors.astype(float)
        c = v - p @ v
        return (p[:, None] * c).T @ c
    return np.diag(p) - np.outer(p, p)


def fisher(env, theta, tol: float = DEFAULT_TOL) -> np.ndarray:
    """The Fisher information of the episode law, F(θ) = E_θ[T] · Cov_{π_θ}(S) (Wald)."""
    return env.mean_exit_time(theta, tol) * step_covariance(env, theta)


def entropy(env, theta) -> float:
    """H(π_θ) = −Σ_s π(s) log π(s) (per step)."""
    p = env.policy(theta)
    nz = p > 0
    return float(-(p[nz] * np.log(p[nz])).sum())


def entropy_grad(env, theta) -> np.ndarray:
    """∇_θ H(π_θ) = −Jᵀ log π (J = ∂π/∂θ; the −Jᵀ1 part is 0 since Σ_s ∂π(s) = 0)."""
    p = env.policy(theta)
    logp = np.where(p > 0, np.log(np.where(p > 0, p, 1.0)), 0.0)
    return -(env.policy_jacobian(theta).T @ logp)


def objective_grad(env, theta, rule, tol: float = DEFAULT_TOL) -> np.ndarray:
    """∇ of the objective the rule ascends: ∇V, or ∇V + τ∇H for entropy (exact)."""
    rule = parse_rule(rule)
    g = env.value_grad(theta, tol)
    if rule.kind == "entropy":
        g = g + rule.tau * entropy_grad(env, theta)
    return g


def objective_value(env, theta, rule, tol: float = DEFAULT_TOL) -> float:
    """V(θ), or J_τ(θ) = V(θ) + τ H(π_θ) for entropy."""
    rule = parse_rule(rule)
    v = env.value(theta, tol)
    return v + rule.tau * entropy(env, theta) if rule.kind == "entropy" else v


def expected_update(
    env, theta, rule="vanilla", lr: float = 1.0, tol: float = DEFAULT_TOL
) -> np.ndarray:
    """The exact mean of one update (batch 1, step α_0 = lr) from θ under ``rule``.

    vanilla: lr ∇V (a constant baseline leaves the mean unchanged: E[g] = 0);
    natural: lr F(θ)⁺ ∇V; entropy: lr (∇V + τ ∇H). The mean of a run-dependent
    baseline ("mean") is not a function of θ alone and is refused."""
    rule = parse_rule(rule)
    theta = env.check_theta(theta)
    lr = validate.positive_real("lr", lr)
    if rule.baseline == "mean":
        raise RuleError("the running-mean baseline depends on the run's history, not θ alone")
    grad = env.value_grad(theta, tol)
    if rule.kind == "natural":
        return lr * (np.linalg.pinv(fisher(env, theta, tol), rcond=1e-12, hermitian=True) @ grad)
    if rule.kind == "entropy":
        return lr * (grad + rule.tau * entropy_grad(env, theta))
    return lr * grad


def step_size(rule: Rule, lr: float, k: int) -> float:
    """α_k of the rule's schedule."""
    if rule.schedule == "constant":
        return lr
    return lr / (1.0 + k / rule.decay) ** rule.power


__all__ = [
    "KIND_CODES",
    "RULE_KINDS",
    "Rule",
    "RuleError",
    "entropy",
    "entropy_grad",
    "expected_update",
    "fisher",
    "objective_grad",
    "objective_value",
    "parse_rule",
    "step_covariance",
    "step_size",
]
