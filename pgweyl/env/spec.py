"""Environment specs: ``name:key=value,...`` (a catalog family with knobs) or a TOML file.

The one parser behind the command line, the sweeps and the Gymnasium ids:

- ``"corridor"``, ``"corridor:level=12,trap_distance=3"`` — a family of the catalog
  (:func:`pgweyl.make_env`); values are read as integers, floats, booleans or strings;
- ``"path/to/env.toml"`` — either ``family = "triangle"`` with knobs as keys, or the
  arguments of :class:`pgweyl.AlcoveWalkEnv` (``cartan``, ``level``, ``steps``,
  ``start``, ``wall_rewards`` or ``reward_table = [[point, reward], ...]``, ``gamma``,
  ``step_cost``, ``corner``, ``policy``); the keys may also sit in an ``[env]`` table.

A text is a file when it ends with ``.toml`` or contains a path separator, so a file
in the current folder named like a family never shadows the catalog. Every problem is a
:class:`pgweyl.SpecError` whose one-line message names the spec (and the file and key).

>>> spec = parse_env_spec("corridor:level=12,trap_distance=3")
>>> spec.family, spec.knobs
('corridor', {'level': 12, 'trap_distance': 3})
>>> str(spec.with_knobs(level=14))
'corridor:level=14,trap_distance=3'
>>> spec.build().level
12
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from pgweyl.env.catalog import FAMILIES, make_env
from pgweyl.env.environment import AlcoveWalkEnv
from pgweyl.errors import PgweylError, SpecError
from pgweyl.serialize import note_input

#: Keys of a custom environment in a TOML file (the AlcoveWalkEnv arguments).
CUSTOM_KEYS = (
    "cartan",
    "level",
    "steps",
    "start",
    "wall_rewards",
    "reward_table",
    "gamma",
    "step_cost",
    "corner",
    "policy",
)


def parse_scalar(text: str):
    """ "8" → 8, "0.5" → 0.5, "1e6" → 1000000.0, "true" → True, anything else the string."""
    t = text.strip()
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(t)
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        return t


@dataclass(frozen=True)
class EnvSpec:
    """A parsed spec: a catalog ``family`` with ``knobs``, or (``family`` None) the
    :class:`AlcoveWalkEnv` arguments in ``knobs``; ``source`` is the text or file."""

    family: str | None
    knobs: dict = field(default_factory=dict)
    source: str = ""

    def build(self) -> AlcoveWalkEnv:
        """The environment (errors carry the spec's name)."""
        where = self.source or str(self)
        try:
            if self.family is not None:
                return make_env(self.family, **self.knobs)
            return AlcoveWalkEnv(**self.knobs)
        except SpecError:
            raise
        except PgweylError as err:
            raise type(err)(f"{where}: {err}") if _plain(err) else err from None
        except (TypeError, ValueError) as err:  # a value of the wrong kind from TOML
            raise SpecError(f"{where}: {err}") from None

    def with_knobs(self, **knobs) -> EnvSpec:
        """The same spec with some knobs replaced or added (for sweeps)."""
        return EnvSpec(self.family, {**self.knobs, **knobs}, "")

    def to_dict(self) -> dict:
        return {"family": self.family, "knobs": dict(self.knobs), "source": self.source}

    def __str__(self) -> str:
        if self.family is None:
            return self.source or "custom environment"
        opts = ",".join(f"{k}={v}" for k, v in self.knobs.items())
        return f"{self.family}:{opts}" if opts else self.family


def _plain(err: Exception) -> bool:
    """True when the error type can be rebuilt from a message alone (not NotReflectable)."""
    try:
        type(err)("probe")
    except TypeError:
        return False
    return True


def _check_knobs(where: str, family: str, knobs: dict, what: str) -> None:
    """Refuse knobs the family does not have, naming them and the family's knobs."""
    unknown = sorted(set(knobs) - set(FAMILIES[family].knobs))
    if unknown:
        raise SpecError(
            f"{where}: unknown {what}(s) {', '.join(unknown)}; "
            f"{family} has {', '.join(FAMILIES[family].knobs)}"
        )


def is_file_spec(text: str) -> bool:
    return text.endswith(".toml") or os.sep in text or (os.altsep or os.sep) in text


def parse_env_spec(text) -> EnvSpec:
    """Parse ``name:key=value,...`` or a TOML file name into an :class:`EnvSpec`."""
    if isinstance(text, EnvSpec):
        return text
    if not isinstance(text, str) or not text.strip():
        raise SpecError(f"an environment spec must be a non-empty string, got {text!r}")
    text = text.strip()
    if is_file_spec(text):
        return _from_toml(text)
    name, _, opts = text.partition(":")
    name = name.strip()
    if name not in FAMILIES:
        raise SpecError(
            f"unknown environment {name!r}; known: {', '.join(FAMILIES)} "
            "(or a TOML file: a name ending in .toml)"
        )
    knobs: dict = {}
    if opts.strip():
        for item in opts.split(","):
            key, eq, val = item.partition("=")
            key = key.strip()
            if not eq or not key or not val.strip():
                raise SpecError(f"{text}: malformed option {item.strip()!r}; expected key=value")
            if key in knobs:
                raise SpecError(f"{text}: knob {key!r} is given twice")
            knobs[key] = parse_scalar(val)
    _check_knobs(text, name, knobs, "knob")
    return EnvSpec(name, knobs, text)


def _load_toml(path: str) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
            note_input(path, fh.fileno())  # no output may be written onto it
    except FileNotFoundError:
        raise SpecError(f"ENV file {path!r} does not exist") from None
    except IsADirectoryError:
        raise SpecError(f"ENV file {path!r} is a directory") from None
    except OSError as err:
        raise SpecError(f"cannot read ENV file {path!r}: {err.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SpecError(f"{path}: not UTF-8 text (byte {err.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{path}: malformed TOML: {str(err).splitlines()[0]}") from None
    except RecursionError:
        raise SpecError(f"{path}: malformed TOML: nested too deeply") from None


def _from_toml(path: str) -> EnvSpec:
    data = _load_toml(path)
    if "env" in data:
        data = data["env"]
        if not isinstance(data, dict):
            raise SpecError(f"{path}: 'env' must be a table ([env]), got {type(data).__name__}")
    if "family" in data:
        family = data["family"]
        if not isinstance(family, str) or family not in FAMILIES:
            raise SpecError(f"{path}: unknown family {family!r}; known: {', '.join(FAMILIES)}")
        knobs = {k: v for k, v in data.items() if k != "family"}
        _check_knobs(path, family, knobs, "key")
        return EnvSpec(family, knobs, path)
    unknown = sorted(set(data) - set(CUSTOM_KEYS))
    if unknown:
        raise SpecError(
            f"{path}: unknown key(s) {', '.join(unknown)}; give 'family' and its knobs, "
            f"or {', '.join(CUSTOM_KEYS)}"
        )
    if "cartan" not in data or "level" not in data:
        raise SpecError(f"{path}: a custom environment needs 'cartan' and 'level'")
    knobs = dict(data)
    if "reward_table" in knobs:
        table = knobs["reward_table"]
        try:
            if not isinstance(table, list):
                raise TypeError
            knobs["reward_table"] = {tuple(p): r for p, r in table}
        except (TypeError, ValueError):
            raise SpecError(
                f"{path}: reward_table must be a list of [point, reward] pairs"
            ) from None
    return EnvSpec(None, knobs, path)


def load_env(text) -> AlcoveWalkEnv:
    """``parse_env_spec(text).build()``."""
    return parse_env_spec(text).build()


__all__ = ["CUSTOM_KEYS", "EnvSpec", "is_file_spec", "load_env", "parse_env_spec", "parse_scalar"]
