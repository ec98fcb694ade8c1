"""One sweep at a time per store: a lock file beside the store, held for the whole sweep.

The lock is ``.<name>.lock`` in the store's folder (beside the store, not in it: making
or extending a store swaps whole folders). It is held with ``flock``, which the kernel
releases when its holder dies, so the file a killed run leaves behind never blocks the
next one; the holder's pid and host are written into it for the message that refuses a
second sweep. Where ``flock`` is not supported (some network file systems) the file is
created with ``O_EXCL`` instead and a leftover one is taken over when the pid it names
no longer runs on this host.

A second sweep on a store in use is refused at once (:class:`StoreError`), not queued:
it would otherwise wait for hours behind a long sweep without a word.
"""

from __future__ import annotations

import errno
import os
import socket
from contextlib import contextmanager
from pathlib import Path

from pgweyl.errors import PgweylError


def lock_path(store: Path) -> Path:
    store = Path(store).absolute()
    return store.with_name(f".{store.name}.lock")


@contextmanager
def store_lock(store, error=PgweylError):
    """Hold the lock of the store at ``store`` (a Path; None: nothing to lock) for the
    ``with`` block; raise ``error`` (one line) when another live sweep holds it."""
    if store is None:
        yield
        return
    path = lock_path(store)
    fd = _acquire(path, store, error)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        yield
    finally:
        try:
            os.unlink(path)  # before the lock is let go: a waiter then sees no file
        except OSError:
            pass
        os.close(fd)


def _acquire(path: Path, store, error) -> int:
    import fcntl

    for _ in range(100):  # another process may unlink between our open and flock
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise error(f"store {str(store)!r}: cannot make its lock file {str(path)!r}: "
                        f"{err.strerror}") from None  # fmt: skip
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise error(_busy(store, path, holder)) from None
        except OSError as err:
            os.close(fd)
            if err.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                return _acquire_exclusive(path, store, error)
            raise
        try:  # still the file at the path (not one its holder unlinked while we waited)?
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)
    raise error(f"store {str(store)!r}: cannot take its lock {str(path)!r}")  # pragma: no cover


def _acquire_exclusive(path: Path, store, error) -> int:
    """The lock without flock: O_EXCL creation; a file whose pid is dead is stale."""
    for _ in range(3):
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:
                with open(path) as f:
                    holder = f.read().split()
            except OSError:
                holder = []
            if holder and _alive(holder):
                raise error(_busy(store, path, " ".join(holder))) from None
            try:
                os.unlink(path)  # stale: its run was killed
            except FileNotFoundError:
                pass
    raise error(f"store {str(store)!r}: cannot take its lock {str(path)!r}")


def _alive(holder) -> bool:
    try:
        pid = int(holder[0])
    except ValueError:
        return False
    if len(holder) > 1 and holder[1] != socket.gethostname():
        return True  # another host's run: it cannot be checked from here
    return pid_alive(pid)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (signal 0; another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder(fd) -> str:
    try:
        os.lseek(fd, 0, 0)
        return os.read(fd, 200).decode(errors="replace").strip() or "?"
    except OSError:
        return "?"


def _busy(store, path, holder: str) -> str:
    pid, _, host = holder.partition(" ")
    who = f"pid {pid}" + (f" on {host}" if host and host != socket.gethostname() else "")
    return (
        f"store {str(store)!r} is in use by another sweep ({who}; lock {str(path)!r}): wait "
        "for it to end or stop it, or give another --store"
    )


__all__ = ["lock_path", "pid_alive", "store_lock"]
