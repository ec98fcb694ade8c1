import pytest

import pgweyl as pw
from pgweyl.weyl.cartan import parse_cartan


@pytest.mark.parametrize(
    "name, family, rank",
    [("A1", "A", 1), ("b3", "B", 3), (" C_4 ", "C", 4), ("D5", "D", 5), ("A34", "A", 34)],
)
def test_parse_valid(name, family, rank):
    ct = parse_cartan(name)
    assert (ct.family, ct.rank) == (family, rank)
    assert str(ct) == f"{family}{rank}"


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ("E6", "family E"),
        ("A0", "n >= 1"),
        ("B1", "n >= 2"),
        ("C1", "n >= 2"),
        ("D3", "n >= 4"),
        ("", "not a valid"),
        ("A2.5", "not a valid"),
        ("AA2", "not a valid"),
        (3, "string"),
    ],
)
def test_parse_invalid(bad, fragment):
    with pytest.raises(pw.CartanTypeError, match=fragment):
        parse_cartan(bad)
    with pytest.raises(ValueError):  # also a ValueError for callers that catch that
        pw.RootSystem(bad)


def test_dim():
    assert parse_cartan("A3").dim == 4
    assert parse_cartan("B3").dim == 3
