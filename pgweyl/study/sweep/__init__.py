"""Sweeps at scale: convergence probabilities over grids of params, on Dask, in Zarr.

``pw.sweep(env_spec, params, runs=…, store="sweep.zarr")`` computes, at every point of
the cartesian grid of ``params``, the local maxima, the Monte Carlo probability that
policy gradient ends at each (Wilson interval, unresolved share) and, where it applies,
the θ-chain solver; it runs on a Dask cluster (a local one by default), writes each
point into the Zarr store as it finishes, resumes an interrupted sweep and extends a
store along any param (``extend=``). ``pw.open_sweep(path)`` reads a store back as an
xarray Dataset; :func:`plot_sweep` draws P(global maximum) — or P(one maximum followed
by name, ``follow=``) — from it.

- :mod:`pgweyl.study.sweep.grid` — params, settings, points and their seeds;
- :mod:`pgweyl.study.sweep.compute` — the work of one point (a Dask task);
- :mod:`pgweyl.study.sweep.store` — the Dataset in Zarr, region writes, resume;
- :mod:`pgweyl.study.sweep.integrity` — the journal of finished points, the whole-store
  check before a resume, an extension or a read, and what a repair keeps;
- :mod:`pgweyl.study.sweep.lock` — one sweep at a time per store;
- :mod:`pgweyl.study.sweep.engine` — the cluster (connection checks, liveness), the
  loop, progress;
- :mod:`pgweyl.study.sweep.watchdog` — local workers end when their sweep is gone;
- :mod:`pgweyl.study.sweep.figure` — figures from a store;

This package imports dask, xarray and zarr only when a sweep runs or a store is read.
"""

from __future__ import annotations

from pgweyl.study.sweep.engine import ClusterError, sweep
from pgweyl.study.sweep.figure import plot_sweep
from pgweyl.study.sweep.grid import SweepGrid, make_grid, parse_param, point_seed
from pgweyl.study.sweep.store import MissingDependencyError, StoreError, open_sweep

__all__ = [
    "ClusterError",
    "MissingDependencyError",
    "StoreError",
    "SweepGrid",
    "make_grid",
    "open_sweep",
    "parse_param",
    "plot_sweep",
    "point_seed",
    "sweep",
]
