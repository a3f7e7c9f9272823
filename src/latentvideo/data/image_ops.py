"""Frame-level image operations (crop, resize, colour) with Pillow, deterministic and documented.

Frames are uint8 arrays ``(H, W, C)``; batches are ``(T, H, W, C)``. Resampling filters are Pillow's
(``lanczos``, ``bicubic``, ``bilinear``, ``box``, ``nearest``); Pillow's downsampling filters widen
their support with the scale factor, i.e. they anti-alias.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

FILTERS = {
    "lanczos": Image.Resampling.LANCZOS,
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
    "box": Image.Resampling.BOX,
    "nearest": Image.Resampling.NEAREST,
}


def crop(frames: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """``frames: (T, H, W, C)`` cropped to ``box = (left, top, right, bottom)`` in pixels (PIL convention)."""
    left, top, right, bottom = box
    t, h, w, _ = frames.shape
    if not (0 <= left < right <= w and 0 <= top < bottom <= h):
        raise ValueError(f"crop box {box} does not fit frames of {w}x{h}")
    return frames[:, top:bottom, left:right]


def center_crop_box(width: int, height: int, out_w: int, out_h: int) -> tuple[int, int, int, int]:
    """The ``(left, top, right, bottom)`` box of size ``out_w x out_h`` centred in a ``width x height`` frame."""
    if out_w > width or out_h > height:
        raise ValueError(f"cannot centre-crop {out_w}x{out_h} from {width}x{height}")
    left, top = (width - out_w) // 2, (height - out_h) // 2
    return left, top, left + out_w, top + out_h


def resize(frames: np.ndarray, size: tuple[int, int], method: str) -> np.ndarray:
    """``frames: (T, H, W, C)`` uint8 (or integer ids) resized to ``size = (width, height)`` frame by frame."""
    if method not in FILTERS:
        raise ValueError(f"unknown resize method {method!r}; known: {sorted(FILTERS)}")
    t, h, w, c = frames.shape
    if (w, h) == tuple(size):
        return frames.copy()
    out = np.empty((t, size[1], size[0], c), dtype=frames.dtype)
    for i in range(t):
        if c == 1:
            img = Image.fromarray(frames[i, :, :, 0])
            out[i, :, :, 0] = np.asarray(img.resize(size, FILTERS[method]))
        else:
            out[i] = np.asarray(Image.fromarray(frames[i]).resize(size, FILTERS[method]))
    return out


def to_grey(frames: np.ndarray, mode: str = "first_channel") -> np.ndarray:
    """``(T, H, W, 3)`` -> ``(T, H, W, 1)``.

    ``first_channel`` keeps channel 0, as SRVP's KTH loader reads channel 0 of its RGB PNGs (the KTH
    videos are grey, so R = G = B up to codec noise); ``luma`` uses ITU-R 601 weights.
    """
    if mode == "first_channel":
        return np.ascontiguousarray(frames[..., :1])
    if mode == "luma":
        y = frames[..., 0] * 0.299 + frames[..., 1] * 0.587 + frames[..., 2] * 0.114
        return np.clip(np.rint(y), 0, 255).astype(np.uint8)[..., None]
    raise ValueError(f"unknown grey mode {mode!r}")
