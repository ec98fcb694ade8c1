"""First-passage tables: transfer == reflection exactly, and both == word enumeration."""

import itertools
import math
from collections import Counter

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.exact.tables import LogTable
from tests import naive

FAMILIES = ["corridor", "triangle", "triangle-signed", "simplex"]


@pytest.mark.parametrize("name", FAMILIES)
def test_transfer_equals_reflection(name):
    env = pw.make_env(name)
    n_max = 24 if name != "simplex" else 16
    pts_t, F_t = env.first_passage_counts(n_max, method="transfer")
    pts_r, F_r = env.first_passage_counts(n_max, method="reflection")
    assert np.array_equal(pts_t, pts_r)
    assert F_t.shape == (n_max + 1, len(pts_t))
    assert all(isinstance(x, int) for x in F_t.ravel())
    assert (F_t == F_r).all()


def _naive_first_passage(env, name, n_max):
    """Count words whose prefixes stay interior and whose last step leaves (naive.py)."""
    d, level = env.alcove.dim, env.level
    steps = naive.steps(env.steps.kind, d)
    out = Counter()
    for n in range(1, n_max + 1):
        for word in itertools.product(steps, repeat=n):
            x, ok = tuple(int(v) for v in env.start), True
            for t, s in enumerate(word):
                x = tuple(a + b for a, b in zip(x, s))
                inside = naive.interior(name, level, x)
                if (t < n - 1 and not inside) or (t == n - 1 and inside):
                    ok = False
                    break
            if ok:
                rep = tuple(v - x[-1] for v in x) if env.alcove.is_prism else x
                out[(n, rep)] += 1
    return out


@pytest.mark.parametrize("name, n_max", [("corridor", 10), ("triangle", 7), ("triangle-signed", 6)])
def test_tables_equal_naive_enumeration(name, n_max):
    env = pw.make_env(name)
    cartan = str(env.cartan)
    ref = _naive_first_passage(env, cartan, n_max)
    _, F = env.first_passage_counts(n_max)
    got = Counter(
        {
            (n, tuple(b)): int(F[n, j])
            for n in range(n_max + 1)
            for j, b in enumerate(env.exit_points.tolist())
            if F[n, j]
        }
    )
    assert got == ref


def test_corridor_first_passage_is_the_ballot_theorem():
    # First passage of a ±1 walk from height k to 0 at time n: (k/n) C(n, (n-k)/2)
    # (ballot theorem). From distance 2 to wall 1, the far wall at 8 cannot interfere
    # before n = 14; from distance 6 to wall 0, wall 1 cannot interfere before n = 10.
    env = pw.make_env("corridor")
    _, F = env.first_passage_counts(13)

    def ballot(k, n):
        return 0 if (n - k) % 2 or n < k else k * math.comb(n, (n - k) // 2) // n

    assert [int(F[n, 0]) for n in range(1, 14)] == [ballot(2, n) for n in range(1, 14)]
    assert [int(F[n, 1]) for n in range(1, 10)] == [ballot(6, n) for n in range(1, 10)]
    assert [int(F[n, 0]) for n in (2, 4, 6, 8)] == [1, 2, 5, 14]


def test_log_table_matches_exact_counts_within_its_stated_error():
    # The stored mantissas w · 2^scale against F_n / 3^n in exact rationals (within the
    # table's own relative bound), the logs against 40-digit logs, and the survival rows
    # against exact survival counts C_n(λ, x).
    from fractions import Fraction

    import mpmath

    mpmath.mp.dps = 40
    env = pw.make_env("triangle", level=9)
    n_max = 120
    _, F = env.first_passage_counts(n_max)
    table = LogTable(env.graph, 3)
    table.extend(n_max + 1)
    ex = table.dense_exit_rows(n_max)
    n_cell, j_cell, _ = table.cells(n_max)
    w, scale = table.cell_mantissas(n_max)
    for n, j, m, e in zip(n_cell.tolist(), j_cell.tolist(), w.tolist(), scale.tolist()):
        exact = Fraction(F[n, j], 3**n)
        got = Fraction(m) * Fraction(2) ** e
        assert abs(got - exact) <= Fraction(table.relative_error(n)) * exact
    for n in range(1, n_max + 1):
        for j in range(F.shape[1]):
            if F[n, j]:
                want = float(mpmath.log(F[n, j]) - n * mpmath.log(3))
                assert abs(ex[n, j] - want) <= 4 * 2.0**-53 * (abs(want) + 1)
            else:
                assert ex[n, j] == -math.inf
    g = env.graph
    src, _, dst = g.interior_edges()
    v = np.zeros(g.n_states, dtype=object)
    v[:] = 0
    v[0] = 1
    for n in range(1, n_max + 1):
        nxt = np.zeros(g.n_states, dtype=object)
        nxt[:] = 0
        np.add.at(nxt, dst, v[src])
        v = nxt
        idx, logq = table.survival_row(n)
        assert sorted(idx.tolist()) == [i for i in range(g.n_states) if v[i]]
        for i, got in zip(idx.tolist(), logq.tolist()):
            want = float(mpmath.log(v[i]) - n * mpmath.log(3))
            assert abs(got - want) <= 4 * 2.0**-53 * (abs(want) + 1)


def test_log_table_refuses_rows_beyond_the_memory_budget(monkeypatch):
    table = LogTable(pw.make_env("triangle", level=30).graph, 3)
    monkeypatch.setattr(pw.config, "MEMORY_BUDGET", 100_000)
    with pytest.raises(pw.ResourceError, match="first-passage table"):
        table.extend(2000)


def test_bad_arguments():
    env = pw.make_env("corridor")
    with pytest.raises(pw.ArgumentError, match="unknown method"):
        env.first_passage_counts(4, method="magic")
    with pytest.raises(pw.ArgumentError, match="non-negative integer"):
        env.first_passage_counts(-1)
