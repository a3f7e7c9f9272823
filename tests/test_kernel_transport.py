"""Rendering kernels listen on private Unix sockets, so parallel render jobs cannot take each other's ports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from latentvideo.reporting.kernel_transport import private_kernel_config, socket_path_fits

pytestmark = pytest.mark.skipif(os.name != "posix", reason="Unix sockets are POSIX only")

# Runs one notebook that prints the kernel's own connection info; prints what the kernel saw and the socket
# directory, as JSON, so that the parent can check both from several processes started at once.
RUNNER = textwrap.dedent("""
    import json, os, sys
    import nbformat, papermill
    from latentvideo.reporting.kernel_transport import private_kernel_config
    src, out = sys.argv[1], sys.argv[2]
    with private_kernel_config() as kernel:
        directory = os.path.dirname(kernel["config"].KernelManager.connection_file)
        papermill.execute_notebook(src, out, kernel_name="latentvideo", progress_bar=False, language="python",
                                   **kernel)
    info = json.loads(nbformat.read(out, 4).cells[-1].outputs[0]["text"])
    print(json.dumps({"info": info, "directory": directory}))
""")


def write_notebook(path: Path, body: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}), nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, path)
    return path


def test_socket_paths_that_do_not_fit_are_refused(tmp_path):
    assert socket_path_fits("/tmp/lv-kernel-abcdefgh")
    assert not socket_path_fits("/" + "d" * 100)


def test_too_long_a_temporary_directory_falls_back_to_tcp(tmp_path, monkeypatch):
    deep = tmp_path / ("d" * 90)
    deep.mkdir()
    monkeypatch.setenv("TMPDIR", str(deep))
    monkeypatch.setattr("tempfile.tempdir", None)  # re-read TMPDIR
    with private_kernel_config() as kernel:
        assert kernel == {}
    assert list(deep.iterdir()) == []


def test_parallel_renders_each_use_their_own_unix_sockets_and_leave_nothing(tmp_path):
    src = write_notebook(tmp_path / "in.ipynb", "import ipykernel; print(ipykernel.get_connection_info())")
    procs = [subprocess.Popen([sys.executable, "-c", RUNNER, str(src), str(tmp_path / f"out{i}.ipynb")],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(4)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert {r["info"]["transport"] for r in results} == {"ipc"}
    directories = {r["directory"] for r in results}
    assert len(directories) == 4  # one private directory per kernel
    assert all(r["info"]["ip"].startswith(r["directory"] + os.sep) for r in results)
    assert not any(os.path.exists(d) for d in directories)  # removed with their sockets
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.ipynb"] + [f"out{i}.ipynb" for i in range(4)]


def test_the_socket_directory_is_removed_when_the_notebook_fails(tmp_path):
    import papermill

    src = write_notebook(tmp_path / "in.ipynb", "raise ValueError('boom')")
    with pytest.raises(papermill.PapermillExecutionError, match="boom"):
        with private_kernel_config() as kernel:
            directory = Path(kernel["config"].KernelManager.connection_file).parent
            papermill.execute_notebook(str(src), str(tmp_path / "out.ipynb"), kernel_name="latentvideo",
                                       progress_bar=False, language="python", **kernel)
    assert not directory.exists()
