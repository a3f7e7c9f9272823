"""Where a rendering notebook's kernel listens: private Unix sockets, so parallel renders cannot collide.

Jupyter's default TCP transport picks five free ports by binding port 0 and releasing them, then starts
the kernel, which binds them again. Between the two, any other process on the machine may take one
(another render's kernel, or the source port of any outgoing connection), and the kernel dies with
``ZMQError: Address already in use`` before replying to ``kernel_info``. Snakemake runs several render
jobs at once, so this happened about once per few hundred kernels. With the IPC transport the kernel's
sockets are files in a directory created for this one kernel: nothing else can choose the same names.

Unix socket paths are limited to about 100 bytes, so a temporary directory whose socket paths would be
longer, or a platform without Unix sockets, falls back to TCP (and the race).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# sun_path is 108 bytes on Linux and 104 on macOS, including the terminating NUL
MAX_SOCKET_PATH = 100
SOCKET_STEM = "kernel-ipc"  # jupyter_client names the sockets <connection file stem>-ipc-<n>
CONNECTION_FILE = "kernel.json"


def socket_path_fits(directory: str | os.PathLike[str]) -> bool:
    """Whether the longest socket path jupyter_client makes in ``directory`` fits in a Unix socket address."""
    longest = os.path.join(os.fspath(directory), f"{Path(CONNECTION_FILE).stem}-ipc-99")
    return len(os.fsencode(longest)) <= MAX_SOCKET_PATH


@contextmanager
def private_kernel_config() -> Iterator[dict[str, Any]]:
    """Yield keyword arguments for ``papermill.execute_notebook`` that put the kernel on private sockets.

    The directory holding the connection file and the sockets is removed on exit, whatever happened.
    Yields ``{}`` (Jupyter's TCP default) where Unix sockets are unavailable or the path would be too long.
    """
    from traitlets.config import Config

    if os.name != "posix":
        yield {}
        return
    directory = tempfile.mkdtemp(prefix="lv-kernel-")
    try:
        if not socket_path_fits(directory):
            yield {}
            return
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.connection_file = os.path.join(directory, CONNECTION_FILE)
        yield {"config": config}
    finally:
        shutil.rmtree(directory, ignore_errors=True)
