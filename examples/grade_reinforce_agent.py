"""Grade a REINFORCE agent written on the Gymnasium API against pgweyl's exact answers.

The agent below knows nothing of pgweyl: it acts on ``env.action_space``, calls
``env.reset``/``env.step`` and keeps θ ∈ R^|A| with π = softmax(θ) — on the corridor's
unit steps exactly pgweyl's exponential family. After each episode it makes the vanilla
REINFORCE update (batch 1, no baseline, constant step size α) from the actions it took:

    G = Σ_t γ^t r_t,   θ ← θ + α · G · Σ_t (e_{a_t} − π)        (THEORY §5)

``pgweyl.gym.grade`` trains one agent per seed on ``pgweyl/Corridor-v0``, classifies each
final policy by the nearest local maximum within total variation ε (else "unresolved")
and sets the shares, with Wilson 95% intervals, beside pgweyl's predictions for the same
α, θ0 = 0, ε and budget: its own Numba REINFORCE (Monte Carlo, final policy after the
same number of updates: the like-for-like number, with z-scores) and the θ-chain solver
(first entry into the ε-ball with no budget limit, THEORY §7). It also reports the regret
E[V* − V(final)] against the global maximum (the treasure).

Writes OUTDIR/grade_reinforce_agent.{png,pdf} (agent vs pgweyl per maximum, and the
final values V of the agents) and OUTDIR/grade_reinforce_agent.json.

    python examples/grade_reinforce_agent.py OUTDIR [--quick]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a script that writes files: no window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import pgweyl.gym  # noqa: E402  (registers pgweyl/Corridor-v0, ...)
from pgweyl import validate  # noqa: E402
from pgweyl.budget import MAX_SEEDS, require_count  # noqa: E402
from pgweyl.cli import Parser, count, run_script  # noqa: E402
from pgweyl.gym.grading import SEEDS_LIMIT  # noqa: E402
from pgweyl.serialize import (  # noqa: E402
    check_folder_outputs,
    figure_files,
    figure_paths,
    json_text,
    prepare_folder,
    write_files,
)

QUICK = {"level": 4, "trap_distance": 1, "lr": 2.0, "updates": 300, "seeds": 200, "grid": 501}
FULL = {"level": 6, "trap_distance": 2, "lr": 1.0, "updates": 1000, "seeds": 2000, "grid": 2001}
EPS = 0.05
MC_RUNS = 20_000


class Reinforce:
    """Vanilla REINFORCE with one logit per action, on any Discrete Gymnasium env."""

    def __init__(self, lr, n_updates, gamma):
        self.lr, self.n_updates, self.gamma = lr, n_updates, gamma
        self.theta = None

    def policy(self):
        z = np.exp(self.theta - self.theta.max())
        return z / z.sum()

    def train(self, env, seed):
        rng = np.random.default_rng(seed)
        n = env.action_space.n
        self.theta = np.zeros(n)
        env.reset(seed=seed)
        for k in range(self.n_updates):
            if k:
                env.reset()
            pi = self.policy()
            counts, ret, disc, done = np.zeros(n), 0.0, 1.0, False
            while not done:
                a = int(rng.choice(n, p=pi))
                _, r, terminated, truncated, _ = env.step(a)
                counts[a] += 1
                ret += disc * r
                disc *= self.gamma
                done = terminated or truncated
            self.theta += self.lr * ret * (counts - counts.sum() * pi)

    @property
    def settings(self):  # what pgweyl should predict for this agent
        return {"rule": "vanilla", "lr": self.lr, "n_updates": self.n_updates, "gamma": self.gamma}


#: The files written into OUTDIR (checked before any work, written together at the end).
OUTPUTS = ("grade_reinforce_agent.png", "grade_reinforce_agent.pdf", "grade_reinforce_agent.json")


def main(argv=None) -> int:
    parser = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", type=Path, help="folder for the figure and the JSON")
    parser.add_argument("--quick", action="store_true", help="a small corridor, 200 seeds")
    parser.add_argument("--seeds", type=count, help="agents trained (one per seed)")
    parser.add_argument("--seed", type=count, default=0, help="seed of pgweyl's Monte Carlo")
    args = parser.parse_args(argv)
    cfg = dict(QUICK if args.quick else FULL)
    # Validate everything before the first computation, the output folder included: the
    # count of agents by the limit pgweyl grade applies (budget.MAX_SEEDS).
    if args.seeds is not None:
        cfg["seeds"] = validate.positive_int("--seeds", args.seeds)
    require_count(cfg["seeds"], MAX_SEEDS, SEEDS_LIMIT)
    validate.seed(args.seed)
    prepare_folder(args.outdir)
    check_folder_outputs(args.outdir, OUTPUTS, follow_links=True)

    knobs = {"level": cfg["level"], "trap_distance": cfg["trap_distance"]}
    res = pgweyl.gym.grade(
        lambda env: Reinforce(cfg["lr"], cfg["updates"], env.unwrapped.gamma),
        "pgweyl/Corridor-v0",
        seeds=cfg["seeds"],
        eps=EPS,
        predict=("mc", "chain"),
        mc_runs=MC_RUNS,
        mc_seed=args.seed,
        chain_grid=cfg["grid"],
        **knobs,
    )

    names = list(res.labels) + ["unresolved"]
    values = [m.value for m in res.maxima] + [None]
    mc, chain = res.predicted["mc"], res.predicted["chain"]
    mc_p = mc["probabilities"] + [mc["unresolved"]]
    mc_lo = mc["ci_low"] + [mc["unresolved_ci"][0]]
    mc_hi = mc["ci_high"] + [mc["unresolved_ci"][1]]
    ch_p = chain["probabilities"] + [None]
    lo = list(res.ci_low) + [res.unresolved_ci[0]]
    hi = list(res.ci_high) + [res.unresolved_ci[1]]
    z = res.z_scores("mc")
    rows = [
        {
            "maximum": names[j],
            "value": values[j],
            "agent": float(res.shares()[j]),
            "ci_low": float(lo[j]),
            "ci_high": float(hi[j]),
            "pgweyl_mc": mc_p[j],
            "mc_ci_low": mc_lo[j],
            "mc_ci_high": mc_hi[j],
            "chain_first_entry": ch_p[j],
            "z": float(z[j]),
        }
        for j in range(len(names))
    ]

    fig, (ax, ax_v) = plt.subplots(1, 2, figsize=(11, 4.2))
    x = np.arange(len(names))
    w = 0.27
    agent = np.array([r["agent"] for r in rows])
    ax.bar(x - w, agent, w, color="tab:blue", label=f"Gymnasium agent ({res.n_seeds} seeds)")
    ax.errorbar(
        x - w, agent, yerr=[agent - lo, np.array(hi) - agent], fmt="none", ecolor="k", capsize=3
    )
    mcp = np.array(mc_p)
    ax.bar(x, mcp, w, color="tab:orange", label=f"pgweyl REINFORCE ({MC_RUNS} runs)")
    ax.errorbar(
        x, mcp, yerr=[mcp - mc_lo, np.array(mc_hi) - mcp], fmt="none", ecolor="k", capsize=3
    )
    ax.bar(
        x[:-1] + w,
        chain["probabilities"],
        w,
        color="tab:red",
        alpha=0.6,
        label="θ-chain: first entry, no budget limit",
    )
    ax.set_xticks(x, [f"{n}\nV = {v:.3f}" if v is not None else n for n, v in zip(names, values)])
    ax.set_ylabel(f"share of runs (final policy within TV {EPS:g})")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title(
        f"corridor level {cfg['level']}, trap at {cfg['trap_distance']}: α = {cfg['lr']:g}, "
        f"{cfg['updates']} updates, θ0 = 0",
        fontsize=10,
    )
    ax_v.hist(res.final_values, bins=40, color="tab:blue", alpha=0.8)
    for m in res.maxima:
        ax_v.axvline(m.value, color="k", ls="--", lw=1)
    ax_v.set_xlabel("V(final policy) of each agent (dashed: the local maxima)")
    ax_v.set_ylabel("agents")
    lo, hi = res.regret_ci
    ax_v.set_title(
        f"regret E[V* − V(final)] = {res.regret:.4f}, 95% t-interval [{lo:.4f}, {hi:.4f}]",
        fontsize=10,
    )
    fig.tight_layout()
    paths = figure_paths(args.outdir / "grade_reinforce_agent")
    files = figure_files(fig, args.outdir / "grade_reinforce_agent")  # written with the JSON
    plt.close(fig)

    result = {
        "example": "grade_reinforce_agent",
        "theory": "THEORY §5, §7",
        "quick": args.quick,
        "settings": {**cfg, "eps": EPS, "mc_runs": MC_RUNS, "seed": args.seed},
        "rows": rows,
        "regret": res.regret,
        "regret_se": res.regret_se,
        "regret_ci": list(res.regret_ci),
        "regret_ci_method": pgweyl.gym.grading.REGRET_CI,
        "global_value": res.global_value,
        "agrees": bool(np.all(np.abs(z) < 4)),
        "grade": res.to_dict(),
        "seconds": res.seconds,
        "figures": [str(p) for p in paths],
    }
    json_path = args.outdir / "grade_reinforce_agent.json"
    files[json_path] = json_text(result)
    write_files(files)  # all three files or none
    print(res.format_table())
    verdict = "agrees with" if result["agrees"] else "DIFFERS from"
    print(f"the agent {verdict} pgweyl's REINFORCE (every |z| < 4)")
    print(f"wrote {', '.join(result['figures'])}, {json_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_script(main))
