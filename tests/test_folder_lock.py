"""One writer per output folder (training runs, evaluations, preprocessing and every atomic_dir output)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import tool_env
from latentvideo import folder_lock
from latentvideo.atomic import atomic_dir

HOLD = """
import sys, time
from latentvideo import folder_lock
with folder_lock.exclusive(sys.argv[1], "preprocessing kth"):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_folder_held_by_another_process_is_refused_naming_the_holder(tmp_path):
    out = tmp_path / "processed" / "kth"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True,
                              env=tool_env())
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(folder_lock.FolderLockedError, match=rf"preprocessing kth, pid {holder.pid} on "):
            with atomic_dir(out):
                pass
    finally:
        holder.kill()
        holder.wait()
    with atomic_dir(out) as tmp:  # a killed holder releases its lock: no stale lock to clear by hand
        (tmp / "x").write_text("1")
    assert (out / "x").read_text() == "1"


def test_atomic_dir_removes_the_temporaries_of_killed_writers_of_the_same_folder(tmp_path):
    stale = tmp_path / ".kth.abc.tmp"
    stale.mkdir()
    (stale / "shard.npy").write_bytes(b"0" * 100)
    other = tmp_path / ".bair.abc.tmp"  # another folder's writer may be alive: untouched
    other.mkdir()
    with atomic_dir(tmp_path / "kth"):
        pass
    assert not stale.exists() and other.exists()


def test_the_lock_is_reentrant_for_nobody_and_released_after_an_error(tmp_path):
    with pytest.raises(RuntimeError):
        with folder_lock.exclusive(tmp_path / "run", "training"):
            with pytest.raises(folder_lock.FolderLockedError):  # not even the same process twice
                with folder_lock.exclusive(tmp_path / "run", "training again"):
                    pass
            raise RuntimeError
    with folder_lock.exclusive(tmp_path / "run", "training"):
        pass


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_atomic_outputs_take_the_mode_of_ordinary_files_under_the_umask(tmp_path, umask):
    """Temporaries are private while written; the renamed result is as readable as `open()` would make it."""
    import os
    import stat

    from latentvideo.atomic import atomic_dir, atomic_path, current_umask

    old = os.umask(umask)
    try:
        assert current_umask() == umask
        with atomic_path(tmp_path / "metrics.csv") as tmp:
            tmp.write_text("a,b\n")
        with atomic_dir(tmp_path / "testset") as tmp:
            (tmp / "shard.npy").write_bytes(b"x")
        with open(tmp_path / "plain.txt", "w") as fh:  # what the result should match
            fh.write("x")
        os.mkdir(tmp_path / "plain")
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(tmp_path / "metrics.csv") == mode(tmp_path / "plain.txt") == 0o666 & ~umask
    assert mode(tmp_path / "testset") == mode(tmp_path / "plain") == 0o777 & ~umask
