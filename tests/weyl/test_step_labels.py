"""StepSet.label / labels: one naming convention for steps (figures, the command line)."""

import numpy as np
import pytest

import pgweyl as pw


@pytest.mark.parametrize(
    "kind, cartan, expected",
    [
        ("unit", "A1", ("e1", "e2")),
        ("unit", "A2", ("e1", "e2", "e3")),
        ("signed", "B2", ("+e1", "−e1", "+e2", "−e2")),
        ("signed", "C3", ("+e1", "−e1", "+e2", "−e2", "+e3", "−e3")),
    ],
)
def test_catalog_step_sets(kind, cartan, expected):
    steps = pw.StepSet(kind, cartan)
    assert steps.labels() == expected
    assert tuple(steps.label(i) for i in range(len(steps))) == expected


def test_every_label_names_its_vector():
    # Read the label back: ±e_i is the i-th unit vector with that sign.
    steps = pw.StepSet("signed", "D4")
    for i, name in enumerate(steps.labels()):
        sign = -1 if name[0] == "−" else 1
        axis = int(name[2:]) - 1
        assert np.array_equal(steps.vectors[i], sign * np.eye(4, dtype=int)[axis])


def test_custom_steps_are_named_by_their_vector_with_a_true_minus():
    steps = pw.StepSet([[1, -1], [2, 0], [-1, 0]], "B2")
    assert steps.labels() == ("(1, −1)", "(2, 0)", "−e1")
    plain = pw.StepSet([[0, 1], [1, 0]], "B2")  # no negative entry: no signs
    assert plain.labels() == ("e2", "e1")


def test_labels_of_a_support_and_bad_indices():
    steps = pw.StepSet("signed", "B2")
    assert steps.labels((1, 2)) == ("−e1", "+e2")
    assert steps.label(-1) == "−e2"
    for bad in (4, -5, 1.0, True, "0"):
        with pytest.raises(pw.StepSetError, match="step index"):
            steps.label(bad)
