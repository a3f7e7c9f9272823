"""TIMIT (Garofolo et al. 1993) log-magnitude spectra, as DS-VAE / R-WAE use them.

Raw: licensed (LDC93S1); place the corpus by hand: ``TRAIN|TEST/DR<k>/<speaker>/<utt>.WAV``. Both the
LDC NIST SPHERE files (16-bit PCM, header ``NIST_1A``) and RIFF WAV conversions are read.

Protocol (R-WAE Appendix C, after DS-VAE / FHVAE; the exact front end is not published, so these are
our documented choices): 16 kHz audio; frames of ``window`` samples (25 ms = 400) every ``hop`` (10 ms
= 160) with a Hamming window; ``|rfft|`` of size 400 gives 201 bins, the DC bin is dropped -> 200
bins; ``log(magnitude + 1e-6)``; each utterance cut into non-overlapping 200 ms segments of
``T = 20`` frames. Stored as the ``frames`` stream, float32 ``(N, 20, 1, 200, 1)``: each spectral frame is
a one-channel image one bin high and ``bins`` wide, so that kind ``raw_video`` draws its clips like any
video's (the one non-uint8 dataset: log magnitudes are not pixels, and the models read them unscaled).
Labels: ``speaker``, ``dialect_region``, ``utterance`` (strings), ``segment`` (its index in the utterance).
The SA sentences (read by every speaker) are kept unless ``skip_sa`` is set.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from latentvideo.data.raw_datasets import RawDataset, split_provenance
from latentvideo.data.raw_sources import CorruptMemberError, Member, find_members, iter_read
from latentvideo.data.shards import ShardWriter

VERSION = "timit/2"  # 2: spectra stored as the frames stream (T, 1, bins, 1)


def read_audio(data: bytes, label: str) -> tuple[np.ndarray, int]:
    """SPHERE or RIFF bytes -> (float32 samples in [-1, 1), sample rate)."""
    if data[:7] == b"NIST_1A":
        header_len = int(data[8:16].strip())
        fields = {}
        for line in data[16:header_len].decode("ascii", "replace").splitlines():
            parts = line.split()
            if len(parts) >= 3:
                fields[parts[0]] = parts[2]
        if fields.get("sample_coding", "pcm") != "pcm" or fields.get("sample_n_bytes", "2") != "2":
            raise CorruptMemberError(f"{label}: unsupported SPHERE coding {fields.get('sample_coding')}")
        order = "<i2" if fields.get("sample_byte_format", "01") == "01" else ">i2"
        samples = np.frombuffer(data[header_len:], dtype=order)
        return samples.astype(np.float32) / 32768.0, int(fields.get("sample_rate", 16000))
    try:
        with wave.open(io.BytesIO(data)) as wav:
            if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                raise CorruptMemberError(f"{label}: expected 16-bit mono audio")
            frames = wav.readframes(wav.getnframes())
            rate = wav.getframerate()
    except (wave.Error, EOFError) as err:
        raise CorruptMemberError(f"{label}: neither NIST SPHERE nor a readable RIFF WAV ({err})") from err
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0, rate


def log_spectra(samples: np.ndarray, window: int, hop: int, bins: int) -> np.ndarray:
    """``samples: (S,)`` -> ``(F, bins)`` float32 log-magnitudes, DC bin dropped, Hamming window."""
    if len(samples) < window:
        return np.empty((0, bins), dtype=np.float32)
    n = 1 + (len(samples) - window) // hop
    idx = np.arange(window)[None, :] + hop * np.arange(n)[:, None]
    mag = np.abs(np.fft.rfft(samples[idx] * np.hamming(window)[None, :], n=window, axis=1))
    return np.log(mag[:, 1 : bins + 1] + 1e-6).astype(np.float32)


def _info(member: Member) -> tuple[str, str, str, str]:
    parts = member.name.split("/")
    if len(parts) < 4:
        raise ValueError(f"{member.label}: expected TRAIN|TEST/DR<k>/<speaker>/<utt>.WAV")
    return parts[-4].upper(), parts[-3].upper(), parts[-2].upper(), Path(parts[-1]).stem.upper()


def preprocess(raw_dir: Path, protocol: Mapping[str, Any], out: Path, workers: int) -> dict[str, Any]:
    members = sorted((m for m in find_members(raw_dir, "*.wav") if _info(m)[0] in ("TRAIN", "TEST")),
                     key=lambda m: _info(m))
    summary = {}
    seg = protocol["segment_frames"]
    for split in ("TRAIN", "TEST"):
        chosen = [m for m in members if _info(m)[0] == split
                  and not (protocol["skip_sa"] and _info(m)[3].startswith("SA"))]
        if not chosen:
            raise CorruptMemberError(f"{raw_dir}: no {split}/DR*/<speaker>/*.WAV files")
        n_seg = 0
        with ShardWriter(out / split.lower(), split_provenance("timit", split.lower(), protocol, VERSION),
                         videos_per_shard=20000) as w:
            for m, data in iter_read(chosen):
                samples, rate = read_audio(data, m.label)
                if rate != protocol["sample_rate"]:
                    raise CorruptMemberError(f"{m.label}: sample rate {rate}, expected {protocol['sample_rate']}")
                spec = log_spectra(samples, protocol["window"], protocol["hop"], protocol["bins"])
                _, region, speaker, utt = _info(m)
                for k in range(len(spec) // seg):
                    w.add({"frames": spec[k * seg : (k + 1) * seg, None, :, None]},
                          {"speaker": speaker, "dialect_region": region, "utterance": utt, "segment": k})
                    n_seg += 1
        summary[split.lower()] = {"utterances": len(chosen), "segments": n_seg}
    return summary


DATASET = RawDataset(
    name="timit",
    protocol_version=VERSION,
    required=("*.wav",),
    instructions=("TIMIT is licensed (LDC93S1): obtain it from the LDC and put the corpus folder (TRAIN/ and TEST/ "
                  "with DR*/<speaker>/*.WAV, or an archive of it) in the folder named by raw_data.timit.dir. "
                  "Nothing is downloaded for you."),
    preprocess=preprocess,
    channels=1,
    video_length=lambda protocol: protocol["segment_frames"],
)
