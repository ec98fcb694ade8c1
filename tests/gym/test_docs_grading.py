"""docs/grading.md: its Python blocks run in order in one namespace (``# not run`` skipped),
and the comments that show results are the results."""

from __future__ import annotations

import pytest

pytest.importorskip("gymnasium")

from tests.test_docs import DOCS, NOT_RUN, python_blocks  # noqa: E402

PAGE = DOCS / "grading.md"


@pytest.fixture(scope="module")
def namespace():
    ns = {"__name__": "docs.grading"}
    for line, code in python_blocks(PAGE):
        if code.lstrip().startswith(NOT_RUN):
            continue
        exec(compile(code, f"docs/grading.md, block at line {line}", "exec"), ns)
    return ns


def test_page_runs_and_shows_true_results(namespace):
    import gymnasium as gym

    ns = namespace
    env = ns["env"]
    assert env.action_space == gym.spaces.Discrete(2)
    assert env.observation_space == gym.spaces.Discrete(1)
    assert env.unwrapped.action_labels == ("+e1", "+e2")
    assert (ns["reward"], ns["terminated"], ns["info"]["wall"], ns["info"]["T"]) == (
        0.5,
        True,
        (1,),
        2,
    )
    assert ns["frame"].shape == (256, 256, 3) and ns["frame"].dtype.name == "uint8"
    maxima = [(m.support, round(m.value, 4)) for m in ns["ex"].local_maxima()]
    assert maxima == [((0,), 0.7738), ((1,), 0.475)]
    res = ns["result"]
    assert res.n_seeds == 40 and "mc" in res.predicted
    first = res.per_seed()[0]
    assert set(first) == {
        "seed",
        "nearest",
        "label",
        "distance",
        "resolved",
        "value",
        "normalized_score",
    }
    page = PAGE.read_text()
    import pgweyl.gym as pg

    # the seed counts quoted on the page are the helper's
    assert f"seeds_needed(0.371, 0.5)                   # -> {pg.seeds_needed(0.371, 0.5)}:" in page
    n2 = pg.seeds_needed(0.371, 0.5, two_sample=True)
    assert f"seeds_needed(0.371, 0.5, two_sample=True)  # -> {n2} seeds per agent" in page
    # the table printed on the page is this run's (same seeds, same pgweyl seed)
    for line in res.format_table().splitlines()[2:]:
        assert line in page, line


def test_page_is_in_the_site_navigation():
    from tests.test_docs import ROOT

    assert "grading.md" in (ROOT / "mkdocs.yml").read_text()
