"""Raw inputs as named members: a folder, a zip or a tar (any compression), read safely.

Every dataset's raw files may be placed unpacked or as the archives they are published in. Members are
listed with POSIX names relative to the archive root (``./x`` is ``x``). Refused with
:class:`UnsafeMemberError` naming them, never extracted, never read:
- a member with an absolute path or a ``..`` component;
- links: tar symbolic and hard links, zip symlinks, tar devices and FIFOs, and, in a raw folder, a symbolic
  link that leads outside the folder;
- a member larger than ``SizeLimits.member_bytes`` or archives and folders whose members add up to more than
  ``SizeLimits.total_bytes`` (decompression bombs; members are read into memory whole). Sizes are the
  declared ones, and zip and tar readers never return more bytes than a member declares.
A truncated or corrupt archive raises :class:`CorruptMemberError` naming the archive and the member.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from latentvideo.progress import Progress

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


@dataclass(frozen=True)
class SizeLimits:
    """Caps on what a raw input may hold (config ``raw_data.<name>.limits``, in MB / GB)."""

    member_bytes: int = 4 << 30
    total_bytes: int = 2 << 40

    @classmethod
    def from_config(cls, limits: dict | None) -> SizeLimits:
        limits = limits or {}
        default = cls()
        return cls(int(limits.get("max_member_mb", default.member_bytes / 1e6) * 1e6),
                   int(limits.get("max_total_gb", default.total_bytes / 1e9) * 1e9))


DEFAULT_LIMITS = SizeLimits()


class UnsafeMemberError(ValueError):
    """An archive member would escape the folder it is read into (absolute path or ``..``)."""


class CorruptMemberError(OSError):
    """A member of a raw input cannot be read completely (truncated or corrupt archive, bad file)."""


def check_member_name(archive: str | Path, name: str) -> str:
    """Return ``name`` normalised, or raise :class:`UnsafeMemberError` naming the archive and member."""
    posix = name.replace("\\", "/")
    path = PurePosixPath(posix)
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":") or ".." in path.parts:
        raise UnsafeMemberError(f"{archive}: refusing member {name!r} (absolute path or '..' component)")
    return str(path)


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def folder_files(root: str | Path) -> list[Path]:
    """Every regular file under ``root``, sorted, without following links out of it.

    A symbolic link (to a file or a folder) whose target lies inside ``root`` is listed by its own name (a
    folder link is not descended, so nothing is counted twice); one that leads outside raises
    :class:`UnsafeMemberError` naming the link and its target.
    """
    root = Path(root)
    real_root = root.resolve()
    found = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in sorted(dirs) + sorted(files):
            path = Path(folder) / name
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(real_root):
                    raise UnsafeMemberError(f"{root}: refusing {path}, a symbolic link leading outside the raw folder "
                                            f"(to {target}); copy the file in instead")
                if target.is_file():
                    found.append(path)
            elif name in files and path.is_file():
                found.append(path)
    return sorted(found)


def _refuse_links(archive: Path, links: list[str]) -> None:
    if links:
        more = f" and {len(links) - 5} more" if len(links) > 5 else ""
        raise UnsafeMemberError(f"{archive}: refusing link or special member(s) {links[:5]}{more}; raw archives "
                                "must hold regular files only (unpack it yourself if you trust it)")


def _check_sizes(container: Path, sizes: dict[str, int], limits: SizeLimits) -> None:
    big = sorted((n for n, size in sizes.items() if size > limits.member_bytes), key=lambda n: -sizes[n])
    if big:
        raise UnsafeMemberError(f"{container}: member {big[0]!r} declares {sizes[big[0]] / 1e6:.0f} MB, over the "
                                f"{limits.member_bytes / 1e6:.0f} MB cap per member (raw_data.<name>.limits."
                                "max_member_mb; raise it if the file is genuine)")
    total = sum(sizes.values())
    if total > limits.total_bytes:
        raise UnsafeMemberError(f"{container}: members add up to {total / 1e9:.1f} GB, over the "
                                f"{limits.total_bytes / 1e9:.0f} GB cap (raw_data.<name>.limits.max_total_gb)")


@dataclass(frozen=True)
class Member:
    """One raw file: ``container`` (a folder or an archive path) and ``name`` inside it."""

    container: Path
    name: str

    @property
    def label(self) -> str:
        return f"{self.container}:{self.name}" if is_archive(self.container) else str(self.container / self.name)

    @property
    def basename(self) -> str:
        return PurePosixPath(self.name).name


class RawSource:
    """Read-only view of one container (folder, zip or tar)."""

    def __init__(self, container: str | Path, limits: SizeLimits = DEFAULT_LIMITS):
        self.container = Path(container)
        self.limits = limits
        self._zip: zipfile.ZipFile | None = None
        self._tar: tarfile.TarFile | None = None
        self._tar_members: dict[str, tarfile.TarInfo] = {}
        self._zip_names: dict[str, str] = {}  # normalised name -> name in the archive (``./x`` -> ``x``)
        self.sizes: dict[str, int] = {}  # member -> declared bytes, filled by names()

    def __enter__(self) -> RawSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for handle in (self._zip, self._tar):
            if handle is not None:
                handle.close()
        self._zip = self._tar = None

    def names(self) -> list[str]:
        """All file members, sorted, each checked by :func:`check_member_name`, links and sizes refused."""
        c = self.container
        if c.is_dir():
            self.sizes = {p.relative_to(c).as_posix(): p.stat().st_size for p in folder_files(c)}
            _check_sizes(c, self.sizes, self.limits)
            return sorted(self.sizes)
        try:
            if c.name.lower().endswith(".zip"):
                self._zip = self._zip or zipfile.ZipFile(c)
                infos = [i for i in self._zip.infolist() if not i.is_dir()]
                _refuse_links(c, [i.filename for i in infos if stat.S_ISLNK(i.external_attr >> 16)])
                self._zip_names = {check_member_name(c, i.filename): i.filename for i in infos}
                sizes = {n: self._zip.getinfo(orig).file_size for n, orig in self._zip_names.items()}
            else:
                self._tar = self._tar or tarfile.open(c, "r:*")
                members = [m for m in self._tar.getmembers() if not m.isdir()]
                _refuse_links(c, [m.name for m in members if not m.isfile()])
                self._tar_members = {check_member_name(c, m.name): m for m in members}
                sizes = {n: m.size for n, m in self._tar_members.items()}
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, OSError) as err:
            raise CorruptMemberError(f"{c}: cannot list the archive ({err}); re-download or re-place it") from err
        self.sizes = sizes
        _check_sizes(c, sizes, self.limits)
        return sorted(sizes)

    def members(self, pattern: str = "*") -> list[Member]:
        """Members whose basename matches the glob ``pattern`` (case-insensitive)."""
        pat = pattern.lower()
        return [Member(self.container, n) for n in self.names() if fnmatch.fnmatch(PurePosixPath(n).name.lower(), pat)]

    def read(self, name: str) -> bytes:
        """The whole member ``name`` as bytes; :class:`CorruptMemberError` names it when it is unreadable."""
        c = self.container
        check_member_name(c, name)
        try:
            if c.is_dir():
                return (c / name).read_bytes()
            if self._zip is None and self._tar is None:
                self.names()
            if self._zip is not None:
                return self._zip.read(self._zip_names[name])
            assert self._tar is not None
            handle = self._tar.extractfile(self._tar_members[name])
            if handle is None:
                raise CorruptMemberError(f"{c}:{name}: not a regular file")
            data = handle.read()
            if len(data) != self._tar_members[name].size:
                raise EOFError(f"read {len(data)} of {self._tar_members[name].size} bytes")
            return data
        except CorruptMemberError:
            raise
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, OSError, KeyError) as err:
            raise CorruptMemberError(f"{c}:{name}: truncated or corrupt member ({err})") from err


def containers(raw_dir: str | Path) -> list[Path]:
    """The folder itself plus every archive directly or deeper inside it, sorted."""
    raw_dir = Path(raw_dir)
    return [raw_dir, *(p for p in folder_files(raw_dir) if is_archive(p))]


def check_raw_folder(raw_dir: str | Path, limits: SizeLimits) -> int:
    """Open every container under ``raw_dir`` with ``limits`` (names, links, sizes); return the total bytes the
    archives and loose files declare. Raises :class:`UnsafeMemberError` or :class:`CorruptMemberError`."""
    total = 0
    for container in containers(raw_dir):
        with RawSource(container, limits) as src:
            src.names()
            if container.is_dir():
                continue  # its loose files were checked by names(); its archives are containers of their own
            total += sum(src.sizes.values())
            if total > limits.total_bytes:
                raise UnsafeMemberError(f"{raw_dir}: archives unpack to more than {limits.total_bytes / 1e9:.0f} GB "
                                        "(raw_data.<name>.limits.max_total_gb)")
    return total


def find_members(raw_dir: str | Path, pattern: str) -> list[Member]:
    """Members matching ``pattern`` in the folder (loose files) and in every archive inside it."""
    found: list[Member] = []
    for container in containers(raw_dir):
        with RawSource(container) as src:
            found += [m for m in src.members(pattern) if not (container.is_dir() and is_archive(container / m.name))]
    return found


def read_member(member: Member) -> bytes:
    with RawSource(member.container) as src:
        return src.read(member.name)


def iter_read(members: list[Member], what: str = "preprocess: raw files") -> Iterator[tuple[Member, bytes]]:
    """Read many members, opening each archive once (in the given order). Reports progress as the consumer
    takes them (:mod:`latentvideo.progress`: a line every 30 s in a log), so it spans the consumer's decoding."""
    open_sources: dict[Path, RawSource] = {}
    progress = Progress(what, len(members), unit="file")
    try:
        for i, m in enumerate(members):
            if m.container not in open_sources:
                open_sources[m.container] = RawSource(m.container)
            yield m, open_sources[m.container].read(m.name)
            progress.update(i + 1)
    finally:
        progress.close()
        for src in open_sources.values():
            src.close()
