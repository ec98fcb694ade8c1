import numpy as np
import pytest

import pgweyl as pw
from pgweyl.weyl.weyl_group import weyl_group_order
from tests import naive

# Known orders: (n+1)! for A_n, 2^n n! for B_n and C_n, 2^(n-1) n! for D_n.
KNOWN_ORDERS = {
    "A1": 2,
    "A2": 6,
    "A3": 24,
    "A4": 120,
    "A5": 720,
    "B2": 8,
    "B3": 48,
    "B4": 384,
    "C2": 8,
    "C3": 48,
    "C4": 384,
    "D4": 192,
    "D5": 1920,
}


@pytest.mark.parametrize("name, order", sorted(KNOWN_ORDERS.items()))
def test_order(name, order):
    W = pw.WeylGroup(name)
    assert len(W) == order
    assert weyl_group_order(name) == order


@pytest.mark.parametrize("name", ["A1", "A2", "A3", "B2", "B3", "C2", "C3", "D4"])
def test_elements_and_signs_match_naive_group(name):
    W = pw.WeylGroup(name)
    ours = {g.tobytes(): W.sign(g) for g in W}
    ref = {np.array(m, dtype=np.int64).tobytes(): s for m, s in naive.weyl_group(name)}
    assert ours == ref


@pytest.mark.parametrize("name", ["A3", "B3", "D4"])
def test_sign_is_determinant_and_roots_are_permuted(name):
    W = pw.WeylGroup(name)
    roots = {tuple(r) for r in W.root_system.roots.tolist()}
    for g in W:
        assert W.sign(g) == round(np.linalg.det(g.astype(float)))
        assert {tuple(g @ r) for r in roots} == roots


def test_sign_rejects_non_element():
    with pytest.raises(ValueError, match="not an element"):
        pw.WeylGroup("A2").sign(2 * np.eye(3, dtype=int))


def test_refuses_huge_group():
    with pytest.raises(pw.CartanTypeError, match="more than"):
        pw.WeylGroup("A9")
