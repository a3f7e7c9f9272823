"""Render one declared figure or table: run its notebook with papermill on the result files it reads.

The notebook receives, as papermill parameters: ``inputs`` (one record per file set, see
:class:`latentvideo.targets.FigureInstance`), ``datasets`` (the config entries of the datasets shown),
``outputs`` (``{suffix: path}`` it must write), ``paper_numbers`` (a YAML path or None), ``instance`` (the
``for_each`` value or None), ``titles`` ({dataset: readable title}), ``budget`` and ``budget_description``, and
the declaration's ``parameters``.
The executed notebook is kept (``results/notebooks/<stem>.ipynb``), written atomically. The kernel listens on
private Unix sockets (:mod:`latentvideo.reporting.kernel_transport`), so parallel render jobs cannot collide.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from latentvideo.atomic import atomic_path, remove_stale_temporaries
from latentvideo.reporting.kernel_transport import private_kernel_config
from latentvideo.targets import FigureInstance, figure_instance


class RenderError(RuntimeError):
    """A figure's inputs are missing, or its notebook failed or did not write an output."""


def notebook_parameters(cfg: Mapping[str, Any], inst: FigureInstance) -> dict[str, Any]:
    return {"inputs": inst.inputs, "datasets": inst.datasets, "outputs": inst.outputs,
            "paper_numbers": inst.paper_numbers, "instance": inst.instance, "budget": cfg["budget"],
            "titles": {name: cfg.get("dataset_titles", {}).get(name, name) for name in cfg["datasets"]},
            "budget_description": cfg["budgets"][cfg["budget"]]["description"], **inst.parameters}


def render(cfg: Mapping[str, Any], stem: str) -> FigureInstance:
    """Execute the notebook of figure ``stem`` under the active budget; returns what it rendered."""
    import papermill

    inst = figure_instance(cfg, stem)
    missing = [r[f] for r in inst.inputs for f in ("metrics", "samples") if f in r and not Path(r[f]).is_file()]
    if missing:
        raise RenderError(f"{stem}: missing result files (evaluate first, e.g. with snakemake): {', '.join(missing)}")
    for path in inst.outputs.values():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(Path(inst.executed_notebook).parent, of=Path(inst.executed_notebook).name)
    with atomic_path(inst.executed_notebook, keep_suffix=True) as tmp, private_kernel_config() as kernel:
        try:
            papermill.execute_notebook(inst.notebook, str(tmp), parameters=notebook_parameters(cfg, inst),
                                       kernel_name=cfg["kernel"], progress_bar=False, log_output=False,
                                       language="python", **kernel)
        except papermill.PapermillExecutionError as err:
            raise RenderError(f"{stem}: notebook {inst.notebook} failed in cell {err.exec_count}: {err.ename}: "
                              f"{err.evalue}") from None
    absent = [p for p in inst.outputs.values() if not Path(p).is_file()]
    if absent:
        raise RenderError(f"{stem}: notebook {inst.notebook} ran but did not write {', '.join(absent)}")
    return inst
