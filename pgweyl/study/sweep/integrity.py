"""Is a sweep store whole? The journal of finished points, the check before a store is
resumed, extended or read, and what a repair keeps.

A Zarr store reads an absent shard as its fill value, so a deleted or truncated piece
does not always fail a read: it can turn computed points into NaN without a word. Two
records that share no code with the arrays guard against that:

- the **journal** (:data:`JOURNAL`, a text file in the store folder), one line per
  finished point, appended after its ``done`` flag: ``"i,j <digest>"`` where the
  digest is BLAKE2b-64 of the point's values as written (:func:`point_digest`: the
  per-maximum values of its ``n_maxima`` maxima, its support labels and its scalars,
  NaN in one bit pattern);
- the **rules** every computed point satisfies (:func:`plausible`): at least one
  maximum, a finite value and a support label for each, a non-zero seed.

:func:`inspect_store` reads every variable shard by shard (an unreadable shard point by
point), then trusts a point that the journal lists only when its values hash to the
journal's digest, and a point whose ``done`` flag is set but that the journal does not
list (the run was stopped between the flag and its line, or the store predates
journals) only when it obeys the rules. A computed point that is not trusted is *lost*;
any unreadable piece, missing metadata, lost point or ``done`` flag that disagrees with
the journal makes the store *damaged*: it is refused with one line naming the damage,
and a repair (``pw.sweep(..., repair=True)``, ``pgweyl sweep ... --repair``) writes a new
store holding the trusted points and recomputes the rest.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: The journal's file name in the store folder (root attribute ``pgweyl_journal``).
JOURNAL = "pgweyl-journal.txt"
MAXIMUM_VARS = ("probability", "ci_low", "ci_high", "chain", "grid_error", "value")
#: Fill value of every variable (what an absent shard reads as).
FILL = {
    **{name: np.nan for name in MAXIMUM_VARS},
    "support": "",
    "unresolved": np.nan,
    "n_maxima": 0,
    "global_maximum": 0,
    "treasure": -1,
    "point_seed": 0,
    "done": False,
}
#: Points named in a message before "…".
SHOWN = 3


def point_digest(values: dict) -> str:
    """BLAKE2b-64 (hex) of one point's values: ``n`` = ``n_maxima``, then the first ``n``
    entries of each per-maximum variable (float64, NaN as one pattern), the ``n`` support
    labels, ``unresolved``, ``n_maxima``, ``global_maximum``, ``treasure``,
    ``point_seed``. The padding beyond ``n`` does not enter, so a store extended to room
    for more maxima keeps its digests."""
    n = max(0, int(values["n_maxima"]))
    h = hashlib.blake2b(digest_size=8)
    for name in MAXIMUM_VARS:
        a = np.asarray(values[name], dtype=np.float64).reshape(-1)[:n]
        h.update(np.where(np.isnan(a), np.nan, a).astype("<f8").tobytes())
    labels = [str(s) for s in np.asarray(values["support"], dtype=object).reshape(-1)[:n]]
    h.update("\x1f".join(labels).encode())
    h.update(np.array([values["unresolved"]], dtype=np.float64).astype("<f8").tobytes())
    ints = [int(values[k]) for k in ("n_maxima", "global_maximum", "treasure")]
    h.update(np.array(ints, dtype="<i8").tobytes())
    h.update(np.array([int(values["point_seed"])], dtype="<u8").tobytes())
    return h.hexdigest()


def plausible(values: dict) -> bool:
    """What every computed point satisfies: n ≥ 1 maxima, each with a finite value and a
    non-empty support label, and a non-zero seed (a zero seed has chance 2⁻⁶⁴)."""
    n = int(values["n_maxima"])
    if n < 1 or int(values["point_seed"]) == 0:
        return False
    value = np.asarray(values["value"], dtype=np.float64).reshape(-1)
    labels = np.asarray(values["support"], dtype=object).reshape(-1)
    if value.size < n or labels.size < n:
        return False
    return bool(np.isfinite(value[:n]).all()) and all(str(s) for s in labels[:n])


class Journal:
    """Appends ``"i,j <digest>"`` lines to the store's journal (one per finished point)."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / JOURNAL
        self._tail_checked = False

    def append(self, index, digest: str) -> None:
        if not self._tail_checked:
            self._drop_partial_line()
            self._tail_checked = True
        with open(self.path, "a", encoding="ascii") as f:
            f.write(line(index, digest))

    def _drop_partial_line(self) -> None:
        # A run stopped mid-line (killed, disk full) leaves a line without its newline:
        # cut it, or the next line would be glued to it.
        try:
            with open(self.path, "rb+") as f:
                size = f.seek(0, 2)
                start = max(0, size - 4096)
                f.seek(start)
                tail = f.read()
                if tail and not tail.endswith(b"\n"):
                    f.truncate(start + tail.rfind(b"\n") + 1)
        except FileNotFoundError:
            pass


def line(index, digest: str) -> str:
    return f"{','.join(str(int(i)) for i in index)} {digest}\n"


def read_journal(folder: Path, shape: tuple):
    """({index: digest}, problems) from the journal; None for the dict when it is absent.
    A last line without its newline is a run stopped mid-write, not damage."""
    path = Path(folder) / JOURNAL
    try:
        text = path.read_bytes().decode("ascii")
    except FileNotFoundError:
        return None, []
    except (OSError, UnicodeDecodeError) as err:
        return {}, [f"{JOURNAL} unreadable ({_why(err)})"]
    entries, bad = {}, []
    lines = text.split("\n")
    complete = lines[:-1]  # the text after the last newline is a partial line or ""
    for k, row in enumerate(complete, start=1):
        idx_text, _, digest = row.partition(" ")
        try:
            index = tuple(int(v) for v in idx_text.split(","))
            ok = len(index) == len(shape) and all(0 <= i < n for i, n in zip(index, shape))
            ok = ok and len(digest) == 16 and int(digest, 16) >= 0
        except ValueError:
            ok = False
        if not ok:
            bad.append(k)
            continue
        entries[index] = digest
    problems = []
    if bad:
        shown = ", ".join(map(str, bad[:SHOWN])) + (", …" if len(bad) > SHOWN else "")
        problems.append(f"{JOURNAL} line{'s' if len(bad) > 1 else ''} {shown} unreadable")
    return entries, problems


def _why(err: BaseException) -> str:
    if isinstance(err, FileNotFoundError):
        return "missing"
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return f"unreadable: {text.split('. ')[0][:60]}"


@dataclass
class Inspection:
    """What :func:`inspect_store` found.

    ``names``/``shape``: the params and the grid's shape; ``n_max``: room for maxima;
    ``values``: every variable as read (fill where unreadable); ``trusted``: points whose
    values are verified (journal digest, or the rules for a ``done`` point the journal
    does not list); ``lost``: computed points (in the journal or ``done``) that are not
    trusted; ``problems``: the damaged pieces, in words; ``labels``: each point's name."""

    path: Path
    names: tuple
    shape: tuple
    n_max: int
    values: dict
    trusted: np.ndarray
    lost: np.ndarray
    problems: list = field(default_factory=list)
    coords: dict = field(default_factory=dict)

    @property
    def damaged(self) -> bool:
        return bool(self.problems) or bool(self.lost.any())

    def label(self, index) -> str:
        return ", ".join(
            f"{n}={_cell(self.coords[n][i]) if n in self.coords else i}"
            for n, i in zip(self.names, index)
        )

    def message(self, action: str) -> str:
        """One line: what is damaged, which computed points are lost, what to do."""
        shown = self.problems[:SHOWN]
        more = len(self.problems) - len(shown)
        pieces = "; ".join(shown) + (f"; {more} more" if more > 0 else "")
        lost = [tuple(i) for i in np.argwhere(self.lost)]
        if lost:
            names = " | ".join(self.label(i) for i in lost[:SHOWN])
            what = f"{len(lost)} computed point{'s' if len(lost) > 1 else ''} lost ({names}"
            what += ", …)" if len(lost) > SHOWN else ")"
        else:
            what = "no computed point lost"
        sep = ": " if pieces else ""
        return f"sweep store {str(self.path)!r} is damaged{sep}{pieces}; {what}; {action}"


def _cell(v) -> str:
    v = v.item() if isinstance(v, np.generic) else v
    return f"{v:g}" if isinstance(v, float) else str(v)


def _read(folder: Path, name: str, shape: tuple, text: bool = False):
    """(values, unreadable mask, problems) of one array, shard by shard; an unreadable
    shard is read point by point so that only its damaged points are lost."""
    import zarr

    out = np.full(shape, FILL.get(name), dtype=object if text else _dtype(name))
    bad = np.zeros(shape, dtype=bool)
    try:
        json.loads((folder / name / "zarr.json").read_text())
        arr = zarr.open_array(str(folder / name), mode="r")
        if tuple(arr.shape) != tuple(shape):
            raise ValueError(f"shape {tuple(arr.shape)}, expected {tuple(shape)}")
    # Damage shows as any exception of the store or its codecs (OSError, ValueError,
    # RuntimeError of a decompressor, KeyError of missing metadata): each is a finding.
    except Exception as err:  # noqa: BLE001
        bad[...] = True
        return out, bad, [f"{name}/zarr.json {_why(err)}"]
    try:
        out[...] = arr[...]
        return out, bad, []
    except Exception:  # noqa: BLE001, S110 -- read shard by shard below to find the damage
        pass
    problems = []
    step = tuple(arr.shards or arr.chunks)
    blocks = [range(-(-n // s)) for n, s in zip(shape, step)]
    for block in itertools.product(*blocks):
        region = tuple(slice(b * s, min((b + 1) * s, n)) for b, s, n in zip(block, step, shape))
        try:
            out[region] = arr[region]
            continue
        except Exception as err:  # noqa: BLE001
            problems.append(f"{name}/c/{'/'.join(map(str, block))} {_why(err)}")
        # Per point: one inner chunk each (the maximum axis whole).
        lead = region[: len(shape) - 1] if name in MAXIMUM_VARS or name == "support" else region
        for idx in itertools.product(*(range(r.start, r.stop) for r in lead)):
            try:
                out[idx] = arr[idx]
            except Exception:  # noqa: BLE001
                bad[idx] = True
    return out, bad, problems


def _dtype(name):
    if name in ("n_maxima", "global_maximum", "treasure"):
        return np.int64
    if name == "point_seed":
        return np.uint64
    if name == "done":
        return bool
    return np.float64


def inspect_store(folder, attrs: dict) -> Inspection:
    """Read a sweep store at ``folder`` (its root attributes ``attrs``) whole and decide
    which points are trusted (module docstring)."""
    folder = Path(folder)
    params = json.loads(attrs["params"])
    names = tuple(params)
    shape = tuple(len(v) for v in params.values())
    problems = []
    coords = {}
    for name, expected in params.items():
        got, bad, found = _read(folder, name, (len(expected),), text=True)
        problems += found
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in expected)
        ok = not bad.any() and (
            [float(v) for v in got] == [float(v) for v in expected]
            if numeric
            else len(set(map(str, got))) == len(got) and all(str(v) for v in got)
        )
        if not ok and not found:
            problems.append(f"coordinate {name} does not match the store's params")
        coords[name] = list(got) if ok else list(expected)
    n_max = _room(folder)
    values, unreadable = {}, np.zeros(shape, dtype=bool)
    if n_max is None:
        problems.append("maximum/zarr.json missing or unreadable (the room for maxima)")
        n_max = 1
    else:
        got, bad, found = _read(folder, "maximum", (n_max,), text=True)
        problems += found
        if not found and (bad.any() or [int(v) for v in got] != list(range(n_max))):
            problems.append("coordinate maximum is not 0, 1, …")
    for name in (*MAXIMUM_VARS, "support"):
        got, bad, found = _read(folder, name, shape + (n_max,), text=name == "support")
        values[name], problems = got, problems + found
        unreadable |= bad.any(axis=-1)
    for name in ("unresolved", "n_maxima", "global_maximum", "treasure", "point_seed", "done"):
        got, bad, found = _read(folder, name, shape)
        values[name], problems = got, problems + found
        if name != "done":
            unreadable |= bad
    done = values["done"].astype(bool)
    journal, found = read_journal(folder, shape)
    problems += found
    if journal is None:
        if attrs.get("pgweyl_journal"):
            problems.append(f"{JOURNAL} missing")
        journal = {}
    trusted = np.zeros(shape, dtype=bool)
    flags_lost = 0
    for index in set(journal) | {tuple(int(i) for i in ix) for ix in np.argwhere(done)}:
        point = {name: values[name][index] for name in values}
        if index in journal:
            trusted[index] = point_digest(point) == journal[index]
            flags_lost += not done[index]
        else:
            trusted[index] = not unreadable[index] and plausible(point)
    if flags_lost:
        problems.append(f"done flags of {flags_lost} journaled point(s) missing")
    computed = done.copy()
    for index in journal:
        computed[index] = True
    if attrs.get("pgweyl_journal"):  # such stores write every shard they touch
        for name in values:
            problems += _missing_shards(folder, name, computed)
    return Inspection(
        path=folder,
        names=names,
        shape=shape,
        n_max=n_max,
        values=values,
        trusted=trusted,
        lost=computed & ~trusted,
        problems=problems,
        coords=coords,
    )


def _missing_shards(folder: Path, name: str, computed) -> list:
    """Shard files of ``name`` that hold computed points but are absent."""
    try:
        meta = json.loads((folder / name / "zarr.json").read_text())
        step = meta["chunk_grid"]["configuration"]["chunk_shape"]
    except (OSError, ValueError, KeyError, TypeError):
        return []  # its metadata is reported already
    blocks = {tuple(int(i) // int(s) for i, s in zip(p, step)) for p in np.argwhere(computed)}
    out = []
    for block in sorted(blocks):
        key = block + (0,) * (len(step) - len(block))  # the maximum axis: one shard
        if not (folder / name / "c").joinpath(*map(str, key)).is_file():
            out.append(f"{name}/c/{'/'.join(map(str, key))} missing")
    return out


def _room(folder: Path):
    """Room for maxima: the length of the ``maximum`` coordinate (from its metadata)."""
    try:
        meta = json.loads((folder / "maximum" / "zarr.json").read_text())
        return int(meta["shape"][0])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


__all__ = [
    "FILL",
    "JOURNAL",
    "Inspection",
    "Journal",
    "inspect_store",
    "line",
    "plausible",
    "point_digest",
    "read_journal",
]
