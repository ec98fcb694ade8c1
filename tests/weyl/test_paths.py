"""count_paths: reflection == transfer == naive word enumeration, exactly."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pgweyl as pw
from pgweyl.weyl import SAMPLES, sample_start
from tests import naive

# Largest n at which every endpoint is compared between the two routes (≤ 12 per the spec;
# smaller for D4 where |W| = 192 makes the reflection route slower).
N_MAX = {"D4": 10}


def _starts(A):
    pts = A.interior_points()
    picks = [sample_start(A), tuple(pts[len(pts) // 2]), tuple(pts[-1])]
    if A.is_prism:  # a representative shifted along (1,…,1) is a different start point
        picks[1] = tuple(int(v) + 3 for v in picks[1])
    return list(dict.fromkeys(tuple(int(v) for v in p) for p in picks))


@pytest.mark.parametrize("name, level, kind", SAMPLES)
def test_reflection_equals_transfer_every_endpoint(name, level, kind):
    A, S = pw.Alcove(name, level), pw.StepSet(kind, name)
    for start in _starts(A):
        for n in range(0, N_MAX.get(name, 12) + 1):
            refl = pw.count_paths(A, S, start, None, n, method="reflection")
            trans = pw.count_paths(A, S, start, None, n, method="transfer")
            assert refl == trans, (start, n)
            assert all(isinstance(v, int) and v > 0 for v in refl.values())


@pytest.mark.parametrize("name, level, kind", SAMPLES)
def test_both_routes_equal_naive_enumeration(name, level, kind):
    A, S = pw.Alcove(name, level), pw.StepSet(kind, name)
    start = _starts(A)[-1]
    n_max = 7 if A.dim <= 3 else 5
    for n in range(n_max + 1):
        ref = dict(naive.count_all(name, level, kind, start, n))
        assert pw.count_paths(A, S, start, None, n) == ref
        assert pw.count_paths(A, S, start, None, n, method="transfer") == ref
        # single-endpoint calls agree with the table
        for end, c in list(ref.items())[:3]:
            assert pw.count_paths(A, S, start, end, n) == c


def test_known_small_values():
    # Corridor A1 level 8 from distance 2: ballot-type counts, by hand.
    A, S = pw.Alcove("A1", 8), pw.StepSet("unit", "A1")
    assert pw.count_paths(A, S, (2, 0), (3, 1), 2) == 2  # up-down, down-up
    assert pw.count_paths(A, S, (2, 0), (2, 2), 2) == 0  # (2,2) is on wall 1
    assert pw.count_paths(A, S, (2, 0), (2, 1), 1) == 1
    assert pw.count_paths(A, S, (2, 0), (2, 0), 0) == 1
    assert pw.count_paths(A, S, (2, 0), (3, 0), 0) == 0
    # Sum of free counts minus absorbed: from (1,0) every path must first step up.
    assert pw.count_paths(A, S, (1, 0), None, 1) == {(2, 0): 1}


def test_big_counts_are_exact_integers():
    A, S = pw.Alcove("A2", 12), pw.StepSet("unit", "A2")
    refl = pw.count_paths(A, S, (2, 1, 0), None, 60)
    trans = pw.count_paths(A, S, (2, 1, 0), None, 60, method="transfer")
    assert refl == trans
    assert max(refl.values()) > 2**63  # beyond int64: Python integers throughout


@pytest.mark.parametrize("bad_n", [-1, 2.0, True, "3"])
def test_bad_n(bad_n):
    A, S = pw.Alcove("A1", 8), pw.StepSet("unit", "A1")
    with pytest.raises(pw.ArgumentError, match="non-negative integer"):
        pw.count_paths(A, S, (2, 0), None, bad_n)


def test_bad_method_and_points():
    A, S = pw.Alcove("A1", 8), pw.StepSet("unit", "A1")
    with pytest.raises(pw.ArgumentError, match="unknown method"):
        pw.count_paths(A, S, (2, 0), None, 3, method="magic")
    with pytest.raises(pw.StartError, match="not in the open alcove"):
        pw.count_paths(A, S, (0, 0), None, 3)
    with pytest.raises(pw.DimensionError, match="2 coordinates"):
        pw.count_paths(A, S, (2, 0), (1, 2, 3), 3)


def test_reflection_refuses_non_reflectable_but_transfer_counts():
    A, S = pw.Alcove("C2", 9), pw.StepSet("signed", "C2")
    with pytest.raises(pw.NotReflectableError):
        pw.count_paths(A, S, (2, 1), None, 4)
    got = pw.count_paths(A, S, (2, 1), None, 4, method="transfer")
    assert got == dict(naive.count_all("C2", 9, "signed", (2, 1), 4))


def _random_case(draw, name, levels):
    level = draw(st.integers(*levels))
    A = pw.Alcove(name, level)
    pts = A.interior_points()
    start = pts[draw(st.integers(0, len(pts) - 1))]
    if A.is_prism:
        start = start + draw(st.integers(-5, 5))
    return A, tuple(int(v) for v in start), draw(st.integers(0, 14))


@st.composite
def a2_cases(draw):
    return _random_case(draw, "A2", (3, 15))


@st.composite
def b2_cases(draw):
    return _random_case(draw, "B2", (4, 15))


@settings(max_examples=60, deadline=None)
@given(a2_cases())
def test_property_a2(case):
    A, start, n = case
    S = pw.StepSet("unit", "A2")
    assert pw.count_paths(A, S, start, None, n) == pw.count_paths(
        A, S, start, None, n, method="transfer"
    )


@settings(max_examples=60, deadline=None)
@given(b2_cases())
def test_property_b2(case):
    A, start, n = case
    S = pw.StepSet("signed", "B2")
    refl = pw.count_paths(A, S, start, None, n)
    assert refl == pw.count_paths(A, S, start, None, n, method="transfer")
    # Total interior paths never exceed all words.
    assert sum(refl.values()) <= 4**n


def test_one_step_exits_land_in_the_closed_alcove():
    # Consequence of (R3): the first point outside the open alcove lies on a wall.
    for name, level, kind in SAMPLES:
        A, S = pw.Alcove(name, level), pw.StepSet(kind, name)
        for x in A.interior_points():
            for s in S.vectors:
                y = x + s
                assert A.is_interior(y) or A.walls_at(y), (name, level, x, s)
                assert A.is_closed(y)
        assert np.all(A.inward_normals @ A.interior_points()[0] > A.inward_offsets)
