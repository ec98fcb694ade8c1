"""Figures of the θ-chain in time and in ε (pgweyl.plot.chain): what is drawn is the data."""

from __future__ import annotations

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.plot import absorbed_by_figure, eps_figure


@pytest.fixture(scope="module")
def absorbed():
    env = pw.make_env("corridor")
    chain = pw.theta_chain(env, 1.0, grid=129)
    ns = np.unique(np.geomspace(1, 1e5, 12).astype(int))
    return env, chain, chain.absorbed_by([0.0, 0.0], ns)


def test_absorbed_by_figure_draws_each_maximum_and_the_total(absorbed, tmp_path):
    import matplotlib.pyplot as plt

    env, chain, res = absorbed
    fig = absorbed_by_figure(res, chain.maxima, env)
    lines = fig.axes[0].lines
    assert len(lines) == len(chain.maxima) + 1
    for j in range(len(chain.maxima)):
        assert np.array_equal(lines[j].get_ydata(), res.probabilities[:, j])
    assert np.allclose(lines[-1].get_ydata(), res.probabilities.sum(axis=1))
    assert fig.axes[0].get_xscale() == "log"
    png, pdf = pw.plot.save_figure(fig, tmp_path / "absorbed")
    assert png.stat().st_size > 0 and pdf.stat().st_size > 0
    plt.close(fig)


def test_eps_figure_draws_the_limit_as_a_horizontal_line():
    import matplotlib.pyplot as plt

    eps = [1e-2, 1e-4, 1e-3]
    p = [0.391, 0.365, 0.377]
    fig = eps_figure(eps, p, error=[0.001] * 3, limit=0.33, limit_error=0.002)
    ax = fig.axes[0]
    hline = [ln for ln in ax.lines if np.allclose(ln.get_ydata(), 0.33)]
    assert len(hline) == 1
    assert ax.xaxis_inverted()
    plt.close(fig)
    with pytest.raises(pw.ArgumentError):
        eps_figure([1e-2, 0.0], [0.3, 0.3])
