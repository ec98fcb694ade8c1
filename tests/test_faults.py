"""Faults a user can provoke, each in its own subprocess (issue 11).

Every case runs ``python -m pgweyl …`` (or an example script) in a fresh folder under
``RLIMIT_AS`` = 4 GiB and checks the exit code (0 ok, 1 disagreement only, 2 bad input
or refusal, 130 interrupted), the *exact* stderr (one line for every error, nothing
else: no traceback, no warning) and that nothing was written where it should not be.
Refusals must come before any allocation (the address-space limit would turn a large
allocation into a MemoryError traceback) and within 5 s.

Special files (a character device cloned from /dev/null with mknod, a FIFO, a symlink
to /proc/self/fd/1 standing for /dev/stdout) are created in the test's own folder, so
a broken writer cannot damage the machine's /dev.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
AS_LIMIT = 4 << 30
# A refusal comes before any work; under a loaded machine a process start alone can take a
# few seconds, so this is a hang guard (work would take minutes), not a timing.
REFUSAL_SECONDS = 30.0
# A fixed budget: the messages quote it. No PYTHONWARNINGS: a warning must not appear.
ENV = {
    **{k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS", "DISPLAY")},
    "PGWEYL_MEMORY_BUDGET": "2G",
    "MPLBACKEND": "Agg",
}


def _limits(fsize=None):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))
        if fsize is not None:  # a "full disk" for files this process writes
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return apply


def run(args, cwd, fsize=None, script=None, timeout=300):
    cmd = [sys.executable, str(EXAMPLES / script)] if script else [sys.executable, "-m", "pgweyl"]
    t0 = time.perf_counter()
    r = subprocess.run(
        cmd + [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=timeout,
        preexec_fn=_limits(fsize),
    )
    r.seconds = time.perf_counter() - t0
    return r


def sigint_after(p, seconds: float, timeout: float):
    """Let the started command ``p`` run for ``seconds`` (it must still be running), then
    send it a real SIGINT; returns (stdout, stderr, seconds from the signal to its exit).
    A command still running when its ``timeout`` is up is killed."""
    try:
        time.sleep(seconds)
        assert p.poll() is None, p.communicate()
        t0 = time.perf_counter()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=timeout)
        return out, err, time.perf_counter() - t0
    finally:
        if p.poll() is None:
            p.kill()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- input files shared by the cases ---------------------------------------------------------
@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("inputs")
    files = {
        "env5.toml": "env = 5\n",
        "deep.toml": "a = " + "[" * 50_000 + "]" * 50_000 + "\n",
        "big.toml": 'cartan = "A1"\nlevel = 9223372036854775808\nwall_rewards = [1.0, 0.5]\n',
        "eight.toml": 'family = "corridor"\nlevel = "eight"\n',
        "eight_custom.toml": 'cartan = "A1"\nlevel = "eight"\nwall_rewards = [1.0, 0.5]\n',
        "c3.toml": 'cartan = "C3"\nlevel = 5\nwall_rewards = [1.0, 0.0, 0.0, 0.0]\n',
        "unreached.toml": (
            'cartan = "A2"\nlevel = 6\nstart = [2, 1, 0]\nreward_table = [[[6, 0, 0], 1.0]]\n'
        ),
        "dup.toml": 'family = "corridor"\nlevel = 8\nlevel = 9\n',
        "family.toml": 'family = "corridor"\ntrap_distance = 3\n',
    }
    for name, text in files.items():
        (d / name).write_text(text)
    (d / "latin1.toml").write_bytes(b'cartan = "A1"\nlevel = 8\n# caf\xe9\n')
    (d / "folder.toml").mkdir()
    return d


def _ro_folder(tmp_path: Path) -> Path:
    """A folder that refuses new files even to root (/sys), or a chmod-555 one."""
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        return ro
    try:
        fd, p = tempfile.mkstemp(dir="/sys")
    except OSError:
        return Path("/sys")
    os.close(fd)
    os.unlink(p)
    pytest.skip("no read-only folder available to root here")


# -- the matrix: args, exit code, the exact stderr ("" for none) ------------------------------
E = "pgweyl: error: "
BUDGET = (
    "more than the memory budget of 2.0 GiB (pgweyl.config.MEMORY_BUDGET or PGWEYL_MEMORY_BUDGET)"
)
NAN_THETA = E + "argument --theta: must be a finite number, got '{}'"
CASES = [
    # numbers: negative values parse everywhere; inf/nan/garbage are one clear line
    ("theta-neg-inf", ["value", "corridor", "--theta", "-inf", "0"], 2, NAN_THETA.format("-inf")),
    ("theta-nan", ["value", "corridor", "--theta", "nan", "0"], 2, NAN_THETA.format("nan")),
    ("theta-inf", ["value", "corridor", "--theta", "0", "inf"], 2, NAN_THETA.format("inf")),
    (
        "theta0-garbage",
        ["converge", "corridor", "--theta0", "-1e-3", "abc"],
        2,
        E + "argument --theta0: expected a number, got 'abc'",
    ),
    (
        "theta-count",
        ["value", "corridor", "--theta", "-1e-3"],
        2,
        E + "--theta needs 2 numbers for this env, got 1",
    ),
    ("lr-negative", ["converge", "corridor", "--lr", "-1"], 2, E + "--lr must be > 0, got -1"),
    (
        "lr-zero",
        ["sweep", "corridor", "--param", "level=4,6", "--lr", "0"],
        2,
        E + "--lr must be > 0, got 0",
    ),
    (
        "lr-inf",
        ["converge", "corridor", "--lr", "-inf"],
        2,
        E + "argument --lr: must be a finite number, got '-inf'",
    ),
    ("eps-negative", ["converge", "corridor", "--eps", "-0.1"], 2, E + "eps must be > 0, got -0.1"),
    ("eps-half", ["converge", "corridor", "--eps", "0.5"], 2, E + "eps must be < 0.5, got 0.5"),
    ("tol-zero", ["value", "corridor", "--tol", "0"], 2, E + "tol must be > 0, got 0"),
    ("tol-neg", ["value", "corridor", "--tol", "-1e-3"], 2, E + "tol must be > 0, got -0.001"),
    (
        "seed-negative",
        ["check", "corridor", "--seed", "-1"],
        2,
        E + "seed must be a non-negative integer, got -1",
    ),
    (
        "episodes-few",
        ["check", "corridor", "--episodes", "50"],
        2,
        E + "--episodes must be >= 100, got 50",
    ),
    (
        "episodes-int64",
        ["check", "corridor", "--episodes", "1e19"],
        2,
        E + "--episodes must be <= 9223372036854775807, got 10000000000000000000",
    ),
    (
        "runs-zero",
        ["converge", "corridor", "--runs", "0"],
        2,
        E + "--runs must be a positive integer, got 0",
    ),
    (
        "runs-fraction",
        ["converge", "corridor", "--runs", "1.5"],
        2,
        E + "argument --runs: expected an integer, got '1.5'",
    ),
    (
        "updates-negative",
        ["converge", "corridor", "--updates", "-5"],
        2,
        E + "--updates must be a positive integer, got -5",
    ),
    ("grid-zero", ["converge", "corridor", "--grid", "0"], 2, E + "--grid must be >= 9, got 0"),
    ("grid-one", ["converge", "corridor", "--grid", "1"], 2, E + "--grid must be >= 9, got 1"),
    (
        "basin-negative",
        ["maxima", "corridor", "--basin-samples", "-1"],
        2,
        E + "--basin-samples must be a non-negative integer, got -1",
    ),
    (
        "basin-huge",
        ["maxima", "corridor", "--basin-samples", "1000000000"],
        2,
        E + "--basin-samples must be <= 10000, got 1000000000",
    ),
    # refusals before any allocation (RLIMIT_AS would make a large one a traceback)
    (
        "grid-2d-huge",
        ["converge", "triangle", "--grid", "1000"],
        2,
        E + "the chain solver on a 1000×1000 grid (1312500 nodes with its coarser "
        "refinement grids) needs "
        f"about 10.0 GiB, {BUDGET}; use a smaller grid (--grid)",
    ),
    (
        "grid-1d-huge",
        ["converge", "corridor", "--grid", "100000000", "--method", "chain"],
        2,
        E + "the chain solver on a 100000000 grid (175000000 nodes with its coarser "
        "refinement grids) needs "
        f"about 5.2 TiB, {BUDGET}; use a smaller grid (--grid)",
    ),
    (
        "sweep-grid-huge",
        ["sweep", "triangle", "--param", "level=6,7", "--grid", "4000"],
        2,
        E + "the chain solver on a 4000×4000 grid (21000000 nodes with its coarser "
        "refinement grids) needs "
        f"about 160.2 GiB, {BUDGET}; use a smaller grid (--grid)",
    ),
    (
        "sweep-range-huge",
        ["sweep", "corridor", "--param", "level=4:100000"],
        2,
        E + "param 'level=4:100000' gives 99997 values; at most 1000 per param "
        "(use a step: start:stop:step)",
    ),
    (
        "sweep-range-astronomic",
        ["sweep", "corridor", "--param", "level=4:1000000000000000000"],
        2,
        E + "param 'level=4:1000000000000000000' gives 999999999999999997 values; at most "
        "1000 per param (use a step: start:stop:step)",
    ),
    (
        "sweep-step-zero",
        ["sweep", "corridor", "--param", "level=4:8:0"],
        2,
        E + "param 'level=4:8:0': a range is integers start:stop[:step] with step > 0",
    ),
    (
        "sweep-bad-value",
        ["sweep", "corridor", "--param", "level=6,1", "--runs", "10"],
        2,
        E + "corridor:level=1: corridor: trap_distance must be between 1 and level-1 = 0, got 2",
    ),
    (
        "level-2^62",
        ["value", "corridor:level=4611686018427387904"],
        2,
        E + "corridor:level=4611686018427387904: the closed alcove of A1 at level "
        "4611686018427387904 (4611686018427387905 lattice points) needs about 384 PiB, "
        f"{BUDGET}; choose a smaller level",
    ),
    (
        "level-2^63",
        ["value", "corridor:level=9223372036854775808"],
        2,
        E + "corridor:level=9223372036854775808: level must be at most 2^62 = "
        "4611686018427387904, got 9223372036854775808",
    ),
    (
        "simplex-level-huge",
        ["value", "simplex:level=100000"],
        2,
        E + "simplex:level=100000: the closed alcove of A3 at level 100000 (166676666850001 "
        f"lattice points) needs about 28.4 PiB, {BUDGET}; choose a smaller level",
    ),
    # ENV specs and TOML files
    (
        "level-negative",
        ["value", "corridor:level=-3"],
        2,
        E + "corridor:level=-3: corridor: level must be a positive integer, got -3",
    ),
    (
        "knob-twice",
        ["value", "corridor:level=4,level=5"],
        2,
        E + "corridor:level=4,level=5: knob 'level' is given twice",
    ),
    (
        "toml-env-int",
        ["value", "{in}/env5.toml"],
        2,
        E + "{in}/env5.toml: 'env' must be a table ([env]), got int",
    ),
    (
        "toml-deep",
        ["value", "{in}/deep.toml"],
        2,
        E + "{in}/deep.toml: malformed TOML: nested too deeply",
    ),
    (
        "toml-level-2^63",
        ["value", "{in}/big.toml"],
        2,
        E + "{in}/big.toml: level must be at most 2^62 = 4611686018427387904, got "
        "9223372036854775808",
    ),
    (
        "toml-not-utf8",
        ["value", "{in}/latin1.toml"],
        2,
        E + "{in}/latin1.toml: not UTF-8 text (byte 29)",
    ),
    (
        "toml-eight-family",
        ["value", "{in}/eight.toml"],
        2,
        E + "{in}/eight.toml: corridor: knob level must be an integer, got 'eight'",
    ),
    (
        "toml-eight-custom",
        ["value", "{in}/eight_custom.toml"],
        2,
        E + "{in}/eight_custom.toml: level must be a positive integer, got 'eight'",
    ),
    (
        "toml-duplicate-key",
        ["value", "{in}/dup.toml"],
        2,
        E + "{in}/dup.toml: malformed TOML: Cannot overwrite a value (at line 3, column 10)",
    ),
    (
        "toml-folder",
        ["value", "{in}/folder.toml"],
        2,
        E + "ENV file '{in}/folder.toml' is a directory",
    ),
    ("toml-missing", ["value", "missing.toml"], 2, E + "ENV file 'missing.toml' does not exist"),
    (
        "c3-level-5",
        ["value", "{in}/c3.toml"],
        2,
        E + "{in}/c3.toml: alcove of C3 at level 5 has no interior lattice point; the smallest "
        "level with one at which signed steps are reflectable is 8",
    ),
    (
        "reward-table-unreached",
        ["value", "{in}/unreached.toml"],
        2,
        E + "{in}/unreached.toml: reward_table pays only at points the walk from [2, 1, 0] never "
        "exits at ([6, 0, 0]), so V = 0 for every policy; the 12 reachable exit points are "
        "env.exit_points",
    ),
    # output paths, checked before any work
    (
        "json-empty",
        ["value", "corridor", "--json", ""],
        2,
        E + "JSON path is empty; give a file name",
    ),
    (
        "json-dir",
        ["maxima", "corridor", "--json", "."],
        2,
        E + "cannot write JSON to '.': it is a directory",
    ),
    (
        "json-no-folder",
        ["check", "corridor", "--json", "missing/x.json"],
        2,
        E + "cannot write JSON to 'missing/x.json': folder '{cwd}/missing' does not exist",
    ),
    (
        "json-envs-no-folder",
        ["envs", "--json", "missing/x.json"],
        2,
        E + "cannot write JSON to 'missing/x.json': folder '{cwd}/missing' does not exist",
    ),
    (
        "json-through-file",
        ["value", "corridor", "--json", "{in}/env5.toml/x.json"],
        2,
        E + "cannot write JSON to '{in}/env5.toml/x.json': Not a directory",
    ),
    (
        "json-read-only",
        ["envs", "--json", "{ro}/x.json"],
        2,
        E + "cannot write JSON to '{ro}/x.json': folder '{ro}' is not writable (Permission denied)",
    ),
    (
        "sweep-json-dir",
        ["sweep", "corridor", "--param", "level=4,6", "--json", "."],
        2,
        E + "cannot write JSON to '.': it is a directory",
    ),
    (
        "plot-svg",
        ["converge", "corridor", "--plot", "out.svg"],
        2,
        E + "figure 'out.svg': figures are written as PNG and PDF; give FILE, FILE.png or "
        "FILE.pdf, not .svg",
    ),
    (
        "plot-no-folder",
        ["converge", "corridor", "--plot", "missing/b.png"],
        2,
        E + "cannot write figure to 'missing/b.png': folder '{cwd}/missing' does not exist",
    ),
    (
        "plot-mc-only",
        ["converge", "corridor", "--method", "mc", "--plot", "x.png"],
        2,
        E + "--plot draws the chain solver's basin map, which does not run here (--method mc, "
        "or an env of effective dimension > 2)",
    ),
    (
        "plot-simplex",
        ["converge", "simplex", "--plot", "x"],
        2,
        E + "--plot draws the chain solver's basin map, which does not run here (--method mc, "
        "or an env of effective dimension > 2)",
    ),
    (
        "chain-simplex",
        ["converge", "simplex", "--method", "chain", "--rule", "natural"],
        2,
        E + "method 'chain': the chain solver does not take the natural rule in effective "
        "dimension 3 (its steps grow without bound along the faces of the simplex) "
        "(simplex); use method 'auto' or 'mc'",
    ),
    ("demo-empty", ["demo", ""], 2, E + "output folder must be a non-empty folder name, got ''"),
    (
        "demo-file",
        ["demo", "{in}/env5.toml"],
        2,
        E + "output folder '{in}/env5.toml' exists and is not a folder",
    ),
    (
        "demo-cannot-create",
        ["demo", "/proc/nope/out"],
        2,
        E + "cannot create output folder '/proc/nope/out': No such file or directory",
    ),
    (
        "demo-read-only",
        ["demo", "{ro}/out"],
        2,
        E + "cannot create output folder '{ro}/out': {ro_reason}",
    ),
    # command lines
    (
        "no-command",
        [],
        2,
        E + "missing command; one of envs, value, check, maxima, converge, "
        "compare, sweep, plot-sweep, grade, demo, warmup (see pgweyl --help)",
    ),
    (
        "unknown-option",
        ["value", "corridor", "--frobnicate"],
        2,
        E + "unrecognized arguments: --frobnicate",
    ),
]


def _mkdir_reason(folder: Path) -> str:
    """What the system says when a folder is created in ``folder`` (EACCES or EPERM)."""
    try:
        os.makedirs(folder / "out")  # the demo's own call, on the case's own path
    except OSError as err:
        return err.strerror
    (folder / "out").rmdir()
    return "?"


def _fmt(text, cwd, inp, ro):
    if "{ro_reason}" in text:
        text = text.replace("{ro_reason}", _mkdir_reason(ro))
    return text.replace("{cwd}", str(cwd)).replace("{in}", str(inp)).replace("{ro}", str(ro))


@pytest.mark.parametrize("name, args, code, stderr", CASES, ids=[c[0] for c in CASES])
def test_refusal(name, args, code, stderr, inputs, tmp_path):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    ro = _ro_folder(tmp_path) if any("{ro}" in a for a in args) else tmp_path
    r = run([_fmt(a, cwd, inputs, ro) for a in args], cwd)
    assert (r.returncode, r.stderr) == (code, _fmt(stderr, cwd, inputs, ro) + "\n"), r.stderr
    assert r.stdout == ""
    assert listing(cwd) == []  # nothing written
    assert r.seconds < REFUSAL_SECONDS, f"refused after {r.seconds:.1f} s"


# -- the demo's output folder -------------------------------------------------------------------
def test_demo_output_name_taken_by_a_directory(tmp_path):
    out = tmp_path / "out"
    (out / "summary.json").mkdir(parents=True)
    r = run(["demo", out, "--quick", "--quiet"], tmp_path)
    assert (r.returncode, r.stderr) == (
        2,
        f"{E}cannot write demo output to '{out}/summary.json': it is a directory\n",
    )
    assert listing(out) == ["summary.json"]


@pytest.mark.slow
def test_demo_full_disk_leaves_no_partial_output(tmp_path):
    """A file-size limit of 80 kB lets the first figures through and stops a later one;
    the demo stages into a temporary folder, so OUT keeps only what was there before."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("old\n")
    r = run(["demo", out, "--quick", "--quiet"], tmp_path, fsize=80_000)
    assert (r.returncode, r.stderr) == (
        2,
        f"{E}cannot write the demo's files to '{out}': File too large; nothing was written\n",
    )
    assert listing(out) == ["summary.json"] and (out / "summary.json").read_text() == "old\n"


# -- writing through the one writer ---------------------------------------------------------
def test_full_disk_json_keeps_the_old_file(tmp_path):
    old = tmp_path / "v.json"
    old.write_text("old\n")
    r = run(["value", "corridor", "--json", "v.json"], tmp_path, fsize=200)
    assert (r.returncode, r.stderr) == (2, f"{E}cannot write output to 'v.json': File too large\n")
    assert listing(tmp_path) == ["v.json"] and old.read_text() == "old\n"  # no temp file left


@pytest.mark.slow
def test_full_disk_plot_writes_neither_figure(tmp_path):
    r = run(
        [
            "converge",
            "corridor",
            "--runs",
            "100",
            "--grid",
            "51",
            "--quiet",
            "--plot",
            "b",
            "--json",
            "c.json",
        ],
        tmp_path,
        fsize=20_000,
    )
    assert (r.returncode, r.stderr) == (2, f"{E}cannot write output to 'b.png': File too large\n")
    assert listing(tmp_path) == []


def test_json_to_the_null_device_is_written_in_place(tmp_path):
    """A character device with /dev/null's number is written in place (issue 26: the only
    device that takes output; any other is refused, tests/faults/test_outputs_and_numbers)."""
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a private /dev/null
    except PermissionError:
        pytest.skip("mknod needs CAP_MKNOD")
    r = run(["value", "corridor", "--json", null], tmp_path)
    assert (r.returncode, r.stderr) == (0, "")
    assert stat.S_ISCHR(os.lstat(null).st_mode) and listing(tmp_path) == ["null"]
    assert r.stdout.startswith("AlcoveWalkEnv('A1', level=8")
    zero = tmp_path / "zero"
    os.mknod(zero, stat.S_IFCHR | 0o666, os.makedev(1, 5))  # a private /dev/zero
    r = run(["value", "corridor", "--json", zero], tmp_path)
    assert (r.returncode, r.stderr) == (
        2,
        f"{E}cannot write JSON to '{zero}': it is a character device other than /dev/null; "
        "pgweyl writes regular files, /dev/null and stdout ('-')\n",
    )


def test_json_to_stdout_link_keeps_the_link_and_prints(tmp_path):
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")  # what /dev/stdout is
    r = run(["value", "corridor", "--json", link], tmp_path)
    assert (r.returncode, r.stderr) == (0, "")
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"
    head, _, table = r.stdout.partition("}\n")
    assert json.loads(head + "}")["value"] == pytest.approx(0.38221389682, abs=1e-10)
    assert table.startswith("AlcoveWalkEnv(")


def test_json_to_a_fifo_is_refused(tmp_path):
    """Issue 26: a FIFO without a reader blocked the command for ever; it is refused
    before any work (it used to be written in place when a reader was there)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    r = run(["value", "corridor", "--json", fifo, "--quiet"], tmp_path, timeout=60)
    assert (r.returncode, r.stderr) == (
        2,
        f"{E}cannot write JSON to '{fifo}': it is a FIFO (named pipe; writing would block "
        "until a reader comes); pgweyl writes regular files, /dev/null and stdout ('-')\n",
    )
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and r.seconds < REFUSAL_SECONDS


def test_json_through_a_symlink_writes_the_target(tmp_path):
    (tmp_path / "real.json").write_text("old\n")
    (tmp_path / "link.json").symlink_to("real.json")
    r = run(["value", "corridor", "--json", "link.json"], tmp_path)
    assert (r.returncode, r.stderr) == (0, "")
    assert (tmp_path / "link.json").is_symlink()
    assert json.loads((tmp_path / "real.json").read_text())["env"]["cartan"] == "A1"
    assert listing(tmp_path) == ["link.json", "real.json"]
    # the target is held to the rules of a file named directly (issue 26): read-only refused
    (tmp_path / "real.json").chmod(0o444)
    r = run(["value", "corridor", "--json", "link.json"], tmp_path)
    assert r.returncode == 2 and "it is read-only" in r.stderr, r.stderr
    assert json.loads((tmp_path / "real.json").read_text())["env"]["cartan"] == "A1"


# -- plain input that must work ----------------------------------------------------------------
def test_negative_numbers_everywhere(tmp_path):
    r = run(["value", "corridor", "--theta", "1e-3", "-1e-3", "--json"], tmp_path)
    assert (r.returncode, r.stderr) == (0, "")
    assert json.loads(r.stdout)["theta"] == [0.001, -0.001]
    r = run(["value", "corridor", "--theta", "-1e308", "0", "--json"], tmp_path)
    assert (r.returncode, r.stderr) == (0, "")  # no overflow warning on stderr
    # θ1 → −∞: always step e2, the trap 2 steps away, G = γ · 0.5
    assert json.loads(r.stdout)["value"] == pytest.approx(0.95 * 0.5, abs=1e-15)


def test_a_file_named_like_a_catalog_entry_does_not_shadow_it(tmp_path):
    (tmp_path / "corridor").write_text("this is not TOML [\n")
    r = run(["value", "corridor", "--json"], tmp_path)
    assert (r.returncode, r.stderr) == (0, "")
    assert json.loads(r.stdout)["env"]["level"] == 8


@pytest.mark.slow
def test_sweep_accepts_a_toml_family(inputs, tmp_path):
    r = run(
        [
            "sweep",
            inputs / "family.toml",
            "--param",
            "level=6,8",
            "--runs",
            "50",
            "--updates",
            "2000",
            "--method",
            "mc",
            "--workers",
            "0",
            "--json",
            "--quiet",
        ],
        tmp_path,
    )
    assert (r.returncode, r.stderr) == (0, "")
    d = json.loads(r.stdout)
    assert d["params"] == {"level": [6, 8]}
    # trap_distance = 3 from the file: at level 6 the treasure is 3 steps away (V = γ²)
    assert d["rows"][0]["value"][0] == pytest.approx(0.95**2)


def test_check_rare_event_is_no_disagreement(tmp_path):
    """Null hypothesis: the walk samples the exact law. At θ = (−1.5, 1.5) the far wall
    has probability 1.5e-8 and is never seen in 20 000 episodes; the exact binomial
    test accepts that (the old sample-SD z-score was +inf and exited 1)."""
    r = run(
        ["check", "corridor", "--theta", "-1.5", "1.5", "--episodes", "20000", "--quiet"], tmp_path
    )
    assert (r.returncode, r.stderr) == (0, "")
    assert "binom k=0 p=1" in r.stdout and r.stdout.rstrip().endswith("agree")


@pytest.mark.slow
def test_converge_auto_on_simplex_runs_monte_carlo_only(tmp_path):
    r = run(
        ["converge", "simplex", "--runs", "100", "--updates", "2000", "--quiet", "--json"], tmp_path
    )
    assert (r.returncode, r.stderr) == (0, "")
    d = json.loads(r.stdout)
    assert d["methods"] == ["mc"] and "chain" not in d
    assert d["monte_carlo"]["n_runs"] == 100


# -- interrupts and bounded memory -------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["converge", "corridor", "--method", "mc", "--runs", "1000000000000"],
        ["check", "corridor", "--episodes", "1000000000000"],
    ],
    ids=["converge-1e12-runs", "check-1e12-episodes"],
)
def test_ctrl_c_during_a_huge_run(args, tmp_path):
    """10^12 runs/episodes stream in chunks: memory stays bounded under RLIMIT_AS, a
    progress line appears when piped, and a real SIGINT ends the command in < 3 s."""
    p = subprocess.Popen(
        [sys.executable, "-m", "pgweyl", *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**ENV, "PGWEYL_PROGRESS_INTERVAL": "1"},
        preexec_fn=_limits(),
    )
    out, err, waited = sigint_after(p, 6.0, timeout=30)
    assert p.returncode == 130, err
    lines = err.splitlines()
    assert lines[-1] == "pgweyl: interrupted"
    assert all(ln.startswith("pgweyl: ") and "%" in ln for ln in lines[:-1])  # progress lines
    assert out == "" and waited < 3.0, waited
    assert listing(tmp_path) == []


def test_ctrl_c_while_the_chain_solves_beside_the_runs(tmp_path):
    """``compare`` solves the chain in a thread beside the Monte Carlo runs: a real
    SIGINT while both run ends the command at once, with the one interrupt line."""
    p = subprocess.Popen(
        [sys.executable, "-m", "pgweyl", "compare", "triangle", "--rules", "vanilla"]
        + ["--lr", "1", "--runs", "1000000000000"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    out, err, waited = sigint_after(p, 8.0, timeout=30)
    assert p.returncode == 130, err
    lines = err.splitlines()
    assert lines[-1] == "pgweyl: interrupted"
    assert any(ln.startswith("chain: GMRES") for ln in lines), err  # the chain was running
    assert out == "" and waited < 3.0, waited
    assert listing(tmp_path) == []


# -- examples: validated before computing --------------------------------------------------------
#: What the table of a corridor of level 10^5 needs at θ = 0 (the chain solver's law).
LEVEL_1E5_TABLE = (
    "a first-passage table of 17408 rows over 99999 states needs about 3.1 GiB, "
    + BUDGET
    + "; raise tol, lower gamma, or use method='linear'"
)
EXAMPLE_CASES = [
    (
        "corridor_difficulty.py",
        ["{out}", "--runs", "0"],
        "--runs must be a positive integer, got 0",
    ),
    ("corridor_difficulty.py", ["{file}"], "output folder '{file}' exists and is not a folder"),
    (
        "corridor_difficulty.py",
        ["{out}", "--levels", "4", "1"],
        "corridor: trap_distance must be between 1 and level-1 = 0, got 2",
    ),
    (
        "triangle_landscape.py",
        ["{out}", "--level", "2"],
        "alcove of A2 at level 2 has no interior lattice point; the smallest level with one at "
        "which unit steps are reflectable is 3",
    ),
    ("triangle_landscape.py", ["{out}", "--grid", "2"], "--grid must be >= 9, got 2"),
    (
        "step_size.py",
        ["/proc/nope/x"],
        "cannot create output folder '/proc/nope/x': No such file or directory",
    ),
    ("step_size.py", ["{out}", "--lr", "-1"], "--lr must be > 0, got -1"),
    ("symbolic_vs_simulation.py", ["{out}", "--episodes", "1"], "--episodes must be >= 2, got 1"),
    (
        "symbolic_vs_simulation.py",
        ["{out}", "--level", "-8"],
        "corridor: level must be a positive integer, got -8",
    ),
    # issue 26: sizes that would run without end or exhaust memory, refused by the budget
    # guards before any work; zero or negative counts refused
    *[
        (script, ["{out}", flag, "100000", "--quick"], LEVEL_1E5_TABLE)
        for script, flag in [
            ("corridor_difficulty.py", "--levels"),
            ("step_size.py", "--level"),
            ("update_rules.py", "--level"),
        ]
    ],
    (
        "symbolic_vs_simulation.py",
        ["{out}", "--level", "100000"],
        "--level 100000: the corridor has 99999 states; the closed form is built for at most "
        "40 (level <= 41), as pgweyl check does",
    ),
    (
        "symbolic_vs_simulation.py",
        ["{out}", "--episodes", "1e9"],
        "1000000000 simulated episodes needs about 22.4 GiB, "
        + BUDGET
        + "; simulate fewer episodes per call (pgweyl.study.checks streams them in chunks)",
    ),
    (
        "closed_form_vs_simulation.py",
        ["{out}", "--episodes", "1e9"],
        "1000000000 walks advanced together needs about 119.2 GiB, "
        + BUDGET
        + "; use fewer --episodes",
    ),
    (
        "closed_form_vs_simulation.py",
        ["{out}", "--episodes", "0"],
        "--episodes must be >= 2, got 0",
    ),
    (
        "grade_reinforce_agent.py",
        ["{out}", "--seeds", "1e9"],
        "seeds: 1000000000 agents to train; at most 100000 (one agent per seed)",
    ),
    (
        "grade_reinforce_agent.py",
        ["{out}", "--seeds", "0"],
        "--seeds must be a positive integer, got 0",
    ),
    (
        "grade_reinforce_agent.py",
        ["{out}", "--seeds", "-5"],
        "--seeds must be a positive integer, got -5",
    ),
    ("update_rules.py", ["{out}", "--runs", "0"], "--runs must be a positive integer, got 0"),
]


@pytest.mark.parametrize(
    "script, args, message", EXAMPLE_CASES, ids=[f"{s}:{' '.join(a)}" for s, a, _ in EXAMPLE_CASES]
)
def test_example_refuses_before_computing(script, args, message, tmp_path):
    file = tmp_path / "a-file"
    file.write_text("x")
    fill = {"{out}": str(tmp_path / "out"), "{file}": str(file)}
    args = [fill.get(a, a) for a in args]
    r = run(args, tmp_path, script=script)
    expected = f"{script}: error: {message.replace('{file}', str(file))}\n"
    assert (r.returncode, r.stderr) == (2, expected)
    assert listing(tmp_path) == ["a-file"] and r.stdout == ""
    assert r.seconds < REFUSAL_SECONDS


# -- the contract for bugs ------------------------------------------------------------------------
def test_a_bug_shows_its_traceback(tmp_path):
    """Only pgweyl's own errors are one-line exits; a TypeError in a command is a bug and
    must propagate (Python exits 1 with the traceback)."""
    code = (
        "import sys, pgweyl.cli as c\n"
        "from pgweyl.cli import envs\n"
        "def bug(args):\n"
        "    raise TypeError('planted bug')\n"
        "envs.run = bug\n"
        "sys.exit(c.main(['envs']))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=ENV, cwd=tmp_path
    )
    assert r.returncode == 1
    assert "Traceback" in r.stderr and r.stderr.rstrip().endswith("TypeError: planted bug")


def test_broken_pipe_is_a_quiet_exit(tmp_path):
    p = subprocess.Popen(
        [sys.executable, "-m", "pgweyl", "envs"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
        cwd=tmp_path,
    )
    p.stdout.close()  # the reader is gone before the first line
    err = p.stderr.read()
    assert p.wait(timeout=60) == 0 and err == b""


def test_ctrl_c_during_the_demo_leaves_its_folder_empty(tmp_path):
    out = tmp_path / "out"
    p = subprocess.Popen(
        [sys.executable, "-m", "pgweyl", "demo", str(out), "--quick", "--quiet"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        preexec_fn=_limits(),
    )
    try:
        for _ in range(200):  # until the first figure is staged inside OUT
            staged = [f for d in out.glob(".pgweyl-stage-*") for f in d.iterdir()]
            if staged:
                break
            time.sleep(0.05)
        assert staged and p.poll() is None
        p.send_signal(signal.SIGINT)
        out_text, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert (p.returncode, err, out_text) == (130, "pgweyl: interrupted\n", "")
    assert listing(out) == []  # the staged figures are gone, nothing moved in


# -- the same refusals at the library edge (in-process) --------------------------------------------
@pytest.mark.parametrize("grid", [1, 2, -5, 0])
def test_chain_absorption_refuses_a_degenerate_grid(grid):
    import pgweyl as pw

    # refinement answers on grids of spacing Δ, 2Δ, 4Δ: the coarsest needs a whole
    # degree-2 stencil, so the finest needs at least 2·4 + 1 nodes
    with pytest.raises(pw.ArgumentError, match=f"grid must be >= 9, got {grid}"):
        pw.chain_absorption(pw.make_env("corridor"), 1.0, grid=grid)


def test_library_refusals_before_allocation():
    import pgweyl as pw

    env = pw.make_env("corridor")
    t0 = time.perf_counter()
    with pytest.raises(pw.ResourceError, match="10000000000000 simulated episodes needs about"):
        pw.simulate_episodes(env, [0.0, 0.0], 10**13)
    with pytest.raises(pw.ResourceError, match=r"the chain's systems on grids 1000\^2, 500\^2"):
        pw.chain_absorption(pw.make_env("triangle"), 1.0, grid=1000)
    with pytest.raises(pw.ArgumentError, match="basin_samples must be a non-negative integer"):
        pw.local_maxima(env, basin_samples=-1)
    with pytest.raises(pw.ArgumentError, match="the sweep has 99997 values of level"):
        pw.study.difficulty_sweep("corridor", range(4, 100001))
    # a hang guard (the refused work would take minutes or exhaust memory), not a timing
    assert time.perf_counter() - t0 < REFUSAL_SECONDS


@pytest.mark.parametrize("budget", ["inf", "-1", "nan", "abc", "1e30", "0"])
def test_a_memory_budget_that_is_not_a_byte_count(tmp_path, budget):
    """Import never fails on PGWEYL_MEMORY_BUDGET; a command that needs the budget refuses
    the variable in one line with exit 2 (issue 27)."""
    env = {**ENV, "PGWEYL_MEMORY_BUDGET": budget}
    r = subprocess.run(
        [sys.executable, "-m", "pgweyl", "envs"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "pgweyl", "value", "corridor", "--theta", "0", "0"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "PGWEYL_MEMORY_BUDGET" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


# -- guards that hold on valid input (issue 27) ---------------------------------------------------
class TestGuardsOnValidInput:
    """Valid requests whose allocations scale with the input: each is estimated first and
    either answered within the 4 GiB address limit or refused in one line (exit 2), never
    a MemoryError traceback nor a false cause."""

    def test_gamma_next_to_one_answers_by_the_linear_route(self, tmp_path):
        # γ = 1 − 2^-53: the discount horizon (~10^17 rows) once sized an 8 GiB array.
        # At θ = 0 the corridor exits on wall 0 w.p. 1/4 (reward 1) and on wall 1 w.p.
        # 3/4 (reward 1/2), so V = 1/4 + 3/8 = 0.625 up to (1 − γ) E[T] ≈ 1e-15.
        r = run(["value", "corridor:gamma=0.9999999999999999", "--json"], tmp_path)
        assert r.returncode == 0 and r.stderr == "", r.stderr
        assert abs(json.loads(r.stdout)["value"] - 0.625) < 1e-12

    def test_a_factorisation_over_the_budget_is_refused_not_called_singular(self, tmp_path):
        r = run(["value", "triangle:level=1000"], tmp_path)
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith(
            E + "the sparse LU factorisation of I − γM (498501 states, ~1e+08 nonzeros) needs "
        ), r.stderr
        assert r.stderr.endswith(f"{BUDGET}; use method='table' or a smaller level\n")
        assert r.stderr.count("\n") == 1 and "singular" not in r.stderr
        # the alcove (5·10^5 states) is built first: that is within the budget
        assert r.seconds < 60

    @pytest.mark.slow
    def test_chain_on_a_long_value_distribution_fits(self, tmp_path):
        # ~10^5 cells per node at level 40: the chunks shrink to the budget (it used to
        # allocate 3.3 GB and fail); ~3 minutes on two cores.
        r = run(
            ["converge", "triangle:level=40", "--method", "chain", "--grid", "51", "--quiet"],
            tmp_path,
            timeout=900,
        )
        assert r.returncode == 0 and r.stderr == "", r.stderr

    @pytest.mark.parametrize(
        "args, stderr",
        [
            (
                ["sweep", "corridor", "--param", "level=4:999", "--param", "gamma=0.5,0.9"]
                + ["--param", "n_updates=1:1000"],
                "the sweep has 1992000 points (the product of its params' value counts); "
                "at most 100000",
            ),
            (
                ["grade", "corridor", "--seeds", "1e9"],
                "seeds: 1000000000 agents to train; at most 100000 (one agent per seed)",
            ),
        ],
        ids=["sweep-points", "grade-seeds"],
    )
    def test_counts_over_their_limit(self, args, stderr, tmp_path):
        r = run(args, tmp_path)
        assert (r.returncode, r.stderr) == (2, E + stderr + "\n"), r.stderr
        assert r.stdout == "" and listing(tmp_path) == []
        assert r.seconds < REFUSAL_SECONDS, f"refused after {r.seconds:.1f} s"

    def test_workers_capped_by_cores_and_memory(self, tmp_path):
        cores = os.cpu_count() or 1
        cap = max(1, min(cores, 8))  # 8 = the 2 GiB budget at 256 MiB per worker
        r = run(["sweep", "corridor", "--param", "level=4,6", "--workers", "400"], tmp_path)
        expected = (
            E + f"workers = 400 is more than this machine runs usefully: at most {cap} "
            f"({cores} cores; 2.0 GiB memory budget at ~256.0 MiB per worker)\n"
        )
        assert (r.returncode, r.stderr) == (2, expected), r.stderr
        assert listing(tmp_path) == [] and r.seconds < REFUSAL_SECONDS

    def test_a_billion_values_in_the_library_sweep(self, tmp_path):
        script = tmp_path / "huge_range.py"
        script.write_text(
            "import pgweyl as pw\n"
            "try:\n"
            "    pw.sweep('corridor', {'level': range(4, 10**9 + 4)}, workers=0)\n"
            "except pw.ArgumentError as err:\n"
            "    print(err)\n"
        )
        r = run([], tmp_path, script=script)
        assert r.returncode == 0 and r.stderr == "", r.stderr
        assert r.stdout == "param 'level' has 1000000000 values; at most 1000 per param\n"
        assert r.seconds < REFUSAL_SECONDS
