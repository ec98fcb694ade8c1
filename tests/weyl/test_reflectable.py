import numpy as np
import pytest

import pgweyl as pw
from pgweyl.weyl import SAMPLES, sample_start


@pytest.mark.parametrize("name, level, kind", SAMPLES)
def test_catalog_samples_are_reflectable(name, level, kind):
    A = pw.Alcove(name, level)
    pw.check_reflectable(A, pw.StepSet(kind, name), sample_start(A))
    pw.check_reflectable(A, pw.StepSet(kind, name))


@pytest.mark.parametrize("name, level", [("C2", 7), ("C2", 9), ("C3", 9), ("C3", 13)])
def test_c_odd_level_refused_with_a_true_witness(name, level):
    A = pw.Alcove(name, level)
    with pytest.raises(pw.NotReflectableError, match="R3 fails") as info:
        pw.check_reflectable(A, pw.StepSet("signed", name), sample_start(A))
    err = info.value
    assert err.condition == "R3"
    w = err.witness
    x, s, alpha, k = np.array(w["point"]), np.array(w["step"]), np.array(w["root"]), w["k"]
    # The witness is real: x is in the closed alcove and k·m lies strictly between.
    assert A.is_closed(x)
    a, b = int(x @ alpha), int((x + s) @ alpha)
    assert min(a, b) < k * level < max(a, b)
    for part in (str(w["step"]), str(w["point"]), str(w["root"])):
        assert part in str(err)


def test_unit_steps_on_b2_fail_r1():
    with pytest.raises(pw.NotReflectableError, match="R1 fails") as info:
        pw.check_reflectable(pw.Alcove("B2", 6), pw.StepSet("unit", "B2"), (2, 1))
    w = info.value.witness
    assert w["image"] not in pw.StepSet("unit", "B2").vectors.tolist()


def test_root_steps_on_a2_fail_r3():
    roots = pw.RootSystem("A2").roots
    with pytest.raises(pw.NotReflectableError, match="R3 fails"):
        pw.check_reflectable(pw.Alcove("A2", 6), pw.StepSet(roots, "A2"), (2, 1, 0))


def test_doubled_steps_fail_r2():
    steps = pw.StepSet([[2, 0], [-2, 0], [0, 2], [0, -2]], "B2")
    with pytest.raises(pw.NotReflectableError, match="R2 fails") as info:
        pw.check_reflectable(pw.Alcove("B2", 9), steps, (2, 1))
    assert info.value.condition == "R2"


def test_signed_on_type_a_refused():
    with pytest.raises(pw.StepSetError, match="Σx free"):
        pw.StepSet("signed", "A2")


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ("diagonal", "unknown step set"),
        ([[1, 0]], "k×3"),
        ([[0, 0, 0]], "zero vector"),
        ([[1, 0, 0], [1, 0, 0]], "distinct"),
        ([[0.5, 0, 0]], "integer"),
        ([[1, 0, 0], [1, 1, 0]], "same coordinate sum"),
    ],
)
def test_step_set_errors(bad, fragment):
    with pytest.raises(pw.StepSetError, match=fragment):
        pw.StepSet(bad, "A2")


@pytest.mark.parametrize(
    "start, err, fragment",
    [
        ((2, 1), pw.DimensionError, "3 coordinates"),
        ((2.5, 1, 0), pw.StartError, "not on the lattice"),
        ((6, 1, 0), pw.StartError, "wall 0"),
        ((1, 1, 0), pw.StartError, "wall 1"),
        ((float("nan"), 1, 0), pw.DimensionError, "non-finite"),
    ],
)
def test_start_errors(start, err, fragment):
    with pytest.raises(err, match=fragment):
        pw.check_reflectable(pw.Alcove("A2", 6), pw.StepSet("unit", "A2"), start)


def test_mismatched_types():
    with pytest.raises(pw.StepSetError, match="B2"):
        pw.check_reflectable(pw.Alcove("C2", 8), pw.StepSet("signed", "B2"))
