"""One writer per output folder: an exclusive ``flock`` on ``.<folder name>.lock`` beside the folder.

The lock file sits next to the folder, not inside it, so a job that replaces its output folder whole (see
:func:`latentvideo.atomic.atomic_dir`) keeps its lock. The kernel releases a ``flock`` when its holder exits,
however it exits (kill -9 included), so a lock is never stale. It records who holds it (pid, host, start
time, command); a second process on the same folder fails at once with :class:`FolderLockedError` naming
the holder. On NFS, ``flock`` works across nodes from Linux 2.6.12 on (it is emulated with POSIX locks).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path


class FolderLockedError(RuntimeError):
    """Another live process holds the folder's lock."""


def lock_path(folder: str | Path) -> Path:
    folder = Path(folder)
    return folder.parent / f".{folder.name}.lock"


@contextlib.contextmanager
def exclusive(folder: str | Path, purpose: str) -> Iterator[None]:
    """Hold the lock of ``folder`` (created if missing, with its parents) for the block's duration."""
    folder = Path(folder)
    path = lock_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderLockedError(f"{folder} is being written by another process ({_describe_holder(fd)}); "
                                    "wait for it to finish, or stop it, then rerun") from None
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "purpose": purpose,
                  "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": " ".join(sys.argv)[:500]}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _describe_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (ValueError, UnicodeDecodeError):
        info = {}
    if not info:
        return "holder unknown"
    return (f"{info.get('purpose', '?')}, pid {info.get('pid')} on {info.get('host')} since {info.get('since')}: "
            f"{info.get('command', '')}")
