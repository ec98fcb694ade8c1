"""Grade an RL agent against exact answers: where does it end, and what does pgweyl predict?

For each seed the harness builds the environment (``gym.make(env_id, **env_kwargs)``),
builds an agent and trains it, reads its final policy and classifies it:

    label = argmin_j d_TV(p, π_j)  if that distance ≤ ε,  else "unresolved",

with π_j the local maxima of V (``env.unwrapped.exact.local_maxima()``, best first; a
flat face of maxima counts the mass outside the face). It reports

- for every seed, resolved or not: its nearest maximum and the TV distance to it
  (``nearest``, ``nearest_distance``), V of its final policy, exact for any p;
- the share of seeds at each maximum and the unresolved share (always), each with a
  **Wilson score 95% interval** (:data:`SHARE_CI`);
- the regret E[V* − V(p_final)] against the global maximum V*, with its standard error
  and a **Student t 95% interval** for the mean over seeds, n − 1 degrees of freedom
  (:data:`REGRET_CI`): mean ± t_{0.975, n−1} · s/√n;
- normalised scores, one per seed, s = (V(p_final) − V_u) / (V* − V_u) with V_u the
  value of the uniform policy (the "random agent"): 1 at the global maximum, 0 for the
  random agent, negative below it; :func:`score_matrix` stacks tasks into the runs ×
  tasks array that rliable takes (docs/grading.md has the recipe).

:func:`seeds_needed` tells how many seeds tell two shares apart.

**Agent protocol** — ``make_agent(env)`` returns an object with

- ``train(env, seed)``: train on the Gymnasium env (it may call ``env.reset(seed=seed)``);
- ``policy()``: probabilities over ``env.action_space`` (``Discrete(|S|)``), summing to 1;
- optionally ``settings``: a dict with ``rule`` (a :mod:`pgweyl.rules` spec, default
  "vanilla"), ``lr``, ``n_updates``,
  ``theta0``, ``gamma`` and ``features`` (None = one logit per action) — what pgweyl
  needs to predict the same experiment; ``grade``'s own arguments override it.

**Predictions** (``predict``), for the rule, lr, θ0 and budget of the agent:

- ``"mc"``: :func:`pgweyl.convergence_probabilities` — pgweyl's own Numba REINFORCE, run
  for the same ``n_updates`` and classified the same way (final policy, nearest maximum
  within ε; its absorbing radius is set to 1e-12, far inside ε, so a run is judged by
  where it is at the end, as the agent is). This is the like-for-like comparison.
- ``"chain"``: :func:`pgweyl.chain_absorption` — the probability that the θ-chain *first
  enters* the ε-ball of each maximum, with no budget limit (effective dimension ≤ 3).
  It agrees with "mc" when the budget suffices and runs do not leave an ε-ball once in
  it (small ε); at ε = 0.05 runs do leave, so the two can differ.

>>> import pgweyl.gym
>>> from pgweyl.gym import ReinforceAgent
>>> res = grade(lambda env: ReinforceAgent(lr=2.0, n_updates=30), "pgweyl/Corridor-v0",
...             seeds=5, predict=(), level=4, trap_distance=1)
>>> res.n_seeds, round(float(res.probabilities.sum() + res.unresolved), 12)
(5, 1.0)
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from pgweyl import validate
from pgweyl._version import __version__
from pgweyl.budget import MAX_SEEDS, require_count
from pgweyl.errors import AgentError, ArgumentError, PgweylError
from pgweyl.estimate import require_time
from pgweyl.gym._deps import require_gymnasium
from pgweyl.gym.envs import step_label
from pgweyl.landscape import chain_absorption, convergence_probabilities
from pgweyl.landscape.settings import RunSettings, settings_of
from pgweyl.landscape.shares import Shares, share_fields
from pgweyl.progress import Progress, enabled, resolve
from pgweyl.serialize import jsonable

#: Absorbing radius of the "mc" prediction: far inside any ε, so runs are classified at
#: the end of their budget like the agent (a policy this close to a vertex stays there).
FINAL_ABSORB_EPS = 1e-12

PREDICTIONS = ("mc", "chain")

#: Default classification radius (total variation) of a final policy: far larger than
#: the studies' absorbing radius, since an agent stops after a fixed budget.
CLASSIFY_EPS = 0.05

#: What the intervals are (also written into ``to_dict()``).
SHARE_CI = "Wilson score interval, 95%"
REGRET_CI = "Student t interval for the mean over seeds, 95%, n - 1 degrees of freedom"
SCORE = "(V(final) - V(uniform)) / (V* - V(uniform))"


@dataclass(frozen=True, eq=False, repr=False)
class GradeResult(Shares):
    """Outcome of :func:`grade`.

    Attributes
    ----------
    env_id, env_kwargs : what was graded; ``env`` the :class:`pgweyl.AlcoveWalkEnv` dict.
    seeds : the seeds, one trained agent each.   eps : classification radius (TV).
    settings : the :class:`RunSettings` of the predictions (None if none).
    maxima : the local maxima (best first); ``labels`` their supports as step names.
    final_policies : seeds × |A| probabilities; ``assignments`` the maximum of each
        seed (−1: unresolved); ``final_values`` V of each final policy.
    nearest, nearest_distance : every seed's nearest maximum (index into ``maxima``) and
        its TV distance to it, whether within ``eps`` or not.
    normalized_scores : (V(final) − V_u) / (V* − V_u) per seed; ``random_value`` V_u, the
        value of the uniform policy.
    counts, probabilities, ci_low, ci_high, unresolved, unresolved_ci : the
        :class:`pgweyl.landscape.shares.Shares` of the seeds (at each maximum and
        near none), with Wilson score 95% intervals.
    global_value : V*.   regret, regret_se : mean of V* − V(final) and its standard error;
        ``regret_ci`` its Student t 95% interval (n − 1 degrees of freedom; NaN for 1 seed).
    predicted : {"mc": {...}, "chain": {...}} — shares predicted by pgweyl (see module).
    seconds : wall time of the training loop.
    """

    env_id: str
    env_kwargs: dict
    env: dict
    seeds: tuple
    eps: float
    settings: RunSettings | None
    maxima: tuple
    labels: tuple
    final_policies: np.ndarray
    assignments: np.ndarray
    final_values: np.ndarray
    nearest: np.ndarray
    nearest_distance: np.ndarray
    normalized_scores: np.ndarray
    random_value: float
    global_value: float
    regret: float
    regret_se: float
    regret_ci: tuple
    predicted: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def n_seeds(self) -> int:
        return len(self.seeds)

    def shares(self) -> np.ndarray:
        """Shares at each maximum, then the unresolved share (sums to 1)."""
        return np.append(self.probabilities, self.unresolved)

    def per_seed(self) -> list[dict]:
        """One record per seed: its nearest maximum (index and label) and TV distance to
        it, whether that is within ``eps`` (``resolved``), V(final) and the normalised
        score."""
        return [
            {
                "seed": int(seed),
                "nearest": int(j),
                "label": self.labels[j],
                "distance": float(d),
                "resolved": bool(a >= 0),
                "value": float(v),
                "normalized_score": float(sc),
            }
            for seed, j, d, a, v, sc in zip(
                self.seeds,
                self.nearest,
                self.nearest_distance,
                self.assignments,
                self.final_values,
                self.normalized_scores,
            )
        ]

    def z_scores(self, source: str = "mc") -> np.ndarray:
        """(agent share − predicted share) / SE under the null "the agent's final policies
        follow the prediction", per maximum and unresolved (last).

        SE² = p(1 − p)(1/n_seeds + 1/n_runs) for "mc" (two independent samples),
        p(1 − p)/n_seeds for "chain" (taken as exact; add its grid error yourself)."""
        validate.choice("source", source, tuple(self.predicted))
        pred = self.predicted[source]
        p = np.append(pred["probabilities"], pred["unresolved"])
        inv = 1.0 / self.n_seeds + (1.0 / pred["n_runs"] if source == "mc" else 0.0)
        se = np.sqrt(p * (1 - p) * inv)
        diff = self.shares() - p
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(
                se > 0, diff / np.where(se > 0, se, 1.0), np.where(diff == 0, 0, np.inf)
            )

    def to_dict(self) -> dict:
        """JSON-ready (plain lists and numbers)."""
        return jsonable(
            {
                "pgweyl_version": __version__,
                "env_id": self.env_id,
                "env_kwargs": {
                    k: repr(v) if not _plain(v) else v for k, v in self.env_kwargs.items()
                },
                "env": self.env,
                "seeds": list(self.seeds),
                "eps": self.eps,
                "settings": None if self.settings is None else self.settings.to_dict(),
                "maxima": [m.to_dict() for m in self.maxima],
                "labels": list(self.labels),
                "final_policies": self.final_policies,
                "assignments": self.assignments,
                "final_values": self.final_values,
                "nearest": self.nearest,
                "nearest_distance": self.nearest_distance,
                "normalized_scores": self.normalized_scores,
                "normalized_score_formula": SCORE,
                "random_value": self.random_value,
                "counts": self.counts,
                "probabilities": self.probabilities,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "unresolved": self.unresolved,
                "unresolved_ci": list(self.unresolved_ci),
                "ci_method": SHARE_CI,
                "global_value": self.global_value,
                "regret": self.regret,
                "regret_se": self.regret_se,
                "regret_ci": list(self.regret_ci),
                "regret_ci_method": REGRET_CI,
                "predicted": self.predicted,
                "z_scores": {s: self.z_scores(s) for s in self.predicted},
                "seconds": self.seconds,
            }
        )

    def __repr__(self) -> str:
        parts = [
            f"{lab}: {p:.3f} [{lo:.3f}, {hi:.3f}]"
            for lab, p, lo, hi in zip(self.labels, self.probabilities, self.ci_low, self.ci_high)
        ]
        pred = "".join(
            f"; {s}: " + ", ".join(f"{x:.3f}" for x in self.predicted[s]["probabilities"])
            for s in self.predicted
        )
        lo, hi = self.regret_ci
        return (
            f"GradeResult({self.env_id}, {self.n_seeds} seeds, eps={self.eps:g}; "
            + "; ".join(parts)
            + f"; unresolved: {self.unresolved:.3f}{pred}; regret {self.regret:.4g} "
            f"[95% t: {lo:.4g}, {hi:.4g}])"
        )

    def format_table(self) -> str:
        """A text table: each maximum's V, the agent's share [95% CI] and the predictions."""
        s = {} if self.settings is None else self.settings.to_dict()
        head = [
            f"{self.env_id}  {_kwargs_text(self.env_kwargs)}".rstrip(),
            f"{self.n_seeds} seeds in {self.seconds:.1f} s; final policy classified by the "
            f"nearest local maximum within total variation {self.eps:g}",
        ]
        if s:
            parts = [f"rule {s['rule']}"]
            if s.get("lr") is not None:
                parts.append(f"lr {s['lr']:g}")
            if s.get("n_updates") is not None:
                parts.append(f"{s['n_updates']} updates")
            parts.append(f"theta0 {_vec(s['theta0'])}")
            head.append("prediction settings: " + ", ".join(parts))
        cols = ["maximum", "V", "agent [Wilson 95%]"]
        if "mc" in self.predicted:
            cols += [f"pgweyl MC, n={self.predicted['mc']['n_runs']} [Wilson 95%]", "z"]
        if "chain" in self.predicted:
            cols += ["chain (first entry)"]
        rows = []
        z_mc = self.z_scores("mc") if "mc" in self.predicted else None
        names = [f"[{j}] {lab}" for j, lab in enumerate(self.labels)] + ["unresolved"]
        values = [f"{m.value:.6f}" for m in self.maxima] + [""]
        agent = [
            f"{p:.4f} [{lo:.4f}, {hi:.4f}]"
            for p, lo, hi in zip(
                self.shares(),
                np.append(self.ci_low, self.unresolved_ci[0]),
                np.append(self.ci_high, self.unresolved_ci[1]),
            )
        ]
        for i in range(len(names)):
            row = [names[i], values[i], agent[i]]
            if z_mc is not None:
                mc = self.predicted["mc"]
                lo = mc["ci_low"] + [mc["unresolved_ci"][0]]
                hi = mc["ci_high"] + [mc["unresolved_ci"][1]]
                p = mc["probabilities"] + [mc["unresolved"]]
                row += [f"{p[i]:.4f} [{lo[i]:.4f}, {hi[i]:.4f}]", f"{z_mc[i]:+.2f}"]
            if "chain" in self.predicted:
                ch = self.predicted["chain"]
                p = ch["probabilities"] + [ch["unresolved"]]
                err = ch["grid_error"] + [0.0]
                row += [f"{p[i]:.4f} ± {err[i]:.1e}" if i < len(self.labels) else "—"]
            rows.append(row)
        widths = [max(len(c), *(len(r[k]) for r in rows)) for k, c in enumerate(cols)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines = head + ["", fmt.format(*cols).rstrip()] + [fmt.format(*r).rstrip() for r in rows]
        unres = self.assignments < 0
        if unres.any():
            near = np.bincount(self.nearest[unres], minlength=len(self.labels))
            where = ", ".join(f"[{j}] x{int(c)}" for j, c in enumerate(near) if c)
            d = self.nearest_distance[unres]
            lines.append(
                f"unresolved seeds: {int(unres.sum())}; nearest maximum {where}; "
                f"TV distance to it {d.min():.3f} to {d.max():.3f}"
            )
        lo, hi = self.regret_ci
        n = self.n_seeds
        lines.append(
            f"regret E[V* - V(final)] = {self.regret:.6f}, 95% CI [{lo:.6f}, {hi:.6f}] "
            f"(Student t, {n - 1} df; SE {self.regret_se:.6f}; V* = {self.global_value:.6f})"
        )
        lines.append(
            f"normalised score (V - V_u)/(V* - V_u): mean {self.normalized_scores.mean():.4f} "
            f"(V_u = {self.random_value:.6f}, the uniform policy)"
        )
        return "\n".join(lines)


def _plain(v) -> bool:
    return isinstance(v, (str, int, float, bool, type(None), list, tuple, dict))


def _vec(v) -> str:
    return "(" + ", ".join(f"{float(x):g}" for x in v) + ")"


def _kwargs_text(kw: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in kw.items())


SEEDS_LIMIT = "seeds: {n} agents to train; at most {limit} (one agent per seed)"


def _check_seeds(seeds) -> tuple:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        n = validate.positive_int("seeds", seeds)
        require_count(n, MAX_SEEDS, SEEDS_LIMIT)
        return tuple(range(n))
    if hasattr(seeds, "__len__") and not isinstance(seeds, (str, bytes)):
        try:
            n = len(seeds)
        except OverflowError:  # a range longer than sys.maxsize
            n = f"more than {sys.maxsize}"
            raise ArgumentError(SEEDS_LIMIT.format(n=n, limit=MAX_SEEDS)) from None
        require_count(n, MAX_SEEDS, SEEDS_LIMIT)  # counted before it is walked
    try:
        out = tuple(validate.seed(s) for s in seeds)
    except TypeError:
        raise ArgumentError(
            f"seeds must be a positive count or a sequence of seeds, got {seeds!r}"
        ) from None
    if not out:
        raise ArgumentError("seeds must not be empty")
    return out


def _check_predict(predict) -> tuple:
    if isinstance(predict, str):
        predict = [p.strip() for p in predict.split(",") if p.strip()]
    return tuple(validate.choice("predict", p, PREDICTIONS) for p in predict)


def _resolve_settings(exact, agent_settings, given: dict, predict) -> RunSettings | None:
    """The :class:`RunSettings` of the predictions: ``given`` (the arguments of
    :func:`grade`: rule, lr, n_updates, theta0, n_runs, seed, eps, grid) first, then the
    agent's ``settings``; None when nothing is predicted and the budget is unknown."""
    s = dict(agent_settings or {})
    env = exact.env
    run = {k: given[k] if given.get(k) is not None else s.get(k) for k in _AGENT_KEYS}
    if not predict:
        if run["lr"] is None or run["n_updates"] is None:
            return None
    elif run["lr"] is None or run["n_updates"] is None:
        missing = " and ".join(n for n in ("lr", "n_updates") if run[n] is None)
        raise ArgumentError(
            f"pgweyl needs the agent's {missing} to predict; pass them to grade() "
            "(or give the agent a settings dict), or use predict=()"
        )
    if predict and "gamma" in s and abs(float(s["gamma"]) - env.gamma) > 1e-12:
        raise ArgumentError(
            f"the agent discounts with gamma={s['gamma']} but the environment's return uses "
            f"gamma={env.gamma}; set the agent's gamma to env.unwrapped.gamma"
        )
    if predict and "features" in s:
        k = len(env.steps.vectors)
        feats = np.eye(k) if s["features"] is None else np.asarray(s["features"], dtype=float)
        ours = env.steps.vectors if env.policy_kind == "exp" else np.eye(k)
        if feats.shape != ours.shape or not np.array_equal(feats, ours):
            raise ArgumentError(
                f"the agent's features {np.asarray(feats).tolist()} are not pgweyl's "
                f"'{env.policy_kind}' parametrisation {np.asarray(ours).tolist()}; the "
                "predicted chain would be another one (pass features=env.unwrapped.step_vectors)"
            )
    method = "both" if len(set(predict)) == 2 else (predict[0] if predict else "auto")
    fixed = {k: given[k] for k in ("n_runs", "seed", "eps", "grid") if given.get(k) is not None}
    settings = RunSettings(
        **{k: v for k, v in run.items() if v is not None}, **fixed, method=method
    )
    settings = settings.replace(theta0=tuple(settings.theta_for(env)))
    if "chain" in predict:
        settings.routes(env, repr(env))  # the one refusal where the chain does not apply
    return settings


#: What an agent's ``settings`` may declare for the predictions (arguments come first).
_AGENT_KEYS = ("rule", "lr", "n_updates", "theta0")


def _predict(exact, settings: RunSettings, predict, progress) -> dict:
    out = {}
    env = exact.env
    theta0 = settings.theta_for(env)
    maxima = exact.local_maxima(settings.rule)
    n_max = len(maxima)
    if "mc" in predict:
        # runs stop at FINAL_ABSORB_EPS; the final policy is classified within eps
        mc_settings = settings.replace(eps=FINAL_ABSORB_EPS, classify_tol=settings.eps, method="mc")
        mc = convergence_probabilities(env, settings=mc_settings, maxima=maxima, progress=progress)
        out["mc"] = {
            "probabilities": mc.probabilities.tolist(),
            "ci_low": mc.ci_low.tolist(),
            "ci_high": mc.ci_high.tolist(),
            "unresolved": float(mc.unresolved),
            "unresolved_ci": [float(x) for x in mc.unresolved_ci],
            "n_runs": int(mc.n_runs),
            "seed": int(settings.seed),
            "what": "final policy after n_updates, nearest maximum within eps (Monte Carlo)",
        }
    if "chain" in predict:
        ch = chain_absorption(
            env,
            settings.lr,
            eps=settings.eps,
            rule=settings.rule,
            grid=settings.grid,
            maxima=maxima,
            progress=enabled(progress),
        )
        p = ch.at(theta0, env)
        err = ch.grid_error(theta0, env)
        out["chain"] = {
            "probabilities": [float(x) for x in p[:n_max]],
            "grid_error": [float(x) for x in err[:n_max]],
            "unresolved": 0.0,
            "grid": int(ch.levels[0].size),
            "what": "first entry into the eps-ball of each maximum, no budget limit (θ-chain)",
        }
    return out


def _make_env(gym, env_id, env_kwargs):
    """``gym.make`` with a foreign env's own failure (a missing dependency, …) as one
    ArgumentError; pgweyl's errors (a bad spec) pass through."""
    try:
        return gym.make(env_id, **env_kwargs)
    except PgweylError:
        raise
    except Exception as err:  # noqa: BLE001 - any registered env's constructor
        raise ArgumentError(f"gym.make({env_id!r}) failed: {_first_line(err)}") from None


def _require_training_time(seconds: float, n_seeds: int, how: str) -> None:
    require_time(
        seconds,
        f"training {n_seeds} agents ({how})",
        "use fewer --seeds (seeds=) or a smaller budget",
    )


def _exact_of(env, env_id):
    """The ExactAnswers of a pgweyl Gymnasium env with blind observations."""
    base = env.unwrapped
    if not hasattr(base, "pgweyl_env"):
        raise ArgumentError(
            f"{env_id} is not a pgweyl environment: grade takes a pgweyl Gymnasium id "
            "(pgweyl/Corridor-v0, ...) or a pgweyl ENV spec (corridor:level=4)"
        )
    if getattr(base, "observation", "blind") != "blind":
        raise ArgumentError(
            "grading needs observation='blind': pgweyl's answers are for blind "
            f"memoryless policies, got observation={base.observation!r}"
        )
    return base.exact


# -- user code: every call into the agent goes through _user_call ---------------------------------
def agent_name(make_agent) -> str:
    """``module:qualname`` of an agent factory (its repr when it has none)."""
    mod = getattr(make_agent, "__module__", None)
    qual = getattr(make_agent, "__qualname__", None)
    return f"{mod}:{qual}" if mod and qual else repr(make_agent)


def _pgweyl_frame(filename: str) -> bool:
    """A frame of pgweyl's own code, or of the import machinery that ran a user's module."""
    import importlib
    import os

    if filename.startswith("<frozen "):
        return True
    path = os.path.abspath(filename)
    roots = (os.path.dirname(os.path.dirname(os.path.abspath(__file__))), *importlib.__path__)
    return any(path.startswith(os.path.abspath(r) + os.sep) for r in roots)


def user_traceback(err: BaseException) -> str:
    """The traceback of ``err`` with pgweyl's frames (and importlib's) left out: what the
    user's own code did. A SyntaxError keeps its file, line and caret."""
    import traceback

    frames = [f for f in traceback.extract_tb(err.__traceback__) if not _pgweyl_frame(f.filename)]
    head = ["Traceback (most recent call last):\n"] if frames else []
    head += traceback.format_list(frames)
    return "".join(head + traceback.format_exception_only(type(err), err)).rstrip("\n")


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


def agent_failure(name: str, what: str, err: BaseException) -> AgentError:
    """The :class:`AgentError` for an exception (or ``SystemExit``) raised by user code
    while pgweyl ran ``what`` of agent ``name``."""
    if isinstance(err, SystemExit):
        cause = f"called sys.exit({err.code!r})"
    else:
        cause = f"raised {_first_line(err)}"
    return AgentError(f"agent {name}: {what} {cause}", name, user_traceback(err))


def _user_call(name: str, what: str, fn, *args):
    """``fn(*args)`` for user code: pgweyl's own errors and Ctrl-C pass through; anything
    else it raises, ``SystemExit`` included, becomes the agent's :class:`AgentError`."""
    try:
        return fn(*args)
    except (KeyboardInterrupt, PgweylError):
        raise
    except BaseException as err:  # noqa: BLE001 - user code: SystemExit is its error too
        raise agent_failure(name, what, err) from None


def _agent_attribute(name: str, agent, attr: str):
    """``agent.attr`` read as user code (a property may raise)."""

    def read():
        return getattr(agent, attr, None)

    return _user_call(name, f"agent.{attr}", read)


def _check_agent(name: str, agent) -> None:
    missing = [m for m in ("train", "policy") if not callable(getattr(agent, m, None))]
    if missing:
        raise AgentError(
            f"agent {name}: make_agent(env) returned {_short_repr(agent)}, not an agent "
            f"(it has no {' and no '.join(m + '()' for m in missing)}; the protocol is "
            "train(env, seed) and policy())",
            name,
        )


def _short_repr(obj, limit: int = 60) -> str:
    try:
        text = repr(obj)
    except Exception:  # noqa: BLE001 - a user's __repr__ may fail; the type is enough
        text = f"<{type(obj).__name__}>"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_agent_settings(name: str, settings) -> dict | None:
    """The agent's ``settings`` validated (None when it declares none): a dict whose
    ``lr`` is a finite real > 0, ``n_updates`` an integer ≥ 1, ``rule`` a string,
    ``theta0`` None or a vector of finite reals, ``gamma`` a real in (0, 1] and
    ``features`` None or a 2-D array of finite reals; :class:`AgentError` naming the key
    otherwise (unknown keys are left alone)."""
    if settings is None:
        return None
    if not isinstance(settings, dict):
        raise AgentError(
            f"agent {name}: settings must be a dict, got {type(settings).__name__}", name
        )
    checks = {
        "lr": lambda v: validate.positive_real("lr", v),
        "n_updates": lambda v: validate.positive_int("n_updates", v),
        "rule": _check_rule_text,
        "theta0": lambda v: None if v is None else _real_array("theta0", v, 1),
        "gamma": lambda v: validate.finite_real("gamma", v, lo=0.0, hi=1.0, lo_open=True),
        "features": lambda v: None if v is None else _real_array("features", v, 2),
    }
    out = dict(settings)
    for key, check in checks.items():
        if key in settings and (key in ("theta0", "features") or settings[key] is not None):
            try:
                out[key] = check(settings[key])
            except PgweylError as err:
                raise AgentError(
                    f"agent {name}: settings[{key!r}] = {_short_repr(settings[key])} is "
                    f"refused: {err}",
                    name,
                ) from None
    return out


def _check_rule_text(v):
    if not isinstance(v, str):
        raise ArgumentError(f"rule must be a pgweyl.rules spec (a string), got {type(v).__name__}")
    return v


def _real_array(what: str, v, ndim: int):
    if isinstance(v, (str, bytes, dict)):
        raise ArgumentError(f"{what} must be an array of finite numbers")
    try:
        a = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise ArgumentError(f"{what} must be an array of finite numbers") from None
    if a.ndim != ndim or not np.all(np.isfinite(a)):
        shape = "a vector" if ndim == 1 else "a 2-D array"
        raise ArgumentError(f"{what} must be {shape} of finite numbers, got shape {a.shape}")
    return a.tolist()


#: Seconds per environment step of a Python agent on a pgweyl Gymnasium env (the reference
#: agent measured about 12 µs on one core; a loaded machine or a heavier agent is slower).
STEP_SECONDS = 20e-6


def training_estimate(exact, n_seeds: int, n_updates: int, theta0=None) -> float:
    """Seconds to train ``n_seeds`` agents of ``n_updates`` episodes each: episodes of
    E_θ0[T] steps (exact, at the start θ0) at :data:`STEP_SECONDS` per step. Rough: an
    agent that learns changes E[T], but by a factor, not by orders of magnitude."""
    env = exact.env
    theta = np.zeros(env.theta_dim) if theta0 is None else np.asarray(theta0, dtype=float)
    try:
        mean_t = float(env.mean_exit_time(theta, tol=1e-3))
    except PgweylError:
        mean_t = 1.0
    return n_seeds * n_updates * (mean_t + 1.0) * STEP_SECONDS


def grade(
    make_agent,
    env_id,
    seeds=100,
    *,
    eps=None,
    lr=None,
    n_updates=None,
    theta0=None,
    rule=None,
    predict=("mc",),
    mc_runs=None,
    mc_seed=None,
    chain_grid=None,
    settings: RunSettings | None = None,
    progress=None,
    force: bool = False,
    **env_kwargs,
) -> GradeResult:
    """Train ``make_agent(env)`` once per seed on ``gym.make(env_id, **env_kwargs)`` and
    grade the final policies against pgweyl's exact answers (module docstring).

    User code (the factory, ``train``, ``policy``, ``settings``) that raises, calls
    ``sys.exit`` or returns no agent, and results that break the protocol (a policy
    that is not a probability vector, ``settings`` with an lr that is not a finite
    real > 0, …) raise :class:`pgweyl.AgentError` naming the agent, with its own
    traceback in ``user_traceback``; Ctrl-C passes through as KeyboardInterrupt.

    Parameters
    ----------
    make_agent : callable env → agent (protocol in the module docstring).
    env_id : a pgweyl Gymnasium id (``"pgweyl/Corridor-v0"``, …).
    seeds : a count n (seeds 0..n−1) or a sequence of seeds.
    eps : classification radius in total variation, in (0, ½) (default
        :data:`CLASSIFY_EPS`).
    lr, n_updates, theta0, rule : settings for the predictions (default: ``agent.settings``).
    predict : subset of ("mc", "chain") (a tuple or "mc,chain"); () for none.
    mc_runs, mc_seed : size and seed of the "mc" prediction (default: those of
        :class:`RunSettings`).   chain_grid : chain grid (default: the solver's).
    settings : instead of ``eps`` … ``chain_grid``, one :class:`RunSettings` (``eps`` the
        classification radius, ``n_runs``/``seed`` the "mc" prediction's, ``grid`` the
        chain's) — ``RunSettings.from_dict`` of a result's record reruns it.
    progress : over seeds (and the "mc" prediction's runs), on stderr: None (a bar on a
        terminal, else nothing), True/"bar", False/"off", or "lines" — a plain line at
        most every 10 s, for logs (:mod:`pgweyl.progress`; ``pgweyl grade`` uses it when
        stderr is piped, ``--quiet`` turns it off).
    force : go ahead even when the training is estimated to take longer than
        :data:`pgweyl.estimate.TIME_BUDGET` (else :class:`pgweyl.TimeBudgetError` before
        the first seed when the budget ``n_updates`` is known, from E_θ0[T] exactly,
        and after the second seed from its measured time in any case).

    Returns
    -------
    GradeResult
        Its ``settings`` is the :class:`RunSettings` of the predictions (``grid``
        resolved where the chain ran), None when nothing is predicted and the agent's
        budget is unknown.
    """
    gym = require_gymnasium()
    if not callable(make_agent):
        raise ArgumentError(f"make_agent must be a callable env -> agent, got {make_agent!r}")
    seeds = _check_seeds(seeds)
    predict = _check_predict(predict)
    given = {
        "rule": rule,
        "lr": lr,
        "n_updates": n_updates,
        "theta0": theta0,
        "n_runs": mc_runs,
        "seed": mc_seed,
        "eps": eps,
        "grid": chain_grid,
    }
    # every setting validated once, before the first training
    probe = settings_of(settings, **given)
    if settings is not None:
        given = {k: getattr(settings, k) for k in given}
    elif eps is None:  # the grader's own radius, not the studies' absorbing one
        given["eps"] = CLASSIFY_EPS
    eps = CLASSIFY_EPS if settings is None and eps is None else probe.eps
    progress = resolve(progress)
    if not isinstance(env_id, str) or env_id not in gym.registry:
        hint = "" if not isinstance(env_id, str) or "/" in env_id else " (import pgweyl.gym first)"
        raise ArgumentError(f"unknown Gymnasium id {env_id!r}{hint}")
    name = agent_name(make_agent)
    exact = settings = None
    policies = []
    bar = None  # made once the first seed's settings are checked
    start = time.perf_counter()
    try:
        for i, seed in enumerate(seeds):
            env = _make_env(gym, env_id, env_kwargs)
            try:
                if i == 0:  # the env is checked before any user code sees it
                    exact = _exact_of(env, env_id)
                agent = _user_call(name, "make_agent(env)", make_agent, env)
                _check_agent(name, agent)
                if i == 0:  # check everything before the first (and every) training
                    agent_settings = check_agent_settings(
                        name, _agent_attribute(name, agent, "settings")
                    )
                    settings = _resolve_settings(exact, agent_settings, given, predict)
                    n_updates = given.get("n_updates") or (agent_settings or {}).get("n_updates")
                    if n_updates is not None and not force:
                        theta0 = None if settings is None else settings.theta_for(exact.env)
                        _require_training_time(
                            training_estimate(exact, len(seeds), n_updates, theta0),
                            len(seeds),
                            f"{n_updates} updates each",
                        )
                    bar = Progress(len(seeds), f"training on {env_id}", "seed", progress)
                t_seed = time.perf_counter()
                _user_call(name, f"agent.train(env, seed={seed})", agent.train, env, seed)
                probs = _user_call(name, "agent.policy()", agent.policy)
                t_seed = time.perf_counter() - t_seed
            finally:
                env.close()
            try:
                policies.append(exact.check_probs(probs))
            except PgweylError as err:
                raise AgentError(
                    f"agent {name}: agent.policy() returned {_short_repr(probs)} after seed "
                    f"{seed}: {err}",
                    name,
                ) from None
            if i == 1 and len(seeds) > 2 and not force:
                # measured, for any agent and budget: the second seed's training (the first
                # may carry one-off costs: imports, compilation, pgweyl's exact setup)
                _require_training_time(
                    time.perf_counter() - start + t_seed * (len(seeds) - 2),
                    len(seeds),
                    f"{t_seed:.2g} s measured for one",
                )
            bar.update(1)
    except BaseException:
        if bar is not None:  # no final "100%" line for a failed or interrupted run
            bar.close(finished=False)
        raise
    seconds = time.perf_counter() - start
    bar.close()
    final = np.array(policies)
    # the agent's policies are judged against the maxima of the objective its rule
    # ascends (V, or J_τ for entropy), as pgweyl's predictions are; regret is against V*
    rule_used = settings.rule if settings is not None else "vanilla"
    maxima = tuple(exact.local_maxima(rule_used))
    nearest, nearest_distance = exact.nearest(final, rule_used)
    assign = np.where(nearest_distance <= eps, nearest, -1)
    counts = np.bincount(assign[assign >= 0], minlength=len(maxima))
    n = len(seeds)
    n_unres = int((assign < 0).sum())
    values = np.array([exact.value_of_policy(p) for p in final])
    v_star = float(exact.global_maximum.value)
    v_uniform = float(exact.value_of_policy(np.full(exact.n_actions, 1.0 / exact.n_actions)))
    scores = (values - v_uniform) / (v_star - v_uniform)
    regret = v_star - values
    regret_se, regret_ci = _mean_interval(regret)
    predicted = _predict(exact, settings, predict, progress) if predict else {}
    if "chain" in predicted and settings.grid is None:  # recorded as resolved
        settings = settings.replace(grid=predicted["chain"]["grid"])
    vectors = exact.env.steps.vectors
    labels = tuple("{" + ", ".join(step_label(vectors[s]) for s in m.support) + "}" for m in maxima)
    for arr in (final, assign, values, nearest, nearest_distance, scores):
        arr.setflags(write=False)
    return GradeResult(
        env_id=env_id,
        env_kwargs=dict(env_kwargs),
        env=exact.env.to_dict(),
        seeds=seeds,
        eps=eps,
        settings=settings,
        maxima=maxima,
        labels=labels,
        final_policies=final,
        assignments=assign,
        final_values=values,
        nearest=nearest,
        nearest_distance=nearest_distance,
        normalized_scores=scores,
        random_value=v_uniform,
        **share_fields(counts, n_unres, n),
        global_value=v_star,
        regret=float(regret.mean()),
        regret_se=regret_se,
        regret_ci=regret_ci,
        predicted=predicted,
        seconds=seconds,
    )


def _mean_interval(x) -> tuple[float, tuple]:
    """(standard error, Student t 95% interval) of the mean of ``x``:
    mean ± t_{0.975, n−1} · s/√n with s the sample standard deviation (ddof 1); NaN for
    n = 1."""
    n = len(x)
    if n < 2:
        return float("nan"), (float("nan"), float("nan"))
    from scipy.stats import t

    mean = float(np.mean(x))
    se = float(np.std(x, ddof=1) / math.sqrt(n))
    half = float(t.ppf(0.975, n - 1)) * se
    return se, (mean - half, mean + half)


def seeds_needed(p1, p2, alpha=0.05, power=0.8, two_sample=False) -> int:
    """Seeds needed to tell a share p₁ from a share p₂ with a two-sided z-test at level
    ``alpha`` and power ``power`` = 1 − β (normal approximation; Fleiss, Levin & Paik,
    *Statistical Methods for Rates and Proportions*, 3rd ed., §4.2).

    - ``two_sample=False`` (the agent against a prediction taken as exact, e.g. the
      θ-chain or a Monte Carlo with many more runs than seeds): under H0 the agent's
      share is p₁, the truth is p₂, and

          n = ⌈ (z_{1−α/2} √(p₁(1−p₁)) + z_{1−β} √(p₂(1−p₂)))² / (p₁ − p₂)² ⌉;

    - ``two_sample=True`` (two agents, n seeds each; pooled z-test), p̄ = (p₁ + p₂)/2:

          n = ⌈ (z_{1−α/2} √(2 p̄(1−p̄)) + z_{1−β} √(p₁(1−p₁) + p₂(1−p₂)))² / (p₁ − p₂)² ⌉

      seeds per agent.

    The tests hold the answer against the exact binomial power of the same test.

    >>> seeds_needed(0.37, 0.5), seeds_needed(0.37, 0.5, two_sample=True)
    (111, 228)
    """
    p1 = validate.finite_real("p1", p1, lo=0.0, hi=1.0)
    p2 = validate.finite_real("p2", p2, lo=0.0, hi=1.0)
    alpha = validate.finite_real("alpha", alpha, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    power = validate.finite_real("power", power, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    if p1 == p2:
        raise ArgumentError(
            f"p1 and p2 must differ (both {p1:g}): no number of seeds tells them apart"
        )
    if not two_sample and p1 in (0.0, 1.0):
        raise ArgumentError(
            f"the null share p1 must lie strictly between 0 and 1 for the z-test, got {p1:g}"
        )
    z = NormalDist()
    za, zb = z.inv_cdf(1 - alpha / 2), z.inv_cdf(power)
    v1, v2 = p1 * (1 - p1), p2 * (1 - p2)
    if two_sample:
        pbar = (p1 + p2) / 2
        root = za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(v1 + v2)
    else:
        root = za * math.sqrt(v1) + zb * math.sqrt(v2)
    return max(1, math.ceil(root * root / (p1 - p2) ** 2 - 1e-9))


def score_matrix(results) -> np.ndarray:
    """The runs × tasks array of normalised scores of several :class:`GradeResult` (one
    per task, the same number of seeds each) — the layout rliable takes per algorithm:
    ``{"my agent": score_matrix([res_a, res_b])}``. Column k is
    ``results[k].normalized_scores``, (V(final) − V_u) / (V* − V_u)."""
    results = list(results)
    if not results or not all(isinstance(r, GradeResult) for r in results):
        raise ArgumentError("score_matrix needs a non-empty sequence of GradeResult (one per task)")
    sizes = sorted({r.n_seeds for r in results})
    if len(sizes) > 1:
        raise ArgumentError(
            "every task needs the same number of seeds (runs) for a runs x tasks array, "
            f"got {sizes}"
        )
    return np.column_stack([np.asarray(r.normalized_scores, dtype=float) for r in results])


__all__ = [
    "FINAL_ABSORB_EPS",
    "STEP_SECONDS",
    "PREDICTIONS",
    "REGRET_CI",
    "SCORE",
    "SHARE_CI",
    "GradeResult",
    "agent_failure",
    "agent_name",
    "check_agent_settings",
    "grade",
    "score_matrix",
    "seeds_needed",
    "training_estimate",
    "user_traceback",
]
