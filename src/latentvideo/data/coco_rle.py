"""COCO run-length encoded masks (the ``{"size": [h, w], "counts": ...}`` format), without pycocotools.

``counts`` is either a list of run lengths or COCO's compressed string (6 bits per character, offset
48, continuation bit 0x20, sign bit 0x10, each run after the first two coded as a difference to the
run two before). Runs alternate 0s and 1s starting with 0s, over the mask in column-major (Fortran)
order.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _string_to_counts(s: str) -> list[int]:
    counts: list[int] = []
    pos = 0
    while pos < len(s):
        x = shift = 0
        more = True
        while more:
            c = ord(s[pos]) - 48
            x |= (c & 0x1F) << (5 * shift)
            more = bool(c & 0x20)
            pos += 1
            shift += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * shift)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def _counts_to_string(counts: list[int]) -> str:
    out = []
    for i, c in enumerate(counts):
        x = c - counts[i - 2] if i > 2 else c
        more = True
        while more:
            ch = x & 0x1F
            x >>= 5
            more = not ((ch & 0x10) == 0 and x == 0 or (ch & 0x10) != 0 and x == -1)
            if more:
                ch |= 0x20
            out.append(chr(ch + 48))
    return "".join(out)


def decode(rle: dict[str, Any]) -> np.ndarray:
    """A COCO RLE dict -> ``(h, w)`` uint8 mask in {0, 1}."""
    h, w = (int(v) for v in rle["size"])
    counts = rle["counts"]
    if isinstance(counts, bytes):
        counts = counts.decode("ascii")
    runs = _string_to_counts(counts) if isinstance(counts, str) else [int(c) for c in counts]
    if sum(runs) != h * w:
        raise ValueError(f"RLE runs cover {sum(runs)} pixels, expected {h}x{w} = {h * w}")
    values = np.arange(len(runs)) % 2
    flat = np.repeat(values.astype(np.uint8), runs)
    return flat.reshape((w, h)).T.copy()


def encode(mask: np.ndarray) -> dict[str, Any]:
    """``(h, w)`` binary mask -> COCO RLE dict with a compressed string ``counts``."""
    flat = np.asarray(mask, dtype=np.uint8).T.reshape(-1)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat.size and flat[0] == 1:
        runs = [0, *runs]
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": _counts_to_string(runs)}
