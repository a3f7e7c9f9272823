"""Bouncing Balls with mass (R-NEM, van Steenkiste et al. 2018), as PROVIDE uses them.

Raw: the R-NEM HDF5 files ``balls4mass64.h5`` and ``balls678mass64.h5`` (from the data folder linked in
the R-NEM README; no licence stated). Each has groups ``training`` / ``validation`` / ``test`` (those
present) with ``features`` (T, N, 64, 64, 1) in [0, 1] and ``groups`` (T, N, 64, 64, 1) object ids
(0 = background).

Protocol (PROVIDE ``dataset_scripts/bb_*.py``): three aligned streams per video:
``frames`` = binary frames (features * 255), ``colour`` = RGB frames painted from ``groups`` with a
fixed palette on black (PROVIDE's colour variant; ``colors: 4`` repeats 4 colours for 6-8 balls as
its ``bb_colored678_4_colors.py``), ``masks`` = per-pixel ground-truth ids. Read in chunks of videos,
so memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from latentvideo.data.raw_datasets import RawDataset, split_provenance
from latentvideo.data.raw_sources import CorruptMemberError
from latentvideo.data.shards import ShardWriter

VERSION = "bouncing_balls/1"
# Eight distinct colours (RGB, uint8). Our palette: PROVIDE's exact values are not in its repository.
PALETTE = np.array([[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200],
                    [245, 130, 48], [145, 30, 180], [70, 240, 240], [240, 50, 230]], dtype=np.uint8)


def paint(groups: np.ndarray, colors: int) -> np.ndarray:
    """``groups: (..., 1)`` integer ids -> ``(..., 3)`` uint8; id k >= 1 gets palette[(k - 1) % colors]."""
    ids = groups[..., 0].astype(np.int64)
    table = np.concatenate([np.zeros((1, 3), np.uint8), PALETTE[np.arange(max(ids.max(), 1)) % colors]])
    return table[ids]


def _split(path: Path, usage: str, protocol: Mapping[str, Any], out: Path, name: str, colors: int) -> dict[str, Any]:
    chunk = protocol["chunk_videos"]
    try:
        with h5py.File(path, "r") as fh:
            features, groups = fh[usage]["features"], fh[usage]["groups"]
            t, n = features.shape[:2]
            if protocol["max_videos"] is not None:
                n = min(n, protocol["max_videos"])
            with ShardWriter(out, split_provenance("bouncing_balls", name, protocol, VERSION, source=path.name,
                                                   h5_group=usage, colors=colors), videos_per_shard=1000) as w:
                for start in range(0, n, chunk):
                    f = np.asarray(features[:, start : start + chunk])
                    g = np.asarray(groups[:, start : start + chunk])
                    binary = np.clip(np.rint(f * 255), 0, 255).astype(np.uint8)
                    for j in range(f.shape[1]):
                        ids = g[:, j].astype(np.uint8)
                        w.add({"frames": binary[:, j], "colour": paint(ids, colors), "masks": ids})
    except OSError as err:
        raise CorruptMemberError(f"{path}: cannot read HDF5 ({err})") from err
    except KeyError as err:
        raise CorruptMemberError(f"{path}: no HDF5 dataset {usage}/features and {usage}/groups ({err}); is it the "
                                 "R-NEM balls file named by raw_data.bouncing_balls.protocol.splits?") from err
    except (ValueError, TypeError, IndexError) as err:
        raise CorruptMemberError(f"{path}: HDF5 datasets of an unexpected shape or type ({err})") from err
    return {"videos": n, "frames": t, "source": path.name, "group": usage}


def preprocess(raw_dir: Path, protocol: Mapping[str, Any], out: Path, workers: int) -> dict[str, Any]:
    summary = {}
    for name, spec in protocol["splits"].items():
        path = raw_dir / spec["file"]
        summary[name] = _split(path, spec["group"], protocol, out / name, name, spec["colors"])
    return summary


DATASET = RawDataset(
    name="bouncing_balls",
    protocol_version=VERSION,
    required=("balls4mass64.h5", "balls678mass64.h5"),
    instructions=("Bouncing Balls: download balls4mass64.h5 and balls678mass64.h5 from the data folder linked in "
                  "the R-NEM README (github.com/sjoerdvansteenkiste/Relational-NEM; a shared folder, no stable "
                  "direct link) and put them in the folder named by raw_data.bouncing_balls.dir."),
    preprocess=preprocess,
)
