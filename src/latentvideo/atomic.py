"""Atomic writes: an interrupted job never leaves a half-written output behind.

Everything is written to a temporary sibling and renamed into place (``os.replace`` is atomic on POSIX).
The temporary is created private (mode 0600 / 0700); before the rename it takes the mode an ordinary file
or folder would have under the process's umask, so collaborators read results as they read any file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def current_umask() -> int:
    """The process's umask, read without changing it where Linux exposes it (``/proc/self/status``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (the only way POSIX offers)
    os.umask(mask)
    return mask


def _ordinary_mode(path: Path, directory: bool) -> None:
    os.chmod(path, (0o777 if directory else 0o666) & ~current_umask())


@contextlib.contextmanager
def atomic_path(path: str | Path, keep_suffix: bool = False) -> Iterator[Path]:
    """Yield a temporary file path next to ``path``; on success rename it to ``path``, on error delete it.

    With ``keep_suffix`` the temporary name ends in ``.tmp<suffix of path>`` (for writers that check it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + (path.suffix if keep_suffix else ""),
                               dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        _ordinary_mode(tmp_path, directory=False)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a temporary directory next to ``path``; on success it replaces ``path`` whole.

    Holds ``path``'s lock (:mod:`latentvideo.folder_lock`) throughout, so a second writer fails at once, and
    first removes the temporary folders of earlier writers of ``path`` that were killed.
    """
    from latentvideo import folder_lock

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with folder_lock.exclusive(path, f"writing {path.name}"):
        remove_stale_temporaries(path.parent, of=path.name)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
        try:
            yield tmp
            _ordinary_mode(tmp, directory=True)
            if path.exists():
                shutil.rmtree(path)
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)


def remove_stale_temporaries(folder: str | Path, of: str | None = None) -> list[Path]:
    """Delete the ``.<name>.*.tmp`` (or ``.tmp.<suffix>``) files and folders that :func:`atomic_path` / :func:`atomic_dir` leave when
    the process is killed mid-write (only those of ``<name> == of`` if given). Only safe while no other process
    writes them (hold the lock of ``folder``, or of ``folder/of``)."""
    folder = Path(folder)
    removed = []
    if not folder.is_dir():
        return removed
    prefix = f".{of}." if of is not None else "."
    for entry in folder.iterdir():
        if entry.name.startswith(prefix) and (entry.name.endswith(".tmp") or entry.name.endswith(".tmp" + entry.suffix)):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
    return removed


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()
