"""Downloads with resume and checksum verification (no download ever happens in tests or the default run)."""

from __future__ import annotations

import hashlib
import logging
import os
import urllib.request
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger(__name__)


class ChecksumError(RuntimeError):
    """A file's checksum differs from the expected one."""


def file_digest(path: str | Path, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: str | Path, expected: str, algorithm: str = "sha256") -> None:
    """Raise :class:`ChecksumError` naming the file and both checksums when they differ."""
    actual = file_digest(path, algorithm)
    if actual != expected:
        raise ChecksumError(f"{path}: {algorithm} mismatch: expected {expected}, got {actual}")


def download(url: str, dest: str | Path, sha256: str | None, timeout: float = 60.0) -> Path:
    """Fetch ``url`` to ``dest``, resuming a partial ``dest.part``, and verify its sha256.

    The file appears at ``dest`` only once verified. A file already at ``dest`` is verified, not refetched.
    A corrupt download is removed and reported with both checksums. ``sha256=None`` (no published sum
    to pin) accepts the completed download; the caller reports its sum.
    """
    dest = Path(dest)
    if dest.exists():
        if sha256 is not None:
            verify(dest, sha256)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url)
    if offset and url.startswith(("http://", "https://")):
        request.add_header("Range", f"bytes={offset}-")
    log.info("downloading %s -> %s (resume at %d bytes)", url, dest, offset)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        resumed = getattr(response, "status", 200) == 206
        with open(part, "ab" if resumed else "wb") as fh:
            for block in iter(lambda: response.read(1 << 20), b""):
                fh.write(block)
    try:
        if sha256 is not None:
            verify(part, sha256)
    except ChecksumError as err:
        part.unlink()
        raise ChecksumError(f"{dest.name} downloaded from {url}: {err}") from None
    os.replace(part, dest)
    return dest


def download_first(urls: list[str], dest: str | Path, sha256: str | None) -> Path:
    """Download ``dest`` from the first of ``urls`` that answers (network errors try the next one;
    a checksum mismatch stops at once)."""
    errors = []
    for url in urls:
        try:
            return download(url, dest, sha256)
        except ChecksumError:
            raise
        except OSError as err:  # network errors: try the next mirror
            errors.append(f"{url}: {err}")
    raise RuntimeError(f"could not download {Path(dest).name}; tried: " + "; ".join(errors))


def acquire_files(base_urls: list[str], files: Mapping[str, str], out_dir: str | Path) -> list[Path]:
    """Download each ``name -> sha256`` in ``files`` from the first mirror in ``base_urls`` that works."""
    return [download_first([base.rstrip("/") + "/" + name for base in base_urls], Path(out_dir) / name, sha)
            for name, sha in files.items()]
