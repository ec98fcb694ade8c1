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
import resource
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
AS_LIMIT = 4 << 30
REFUSAL_SECONDS = 30.0
E = "pgweyl: error: "
ENV = {
    **{k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS", "DISPLAY")},
    "PYTHONPATH": str(ROOT),
    "PGWEYL_MEMORY_BUDGET": "2G",
    "MPLBACKEND": "Agg",
}
ONLY = "; pgweyl writes regular files, /dev/null and stdout ('-')"


def _limit():
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))


def run(args, cwd, script=None, timeout=300):
    cmd = [sys.executable, str(EXAMPLES / script)] if script else [sys.executable, "-m", "pgweyl"]
    t0 = time.perf_counter()
    r = subprocess.run(
        cmd + [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=timeout,
        preexec_fn=_limit,
    )
    r.seconds = time.perf_counter() - t0
    return r


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


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
