"""Sprites (Li & Mandt 2018, DS-VAE), generated from the public sprite sheets of its generator.

Raw: the ``YingzhenLi/Sprites`` repository archive at a pinned commit: layer sheets ``body/``,
``bottomwear/``, ``topwear/``, ``hair/`` (``<k>.png``) and ``shoes/1.png``, each an LPC sheet of 64x64
cells, 13 per row. Licence of the art: CC-BY-SA 3.0 / GPL 3.0 (Liberated Pixel Cup).

Protocol (``random_character.py`` + ``frame_to_npy.py``):
- a character = (body, bottomwear, topwear, hair), each one of ``options`` (6): the five layers are
  alpha-composited in that order (shoes last) on opaque black; 6^4 = 1296 characters;
- nine classes = action (walk, spellcard, slash) x direction (front, left, right), 8 frames each:
  spellcard = sheet cells 0-6 of its row with cell 4 repeated in slot 6 (slots 0-5 = cells 0-5,
  slot 6 = cell 4, slot 7 = cell 6); walk = cells 1-8 rotated so slot 0 = cell 8; slash = cells 0-5,
  then cell 4, then cell 0;
- split: ``np.random.seed(423); permutation(1296)``, the first 1000 characters train, the other 296
  test (legacy ``RandomState`` on purpose: this is the canonical split);
- pixels are stored as the composited RGB bytes (the original divides by 256.0 when loading).
Labels: ``attributes`` (4,) ints in [0, 6) for body, bottomwear, topwear, hair; ``action`` in [0, 3),
``direction`` in [0, 3), ``action_direction`` = 3 * action + direction, and ``character``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from latentvideo.data.dataset_kinds import StoredLabel
from latentvideo.data.raw_datasets import RawDataset, split_provenance
from latentvideo.data.raw_sources import CorruptMemberError, Member, find_members, iter_read
from latentvideo.data.shards import ShardWriter

VERSION = "sprites/1"
LAYERS = ("body", "bottomwear", "topwear", "hair")
ACTIONS = ("walk", "spellcard", "slash")
DIRECTIONS = ("front", "left", "right")
CELL, COLUMNS = 64, 13
# Sheet row of each (action, direction) and the sheet column shown in each of the 8 slots.
ROWS = {"spellcard": {"left": 1, "front": 2, "right": 3}, "walk": {"left": 9, "front": 10, "right": 11},
        "slash": {"left": 13, "front": 14, "right": 15}}
SLOTS = {"spellcard": (0, 1, 2, 3, 4, 5, 4, 6), "walk": (8, 1, 2, 3, 4, 5, 6, 7), "slash": (0, 1, 2, 3, 4, 5, 4, 0)}


def character_attributes(index: int, options: int) -> tuple[int, int, int, int]:
    """Character index -> (body, bottomwear, topwear, hair), base-``options`` digits (the original order)."""
    body, rest = divmod(index, options**3)
    bottom, rest = divmod(rest, options**2)
    top, hair = divmod(rest, options)
    return body, bottom, top, hair


def composite(layers: list[Image.Image]) -> np.ndarray:
    """Alpha-composite RGBA sheets in order on opaque black -> ``(H, W, 3)`` uint8."""
    canvas = Image.new("RGBA", layers[0].size, "black")
    for layer in layers:
        canvas = Image.alpha_composite(canvas, layer.convert("RGBA"))
    return np.asarray(canvas)[..., :3]


def sequences(sheet: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    """A composited sheet -> ``{(action, direction): (8, 64, 64, 3)}``."""
    out = {}
    for action in ACTIONS:
        for direction in DIRECTIONS:
            row = ROWS[action][direction]
            out[action, direction] = np.stack([sheet[row * CELL : (row + 1) * CELL, c * CELL : (c + 1) * CELL]
                                               for c in SLOTS[action]])
    return out


def _load_layers(raw_dir: Path, options: int) -> dict[str, Image.Image]:
    wanted = {f"{layer}/{k}.png" for layer in LAYERS for k in range(options)} | {"shoes/1.png"}
    found: dict[str, Member] = {}
    for m in find_members(raw_dir, "*.png"):
        key = "/".join(m.name.split("/")[-2:])
        if key in wanted:
            found.setdefault(key, m)
    missing = sorted(wanted - set(found))
    if missing:
        raise CorruptMemberError(f"{raw_dir}: sprite sheets missing: {missing}")
    images = {}
    for key, (member, data) in zip(sorted(found), iter_read([found[k] for k in sorted(found)])):
        try:
            images[key] = Image.open(io.BytesIO(data)).convert("RGBA")
        except OSError as err:
            raise CorruptMemberError(f"{member.label}: not a readable PNG ({err})") from err
        if images[key].size[0] < COLUMNS * CELL or images[key].size[1] < 16 * CELL:
            raise CorruptMemberError(f"{member.label}: {images[key].size} is smaller than a 13x16-cell sheet")
    return images


def preprocess(raw_dir: Path, protocol: Mapping[str, Any], out: Path, workers: int) -> dict[str, Any]:
    options = protocol["options"]
    layers = _load_layers(raw_dir, options)
    n = options**4
    order = np.random.RandomState(protocol["split_seed"]).permutation(n)
    splits = {"train": order[: protocol["train_characters"]], "test": order[protocol["train_characters"] :]}
    summary = {}
    for split, chars in splits.items():
        with ShardWriter(out / split, split_provenance("sprites", split, protocol, VERSION),
                         videos_per_shard=1000) as w:
            for ai, action in enumerate(ACTIONS):
                for di, direction in enumerate(DIRECTIONS):
                    for c in chars:
                        attrs = character_attributes(int(c), options)
                        names = [f"{layer}/{k}.png" for layer, k in zip(LAYERS, attrs)] + ["shoes/1.png"]
                        sheet = composite([layers[nm] for nm in names])
                        w.add({"frames": sequences(sheet)[action, direction]},
                              {"character": int(c), "attributes": np.array(attrs, dtype=np.int64), "action": ai,
                               "direction": di, "action_direction": 3 * ai + di})
        summary[split] = {"characters": len(chars), "videos": len(chars) * 9}
    return summary


def labels(protocol: Mapping[str, Any]) -> dict[str, StoredLabel]:
    """The four attributes (static; column i of ``attributes``, ``options`` values each) and the action: the nine
    action x direction classes of ``action_direction`` (dynamic), as R-WAE's and C-DSVAE's judges classify them."""
    attributes = {layer: StoredLabel(tuple(f"{layer} {k}" for k in range(protocol["options"])), stored="attributes",
                                     column=i) for i, layer in enumerate(LAYERS)}
    action = StoredLabel(tuple(f"{a} {d}" for a in ACTIONS for d in DIRECTIONS), dynamic=True, stored="action_direction")
    return {**attributes, "action": action}


DATASET = RawDataset(
    name="sprites",
    protocol_version=VERSION,
    required=("*.png",),
    instructions=("Sprites is downloaded by the acquisition rule (the YingzhenLi/Sprites repository archive at the "
                  "commit pinned in raw_data.sprites.acquisition). To place it by hand, put that zip (or the "
                  "repository's body/ bottomwear/ topwear/ hair/ shoes/ folders) in raw_data.sprites.dir."),
    preprocess=preprocess,
    video_length=lambda protocol: 8,
    labels=labels,
)
