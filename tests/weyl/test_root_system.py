import numpy as np
import pytest

import pgweyl as pw
from tests import naive

NAMES = ["A1", "A2", "A3", "A4", "B2", "B3", "B4", "C2", "C3", "C4", "D4", "D5"]


def positive_root_count(name):
    fam, n = naive.parse(name)
    return {"A": n * (n + 1) // 2, "B": n * n, "C": n * n, "D": n * (n - 1)}[fam]


@pytest.mark.parametrize("name", NAMES)
def test_counts_and_shapes(name):
    R = pw.RootSystem(name)
    assert R.simple_roots.shape == (R.rank, R.dim)
    assert len(R.positive_roots) == positive_root_count(name)
    assert len({tuple(r) for r in R.roots.tolist()}) == 2 * positive_root_count(name)


@pytest.mark.parametrize("name", NAMES)
def test_roots_are_the_w_orbit_of_simple_roots(name):
    # Independent route: Φ = W·{α_i}, with W from the naive signed-permutation groups.
    R = pw.RootSystem(name)
    orbit = {tuple(np.array(g) @ a) for g, _ in naive.weyl_group(name) for a in R.simple_roots}
    assert orbit == {tuple(r) for r in R.roots.tolist()}


@pytest.mark.parametrize("name", NAMES)
def test_highest_root(name):
    # θ̃ is the positive root such that θ̃ + α_i is never a root.
    R = pw.RootSystem(name)
    roots = {tuple(r) for r in R.roots.tolist()}
    th = R.highest_root
    assert tuple(th) in roots
    assert all(tuple(th + a) not in roots for a in R.simple_roots)
    assert tuple(R.positive_roots[-1]) == tuple(th)  # ordered by height


@pytest.mark.parametrize("name", NAMES)
def test_coroot_lattice_basis(name):
    R = pw.RootSystem(name)
    B = R.coroot_lattice_basis
    # Every coroot is an integer combination of the basis ...
    for a in R.roots:
        cv = R.coroot(a)
        assert np.array_equal(cv, 2 * a // int(a @ a))
        coeffs = np.linalg.lstsq(B.T.astype(float), cv.astype(float), rcond=None)[0]
        assert np.allclose(coeffs, np.round(coeffs))
        assert np.allclose(B.T @ np.round(coeffs), cv)
    # ... and the basis spans exactly the lattice of THEORY's table (index check).
    assert all(naive.in_coroot_lattice(name, b) for b in B.tolist())
    fam, n = naive.parse(name)
    if fam == "A":
        assert round(abs(np.linalg.det(B[:, :-1].astype(float)))) == 1
    else:
        index = {"B": 2, "C": 1, "D": 2}[fam]  # [Z^n : Q^∨]
        assert round(abs(np.linalg.det(B.astype(float)))) == index


def test_coroot_of_short_and_long_roots():
    assert pw.RootSystem("B2").coroot([0, 1]).tolist() == [0, 2]
    assert pw.RootSystem("C2").coroot([2, 0]).tolist() == [1, 0]
