"""Writing results: JSON conversion and the one file writer of pgweyl.

Every file pgweyl writes — the command's ``--json``/``--plot`` outputs, the demo, the
examples and :func:`pgweyl.plot.save_figure` — goes through :func:`write_files`:

- a **regular file** (or a path that does not exist yet) is written atomically: the
  bytes go to a temporary file in the target's own folder, are flushed to disk
  (``fsync``) and renamed over the target (``os.replace``); the mode follows the
  umask. A reader never sees half a file, and a failure leaves the old file (or
  nothing) in place. Several files are one transaction: all temporary files are
  written first and renamed only when every one succeeded.
- a **symlink** to a regular file (or a dangling one) is resolved and its target is
  written, so the link survives (:func:`staged_folder`, which fills a folder, replaces
  a link itself instead: it never writes outside its folder);
- ``/dev/null`` (any character device with its device number) and this process's own
  stdout/stderr (``/dev/stdout`` when it is a pipe or a terminal) are written in place;
- ``-`` means standard output.

What cannot be replaced safely is **refused** with :class:`OutputError` before any work
(:func:`check_output_path`) and again when writing: a file this process read
(:func:`note_input`, e.g. the ENV's TOML file: same device and inode), a read-only file
(its mode would change), a file with more than one hard link (the other names would keep
the old text), a FIFO (it blocks until a reader comes), a socket, and any device other
than the null device. Two outputs of one transaction that are the same file are refused.

An ``OSError`` while writing (full disk, file size limit, read-only folder) becomes an
:class:`OutputError` with a one-line message naming the path; no temporary file is left.
:func:`check_output_path` and :func:`prepare_folder` check a destination *before* any
work is done (probing the folder with a temporary file: ``os.access`` says yes to root
on read-only or permission-restricted folders).

>>> jsonable({"a": np.array([1.0, np.nan]), "b": (np.int64(2),)})
{'a': [1.0, None], 'b': [2]}
"""

from __future__ import annotations

import json
import math
import os
import shutil
import stat
import sys
import tempfile
from contextlib import contextmanager

import numpy as np

from pgweyl.errors import ArgumentError, PgweylError

TEMP_PREFIX = ".pgweyl-"


class OutputError(PgweylError, OSError):
    """An output path that cannot be written (missing folder, a directory, read-only,
    full disk); the one-line message names the path and the reason, also kept in
    ``reason`` (e.g. "File too large")."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason


def jsonable(x):
    """NumPy scalars/arrays and tuples to plain Python; NaN and ±inf to None (strict JSON).

    >>> jsonable({"a": np.array([1.0, np.nan]), "b": (np.int64(2),)})
    {'a': [1.0, None], 'b': [2]}
    """
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def dataclass_to_dict(obj, exclude=()) -> dict:
    """JSON-ready dict of a dataclass instance, one entry per field (``dataclasses.fields``)
    except those named in ``exclude``: values with a ``to_dict`` method (nested result
    objects, also inside lists and dicts) by it, everything else by :func:`jsonable`.
    A result object's ``to_dict`` is this, so a new field is never left out.

    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class R:
    ...     p: np.ndarray
    ...     ci: tuple
    ...     note: str = ""
    >>> dataclass_to_dict(R(np.array([0.5, np.nan]), (0.1, 0.9)), exclude=("note",))
    {'p': [0.5, None], 'ci': [0.1, 0.9]}
    """
    import dataclasses

    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise TypeError(f"dataclass_to_dict needs a dataclass instance, got {type(obj).__name__}")
    unknown = set(exclude) - {f.name for f in dataclasses.fields(obj)}
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field(s) {', '.join(sorted(unknown))}")
    return {
        f.name: _plain(getattr(obj, f.name))
        for f in dataclasses.fields(obj)
        if f.name not in exclude
    }


def _plain(x):
    if hasattr(x, "to_dict") and callable(x.to_dict) and not isinstance(x, type):
        return x.to_dict()
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return jsonable(x)


def json_text(data) -> str:
    """Strict JSON (no NaN tokens) of ``jsonable(data)``, indented, with a final newline."""
    return json.dumps(jsonable(data), indent=2, allow_nan=False) + "\n"


# -- where a path leads -------------------------------------------------------------------
STDOUT, STDERR, DIRECT, ATOMIC = "stdout", "stderr", "direct", "atomic"


def _reason(err: OSError) -> str:
    return err.strerror or type(err).__name__


#: Paths under these are descriptors of this process (``/dev/stdout`` links there).
_DESCRIPTOR_DIRS = ("/proc/", "/dev/fd/")


def _via_proc(p: str) -> bool:
    """True when ``p`` is, or links through, ``/proc/…`` or ``/dev/fd/…``."""
    for _ in range(40):  # symlink hops; the kernel's own limit is 40
        if os.path.abspath(p).startswith(_DESCRIPTOR_DIRS):
            return True
        if not os.path.islink(p):
            return False
        p = os.path.join(os.path.dirname(p), os.readlink(p))
    return False


def _std_stream(st) -> str | None:
    """ "stdout"/"stderr" when ``st`` is the file behind this process's fd 1/2 (so that
    ``/dev/stdout`` shares the stream's offset and buffer instead of reopening it)."""
    for kind, stream in ((STDOUT, sys.stdout), (STDERR, sys.stderr)):
        try:
            fst = os.fstat(stream.fileno())
        except (AttributeError, OSError, ValueError):  # replaced or closed streams
            continue
        if (fst.st_dev, fst.st_ino) == (st.st_dev, st.st_ino):
            return kind
    return None


#: Files this process read, by (st_dev, st_ino) → the name it read them by
#: (:func:`note_input`); an output onto one of them is refused.
_INPUTS: dict[tuple[int, int], str] = {}


def note_input(path, fd: int | None = None) -> None:
    """Record ``path`` (or the open descriptor ``fd`` it was read through) as an input of
    this process: :func:`write_files` and :func:`check_output_path` then refuse to write
    onto it (compared by device and inode, so through any link or name)."""
    try:
        st = os.fstat(fd) if fd is not None else os.stat(path)
    except (OSError, TypeError, ValueError):
        return
    if stat.S_ISREG(st.st_mode):
        _INPUTS.setdefault((st.st_dev, st.st_ino), os.fspath(path))


def _is_null_device(st) -> bool:
    if not stat.S_ISCHR(st.st_mode):
        return False
    try:
        return st.st_rdev == os.stat(os.devnull).st_rdev
    except OSError:
        return False


def _special_kind(st) -> str:
    mode = st.st_mode
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe; writing would block until a reader comes)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISCHR(mode):
        return "a character device other than /dev/null"
    return "not a regular file"


def _refuse_unsafe_file(p: str, st, what: str, inputs=()) -> None:
    """Refuse a regular file that cannot be replaced safely (module docstring)."""
    key = (st.st_dev, st.st_ino)
    named = _INPUTS.get(key)
    if named is None:
        for q in inputs:
            try:
                qst = os.stat(q)
            except (OSError, TypeError, ValueError):
                continue
            if (qst.st_dev, qst.st_ino) == key:
                named = os.fspath(q)
                break
    if named is not None:
        raise OutputError(
            f"cannot write {what} to {p!r}: it is an input of this command ({named!r}); "
            "choose another file"
        )
    if st.st_nlink > 1:
        raise OutputError(
            f"cannot write {what} to {p!r}: it has {st.st_nlink} hard links (replacing it "
            "would leave the other names with the old text); choose another file"
        )
    # os.access says yes to root; the mode bits say what the owner meant
    if not st.st_mode & 0o222 or not os.access(p, os.W_OK):
        raise OutputError(
            f"cannot write {what} to {p!r}: it is read-only; make it writable or choose "
            "another file"
        )


def _classify(path, what: str, inputs=(), follow_links: bool = True) -> tuple[str, str]:
    """(kind, target): ``"stdout"``/``"stderr"``, ``"direct"`` (the null device: write in
    place) or ``"atomic"`` (a regular file or a new one; target with symlinks resolved,
    or with ``follow_links`` False the link itself); refuses what cannot be replaced
    safely (module docstring), ``inputs`` being further files not to write onto."""
    if not isinstance(path, (str, os.PathLike)):
        raise OutputError(f"{what} path must be a file name, got {path!r}")
    p = os.fspath(path)
    if p == "":
        raise OutputError(f"{what} path is empty; give a file name")
    if p == "-":
        return STDOUT, p
    if not follow_links and os.path.islink(p):
        folder = os.path.dirname(os.path.abspath(p))
        return ATOMIC, os.path.join(os.path.realpath(folder), os.path.basename(p))
    try:
        st = os.stat(p)  # follows symlinks
    except FileNotFoundError:
        st = None  # a new file, or a dangling symlink: its target is created
    except OSError as err:  # e.g. a path through a regular file, a symlink loop
        raise OutputError(f"cannot write {what} to {p!r}: {_reason(err)}") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise OutputError(f"cannot write {what} to {p!r}: it is a directory")
        via_proc = _via_proc(p)
        if not stat.S_ISREG(st.st_mode) or via_proc:
            # /dev/stdout → /proc/self/fd/1 (a pipe, a terminal, or a regular file when
            # stdout is redirected): the stream itself, never replaced
            kind = _std_stream(st)
            if kind is not None:
                return kind, p
            if _is_null_device(st):
                return DIRECT, p
            if not stat.S_ISREG(st.st_mode):
                raise OutputError(
                    f"cannot write {what} to {p!r}: it is {_special_kind(st)}; pgweyl "
                    "writes regular files, /dev/null and stdout ('-')"
                )
            _refuse_unsafe_file(p, st, what, inputs)
            return DIRECT, p  # another descriptor of this process (/proc/self/fd/N)
        _refuse_unsafe_file(p, st, what, inputs)
    target = os.path.realpath(p)
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        shown = os.path.dirname(os.path.abspath(p))
        raise OutputError(f"cannot write {what} to {p!r}: folder {shown!r} does not exist")
    return ATOMIC, target


def _probe_folder(folder: str, what: str, shown: str) -> None:
    """Create and remove a temporary file in ``folder`` (``os.access`` lies to root)."""
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX, suffix=".probe")
    except OSError as err:
        raise OutputError(
            f"cannot write {what} to {shown!r}: folder {folder!r} is not writable ({_reason(err)})"
        ) from None
    os.close(fd)
    os.unlink(tmp)


def check_output_path(path, what: str = "output", inputs=()) -> None:
    """Raise :class:`OutputError` unless ``path`` can be written; create nothing.

    ``-`` (stdout) is always fine; the null device must be writable; a regular file must
    be safe to replace (not an input — :func:`note_input` or one of ``inputs`` —, not
    read-only, one hard link); other special files are refused; otherwise the (resolved)
    folder must exist and accept a new file."""
    kind, target = _classify(path, what, inputs)
    if kind == DIRECT and not os.access(target, os.W_OK):
        raise OutputError(f"cannot write {what} to {os.fspath(path)!r}: permission denied")
    if kind == ATOMIC:
        _probe_folder(os.path.dirname(target), what, os.fspath(path))


def check_folder_outputs(folder, names, what: str = "output", follow_links: bool = False) -> None:
    """Check the files ``names`` that a run will write into ``folder`` (as
    :func:`check_output_path`), refusing any that is a symbolic link: a folder's
    writer (:func:`staged_folder`) never writes through a link to a file elsewhere.
    With ``follow_links`` a link is checked by its target instead, as
    :func:`write_files` writes it."""
    for name in names:
        path = os.path.join(os.fspath(folder), name)
        if not follow_links and os.path.islink(path):
            raise OutputError(
                f"cannot write {what} to {path!r}: it is a symbolic link (to "
                f"{os.readlink(path)!r}); remove it — files are written only inside "
                f"{os.fspath(folder)!r}"
            )
        check_output_path(path, what)


def prepare_folder(path, what: str = "output folder") -> str:
    """Create folder ``path`` (and its parents) if needed and check that it accepts files.

    Returns the path; raises :class:`OutputError` for an empty path, an existing
    non-folder, a folder that cannot be created or written."""
    if not isinstance(path, (str, os.PathLike)) or os.fspath(path) == "":
        raise OutputError(f"{what} must be a non-empty folder name, got {path!r}")
    p = os.fspath(path)
    if os.path.exists(p) and not os.path.isdir(p):
        raise OutputError(f"{what} {p!r} exists and is not a folder")
    try:
        os.makedirs(p, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create {what} {p!r}: {_reason(err)}") from None
    try:
        fd, tmp = tempfile.mkstemp(dir=p, prefix=TEMP_PREFIX, suffix=".probe")
    except OSError as err:
        raise OutputError(f"{what} {p!r} is not writable ({_reason(err)})") from None
    os.close(fd)
    os.unlink(tmp)
    return p


# -- writing ------------------------------------------------------------------------------
def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _stage(target: str, data: bytes, mode: int) -> str:
    """Write ``data`` to a new temporary file next to ``target``, on disk; return its path."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=TEMP_PREFIX, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # mkstemp creates 0600; outputs follow the umask
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def _fsync_folder(folder: str) -> None:
    try:  # make the rename durable; not every filesystem lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_files(files: dict, what: str = "output", inputs=()) -> list[str]:
    """Write ``{path: bytes or str}`` as one transaction (module docstring); return the
    paths. Regular targets are staged first; the null device and the standard streams are
    written next, and the staged files renamed into place only when all of that
    succeeded. ``inputs``: files not to write onto, besides those of :func:`note_input`."""
    plan, seen = [], {}
    for path, data in files.items():
        kind, target = _classify(path, what, inputs)
        if kind == ATOMIC:
            if target in seen:
                raise OutputError(
                    f"cannot write {what} to {os.fspath(path)!r}: it is the same file as "
                    f"{seen[target]!r}"
                )
            seen[target] = os.fspath(path)
        plan.append(
            (os.fspath(path), kind, target, data.encode() if isinstance(data, str) else data)
        )
    mode = _umask_mode()
    staged: list[tuple[str, str]] = []
    current = None
    try:
        for path, kind, target, data in plan:
            if kind == ATOMIC:
                current = path
                staged.append((_stage(target, data, mode), target))
        for path, kind, target, data in plan:
            current = path
            if kind == DIRECT:  # append: a redirected stdout keeps what came before
                with open(target, "ab") as fh:
                    fh.write(data)
            elif kind in (STDOUT, STDERR):
                stream = sys.stdout if kind == STDOUT else sys.stderr
                stream.flush()
                if hasattr(stream, "buffer"):  # bytes as they are (a PNG to a pipe, say)
                    stream.buffer.write(data)
                    stream.buffer.flush()
                else:
                    stream.write(data.decode(errors="replace"))
                    stream.flush()
        for tmp, target in staged:
            os.replace(tmp, target)
        for folder in {os.path.dirname(t) for _, t in staged}:
            _fsync_folder(folder)
        staged = []
    except BrokenPipeError:
        raise  # stdout closed by its reader: the caller decides (the command exits quietly)
    except OSError as err:
        raise OutputError(
            f"cannot write {what} to {current!r}: {_reason(err)}", _reason(err)
        ) from None
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return [p for p, *_ in plan]


def write_text(path, text: str, what: str = "output") -> str:
    """Write one text file (or stdout for ``-``) through :func:`write_files`."""
    return write_files({path: text}, what)[0]


def write_json(path, data, what: str = "JSON") -> str:
    """Strict JSON of ``data`` to ``path`` (``-``: stdout) through :func:`write_files`;
    a name with an image suffix is refused (:func:`check_json_path`)."""
    check_json_path(path, what)
    return write_text(path, json_text(data), what)


#: Matplotlib settings of every figure pgweyl writes: TrueType (Type 42) fonts in PDF and
#: PostScript, not Matplotlib's default Type 3, which journals refuse and which
#: viewers render as bitmaps (pgweyl.plot sets them too, for figures its users save).
TRUETYPE_FONTS = {"pdf.fonttype": 42, "ps.fonttype": 42}


def figure_bytes(fig, fmt: str, dpi: int = 150) -> bytes:
    """A Matplotlib figure rendered to bytes (``fmt`` "png" or "pdf"; fonts embedded as
    TrueType, :data:`TRUETYPE_FONTS`, whatever the caller's rcParams)."""
    import io

    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context(TRUETYPE_FONTS):
        fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


#: Suffixes of figure formats other than PNG/PDF: ``--plot x.svg`` is refused rather than
#: written as ``x.svg.png``.
OTHER_IMAGE_SUFFIXES = (
    ".svg",
    ".svgz",
    ".eps",
    ".ps",
    ".jpg",
    ".jpeg",
    ".tif",
    ".tiff",
    ".webp",
    ".gif",
    ".bmp",
    ".pgf",
    ".raw",
    ".rgba",
    ".emf",
    ".html",
)
#: Suffixes of data files pgweyl reads or writes that Python's built-in MIME table may not
#: know: a figure named ``x.toml`` is refused like one named ``x.json``.
DATA_SUFFIXES = (".toml", ".zarr", ".npz", ".npy", ".yaml", ".yml", ".md", ".ipynb", ".csv")
FIGURE_SUFFIXES = (".png", ".pdf")


def _known_type(suffix: str) -> tuple[str | None, str | None]:
    """(MIME type, encoding) of a suffix from Python's built-in table only (the system's
    mime.types would make the answer depend on the machine)."""
    import mimetypes

    return mimetypes.MimeTypes().guess_type("x" + suffix, strict=False)


def _is_image_suffix(suffix: str) -> bool:
    s = suffix.lower()
    if s in FIGURE_SUFFIXES or s in OTHER_IMAGE_SUFFIXES:
        return True
    mime, _ = _known_type(s)
    return mime is not None and (
        mime.startswith("image/") or mime in ("application/pdf", "application/postscript")
    )


def check_json_path(path, what: str = "JSON") -> None:
    """Refuse a JSON output named like an image (``--json r.png``): the suffix must not
    promise another content. Raises :class:`OutputError`.

    >>> check_json_path("run.json"); check_json_path("-"); check_json_path("results")
    """
    if not isinstance(path, (str, os.PathLike)) or os.fspath(path) in ("", "-"):
        return
    suffix = os.path.splitext(os.fspath(path))[1]
    if suffix and _is_image_suffix(suffix):
        raise OutputError(
            f"cannot write {what} to {os.fspath(path)!r}: its suffix {suffix} names an image; "
            "give the JSON file a name such as FILE.json"
        )


def figure_paths(path):
    """The PNG and PDF paths of a figure named ``FILE``, ``FILE.png`` or ``FILE.pdf``.

    A suffix that names another known file type (``.svg``, ``.json``, ``.txt``, ``.toml``;
    Python's built-in MIME table and :data:`DATA_SUFFIXES`) is refused with
    :class:`ArgumentError`; an unknown one stays in the name.

    >>> [str(p) for p in figure_paths("out/x.PNG")]
    ['out/x.png', 'out/x.pdf']
    >>> [str(p) for p in figure_paths("run.v2")]
    ['run.v2.png', 'run.v2.pdf']
    """
    from pathlib import Path

    if not isinstance(path, (str, os.PathLike)) or os.fspath(path) in ("", "-"):
        raise ArgumentError(
            f"a figure needs a file name (FILE, FILE.png or FILE.pdf), got {path!r}"
        )
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in FIGURE_SUFFIXES and (
        suffix in OTHER_IMAGE_SUFFIXES or suffix in DATA_SUFFIXES or any(_known_type(suffix))
    ):
        raise ArgumentError(
            f"figure {os.fspath(path)!r}: figures are written as PNG and PDF; give FILE, "
            f"FILE.png or FILE.pdf, not {p.suffix}"
        )
    stem = p.with_suffix("") if suffix in FIGURE_SUFFIXES else p
    return stem.with_name(stem.name + ".png"), stem.with_name(stem.name + ".pdf")


def figure_files(fig, path) -> dict:
    """``{FILE.png: bytes, FILE.pdf: bytes}`` of a figure, ready for :func:`write_files`
    (``path`` as in :func:`figure_paths`)."""
    return {p: figure_bytes(fig, p.suffix[1:]) for p in figure_paths(path)}


@contextmanager
def staged_folder(out, what: str = "output"):
    """Yield a temporary folder inside ``out``; on success move every file in it into
    ``out`` (through the same rules as :func:`write_files`, except that a symlink in
    ``out`` is replaced itself, never written through to a file outside), on failure
    (or interrupt) remove it, so ``out`` gets all the files or none."""
    stage = tempfile.mkdtemp(dir=out, prefix=TEMP_PREFIX + "stage-")
    try:
        yield stage
        moves, copies = [], {}
        for name in sorted(os.listdir(stage)):
            src, dest = os.path.join(stage, name), os.path.join(out, name)
            kind, target = _classify(dest, what, follow_links=False)
            if kind == ATOMIC and os.stat(os.path.dirname(target)).st_dev == os.stat(stage).st_dev:
                moves.append((src, target))
            else:
                with open(src, "rb") as fh:
                    copies[dest] = fh.read()
        try:
            for src, target in moves:
                os.replace(src, target)
        except OSError as err:
            raise OutputError(
                f"cannot move {what} into {os.fspath(out)!r}: {_reason(err)}"
            ) from None
        _fsync_folder(os.fspath(out))
        if copies:
            write_files(copies, what)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


__all__ = [
    "OutputError",
    "TRUETYPE_FONTS",
    "check_folder_outputs",
    "check_json_path",
    "check_output_path",
    "dataclass_to_dict",
    "figure_bytes",
    "figure_files",
    "figure_paths",
    "json_text",
    "jsonable",
    "note_input",
    "prepare_folder",
    "staged_folder",
    "write_files",
    "write_json",
    "write_text",
]
