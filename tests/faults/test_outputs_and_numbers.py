"""Issue 26, classes 6–8: outputs that destroy or mislead, numbers at their extremes, and
the examples' arguments — each case in its own subprocess (``python -m pgweyl …`` or an
example script, with ``PYTHONPATH`` set to this checkout) under ``RLIMIT_AS`` = 4 GiB.

The contract checked: a refusal is one line on stderr (``pgweyl: error: …`` or
``<script>: error: …``) with exit code 2, comes before any work (within
``REFUSAL_SECONDS``, a hang guard on a loaded machine), prints nothing on stdout and
leaves every file as it was — its bytes, its mode, its links; a case that should answer
exits 0 with no stderr. Special files (FIFO, socket, character devices made with mknod)
are created in the test's own folder.
"""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import numpy as np
import pytest

# one subprocess harness for every fault test: the 4 GiB address limit, the fixed budget
from tests.test_faults import REFUSAL_SECONDS, listing, run

E = "pgweyl: error: "
ONLY = "; pgweyl writes regular files, /dev/null and stdout ('-')"


def snapshot(folder: Path) -> dict:
    """Every entry of ``folder``: (type and mode, links, bytes or link text)."""
    out = {}
    for p in folder.iterdir():
        st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode):
            body = os.readlink(p)
        elif stat.S_ISREG(st.st_mode):
            body = p.read_bytes()
        else:
            body = None
        out[p.name] = (st.st_mode, st.st_nlink, st.st_ino, body)
    return out


def assert_refused(r, stderr: str) -> None:
    assert (r.returncode, r.stderr) == (2, stderr), r.stderr
    assert r.stdout == ""
    assert r.seconds < REFUSAL_SECONDS, f"refused after {r.seconds:.1f} s"


# == class 6: outputs ============================================================================
TOML = 'family = "corridor"\nlevel = 8\n'


def test_json_onto_the_env_file_is_refused_by_any_name(tmp_path):
    (tmp_path / "env.toml").write_text(TOML)
    (tmp_path / "alias.toml").symlink_to("env.toml")
    before = snapshot(tmp_path)
    r = run(["value", "env.toml", "--json", "env.toml"], tmp_path)
    assert_refused(
        r,
        f"{E}cannot write JSON to 'env.toml': it is an input of this command ('env.toml'); "
        "choose another file\n",
    )
    # the same file under another name (a symlink): compared by device and inode
    r = run(["value", "alias.toml", "--json", "env.toml", "--quiet"], tmp_path)
    assert_refused(
        r,
        f"{E}cannot write JSON to 'env.toml': it is an input of this command ('alias.toml'); "
        "choose another file\n",
    )
    r = run(["converge", "env.toml", "--runs", "10", "--plot", "alias.toml"], tmp_path)
    assert r.returncode == 2 and "not .toml" in r.stderr, r.stderr
    assert snapshot(tmp_path) == before


def test_no_output_inside_a_store_the_command_reads(tmp_path):
    """A store is a folder of files the command reads (zarr.json, chunks): an output
    inside it is refused before the store is even opened."""
    store = tmp_path / "s.zarr"
    store.mkdir()
    (store / "zarr.json").write_text("{}\n")
    before = snapshot(store)
    r = run(["plot-sweep", "s.zarr", "--json", "s.zarr/zarr.json"], tmp_path)
    assert_refused(
        r,
        f"{E}cannot write 's.zarr/zarr.json': it is inside 's.zarr', which the command reads; "
        "choose a place outside it\n",
    )
    assert snapshot(store) == before


def test_a_read_only_output_is_refused_and_keeps_its_mode(tmp_path):
    out = tmp_path / "v.json"
    out.write_text("old\n")
    out.chmod(0o444)
    before = snapshot(tmp_path)
    r = run(["value", "corridor", "--json", "v.json"], tmp_path)
    assert_refused(
        r,
        f"{E}cannot write JSON to 'v.json': it is read-only; make it writable or choose "
        "another file\n",
    )
    assert snapshot(tmp_path) == before


def test_a_hard_linked_output_is_refused(tmp_path):
    (tmp_path / "a.json").write_text("old\n")
    os.link(tmp_path / "a.json", tmp_path / "b.json")
    before = snapshot(tmp_path)
    r = run(["value", "corridor", "--json", "a.json"], tmp_path)
    assert_refused(
        r,
        f"{E}cannot write JSON to 'a.json': it has 2 hard links (replacing it would leave the "
        "other names with the old text); choose another file\n",
    )
    assert snapshot(tmp_path) == before


def test_a_fifo_is_refused_at_once(tmp_path):
    """No reader: writing would block for ever; the refusal comes before any work."""
    os.mkfifo(tmp_path / "fifo")
    r = run(["value", "corridor", "--json", "fifo"], tmp_path, timeout=60)
    assert_refused(
        r,
        f"{E}cannot write JSON to 'fifo': it is a FIFO (named pipe; writing would block until "
        f"a reader comes){ONLY}\n",
    )
    assert stat.S_ISFIFO(os.lstat(tmp_path / "fifo").st_mode)


def test_a_socket_is_refused(tmp_path):
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tmp_path / "sock"))
        r = run(["converge", "corridor", "--runs", "10", "--json", "sock"], tmp_path)
    finally:
        sock.close()
    assert_refused(r, f"{E}cannot write JSON to 'sock': it is a socket{ONLY}\n")


def _mknod(path, major, minor):
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(major, minor))
    except PermissionError:
        pytest.skip("mknod needs CAP_MKNOD")


def test_a_device_other_than_null_is_refused(tmp_path):
    _mknod(tmp_path / "full", 1, 7)  # a private /dev/full: every write fails with ENOSPC
    r = run(["value", "corridor", "--json", "full"], tmp_path)
    assert_refused(
        r, f"{E}cannot write JSON to 'full': it is a character device other than /dev/null{ONLY}\n"
    )
    assert listing(tmp_path) == ["full"]


@pytest.mark.parametrize(
    "args, stderr",
    [
        (
            ["--plot", "r", "--json", "r.png"],
            "cannot write JSON to 'r.png': its suffix .png names an image; give the JSON "
            "file a name such as FILE.json",
        ),
        (
            ["--json", "fig.svg"],
            "cannot write JSON to 'fig.svg': its suffix .svg names an image; give the JSON "
            "file a name such as FILE.json",
        ),
        (
            ["--plot", "x.json"],
            "figure 'x.json': figures are written as PNG and PDF; give FILE, FILE.png or "
            "FILE.pdf, not .json",
        ),
        (
            ["--plot", "notes.txt"],
            "figure 'notes.txt': figures are written as PNG and PDF; give FILE, FILE.png or "
            "FILE.pdf, not .txt",
        ),
    ],
    ids=["json-png", "json-svg", "plot-json", "plot-txt"],
)
def test_the_suffix_must_match_the_content(args, stderr, tmp_path):
    r = run(["converge", "corridor", "--runs", "10", "--quiet"] + args, tmp_path)
    assert_refused(r, E + stderr + "\n")
    assert listing(tmp_path) == []


def test_a_link_from_json_to_the_figure_is_refused(tmp_path):
    (tmp_path / "r.json").symlink_to("fig.png")
    r = run(["converge", "corridor", "--runs", "10", "--plot", "fig", "--json", "r.json"], tmp_path)
    assert_refused(r, f"{E}outputs 'r.json' and 'fig.png' are the same file\n")
    assert listing(tmp_path) == ["r.json"]


def test_a_run_refused_midway_writes_no_figure(tmp_path):
    """Monte Carlo runs first; the chain's systems at ε = 1e-300 are then refused for
    memory: no figure, no JSON, nothing else in the folder."""
    r = run(
        ["converge", "triangle", "--eps", "1e-300", "--runs", "20", "--updates", "100"]
        + ["--quiet", "--plot", "fig", "--json", "r.json"],
        tmp_path,
    )
    assert r.returncode == 2 and r.stderr.startswith(E + "the chain's systems on grids "), r.stderr
    assert r.stderr.count("\n") == 1 and r.stdout == ""
    assert listing(tmp_path) == []


def test_the_demo_does_not_write_through_a_symlink(tmp_path):
    outside = tmp_path / "precious.json"
    outside.write_text("keep me\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").symlink_to(outside)
    r = run(["demo", out, "--quick", "--quiet"], tmp_path)
    assert_refused(
        r,
        f"{E}cannot write demo output to '{out}/summary.json': it is a symbolic link (to "
        f"'{outside}'); remove it — files are written only inside '{out}'\n",
    )
    assert outside.read_text() == "keep me\n" and (out / "summary.json").is_symlink()
    assert listing(out) == ["summary.json"]


def test_a_folder_writer_replaces_a_link_itself(tmp_path):
    """The last line of defence behind the demo's check: a link that appears in the folder
    during the run is replaced, the file it pointed to is untouched."""
    from pgweyl.serialize import staged_folder

    outside = tmp_path / "outside.txt"
    outside.write_text("keep me\n")
    out = tmp_path / "out"
    out.mkdir()
    with staged_folder(out, "test output") as stage:
        (Path(stage) / "a.txt").write_text("new\n")
        (out / "a.txt").symlink_to(outside)
    assert outside.read_text() == "keep me\n"
    assert not (out / "a.txt").is_symlink() and (out / "a.txt").read_text() == "new\n"
    assert listing(out) == ["a.txt"]


def test_one_transaction_refuses_two_names_of_one_file(tmp_path):
    from pgweyl.serialize import OutputError, write_files

    (tmp_path / "b.json").symlink_to("a.json")
    with pytest.raises(OutputError, match="it is the same file as"):
        write_files({tmp_path / "a.json": "1", tmp_path / "b.json": "2"})
    assert listing(tmp_path) == ["b.json"]


def test_null_and_stdout_still_take_output(tmp_path):
    r = run(["value", "corridor", "--json", "/dev/null"], tmp_path)
    assert (r.returncode, r.stderr) == (0, "") and r.stdout.startswith("AlcoveWalkEnv(")
    r = run(["value", "corridor", "--json", "/dev/stdout", "--quiet"], tmp_path)
    assert (r.returncode, r.stderr) == (0, "")
    head, _, _ = r.stdout.partition("}\nAlcoveWalkEnv(")
    assert json.loads(head + "}")["env"]["level"] == 8
    assert listing(tmp_path) == []


# == class 7: numbers at their extremes ==========================================================
GAMMA_NEXT_TO_ONE = "0.9999999999999999"  # 1 − 2^-53, the largest double below 1


def test_check_at_gamma_next_to_one_answers(tmp_path):
    """The discount horizon of 1 − 2^-53 (~10^17 rows) sizes nothing: check answers.
    Null hypothesis of every row: the episodes are draws from the exact law."""
    r = run(
        ["check", f"corridor:gamma={GAMMA_NEXT_TO_ONE}", "--episodes", "2000", "--quiet"], tmp_path
    )
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert r.stdout.rstrip().endswith("\nagree")


def _corridor_gambler(level, start=2):
    """The corridor at γ = 1 from θ = 0 by the gambler's ruin, exactly: from distance d to
    wall 1 (reward 1/2) with level − d to wall 0 (reward 1), P(wall 0) = d/level and
    E[T] = d (level − d) — no pgweyl code involved."""
    from fractions import Fraction

    p0 = Fraction(start, level)
    return {"p0": p0, "mean_time": start * (level - start), "value": p0 + (1 - p0) / 2}


@pytest.mark.parametrize(
    "level, budget",
    [
        (100, 16 << 20),  # the law's table refused by a 16 MiB budget: fast
        pytest.param(400, None, marks=pytest.mark.slow),  # the case: 3.2 GiB > 2 GiB
    ],
    ids=["level100-16MiB", "level400-2GiB"],
)
def test_check_at_gamma_one_takes_the_linear_route_when_the_law_does_not_fit(
    level, budget, monkeypatch
):
    """γ = 1 on a long corridor: the law's table is over the budget (level 400: 3.2 GiB
    against 2 GiB, ~10 s to find out), so the check compares V, E[T] and the walls by the
    linear route instead of refusing. The exact side is held to the gambler's ruin
    (1e-12); the simulated side passes at the check's own thresholds (|z| ≤ 4.5, exact
    binomial p ≥ 1e-5) under the null hypothesis that the walks are draws from that law."""
    import pgweyl as pw
    from pgweyl import config
    from pgweyl.study.checks import check_closed_forms

    monkeypatch.setattr(config, "MEMORY_BUDGET", budget or (2 << 30))
    env = pw.make_env("corridor", level=level, gamma=1.0)
    report = check_closed_forms(env, n_episodes=20_000, seed=3)
    want = _corridor_gambler(level)
    assert report.route == "linear" and report.ok, report.rows
    rows = {r.quantity: r for r in report.rows}
    assert set(rows) == {"V = E[G]", "E[T]", "P(exit on wall 0)", "P(exit on wall 1)"}
    assert rows["V = E[G]"].exact == pytest.approx(float(want["value"]), abs=1e-12)
    assert rows["E[T]"].exact == pytest.approx(want["mean_time"], rel=1e-12)
    assert rows["P(exit on wall 0)"].exact == pytest.approx(float(want["p0"]), abs=1e-12)
    assert rows["P(exit on wall 1)"].exact == pytest.approx(float(1 - want["p0"]), abs=1e-12)


@pytest.mark.slow
def test_check_at_gamma_one_on_level_400_answers_from_the_command(tmp_path):
    r = run(["check", "corridor:gamma=1,level=400", "--episodes", "5000", "--quiet"], tmp_path)
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert "route: linear" in r.stdout and r.stdout.rstrip().endswith("\nagree")


def test_the_linear_rows_fail_on_a_planted_error():
    """The linear mode can fail: a mean 10 standard errors off, and a wall probability
    moved by 10 binomial standard errors, are flagged."""
    from pgweyl.study.checks import proportion_row, sample_mean_row

    rng = np.random.default_rng(0)
    x = rng.exponential(2.0, 10_000)  # mean 2, sd 2: SE 0.02
    d = x - 2.0
    assert sample_mean_row("m", 2.0, d.sum(), d @ d, len(x)).ok
    d = x - 2.2  # the exact side off by 10 SE
    assert not sample_mean_row("m", 2.2, d.sum(), d @ d, len(x)).ok
    hits = int((rng.random(10_000) < 0.3).sum())
    assert proportion_row("p", 0.3, hits, 10_000).ok
    assert not proportion_row("p", 0.3 + 10 * (0.21 / 10_000) ** 0.5, hits, 10_000).ok


@pytest.mark.parametrize(
    "family, theta", [("corridor", [0.4, -0.1]), ("triangle", [0.3, -0.1, -0.2])]
)
def test_wall_probabilities_two_routes(family, theta):
    """P(exit on wall j): the table's law (cells summed per wall) against the value at
    γ = 1 of the walk paying 1 on wall j (linear route) — no code path in common."""
    import pgweyl as pw
    from pgweyl.study.checks import wall_indicator_env

    env = pw.make_env(family)
    table = env.value_distribution(theta).wall_probabilities(len(env.alcove.walls))
    for j, p in enumerate(table):
        ind = wall_indicator_env(env, j)
        assert ind.solver.value_and_grad(theta, 1e-13, "linear", False).value == pytest.approx(
            p, abs=2e-12
        )


@pytest.mark.parametrize(
    "env, theta, value",
    [
        # always e1: the treasure (reward 1) 6 steps away, G = γ^5
        ("corridor", ["1e308", "0"], 0.95**5),
        ("corridor", ["1e308", "-1e308"], 0.95**5),
        # π = (0, ½, ½) from (2, 1, 0): one step onto wall 1 (0.6) or wall 2 (0.3)
        ("triangle", ["-1e308", "0", "0"], 0.45),
        # always e2: one step onto wall 1
        ("triangle", ["-1e308", "1e308", "0"], 0.6),
    ],
    ids=["corridor-e1", "corridor-spread", "triangle-face", "triangle-spread"],
)
def test_check_at_theta_near_the_float_limit_answers(env, theta, value, tmp_path):
    """θ at the float limit: the policy is a vertex or a face, V is known by hand. The
    law's tilt overflows (once a traceback, or warnings), so the check answers by the
    linear route where the table is refused — exit 0, no warning on stderr."""
    r = run(["check", env, "--theta", *theta, "--episodes", "500", "--json", "--quiet"], tmp_path)
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    d = json.loads(r.stdout)
    assert d["ok"]
    v = {row["quantity"]: row for row in d["rows"]}["V = E[G]"]
    assert v["exact"] == pytest.approx(value, abs=1e-15)


def test_the_law_refuses_a_tilt_that_overflows():
    import pgweyl as pw

    with pytest.raises(pw.AccuracyError, match="overflows"):
        pw.make_env("corridor").value_distribution([1e308, 0.0])
    with pytest.raises(pw.AccuracyError, match="overflows"):
        pw.make_env("triangle").value_distribution([-1e308, 0.0, 0.0])
    law = pw.make_env("corridor").value_distribution([-1e308, 0.0])  # fine: one cell
    assert law.probs.tolist() == [1.0] and law.times.tolist() == [2]


def test_theta0_whose_logits_overflow_is_refused_before_work(tmp_path):
    r = run(["converge", "triangle", "--theta0", "-1e308", "0", "1e308", "--runs", "10"], tmp_path)
    assert_refused(
        r,
        f"{E}theta0 [-1e+308, 0.0, 1e+308]: the steps' logits (s, theta0) differ by more than "
        "the float range, so its policy gradient cannot be computed; scale theta0 down (its "
        "policy is the same deterministic one)\n",
    )


def test_theta0_at_the_float_limit_is_answered(tmp_path):
    """θ0 = (1e308, 0): the policy is "always e1" already, the treasure's vertex: every
    run and the chain end there at once."""
    r = run(
        ["converge", "corridor", "--theta0", "1e308", "0", "--runs", "50", "--json", "--quiet"],
        tmp_path,
    )
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    d = json.loads(r.stdout)
    assert d["monte_carlo"]["probabilities"][0] == 1.0 and d["chain"]["at_theta0"][0] == 1.0


def test_tiny_eps_on_the_2d_chain_is_refused_in_one_line(tmp_path):
    r = run(["converge", "triangle", "--eps", "1e-300", "--method", "chain"], tmp_path)
    assert r.returncode == 2 and r.stdout == "", r.stderr
    assert r.stderr.startswith(E + "the chain's systems on grids ") and r.stderr.count("\n") == 1
    assert r.seconds < REFUSAL_SECONDS


@pytest.mark.slow
def test_tiny_eps_on_the_corridor_ends(tmp_path):
    """ε = 1e-300: Monte Carlo by the event-driven scheme (runs end at their budget) and
    the chain at its ε → 0 limit; measured 6 s with 100 runs."""
    r = run(
        ["converge", "corridor", "--eps", "1e-300", "--runs", "100", "--json", "--quiet"], tmp_path
    )
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    d = json.loads(r.stdout)
    # P(first entry into the 1e-300-ball) is the ε → 0 limit, 0.3254 (docs/theory §12)
    assert d["chain"]["at_theta0"][0] == pytest.approx(0.3254, abs=1e-3)


# == class 8: the examples' arguments ============================================================
@pytest.mark.parametrize(
    "script, args, message",
    [
        (
            "grade_reinforce_agent.py",
            ["--seeds", "1000000000"],
            "seeds: 1000000000 agents to train; at most 100000 (one agent per seed)",
        ),
        ("grade_reinforce_agent.py", ["--seeds", "0"], "--seeds must be a positive integer, got 0"),
        ("closed_form_vs_simulation.py", ["--episodes", "-3"], "--episodes must be >= 2, got -3"),
        ("update_rules.py", ["--updates", "0"], "--updates must be a positive integer, got 0"),
    ],
    ids=["billion-seeds", "zero-seeds", "negative-episodes", "zero-updates"],
)
def test_examples_refuse_nonsense_and_hopeless_counts(script, args, message, tmp_path):
    """Refused in one line with exit 2 before anything is computed or written (the output
    folder is not even created)."""
    r = run([tmp_path / "out"] + args, tmp_path, script=script)
    assert_refused(r, f"{script}: error: {message}\n")
    assert listing(tmp_path) == []


def test_an_example_at_a_hopeless_level_is_refused_by_the_budget(tmp_path):
    """A corridor of level 10^5: the law the chain solver needs around θ0 has a
    first-passage table far over the budget; refused in seconds (it used to run the local
    maxima — 88 s — and Monte Carlo first)."""
    r = run([tmp_path / "out", "--level", "100000", "--quick"], tmp_path, script="step_size.py")
    assert r.returncode == 2 and r.stdout == "" and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("step_size.py: error: a first-passage table of ")
    assert "more than the memory budget of 2.0 GiB" in r.stderr
    assert listing(tmp_path) == [] and r.seconds < REFUSAL_SECONDS


def test_an_example_checks_its_output_names_before_work(tmp_path):
    """Its JSON's name taken by a FIFO: refused at once (the writer would refuse it only
    after the whole computation), the folder otherwise untouched."""
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "update_rules.json")
    r = run([out, "--quick"], tmp_path, script="update_rules.py", timeout=120)
    assert_refused(
        r,
        f"update_rules.py: error: cannot write output to '{out}/update_rules.json': it is a "
        f"FIFO (named pipe; writing would block until a reader comes){ONLY}\n",
    )
    assert listing(out) == ["update_rules.json"]


@pytest.mark.parametrize("gamma", [1e-14, 1e-100, 1e-300])
def test_maxima_at_a_tiny_gamma_are_not_a_flat_face(gamma):
    """γ → 0: every exit is discounted to almost nothing, yet the landscape keeps its shape.
    From (2, 0) the trap (reward ½) is 2 steps away and the treasure 6, so
    V(π) = ½ γ π(e2)² + O(γ⁵): the one maximum that numbers can see is the vertex e2 with
    V = γ/2 (by hand). The absolute tolerances once called the corridor flat below
    γ ≈ 1e-12 (one "flat face" maximum {e1, e2})."""
    import pgweyl as pw

    maxima = pw.local_maxima(pw.make_env("corridor", gamma=gamma))
    assert [m.support for m in maxima] == [(1,)]
    assert maxima[0].value == pytest.approx(gamma / 2, rel=1e-12)


def test_a_huge_step_size_is_refused_by_the_chain_in_words_that_fit(tmp_path):
    """lr = 1e300: E|dy|² overflows; the chain once printed an overflow warning and called
    the step size "too small". Monte Carlo answers it: the first update decides, so
    P(treasure) is P(the first walk exits on wall 0) = 1/4 (null: 200 runs from that
    Bernoulli law; 4 standard errors = 0.12)."""
    r = run(["converge", "corridor", "--lr", "1e300", "--runs", "10", "--quiet"], tmp_path)
    assert_refused(
        r,
        f"{E}lr 1e+300 is too large for the chain solver: the moments of one update E|dy|² "
        "overflow the float range; use Monte Carlo (--method mc)\n",
    )
    r = run(
        ["converge", "corridor", "--lr", "1e300", "--runs", "200", "--method", "mc", "--json"]
        + ["--quiet"],
        tmp_path,
    )
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    p = json.loads(r.stdout)["monte_carlo"]["probabilities"][0]
    assert abs(p - 0.25) <= 4 * (0.25 * 0.75 / 200) ** 0.5


@pytest.mark.slow
def test_a_huge_step_size_leaves_the_limit_unavailable_not_a_traceback(tmp_path):
    r = run(
        ["converge", "corridor", "--lr", "1e150", "--runs", "20", "--json", "--quiet"], tmp_path
    )
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    d = json.loads(r.stdout)
    assert d["limit"]["status"] == "not available"
    assert "Lundberg root was not found" in d["limit"]["reason"]
    assert d["chain"]["at_theta0"][0] == pytest.approx(0.25, abs=1e-6)  # the first walk decides


def test_the_largest_update_count_is_refused_not_an_empty_run(tmp_path):
    """--updates 2^63 − 1 wrapped the kernels' loop over θ_0 … θ_n to nothing: every run
    came back "unresolved" at once with exit 0. One less is the limit; a run given it
    ends at a maximum as any long run does."""
    import pgweyl as pw

    with pytest.raises(pw.ArgumentError, match="n_updates must be <= 9223372036854775806"):
        pw.reinforce(pw.make_env("corridor"), [0.0, 0.0], 1.0, 2**63 - 1, 2)
    r = run(["converge", "corridor", "--updates", str(2**63 - 1), "--runs", "10"], tmp_path)
    assert_refused(r, f"{E}--updates must be <= 9223372036854775806, got 9223372036854775807\n")
    r = run(
        ["converge", "corridor", "--updates", str(2**63 - 2), "--runs", "10", "--method", "mc"]
        + ["--json", "--quiet"],
        tmp_path,
    )
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert json.loads(r.stdout)["monte_carlo"]["unresolved"] == 0.0
