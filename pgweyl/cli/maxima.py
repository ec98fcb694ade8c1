"""``pgweyl maxima ENV``: the local maxima with their certificates and basin shares."""

from __future__ import annotations

from pgweyl.cli.options import count, parse_env, progress
from pgweyl.cli.output import Outcome, steps_label, vec
from pgweyl.landscape.settings import provenance

HELP = "local maxima with certificates and basin shares"


def add_arguments(parser) -> None:
    parser.add_argument(
        "--basin-samples",
        type=count,
        default=16,
        help="gradient-flow starts for the basin shares (default 16, at most 10000; 0 skips)",
    )


def run(args) -> Outcome:
    from pgweyl.landscape import local_maxima

    env = parse_env(args.env)
    maxima = local_maxima(
        env, basin_samples=args.basin_samples, seed=args.seed, progress=progress(args)
    )
    out = {
        **provenance(env.to_dict()),
        "env_repr": repr(env),
        "seed": args.seed,
        "basin_samples": args.basin_samples,
        "maxima": [
            {**m.to_dict(), "steps": steps_label(env, m.support), "flat": m.flat} for m in maxima
        ],
    }
    return Outcome(out, fmt)


def fmt(d) -> list[str]:
    lines = [d["env_repr"]]
    for j, m in enumerate(d["maxima"]):
        c = m["certificate"]
        kind = (
            "flat face"
            if m["flat"]
            else ("vertex" if len(m["support"]) == 1 else f"face dim {c['face_dim']}")
        )
        share = ""
        if m["basin_share"] is not None:
            lo, hi = m["basin_ci"]
            share = (
                f"   basin share {m['basin_share']:.3f} [{lo:.2f}, {hi:.2f}] "
                f"(95%, {d['basin_samples']} flow starts)"
            )
        lines += [
            f"[{j}] support {m['steps']} ({kind})   V = {m['value']:.12g}{share}",
            f"    policy {vec(m['policy'])}",
            f"    certificate: |grad| = {c['gradient_norm']:.2e}, max Hessian eig = "
            f"{c['hessian_max_eig']}, gain rate into bigger faces = {c.get('gain_rate')}, "
            f"perturbation gain = {c.get('perturbation_gain')}",
        ]
    return lines
