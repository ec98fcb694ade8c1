"""The Weyl chamber (Alcove(cartan), no level): geometry, and path counts by the finite
reflection sum (Gessel–Zeilberger) and by transfer on the reachable ball, held against
textbook counts (ballot numbers, Catalan numbers, the hook-length formula, Motzkin
numbers) and brute-force word enumeration written here from the inequalities."""

import itertools
import math
from collections import Counter

import pytest

import pgweyl as pw
from pgweyl.weyl.transfer import InteriorGraph

# -- brute force, from the chamber inequalities of THEORY §1 without the far wall ------------


def chamber_interior(name, x):
    fam, n = name[0], int(name[1:])
    if fam == "A":
        return all(x[i] > x[i + 1] for i in range(n))
    if fam in "BC":
        return all(x[i] > x[i + 1] for i in range(n - 1)) and x[n - 1] > 0
    return all(x[i] > x[i + 1] for i in range(n - 2)) and x[n - 2] > abs(x[n - 1])


def brute_force(name, step_list, start, n):
    """Endpoints of all words of length n whose prefixes stay in the open chamber."""
    out = Counter()
    for word in itertools.product(step_list, repeat=n):
        p, ok = tuple(start), True
        for s in word:
            p = tuple(a + b for a, b in zip(p, s))
            if not chamber_interior(name, p):
                ok = False
                break
        if ok:
            out[p] += 1
    return dict(out)


def unit(d):
    return [tuple(int(i == j) for j in range(d)) for i in range(d)]


def signed(d):
    return [tuple(sg * int(i == j) for j in range(d)) for i in range(d) for sg in (1, -1)]


# -- textbook formulas ---------------------------------------------------------------------------


def hook_length_count(shape):
    """f^λ = n! / Π hooks (Frame–Robinson–Thrall)."""
    conj = [sum(1 for r in shape if r > j) for j in range(shape[0])] if shape else []
    hooks = math.prod(
        shape[i] - j + conj[j] - i - 1 for i in range(len(shape)) for j in range(shape[i])
    )
    return math.factorial(sum(shape)) // hooks


def partitions(n, max_parts, largest=None):
    largest = n if largest is None else largest
    if n == 0:
        yield ()
        return
    if max_parts == 0:
        return
    for first in range(min(n, largest), 0, -1):
        for rest in partitions(n - first, max_parts - 1, first):
            yield (first,) + rest


def catalan(k):
    return math.comb(2 * k, k) // (k + 1)


MOTZKIN = [1, 1, 2, 4, 9, 21, 51, 127, 323, 835, 2188, 5798, 15511]  # OEIS A001006

# -- geometry --------------------------------------------------------------------------------------


def test_chamber_geometry():
    C = pw.Alcove("A2")
    assert C.level is None and C.is_chamber and C.is_prism
    assert [w.index for w in C.walls] == [1, 2]
    assert C.is_interior((100, 50, -7)) and not C.is_interior((1, 1, 0))
    assert C.walls_at((3, 3, 3)) == (1, 2) and C.walls_at((5, 2, 2)) == (2,)
    M, t = C.reflection(2)
    assert M.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]] and t.tolist() == [0, 0, 0]
    assert repr(C) == "Alcove('A2', level=None)"
    assert C == pw.Alcove("A2", None) and C != pw.Alcove("A2", 6)
    D = pw.Alcove("D4")
    assert D.is_interior((3, 2, 1, 0)) and not D.is_interior((3, 2, 1, 1))
    assert D.walls_at((3, 2, 1, 1)) == (3,)
    assert D.walls_at((3, 2, 1, -1)) == (4,)
    # the finite alcove keeps its far wall as wall 0
    assert pw.Alcove("A2", 6).walls_at((6, 0, 0)) == (0, 2)


@pytest.mark.parametrize(
    "method", ["interior_points", "closed_points", "boundary_points", "point_counts"]
)
def test_chamber_point_lists_refuse(method):
    C = pw.Alcove("B2")
    with pytest.raises(
        pw.LevelError, match=rf"{method}\(\): the Weyl chamber of B2 .* infinitely many"
    ):
        getattr(C, method)()


def test_chamber_errors():
    C, S = pw.Alcove("A2"), pw.StepSet("unit", "A2")
    no_far_wall = r"no wall 0 \(the Weyl chamber has no far wall\); its walls are 1, 2"
    with pytest.raises(pw.ArgumentError, match=no_far_wall):
        C.reflection(0)
    with pytest.raises(pw.ArgumentError, match="infinite interior: give max_depth"):
        InteriorGraph(C, S, (2, 1, 0))
    with pytest.raises(pw.StartError, match="not in the open alcove"):
        pw.count_paths(C, S, (1, 1, 0), None, 3)
    with pytest.raises(pw.ResourceError, match="fewer steps"):
        InteriorGraph(pw.Alcove("D4"), pw.StepSet("signed", "D4"), (4, 3, 2, 1), max_depth=10**6)


def test_chamber_reflectability():
    C = pw.Alcove("B2")
    doubled = pw.StepSet([[2, 0], [-2, 0], [0, 2], [0, -2]], "B2")
    with pytest.raises(pw.NotReflectableError, match="R2 fails") as err:
        pw.count_paths(C, doubled, (2, 1), None, 3)
    assert err.value.witness["image"] == [1, 2]
    with pytest.raises(pw.NotReflectableError, match="R3 fails") as err:
        pw.count_paths(C, doubled, (3, 1), None, 3)
    assert err.value.witness["root"] == [0, 1]
    # the transfer route needs no reflectability
    ref = brute_force("B2", [tuple(v) for v in doubled.vectors.tolist()], (3, 1), 4)
    assert pw.count_paths(C, doubled, (3, 1), None, 4, method="transfer") == ref
    # C_n chambers take signed steps at every start (no level parity as for alcoves)
    pw.count_paths(pw.Alcove("C2"), pw.StepSet("signed", "C2"), (2, 1), None, 2)


# -- textbook counts -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["reflection", "transfer"])
def test_ballot_numbers_and_catalan(method):
    C, S = pw.Alcove("A1"), pw.StepSet("unit", "A1")
    for a in (1, 2, 4):  # start at height a = x1 − x2
        for n in range(13):
            got = pw.count_paths(C, S, (a, 0), None, n, method=method)
            for up in range(n + 1):
                h = a + up - (n - up)  # final height
                expected = math.comb(n, up) - math.comb(n, up + a) if h > 0 else 0  # ballot
                assert got.get((a + up, n - up), 0) == expected, (a, n, up)
            if a == 1:  # from ρ: central binomial total, Catalan returns
                assert sum(got.values()) == math.comb(n, n // 2)
                if n % 2 == 0:
                    assert got[(1 + n // 2, n // 2)] == catalan(n // 2)


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("method", ["reflection", "transfer"])
def test_hook_length_counts(rank, method):
    """From ρ = (r, …, 1, 0) a walk with unit steps in x_1 > … > x_{r+1} ending at ρ + λ
    is a standard Young tableau of shape λ (≤ r + 1 rows)."""
    d = rank + 1
    C, S = pw.Alcove(f"A{rank}"), pw.StepSet("unit", f"A{rank}")
    rho = tuple(range(rank, -1, -1))
    for n in range(9):
        got = pw.count_paths(C, S, rho, None, n, method=method)
        expected = {}
        for shape in partitions(n, d):
            padded = shape + (0,) * (d - len(shape))
            expected[tuple(r + s for r, s in zip(rho, padded))] = hook_length_count(shape)
        assert got == expected, n
        total = sum(got.values())
        if rank == 1:
            assert total == math.comb(n, n // 2)
        elif rank == 2:
            assert total == MOTZKIN[n]
        else:  # OEIS A005817: C_{⌊(n+1)/2⌋} C_{⌈(n+1)/2⌉}
            assert total == catalan((n + 1) // 2) * catalan((n + 2) // 2)


def test_motzkin_to_twelve_steps():
    C, S = pw.Alcove("A2"), pw.StepSet("unit", "A2")
    for n in (10, 11, 12):
        assert sum(pw.count_paths(C, S, (2, 1, 0), None, n).values()) == MOTZKIN[n]


@pytest.mark.parametrize(
    "name, steps, start, n_max",
    [
        ("A2", "unit", (2, 1, 0), 7),
        ("A2", "unit", (5, 1, -3), 7),
        ("A3", "unit", (3, 2, 1, 0), 6),
        ("B2", "signed", (2, 1), 7),
        ("B2", "signed", (5, 3), 6),
        ("C2", "signed", (2, 1), 7),
        ("B3", "signed", (3, 2, 1), 5),
        ("C3", "signed", (4, 2, 1), 5),
        ("D4", "signed", (3, 2, 1, 0), 4),
        ("D4", "signed", (5, 3, 2, -1), 4),
    ],
)
def test_chamber_counts_equal_brute_force(name, steps, start, n_max):
    C, S = pw.Alcove(name), pw.StepSet(steps, name)
    d = len(start)
    step_list = unit(d) if steps == "unit" else signed(d)
    for n in range(n_max + 1):
        ref = brute_force(name, step_list, start, n)
        assert pw.count_paths(C, S, start, None, n) == ref, n
        assert pw.count_paths(C, S, start, None, n, method="transfer") == ref, n
        for end, c in list(ref.items())[:3]:
            assert pw.count_paths(C, S, start, end, n) == c


def test_octant_walks_oeis():
    # Walks with N, S, E, W steps in 0 ≤ y ≤ x from the origin (OEIS A005558), i.e. the
    # B2 chamber x_1 > x_2 > 0 from (2, 1).
    C, S = pw.Alcove("B2"), pw.StepSet("signed", "B2")
    expected = [1, 1, 3, 6, 20, 50, 175, 490, 1764, 5292, 19404, 60984]
    got = [sum(pw.count_paths(C, S, (2, 1), None, n).values()) for n in range(12)]
    assert got == expected


def test_chamber_counts_exceed_int64_and_routes_agree():
    C, S = pw.Alcove("A2"), pw.StepSet("unit", "A2")
    refl = pw.count_paths(C, S, (2, 1, 0), None, 45)
    trans = pw.count_paths(C, S, (2, 1, 0), None, 45, method="transfer")
    assert refl == trans
    assert sum(refl.values()) > 2**63


def test_check_reflectable_dispatches_to_the_chamber():
    # Unit steps are reflectable in the A2 chamber; steps ±2 on A1 jump over x1 = x2
    # from (1, 0) to (1, 2) (the value (x, α) goes 1 → −1), which R3 must catch.
    assert pw.check_reflectable(pw.Alcove("A2"), pw.StepSet("unit", "A2"), (2, 1, 0)) is None
    jumpy = pw.StepSet([[2, 0], [0, 2]], "A1")
    with pytest.raises(pw.NotReflectableError):
        pw.check_reflectable(pw.Alcove("A1"), jumpy, (1, 0))
    with pytest.raises(pw.StartError, match="start"):
        pw.check_reflectable(pw.Alcove("A2"), pw.StepSet("unit", "A2"))
