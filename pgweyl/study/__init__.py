"""Layer 6: the studies built on the analysis of landscape/ — each one a question asked of
many runs, with its answer as a result record that can be rerun from its ``settings``.

- :mod:`pgweyl.study.odds` — P(ends at each maximum) at one point, by both routes;
- :mod:`pgweyl.study.difficulty` — that probability along one catalog knob
  (:func:`difficulty_sweep`);
- :mod:`pgweyl.study.compare` — update rules compared (``pw.compare``);
- :mod:`pgweyl.study.sweep` — grids of params on Dask, results in Zarr (``pw.sweep``);
- :mod:`pgweyl.study.checks` — closed forms against simulation (``pgweyl check``);
- :mod:`pgweyl.study.demo` — the main job (``pgweyl demo``).

The studies share one validated record of what they run,
:class:`pgweyl.landscape.settings.RunSettings`.
"""

from pgweyl.study.difficulty import SweepResult, difficulty_sweep

__all__ = ["SweepResult", "difficulty_sweep"]
