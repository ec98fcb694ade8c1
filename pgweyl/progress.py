"""Progress of long work on stderr: a bar on a terminal, sparse lines when piped.

``progress`` arguments of the library accept:

- ``None`` (default): a tqdm bar when stderr is a terminal, else nothing;
- ``True`` / ``"bar"``: a tqdm bar; ``False`` / ``"off"``: nothing;
- ``"lines"``: one plain line per phase on stderr (``pgweyl: <phase>: 300/1000 runs
  (30%), 12 s``), and while a phase lasts, at most one every :data:`INTERVAL` seconds —
  what the command uses when stderr is piped into a log; an update with a ``note`` (a
  finished sweep point, say) is its own line at once, ``[k/n] <note>``.

Every long job of pgweyl reports through :class:`Progress`: Monte Carlo runs, the local
maxima, the checks, grading, sweeps (the chain solver's phases keep their own lines).

>>> with Progress(3, "demo", "item", "off") as bar:
...     bar.update(3)
"""

from __future__ import annotations

import os
import sys
import time

from pgweyl.errors import ArgumentError

#: Seconds between two progress lines of one phase in ``"lines"`` mode (environment
#: variable ``PGWEYL_PROGRESS_INTERVAL`` to change it, e.g. in a log-heavy batch job).
INTERVAL = 10.0
try:
    INTERVAL = max(0.0, float(os.environ.get("PGWEYL_PROGRESS_INTERVAL", INTERVAL)))
except ValueError:  # a malformed variable must not break import; keep the default
    pass

MODES = ("bar", "lines", "off")


def resolve(progress) -> str:
    """The mode ("bar", "lines" or "off") of a ``progress`` argument."""
    if progress is None:
        return "bar" if sys.stderr.isatty() else "off"
    if progress is True:
        return "bar"
    if progress is False:
        return "off"
    if progress in MODES:
        return progress
    raise ArgumentError(
        f"progress must be None, True, False or one of {', '.join(MODES)}, got {progress!r}"
    )


def enabled(progress) -> bool:
    """Whether a ``progress`` argument shows anything (:func:`resolve` is not "off")."""
    return resolve(progress) != "off"


class Progress:
    """Progress of one phase of ``total`` units (see the module docstring)."""

    def __init__(self, total: int, desc: str, unit: str = "it", progress=None, initial: int = 0):
        self.mode = resolve(progress)
        self.total, self.desc, self.unit = int(total), desc, unit
        self.done = int(initial)  # units finished before (a resumed job)
        self._shown = -1  # ``done`` at the last line printed
        self._start = self._last = time.monotonic()
        self._bar = None
        if self.mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, initial=self.done, unit=unit, desc=desc)

    def _line(self) -> None:
        self._shown = self.done
        pct = 100.0 * self.done / self.total if self.total else 100.0
        elapsed = time.monotonic() - self._start
        print(
            f"pgweyl: {self.desc}: {self.done}/{self.total} {self.unit}s ({pct:.0f}%), "
            f"{elapsed:.0f} s",
            file=sys.stderr,
            flush=True,
        )

    def update(self, n: int, note: str | None = None) -> None:
        self.done += int(n)
        if self._bar is not None:
            self._bar.update(int(n))
        elif self.mode == "lines" and note is not None:
            self._last, self._shown = time.monotonic(), self.done
            print(f"[{self.done}/{self.total}] {note}", file=sys.stderr, flush=True)
        elif self.mode == "lines" and time.monotonic() - self._last >= INTERVAL:
            self._last = time.monotonic()
            self._line()

    def close(self, finished: bool = True) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.mode == "lines" and finished and self._shown != self.done:
            self._line()
        self.mode = "off"

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(finished=exc_type is None)


__all__ = ["INTERVAL", "MODES", "Progress", "enabled", "resolve"]
