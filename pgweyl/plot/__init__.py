"""Figures of pgweyl (matplotlib): the alcove and its walks, value distributions, the
value landscape, difficulty sweeps and basins of the θ-chain.

Data apart from drawing: what a figure shows is computed by a data helper that needs no
matplotlib and returns plain arrays in a small dataclass —
:func:`alcove_geometry`, :func:`sample_walks` (:mod:`pgweyl.plot.geometry`),
:func:`value_distribution_data`, :func:`landscape_data`, :func:`basin_data`
(:mod:`pgweyl.plot.data`) — and the figure function only draws it:

- :func:`alcove_figure` (:mod:`pgweyl.plot.alcove`),
- :func:`value_distribution_figure` (:mod:`pgweyl.plot.distribution`),
- :func:`landscape_figure` (:mod:`pgweyl.plot.landscape`),
- :func:`basin_figure`, :func:`difficulty_figure` (:mod:`pgweyl.plot.basins`),
- :func:`compare_figure` (:mod:`pgweyl.plot.rules`; the data is a
  :class:`pgweyl.CompareResult`),
- :func:`absorbed_by_figure`, :func:`eps_figure` (:mod:`pgweyl.plot.chain`; the θ-chain
  in time and in ε).

Every figure function returns the :class:`matplotlib.figure.Figure` it drew on (the
figure of ``ax`` when one is given); :func:`save_figure` writes it as PNG and PDF.
matplotlib is imported inside the functions, so ``import pgweyl`` stays fast; without a
display (no ``DISPLAY``) and before pyplot is loaded the Agg backend is selected.

Conventions (THEORY §1, §4, §6, §7): walls are numbered 0..r (wall 0 the far wall
(x, θ̃) = m); θ is the parameter of the exponential family π_θ(s) ∝ exp((θ, s)); the
effective coordinates are y = Lθ (A_n: y_i = θ_i − θ_{n+1}, the gauge removed;
otherwise y = θ; :meth:`AlcoveWalkEnv.effective_map`, :meth:`AlcoveWalkEnv.lift`);
steps are named by :meth:`StepSet.label` ("e1", "+e1", "−e2").

>>> import pgweyl as pw
>>> import matplotlib.pyplot as plt
>>> fig = alcove_figure(pw.make_env("triangle"), n_walks=2)
>>> len(fig.axes)  # the alcove and the colour bar of the wall rewards
2
>>> plt.close(fig)
"""

from __future__ import annotations

from pgweyl.plot._base import save_figure
from pgweyl.plot.alcove import alcove_figure
from pgweyl.plot.basins import basin_figure, difficulty_figure
from pgweyl.plot.chain import absorbed_by_figure, eps_figure
from pgweyl.plot.data import (
    BasinData,
    LandscapeData,
    MaximumMark,
    ValueDistributionData,
    basin_data,
    face_direction,
    landscape_data,
    value_distribution_data,
)
from pgweyl.plot.distribution import value_distribution_figure
from pgweyl.plot.geometry import (
    MAX_WALK_STEPS,
    AlcoveGeometry,
    WalkData,
    alcove_geometry,
    sample_walks,
)
from pgweyl.plot.landscape import landscape_figure
from pgweyl.plot.rules import compare_figure

__all__ = [
    "compare_figure",
    "MAX_WALK_STEPS",
    "AlcoveGeometry",
    "BasinData",
    "LandscapeData",
    "MaximumMark",
    "ValueDistributionData",
    "WalkData",
    "absorbed_by_figure",
    "alcove_figure",
    "alcove_geometry",
    "basin_data",
    "basin_figure",
    "difficulty_figure",
    "eps_figure",
    "face_direction",
    "landscape_data",
    "landscape_figure",
    "sample_walks",
    "save_figure",
    "value_distribution_data",
    "value_distribution_figure",
]
