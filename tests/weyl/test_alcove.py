import itertools
import math

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.weyl import SAMPLES
from tests import naive


@pytest.mark.parametrize("name, level, kind", SAMPLES)
def test_points_match_naive_inequalities(name, level, kind):
    A = pw.Alcove(name, level)
    d = A.dim
    box = range(-level - 1, level + 2)
    if A.is_prism:  # representatives: last coordinate 0
        cands = [c + (0,) for c in itertools.product(box, repeat=d - 1)]
    else:
        cands = list(itertools.product(box, repeat=d))
    ref = {c for c in cands if naive.interior(name, level, c)}
    assert {tuple(p) for p in A.interior_points().tolist()} == ref
    for p in A.interior_points():
        assert A.is_interior(p) and A.walls_at(p) == ()
    for p in A.boundary_points():
        assert not A.is_interior(p) and A.is_closed(p) and A.walls_at(p)


@pytest.mark.parametrize("n, m", [(1, 5), (2, 6), (2, 12), (3, 9)])
def test_type_a_interior_count(n, m):
    # m > x_1 > ... > x_n > 0: choose n distinct values in 1..m-1.
    assert len(pw.Alcove(f"A{n}", m).interior_points()) == math.comb(m - 1, n)


@pytest.mark.parametrize("n, m", [(2, 7), (2, 10), (3, 12)])
def test_type_c_interior_count(n, m):
    # (m-1)/2 >= x_1 > ... > x_n > 0
    assert len(pw.Alcove(f"C{n}", m).interior_points()) == math.comb((m - 1) // 2, n)


def test_walls_numbering_and_corners():
    A = pw.Alcove("A2", 6)
    assert A.walls[0].normal == (1, 0, -1) and A.walls[0].offset == 6
    assert [w.normal for w in A.walls[1:]] == [(1, -1, 0), (0, 1, -1)]
    assert A.walls_at((6, 0, 0)) == (0, 2)
    assert A.walls_at((3, 3, 0)) == (1,)
    assert A.walls_at((7, 7, 7)) == (1, 2)
    assert A.walls_at((7, 8, 9)) == ()  # outside, on no wall
    assert A.is_interior((12, 11, 10))  # the prism: shifts along (1,1,1) stay interior
    B = pw.Alcove("B2", 5)
    assert B.walls_at((0, 0)) == (1, 2) and B.walls_at((3, 2)) == (0,)


def test_reflection_in_walls_is_an_involution_fixing_the_wall():
    for name, level in [("A2", 6), ("B3", 7), ("C2", 8), ("D4", 8)]:
        A = pw.Alcove(name, level)
        for j in range(len(A.walls)):
            M, t = A.reflection(j)
            for p in A.boundary_points():
                if j in A.walls_at(p):
                    assert np.array_equal(M @ p + t, p)
            x = A.interior_points()[0]
            y = M @ x + t
            assert np.array_equal(M @ y + t, x) and not A.is_interior(y)


@pytest.mark.parametrize(
    "name, level, smallest", [("A2", 2, 3), ("B2", 2, 4), ("C2", 4, 5), ("D4", 5, 6)]
)
def test_level_too_small(name, level, smallest):
    with pytest.raises(pw.LevelError, match=f"smallest level with one is {smallest}"):
        pw.Alcove(name, level)
    pw.Alcove(name, smallest)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "6"])
def test_level_must_be_positive_integer(bad):
    with pytest.raises(pw.LevelError, match="positive integer"):
        pw.Alcove("A2", bad)


def test_point_errors():
    A = pw.Alcove("A2", 6)
    with pytest.raises(pw.DimensionError, match="3 coordinates"):
        A.is_interior((1, 0))
    with pytest.raises(pw.DimensionError, match="integer point"):
        A.is_interior((1.5, 0, 0))
