"""``pgweyl grade``: the command-line face of :func:`pgweyl.gym.grade`.

    pgweyl grade ENV [--agent reinforce | MODULE:FACTORY] [--seeds N] [--lr A]
                     [--updates K] [--theta0 ...] [--eps E] [--predict mc,chain]
                     [--mc-runs R] [--rule vanilla] [--force]

ENV is a pgweyl Gymnasium id (``pgweyl/Corridor-v0``) or a pgweyl ENV spec
(``corridor:level=4,trap_distance=1`` or a TOML file), graded on
``pgweyl/AlcoveWalk-v0``. ``--agent reinforce`` is :class:`pgweyl.gym.ReinforceAgent`
(``--lr``, ``--updates``, ``--theta0`` configure it, its discount is the env's);
``MODULE:FACTORY`` names a callable ``make_agent(env)`` (imported from the current folder
too, as ``python -m pgweyl`` does; the agent protocol of
:mod:`pgweyl.gym.grading`), and ``--lr``/``--updates``/``--theta0`` then override what
its ``settings`` declare for the predictions. Seeds are ``--seed`` … ``--seed + N − 1``;
``--seed`` is also the seed of the "mc" prediction. The JSON carries the predictions'
settings (a :class:`pgweyl.landscape.settings.RunSettings` record), ``pgweyl_version``
and the environment.

The agent's faults are its own: a factory or module that raises, calls ``sys.exit`` or
returns no agent, and results that break the protocol end with one line ``pgweyl: error:
agent NAME: …`` and then the agent's own traceback (its frames, none of pgweyl's), exit 2.
Training longer than the time budget (estimated before the first seed from the exact
E[T] when the budget is known, and from the second seed's time) is refused unless
``--force``; Ctrl-C stops it (exit 130).

:func:`add_arguments` declares everything except the options every pgweyl subcommand
shares (``--quiet``, ``--seed``, ``--json``), which :func:`run` reads when present.
This module imports gymnasium only in :func:`run`.

>>> import argparse
>>> parser = argparse.ArgumentParser(prog="pgweyl grade")
>>> add_arguments(parser)
>>> args = parser.parse_args(["corridor:level=4,trap_distance=1", "--seeds", "3",
...                           "--updates", "20", "--predict", ""])
>>> out = run(args)
>>> out.data["env_id"], len(out.data["seeds"]), out.format(out.data)[0]
('pgweyl/AlcoveWalk-v0', 3, 'pgweyl/AlcoveWalk-v0  spec=corridor:level=4,trap_distance=1')
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys

from pgweyl.budget import MAX_SEEDS, require_count
from pgweyl.cli.options import count, progress, real
from pgweyl.cli.output import EXIT_OK, Outcome
from pgweyl.env.spec import parse_env_spec
from pgweyl.errors import ArgumentError
from pgweyl.landscape.settings import DEFAULT_N_RUNS, RunSettings

#: The ENV argument is declared here (main adds it for the others).
ENV = False

HELP = "grade an RL agent against pgweyl's exact answers"

#: The reference agent's step size when --lr is not given (the studies' default).
DEFAULT_LR = RunSettings().lr
#: Episodes the reference agent trains on when --updates is not given (an agent's
#: budget, far below a study's: grading trains one agent per seed in Python).
DEFAULT_UPDATES = 1000


def add_arguments(parser) -> None:
    """Declare the ``grade`` arguments on an argparse (sub)parser."""
    parser.add_argument(
        "env",
        metavar="ENV",
        help="a pgweyl Gymnasium id (pgweyl/Corridor-v0) or ENV spec (corridor:level=4)",
    )
    parser.add_argument(
        "--agent",
        default="reinforce",
        help="'reinforce' (the reference REINFORCE agent) or MODULE:FACTORY, a callable "
        "make_agent(env) (default reinforce)",
    )
    parser.add_argument("--seeds", type=count, default=100, help="agents trained (default 100)")
    parser.add_argument("--lr", type=real, help=f"step size (reinforce: default {DEFAULT_LR})")
    updates = f"updates (episodes) per agent (reinforce: default {DEFAULT_UPDATES})"
    parser.add_argument("--updates", type=count, help=updates)
    parser.add_argument("--theta0", type=real, nargs="+", help="start theta (default 0)")
    parser.add_argument(
        "--eps",
        type=float,
        default=None,
        help="classification radius in total variation (default 0.05)",
    )
    parser.add_argument(
        "--predict",
        default="mc",
        help="pgweyl's predictions: mc, chain, mc,chain or '' for none (default mc)",
    )
    parser.add_argument(
        "--mc-runs",
        type=count,
        default=None,
        help=f"runs of the mc prediction (default {DEFAULT_N_RUNS})",
    )
    parser.add_argument(
        "--rule",
        default=None,
        help="the agent's update rule, a pgweyl.rules spec (default vanilla)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="train even when the estimated time exceeds the time budget "
        "(PGWEYL_TIME_BUDGET seconds, default 600)",
    )


def _current_folder_importable() -> None:
    """Put the current folder first on sys.path, as ``python -m pgweyl`` does: the
    ``pgweyl`` console script starts with its own folder there instead, so a user's
    ``mymod.py`` next to them would not import (nor what it imports later)."""
    cwd = os.getcwd()
    if not any(os.path.abspath(p or os.curdir) == cwd for p in sys.path):
        sys.path.insert(0, cwd)


def load_factory(text: str):
    """``"package.module:name"`` → the callable it names.

    A module that is not there, or a name it does not have, is an ArgumentError (one
    line); a module that fails while importing (a SyntaxError, an exception, an import
    of its own that fails, ``sys.exit``) is the agent's :class:`pgweyl.AgentError`, with
    its own traceback.

    >>> load_factory("pgweyl.gym.agents:ReinforceAgent").__name__
    'ReinforceAgent'
    """
    from pgweyl.gym.grading import agent_failure

    module, sep, name = text.partition(":")
    if not sep or not module or not name:
        raise ArgumentError(f"--agent must be 'reinforce' or MODULE:FACTORY, got {text!r}")
    _current_folder_importable()
    try:
        mod = importlib.import_module(module)
    except KeyboardInterrupt:
        raise
    except ModuleNotFoundError as err:
        if err.name is not None and (module == err.name or module.startswith(err.name + ".")):
            raise ArgumentError(f"--agent {text}: cannot import {module!r} ({err})") from None
        raise agent_failure(text, f"importing {module!r}", err) from None
    except BaseException as err:  # noqa: BLE001 - the user's module, SystemExit included
        raise agent_failure(text, f"importing {module!r}", err) from None
    obj = mod
    for part in name.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ArgumentError(f"--agent {text}: {module!r} has no attribute {name!r}") from None
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # noqa: BLE001 - a module __getattr__ is user code
            raise agent_failure(text, f"reading {name!r}", err) from None
    if not callable(obj):
        raise ArgumentError(f"--agent {text}: {name!r} is not callable")
    return obj


def resolve_env(text: str):
    """(Gymnasium id, gym.make kwargs) for a registered pgweyl id or a pgweyl ENV spec;
    another package's Gymnasium id is refused (grading needs pgweyl's exact answers)."""
    import gymnasium as gym

    if text in gym.registry:
        if gym.registry[text].namespace != "pgweyl":
            raise ArgumentError(
                f"{text} is a Gymnasium id but not a pgweyl environment: grade takes a pgweyl "
                "id (pgweyl/Corridor-v0, ...) or a pgweyl ENV spec (corridor:level=4)"
            )
        return text, {}
    parse_env_spec(text)  # a SpecError naming the spec if it is neither
    return "pgweyl/AlcoveWalk-v0", {"spec": text}


def run(args) -> Outcome:
    """Grade as ``args`` say: the JSON-ready record and its text table."""
    from pgweyl.gym._deps import require_gymnasium  # gymnasium: only when grading

    require_gymnasium()
    import pgweyl.gym as pg
    from pgweyl.gym.grading import SEEDS_LIMIT

    env_id, env_kwargs = resolve_env(args.env)
    seed = getattr(args, "seed", 0)
    if args.seeds > 0:  # counted before a range is built (len() of a huge one overflows)
        require_count(args.seeds, MAX_SEEDS, SEEDS_LIMIT)
    # an agent's print() must not land in the JSON on stdout: user code prints to stderr
    with contextlib.redirect_stdout(sys.stderr):
        make_agent, kwargs = _factory(pg, args)
        result = _grade(pg, make_agent, env_id, seed, args, kwargs, env_kwargs)
    table = result.format_table()
    return Outcome(result.to_dict(), lambda _d: table.splitlines(), EXIT_OK)


def _factory(pg, args):
    """(make_agent, grade keywords) of ``--agent``: the reference agent as configured, or
    the user's factory with ``--lr``/``--updates``/``--theta0`` as prediction settings."""
    if args.agent != "reinforce":
        kwargs = {"lr": args.lr, "n_updates": args.updates, "theta0": args.theta0}
        return load_factory(args.agent), kwargs
    lr = DEFAULT_LR if args.lr is None else args.lr
    updates = DEFAULT_UPDATES if args.updates is None else args.updates
    # Validate once here, not once per seed inside the factory.
    probe = pg.ReinforceAgent(lr=lr, n_updates=updates, theta0=args.theta0)

    def make_agent(env):
        base = env.unwrapped
        feats = None if base.pgweyl_env.policy_kind != "exp" else base.step_vectors
        return pg.ReinforceAgent(
            lr=probe.lr,
            n_updates=probe.n_updates,
            gamma=base.gamma,
            theta0=args.theta0,
            features=feats,
        )

    return make_agent, {}


def _grade(pg, make_agent, env_id, seed, args, kwargs, env_kwargs):
    optional = {"eps": args.eps, "rule": args.rule, "mc_runs": args.mc_runs}
    kwargs["force"] = getattr(args, "force", False)
    return pg.grade(
        make_agent,
        env_id,
        seeds=range(seed, seed + args.seeds) if args.seeds > 0 else args.seeds,
        predict=args.predict,
        mc_seed=seed,
        **{k: v for k, v in optional.items() if v is not None},
        progress=progress(args),
        **kwargs,
        **env_kwargs,
    )


__all__ = ["add_arguments", "load_factory", "resolve_env", "run"]
