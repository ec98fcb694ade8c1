"""docs/cluster.md: its Python runs, and it is in the site's navigation."""

from __future__ import annotations

import numpy as np
import pytest

from tests.study.sweep.conftest import ROOT
from tests.test_docs import NOT_RUN, python_blocks

pytest.importorskip("xarray")

PAGE = ROOT / "docs" / "cluster.md"


def test_cluster_page_code_runs():
    import matplotlib.pyplot as plt

    blocks = python_blocks(PAGE)
    assert len(blocks) >= 4
    namespace = {"__name__": "docs.cluster"}
    saved = np.get_printoptions()
    try:
        for line, code in blocks:
            if code.lstrip().startswith(NOT_RUN):
                continue
            exec(compile(code, f"docs/cluster.md, block at line {line}", "exec"), namespace)
    finally:
        np.set_printoptions(**saved)
        plt.close("all")
    ds = namespace["ds"]
    assert ds.sizes == {"level": 3, "lr": 2, "maximum": 2} and bool(ds.done.all())


def test_cluster_page_is_in_the_nav_and_shows_the_store_figure():
    assert "cluster.md" in (ROOT / "mkdocs.yml").read_text()
    text = PAGE.read_text()
    assert "img/corridor_sweep.png" in text and (ROOT / "docs/img/corridor_sweep.png").exists()
    for needle in ("dask scheduler", "dask worker", "SLURMCluster", "pgweyl plot-sweep"):
        assert needle in text
