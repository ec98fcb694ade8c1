"""The grid of a sweep: params, validation before any work, per-point seeds."""

from __future__ import annotations

import hashlib
import time

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.errors import ArgumentError, PgweylError, SpecError
from pgweyl.study.sweep.grid import make_grid, parse_param, point_seed, theta_label
from pgweyl.study.sweep.store import StoreError


@pytest.mark.parametrize(
    "text, expected",
    [
        ("level=4:8", ("level", [4, 5, 6, 7, 8])),
        ("level=4:12:4", ("level", [4, 8, 12])),
        ("lr=0.5,1,2", ("lr", [0.5, 1, 2])),
        ("corner=max,min", ("corner", ["max", "min"])),
        ("theta0=0,0;1,-1", ("theta0", [(0.0, 0.0), (1.0, -1.0)])),
        ("theta0=0 0;2 -2", ("theta0", [(0.0, 0.0), (2.0, -2.0)])),
    ],
)
def test_parse_param(text, expected):
    assert parse_param(text) == expected


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("level", "expected name=v1"),
        ("=4", "expected name=v1"),
        ("level=", "gives no values"),
        ("level=a:b", "start:stop"),
        ("level=1:5:0", "step > 0"),
        ("theta0=a,b", "vectors"),
    ],
)
def test_parse_param_errors(text, fragment):
    with pytest.raises(ArgumentError, match=fragment):
        parse_param(text)


def test_point_seed_is_the_seed_sequence_of_the_values():
    # Written out independently of the implementation: SHA-256 of the sorted JSON of the
    # values (reals as repr(float)), its eight big-endian words as the spawn key.
    text = '{"level": "6.0", "lr": "0.5", "theta0": ["1.0", "-1.0"]}'
    digest = hashlib.sha256(text.encode()).digest()
    words = [int.from_bytes(digest[i : i + 4], "big") for i in range(0, 32, 4)]
    ss = np.random.SeedSequence(12345, spawn_key=words)
    want = int(ss.generate_state(1, dtype=np.uint64)[0])
    assert point_seed(12345, {"theta0": (1, -1), "lr": 0.5, "level": 6}) == want
    seeds = {point_seed(7, {"a": i, "b": j}) for i, j in np.ndindex(3, 3)}
    assert len(seeds) == 9
    assert point_seed(7, {"a": 1}) != point_seed(8, {"a": 1})


def test_a_point_has_its_seed_in_any_grid():
    small = make_grid("corridor", {"level": [6], "lr": [0.5]}, runs=10, seed=3, n_updates=50)
    big = make_grid(
        "corridor", {"level": [4, 5, 6], "lr": [1.0, 0.5]}, runs=10, seed=3, n_updates=50
    )
    assert small.task((0, 0)).settings == big.task((2, 1)).settings


def test_tasks_carry_the_point_values_and_seeds():
    g = make_grid(
        "corridor:trap_distance=2",
        {"level": [5, 7], "lr": [0.25, 0.5], "theta0": [(0, 0), (1, -1)]},
        runs=10,
        seed=3,
        n_updates=50,
    )
    assert g.shape == (2, 2, 2) and g.size == 8
    t = g.task((1, 0, 1))
    assert t.spec.build().level == 7 and t.spec.knobs["trap_distance"] == 2
    s = t.settings
    assert (s.lr, s.theta0, s.n_updates, s.n_runs, str(s.rule)) == (
        0.25,
        (1.0, -1.0),
        50,
        10,
        "vanilla",
    )
    assert s.seed == point_seed(3, {"level": 7, "lr": 0.25, "theta0": (1, -1)})
    assert t.mc and t.chain  # corridor: effective dimension 1
    assert list(g.coords()["theta0"]) == ["0.0,0.0", "1.0,-1.0"]
    assert theta_label((1, -1.5)) == "1.0,-1.5"


def test_method_decides_the_solvers():
    g = make_grid("simplex", {"level": [5, 6]}, method="auto")
    assert not g.task((0,)).chain and g.task((0,)).mc  # effective dimension 3
    g = make_grid("triangle", {"level": [5]}, method="chain")
    assert g.task((0,)).chain and not g.task((0,)).mc


def test_make_grid_refuses_an_unknown_setting():
    # make_grid takes the run settings as keywords (sweep's signature names them): a
    # misspelt one must be a one-line refusal, not silently the default
    with pytest.raises(ArgumentError, match="unknown sweep setting 'n_update'"):
        make_grid("corridor", {"level": [4]}, n_update=10)
    assert make_grid("corridor", {"level": [4]}, n_updates=10).settings.n_updates == 10


BAD = [
    ({"params": {"levl": [4]}}, ArgumentError, "unknown param 'levl'"),
    ({"params": {"level": []}}, ArgumentError, "no values"),
    ({"params": {}}, ArgumentError, "non-empty dict"),
    ({"params": {"level": 4}}, ArgumentError, "list of values"),
    ({"params": {"level": [4, 4]}}, ArgumentError, "given twice"),
    ({"params": {"level": [4, "x"]}}, ArgumentError, "mixes numbers and strings"),
    ({"params": {"level": [4, float("nan")]}}, ArgumentError, "not finite"),
    ({"params": {"level": [4, 0]}}, ArgumentError, "level"),
    ({"params": {"trap_distance": [9]}}, ArgumentError, "trap_distance"),
    ({"params": {"lr": [0.5, -1]}}, ArgumentError, "lr must be > 0"),
    ({"params": {"eps": [0.7]}}, ArgumentError, "eps"),
    ({"params": {"n_updates": [0]}}, ArgumentError, "n_updates"),
    ({"params": {"rule": ["sgd"]}}, ArgumentError, "unknown update rule 'sgd'"),
    ({"params": {"theta0": [(0, 0, 0)]}}, ArgumentError, "needs 2"),
    ({"params": {"lr": [0.5]}, "lr": 1.0}, ArgumentError, "both swept"),
    ({"params": {"level": [4]}, "runs": 0}, ArgumentError, "runs"),
    ({"params": {"level": [4]}, "seed": -1}, ArgumentError, "seed"),
    ({"params": {"level": [4]}, "method": "exact"}, ArgumentError, "unknown method"),
    ({"params": {"level": [4]}, "grid": 2}, ArgumentError, "grid"),
    (
        {"env_spec": "simplex", "params": {"level": [5]}, "method": "both", "rule": "natural"},
        ArgumentError,
        "natural rule in effective dimension 3",
    ),
    ({"env_spec": "maze", "params": {"level": [5]}}, SpecError, "unknown environment"),
]


@pytest.mark.parametrize("kwargs, kind, fragment", BAD, ids=[b[2] for b in BAD])
def test_bad_sweeps_fail_before_any_cluster(kwargs, kind, fragment, tmp_path):
    kwargs = {"env_spec": "corridor", **kwargs}
    # A scheduler address nobody listens on: reaching it would take 30 s, so a fast
    # one-line error proves that validation comes first.
    start = time.perf_counter()
    with pytest.raises(kind, match=fragment) as info:
        pw.sweep(client="tcp://127.0.0.1:9", store=tmp_path / "s.zarr", **kwargs)
    assert time.perf_counter() - start < 10
    assert isinstance(info.value, PgweylError) and "\n" not in str(info.value)
    assert not (tmp_path / "s.zarr").exists()


def test_bad_store_paths(tmp_path):
    (tmp_path / "file").write_text("x")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "a.txt").write_text("x")
    cases = [
        (tmp_path / "file", "is a file"),
        (tmp_path / "nope" / "s.zarr", "does not exist"),
        (tmp_path / "other", "not a pgweyl sweep store"),
        (3, "must be a path"),
    ]
    for store, fragment in cases:
        with pytest.raises(StoreError, match=fragment):
            pw.sweep("corridor", {"level": [4]}, store=store, client="tcp://127.0.0.1:9")


def test_client_and_workers_are_exclusive():
    with pytest.raises(ArgumentError, match="either client"):
        pw.sweep("corridor", {"level": [4]}, client="tcp://127.0.0.1:9", workers=2)
    with pytest.raises(ArgumentError, match="workers"):
        pw.sweep("corridor", {"level": [4]}, workers=-1)
    with pytest.raises(ArgumentError, match="client must be"):
        pw.sweep("corridor", {"level": [4]}, client=42)
