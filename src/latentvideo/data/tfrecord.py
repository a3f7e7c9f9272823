"""TFRecord files and ``tf.train.Example`` protos, read without TensorFlow.

A TFRecord file is a sequence of records: ``uint64 length``, ``uint32 masked_crc32c(length)``,
``data``, ``uint32 masked_crc32c(data)`` (little endian). Both checksums are verified. An ``Example``
is decoded with a minimal protobuf wire-format reader: ``Example{1: Features{1: map<string, Feature>}}``
with ``Feature{1: BytesList{1: repeated bytes}, 2: FloatList, 3: Int64List}``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import crc32c
import numpy as np

_MASK_DELTA = 0xA282EAD8


class TFRecordError(ValueError):
    """A record is truncated or fails its checksum."""


def masked_crc(data: bytes) -> int:
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def iter_records(data: bytes, label: str) -> Iterator[bytes]:
    """Yield each record's payload from the bytes of one TFRecord file, verifying both CRCs."""
    pos, k, n = 0, 0, len(data)
    while pos < n:
        if pos + 12 > n:
            raise TFRecordError(f"{label}: record {k} truncated in its header")
        (length,) = struct.unpack_from("<Q", data, pos)
        (len_crc,) = struct.unpack_from("<I", data, pos + 8)
        if masked_crc(data[pos : pos + 8]) != len_crc:
            raise TFRecordError(f"{label}: record {k} length checksum mismatch (corrupt file)")
        start, end = pos + 12, pos + 12 + length
        if end + 4 > n:
            raise TFRecordError(f"{label}: record {k} truncated ({n - start} of {length + 4} bytes)")
        payload = data[start:end]
        (data_crc,) = struct.unpack_from("<I", data, end)
        if masked_crc(payload) != data_crc:
            raise TFRecordError(f"{label}: record {k} data checksum mismatch (corrupt file)")
        yield payload
        pos, k = end + 4, k + 1


def write_records(payloads: list[bytes]) -> bytes:
    """The TFRecord encoding of ``payloads`` (used to build fixtures)."""
    out = bytearray()
    for p in payloads:
        header = struct.pack("<Q", len(p))
        out += header + struct.pack("<I", masked_crc(header)) + p + struct.pack("<I", masked_crc(p))
    return bytes(out)


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise TFRecordError(f"protobuf varint truncated at byte {pos}")
        if shift > 63:
            raise TFRecordError(f"protobuf varint longer than 10 bytes at byte {pos}")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _take(buf: bytes, pos: int, size: int, field: int) -> tuple[bytes, int]:
    if pos + size > len(buf):
        raise TFRecordError(f"protobuf field {field} claims {size} bytes at byte {pos}, {len(buf) - pos} remain")
    return buf[pos : pos + size], pos + size


def _fields(buf: bytes) -> Iterator[tuple[int, int, bytes | int]]:
    """(field number, wire type, value) for each field of a message; length-delimited values are bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = _take(buf, pos, 8, field)
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = _take(buf, pos, size, field)
        elif wire == 5:
            value, pos = _take(buf, pos, 4, field)
        else:
            raise TFRecordError(f"unsupported protobuf wire type {wire} (field {field}): not a tf.train.Example")
        yield field, wire, value


def _feature(buf: bytes) -> list[bytes] | np.ndarray:
    for field, _, value in _fields(buf):
        if not isinstance(value, bytes):
            raise TFRecordError(f"Feature field {field} is not length-delimited: not a tf.train.Example")
        if field == 1:  # BytesList
            return [v for f, _, v in _fields(value) if f == 1]  # type: ignore[misc]
        if field == 2:  # FloatList (packed or not)
            parts = [v for f, _, v in _fields(value) if f == 1]
            floats = b"".join(parts)  # type: ignore[arg-type]
            if len(floats) % 4:
                raise TFRecordError(f"FloatList of {len(floats)} bytes, not a multiple of 4")
            return np.frombuffer(floats, dtype="<f4")
        if field == 3:  # Int64List (packed)
            ints = []
            for f, w, v in _fields(value):
                if f == 1 and w == 2:
                    pos = 0
                    while pos < len(v):  # type: ignore[arg-type]
                        x, pos = _varint(v, pos)  # type: ignore[arg-type]
                        ints.append(x)
                elif f == 1:
                    ints.append(v)
            return np.asarray(ints, dtype=np.int64)
    return []


def parse_example(payload: bytes, label: str = "record") -> dict[str, list[bytes] | np.ndarray]:
    """``tf.train.Example`` bytes -> ``{feature name: list of bytes | float32 array | int64 array}``.

    A malformed payload raises :class:`TFRecordError` starting with ``label`` (file and record)."""
    try:
        return _parse_example(payload)
    except TFRecordError as err:
        raise TFRecordError(f"{label}: {err}") from None


def _parse_example(payload: bytes) -> dict[str, list[bytes] | np.ndarray]:
    features: dict[str, list[bytes] | np.ndarray] = {}
    for field, _, features_msg in _fields(payload):
        if field != 1:
            continue
        for f, _, entry in _fields(features_msg):  # type: ignore[arg-type]
            if f != 1:
                continue
            name, value = "", b""
            for ef, _, ev in _fields(entry):  # type: ignore[arg-type]
                if ef == 1:
                    try:
                        name = ev.decode()  # type: ignore[union-attr]
                    except (UnicodeDecodeError, AttributeError):
                        raise TFRecordError(f"feature name {ev!r:.60} is not UTF-8 text") from None
                elif ef == 2:
                    value = ev  # type: ignore[assignment]
            features[name] = _feature(value)
    return features


def _ld(field: int, payload: bytes) -> bytes:
    out, n = bytearray([(field << 3) | 2]), len(payload)
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            break
    return bytes(out) + payload


def bytes_example(features: dict[str, bytes]) -> bytes:
    """Encode an ``Example`` whose features are single byte strings (used to build fixtures)."""
    entries = b"".join(_ld(1, _ld(1, k.encode()) + _ld(2, _ld(1, _ld(1, v)))) for k, v in features.items())
    return _ld(1, entries)
