import itertools

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.weyl.affine import affine_orbit_ball
from pgweyl.weyl.free_counts import free_count, support_mask
from pgweyl.weyl.lattice import IntegerLattice
from tests import naive


def test_lattice_membership_against_explicit_lattices():
    even = IntegerLattice([[1, -1, 0], [0, 1, -1], [0, 1, 1]])  # D3-like: Σ even
    for v in itertools.product(range(-3, 4), repeat=3):
        assert even.contains(v) == (sum(v) % 2 == 0)
    assert IntegerLattice([[2, 0], [0, 2]]).contains([2, -4])
    assert not IntegerLattice([[2, 0], [0, 2]]).contains([1, 0])
    assert IntegerLattice([[3, 0]]).rank == 1 and not IntegerLattice([[3, 0]]).contains([0, 1])


@pytest.mark.parametrize("name, level", [("A2", 5), ("B2", 6), ("C2", 8), ("B3", 7)])
def test_orbit_matches_brute_force(name, level):
    A = pw.Alcove(name, level)
    mu = A.interior_points()[len(A.interior_points()) // 2]
    if A.is_prism:
        mu = mu + 1
    center = A.interior_points()[0]
    radius = 2.5 * level
    idx, imgs, sgns = affine_orbit_ball([mu], pw.WeylGroup(name), level, center, radius)
    ours = sorted(zip(map(tuple, imgs.tolist()), sgns.tolist()))
    d = A.dim
    box = range(-4, 5)
    ref = set()
    for g, sign in naive.weyl_group(name):
        wmu = np.array(g) @ mu
        for q in itertools.product(box, repeat=d):
            if naive.in_coroot_lattice(name, q):
                img = wmu + level * np.array(q)
                if np.sum((img - center) ** 2) <= radius**2:
                    ref.add((tuple(int(v) for v in img), sign))
    assert ours == sorted(ref)
    assert len(set(t for t, _ in ours)) == len(ours)  # distinct images: free action


@pytest.mark.parametrize("kind, d, k", [("unit", 3, 5), ("signed", 2, 6), ("signed", 3, 4)])
def test_free_counts_closed_forms_against_word_listing(kind, d, k):
    steps = naive.steps(kind, d)
    for delta in itertools.product(range(-k, k + 1), repeat=d):
        want = naive.free_count(steps, k, delta)
        assert free_count(kind, k, delta) == want
        if want:
            assert support_mask(kind, k, np.array([delta]))[0]


def test_free_counts_custom_steps():
    steps = [(1, -1), (-1, 1), (1, 1)]
    for delta in itertools.product(range(-4, 5), repeat=2):
        assert free_count(steps, 4, delta) == naive.free_count(steps, 4, delta)
