"""Video decoding with PyAV (FFmpeg's libraries, no ffmpeg binary), from files or archive members.

Decoded videos are uint8 ``(T, H, W, C)``. Frame-rate conversion follows ffmpeg's ``-r``: output frame
``k`` at time ``k / fps`` shows the last source frame whose presentation time is ``<=`` it (frames are
dropped or repeated; never blended). A video that FFmpeg cannot decode raises
:class:`CorruptVideoError` naming it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from latentvideo.data.raw_sources import CorruptMemberError


class CorruptVideoError(CorruptMemberError):
    """A video member could not be decoded."""


@dataclass(frozen=True)
class DecodedVideo:
    """``frames: (T, H, W, C)`` uint8; ``times``: presentation time of each frame in seconds; ``fps``: nominal."""

    frames: np.ndarray
    times: np.ndarray
    fps: float


def decode(data: bytes, label: str, pixel_format: str = "rgb24", size: tuple[int, int] | None = None,
           interpolation: str = "BICUBIC") -> DecodedVideo:
    """Decode every frame of the video in ``data``.

    ``pixel_format``: ``rgb24`` (C=3) or ``gray`` (C=1). ``size = (width, height)`` scales in FFmpeg's
    swscale with ``interpolation`` (``BICUBIC`` is ffmpeg's default for ``-s WxH``), so it equals the
    ``ffmpeg -s`` conversion the original code bases ran; ``None`` keeps the source size.
    """
    import av  # PyAV loads FFmpeg (0.2 s): only where a video is decoded, not where datasets are declared

    frames, times = [], []
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                raise CorruptVideoError(f"{label}: no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or Fraction(25)
            tb = stream.time_base
            for k, frame in enumerate(container.decode(stream)):
                if size is not None:
                    frame = frame.reformat(width=size[0], height=size[1], format=pixel_format,
                                           interpolation=interpolation)
                arr = frame.to_ndarray(format=pixel_format)
                frames.append(arr if arr.ndim == 3 else arr[..., None])
                pts = frame.pts
                times.append(float(pts * tb) if pts is not None and tb is not None else k / float(rate))
    except CorruptVideoError:
        raise
    except (av.error.FFmpegError, ValueError, OSError) as err:
        raise CorruptVideoError(f"{label}: cannot decode video ({err})") from err
    if not frames:
        raise CorruptVideoError(f"{label}: the video has no decodable frame")
    t = np.asarray(times, dtype=np.float64)
    return DecodedVideo(np.stack(frames), t - t[0], float(rate))


def resample_indices(times: np.ndarray, fps: float) -> np.ndarray:
    """Indices of source frames shown at ``k / fps`` for ``k = 0, 1, ...`` up to the last source time.

    ``times``: (T,) seconds from the first frame, increasing. With ``fps`` equal to the source rate this
    is the identity.
    """
    duration = times[-1] + (np.median(np.diff(times)) if len(times) > 1 else 0.0)
    n_out = max(1, int(np.floor(duration * fps + 1e-6)))
    targets = np.arange(n_out) / fps
    idx = np.searchsorted(times, targets + 1e-6, side="right") - 1
    return np.clip(idx, 0, len(times) - 1)


def decode_at_fps(data: bytes, label: str, fps: float | None, **kwargs) -> np.ndarray:
    """:func:`decode` then resample to ``fps`` (``None``: keep every frame)."""
    video = decode(data, label, **kwargs)
    if fps is None:
        return video.frames
    return video.frames[resample_indices(video.times, fps)]


def encode(frames: np.ndarray, fps: int, container_format: str, codec: str = "mpeg4") -> bytes:
    """Encode ``frames: (T, H, W, 3)`` uint8 into an in-memory video (used to build test fixtures)."""
    import av

    buf = io.BytesIO()
    with av.open(buf, mode="w", format=container_format) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        if codec == "mpeg4":
            stream.options = {"qscale": "2"}
        for arr in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(arr), format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()
