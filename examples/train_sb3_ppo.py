"""Train Stable-Baselines3 PPO on a pgweyl environment and grade it against exact answers.

The five lines a Stable-Baselines3 user writes, unchanged — pgweyl's environments are
ordinary Gymnasium ids:

    import pgweyl.gym
    from stable_baselines3 import PPO
    model = PPO("MlpPolicy", "pgweyl/Corridor-v0", gamma=0.95, seed=0)
    model.learn(total_timesteps=20_000)
    probs = action_probabilities(model)      # the blind policy: one observation

The environment is blind (one observation), so the policy network sees a constant input
and its action probabilities are the whole policy. ``pgweyl.gym.grade`` then trains one
PPO per seed and sets the final policies beside pgweyl's exact answers: the share of seeds
ending at each local maximum of V (nearest maximum in total variation ≤ ε; Wilson 95%
intervals), the value V(final policy) of each seed computed exactly, and the regret
E[V* − V(final)] against the global maximum (the treasure). PPO is not vanilla
REINFORCE (clipped surrogate, GAE advantages, a value baseline, Adam), so pgweyl's
REINFORCE predictions are not its null hypothesis and none is made (``predict=()``).

The discount of PPO is set to the environment's (``env.unwrapped.gamma``): pgweyl's
V is the γ-discounted return of that γ.

Writes OUTDIR/train_sb3_ppo.{png,pdf} (shares per maximum; the last frame of an episode
of the trained policy, ``render_mode="rgb_array"``) and OUTDIR/train_sb3_ppo.json.

Needs Stable-Baselines3 and PyTorch: ``python -m pip install 'pgweyl[sb3]'`` (install a
CPU build of torch first if you do not want a CUDA one).

    python examples/train_sb3_ppo.py OUTDIR [--quick]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a script that writes files: no window

import gymnasium as gym  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from stable_baselines3 import PPO  # noqa: E402

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

ENV_ID = "pgweyl/Corridor-v0"
QUICK = {"level": 4, "trap_distance": 1, "timesteps": 2048, "seeds": 3}
FULL = {"level": 8, "trap_distance": 2, "timesteps": 20_000, "seeds": 20}
EPS = 0.05


def action_probabilities(model) -> np.ndarray:
    """π(a) of a trained SB3 policy at the blind environment's one observation (0)."""
    obs, _ = model.policy.obs_to_tensor(np.array(0))
    with torch.no_grad():
        probs = model.policy.get_distribution(obs).distribution.probs[0]
    return probs.cpu().numpy().astype(float)


class PPOAgent:
    """The grading protocol of pgweyl.gym.grade around SB3's PPO (default hyperparameters)."""

    def __init__(self, timesteps):
        self.timesteps = timesteps
        self.model = None

    def train(self, env, seed):
        self.model = PPO("MlpPolicy", env, gamma=env.unwrapped.gamma, seed=seed, device="cpu")
        self.model.learn(total_timesteps=self.timesteps)

    def policy(self):
        return action_probabilities(self.model)


def last_frame(model, knobs, seed) -> np.ndarray:
    """The rgb_array frame at the end of one episode of the trained (stochastic) policy."""
    env = gym.make(ENV_ID, render_mode="rgb_array", **knobs)
    obs, _ = env.reset(seed=seed)
    while True:
        action, _ = model.predict(obs, deterministic=False)
        obs, _, terminated, truncated, _ = env.step(action)  # a 0-d array: accepted
        if terminated or truncated:
            return env.render()


#: The files written into OUTDIR (checked before any work, written together at the end).
OUTPUTS = ("train_sb3_ppo.png", "train_sb3_ppo.pdf", "train_sb3_ppo.json")


def main(argv=None) -> int:
    parser = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", type=Path, help="folder for the figure and the JSON")
    parser.add_argument("--quick", action="store_true", help="3 seeds of 2048 steps")
    parser.add_argument("--seeds", type=count, help="agents trained (one per seed)")
    args = parser.parse_args(argv)
    cfg = dict(QUICK if args.quick else FULL)
    # Validate everything before the first computation, the output folder included: the
    # count of agents by the limit pgweyl grade applies (budget.MAX_SEEDS).
    if args.seeds is not None:
        cfg["seeds"] = validate.positive_int("--seeds", args.seeds)
    require_count(cfg["seeds"], MAX_SEEDS, SEEDS_LIMIT)
    prepare_folder(args.outdir)
    check_folder_outputs(args.outdir, OUTPUTS, follow_links=True)
    # A 64-unit network: more threads only add overhead (4x slower on a loaded 2-core box).
    torch.set_num_threads(1)

    knobs = {"level": cfg["level"], "trap_distance": cfg["trap_distance"]}
    start = time.perf_counter()
    agents = []

    def make_agent(env):
        agents.append(PPOAgent(cfg["timesteps"]))
        return agents[-1]

    res = pgweyl.gym.grade(make_agent, ENV_ID, seeds=cfg["seeds"], eps=EPS, predict=(), **knobs)
    frame = last_frame(agents[-1].model, knobs, seed=0)

    names = list(res.labels) + ["unresolved"]
    values = [m.value for m in res.maxima] + [None]
    lo = list(res.ci_low) + [res.unresolved_ci[0]]
    hi = list(res.ci_high) + [res.unresolved_ci[1]]
    rows = [
        {
            "maximum": names[j],
            "value": values[j],
            "share": float(res.shares()[j]),
            "wilson95_low": float(lo[j]),
            "wilson95_high": float(hi[j]),
        }
        for j in range(len(names))
    ]

    fig, (ax, ax_f) = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [1, 1.4]})
    x = np.arange(len(names))
    share = np.array([r["share"] for r in rows])
    ax.bar(x, share, 0.6, color="tab:blue", label=f"PPO ({res.n_seeds} seeds)")
    ax.errorbar(
        x,
        share,
        yerr=np.maximum(0.0, [share - lo, np.array(hi) - share]),  # Wilson at 0: lo ≈ 1e-17
        fmt="none",
        ecolor="k",
        capsize=3,
    )
    ax.set_xticks(x, [f"{n}\nV = {v:.3f}" if v is not None else n for n, v in zip(names, values)])
    ax.set_ylabel(f"share of seeds (final policy within TV {EPS:g})")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title(
        f"PPO, {cfg['timesteps']} steps: regret {res.regret:.3f} (V* = {res.global_value:.3f})",
        fontsize=10,
    )
    ax_f.imshow(frame, interpolation="nearest")
    ax_f.set_axis_off()
    ax_f.set_title("render_mode='rgb_array': one episode of the trained policy", fontsize=10)
    fig.tight_layout()
    paths = figure_paths(args.outdir / "train_sb3_ppo")
    files = figure_files(fig, args.outdir / "train_sb3_ppo")  # written with the JSON
    plt.close(fig)

    result = {
        "example": "train_sb3_ppo",
        "theory": "THEORY §5, §6",
        "quick": args.quick,
        "settings": {**cfg, "eps": EPS, "algorithm": "stable_baselines3.PPO (defaults)"},
        "rows": rows,
        "final_policies": res.final_policies,
        "final_values": res.final_values,
        "regret": res.regret,
        "global_value": res.global_value,
        "grade": res.to_dict(),
        "frame_shape": list(frame.shape),
        "seconds": time.perf_counter() - start,
        "figures": [str(p) for p in paths],
    }
    json_path = args.outdir / "train_sb3_ppo.json"
    files[json_path] = json_text(result)
    write_files(files)  # all three files or none
    print(res.format_table())
    print(f"wrote {', '.join(result['figures'])}, {json_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_script(main))
