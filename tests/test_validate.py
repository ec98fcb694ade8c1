"""The validation module and the memory budget: domains, NumPy scalars, one-line errors."""

import threading

import numpy as np
import pytest

import pgweyl as pw
from pgweyl import budget, validate
from pgweyl.weyl.sizes import closed_point_count, interior_point_count


@pytest.mark.parametrize("value", [3, np.int64(3), np.int32(3), np.uint8(3)])
def test_numpy_integers_are_integers(value):
    assert validate.positive_int("n", value) == 3


@pytest.mark.parametrize("value", [0, -1, 2.0, True, "3", None, np.float64(3.0)])
def test_positive_int_refuses(value):
    with pytest.raises(pw.ArgumentError, match="n must be a positive integer"):
        validate.positive_int("n", value)


def test_integers_past_int64_are_refused():
    with pytest.raises(pw.ArgumentError, match="<= 9223372036854775807"):
        validate.positive_int("n_runs", 2**63)


@pytest.mark.parametrize("value", [np.float32(0.5), 0.5, np.int64(0)])
def test_finite_real_accepts_numpy_scalars(value):
    assert validate.finite_real("x", value, lo=0.0, hi=1.0) == float(value)


@pytest.mark.parametrize(
    ("kwargs", "value", "message"),
    [
        ({"lo": 0.0, "lo_open": True}, 0.0, "must be > 0"),
        ({"hi": 1.0}, 1.5, "must be <= 1"),
        ({}, float("nan"), "finite number"),
        ({}, True, "finite number"),
    ],
)
def test_finite_real_refuses(kwargs, value, message):
    with pytest.raises(pw.ArgumentError, match=message):
        validate.finite_real("x", value, **kwargs)


def test_eps_has_one_domain_and_the_sigmoid_default():
    assert validate.eps(None) == pytest.approx(1 / (1 + np.exp(8.0)), rel=1e-15)
    assert validate.eps(0.25) == 0.25
    for bad in (0.0, 0.5, 0.7, -1e-3):
        with pytest.raises(pw.ArgumentError, match="eps must be"):
            validate.eps(bad)


def test_choice_names_the_allowed_values():
    with pytest.raises(pw.ArgumentError, match="expected one of auto, table"):
        validate.choice("method", "fast", ("auto", "table"))


def test_budget_refuses_with_the_estimate(monkeypatch):
    monkeypatch.setattr(pw.config, "MEMORY_BUDGET", 1 << 20)
    budget.require(1 << 19, "half a MiB")
    with pytest.raises(pw.ResourceError, match=r"needs about 2\.0 MiB, more than .* 1\.0 MiB"):
        budget.require(2 << 20, "two MiB", "lower n")
    with pytest.raises(MemoryError):  # catchable as the built-in it stands for
        budget.require(2 << 20, "two MiB")


def test_a_share_of_the_budget_is_per_thread_and_named(monkeypatch):
    monkeypatch.setattr(pw.config, "MEMORY_BUDGET", 4 << 20)
    seen = {}
    with budget.share(4):
        assert budget.limit() == 1 << 20
        budget.require(1 << 20, "one MiB")
        with pytest.raises(
            pw.ResourceError, match=r"more than its 1/4 share of the memory budget, 1\.0"
        ):
            budget.require(2 << 20, "two MiB")
        other = threading.Thread(target=lambda: seen.update(limit=budget.limit()))
        other.start()
        other.join()
    assert budget.limit() == 4 << 20 and seen["limit"] == 4 << 20
    budget.require(2 << 20, "two MiB")


def test_memory_budget_from_the_environment_variable():
    assert pw.config._parse_bytes("4G") == 4 << 30
    assert pw.config._parse_bytes("512MiB") == 512 << 20
    assert pw.config._parse_bytes("1000") == 1000


# -- closed-form point counts against enumeration (two routes, no shared code) ----------
@pytest.mark.parametrize("name", ["A1", "A2", "A3", "B2", "B3", "C2", "C3", "D4", "D5"])
def test_point_counts_equal_the_enumeration(name):
    for m in range(1, 14):
        try:
            alcove = pw.Alcove(name, m)
        except pw.LevelError:
            assert interior_point_count(name, m) == 0
            continue
        assert interior_point_count(name, m) == len(alcove.interior_points())
        assert closed_point_count(name, m) == len(alcove.closed_points())


def test_point_counts_of_huge_alcoves_are_instant():
    assert interior_point_count("A1", 10**18) == 10**18 - 1
    assert interior_point_count("B2", 10**18) > 10**15  # stops past the cap
    assert closed_point_count("A60", 61) > 10**35


def test_format_bytes_of_astronomical_sizes_stays_short():
    assert budget.format_bytes(10**40).endswith("PiB") and len(budget.format_bytes(10**40)) < 14
